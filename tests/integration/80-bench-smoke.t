#!/bin/sh
# The benchmark's own parts, fast and without Dovecot: the corpus is
# deterministic and shaped as documented, the verifier accepts a correct
# delivery and names every kind of wrong one, and both ceiling helpers do
# what they claim (pop3ceil against a scripted POP3 server that sends its
# replies in tiny pieces; lmtpceil against the fake LMTP server, with two
# sessions that must both have a message in flight at once). Last,
# link.sh (outside make bench) once, small, with its own private Dovecot.
. "$(dirname "$0")/../lib/tap.sh"
B=$TOP/tests/bench
C=$TESTDIR/c

python3 "$B/corpus.py" gen --seed 5 --n 40 "$C" &&
    python3 "$B/corpus.py" gen --seed 5 --n 40 "$TESTDIR/c2" &&
    python3 "$B/corpus.py" gen --seed 6 --n 40 "$TESTDIR/c3"
is $? 0 "corpus generator runs"
ok "same seed: byte-identical corpus" diff -r "$C" "$TESTDIR/c2"
if diff -rq "$C" "$TESTDIR/c3" >/dev/null; then
	fail "another seed gives another corpus"
else pass "another seed gives another corpus"; fi

is "$(python3 - "$C" <<'EOF'
import os, sys
d = sys.argv[1]
bad = []
lines = open(d + "/MANIFEST").read().splitlines()
for l in lines:
    name, rcpt, sender, msgid, size, vsize = l.split("\t")
    b = open(d + "/msgs/" + name, "rb").read()
    if len(b) != int(size) or len(b) + b.count(b"\n") != int(vsize):
        bad.append(name + " size")
    if b"\r" in b:
        bad.append(name + " has CR")
    top = b.split(b"\n")[:3]
    if top[1] != b"X-Original-To: " + rcpt.encode() or \
       top[2] != b"Delivered-To: " + rcpt.encode() or \
       top[0] != b"Return-Path: <" + sender.encode() + b">":
        bad.append(name + " envelope headers")
    if (b"\nMessage-ID: " + msgid.encode() + b"\n") not in b:
        bad.append(name + " Message-ID")
print(len(lines), " ".join(bad) or "ok")
EOF
)" "40 ok" "MANIFEST matches the files; envelope headers on top; no CR"

python3 "$B/corpus.py" gen --seed 1 --n 200 "$TESTDIR/mix"
is "$(python3 - "$TESTDIR/mix" <<'EOF'
import sys, collections
rows = [l.split("\t") for l in open(sys.argv[1] + "/MANIFEST")]
n = len(rows)
small = sum(1 for r in rows if int(r[4]) < 10 * 1024) / n
mid = sum(1 for r in rows if 10 * 1024 <= int(r[4]) < 200 * 1024) / n
big = sum(1 for r in rows if int(r[4]) >= 1024 * 1024) / n
ids = collections.Counter(r[3] for r in rows)
copies = sum(c - 1 for c in ids.values()) / n
users = len(set(r[1] for r in rows))
body = b"".join(open(sys.argv[1] + "/msgs/" + r[0], "rb").read()
                for r in rows if int(r[4]) < 10 * 1024)
ok = (0.6 < small < 0.8 and 0.15 < mid < 0.35 and 0.01 < big < 0.1
      and 0.01 < copies < 0.1 and users == 20 and b"\n.\n" in body
      and b"\n.." in body and b"\nFrom " in body)
print("ok" if ok else "small=%.2f mid=%.2f big=%.2f copies=%.2f users=%d"
      % (small, mid, big, copies, users))
EOF
)" ok "size mix, per-recipient copies, 20 users, dot and From lines"

