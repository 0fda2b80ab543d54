#!/bin/sh
# Kill loop (HOSTILE.md 63): a 500-message transfer through the whole
# pipeline (mdrop-fetch | mdrop-split | mdrop-deliver -m) against the
# private Dovecot is SIGKILLed as a whole process group at seeded random
# moments, again and again, each time restarted from where it stood; then
# a clean run. Afterwards: zero lost, zero duplicates, every copy
# byte-exact, the box, SPOOL/new and SPOOL/tmp empty.
#
# Reproducible: REL_SEED (default 7) picks the moments, REL_KILLS (default
# 40) how many, REL_KILL_MESSAGES (default 500) the corpus size. A kill
# lands anywhere from the login to the last fsync: seven tenths
# of the delays are spread over 0..0.15 s (login and the first messages:
# short, so that faster tools do not run out of work before the kills
# do), two tenths over 0.15..0.6 s, the rest over 0..3 s, while a clean transfer of the
# corpus takes a few seconds; so each run gets a little further, some
# reach QUIT (the server deletes), and fetch, split and deliver are each
# caught in all their phases. At least half the kills must hit a run that
# still had work (messages on the server or in SPOOL/new).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/dovecot.sh"
. "$TOP/tests/fault/driver.sh"

SEED=${REL_SEED:-7}
KILLS=${REL_KILLS:-40}
rel_setup "${REL_KILL_MESSAGES:-500}"
rel_reset

# the moments, in seconds (three decimals)
awk -v s="$SEED" -v n="$KILLS" 'BEGIN { srand(s)
	for (i = 0; i < n; i++) printf "%.3f\n", i < n * 0.7 ? rand() * 0.15 : i < n * 0.9 ? 0.15 + rand() * 0.45 : rand() * 3 }' >"$REL_DIR/delays"
diag "seed $SEED: kills after $(tr '\n' ' ' <"$REL_DIR/delays")s"

i=0; finished=0; REL_BAD=; hits=0
while read -r d; do
	i=$((i + 1))
	[ "$(rel_pending)" -gt 0 ] && hits=$((hits + 1))
	rel_kill_run "k$i" "$d"
	if [ "$(cat "$REL_RUN/k$i.deliver.rc" 2>/dev/null)" = 0 ] &&
	   [ "$(cat "$REL_RUN/k$i.fetch.rc" 2>/dev/null)" = 0 ]; then
		finished=$((finished + 1))
	fi
done <"$REL_DIR/delays"
is "$REL_BAD" "" "$KILLS kills: no stage failed with an unexpected exit code"
left=$(find "$DROP_MAILDIR/new" "$DROP_MAILDIR/cur" -type f | wc -l)
diag "after the kills: $left messages still on the server, $(find "$REL_SPOOL/new" -type f | wc -l) in SPOOL/new, $finished runs completed before their kill"
ok "$hits of $KILLS kills hit a run with work left (at least half)" \
    test $((hits * 2)) -ge "$KILLS"

# the clean run; a mailbox still locked by a killed session's server side
# is a transient [IN-USE] (exit 75), so up to three tries
try=0
while :; do
	try=$((try + 1))
	rel_run "clean$try"
	[ "$RC_FETCH" = 75 ] && [ $try -lt 3 ] || break
	sleep 1
done
is "$RC_FETCH $RC_SPLIT $RC_DELIVER" "0 0 0" "clean run after the kills: every stage exits 0 (try $try)"
rel_invariant && pass "zero lost, zero duplicates, byte-exact ($REL_SUMMARY)" ||
	fail "zero lost, zero duplicates, byte-exact" "$REL_WHY"
done_testing
