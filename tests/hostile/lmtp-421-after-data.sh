#!/bin/sh
# attack: "421 shutting down" instead of the replies after DATA
# expect: every recipient without a 2xx is defer; exit 75; the spool file stays (HOSTILE 51)
. "$(dirname "$0")/lib.sh"
lmtp_three
fake_lmtp --after 421
deliver_lmtp
want_rc 75
want "all deferred" test "$(results)" = "alice@example.org:defer bob@example.org:defer carol@example.org:defer "
want "spool file stays" test -f "$LP"
finish
