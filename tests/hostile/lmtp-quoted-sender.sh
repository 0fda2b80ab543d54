#!/bin/sh
# attack: Return-Path: <"john smith"@remote.test> and <"a>b"@remote.test> (quoted local parts, valid RFC 5321) through split and deliver -l
# expect: MAIL FROM carries each as it came; both delivered, exit 0, spool files removed, nothing in SPOOL/failed (HOSTILE 81)
. "$(dirname "$0")/lib.sh"
p1=$(printf 'Return-Path: <"john smith"@remote.test>\nDelivered-To: alice@example.org\nReceived: from isp\n\nbody\n' | spool_msg 1.M1P1.h)
p2=$(printf 'Return-Path: <"a>b"@remote.test>\nDelivered-To: bob@example.org\nReceived: from isp\n\nbody\n' | spool_msg 2.M2P2.h)
fake_lmtp
mark
t sh -c "mdrop-split -d example.org '$p1' '$p2' | mdrop-deliver -l '$LMTP_EP'"
want_rc 0
want "both ok" test "$(results)" = "alice@example.org:ok bob@example.org:ok "
# (over one session or several: --lmtp-sessions)
want "the senders as they came" test "$(cat "$H"/lmtp/conn-*.in | tr -d '\r' | grep '^MAIL' | LC_ALL=C sort | tr '\n' ';')" = 'MAIL FROM:<"a>b"@remote.test>;MAIL FROM:<"john smith"@remote.test>;'
want "two messages received" test -f "$H/lmtp/msg-2"
want "spool files removed, nothing failed" test ! -e "$p1" -a ! -e "$p2" -a -z "$(ls "$H/spool/failed")"
outside_clean
finish
