#!/usr/bin/env python3
"""fake_pop3.py: a scripted POP3 server for mdrop-fetch's hostile tests.

Python 3 standard library only. Serves one connection at a time, forever,
until killed (tests stop it by PID). Every command line received is
appended to --log as "C: LINE" (and "TLS" when a handshake completes), so
a test can check what the client did and did not send.

    fake_pop3.py --port-file F --log F --msgdir DIR [--tls none|implicit|starttls]
                 [--cert PEM --key PEM] [--opt NAME[=VALUE]]...

The port (chosen by the kernel on 127.0.0.1) is written to --port-file
once the server listens. Messages are DIR/*.msg in name order: the bytes
the server "stores"; they are dot-stuffed after each CRLF on the wire and
a CRLF is added when the message does not end with one. DIR/X.uid
overrides the UIDL of X.msg (raw bytes, may hold anything), DIR/X.size the
LIST size, DIR/X.then the message that takes X's place (same UID; size
X.then.size or its own) once X is deleted: a server that reuses a UID.
Deletions happen only on QUIT (answered +OK, or with quit-lost), and
persist across connections of one server process. TOP N L sends the
header, the empty line and L body lines.

Scenario options (--opt, repeatable):
  nostls            do not announce STLS; STLS -> -ERR
  stls-inject       send a plaintext "+OK" line right after STLS "+OK"
  pipelining        announce PIPELINING
  sasl-plain        announce SASL PLAIN and accept AUTH PLAIN
  apop              greeting carries an APOP timestamp
  apop-stamp=TEXT   greeting ends with TEXT instead of a valid timestamp
                    (a garbage APOP challenge); APOP then always fails
  cut-retr=N        RETR N: send half the message, then close
  stall-retr=N      RETR N: send half the message, then go silent
  trickle-retr=N    RETR N: send half the message, then one byte a second
                    (for at most 60 s): never idle, never done
  retr-err=N        RETR N: -ERR
  trickle-forever=N,BPS  RETR N: "+OK", then BPS bytes of body a second,
                    for ever (at most 120 s): fast enough for any per-
                    window rate check, never done
  endless-retr=N    RETR N: "+OK", then body lines as fast as the client
                    takes them, never the final "." (at most 64 MiB); the
                    log gets "ENDLESS-SENT BYTES" when the client stops
  quit-err          QUIT: -ERR (nothing deleted)
  quit-lost         the first QUIT: the deletions are committed, then the
                    connection is closed without a reply (the +OK lost on
                    the way); later QUITs are answered
  grow              like GNU Mailutils pop3d on an mbox: at each QUIT +OK,
                    every message left gets "Status: RO" and "X-UIDL: UID"
                    header lines once, so its LIST size grows and its UID
                    stays
  no-top            TOP: -ERR
  pass-err=TEXT     PASS / AUTH / APOP: "-ERR TEXT"
  greeting-long     a 1 MiB greeting line
  no-uidl           UIDL: -ERR
  tls-stall         (implicit) accept, never speak TLS
  tls-max=VERSION   the server speaks at most this TLS version (1, 1.1,
                    1.2); for 1 and 1.1 it also lowers OpenSSL's security
                    level so that it really offers them where it can
  capa-endless      CAPA never ends (sends capability lines forever)
  uidl-extra        UIDL numbers its last message 99, beyond STAT's count
  slow-retr=SECS    wait SECS (float) before each RETR reply
  sasl=M1,M2,...    announce SASL M1 M2 ... and accept AUTH with them:
                    PLAIN, SCRAM-SHA-256, SCRAM-SHA-256-PLUS (with the
                    channel binding types of cb=), OAUTHBEARER, XOAUTH2
                    (the --password is the bearer token; the decoded
                    message must be byte-exact). A "SASL-IN: MECH HEX" line
                    logs what each exchange decoded from the client (its
                    first message), "SCRAM-GS2: HEADER" the SCRAM gs2
                    header, "SCRAM-CB: TYPE HEX" the binding data the
                    server expected. A wrong SCRAM proof is answered
                    "e=invalid-proof". Every login attempt ends in a log
                    line "AUTH-OK MECH" or "AUTH-FAIL MECH".
  cb=T1,T2,...      the channel binding types -PLUS checks (default
                    tls-unique,tls-exporter, as RFC 9266 asks), each
                    computed here apart from the client: tls-unique is the
                    client's Finished (Python's get_channel_binding, also
                    over TLS 1.3, which is what Cyrus 3.6 checks: cb=
                    tls-unique alone plays Cyrus); tls-exporter (TLS 1.3
                    only) is derived (RFC 8446 section 7.5) from the
                    exporter secret OpenSSL writes to a key log;
                    tls-server-end-point is SHA-256 of --cert's DER form
  no-ems            TLS 1.2 without the extended master secret (RFC 7627)
  utf8              announce UTF8 (RFC 6856) and accept the UTF8 command;
                    like Courier, a client that has not sent it gets each
                    message with 8-bit bytes in its header replaced by a
                    "Cannot display Unicode content" notice
  no-user           do not announce USER in CAPA
  oauth-fail        OAUTHBEARER/XOAUTH2: answer with the base64 JSON error
                    challenge, then (after the client's reply, logged)
                    "-ERR [AUTH] invalid token"
  scram-bad-verifier  SCRAM: a wrong v= in the server-final message
  scram-skip-final    SCRAM: "+OK" instead of the server-final message
  scram-e=TEXT      SCRAM: server-final "e=TEXT"
"""
import argparse
import base64
import glob
import hashlib
import hmac
import os
import socket
import ssl
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--msgdir", required=True)
    ap.add_argument("--tls", default="none",
                    choices=["none", "implicit", "starttls"])
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--user", default="drop")
    ap.add_argument("--password", default="secret")
    ap.add_argument("--opt", action="append", default=[])
    a = ap.parse_args()
    opts = {}
    for o in a.opt:
        k, _, v = o.partition("=")
        opts[k] = v
    a.opts = opts
    a.quit_lost = False
    return a


