#!/bin/sh
# attack: a domain part "..": "x@.." would turn %d into ".."
# expect: refused; nothing written outside the mail root; the message kept in SPOOL/failed
. "$(dirname "$0")/lib.sh"
p=$(printf 'a\n' | spool_msg 1.M1P1.h)
{ rec "$p" "x@.."; rec "$p" "x@."; endrec "$p"; } >"$H/in"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 65 67 75 78
want "no x directory outside the domain dirs" test ! -e "$H/x"
want "message kept in SPOOL/failed with its .why (nothing lost)" test -f "$H/spool/failed/1.M1P1.h" -a -f "$H/spool/failed/1.M1P1.h.why"
outside_clean
finish
