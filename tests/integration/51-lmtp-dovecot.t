#!/bin/sh
# mdrop-deliver -l against a real, private Dovecot LMTP server: unix socket
# and TCP, byte-exact bodies in the users' Maildirs, an unknown user next to
# a known one, failover from a dead socket, the smuggling message
# (HOSTILE.md 55), a 20 MiB message, and four sessions at once.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/dovecot.sh"

dovecot_start || { echo "Bail out! $DOVECOT_ERROR"; exit 1; }

SPOOL=$TESTDIR/spool
mkdir -p "$SPOOL/tmp" "$SPOOL/new" "$SPOOL/failed"
chmod 700 "$SPOOL"

# deliver RECORDS ARGS...: sets RC and OUT.
_n=0
deliver() {
	_recs=$1; shift
	_n=$((_n + 1))
	OUT=$TESTDIR/out.$_n
	printf "$_recs" | ends | mdrop-deliver --timeout 10 "$@" >"$OUT" 2>"$OUT.err"
	RC=$?
}
results() { cut -f2,3 "$OUT" | tr '\t' ' ' | tr '\n' ';'; }

# mails USER: the files in USER's Maildir/new, one per line.
mails() {
	find "$MAIL_ROOT/example.org/$1/Maildir/new" -type f 2>/dev/null | sort
}
count() { mails "$1" | wc -l | tr -d ' '; }
# snap USER, then new_mail USER: the one file that came since the snap.
snap() { mails "$1" > "$TESTDIR/snap.$1"; }
new_mail() { mails "$1" | comm -13 "$TESTDIR/snap.$1" -; }

# body_is FILE EXPECTED NAME: FILE without the header lines Dovecot
# prepends (Return-Path, Delivered-To, Received + continuations) equals
# EXPECTED byte for byte.
strip_added() {
	awk 'BEGIN { skip = 1 }
	    skip && /^(Return-Path|Delivered-To|Received):/ { next }
	    skip && /^\t/ { next }
	    { skip = 0; print }' "$1"
}
body_is() {
	strip_added "$1" > "$1.stripped.$$"
	# awk adds a final newline; every expected file here ends in one.
	is_file_bytes "$1.stripped.$$" "$2" "$3"
	rm -f "$1.stripped.$$"
}

# 1. Unix socket, default (one transaction per recipient): byte-exact, with
#    Dovecot's own Delivered-To; an unknown user fails alone.
printf 'From: s@x.org\nSubject: hello\n\nline one\n..two dots\n.\nend\n' > "$TESTDIR/m1"
cp "$TESTDIR/m1" "$SPOOL/new/m1"
deliver "$SPOOL/new/m1\talice@example.org\ts@x.org\n$SPOOL/new/m1\tnobody@example.org\ts@x.org\n$SPOOL/new/m1\tbob@example.org\ts@x.org\n" \
    -l "unix:$LMTP_SOCKET"
is "$RC" 67 "unix: exit 67 (one unknown recipient)"
is "$(results)" "alice@example.org ok;nobody@example.org fail;bob@example.org ok;" \
    "unix: unknown user fails alone"
is "$(grep nobody "$OUT" | cut -f4 | cut -c1-9)" "550 5.1.1" "unix: fail detail is Dovecot's 550"
is "$(count alice) $(count bob)" "1 1" "unix: one message each for alice and bob"
body_is "$(mails alice)" "$TESTDIR/m1" "unix: alice's copy is byte-exact"
body_is "$(mails bob)" "$TESTDIR/m1" "unix: bob's copy is byte-exact"
is "$(grep -c '^Delivered-To: alice@example.org$' "$(mails alice)")" 1 \
    "unix: Dovecot added Delivered-To (one recipient per transaction)"
ok "unix: message moved to failed/ with a .why" test -f "$SPOOL/failed/m1.why" -a ! -e "$SPOOL/new/m1"
ok "unix: .why holds Dovecot's reply" grep -q "550 5.1.1" "$SPOOL/failed/m1.why"

# 2. TCP, grouped, after a dead socket (failover).
printf 'Subject: tcp\n\n8bit: caf\303\251\n' > "$TESTDIR/m2"
cp "$TESTDIR/m2" "$SPOOL/new/m2"
deliver "$SPOOL/new/m2\tcarol@example.org\t\n$SPOOL/new/m2\tdave@example.org\t\n" \
    -l "unix:$TESTDIR/dead.sock" -l "127.0.0.1:$LMTP_PORT" --lmtp-group
