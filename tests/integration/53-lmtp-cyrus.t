#!/bin/sh
# mdrop-deliver -l, and mdrop-fetch, against a second real server: a
# private Cyrus IMAP 3.6 (tests/lib/cyrus.sh; the Debian packages are
# unpacked under build/peers, never installed). Every other test talks to
# Dovecot or to scripted fakes.
#
# Cyrus's lmtpd answers LHLO with 8BITMIME, ENHANCEDSTATUSCODES,
# PIPELINING, SIZE (no limit given), AUTH EXTERNAL and IGNOREQUOTA: no
# CHUNKING and no SMTPUTF8 (checked below). Dovecot 2.3 offers CHUNKING,
# so mdrop-deliver sends it BDAT; this test is the suite's only real
# server on the DATA path (354, dot-stuffing, the final ".").
#
# What Cyrus changes in a message it stores, undone by cyrus_strip (and
# nothing else is undone): it puts Return-Path:, Received: (with its
# continuation lines), X-Cyrus-Session-Id: and X-Sieve: on top, and stores
# CRLF line ends. It would also add Message-ID: and Date: to a header
# lacking them and turn 8-bit bytes in header lines into "X" (munge8bit):
# the messages here carry both headers and keep their 8-bit bytes in the
# body. A message whose last line has no LF is stored with CRLF after it:
# LMTP (RFC 2033/5321) ends the data with CRLF "." CRLF, so no server can
# keep "no final line end"; that copy is expected with an LF added.
# Cyrus's duplicate suppression (same Message-ID, same mailbox) is off in
# cyrus.sh, so a message delivered twice shows as two copies.

# Unpack as root, before tap.sh makes this test nobody (who cannot write
# build/ in a tree made by root).
if [ "$(id -u)" = 0 ] && [ "${TAP_UNPRIVILEGED:-0}" != 1 ]; then
	TOP=$(cd "$(dirname "$0")/../.." && pwd)
	. "$(dirname "$0")/../lib/unpack.sh"
	. "$(dirname "$0")/../lib/cyrus.sh"
	cyrus_unpack || exit 1
fi
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/unpack.sh"
. "$(dirname "$0")/../lib/cyrus.sh"
cyrus_unpack || exit 1
cyrus_start || { echo "Bail out! $CYRUS_ERROR"; exit 1; }

SPOOL=$TESTDIR/spool
mkdir -p "$SPOOL/tmp" "$SPOOL/new" "$SPOOL/failed"
chmod 700 "$SPOOL"
M=$TESTDIR/msgs
mkdir -p "$M"

