#!/bin/sh
# attack: LIST says 1000 octets for message 1; it has 138 KB; --max-size 100000 (audit 2026-12-06)
# expect: measured over --max-size: left on the server and logged (too-big), not an error:
#   exit 0; message 2 spooled; no DELE 1
#   (HOSTILE 8, 9). It used to end every session with exit 75 instead.
. "$(dirname "$0")/lib.sh"
crlf 'Subject: big\n\n%s\n' "$(head -c 138000 /dev/zero | tr '\0' a)" >"$H/msgs/1.msg"
crlf 'Subject: small\n\nb\n' >"$H/msgs/2.msg"
printf '1000' >"$H/msgs/1.size"
fake_pop3
fetch_fake --max-size 100000
want_rc 0
want_spool 2
want "no DELE 1" sh -c "! grep -q '^C: DELE 1' '$H/pop3.log'"
want_err 'too-big host=127.0.0.1 msg=1 size=138'
finish
