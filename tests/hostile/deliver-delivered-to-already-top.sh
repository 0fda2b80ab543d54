#!/bin/sh
# attack: the message's top line is already "Delivered-To: <the recipient>"
# expect: deliver does not add a second identical top line (HOSTILE 44)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: alice@example.org\nReturn-Path: <s@x>\n\nb\n' | spool_msg 1.M1P1.h)
{ rec "$p" alice@example.org "s@x"; endrec "$p"; } >"$H/in"
cp "$p" "$H/orig"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 0
f=$(find "$H/mail/example.org/alice/Maildir/new" -type f)
want "exactly one Delivered-To line" test "$(grep -c '^Delivered-To: alice@example.org$' "$f")" = 1
outside_clean
finish
