#!/usr/bin/env python3
"""stagekill.py: the per-stage kill loop (tests/integration/77-stage-kill.t,
tests/fault/driver.sh rel_stage_loop). The pipeline

    mdrop-fetch | mdrop-split | mdrop-deliver -m

against the private Dovecot is run again and again, each run with exactly
ONE stage SIGKILLed, at a point of that stage's own progress (never of
time); the two others see end of input or EPIPE, as in real life, and run
to their end; the next run goes on from where the last stood.

  stagekill.py KILLS SEED CORPUS BOX UID GID LOG

CORPUS is rel.py's (with wide messages), BOX the drop box's Maildir, UID
and GID its owner; REL_SPOOL, REL_MAIL, REL_RUN, REL_TIMEOUT and what
pipeline.sh needs come from the environment. The box is filled here
(rel.fill) with the corpus but for what is held back: every wide message
(WIDE recipients or more) and TOPUP ordinary messages per fetch kill.

The stages are started by `pipeline.sh --stage`, so their command lines
are those of every other reliability test; fetch's stdout is split's
stdin, split's stdout goes through a relay here into deliver's stdin.

The seed (random.Random) draws the stage of each kill (at least
KILLS // 4 each, shuffled), its kind and its point:

  fetch    at the n-th file fetch creates in SPOOL/tmp (inotify: on tmpfs
           a message is written and renamed between two looks), n at most
           half the messages on the server it has to fetch (not those a
           killed fetch left in SPOOL/tmp: it may finish them); there are
           always TOPUP or more: the box is topped up from the messages
           held back first. fetch cannot be done before it has written
           the other half, so the kill lands on a live fetch, mid-RETR.
           (The only kill whose landing is not certain by construction:
           a run that ends first is run again.)
  split    "mid": in the group of a wide message. split's stdout is a
           one-page pipe (CAP) and the relay reads it CHUNK bytes at a
           time; it stops reading N bytes into the group, N drawn so that
           N + CAP stays short of the group's end line: split is still in
           the write(2) of that group when it is killed, and the relay
           then passes on what split had written. The first split kill
           cuts the 300-recipient message (held back until then), later
           ones a wide message still in the spool, or the next one held.
           "stream": after B bytes of the run's records, B + CAP short of
           the least the run must write. The relay passes bytes as a
           pipe does ("pipe": it reads nothing more until split is gone,
           so the cut falls where split's write stopped, a page boundary,
           mostly inside a line), or whole lines only ("lines"), as a
           line filter between split and deliver would (DESIGN.md,
           "Record format": filters may sit there; a shell `while read`
           loop drops a last line without its newline): the cut falls
           after a whole record.
           The first split kill is "mid"/"lines", the second "mid"/"pipe".
  deliver  the relay passes n records on and holds the rest back, so
           deliver cannot be done; killed "read": as soon as it has read
           them all (the bytes sent less those still in the pipe; looked
           at every millisecond: it is writing copies or waiting with its
           batch uncommitted), or "results": at its n-th result line
           (its commit printed them: it is removing spool files and
           notes, or waiting); n at most half the deliveries the run must
           make. Then the relay lets go, and split sees EPIPE.

A kill landed when the killed stage died of the SIGKILL (not of its own
exit just before). A run whose stage ended before its point is run again
with a fresh point, at most TRIES times per kill. Each run is checked
against DESIGN.md ("Record format", exit status):

  fetch killed     split 0 and deliver 0: all they got was whole
  split killed     fetch 0, 74 (stdout closed) or 75; deliver exactly as
                   the bytes it got say: 0 when they end with an end line
                   (or are none), 75 after a whole record inside a group,
                   65 inside a line; in the last two the group is logged
                   `group-incomplete path=P` and P is still in SPOOL/new
  deliver killed   fetch 0, 74 or 75; split 0 or 74
  no kill          fetch 0 or 75; split 0; deliver 0

and between runs: no (message, recipient) twice in the Maildirs, and
each message not delivered yet is on the server, in SPOOL/new or held.
A nonzero exit must come with an error or warning line. At the end every
message held back is put into the box (for the clean run that follows).

Prints one line per problem ("bad: ...") and a summary line
  summary: kills= landed= fetch= split= deliver= mid= cut300= lines75=
           pipe65= ended= runs= released=
(landed: kills that landed, and per stage; mid: split kills inside the
group aimed at whose run passed every check, cut300 of them in the
300-recipient group, lines75 cut after a whole record, pipe65 inside a
line; ended: runs that ended before their point; released: messages held
until the end) and appends one line per run to LOG.
"""
import ctypes
import fcntl
import os
import random
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import rel          # the corpus, the box, the copies

