#!/bin/sh
# attack: a body line of 1 MiB (and one of 999 octets)
# expect: streamed intact, spooled byte-exact (HOSTILE 4)
. "$(dirname "$0")/lib.sh"
{ printf 'Subject: long\r\n\r\n'; head -c 999 /dev/zero | tr '\0' x; printf '\r\n'; head -c 1048576 /dev/zero | tr '\0' y; printf '\r\nend\r\n'; } >"$H/msgs/1.msg"
fake_pop3
mark
fetch_fake
want_rc 0
want_spool 1
outside_clean
finish
