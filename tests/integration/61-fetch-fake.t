#!/bin/sh
# mdrop-fetch against the scripted fake POP3 server (tests/lib/fake_pop3.py):
# hostile servers, cut connections, bad UIDs, refusals. HOSTILE.md 1-27.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/fake_pop3.sh"

export MDROP_PASSWORD=secret


# fetch DIR [options...]: run mdrop-fetch on DIR/spool; output in DIR/out,
# DIR/err; returns its exit code.
fetch() {
	_d=$1; shift
	mdrop-fetch --tls none -h 127.0.0.1 -p "$FAKE_PORT" -u drop \
	    --timeout 3 "$@" "$_d/spool" >"$_d/out" 2>"$_d/err"
}

# new_case NAME: a fresh directory with an empty msgs/.
new_case() {
	C=$TESTDIR/$1
	mkdir -p "$C/msgs"
}

# spool_is DIR: the spool holds exactly one file per message, each equal
# to what the client must store (dot-unstuffed, CRLF -> LF, a final LF
# when the server had to add a CRLF), and nothing else; tmp/ is empty.
spool_is() {
	python3 - "$@" <<'EOF'
import glob, os, sys
d = sys.argv[1]
names = sys.argv[2:]
want = []
for n in names:
    data = open(os.path.join(d, "msgs", n + ".msg"), "rb").read()
    exp = data.replace(b"\r\n", b"\n")
    if not data.endswith(b"\r\n"):
        exp += b"\n"
    want.append(exp)
got = [open(f, "rb").read() for f in glob.glob(os.path.join(d, "spool/new/*"))]
tmp = os.listdir(os.path.join(d, "spool/tmp"))
if sorted(got) != sorted(want) or tmp:
    print("# spool has %d files, want %d; tmp=%r" % (len(got), len(want), tmp))
    sys.exit(1)
EOF
}
# A self-signed certificate for the TLS cases (the fake's STLS needs one).
CERT=$TESTDIR/cert.pem KEY=$TESTDIR/key.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout $KEY -out $CERT -days 2 -subj /CN=fake.test \
    -addext subjectAltName=DNS:fake.test 2>/dev/null
fp=$(openssl x509 -in $CERT -noout -fingerprint -sha256 | sed 's/.*=//')
log_has() { grep -qx "C: $2" "$1/log"; }
log_lacks() { ! grep -q "^C: $2" "$1/log"; }

# 1. dot-stuffing, bare LF "\n.\n", NUL, CR, 1 MiB line, no final newline.
new_case basic
printf 'Subject: a\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nx\r\n' > $C/msgs/1.msg
printf 'Subject: b\n\nbare LF body\n.\n+OK injected\n.\r\nend\r\n' > $C/msgs/2.msg
printf 'Subject: c\r\n\r\nNUL \000 here, bare CR \r there\r\nno final newline' > $C/msgs/3.msg
python3 -c 'import sys; sys.stdout.buffer.write(b"Subject: d\r\n\r\n" + b"z" * (1 << 20) + b"\r\n")' > $C/msgs/4.msg
: > $C/msgs/5.msg
start_fake $C --opt pipelining
exit_is 0 "plain session, pipelined" fetch $C
ok "spooled byte-exact (dots, bare LF, NUL, 1 MiB line, empty)" spool_is $C 1 2 3 4 5
is "$(wc -l < $C/out)" 5 "five paths on stdout"
ok "each path exists" sh -c 'for p in $(cat '"$C"'/out); do test -f "$p" || exit 1; done'
ok "DELE for all" sh -c 'for n in 1 2 3 4 5; do grep -qx "C: DELE $n" '"$C"'/log || exit 1; done'
ok "summary line" grep -q 'session host=127.0.0.1 fetched=5 bytes=.* deleted=5 kept=0 seconds=' $C/err
: > $C/log
exit_is 0 "second run" fetch $C
is "$(grep -c RETR $C/log)" 0 "second run: nothing left to fetch"
is "$(wc -l < $C/out)" 5 "second run prints the waiting paths again"
stop_fake

# 2. --tls=starttls without STLS: never a credential (HOSTILE 20).
new_case nostls
printf 'x\r\n' > $C/msgs/1.msg
start_fake $C --tls starttls --cert $CERT --key $KEY --opt nostls
fetch $C --tls starttls; rc=$?
ok "no STLS: fails (exit $rc)" test $rc -ne 0 -a $rc -ne 75
ok "no STLS: no USER/PASS/AUTH sent" sh -c '! grep -Eq "^C: (USER|PASS|AUTH|APOP)" '"$C"'/log'
ok "no STLS: says why" grep -q 'no-stls' $C/err
stop_fake

