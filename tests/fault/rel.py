#!/usr/bin/env python3
"""rel.py: corpus, drop-box filler and the "nothing lost" invariant checker
for the reliability drivers (tests/fault/driver.sh, tests/integration/7*).

  rel.py corpus DIR N [ID:COUNT,...]
                                 write N messages DIR/mNNNN, DIR/expect
                                 ("ID<TAB>WHERE<TAB>RECIPIENT" per delivery
                                 due: WHERE is local@domain, or
                                 local@domain/.FOLDER for a Maildir++
                                 folder) and DIR/users (for mdrop-split
                                 --users); message ID gets COUNT
                                 recipients (wide)
  rel.py fill DIR MAILDIR UID GID  empty MAILDIR, put every DIR/m* into its new/ under
                                 Dovecot-friendly names (S= and W= sizes);
                                 fill() can hold some back for put() later
  rel.py check DIR MAILROOT [--lmtp] [--box MAILDIR] [--spool SPOOL]
                               [--partial]
                                 compare every file under
                                 MAILROOT/DOMAIN/LOCAL/Maildir/{new,cur}
                                 (and its folders' .FOLDER/{new,cur})
                                 with DIR/expect: each (ID, RECIPIENT)
                                 exactly once (--lmtp: at least once, the
                                 duplicates counted), nothing else, and
                                 byte-exact: the original, with
                                 "Delivered-To: RCPT\\n" on top unless the
                                 ISP's block already has that very line
                                 (Maildir), or the original body (LMTP:
                                 Dovecot adds its own headers).
                                 --box: that Maildir must be empty;
                                 --spool: SPOOL/{new,tmp,failed} too.
                                 --partial (mid-way, after a failed run):
                                 a message not yet delivered is not lost
                                 while it is on the server (--box) or in
                                 SPOOL/new; duplicates still count.
                                 Prints one line per problem and a summary;
                                 exit 0 only when the invariant holds.
  rel.py left DIR MAILROOT       how many (ID, RECIPIENT) of DIR/expect are
                                 in no Maildir under MAILROOT yet (the
                                 deliveries still to make; an LMTP
                                 duplicate counts once)

Why Python: the kill loop checks 500 messages after every run; a shell
loop over files would dominate the test's time.

The corpus: every message has a unique X-Rel-Id and a Return-Path on top
(so deliver adds at most Delivered-To). Most have one Delivered-To (as a
multidrop ISP writes them: deliver adds nothing and may hard-link), every 7th lists two local recipients, every
11th has no envelope header at all (fallback postmaster@example.org), and
every 13th carries a forged Delivered-To below the Received: line, which
must be ignored (fallback as well). Issue 19's options are on in every
run (tests/fault/pipeline.sh): every 17th other message is for the
subaddress alice+shop@ (split and deliver --delimiter +, deliver
--detail-folder; Dovecot with recipient_delimiter and
lmtp_save_to_detail_mailbox), so it lands in alice's folder .shop, and
every 19th other one for zed@, a local part split --users does not know,
so it goes to the fallback. A wide message (corpus ID:COUNT) has
COUNT recipients in one Delivered-To folded over many lines: the five
users, then w006@, w007@, ... Bodies vary in size, with a line
holding a lone "." and one starting with "..", which POP3 must stuff and
unstuff.
"""
import os
import sys

USERS = ["alice", "bob", "carol", "dave", "erin"]
DOM = "example.org"


def maildir_copy(orig, rcpt):
    """What mdrop-deliver -m writes for rcpt: the original, with a
    Delivered-To: line on top unless the ISP's block (above the first
    Received:) already names exactly that recipient."""
    line = b"Delivered-To: " + rcpt.encode() + b"\n"
    block = b"\n" + orig.split(b"\n\n", 1)[0].split(b"\nReceived:", 1)[0] + b"\n"
    if b"\n" + line in block:
        return orig
    return line + orig


def wide_rcpts(count):
    """The recipients of a wide message: the users, then w006, w007..."""
    names = USERS + ["w%03d" % k for k in range(len(USERS) + 1, count + 1)]
    return [n + "@" + DOM for n in names[:count]]


