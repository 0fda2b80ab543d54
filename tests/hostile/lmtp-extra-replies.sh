#!/bin/sh
# attack: one reply more than recipients after DATA
# expect: out of step: the session is closed and nothing is trusted beyond it; exit 75 or every recipient ok exactly once; never a crash (HOSTILE 48)
. "$(dirname "$0")/lib.sh"
lmtp_three
fake_lmtp --after more --only-first
deliver_lmtp
want_no_crash
want_rc 0 75
want "three result lines" test "$(wc -l <"$H/out")" = 3
finish
