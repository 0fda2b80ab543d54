#!/bin/sh
# attack: every reply after DATA comes as a two-line "250-" reply
# expect: still exactly one reply per RCPT: all three ok, exit 0, spool file gone (HOSTILE 46)
. "$(dirname "$0")/lib.sh"
lmtp_three
fake_lmtp --multiline
deliver_lmtp
want_rc 0
want "all ok" test "$(results)" = "alice@example.org:ok bob@example.org:ok carol@example.org:ok "
want "spool file gone" test ! -e "$LP"
finish
