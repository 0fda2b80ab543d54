#!/bin/sh
# Subaddresses and unknown users over LMTP into a real, private Dovecot
# with recipient_delimiter = + and lmtp_save_to_detail_mailbox = yes
# (issue 19): the whole pipeline split --delimiter + | deliver -l puts
# alice+shop into alice's mailbox "shop" when it exists (Dovecot files it
# itself), into her INBOX otherwise; Dovecot's 550 for an unknown user is
# caught by --unknown-to, whose copy says whom it was for.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/dovecot.sh"

DOVECOT_DELIMITER=+ DOVECOT_DETAIL_MAILBOX=yes dovecot_start ||
	{ echo "Bail out! $DOVECOT_ERROR"; exit 1; }

SPOOL=$TESTDIR/spool
mkdir -p "$SPOOL/tmp" "$SPOOL/new" "$SPOOL/failed"
chmod 700 "$SPOOL"
A=$MAIL_ROOT/example.org/alice/Maildir
P=$MAIL_ROOT/example.org/postmaster/Maildir
# alice's "shop" mailbox (Maildir++ folder .shop), made as Dovecot would
mkdir -p "$A/.shop/new" "$A/.shop/cur" "$A/.shop/tmp" "$A/new" "$A/cur" "$A/tmp"
chown -R "$MAIL_UID:$MAIL_GID" "$MAIL_ROOT/example.org/alice"
files() { find "$1" -maxdepth 1 -type f 2>/dev/null | wc -l | tr -d ' '; }

m() { printf 'X-Original-To: %s\nReturn-Path: <s@x.org>\nSubject: %s\n\nbody of %s\n' "$2" "$1" "$1" >"$SPOOL/new/$1"; }
m d1 alice+shop@example.org
m d2 alice+nosuchbox@example.org
m d3 random123@example.org
ls "$SPOOL"/new/* | mdrop-split -H X-Original-To --delimiter + -d example.org \
    >"$TESTDIR/recs" 2>"$TESTDIR/split.err"
is "$?" 0 "split: exit 0"
is "$(cut -f2 "$TESTDIR/recs" | grep @ | tr '\n' ' ')" \
    "alice+shop@example.org alice+nosuchbox@example.org random123@example.org " \
    "split keeps the detail on the final address"
mdrop-deliver --timeout 10 --unknown-to postmaster@example.org -l "unix:$LMTP_SOCKET" \
    <"$TESTDIR/recs" >"$TESTDIR/out" 2>"$TESTDIR/err"
is "$?" 0 "deliver -l --unknown-to: exit 0"
is "$(cut -f2,3 "$TESTDIR/out" | tr '\t\n' ' ;')" \
    "alice+shop@example.org ok;alice+nosuchbox@example.org ok;random123@example.org ok;" \
    "three ok result lines"
is "$(files "$A/.shop/new")" 1 "alice+shop: in alice's mailbox shop (Dovecot's lmtp_save_to_detail_mailbox)"
grep -q '^Subject: d1$' "$A"/.shop/new/* && pass "... the right message" || fail "... the right message"
is "$(files "$A/new")" 1 "alice+nosuchbox: no such mailbox, so her INBOX"
grep -q '^Subject: d2$' "$A"/new/* && pass "... the right message" || fail "... the right message"
grep -q 'random123@example.org	ok	to postmaster@example.org (random123@example.org unknown): 250 ' "$TESTDIR/out" &&
	pass "Dovecot's 550 for random123 caught: ok, naming both" || fail "550 caught" "$(cat "$TESTDIR/out")"
is "$(files "$P/new")" 1 "postmaster has the copy"
grep -q '^X-Mdrop-Original-Recipient: <random123@example.org>$' "$P"/new/* &&
	pass "... with X-Mdrop-Original-Recipient naming the unknown address" || fail "... header" "$(head -20 "$P"/new/*)"
grep -q '^Subject: d3$' "$P"/new/* && pass "... the right message" || fail "... the right message"
is "$(find "$SPOOL/new" "$SPOOL/failed" -type f | wc -l | tr -d " ")" 0 "the spool is empty"
dovecot_stop
done_testing
