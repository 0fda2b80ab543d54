#!/bin/sh
# attack: stdout is /dev/full
# expect: exit 74 with an error line; never a silent success
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: bob@example.org\n\nb\n' | spool_msg 1.M1P1.h)
timeout 20 mdrop-split -d example.org "$p" >/dev/full 2>"$H/err"
RC=$?
want_rc 74
want_err "^mdrop-split: error: "
finish
