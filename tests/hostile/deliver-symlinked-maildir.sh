#!/bin/sh
# attack: the recipient's Maildir (and in a second case its new/) is a symlink to a directory outside the mail root
# expect: not followed (O_NOFOLLOW): refused, the path named; nothing written at the symlink's target; the message kept in SPOOL/failed (HOSTILE 60)
. "$(dirname "$0")/lib.sh"
p=$(printf 'a\n' | spool_msg 1.M1P1.h)
mkdir -p "$H/target/tmp" "$H/target/new" "$H/target/cur" "$H/mail/example.org/alice" \
    "$H/target2" "$H/mail/example.org/bob/Maildir/tmp" "$H/mail/example.org/bob/Maildir/cur"
ln -s "$H/target" "$H/mail/example.org/alice/Maildir"
ln -s "$H/target2" "$H/mail/example.org/bob/Maildir/new"
{ rec "$p" alice@example.org; rec "$p" bob@example.org; endrec "$p"; } >"$H/in"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 67 75 78
want "nothing at the targets" test "$(nfiles "$H/target")$(nfiles "$H/target2")" = 00
want "message kept in SPOOL/failed with its .why (nothing lost)" test -f "$H/spool/failed/1.M1P1.h" -a -f "$H/spool/failed/1.M1P1.h.why"
want_err "alice@example.org|example.org/alice"
outside_clean
finish