# 3. plaintext injected after STLS +OK (HOSTILE 21).
new_case inject
printf 'x\r\n' > $C/msgs/1.msg
start_fake $C --tls starttls --cert $CERT --key $KEY --opt stls-inject
exit_is 75 "STLS injection: protocol error" fetch $C --tls starttls
ok "STLS injection: no credentials" sh -c '! grep -Eq "^C: (USER|PASS|AUTH)" '"$C"'/log'
stop_fake

# 4. connection cut mid-RETR (HOSTILE 2, 18): no DELE of it, no partial.
new_case cut
for n in 1 2 3; do printf 'Message-ID: <%s@cut.test>\r\nSubject: %s\r\n\r\nbody %s\r\nmore\r\n' $n $n $n > $C/msgs/$n.msg; done
start_fake $C --opt cut-retr=2
exit_is 75 "cut mid-RETR" fetch $C
ok "cut: message 2 never DELEd" log_lacks $C "DELE 2"
ok "cut: no QUIT" log_lacks $C QUIT
ok "cut: only message 1 spooled, tmp/ empty" spool_is $C 1
stop_fake
start_fake $C
exit_is 0 "cut: rerun" fetch $C
ok "rerun: message 1 DELEd without RETR" sh -c 'grep -qx "C: DELE 1" '"$C"'/log && ! grep -qx "C: RETR 1" '"$C"'/log'
ok "rerun: every message exactly once" spool_is $C 1 2 3
stop_fake

# 4b. progress (issue 6): one updating line on a terminal, never otherwise.
new_case progress
for n in 1 2 3; do printf 'Subject: %s\r\n\r\np\r\n' $n > $C/msgs/$n.msg; done
start_fake $C
script -qec "mdrop-fetch --tls none -h 127.0.0.1 -p $FAKE_PORT -u drop --timeout 3 $C/spool 2>&1 >/dev/null" /dev/null > $C/tty.out
ok "progress on a terminal: messages, bytes, rate, ETA" \
    grep -Eq 'mdrop-fetch: 3/3 messages [0-9]+ bytes [0-9]+ KB/s [0-9]+s ETA [0-9]+s' $C/tty.out
stop_fake
rm -rf $C/spool
start_fake $C
exit_is 0 "progress: same session with stderr not a terminal" fetch $C
ok "no progress line when stderr is not a terminal" sh -c '! grep -q "messages.*KB/s" '"$C"'/err'
stop_fake

# 4c. slow consumer (HOSTILE 68): with a reader that does not read, the
# session still ends (QUIT) and the paths come out when the pipe drains.
new_case slowreader
python3 -c '
import sys
for n in range(1, 1201):
    open("%s/msgs/%d.msg" % (sys.argv[1], n), "w").write("Subject: %d\r\n\r\nx\r\n" % n)
' $C
start_fake $C --opt pipelining
mdrop-fetch --tls none -h 127.0.0.1 -p "$FAKE_PORT" -u drop --timeout 3 \
    --max-messages 1200 $C/spool 2>$C/err |
    { i=0; while ! grep -qx "C: QUIT" $C/log && [ $i -lt 600 ]; do
	sleep 0.05; i=$((i + 1)); done	# the reader waits for the session's end
      grep -qx "C: QUIT" $C/log && : > $C/quit-first; cat > $C/out; }
ok "slow reader: more paths than a pipe holds" test "$(wc -c < $C/out)" -gt 65536
ok "slow reader: the session ended (QUIT) before the reader read anything" \
    test -e $C/quit-first
is "$(wc -l < $C/out)" 1200 "slow reader: every path printed once the pipe drained"
ok "slow reader: no error" sh -c '! grep -q "error:" '"$C"'/err'
stop_fake

# 5. multi-line reply never terminated (HOSTILE 1): timeout, exit 75.
new_case stall
printf 'Subject: s\r\n\r\nstalled body\r\nline\r\n' > $C/msgs/1.msg
start_fake $C --opt stall-retr=1
t0=$(date +%s)
exit_is 75 "stalled RETR times out" fetch $C --timeout 2
t1=$(date +%s)
ok "stall: gave up within 10 s" test $((t1 - t0)) -lt 10
ok "stall: no DELE" log_lacks $C "DELE"
ok "stall: nothing spooled, tmp/ empty" spool_is $C
stop_fake