# deliver RECORDS ARGS...: RECORDS (printf format, end lines added by
# ends) into mdrop-deliver ARGS; sets RC and OUT.
_n=0
deliver() {
	_recs=$1; shift
	_n=$((_n + 1))
	OUT=$TESTDIR/out.$_n
	printf "$_recs" | ends > "$OUT.in"
	mdrop-deliver --timeout 10 "$@" < "$OUT.in" >"$OUT" 2>"$OUT.err"
	RC=$?
}
# results: "RECIPIENT STATUS;" per result line
results() { cut -f2,3 "$OUT" | tr '\t' ' ' | tr '\n' ';'; }
# lines_ok: every result line is PATH<TAB>RCPT<TAB>ok<TAB>250 ..., the
# records' PATH and RECIPIENT in input order
lines_ok() {
	[ "$(cut -f1,2 "$OUT")" = "$(grep "$(printf '\t')" "$OUT.in" | cut -f1,2)" ] &&
	    [ "$(awk -F'\t' 'NF != 4 || $3 != "ok" || $4 !~ /^250 /' "$OUT")" = "" ]
}
count() { cyrus_box "$1" | wc -l | tr -d ' '; }
# box_is USER NAME MSG...: USER's INBOX holds exactly MSG... (files of $M;
# "name+" for name with an LF added), each once and byte-exact once
# Cyrus's own lines are stripped. Which message a stored file is comes from
# its Message-ID (<cyN.NAME@remote.test>, see msg): with several sessions
# the order of arrival, and so of Cyrus's UIDs, is not the order of input.
box_is() {
	_u=$1 _name=$2; shift 2
	_want=$(printf '%s\n' "$@" | sed 's/+$//' | sort | tr '\n' ' ')
	_have='' _bad=''
	for _f in $(cyrus_box "$_u"); do
		cyrus_strip "$_f" > "$TESTDIR/got.tmp"
		_w=$(sed -n 's/^Message-ID: <cy[0-9]*\.\(.*\)@remote.test>$/\1/p' "$TESTDIR/got.tmp" | head -n 1)
		_have="$_have$_w
"
		case " $* " in
		*" $_w+ "*) { cat "$M/$_w"; echo; } > "$TESTDIR/want.tmp" ;;
		*) cp "$M/$_w" "$TESTDIR/want.tmp" 2>/dev/null || : > "$TESTDIR/want.tmp" ;;
		esac
		cmp -s "$TESTDIR/got.tmp" "$TESTDIR/want.tmp" ||
			_bad="$_bad $_w($(cmp "$TESTDIR/got.tmp" "$TESTDIR/want.tmp" 2>&1 | head -n 1))"
	done
	_have=$(printf '%s' "$_have" | sort | tr '\n' ' ')
	if [ "$_have" != "$_want" ]; then
		fail "$_name" "$_u holds: $_have" "want: $_want"
	elif [ -n "$_bad" ]; then
		fail "$_name" "differ:$_bad"
	else
		pass "$_name"
	fi
}
# stored USER NAME: the file of USER's INBOX holding message NAME
stored() {
	for _f in $(cyrus_box "$1"); do
		grep -q "^Message-ID: <cy[0-9]*\.$2@remote.test>" "$_f" && { echo "$_f"; return; }
	done
	echo "$TESTDIR/no-such-message"
}
# msg NAME SUBJECT BODY-PRINTF: a message with every header Cyrus would
# otherwise add (Date:, Message-ID:)
_m=0
msg() {
	_m=$((_m + 1))
	printf 'From: Sender <s@remote.test>\nTo: list@example.org\nDate: Sun, 06 Dec 2026 12:00:00 +0000\nMessage-ID: <cy%d.%s@remote.test>\nSubject: %s\n\n' \
	    $_m "$1" "$2" > "$M/$1"
	printf "$3" >> "$M/$1"
	cp "$M/$1" "$SPOOL/new/$1"
}

# 0. What Cyrus's LMTP announces.
lhlo=$(python3 "$TOP/tests/lib/lhlo.py" "$CYRUS_LMTP_SOCKET" | cut -d" " -f1)
is "$(echo "$lhlo" | grep -E -x '8BITMIME|PIPELINING|CHUNKING|SMTPUTF8|SIZE' | sort | tr '\n' ' ')" \
    "8BITMIME PIPELINING SIZE " "Cyrus's LHLO: 8BITMIME PIPELINING SIZE, no CHUNKING, no SMTPUTF8"

# 1. Six messages for three users over the unix socket, default sessions
#    (4) and one transaction per recipient.
msg a1 dots '.leading dot\n..two dots\n.\n...\nafter the lone dot\n'
msg a2 eightbit 'caf\303\251 \344\366\374 \377\376 raw 8-bit\n.\n'
msg a3 nolf 'first line\nlast line without LF'
msg a4 two '8-bit too: na\303\257ve\nfor carol and alice\n'
msg a5 lastdot 'the last line is a lone dot\n.\n'
msg a6 empty ''
deliver "$SPOOL/new/a1\talice@example.org\ts@remote.test\n$SPOOL/new/a2\tbob@example.org\ts@remote.test\n$SPOOL/new/a3\tcarol@example.org\t\n$SPOOL/new/a4\tcarol@example.org\ts@remote.test\n$SPOOL/new/a4\talice@example.org\ts@remote.test\n$SPOOL/new/a5\tbob@example.org\ts@remote.test\n$SPOOL/new/a6\tcarol@example.org\ts@remote.test\n" \
    -l "unix:$CYRUS_LMTP_SOCKET"
