#!/bin/sh
# tests/bench/run.sh: `make bench`. mdrop against fetchmail, getmail6, fdm
# and mpop, side by side, on one machine, one private Dovecot, one corpus.
#
# Why it is this way: our machines are shared and noisy, so the numbers
# that mean something are ratios between tools measured in the same run.
# Every repetition runs every case once, in turn (interleaved), and the
# report takes medians. Every run is verified (each message exactly once,
# in its envelope recipient's Maildir, byte-identical but for added header
# fields; the server box empty): a fast tool that loses or alters mail is
# shown as such. Peers only ever talk to the private Dovecot on loopback.
# See tests/bench/README.md for what is measured and compared, exactly.
#
# Environment:
#   BENCH_N=5000      messages in the corpus      BENCH_REPS=3  repetitions
#   BENCH_SMALL_N=2000  messages in the small-message corpus (0: skip it)
#   BENCH_SLOW_REPS=1 repetitions of the slow peers (getmail6, fetchmail, fdm)
#   BENCH_SLOW_N=1000 the slow peers move only the corpus's first
#                     BENCH_SLOW_N messages (0: all of them)
#   BENCH_SEED=1      corpus seed                 BENCH_BIG_MIB=200 (0: skip)
#   BENCH_CASES="..." only these cases (shell patterns, e.g. "mdrop-* mpop-*")
#   BENCH_TIMEOUT=900 seconds before one run is killed (and marked failed)
#   BENCH_TMPDIR=/var/tmp  work space (must be a real disk: fsync matters)
#   BENCH_OUT=bench/results-latest.md    MDROP_BIN: where mdrop-* are
#   MDROP_KEEP=1      keep the work space (logs of every run) afterwards
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
N=${BENCH_N:-5000}
SMALL_N=${BENCH_SMALL_N:-2000}
REPS=${BENCH_REPS:-3}
SLOW_REPS=${BENCH_SLOW_REPS:-1}
SLOW_N=${BENCH_SLOW_N:-1000}
[ "$SLOW_N" -gt 0 ] && [ "$SLOW_N" -lt "$N" ] || SLOW_N=0
SEED=${BENCH_SEED:-1}
BIG_MIB=${BENCH_BIG_MIB:-200}
CASES=${BENCH_CASES:-*}
LIMIT=${BENCH_TIMEOUT:-900}
USERS="alice bob carol dave erin frank grace heidi ivan judy mallory niaj
olivia peggy rupert sybil trent victor walter zoe"

say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 1; }

# --- peers -----------------------------------------------------------------
PKGS="fetchmail getmail6 fdm mpop safecat time util-linux coreutils
libssl-dev python3 openssl dovecot-core dovecot-pop3d dovecot-lmtpd"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		die "missing:$missing; run as root: apt-get update && apt-get install -y$missing"
	fi
	say "installing:$missing"
	policy=/usr/sbin/policy-rc.d
	made_policy=no
	if [ ! -e $policy ]; then	# keep the packages' services from starting
		printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy
		made_policy=yes
	fi
	apt-get update >&2 &&
	    DEBIAN_FRONTEND=noninteractive apt-get install -y $missing >&2
	rc=$?
	[ $made_policy = yes ] && rm -f $policy
	[ $rc = 0 ] || die "apt-get failed"
fi

# --- work space, Dovecot ---------------------------------------------------
# Started as root, tap.sh goes on as nobody (as the tests do: deliver as
# root writes nothing as root). The report file is made now, for nobody.
OUT=${BENCH_OUT:-$(cd "$BENCH/../.." && pwd)/bench/results-latest.md}
case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac
export BENCH_OUT="$OUT"
if [ "$(id -u)" = 0 ] && [ "${TAP_ROOT:-0}" != 1 ]; then
	mkdir -p "$(dirname "$OUT")" && touch "$OUT" &&
	    chown nobody "$OUT" || die "cannot create $OUT"
