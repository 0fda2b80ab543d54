#!/bin/sh
# attack: one group with more distinct recipients than deliver takes (10000), none of whom has a Maildir (--no-create)
# expect: the record over the cap is "defer too-many-recipients" and logged as that; the group is tainted: the spool file stays in new/ (not moved to failed/ on the strength of a partial list); exit 67 (the others failed for good) (issue 14 case 3)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Subject: many\n\nb\n' | spool_msg 1.M1P1.h)
awk -v p="$p" 'BEGIN { for (i = 0; i <= 10000; i++) printf "%s\tu%d@example.org\t\n", p, i; print p }' >"$H/in"
mark
t sh -c "mdrop-deliver --no-create -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_rc 67
want_err "error: too-many-recipients path="
want "10001 result lines" test "$(wc -l <"$H/out")" = 10001
want "the last one deferred as too many" test "$(grep -c "$(printf '\tu10000@example.org\tdefer\ttoo-many-recipients')" "$H/out")" = 1
want "the spool file stays in new/" test -f "$p"
want "nothing in failed/" test "$(nfiles "$H/spool/failed")" = 0
outside_clean
finish
