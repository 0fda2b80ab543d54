#!/usr/bin/env python3
"""Deterministic multidrop corpus for the benchmark (python3 stdlib only).

    corpus.py gen  --seed S --n N [--small] OUTDIR
                                             N messages as the ISP dropped them
    corpus.py big  --mib M OUTDIR            one message of about M MiB
    corpus.py fill OUTDIR MAILDIR [UID GID]  put them all into a Maildir's new/
    corpus.py lmtp OUTDIR                    OUTDIR/lmtp/NAME: each message as
                                             LMTP DATA carries it (lmtpceil)

Each message is a file OUTDIR/msgs/mNNNNNN (LF line ends, no CR anywhere, as
Dovecot keeps a Maildir) shaped like a Postfix multidrop delivery:
Return-Path, X-Original-To, Delivered-To on top, then Received lines, then
realistic headers whose To:/Cc: often name *other* users (mailing lists,
Bcc, redirects), so only the envelope header routes correctly. About 5 % of
the messages are per-recipient copies of the one before (same Message-ID
and body, another envelope recipient), as an ISP drops a message sent to
several users of the domain.

--small: every message is a 2-8 KiB text one (the small-message corpus,
where per-message costs, not bytes, decide). Otherwise the size mix (by
count): ~70 % 2-8 KiB plain text, ~25 % 20-100 KiB with a
base64 attachment, ~5 % 1-5 MiB attachments. Some bodies carry lines that
start with "." (POP3 dot-stuffing), a line that is only ".", a "From "
line, and long lines (1-2 KB, and 9-12 KB: longer than fetchmail's 8192).

OUTDIR/MANIFEST has one line per message, TAB separated:
    NAME  RECIPIENT  SENDER  MESSAGE-ID  SIZE  VSIZE
(VSIZE: size with LF counted as CR LF, as POP3 sends it.)
The same seed and N always give byte-identical files on any machine.

lmtp writes OUTDIR/lmtp/NAME for every message: CR LF line ends, every
line that starts with "." dot-stuffed, then the terminating ".\r\n": the
bytes an LMTP client sends after DATA's 354, prepared once before the
timed runs so that the LMTP ceiling (lmtpceil.c) does no work of its own.

fill hard-links (or, across file systems, copies) every message into
MAILDIR/new/ under a fresh Dovecot-style name "T.bNrM.bench,S=SIZE,W=VSIZE"
so the server needs not read a file for STAT/LIST, chowned to UID:GID and
mode 0644. Linking keeps a refill from writing hundreds of MB that the
kernel would then flush during the next timed run. Dovecot never writes to
a delivered message file; it only renames and unlinks it.
"""
import base64
import errno
import os
import random
import shutil
import sys
import time

DOMAIN = "example.org"
USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
         "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert",
         "sybil", "trent", "victor", "walter", "zoe"]
LISTS = ["team@lists.example.net", "announce@lists.example.net",
         "dev@groups.example.com"]
SENDER_DOMAINS = ["example.com", "mail.example.net", "corp.example",
                  "shop.example.com", "news.example.net"]
