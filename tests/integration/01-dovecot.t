#!/bin/sh
# The private Dovecot harness (tests/lib/dovecot.sh) itself: every later
# integration test trusts it, so it is checked here against the facts the
# others rely on: STLS and POP3S with the test CA and the host name
# "localhost" only, the drop user's login (PLAIN and SCRAM-SHA-256), STAT
# and UIDL format, LMTP delivery over the unix socket and TCP, a second
# instance at the same time, and a stop that leaves nothing running.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/dovecot.sh"

if ! dovecot_start; then
	echo "Bail out! $DOVECOT_ERROR"
	exit 1
fi
pass "dovecot_start"

ok "LMTP socket path fits sun_path" test ${#LMTP_SOCKET} -lt 108
ok "LMTP socket exists" test -S "$LMTP_SOCKET"
is "$(cat "$DOVECOT_DIR/drop.pass")" "$DROP_PASS" "drop.pass holds DROP_PASS"
fp=$(openssl x509 -in "$CERT_FILE" -outform DER | sha256sum | cut -d' ' -f1)
is "$CERT_SHA256" "$fp" "CERT_SHA256 is the DER cert's SHA-256"
san=$(openssl x509 -in "$CERT_FILE" -noout -ext subjectAltName | tail -n +2 | tr -d ' ')
is "$san" "DNS:localhost" "certificate SAN is DNS:localhost only"

# Three messages; one without a final newline, one with an empty line.
M=$TESTDIR/msgs
mkdir -p "$M"
printf 'Delivered-To: alice@example.org\nSubject: one\n\nbody one\n' > "$M/1"
printf 'Subject: two\n\nno final newline' > "$M/2"
printf 'Subject: three\n\n\n.\n..\nend\n' > "$M/3"
dovecot_put_dir "$M"
is "$(dovecot_box_count)" 3 "dovecot_box_count after dovecot_put_dir"
name=$(ls "$DROP_MAILDIR/new" | sort | head -n 1)
case "$name" in
*,S=55,W=59) pass "dovecot_put name carries S= and W=" ;;
*) fail "dovecot_put name carries S= and W=" "got $name" ;;
esac
# STAT counts virtual sizes (LF as CRLF): 59 + 32 + 32.
stat_want="+OK 3 123"

# pop3_session ARGS...: USER/PASS/STAT/QUIT through openssl s_client with
# strict verification; prints the server's lines without CR.
pop3_session() {
	printf 'USER %s\r\nPASS %s\r\nSTAT\r\nQUIT\r\n' "$DROP_USER" "$DROP_PASS" |
	    timeout 20 openssl s_client -quiet -CAfile "$CA_FILE" \
	    -verify_return_error "$@" 2>"$TESTDIR/s_client.err" | tr -d '\r'
}
out=$(pop3_session -starttls pop3 -verify_hostname localhost \
    -connect "127.0.0.1:$POP3_PORT")
is "$(echo "$out" | sed -n 2p)" "+OK Logged in." "STLS: drop user logs in"
is "$(echo "$out" | sed -n 3p)" "$stat_want" "STLS: STAT counts the messages"

out=$(pop3_session -verify_hostname localhost -connect "127.0.0.1:$POP3S_PORT")
is "$(echo "$out" | sed -n 1p)" "+OK Dovecot (Debian) ready." "POP3S: greeting"
is "$(echo "$out" | sed -n 3p)" "+OK Logged in." "POP3S: drop user logs in"
is "$(echo "$out" | sed -n 4p)" "$stat_want" "POP3S: STAT counts the messages"

out=$(pop3_session -verify_hostname 127.0.0.1 -connect "127.0.0.1:$POP3S_PORT")
ok "POP3S: host name 127.0.0.1 does not verify" test -z "$out"
ok "POP3S: s_client says why" grep -q 'hostname mismatch' "$TESTDIR/s_client.err"

# A small client in Python for SCRAM-SHA-256, UIDL and LMTP.
cat > "$TESTDIR/client.py" <<'EOF'
import base64, hashlib, hmac, os, socket, sys

def connect(addr):
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX); s.connect(addr[5:])
    else:
        s = socket.create_connection(("127.0.0.1", int(addr)))
    s.settimeout(20)
    return s.makefile("rwb")

def line(f):
    return f.readline().decode().rstrip("\r\n")

def send(f, s):
    f.write(s.encode() + b"\r\n"); f.flush()

