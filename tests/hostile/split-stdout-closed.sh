#!/bin/sh
# attack: the reader of split's records goes away (closed pipe)
# expect: EPIPE is an error: exit 74 (or 75) with a log line; never a silent 0 (HOSTILE 67)
. "$(dirname "$0")/lib.sh"
printf 'Delivered-To: bob@example.org\n\nb\n' | spool_msg 0.M1P1.h >/dev/null
i=1
while [ $i -le 2000 ]; do printf 'Delivered-To: bob@example.org\n\nb\n' >"$H/spool/new/$i.M1P1.h"; i=$((i + 1)); done
ls "$H"/spool/new/* >"$H/paths"
timeout 20 sh -c "mdrop-split -d example.org <'$H/paths' 2>'$H/err'; echo \$? >'$H/rc'" | head -c 1 >/dev/null
RC=$(cat "$H/rc")
want_rc 74 75
want_err "^mdrop-split: error: "
finish
