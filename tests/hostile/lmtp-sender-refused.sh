#!/bin/sh
# attack: the LMTP server refuses the envelope sender with 553 (and would take <>)
# expect: one retry of the transaction with MAIL FROM:<>, logged; all delivered once; exit 0; spool file removed
. "$(dirname "$0")/lib.sh"
lmtp_three
fake_lmtp --mail-from 's@remote.test=553 5.1.8 Sender domain refused'
mark
deliver_lmtp --lmtp-group
want_rc 0
want "all ok" test "$(results)" = "alice@example.org:ok bob@example.org:ok carol@example.org:ok "
want "MAIL FROM:<s@remote.test>, then <>" test "$(tr -d '\r' <"$H/lmtp/conn-1.in" | grep '^MAIL' | tr '\n' ';')" = 'MAIL FROM:<s@remote.test>;MAIL FROM:<>;'
want "the message received once" test -f "$H/lmtp/msg-1" -a ! -e "$H/lmtp/msg-2"
want_err 'lmtp-null-sender .*sender=s@remote.test reason="553 5.1.8 Sender domain refused"'
want "spool file removed" test ! -e "$LP" -a ! -e "$H/spool/failed/1.M1P1.h"
outside_clean
finish
