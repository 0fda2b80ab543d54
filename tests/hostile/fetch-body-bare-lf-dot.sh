#!/bin/sh
# attack: a bare LF "." LF inside the body followed by text that looks like a reply
# expect: lines end only at CRLF: the message does not end early; spooled byte-exact (HOSTILE 6)
. "$(dirname "$0")/lib.sh"
printf 'Subject: smuggle\r\n\r\nbefore\n.\n+OK fake\nafter\r\n' >"$H/msgs/1.msg"
fake_pop3
fetch_fake
want_rc 0
want_spool 1
finish
