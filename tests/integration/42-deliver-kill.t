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

# a kill at random moments of a larger batch, with the rerun racing nothing
setup
i=4
while [ $i -lt 40 ]; do
	printf 'Subject: %s\n\nx\n' $i >"$SP/new/$i.M1P1.h"
	printf '%s\ta@ex.org\t\n%s\tb@ex.org\t\n' "$SP/new/$i.M1P1.h" "$SP/new/$i.M1P1.h"
	i=$((i + 1))
done | ends >>"$D/in"
PAIRS="$PAIRS $(i=4; while [ $i -lt 40 ]; do printf '%s:a %s:b ' $i $i; i=$((i+1)); done)"
for delay in 0.001 0.005 0.01 0.02 0.05; do
	mdrop-deliver -m "$T" <"$D/in" >/dev/null 2>&1 &
	pid=$!
	sleep $delay
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	mua
done
mdrop-deliver -m "$T" <"$D/in" >"$D/out" 2>"$D/err"
is "$?" 0 "random kills of a batch of 41 messages, then rerun: exit 0"
if check; then pass "random kills: exactly once"; else fail "random kills: exactly once" "$bad"; fi

done_testing