def load_messages(d):
    msgs = []
    for path in sorted(glob.glob(os.path.join(d, "*.msg"))):
        base = path[:-4]
        with open(path, "rb") as f:
            data = f.read()
        uid = ("uid-" + os.path.basename(base)).encode()
        if os.path.exists(base + ".uid"):
            with open(base + ".uid", "rb") as f:
                uid = f.read()
        size = len(data)
        if os.path.exists(base + ".size"):
            with open(base + ".size") as f:
                size = int(f.read().strip())
        then = None
        if os.path.exists(base + ".then"):
            with open(base + ".then", "rb") as f:
                then = {"data": f.read()}
            then["size"] = len(then["data"])
            if os.path.exists(base + ".then.size"):
                with open(base + ".then.size") as f:
                    then["size"] = int(f.read().strip())
        msgs.append({"data": data, "uid": uid, "size": size,
                     "deleted": False, "then": then, "grown": False})
    return msgs


def top(data, lines):
    """TOP: the header, the empty line and `lines` body lines."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return data
    return head + sep + b"".join(l + b"\r\n"
                                 for l in body.split(b"\r\n")[:lines])


def served(data, o, utf8):
    """What the server sends for a message: like Courier, a notice in place
    of a message with 8-bit bytes in its header for a client that has not
    said UTF8 (RFC 6856)."""
    head = data.partition(b"\r\n\r\n")[0]
    if "utf8" not in o or utf8 or all(c < 0x80 for c in head):
        return data
    return (b"From: Courier mail server <postmaster@fake.test>\r\n"
            b"Subject: Cannot display Unicode content\r\n"
            b"Message-ID: <unicode-notice@fake.test>\r\n\r\n"
            b"This message contains Unicode content that cannot be "
            b"displayed by your mail client.\r\n")


def commit_quit(msgs, marks, o):
    """QUIT: delete the marked messages (a reused UID takes a deleted
    message's place); grow the others as an mbox server does."""
    for i in marks:
        m = msgs[i]
        if m["then"] is not None:
            m.update(m["then"])
            m["then"] = None
        else:
            m["deleted"] = True
    if "grow" in o:
        for m in msgs:
            if not m["deleted"] and not m["grown"]:
                extra = b"Status: RO\r\nX-UIDL: " + m["uid"] + b"\r\n"
                m["data"] = extra + m["data"]
                m["size"] += len(extra)
                m["grown"] = True


def stuff(data):
    lines = data.split(b"\r\n")
    out = b"\r\n".join(b"." + l if l.startswith(b".") else l for l in lines)
    if not out.endswith(b"\r\n"):
        out += b"\r\n"
    return out + b".\r\n"


class Conn:
    def __init__(self, sock, log):
        self.sock = sock
        self.buf = b""
        self.log = log

    def send(self, data):
        self.sock.sendall(data)

    def line(self, text):
        self.send(text.encode() + b"\r\n" if isinstance(text, str)
                  else text + b"\r\n")

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        line = line.rstrip(b"\r")
        self.log.write(b"C: " + line + b"\n")
        self.log.flush()
        return line


def b64d(data):
    return base64.b64decode(data, validate=True)


def b64e(data):
    return base64.b64encode(data).decode()


def cert_endpoint(a):
    """RFC 5929 tls-server-end-point of --cert (signed with SHA-256)."""
    with open(a.cert) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).digest()


