#!/bin/sh
# attack: several Delivered-To lines at the top (forwarding chain)
# expect: -n 2 picks the second from the top, exactly like fetchmail's "envelope 2" (HOSTILE 30)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: first@example.org\nDelivered-To: second@example.org\nReceived: x\n\nb\n' | spool_msg 1.M1P1.h)
t mdrop-split -d example.org -n 2 "$p"
want_rc 0
want "second occurrence" test "$(recs | cut -f2)" = second@example.org
t mdrop-split -d example.org "$p"
want "default: the first" test "$(recs | cut -f2)" = first@example.org
finish
