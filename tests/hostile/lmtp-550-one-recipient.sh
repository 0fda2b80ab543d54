#!/bin/sh
# attack: 550 after DATA for bob only
# expect: fail for bob, ok for the others; exit 67; the message moves to SPOOL/failed with a .why naming bob (HOSTILE 53)
. "$(dirname "$0")/lib.sh"
lmtp_three
fake_lmtp --final 'bob@example.org=550 5.1.1 no such user'
deliver_lmtp
want_rc 67 65
want "bob fail, others ok" test "$(results)" = "alice@example.org:ok bob@example.org:fail carol@example.org:ok "
want "in SPOOL/failed with .why" test -f "$H/spool/failed/1.M1P1.h" -a -f "$H/spool/failed/1.M1P1.h.why"
want ".why names bob" grep -q bob@example.org "$H/spool/failed/1.M1P1.h.why"
finish