# 5b. a reply that trickles a byte a second is never idle but never ends
# (HOSTILE 1, total timeout): at least 1 KiB per --timeout, or exit 75.
new_case trickle
printf 'Subject: t\r\n\r\ntrickled body\r\nline\r\n' > $C/msgs/1.msg
start_fake $C --opt trickle-retr=1
t0=$(date +%s)
exit_is 75 "trickling RETR is cut off" fetch $C --timeout 2
t1=$(date +%s)
ok "trickle: gave up within 12 s" test $((t1 - t0)) -lt 12
ok "trickle: says why" grep -q 'too-slow' $C/err
ok "trickle: no DELE" log_lacks $C "DELE"
ok "trickle: nothing spooled, tmp/ empty" spool_is $C
stop_fake

# 6. bad, duplicate and long UIDs (HOSTILE 12-14): fetched, never DELEd.
new_case uids
for n in 1 2 3 4 5 6 7; do printf 'Subject: %s\r\n\r\nu\r\n' $n > $C/msgs/$n.msg; done
printf 'good-1' > $C/msgs/1.uid
printf 'has space' > $C/msgs/2.uid
python3 -c 'print("u" * 71, end="")' > $C/msgs/3.uid
printf 'dup' > $C/msgs/4.uid
printf 'dup' > $C/msgs/5.uid
printf '../x' > $C/msgs/6.uid
printf 'ctl\001' > $C/msgs/7.uid
start_fake $C
exit_is 0 "bad UIDs: session completes" fetch $C
ok "bad UIDs: all seven spooled" spool_is $C 1 2 3 4 5 6 7
ok "bad UIDs: only the good ones DELEd" sh -c 'grep "^C: DELE" '"$C"'/log | tr "\n" " " | grep -qx "C: DELE 1 C: DELE 6 "'
ok "bad UIDs: logged" grep -q 'duplicate-uid' $C/err
ok "'../x' never in a file name" sh -c '! find '"$C"'/spool -name "*x*" -path "*..*" | grep -q .'
stop_fake

# UIDL numbering beyond STAT (HOSTILE 16): abort, nothing deleted.
new_case range
printf 'x\r\n' > $C/msgs/1.msg
start_fake $C --opt uidl-extra
exit_is 75 "UIDL out of range: abort" fetch $C
ok "UIDL out of range: no RETR, no DELE" sh -c '! grep -Eq "^C: (RETR|DELE)" '"$C"'/log'
ok "UIDL out of range: named" grep -q 'out-of-range' $C/err
stop_fake

# 7. LIST lying about sizes (HOSTILE 9): advisory only.
new_case list
python3 -c 'import sys; sys.stdout.buffer.write(b"Subject: big\r\n\r\n" + b"b" * 3000 + b"\r\n")' > $C/msgs/1.msg
echo 10 > $C/msgs/1.size
printf 'Subject: small\r\n\r\nsmall\r\n' > $C/msgs/2.msg
echo 999999999 > $C/msgs/2.size
start_fake $C
exit_is 0 "LIST lies, no --max-size: both fetched" fetch $C --keep
ok "LIST lies: byte-exact" spool_is $C 1 2
stop_fake
rm -rf $C/spool
start_fake $C
exit_is 0 "LIST lies with --max-size 1000" fetch $C --max-size 1000
ok "max-size: actual bytes decide, not LIST" spool_is $C 2
ok "max-size: big message left on the server" log_lacks $C "DELE 1"
ok "max-size: logged" grep -q 'too-big.*msg=1' $C/err
exit_is 0 "max-size: next run" fetch $C --max-size 1000
is "$(grep -c 'C: RETR' $C/log)" 2 "max-size: not fetched again"
ok "max-size: logged once per UID" sh -c '! grep -q too-big '"$C"'/err'
stop_fake

# 8. a 1 MiB status line (HOSTILE 3).
new_case longline
start_fake $C --opt greeting-long
exit_is 75 "1 MiB greeting: protocol error" fetch $C
ok "1 MiB greeting: nothing sent but nothing" log_lacks $C USER
ok "1 MiB greeting: named" grep -q 'status line too long' $C/err
stop_fake

