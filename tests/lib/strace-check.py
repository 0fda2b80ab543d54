#!/usr/bin/env python3
"""strace-check: prove from a system-call trace that mdrop makes a message
durable before it lets go of the previous copy.

usage: strace-check.py TRACE_PREFIX [RESULTS]

TRACE_PREFIX is what `strace -ff -o TRACE_PREFIX -s 65535 -y` was given
(one file TRACE_PREFIX.PID per process; the order inside one process is
exact, and no rule spans two processes). Needed syscalls:
execve,openat,write,read,fsync,fdatasync,renameat,renameat2,rename,linkat,
link,unlinkat,unlink. RESULTS is mdrop-deliver's stdout (result lines
"PATH<TAB>RCPT<TAB>ok<TAB>MAILDIR-FILE") of the traced run.

Rules, each checked for every event of its kind (the message names are
the spool names SPOOL/new/NAME):

mdrop-fetch, for every "DELE n" written to the POP3 socket:
  F1  the UID of n (from the server's UIDL listing in the same trace) has
      a note line "S SIZE UID NAME" written to SPOOL/uidl.* and fsynced
      (same file) before the DELE; written to a uidl.*.new file, that file
      must also have been renamed and the spool directory fsynced after;
  F2  the spool file tmp/NAME,F was fsynced before the DELE;
  F3  tmp/NAME,F was renamed to new/NAME, and SPOOL/new fsynced after
      that rename, before the DELE;
  F4  (stdout) a path printed for new/NAME comes after F3's fsync.
mdrop-deliver, for every unlink of SPOOL/new/NAME:
  D1  for every "ok" result of NAME whose detail is a Maildir file
      MD/new/FILE: a link or rename created MD/new/FILE before the unlink;
  D2  the source of that link, MD/tmp/X, was fsynced before the link
      (when MD/tmp/X is a hard link to the spool file, made from
      /proc/self/fd/N: that file, by its spool path);
  D3  MD/new was fsynced after the link and before the unlink.
mdrop-deliver, for every link into a Maildir MD/new/NAME.HASH,S=SIZE (the
copy of spool message NAME):
  D4  the progress note SPOOL/NAME.done was opened before the link, and
      when this process created it (O_CREAT), SPOOL was fsynced between
      the creation and the link: a rerun after a crash must know to search
      new/ and cur/ for a copy the user may have moved already.
Also: a DELE or unlink that cannot be tied to its message is a violation
(never silently skipped).

LMTP mode (strace-check.py --lmtp TRACE_PREFIX RESULTS; also trace
sendto,recvfrom,pread64): mdrop-deliver talks LMTP, so instead of D1-D3:
mdrop-deliver, for every unlink of SPOOL/new/NAME:
  L1  for every "ok" result of NAME (recipient R): an LMTP transaction tied
      to NAME (L2) has R's RCPT TO answered 2xx and, after the final "."
      or after BDAT LAST, R's own reply (in RCPT order) 2xx, read from the
      socket before the unlink; and no reply for R after "." (BDAT LAST)
      was anything else.
  L2  the tie: the transaction follows the last open of SPOOL/new/NAME
      (or, once its message is sent, the last read of it before the
      final "." or BDAT LAST), and its DATA or BDAT payload (CRLF undone,
      and dot-stuffing for DATA) ends with the bytes read from that file
      (read/pread64). Checked for
      every transaction whose reply made deliver let go of a message.
      Each LMTP socket is followed on its own: deliver may run several
      sessions at once (--lmtp-sessions).
At least one L1 must be checked (exit 1 otherwise).

Prints "ok RULE ..." counts and one "violation RULE: ..." line per
problem; exit 0 when there is none and at least one DELE and one unlink
were checked, 1 otherwise, 2 on bad usage.
"""
import glob
import os
import re
import sys

LINE = re.compile(r'^(\w+)\((.*)\)\s+= (-?\d+|\?)(?:<([^>]*)>)?')
FD = re.compile(r'(-?\d+|AT_FDCWD)<([^>]*)>')


def unescape(s):
    """strace's C-style string escapes to bytes."""
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != '\\':
            out += c.encode('utf-8', 'surrogateescape')
            i += 1
            continue
        n = s[i + 1]
        simple = {'n': 10, 'r': 13, 't': 9, 'v': 11, 'f': 12, '"': 34,
                  '\\': 92}
        if n in simple:
            out.append(simple[n])
            i += 2
        elif n == 'x':
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        elif n.isdigit():
            j = i + 1
            while j < len(s) and j < i + 4 and s[j] in '01234567':
                j += 1
            out.append(int(s[i + 1:j], 8) & 255)
            i = j
        else:
            out.append(ord(n))
            i += 2
    return bytes(out)


