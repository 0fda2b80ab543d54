#!/usr/bin/env python3
"""fake_lmtp.py: a scripted fake LMTP server for the integration tests.

    python3 tests/lib/fake_lmtp.py --ready FILE --record DIR [options] &

Listens on a free 127.0.0.1 port chosen by the kernel (or on --unix PATH),
then writes FILE (atomically): the port number, or the socket path; with
--two-ports it listens on two ports (two endpoints of one service) and
FILE holds both, "PORT1 PORT2", and each DIR/conn-N.port the port that
connection N came in on. It
serves every connection at once, each in a thread of its own (a client
may hold several sessions open), until killed (SIGTERM); it never exits
by itself, so a test stops it by its PID.

What the client sent is recorded byte for byte in DIR/conn-N.in (N counts
connections from 1); each message received after DATA is stored, with
dot-stuffing removed and CRLF kept, as DIR/msg-N (N counts messages).

BDAT (RFC 3030; announced only when --caps holds CHUNKING, but always
served): "BDAT n" / "BDAT n LAST" is followed by exactly n octets, taken
raw (never parsed as commands, no dot processing). A chunk gets "250
2.0.0 n octets received", or "503 5.5.1 No valid recipients" (and is
dropped) when MAIL failed or no RCPT was accepted. After LAST, the chunks
of the transaction joined are the message: stored as-is as DIR/msg-N and
answered like a DATA message (one reply per accepted RCPT; the options
about what follows the final "." apply to BDAT LAST alike); without an
accepted RCPT, LAST gets the one 503 and the transaction is reset. RSET
drops the chunks too.

Replies (defaults in brackets):
  --caps "WORD ..."        LHLO capabilities [PIPELINING 8BITMIME
                           ENHANCEDSTATUSCODES]
  --greeting TEXT          [220 fake.test LMTP ready]; a 421 greeting closes
  --mail TEXT              reply to MAIL [250 2.1.0 OK]
  --mail-from ADDR=TEXT    reply to MAIL FROM:<ADDR> (before --mail)
  --rcpt ADDR=TEXT         reply to RCPT TO:<ADDR> [250 2.1.5 OK]
  --data TEXT              reply to DATA when a RCPT was accepted [354 go]
  --final ADDR=TEXT        reply after the final "." (or BDAT LAST) for ADDR
                           [250 2.0.0 <ADDR> Saved]
  --multiline              every reply after "." comes in two lines
  --after MODE             what follows the final "." (or BDAT LAST):
        normal   one reply per accepted RCPT
        fewer    one reply fewer, then the connection is closed
        more     one reply more than recipients
        garbage  "+OK hello" instead of the replies
        nul      a reply line holding a NUL byte
        long     one 64 KiB reply line
        stall    nothing; waits until the client hangs up
        close    closes the connection at once
        421      "421 4.3.2 shutting down", then closes
  --close-after-msg        close the connection (no 421) after the replies
                           to the first message of a connection
  --drop-at-mail N         close the connection, without a reply, when the
                           Nth MAIL of a connection arrives
  --close-mid-data ADDR    when a transaction for ADDR sends its message,
                           close the connection after its first line, with
                           no reply (the client was cut off mid-DATA); for
                           BDAT: after at most the first line of any chunk
  --gather K               hold the replies after each "." (or BDAT LAST)
                           until K messages have been received in all
                           (over every connection): only a client with K
                           messages in flight at once gets them without
                           waiting; after 20 s each held message gets
                           "451 4.4.7 not gathered" instead
  --two-ports              listen on a second port too (see above)
  --only-first             the options above (except --caps) apply to the
                           first connection only; later ones get defaults
Any reply with code 421 closes the connection after it is sent.
"""
import argparse
import os
import select
import socket
import sys
import threading

DEF_GREETING = "220 fake.test LMTP ready"
DEF_MAIL = "250 2.1.0 OK"
DEF_RCPT = "250 2.1.5 OK"
DEF_DATA = "354 go"
LOCK = threading.Condition()    # guards the message counter, wakes --gather


def parse_map(items):
    out = {}
    for it in items or []:
        k, _, v = it.partition("=")
        out[k.lower()] = v
    return out