fi
TMPDIR=${BENCH_TMPDIR:-/var/tmp}
export TMPDIR
. "$BENCH/../lib/tap.sh"
. "$BENCH/../lib/dovecot.sh"
W=$TESTDIR
case $(stat -f -c %T "$W") in
tmpfs|ramfs) say "warning: $W is on $(stat -f -c %T "$W"): fsync costs nothing there" ;;
esac
for t in mdrop-fetch mdrop-split mdrop-deliver; do
	[ -x "$MDROP_BIN/$t" ] || die "no $MDROP_BIN/$t (make first, or set MDROP_BIN)"
done
DOVECOT_USERS="$(echo $USERS) postmaster"
dovecot_start "$W/dovecot" || die "Dovecot: $DOVECOT_ERROR"
say "work space $W; Dovecot pid $DOVECOT_PID pop3 $POP3_PORT pop3s $POP3S_PORT"
NOBODY_UID=$(id -u nobody) NOBODY_GID=$(id -g nobody)

mkdir -p "$W/bin" "$W/cfg" "$W/logs" || exit 1
CFLAGS_B="-O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra"
${CC:-cc} $CFLAGS_B -o "$W/bin/pop3ceil" "$BENCH/pop3ceil.c" \
    $(pkg-config --cflags --libs openssl 2>/dev/null || echo -lssl -lcrypto) &&
    ${CC:-cc} $CFLAGS_B -o "$W/bin/mdwrite" "$BENCH/mdwrite.c" &&
    ${CC:-cc} $CFLAGS_B -o "$W/bin/lmtpceil" "$BENCH/lmtpceil.c" ||
	die "cannot build the ceiling helpers"

say "corpus: $N messages, seed $SEED; small-message corpus: $SMALL_N"
python3 "$BENCH/corpus.py" gen --seed "$SEED" --n "$N" "$W/corpus" &&
    python3 "$BENCH/corpus.py" lmtp "$W/corpus" ||
	die "corpus generation failed"
if [ "$SLOW_N" -gt 0 ]; then	# the same seed: the first SLOW_N messages
	python3 "$BENCH/corpus.py" gen --seed "$SEED" --n "$SLOW_N" "$W/prefix" ||
		die "corpus generation failed"
fi
if [ "$SMALL_N" -gt 0 ]; then
	python3 "$BENCH/corpus.py" gen --seed "$SEED" --n "$SMALL_N" --small \
	    "$W/small" && python3 "$BENCH/corpus.py" lmtp "$W/small" ||
		die "small corpus generation failed"
fi
if [ "$BIG_MIB" -gt 0 ]; then
	python3 "$BENCH/corpus.py" big --mib "$BIG_MIB" "$W/big" ||
		die "big message generation failed"
fi

# Password files: one for root's tools, one that getmail (run as nobody)
# can read.
PASS=$W/cfg/pass
printf '%s\n' "$DROP_PASS" > "$PASS" && chmod 600 "$PASS"
GPASS=$W/cfg/gpass
cp "$PASS" "$GPASS" || exit 1
[ "$(id -u)" = 0 ] && chown "$NOBODY_UID:$NOBODY_GID" "$GPASS"
# Directories getmail (as nobody) and fdm's fetch child (as its own
# unprivileged user) must get through.
chmod go+x "$W" "$W/cfg"
mkdir -p "$W/fdmtmp" && chmod 1777 "$W/fdmtmp"

. "$BENCH/peers.sh"

# What the report says about the machine and the versions measured.
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)), $(uname -sr), work space on $(findmnt -n -o FSTYPE -T "$W" 2>/dev/null || stat -f -c %T "$W")"
	echo "corpus: $N messages, seed $SEED; $REPS interleaved repetitions ($SLOW_REPS of the slow peers: getmail6, fetchmail, fdm$([ "$SLOW_N" -gt 0 ] && echo ", on the first $SLOW_N messages")); small-message corpus: $SMALL_N messages"
	echo "versions: mdrop $(mdrop-fetch --version 2>&1 | head -n 1 | awk '{print $NF}'),"\
	    "$(dpkg-query -W -f='${Package} ${Version}' fetchmail), $(dpkg-query -W -f='${Package} ${Version}' getmail6),"\
	    "$(dpkg-query -W -f='${Package} ${Version}' fdm), $(dpkg-query -W -f='${Package} ${Version}' mpop),"\
	    "$(dpkg-query -W -f='${Package} ${Version}' safecat), $(dpkg-query -W -f='${Package} ${Version}' dovecot-core)"
} > "$W/info.txt"

