#!/bin/sh
# attack: a sender forges "Delivered-To: boss@" below the ISP's Received: line
# expect: only occurrences above the first Received: count -> fallback, logged; the forged address never gets a record (HOSTILE 28)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Received: from evil by isp\nDelivered-To: boss@example.org\nSubject: x\n\nbody\n' | spool_msg 1.M1P1.h)
t mdrop-split -d example.org "$p"
want_rc 0
want "record goes to the fallback" test "$(recs)" = "$(printf '%s\tpostmaster@example.org\t' "$p")"
want_err "fallback path=.*1.M1P1.h reason=no-envelope-header ignored-below-received=yes"
finish
