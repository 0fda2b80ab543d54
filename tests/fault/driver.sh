# driver.sh: run the whole pipeline against the private Dovecot, with or
# without a fault, and check that nothing was lost. Sourced by the
# reliability tests (tests/integration/7*-*.t) after tap.sh and dovecot.sh:
#
#   . "$TOP/tests/fault/driver.sh"
#   rel_setup N            start Dovecot (once), write an N-message corpus
#   rel_reset              empty spool, mail root and drop box; refill the box
#   rel_run TAG [VAR=VALUE...]
#                          mdrop-fetch | mdrop-split | mdrop-deliver -m, each
#                          under `timeout`, with VAR=VALUE exported to all
#                          three (LD_PRELOAD=$REL_SHIM FAULT_...=...); exit
#                          codes in $RC_FETCH $RC_SPLIT $RC_DELIVER, logs in
#                          $REL_RUN/TAG.{fetch,split,deliver}.err, results in
#                          $REL_RUN/TAG.out
#   rel_spawn TAG [VAR=VALUE...]
#                          the same in the background in its own session:
#                          kill -9 -$REL_PGID kills the whole pipeline
#   rel_invariant          0 when: every (message, recipient) of the corpus is
#                          exactly once, byte-exact, in its Maildir; the box,
#                          SPOOL/new and SPOOL/tmp are empty. Why not in
#                          $REL_WHY. rel_invariant --partial: mid-way
#                          (after a failed run): no duplicate, and each
#                          message not delivered yet is still on the server
#                          or in SPOOL/new.
#   rel_failed_ok TAG      0 when every stage of run TAG that failed exited
#                          with a sysexits code (64..78; 137 where the fault
#                          was a SIGKILL) and logged an error/warning line
#                          naming why. Why not in $REL_WHY.
#   rel_count CALL PROG    how many CALLs PROG makes in a clean run (from a
#                          counting run with FAULT_COUNT).
#
# Environment it sets: REL_DIR (work dir), REL_SPOOL, REL_MAIL, REL_CORPUS,
# REL_SHIM (the faultshim), REL_LMTP=1 to deliver over LMTP into Dovecot
# instead (then the check is "at least once" and counts duplicates).

REL_DIR=$TESTDIR/rel
REL_SPOOL=$REL_DIR/spool
REL_MAIL=$REL_DIR/mail
REL_CORPUS=$REL_DIR/corpus
REL_RUN=$REL_DIR/runs
REL_SHIM=${MDROP_SHIMS:-$TOP/obj/tests}/faultshim.so
REL_PY=$TOP/tests/fault/rel.py
REL_TIMEOUT=${REL_TIMEOUT:-60}
REL_LMTP=${REL_LMTP:-0}
export REL_SPOOL REL_MAIL REL_RUN REL_TIMEOUT REL_LMTP

rel_setup() {
	[ -f "$REL_SHIM" ] || { echo "Bail out! $REL_SHIM not built (make testbins)"; exit 1; }
	if [ -z "${DOVECOT_PID:-}" ]; then
		dovecot_start "$TESTDIR/dovecot" >/dev/null 2>&1 ||
			{ echo "Bail out! $DOVECOT_ERROR"; exit 1; }
	fi
	export POP3_PORT DROP_USER DOVECOT_DIR LMTP_SOCKET
	mkdir -p "$REL_RUN"
	rm -rf "$REL_CORPUS"
	python3 -S "$REL_PY" corpus "$REL_CORPUS" "$1" ||
		{ echo "Bail out! cannot write the corpus"; exit 1; }
}

rel_reset() {
	rm -rf "$REL_SPOOL" "$REL_MAIL"
	mkdir -p "$REL_MAIL"
	if [ "$REL_LMTP" = 1 ]; then
		for u in $DOVECOT_USERS; do
			find "$MAIL_ROOT/example.org/$u/Maildir" -type f \
			    \( -path '*/new/*' -o -path '*/cur/*' \) -delete 2>/dev/null
		done
	fi
	python3 -S "$REL_PY" fill "$REL_CORPUS" "$DROP_MAILDIR" "$MAIL_UID" "$MAIL_GID"
}

rel_run() {
	sh "$TOP/tests/fault/pipeline.sh" "$@"
	RC_FETCH=$(cat "$REL_RUN/$1.fetch.rc")
	RC_SPLIT=$(cat "$REL_RUN/$1.split.rc")
	RC_DELIVER=$(cat "$REL_RUN/$1.deliver.rc")
}

# rel_spawn TAG [VAR=VALUE...]: the same in the background, in a session of
# its own; REL_PGID is its process group (kill -9 -$REL_PGID stops it all).
rel_spawn() {
	setsid sh "$TOP/tests/fault/pipeline.sh" "$@" &
	REL_PGID=$!
}

# rel_pending: messages not yet delivered (on the server or in SPOOL/new).
rel_pending() {
	echo $(( $(ls "$DROP_MAILDIR/new" "$DROP_MAILDIR/cur" | grep -c '^[0-9]') +
	    $(ls "$REL_SPOOL/new" 2>/dev/null | wc -l) ))
}