HERE = os.path.dirname(os.path.abspath(__file__))
PIPELINE = os.path.join(HERE, "pipeline.sh")
STAGES = ("fetch", "split", "deliver")
CAP = 4096          # split's stdout when split is the one killed: a page
CHUNK = 256         # the relay's reads then
N_MIN = 512         # a cut inside a group lies past its first record
ROOM = CAP + N_MIN + 2048   # a "stream" kill wants as much to write, at least
WIDE = 60           # a wide message: this many recipients or more
TOPUP = 12          # a fetch about to be killed has this many to fetch
TRIES = 3           # runs per kill
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
IN_CREATE = 0x100
BOXNAME = re.compile(r"Nm(\d+)\.rel")

SPOOL = os.environ["REL_SPOOL"]
MAIL = os.environ["REL_MAIL"]
RUN = os.environ["REL_RUN"]
TIMEOUT = float(os.environ.get("REL_TIMEOUT", "60"))
_libc = ctypes.CDLL(None, use_errno=True)


def code(rc):
    """A Popen return code as the shell says it (128 + signal)."""
    return 128 - rc if rc < 0 else rc


class Created:
    """Files created in directory d from now on, as inotify reports them."""

    def __init__(self, d):
        self.n = 0
        self.fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0 or _libc.inotify_add_watch(
                self.fd, os.fsencode(d), IN_CREATE) < 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e), d)

    def look(self):
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return self.n
            i = 0
            while i < len(data):
                _, mask, _, ln = struct.unpack_from("iIII", data, i)
                self.n += bool(mask & IN_CREATE)
                i += 16 + ln

    def close(self):
        os.close(self.fd)


class Relay:
    """split's stdout into deliver's stdin: as a pipe ("pipe") or as a
    filter passing whole lines only ("lines"). Keeps what it read (got;
    got[:sent] went to deliver) and where each record line ends; at the
    first record of each group asks aim(path, sender, start) for a point
    (bytes read) where to stop reading, until one is given; with hold set,
    passes no more than hold records on."""

    def __init__(self, src, dst, mode, chunk, aim=None, stop=None,
                 hold=None):
        self.src, self.dst, self.mode, self.chunk = src, dst, mode, chunk
        self.aim, self.stop, self.target = aim, stop, None
        self.hold = hold
        self.got = bytearray()
        self.sent = self.scan = 0
        self.group = None
        self.records = []   # offsets just past each record line
        self.broken = False

    def limit(self):
        """How much of got may go to deliver."""
        if self.hold is not None and len(self.records) >= self.hold:
            return self.records[self.hold - 1]
        if self.mode == "lines":
            return self.got.rfind(b"\n") + 1
        return len(self.got)

    def held(self):
        """All hold records went to deliver; the rest waits."""
        return self.hold is not None and len(self.records) >= self.hold \
            and self.sent >= self.limit()

    def want(self):
        """Bytes to read now; 0: hold."""
        if self.src is None or len(self.got) - self.sent >= 65536:
            return 0
        if self.stop is not None:
            return max(0, min(self.chunk, self.stop - len(self.got)))
        return self.chunk

    def holding(self):
        return self.stop is not None and len(self.got) >= self.stop

    def read(self):
        try:
            data = os.read(self.src, self.want())
        except BlockingIOError:
            return
        if not data:
            self._close_src()
            return
        self.got += data
        self._parse()

    def _parse(self):
        while True:
            nl = self.got.find(b"\n", self.scan)
            if nl < 0:
                return
            start, self.scan = self.scan, nl + 1
            f = bytes(self.got[start:nl]).split(b"\t")
            if len(f) == 1:         # an end line
                self.group = None
                continue
            self.records.append(nl + 1)
            if f[0] == self.group:
                continue
            self.group = f[0]
            if self.aim is not None:
                stop = self.aim(f[0], f[2] if len(f) > 2 else b"", start)
                if stop is not None:
                    self.stop, self.target = max(stop, len(self.got)), f[0]
                    self.aim = None

    def write(self):
        end = self.limit()
        if self.dst is not None and self.sent < end:
            try:
                self.sent += os.write(self.dst, self.got[self.sent:end])
            except BlockingIOError:
                pass
            except BrokenPipeError:     # deliver is gone: so is our reader
                self.broken = True
                self._close_dst()
                self._close_src()
        if self.dst is not None and self.src is None and \
           self.hold is None and self.sent >= self.limit():
            self._close_dst()           # deliver's end of input

    def consumed(self):
        """How many bytes deliver has read."""
        if self.dst is None:
            return self.sent
        try:
            n = struct.unpack("i", fcntl.ioctl(self.dst, termios.FIONREAD,
                                               b"\0" * 4))[0]
        except OSError:
            return self.sent
        return self.sent - n

    def done(self):
        return self.src is None and self.dst is None

    def _close_src(self):
        if self.src is not None:
            os.close(self.src)
            self.src = None

    def _close_dst(self):
        if self.dst is not None:
            os.close(self.dst)
            self.dst = None


