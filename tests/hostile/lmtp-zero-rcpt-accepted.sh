#!/bin/sh
# attack: every RCPT refused with 451
# expect: no message data sent (a pipelined DATA is refused by the server); nothing marked done: all defer, exit 75, the spool file stays (HOSTILE 50)
. "$(dirname "$0")/lib.sh"
lmtp_three
fake_lmtp --rcpt 'alice@example.org=451 4.3.0 later' --rcpt 'bob@example.org=451 4.3.0 later' --rcpt 'carol@example.org=451 4.3.0 later'
deliver_lmtp
want_rc 75
want "no message data sent" sh -c "! grep -q '^Subject: lmtp' '$H'/lmtp/conn-*.in"
want "no message stored" test -z "$(ls "$H/lmtp" | grep '^msg-')"
want "all deferred" test "$(results)" = "alice@example.org:defer bob@example.org:defer carol@example.org:defer "
want "spool file stays" test -f "$LP"
finish