def message(i, wide=0):
    """(bytes, [recipients]) of message i (1-based); wide: that many
    recipients, in one folded Delivered-To. A recipient is its address,
    or (WHERE, address) when it lands elsewhere than that address's
    Maildir (a folder)."""
    rcpts = []
    head = [b"Return-Path: <sender%d@remote.test>\n" % i]
    if wide:
        rcpts = wide_rcpts(wide)
        lines = [", ".join(rcpts[k:k + 4]) for k in range(0, wide, 4)]
        head.append(("Delivered-To: %s\n" % ",\n ".join(lines)).encode())
    elif i % 11 == 0:
        rcpts = ["postmaster@" + DOM]
    elif i % 7 == 0:
        a, b = USERS[i % 5], USERS[(i + 2) % 5]
        rcpts = [a + "@" + DOM, b + "@" + DOM]
        head.append(("Delivered-To: %s, %s\n" % tuple(rcpts)).encode())
    elif i % 13 == 0:
        rcpts = ["postmaster@" + DOM]
    elif i % 17 == 0:
        rcpts = [("alice@%s/.shop" % DOM, "alice+shop@" + DOM)]
        head.append(("Delivered-To: alice+shop@%s\n" % DOM).encode())
    elif i % 19 == 0:
        rcpts = ["postmaster@" + DOM]
        head.append(("Delivered-To: zed@%s\n" % DOM).encode())
    else:
        rcpts = [USERS[i % 5] + "@" + DOM]
        head.append(("Delivered-To: %s\n" % rcpts[0]).encode())
    head.append(b"Received: from remote.test by isp.test; Mon, 1 Jan 2024 00:00:00 +0000\n")
    if i % 13 == 0:
        head.append(b"Delivered-To: mallory@" + DOM.encode() + b"\n")
    head.append(b"X-Rel-Id: %d\n" % i)
    head.append(b"To: list@" + DOM.encode() + b"\n")
    head.append(b"Subject: reliability message %d\n\n" % i)
    body = [b"line %d of message %d\n" % (k, i) for k in range(1 + (i * 37) % 200)]
    body.insert(len(body) // 2, b".\n")
    body.append(b"..leading dots\n")
    return b"".join(head) + b"".join(body), rcpts


def corpus(d, n, wide=None):
    """wide: {ID: COUNT} of the wide messages."""
    wide = wide or {}
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "expect"), "w") as ex:
        for i in range(1, n + 1):
            data, rcpts = message(i, wide.get(i, 0))
            with open(os.path.join(d, "m%04d" % i), "wb") as f:
                f.write(data)
            for r in rcpts:
                where, addr = r if isinstance(r, tuple) else (r, r)
                ex.write("%d\t%s\t%s\n" % (i, where, addr))
    with open(os.path.join(d, "users"), "w") as us:
        us.write("# every local part the corpus addresses but zed\n")
        for r in wide_rcpts(max(list(wide.values()) + [len(USERS)])):
            us.write(r.split("@")[0] + "\n")
        us.write("postmaster\n")


def corpus_ids(d):
    """The IDs of the corpus's messages, in order."""
    return sorted(int(n[1:]) for n in os.listdir(d) if n.startswith("m"))


def original(d, i):
    with open(os.path.join(d, "m%04d" % i), "rb") as f:
        return f.read()


def fill(d, maildir, uid, gid, hold=()):
    """Empty the drop box (and Dovecot's index of it), then fill it with
    the corpus but for the IDs in hold."""
    for sub in ("new", "cur", "tmp"):
        for f in os.listdir(os.path.join(maildir, sub)):
            os.unlink(os.path.join(maildir, sub, f))
    for f in os.listdir(maildir):
        if f == "dovecot-uidlist" or f.startswith("dovecot.index"):
            os.unlink(os.path.join(maildir, f))
    put(d, maildir, uid, gid, [i for i in corpus_ids(d) if i not in hold])


def put(d, maildir, uid, gid, ids):
    """Messages ids of the corpus into the drop box, as new mail."""
    pid = os.getpid()
    for i in ids:
        data = original(d, i)
        base = "%d.P%dN%s.rel,S=%d,W=%d" % (1700000000, pid, "m%04d" % i,
                                            len(data),
                                            len(data) + data.count(b"\n"))
        tmp = os.path.join(maildir, "tmp", base)
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.chown(tmp, uid, gid)
        os.rename(tmp, os.path.join(maildir, "new", base))


def rel_id(data):
    head = data.split(b"\n\n", 1)[0]
    for line in head.split(b"\n"):
        if line.startswith(b"X-Rel-Id: "):
            return int(line[10:])
    return None


def count_files(*dirs):
    n = 0
    for p in dirs:
        if os.path.isdir(p):
            n += sum(1 for e in os.scandir(p) if e.is_file())
    return n


def ids_in(*dirs):
    """X-Rel-Ids of the files in dirs."""
    out = set()
    for p in dirs:
        if not os.path.isdir(p):
            continue
        for e in os.scandir(p):
            if e.is_file():
                with open(e.path, "rb") as fh:
                    i = rel_id(fh.read(65536))
                if i is not None:
                    out.add(i)
    return out


def expected(d, addrs=None):
    """{(ID, WHERE): 0} for every delivery DIR/expect lists; addrs, when
    given, gets {(ID, WHERE): the address deliver was given}."""
    want = {}
    with open(os.path.join(d, "expect")) as ex:
        for line in ex:
            i, where, addr = line.rstrip("\n").split("\t")
            want[(int(i), where)] = 0
            if addrs is not None:
                addrs[(int(i), where)] = addr
    return want


