#!/bin/sh
# attack: the server never answers after the final "."
# expect: --data-timeout (default 10 minutes, 2 s here) ends the wait: every recipient defer, exit 75, the spool file stays (HOSTILE 54)
. "$(dirname "$0")/lib.sh"
lmtp_three
fake_lmtp --after stall
deliver_lmtp --data-timeout 2
want_no_crash
want_rc 75
want "all deferred" test "$(results)" = "alice@example.org:defer bob@example.org:defer carol@example.org:defer "
want "spool file stays" test -f "$LP"
finish
