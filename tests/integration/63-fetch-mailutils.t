#!/bin/sh
# The whole pipeline against a second real POP3 server: GNU Mailutils pop3d
# (Debian's mailutils-pop3d 1:3.15, unpacked under build/peers/ by
# tests/lib/unpack.sh, run privately by tests/lib/mailutils.sh; Maildir
# box). Proves: byte-exact per-recipient delivery of a multidrop box, no
# second delivery on a rerun, --keep with Mailutils' UIDs (sender-forged
# X-UIDL included), kill -9 in mid-transfer then a rerun (each message in
# the spool exactly once), and TLS refusals before login (STLS and
# implicit TLS).
#
# Root: pop3d exits unless it can setgid(mail) (see mailutils.sh), so the
# test runs as root, pop3d as nobody:mail, and every mdrop tool as nobody
# (function `nb`), as mdrop is meant to run.
#
# What Mailutils 3.15 does to the mail it serves (all checked below):
# - UIDL computes each message's UID as MD5(message).UIDVALIDITY.N and
#   stores it in the message: an "X-UIDL: UID" header line is inserted at
#   the end of the header, in what RETR sends (already in the session that
#   first lists the UID: LIST then counts it, so STAT's total and LIST's
#   sizes disagree) and, at the end of the session, in the file. So the
#   spool copy is the message put in plus that one line. A header that
#   Mailutils rewrites this way is re-serialised (a value's leading blanks
#   are collapsed to one space, an empty "X:" gains a space): the test's
#   headers are written that way already.
# - A message that already has an X-UIDL: header gets that as its UID,
#   verbatim (Qpopper compatibility): whoever sends the mail chooses its
#   UID, with spaces or past RFC 1939's 70 octets (the value is cut at 127),
#   or the same one in two messages.
# - A message whose lines end in CRLF in the store is destroyed by the
#   server itself (its header and body are lost in what RETR sends and in
#   the rewritten file; mbox boxes lose the body too), so such a message
#   cannot be part of a test of mdrop; CRLF in the body alone is passed
#   through (sent as CR CR LF), and mdrop keeps the CR: the spool copy is
#   then byte-exact to the store.
TAP_ROOT=1
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/mailutils.sh"
mu_start || { echo "Bail out! $MU_ERROR"; exit 1; }

NB_UID=$(id -u nobody); NB_GID=$(id -g nobody)
W=$TESTDIR/w			# everything the mdrop tools write, nobody's
mkdir -p "$W" && chown "$NB_UID:$NB_GID" "$W" && chmod go+x "$TESTDIR"
# nb CMD...: CMD as nobody (its own group), HOME in $W
nb() {
	setpriv --reuid="$NB_UID" --regid="$NB_GID" --clear-groups \
	    env HOME="$W" "$@"
}
MAIL=$W/mail			# the local users' Maildirs (deliver makes them)
mkdir -p "$MAIL" && chown "$NB_UID:$NB_GID" "$MAIL"
T="$MAIL/%d/%l/Maildir"
M=$TESTDIR/m; mkdir -p "$M"
nfiles() { find "$@" -type f 2>/dev/null | wc -l | tr -d ' '; }
box() { mu_box_count; }
C="-u $MU_USER --password-file $MU_DIR/drop.pass --timeout 10"
STLS="-h localhost -p $MU_POP3_PORT --tls starttls --cafile $MU_CA_FILE"
IMPL="-h localhost -p $MU_POP3S_PORT --tls implicit --cafile $MU_CA_FILE"

