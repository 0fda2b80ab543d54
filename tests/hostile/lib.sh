# lib.sh: helpers for the hostile-input catalogue (tests/hostile/*.sh,
# run one by one by tests/integration/74-hostile*.t and tests/lib/hostile.sh).
#
# Each case is a small sh script named by what it attacks, with a header
#   # attack: what the hostile input or fault is
#   # expect: what mdrop must do (exit code, error naming the thing, ...)
# It sources this file, sets the scene under $H (a fresh directory of its
# own), runs the tool through `t` (a `timeout`: no case can hang), checks
# with `want`, and ends with `finish` (exit 0 only when every want held).
# Every case also checks that nothing was written outside the mail root
# and the spool (`outside_clean`) where a tool wrote files.
#
#   t CMD...             CMD under timeout (REL_CASE_TIMEOUT, default 20 s);
#                        stdout to $H/out, stderr to $H/err; RC its exit code
#   want DESC CMD...     CMD must succeed, else DESC is reported
#   want_rc N...         RC must be one of N...
#   want_err REGEX       $H/err holds a line matching REGEX (grep -E)
#   want_no_crash        RC < 124 (no signal, no timeout)
#   spool_msg NAME       stdin becomes $H/spool/new/NAME; prints its path
#   rec PATH RCPT [SENDER]  one record line
#   endrec PATH          the end line of PATH's group (DESIGN.md)
#   recs                 the record lines split wrote to $H/out; a group not
#                        ended by its end line, a stray end line or any other
#                        line shows up as an extra "UNENDED/STRAY-END/BAD"
#                        line, so every comparison with recs fails then
#   fake_pop3 OPTS...    start tests/lib/fake_pop3.py on $H/msgs (X.msg,
#                        X.uid, X.size); FAKE_PORT; stopped at exit
#   fetch_fake OPTS...   mdrop-fetch --tls none against it into $H/spool
#                        (--timeout 5: tight enough for stall cases, loose enough for a loaded CI machine), under t
#   pop3_sent REGEX      the fake POP3 server received a line matching REGEX
#   fake_lmtp OPTS...    start tests/lib/fake_lmtp.py; LMTP_EP (host:port),
#                        records in $H/lmtp; stopped at exit
#   mark                 remember "now" for outside_clean
#   outside_clean        no file under $H changed since `mark` except in
#                        $H/mail, $H/spool, $H/lmtp and the case's own logs
set -u
H=${CASEDIR:?CASEDIR not set}
TOP=${TOP:?TOP not set}
rm -rf "$H" && mkdir -p "$H/mail" "$H/msgs"
PATH=${MDROP_BIN:?}:$PATH
export PATH
H_FAIL=0
H_PIDS=
RC=0
export MDROP_PASSWORD=secret
trap 'for p in $H_PIDS; do kill "$p" 2>/dev/null; done' EXIT

t() {
	timeout -k 2 "${REL_CASE_TIMEOUT:-20}" "$@" >"$H/out" 2>"$H/err"
	RC=$?
}
want() {
	_d=$1; shift
	if ! "$@"; then
		echo "FAILED: $_d"
		H_FAIL=1
	fi
}
want_rc() {
	for _r in "$@"; do [ "$RC" = "$_r" ] && return 0; done
	echo "FAILED: exit code $RC, want one of: $*"
	echo "--- stderr:"; head -c 2000 "$H/err"; echo
	H_FAIL=1
}
want_err() {
	grep -Eq -- "$1" "$H/err" && return 0
	echo "FAILED: no log line matching /$1/"
	echo "--- stderr:"; head -c 2000 "$H/err"; echo
	H_FAIL=1
}
want_no_crash() {
	[ "$RC" -lt 124 ] && return 0
	echo "FAILED: crashed or hung (exit $RC)"
	H_FAIL=1
}
finish() { exit "$H_FAIL"; }

spool_msg() {
	mkdir -p "$H/spool/new" "$H/spool/tmp" "$H/spool/failed"
	chmod 700 "$H/spool"
	cat >"$H/spool/new/$1"
	echo "$H/spool/new/$1"
}
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "${3:-s@remote.test}"; }
endrec() { printf '%s\n' "$1"; }
recs() {
	awk -F'\t' '
	NF == 3 { if (open != "" && $1 != open) print "UNENDED " open
		open = $1; print; next }
	NF == 1 && $1 != "" { if ($1 != open) print "STRAY-END " $1
		open = ""; next }
	{ print "BAD " $0 }
	END { if (open != "") print "UNENDED " open }' "$H/out"
}

