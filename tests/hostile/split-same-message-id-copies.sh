#!/bin/sh
# attack: two per-recipient copies with the same Message-ID
# expect: each copy goes to its own recipient; no dedupe on Message-ID (HOSTILE 45)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: alice@example.org\nMessage-ID: <same@x>\n\nb\n' | spool_msg 1.M1P1.h)
q=$(printf 'Delivered-To: bob@example.org\nMessage-ID: <same@x>\n\nb\n' | spool_msg 2.M1P1.h)
t mdrop-split -d example.org "$p" "$q"
want_rc 0
want "alice then bob" test "$(recs | cut -f2 | tr '\n' ' ')" = "alice@example.org bob@example.org "
finish