# A simulated correct delivery: each message in its recipient's Maildir,
# some with a Received: on top, some with one inserted above the first
# Received: (as fdm does), some with CR LF line ends.
R=$TESTDIR/out
python3 - "$C" "$R" <<'EOF'
import os, sys
c, r = sys.argv[1], sys.argv[2]
for i, l in enumerate(open(c + "/MANIFEST")):
    name, rcpt = l.split("\t")[:2]
    u, d = rcpt.split("@")
    p = "%s/%s/%s/Maildir/new" % (r, d, u)
    os.makedirs(p, exist_ok=True)
    os.makedirs(p[:-3] + "tmp", exist_ok=True)
    b = open(c + "/msgs/" + name, "rb").read()
    if i % 3 == 1:
        b = b"Received: by tool\n\tfor <%s>\n" % rcpt.encode() + b
    if i % 3 == 2:
        k = b.index(b"\nReceived: ") + 1
        b = b[:k] + b"Received: by fdm\n\twith pop3\n" + b[k:]
    if i % 5 == 0:
        b = b.replace(b"\n", b"\r\n")
    open(p + "/" + name, "wb").write(b)
EOF
mkdir -p "$TESTDIR/box/new" "$TESTDIR/box/cur"
v=$(python3 "$B/verify.py" --corpus "$C" --root "$R" --box "$TESTDIR/box" 2>"$TESTDIR/v.err")
is "$?:$(echo "$v" | cut -d' ' -f1-3)" "0:correct=y expected=40 good=40" \
    "verify: a correct delivery passes"

# check_bad NAME KEY: verify must fail with KEY=1.
check_bad() {
	v=$(python3 "$B/verify.py" --corpus "$C" --root "$R" --box "$TESTDIR/box" 2>"$TESTDIR/v.err")
	_rc=$?
	case " $v " in
	*" $2=1 "*) is "$_rc:$(echo "$v" | cut -d' ' -f1)" "1:correct=n" "verify: $1" ;;
	*) fail "verify: $1" "$v" ;;
	esac
}
first() { ls "$R/example.org/$1/Maildir/new/" | head -n 1; }
U1=$(cut -f2 "$C/MANIFEST" | head -n 1 | cut -d@ -f1)
U2=$(cut -f2 "$C/MANIFEST" | grep -v "^$U1@" | head -n 1 | cut -d@ -f1)
f=$(first "$U1")
mv "$R/example.org/$U1/Maildir/new/$f" "$TESTDIR/saved"
check_bad "a missing message is found" missing
cp "$TESTDIR/saved" "$R/example.org/$U1/Maildir/new/$f"
cp "$TESTDIR/saved" "$R/example.org/$U1/Maildir/new/$f.again"
check_bad "a duplicate is found" dup
rm "$R/example.org/$U1/Maildir/new/$f.again"
mv "$R/example.org/$U1/Maildir/new/$f" "$R/example.org/$U2/Maildir/new/$f"
check_bad "a message in another user's Maildir is found" misrouted
mv "$R/example.org/$U2/Maildir/new/$f" "$R/example.org/$U1/Maildir/new/$f"
python3 - "$R/example.org/$U1/Maildir/new/$f" <<'EOF'
import re, sys
p = sys.argv[1]
b = open(p, "rb").read()
k = re.search(rb"\n\r?\n", b).end()
open(p, "wb").write(b[:k] + b[k:k + 10] + b"\n" + b[k + 10:])  # a split line
EOF
check_bad "a split body line is found" corrupt
cp "$TESTDIR/saved" "$R/example.org/$U1/Maildir/new/$f"
sed 's/^Subject: /Subject: [list] /' "$TESTDIR/saved" > "$R/example.org/$U1/Maildir/new/$f"
check_bad "a changed header field is found" corrupt
cp "$TESTDIR/saved" "$R/example.org/$U1/Maildir/new/$f"
echo x > "$TESTDIR/box/new/left"
check_bad "a message left on the server is found" box
rm "$TESTDIR/box/new/left"
v=$(python3 "$B/verify.py" --corpus "$C" --root "$R" --box "$TESTDIR/box" 2>&1)
is "$?" 0 "verify: passes again once repaired"

