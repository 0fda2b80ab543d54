#!/bin/sh
# The LMTP side of the reliability proof (HOSTILE.md 63, DESIGN.md "Over
# LMTP: at least once"): the whole pipeline
#   mdrop-fetch | mdrop-split | mdrop-deliver -l unix:$LMTP_SOCKET
# against the private Dovecot.
#
# 1. Kill loop: SIGKILLed as a whole process group at seeded points of
#    its progress (REL_SEED, default 11; REL_KILLS, default 12, over a
#    REL_KILL_MESSAGES corpus, default 200; tests/fault/driver.sh
#    rel_kill_loop: early with probability 0.8, else deep into a run; at
#    most half as many new files as deliveries still to make, so every
#    kill lands on a live run with work left whatever the machine's
#    speed), each time restarted where it stood; then a clean run. Every
#    (message, recipient) is at least once, byte-exact, in the
#    recipient's Dovecot mailbox, zero lost; the box, SPOOL/new and
#    SPOOL/tmp are empty. Duplicates are allowed (LMTP's 250 and our
#    bookkeeping cannot be one step), reported in a diag line, and at
#    most two per kill and session (the transaction in flight on each
#    session; kills now land while deliveries are made, so this bound is
#    really put to the test).
# 2. Durability order: one traced run under `strace -f`;
#    tests/lib/strace-check.py --lmtp proves that every spool unlink by
#    deliver comes after the 250 reply after DATA for every recipient of
#    that message (rule L1), in the transaction that carried that file
#    (L2). Then the checker is proven to fail on the same trace with the
#    final replies turned into 451, and with the unlink moved before them.
# Both parts run with one LMTP session and with several at once
# (REL_LMTP_SESSIONS_LIST, default "1 3": mdrop-deliver --lmtp-sessions).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/dovecot.sh"
REL_LMTP=1
. "$TOP/tests/fault/driver.sh"

command -v strace >/dev/null || { echo "Bail out! strace missing (make deps)"; exit 1; }
SEED=${REL_SEED:-11}
KILLS=${REL_KILLS:-12}
for NS in ${REL_LMTP_SESSIONS_LIST:-1 3}; do
REL_LMTP_SESSIONS=$NS
export REL_LMTP_SESSIONS
S="($NS session$([ "$NS" = 1 ] || echo s))"
rel_setup "${REL_KILL_MESSAGES:-200}"
rel_reset

# --- 1. the kill loop
rel_kill_loop "$KILLS" "$SEED" 0.8 0.8
rel_kill_checks "$SEED"
rel_clean_run
if rel_invariant; then
	pass "$S LMTP: every message at least once, byte-exact, zero lost; box, SPOOL/new, SPOOL/tmp empty"
else
	fail "$S LMTP: every message at least once, byte-exact, zero lost; box, SPOOL/new, SPOOL/tmp empty" "$REL_WHY"
fi
diag "$S LMTP kill loop: $REL_SUMMARY"
dups=$(printf '%s\n' "$REL_SUMMARY" | sed -n 's/.*duplicates=\([0-9]*\).*/\1/p')
ok "$S the duplicate count is reported ($dups duplicate deliveries after $KILLS kills)" \
    sh -c "printf '%s' '$dups' | grep -Eqx '[0-9]+'"
# The window is one transaction per session: each transaction's 250s are
# noted at once, so a kill can repeat at most the transactions in flight,
# never the batch before them.
ok "$S the duplicate window is small: $dups <= 2 * $NS * $KILLS kills" \
    test "${dups:-999}" -le $((2 * NS * KILLS))

# --- 2. the durability order under strace
CHECK="python3 $TOP/tests/lib/strace-check.py --lmtp"
rel_setup 9
rel_reset
T=$REL_DIR/trace
rm -rf "$T" "$T.m"
rel_strace "$T" execve,openat,write,read,pread64,fsync,fdatasync,rename,renameat,renameat2,link,linkat,unlink,unlinkat,sendto,recvfrom
is "$RC_FETCH $RC_SPLIT $RC_DELIVER" "0 0 0" "$S traced LMTP pipeline: every stage exits 0"
rel_invariant && pass "$S traced LMTP pipeline delivered everything ($REL_SUMMARY)" ||
	fail "$S traced LMTP pipeline delivered everything" "$REL_WHY"