def split_args(a):
    """Top-level comma-separated arguments, strings kept whole."""
    args, cur, depth, q, i = [], '', 0, False, 0
    while i < len(a):
        c = a[i]
        if q:
            cur += c
            if c == '\\':
                cur += a[i + 1]
                i += 1
            elif c == '"':
                q = False
        elif c == '"':
            q = True
            cur += c
        elif c in '[{<(':
            depth += 1
            cur += c
        elif c in ']}>)':
            depth -= 1
            cur += c
        elif c == ',' and depth == 0:
            args.append(cur.strip())
            cur = ''
        else:
            cur += c
        i += 1
    if cur.strip():
        args.append(cur.strip())
    return args


def fdpath(arg):
    m = FD.match(arg)
    return m.group(2) if m else None


def strarg(arg):
    if arg.startswith('"'):
        end = arg.rfind('"')
        return unescape(arg[1:end])
    return None


class Proc:
    def __init__(self, path):
        self.events = []	# (index, name, args, ret)
        self.retpath = {}	# index -> path of the fd an openat returned
        self.exe = ''
        with open(path, encoding='utf-8', errors='surrogateescape') as f:
            for raw in f:
                m = LINE.match(raw)
                if not m:
                    continue
                name, a, ret = m.group(1), m.group(2), m.group(3)
                if name == 'execve' and ret == '0':
                    self.exe = os.path.basename(strarg(split_args(a)[0]).decode())
                if ret.startswith('-') or ret == '?':
                    continue	# failed calls prove nothing
                if m.group(4) is not None:
                    self.retpath[len(self.events)] = m.group(4)
                self.events.append((len(self.events), name, split_args(a), ret))


def join(d, name):
    return os.path.join(d, name.decode('utf-8', 'surrogateescape'))


def target(ev):
    """(source path, target path) of rename/link events."""
    _, name, a, _ = ev
    if name in ('rename', 'link'):
        return (strarg(a[0]).decode('utf-8', 'surrogateescape'),
                strarg(a[1]).decode('utf-8', 'surrogateescape'))
    if name in ('renameat', 'renameat2', 'linkat'):
        s, t = strarg(a[1]), strarg(a[3])
        sp, tp = fdpath(a[0]), fdpath(a[2])
        src = s.decode('utf-8', 'surrogateescape')
        dst = t.decode('utf-8', 'surrogateescape')
        if not src.startswith('/'):
            src = os.path.join(sp or '', src)
        if not dst.startswith('/'):
            dst = os.path.join(tp or '', dst)
        return src, dst
    return None


def fsyncs(p):
    """path -> sorted list of indexes of successful fsyncs of that path."""
    out = {}
    for i, name, a, _ in p.events:
        if name in ('fsync', 'fdatasync'):
            out.setdefault(fdpath(a[0]), []).append(i)
    return out


def any_between(lst, lo, hi):
    return any(lo < x < hi for x in lst)


class Report:
    def __init__(self):
        self.bad = []
        self.counts = {}

    def ok(self, rule):
        self.counts[rule] = self.counts.get(rule, 0) + 1

    def violation(self, rule, msg):
        self.bad.append('violation %s: %s' % (rule, msg))


def pop3_pairs(p):
    """[(command line, reply lines, index of the write)] from the socket."""
    cmds, stream = [], b''
    for i, name, a, _ in p.events:
        path = fdpath(a[0]) if a else None
        if path is None or not path.startswith('socket:'):
            continue
        data = strarg(a[1]) if len(a) > 1 else None
        if data is None:
            continue
        if name == 'write':
            for ln in data.split(b'\r\n')[:-1]:
                cmds.append((ln, i))
        elif name == 'read':
            stream += data
    lines = stream.split(b'\r\n')
    pairs, k = [], 1		# lines[0]: the greeting
    for cmd, i in cmds:
        if k >= len(lines):
            break
        status = lines[k]
        k += 1
        body = []
        verb = cmd.split(b' ')[0].upper()
        nargs = len(cmd.split(b' ')) - 1
        multi = status.startswith(b'+OK') and (
            verb in (b'CAPA', b'RETR', b'TOP') or
            (verb in (b'UIDL', b'LIST') and nargs == 0))
        if multi:
            while k < len(lines) and lines[k] != b'.':
                body.append(lines[k])
                k += 1
            k += 1
        pairs.append((cmd, status, body, i))
    return pairs


