#!/bin/sh
# The whole pipeline (mdrop-fetch | mdrop-split | mdrop-deliver -m) against
# the private Dovecot, with one file-system fault at the Nth call of write,
# fsync, rename, link, open, mkdir or close in mdrop-fetch or mdrop-deliver
# (tests/fault/faultshim.c), then a clean rerun. After each pair:
#   - a faulty run's failing stage exited with a sysexits code and logged
#     an error line (a SIGKILL fault: 137 is fine);
#   - a faulty run whose stages all exited 0 already delivered everything
#     (exit 0 means done, not "probably"); after any other faulty run no
#     message is doubled, and each not yet delivered is still on the
#     server or in SPOOL/new;
#   - after the rerun every message of the box is exactly once, byte-exact,
#     in each of its recipients' Maildirs; the box, SPOOL/new, SPOOL/tmp and
#     SPOOL/failed are empty; an errno fault (not a kill) left no file in
#     any Maildir's tmp/.
# N runs over 1..count of a clean run (FAULT_COUNT) when the total fits
# REL_FAULT_BUDGET iterations (default 40), else an evenly spread sample
# that always includes the first and last call; REL_FAULT_ALL=1 runs every
# N (slow: several minutes). The errno rotates with N over ENOSPC, EIO,
# KILL, EDQUOT, EACCES, EROFS, so each fault kind is exercised at many
# points. HOSTILE.md 56-59, 63.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/dovecot.sh"
. "$TOP/tests/fault/driver.sh"

rel_setup 6
BUDGET=${REL_FAULT_BUDGET:-40}
ERRNOS="ENOSPC EIO KILL EDQUOT EACCES EROFS"
CALLS="write fsync rename link open mkdir close"

rel_reset
rel_run clean0
is "$RC_FETCH $RC_SPLIT $RC_DELIVER" "0 0 0" "clean run: every stage exits 0"
rel_invariant && pass "clean run: invariant holds ($REL_SUMMARY)" ||
	fail "clean run: invariant holds" "$REL_WHY"

# counts of every (program, call) in a clean run
total=0
: >"$REL_DIR/counts"
for p in fetch deliver; do
	for c in $CALLS; do
		n=$(rel_count "$c" "mdrop-$p")
		echo "$p $c $n" >>"$REL_DIR/counts"
		total=$((total + n))
	done
done
diag "calls in one clean run: $(tr '\n' ';' <"$REL_DIR/counts")"
ok "a clean run makes fsync calls in both fetch and deliver" \
    awk '$2 == "fsync" && $3 > 0 { n++ } END { exit n != 2 }' "$REL_DIR/counts"

# positions P COUNT: which N to try for one (program, call)
positions() {
	_c=$2
	if [ "${REL_FAULT_ALL:-0}" = 1 ] || [ "$total" -le "$BUDGET" ]; then
		seq 1 "$_c"; return
	fi
	_m=$(( (_c * BUDGET + total - 1) / total ))
	[ "$_m" -lt 4 ] && _m=4
	[ "$_m" -gt "$_c" ] && _m=$_c
	awk -v c="$_c" -v m="$_m" 'BEGIN {
		if (m == 1) { print 1; exit }
		for (k = 0; k < m; k++) print int(1 + k * (c - 1) / (m - 1) + 0.5)
	}' | uniq
}

iterations=0
while read -r p c count; do
	[ "$count" -gt 0 ] || continue
	for N in $(positions "$p" "$count"); do
		e=$(echo $ERRNOS | cut -d" " -f$((N % 6 + 1)))
		tag="$p-$c-$N-$e"
		iterations=$((iterations + 1))
		killed=0; [ "$e" = KILL ] && killed=1
		rel_reset
		rel_run "$tag" LD_PRELOAD="$REL_SHIM" FAULT_PROG="mdrop-$p" \
		    FAULT_CALL="$c" FAULT_NTH="$N" FAULT_ERRNO="$e"
		rcs="$RC_FETCH $RC_SPLIT $RC_DELIVER"
		why=
		rel_failed_ok "$tag" "$killed" || why="faulty run: $REL_WHY"
		if [ "$rcs" = "0 0 0" ]; then
			rel_invariant || why="$why; all exited 0 but not done: $REL_WHY"
		else
			rel_invariant --partial ||
				why="$why; mid-way, lost or doubled: $REL_WHY"
		fi
		rel_run "$tag.rerun"
		[ "$RC_FETCH $RC_SPLIT $RC_DELIVER" = "0 0 0" ] ||
			why="$why; rerun exits $RC_FETCH $RC_SPLIT $RC_DELIVER"
		rel_invariant || why="$why; after the rerun: $REL_WHY"
		if [ "$killed" = 0 ]; then
			case $REL_SUMMARY in *maildir-tmp=0) ;;
			*) why="$why; a Maildir tmp/ kept a file ($REL_SUMMARY)" ;; esac
		fi
		if [ -z "$why" ]; then
			pass "$p: $c #$N fails with $e (exits $rcs), rerun completes, nothing lost"
		else
			fail "$p: $c #$N fails with $e (exits $rcs)" "$why" \
			    "$(cat "$REL_RUN/$tag".*.err | grep -v ': info: ' | head -5)"
		fi
	done
done <"$REL_DIR/counts"
diag "$iterations fault iterations of $total possible"
done_testing
