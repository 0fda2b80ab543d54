#!/bin/sh
# attack: RCPT for carol answered 452 (too many recipients)
# expect: DATA for the accepted ones (ok), carol defer; exit 75; a rerun delivers only carol (HOSTILE 49)
. "$(dirname "$0")/lib.sh"
lmtp_three
fake_lmtp --rcpt 'carol@example.org=452 4.5.3 too many recipients' --only-first
deliver_lmtp
want_rc 75
want "alice, bob ok; carol defer" test "$(results)" = "alice@example.org:ok bob@example.org:ok carol@example.org:defer "
deliver_lmtp
want_rc 0
want "the rerun sends only carol" test "$(cat "$H"/lmtp/conn-*.in | grep -c '^RCPT TO:<alice@example.org>')" = 1
finish
