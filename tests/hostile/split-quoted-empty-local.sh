#!/bin/sh
# attack: '""@example.org' (empty quoted local part) as envelope address
# expect: refused -> fallback; never a record with an empty local part (HOSTILE 33)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: ""@example.org\n\nb\n' | spool_msg 1.M1P1.h)
t mdrop-split -d example.org "$p"
want_rc 0
want "fallback" test "$(recs | cut -f2)" = postmaster@example.org
want_err "fallback .*reason=bad-address"
finish