def check_fetch(p, rep):
    sync = fsyncs(p)
    uid_of = {}
    for cmd, status, body, _ in pop3_pairs(p):
        if cmd.upper() == b'UIDL' and status.startswith(b'+OK'):
            for ln in body:
                f = ln.split(b' ')
                if len(f) == 2:
                    uid_of[f[0]] = f[1]
    # note lines: uid -> (index, file path)
    notes = {}
    renames = []
    prints = {}
    for ev in p.events:
        i, name, a, _ = ev
        if name == 'write':
            path = fdpath(a[0]) or ''
            data = strarg(a[1]) or b''
            if '/uidl.' in path:
                for ln in data.split(b'\n'):
                    f = ln.split(b' ')
                    if len(f) >= 4 and f[0] == b'S':
                        notes.setdefault(f[2], []).append((i, path, f[3]))
            elif path.startswith('pipe:') or a[0].startswith('1<'):
                for ln in data.split(b'\n'):
                    if ln:
                        prints.setdefault(os.path.basename(ln.decode('utf-8', 'surrogateescape')), []).append(i)
        elif name in ('rename', 'renameat', 'renameat2'):
            renames.append((i, target(ev)))
    dele = [(cmd, i) for cmd, _, _, i in pop3_pairs(p)
            if cmd.upper().startswith(b'DELE ')]
    for cmd, t in dele:
        n = cmd.split(b' ')[1]
        uid = uid_of.get(n)
        if uid is None:
            rep.violation('F1', 'DELE %s: no UIDL line for message %s' % (n.decode(), n.decode()))
            continue
        cand = [x for x in notes.get(uid, []) if x[0] < t]
        if not cand:
            rep.violation('F1', 'DELE %s (uid %s): no note written before it' % (n.decode(), uid.decode()))
            continue
        wi, npath, sname = cand[-1]
        if not any_between(sync.get(npath, []), wi, t):
            rep.violation('F1', 'DELE %s: note in %s not fsynced before the DELE' % (n.decode(), npath))
            continue
        if npath.endswith('.new'):
            final = npath[:-4]
            rn = [i for i, (s, d) in renames if s == npath and d == final and wi < i < t]
            spool = os.path.dirname(npath)
            if not rn or not any_between(sync.get(spool, []), rn[-1], t):
                rep.violation('F1', 'DELE %s: rewritten note %s not renamed and its directory fsynced' % (n.decode(), npath))
                continue
        rep.ok('F1')
        name = sname.decode('utf-8', 'surrogateescape')
        spool = os.path.dirname(npath)
        tmpf = os.path.join(spool, 'tmp', name + ',F')
        newf = os.path.join(spool, 'new', name)
        if any(x < t for x in sync.get(tmpf, []) + sync.get(newf, [])):
            rep.ok('F2')
        else:
            rep.violation('F2', 'DELE %s: %s never fsynced before the DELE' % (n.decode(), tmpf))
        rn = [i for i, (s, d) in renames if d == newf and i < t]
        if not rn:
            rep.violation('F3', 'DELE %s: %s not renamed into new/ before the DELE' % (n.decode(), name))
            continue
        ds = [x for x in sync.get(os.path.join(spool, 'new'), []) if rn[-1] < x < t]
        if not ds:
            rep.violation('F3', 'DELE %s: %s/new not fsynced between the rename and the DELE' % (n.decode(), spool))
            continue
        rep.ok('F3')
        early = [x for x in prints.get(name, []) if x < ds[0]]
        if early:
            rep.violation('F4', 'path of %s printed before new/ was fsynced' % name)
        elif prints.get(name):
            rep.ok('F4')
    return len(dele)


PROC_FD = re.compile(r'^/proc/self/fd/([0-9]+)$')


def proc_fd_path(p, i, src):
    """A link source "/proc/self/fd/N" at event i: the path of the file
    fd N held (from the last openat that returned N before i), else src."""
    m = PROC_FD.match(src)
    if not m:
        return src
    for j in range(i - 1, -1, -1):
        _, name, _, ret = p.events[j]
        if name == 'openat' and ret == m.group(1) and j in p.retpath:
            return p.retpath[j]
    return src