# 9. QUIT answered -ERR (HOSTILE 18): next session DELEs without RETR.
new_case quiterr
for n in 1 2; do printf 'Message-ID: <%s@quiterr.test>\r\nSubject: %s\r\n\r\nq\r\n' $n $n > $C/msgs/$n.msg; done
start_fake $C --opt quit-err
exit_is 75 "QUIT -ERR" fetch $C
ok "QUIT -ERR: both spooled" spool_is $C 1 2
stop_fake
start_fake $C
exit_is 0 "after QUIT -ERR: rerun" fetch $C
ok "rerun: no RETR" log_lacks $C RETR
ok "rerun: DELE 1 and 2" sh -c 'grep -qx "C: DELE 1" '"$C"'/log && grep -qx "C: DELE 2" '"$C"'/log'
ok "rerun: still exactly once" spool_is $C 1 2
stop_fake

# 10. response codes (HOSTILE 19) and a wrong password.
new_case codes
printf 'x\r\n' > $C/msgs/1.msg
start_fake $C --opt "pass-err=[IN-USE] mailbox locked"
exit_is 75 "[IN-USE]" fetch $C
stop_fake
start_fake $C --opt "pass-err=[AUTH] go away"
exit_is 77 "[AUTH]" fetch $C
stop_fake
start_fake $C --opt "pass-err=[SYS/TEMP] try later"
exit_is 75 "[SYS/TEMP]" fetch $C
stop_fake
start_fake $C
MDROP_PASSWORD=wrong exit_is 77 "wrong password" fetch $C
ok "wrong password: nothing fetched" log_lacks $C RETR
start_fake $C --opt sasl-plain
exit_is 0 "SASL PLAIN when offered" fetch $C --keep
ok "PLAIN used, not USER" sh -c 'grep -q "^C: AUTH PLAIN " '"$C"'/log && ! grep -q "^C: USER" '"$C"'/log'
stop_fake

# 11. RETR -ERR (HOSTILE 17): skip it, fetch the rest, exit 75.
new_case retrerr
for n in 1 2; do printf 'Subject: %s\r\n\r\nr\r\n' $n > $C/msgs/$n.msg; done
start_fake $C --opt retr-err=1
exit_is 75 "RETR -ERR" fetch $C
ok "RETR -ERR: the other one spooled" spool_is $C 2
ok "RETR -ERR: not DELEd" log_lacks $C "DELE 1"
stop_fake

# 12. no UIDL (HOSTILE 11); APOP (HOSTILE 26); endless CAPA (HOSTILE 3).
new_case nouidl
printf 'x\r\n' > $C/msgs/1.msg
start_fake $C --opt no-uidl
exit_is 78 "no UIDL: --keep refuses" fetch $C --keep
exit_is 0 "no UIDL: at-least-once" fetch $C
ok "no UIDL: warned" grep -q 'no-uidl' $C/err
stop_fake
new_case apop
printf 'x\r\n' > $C/msgs/1.msg
start_fake $C --opt apop
exit_is 0 "APOP" fetch $C --auth apop
ok "APOP sent, no PASS" sh -c 'grep -q "^C: APOP drop [0-9a-f]\{32\}$" '"$C"'/log && ! grep -q "^C: PASS" '"$C"'/log'
stop_fake
start_fake $C
exit_is 69 "APOP without a timestamp: refused" fetch $C --auth apop
ok "no APOP sent" log_lacks $C APOP
stop_fake
start_fake $C --opt capa-endless
exit_is 75 "endless CAPA: capped" fetch $C
stop_fake

# 13. implicit TLS with a pinned self-signed certificate; a TLS stall.
new_case tls
printf 'Subject: t\r\n\r\ntls\r\n' > $C/msgs/1.msg
start_fake $C --tls implicit --cert $CERT --key $KEY
exit_is 69 "self-signed without a pin: refused" fetch $C --tls implicit
ok "no credentials before verification" log_lacks $C USER
exit_is 0 "pinned fingerprint (colons, upper case)" fetch $C --tls implicit --fingerprint "$fp"
ok "pinned: spooled" spool_is $C 1
stop_fake
start_fake $C --tls implicit --cert $CERT --key $KEY --opt tls-stall
exit_is 75 "TLS handshake stall: timeout" fetch $C --tls implicit --timeout 1
stop_fake