# --- one run ---------------------------------------------------------------
RUNS=$W/runs.tsv
: > "$RUNS"

# clear_box: empty the drop box (a failed run may leave messages).
clear_box() {
	find "$DROP_MAILDIR/new" "$DROP_MAILDIR/cur" "$DROP_MAILDIR/tmp" \
	    -type f -delete 2>/dev/null
}

# timed NAME CMD...: runs CMD under GNU time into $T.NAME (+ timeout).
timed() {
	_n=$1; shift
	/usr/bin/time -f '%e %U %S %M' -o "$T.$_n" timeout -k 10 "$LIMIT" "$@"
}

# run_case CASE REP CORPUS KIND: fill the box, run, verify, record.
run_case() {
	c=$1 rep=$2 corpus=$3 kind=$4
	T=$W/logs/$kind-$c-$rep
	O=$W/out/$c
	rm -rf "$W/out" "$W/spool" "$W/state" && mkdir -p "$O" "$W/state" &&
	    clear_box || return 1
	for u in $USERS postmaster; do
		rm -rf "$MAIL_ROOT/example.org/$u/Maildir"
	done
	usebox=yes
	case $c in ceil-disk-*|ceil-lmtp-*) usebox=no ;; esac
	if [ $usebox = yes ]; then
		python3 "$BENCH/corpus.py" fill "$corpus" "$DROP_MAILDIR" \
		    "$MAIL_UID" "$MAIL_GID" || return 1
	fi
	prepare_$(echo "$c" | tr '-' '_') "$O"
	sync
	_s=$(date +%s.%N)
	run_$(echo "$c" | tr '-' '_') "$O" >"$T.out" 2>"$T.err"
	_e=$(date +%s.%N)
	vroot=$O vargs=
	case $c in
	*-lmtp-*|ceil-tls-lmtp) vroot=$MAIL_ROOT ;;
	mpop-*|ceil-disk-*) vroot=$O/Maildir vargs=--single ;;
	esac
	[ $usebox = yes ] && vargs="$vargs --box $DROP_MAILDIR"
	case $c in
	ceil-pop3-*)
		if [ "$(dovecot_box_count)" = 0 ] &&
		    grep -q "^msgs=$(wc -l < "$corpus/MANIFEST") " "$T.out"; then
			v="correct=y box=0"
		else
			v="correct=n box=$(dovecot_box_count)"
		fi ;;
	*)
		# glibc's heap, not a fresh mmap, for each file python reads:
		# page faults on 1.7 GB of new mappings took 5 of its 8 s
		v=$(MALLOC_MMAP_THRESHOLD_=268435456 \
		    MALLOC_TRIM_THRESHOLD_=1073741824 \
		    python3 "$BENCH/verify.py" --corpus "$corpus" \
		    --root "$vroot" $vargs 2>"$T.verify") ;;
	esac
	# the combined ceiling: both halves moved every message (the box
	# empty and the Maildirs full are verify.py's)
	case $c in
	ceil-tls-lmtp)
		[ "$(grep -c "^msgs=$(wc -l < "$corpus/MANIFEST") " "$T.out")" = 2 ] ||
			v="correct=n short=$(tr '\n' ' ' < "$T.out")" ;;
	esac
	# One line: case rep kind wall, then per stage "name:exit:u:s:rss".
	_st=
	for f in "$T".*; do
		case $f in *.out|*.err|*.verify) continue ;; esac
		_x=0
		grep -q 'exited with non-zero status' "$f" &&
		    _x=$(sed -n 's/.*non-zero status \([0-9]*\).*/\1/p' "$f")
		grep -q 'terminated by signal' "$f" && _x=signal
		set -- $(tail -n 1 "$f")
		_st="$_st ${f##*.}:$_x:${1:-0}:${2:-0}:${3:-0}:${4:-0}"
	done
	# The verifier's first complaint, for the report's notes.
	_why=$(head -n 1 "$T.verify" 2>/dev/null | tr '\t' ' ' | cut -c1-300)
	_wall=$(awk "BEGIN { printf \"%.3f\", $_e - $_s }")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$rep" "$kind" \
	    "$_wall" "$v" "$_st" "$_why" >> "$RUNS"
	say "$kind $c rep $rep: $_wall s, $v"
}