def sasl_auth(conn, a, mech, ir):
    """One AUTH exchange. True: logged in; False: answer -ERR [AUTH]
    (the caller does); None: already answered."""
    o = a.opts
    mech = mech.upper()
    offered = o.get("sasl", "PLAIN").upper().split(",")
    if mech not in offered and not (mech == "PLAIN" and "sasl-plain" in o):
        conn.line("-ERR unsupported mechanism")
        return None
    if ir == b"":
        conn.line("+ ")
        ir = conn.readline()
        if ir is None:
            return None
    elif ir == b"=":
        ir = b""
    if ir == b"*":
        conn.line("-ERR [AUTH] cancelled")
        return None
    try:
        first = b64d(ir)
    except ValueError:
        conn.line("-ERR bad base64")
        return None
    conn.log.write(("SASL-IN: %s %s\n" % (mech, first.hex())).encode())
    conn.log.flush()
    user, pw = a.user.encode(), a.password.encode()
    if mech == "PLAIN":
        return first == b"\0" + user + b"\0" + pw
    if mech in ("OAUTHBEARER", "XOAUTH2"):
        if mech == "OAUTHBEARER":
            want = b"n,a=" + user + b",\x01auth=Bearer " + pw + b"\x01\x01"
        else:
            want = b"user=" + user + b"\x01auth=Bearer " + pw + b"\x01\x01"
        if "oauth-fail" not in o and first == want:
            return True
        err = b'{"status":"invalid_token","scope":"https://mail.test/pop",' \
            b'"schemes":"Bearer"}'
        conn.line("+ " + b64e(err))
        reply = conn.readline()
        if reply is None:
            return None
        conn.line("-ERR [AUTH] invalid token")
        return None
    return scram(conn, a, mech, first)


def hkdf_expand_label(secret, label, context, length, h):
    """RFC 8446 section 7.1 HKDF-Expand-Label."""
    full = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + \
        bytes([len(context)]) + context
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(secret, t + info + bytes([i]), h).digest()
        out, i = out + t, i + 1
    return out[:length]


def tls_exporter(conn, a):
    """RFC 9266 tls-exporter: TLS-Exporter("EXPORTER-Channel-Binding", "",
    32) of RFC 8446 section 7.5, from the exporter secret in the key log
    (one connection at a time: the last one logged is ours)."""
    if conn.sock.version() != "TLSv1.3":
        return None
    secret = None
    with open(a.keylog) as f:
        for line in f:
            w = line.split()
            if len(w) == 3 and w[0] == "EXPORTER_SECRET":
                secret = bytes.fromhex(w[2])
    if secret is None:
        return None
    h = hashlib.sha384 if conn.sock.cipher()[0].endswith("SHA384") \
        else hashlib.sha256
    derived = hkdf_expand_label(secret, b"EXPORTER-Channel-Binding",
                                h(b"").digest(), h().digest_size, h)
    return hkdf_expand_label(derived, b"exporter", h(b"").digest(), 32, h)


