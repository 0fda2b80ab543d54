#!/bin/sh
# attack: SIGTERM while deliver waits for more records mid-group (no end line yet)
# expect: what was delivered is reported and noted, the group is incomplete: exit 75, no half copy in tmp/, the spool file stays; a rerun with the whole group completes exactly once and removes it (HOSTILE 64)
. "$(dirname "$0")/lib.sh"
p=$(printf 'a\n' | spool_msg 1.M1P1.h)
{ rec "$p" alice@example.org; rec "$p" bob@example.org; endrec "$p"; } >"$H/in"
mkfifo "$H/fifo"
timeout 20 mdrop-deliver -m "$H/mail/%d/%l/Maildir" <"$H/fifo" >"$H/out" 2>"$H/err" &
d=$!
exec 7>"$H/fifo"
rec "$p" alice@example.org >&7
# the record was acted on and its result printed: deliver now waits
_i=0; while [ ! -s "$H/out" ] && [ $_i -lt 400 ]; do sleep 0.05; _i=$((_i + 1)); done
kill -TERM $d
wait $d; RC=$?
exec 7>&-
want_rc 75
want_err "group-incomplete path=.*1\.M1P1\.h"
want "alice ok before the stop" test "$(cut -f2,3 "$H/out")" = "$(printf 'alice@example.org\tok')"
want "no file left in tmp/" test "$(nfiles "$H/mail/example.org/alice/Maildir/tmp")" = 0
want "the spool file stays" test -f "$p"
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 0
want "alice exactly once" test "$(nfiles "$H/mail/example.org/alice/Maildir/new")" = 1
want "bob exactly once" test "$(nfiles "$H/mail/example.org/bob/Maildir/new")" = 1
want "spool file removed" test ! -e "$p"
finish