_wait_file() {
	_i=0
	while [ ! -s "$1" ] && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
	[ -s "$1" ]
}
fake_pop3() {
	python3 "$TOP/tests/lib/fake_pop3.py" --port-file "$H/pop3.port" \
	    --log "$H/pop3.log" --msgdir "$H/msgs" "$@" 2>"$H/pop3.err" &
	H_PIDS="$H_PIDS $!"
	_wait_file "$H/pop3.port" || { echo "FAILED: fake POP3 did not start"; exit 1; }
	FAKE_PORT=$(cat "$H/pop3.port")
}
fetch_fake() {
	t mdrop-fetch --tls none -h 127.0.0.1 -p "$FAKE_PORT" -u drop \
	    --timeout "${REL_FETCH_TIMEOUT:-5}" "$@" "$H/spool"
}
pop3_sent() { grep -Eq -- "^C: $1" "$H/pop3.log"; }
fake_lmtp() {
	mkdir -p "$H/lmtp"
	python3 "$TOP/tests/lib/fake_lmtp.py" --ready "$H/lmtp.ready" \
	    --record "$H/lmtp" "$@" 2>"$H/lmtp.err" &
	H_PIDS="$H_PIDS $!"
	_wait_file "$H/lmtp.ready" || { echo "FAILED: fake LMTP did not start"; exit 1; }
	LMTP_EP=127.0.0.1:$(cat "$H/lmtp.ready")
}
mark() { sleep 0.01; : >"$H/.mark"; }
outside_clean() {
	_bad=$(find "$H" -newer "$H/.mark" ! -type d ! -type p \
	    ! -path "$H/mail/*" ! -path "$H/spool/*" ! -path "$H/lmtp/*" \
	    ! -name out ! -name err ! -name '*.log' ! -name '*.err' \
	    ! -name '*.port' ! -name '*.ready' ! -name in ! -name '.mark' | head -5)
	[ -z "$_bad" ] && return 0
	echo "FAILED: written outside the mail root and spool: $_bad"
	H_FAIL=1
}
# records for split: nfiles DIR -> number of regular files below DIR
nfiles() { find "$1" -type f 2>/dev/null | wc -l | tr -d ' '; }
# crlf TEXT...: printf TEXT with every \n made \r\n (a POP3 server's store)
crlf() { printf "$@" | sed 's/$/\r/'; }
# want_spool NAME...: SPOOL/new holds exactly the messages $H/msgs/NAME.msg,
# each byte-exact as stored (CRLF -> LF; a final LF added when the server
# had to end the message), and SPOOL/tmp is empty
want_spool() {
	python3 - "$H" "$@" <<'PY' && return 0
import glob, os, sys
h, names = sys.argv[1], sys.argv[2:]
want = []
for n in names:
    data = open(os.path.join(h, "msgs", n + ".msg"), "rb").read()
    exp = data.replace(b"\r\n", b"\n")
    if not data.endswith(b"\r\n"):
        exp += b"\n"
    want.append(exp)
got = [open(f, "rb").read() for f in glob.glob(os.path.join(h, "spool/new/*"))]
tmp = os.listdir(os.path.join(h, "spool/tmp")) if os.path.isdir(os.path.join(h, "spool/tmp")) else []
if sorted(got) != sorted(want) or tmp:
    print("spool/new has %d files, want %d (byte-exact: %s); tmp=%r" % (
        len(got), len(want), sorted(got) == sorted(want), tmp))
    sys.exit(1)
PY
	echo "FAILED: spool content (want: $*)"
	H_FAIL=1
}
# want_no_dele: the fake POP3 server never got a DELE
want_no_dele() {
	pop3_sent 'DELE' || return 0
	echo "FAILED: DELE sent: $(grep '^C: DELE' "$H/pop3.log" | tr '\n' ' ')"
	H_FAIL=1
}
# lmtp_case N: N spool messages for alice, bob, carol (one each, in one
# group: the same message), records in $H/in; then deliver over LMTP
lmtp_three() {
	LP=$(printf 'Subject: lmtp\n\nbody\n' | spool_msg 1.M1P1.h)
	{ rec "$LP" alice@example.org; rec "$LP" bob@example.org; rec "$LP" carol@example.org; endrec "$LP"; } >"$H/in"
}
deliver_lmtp() { t sh -c "mdrop-deliver -l '$LMTP_EP' $* <'$H/in'"; }
# results: "rcpt:state ..." from deliver's stdout
results() { cut -f2,3 "$H/out" | tr '\t\n' ': '; }