class Conn:
    def __init__(self, sock, n, args, scripted):
        self.s = sock
        self.n = n
        self.a = args
        self.scripted = scripted
        self.buf = b""
        self.rec = open(os.path.join(args.record, "conn-%d.in" % n), "wb")
        if args.two_ports:
            with open(os.path.join(args.record, "conn-%d.port" % n), "w") as f:
                f.write("%d\n" % sock.getsockname()[1])

    def opt(self, name, default):
        v = getattr(self.a, name)
        return v if (self.scripted and v is not None) else default

    def send(self, data):
        self.s.sendall(data)

    def reply(self, text):
        self.send(text.encode("latin-1") + b"\r\n")
        if text.startswith("421"):
            raise EOFError

    def recv(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError
        self.rec.write(d)
        self.rec.flush()
        self.buf += d

    def line(self):
        while b"\n" not in self.buf:
            self.recv()
        i = self.buf.index(b"\n") + 1
        ln, self.buf = self.buf[:i], self.buf[i:]
        return ln

    def cut(self, accepted):
        cut = [a.lower() for a in self.a.close_mid_data or []] \
            if self.scripted else []
        return any(a.lower() in cut for a in accepted)

    def read_data(self, accepted):
        cut = self.cut(accepted)
        lines = []
        while True:
            ln = self.line()
            if cut:
                raise EOFError
            if ln == b".\r\n":
                break
            if ln.startswith(b"."):
                ln = ln[1:]
            lines.append(ln)
        return b"".join(lines)

    def read_chunk(self, n, cut):
        """Exactly n octets from the stream; with cut, close (EOFError)
        once the chunk's first line (or all of it) has arrived."""
        while len(self.buf) < n:
            if cut and b"\n" in self.buf[:n]:
                break
            self.recv()
        if cut:
            raise EOFError
        chunk, self.buf = self.buf[:n], self.buf[n:]
        return chunk

    def finals(self, accepted):
        fmap = parse_map(self.a.final) if self.scripted else {}
        out = []
        for addr in accepted:
            t = fmap.get(addr.lower(), "250 2.0.0 <%s> Saved" % addr)
            if self.scripted and self.a.multiline:
                code = t[:3]
                out.append("%s-%s (first line)" % (code, t[4:]))
            out.append(t)
        return out

    def after_data(self, accepted):
        mode = self.opt("after", "normal")
        if mode == "stall":
            while True:
                self.recv()
        if mode == "close":
            raise EOFError
        if mode == "421":
            self.reply("421 4.3.2 shutting down")
        if mode == "garbage":
            self.send(b"+OK hello\r\n")
            return
        if mode == "nul":
            self.send(b"250 2.0.0 a\x00b\r\n" * len(accepted))
            return
        if mode == "long":
            self.send(b"250 " + b"x" * 65536 + b"\r\n")
            return
        lines = self.finals(accepted)
        if mode == "fewer":
            # drop the reply (all its lines) of the last recipient
            n = 2 if (self.scripted and self.a.multiline) else 1
            lines = lines[:-n]
        if mode == "more":
            lines.append("250 2.0.0 extra reply")
        self.send("".join(l + "\r\n" for l in lines).encode("latin-1"))
        if mode == "fewer":
            raise EOFError

    def message(self, body, accepted, counter):
        """Store a received message, then answer it."""
        with LOCK:
            counter[0] += 1
            n = counter[0]
            LOCK.notify_all()
        with open(os.path.join(self.a.record, "msg-%d" % n), "wb") as f:
            f.write(body)
        if self.a.gather and not self.gather(counter):
            for _ in accepted:
                self.reply("451 4.4.7 not gathered")
        else:
            self.after_data(accepted)

    def gather(self, counter):
        with LOCK:
            return LOCK.wait_for(lambda: counter[0] >= self.a.gather, 20)

    def run(self, counter):
        self.reply(self.opt("greeting", DEF_GREETING))
        rmap = parse_map(self.a.rcpt) if self.scripted else {}
        fmap = parse_map(self.a.mail_from) if self.scripted else {}
        mail_ok = False
        accepted = []
        chunks = []
        nmail = 0
        while True:
            ln = self.line().decode("latin-1").rstrip("\r\n")
            verb = ln[:4].upper()
            if verb == "LHLO":
                caps = self.a.caps.split()
                lines = ["250-fake.test"] + ["250-" + c for c in caps]
                lines[-1] = "250 " + lines[-1][4:]
                self.send("".join(l + "\r\n" for l in lines).encode())
            elif verb == "MAIL":
                nmail += 1
                if nmail == self.opt("drop_at_mail", 0):
                    return
                sender = ln[ln.find("<") + 1:ln.rfind(">")]
                t = fmap.get(sender.lower(), self.opt("mail", DEF_MAIL))
                mail_ok = t.startswith("2")
                accepted, chunks = [], []
                self.reply(t)
            elif verb == "RCPT":
                if not mail_ok:
                    self.reply("503 5.5.1 MAIL needed first")
                    continue
                addr = ln[ln.find("<") + 1:ln.rfind(">")]
                t = rmap.get(addr.lower(), DEF_RCPT)
                if t.startswith("2"):
                    accepted.append(addr)
                self.reply(t)
            elif verb == "DATA":
                if not accepted:
                    self.reply("554 5.5.1 No valid recipients")
                    continue
                t = self.opt("data", DEF_DATA)
                self.reply(t)
                if not t.startswith("354"):
                    continue
                body = self.read_data(accepted)
                self.message(body, accepted, counter)
                mail_ok, accepted, chunks = False, [], []
                if self.opt("close_after_msg", False):
                    return
            elif verb == "BDAT":
                w = ln.split()
                if len(w) not in (2, 3) or w[0].upper() != "BDAT" or \
                        not w[1].isdigit() or \
                        (len(w) == 3 and w[2].upper() != "LAST"):
                    self.reply("501 5.5.4 Syntax: BDAT size [LAST]")
                    continue
                n, last = int(w[1]), len(w) == 3
                ok = mail_ok and accepted
                chunk = self.read_chunk(n, ok and self.cut(accepted))
                if not ok:
                    self.reply("503 5.5.1 No valid recipients")
                    if last:
                        mail_ok, accepted, chunks = False, [], []
                    continue
                chunks.append(chunk)
                if not last:
                    self.reply("250 2.0.0 %d octets received" % n)
                    continue
                self.message(b"".join(chunks), accepted, counter)
                mail_ok, accepted, chunks = False, [], []
                if self.opt("close_after_msg", False):
                    return
            elif verb == "RSET":
                mail_ok, accepted, chunks = False, [], []
                self.reply("250 2.0.0 OK")
            elif verb == "NOOP":
                self.reply("250 2.0.0 OK")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("500 5.5.2 Unknown command")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ready", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--unix")
    ap.add_argument("--caps", default="PIPELINING 8BITMIME ENHANCEDSTATUSCODES")
    ap.add_argument("--greeting")
    ap.add_argument("--mail")
    ap.add_argument("--mail-from", action="append")
    ap.add_argument("--rcpt", action="append")
    ap.add_argument("--data")
    ap.add_argument("--final", action="append")
    ap.add_argument("--multiline", action="store_true")
    ap.add_argument("--after")
    ap.add_argument("--close-after-msg", action="store_true")
    ap.add_argument("--drop-at-mail", type=int)
    ap.add_argument("--close-mid-data", action="append")
    ap.add_argument("--gather", type=int)
    ap.add_argument("--two-ports", action="store_true")
    ap.add_argument("--only-first", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.record, exist_ok=True)
    if a.unix:
        ls = socket.socket(socket.AF_UNIX)
        ls.bind(a.unix)
        where = a.unix
    else:
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        where = str(ls.getsockname()[1])
    ls.listen(64)
    socks = [ls]
    if a.two_ports:
        ls2 = socket.socket()
        ls2.bind(("127.0.0.1", 0))
        ls2.listen(64)
        socks.append(ls2)
        where += " %d" % ls2.getsockname()[1]
    with open(a.ready + ".tmp", "w") as f:
        f.write(where + "\n")
    os.rename(a.ready + ".tmp", a.ready)
    n = 0
    counter = [0]
    while True:
        ready, _, _ = select.select(socks, [], [])
        s, _ = ready[0].accept()
        n += 1
        c = Conn(s, n, a, n == 1 or not a.only_first)
        threading.Thread(target=serve, args=(c, counter), daemon=True).start()


def serve(c, counter):
    try:
        c.run(counter)
    except (EOFError, OSError):
        pass
    finally:
        c.rec.close()
        c.s.close()


if __name__ == "__main__":
    sys.exit(main())
