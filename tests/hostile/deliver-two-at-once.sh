#!/bin/sh
# attack: two mdrop-deliver processes get the same 30 records at the same time
# expect: each exits 0 or 75 (a record whose spool file the other holds is deferred); every (message, recipient) is in its Maildir exactly once; every spool file removed by one of them (HOSTILE 65)
. "$(dirname "$0")/lib.sh"
: >"$H/in"
i=1
while [ $i -le 30 ]; do
	p=$(printf 'Subject: %d\n\nb\n' $i | spool_msg "$i.M1P1.h")
	rec "$p" alice@example.org >>"$H/in"; rec "$p" bob@example.org >>"$H/in"; endrec "$p" >>"$H/in"
	i=$((i + 1))
done
mark
timeout 30 mdrop-deliver -m "$H/mail/%d/%l/Maildir" <"$H/in" >"$H/out1" 2>"$H/err1" &
a=$!
timeout 30 mdrop-deliver -m "$H/mail/%d/%l/Maildir" <"$H/in" >"$H/out2" 2>"$H/err2" &
b=$!
wait $a; ra=$?; wait $b; rb=$?
# DESIGN: each exits 0, or 75 when a spool file it needed was locked by
# the other (that record is deferred); no other code, no other pair
pair_ok() { case $1 in "0 0"|"0 75"|"75 0"|"75 75") return 0 ;; esac; return 1; }
want "each exits 0 or 75 (got $ra $rb)" pair_ok "$ra $rb"
want "alice exactly 30" test "$(grep -l '^Subject: ' "$H"/mail/example.org/alice/Maildir/new/* | xargs grep -h '^Subject: ' | sort | uniq -d | wc -l)$(nfiles "$H/mail/example.org/alice/Maildir/new")" = 030
want "bob exactly 30" test "$(nfiles "$H/mail/example.org/bob/Maildir/new")" = 30
if [ "$ra$rb" != 00 ]; then
	t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
	want "the rerun adds nothing" test "$(nfiles "$H/mail/example.org/alice/Maildir/new")$(nfiles "$H/mail/example.org/bob/Maildir/new")" = 3030
fi
want "spool emptied" test "$(nfiles "$H/spool/new")" = 0
finish
