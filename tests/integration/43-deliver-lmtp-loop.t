#!/bin/sh
# mdrop-deliver's main loop with -l (the LMTP client itself is tested in
# the LMTP tests): idle QUIT and reconnect, --lmtp-group batching of the
# records already read, spool acknowledgement, and the progress note that
# keeps a recipient with a 250 from being sent again on a retry.
. "$(dirname "$0")/../lib/tap.sh"

D=$TESTDIR
SP=$D/spool
mkdir -p "$SP/new" "$SP/tmp" "$SP/failed"
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3"; }
FAKE=$TOP/tests/lib/fake_lmtp.py
[ -f "$FAKE" ] || { echo "Bail out! $FAKE missing"; exit 1; }

# start_fake DIR ARGS...: a fake LMTP server on a unix socket in DIR
start_fake() {
	dir=$1; shift
	mkdir -p "$dir/rec"
	python3 "$FAKE" --ready "$dir/ready" --record "$dir/rec" --unix "$dir/sock" "$@" &
	fpid=$!
	at_exit "kill $fpid"
	i=0; while [ ! -s "$dir/ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
}
cmds() { cat "$1"/rec/conn-*.in | tr -d '\r' | grep -E '^(MAIL|RCPT|QUIT)' | tr '\n' ' '; }

# idle QUIT, then a transparent reconnect
start_fake "$D/f1"
printf 'S: 1\n\nx\n' >"$SP/new/1.M1P1.h"
printf 'S: 2\n\nx\n' >"$SP/new/2.M1P1.h"
{ rec "$SP/new/1.M1P1.h" a@x.org s@y; echo "$SP/new/1.M1P1.h"; sleep 2
  rec "$SP/new/2.M1P1.h" c@x.org ""; echo "$SP/new/2.M1P1.h"; } |
    mdrop-deliver -l "unix:$D/f1/sock" --idle 1 >"$D/out" 2>"$D/err"
is "$?" 0 "idle: exit 0"
is "$(ls "$D/f1/rec" | grep -c '^conn-')" 2 "idle: QUIT after --idle, then a new session"
is "$(tr -d '\r' <"$D/f1/rec/conn-1.in" | tail -n 1)" "QUIT" "idle: the first session ended with QUIT"
ok "idle: both spool files acknowledged" test ! -e "$SP/new/1.M1P1.h" -a ! -e "$SP/new/2.M1P1.h"
is "$(cut -f2,3 "$D/out" | tr '\t\n' ' ;')" "a@x.org ok;c@x.org ok;" "idle: results"
kill $fpid; wait $fpid 2>/dev/null

# --lmtp-group: records of one PATH read together share a transaction
start_fake "$D/f2"
printf 'S: 3\n\nx\n' >"$SP/new/3.M1P1.h"
{ rec "$SP/new/3.M1P1.h" a@x.org s@y; rec "$SP/new/3.M1P1.h" b@x.org s@y; } | ends >"$D/in"
mdrop-deliver -l "unix:$D/f2/sock" --lmtp-group <"$D/in" >"$D/out" 2>"$D/err"
is "$?" 0 "group: exit 0"
is "$(cmds "$D/f2")" "MAIL FROM:<s@y> RCPT TO:<a@x.org> RCPT TO:<b@x.org> QUIT " "group: one transaction for both"
kill $fpid; wait $fpid 2>/dev/null

# a 4xx for one recipient: the other is never sent again on the retry
start_fake "$D/f3" --final "b@x.org=451 4.3.0 try later"
printf 'S: 4\n\nx\n' >"$SP/new/4.M1P1.h"
{ rec "$SP/new/4.M1P1.h" a@x.org ""; rec "$SP/new/4.M1P1.h" b@x.org ""; } | ends >"$D/in"
mdrop-deliver -l "unix:$D/f3/sock" <"$D/in" >"$D/out" 2>"$D/err"
is "$?" 75 "partial: exit 75"
ok "partial: message stays in new/" test -f "$SP/new/4.M1P1.h"
kill $fpid; wait $fpid 2>/dev/null
start_fake "$D/f4"
mdrop-deliver -l "unix:$D/f4/sock" <"$D/in" >"$D/out" 2>"$D/err"
is "$?" 0 "retry: exit 0"
is "$(cmds "$D/f4")" "MAIL FROM:<> RCPT TO:<b@x.org> QUIT " "retry: only the deferred recipient is sent"
grep -q 'a@x.org	ok	already delivered' "$D/out" && pass "retry: a reported as already delivered" || fail "retry: a already delivered" "$(cat "$D/out")"
ok "retry: acknowledged" test ! -e "$SP/new/4.M1P1.h" -a ! -e "$SP/4.M1P1.h.done"
kill $fpid; wait $fpid 2>/dev/null

done_testing
