#!/bin/sh
# mdrop-fetch against the real private Dovecot (tests/lib/dovecot.sh):
# TLS verification, login, byte-exactness, --keep, --max-size, bounded
# memory, and kill -9 at many points followed by a rerun.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/dovecot.sh"
dovecot_start || { echo "Bail out! $DOVECOT_ERROR"; exit 1; }
export MDROP_PASSWORD="$DROP_PASS"
SP=$TESTDIR/spool

# fetch [options...]: into $SP; stdout $TESTDIR/out, stderr $TESTDIR/err.
fetch() {
	mdrop-fetch -u "$DROP_USER" --timeout 10 "$@" "$SP" \
	    >"$TESTDIR/out" 2>"$TESTDIR/err"
}
spool_count() { find "$SP/new" -type f 2>/dev/null | wc -l | tr -d ' '; }
reset_spool() { rm -rf "$SP"; }

# Messages: dot-leading lines, a lone dot line, CRLF-ended lines.
M=$TESTDIR/m; mkdir -p $M
printf 'From: a@x.test\nDelivered-To: alice@example.org\nSubject: dots\n\n.leading\n..two\n.\n...\nend\n' > $M/dots
printf 'From: a@x.test\r\nSubject: crlf\r\n\r\nline one\r\n.dot\r\nlast\r\n' > $M/crlf
tr -d '\r' < $M/crlf > $M/crlf.want

# 1. Verification failures: before login, nothing deleted, non-zero.
dovecot_put $M/dots >/dev/null
fetch -h localhost -p "$POP3S_PORT"; rc=$?
ok "untrusted CA refused (exit $rc)" test $rc -ne 0
ok "untrusted CA: says why" grep -q 'certificate verify failed' $TESTDIR/err
fetch -h 127.0.0.1 -p "$POP3S_PORT" --cafile "$CA_FILE"; rc=$?
ok "wrong host name refused (exit $rc)" test $rc -ne 0
fetch -h localhost -p "$POP3_PORT" --tls starttls; rc=$?
ok "STLS with an untrusted CA refused (exit $rc)" test $rc -ne 0
bad=$(printf '%s' "$CERT_SHA256" | tr '0-9a-f' '1-9a-f0')
fetch -h localhost -p "$POP3S_PORT" --fingerprint "$bad"; rc=$?
ok "wrong fingerprint refused (exit $rc)" test $rc -ne 0
ok "wrong fingerprint: says so" grep -q 'fingerprint mismatch' $TESTDIR/err
MDROP_PASSWORD=wrong exit_is 77 "wrong password" fetch -h localhost -p "$POP3S_PORT" --cafile "$CA_FILE"
is "$(dovecot_box_count)" 1 "nothing deleted by the failures"
is "$(spool_count)" 0 "nothing spooled by the failures"
ok "password never logged" sh -c "! grep -qF '$DROP_PASS' $TESTDIR/err"

# 2. Implicit TLS with --cafile; byte-exact dots.
exit_is 0 "implicit TLS with --cafile" fetch -h localhost -p "$POP3S_PORT" --cafile "$CA_FILE"
is_file_bytes "$(cat $TESTDIR/out)" $M/dots "dot lines byte-exact"
is "$(dovecot_box_count)" 0 "box empty after the session"
ok "summary logged" grep -q 'session host=localhost fetched=1 ' $TESTDIR/err

# 3. STLS with --cafile; CRLF lines become LF.
reset_spool
dovecot_put $M/crlf >/dev/null
exit_is 0 "STLS with --cafile" fetch -h localhost -p "$POP3_PORT" --tls starttls --cafile "$CA_FILE"
is_file_bytes "$(cat $TESTDIR/out)" $M/crlf.want "CRLF handling byte-exact"

# 4. The right fingerprint replaces chain and host checks.
reset_spool
dovecot_put $M/dots >/dev/null
exit_is 0 "right fingerprint, IP literal host" fetch -h 127.0.0.1 -p "$POP3S_PORT" --fingerprint "$CERT_SHA256"
is "$(spool_count)" 1 "pinned session spooled"

# 5. --keep twice: no new spool files the second time.
reset_spool
dovecot_put $M/dots >/dev/null; dovecot_put $M/crlf >/dev/null
exit_is 0 "--keep" fetch -h localhost -p "$POP3S_PORT" --cafile "$CA_FILE" --keep
is "$(spool_count)" 2 "--keep: both spooled"
is "$(dovecot_box_count)" 2 "--keep: both still on the server"
exit_is 0 "--keep again" fetch -h localhost -p "$POP3S_PORT" --cafile "$CA_FILE" --keep
is "$(spool_count)" 2 "--keep again: no new spool files"
is "$(wc -l < $TESTDIR/out | tr -d ' ')" 2 "--keep again: the waiting paths printed"

