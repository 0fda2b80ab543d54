#!/bin/sh
# mdrop-deliver -l against a real, private Dovecot LMTP server: unix socket
# and TCP, byte-exact bodies in the users' Maildirs, an unknown user next to
# a known one, failover from a dead socket, the smuggling message
# (HOSTILE.md 55) and a 20 MiB message.
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

# body_is FILE EXPECTED NAME: FILE without the header lines Dovecot
# prepends (Return-Path, Delivered-To, Received + continuations) equals
# EXPECTED byte for byte.
body_is() {
	awk 'BEGIN { skip = 1 }
	    skip && /^(Return-Path|Delivered-To|Received):/ { next }
	    skip && /^\t/ { next }
	    { skip = 0; print }' "$1" > "$1.stripped.$$"
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

done_testing
