#!/bin/sh
# attack: one envelope header listing a local and a foreign address
# expect: the local one gets a record; the foreign one is logged and dropped
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: bob@example.org, eve@elsewhere.test\n\nb\n' | spool_msg 1.M1P1.h)
t mdrop-split -d example.org "$p"
want_rc 0
want "only bob" test "$(recs | cut -f2)" = bob@example.org
want_err "elsewhere"
finish