def channel_binding(conn, a, cbtype):
    """The data of binding cbtype as this server sees it, or None when it
    does not check that type (Cyrus: "bad protocol / cancel")."""
    if cbtype not in a.opts.get("cb", "tls-unique,tls-exporter").split(",") \
            or not isinstance(conn.sock, ssl.SSLSocket):
        return None
    if cbtype == "tls-unique":
        return conn.sock.get_channel_binding("tls-unique")
    if cbtype == "tls-exporter":
        return tls_exporter(conn, a)
    if cbtype == "tls-server-end-point":
        return cert_endpoint(a)
    return None


def scram(conn, a, mech, first):
    o = a.opts
    plus = mech.endswith("-PLUS")
    parts = first.split(b",", 2)
    if len(parts) != 3:
        conn.line("-ERR bad client-first")
        return None
    gs2 = parts[0] + b"," + parts[1] + b","
    conn.log.write(b"SCRAM-GS2: " + gs2 + b"\n")
    conn.log.flush()
    cbdata = b""
    if plus:
        cbtype = parts[0][2:].decode("ascii", "replace") \
            if parts[0].startswith(b"p=") else ""
        cbdata = channel_binding(conn, a, cbtype)
        if cbdata is None:
            conn.line("-ERR [AUTH] bad protocol / cancel")
            return None
        conn.log.write(("SCRAM-CB: %s %s\n" % (cbtype, cbdata.hex()))
                       .encode())
        conn.log.flush()
    elif parts[0].startswith(b"p="):
        conn.line("-ERR [AUTH] channel binding without -PLUS")
        return None
    offered = o.get("sasl", "").upper().split(",")
    if not plus and parts[0] == b"y" and "SCRAM-SHA-256-PLUS" in offered:
        conn.line("-ERR [AUTH] downgrade detected")
        return None
    bare = parts[2]
    attrs = dict(kv.split(b"=", 1) for kv in bare.split(b","))
    cnonce = attrs[b"r"]
    snonce = cnonce + b"fakeServerNonce"
    salt, iters = b"fake-salt-16byte", 4096
    sfirst = b"r=" + snonce + b",s=" + base64.b64encode(salt) + \
        b",i=" + str(iters).encode()
    conn.line("+ " + b64e(sfirst))
    line = conn.readline()
    if line is None:
        return None
    if line == b"*":
        conn.line("-ERR [AUTH] cancelled")
        return None
    cfinal = b64d(line)
    without, _, proof = cfinal.rpartition(b",p=")
    cb = gs2 + cbdata
    if without != b"c=" + base64.b64encode(cb) + b",r=" + snonce:
        conn.line("-ERR [AUTH] channel binding or nonce mismatch")
        return None
    authmsg = bare + b"," + sfirst + b"," + without
    salted = hashlib.pbkdf2_hmac("sha256", a.password.encode(), salt, iters)
    ckey = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored = hashlib.sha256(ckey).digest()
    csig = hmac.new(stored, authmsg, hashlib.sha256).digest()
    want = bytes(x ^ y for x, y in zip(ckey, csig))
    skey = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    ssig = hmac.new(skey, authmsg, hashlib.sha256).digest()
    if "scram-skip-final" in o:
        return True
    if "scram-e" in o:
        sfinal = b"e=" + o["scram-e"].encode()
    elif base64.b64decode(proof) != want:
        sfinal = b"e=invalid-proof"
    elif "scram-bad-verifier" in o:
        sfinal = b"v=" + base64.b64encode(bytes(32))
    else:
        sfinal = b"v=" + base64.b64encode(ssig)
    conn.line("+ " + b64e(sfinal))
    line = conn.readline()
    if line is None:
        return None
    if line != b"" or not sfinal.startswith(b"v="):
        conn.line("-ERR [AUTH] authentication failed")
        return None
    return True


