#!/bin/sh
# attack: one reply fewer than accepted recipients after DATA, then EOF
# expect: the recipients without a reply are defer (exit 75); the spool file stays (HOSTILE 47)
. "$(dirname "$0")/lib.sh"
lmtp_three
fake_lmtp --after fewer --only-first
deliver_lmtp
want_rc 75
want "carol deferred" sh -c "results() { cut -f2,3 '$H/out' | tr '\\t\\n' ': '; }; results | grep -q 'carol@example.org:defer'"
want "spool file stays" test -f "$LP"
finish
