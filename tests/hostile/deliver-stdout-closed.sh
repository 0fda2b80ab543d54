#!/bin/sh
# attack: the reader of deliver's result lines is gone (stdout /dev/full)
# expect: exit 74 or 75 with an error line; what was delivered is durable and not delivered twice on a rerun (HOSTILE 67)
. "$(dirname "$0")/lib.sh"
p=$(printf 'a\n' | spool_msg 1.M1P1.h)
{ rec "$p" alice@example.org; endrec "$p"; } >"$H/in"
timeout 20 mdrop-deliver -m "$H/mail/%d/%l/Maildir" <"$H/in" >/dev/full 2>"$H/err"
RC=$?
want_rc 74 75
want_err "^mdrop-deliver: error: "
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 0
want "alice exactly once" test "$(nfiles "$H/mail/example.org/alice/Maildir/new")" = 1
want "spool file gone" test ! -e "$p"
finish
