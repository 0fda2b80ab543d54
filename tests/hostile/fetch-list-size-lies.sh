#!/bin/sh
# attack: LIST understates one message (1 octet) and overstates another (4 GiB + 1)
# expect: sizes are advisory: both fetched intact; nothing allocated from LIST (HOSTILE 9)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\n%s\n' "$(head -c 5000 /dev/zero | tr '\0' a)" >"$H/msgs/1.msg"
crlf 'Subject: b\n\nb\n' >"$H/msgs/2.msg"
printf '1' >"$H/msgs/1.size"; printf '4294967297' >"$H/msgs/2.size"
fake_pop3
fetch_fake
want_rc 0
want_spool 1 2
finish