selected() {
	set -f		# the patterns are for case, not for the file system
	for _p in $CASES; do
		# shellcheck disable=SC2254
		case $1 in $_p) set +f; return 0 ;; esac
	done
	set +f
	return 1
}

ALL="mdrop-md-plain mdrop-md-tls mdrop-md-stls mdrop-lmtp-tls mpop-plain
mpop-tls mpop-stls
fdm-plain fdm-tls fetchmail-plain fetchmail-tls fetchmail-lmtp-tls
getmail-plain getmail-tls ceil-pop3-plain ceil-pop3-tls ceil-pop3-stls
ceil-disk-msg
ceil-disk-batch ceil-lmtp-k2 ceil-lmtp-k4 ceil-lmtp-a4 ceil-tls-lmtp
mdrop-lmtp-deliver"
SMALL="mdrop-lmtp-small mdrop-lmtp-small-s1 mdrop-lmtp-small-s2
mdrop-lmtp-small-deliver
ceil-lmtp-small-k1 ceil-lmtp-small-k2 ceil-lmtp-small-k4 ceil-lmtp-small-a4
fetchmail-lmtp-small"
BIG="mdrop-md-tls mdrop-lmtp-tls mpop-tls fdm-tls fetchmail-tls getmail-tls"
# The slow peers would take most of a run at N = 5000 (getmail6 about 90 s
# a run on a quiet machine, fetchmail 40-80 s, fdm 40 s): BENCH_SLOW_REPS of them,
# on the corpus's first BENCH_SLOW_N messages (the same generator, so the
# same mix; their start-up is small next to their rate), so that the
# whole benchmark stays near 20 minutes on the 2-core machine.
SLOW="getmail-plain getmail-tls fetchmail-plain fetchmail-tls fetchmail-lmtp-tls
fdm-plain fdm-tls fetchmail-lmtp-small"

# slow CASE: CASE is one of the slow peers' (BENCH_SLOW_REPS runs only)
slow() {
	case " $(echo $SLOW) " in *" $1 "*) return 0 ;; esac
	return 1
}

rep=1
while [ $rep -le "$REPS" ]; do
	for c in $ALL; do
		if slow "$c"; then
			[ $rep -le "$SLOW_REPS" ] || continue
			if [ "$SLOW_N" -gt 0 ]; then
				selected "$c" && run_case "$c" "$rep" "$W/prefix" prefix
				continue
			fi
		fi
		selected "$c" && run_case "$c" "$rep" "$W/corpus" corpus
	done
	if [ "$SMALL_N" -gt 0 ]; then
		for c in $SMALL; do
			slow "$c" && [ $rep -gt "$SLOW_REPS" ] && continue
			selected "$c" && run_case "$c" "$rep" "$W/small" small
		done
	fi
	rep=$((rep + 1))
done
if [ "$BIG_MIB" -gt 0 ]; then
	for c in $BIG; do
		selected "$c" && run_case "$c" 1 "$W/big" big
	done
fi
dovecot_stop

bigarg=
[ "$BIG_MIB" -gt 0 ] && bigarg="--big $W/big"
[ "$SMALL_N" -gt 0 ] && bigarg="$bigarg --small $W/small"
[ "$SLOW_N" -gt 0 ] && bigarg="$bigarg --prefix $W/prefix"
python3 "$BENCH/report.py" --runs "$RUNS" --corpus "$W/corpus" $bigarg \
    --info "$W/info.txt" > "$W/report.md" &&
    cat "$W/report.md" > "$OUT" || die "report failed (runs: $RUNS)"
cat "$OUT"
say "written to $OUT"
