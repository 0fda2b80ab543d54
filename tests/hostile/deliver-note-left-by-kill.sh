#!/bin/sh
# attack: a deliver was SIGKILLed between removing a delivered spool file and removing its done note (found by 77-stage-kill.t): SPOOL/P.done is left while SPOOL/new/P is gone (and SPOOL/F.done of a file moved to failed/); R.done belongs to a message still waiting
# expect: the next deliver that opens the spool removes the notes whose file left SPOOL/new (logged orphan-notes-removed count=2), keeps R.done, delivers its own record; exit 0
. "$(dirname "$0")/lib.sh"
q=$(printf 'Subject: q\n\nq\n' | spool_msg 2.M2P2.h)
r=$(printf 'Subject: r\n\nr\n' | spool_msg 3.M3P3.h)
printf 'F\n' >"$H/spool/failed/4.M4P4.h"
: >"$H/spool/1.M1P1.h.done"
: >"$H/spool/4.M4P4.h.done"
printf 'ok\tbob@example.org\tsomewhere\n' >"$H/spool/3.M3P3.h.done"
{ rec "$q" alice@example.org; endrec "$q"; } >"$H/in"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 0
want_err "info: orphan-notes-removed spool=$H/spool count=2"
want "the note of the file gone is gone" test ! -e "$H/spool/1.M1P1.h.done"
want "the note of the file in failed/ is gone" test ! -e "$H/spool/4.M4P4.h.done"
want "the note of the waiting file stays, as it was" test "$(cat "$H/spool/3.M3P3.h.done")" = "$(printf 'ok\tbob@example.org\tsomewhere')"
want "the waiting file stays" test -f "$r"
want "alice got q" test "$(nfiles "$H/mail/example.org/alice/Maildir/new")" = 1
want "q and its note are gone" test ! -e "$q" -a ! -e "$H/spool/2.M2P2.h.done"
outside_clean
finish
