#!/bin/sh
# Per-stage kill loop (issue 14; DESIGN.md "Record format"): the pipeline
#   mdrop-fetch | mdrop-split | mdrop-deliver -m
# against the private Dovecot, over a corpus of REL_STAGE_MESSAGES
# (default 320) messages, every 7th for two recipients, six wide ones
# with 60 to 150 and 300 recipients in one folded Delivered-To, is run
# REL_KILLS times (default 30) with exactly ONE stage SIGKILLed each time:
# fetch alone, split alone or deliver alone, drawn from REL_SEED (default
# 77), each at least REL_KILLS / 4 times. The other two see end of input
# or EPIPE as in real life and finish; the next run goes on from there.
# The points come from the stage's own progress, never from time
# (tests/fault/stagekill.py): the n-th file fetch creates in SPOOL/tmp;
# deliver once it has read, or printed the results of, the n records a
# relay passed on while holding the rest back (so it cannot be done); for
# split a relay between split and deliver that stops reading N bytes into
# a wide message's group, N chosen so that split (its stdout a one-page
# pipe) is still inside the write(2) of that group, then passes on what
# split had written, byte for byte or (as a line filter would) whole
# lines only. The first split kill cuts the 300-recipient group.
#
# Checked per run: the killed stage was alive (it died of the SIGKILL);
# the survivors exit as DESIGN.md says (split cut: deliver 65 inside a
# line, 75 after a whole record, never 0, the group logged
# group-incomplete and its spool file kept; see stagekill.py); no copy
# twice and nothing lost between runs. Then one clean run (again while
# a killed session's server side still holds the box: exit 75): zero
# lost, zero duplicates, every copy byte-exact, box, SPOOL/new,
# SPOOL/tmp empty, no done note left.
#
# SIGKILL does not drop the page cache, so the disk's fsync plays no
# part (72-durability.t's job): run on tmpfs when there is one, to stay
# fast.
[ -d /dev/shm ] && [ -w /dev/shm ] && TMPDIR=/dev/shm && export TMPDIR
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/dovecot.sh"
. "$TOP/tests/fault/driver.sh"

SEED=${REL_SEED:-77}
KILLS=${REL_KILLS:-30}
N=${REL_STAGE_MESSAGES:-320}
[ "$N" -ge 40 ] || { echo "Bail out! REL_STAGE_MESSAGES must be 40 or more"; exit 1; }
rel_setup "$N" "$((N / 10)):60,$((N / 5)):80,$((3 * N / 10)):100,$((2 * N / 5)):120,$((N / 2)):150,$N:300"
rel_reset

rel_stage_loop "$KILLS" "$SEED"
rel_stage_checks "$SEED"

rel_clean_run
rel_invariant && pass "zero lost, zero duplicates, byte-exact; box, SPOOL/new, SPOOL/tmp empty ($REL_SUMMARY)" ||
	fail "zero lost, zero duplicates, byte-exact; box, SPOOL/new, SPOOL/tmp empty" "$REL_WHY"
is "$(find "$REL_SPOOL" -name '*.done' | wc -l | tr -d ' ')" 0 "no done note left in the spool"
done_testing