is "$RC" 0 "unix: exit 0"
ok "unix: one 'PATH RCPT ok 250 ...' line per record, in order" lines_ok
is "$(ls "$SPOOL/new" | tr '\n' ' ')" "" "unix: spool new/ empty"
is "$(ls "$SPOOL/failed" | tr '\n' ' ')" "" "unix: nothing failed"
box_is alice "unix: alice has a1 a4, byte-exact" a1 a4
box_is bob "unix: bob has a2 a5, byte-exact" a2 a5
box_is carol "unix: carol has a3 (LF added) a4 a6, byte-exact" a3+ a4 a6
is "$(sed -n 1p "$(stored bob a2)" | tr -d '\r')" "Return-Path: <s@remote.test>" \
    "unix: the sender became Cyrus's Return-Path"
is "$(sed -n 1p "$(stored carol a3)" | tr -d '\r')" "Return-Path: <>" \
    "unix: the null sender became Return-Path: <>"

# 2. The same over TCP with --lmtp-sessions 1; then --lmtp-group (both
#    recipients of b3 in one transaction: two replies after one ".").
msg b1 dots2 '..\n.\n. \n.x\n'
msg b2 nolf2 'no LF after a dot line\n.'
msg b3 grouped 'caf\303\251 for dave and erin\n.\nend\n'
deliver "$SPOOL/new/b1\tdave@example.org\ts@remote.test\n$SPOOL/new/b2\terin@example.org\ts@remote.test\n" \
    -l "127.0.0.1:$CYRUS_LMTP_PORT" --lmtp-sessions 1
is "$RC" 0 "tcp, 1 session: exit 0"
ok "tcp, 1 session: one ok line per record" lines_ok
deliver "$SPOOL/new/b3\tdave@example.org\ts@remote.test\n$SPOOL/new/b3\terin@example.org\ts@remote.test\n" \
    -l "127.0.0.1:$CYRUS_LMTP_PORT" --lmtp-group
is "$RC" 0 "tcp, grouped: exit 0"
ok "tcp, grouped: one ok line per record" lines_ok
is "$(ls "$SPOOL/new" | tr '\n' ' ')" "" "tcp: spool new/ empty"
box_is dave "tcp: dave has b1 b3, byte-exact" b1 b3
box_is erin "tcp: erin has b2 (LF added) b3, byte-exact" b2+ b3

# 3. An unknown user next to known ones: 550 at RCPT, fail, exit 67; the
#    others delivered once; the message in failed/ with its .why. Once one
#    transaction per recipient (unix), once grouped (tcp).
msg c1 unknown 'for alice and an unknown user\n'
msg c2 unknown2 'for bob, an unknown user, carol\n'
deliver "$SPOOL/new/c1\tzed@example.org\ts@remote.test\n$SPOOL/new/c1\talice@example.org\ts@remote.test\n" \
    -l "unix:$CYRUS_LMTP_SOCKET"
is "$RC" 67 "unknown user: exit 67"
is "$(results)" "zed@example.org fail;alice@example.org ok;" "unknown user: fails alone"
# Cyrus's 550 has three lines and the enhanced code on the last alone
# (RFC 2034 wants it on each); mdrop joins them into the detail.
is "$(grep zed "$OUT" | cut -f4 | sed 's/^\(550 \).*\( 5\.1\.1 User unknown\)$/\1...\2/')" \
    "550 ... 5.1.1 User unknown" "unknown user: the detail is Cyrus's whole 550 reply"
box_is alice "unknown user: alice got c1 once" a1 a4 c1
ok "unknown user: c1 in failed/ with a .why, not in new/" \
    test -f "$SPOOL/failed/c1" -a -f "$SPOOL/failed/c1.why" -a ! -e "$SPOOL/new/c1"
ok "unknown user: the .why holds the reply" grep -q "zed@example.org	fail	550 .*5.1.1 User unknown" "$SPOOL/failed/c1.why"
cp "$OUT.in" "$TESTDIR/c1.records"
deliver "$SPOOL/new/c2\tbob@example.org\ts@remote.test\n$SPOOL/new/c2\tzed@example.org\ts@remote.test\n$SPOOL/new/c2\tcarol@example.org\ts@remote.test\n" \
    -l "127.0.0.1:$CYRUS_LMTP_PORT" --lmtp-group