def tail(data):
    """How the bytes deliver got end: (how, path) with how "none", "end"
    (an end line), "record" (a whole record of group path) or "cut"
    (inside a line; path: the group open before it, or None)."""
    if not data:
        return "none", None
    whole = data[:data.rfind(b"\n") + 1]
    last = bytes(whole[:-1]).rsplit(b"\n", 1)[-1] if whole else b""
    f = last.split(b"\t")
    path = f[0] if len(f) > 1 else None
    if data.endswith(b"\n"):
        return ("record", path) if path else ("end", None)
    return "cut", path


def run(tag, victim, plan):
    """One run of the pipeline with plan's kill; the run's record."""
    base = os.path.join(RUN, tag)
    errs = {s: open("%s.%s.err" % (base, s), "wb") for s in STAGES}
    created = (Created(os.path.join(SPOOL, "tmp")) if victim == "fetch"
               else None)

    def start(stage, **kw):
        return subprocess.Popen(["sh", PIPELINE, "--stage", stage],
                                stderr=errs[stage], **kw)

    fetch = start("fetch", stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    r, w = os.pipe()
    if victim == "split" and fcntl.fcntl(r, F_SETPIPE_SZ, CAP) != CAP:
        raise OSError("cannot make a pipe of %d bytes" % CAP)
    split = start("split", stdin=fetch.stdout, stdout=w)
    os.close(w)
    fetch.stdout.close()
    deliver = start("deliver", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    din, dout = os.dup(deliver.stdin.fileno()), os.dup(deliver.stdout.fileno())
    deliver.stdin.close()
    deliver.stdout.close()
    for f in errs.values():
        f.close()
    for fd in (r, din, dout):
        os.set_blocking(fd, False)
    procs = {"fetch": fetch, "split": split, "deliver": deliver}
    kind, n, p = plan["kind"], plan.get("n"), procs[victim]
    relay = Relay(r, din, plan.get("mode", "pipe"),
                  CHUNK if victim == "split" else 65536, plan.get("aim"),
                  plan.get("stop"), n if victim == "deliver" else None)
    out = open(base + ".out", "wb")
    results, seen, timed_out = 0, None, False
    deadline = time.monotonic() + TIMEOUT
    while True:
        rl, wl = [], []
        if relay.src is not None and relay.want() > 0:
            rl.append(relay.src)
        if relay.dst is not None and relay.sent < relay.limit():
            wl.append(relay.dst)
        if dout is not None:
            rl.append(dout)
        if created is not None and seen is None:
            rl.append(created.fd)
        # deliver reading what it got: a look every millisecond
        watch = seen is None and kind == "read" and relay.held()
        rs, ws, _ = select.select(rl, wl, [], 0.001 if watch else 0.02)
        if relay.src is not None and relay.src in rs:
            relay.read()
        if relay.dst is not None and (relay.dst in ws or relay.src is None):
            relay.write()
        if dout is not None and dout in rs:
            data = os.read(dout, 65536)
            if data:
                out.write(data)
                results += data.count(b"\n")
            else:
                os.close(dout)
                dout = None
        if seen is None and p.poll() is None:
            if victim == "fetch":
                due = created.look() >= n
                now = created.n
            elif victim == "split":
                due, now = relay.holding(), len(relay.got)
            elif kind == "read":        # deliver has read all it got
                due = relay.held() and relay.consumed() >= relay.sent
                now = relay.hold
            else:                       # deliver committed all it got
                due, now = relay.held() and results >= n, results
            if due:
                seen = now
                p.send_signal(signal.SIGKILL)
                # gone before anything moves on: a writer blocked on a
                # full pipe would copy one more page if we read on first
                p.wait()
                relay.stop = None       # pass on what split had written
                relay.hold = None       # and split sees EPIPE
        if seen is None and p.poll() is not None:
            relay.stop = relay.hold = None  # it ended before its point
        if time.monotonic() > deadline and not timed_out:
            timed_out = True
            relay.stop = relay.hold = None
            for q in procs.values():
                if q.poll() is None:
                    q.kill()
        if relay.done() and dout is None and \
           all(q.poll() is not None for q in procs.values()):
            break
    out.close()
    if created is not None:
        created.close()
    rc = {}
    for s, q in procs.items():
        rc[s] = code(q.wait())
        with open("%s.%s.rc" % (base, s), "w") as f:
            f.write("%d\n" % rc[s])
    return {"tag": tag, "victim": victim, "plan": plan, "rc": rc,
            "seen": seen, "landed": seen is not None and
            procs[victim].returncode == -signal.SIGKILL,
            "timed_out": timed_out, "got": bytes(relay.got[:relay.sent]),
            "target": relay.target}


def logged(tag, stage, what=None):
    """Whether stage's log of run tag has an error/warning line (or what)."""
    with open(os.path.join(RUN, "%s.%s.err" % (tag, stage)), "rb") as f:
        text = f.read()
    if what is not None:
        return what in text
    return re.search(rb"(?m)^mdrop-%s: (error|warning): " % stage.encode(),
                     text) is not None


def judge(rec):
    """The run's problems (DESIGN.md); sets rec["how"], rec["cut"]."""
    bad, rc, tag, v = [], rec["rc"], rec["tag"], rec["victim"]

    def need(stage, allowed):
        c = rc[stage]
        if c not in allowed:
            bad.append("%s (%s killed): %s exit %d, DESIGN.md allows %s" % (
                tag, v if rec["landed"] else "none", stage, c,
                " or ".join(str(a) for a in sorted(allowed))))
        elif c != 0 and not logged(tag, stage):
            bad.append("%s: %s exit %d without an error line" % (
                tag, stage, c))

    rec["how"], rec["cut"] = tail(rec["got"])
    if rec["timed_out"]:
        bad.append("%s: still running after %d s" % (tag, TIMEOUT))
    if not rec["landed"]:
        need("fetch", {0, 75})
        need("split", {0})
        need("deliver", {0})
    elif v == "fetch":
        need("split", {0})
        need("deliver", {0})
    elif v == "deliver":
        need("fetch", {0, 74, 75})
        need("split", {0, 74})
    else:
        need("fetch", {0, 74, 75})
        need("deliver", {{"none": 0, "end": 0, "record": 75,
                          "cut": 65}[rec["how"]]})
        path = rec["cut"]
        if path is not None:
            name = os.fsdecode(path)
            if not os.path.exists(name):
                bad.append("%s: deliver got part of the group of %s; its "
                           "spool file is gone" % (tag, name))
            if not logged(tag, "deliver", b"group-incomplete path=" + path):
                bad.append("%s: deliver got part of the group of %s; no "
                           "group-incomplete logged" % (tag, name))
        if rec["plan"]["kind"] == "mid" and rec["cut"] != rec["target"]:
            bad.append("%s: the cut missed the group aimed at (%s, ended %s "
                       "in %s)" % (tag, rec["target"], rec["how"], path))
    return bad


class State:
    """Where the corpus stands between runs: copies in the Maildirs, files
    in SPOOL/new, messages on the server."""

    def __init__(self, corpus, box):
        self.corpus, self.box, self.ids = corpus, box, {}
        # where each copy lands, and the address its record names (the
        # record's length goes by the address)
        self.rcpts, self.addrs, addr = {}, {}, {}
        for i, r in rel.expected(corpus, addr):
            self.rcpts.setdefault(i, []).append(r)
            self.addrs.setdefault(i, []).append(addr[(i, r)])
        # the SENDER field of its records: the Return-Path on its top
        self.sender = {}
        for i in self.rcpts:
            top = rel.original(corpus, i).split(b"\n", 1)[0]
            self.sender[i] = len(top.split(b"<", 1)[-1].rstrip(b">"))

    def id_of(self, path):
        """The X-Rel-Id of a file (cached: names are never reused)."""
        if path not in self.ids:
            with open(path, "rb") as f:
                self.ids[path] = rel.rel_id(f.read(65536))
        return self.ids[path]

    def look(self):
        self.copies = {}
        for where, md in rel.mailboxes(MAIL):
            for sub in ("new", "cur"):
                d = os.path.join(md, sub)
                for name in os.listdir(d) if os.path.isdir(d) else []:
                    k = (self.id_of(os.path.join(d, name)), where)
                    self.copies[k] = self.copies.get(k, 0) + 1
        d = os.path.join(SPOOL, "new")
        self.path = {self.id_of(os.path.join(d, n)): os.path.join(d, n)
                     for n in os.listdir(d)}
        self.spool = set(self.path)
        self.onbox = set()
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(self.box, sub)):
                m = BOXNAME.search(name)
                if m:
                    self.onbox.add(int(m.group(1)))
        self.pending = {i: [r for r in rs if (i, r) not in self.copies]
                        for i, rs in self.rcpts.items()}
        # a killed fetch's file in SPOOL/tmp: the next one may finish it
        # (its UID noted) instead of fetching it again
        self.intmp = set()
        d = os.path.join(SPOOL, "tmp")
        for name in os.listdir(d):
            with open(os.path.join(d, name), "rb") as f:
                self.intmp.add(rel.rel_id(f.read(65536)))
        # on the server, not spooled, nothing delivered: fetch must RETR it
        self.fresh = {i for i in self.onbox - self.spool - self.intmp
                      if len(self.pending[i]) == len(self.rcpts[i])}
        self.flowing = self.spool | self.fresh

    def work(self):
        """The deliveries this run must make (when fetch logs in)."""
        return sum(len(self.pending[i]) for i in self.flowing)

    def problems(self, held, when):
        bad = ["%s: id %s for %s: %d copies" % (when, i, r, c)
               for (i, r), c in sorted(self.copies.items(), key=str) if c > 1]
        bad += ["%s: unexpected copy (id %s) for %s" % (when, i, r)
                for (i, r) in self.copies if r not in self.rcpts.get(i, ())]
        bad += ["%s: id %d lost (%d recipients waiting; not on the server, "
                "not in SPOOL/new)" % (when, i, len(p))
                for i, p in sorted(self.pending.items())
                if p and i not in self.spool and i not in self.onbox and
                i not in held]
        return bad


def schedule(kills, rng):
    """The stage of each kill: at least kills // 4 each, shuffled."""
    each = kills // 4 if kills >= 4 else min(1, kills // 3)
    v = list(STAGES) * each
    v += [rng.choice(STAGES) for _ in range(kills - len(v))]
    rng.shuffle(v)
    return v


class Loop:
    def __init__(self, kills, seed, corpus, box, uid, gid):
        self.rng = random.Random(seed)
        self.victims = schedule(kills, self.rng)
        self.box, self.uid, self.gid, self.corpus = box, uid, gid, corpus
        self.st = State(corpus, box)
        rc = self.st.rcpts
        self.wide = sorted((i for i in rc if len(rc[i]) >= WIDE),
                           key=lambda i: (-len(rc[i]), i))
        ordinary = sorted(i for i in rc if len(rc[i]) < WIDE)
        n = min(TOPUP * (self.victims.count("fetch") + 4),
                len(ordinary) * 2 // 3)
        self.spare = ordinary[len(ordinary) - n:] if n else []
        rel.fill(corpus, box, uid, gid, set(self.wide) | set(self.spare))
        for sub in ("", "tmp", "new", "failed"):
            os.makedirs(os.path.join(SPOOL, sub), 0o700, exist_ok=True)
        self.splits = 0
        self.bad = []

    def held(self):
        return set(self.wide) | set(self.spare)

    def put(self, ids):
        rel.put(self.corpus, self.box, self.uid, self.gid, ids)
        self.st.look()

    def topup(self):
        take, self.spare = self.spare[:TOPUP], self.spare[TOPUP:]
        self.put(take)

    def plan(self, victim):
        st, u = self.st, self.rng.random()
        if victim == "fetch":
            if len(st.fresh) < TOPUP and self.spare:
                self.topup()
            return {"kind": "spooled",
                    "n": 1 + int(u * max(1, len(st.fresh) // 2 - 1))}
        if victim == "deliver":
            if st.work() < 2 and self.spare:
                self.topup()
            return {"kind": "read" if self.rng.random() < 0.5 else "results",
                    "n": 1 + int(u * max(1, st.work() // 2 - 1))}
        self.splits += 1
        r = self.rng.random()
        kind, mode, need = (("mid", "lines", 300) if self.splits == 1 else
                            ("mid", "pipe", WIDE) if self.splits == 2 else
                            ("mid", "lines", WIDE) if r < 0.35 else
                            ("mid", "pipe", WIDE) if r < 0.7 else
                            ("stream", "pipe", WIDE))
        # spare messages are for fetch: a wide one is cut again and again
        if kind == "stream" and self.least() <= ROOM:
            kind = "mid"
        if kind == "mid" and not any(len(st.rcpts[i]) >= need
                                     for i in st.flowing):
            take = [i for i in self.wide if len(st.rcpts[i]) >= need][:1]
            if take:
                self.wide.remove(take[0])
                self.put(take)
            else:
                kind, mode = "stream", "pipe"
        if kind == "mid":
            return {"kind": kind, "mode": mode, "need": need,
                    "aim": self.aimer(need, u)}
        if self.least() <= ROOM and self.spare:
            self.topup()
        return {"kind": kind, "mode": mode,
                "stop": N_MIN + int(u * max(1, self.least() - CAP - N_MIN))}

    def least(self):
        """The least number of bytes split writes in this run (when fetch
        logs in): the records and end line of each message; the path of
        one still to fetch is at least SPOOL/new/ and one byte."""
        st, lp = self.st, len(os.path.join(SPOOL, "new", "x"))
        n = 0
        for i in st.flowing:
            p = len(st.path[i]) if i in st.path else lp
            n += len(st.rcpts[i]) * (p + st.sender[i] + 3) + p + 1
            n += sum(map(len, st.addrs[i]))
        return n

    def aimer(self, need, u):
        """aim() for the relay: N bytes into the first group of a message
        with need recipients or more, N + CAP short of its end line."""
        def aim(path, sender, start):
            try:
                i = self.st.id_of(os.fsdecode(path))
            except OSError:
                return None
            rcpts = self.st.addrs.get(i, [])
            if len(rcpts) < need:
                return None
            size = sum(len(path) + len(r) + len(sender) + 3 for r in rcpts)
            room = size - CAP - N_MIN
            if room <= 0:
                return None
            return start + N_MIN + int(u * room)
        return aim

    def go(self, log):
        count = {s: 0 for s in STAGES}
        landed = ended = runs = mid = cut300 = lines75 = pipe65 = 0
        for k, victim in enumerate(self.victims, 1):
            for _ in range(TRIES):
                self.st.look()
                self.bad += self.st.problems(self.held(),
                                             "before run k%d" % (runs + 1))
                plan = self.plan(victim)
                work = self.st.work()
                runs += 1
                rec = run("k%d" % runs, victim, plan)
                bad = judge(rec)
                self.bad += bad
                if not rec["landed"]:
                    ended += 1
                elif victim == "split" and plan["kind"] == "mid" and \
                        not bad:    # cut in the group aimed at, all as due
                    mid += 1
                    i = self.st.id_of(os.fsdecode(rec["cut"]))
                    cut300 += len(self.st.rcpts[i]) >= 300
                    lines75 += rec["how"] == "record"
                    pipe65 += rec["how"] == "cut"
                shown = {a: b for a, b in plan.items() if a != "aim"}
                log.write("kill %d run %s: %s %s at %s; %s; deliver got %d "
                          "bytes, ending %s%s; %d deliveries were due\n" % (
                              k, rec["tag"], victim, shown,
                              rec["seen"], " ".join(
                                  "%s=%d" % (s, rec["rc"][s]) for s in STAGES),
                              len(rec["got"]), rec["how"],
                              " in " + os.fsdecode(rec["cut"]) if rec["cut"]
                              else "", work))
                if rec["landed"]:
                    landed += 1
                    count[victim] += 1
                    break
        self.st.look()
        self.bad += self.st.problems(self.held(), "after the kills")
        released = len(self.held())
        self.put(self.wide + self.spare)
        self.wide, self.spare = [], []
        return ("kills=%d landed=%d fetch=%d split=%d deliver=%d mid=%d "
                "cut300=%d lines75=%d pipe65=%d ended=%d runs=%d released=%d"
                % (len(self.victims), landed, count["fetch"], count["split"],
                   count["deliver"], mid, cut300, lines75, pipe65, ended,
                   runs, released))


def main(argv):
    if len(argv) != 8:
        print(__doc__, file=sys.stderr)
        return 64
    loop = Loop(int(argv[1]), int(argv[2]), argv[3], argv[4], int(argv[5]),
                int(argv[6]))
    with open(argv[7], "a") as log:
        summary = loop.go(log)
    for b in loop.bad:
        print("bad: " + b)
    print("summary: " + summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
