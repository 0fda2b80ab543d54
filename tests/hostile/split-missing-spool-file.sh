#!/bin/sh
# attack: a path on stdin whose file vanished, between two good ones
# expect: the missing file is named in an error; the others still get records; exit 66 (HOSTILE 62)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: bob@example.org\n\nb\n' | spool_msg 1.M1P1.h)
q=$(printf 'Delivered-To: carol@example.org\n\nb\n' | spool_msg 3.M1P1.h)
printf '%s\n%s\n%s\n' "$p" "$H/spool/new/2.M1P1.h" "$q" >"$H/paths"
t sh -c "mdrop-split -d example.org <'$H/paths'"
want_rc 66
want_err "2\.M1P1\.h"
want "bob and carol still routed" test "$(recs | cut -f2 | tr '\n' ' ')" = "bob@example.org carol@example.org "
finish
