#!/bin/sh
# attack: the same group fed again after it was finished and its spool file removed (what mdrop-fetch --interval does with every waiting path at the next poll), once with a recipient that was not in it
# expect: the repeat is "ok already delivered", never a second copy; the recipient that was not in the finished group is "fail" with exit 65 (never "defer" for a file that will not come back) (issue 14 case 6)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Subject: p\n\nb\n' | spool_msg 1.M1P1.h)
mkfifo "$H/fifo"
mark
timeout 20 mdrop-deliver -m "$H/mail/%d/%l/Maildir" <"$H/fifo" >"$H/out" 2>"$H/err" &
d=$!
exec 7>"$H/fifo"
{ rec "$p" alice@example.org; endrec "$p"; } >&7
# wait until the group is committed: its file is gone
_i=0; while [ -e "$p" ] && [ $_i -lt 400 ]; do sleep 0.05; _i=$((_i + 1)); done
want "the first group finished" test ! -e "$p"
{ rec "$p" alice@example.org; endrec "$p"; rec "$p" alice@example.org; rec "$p" zed@example.org; endrec "$p"; } >&7
exec 7>&-
wait $d; RC=$?
want_rc 65
want "ok, ok already, ok already, fail" test "$(cut -f2,3,4 "$H/out" | sed 's/\tok\t\/.*/\tok/; s/\(already delivered\):.*/\1/; s/\tfail\t.*/\tfail/' | tr '\t\n' ' |')" \
    = "alice@example.org ok|alice@example.org ok already delivered|alice@example.org ok already delivered|zed@example.org fail|"
want "alice exactly once" test "$(nfiles "$H/mail/example.org/alice/Maildir/new")" = 1
want "zed got nothing" test "$(nfiles "$H/mail/example.org/zed")" = 0
outside_clean
finish
