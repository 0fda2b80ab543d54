#!/bin/sh
# attack: qmail-style "example.org-user@example.org" and a prefix of another domain
# expect: --strip-prefix %d- strips exactly the address's own domain prefix (HOSTILE 42)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: example.org-erin@example.org\n\nb\n' | spool_msg 1.M1P1.h)
q=$(printf 'Delivered-To: other.test-erin@example.org\n\nb\n' | spool_msg 2.M1P1.h)
t mdrop-split -d example.org --strip-prefix %d- "$p" "$q"
want_rc 0
want "own prefix stripped, foreign kept" test "$(recs | cut -f2 | tr '\n' ' ')" = "erin@example.org other.test-erin@example.org "
finish
