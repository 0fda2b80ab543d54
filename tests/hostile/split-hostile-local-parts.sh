#!/bin/sh
# attack: local parts "..", "../../etc", "a/b", ".hidden" and "-rf"
# expect: refused (fallback) or passed on as data; never a field with a TAB, CR or LF (HOSTILE 35)
. "$(dirname "$0")/lib.sh"
i=0
for l in .. ../../etc a/b .hidden -rf; do
	i=$((i + 1))
	printf 'Delivered-To: %s@example.org\n\nb\n' "$l" | spool_msg "$i.M1P1.h" >/dev/null
done
t mdrop-split -d example.org "$H"/spool/new/*
want_no_crash
want_rc 0
want "five records of three fields" test "$(recs | awk -F'\t' 'NF == 3' | wc -l)" = 5
finish
