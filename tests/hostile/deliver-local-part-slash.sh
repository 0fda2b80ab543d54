#!/bin/sh
# attack: recipient "a/../../b@example.org" and "/abs@example.org"
# expect: never a path outside the mail root; refused; the message kept in SPOOL/failed
. "$(dirname "$0")/lib.sh"
p=$(printf 'a\n' | spool_msg 1.M1P1.h)
{ rec "$p" "a/../../b@example.org"; rec "$p" "/abs@example.org"; endrec "$p"; } >"$H/in"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 65 67 75 78
want "no /abs anywhere" test ! -e /abs
want "message kept in SPOOL/failed with its .why (nothing lost)" test -f "$H/spool/failed/1.M1P1.h" -a -f "$H/spool/failed/1.M1P1.h.why"
outside_clean
finish
