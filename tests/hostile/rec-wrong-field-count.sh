#!/bin/sh
# attack: records with two and with four fields
# expect: each reported with its line number, exit 65; the files stay; a good record after them is still delivered
. "$(dirname "$0")/lib.sh"
p=$(printf 'a\n' | spool_msg 1.M1P1.h); q=$(printf 'b\n' | spool_msg 2.M1P1.h)
{ printf '%s\talice@example.org\n' "$p"; printf '%s\talice@example.org\ts@x\textra\n' "$p"; rec "$q" bob@example.org; endrec "$q"; } >"$H/in"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 65
want_err "line[= ]1"
want_err "line[= ]2"
want "p stays" test -f "$p"
want "bob delivered" test "$(nfiles "$H/mail/example.org/bob/Maildir/new")" = 1
want "alice got nothing" test "$(nfiles "$H/mail/example.org/alice")" = 0
outside_clean
finish
