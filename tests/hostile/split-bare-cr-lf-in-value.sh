#!/bin/sh
# attack: a bare CR in the envelope value, meant to inject a second record line
# expect: never a CR, LF or TAB inside a record field -> fallback (HOSTILE 37)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: alice@example.org\rx\tmallory@example.org\n\nb\n' | spool_msg 1.M1P1.h)
t mdrop-split -d example.org "$p"
want_rc 0
want "exactly one line of three fields" test "$(recs | awk -F'\t' 'NF != 3 { bad = 1 } END { print NR, bad + 0 }')" = "1 0"
want "no CR" sh -c "! grep -q \"\$(printf '\\r')\" '$H/out'"
want "never mallory" sh -c "! grep -q mallory '$H/out'"
finish
