#!/bin/sh
# attack: the writer died inside the PATH of the next record of the same message (no TAB on the cut line), and again at every byte of that line
# expect: the group in hand is incomplete: the recipients before the cut are delivered and noted, the spool file stays, exit 65; a rerun with the whole group delivers only the missing recipient, exactly once, and removes the file (issue 14 case 2)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Subject: cut\n\nb\n' | spool_msg 1.M1P1.h)
full=$(printf '%s\tbob@example.org\ts@remote.test\n' "$p")
{ rec "$p" alice@example.org; rec "$p" bob@example.org; endrec "$p"; } >"$H/whole"
mark
n=1
while [ $n -lt ${#full} ]; do	# every cut inside the second record
	{ rec "$p" alice@example.org; printf '%s' "$full" | head -c $n; } >"$H/in"
	t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
	want_rc 65
	want "cut at byte $n: the spool file stays" test -f "$p"
	want "cut at byte $n: bob got nothing" test "$(nfiles "$H/mail/example.org/bob")" = 0
	n=$((n + 1))
done
want_err "group-incomplete"
want "alice exactly once" test "$(nfiles "$H/mail/example.org/alice/Maildir/new")" = 1
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/whole'"
want_rc 0
want "the rerun: alice still exactly once" test "$(nfiles "$H/mail/example.org/alice/Maildir/new")" = 1
want "the rerun: bob exactly once" test "$(nfiles "$H/mail/example.org/bob/Maildir/new")" = 1
want "the rerun removed the spool file" test ! -e "$p"
outside_clean
finish
