#!/bin/sh
# attack: a record path "SPOOL/new/../precious" that climbs out of new/
# expect: refused; the target file stays untouched and undelivered
. "$(dirname "$0")/lib.sh"
printf 'x\n' | spool_msg 1.M1P1.h >/dev/null
printf 'precious\n' >"$H/spool/precious"
{ rec "$H/spool/new/../precious" alice@example.org; endrec "$H/spool/new/../precious"; } >"$H/in"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 65 66
want "precious still there" test -f "$H/spool/precious"
want "nothing delivered" test "$(nfiles "$H/mail")" = 0
outside_clean
finish
