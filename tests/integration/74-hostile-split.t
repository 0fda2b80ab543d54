#!/bin/sh
# The hostile-input catalogue, part three: the split-* cases (see
# 74-hostile.t and tests/lib/hostile.sh).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/hostile.sh"

hostile_run split
done_testing
