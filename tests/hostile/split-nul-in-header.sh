#!/bin/sh
# attack: a NUL byte inside the envelope header's value and in a header name
# expect: no crash; the header is not trusted -> fallback; no NUL in any record (HOSTILE 36)
. "$(dirname "$0")/lib.sh"
p=$(printf 'X-A\000b: 1\nDelivered-To: alice\000bob@example.org\n\nb\n' | spool_msg 1.M1P1.h)
t mdrop-split -d example.org "$p"
want_no_crash
want_rc 0
want "fallback" test "$(recs | cut -f2)" = postmaster@example.org
want "no NUL in the output" sh -c "! tr -d '\\n\\t -~' <'$H/out' | grep -q ."
finish
