#!/usr/bin/env python3
"""spool_once.py: is every test message in a spool exactly once?

usage: spool_once.py NEW_DIR N

The messages carry "Subject: mK" (K from 0 to N-1). Prints, space
separated, the first 20 K that are missing or there more than once, and
any K out of range (-1: a file without such a Subject); nothing when
each is there once.
"""
import os
import re
import sys

d, n = sys.argv[1], int(sys.argv[2])
seen = {}
for f in os.listdir(d):
    with open(os.path.join(d, f), "rb") as fh:
        m = re.search(rb"^Subject: m(\d+)$", fh.read(), re.M)
    k = int(m.group(1)) if m else -1
    seen[k] = seen.get(k, 0) + 1
bad = [k for k in range(n) if seen.get(k) != 1] + \
    [k for k in seen if not 0 <= k < n]
print(" ".join(map(str, bad[:20])))
