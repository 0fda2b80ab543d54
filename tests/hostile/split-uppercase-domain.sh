#!/bin/sh
# attack: "Alice@EXAMPLE.ORG"
# expect: domain lower-cased in the record, local part kept as received (HOSTILE 41)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: Alice@EXAMPLE.ORG\n\nb\n' | spool_msg 1.M1P1.h)
t mdrop-split -d example.org "$p"
want_rc 0
want "Alice@example.org" test "$(recs | cut -f2)" = Alice@example.org
finish