def reply(f):  # one SMTP/LMTP reply, possibly multi-line
    while True:
        l = line(f)
        if l[3:4] != "-":
            return l

def scram(port, user, pw):
    f = connect(port); line(f)
    send(f, "AUTH SCRAM-SHA-256")
    assert line(f).rstrip() == "+", "no SCRAM continuation"
    cn = base64.b64encode(os.urandom(18)).decode()
    first = "n=%s,r=%s" % (user, cn)
    send(f, base64.b64encode(("n,," + first).encode()).decode())
    sf = base64.b64decode(line(f)[2:]).decode()
    d = dict(kv.split("=", 1) for kv in sf.split(","))
    assert d["r"].startswith(cn)
    salted = hashlib.pbkdf2_hmac("sha256", pw.encode(),
                                 base64.b64decode(d["s"]), int(d["i"]))
    ck = hmac.new(salted, b"Client Key", "sha256").digest()
    final = "c=biws,r=" + d["r"]
    auth = ",".join([first, sf, final]).encode()
    sig = hmac.new(hashlib.sha256(ck).digest(), auth, "sha256").digest()
    proof = bytes(a ^ b for a, b in zip(ck, sig))
    send(f, base64.b64encode((final + ",p=" +
         base64.b64encode(proof).decode()).encode()).decode())
    r = line(f)
    if r.startswith("+ "):
        sk = hmac.new(salted, b"Server Key", "sha256").digest()
        v = base64.b64decode(r[2:]).decode()
        want = "v=" + base64.b64encode(hmac.new(sk, auth, "sha256").digest()).decode()
        assert v == want, "server signature"
        send(f, ""); r = line(f)
    print(r)
    send(f, "STAT"); print(line(f))
    send(f, "QUIT"); line(f)

def uidl(port, user, pw):
    f = connect(port); line(f)
    send(f, "USER " + user); line(f)
    send(f, "PASS " + pw); line(f)
    send(f, "UIDL"); line(f)
    while True:
        l = line(f)
        if l == ".": break
        print(l)
    send(f, "QUIT"); line(f)

def lmtp(addr, sender, path, *rcpts):
    f = connect(addr); print(reply(f))
    send(f, "LHLO client.test"); reply(f)
    send(f, "MAIL FROM:<%s>" % sender); print(reply(f))
    ok = 0
    for r in rcpts:
        send(f, "RCPT TO:<%s>" % r); x = reply(f); print(x)
        ok += x.startswith("2")
    if ok:
        send(f, "DATA"); print(reply(f))
        data = open(path, "rb").read().replace(b"\r\n", b"\n")
        if not data.endswith(b"\n"): data += b"\n"
        out = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n"
                       for l in data.split(b"\n")[:-1])
        f.write(out + b".\r\n"); f.flush()
        for _ in range(ok): print(reply(f))
    send(f, "QUIT"); reply(f)

globals()[sys.argv[1]](*sys.argv[2:])
EOF
client() { timeout 30 python3 "$TESTDIR/client.py" "$@" 2>&1; }

out=$(client scram "$POP3_PORT" "$DROP_USER" "$DROP_PASS")
is "$out" "+OK Logged in.
$stat_want" "SCRAM-SHA-256 login (server signature verified)"
out=$(client scram "$POP3_PORT" "$DROP_USER" wrong-password | head -n 1)
case "$out" in -ERR*) pass "SCRAM with a wrong password is refused" ;;
*) fail "SCRAM with a wrong password is refused" "got $out" ;; esac

out=$(client uidl "$POP3_PORT" "$DROP_USER" "$DROP_PASS")
# %X is lower-case hex in Dovecot: 8 digits of UID, then 8 of UIDVALIDITY.
is "$(echo "$out" | grep -Ec '^([123]) 0000000\1[0-9a-f]{8}$')" 3 \
    "UIDL: 3 UIDs in %08Xu%08Xv form"

# LMTP over the unix socket to alice: her file is Dovecot's trace headers
# followed by our message, byte-exact.
printf 'From: x@isp.test\nSubject: lmtp\n\nline one\n.leading dot\n\nend\n' > "$TESTDIR/lm"
out=$(client lmtp "unix:$LMTP_SOCKET" sender@isp.test "$TESTDIR/lm" \
    alice@example.org nosuch@example.org)
