#!/bin/sh
# attack: the writer of the records died mid-line (last line without LF), after a complete group
# expect: the truncated record is reported and not acted on; its spool file stays; the complete group is delivered and its file removed (HOSTILE 66)
. "$(dirname "$0")/lib.sh"
p=$(printf 'a\n' | spool_msg 1.M1P1.h); q=$(printf 'b\n' | spool_msg 2.M1P1.h)
{ rec "$p" alice@example.org; endrec "$p"; printf '%s\tbob@example.org\ts@x' "$q"; } >"$H/in"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 65
want_err "truncated"
want "the truncated record's file stays" test -f "$q"
want "bob got nothing" test "$(nfiles "$H/mail/example.org/bob")" = 0
want "alice delivered, her file gone" test "$(nfiles "$H/mail/example.org/alice/Maildir/new")$(test -e "$p" && echo kept)" = 1
outside_clean
finish
