#!/usr/bin/env python3
"""Check one benchmark run's output against the corpus (python3 stdlib).

    verify.py --corpus DIR --root ROOT [--single] [--box MAILDIR]

Routed mode (default): ROOT holds DOMAIN/USER/Maildir/{new,cur,tmp} (or
USER@DOMAIN/Maildir/...); a message belongs to USER@DOMAIN's Maildir. --single: ROOT is one Maildir
that should hold every message (mpop, the disk ceiling; no routing).

What is compared, exactly (tests/bench/README.md says the same):
  - Every file in a new/ or cur/ directory is one delivered message; files
    in tmp/ are reported as stray; other files (Dovecot's index files,
    dovecot-uidlist, ...) are ignored.
  - A delivered file with CR LF line ends is read with each CR LF turned
    into LF first (the corpus holds no CR at all, so this hides nothing but
    the line-end convention); the count of such files is reported.
  - The delivered file must be the corpus message with zero or more whole
    header fields added in its header section (a tool's or the server's
    Received:, Delivered-To:, Return-Path:, ... at the top, or, as fdm
    does, just above the first Received:). So: the body (everything after
    the first empty line) is byte-identical, and the corpus message's
    header fields appear in the delivered header, in order, each one
    byte-identical (folding included). Anything else -- a changed,
    removed, re-folded or split line anywhere -- is "corrupt".
  - The corpus message is found by its Message-ID and then by which
    candidate (per-recipient copies share one) the file ends with.
  - Each corpus message must be delivered exactly once (missing, dup),
    and in routed mode into its envelope recipient's Maildir (misrouted).
  - --box: the server's drop box Maildir must hold no message (box=N left).

Prints one line of key=value words on stdout; problems, the first few of
each kind, on stderr. Exit 0 when correct, 1 when not, 2 on usage.
"""
import os
import re
import sys

MSGID = re.compile(rb"^Message-ID: (<[^>\n]*>)$", re.M | re.I)
HDR = re.compile(rb"^[!-9;-~]+:")


def load_manifest(corpus):
    by_id = {}
    entries = []
    with open(os.path.join(corpus, "MANIFEST"), "rb") as f:
        for line in f:
            name, rcpt, sender, msgid, size = \
                line.rstrip(b"\n").split(b"\t")[:5]
            e = {"name": name.decode(), "rcpt": rcpt.decode().lower(),
                 "size": int(size), "ok": 0, "bad": [], "corrupt": 0}
            entries.append(e)
            by_id.setdefault(msgid, []).append(e)
    return entries, by_id


def head_fields(data):
    """(list of header fields, offset of the body) where each field keeps
    its folded continuation lines and its LFs; the body starts after the
    empty line. None when the header section is not made of fields.
    (The body is not copied: 876 MB of slices made verifying slower than
    the runs it verifies.)"""
    end = data.find(b"\n\n")
    if end < 0:
        return None
    fields = []
    for line in data[:end + 1].split(b"\n")[:-1]:
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line + b"\n"
        elif HDR.match(line):
            fields.append(line + b"\n")
        else:
            return None
    return fields, end + 2


def split_msg(data):
    """(list of header fields, body), or None: head_fields with the body
    copied out."""
    h = head_fields(data)
    return None if h is None else (h[0], data[h[1]:])


def same_with_added_fields(data, orig_split):
    """True when data is the original with whole header fields added."""
    d = head_fields(data)
    body = orig_split[1]
    if d is None or len(data) - d[1] != len(body) or \
            not data.endswith(body):
        return False
    want = orig_split[0]
    i = 0
    for f in d[0]:
        if i < len(want) and f == want[i]:
            i += 1
    return i == len(want)


def first_diff(a, b):
    n = min(len(a), len(b))
    i = 0
    step = 4096
    while i < n and a[i:i + step] == b[i:i + step]:
        i += step
    while i < n and a[i] == b[i]:
        i += 1
    return i


def walk(root, skip):
    for dirpath, dirnames, filenames in os.walk(root):
        if skip and (dirpath + os.sep).startswith(skip + os.sep):
            continue            # the server's own drop box
        base = os.path.basename(dirpath)
        if base not in ("new", "cur", "tmp"):
            continue
        for fn in filenames:
            yield dirpath, base, fn


