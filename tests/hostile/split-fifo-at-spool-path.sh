#!/bin/sh
# attack: a FIFO (and a device, and a symlink) where a spool file should be; nobody ever writes to the FIFO
# expect: never blocks, never read: each reported "not a regular file" or "a symbolic link", no record for it, exit 66; the real message after them still gets its records (issue 17 case 7)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: bob@example.org\n\nb\n' | spool_msg 2.M1P1.h)
mkfifo "$H/spool/new/1.M1P1.h"
ln -s "$p" "$H/spool/new/3.M1P1.h"
printf '%s\n' "$H/spool/new/1.M1P1.h" /dev/zero "$H/spool/new/3.M1P1.h" "$p" >"$H/paths"
REL_CASE_TIMEOUT=10 t sh -c "mdrop-split -d example.org <'$H/paths'"
want_no_crash
want_rc 66
want_err "open path=$H/spool/new/1\.M1P1\.h error=\"not a regular file\""
want_err "open path=/dev/zero error=\"not a regular file\""
want_err "open path=$H/spool/new/3\.M1P1\.h error=\"a symbolic link\""
want "only the real message routed" test "$(recs | cut -f1,2 | tr '\t\n' ' |')" = "$p bob@example.org|"
finish