out=$($CHECK "$T/tr" "$REL_RUN/traced.out"); rc=$?
is "$rc" 0 "$S strace-check --lmtp: no violation in the real trace"
[ "$rc" = 0 ] || diag "$out"
is "$(printf '%s\n' "$out" | sed -n 's/^checked: //p')" "dele=9 unlink=9 violations=0" \
    "$S every DELE and every spool unlink was checked"
# the corpus has 9 messages, one (the 7th) with two recipients: 10 replies
is "$(printf '%s\n' "$out" | sed -n 's/^ok L1 //p')" 10 "$S rule L1 held for all 10 (message, recipient) pairs"
printf '%s\n' "$out" | grep -q '^ok L2 [1-9]' && pass "$S rule L2 (the tie to the spool file) held" ||
	fail "$S rule L2 (the tie to the spool file) held" "$out"

# the checker must fail on bad traces
DT=$(grep -l '^execve("[^"]*mdrop-deliver"' "$T"/tr.* | head -1)
# the replies after "." were 451 (deliver let go of a deferred message)
final451() { sed -i 's/"250 2\.0\.0 </"451 4.3.0 </' "$1"; }
rel_mutate "$S spool unlinked though the final replies were 451" "$DT" L1 final451
# every unlink moved before the first final reply (unlink before the 250)
early() {
	awk '/^unlinkat?\(/ && /spool\/new/ { u = u $0 "\n"; next } { l[++n] = $0 }
	    END { for (i = 1; i <= n; i++) { if (!d && l[i] ~ /"250 2\.0\.0 </) { printf "%s", u; d = 1 }
	    print l[i] } }' "$1" >"$1.new" && mv "$1.new" "$1"
}
rel_mutate "$S spool unlinked before the final 250s arrived" "$DT" L1 early
# the payload sent is not the spool file read
payload() { sed -i 's/X-Rel-Id: 3\\r\\n/X-Rel-Id: 333\\r\\n/' "$1"; }
rel_mutate "$S a transaction carried other bytes than its spool file" "$DT" L2 payload
done

# a small hand-written trace: DATA sent, 250 for the RCPT, unlink, then 250
mkdir -p "$T.h"
cat >"$T.h/tr.1" <<'TR'
execve("/x/mdrop-deliver", ["mdrop-deliver"], 0x0 /* 0 vars */) = 0
openat(5</s/spool/new>, "M1", O_RDONLY) = 7</s/spool/new/M1>
pread64(7</s/spool/new/M1>, "Subject: x\n\nb\n", 65536, 0) = 14
recvfrom(9<socket:[1]>, "220 ready\r\n", 4096, 0, NULL, NULL) = 11
sendto(9<socket:[1]>, "LHLO h\r\n", 8, MSG_NOSIGNAL, NULL, 0) = 8
recvfrom(9<socket:[1]>, "250 ok\r\n", 4096, 0, NULL, NULL) = 8
sendto(9<socket:[1]>, "MAIL FROM:<>\r\nRCPT TO:<a@x>\r\nDATA\r\n", 35, MSG_NOSIGNAL, NULL, 0) = 35
recvfrom(9<socket:[1]>, "250 ok\r\n250 ok\r\n354 go\r\n", 4096, 0, NULL, NULL) = 24
sendto(9<socket:[1]>, "Subject: x\r\n\r\nb\r\n.\r\n", 20, MSG_NOSIGNAL, NULL, 0) = 20
unlinkat(5</s/spool/new>, "M1", 0) = 0
recvfrom(9<socket:[1]>, "250 2.0.0 <a@x> saved\r\n", 4096, 0, NULL, NULL) = 23
TR
printf '/s/spool/new/M1\ta@x\tok\t250 2.0.0 <a@x> saved\n' >"$T.h/out"
o=$($CHECK "$T.h/tr" "$T.h/out"); c=$?
if [ "$c" = 1 ] && printf '%s\n' "$o" | grep -q '^violation L1: '; then
	pass "hand-written trace (unlink before the 250 after DATA): caught as L1"
else
	fail "hand-written trace (unlink before the 250 after DATA): caught as L1" "exit $c" "$o"
fi
sed -i '/^unlinkat/d' "$T.h/tr.1" && echo 'unlinkat(5</s/spool/new>, "M1", 0) = 0' >>"$T.h/tr.1"
o=$($CHECK "$T.h/tr" "$T.h/out")
printf '%s\n' "$o" | grep -q '^ok L1 1$' && ! printf '%s\n' "$o" | grep -q '^violation L' &&
	pass "the same trace in the right order: L1 and L2 hold" ||
	fail "the same trace in the right order: L1 and L2 hold" "$o"
done_testing
