#!/bin/sh
# attack: invalid UTF-8 and an odd IDN in the envelope address
# expect: refused -> fallback; no raw 8-bit byte in the record (HOSTILE 40)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: al\377ice@example.org\n\nb\n' | spool_msg 1.M1P1.h)
q=$(printf 'Delivered-To: alice@ex\342\200\256ample.org\n\nb\n' | spool_msg 2.M1P1.h)
t mdrop-split -d example.org "$p" "$q"
want_rc 0
want "both to the fallback" test "$(recs | cut -f2 | tr '\n' ' ')" = "postmaster@example.org postmaster@example.org "
finish