def mailboxes(root):
    """(WHERE, Maildir or folder directory) of everything under root:
    DOMAIN/LOCAL/Maildir as local@domain, its Maildir++ folders .F as
    local@domain/.F."""
    for dom in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        for loc in sorted(os.listdir(os.path.join(root, dom))):
            md = os.path.join(root, dom, loc, "Maildir")
            rcpt = loc + "@" + dom
            yield rcpt, md
            for f in sorted(os.listdir(md)) if os.path.isdir(md) else []:
                if f.startswith(".") and os.path.isdir(os.path.join(md, f)):
                    yield rcpt + "/" + f, os.path.join(md, f)


def delivered(root):
    """{(ID, WHERE)} of the copies in the Maildirs under root."""
    done = set()
    for where, md in mailboxes(root):
        for i in ids_in(os.path.join(md, "new"), os.path.join(md, "cur")):
            done.add((i, where))
    return done


def left(d, root):
    """The deliveries of DIR/expect not made yet under root."""
    done = delivered(root)
    return sum(1 for k in expected(d) if k not in done)


def check(d, root, lmtp, box, spool, partial=False):
    addrs = {}
    want = expected(d, addrs)
    originals = {}
    problems = []
    tmpfiles = 0
    for rcpt, md in mailboxes(root):
        if os.path.isdir(os.path.join(md, "tmp")):
            tmpfiles += len(os.listdir(os.path.join(md, "tmp")))
        for sub in ("new", "cur"):
            p = os.path.join(md, sub)
            if not os.path.isdir(p):
                continue
            for f in sorted(os.listdir(p)):
                with open(os.path.join(p, f), "rb") as fh:
                    data = fh.read()
                i = rel_id(data)
                if i is None or (i, rcpt) not in want:
                    problems.append("unexpected %s/%s/%s (id %s)" % (rcpt, sub, f, i))
                    continue
                want[(i, rcpt)] += 1
                if i not in originals:
                    originals[i] = original(d, i)
                orig = originals[i]
                if lmtp:
                    good = data.endswith(orig.split(b"\n\n", 1)[1])
                else:
                    good = data == maildir_copy(orig, addrs[(i, rcpt)])
                if not good:
                    problems.append("corrupt %s/%s/%s (id %d)" % (rcpt, sub, f, i))
    lost = sorted(k for k, v in want.items() if v == 0)
    waiting = set()
    if partial:
        # mid-way: not yet delivered is fine while the message is still
        # on the server or in SPOOL/new
        if box:
            waiting |= ids_in(os.path.join(box, "new"), os.path.join(box, "cur"))
        if spool:
            waiting |= ids_in(os.path.join(spool, "new"))
        lost = [k for k in lost if k[0] not in waiting]
    dups = sorted(k for k, v in want.items() if v > 1)
    inbox = ids_in(os.path.join(box, "new"), os.path.join(box, "cur")) if box else set()
    inspool = ids_in(os.path.join(spool, "new")) if spool else set()
    for i, r in lost:
        where = (" (not delivered; still in SPOOL/new)" if i in inspool else
                 " (not delivered; still on the server)" if i in inbox else "")
        problems.append("lost id %d for %s%s" % (i, r, where))
    if not lmtp:
        for i, r in dups:
            problems.append("duplicate id %d for %s (%d copies)" % (i, r, want[(i, r)]))
    if box and not partial:
        n = count_files(os.path.join(box, "new"), os.path.join(box, "cur"))
        if n:
            problems.append("the drop box still holds %d messages" % n)
    if spool and not partial:
        for sub in ("new", "tmp", "failed"):
            n = count_files(os.path.join(spool, sub))
            if n:
                problems.append("SPOOL/%s holds %d files" % (sub, n))
    for p in problems[:20]:
        print(p)
    if len(problems) > 20:
        print("... and %d more problems" % (len(problems) - 20))
    print("summary: deliveries=%d delivered=%d waiting=%d lost=%d duplicates=%d problems=%d maildir-tmp=%d"
          % (len(want), sum(1 for v in want.values() if v), len(waiting),
             len(lost), sum(want[k] - 1 for k in dups), len(problems), tmpfiles))
    return 1 if problems else 0


def main(argv):
    if len(argv) in (4, 5) and argv[1] == "corpus":
        wide = dict(tuple(int(x) for x in w.split(":"))
                    for w in argv[4].split(",")) if len(argv) == 5 else {}
        corpus(argv[2], int(argv[3]), wide)
        return 0
    if len(argv) == 6 and argv[1] == "fill":
        fill(argv[2], argv[3], int(argv[4]), int(argv[5]))
        return 0
    if len(argv) == 4 and argv[1] == "left":
        print(left(argv[2], argv[3]))
        return 0
    if len(argv) >= 4 and argv[1] == "check":
        opt = {"--lmtp": False, "--box": None, "--spool": None,
               "--partial": False}
        rest = argv[4:]
        while rest:
            k = rest.pop(0)
            if k in ("--lmtp", "--partial"):
                opt[k] = True
            elif k in opt and rest:
                opt[k] = rest.pop(0)
            else:
                print(__doc__, file=sys.stderr)
                return 64
        return check(argv[2], argv[3], opt["--lmtp"], opt["--box"],
                     opt["--spool"], opt["--partial"])
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
