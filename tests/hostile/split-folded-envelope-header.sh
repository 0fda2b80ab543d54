#!/bin/sh
# attack: the envelope header folded over three lines
# expect: unfolded first, then parsed: one record for the address (HOSTILE 31)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To:\n  \t carol@example.org\n   \nReceived: x\n\nb\n' | spool_msg 1.M1P1.h)
t mdrop-split -d example.org "$p"
want_rc 0
want "carol" test "$(recs | cut -f2)" = carol@example.org
finish