WORDS = ("the of and to in is that for it as was with be by on not he this "
         "are or his from at which but have an they you were her she there "
         "been one all we their has would when if so no will more about "
         "mailbox delivery envelope server message recipient domain header "
         "invoice meeting tomorrow report attached please review thanks "
         "regards project budget schedule update release notes build test "
         "failure success deploy backup restore quarterly summary draft "
         "agenda minutes action items follow up customer order shipping").split()
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def date(r, t):
    # t: seconds since an arbitrary epoch; a plausible RFC 5322 date.
    d = t // 86400
    s = t % 86400
    return "%s, %d %s 2024 %02d:%02d:%02d +0000" % (
        DAYS[d % 7], 1 + d % 28, MONTHS[(d // 28) % 12],
        s // 3600, s // 60 % 60, s % 60)


def words(r, n):
    return " ".join(r.choice(WORDS) for _ in range(n))


def text_body(r, target):
    """Plain text paragraphs of about target bytes, with the odd lines."""
    out = []
    size = 0
    while size < target:
        k = r.random()
        if k < 0.03:
            line = "." + words(r, r.randint(1, 8))     # dot-leading
        elif k < 0.04:
            line = "."                                  # a lone dot
        elif k < 0.05:
            line = ".." + words(r, 3)
        elif k < 0.06:
            line = "From " + words(r, 6)                # mbox trap
        elif k < 0.07:
            line = ""
        else:
            line = words(r, r.randint(6, 13))
        out.append(line)
        size += len(line) + 1
    return "\n".join(out) + "\n"


def long_line(r, n):
    s = words(r, n // 5 + 10)
    while len(s) < n:
        s += " " + words(r, 50)
    return s[:n]


def attachment(r, nbytes):
    data = r.randbytes(nbytes)
    return base64.encodebytes(data).decode("ascii")


def build(r, i, t, rcpt, kind):
    """Return (sender, msgid, headers-after-envelope, body)."""
    sender_user = r.choice(["news", "billing", "ops", "j.smith", "m.jones",
                            "support", "noreply", "k.lee"])
    sdom = r.choice(SENDER_DOMAINS)
    sender = "%s@%s" % (sender_user, sdom)
    msgid = "<%d.%08x@%s>" % (i, r.getrandbits(32), sdom)
    k = r.random()
    if k < 0.35:
        to = r.choice(LISTS)              # a list: To names the list
    elif k < 0.55:
        to = "%s@%s" % (r.choice(USERS), DOMAIN)   # Bcc / redirect
    else:
        to = rcpt
    cc = ""
    if r.random() < 0.3:
        cc = "Cc: %s@%s, %s@%s\n" % (r.choice(USERS), DOMAIN,
                                     r.choice(USERS), DOMAIN)
    subject = words(r, r.randint(3, 8)).capitalize()
    h = ("Received: from mx%d.isp.test (mx%d.isp.test [192.0.2.%d])\n"
         "\tby pop.isp.test (Postfix) with ESMTPS id %X\n"
         "\tfor <%s>; %s\n"
         "Received: from mail.%s (mail.%s [198.51.100.%d])\n"
         "\tby mx%d.isp.test (Postfix) with ESMTPS id %X;\n"
         "\t%s\n"
         "From: %s <%s>\n"
         "To: %s\n"
         "%s"
         "Subject: %s\n"
         "Date: %s\n"
         "Message-ID: %s\n"
         "MIME-Version: 1.0\n") % (
        i % 3 + 1, i % 3 + 1, 10 + i % 3, r.getrandbits(40), rcpt, date(r, t),
        sdom, sdom, r.randint(1, 254), i % 3 + 1, r.getrandbits(40),
        date(r, t - 2), sender_user.replace(".", " ").title(), sender, to,
        cc, subject, date(r, t - 5), msgid)
    if kind == "text":
        body = text_body(r, r.randint(2048, 8192) - len(h) - 120)
        if r.random() < 0.04:
            body += long_line(r, r.randint(1000, 2000)) + "\n"
        if r.random() < 0.01:
            body += long_line(r, r.randint(9000, 12000)) + "\n"
        h += "Content-Type: text/plain; charset=utf-8\n" \
             "Content-Transfer-Encoding: 8bit\n"
    else:
        if kind == "att":
            n = r.randint(20 * 1024, 100 * 1024) * 3 // 4 - 1500
        else:
            n = r.randint(1024 * 1024, 5 * 1024 * 1024) * 3 // 4
        b = "b%016x" % r.getrandbits(64)
        h += 'Content-Type: multipart/mixed; boundary="%s"\n' % b
        body = ("This is a multi-part message in MIME format.\n\n--%s\n"
                "Content-Type: text/plain; charset=utf-8\n\n%s\n--%s\n"
                "Content-Type: application/octet-stream; name=\"f%d.bin\"\n"
                "Content-Transfer-Encoding: base64\n"
                "Content-Disposition: attachment; filename=\"f%d.bin\"\n\n"
                "%s--%s--\n") % (b, text_body(r, 600), b, i, i,
                                 attachment(r, max(n, 1)), b)
    return sender, msgid, h, body


def gen(seed, n, outdir, small=False):
    r = random.Random(seed)
    os.makedirs(os.path.join(outdir, "msgs"), exist_ok=True)
    man = []
    i = 0
    t = 3 * 86400
    prev = None
    while i < n:
        t += r.randint(1, 400)
        rcpt = "%s@%s" % (r.choice(USERS), DOMAIN)
        if prev is not None and r.random() < 0.05:
            # Another recipient's copy of the previous message.
            sender, msgid, rest, body, first = prev
            others = [u for u in USERS if "%s@%s" % (u, DOMAIN) != first]
            rcpt = "%s@%s" % (r.choice(others), DOMAIN)
            rest = rest.replace("\tfor <%s>;" % first, "\tfor <%s>;" % rcpt, 1)
        else:
            k = r.random()
            kind = "text" if k < 0.70 or small else (
                "att" if k < 0.95 else "big")
            sender, msgid, rest, body = build(r, i, t, rcpt, kind)
            prev = (sender, msgid, rest, body, rcpt)
        msg = ("Return-Path: <%s>\nX-Original-To: %s\nDelivered-To: %s\n"
               % (sender, rcpt, rcpt)) + rest + "\n" + body
        data = msg.encode("utf-8")
        name = "m%06d" % (i + 1)
        with open(os.path.join(outdir, "msgs", name), "wb") as f:
            f.write(data)
        man.append("%s\t%s\t%s\t%s\t%d\t%d\n" % (
            name, rcpt, sender, msgid, len(data), len(data) + data.count(b"\n")))
        i += 1
    with open(os.path.join(outdir, "MANIFEST"), "w") as f:
        f.writelines(man)


def big(mib, outdir):
    """One message of about mib MiB: a base64 attachment, 76-char lines,
    written in pieces so the generator itself stays small."""
    r = random.Random(200)
    os.makedirs(os.path.join(outdir, "msgs"), exist_ok=True)
    rcpt = "alice@" + DOMAIN
    sender = "big@example.com"
    msgid = "<big.%d@example.com>" % mib
    b = "bigboundary"
    head = ("Return-Path: <%s>\nX-Original-To: %s\nDelivered-To: %s\n"
            "Received: from mx1.isp.test (mx1.isp.test [192.0.2.10])\n"
            "\tby pop.isp.test (Postfix) with ESMTPS id 1234\n"
            "\tfor <%s>; Mon, 3 Jun 2024 10:11:12 +0000\n"
            "From: Big <%s>\nTo: %s\nSubject: a %d MiB attachment\n"
            "Date: Mon, 3 Jun 2024 10:11:00 +0000\nMessage-ID: %s\n"
            "MIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="%s"\n\n'
            "--%s\nContent-Type: application/octet-stream\n"
            "Content-Transfer-Encoding: base64\n\n") % (
        sender, rcpt, rcpt, rcpt, sender, rcpt, mib, msgid, b, b)
    path = os.path.join(outdir, "msgs", "m000001")
    size = 0
    lines = 0
    with open(path, "wb") as f:
        f.write(head.encode())
        size += len(head)
        lines += head.count("\n")
        chunk = 57 * 1024 * 16          # raw bytes per piece: whole lines
        want = mib * 1024 * 1024 * 57 // 77     # 57 raw bytes: 77 written
        done = 0
        while done < want:
            n = min(chunk, want - done)
            enc = base64.encodebytes(r.randbytes(n))
            f.write(enc)
            size += len(enc)
            lines += enc.count(b"\n")
            done += n
        tail = "--%s--\n" % b
        f.write(tail.encode())
        size += len(tail)
        lines += 1
    with open(os.path.join(outdir, "MANIFEST"), "w") as f:
        f.write("m000001\t%s\t%s\t%s\t%d\t%d\n" % (rcpt, sender, msgid,
                                                   size, size + lines))


def fill(outdir, maildir, uid=-1, gid=-1):
    tag = "%d.%d" % (time.time(), os.getpid())
    new = os.path.join(maildir, "new")
    with open(os.path.join(outdir, "MANIFEST")) as f:
        for n, line in enumerate(f):
            name, _, _, _, size, vsize = line.rstrip("\n").split("\t")
            src = os.path.join(outdir, "msgs", name)
            dst = os.path.join(new, "%s.b%dr%s.bench,S=%s,W=%s" % (
                tag.split(".")[0], n, tag.split(".")[1], size, vsize))
            if uid >= 0:
                os.chown(src, uid, gid)
            os.chmod(src, 0o644)
            try:
                os.link(src, dst)
            except OSError as e:
                if e.errno != errno.EXDEV:
                    raise
                shutil.copyfile(src, dst)
                if uid >= 0:
                    os.chown(dst, uid, gid)
                os.chmod(dst, 0o644)


def lmtp(outdir):
    os.makedirs(os.path.join(outdir, "lmtp"), exist_ok=True)
    with open(os.path.join(outdir, "MANIFEST")) as f:
        names = [line.split("\t", 1)[0] for line in f]
    for name in names:
        with open(os.path.join(outdir, "msgs", name), "rb") as f:
            data = f.read()
        if data and not data.endswith(b"\n"):
            data += b"\n"
        data = data.replace(b"\n", b"\r\n")
        if data.startswith(b"."):
            data = b"." + data
        data = data.replace(b"\r\n.", b"\r\n..") + b".\r\n"
        with open(os.path.join(outdir, "lmtp", name), "wb") as f:
            f.write(data)


def main(argv):
    def usage():
        sys.stderr.write("usage: corpus.py gen --seed S --n N [--small] OUTDIR | "
                         "corpus.py big --mib M OUTDIR | "
                         "corpus.py fill OUTDIR MAILDIR [UID GID] | "
                         "corpus.py lmtp OUTDIR\n")
        return 64
    if len(argv) < 2:
        return usage()
    if argv[1] == "lmtp" and len(argv) == 3:
        lmtp(argv[2])
        return 0
    if argv[1] == "fill" and len(argv) in (4, 6):
        fill(argv[2], argv[3], *[int(x) for x in argv[4:]])
        return 0
    opts = {}
    rest = []
    a = argv[2:]
    while a:
        if a[0] == "--small":
            opts[a[0]] = 1
            a = a[1:]
        elif a[0] in ("--seed", "--n", "--mib") and len(a) > 1:
            opts[a[0]] = int(a[1])
            a = a[2:]
        else:
            rest.append(a[0])
            a = a[1:]
    if len(rest) != 1:
        return usage()
    if argv[1] == "gen" and "--n" in opts:
        gen(opts.get("--seed", 1), opts["--n"], rest[0], "--small" in opts)
    elif argv[1] == "big" and "--mib" in opts:
        big(opts["--mib"], rest[0])
    else:
        return usage()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
