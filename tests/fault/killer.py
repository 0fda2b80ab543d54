#!/usr/bin/env python3
"""killer.py: run a command in a session of its own and SIGKILL its whole
process group once it has shown a given amount of progress; for the kill
loops of tests/fault/driver.sh (rel_kill_run, rel_kill_loop).

  killer.py --at N DIR... [--at N DIR...]... -- COMMAND [ARG...]

Progress is counted in files that were not there when COMMAND started,
seen in the DIRs of one --at (glob patterns, expanded at every look, so
that directories made by COMMAND count too): the messages mdrop-fetch
writes in SPOOL/tmp; mdrop-deliver's copies, first in a Maildir's tmp/,
then (the same file, linked) in its new/. A file counts once, under
whatever names it is seen. The group is killed as soon as one --at has
seen its N files.

Why progress and not time: a run that still has W deliveries to make
cannot end before W more files have appeared in the Maildirs, so a kill
at N < W files lands on work in progress however fast or loaded the
machine is. The looks are a few milliseconds apart; a Maildir copy stays
in tmp/ until its batch's commit (tens of milliseconds) and a delivery
in new/ for good, so none goes unseen.

Prints one line and returns once no process of the group is left
(zombies aside):
  killed P1[,P2...] SECONDS      COMMAND still ran when it was killed
  ended P1[,P2...] SECONDS RC    COMMAND ended by itself first, exit RC
where P1... is the progress each --at saw.
"""
import glob
import os
import signal
import subprocess
import sys
import time

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
    """Files new since the start, seen in a set of directories: the
    distinct inodes of the entries whose names were not there at the
    start (a Maildir copy is one file under its tmp/ name, then under its
    new/ name)."""

    def __init__(self, target, patterns):
        self.target, self.patterns = target, patterns
        self.before = {d: set(e) for d, e in entries(patterns).items()}
        self.inodes = set()

    def look(self):
        for d, now in entries(self.patterns).items():
            old = self.before.get(d, ())
            self.inodes.update(i for n, i in now.items() if n not in old)
        return len(self.inodes)


def parse(argv):
    """([Counter...], COMMAND) from the command line, or None."""
    if "--" not in argv:
        return None
    sep = argv.index("--")
    counters, cmd, words = [], argv[sep + 1:], argv[1:sep]
    while len(words) >= 3 and words[0] == "--at":
        n = 2
        while n < len(words) and words[n] != "--at":
            n += 1
        counters.append(Counter(int(words[1]), words[2:n]))
        words = words[n:]
    return (counters, cmd) if counters and cmd and not words else None


def main(argv):
    args = parse(argv)
    if args is None:
        print(__doc__, file=sys.stderr)
        return 64
    counters, cmd = args
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
    if rc == -signal.SIGKILL:
        print("killed %s %.3f" % (seen, secs))
    else:
        print("ended %s %.3f %d" % (seen, secs, rc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
