#!/bin/sh
# attack: UIDs "../../escape" and "a/b"
# expect: never used in a path: nothing outside the spool; the messages still spooled byte-exact (HOSTILE 13)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\na\n' >"$H/msgs/1.msg"
crlf 'Subject: b\n\nb\n' >"$H/msgs/2.msg"
printf '../../escape' >"$H/msgs/1.uid"; printf 'a/b' >"$H/msgs/2.uid"
fake_pop3
mark
fetch_fake
want_rc 0
want_spool 1 2
want "no escape file" test -z "$(find "$H" -name 'escape*' -o -name b -type f)"
outside_clean
finish
