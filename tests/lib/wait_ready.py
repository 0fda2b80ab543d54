#!/usr/bin/env python3
"""wait_ready.py: wait (bounded) until private test servers answer.

usage: wait_ready.py [--greeting] DEADLINE_S TARGET...

TARGET is PORT (TCP on 127.0.0.1), unix:PATH, or ssl:PORT (TLS first:
an accept is all that can be asked). Exit 0 once each one accepts a
connection before the deadline; with --greeting a plain target must also
send the first byte of a greeting ("2" or "+": LMTP, SMTP, POP3), so that
the service behind the listener really runs. Exit 1, naming those that
did not answer, otherwise.
"""
import socket
import sys
import time

args = sys.argv[1:]
greeting = bool(args) and args[0] == "--greeting"
if greeting:
    args = args[1:]
deadline = time.monotonic() + float(args[0])
left = args[1:]
while left and time.monotonic() < deadline:
    t = left[0]
    try:
        if t.startswith("unix:"):
            s = socket.socket(socket.AF_UNIX)
            addr = t[5:]
        else:
            s = socket.socket()
            addr = ("127.0.0.1", int(t.split(":")[-1]))
        s.settimeout(5)
        try:
            s.connect(addr)
            if greeting and not t.startswith("ssl:") and \
                    s.recv(1) not in (b"2", b"+"):
                raise OSError("bad greeting")
        finally:
            s.close()
        left.pop(0)
    except OSError:
        time.sleep(0.05)
if left:
    print("not answering: " + " ".join(left), file=sys.stderr)
    sys.exit(1)