is "$RC" 67 "unknown user, grouped: exit 67"
is "$(results)" "bob@example.org ok;zed@example.org fail;carol@example.org ok;" \
    "unknown user, grouped: fails alone"
box_is bob "unknown user, grouped: bob got c2 once" a2 a5 c2
box_is carol "unknown user, grouped: carol got c2 once" a3+ a4 a6 c2
ok "unknown user, grouped: c2 in failed/ with a .why" \
    test -f "$SPOOL/failed/c2" -a -f "$SPOOL/failed/c2.why" -a ! -e "$SPOOL/new/c2"

# 4. Reruns deliver nothing twice. A new process has no memory of what it
#    delivered over LMTP, and the done note went with the spool file, so
#    the records of 1 (files gone) are each "fail ... not delivered", exit
#    65, as mdrop-deliver(1) says ("ok when that recipient was delivered
#    (this process remembers, or the done note or the Maildir shows it)").
#    The records of c1 (in failed/; its .why keeps the done note, "ok
#    alice@example.org"): zed fails again (permanent: exit 67), and alice,
#    who was delivered, is ok: DESIGN.md "Record format", a record whose
#    spool file is gone "is fine if that recipient was delivered".
#    (Failed when this test was written: mdrop-deliver answered alice
#    with "fail message is in failed/ (see its .why)" too; it read the
#    done note only from SPOOL/NAME.done, gone with the move to failed/.
#    It reads the .why now; 50-lmtp-fake.t case 25 is the same check
#    against the fake server.)
before=$(for u in alice bob carol dave erin; do count $u; done | tr '\n' ' ')
OUT=$TESTDIR/out.rerun1
mdrop-deliver --timeout 10 -l "unix:$CYRUS_LMTP_SOCKET" < "$TESTDIR/out.1.in" >"$OUT" 2>"$OUT.err"
rc1=$? res1=$(cut -f3,4 "$OUT" | sort -u | tr '\t\n' ' ;')
OUT=$TESTDIR/out.rerun3
mdrop-deliver --timeout 10 -l "unix:$CYRUS_LMTP_SOCKET" < "$TESTDIR/c1.records" >"$OUT" 2>"$OUT.err"
rc3=$?
after=$(for u in alice bob carol dave erin; do count $u; done | tr '\n' ' ')
is "$after" "$before" "reruns: no mailbox got anything"
is "$rc1" 65 "rerun of 1: exit 65"
is "$res1" "fail spool file gone and this recipient not delivered;" \
    "rerun of 1: every record fail (file gone, not known delivered)"
is "$rc3" 67 "rerun of c1: exit 67"
is "$(results)" "zed@example.org fail;alice@example.org ok;" \
    "rerun of c1: zed fail, alice ok (the .why says she was delivered)"
ok "reruns: c1 still in failed/" test -f "$SPOOL/failed/c1"

# 5. mdrop-fetch from Cyrus's POP3 (implicit TLS): a multidrop box "drop"
#    filled over LMTP by python's smtplib (not by mdrop), each message with
#    its Delivered-To:; fetch | split | deliver into Maildirs. Cyrus's
#    Received: is the topmost line of each message, above the envelope
#    header, hence --trust-hops 1. The spool files must be Cyrus's stored
#    messages exactly (CRLF to LF: POP3 serves the stored file); each
#    Maildir copy is that plus the Delivered-To: mdrop-deliver adds on top
#    (the block above the first Received: lacks one).
printf 'From: s@remote.test\nDelivered-To: alice@example.org\nDate: Sun, 06 Dec 2026 12:00:00 +0000\nMessage-ID: <d1@remote.test>\nSubject: d1\n\n.leading\n..two\n.\ncaf\303\251\n' > "$M/d1"
printf 'From: s@remote.test\nDelivered-To: bob@example.org\nDate: Sun, 06 Dec 2026 12:00:00 +0000\nMessage-ID: <d2@remote.test>\nSubject: d2\n\nbody of d2\n' > "$M/d2"
printf 'From: s@remote.test\nDelivered-To: carol@example.org\nDate: Sun, 06 Dec 2026 12:00:00 +0000\nMessage-ID: <d3@remote.test>\nSubject: d3\n\n.\n' > "$M/d3"
python3 - "$CYRUS_LMTP_PORT" "$M/d1" "$M/d2" "$M/d3" <<'EOF' >"$TESTDIR/fill.err" 2>&1
import smtplib, sys
c = smtplib.LMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
for p in sys.argv[2:]:
    data = open(p, "rb").read().replace(b"\n", b"\r\n")
    c.sendmail("s@remote.test", ["drop@isp.test"], data)
