#!/bin/sh
# attack: a quoted local part with a space and an @ inside
# expect: no crash; either the exact quoted address or the fallback, never a split at the inner @ (HOSTILE 33)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: "a b@evil.test"@example.org\n\nb\n' | spool_msg 1.M1P1.h)
t mdrop-split -d example.org "$p"
want_rc 0
want "never evil.test as domain" sh -c "! cut -f2 '$H/out' | grep -q '@evil.test\$'"
want "one record" test "$(recs | wc -l)" = 1
finish