def main(argv):
    corpus = root = box = None
    single = False
    a = argv[1:]
    while a:
        if a[0] == "--corpus" and len(a) > 1:
            corpus = a[1]; a = a[2:]
        elif a[0] == "--root" and len(a) > 1:
            root = a[1]; a = a[2:]
        elif a[0] == "--box" and len(a) > 1:
            box = a[1]; a = a[2:]
        elif a[0] == "--single":
            single = True; a = a[1:]
        else:
            sys.stderr.write("usage: verify.py --corpus DIR --root ROOT "
                             "[--single] [--box MAILDIR]\n")
            return 2
    if not corpus or not root:
        sys.stderr.write("verify.py: --corpus and --root are required\n")
        return 2
    root = os.path.abspath(root)
    entries, by_id = load_manifest(corpus)
    cache = {}

    def orig(e):
        d = cache.get(e["name"])
        if d is None:
            with open(os.path.join(corpus, "msgs", e["name"]), "rb") as f:
                d = f.read()
            d = (d, split_msg(d))
            if e["size"] < 1 << 20:
                cache[e["name"]] = d
        return d

    problems = {}

    def problem(kind, text):
        lst = problems.setdefault(kind, [])
        if len(lst) < 5:
            lst.append(text)

    stray = unknown = crlf = misrouted = files = 0
    for dirpath, sub, fn in (walk(root, box and os.path.abspath(box))
                                 if os.path.isdir(root) else ()):
        path = os.path.join(dirpath, fn)
        if sub == "tmp":
            stray += 1
            problem("stray", path)
            continue
        files += 1
        with open(path, "rb") as f:
            data = f.read()
        if b"\r" in data:
            crlf += 1
            data = data.replace(b"\r\n", b"\n")
        m = MSGID.search(data)
        cands = by_id.get(m.group(1)) if m else None
        if not cands:
            unknown += 1
            problem("unknown", "%s: no corpus Message-ID" % path)
            continue
        owner = None
        if not single:
            rel = os.path.relpath(path, root).split(os.sep)
            # DOMAIN/USER/Maildir/new/NAME, or USER@DOMAIN/Maildir/new/NAME
            # (fetchmail's %T is the whole address).
            if len(rel) == 5 and rel[2] == "Maildir":
                owner = "%s@%s" % (rel[1], rel[0])
            elif len(rel) == 4 and rel[1] == "Maildir" and "@" in rel[0]:
                owner = rel[0]
            owner = (owner or "?").lower()
        hit = None
        for e in cands:
            o = orig(e)
            if o[1] is not None and same_with_added_fields(data, o[1]):
                if single or e["rcpt"] == owner:
                    hit = e
                    break
                hit = hit or e
        if hit is None:
            e = next((c for c in cands if c["rcpt"] == owner), cands[0])
            e["corrupt"] += 1
            o, osplit = orig(e)
            d = split_msg(data)
            if d is None or osplit is None:
                where = "the header section is broken"
            elif d[1] != osplit[1]:
                ob = osplit[1]
                off = first_diff(d[1], ob)
                ls = ob.rfind(b"\n", 0, off) + 1
                le = ob.find(b"\n", off)
                le = len(ob) if le < 0 else le
                where = ("body differs at body byte %d (line %d, a line of "
                         "%d bytes)" % (off, ob.count(b"\n", 0, off) + 1,
                                        le - ls))
            else:
                where = "a header field of the corpus is missing or changed"
            problem("corrupt", "%s: %s (%s): %s; %d bytes vs %d in the "
                    "corpus" % (path, e["name"], e["rcpt"], where,
                                len(data), len(o)))
            continue
        hit["ok"] += 1
        if not single and hit["rcpt"] != owner:
            misrouted += 1
            problem("misrouted", "%s: %s for %s landed in %s" % (
                path, hit["name"], hit["rcpt"], owner))

    missing = dup = corrupt = good = 0
    for e in entries:
        if e["corrupt"]:
            corrupt += 1
        elif e["ok"] == 0:
            missing += 1
            problem("missing", "%s for %s" % (e["name"], e["rcpt"]))
        elif e["ok"] > 1:
            dup += 1
            problem("dup", "%s delivered %d times" % (e["name"], e["ok"]))
        else:
            good += 1
    left = 0
    if box:
        for sub in ("new", "cur"):
            d = os.path.join(box, sub)
            if os.path.isdir(d):
                left += len(os.listdir(d))
        if left:
            problem("box", "%d messages left on the server" % left)
    correct = (good == len(entries) and not (misrouted or corrupt or dup
                                              or missing or unknown or left))
    print("correct=%s expected=%d good=%d files=%d missing=%d dup=%d "
          "misrouted=%d corrupt=%d unknown=%d stray=%d crlf=%d box=%d" % (
              "y" if correct else "n", len(entries), good, files, missing,
              dup, misrouted, corrupt, unknown, stray, crlf, left))
    for kind in sorted(problems):
        for text in problems[kind]:
            sys.stderr.write("verify: %s: %s\n" % (kind, text))
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