# pipeline SPOOL FETCH-OPTIONS...: fetch | split | deliver as nobody; the
# three exit codes in $W/rc ("F S D"), stderr in $W/err, deliver's result
# lines in $W/res, fetch's paths in $W/paths.
pipeline() {
	_sp=$1; shift
	cat >"$W/pipe.sh" <<EOF
{ mdrop-fetch $C $* "$_sp"; echo \$? >"$W/rc.f"; } 2>>"$W/err" |
    tee "$W/paths" |
    { mdrop-split -d example.org -f postmaster@example.org; echo \$? >"$W/rc.s"; } 2>>"$W/err" |
    { mdrop-deliver -m "$T"; echo \$? >"$W/rc.d"; } >"$W/res" 2>>"$W/err"
EOF
	: >"$W/err"; rm -f "$W/rc.f" "$W/rc.s" "$W/rc.d"
	chown "$NB_UID:$NB_GID" "$W/pipe.sh" "$W/err"
	nb sh "$W/pipe.sh"
	echo "$(cat "$W/rc.f" 2>/dev/null) $(cat "$W/rc.s" 2>/dev/null) $(cat "$W/rc.d" 2>/dev/null)" >"$W/rc"
}
# fetch SPOOL OPTIONS...: mdrop-fetch alone, as nobody; stdout $W/out,
# stderr $W/err; returns its exit code.
fetch() {
	_sp=$1; shift
	nb mdrop-fetch $C "$@" "$_sp" >"$W/out" 2>"$W/err"
}

# copy_is GOT ORIG PREFIX NAME: GOT is PREFIX, then ORIG with exactly one
# line "X-UIDL: <a Mailutils UID>" added at the end of its header, and a
# final LF when ORIG lacks one (POP3 cannot send a last line without its
# CRLF); no other byte differs.
copy_is() {
	[ -f "$1" ] || { fail "$4" "no such file: '$1'"; return 0; }
	_why=$(python3 - "$1" "$2" "$3" <<'EOF'
import re, sys
got = open(sys.argv[1], "rb").read()
orig = open(sys.argv[2], "rb").read()
prefix = sys.argv[3].encode().decode("unicode_escape").encode("latin-1")
if not orig.endswith(b"\n"):
    orig += b"\n"
m = re.search(rb"\nX-UIDL: ([0-9a-f]{32}\.[0-9]+\.[0-9]+)\n\n", got)
if not m:
    print("no X-UIDL: MD5.UIDVALIDITY.N line at the end of the header")
    sys.exit()
h = orig.index(b"\n\n")
want = prefix + orig[:h + 1] + m.group(0)[1:-1] + orig[h + 1:]
if got != want:
    i = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]),
             min(len(got), len(want)))
    print("differs at byte %d: got %r want %r" % (i, got[i:i+40], want[i:i+40]))