is "$RC" 0 "tcp failover: exit 0"
is "$(results)" "carol@example.org ok;dave@example.org ok;" "tcp failover: both ok"
body_is "$(mails carol)" "$TESTDIR/m2" "tcp failover: carol's copy is byte-exact"
body_is "$(mails dave)" "$TESTDIR/m2" "tcp failover: dave's copy is byte-exact"
ok "tcp failover: dead socket logged" grep -q "dead.sock" "$OUT.err"
ok "tcp failover: spool file removed" test ! -e "$SPOOL/new/m2"

# 3. The smuggling message: "\n.\n" then SMTP commands in the body.
printf 'Subject: smuggle\n\nb\n.\nMAIL FROM:<x@evil>\nRCPT TO:<bob@example.org>\nDATA\nevil\n.\nafter\n' > "$TESTDIR/m3"
cp "$TESTDIR/m3" "$SPOOL/new/m3"
bob_before=$(count bob)
deliver "$SPOOL/new/m3\terin@example.org\ts@x.org\n" -l "unix:$LMTP_SOCKET"
is "$RC" 0 "smuggle: exit 0"
is "$(count erin)" 1 "smuggle: exactly one message for erin"
is "$(count bob)" "$bob_before" "smuggle: nothing for bob"
body_is "$(mails erin)" "$TESTDIR/m3" "smuggle: erin's copy is the whole body"

# 4. A 20 MiB message, streamed (bounded memory), byte-exact.
head -c 15728640 /dev/urandom | base64 > "$TESTDIR/big"
cp "$TESTDIR/big" "$SPOOL/new/big"
deliver "$SPOOL/new/big\tpostmaster@example.org\t\n" -l "unix:$LMTP_SOCKET"
is "$RC" 0 "20 MiB: exit 0"
f=$(mails postmaster)
tail -c "$(wc -c < "$TESTDIR/big")" "$f" > "$TESTDIR/big.got"
is_file_bytes "$TESTDIR/big.got" "$TESTDIR/big" "20 MiB: byte-exact"
ok "20 MiB: spool file removed" test ! -e "$SPOOL/new/big"

# 5. Quoted senders (RFC 5321 Quoted-string: space, ">", a backslash
#    escape) go out as they came; Dovecot takes them and writes them into
#    its Return-Path as they are.
printf 'From: q@remote.test\nSubject: quoted\n\nbody\n' > "$TESTDIR/m5"
for u in alice bob carol; do
	cp "$TESTDIR/m5" "$SPOOL/new/m5$u"
	snap $u
done
deliver "$SPOOL/new/m5alice\talice@example.org\t\"john smith\"@remote.test\n$SPOOL/new/m5bob\tbob@example.org\t\"a>b\"@remote.test\n$SPOOL/new/m5carol\tcarol@example.org\t\"a\\\\\"b\"@remote.test\n" \
    -l "unix:$LMTP_SOCKET"
is "$RC" 0 "quoted sender: exit 0"
is "$(results)" "alice@example.org ok;bob@example.org ok;carol@example.org ok;" \
    "quoted sender: all delivered"
is "$(head -n 1 "$(new_mail alice)")" 'Return-Path: <"john smith"@remote.test>' \
    "quoted sender: a space, as it came"
is "$(head -n 1 "$(new_mail bob)")" 'Return-Path: <"a>b"@remote.test>' \
    "quoted sender: a '>', as it came"
is "$(head -n 1 "$(new_mail carol)")" 'Return-Path: <"a\"b"@remote.test>' \
    "quoted sender: a backslash escape, as it came"
for u in alice bob carol; do
	body_is "$(new_mail $u)" "$TESTDIR/m5" "quoted sender: $u's copy is byte-exact"
done
ok "quoted sender: spool files removed, nothing failed" \
    test ! -e "$SPOOL/new/m5alice" -a ! -e "$SPOOL/new/m5bob" -a \
    ! -e "$SPOOL/new/m5carol" -a ! -e "$SPOOL/failed/m5alice"
ok "quoted sender: the sender was not replaced" sh -c "! grep -q lmtp-null-sender '$OUT.err'"

# 6. UTF-8 addresses. Dovecot 2.3's LMTP announces no SMTPUTF8 (it answers
#    a SMTPUTF8 parameter with 555 and a UTF-8 RCPT with 501), so a UTF-8
#    recipient fails before any command, saying why, and a UTF-8 sender
#    becomes <> (logged; Dovecot 2.3 would take it raw, but it too then
#    writes "Return-Path: <>").
lhlo=$(python3 "$TOP/tests/lib/lhlo.py" "$LMTP_SOCKET")
is "$(echo "$lhlo" | grep -c PIPELINING) $(echo "$lhlo" | grep -c SMTPUTF8)" "1 0" \
    "Dovecot's LMTP announces no SMTPUTF8"
