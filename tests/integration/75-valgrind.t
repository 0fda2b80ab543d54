#!/bin/sh
# One end-to-end run of the whole pipeline (fetch | split | deliver -m)
# against the private Dovecot with every tool under valgrind memcheck:
# zero errors and zero definite leaks in each, and the run still delivers
# everything exactly once. Wrappers named like the tools put valgrind in
# front of the real binaries ($MDROP_BIN). Skipped (visibly) when valgrind
# is missing or the binaries are built with a sanitizer (ASan and valgrind
# cannot share a process).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/dovecot.sh"
. "$TOP/tests/fault/driver.sh"

command -v valgrind >/dev/null || { echo "1..0 # SKIP valgrind not installed"; exit 0; }
if nm "$MDROP_BIN/mdrop-split" 2>/dev/null | grep -q __asan_init; then
	echo "1..0 # SKIP sanitizer build: valgrind runs on the plain build"; exit 0
fi
W=$TESTDIR/vg
mkdir -p "$W"
for t in fetch split deliver; do
	cat >"$W/mdrop-$t" <<EOW
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
    --log-file="$W/$t.%p.log" "$MDROP_BIN/mdrop-$t" "\$@"
EOW
	chmod +x "$W/mdrop-$t"
done
rel_setup 12
rel_reset
REL_TIMEOUT=120 PATH=$W:$PATH rel_run vg
is "$RC_FETCH $RC_SPLIT $RC_DELIVER" "0 0 0" "under valgrind: every stage exits 0 (99 = memcheck error)"
for t in fetch split deliver; do
	ok "mdrop-$t ran under valgrind" sh -c "ls '$W/$t'.*.log >/dev/null 2>&1"
	bad=$(cat "$W/$t".*.log 2>/dev/null)
	is "$bad" "" "mdrop-$t: no memcheck report"
done
rel_invariant && pass "under valgrind: everything delivered exactly once ($REL_SUMMARY)" ||
	fail "under valgrind: everything delivered exactly once" "$REL_WHY"
done_testing
