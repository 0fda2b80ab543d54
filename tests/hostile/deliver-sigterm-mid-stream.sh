#!/bin/sh
# attack: SIGTERM while deliver waits for more records mid-stream
# expect: finishes (or rolls back) the message in hand: no half copy in tmp/, exit 0 or 75; a rerun completes exactly once (HOSTILE 64)
. "$(dirname "$0")/lib.sh"
p=$(printf 'a\n' | spool_msg 1.M1P1.h)
rec "$p" alice@example.org >"$H/in"
mkfifo "$H/fifo"
timeout 20 mdrop-deliver -m "$H/mail/%d/%l/Maildir" <"$H/fifo" >"$H/out" 2>"$H/err" &
d=$!
exec 7>"$H/fifo"
cat "$H/in" >&7
sleep 0.5
kill -TERM $d
wait $d; RC=$?
exec 7>&-
want_rc 0 75 143
want "no file left in tmp/" test "$(nfiles "$H/mail/example.org/alice/Maildir/tmp")" = 0
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want "alice exactly once" test "$(nfiles "$H/mail/example.org/alice/Maildir/new")" = 1
finish
