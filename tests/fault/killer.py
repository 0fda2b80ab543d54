#!/usr/bin/env python3
"""killer.py: run a command in a session of its own and SIGKILL its whole
process group once it has shown a given amount of progress; for the kill
loops of tests/fault/driver.sh (rel_kill_run, rel_kill_loop).

  killer.py [--left CORPUS MAILROOT] --at N DIR... [--at N DIR...]...
            [--gone N DIR...]... -- COMMAND [ARG...]

Progress is counted in files, by inode, in the DIRs of one --at or
--gone (glob patterns, expanded at every look, so that directories made
by COMMAND count too). --at counts the files that were not there when
COMMAND started: the messages mdrop-fetch writes in SPOOL/tmp;
mdrop-deliver's copies, first in a Maildir's tmp/, then (the same file,
linked) in its new/; a file counts once, under whatever names it is
seen. --gone counts the files that were there and are gone: the messages
the POP3 server expunges at QUIT. The group is killed as soon as one
counter has reached its N.

Why progress and not time: a run that still has W deliveries to make
cannot end before W more files have appeared in the Maildirs, so a kill
at N < W files lands on work in progress however fast or loaded the
machine is. The looks are a few milliseconds apart; a Maildir copy stays
in tmp/ until its batch's commit (tens of milliseconds) and a delivery
in new/ for good, so none goes unseen.

Prints one line and returns once no process of the group is left
(zombies aside):
  killed P1[,P2...] SECONDS [LEFT]      COMMAND still ran when killed
  ended P1[,P2...] SECONDS RC [LEFT]    COMMAND ended by itself, exit RC
where P1... is what each counter saw, and LEFT (with --left) the
deliveries of CORPUS still to make under MAILROOT afterwards (rel.py
left; here to spare the kill loop an interpreter start per kill).
"""
import glob
import os
import signal
import subprocess
import sys
import time

import rel          # beside this file: the corpus's deliveries still to make

LOOK = 0.003        # seconds between looks
GONE_WAIT = 10.0    # seconds to wait for the group's processes to go


def entries(patterns):
    """{directory: {name: inode}} for every directory the patterns name
    now."""
    out = {}
    for pat in patterns:
        for d in glob.glob(pat) if glob.has_magic(pat) else [pat]:
            try:
                with os.scandir(d) as it:
                    out[d] = {e.name: e.inode() for e in it}
            except OSError:     # not there (yet), or gone
                pass
    return out


def group_alive(pgid):
    """True while a process of group pgid other than a zombie exists."""
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rfind(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


class Counter:
    """Files new since the start (gone=False) or gone since (gone=True),
    seen in a set of directories, by inode."""

    def __init__(self, target, patterns, gone=False):
        self.target, self.patterns, self.gone = target, patterns, gone
        now = entries(patterns)
        self.before = {d: set(e) for d, e in now.items()}
        self.start = {i for e in now.values() for i in e.values()}
        self.inodes = set()

    def look(self):
        now = entries(self.patterns)
        if self.gone:
            return len(self.start - {i for e in now.values() for i in e.values()})
        for d, e in now.items():
            old = self.before.get(d, ())
            self.inodes.update(i for n, i in e.items() if n not in old)
        return len(self.inodes)


def parse(argv):
    """([Counter...], COMMAND, (CORPUS, MAILROOT) or None) from the command
    line, or None."""
    if "--" not in argv:
        return None
    sep = argv.index("--")
    counters, cmd, words, left = [], argv[sep + 1:], argv[1:sep], None
    if len(words) >= 3 and words[0] == "--left":
        left, words = (words[1], words[2]), words[3:]
    while len(words) >= 3 and words[0] in ("--at", "--gone"):
        n = 2
        while n < len(words) and words[n] not in ("--at", "--gone"):
            n += 1
        counters.append(Counter(int(words[1]), words[2:n],
                                words[0] == "--gone"))
        words = words[n:]
    return (counters, cmd, left) if counters and cmd and not words else None


def main(argv):
    args = parse(argv)
    if args is None:
        print(__doc__, file=sys.stderr)
        return 64
    counters, cmd, left = args
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, start_new_session=True)
    while True:
        progress = [c.look() for c in counters]
        if any(n >= c.target for n, c in zip(progress, counters)) or \
           p.poll() is not None:
            break
        time.sleep(LOOK)
    if p.returncode is None:
        os.killpg(p.pid, signal.SIGKILL)
    rc = p.wait()
    secs = time.monotonic() - t0
    end = time.monotonic() + GONE_WAIT
    while group_alive(p.pid) and time.monotonic() < end:
        time.sleep(LOOK)
    seen = ",".join(str(n) for n in progress)
    line = ("killed %s %.3f" % (seen, secs) if rc == -signal.SIGKILL else
            "ended %s %.3f %d" % (seen, secs, rc))
    if left is not None:
        line += " %d" % rel.left(*left)
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