# rel_kill_run TAG DELAY: a pipeline run killed with SIGKILL (the whole
# process group) after DELAY seconds; returns once every process of it is
# gone. A stage that ended by itself before the kill must not have failed
# for any other reason than its neighbour's death or a transient lock:
# such exits are added to $REL_BAD as "TAG:STAGE=RC".
rel_kill_run() {
	rel_spawn "$1"
	sleep "$2"
	kill -9 -"$REL_PGID" 2>/dev/null
	wait "$REL_PGID" 2>/dev/null
	_n=0
	while ps -o stat= -g "$REL_PGID" | grep -qv '^Z' && [ $_n -lt 50 ]; do
		sleep 0.1; _n=$((_n + 1))
	done
	for _st in fetch split deliver; do
		[ -f "$REL_RUN/$1.$_st.rc" ] || continue
		_rc=$(cat "$REL_RUN/$1.$_st.rc")
		case $_rc in ''|0|7[45]|137|141) ;;	# '': killed before the echo
		*) REL_BAD="$REL_BAD $1:$_st=$_rc" ;; esac
	done
}

# rel_strace DIR SYSCALLS: one pipeline run "traced" under
# `strace -f -ff -y` into DIR/tr.PID, tracing SYSCALLS (comma-separated),
# for tests/lib/strace-check.py; sets RC_FETCH, RC_SPLIT, RC_DELIVER.
rel_strace() {
	mkdir -p "$1"
	# LeakSanitizer cannot run under ptrace (the ASan run of the suite)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    strace -f -ff -o "$1/tr" -s 65535 -y -e trace="$2" \
	    sh "$TOP/tests/fault/pipeline.sh" traced 2>"$REL_DIR/strace.err"
	RC_FETCH=$(cat "$REL_RUN/traced.fetch.rc")
	RC_SPLIT=$(cat "$REL_RUN/traced.split.rc")
	RC_DELIVER=$(cat "$REL_RUN/traced.deliver.rc")
}

# rel_mutate NAME FILE RULE EDIT: the trace in $T with FILE changed by
# the function EDIT (it gets the copy's path) must make $CHECK report RULE.
rel_mutate() {
	rm -rf "$T.m" && cp -R "$T" "$T.m"
	_f="$T.m/$(basename "$2")"
	"$4" "$_f"
	if cmp -s "$_f" "$2"; then
		fail "$1: the edit changed the trace" "$4 changed nothing"
		return
	fi
	_o=$($CHECK "$T.m/tr" "$REL_RUN/traced.out"); _c=$?
	if [ "$_c" = 1 ] && printf '%s\n' "$_o" | grep -q "^violation $3: "; then
		pass "$1: caught as $3"
	else
		fail "$1: caught as $3" "exit $_c" "$_o"
	fi
}

rel_invariant() {
	REL_WHY=
	_part=
	[ "${1:-}" = --partial ] && _part=--partial
	_lm=
	_root=$REL_MAIL
	[ "$REL_LMTP" = 1 ] && { _lm=--lmtp; _root=$MAIL_ROOT; }
	# shellcheck disable=SC2086
	_c=$(python3 -S "$REL_PY" check "$REL_CORPUS" "$_root" $_lm $_part \
	    --box "$DROP_MAILDIR" --spool "$REL_SPOOL") || REL_WHY="$_c"
	REL_SUMMARY=$(printf '%s\n' "$_c" | sed -n 's/^summary: //p')
	[ -z "$REL_WHY" ]
}

# _rel_stage_ok TAG TOOL RC KILLED
_rel_stage_ok() {
	case $3 in
	0) return 0 ;;
	6[4-9]|7[0-8]) ;;
	137) [ "$4" = 1 ] && return 0 ;;	# the fault was SIGKILL
	141) [ "$4" = 1 ] && return 0 ;;	# SIGPIPE after a killed neighbour
	*) REL_WHY="$REL_WHY $2 exit $3 is no sysexits code"; return 1 ;;
	esac
	grep -q "^mdrop-$2: \(error\|warning\): " "$REL_RUN/$1.$2.err" && return 0
	REL_WHY="$REL_WHY $2 exit $3 without an error line"
	return 1
}

rel_failed_ok() {
	REL_WHY=
	_k=${2:-0}
	_rel_stage_ok "$1" fetch "$RC_FETCH" "$_k"
	_rel_stage_ok "$1" split "$RC_SPLIT" "$_k"
	_rel_stage_ok "$1" deliver "$RC_DELIVER" "$_k"
	[ -z "$REL_WHY" ]
}

rel_count() {
	rm -f "$REL_RUN/count"
	rel_reset
	rel_run count LD_PRELOAD="$REL_SHIM" FAULT_CALL="$1" FAULT_PROG="$2" \
	    FAULT_COUNT="$REL_RUN/count"
	awk -v p="$2" '$1 == p { n += $3 } END { print n + 0 }' "$REL_RUN/count"
}