def check_deliver(p, rep, results):
    sync = fsyncs(p)
    links = {}
    for ev in p.events:
        if ev[1] in ('link', 'linkat', 'rename', 'renameat', 'renameat2'):
            s, d = target(ev)
            links.setdefault(d, []).append((ev[0], proc_fd_path(p, ev[0], s)))
    n = 0
    for i, name, a, _ in p.events:
        if name not in ('unlink', 'unlinkat'):
            continue
        if name == 'unlinkat':
            d, f = fdpath(a[0]) or '', strarg(a[1]).decode('utf-8', 'surrogateescape')
            path = f if f.startswith('/') else os.path.join(d, f)
        else:
            path = strarg(a[0]).decode('utf-8', 'surrogateescape')
        if os.path.basename(os.path.dirname(path)) != 'new' or '/Maildir/' in path:
            continue	# not a spool message
        n += 1
        oks = [r for r in results.get(path, []) if r[1] == 'ok' and
               '/new/' in r[2] and r[2].startswith('/')]
        if not oks and not any(r[1] == 'ok' for r in results.get(path, [])):
            rep.violation('D1', 'unlink of %s: no ok result for it' % path)
            continue
        for rcpt, _, file in oks:
            lk = [x for x in links.get(file, []) if x[0] < i]
            if not lk:
                rep.violation('D1', 'unlink of %s: %s (%s) not linked before' % (path, file, rcpt))
                continue
            rep.ok('D1')
            li, src = lk[-1]
            # a copy that is the spool file itself (hard link, no copy):
            # that file must have been fsynced before the link into new/
            made = [x for x in links.get(src, []) if x[0] < li]
            if made and made[-1][1] != src and '/Maildir/' not in made[-1][1]:
                src = made[-1][1]
            if any(x < li for x in sync.get(src, [])):
                rep.ok('D2')
            else:
                rep.violation('D2', '%s: tmp file %s not fsynced before the link' % (rcpt, src))
            if any_between(sync.get(os.path.dirname(file), []), li, i):
                rep.ok('D3')
            else:
                rep.violation('D3', 'unlink of %s: %s not fsynced after the link of %s' % (path, os.path.dirname(file), rcpt))
    check_marks(p, rep, sync)
    return n


COPY = re.compile(r'^(.+)\.[0-9a-f]{16},S=[0-9]+$')


def check_marks(p, rep, sync):
    notes = {}		# NAME.done -> [(index, spool dir, created)]
    for i, name, a, _ in p.events:
        if name != 'openat' or len(a) < 3:
            continue
        f = strarg(a[1])
        if f is None or not f.endswith(b'.done'):
            continue
        f = f.decode('utf-8', 'surrogateescape')
        notes.setdefault(os.path.basename(f), []).append(
            (i, os.path.dirname(os.path.join(fdpath(a[0]) or '', f)),
             'O_CREAT' in a[2]))
    for ev in p.events:
        if ev[1] not in ('link', 'linkat'):
            continue
        _, dst = target(ev)
        if os.path.basename(os.path.dirname(dst)) != 'new':
            continue
        m = COPY.match(os.path.basename(dst))
        if not m:
            continue	# a hashed long name: not tied to a spool name
        opened = [x for x in notes.get(m.group(1) + '.done', []) if x[0] < ev[0]]
        if not opened:
            rep.violation('D4', 'link of %s before the progress note of %s was opened' % (dst, m.group(1)))
            continue
        oi, spool, created = opened[-1]
        if created and not any_between(sync.get(spool, []), oi, ev[0]):
            rep.violation('D4', 'link of %s: %s not fsynced after creating %s.done' % (dst, spool, m.group(1)))
            continue
        rep.ok('D4')


LMTP_REPLY = re.compile(rb'^([0-9]{3})([ -])')


