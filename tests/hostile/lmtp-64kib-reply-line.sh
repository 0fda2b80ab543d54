#!/bin/sh
# attack: a 64 KiB reply line after DATA
# expect: line cap -> protocol error -> defer; exit 75; no crash (HOSTILE 52)
. "$(dirname "$0")/lib.sh"
lmtp_three
fake_lmtp --after long
deliver_lmtp
want_no_crash
want_rc 75
want "spool file stays" test -f "$LP"
finish
