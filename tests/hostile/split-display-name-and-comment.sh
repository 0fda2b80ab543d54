#!/bin/sh
# attack: display name and comment around the envelope address
# expect: strict addr-spec inside the angle brackets is used; the comment cannot smuggle a second address (HOSTILE 32)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: "mallory@example.org" (bob@example.org) <dave@example.org>\n\nb\n' | spool_msg 1.M1P1.h)
t mdrop-split -d example.org "$p"
want_rc 0
want "only dave or the fallback" test -z "$(recs | cut -f2 | grep -vx -e dave@example.org -e postmaster@example.org)"
want "never mallory or bob" sh -c "! grep -q -e mallory -e bob '$H/out'"
finish
