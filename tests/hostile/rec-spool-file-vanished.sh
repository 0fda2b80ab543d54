#!/bin/sh
# attack: a record for a spool file someone else removed, between good ones
# expect: reported (exit 65 as the recipient was never delivered), the others delivered (HOSTILE 62)
. "$(dirname "$0")/lib.sh"
p=$(printf 'a\n' | spool_msg 1.M1P1.h); q=$(printf 'c\n' | spool_msg 3.M1P1.h)
mkdir -p "$H/spool/new"
{ rec "$p" alice@example.org; endrec "$p"; rec "$H/spool/new/2.M1P1.h" bob@example.org; endrec "$H/spool/new/2.M1P1.h"; rec "$q" carol@example.org; endrec "$q"; } >"$H/in"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 65
want_err "2\.M1P1\.h"
want "alice and carol delivered" test "$(nfiles "$H/mail/example.org/alice/Maildir/new")$(nfiles "$H/mail/example.org/carol/Maildir/new")" = 11
outside_clean
finish
