#!/bin/sh
# attack: 100 000 header lines (quadratic-time bait)
# expect: linear time (well under the timeout), no crash, one record (HOSTILE 38)
. "$(dirname "$0")/lib.sh"
p=$({ printf 'Delivered-To: bob@example.org\n'; awk 'BEGIN { for (i = 0; i < 100000; i++) printf "X-H%d: v\n", i }'; printf '\nb\n'; } | spool_msg 1.M1P1.h)
REL_CASE_TIMEOUT=10 t mdrop-split -d example.org "$p"
want_no_crash
want "one record" test "$(recs | wc -l)" = 1
finish
