#!/bin/sh
# attack: a record whose recipient holds a CR and one whose sender holds a NUL
# expect: refused as bad records (exit 65); the spool file stays; nothing delivered
. "$(dirname "$0")/lib.sh"
p=$(printf 'a\n' | spool_msg 1.M1P1.h)
{ printf '%s\talice\r@example.org\ts@x\n' "$p"; printf '%s\talice@example.org\ts\000@x\n' "$p"; endrec "$p"; } >"$H/in"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 65
want "file stays" test -f "$p"
want "nothing delivered" test "$(nfiles "$H/mail")" = 0
outside_clean
finish
