#!/bin/sh
# attack: mdrop-split died between the records of one message: deliver sees 1 of its 2 records, then end of input, no end line
# expect: alice delivered and noted; the group is incomplete: group-incomplete logged, exit 75, the spool file stays; the next run (the whole group) delivers bob only, exactly once, and removes the file (issue 14 case 1)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Subject: two\n\nb\n' | spool_msg 1.M1P1.h)
rec "$p" alice@example.org >"$H/in"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 75
want_err "warning: group-incomplete path=.*1\.M1P1\.h"
want "alice ok" test "$(cut -f2,3 "$H/out")" = "$(printf 'alice@example.org\tok')"
want "the spool file stays" test -f "$p"
want "bob got nothing" test "$(nfiles "$H/mail/example.org/bob")" = 0
{ rec "$p" alice@example.org; rec "$p" bob@example.org; endrec "$p"; } >"$H/in"
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 0
want "alice already, bob now" test "$(cut -f2,3,4 "$H/out" | sed 's/\t\(already delivered\):.*/\t\1/; s/\tok\t\/.*/\tok/' | tr '\t\n' ' |')" = \
    "alice@example.org ok already delivered|bob@example.org ok|"
want "alice exactly once" test "$(nfiles "$H/mail/example.org/alice/Maildir/new")" = 1
want "bob exactly once" test "$(nfiles "$H/mail/example.org/bob/Maildir/new")" = 1
want "the spool file and its note are gone" test -z "$(ls "$H/spool/new")$(ls "$H/spool" | grep -v '^new$\|^tmp$\|^failed$')"
outside_clean
finish
