#!/bin/sh
# attack: two messages with the same UID in one listing
# expect: both fetched, neither DELEd (a UID must name one message) (HOSTILE 14)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\na\n' >"$H/msgs/1.msg"
crlf 'Subject: b\n\nb\n' >"$H/msgs/2.msg"
printf 'same' >"$H/msgs/1.uid"; printf 'same' >"$H/msgs/2.uid"
fake_pop3
fetch_fake
want_no_crash
want_spool 1 2
want_no_dele
finish
