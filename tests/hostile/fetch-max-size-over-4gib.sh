#!/bin/sh
# attack: LIST says 4 GiB + 1 for a message when --max-size is 4 GiB
# expect: limits use 64-bit sizes on actual bytes; the small real message is fetched (never mis-sized by a 32-bit wrap) (HOSTILE 8)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: b\n\nb\n' >"$H/msgs/1.msg"
printf '4294967297' >"$H/msgs/1.size"
fake_pop3
fetch_fake --max-size 4294967296
want_rc 0
want_spool 1
finish
