#!/bin/sh
# attack: records out of order (P alice, Q alice, P bob) and the same file spelled SPOOL//new/R and SPOOL/new/R
# expect: a group is the spool file, not the string: every recipient delivered exactly once, never "defer" for a file that will be gone; P, Q and R removed; exit 0 (issue 14 case 5)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Subject: p\n\nb\n' | spool_msg 1.M1P1.h)
q=$(printf 'Subject: q\n\nb\n' | spool_msg 2.M1P1.h)
r=$(printf 'Subject: r\n\nb\n' | spool_msg 3.M1P1.h)
r2=$H/spool//new/3.M1P1.h
{ rec "$p" alice@example.org; rec "$q" alice@example.org; rec "$p" bob@example.org
  endrec "$p"; endrec "$q"
  rec "$r" alice@example.org; rec "$r2" bob@example.org; rec "$r" carol@example.org; endrec "$r2"; } >"$H/in"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 0
want "six ok lines, each echoing its record's PATH" test "$(cut -f1-3 "$H/out" | sed "s#$H/spool##" | tr '\t\n' ' |')" \
    = "/new/1.M1P1.h alice@example.org ok|/new/1.M1P1.h bob@example.org ok|/new/2.M1P1.h alice@example.org ok|/new/3.M1P1.h alice@example.org ok|//new/3.M1P1.h bob@example.org ok|/new/3.M1P1.h carol@example.org ok|"
want "alice three, bob two, carol one" test "$(nfiles "$H/mail/example.org/alice/Maildir/new")$(nfiles "$H/mail/example.org/bob/Maildir/new")$(nfiles "$H/mail/example.org/carol/Maildir/new")" = 321
want "P, Q and R removed" test "$(nfiles "$H/spool/new")" = 0
outside_clean
finish
