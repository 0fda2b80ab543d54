#!/bin/sh
# The hostile-input catalogue (tests/hostile/*.sh, HOSTILE.md): each case
# attacks one thing (a POP3 reply, a header, a record, an LMTP reply, a
# process fault) and checks what mdrop must do: a clear error naming the
# thing, the right exit code, nothing lost, nothing written outside the
# mail root, no crash, no hang. One TAP line per case, named after the
# case file and its "expect:" line; a failing case's report follows it.
# REL_HOSTILE=GLOB runs only the matching cases.
. "$(dirname "$0")/../lib/tap.sh"

n=0
for c in "$TOP"/tests/hostile/${REL_HOSTILE:-*}.sh; do
	name=$(basename "$c" .sh)
	[ "$name" = lib ] && continue
	n=$((n + 1))
	expect=$(sed -n 's/^# expect: //p' "$c" | head -1)
	if [ -z "$expect" ]; then
		fail "$name: states its expected behaviour" "no '# expect:' line in $c"
		continue
	fi
	CASEDIR=$TESTDIR/cases/$name timeout -k 5 90 sh "$c" >"$TESTDIR/$name.log" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		pass "$name: $expect"
	else
		fail "$name: $expect" "exit $rc" "$(head -c 3000 "$TESTDIR/$name.log")"
	fi
done
[ -n "${REL_HOSTILE:-}" ] || ok "the catalogue has at least 60 cases ($n)" test "$n" -ge 60
done_testing
