#!/bin/sh
# attack: no envelope header at all, but To: and Cc: name local users
# expect: fallback recipient with a logged reason; To:/Cc: never route (HOSTILE 29)
. "$(dirname "$0")/lib.sh"
p=$(printf 'To: alice@example.org\nCc: bob@example.org\n\nbody\n' | spool_msg 1.M1P1.h)
t mdrop-split -d example.org -f fb@example.org "$p"
want_rc 0
want "only the fallback" test "$(recs | cut -f2)" = fb@example.org
want_err "reason=no-envelope-header"
finish
