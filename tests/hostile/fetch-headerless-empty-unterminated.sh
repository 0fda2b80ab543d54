#!/bin/sh
# attack: an empty message, a headerless one and one without a final newline
# expect: all spooled byte-exact (a final LF added only where the server had to end the line) (HOSTILE 27)
. "$(dirname "$0")/lib.sh"
printf '' >"$H/msgs/1.msg"
crlf 'no header here, just text\n' >"$H/msgs/2.msg"
printf 'Subject: x\r\n\r\nno final newline' >"$H/msgs/3.msg"
fake_pop3
fetch_fake
want_rc 0
want_spool 1 2 3
finish
