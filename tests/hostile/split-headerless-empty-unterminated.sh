#!/bin/sh
# attack: an empty message, a body-only message and one without a final newline
# expect: no crash; each routed to the fallback (HOSTILE 27)
. "$(dirname "$0")/lib.sh"
p=$(printf '' | spool_msg 1.M1P1.h)
q=$(printf 'just a body line\n' | spool_msg 2.M1P1.h)
r=$(printf 'Delivered-To: dave@example.org' | spool_msg 3.M1P1.h)
t mdrop-split -d example.org "$p" "$q" "$r"
want_no_crash
want_rc 0
want "three records" test "$(recs | wc -l)" = 3
want "empty and bodyless to fallback" test "$(recs | head -2 | cut -f2 | tr '\n' ' ')" = "postmaster@example.org postmaster@example.org "
finish