is "$(echo "$out" | sed -n 3p | cut -c1-3)" 250 "LMTP: alice accepted"
is "$(echo "$out" | sed -n 4p | cut -c1-3)" 550 "LMTP: unknown user refused"
is "$(echo "$out" | sed -n 6p | cut -c1-3)" 250 "LMTP: one reply after DATA, 250"
A=$MAIL_ROOT/example.org/alice/Maildir/new
is "$(ls "$A" | wc -l | tr -d ' ')" 1 "LMTP: one file in alice's Maildir/new"
f=$(ls "$A"/* | head -n 1)
size=$(wc -c < "$TESTDIR/lm")
tail -c "$size" "$f" > "$TESTDIR/lm.got"
is_file_bytes "$TESTDIR/lm.got" "$TESTDIR/lm" "LMTP: message byte-exact after the added headers"
is "$(head -n 2 "$f")" "Return-Path: <sender@isp.test>
Delivered-To: alice@example.org" "LMTP: Return-Path and Delivered-To added on top"
ok "LMTP: nothing for nosuch" test ! -e "$MAIL_ROOT/example.org/nosuch"

out=$(client lmtp "$LMTP_PORT" "" "$TESTDIR/lm" BOB@Example.ORG)
is "$(echo "$out" | tail -n 1 | cut -c1-3)" 250 "LMTP over TCP: bob accepted"
is "$(ls "$MAIL_ROOT/example.org/bob/Maildir/new" | wc -l | tr -d ' ')" 1 \
    "LMTP over TCP: upper-case address lands in bob's Maildir"

# A second instance at the same time, in a subshell (its own variables),
# in a directory so deep that its sockets must live elsewhere.
first="$DOVECOT_PID $POP3_PORT $POP3S_PORT $LMTP_PORT $LMTP_SOCKET"
deep=$TESTDIR/a-second-instance-in-a-deep-directory/with-a-long-name/to-force-a-short-base-dir
second=$(
	dovecot_start "$deep" >/dev/null 2>&1 || exit 1
	echo "$DOVECOT_PID $POP3_PORT $POP3S_PORT $LMTP_PORT $LMTP_SOCKET"
	client uidl "$POP3_PORT" "$DROP_USER" "$DROP_PASS" | wc -l
	dovecot_stop
	test -e "$(dirname "$LMTP_SOCKET")" && echo "left $(dirname "$LMTP_SOCKET")"
)
set -- $first; set -- $second
ok "second instance: started" test $# -ge 6
case "${5:-}" in
/tmp/mdv.*/lmtp) pass "second instance: sockets in a short base_dir" ;;
*) fail "second instance: sockets in a short base_dir" "got ${5:-}" ;;
esac
ok "second instance: its short base_dir removed by dovecot_stop" test $# = 6
ok "second instance: own pid, ports and socket" test "$1" != "$DOVECOT_PID" -a \
    "$2$3$4" != "$POP3_PORT$POP3S_PORT$LMTP_PORT" -a "$5" != "$LMTP_SOCKET"
is "${6:-}" 0 "second instance: its own empty drop box"
ok "first instance still answers" test "$(client uidl "$POP3_PORT" \
    "$DROP_USER" "$DROP_PASS" | wc -l)" = 3

# Stop: master and every child gone, ports closed, and idempotent.
pids="$DOVECOT_PID $(dovecot_children)"
ok "children seen before stop" test $(echo $pids | wc -w) -gt 3
dovecot_stop
left=
for p in $pids; do	# a zombie waiting for init to reap it is gone
	case "$(ps -o stat= -p "$p")" in ""|Z*) ;; *) left="$left $p" ;; esac
done
is "$left" "" "no process of the instance remains"
closed=$(python3 - $POP3_PORT $POP3S_PORT $LMTP_PORT "$LMTP_SOCKET" <<'EOF'
import socket, sys
for a in sys.argv[1:]:
    try:
        if a.startswith("/"):
            socket.socket(socket.AF_UNIX).connect(a)
        else:
            socket.create_connection(("127.0.0.1", int(a)), 2)
        print("open", a)
    except (ConnectionRefusedError, FileNotFoundError):
        print("closed", a)
EOF
)
is "$closed" "closed $POP3_PORT
closed $POP3S_PORT
closed $LMTP_PORT
closed $LMTP_SOCKET" "ports and LMTP socket closed"
ok "dovecot_stop again is fine" dovecot_stop
done_testing
