#!/bin/sh
# The hostile-input catalogue, part two: the deliver-*, lmtp-* and rec-*
# cases (see 74-hostile.t and tests/lib/hostile.sh).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/hostile.sh"

hostile_run deliver lmtp rec
done_testing
