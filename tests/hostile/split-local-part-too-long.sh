#!/bin/sh
# attack: a 65-octet local part and a 300-octet address
# expect: refused (RFC 5321 4.5.3.1) -> fallback (HOSTILE 39)
. "$(dirname "$0")/lib.sh"
l=$(head -c 65 /dev/zero | tr '\0' a)
d=$(head -c 280 /dev/zero | tr '\0' b)
p=$(printf 'Delivered-To: %s@example.org\n\nb\n' "$l" | spool_msg 1.M1P1.h)
q=$(printf 'Delivered-To: x@%s.example.org\n\nb\n' "$d" | spool_msg 2.M1P1.h)
t mdrop-split -d example.org "$p" "$q"
want_rc 0
want "both to the fallback" test "$(recs | cut -f2 | tr '\n' ' ')" = "postmaster@example.org postmaster@example.org "
finish
