#!/bin/sh
# attack: "<>" and a source route "<@relay:u@example.org>" as envelope address
# expect: both refused -> fallback (HOSTILE 34)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: <>\n\nb\n' | spool_msg 1.M1P1.h)
q=$(printf 'Delivered-To: <@relay.test:alice@example.org>\n\nb\n' | spool_msg 2.M1P1.h)
t mdrop-split -d example.org "$p" "$q"
want_rc 0
want "two fallbacks" test "$(recs | cut -f2 | tr '\n' ' ')" = "postmaster@example.org postmaster@example.org "
finish
