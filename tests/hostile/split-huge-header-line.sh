#!/bin/sh
# attack: a single 1 MiB header line before the envelope header
# expect: caps, no crash, done in bounded time; still one record (HOSTILE 38)
. "$(dirname "$0")/lib.sh"
p=$({ printf 'X-Big: '; head -c 1048576 /dev/zero | tr '\0' a; printf '\nDelivered-To: alice@example.org\n\nb\n'; } | spool_msg 1.M1P1.h)
REL_CASE_TIMEOUT=10 t mdrop-split -d example.org "$p"
want_no_crash
want_rc 0 65
want "one record for this file" test "$(recs | cut -f1 | sort -u)" = "$p"
finish
