#!/bin/sh
# mdrop-deliver -l against the scripted fake LMTP server (tests/lib/fake_lmtp.py):
# what goes over the wire, byte for byte, and what every hostile reply
# pattern (HOSTILE.md 46-54) does to results, exit code and spool.
. "$(dirname "$0")/../lib/tap.sh"

FAKE=$TOP/tests/lib/fake_lmtp.py
_nfake=0

# start_fake ARGS...: sets EP (endpoint) and REC (its record dir).
start_fake() {
	_nfake=$((_nfake + 1))
	REC=$TESTDIR/fake$_nfake
	python3 "$FAKE" --ready "$REC.ready" --record "$REC" "$@" \
	    2>"$REC.err" &
	_pid=$!
	at_exit "kill $_pid"
	_i=0
	while [ ! -s "$REC.ready" ] && [ $_i -lt 100 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	EP=127.0.0.1:$(cat "$REC.ready")
}

# new_spool: a fresh SPOOL with one message NAME=m1 holding $1 (printf).
new_spool() {
	SPOOL=$(mktemp -d "$TESTDIR/spool.XXXXXX")
	mkdir "$SPOOL/tmp" "$SPOOL/new" "$SPOOL/failed"
	chmod 700 "$SPOOL"
	printf "$1" > "$SPOOL/new/m1"
	M=$SPOOL/new/m1
}

# deliver RECORDS ARGS...: runs mdrop-deliver; sets RC, OUT (stdout file).
deliver() {
	_recs=$1; shift
	OUT=$TESTDIR/out.$_nfake
	printf "$_recs" | ends | mdrop-deliver --lhlo t.test --timeout 5 "$@" \
	    >"$OUT" 2>"$OUT.err"
	RC=$?
}

T=$(printf '\t')
# results: "RCPT RESULT" per output line.
results() { cut -f2,3 "$OUT" | tr '\t' ' ' | tr '\n' ';'; }

# 1. Pipelining, grouped, multi-line replies, 8-bit body; byte-exact wire.
new_spool 'Subject: caf\303\251\n\n.hidden\nline\r\nbare\rcr\n.\n'
start_fake --multiline
deliver "$M\ta@example.org\ts@x.org\n$M\tb@example.org\ts@x.org\n" \
    -l "$EP" --lmtp-group
is "$RC" 0 "multi-line: exit 0"
is "$(results)" "a@example.org ok;b@example.org ok;" "multi-line: one result per recipient"
is "$(cut -f4 "$OUT" | head -n 1)" \
    "250 2.0.0 <a@example.org> Saved (first line) 2.0.0 <a@example.org> Saved" \
    "multi-line: detail holds both lines, no TAB"
printf 'LHLO t.test\r\nMAIL FROM:<s@x.org> BODY=8BITMIME\r\nRCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: caf\303\251\r\n\r\n..hidden\r\nline\r\nbare\r\ncr\r\n..\r\n.\r\nQUIT\r\n' > "$TESTDIR/want1"
is_file_bytes "$REC/conn-1.in" "$TESTDIR/want1" "multi-line: exact commands, CRLF + dot-stuffed data"
printf 'Subject: caf\303\251\r\n\r\n.hidden\r\nline\r\nbare\r\ncr\r\n.\r\n' > "$TESTDIR/want1m"
is_file_bytes "$REC/msg-1" "$TESTDIR/want1m" "multi-line: the server got the message once"
ok "multi-line: spool file removed" test ! -e "$M"

# 2. Default: one transaction per recipient (Delivered-To); null sender;
#    no BODY= without 8BITMIME, SIZE= only when announced.
new_spool 'Subject: plain\n\nx'
start_fake --caps "PIPELINING SIZE 1000000"
size=$(wc -c < "$M")
deliver "$M\ta@example.org\t\n$M\tb@example.org\t\n" -l "$EP"
is "$RC" 0 "per-recipient: exit 0"
is "$(tr -d '\r' < "$REC/conn-1.in" | grep -c "^MAIL FROM:<> SIZE=$size\$")" 2 "per-recipient: two transactions, SIZE= when announced"
is "$(grep -c 'RCPT TO' "$REC/conn-1.in")" 2 "per-recipient: one RCPT each"
ok "per-recipient: two messages received" test -f "$REC/msg-2"
printf 'Subject: plain\r\n\r\nx\r\n' > "$TESTDIR/want2"
is_file_bytes "$REC/msg-2" "$TESTDIR/want2" "per-recipient: missing last newline added"

# 3. 452 for one RCPT: DATA for the others; that one deferred and, on the
#    rerun, the only one sent.
new_spool 'Subject: full\n\nbody\n'
start_fake --rcpt 'b@example.org=452 4.2.2 Mailbox full'
deliver "$M\ta@example.org\ts@x.org\n$M\tb@example.org\ts@x.org\n$M\tc@example.org\ts@x.org\n" \
    -l "$EP" --lmtp-group
is "$RC" 75 "452: exit 75"
is "$(results)" "a@example.org ok;b@example.org defer;c@example.org ok;" "452: b deferred, a and c ok"
is "$(grep "b@example.org" "$OUT" | cut -f4)" "452 4.2.2 Mailbox full" "452: detail is the server's reply"
ok "452: message stays in the spool" test -f "$M"
start_fake
deliver "$M\ta@example.org\ts@x.org\n$M\tb@example.org\ts@x.org\n$M\tc@example.org\ts@x.org\n" \
    -l "$EP" --lmtp-group
is "$RC" 0 "452 rerun: exit 0"
is "$(grep -c 'RCPT TO' "$REC/conn-1.in") $(grep 'RCPT TO' "$REC/conn-1.in" | tr -d '\r')" \
    "1 RCPT TO:<b@example.org>" "452 rerun: only b is sent again"
ok "452 rerun: spool file removed" test ! -e "$M"

# 4. Fewer replies after DATA, then EOF: the one without a reply is tried
#    on the next endpoint, the others are not sent there again.
new_spool 'Subject: fewer\n\nbody\n'
start_fake --after fewer; EP1=$EP; REC1=$REC
start_fake; EP2=$EP; REC2=$REC
deliver "$M\ta@example.org\t\n$M\tb@example.org\t\n$M\tc@example.org\t\n" \
    -l "$EP1" -l "$EP2" --lmtp-group
is "$RC" 0 "fewer: exit 0 after failover"
is "$(results)" "a@example.org ok;b@example.org ok;c@example.org ok;" "fewer: all ok"
is "$(grep 'RCPT TO' "$REC2/conn-1.in" | tr -d '\r')" "RCPT TO:<c@example.org>" \
    "fewer: only c retried on the next endpoint"
ok "fewer: spool file removed" test ! -e "$M"

# 5. Fewer replies with a single endpoint: deferred, message kept.
new_spool 'Subject: fewer\n\nbody\n'
start_fake --after fewer
deliver "$M\ta@example.org\t\n$M\tb@example.org\t\n" -l "$EP" --lmtp-group
is "$RC" 75 "fewer, one endpoint: exit 75"
is "$(results)" "a@example.org ok;b@example.org defer;" "fewer, one endpoint: b deferred"
ok "fewer, one endpoint: message stays" test -f "$M"

# 6. More replies than recipients: out of step, session closed; the next
#    message gets a new session.
new_spool 'Subject: more\n\nbody\n'
printf 'Subject: second\n\nbody\n' > "$SPOOL/new/m2"
start_fake --after more --only-first
deliver "$M\ta@example.org\t\n$M\tb@example.org\t\n$SPOOL/new/m2\tc@example.org\t\n" \
    -l "$EP" --lmtp-group
is "$(results)" "a@example.org ok;b@example.org ok;c@example.org ok;" "more: replies counted, all ok"
ok "more: out of step is logged" grep -q 'lmtp-out-of-step' "$OUT.err"
ok "more: a new session for the next message" test -f "$REC/conn-2.in"
is "$(grep -c MAIL "$REC/conn-2.in")" 1 "more: second message once, on the new session"

# 7. 421 mid-session (at RCPT): nothing delivered there; next endpoint.
new_spool 'Subject: 421\n\nbody\n'
start_fake --rcpt 'b@example.org=421 4.3.2 Shutting down'; EP1=$EP; REC1=$REC
start_fake; EP2=$EP; REC2=$REC
deliver "$M\ta@example.org\t\n$M\tb@example.org\t\n" -l "$EP1" -l "$EP2" --lmtp-group
is "$RC" 0 "421: exit 0 after failover"
ok "421: no data sent to the first endpoint" test ! -e "$REC1/msg-1"
is "$(grep -c RCPT "$REC2/conn-1.in")" 2 "421: both recipients on the next endpoint"
# ... and with no other endpoint: deferred.
new_spool 'Subject: 421\n\nbody\n'
start_fake --after 421
deliver "$M\ta@example.org\t\n" -l "$EP"
is "$RC" 75 "421 after DATA, one endpoint: exit 75"
is "$(results)" "a@example.org defer;" "421 after DATA: deferred"
ok "421 after DATA: message stays" test -f "$M"

# 8. Garbage, NUL, a 64 KiB line after DATA: protocol error, deferred,
#    never retried on another endpoint (the server may have delivered).
for mode in garbage nul long; do
	new_spool 'Subject: g\n\nbody\n'
	start_fake --after $mode; EP1=$EP
	start_fake; REC2=$REC; EP2=$EP
	deliver "$M\ta@example.org\t\n$M\tb@example.org\t\n" -l "$EP1" -l "$EP2" --lmtp-group
	is "$RC" 75 "$mode: exit 75"
	is "$(results)" "a@example.org defer;b@example.org defer;" "$mode: all deferred"
	ok "$mode: detail names the protocol error" grep -q "protocol error" "$OUT"
	ok "$mode: not retried on the next endpoint" test ! -e "$REC2/conn-1.in"
	ok "$mode: message stays" test -f "$M"
done

# 9. A server that stalls after the final ".": --data-timeout fires.
new_spool 'Subject: slow\n\nbody\n'
start_fake --after stall
t0=$(date +%s)
deliver "$M\ta@example.org\t\n" -l "$EP" --data-timeout 1
t1=$(date +%s)
is "$RC" 75 "stall: exit 75"
is "$(results)" "a@example.org defer;" "stall: deferred"
ok "stall: detail says timeout" grep -q "timeout" "$OUT"
ok "stall: message stays in the spool" test -f "$M"
ok "stall: gave up within 4 s" test $((t1 - t0)) -le 4

# 10. No RCPT accepted: no message data; without PIPELINING not even DATA.
new_spool 'Subject: none\n\nbody\n'
start_fake --caps ENHANCEDSTATUSCODES --rcpt 'a@example.org=550 5.1.1 Unknown' \
    --rcpt 'b@example.org=450 4.2.1 Busy'
deliver "$M\ta@example.org\t\n$M\tb@example.org\t\n" -l "$EP" --lmtp-group
is "$RC" 67 "none accepted: exit 67 (a failure wins over a deferral)"
is "$(results)" "a@example.org fail;b@example.org defer;" "none accepted: per-recipient results"
ok "none accepted: no DATA command" sh -c "! grep -q DATA '$REC/conn-1.in'"
ok "none accepted: no message" test ! -e "$REC/msg-1"
ok "none accepted: message stays (b pending)" test -f "$M"

# 11. Failover: a dead socket and a 421 greeting before the live endpoint.
new_spool 'Subject: failover\n\nbody\n'
start_fake --greeting '421 4.3.2 Too busy'; EP1=$EP; REC1=$REC
start_fake; EP2=$EP; REC2=$REC
deliver "$M\ta@example.org\t\n" -l "unix:$TESTDIR/no-such-socket" -l "$EP1" -l "$EP2"
is "$RC" 0 "failover: exit 0"
is "$(results)" "a@example.org ok;" "failover: delivered"
ok "failover: 421 greeting got no command" test ! -s "$REC1/conn-1.in"
is "$(grep -c 'RCPT' "$REC2/conn-1.in")" 1 "failover: delivered once, on the live endpoint"
ok "failover: dead endpoint logged" grep -q "no-such-socket" "$OUT.err"

# 12. One session for several messages, over a unix socket
#     (--lmtp-sessions 1: one session carries them one after the other).
new_spool 'Subject: one\n\nbody\n'
printf 'Subject: two\n\nbody\n' > "$SPOOL/new/m2"
_nfake=$((_nfake + 1)); REC=$TESTDIR/fake$_nfake
python3 "$FAKE" --ready "$REC.ready" --record "$REC" --unix "$TESTDIR/lmtp.sock" &
_p=$!; at_exit "kill $_p"
_i=0; while [ ! -s "$REC.ready" ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
deliver "$M\ta@example.org\t\n$SPOOL/new/m2\tb@example.org\t\n" -l "unix:$TESTDIR/lmtp.sock" \
    --lmtp-sessions 1
is "$RC" 0 "unix socket: exit 0"
ok "unix socket: one session" test ! -e "$REC/conn-2.in"
is "$(grep -c '^MAIL' "$REC/conn-1.in") $(grep -c '^QUIT' "$REC/conn-1.in")" "2 1" \
    "unix socket: two transactions, then QUIT"
ok "unix socket: both spool files removed" test ! -e "$M" -a ! -e "$SPOOL/new/m2"

# 13. Reconnect transparently to the same endpoint: the server closed the
#     idle session, or drops it at the next MAIL (before any data).
new_spool 'Subject: one\n\nbody\n'
printf 'Subject: two\n\nbody\n' > "$SPOOL/new/m2"
start_fake --close-after-msg --only-first
OUT=$TESTDIR/out.idle
{ printf '%s\ta@example.org\t\n%s\n' "$M" "$M"; sleep 0.5
  printf '%s\tb@example.org\t\n%s\n' "$SPOOL/new/m2" "$SPOOL/new/m2"; } |
    mdrop-deliver --timeout 5 -l "$EP" >"$OUT" 2>"$OUT.err"
is "$?" 0 "idle close: exit 0"
is "$(results)" "a@example.org ok;b@example.org ok;" "idle close: both ok"
is "$(grep -c MAIL "$REC/conn-1.in") $(grep -c MAIL "$REC/conn-2.in")" "1 1" \
    "idle close: second message on a new session"
new_spool 'Subject: one\n\nbody\n'
printf 'Subject: two\n\nbody\n' > "$SPOOL/new/m2"
start_fake --drop-at-mail 2 --only-first
deliver "$M\ta@example.org\t\n$SPOOL/new/m2\tb@example.org\t\n" -l "$EP"
is "$RC" 0 "dropped at MAIL: exit 0"
is "$(results)" "a@example.org ok;b@example.org ok;" "dropped at MAIL: both ok"
is "$(ls "$REC" | tr '\n' ' ')" "conn-1.in conn-2.in msg-1 msg-2 " \
    "dropped at MAIL: reconnected once, each message received once"
# ... also between the transactions of one message (one per recipient).
new_spool 'Subject: one\n\nbody\n'
start_fake --drop-at-mail 2 --only-first
deliver "$M\ta@example.org\t\n$M\tb@example.org\t\n" -l "$EP"
is "$RC" 0 "dropped at second MAIL of a message: exit 0"
is "$(results)" "a@example.org ok;b@example.org ok;" "dropped at second MAIL: both ok"
is "$(grep RCPT "$REC/conn-2.in" | tr -d '\r')" "RCPT TO:<b@example.org>" \
    "dropped at second MAIL: only b on the new session"

# 14. 100 recipients in one transaction: pipelined in windows, replies
#     counted across them (records that arrive together share one
#     transaction: all fit in one read); u70 refused, the others accepted, one DATA.
# many_rcpts LABEL FAKE-ARGS...: message "many" to u1..u100 in one
#     transaction, u70 refused by the fake; exit 67, 99 ok, u70 failed.
many_rcpts() {
	_label=$1; shift
	new_spool 'Subject: many\n\nbody\n'
	start_fake --rcpt 'u70@example.org=550 5.1.1 Unknown' "$@"
	OUT=$TESTDIR/out.many$_nfake
	i=1; while [ $i -le 100 ]; do
		printf '%s\tu%d@example.org\t\n' "$M" $i; i=$((i + 1))
	done | ends > "$TESTDIR/many.rec"
	mdrop-deliver --timeout 5 --lmtp-group -l "$EP" <"$TESTDIR/many.rec" \
	    >"$OUT" 2>"$OUT.err"
	is "$?" 67 "$_label: exit 67"
	is "$(grep -c "${T}ok${T}" "$OUT") $(grep "${T}fail${T}" "$OUT" | cut -f2)" \
	    "99 u70@example.org" "$_label: 99 ok, u70 failed"
}
many_rcpts "100 recipients"
is "$(grep -c RCPT "$REC/conn-1.in") $(grep -c DATA "$REC/conn-1.in")" "100 1" \
    "100 recipients: one transaction"
ok "100 recipients: message received once" test -f "$REC/msg-1" -a ! -e "$REC/msg-2"

# 15. A quoted sender goes out as it came (RFC 5321 Quoted-string); a
#     5xx to it is answered by one retry with MAIL FROM:<>, which then
#     serves the message's other transactions too (logged).
new_spool 'Subject: quoted\n\nbody\n'
start_fake --mail-from '"john smith"@remote.test=553 5.1.7 Bad sender'
deliver "$M\ta@example.org\t\"john smith\"@remote.test\n$M\tb@example.org\t\"john smith\"@remote.test\n" -l "$EP"
is "$RC" 0 "sender 5xx: exit 0"
is "$(results)" "a@example.org ok;b@example.org ok;" "sender 5xx: both delivered"
printf 'LHLO t.test\r\nMAIL FROM:<"john smith"@remote.test>\r\nRCPT TO:<a@example.org>\r\nDATA\r\nRSET\r\nMAIL FROM:<>\r\nRCPT TO:<a@example.org>\r\nDATA\r\nSubject: quoted\r\n\r\nbody\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: quoted\r\n\r\nbody\r\n.\r\nQUIT\r\n' > "$TESTDIR/want15"
is_file_bytes "$REC/conn-1.in" "$TESTDIR/want15" \
    "sender 5xx: quoted sender sent as it came, then one retry with <>"
is "$(grep -c 'lmtp-null-sender' "$OUT.err")" 1 "sender 5xx: logged once"
ok "sender 5xx: the log names the sender and the reply" grep -q \
    'lmtp-null-sender .*sender="\\"john smith\\"@remote.test" reason="553 5.1.7 Bad sender"' "$OUT.err"
ok "sender 5xx: spool file removed, nothing in failed/" \
    test ! -e "$M" -a ! -e "$SPOOL/failed/m1"
#     ... grouped, with "a>b": one retry for the one transaction.
new_spool 'Subject: quoted\n\nbody\n'
start_fake --mail-from '"a>b"@remote.test=550 5.7.1 No'
deliver "$M\ta@example.org\t\"a>b\"@remote.test\n$M\tb@example.org\t\"a>b\"@remote.test\n" -l "$EP" --lmtp-group
is "$RC" 0 "sender 5xx grouped: exit 0"
is "$(tr -d '\r' < "$REC/conn-1.in" | grep '^MAIL' | tr '\n' ';')" \
    'MAIL FROM:<"a>b"@remote.test>;MAIL FROM:<>;' "sender 5xx grouped: one retry"
is "$(grep -c RCPT "$REC/conn-1.in") $(ls "$REC" | tr '\n' ' ')" \
    "4 conn-1.in msg-1 " "sender 5xx grouped: the message sent once"
#     ... a 5xx to <> as well: no third try; the recipient fails with it.
new_spool 'Subject: refused\n\nbody\n'
start_fake --mail '550 5.7.1 Not from you'
deliver "$M\ta@example.org\ts@x.org\n" -l "$EP"
is "$RC" 67 "sender and <> refused: exit 67"
is "$(results) $(cut -f4 "$OUT")" "a@example.org fail; 550 5.7.1 Not from you" \
    "sender and <> refused: fails with the reply to <>"
is "$(tr -d '\r' < "$REC/conn-1.in" | grep '^MAIL' | tr '\n' ';')" \
    'MAIL FROM:<s@x.org>;MAIL FROM:<>;' "sender and <> refused: two tries only"
ok "sender and <> refused: message in failed/" test -f "$SPOOL/failed/m1" -a ! -e "$M"
#     ... a 4xx is no reason to drop the sender: deferred, no retry.
new_spool 'Subject: later\n\nbody\n'
start_fake --mail '451 4.3.0 Try later'
deliver "$M\ta@example.org\ts@x.org\n" -l "$EP"
is "$RC" 75 "sender 4xx: exit 75"
is "$(results)" "a@example.org defer;" "sender 4xx: deferred"
is "$(grep -c '^MAIL' "$REC/conn-1.in")" 1 "sender 4xx: no retry with <>"
ok "sender 4xx: nothing logged about the sender" sh -c "! grep -q lmtp-null-sender '$OUT.err'"

# 16. UTF-8 addresses (RFC 6531) to a server that announces SMTPUTF8: sent
#     as they are, SMTPUTF8 on the MAIL FROM of the transactions that hold one.
new_spool 'Subject: utf8\n\nbody\n'
start_fake --caps "PIPELINING SMTPUTF8"
deliver "$M\tj\303\266rg@example.org\ts@x.org\n$M\ta@example.org\ts@x.org\n" -l "$EP"
is "$RC" 0 "SMTPUTF8: exit 0"
is "$(results)" "j$(printf '\303\266')rg@example.org ok;a@example.org ok;" "SMTPUTF8: both delivered"
is "$(tr -d '\r' < "$REC/conn-1.in" | grep -E '^(MAIL|RCPT)' | tr '\n' ';')" \
    "MAIL FROM:<s@x.org> SMTPUTF8;RCPT TO:<j$(printf '\303\266')rg@example.org>;MAIL FROM:<s@x.org>;RCPT TO:<a@example.org>;" \
    "SMTPUTF8: the parameter only with the UTF-8 recipient"
new_spool 'Subject: utf8\n\nbody\n'
start_fake --caps "PIPELINING SMTPUTF8"
deliver "$M\ta@example.org\tj\303\266rg@remote.test\n" -l "$EP"
is "$RC $(tr -d '\r' < "$REC/conn-1.in" | grep '^MAIL')" \
    "0 MAIL FROM:<j$(printf '\303\266')rg@remote.test> SMTPUTF8" "SMTPUTF8: a UTF-8 sender as it is"

# 17. Without SMTPUTF8: a UTF-8 recipient fails alone, for good, with a
#     reason that says so, and never goes over the wire; a UTF-8 sender
#     becomes <> (logged).
new_spool 'Subject: utf8\n\nbody\n'
start_fake
deliver "$M\tj\303\266rg@example.org\tj\303\266rg@remote.test\n$M\ta@example.org\tj\303\266rg@remote.test\n" -l "$EP"
is "$RC" 67 "no SMTPUTF8: exit 67"
is "$(results)" "j$(printf '\303\266')rg@example.org fail;a@example.org ok;" \
    "no SMTPUTF8: the UTF-8 recipient fails, the other is delivered"
is "$(grep fail "$OUT" | cut -f4)" \
    "UTF-8 address and the LMTP server $EP lacks SMTPUTF8 (RFC 6531)" \
    "no SMTPUTF8: the reason says the server lacks SMTPUTF8"
printf 'LHLO t.test\r\nMAIL FROM:<>\r\nRCPT TO:<a@example.org>\r\nDATA\r\nSubject: utf8\r\n\r\nbody\r\n.\r\nQUIT\r\n' > "$TESTDIR/want17"
is_file_bytes "$REC/conn-1.in" "$TESTDIR/want17" \
    "no SMTPUTF8: no UTF-8 on the wire, no SMTPUTF8 parameter, sender <>"
ok "no SMTPUTF8: the sender's replacement is logged" grep -q \
    'lmtp-null-sender .*reason="UTF-8 address and the server lacks SMTPUTF8"' "$OUT.err"
ok "no SMTPUTF8: message in failed/" test -f "$SPOOL/failed/m1" -a ! -e "$M"
ok "no SMTPUTF8: .why gives the reason" grep -q "lacks SMTPUTF8" "$SPOOL/failed/m1.why"

# 18. --lmtp-sessions N: N messages in flight at once. The fake holds
#     every reply after "." until 4 messages have arrived, so a client with
#     fewer in flight would get "451 not gathered" after 20 s.
# new_files N: a fresh spool with messages m1..mN ("Subject: mI"); RECS
#     gets one record for recipient uI@example.org each, then the end lines.
new_files() {
	new_spool 'Subject: m1\n\nbody 1\n'
	RECS=
	_i=1
	while [ $_i -le "$1" ]; do
		printf 'Subject: m%d\n\nbody %d\n' $_i $_i > "$SPOOL/new/m$_i"
		RECS="$RECS$SPOOL/new/m$_i\tu$_i@example.org\t\n"
		_i=$((_i + 1))
	done
}
new_files 4
start_fake --gather 4
deliver "$RECS" -l "$EP" --lmtp-sessions 4
is "$RC" 0 "4 sessions: exit 0"
is "$(results)" "u1@example.org ok;u2@example.org ok;u3@example.org ok;u4@example.org ok;" \
    "4 sessions: every message ok, one result line per record, in input order"
is "$(cut -f1 "$OUT" | tr '\n' ' ')" "$SPOOL/new/m1 $SPOOL/new/m2 $SPOOL/new/m3 $SPOOL/new/m4 " \
    "4 sessions: result lines name the files in input order"
is "$(ls "$REC" | grep -c '^conn-') $(cat "$REC"/conn-*.in | grep -c '^MAIL')" "4 4" \
    "4 sessions: four sessions, one transaction each"
is "$(for f in "$REC"/msg-*; do tr -d '\r' < "$f"; echo; done | grep '^Subject' | sort | tr '\n' ' ')" \
    "Subject: m1 Subject: m2 Subject: m3 Subject: m4 " "4 sessions: each message received once"
ok "4 sessions: every spool file removed" test -z "$(ls "$SPOOL/new")"
ok "4 sessions: nothing waited for a reply the fake held back" sh -c "! grep -q 'not gathered' '$OUT'"
#     ... each session ends with QUIT.
is "$(cat "$REC"/conn-*.in | tr -d '\r' | grep -c '^QUIT$')" 4 "4 sessions: each session ends with QUIT"

# 19. One session cut off mid-DATA while the others succeed: only that
#     message's file stays, its recipient deferred; the others are ok and
#     their files removed.
new_files 3
start_fake --gather 2 --close-mid-data u2@example.org
deliver "$RECS" -l "$EP" --lmtp-sessions 3
is "$RC" 75 "cut mid-DATA: exit 75"
is "$(results)" "u1@example.org ok;u2@example.org defer;u3@example.org ok;" \
    "cut mid-DATA: that message deferred, the others ok, in input order"
is "$(ls "$SPOOL/new" | tr '\n' ' ')" "m2 " "cut mid-DATA: only its spool file stays"
ok "cut mid-DATA: the others were in flight together" sh -c "! grep -q 'not gathered' '$OUT'"
#     ... and a rerun (fetch prints the waiting path again) delivers it.
start_fake
deliver "$SPOOL/new/m2\tu2@example.org\t\n" -l "$EP" --lmtp-sessions 3
is "$RC $(results)" "0 u2@example.org ok;" "cut mid-DATA, rerun: delivered"
ok "cut mid-DATA, rerun: spool empty" test -z "$(ls "$SPOOL/new")"

# 20. Several endpoints: sessions spread over them. One service on two
#     ports holds its replies until two messages have arrived: the second
#     session starts at the second endpoint.
new_files 2
start_fake --two-ports --gather 2
set -- $(cat "$REC.ready")
deliver "$RECS" -l "127.0.0.1:$1" -l "127.0.0.1:$2" --lmtp-sessions 2
is "$RC $(results)" "0 u1@example.org ok;u2@example.org ok;" "two endpoints: both ok"
is "$(cat "$REC/conn-1.port" "$REC/conn-2.port" | tr '\n' ' ')" "$1 $2 " \
    "two endpoints: one session on each"
is "$(grep -c '^MAIL' "$REC/conn-1.in") $(grep -c '^MAIL' "$REC/conn-2.in")" "1 1" \
    "two endpoints: one message on each"
#     ... an endpoint that refuses is passed over by the sessions that
#     start after it failed: one failure logged, not one per session.
new_files 3
start_fake --gather 3
deliver "$RECS" -l "unix:$TESTDIR/no-such-socket" -l "$EP" --lmtp-sessions 3
is "$RC $(results)" "0 u1@example.org ok;u2@example.org ok;u3@example.org ok;" \
    "dead first endpoint, 3 sessions: all ok"
is "$(grep -c 'lmtp-endpoint-failed' "$OUT.err")" 1 \
    "dead first endpoint: tried once, then passed over"
is "$(ls "$REC" | grep -c '^conn-')" 3 "dead first endpoint: three sessions on the live one"

# 21. --lmtp-sessions takes 1..64; anything else is a usage error.
for v in 0 65 x ''; do
	printf '' | mdrop-deliver -l "$EP" --lmtp-sessions "$v" >/dev/null 2>"$TESTDIR/usage.err"
	is "$?" 64 "--lmtp-sessions '$v': exit 64"
done
ok "--lmtp-sessions 65: the log names the option" grep -q 'option=--lmtp-sessions' "$TESTDIR/usage.err"

# 22. CHUNKING (RFC 3030): a server that announces it with PIPELINING gets
#     MAIL, the RCPTs and "BDAT n LAST" with the message right behind them,
#     no round trip for DATA's 354: every line end CRLF, no dot-stuffing,
#     n exactly the octets that follow; one reply per accepted RCPT after.
CH="PIPELINING 8BITMIME ENHANCEDSTATUSCODES CHUNKING"
new_spool 'Subject: caf\303\251\n\n.hidden\nline\r\nbare\rcr\n.\nlast'
start_fake --caps "$CH" --multiline
deliver "$M\ta@example.org\ts@x.org\n$M\tb@example.org\ts@x.org\n" \
    -l "$EP" --lmtp-group
is "$RC $(results)" "0 a@example.org ok;b@example.org ok;" "BDAT: both ok"
printf 'Subject: caf\303\251\r\n\r\n.hidden\r\nline\r\nbare\r\ncr\r\n.\r\nlast\r\n' > "$TESTDIR/want22m"
{ printf 'LHLO t.test\r\nMAIL FROM:<s@x.org> BODY=8BITMIME\r\nRCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nBDAT %d LAST\r\n' \
    "$(wc -c < "$TESTDIR/want22m")"; cat "$TESTDIR/want22m"; printf 'QUIT\r\n'; } > "$TESTDIR/want22"
is_file_bytes "$REC/conn-1.in" "$TESTDIR/want22" "BDAT: exact commands, the octet count, CRLF data not dot-stuffed"
is_file_bytes "$REC/msg-1" "$TESTDIR/want22m" "BDAT: the server got the message once, whole"
ok "BDAT: spool file removed" test ! -e "$M"
#     ... without PIPELINING: DATA as before.
new_spool 'Subject: s\n\n.x\n'
start_fake --caps "CHUNKING 8BITMIME"
deliver "$M\ta@example.org\t\n" -l "$EP"
is "$RC $(tr -d '\r' < "$REC/conn-1.in" | grep -c '^DATA$') $(grep -c BDAT "$REC/conn-1.in")" "0 1 0" \
    "CHUNKING without PIPELINING: DATA, no BDAT"
#     ... no RCPT accepted: BDAT's one refusal read, nothing out of step;
#     the session's next message after RSET.
new_files 2
start_fake --caps "$CH" --rcpt 'u1@example.org=550 5.1.1 no such user'
deliver "$RECS" -l "$EP" --lmtp-sessions 1
is "$RC $(results)" "67 u1@example.org fail;u2@example.org ok;" "BDAT, none accepted: fail, then the next ok"
is "$(tr -d '\r' < "$REC/conn-1.in" | grep -E '^(MAIL|RCPT|BDAT|RSET|QUIT)' | tr '\n' ';')" \
    "MAIL FROM:<>;RCPT TO:<u1@example.org>;BDAT 23 LAST;RSET;MAIL FROM:<>;RCPT TO:<u2@example.org>;BDAT 23 LAST;QUIT;" \
    "BDAT, none accepted: RSET before the next transaction, one session"
is "$(ls "$REC" | tr '\n' ' ')" "conn-1.in msg-1 " "BDAT, none accepted: one message received"
ok "BDAT, none accepted: no out-of-step" sh -c "! grep -q out-of-step '$OUT.err'"
#     ... a 5xx to the sender: its BDAT's refusal read, then RSET and the
#     retry with <>, the message sent again whole.
new_spool 'Subject: q\n\nbody\n'
start_fake --caps "$CH" --mail-from 's@x.org=553 5.1.7 Bad sender'
deliver "$M\ta@example.org\ts@x.org\n" -l "$EP"
is "$RC $(results)" "0 a@example.org ok;" "BDAT, sender 5xx: delivered with <>"
printf 'LHLO t.test\r\nMAIL FROM:<s@x.org>\r\nRCPT TO:<a@example.org>\r\nBDAT 20 LAST\r\nSubject: q\r\n\r\nbody\r\nRSET\r\nMAIL FROM:<>\r\nRCPT TO:<a@example.org>\r\nBDAT 20 LAST\r\nSubject: q\r\n\r\nbody\r\nQUIT\r\n' > "$TESTDIR/want22s"
is_file_bytes "$REC/conn-1.in" "$TESTDIR/want22s" "BDAT, sender 5xx: RSET, then <>"
#     ... the --unknown-to header line counted in BDAT's size.
new_spool 'Subject: lost\n\nbody\n'
start_fake --caps "$CH" --rcpt 'ghost@example.org=550 5.1.1 no such user'
deliver "$M\tghost@example.org\t\n" -l "$EP" --unknown-to postmaster@example.org
is "$RC $(results)" "0 ghost@example.org ok;" "BDAT, --unknown-to: redirected"
printf 'X-Mdrop-Original-Recipient: <ghost@example.org>\r\nSubject: lost\r\n\r\nbody\r\n' > "$TESTDIR/want22u"
is_file_bytes "$REC/msg-1" "$TESTDIR/want22u" "BDAT, --unknown-to: the header line on top, the count exact"
ok "BDAT, --unknown-to: its BDAT counts header and message" \
    grep -q "^BDAT $(wc -c < "$TESTDIR/want22u") LAST" "$REC/conn-1.in"
#     ... fewer replies than recipients, one endpoint: deferred, kept.
new_spool 'Subject: f\n\nbody\n'
start_fake --caps "$CH" --after fewer
deliver "$M\ta@example.org\t\n$M\tb@example.org\t\n" -l "$EP" --lmtp-group
is "$RC $(results)" "75 a@example.org ok;b@example.org defer;" "BDAT, fewer replies: the one without a reply deferred"
ok "BDAT, fewer replies: message stays" test -f "$M"
#     ... garbage after the data: out of step, deferred, not tried elsewhere.
new_spool 'Subject: g\n\nbody\n'
start_fake --caps "$CH" --after garbage
REC1=$REC; EP1=$EP
start_fake --caps "$CH"
deliver "$M\ta@example.org\t\n" -l "$EP1" -l "$EP"
is "$RC $(results)" "75 a@example.org defer;" "BDAT, garbage: deferred"
ok "BDAT, garbage: never sent to the next endpoint" test ! -e "$REC/conn-1.in" -o ! -e "$REC/msg-1"
#     ... one session cut off mid-message while the others succeed.
new_files 3
start_fake --caps "$CH" --gather 2 --close-mid-data u2@example.org
deliver "$RECS" -l "$EP" --lmtp-sessions 3
is "$RC $(results)" "75 u1@example.org ok;u2@example.org defer;u3@example.org ok;" \
    "BDAT cut mid-message: that one deferred, the others ok"
is "$(ls "$SPOOL/new" | tr '\n' ' ')" "m2 " "BDAT cut mid-message: only its spool file stays"
ok "BDAT cut mid-message: the others were in flight together" sh -c "! grep -q 'not gathered' '$OUT'"

#     ... 100 recipients: the RCPTs in two windows, BDAT and the message
#     in the second, behind the last RCPT; u70 refused, 99 finals.
many_rcpts "BDAT, 100 recipients" --caps "$CH"
is "$(grep -c RCPT "$REC/conn-1.in") $(grep -c '^BDAT 23 LAST' "$REC/conn-1.in") $(ls "$REC" | tr '\n' ' ')" \
    "100 1 conn-1.in msg-1 " "BDAT, 100 recipients: one transaction, the message once"
#     ... the file ends early while it is sent (it is not what BDAT's
#     count was made from): the session is closed short of the count, so
#     nothing can be delivered; deferred, the file kept. The fault shim
#     makes the first read of the send (the next to last read of the file:
#     the last is the one that finds its end) return 0.
SHIM=${MDROP_SHIMS:-$TOP/obj/tests}/faultshim.so
new_spool 'Subject: c\n\nbody\n'
start_fake --caps "$CH"
printf "$M\ta@example.org\t\n" | ends | LD_PRELOAD=$SHIM FAULT_PROG=mdrop-deliver \
    FAULT_CALL=pread FAULT_PATH=/new/m1 FAULT_COUNT=$TESTDIR/preads \
    mdrop-deliver --lhlo t.test --timeout 5 -l "$EP" >/dev/null 2>&1
n=$(awk '{ print $3 }' "$TESTDIR/preads")
ok "BDAT, file cut: a clean run reads the file at least four times ($n)" test "$n" -ge 4
new_spool 'Subject: c\n\nbody\n'
start_fake --caps "$CH"
OUT=$TESTDIR/out.22c
printf "$M\ta@example.org\t\n" | ends | LD_PRELOAD=$SHIM FAULT_PROG=mdrop-deliver \
    FAULT_CALL=pread FAULT_PATH=/new/m1 FAULT_NTH=$((n - 1)) FAULT_ERRNO=EOF \
    mdrop-deliver --lhlo t.test --timeout 5 --data-timeout 5 -l "$EP" >"$OUT" 2>"$OUT.err"
RC=$?
is "$RC $(results)" "75 a@example.org defer;" "BDAT, file cut: deferred"
ok "BDAT, file cut: the reason names the file" grep -q "m1 changed while it was sent" "$OUT"
ok "BDAT, file cut: nothing delivered" test ! -e "$REC/msg-1"
ok "BDAT, file cut: BDAT was sent, its octets not" sh -c "grep -q '^BDAT 20 LAST' '$REC/conn-1.in' && ! grep -q body '$REC/conn-1.in'"
ok "BDAT, file cut: message kept" test -f "$M"

# 23. Over TCP each write goes out at once (TCP_NODELAY) and DATA's end
#     goes in one write with the message's last piece. A lone ".\r\n"
#     write waited, under Nagle, for the server's delayed ACK: about 40 ms
#     a message over a real link (500 small messages through a proxy
#     adding 2 ms of round trip took 26 s with one session; 4.3 s now:
#     tests/bench/link.sh).
command -v strace >/dev/null || { echo "Bail out! strace missing (make deps)"; exit 1; }
new_spool 'Subject: n\n\nbody\n'
start_fake
# (LeakSanitizer stops the world with ptrace, which strace holds already)
printf "$M\ta@example.org\t\n" | ends |
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -e trace=setsockopt,sendto -s 256 -o "$TESTDIR/st23" \
    mdrop-deliver --lhlo t.test --timeout 5 -l "$EP" >"$TESTDIR/out23" 2>&1
is "$?" 0 "TCP: delivered"
ok "TCP: TCP_NODELAY on the LMTP socket" grep -qE '(SOL_TCP|IPPROTO_TCP), TCP_NODELAY, \[1\]' "$TESTDIR/st23"
ok "TCP: the end of the data never in a write of its own" \
    sh -c "! grep -F 'sendto' '$TESTDIR/st23' | grep -qF '\".\\r\\n\", 3,'"
ok "TCP: the end went with the message's last piece" \
    grep -qF 'body\r\n.\r\n", 23,' "$TESTDIR/st23"

# 24. A message whose last recipient's 2xx has come leaves the spool at
#     once, before anything else is read, and without a done note: the
#     unlink records the 2xx as surely as a note line would (a killed
#     deliver keeps either), and most messages (one recipient, one
#     transaction) need no note file at all. With two transactions the
#     first one's 2xx is noted (the note made then), the second's unlinks.
new_spool 'Subject: e\n\nbody\n'
start_fake
printf "$M\ta@example.org\t\n" | ends |
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -e trace=openat,unlinkat,read,recvfrom -s 128 -o "$TESTDIR/st24" \
    mdrop-deliver --lhlo t.test --timeout 5 -l "$EP" >"$TESTDIR/out24" 2>&1
is "$?" 0 "one recipient: delivered"
ok "one recipient: no done note made" sh -c "! grep -E 'openat\\(.*m1\\.done\".*O_CREAT' '$TESTDIR/st24'"
ok "one recipient: spool file and note gone" test ! -e "$M" -a ! -e "$SPOOL/m1.done"
# line numbers in the trace: the final 2xx read, the unlink of the file
l250=$(grep -nE '^[0-9]+ +(read|recvfrom)\(.*250 2\.0\.0 <a@example.org>' "$TESTDIR/st24" | head -n 1 | cut -d: -f1)
lunl=$(grep -nE 'unlinkat\(.*"m1", 0\) *= 0' "$TESTDIR/st24" | head -n 1 | cut -d: -f1)
ok "one recipient: unlinked after its 2xx was read ($l250 < $lunl)" test "${l250:-0}" -gt 0 -a "${lunl:-0}" -gt "${l250:-0}"
new_spool 'Subject: e2\n\nbody\n'
start_fake
printf "$M\ta@example.org\t\n$M\tb@example.org\t\n" | ends |
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -e trace=openat,unlinkat,read,recvfrom,write,sendto -s 128 -o "$TESTDIR/st24b" \
    mdrop-deliver --lhlo t.test --timeout 5 -l "$EP" >"$TESTDIR/out24" 2>"$TESTDIR/err24"
is "$?" 0 "two transactions: delivered"
is "$(cut -f2,3 "$TESTDIR/out24" | tr '\t\n' ' ;')" "a@example.org ok;b@example.org ok;" "two transactions: both ok"
# the order: a's 2xx read, the note made and a's line in it, b's 2xx
# read, the spool file unlinked, the note removed
ord=$(awk '/^[0-9]+ +(read|recvfrom)\(.*"250 2\.0\.0 <a@/ { print "a-2xx" }
    /^[0-9]+ +(read|recvfrom)\(.*"250 2\.0\.0 <b@/ { print "b-2xx" }
    /^[0-9]+ +openat\(.*"m1\.done".*O_CREAT/ { print "note-made" }
    /^[0-9]+ +write\(.*"ok\\ta@example\.org/ { print "note-a" }
    /^[0-9]+ +unlinkat\(.*"m1", 0\) *= 0/ { print "unlinked" }
    /^[0-9]+ +unlinkat\(.*"m1\.done", 0\) *= 0/ { print "note-removed" }' "$TESTDIR/st24b" |
    tr '\n' ' ')
is "$ord" "a-2xx note-made note-a b-2xx unlinked note-removed " "two transactions: a noted, then b's 2xx unlinks"
ok "two transactions: nothing left" test ! -e "$M" -a ! -e "$SPOOL/m1.done"
#     ... a new recipient for the message after its file went: never
#     delivered from the open file, never deferred (no file to retry):
#     fail, exit 65 (DESIGN.md, "Record format"); a repeat of a is ok.
new_spool 'Subject: e3\n\nbody\n'
start_fake
{ printf '%s\ta@example.org\t\n%s\n' "$M" "$M"
  i=0; while [ -e "$M" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
  printf '%s\tb@example.org\t\n%s\ta@example.org\t\n%s\n' "$M" "$M" "$M"; } |
    mdrop-deliver --lhlo t.test --timeout 5 -l "$EP" >"$TESTDIR/out24" 2>"$TESTDIR/err24"
is "$?" 65 "late recipient: exit 65"
is "$(cut -f2,3 "$TESTDIR/out24" | tr '\t\n' ' ;')" "a@example.org ok;b@example.org fail;a@example.org ok;" \
    "late recipient: a ok, b fail, a again ok"
ok "late recipient: says the file is gone" grep -q 'b@example.org.*spool file gone' "$TESTDIR/out24"
ok "late recipient: b never sent" sh -c "! grep -q 'b@example.org' '$REC/conn-1.in'"
is "$(ls "$REC" | grep -c '^msg-')" 1 "late recipient: the server got one message"

# 25. The same records again, in a new process, for a message that went
#     to failed/ (one recipient delivered, one refused for good): the
#     delivered one is ok (its .why says so: the spool file and its done
#     note are gone), the refused one fails again, exit 67; nothing is
#     sent. Found with Cyrus (53-lmtp-cyrus.t): both were "fail".
new_spool 'Subject: w\n\nbody\n'
start_fake --rcpt 'u@example.org=550 5.1.1 User unknown'
deliver "$M\ta@example.org\t\n$M\tu@example.org\t\n" -l "$EP"
is "$RC $(results)" "67 a@example.org ok;u@example.org fail;" "failed/: first run, a ok, u fail"
ok "failed/: the message and its .why there" test -f "$SPOOL/failed/m1" -a -f "$SPOOL/failed/m1.why" -a ! -e "$M"
n1=$(ls "$REC" | grep -c '^msg-')
deliver "$M\ta@example.org\t\n$M\tu@example.org\t\n" -l "$EP"
is "$RC $(results)" "67 a@example.org ok;u@example.org fail;" "failed/, rerun: a ok, u fail again"
ok "failed/, rerun: a's detail says already delivered" grep -q "a@example.org	ok	already delivered: 250" "$OUT"
ok "failed/, rerun: u's detail gives the reply" grep -q "u@example.org	fail	failed earlier.*550 5.1.1 User unknown" "$OUT"
is "$(ls "$REC" | grep -c '^msg-')" "$n1" "failed/, rerun: nothing sent again"
deliver "$M\tz@example.org\t\n" -l "$EP"
is "$RC $(results)" "65 z@example.org fail;" "failed/, rerun: a recipient it never had fails, exit 65 (DESIGN.md: complete and gone, not delivered)"

done_testing