def lmtp_transactions(p):
    """[(spool file, {rcpt: (rcpt reply, final reply, read index)},
    payload)] from one deliver process's LMTP socket traffic, in order.
    Each socket (one per LMTP session: --lmtp-sessions) is a stream of its
    own; a transaction is tied to the spool file opened last before its
    MAIL, or, once its final "." (or its BDAT LAST chunk) is written, to
    the spool file read last before that (deliver streams a message with
    pread(2) right before it sends it; with several sessions, opens and
    transactions interleave). With BDAT (RFC 3030) the RCPT replies come
    only after the whole message was written: the reply due after BDAT
    LAST is a marker ('bdat') that becomes, when read, one final reply
    per accepted RCPT, or the BDAT's one reply when none was accepted.
    Each reply due carries its transaction: (kind, rcpt, transaction)."""
    txs = []
    opened = None		# last spool file in new/ opened
    last_read = None	# last spool file in new/ read
    content = {}		# spool file -> bytes read from it
    streams = {}		# socket -> its state, below

    def stream(sock):
        if sock not in streams:
            streams[sock] = {'expect': [],	# replies due: (kind, rcpt, tx)
                             'cur': None,	# the transaction being built
                             'wbuf': b'', 'rbuf': b'', 'data': False,
                             'bdat': None,	# (octets left, LAST) of a chunk
                             'payload': b''}
        return streams[sock]
    for i, name, a, _ in p.events:
        path = fdpath(a[0]) if a else None
        if path is None:
            continue
        if name == 'openat' and len(a) > 1:
            f = strarg(a[1])
            if f is not None and not f.endswith(b'.done'):
                d = os.path.join(path, f.decode('utf-8', 'surrogateescape'))
                if os.path.basename(os.path.dirname(d)) == 'new' and \
                        '/Maildir/' not in d:
                    opened = d
                    content[d] = b''
            continue
        if name in ('read', 'pread64') and '/new/' in path and \
                '/Maildir/' not in path:
            got = content.get(path, b'')
            data = strarg(a[1]) or b''
            if name == 'pread64' and len(a) > 3 and a[3].isdigit():
                off = int(a[3])	# a re-read overwrites, never appends
                got = got[:off].ljust(off, b'\0') + data + \
                    got[off + len(data):]
            else:
                got += data
            content[path] = got
            last_read = path
            continue
        if not path.startswith('socket:'):
            continue
        data = strarg(a[1]) if len(a) > 1 else None
        if data is None:
            continue
        st = stream(path)
        expect = st['expect']
        if name in ('write', 'sendto', 'writev', 'sendmsg'):
            st['wbuf'] += data
            while True:
                wbuf = st['wbuf']
                cur = st['cur']
                if st['bdat'] is not None:
                    left, last = st['bdat']
                    if left and not wbuf:
                        break
                    st['payload'] += wbuf[:left]
                    st['wbuf'] = wbuf[left:]
                    left -= min(left, len(wbuf))
                    if left:
                        st['bdat'] = (left, last)
                        break
                    st['bdat'] = None
                    if not last:
                        expect.append(('other', None, cur))
                        continue
                    if cur is not None:
                        cur['payload'] = st['payload']
                        cur['bdat'] = True	# raw: no dot-stuffing
                        if last_read is not None:
                            cur['file'] = last_read
                    expect.append(('bdat', None, cur))
                    st['payload'] = b''
                    continue
                if st['data']:
                    k = (b'\r\n' + wbuf).find(b'\r\n.\r\n')
                    if k < 0:
                        break
                    st['payload'] += wbuf[:k]
                    st['wbuf'] = wbuf[k + 3:] if k > 0 else wbuf[3:]
                    st['data'] = False
                    if cur is not None:
                        cur['payload'] = st['payload']
                        if last_read is not None:
                            cur['file'] = last_read
                        for r in cur['order']:
                            if cur['rcpt'][r][0] == '2':
                                expect.append(('final', r, cur))
                    st['payload'] = b''
                    continue
                k = wbuf.find(b'\r\n')
                if k < 0:
                    break
                ln, st['wbuf'] = wbuf[:k], wbuf[k + 2:]
                verb = ln.split(b' ')[0].split(b':')[0].upper()
                w = ln.split()
                if verb == b'MAIL':
                    st['cur'] = {'file': opened, 'rcpt': {}, 'order': [],
                                 'final': {}, 'payload': None,
                                 'bdat': False, 'mail': '?',
                                 'content': content}
                    txs.append(st['cur'])
                    expect.append(('mail', None, st['cur']))
                elif verb == b'RCPT':
                    m = re.search(rb'<([^>]*)>', ln)
                    r = m.group(1).decode('utf-8', 'surrogateescape') if m else ''
                    if cur is not None:
                        cur['order'].append(r)
                        cur['rcpt'][r] = '?'
                    expect.append(('rcpt', r, cur))
                elif verb == b'DATA':
                    expect.append(('data', None, cur))
                    st['data'] = True	# undone if the reply is not 354
                elif verb == b'BDAT' and len(w) in (2, 3) and \
                        w[1].isdigit() and \
                        [x.upper() for x in w[2:]] in ([], [b'LAST']):
                    # the octets that follow are the chunk, raw
                    st['bdat'] = (int(w[1]), len(w) == 3)
                else:
                    expect.append(('other', None, cur))
        elif name in ('read', 'recvfrom', 'recvmsg'):
            st['rbuf'] += data
            while b'\r\n' in st['rbuf']:
                ln, st['rbuf'] = st['rbuf'].split(b'\r\n', 1)
                m = LMTP_REPLY.match(ln)
                if m and m.group(2) == b'-':
                    continue
                code = m.group(1).decode() if m else 'bad'
                if not expect:
                    continue	# the greeting
                kind, r, cur = expect.pop(0)
                if kind == 'mail' and cur is not None:
                    cur['mail'] = code
                elif kind == 'rcpt' and cur is not None:
                    cur['rcpt'][r] = code
                elif kind == 'data' and code != '354':
                    st['data'] = False
                elif kind == 'bdat' and cur is not None:
                    acc = [x for x in cur['order'] if cur['mail'][:1] == '2'
                           and cur['rcpt'][x][:1] == '2']
                    if acc:	# else: the BDAT's own reply (503)
                        expect[0:0] = [('final', x, cur) for x in acc[1:]]
                        cur['final'].setdefault(acc[0], []).append((code, i))
                elif kind == 'final' and cur is not None:
                    cur['final'].setdefault(r, []).append((code, i))
    return txs


