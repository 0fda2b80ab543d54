#!/bin/sh
# The record stream cut at every byte (issue 14): a writer (mdrop-split)
# that dies anywhere, even inside a PATH, must never make mdrop-deliver
# take a message out of the spool before all its recipients are done.
# A 3-message, 5-record stream with its end lines is fed to deliver cut
# after each of its bytes; after each cut run: every group whose end line
# came whole is delivered and gone, every other message is still in
# SPOOL/new (nothing lost), nothing is delivered twice, and the exit code
# is exactly what DESIGN.md says (0 when the cut falls after an end line
# or at the start, 75 after a record, 65 inside a line). Then a rerun
# with the whole stream: every (message, recipient) exactly once, the
# spool empty. (Python drives the loop: a shell loop would spend its time
# forking, not testing.)
. "$(dirname "$0")/../lib/tap.sh"

# 400-odd deliver runs: on a tmpfs (fsync costs nothing) when there is one;
# what is tested here is which groups are taken out, not the disk
W=$TESTDIR
if S=$(mktemp -d /dev/shm/mdrop-cuts.XXXXXX 2>/dev/null); then
	W=$S
	at_exit "rm -rf '$S'"
fi
cd "$W" || exit 1
out=$(python3 - <<'PY'
import os, shutil, subprocess
MSGS = [("1", ["a", "b"]), ("2", ["c"]), ("3", ["d", "e"])]
SP, MAIL = "s", os.path.abspath("mail")

def stream():
    out = b""
    for n, rs in MSGS:
        p = ("%s/new/%s.M1P1.h" % (SP, n)).encode()
        for r in rs:
            out += p + b"\t" + r.encode() + b"@ex.org\ts@x.test\n"
        out += p + b"\n"
    return out

def setup():
    shutil.rmtree(SP, ignore_errors=True)
    shutil.rmtree(MAIL, ignore_errors=True)
    os.makedirs(MAIL)
    for d in ("new", "tmp", "failed"):
        os.makedirs(os.path.join(SP, d))
    for n, _ in MSGS:
        with open("%s/new/%s.M1P1.h" % (SP, n), "w") as f:
            f.write("Subject: %s\n\nbody %s\n" % (n, n))

def deliver(data):
    return subprocess.run(["mdrop-deliver", "-m", MAIL + "/%d/%l/Maildir"],
                          input=data, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode

def copies(n, r):
    d = os.path.join(MAIL, "ex.org", r, "Maildir", "new")
    if not os.path.isdir(d):
        return 0
    return sum(1 for f in os.listdir(d) if f.startswith(n + ".M1P1.h."))

whole = stream()
bad = []
for k in range(len(whole) + 1):
    setup()
    cut = whole[:k]
    rc = deliver(cut)
    if k == 0 or cut.endswith(b"\n"):
        last = cut.split(b"\n")[-2] if k else b""
        want = 75 if b"\t" in last else 0
        done = cut
    else:
        want = 65
        done = cut[:cut.rfind(b"\n") + 1]
    if rc != want:
        bad.append("k=%d:rc=%d/want=%d" % (k, rc, want))
    ended = set(done.split(b"\n"))
    for n, rs in MSGS:
        p = "%s/new/%s.M1P1.h" % (SP, n)
        for r in rs:
            c = copies(n, r)
            if c > 1:
                bad.append("k=%d:%s/%s=%d" % (k, n, r, c))
            if c == 0 and not os.path.exists(p):
                bad.append("k=%d:lost-%s/%s" % (k, n, r))
        if (p.encode() in ended) == os.path.exists(p):
            bad.append("k=%d:%s-%s" % (k, n, "kept" if os.path.exists(p)
                                        else "gone-early"))
    rc = deliver(whole)
    if rc != 0:
        bad.append("k=%d:rerun-rc=%d" % (k, rc))
    for n, rs in MSGS:
        for r in rs:
            if copies(n, r) != 1:
                bad.append("k=%d:rerun-%s/%s=%d" % (k, n, r, copies(n, r)))
    left = [e for e in os.listdir(SP) if e not in ("new", "tmp", "failed")]
    left += os.listdir(SP + "/new") + os.listdir(SP + "/failed")
    if left:
        bad.append("k=%d:spool-left=%s" % (k, ",".join(left)))
print(len(whole) + 1)
print(" ".join(bad))
PY
)
n=$(printf '%s\n' "$out" | head -n 1)
is "$(printf '%s\n' "$out" | sed -n 2p)" "" "cut at each of the $n byte positions of a 3-message, 5-record stream: exact exit, nothing lost or doubled, only ended groups taken out; a clean rerun completes exactly once"
ok "the stream was cut at every byte (over 150 positions)" test "${n:-0}" -gt 150

done_testing
