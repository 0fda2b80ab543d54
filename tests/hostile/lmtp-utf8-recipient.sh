#!/bin/sh
# attack: Delivered-To: jörg@example.org (a UTF-8 local part, RFC 6531) through split and deliver -l to a server without SMTPUTF8
# expect: no UTF-8 byte is sent; that recipient fails with a reason saying the server lacks SMTPUTF8; exit 67; the message in SPOOL/failed with that .why (HOSTILE 81)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Return-Path: <s@remote.test>\nDelivered-To: j\303\266rg@example.org\nReceived: from isp\n\nbody\n' | spool_msg 1.M1P1.h)
fake_lmtp
mark
t sh -c "mdrop-split -d example.org '$p' | mdrop-deliver -l '$LMTP_EP'"
want_rc 67
want "fails saying why" test "$(cut -f3,4 "$H/out")" = "fail	UTF-8 address and the LMTP server $LMTP_EP lacks SMTPUTF8 (RFC 6531)"
want "no transaction at all" test "$(grep -cE '^(MAIL|RCPT|DATA)' "$H/lmtp/conn-1.in")" = 0
want "no 8-bit byte sent" test "$(LC_ALL=C tr -d '\000-\177' <"$H/lmtp/conn-1.in" | wc -c)" = 0
want "in SPOOL/failed with .why" test -f "$H/spool/failed/1.M1P1.h" -a ! -e "$p"
want ".why names SMTPUTF8" grep -q "lacks SMTPUTF8" "$H/spool/failed/1.M1P1.h.why"
outside_clean
finish
