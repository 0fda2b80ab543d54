#!/bin/sh
# attack: stdin closed at once (empty input) and stdin a closed fd
# expect: exit 0, nothing done, no crash (HOSTILE 66, 69)
. "$(dirname "$0")/lib.sh"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' </dev/null"
want_rc 0
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <&-"
want_no_crash
want_rc 0 66 74
want "nothing delivered" test "$(nfiles "$H/mail")" = 0
outside_clean
finish