# 14. a second fetch on a locked spool exits 75 at once (HOSTILE 65).
new_case lock
mdir=$C/spool; mkdir -p $mdir
start_fake $C
# held by one process until killed; progress, not time: it says when
(exec 9>>$mdir/fetch.lock; flock 9; : >$C/locked; exec sleep 600) &
lockpid=$!
at_exit "kill $lockpid"
i=0; while [ ! -e $C/locked ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
exit_is 75 "spool locked by another fetch" fetch $C
ok "locked: says so" grep -q 'spool-busy' $C/err
stop_fake
kill $lockpid; wait $lockpid 2>/dev/null

# 15. SIGTERM (HOSTILE 64, issue 17 item 3): the session is cut at once:
# what is complete in hand is spooled, no DELE for the message cut, no
# QUIT (so nothing of the session is deleted), exit 75;
# the rerun confirms the spooled ones (TOP), DELEs them, fetches the rest.
new_case term
for n in 1 2 3 4 5 6 7 8 9; do printf 'Message-ID: <%s@term.test>\r\nSubject: %s\r\n\r\nt\r\n' $n $n > $C/msgs/$n.msg; done
start_fake $C --opt slow-retr=0.4
mdrop-fetch --tls none -h 127.0.0.1 -p "$FAKE_PORT" -u drop $C/spool \
    >$C/out 2>$C/err & fpid=$!
i=0; while ! grep -q "RETR 2" $C/log && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM $fpid; wait $fpid; rc=$?
is "$rc" 75 "SIGTERM: exit 75 (a session was cut)"
got=$(find $C/spool/new -type f | wc -l | tr -d ' ')
ok "SIGTERM: stopped early ($got of 9 spooled)" test "$got" -ge 1 -a "$got" -lt 9
ok "SIGTERM: DELE only for spooled messages, none for the one cut" sh -c \
    'test "$(grep -c "^C: DELE" '"$C"'/log)" -le '"$got"' && ! grep -qx "C: DELE $(('"$got"' + 1))" '"$C"'/log'
ok "SIGTERM: no QUIT" log_lacks $C QUIT
ok "SIGTERM: tmp/ empty" test -z "$(ls $C/spool/tmp)"
ok "SIGTERM: logged" grep -q 'interrupted host=127.0.0.1 during=RETR' $C/err
: > $C/log
exit_is 0 "SIGTERM: rerun" fetch $C
ok "SIGTERM rerun: message 1 confirmed and DELEd without RETR" sh -c \
    'grep -qx "C: TOP 1 0" '"$C"'/log && grep -qx "C: DELE 1" '"$C"'/log && ! grep -qx "C: RETR 1" '"$C"'/log'
ok "SIGTERM rerun: every message exactly once" spool_is $C 1 2 3 4 5 6 7 8 9
stop_fake

# 16. stdout closed (HOSTILE 67): stop cleanly, state intact, exit 74.
new_case epipe
for n in 1 2 3; do printf 'Subject: %s\r\n\r\ne\r\n' $n > $C/msgs/$n.msg; done
start_fake $C
python3 - $C $FAKE_PORT <<'EOF2'
import os, subprocess, sys
d, port = sys.argv[1], sys.argv[2]
r, w = os.pipe()
os.close(r)
rc = subprocess.call(["mdrop-fetch", "--tls", "none", "-h", "127.0.0.1",
                      "-p", port, "-u", "drop", d + "/spool"], stdout=w,
                     stderr=open(d + "/err", "w"))
open(d + "/rc", "w").write("%d\n" % rc)
EOF2
is "$(cat $C/rc)" 74 "closed stdout: exit 74"
ok "closed stdout: QUIT sent" log_has $C QUIT
is "$(grep -c '^C: DELE' $C/log)" "$(find $C/spool/new -type f | wc -l | tr -d ' ')" \
    "closed stdout: DELE only for spooled messages"
stop_fake

# 17. --interval: polls again, prints the waiting paths again.
new_case interval
printf 'Subject: i\r\n\r\ni\r\n' > $C/msgs/1.msg
start_fake $C
mdrop-fetch --tls none -h 127.0.0.1 -p "$FAKE_PORT" -u drop --interval 1 \
    $C/spool >$C/out 2>$C/err & fpid=$!
# progress, not time: two sessions ended (each logs its summary line)
i=0
# (cat: the shell may not have made $C/err yet; grep -c then prints nothing)
while [ "$(cat $C/err 2>/dev/null | grep -c 'session host=')" -lt 2 ] && [ $i -lt 400 ]; do
	sleep 0.05; i=$((i + 1))
done
kill -TERM $fpid; wait $fpid; rc=$?
# In the pause SIGTERM ends it with 0; if a third session had begun, it
# is cut (logged "interrupted") and the exit is 75 (mdrop-fetch(1)).
if grep -q 'interrupted' $C/err; then
	is "$rc" 75 "--interval: SIGTERM cut a session: exit 75"
else
	is "$rc" 0 "--interval: SIGTERM in the pause ends it cleanly"
fi
n=$(grep -c 'session host=' $C/err)
ok "--interval: polled more than once ($n)" test "$n" -ge 2
ok "--interval: the waiting path printed again" test "$(sort $C/out | uniq -c | awk '{print $1}' | sort -n | tail -1)" -ge 2
is "$(grep -c '^C: RETR' $C/log)" 1 "--interval: fetched once"
stop_fake

# 18. usage and configuration errors.
exit_is 64 "no SPOOL" sh -c "mdrop-fetch -h x -u y 2>/dev/null"
exit_is 64 "--password-file with --password-command" sh -c "mdrop-fetch -h x -u y --password-file /dev/null --password-command true $TESTDIR/s 2>/dev/null"
MDROP_PASSWORD= exit_is 78 "no password" sh -c "mdrop-fetch -h x -u y $TESTDIR/s 2>/dev/null"
exit_is 0 "--version" sh -c "mdrop-fetch --version >/dev/null"
exit_is 74 "--help to /dev/full" sh -c 'mdrop-fetch --help > /dev/full'
# audit 2026-12-06: these failed only at connect time, exit 75, every poll
for p in 0 70000 abc 110x; do
	MDROP_PASSWORD=x exit_is 64 "--port $p: usage error" sh -c "mdrop-fetch -h x -u y -p '$p' $TESTDIR/s 2>'$TESTDIR/err'"
	grep -q "usage option=--port value=$p reason=not-a-port" "$TESTDIR/err" && pass "... naming it" || fail "... naming it" "$(cat "$TESTDIR/err")"
done
MDROP_PASSWORD=x exit_is 64 "--tls none with --cafile: usage error" sh -c "mdrop-fetch -h x -u y --tls none --cafile /dev/null $TESTDIR/s 2>/dev/null"
MDROP_PASSWORD=x exit_is 64 "--tls none with --fingerprint: usage error" sh -c "mdrop-fetch -h x -u y --tls none --fingerprint $(printf '%064d' 0) $TESTDIR/s 2>/dev/null"
MDROP_PASSWORD=x exit_is 66 "--cafile missing: 66 at start" sh -c "mdrop-fetch -h x -u y --cafile '$TESTDIR/nothing.pem' $TESTDIR/s 2>'$TESTDIR/err'"
grep -q "error: cafile file=$TESTDIR/nothing.pem error=\"No such file or directory\"" "$TESTDIR/err" && pass "... naming the file" || fail "... naming the file" "$(cat "$TESTDIR/err")"
printf 'not a certificate\n' >"$TESTDIR/garbage.pem"
MDROP_PASSWORD=x exit_is 78 "--cafile without a certificate: 78 at start" sh -c "mdrop-fetch -h x -u y --cafile '$TESTDIR/garbage.pem' $TESTDIR/s 2>'$TESTDIR/err'"
grep -q "error: cafile file=$TESTDIR/garbage.pem error=\"no PEM certificate in it\"" "$TESTDIR/err" && pass "... saying so" || fail "... saying so" "$(cat "$TESTDIR/err")"
ok "... before any spool was made" test ! -e "$TESTDIR/s"
# DESIGN.md: a spool is its owner's, mode 0700 (audit 2026-12-06: a 0777
# tmp/ was used as it was)
mkdir -p "$TESTDIR/ws/tmp" "$TESTDIR/ws/new" "$TESTDIR/ws/failed"
chmod 700 "$TESTDIR/ws"; chmod 777 "$TESTDIR/ws/tmp"
MDROP_PASSWORD=x exit_is 78 "a world-writable spool tmp/: refused, 78" sh -c "mdrop-fetch -h 127.0.0.1 -p 9 -u y --tls none $TESTDIR/ws 2>'$TESTDIR/err'"
grep -q "error: spool-unsafe dir=$TESTDIR/ws/tmp/ reason=" "$TESTDIR/err" && pass "... naming it" || fail "... naming it" "$(cat "$TESTDIR/err")"
ok "... before connecting" sh -c "! grep -q connect '$TESTDIR/err'"
chmod 700 "$TESTDIR/ws/tmp"; chmod 770 "$TESTDIR/ws"
MDROP_PASSWORD=x exit_is 78 "a group-writable spool: refused, 78" sh -c "mdrop-fetch -h 127.0.0.1 -p 9 -u y --tls none $TESTDIR/ws 2>/dev/null"

done_testing
