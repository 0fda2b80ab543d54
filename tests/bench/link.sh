#!/bin/sh
# tests/bench/link.sh: mdrop-deliver -l across a link with latency. A proxy
# (linkproxy.py) between deliver and the private Dovecot's LMTP port holds
# every chunk for half the round trip; the same deliver speaks DATA (the
# proxy hides CHUNKING from LHLO) and BDAT, with one and with four
# sessions, interleaved repetition by repetition; medians. Not part of
# `make bench`, which measures one machine: this measures the round trips
# a delivery costs (mdrop-deliver(1), "LMTP").
#
#   sh tests/bench/link.sh       LINK_RTT_MS=2 LINK_N=500 LINK_REPS=3
#   MDROP_BIN (default: the source top)
#
# Messages are small (what makes round trips count), spread over four
# users; their Maildirs are removed before every run, so that no run
# finds a fuller mailbox than another.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
: "${MDROP_BIN:=$TOP}"
RTT=${LINK_RTT_MS:-2}
N=${LINK_N:-500}
REPS=${LINK_REPS:-3}
. tests/lib/tap.sh
. tests/lib/dovecot.sh
dovecot_start || { echo "link: $DOVECOT_ERROR" >&2; exit 1; }
for mode in data bdat; do
	hide=; [ $mode = data ] && hide=--hide-chunking
	python3 tests/bench/linkproxy.py "$TESTDIR/$mode.port" "$LMTP_PORT" \
	    "$RTT" $hide &
	at_exit "kill $!"
done
for mode in data bdat; do
	i=0
	while [ ! -s "$TESTDIR/$mode.port" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ -s "$TESTDIR/$mode.port" ] || { echo "link: no proxy ($mode)" >&2; exit 1; }
done

spool() {	# a fresh spool of N messages and their records
	for u in alice bob carol dave; do
		rm -rf "$MAIL_ROOT/example.org/$u/Maildir"
	done
	SP=$TESTDIR/spool
	rm -rf "$SP" && mkdir -p "$SP/new" "$SP/tmp" "$SP/failed" &&
	    chmod 700 "$SP" || exit 1
	python3 - "$SP" "$N" > "$TESTDIR/records" <<'PY'
import sys
sp, n = sys.argv[1], int(sys.argv[2])
users = ["alice", "bob", "carol", "dave"]
for i in range(1, n + 1):
    u = users[i % 4]
    p = "%s/new/m%d" % (sp, i)
    with open(p, "w") as f:
        f.write("Delivered-To: %s@example.org\nFrom: x@remote.test\n"
                "Subject: m%d\n\nbody %d\n.dot line\n" % (u, i, i))
    print("%s\t%s@example.org\tx@remote.test\n%s" % (p, u, p))
PY
}

: > "$TESTDIR/times"
rep=1
while [ $rep -le "$REPS" ]; do
	for mode in data bdat; do
		for s in 1 4; do
			spool
			sync
			t0=$(date +%s.%N)
			"$MDROP_BIN/mdrop-deliver" -q --lmtp-sessions $s \
			    -l "127.0.0.1:$(cat "$TESTDIR/$mode.port")" \
			    < "$TESTDIR/records" > "$TESTDIR/out" 2>&1 ||
			    { cat "$TESTDIR/out" >&2; exit 1; }
			t1=$(date +%s.%N)
			left=$(ls "$SP/new" | wc -l)
			[ "$left" = 0 ] || { echo "link: $left left" >&2; exit 1; }
			echo "$mode $s $t0 $t1" >> "$TESTDIR/times"
		done
	done
	rep=$((rep + 1))
done
python3 - "$TESTDIR/times" "$N" "$RTT" "$REPS" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    mode, s, t0, t1 = line.split()
    runs.setdefault((mode, int(s)), []).append(float(t1) - float(t0))
n, rtt, reps = int(sys.argv[2]), sys.argv[3], sys.argv[4]
print("mdrop-deliver -l, %d small messages, %s ms round trip, median of %s"
      % (n, rtt, reps))
print()
print("| speaks | sessions | s | msgs/s | runs (s) |")
print("|---|---:|---:|---:|---|")
for (mode, s), t in sorted(runs.items()):
    m = statistics.median(t)
    print("| %s | %d | %.2f | %.0f | %s |" % (mode.upper(), s, m, n / m,
          " ".join("%.2f" % x for x in t)))
PY
