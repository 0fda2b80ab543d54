#!/bin/sh
# attack: "+OK hello" (not LMTP) after DATA, and a reply line with a NUL
# expect: protocol error -> defer; exit 75; the spool file stays (HOSTILE 52)
. "$(dirname "$0")/lib.sh"
lmtp_three
fake_lmtp --after garbage
deliver_lmtp
want_rc 75
want "none ok" sh -c "! cut -f3 '$H/out' | grep -q '^ok'"
kill $H_PIDS; H_PIDS=; rm -f "$H/lmtp.ready"
fake_lmtp --after nul
deliver_lmtp
want_rc 75
want "spool file stays" test -f "$LP"
finish