# The disk ceiling writes every message durably and byte-exact.
CF="-O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror"
${CC:-cc} $CF -o "$TESTDIR/mdwrite" "$B/mdwrite.c" &&
    ${CC:-cc} $CF -o "$TESTDIR/pop3ceil" "$B/pop3ceil.c" \
        $(pkg-config --cflags --libs openssl 2>/dev/null || echo -lssl -lcrypto)
is $? 0 "ceiling helpers build with -Werror"
out=$("$TESTDIR/mdwrite" -b 7 "$C/msgs" "$TESTDIR/md")
is "$out" "msgs=40 bytes=$(cat "$C"/msgs/* | wc -c | tr -d ' ')" "mdwrite: counts"
v=$(python3 "$B/verify.py" --corpus "$C" --root "$TESTDIR/md" --single 2>&1)
is "$?:$(echo "$v" | cut -d' ' -f1-3)" "0:correct=y expected=40 good=40" \
    "mdwrite: every message in new/, byte-identical"

# pop3ceil against a scripted server: replies in 1..7 byte pieces,
# dot-stuffed lines, a lone "..", a terminator split across reads.
cat > "$TESTDIR/srv.py" <<'EOF'
import random, socket, sys
msgs = [b"Subject: a\r\n\r\n..x\r\n..\r\nend\r\n",
        b"Subject: b\r\n\r\n" + b"y" * 5000 + b"\r\n.\r\n"[:2] + b"z\r\n",
        b"Subject: c\r\n\r\n...\r\n"]
expect = sum(len(m) for m in msgs)
bad_pass = sys.argv[1] == "badpass"
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], expect, flush=True)
s.settimeout(10)
c, _ = s.accept(); c.settimeout(10)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
r = random.Random(3)
def send(b):
    i = 0
    while i < len(b):
        k = r.randint(1, 7); c.sendall(b[i:i + k]); i += k
send(b"+OK hi\r\n")
log = []
buf = b""
while True:
    while b"\r\n" not in buf:
        d = c.recv(4096)
        if not d:
            sys.exit(0)
        buf += d
    line, buf = buf.split(b"\r\n", 1)
    cmd = line.split(b" ")
    log.append(cmd[0].decode() + (" " + cmd[1].decode() if len(cmd) > 1 and cmd[0] != b"PASS" else ""))
    if cmd[0] == b"PASS" and bad_pass:
        send(b"-ERR [AUTH] no\r\n"); break
    if cmd[0] == b"STAT":
        send(b"+OK %d %d\r\n" % (len(msgs), expect))
    elif cmd[0] == b"RETR":
        send(b"+OK\r\n" + msgs[int(cmd[1]) - 1] + b".\r\n")
    elif cmd[0] == b"QUIT":
        send(b"+OK bye\r\n"); break
    else:
        send(b"+OK\r\n")