c.quit()
EOF
ok "fill: three messages into drop over LMTP" test "$(count drop)" = 3
# Cyrus's stored copies, before the fetch expunges them
i=0
for f in $(cyrus_box drop); do
	i=$((i + 1))
	tr -d '\r' < "$f" > "$TESTDIR/stored.$i"
done
MAILDIRS=$TESTDIR/mail
mkdir -p "$MAILDIRS"
SP=$TESTDIR/fspool
# pipeline: fetch | split | deliver; FETCH_RC, DELIVER_RC
pipeline() {
	{
		MDROP_PASSWORD=$CYRUS_DROP_PASS mdrop-fetch -h localhost \
		    -p "$CYRUS_POP3S_PORT" --cafile "$CYRUS_CA_FILE" -u drop \
		    --timeout 10 "$SP" 2>"$TESTDIR/fetch.err"
		echo $? > "$TESTDIR/fetch.rc"
	} | tee "$TESTDIR/fetched" |
	    mdrop-split -d example.org --trust-hops 1 2>"$TESTDIR/split.err" |
	    mdrop-deliver -m "$MAILDIRS/%d/%l/Maildir" >"$TESTDIR/pop.out" 2>"$TESTDIR/deliver.err"
	DELIVER_RC=$? FETCH_RC=$(cat "$TESTDIR/fetch.rc")
}
pipeline
is "$FETCH_RC $DELIVER_RC" "0 0" "pop3: fetch and deliver exit 0"
is "$(wc -l < "$TESTDIR/fetched" | tr -d ' ')" 3 "pop3: three messages fetched"
is "$(cut -f2,3 "$TESTDIR/pop.out" | sort | tr '\t\n' ' ;')" \
    "alice@example.org ok;bob@example.org ok;carol@example.org ok;" "pop3: delivered to alice, bob, carol"
bad=0
for f in "$TESTDIR"/stored.*; do
	u=$(sed -n 's/^Delivered-To: \(.*\)@example.org$/\1/p' "$f")
	got=$(find "$MAILDIRS/example.org/$u/Maildir/new" -type f)
	{ printf 'Delivered-To: %s@example.org\n' "$u"; cat "$f"; } > "$TESTDIR/want.pop"
	cmp -s "$got" "$TESTDIR/want.pop" || { bad=$((bad + 1)); diag "$u: $(cmp "$got" "$TESTDIR/want.pop" 2>&1)"; }
done
is "$bad" 0 "pop3: every Maildir copy is Cyrus's stored message (+ Delivered-To), byte-exact"
is "$(ls "$SP/new" | wc -l | tr -d ' ')" 0 "pop3: fetch spool empty"
is "$(python3 - "$CYRUS_POP3_PORT" "$CYRUS_DROP_PASS" <<'EOF'
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
p.user("drop"); p.pass_(sys.argv[2])
print(p.stat()[0]); p.quit()
EOF
)" 0 "pop3: the box on Cyrus is empty"
pipeline
is "$FETCH_RC $DELIVER_RC" "0 0" "pop3 rerun: fetch and deliver exit 0"
is "$(wc -l < "$TESTDIR/fetched" | tr -d ' ')" 0 "pop3 rerun: nothing fetched"
is "$(find "$MAILDIRS" -type f -path '*/new/*' | wc -l | tr -d ' ')" 3 "pop3 rerun: no new Maildir file"

done_testing
