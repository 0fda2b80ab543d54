#!/bin/sh
# Kill loop (HOSTILE.md 63): a 500-message transfer through the whole
# pipeline (mdrop-fetch | mdrop-split | mdrop-deliver -m) against the
# private Dovecot is SIGKILLed as a whole process group at seeded points
# of its progress, again and again, each time restarted from where it
# stood; then a clean run. Afterwards: zero lost, zero duplicates, every
# copy byte-exact, the box, SPOOL/new and SPOOL/tmp empty.
#
# Reproducible: REL_SEED (default 7) picks the kills, REL_KILLS (default
# 40) how many, REL_KILL_MESSAGES (default 500) the corpus size. The
# kills fall at points of progress, not of time (tests/fault/driver.sh
# rel_kill_loop, tests/fault/killer.py): a run is killed once it has
# made a seeded number of new files (fetch's in SPOOL/tmp, deliver's
# copies in the Maildirs), at most half the deliveries still to make, so
# every kill lands on a live run with work left whatever the machine's
# speed, and the runs get further and further. Each kill is drawn early
# with probability 0.7 (login, the first RETRs and copies), after the
# first commits with 0.2, else deep into a run (later batches, DELE,
# QUIT): fetch, split and deliver are each caught in all their phases.
# Every kill must hit a live run and leave deliveries to make.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/dovecot.sh"
. "$TOP/tests/fault/driver.sh"

SEED=${REL_SEED:-7}
KILLS=${REL_KILLS:-40}
rel_setup "${REL_KILL_MESSAGES:-500}"
rel_reset

rel_kill_loop "$KILLS" "$SEED" 0.7 0.9
rel_kill_checks "$SEED"

rel_clean_run
rel_invariant && pass "zero lost, zero duplicates, byte-exact ($REL_SUMMARY)" ||
	fail "zero lost, zero duplicates, byte-exact" "$REL_WHY"
done_testing