c.close()
open(sys.argv[2], "w").write(" ".join(log) + "\n")
EOF
echo secret > "$TESTDIR/pw"
python3 "$TESTDIR/srv.py" good "$TESTDIR/srv.log" > "$TESTDIR/srv.out" &
spid=$!
i=0; while [ ! -s "$TESTDIR/srv.out" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
set -- $(cat "$TESTDIR/srv.out")
out=$(timeout 20 "$TESTDIR/pop3ceil" -d -h 127.0.0.1 -p "$1" -u u -P "$TESTDIR/pw")
is "$?:$out" "0:msgs=3 bytes=$2" "pop3ceil: counts every byte of every message, stops at the terminator"
wait $spid
is "$(cat "$TESTDIR/srv.log")" "USER u PASS STAT RETR 1 DELE 1 RETR 2 DELE 2 RETR 3 DELE 3 QUIT" \
    "pop3ceil: RETR and DELE for each message, then QUIT"
: > "$TESTDIR/srv.out"
python3 "$TESTDIR/srv.py" badpass "$TESTDIR/srv.log" > "$TESTDIR/srv.out" &
spid=$!
i=0; while [ ! -s "$TESTDIR/srv.out" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
set -- $(cat "$TESTDIR/srv.out")
timeout 20 "$TESTDIR/pop3ceil" -h 127.0.0.1 -p "$1" -u u -P "$TESTDIR/pw" >/dev/null 2>&1
is "$?" 1 "pop3ceil: a refused login is an error"
wait $spid

# lmtpceil: the prepared messages (corpus.py lmtp) over two pipelined
# sessions. The fake holds its replies after each "." until two messages
# have arrived, so a client with one message in flight would get 451s.
${CC:-cc} $CF -o "$TESTDIR/lmtpceil" "$B/lmtpceil.c"
is $? 0 "lmtpceil builds with -Werror"
python3 "$B/corpus.py" lmtp "$C"
is "$?:$(ls "$C/lmtp" | wc -l | tr -d ' ')" "0:40" "corpus.py lmtp: one prepared file per message"
python3 "$TOP/tests/lib/fake_lmtp.py" --ready "$TESTDIR/lmtp.ready" \
    --record "$TESTDIR/lrec" --gather 2 2>"$TESTDIR/lmtp.err" &
lpid=$!
at_exit "kill $lpid"
i=0; while [ ! -s "$TESTDIR/lmtp.ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
out=$(timeout 60 "$TESTDIR/lmtpceil" -k 2 -e "127.0.0.1:$(cat "$TESTDIR/lmtp.ready")" "$C")
is "$?:$out" "0:msgs=40 bytes=$(cat "$C"/lmtp/* | wc -c | tr -d ' ')" \
    "lmtpceil: every message sent, counted"
is "$(python3 - "$C" "$TESTDIR/lrec" <<'EOF'
import hashlib, os, sys
c, rec = sys.argv[1], sys.argv[2]
h = lambda b: hashlib.sha256(b).hexdigest()
want = sorted(h(open(c + "/msgs/" + n, "rb").read().replace(b"\n", b"\r\n"))
              for n in os.listdir(c + "/msgs"))
got = sorted(h(open(rec + "/" + n, "rb").read())
             for n in os.listdir(rec) if n.startswith("msg-"))
print("same" if want == got else "differ: %d received" % len(got))
EOF
)" same "lmtpceil: the server got every message once, byte-exact (CR LF, unstuffed)"
is "$(cat "$TESTDIR/lrec"/conn-*.in | tr -d '\r' | grep -c '^MAIL FROM:') $(ls "$TESTDIR/lrec" | grep -c '^conn-') $(cat "$TESTDIR/lrec"/conn-*.in | tr -d '\r' | grep -c '^QUIT$')" \
    "40 2 2" "lmtpceil: two sessions, one transaction per message, each session ends with QUIT"
# -a: a session sends the next envelope only after the replies
rm -rf "$TESTDIR/lrec"/*
out=$(timeout 60 "$TESTDIR/lmtpceil" -a -k 2 -e "127.0.0.1:$(cat "$TESTDIR/lmtp.ready")" "$C")
is "$?:$out:$(ls "$TESTDIR/lrec" | grep -c '^msg-')" \
    "0:msgs=40 bytes=$(cat "$C"/lmtp/* | wc -c | tr -d ' '):40" "lmtpceil -a: every message sent once"
# link.sh: deliver through its latency proxy, DATA and BDAT, 1 and 4
# sessions; every message delivered (it stops otherwise), one row each.
LINK_N=8 LINK_REPS=1 LINK_RTT_MS=1 timeout 300 sh "$B/link.sh" \
    >"$TESTDIR/link.out" 2>"$TESTDIR/link.err"
is "$?" 0 "link.sh: runs to the end"
is "$(grep -cE '^\| (DATA|BDAT) \| (1|4) \| [0-9.]+ \| [0-9]+ \|' "$TESTDIR/link.out")" 4 \
    "link.sh: a row for DATA and BDAT with 1 and 4 sessions"
done_testing
