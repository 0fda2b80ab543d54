#!/bin/sh
# Exactly-once under SIGKILL (HOSTILE.md 63 for deliver): mdrop-deliver is
# killed at the Nth open, mkdir, write, fsync, link, rename and close of a
# clean run, for every N; sometimes the "mail client" then moves the
# delivered copies from new/ to cur/ with flags; then a clean rerun. After
# it, every (message, recipient) is in its Maildir exactly once, and the
# spool holds no message, note or tmp file. (A kill during the copy may
# leave a file in a Maildir's tmp/: maildir(5) readers ignore tmp/ and
# clean it after 36 hours; it is never a delivery.)
# SIGKILL does not drop the page cache, so the fsync timing of the disk
# plays no part here: run on tmpfs when there is one, to stay fast.
[ -d /dev/shm ] && [ -w /dev/shm ] && TMPDIR=/dev/shm && export TMPDIR
. "$(dirname "$0")/../lib/tap.sh"

SHIM=${MDROP_SHIMS:-$TOP/obj/tests}/faultshim.so
[ -f "$SHIM" ] || { echo "Bail out! $SHIM not built (make testbins)"; exit 1; }
D=$TESTDIR
SP=$D/spool
M=$D/mail
T="$M/%d/%l/Maildir"
PAIRS="1:a 1:b 2:a 3:b 3:c"

setup() {
	rm -rf "$SP" "$M"
	mkdir -p "$SP/new" "$SP/tmp" "$SP/failed" "$M/ex.org/a/Maildir"
	for m in 1 2 3; do printf 'Subject: %s\n\nbody %s\n' $m $m >"$SP/new/$m.M1P1.h"; done
	for p in $PAIRS; do
		printf '%s\t%s@ex.org\ts@y\n' "$SP/new/${p%:*}.M1P1.h" "${p#*:}"
	done | ends >"$D/in"
}
# the mail client: new/X -> cur/X:2,S
mua() {
	for f in "$M"/ex.org/*/Maildir/new/*; do
		[ -f "$f" ] && mv "$f" "${f%/new/*}/cur/${f##*/}:2,S"
	done
}
check() {
	bad=""
	for p in $PAIRS; do
		cnt=$(find "$M/ex.org/${p#*:}/Maildir/new" "$M/ex.org/${p#*:}/Maildir/cur" -type f -name "${p%:*}.M1P1.h.*" 2>/dev/null | wc -l | tr -d ' ')
		[ "$cnt" = 1 ] || bad="$bad $p=$cnt"
	done
	left=$(cd "$SP" && find . -mindepth 1 ! -name new ! -name tmp ! -name failed)
	[ -z "$left" ] || bad="$bad spool:$(echo $left)"
	[ -z "$bad" ]
}

for call in open mkdir write fsync link close; do
	setup
	rm -f "$D/count"
	LD_PRELOAD=$SHIM FAULT_PROG=mdrop-deliver FAULT_CALL=$call FAULT_COUNT=$D/count \
	    mdrop-deliver -m "$T" <"$D/in" >/dev/null 2>&1
	total=$(awk '{ print $3 }' "$D/count")
	[ "${total:-0}" -gt 0 ] || { fail "$call: clean run makes some calls" "count=$total"; continue; }
	failures=""
	# every call of the durable steps; every 2nd of the frequent ones
	case $call in open|write|close) step=2;; *) step=1;; esac
	n=1
	while [ $n -le "$total" ]; do
		setup
		LD_PRELOAD=$SHIM FAULT_PROG=mdrop-deliver FAULT_CALL=$call FAULT_NTH=$n \
		    FAULT_ERRNO=KILL mdrop-deliver -m "$T" <"$D/in" >/dev/null 2>&1
		[ $((n % 2)) = 0 ] && mua
		mdrop-deliver -m "$T" <"$D/in" >"$D/out" 2>"$D/err"
		rc=$?
		if [ $rc != 0 ] || ! check; then
			failures="$failures n=$n(rc=$rc$bad)"
		fi
		n=$((n + step))
	done
	is "$failures" "" "kill at each of $total ${call} calls (step $step), then rerun: exactly once"
done

# five kills in a row at points of a larger batch's progress, the "mail
# client" moving copies between them, then a rerun racing nothing. The
# points are calls, not moments (faultshim: SIGKILL at deliver's Nth open
# of a copy in a Maildir's tmp/, or Nth link of one into new/), each N at
# most half the deliveries still to make: every kill lands on a live
# deliver with work left, by construction, however fast the machine.
setup
i=4
while [ $i -lt 40 ]; do
	printf 'Subject: %s\n\nx\n' $i >"$SP/new/$i.M1P1.h"
	printf '%s\ta@ex.org\t\n%s\tb@ex.org\t\n' "$SP/new/$i.M1P1.h" "$SP/new/$i.M1P1.h"
	i=$((i + 1))
done | ends >>"$D/in"
PAIRS="$PAIRS $(i=4; while [ $i -lt 40 ]; do printf '%s:a %s:b ' $i $i; i=$((i+1)); done)"
npairs=$(echo $PAIRS | wc -w)
# deliveries still to make
left() { echo $((npairs - $(find "$M"/ex.org/*/Maildir/new "$M"/ex.org/*/Maildir/cur -type f 2>/dev/null | wc -l))); }
# kill_at CALL DIR N: deliver SIGKILLed at its Nth CALL in a Maildir's DIR
missed=""
kill_at() {
	w=$(left)
	LD_PRELOAD=$SHIM FAULT_PROG=mdrop-deliver FAULT_CALL=$1 FAULT_NTH=$3 \
	    FAULT_PATH=Maildir/$2 FAULT_ERRNO=KILL \
	    mdrop-deliver -m "$T" <"$D/in" >/dev/null 2>&1
	rc=$?
	diag "kill at $1 $3 in $2/ with $w deliveries left: exit $rc, $(left) left"
	[ $rc = 137 ] && [ "$(left)" -gt 0 ] || missed="$missed $1#$3:rc=$rc,left=$(left)"
	mua
}
kill_at open tmp 1			# the first copy
kill_at open tmp $(($(left) / 2))	# half of the copies written
kill_at link new 1			# the commit begins
kill_at link new $(($(left) / 4))
kill_at link new $(($(left) / 2))
is "$missed" "" "5 kills of a batch of 41 messages, each on a live deliver with deliveries left"
mdrop-deliver -m "$T" <"$D/in" >"$D/out" 2>"$D/err"
is "$?" 0 "the batch after the kills, rerun: exit 0"
if check; then pass "the batch after the kills: exactly once"; else fail "the batch after the kills: exactly once" "$bad"; fi

done_testing
