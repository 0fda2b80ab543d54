#!/bin/sh
# attack: an empty (truncated to 0) spool file
# expect: no crash; delivered as the empty message it is, or deferred; never a half copy
. "$(dirname "$0")/lib.sh"
p=$(printf '' | spool_msg 1.M1P1.h)
{ rec "$p" alice@example.org; endrec "$p"; } >"$H/in"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_no_crash
want_rc 0 65 75
outside_clean
finish
