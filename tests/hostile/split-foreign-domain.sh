#!/bin/sh
# attack: an envelope address in a domain that is not ours
# expect: fallback; never relayed, never a record for the foreign address (HOSTILE 43)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: victim@elsewhere.test\n\nb\n' | spool_msg 1.M1P1.h)
t mdrop-split -d example.org "$p"
want_rc 0
want "fallback only" test "$(recs | cut -f2)" = postmaster@example.org
want "never the foreign address" sh -c "! grep -q elsewhere '$H/out'"
finish
