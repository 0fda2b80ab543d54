#!/bin/sh
# attack: a record naming a file outside any spool's new/ (e.g. a precious file)
# expect: refused (exit 65) with the path named; the file is neither delivered nor removed
. "$(dirname "$0")/lib.sh"
printf 'precious\n' >"$H/precious"
{ rec "$H/precious" alice@example.org; endrec "$H/precious"; } >"$H/in"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 65 66
want_err "precious"
want "precious file still there" test "$(cat "$H/precious")" = precious
want "nothing delivered" test "$(nfiles "$H/mail")" = 0
outside_clean
finish