def session(conn, a, msgs, ctx):
    o = a.opts
    stamp = "<%d.%d@fake.test>" % (os.getpid(), int(time.time()))
    if "greeting-long" in o:
        conn.line("+OK " + "x" * (1 << 20))
    elif "apop-stamp" in o:
        stamp = None
        conn.line("+OK fake POP3 ready " + o["apop-stamp"])
    elif "apop" in o:
        conn.line("+OK fake POP3 ready " + stamp)
    else:
        conn.line("+OK fake POP3 ready")
    authed = False
    utf8 = False
    user = None
    marks = set()
    visible = [i for i, m in enumerate(msgs) if not m["deleted"]]
    while True:
        raw = conn.readline()
        if raw is None:
            return
        parts = raw.split(b" ", 1)
        cmd = parts[0].upper().decode("ascii", "replace")
        arg = parts[1] if len(parts) > 1 else b""
        if cmd == "CAPA":
            conn.line("+OK capabilities")
            if "capa-endless" in o:
                while True:
                    conn.line("X-FILLER " + "y" * 100)
            caps = ["USER", "UIDL", "TOP", "RESP-CODES", "AUTH-RESP-CODE"]
            if "no-user" in o:
                caps.remove("USER")
            if a.tls == "starttls" and "nostls" not in o and \
                    not isinstance(conn.sock, ssl.SSLSocket):
                caps.append("STLS")
            if "pipelining" in o:
                caps.append("PIPELINING")
            if "utf8" in o:
                caps.append("UTF8")
            if "sasl-plain" in o:
                caps.append("SASL PLAIN")
            elif "sasl" in o:
                caps.append("SASL " + o["sasl"].replace(",", " "))
            for c in caps:
                conn.line(c)
            conn.line(".")
        elif cmd == "STLS":
            if a.tls != "starttls" or "nostls" in o:
                conn.line("-ERR no TLS here")
                continue
            if "stls-inject" in o:
                conn.send(b"+OK begin TLS\r\n+OK injected\r\n")
            else:
                conn.line("+OK begin TLS")
            if ctx is None:
                raise OSError("STLS without --cert")
            conn.sock = ctx.wrap_socket(conn.sock, server_side=True)
            conn.buf = b""
            conn.log.write(b"TLS\n")
            conn.log.flush()
        elif cmd == "UTF8" and "utf8" in o and not authed:
            utf8 = True
            conn.line("+OK UTF8 enabled")
        elif cmd == "USER":
            user = arg.decode("utf-8", "replace")
            conn.line("+OK")
        elif cmd in ("PASS", "AUTH", "APOP"):
            ok = False
            if cmd == "PASS":
                ok = user == a.user and arg.decode() == a.password
            elif cmd == "AUTH" and "pass-err" not in o:
                mech, _, ir = arg.partition(b" ")
                try:
                    ok = sasl_auth(conn, a, mech.decode("ascii", "replace"),
                                   ir)
                except (ValueError, KeyError):
                    conn.line("-ERR [AUTH] malformed SASL message")
                    ok = None
                if ok is None:
                    conn.log.write(b"AUTH-FAIL AUTH\n")
                    conn.log.flush()
                    continue
            else:
                u, _, digest = arg.partition(b" ")
                ok = False
                if stamp is not None:
                    want = hashlib.md5((stamp + a.password).encode()) \
                        .hexdigest()
                    ok = u.decode() == a.user and digest.decode() == want
            conn.log.write(("AUTH-%s %s\n" % ("OK" if ok and "pass-err"
                            not in o else "FAIL", cmd)).encode())
            conn.log.flush()
            if "pass-err" in o:
                conn.line("-ERR " + o["pass-err"])
            elif ok:
                authed = True
                conn.line("+OK logged in")
            else:
                conn.line("-ERR [AUTH] invalid credentials")
        elif not authed and cmd != "QUIT":
            conn.line("-ERR not logged in")
        elif cmd == "STAT":
            live = [i for i in visible if i not in marks]
            conn.line("+OK %d %d" % (len(live),
                                     sum(msgs[i]["size"] for i in live)))
        elif cmd in ("UIDL", "LIST"):
            if cmd == "UIDL" and "no-uidl" in o:
                conn.line("-ERR no UIDL")
                continue
            conn.line("+OK listing")
            live = [(n, i) for n, i in enumerate(visible, 1) if i not in marks]
            for k, (n, i) in enumerate(live):
                m = msgs[i]
                val = m["uid"] if cmd == "UIDL" else str(m["size"]).encode()
                if cmd == "UIDL" and "uidl-extra" in o and k == len(live) - 1:
                    n = 99
                conn.line(str(n).encode() + b" " + val)
            conn.line(".")
        elif cmd == "RETR":
            try:
                n = int(arg)
                i = visible[n - 1]
            except (ValueError, IndexError):
                conn.line("-ERR no such message")
                continue
            if o.get("retr-err") == str(n):
                conn.line("-ERR cannot read message")
                continue
            if "slow-retr" in o:
                time.sleep(float(o["slow-retr"]))
            wire = stuff(served(msgs[i]["data"], o, utf8))
            if o.get("cut-retr") == str(n):
                conn.send(b"+OK\r\n" + wire[:len(wire) // 2])
                conn.sock.close()
                return
            if o.get("trickle-retr") == str(n):
                conn.send(b"+OK\r\n" + wire[:len(wire) // 2])
                for _ in range(60):
                    time.sleep(1)
                    try:
                        conn.send(b"x")
                    except OSError:
                        return
                return
            if o.get("trickle-forever", ",").split(",")[0] == str(n):
                bps = int(o["trickle-forever"].split(",")[1])
                conn.send(b"+OK\r\n")
                t0 = time.time()
                while time.time() - t0 < 120:
                    try:
                        conn.send(b"x" * (bps - 2) + b"\r\n")
                    except OSError:
                        return
                    time.sleep(1)
                return
            if o.get("endless-retr") == str(n):
                conn.send(b"+OK\r\n")
                line, sent = b"y" * 1022 + b"\r\n", 0
                try:
                    while sent < 64 << 20:
                        conn.send(line * 64)
                        sent += len(line) * 64
                except OSError:
                    pass
                conn.log.write(b"ENDLESS-SENT %d\n" % sent)
                conn.log.flush()
                return
            if o.get("stall-retr") == str(n):
                conn.send(b"+OK\r\n" + wire[:len(wire) // 2])
                time.sleep(30)
                return
            conn.send(b"+OK message follows\r\n" + wire)
        elif cmd == "TOP":
            try:
                num, _, lines = arg.partition(b" ")
                i = visible[int(num) - 1]
                lines = int(lines)
            except (ValueError, IndexError):
                conn.line("-ERR no such message")
                continue
            if "no-top" in o:
                conn.line("-ERR TOP not supported")
                continue
            conn.send(b"+OK top follows\r\n" +
                      stuff(top(served(msgs[i]["data"], o, utf8), lines)))
        elif cmd == "DELE":
            try:
                n = int(arg)
                marks.add(visible[n - 1])
                conn.line("+OK deleted")
            except (ValueError, IndexError):
                conn.line("-ERR no such message")
        elif cmd == "NOOP":
            conn.line("+OK")
        elif cmd == "RSET":
            marks.clear()
            conn.line("+OK")
        elif cmd == "QUIT":
            if "quit-err" in o:
                conn.line("-ERR [SYS/TEMP] could not update maildrop")
            elif "quit-lost" in o and not a.quit_lost:
                a.quit_lost = True
                commit_quit(msgs, marks, o)
                conn.sock.close()
            else:
                commit_quit(msgs, marks, o)
                conn.line("+OK bye")
            return
        else:
            conn.line("-ERR unknown command")


def main():
    a = parse_args()
    msgs = load_messages(a.msgdir)
    ctx = None
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        a.keylog = a.log + ".keys.log"   # *.log: a test log, not output
        ctx.keylog_filename = a.keylog
        if "no-ems" in a.opts:
            ctx.options |= 1    # SSL_OP_NO_EXTENDED_MASTER_SECRET
        if "tls-max" in a.opts:
            v = {"1": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1,
                 "1.2": ssl.TLSVersion.TLSv1_2}[a.opts["tls-max"]]
            if v < ssl.TLSVersion.TLSv1_2:
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            ctx.maximum_version = v
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(tmp, a.port_file)
    log = open(a.log, "ab")
    while True:
        sock, _ = srv.accept()
        try:
            if a.tls == "implicit":
                if "tls-stall" in a.opts:
                    time.sleep(30)
                    sock.close()
                    continue
                sock = ctx.wrap_socket(sock, server_side=True)
                log.write(b"TLS\n")
                log.flush()
            session(Conn(sock, log), a, msgs, ctx)
        except (OSError, ssl.SSLError, UnicodeDecodeError) as e:
            log.write(("ERROR %s\n" % e).encode())
            log.flush()
        finally:
            try:
                sock.close()
            except OSError:
                pass


if __name__ == "__main__":
    sys.exit(main())
