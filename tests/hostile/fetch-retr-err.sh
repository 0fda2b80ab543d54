#!/bin/sh
# attack: RETR 2 answered -ERR
# expect: message 2 skipped (no DELE 2), 1 and 3 spooled; exit 75 so that it is retried (HOSTILE 17)
. "$(dirname "$0")/lib.sh"
for i in 1 2 3; do crlf "Subject: $i\n\n$i\n" >"$H/msgs/$i.msg"; done
fake_pop3 --opt retr-err=2
fetch_fake
want_rc 75
want_spool 1 3
want "no DELE 2" sh -c "! grep -q '^C: DELE 2' '$H/pop3.log'"
finish
