#!/bin/sh
# attack: NUL bytes in the body
# expect: spooled byte-exact, NULs included (HOSTILE 5)
. "$(dirname "$0")/lib.sh"
printf 'Subject: nul\r\n\r\na\000b\r\n\000\r\n' >"$H/msgs/1.msg"
fake_pop3
fetch_fake
want_rc 0
want_spool 1
finish