EOF
)
	if [ -z "$_why" ]; then pass "$4"; else fail "$4" "$_why"; fi
}
# only_file DIR: the one file in DIR (empty when not exactly one)
only_file() {
	[ "$(nfiles "$1")" = 1 ] && find "$1" -type f
}
# file_with DIR SUBJECT: the file in DIR whose Subject: is SUBJECT
file_with() { grep -l -x -F "Subject: $2" "$1"/* 2>/dev/null | head -n 1; }

# ---------------------------------------------------------------------------
# 1. A multidrop box, as an ISP's Postfix fills it: Return-Path,
# X-Original-To and Delivered-To above the ISP's Received: line.
isp() {		# isp RCPT SENDER: the ISP's final-delivery block
	printf 'Return-Path: <%s>\nX-Original-To: %s\nDelivered-To: %s\n' "$2" "$1" "$1"
	printf 'Received: from mx.sender.test (mx.sender.test [192.0.2.7])\n'
	printf '\tby mx.isp.test (Postfix) with ESMTPS id 4Q1;\n'
	printf '\tSun,  6 Dec 2026 10:00:00 +0000 (UTC)\n'
}
{ isp alice@example.org a@sender.test
  printf 'From: a@sender.test\nTo: list@lists.test\nSubject: dots\nMessage-ID: <dots@sender.test>\n\n'
  printf '.leading dot\n..two dots\n.\n...\n. \nFrom the start\n>From quoted\nend\n'; } >"$M/dots"
{ isp bob@example.org b@sender.test
  printf 'From: b@sender.test\nSubject: crlf body\nMessage-ID: <crlf@sender.test>\n\n'
  printf 'line one\r\n.dot\r\nlast\r\n'; } >"$M/crlf"
{ isp carol@example.org c@sender.test
  printf 'From: c@sender.test\nSubject: eight bit\nContent-Type: text/plain; charset=iso-8859-1\n\n'
  printf 'caf\351 \344\366\374 \200\201\376\377 \0 nul\n'; } >"$M/8bit"
{ isp dave@example.org d@sender.test
  printf 'From: d@sender.test\nSubject: no final LF\n\nlast line has no LF'; } >"$M/nolf"
# Some ISPs list every recipient of the copy in one envelope header.
{ printf 'Return-Path: <e@sender.test>\nX-Original-To: bob@example.org, carol@example.org\n'
  printf 'Delivered-To: bob@example.org, carol@example.org\n'
  printf 'Received: by mx.isp.test (Postfix) id 4Q5\n'
  printf 'From: e@sender.test\nTo: alice@example.org\nSubject: two recipients\n\nfor two\n'; } >"$M/two"
# No envelope header: the fallback, never To:.
{ printf 'Return-Path: <f@sender.test>\nReceived: by mx.isp.test (Postfix) id 4Q6\n'
  printf 'From: f@sender.test\nTo: erin@example.org\nSubject: no envelope\n\nwho gets this?\n'; } >"$M/noenv"
for f in dots crlf 8bit nolf two noenv; do mu_put "$M/$f" >/dev/null; done
is "$(box)" 6 "six messages in the Mailutils box"

SP=$W/spool
pipeline "$SP" $STLS
is "$(cat "$W/rc")" "0 0 0" "fetch (STLS) | split | deliver: all exit 0"
[ "$(cat "$W/rc")" = "0 0 0" ] || diag "$(cat "$W/err"; tail -n 20 "$MU_LOG")"
is "$(nfiles "$SP/new")" 0 "spool new/ empty afterwards"
is "$(box)" 0 "the server's box is empty"
is "$(wc -l <"$W/paths" | tr -d ' ')" 6 "fetch printed six paths"
for u in alice bob carol dave postmaster; do
	eval "n_$u=\$(nfiles \"$MAIL/example.org/$u/Maildir/new\")"
done
is "$n_alice $n_bob $n_carol $n_dave $n_postmaster" "1 2 2 1 1" \
    "messages per Maildir: alice 1, bob 2, carol 2, dave 1, postmaster 1"
is "$(ls "$MAIL/example.org" | tr '\n' ' ')" "alice bob carol dave postmaster " \
    "no Maildir for anyone else (erin of To: gets nothing)"
is "$(nfiles "$MAIL")" 7 "seven deliveries in all"
D=$MAIL/example.org
copy_is "$(only_file "$D/alice/Maildir/new")" "$M/dots" "" \
    "alice: dot lines, lone dot, From lines byte-exact"
copy_is "$(file_with "$D/bob/Maildir/new" 'crlf body')" "$M/crlf" "" \
    "bob: CRLF body lines kept (CR CR LF on the wire, CR LF stored)"
copy_is "$(file_with "$D/carol/Maildir/new" 'eight bit')" "$M/8bit" "" \
    "carol: 8-bit bytes and a NUL byte-exact"
copy_is "$(only_file "$D/dave/Maildir/new")" "$M/nolf" "" \
    "dave: a last line without LF gets one, nothing else changes"
copy_is "$(file_with "$D/bob/Maildir/new" 'two recipients')" "$M/two" \
    'Delivered-To: bob@example.org\n' "bob: the two-recipient copy"
copy_is "$(file_with "$D/carol/Maildir/new" 'two recipients')" "$M/two" \
    'Delivered-To: carol@example.org\n' "carol: the two-recipient copy"
copy_is "$(only_file "$D/postmaster/Maildir/new")" "$M/noenv" \
    'Delivered-To: postmaster@example.org\n' "postmaster: the message without envelope (fallback -f)"
ok "fetch logged the session" grep -q 'session host=localhost fetched=6 .* deleted=6 ' "$W/err"

# ---------------------------------------------------------------------------
# 2. Rerun: nothing fetched, nothing delivered twice.
pipeline "$SP" $IMPL
is "$(cat "$W/rc")" "0 0 0" "rerun (implicit TLS): all exit 0"
[ "$(cat "$W/rc")" = "0 0 0" ] || diag "$(cat "$W/err")"
ok "rerun: nothing fetched" grep -q 'session host=localhost fetched=0 ' "$W/err"
is "$(wc -c <"$W/paths" | tr -d ' ')" 0 "rerun: no path printed"
for u in alice bob carol dave postmaster; do
	eval "m_$u=\$(nfiles \"$D/$u/Maildir/new\" \"$D/$u/Maildir/cur\")"
done
is "$m_alice $m_bob $m_carol $m_dave $m_postmaster $(nfiles "$MAIL")" "1 2 2 1 1 7" \
    "rerun: every Maildir holds what it held"

# ---------------------------------------------------------------------------
# 3. --keep: Mailutils' UIDs. The first --keep session makes the UIDs and
# the server writes them into its files at the session's end; LIST already
# counted the X-UIDL: line in that session (UIDL comes first), so in this
# Maildir box the sizes do not change between sessions (an mbox box also
# gains Status: and X-IMAPbase: fields: size-changed in mdrop-fetch(1)
# "Reused UIDs"), and the UIDs stay. Then three messages whose sender chose
# the UID (X-UIDL: in the mail): one with spaces, one of 150 octets
# (Mailutils cuts it to 127: past RFC 1939's 70), and two with the same
# one. mdrop-fetch(1): "A message with an invalid or duplicate UID is
# fetched but never deleted" (warned as bad-uid / duplicate-uid).
SK=$W/keep
for i in 1 2 3; do
	printf 'Delivered-To: alice@example.org\nReceived: by mx.isp.test\nSubject: keep %s\nMessage-ID: <keep%s@sender.test>\n\nkeep %s\n' \
	    $i $i $i >"$M/keep$i"
	mu_put "$M/keep$i" >/dev/null
done
exit_is 0 "--keep, first session" fetch "$SK" $IMPL --keep
is "$(nfiles "$SK/new")" 3 "--keep: three spooled"
is "$(box)" 3 "--keep: three still on the server"
grep -h '^X-UIDL: ' "$MU_BOX"/cur/* "$MU_BOX"/new/* 2>/dev/null | sort >"$W/uids.server"
sed -n 's/^X-UIDL: //p' "$SK"/new/* | sort >"$W/uids.spool"
is "$(wc -l <"$W/uids.server" | tr -d ' ')" 3 "--keep: the server wrote X-UIDL: into its three files"
is "$(sed 's/^X-UIDL: //' "$W/uids.server")" "$(cat "$W/uids.spool")" \
    "--keep: the spool copies carry the same UIDs"
exit_is 0 "--keep, second session" fetch "$SK" $STLS --keep
is "$(nfiles "$SK/new")" 3 "--keep again: nothing spooled again"
ok "--keep again: fetched=0" grep -q 'session host=localhost fetched=0 ' "$W/err"
is "$(wc -l <"$W/out" | tr -d ' ')" 3 "--keep again: the three waiting paths printed"
is "$(box)" 3 "--keep again: all still on the server"
# the sender-chosen UIDs
printf 'Delivered-To: bob@example.org\nX-UIDL: forged uid with spaces\nSubject: spaces\n\nx\n' >"$M/f1"
printf 'Delivered-To: bob@example.org\nX-UIDL: %s\nSubject: long uid\n\nx\n' \
    "$(printf 'u%.0s' $(seq 150))" >"$M/f2"
printf 'Delivered-To: bob@example.org\nX-UIDL: same-uid\nSubject: dup a\n\na\n' >"$M/f3"
printf 'Delivered-To: bob@example.org\nX-UIDL: same-uid\nSubject: dup b\n\nb\n' >"$M/f4"
for f in f1 f2 f3 f4; do mu_put "$M/$f" >/dev/null; done
exit_is 0 "--keep with sender-chosen UIDs" fetch "$SK" $IMPL --keep
is "$(nfiles "$SK/new")" 7 "--keep: the four new ones spooled, the three noted ones not"
for s in spaces 'long uid' 'dup a' 'dup b'; do
	f=$(file_with "$SK/new" "$s")
	ok "--keep: '$s' spooled byte-exact" cmp -s "$f" "$M/$(grep -l -x -F "Subject: $s" "$M"/f? | xargs basename)"
done
is "$(grep -c 'warning: bad-uid' "$W/err")" 2 "two bad-uid warnings (spaces, 127 octets)"
is "$(grep -c 'warning: duplicate-uid' "$W/err")" 1 "one duplicate-uid warning"
# Without --keep: the three noted ones are DELEd once TOP has confirmed
# them (not fetched again); the four with unusable UIDs are fetched again
# and left on the server again, as documented: at least once for them.
exit_is 0 "without --keep" fetch "$SK" $IMPL
is "$(box)" 4 "only the four with unusable UIDs are left on the server"
is "$(nfiles "$SK/new")" 11 "the noted three were not fetched again; the four unusable ones were (at least once)"
rm -f "$MU_BOX"/new/* "$MU_BOX"/cur/*

# ---------------------------------------------------------------------------
# 4. kill -9 in mid-transfer, then a rerun: every message exactly once.
# The moment comes from progress, not time: pop3d's transcript shows the
# K-th RETR (its session process reads a command only after it has sent
# the previous reply), then that session process is stopped (SIGSTOP), so
# the transfer cannot end before the kill; once mdrop-fetch has made some
# of the messages it holds durable in new/ (and sent their DELE, which the
# stopped server has not read), it gets kill -9.
N=200
K=100
python3 - "$MU_BOX" $N "$(id -u nobody)" "$(getent group mail | cut -d: -f3)" <<'PY'
import os, sys
box, n, uid, gid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for i in range(n):
    name = "1796000000.M%dP%d.many" % (i, os.getpid())
    t = os.path.join(box, "tmp", name)
    with open(t, "w") as f:
        f.write("Delivered-To: alice@example.org\nReceived: by mx.isp.test\n"
                "Subject: m%04d\nMessage-ID: <m%04d@x.test>\n\n%s\nbody %04d\n"
                % (i, i, ("x" * 75 + "\n") * (100 + i % 50), i))
    os.chmod(t, 0o600)
    os.chown(t, uid, gid)
    os.rename(t, os.path.join(box, "new", name))
PY
is "$(box)" $N "$N messages in the box"
SS=$W/kill
log0=$(wc -l <"$MU_LOG")
# A watcher, started first, reads the transcript as it grows (a bounded
# wait: 20 s) and stops pop3d's session processes as soon as the K-th
# RETR is logged; it prints their pids.
python3 - "$MU_LOG" "$log0" $K "$MU_PID" "$W/watch.ready" >"$W/stopped" <<'PY' &
import os, signal, sys, time
log, skip, k, master = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def children():
    out = []
    for p in os.listdir("/proc"):
        try:
            st = open("/proc/%s/stat" % p).read()
        except OSError:
            continue
        if p.isdigit() and st[st.rindex(")") + 2:].split()[1] == master:
            out.append(int(p))
    return out
f = open(log, "rb")
for _ in range(skip):
    f.readline()
open(sys.argv[5], "w").write("ready\n")
n, buf, end = 0, b"", time.monotonic() + 20
while n < k and time.monotonic() < end:
    data = f.read()
    if not data:
        time.sleep(0.001)
        continue
    buf += data
    lines = buf.split(b"\n")
    buf = lines.pop()
    n += sum(1 for l in lines if b"C: RETR " in l)
if n >= k:
    for c in children():
        os.kill(c, signal.SIGSTOP)
        print(c)
PY
watcher=$!
i=0
while [ ! -s "$W/watch.ready" ] && [ $i -lt 1000 ]; do
	sleep 0.01; i=$((i + 1))	# bounded: 10 s
done
# not through nb: $! must be mdrop-fetch itself (setpriv and env exec it)
setpriv --reuid="$NB_UID" --regid="$NB_GID" --clear-groups env HOME="$W" \
    mdrop-fetch $C $IMPL "$SS" >/dev/null 2>"$W/kill.err" &
pid=$!
wait $watcher
child=$(cat "$W/stopped")
# The server is stopped with about K replies sent: mdrop-fetch still
# makes the first of them durable. Wait (bounded) until one is in new/.
i=0
while [ -n "$child" ] && [ "$(nfiles "$SS/new")" = 0 ] && [ $i -lt 2000 ] &&
    kill -0 $pid 2>/dev/null; do
	sleep 0.01; i=$((i + 1))	# bounded: 20 s
done
seen=$(tail -n +$((log0 + 1)) "$MU_LOG" | grep -c 'C: RETR ')
comm=$(cat /proc/$pid/comm 2>/dev/null)
if kill -9 $pid 2>/dev/null; then killed=yes; else killed=no; fi
wait $pid 2>/dev/null
[ -n "$child" ] && kill -CONT $child
at=$(nfiles "$SS/new")
is "$comm $killed" "mdrop-fetch yes" "kill -9 in the session (server stopped after RETR $seen of $N)"
ok "the server was stopped at RETR $K or later" test -n "$child" -a "$seen" -ge $K
ok "killed in mid-transfer: $at of $N spooled" test "$at" -gt 0 -a "$at" -lt $N
# the session process ends on the broken connection; wait for it (bounded)
i=0
while [ -n "$child" ] && kill -0 $child 2>/dev/null && [ $i -lt 500 ]; do
	sleep 0.01; i=$((i + 1))
done
is "$(box)" $N "the killed session deleted nothing (no QUIT: Mailutils does no UPDATE)"
exit_is 0 "rerun after kill -9" fetch "$SS" $IMPL
is "$(box)" 0 "box empty after the rerun"
python3 "$TOP/tests/lib/spool_once.py" "$SS/new" $N >"$W/dups"
is "$(cat "$W/dups")" "" "every message exactly once in the spool"
is "$(nfiles "$SS/new")" $N "$N spool files"
is "$(nfiles "$SS/tmp")" 0 "spool tmp/ empty"

# ---------------------------------------------------------------------------
# 5. TLS: a CA that did not sign the server's certificate is refused
# before login (no USER reaches the server), nothing is deleted.
mkdir -p "$TESTDIR/other" && mkca "$TESTDIR/other" >/dev/null &&
    chmod -R a+rX "$TESTDIR/other"
mu_put "$M/dots" >/dev/null
ST=$W/tls
n0=$(grep -c 'C: USER' "$MU_LOG")
fetch "$ST" -h localhost -p "$MU_POP3S_PORT" --tls implicit --cafile "$TESTDIR/other/ca.pem"; rc=$?
is "$rc" 69 "implicit TLS, wrong CA: refused (exit 69)"
ok "implicit TLS, wrong CA: says why" grep -q 'tls-failed' "$W/err"
fetch "$ST" -h localhost -p "$MU_POP3_PORT" --tls starttls --cafile "$TESTDIR/other/ca.pem"; rc=$?
is "$rc" 69 "STLS, wrong CA: refused (exit 69)"
ok "STLS, wrong CA: says why" grep -q 'tls-failed' "$W/err"
is "$(grep -c 'C: USER' "$MU_LOG")" "$n0" "no login reached the server"
is "$(box)" 1 "nothing deleted"
is "$(nfiles "$ST/new")" 0 "nothing spooled"
exit_is 0 "the right CA: fetched" fetch "$ST" $IMPL
is "$(box)$(nfiles "$ST/new")" 01 "the right CA: spooled, deleted"
ok "password never in pop3d's transcript" sh -c "! grep -qF '$MU_PASS' '$MU_LOG'"

done_testing
