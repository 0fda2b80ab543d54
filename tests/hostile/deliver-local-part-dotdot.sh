#!/bin/sh
# attack: recipient "../../../escape@example.org" in a record (split would refuse it, a hand-made record need not)
# expect: deliver refuses any expansion that leaves the mail root: nothing written outside it; the message is kept in SPOOL/failed with a .why (HOSTILE 35)
. "$(dirname "$0")/lib.sh"
p=$(printf 'a\n' | spool_msg 1.M1P1.h)
{ rec "$p" ../../../escape@example.org; endrec "$p"; } >"$H/in"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 65 67 75 78
want "message kept in SPOOL/failed with its .why (nothing lost)" test -f "$H/spool/failed/1.M1P1.h" -a -f "$H/spool/failed/1.M1P1.h.why"
want "no escape directory anywhere" test -z "$(find "$H" -name escape)"
outside_clean
finish