# 6. --max-size: the big one stays, the small one comes.
reset_spool
python3 -c 'print("Subject: big\n\n" + "b" * 5000)' > $M/big
dovecot_put $M/big >/dev/null
exit_is 0 "--max-size 1000" fetch -h localhost -p "$POP3S_PORT" --cafile "$CA_FILE" --max-size 1000
is "$(spool_count)" 2 "--max-size: the two small ones spooled"
is "$(dovecot_box_count)" 1 "--max-size: the big one left on the server"
ok "--max-size: logged" grep -q 'too-big' $TESTDIR/err
exit_is 0 "without --max-size" fetch -h localhost -p "$POP3S_PORT" --cafile "$CA_FILE"
is "$(dovecot_box_count)" 0 "box empty"

# 7. A 100 MiB message with peak RSS under 8 MiB, and no more than a
# one-line message needs (memory does not grow with the message).
# rss_fetch: one session under GNU time; prints the peak RSS in KiB.
rss_fetch() {
	/usr/bin/time -f %M -o $TESTDIR/rss mdrop-fetch -u "$DROP_USER" \
	    -h localhost -p "$POP3S_PORT" --cafile "$CA_FILE" "$SP" \
	    >$TESTDIR/out 2>$TESTDIR/err || return 1
	tail -n 1 $TESTDIR/rss
}
reset_spool
printf 'Subject: tiny\n\nx\n' > $M/tiny
dovecot_put $M/tiny >/dev/null
base=$(rss_fetch)
ok "baseline session (peak RSS ${base} KiB)" test -n "$base"
reset_spool
python3 - $M/huge <<'EOF2'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"Subject: huge\n\n")
    line = b"." + b"0123456789abcdef" * 8 + b"\n"
    for i in range(100 * 1024 * 1024 // len(line)):
        f.write(line)
EOF2
dovecot_put $M/huge >/dev/null
rss=$(rss_fetch)
ok "100 MiB message fetched" test -n "$rss"
ok "100 MiB: peak RSS ${rss} KiB at most 4 MiB above the baseline" \
    test "$rss" -lt $((base + 4096))
if grep -q __asan_init "$MDROP_BIN/mdrop-fetch"; then
	# The sanitizer runtime alone takes more than 8 MiB: the growth check
	# above is the one that counts there.
	diag "sanitizer build: only the growth bound applies to RSS"
else
	ok "100 MiB: peak RSS ${rss} KiB < 8 MiB" test "$rss" -lt 8192
fi
ok "100 MiB message byte-exact" cmp -s "$(cat $TESTDIR/out)" $M/huge
rm -f $M/huge; reset_spool

# 8. kill -9 at many points of a 300-message session, then a rerun.
N=300
mkdir -p $M/many
python3 - $M/many $N <<'EOF'
import sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open("%s/%04d" % (d, i), "w") as f:
        f.write("Subject: m%04d\nMessage-ID: <m%04d@x.test>\n\n%s\nbody %04d\n"
                % (i, i, "x" * (i * 37 % 3000), i))
EOF
dovecot_put_dir $M/many
is "$(dovecot_box_count)" $N "$N messages in the box"
i=0; done=no
while [ $i -lt 12 ] && [ $done = no ]; do
	mdrop-fetch -q -u "$DROP_USER" -h localhost -p "$POP3S_PORT" \
	    --cafile "$CA_FILE" "$SP" >/dev/null 2>>$TESTDIR/kill.err &
	pid=$!
	sleep "0.$(( (i * 7) % 10 ))$(( i % 10 ))"
	if kill -9 $pid 2>/dev/null; then :; else done=yes; fi
	wait $pid 2>/dev/null
	i=$((i + 1))
done
diag "killed $i times"
exit_is 0 "rerun after kill -9" fetch -h localhost -p "$POP3S_PORT" --cafile "$CA_FILE"
is "$(dovecot_box_count)" 0 "box empty after the rerun"
python3 "$TOP/tests/lib/spool_once.py" "$SP/new" $N > $TESTDIR/dups
is "$(cat $TESTDIR/dups)" "" "every message exactly once in the spool"
is "$(spool_count)" $N "$N spool files"
is "$(ls $SP/tmp | wc -l | tr -d ' ')" 0 "tmp/ empty"

done_testing
