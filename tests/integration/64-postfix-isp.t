#!/bin/sh
# 64-postfix-isp: split proven on headers a real MTA writes. A private
# Postfix (the Debian 12 package, unpacked by tests/lib/unpack.sh, never
# installed) plays the ISP: smtpd on a loopback port, its virtual(8)
# agent drops one copy per recipient of example.org (catch-all, aliases,
# recipient_delimiter +, enable_original_recipient) into ONE Maildir, the
# multidrop box that the private Dovecot serves over POP3. Messages go in
# by SMTP (python3 smtplib), then `mdrop-fetch | mdrop-split |
# mdrop-deliver` runs as a throwaway local user, and each copy must reach
# its envelope recipient (Delivered-To: the contract's default -H) exactly
# once, never To:/Cc:, byte-exact: the message as sent, below the lines
# Postfix prepended, plus only what mdrop-deliver(1) says it adds.
TAP_ROOT=1
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/users.sh"

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (Postfix's master, throwaway users)"
	exit 0
fi
LC_ALL=C; export LC_ALL	# sort: upper case first
. "$TOP/tests/lib/unpack.sh"
. "$TOP/tests/lib/postfix.sh"
. "$TOP/tests/lib/dovecot.sh"

# The system's Postfix paths, as they were: compared at the end.
sysstate() {
	for p in /etc/postfix /var/spool/postfix /var/lib/postfix; do
		if [ -e "$p" ]; then ls -la --full-time "$p"; else echo "$p absent"; fi
	done 2>&1
}
sysstate >"$TESTDIR/sys.before"

dovecot_start || { echo "Bail out! $DOVECOT_ERROR"; exit 1; }
export MDROP_PASSWORD="$DROP_PASS"

# The local side: a user who runs the pipeline and owns spool and mail.
V=mdpfv_$$
mkuser $V || { echo "Bail out! cannot create user $V"; exit 1; }
L=$TESTDIR/local
SP=$L/spool
MR=$L/mail
T="$MR/%d/%l/Maildir"
mkdir -p "$L/run" "$MR"
printf '%s\n' alice bob carol dave erin postmaster >"$L/users"
chown -R "$V:$V" "$L"; chmod 700 "$L"

PF_ALIASES="sales@example.org alice@example.org, bob@example.org"
postfix_start "$TESTDIR/pf" "$(dirname "$DROP_MAILDIR")" "$(basename "$DROP_MAILDIR")/" \
    "$MAIL_UID" "$MAIL_GID" || { echo "Bail out! $POSTFIX_ERROR"; exit 1; }
diag "postfix $UNPACK_VERSION (unpacked in $PF_BIN), smtpd on 127.0.0.1:$SMTP_PORT, box $DROP_MAILDIR"

# --- the private Postfix ----------------------------------------------------
is "$(postfix_listeners)" "tcp 127.0.0.1:$SMTP_PORT" \
    "Postfix listens on 127.0.0.1:$SMTP_PORT and nowhere else"
is "$(ps -o user= -p "$PF_MASTER_PID")" root "its master runs as root"
is "$(ps -o uid= -p "$(postfix_procs | grep -vx "$PF_MASTER_PID" | tr '\n' ',' | sed 's/,$//')" | tr -d ' ' | sort -u)" \
    "$(id -u "mdpfo_$$")" "its daemons run as the throwaway mail_owner"

# smtp_send MSGFILE FROM RCPT...: one SMTP transaction (the LF file sent
# with CRLF line ends); prints "accepted RCPT" / "refused RCPT CODE TEXT"
# lines; the bytes sent go to MSGFILE.sent.
smtp_send() {
	python3 - "$SMTP_PORT" "$@" <<'EOF'
import smtplib, sys
port, path, sender, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
data = open(path, "rb").read().replace(b"\n", b"\r\n")
open(path + ".sent", "wb").write(data)
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.remote.test", timeout=20)
try:
    refused = s.sendmail(sender, rcpts, data)
except smtplib.SMTPRecipientsRefused as e:
    refused = e.recipients
for r in rcpts:
    if r in refused:
        code, text = refused[r]
        print("refused", r, code, text.decode())
    else:
        print("accepted", r)
s.quit()
EOF
}
box_count() { dovecot_box_count; }
# wait_box N: until the box holds N messages and Postfix's queue is empty
# (every copy delivered), 20 s at most; then snapshot the box into $1.snap
wait_box() {
	_i=0
	while [ $_i -lt 400 ]; do
		[ "$(box_count)" -ge "$1" ] && [ "$(postfix_queue_count)" = 0 ] && break
		sleep 0.05; _i=$((_i + 1))
	done
	rm -rf "$L/box.snap"; mkdir -p "$L/box.snap"
	cp "$DROP_MAILDIR"/new/* "$L/box.snap/" 2>/dev/null
	chmod 644 "$L/box.snap"/*
	box_count
}
# the Postfix block (the lines above the sender's own header) of FILE
pfblock() {
	awk 'NR <= 3 { print; next } /^Received:/ && !r { r = 1; print; next }
	    r && /^[ \t]/ { print; next } { exit }' "$1"
}

# run_pipeline TAG SPLIT_ARGS DELIVER_ARGS: fetch | split | deliver as $V;
# records in $L/run/TAG.rec, results in TAG.out, logs TAG.*.err, exit
# codes TAG.*.rc
run_pipeline() {
	_t=$1 _sa=$2 _da=$3
	as_user $V sh -c '
	cd "$1" || exit 1
	{ mdrop-fetch -h localhost -p "$POP3S_PORT" --cafile "$CA_FILE" \
	    -u "$DROP_USER" "$2" 2>"$3.fetch.err"; echo $? >"$3.fetch.rc"; } |
	{ mdrop-split $4 2>"$3.split.err"; echo $? >"$3.split.rc"; } |
	tee "$3.rec" |
	{ mdrop-deliver $5 >"$3.out" 2>"$3.deliver.err"; echo $? >"$3.deliver.rc"; }
	' sh "$L/run" "$SP" "$_t" "$_sa" "$_da"
	for _s in fetch split deliver; do
		is "$(cat "$L/run/$_t.$_s.rc" 2>/dev/null)" 0 "$_t: mdrop-$_s exits 0" ||
			true
		[ "$(cat "$L/run/$_t.$_s.rc" 2>/dev/null)" = 0 ] ||
			diag "$_s stderr: $(cat "$L/run/$_t.$_s.err")"
	done
}
# records TAG: the recipient and sender of each record, sorted
records() { awk -F'\t' 'NF == 3 { print $2 " <" $3 ">" }' "$L/run/$1.rec" | sort | tr '\n' ';'; }
endlines() { awk -F'\t' 'NF == 1' "$L/run/$1.rec" | wc -l | tr -d ' '; }
results() { awk -F'\t' '{ print $2 " " $3 }' "$L/run/$1.out" | sort | tr '\n' ';'; }
# where: every Maildir under $MR holding files, with their count
where() {
	find "$MR" -type f | sed "s#^$MR/##; s#/\(new\|cur\)/[^/]*\$##" | sort | uniq -c |
	    awk '{ print $2 "=" $1 }' | tr '\n' ' '
}
# copies MSGID USER: the files of USER's Maildir holding Message-ID MSGID
copies() {
	grep -l -x "Message-ID: <$1>" "$MR/example.org/$2/Maildir/new/"* \
	    "$MR/example.org/$2/Maildir/cur/"* 2>/dev/null
}
# want_exact NAME FILE ADDED RP XOT DT SENT: FILE must be ADDED (printf
# escapes) followed byte for byte by one box file of $L/box.snap, which
# is Postfix's "Return-Path: <RP>", "X-Original-To: XOT", "Delivered-To:
# DT", one Received: field of its own, then SENT with CRLF turned into
# LF. Checked, one test each, by check_exact (one python3 for all).
want_exact() {
	# (two copies where one was wanted: their names joined, unreadable)
	printf '%s\t' "$@" | tr '\n' ' ' | sed 's/\t$//' >>"$L/exact.specs"
	echo >>"$L/exact.specs"
}
check_exact() {
	python3 - "$L/exact.specs" "$L/box.snap" >"$L/exact.res" <<'EOF'
import os, re, sys
specs, snap = sys.argv[1:3]
boxes = {f: open(os.path.join(snap, f), "rb").read() for f in sorted(os.listdir(snap))}
def check(path, added, rp, xot, dt, sent):
    try:
        got = open(path, "rb").read()
    except OSError as e:
        return "cannot read the copy: %s" % e
    added = added.encode().decode("unicode_escape").encode()
    if not got.startswith(added):
        return "mdrop-deliver did not add exactly %r: %r" % (added, got[:300])
    rest = got[len(added):]
    same = [f for f, b in boxes.items() if b == rest]
    if len(same) != 1:
        return "the copy minus %r is not one of the box's files (%d match): %r" % (added, len(same), rest[:400])
    want = ("Return-Path: <%s>\nX-Original-To: %s\nDelivered-To: %s\n" % (rp, xot, dt)).encode()
    if not rest.startswith(want):
        return "Postfix's lines are not %r: %r" % (want, rest[:300])
    rest = rest[len(want):]
    m = re.match(rb"Received: from client\.remote\.test \(localhost \[127\.0\.0\.1\]\)\n"
                 rb"\tby isp\.test \(Postfix\) with ESMTP id [0-9A-F]+[^\n]*\n(?:[ \t][^\n]*\n)*", rest)
    if not m:
        return "no Received: field of Postfix's after them: %r" % rest[:300]
    body = rest[m.end():]
    want = open(sent, "rb").read().replace(b"\r\n", b"\n")
    if body != want:
        return "below Received: not the message as sent: %r != %r" % (body[:300], want[:300])
    return "ok"
for line in open(specs, encoding="utf-8"):
    f = line.rstrip("\n").split("\t")
    print(check(*f[1:7]).replace("\n", "\\n") if len(f) == 7 else "bad spec %r" % line)
EOF
	_n=0
	while IFS='	' read -r _name _rest; do
		_n=$((_n + 1))
		is "$(sed -n "${_n}p" "$L/exact.res")" ok "$_name"
	done <"$L/exact.specs"
	rm -f "$L/exact.specs"
}

M=$L/msgs
mkdir -p "$M"
SPLIT="-d example.org -f postmaster@example.org --delimiter + --users $L/users"
DELIVER="--delimiter + -m $T"

# --- 1. one message, three recipients, To:/Cc: naming others --------------
# The sender's own header forges Delivered-To and X-Original-To for dave:
# below Postfix's Received:, they must never count (HOSTILE 28).
cat >"$M/m1" <<'EOF'
Delivered-To: dave@example.org
X-Original-To: dave@example.org
From: Sender <sender@remote.test>
To: Dave <dave@example.org>
Cc: mallory@example.net
Subject: one message, three recipients
Message-ID: <m1.mdrop@remote.test>
Date: Sun, 06 Dec 2026 12:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

.a line starting with a dot
From the start of a line
trailing blanks   
last line
EOF
is "$(smtp_send "$M/m1" sender@remote.test alice@example.org bob+lists@example.org Carol@Example.ORG | tr '\n' ';')" \
    "accepted alice@example.org;accepted bob+lists@example.org;accepted Carol@Example.ORG;" \
    "1: Postfix accepts alice@, bob+lists@, Carol@Example.ORG"
is "$(wait_box 3)" 3 "1: Postfix drops three copies into the box"
is "$(grep -l -x 'Message-ID: <m1.mdrop@remote.test>' "$L/box.snap"/* | wc -l | tr -d ' ')" 3 \
    "1: the three copies have the same Message-ID"
for f in "$L/box.snap"/*; do
	diag "1: Postfix wrote: $(pfblock "$f")"
done
is "$(grep -h '^Delivered-To: ' "$L/box.snap"/* | sort -u | tr '\n' ';')" \
    "Delivered-To: Carol@Example.ORG;Delivered-To: alice@example.org;Delivered-To: bob+lists@example.org;Delivered-To: dave@example.org;" \
    "1: Postfix's Delivered-To names each copy's recipient (and the forged dave below)"
run_pipeline p1 "$SPLIT" "$DELIVER"
is "$(records p1)" \
    "Carol@example.org <sender@remote.test>;alice@example.org <sender@remote.test>;bob+lists@example.org <sender@remote.test>;" \
    "1: split: one record per copy, by Delivered-To (bob+lists keeps its detail, mdrop-split(1) --delimiter; Carol's domain lower-cased, local part as received)"
is "$(endlines p1)" 3 "1: split: three end lines"
is "$(results p1)" "Carol@example.org ok;alice@example.org ok;bob+lists@example.org ok;" "1: deliver: three ok"
is "$(where)" "example.org/alice/Maildir=1 example.org/bob/Maildir=1 example.org/carol/Maildir=1 " \
    "1: alice, bob, carol one copy each; dave, mallory, postmaster none; no Maildir named bob+lists or Carol"
for u in alice bob carol; do
	is "$(copies m1.mdrop@remote.test $u | wc -l | tr -d ' ')" 1 "1: $u has the message exactly once"
done
is "$(find "$SP/new" -type f | wc -l | tr -d ' ')" 0 "1: SPOOL/new is empty"
is "$(box_count)" 0 "1: the box is empty"
# 4. byte-exact: nothing added (Postfix's block holds Return-Path and a
# Delivered-To naming the recipient: mdrop-deliver(1), HOSTILE 44)
want_exact "1: alice's copy: Postfix's lines + the message as sent, nothing added by deliver" \
    "$(copies m1.mdrop@remote.test alice)" '' sender@remote.test alice@example.org alice@example.org "$M/m1.sent"
want_exact "1: bob's copy (bob+lists@): the same, its Delivered-To: bob+lists@example.org kept, nothing added" \
    "$(copies m1.mdrop@remote.test bob)" '' sender@remote.test bob+lists@example.org bob+lists@example.org "$M/m1.sent"
want_exact "1: carol's copy: byte-exact, nothing added (Postfix's Delivered-To: Carol@Example.ORG names Carol@example.org)" \
    "$(copies m1.mdrop@remote.test carol)" '' sender@remote.test Carol@Example.ORG Carol@Example.ORG "$M/m1.sent"
check_exact
is "$(grep -c '^Delivered-To: ' "$(copies m1.mdrop@remote.test alice)")" 2 \
    "1: no second identical Delivered-To on top (Postfix's and the forged one only)"

# --- 2. the alias sales@ -> alice, bob ---------------------------------------
cat >"$M/m2" <<'EOF'
From: Sender <sender@remote.test>
To: Sales <sales@example.org>
Subject: to the sales alias
Message-ID: <m2.mdrop@remote.test>
Date: Sun, 06 Dec 2026 12:01:00 +0000

for sales
EOF
is "$(smtp_send "$M/m2" sender@remote.test sales@example.org | tr '\n' ';')" \
    "accepted sales@example.org;" "2: Postfix accepts sales@example.org"
is "$(wait_box 2)" 2 "2: Postfix expands the alias: two copies in the box"
for f in "$L/box.snap"/*; do
	diag "2: Postfix wrote: $(pfblock "$f")"
done
is "$(for f in "$L/box.snap"/*; do head -n 3 "$f"; done | sort | tr '\n' ';')" \
    "Delivered-To: alice@example.org;Delivered-To: bob@example.org;Return-Path: <sender@remote.test>;Return-Path: <sender@remote.test>;X-Original-To: sales@example.org;X-Original-To: sales@example.org;" \
    "2: Delivered-To names the alias target, X-Original-To the alias"
mdrop-split --survey $SPLIT "$L/box.snap"/* >"$L/run/survey.out" 2>/dev/null
diag "2: mdrop-split --survey on the two copies: $(cat "$L/run/survey.out")"
is "$(tail -n 1 "$L/run/survey.out")" "suggest: mdrop-split -H Delivered-To -n 1 --trust-hops 0 -d example.org" \
    "2: split --survey on Postfix's copies suggests the default, Delivered-To"
mdrop-split -H X-Original-To -d example.org "$L/box.snap"/* 2>/dev/null >"$L/run/xot.rec"
diag "2: (split -H X-Original-To would route both copies to: $(awk -F'\t' 'NF == 3 { print $2 }' "$L/run/xot.rec" | tr '\n' ' '))"
run_pipeline p2 "$SPLIT" "$DELIVER"
is "$(records p2)" "alice@example.org <sender@remote.test>;bob@example.org <sender@remote.test>;" \
    "2: split routes by Delivered-To (the default -H): alice and bob, not sales"
is "$(results p2)" "alice@example.org ok;bob@example.org ok;" "2: deliver: two ok"
for u in alice bob; do
	is "$(copies m2.mdrop@remote.test $u | wc -l | tr -d ' ')" 1 "2: $u has it exactly once"
	want_exact "2: $u's copy byte-exact, nothing added" \
	    "$(copies m2.mdrop@remote.test $u)" '' sender@remote.test sales@example.org $u@example.org "$M/m2.sent"
done
check_exact
is "$(where)" "example.org/alice/Maildir=2 example.org/bob/Maildir=2 example.org/carol/Maildir=1 " \
    "2: no Maildir for sales"
is "$(find "$SP/new" -type f | wc -l | tr -d ' ')$(box_count)" 00 "2: SPOOL/new and the box are empty"

# --- 3. another domain is not relayed; an unknown local part ----------------
cat >"$M/m3" <<'EOF'
From: <someone@remote.test>
To: nosuchuser@example.org
Subject: to an invented local part
Message-ID: <m3.mdrop@remote.test>
Date: Sun, 06 Dec 2026 12:02:00 +0000

who?
EOF
is "$(smtp_send "$M/m3" "" mallory@example.net | tr '\n' ';')" \
    "refused mallory@example.net 554 5.7.1 <mallory@example.net>: Relay access denied;" \
    "3: Postfix relays nothing: example.net refused (554 5.7.1)"
is "$(smtp_send "$M/m3" "" nosuchuser@example.org | tr '\n' ';')" \
    "accepted nosuchuser@example.org;" "3: nosuchuser@example.org accepted (the catch-all)"
is "$(wait_box 1)" 1 "3: one copy in the box, nothing for example.net"
diag "3: Postfix wrote: $(pfblock "$L/box.snap"/*)"
# with --users (mdrop-split(1)): an unknown user goes to the fallback
run_pipeline p3 "$SPLIT" "$DELIVER"
is "$(records p3)" "postmaster@example.org <>;" \
    "3: split --users: the unknown user's copy goes to the fallback, null sender kept"
ok "3: split logs unmappable reason=unknown-user" \
    grep -q "unmappable .*address=nosuchuser@example.org reason=unknown-user" "$L/run/p3.split.err"
is "$(results p3)" "postmaster@example.org ok;" "3: deliver: ok"
is "$(copies m3.mdrop@remote.test postmaster | wc -l | tr -d ' ')" 1 "3: postmaster has it once"
want_exact "3: byte-exact: deliver adds only Delivered-To: postmaster@example.org (Postfix's names nosuchuser)" \
    "$(copies m3.mdrop@remote.test postmaster)" 'Delivered-To: postmaster@example.org\n' '' nosuchuser@example.org nosuchuser@example.org "$M/m3.sent"
check_exact
ok "3: no Maildir for nosuchuser" test ! -e "$MR/example.org/nosuchuser"
# without --users: deliver --no-create --unknown-to (mdrop-deliver(1))
sed 's/nosuchuser/ghost/g; s/m3\.mdrop/m4.mdrop/' "$M/m3" >"$M/m4"
is "$(smtp_send "$M/m4" "" ghost@example.org | tr '\n' ';')" "accepted ghost@example.org;" \
    "3: ghost@example.org accepted"
is "$(wait_box 1)" 1 "3: its copy in the box"
run_pipeline p4 "-d example.org -f postmaster@example.org --delimiter +" \
    "--delimiter + --no-create --unknown-to postmaster@example.org -m $T"
is "$(records p4)" "ghost@example.org <>;" "3: split without --users: ghost@example.org"
is "$(awk -F'\t' '{ print $2 " " $3 " " $4 }' "$L/run/p4.out" | sed 's|: /.*||')" \
    "ghost@example.org ok to postmaster@example.org (ghost@example.org unknown)" \
    "3: deliver --no-create --unknown-to: to postmaster"
want_exact "3: byte-exact: deliver adds Delivered-To and X-Mdrop-Original-Recipient only" \
    "$(copies m4.mdrop@remote.test postmaster)" 'Delivered-To: postmaster@example.org\nX-Mdrop-Original-Recipient: <ghost@example.org>\n' '' ghost@example.org ghost@example.org "$M/m4.sent"
check_exact
is "$(where)" "example.org/alice/Maildir=2 example.org/bob/Maildir=2 example.org/carol/Maildir=1 example.org/postmaster/Maildir=2 " \
    "3: no Maildir for ghost, nothing else anywhere"

# --- 5. a second run delivers nothing more ----------------------------------
run_pipeline p5 "$SPLIT" "$DELIVER"
is "$(cat "$L/run/p5.rec" "$L/run/p5.out")" "" "5: a second run: no record, no result"
is "$(where)" "example.org/alice/Maildir=2 example.org/bob/Maildir=2 example.org/carol/Maildir=1 example.org/postmaster/Maildir=2 " \
    "5: a second run: the Maildirs unchanged"
is "$(find "$SP/new" "$SP/tmp" "$SP/failed" -type f | wc -l | tr -d ' ')$(box_count)" 00 "5: spool (new, tmp, failed) and box empty"

# --- Postfix: nothing left running, nothing of the system's touched ---------
is "$(grep -c 'status=sent' "$PF_LOG")" 7 "Postfix's log: seven copies sent, no other delivery"
ok "Postfix's log: no warning, error or fatal" sh -c "! grep -E ': (warning|error|fatal|panic): ' '$PF_LOG' | grep -v 'postfix-script.*: warning: not \(owned by group\|set-gid\)'"
pids=$(postfix_procs | tr '\n' ' ')
postfix_stop
# (a zombie counts as gone: the daemonised master's parent is init, which
# here reaps late; dovecot.sh's dovecot_alive does the same)
is "$(for p in $pids; do ps -o pid=,stat=,args= -p $p; done | awk '$2 !~ /^Z/')" "" \
    "postfix stopped: none of its processes is left"
sysstate >"$TESTDIR/sys.after"
is_file_bytes "$TESTDIR/sys.after" "$TESTDIR/sys.before" \
    "/etc/postfix, /var/spool/postfix, /var/lib/postfix untouched"

done_testing