printf 'From: s@x.org\nSubject: utf8\n\nbody\n' > "$TESTDIR/m6"
cp "$TESTDIR/m6" "$SPOOL/new/m6"
snap alice
deliver "$SPOOL/new/m6\tj\303\266rg@example.org\ts@x.org\n$SPOOL/new/m6\talice@example.org\ts@x.org\n" \
    -l "unix:$LMTP_SOCKET"
is "$RC" 67 "UTF-8 recipient: exit 67"
is "$(results)" "j$(printf '\303\266')rg@example.org fail;alice@example.org ok;" \
    "UTF-8 recipient: fails alone"
is "$(grep fail "$OUT" | cut -f4)" \
    "UTF-8 address and the LMTP server unix:$LMTP_SOCKET lacks SMTPUTF8 (RFC 6531)" \
    "UTF-8 recipient: the reason says the server lacks SMTPUTF8"
body_is "$(new_mail alice)" "$TESTDIR/m6" "UTF-8 recipient: alice's copy is byte-exact"
ok "UTF-8 recipient: message in failed/" test -f "$SPOOL/failed/m6" -a ! -e "$SPOOL/new/m6"
ok "UTF-8 recipient: .why gives the reason" grep -q "lacks SMTPUTF8" "$SPOOL/failed/m6.why"
cp "$TESTDIR/m6" "$SPOOL/new/m7"
snap bob
deliver "$SPOOL/new/m7\tbob@example.org\tj\303\266rg@remote.test\n" -l "unix:$LMTP_SOCKET"
is "$RC" 0 "UTF-8 sender: exit 0"
is "$(head -n 1 "$(new_mail bob)")" "Return-Path: <>" "UTF-8 sender: <> instead"
body_is "$(new_mail bob)" "$TESTDIR/m6" "UTF-8 sender: bob's copy is byte-exact"
ok "UTF-8 sender: logged" grep -q 'lmtp-null-sender .*lacks SMTPUTF8' "$OUT.err"

# 7. --lmtp-sessions 4: 24 messages, one to three recipients each (one
#    transaction per recipient: messages with several go on across
#    transactions on their session), lines starting with dots, 8-bit
#    text, every fourth one 1 MiB (so that writes interleave with other
#    sessions' waits): every copy exactly once, byte-exact, in the right
#    Maildir; every spool file removed; one result line per record, in
#    input order.
U="alice bob carol dave erin"
for u in $U; do snap $u; done
: > "$TESTDIR/recs7"
: > "$TESTDIR/want7"
i=1
while [ $i -le 24 ]; do
	{
		printf 'From: s@x.org\nSubject: n4 message %d\n\n.dot %d\n..\ncaf\303\251\n' $i $i
		[ $((i % 4)) = 0 ] && head -c 786432 /dev/urandom | base64
		printf 'end %d\n' $i
	} > "$TESTDIR/n4.$i"
	cp "$TESTDIR/n4.$i" "$SPOOL/new/n4.$i"
	k=0
	for u in $U; do
		k=$((k + 1))
		# recipients: 1 + i % 3 of them, starting at a different user
		[ $(( (k + i) % 5 )) -lt $((1 + i % 3)) ] || continue
		printf '%s\t%s@example.org\ts@x.org\n' "$SPOOL/new/n4.$i" $u >> "$TESTDIR/recs7"
		printf '%s %d\n' $u $i >> "$TESTDIR/want7"
	done
	i=$((i + 1))
done
OUT=$TESTDIR/out.n4
ends < "$TESTDIR/recs7" | mdrop-deliver --timeout 10 -l "unix:$LMTP_SOCKET" \
    --lmtp-sessions 4 >"$OUT" 2>"$OUT.err"
is "$?" 0 "4 sessions: exit 0"
is "$(cut -f1,2 "$OUT")" "$(cut -f1,2 "$TESTDIR/recs7")" \
    "4 sessions: one result line per record, in input order"
is "$(cut -f3 "$OUT" | sort -u)" ok "4 sessions: every record ok"
bad=0 got=
for u in $U; do
	for f in $(new_mail $u); do
		n=$(sed -n 's/^Subject: n4 message //p' "$f")
		got="$got$u $n
"
		strip_added "$f" | cmp -s - "$TESTDIR/n4.$n" || bad=$((bad + 1))
	done
done
is "$(printf '%s' "$got" | sort)" "$(sort "$TESTDIR/want7")" \
    "4 sessions: each message exactly once in each of its recipients' Maildirs"
is "$bad" 0 "4 sessions: every copy byte-exact"
is "$(ls "$SPOOL/new" | grep -c '^n4\.')" 0 "4 sessions: every spool file removed"

done_testing