def check_lmtp(p, rep, results):
    txs = lmtp_transactions(p)
    n = 0
    for i, name, a, _ in p.events:
        if name not in ('unlink', 'unlinkat'):
            continue
        if name == 'unlinkat':
            d, f = fdpath(a[0]) or '', strarg(a[1]).decode('utf-8', 'surrogateescape')
            path = f if f.startswith('/') else os.path.join(d, f)
        else:
            path = strarg(a[0]).decode('utf-8', 'surrogateescape')
        if os.path.basename(os.path.dirname(path)) != 'new' or '/Maildir/' in path:
            continue
        n += 1
        oks = [r[0] for r in results.get(path, []) if r[1] == 'ok']
        if not oks:
            rep.violation('L1', 'unlink of %s: no ok result for it' % path)
            continue
        mine = [t for t in txs if t['file'] == path]
        for t in mine:
            got = t['content'].get(path, b'')
            pl = t['payload']
            if pl is None:
                continue
            if t['bdat']:	# BDAT: raw, only CRLF to undo
                pl = pl.replace(b'\r\n', b'\n')
            else:		# DATA: dot-stuffing too
                pl = b'\n'.join(x[1:] if x.startswith(b'.') else x
                                for x in pl.split(b'\r\n'))
            if got and pl.rstrip(b'\n').endswith(got.rstrip(b'\n')):
                rep.ok('L2')
            elif any(c[1] < i for fs in t['final'].values() for c in fs):
                rep.violation('L2', 'transaction for %s: its payload is not '
                              'the file read (%d bytes read)' % (path, len(got)))
        for r in oks:
            good = [c for t in mine if t['rcpt'].get(r, '')[:1] == '2'
                    for c in t['final'].get(r, []) if c[0][:1] == '2' and c[1] < i]
            if good:
                rep.ok('L1')
            else:
                rep.violation('L1', 'unlink of %s: no 2xx after DATA/BDAT '
                              'for %s read before it' % (path, r))
    return n


def main(argv):
    lmtp = len(argv) > 1 and argv[1] == '--lmtp'
    if lmtp:
        argv = argv[:1] + argv[2:]
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    results = {}
    if len(argv) == 3:
        with open(argv[2], encoding='utf-8', errors='surrogateescape') as f:
            for ln in f:
                fl = ln.rstrip('\n').split('\t')
                if len(fl) >= 4:
                    results.setdefault(fl[0], []).append((fl[1], fl[2], fl[3]))
    rep = Report()
    deles = unlinks = 0
    files = sorted(glob.glob(argv[1] + '.*'))
    if not files:
        print('strace-check: no trace files %s.*' % argv[1], file=sys.stderr)
        return 2
    for path in files:
        p = Proc(path)
        if p.exe == 'mdrop-fetch':
            deles += check_fetch(p, rep)
        elif p.exe == 'mdrop-deliver' and lmtp:
            unlinks += check_lmtp(p, rep, results)
        elif p.exe == 'mdrop-deliver':
            unlinks += check_deliver(p, rep, results)
    for k in sorted(rep.counts):
        print('ok %s %d' % (k, rep.counts[k]))
    print('checked: dele=%d unlink=%d violations=%d' % (deles, unlinks, len(rep.bad)))
    for b in rep.bad:
        print(b)
    if lmtp and not rep.counts.get('L1'):
        return 1
    return 1 if rep.bad or deles == 0 or unlinks == 0 else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
