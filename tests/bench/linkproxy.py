#!/usr/bin/env python3
"""linkproxy.py: a TCP proxy on 127.0.0.1 that acts as a link with latency.

    python3 linkproxy.py READY_FILE TARGET_PORT RTT_MS [--hide-chunking]

Listens on a free port (written to READY_FILE, atomically) and forwards
each connection to 127.0.0.1:TARGET_PORT, holding every chunk read in
either direction for RTT_MS / 2 before passing it on, in order: what a
client sees of a server one network hop away. --hide-chunking removes
CHUNKING from the server's LHLO reply, so the same client speaks DATA.
Runs until killed; for the benchmark only (tests/bench/link.sh).
"""
import os
import socket
import sys
import threading
import time


def pump(src, dst, delay, hide):
    """src -> dst, each chunk delay seconds late, order kept."""
    queue = []
    cond = threading.Condition()
    state = {"eof": False}

    def sender():
        while True:
            with cond:
                while not queue and not state["eof"]:
                    cond.wait()
                if not queue:
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
                due, data = queue.pop(0)
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                dst.sendall(data)
            except OSError:
                return

    threading.Thread(target=sender, daemon=True).start()
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            data = b""
        if hide:
            data = data.replace(b"250-CHUNKING\r\n", b"")
        with cond:
            if not data:
                state["eof"] = True
                cond.notify()
                return
            queue.append((time.monotonic() + delay, data))
            cond.notify()


def main():
    ready, port, rtt = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    hide = "--hide-chunking" in sys.argv[4:]
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(ready + ".tmp", ready)
    while True:
        c, _ = ls.accept()
        s = socket.create_connection(("127.0.0.1", port))
        for x in (c, s):
            x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=pump, args=(c, s, rtt / 2000.0, False),
                         daemon=True).start()
        threading.Thread(target=pump, args=(s, c, rtt / 2000.0, hide),
                         daemon=True).start()


if __name__ == "__main__":
    main()
