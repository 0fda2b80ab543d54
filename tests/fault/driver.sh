# driver.sh: run the whole pipeline against the private Dovecot, with or
# without a fault, and check that nothing was lost. Sourced by the
# reliability tests (tests/integration/7*-*.t) after tap.sh and dovecot.sh:
#
#   . "$TOP/tests/fault/driver.sh"
#   rel_setup N [ID:COUNT,...]
#                          start Dovecot (once), write an N-message corpus
#                          (message ID with COUNT recipients: rel.py corpus)
#   rel_reset              empty spool, mail root and drop box; refill the box
#   rel_run TAG [VAR=VALUE...]
#                          mdrop-fetch | mdrop-split | mdrop-deliver -m, each
#                          under `timeout`, with VAR=VALUE exported to all
#                          three (LD_PRELOAD=$REL_SHIM FAULT_...=...); exit
#                          codes in $RC_FETCH $RC_SPLIT $RC_DELIVER, logs in
#                          $REL_RUN/TAG.{fetch,split,deliver}.err, results in
#                          $REL_RUN/TAG.out
#   rel_kill_loop N SEED A B
#                          N runs SIGKILLed (the whole pipeline) at seeded
#                          points of their progress, each one going on from
#                          where the last stood (HOSTILE.md 63); see below
#   rel_kill_checks SEED   its TAP checks: every kill landed on work
#   rel_clean_run          the clean run after the kills (TAP), retried on
#                          a transient exit 75
#   rel_stage_loop N SEED  N runs, each with exactly one stage SIGKILLed
#                          (tests/fault/stagekill.py); rel_stage_checks:
#                          its TAP checks
#   rel_left               deliveries of the corpus not made yet
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
# the interpreter itself: a version manager's shim costs a second a call
# on a loaded machine, and the kill loops make two calls per kill
REL_PYTHON=${REL_PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}
REL_KILLER=$TOP/tests/fault/killer.py
REL_TIMEOUT=${REL_TIMEOUT:-60}
REL_LMTP=${REL_LMTP:-0}
export REL_SPOOL REL_MAIL REL_CORPUS REL_RUN REL_TIMEOUT REL_LMTP

rel_setup() {
	[ -f "$REL_SHIM" ] || { echo "Bail out! $REL_SHIM not built (make testbins)"; exit 1; }
	if [ -z "${DOVECOT_PID:-}" ]; then
		# LMTP files alice+shop@ into alice's folder shop, as deliver
		# -m --delimiter + --detail-folder does (pipeline.sh)
		DOVECOT_DELIMITER=+ DOVECOT_DETAIL_MAILBOX=yes \
		    dovecot_start "$TESTDIR/dovecot" >/dev/null 2>&1 ||
			{ echo "Bail out! $DOVECOT_ERROR"; exit 1; }
	fi
	export POP3_PORT DROP_USER DOVECOT_DIR LMTP_SOCKET
	mkdir -p "$REL_RUN"
	rm -rf "$REL_CORPUS"
	"$REL_PYTHON" -S "$REL_PY" corpus "$REL_CORPUS" "$@" ||
		{ echo "Bail out! cannot write the corpus"; exit 1; }
}

rel_reset() {
	rm -rf "$REL_SPOOL" "$REL_MAIL"
	# alice made a folder for her subaddress alice+shop@ (rel.py)
	_shop=example.org/alice/Maildir/.shop
	mkdir -p "$REL_MAIL/$_shop/new" "$REL_MAIL/$_shop/cur" "$REL_MAIL/$_shop/tmp"
	if [ "$REL_LMTP" = 1 ]; then
		for u in $DOVECOT_USERS; do
			find "$MAIL_ROOT/example.org/$u/Maildir" -type f \
			    \( -path '*/new/*' -o -path '*/cur/*' \) -delete 2>/dev/null
		done
		mkdir -p "$MAIL_ROOT/$_shop/new" "$MAIL_ROOT/$_shop/cur" \
		    "$MAIL_ROOT/$_shop/tmp"
		chown -R "$MAIL_UID:$MAIL_GID" "$MAIL_ROOT/example.org/alice"
	fi
	"$REL_PYTHON" -S "$REL_PY" fill "$REL_CORPUS" "$DROP_MAILDIR" "$MAIL_UID" "$MAIL_GID"
}

rel_run() {
	sh "$TOP/tests/fault/pipeline.sh" "$@"
	RC_FETCH=$(cat "$REL_RUN/$1.fetch.rc")
	RC_SPLIT=$(cat "$REL_RUN/$1.split.rc")
	RC_DELIVER=$(cat "$REL_RUN/$1.deliver.rc")
}

# _rel_root: the mail root the deliveries go to.
_rel_root() {
	if [ "$REL_LMTP" = 1 ]; then echo "$MAIL_ROOT"; else echo "$REL_MAIL"; fi
}

rel_left() {
	"$REL_PYTHON" -S "$REL_PY" left "$REL_CORPUS" "$(_rel_root)"
}

# rel_kill_run TAG COUNTER...: a pipeline run, SIGKILLed as a whole
# process group by tests/fault/killer.py once one of its COUNTERs (killer
# options: --at N DIR..., --gone N DIR...) has reached its N; returns once
# every process of it is gone, with killer.py's line in REL_KILL ("killed
# ..." or "ended ...") and the deliveries still to make in REL_LEFT. A
# stage that ended by itself before the kill must not have failed for
# any other reason than its neighbour's death or a transient lock: such
# exits are added to $REL_BAD as "TAG:STAGE=RC".
rel_kill_run() {
	_tag=$1; shift
	REL_KILL=$("$REL_PYTHON" -S "$REL_KILLER" --left "$REL_CORPUS" "$(_rel_root)" \
	    "$@" -- sh "$TOP/tests/fault/pipeline.sh" "$_tag" </dev/null)
	REL_LEFT=${REL_KILL##* }
	for _st in fetch split deliver; do
		[ -f "$REL_RUN/$_tag.$_st.rc" ] || continue
		_rc=$(cat "$REL_RUN/$_tag.$_st.rc")
		case $_rc in ''|0|7[45]|137|141) ;;	# '': killed before the echo
		*) REL_BAD="$REL_BAD $_tag:$_st=$_rc" ;; esac
	done
}

# rel_kill_loop N SEED A B: N runs, each SIGKILLed at a point of its own
# progress, not of time, so that every kill lands on work in progress on
# a fast machine, a slow one (ASan) or a loaded one alike. Before each run
# W deliveries are still to make (rel_left): the run cannot end before it
# has begun W more copies in the recipients' Maildirs (files in tmp/ or
# new/; Dovecot's over LMTP), then committed them. So a kill once it has
# begun C <= max(W/2, W - 32) copies lands on a live run by construction:
# after the look that decided it (looks are milliseconds apart) the run
# still has at least W/2 or 32 copies to make and commit, tens of
# milliseconds even on a fast disk. Each kill draws (awk srand(SEED)) its
# kind and point: with probability A early, at C = 1 + u*min(12, W/8), or
# after R = 1 + u*12 messages fetch began in SPOOL/tmp (login, the first
# RETRs and copies; with a backlog in the spool, deliver busy while fetch
# logs in); with probability B - A after the first commits, at
# C = 1 + u*W/4; else deep into the run, at C = W/4 + u*(max - W/4)
# (later batches), or at the first message the server expunges from the
# box (fetch's QUIT) if that comes first: deliver still has work then, so
# that kill is on a live run too. A run that ends by itself first (fetch
# 75 while the killed session still holds the box) is no kill: it is
# counted in REL_ENDED and started again with a fresh point, at most 3
# times per kill.
# Sets REL_BAD (rel_kill_run), REL_LANDED (kills that hit a live run and
# left deliveries to make), REL_MISSED (the other kills, and why),
# REL_ENDED; one line per run in $REL_DIR/kills.
rel_kill_loop() {
	awk -v n="$1" -v s="$2" -v a="$3" -v b="$4" 'BEGIN { srand(s)
	    for (i = 0; i < n; i++) {
		k = rand(); printf "%s %d\n", k < a ? "A" : k < b ? "B" : "C", rand() * 10000 } }' \
	    >"$REL_DIR/schedule"
	REL_BAD=; REL_LANDED=0; REL_MISSED=; REL_ENDED=0
	: >"$REL_DIR/kills"
	_md="$(_rel_root)/example.org/*/Maildir"	# patterns for killer.py
	_k=0; _r=0; _w=$(rel_left)
	while read -r _c _u; do
		_k=$((_k + 1)); _try=0
		while [ $_try -lt 3 ]; do
			_try=$((_try + 1)); _r=$((_r + 1))
			_cap=$((_w / 2 > _w - 32 ? _w / 2 : _w - 32))
			case $_c in
			A) _t=$((_w / 8 < 12 ? _w / 8 : 12)); _t=$((1 + _u * _t / 10000)) ;;
			B) _t=$((1 + _u * (_w / 4) / 10000)) ;;
			*) _t=$((_w / 4 + _u * (_cap - _w / 4) / 10000)) ;;
			esac
			[ $_t -le $_cap ] || _t=$_cap
			set -- --at "$_t" "$_md/tmp" "$_md/new"
			_d="$_t copies"
			case $_c in
			A) set -- "$@" --at $((1 + _u * 12 / 10000)) "$REL_SPOOL/tmp"
			   _d="$_d or $6 fetched" ;;
			C) set -- "$@" --gone 1 "$DROP_MAILDIR/new" "$DROP_MAILDIR/cur"
			   _d="$_d or QUIT" ;;
			esac
			rel_kill_run "k$_r" "$@"
			echo "kill $_k ($_c) run k$_r: $_w deliveries left; at $_d: $REL_KILL left" >>"$REL_DIR/kills"
			_w=$REL_LEFT
			case $REL_KILL in
			killed*) break ;;
			*) REL_ENDED=$((REL_ENDED + 1)) ;;
			esac
		done
		case $REL_KILL in
		killed*) if [ "$_w" -gt 0 ]; then REL_LANDED=$((REL_LANDED + 1))
			else REL_MISSED="$REL_MISSED k$_r:nothing-left"; fi ;;
		*) REL_MISSED="$REL_MISSED kill$_k:no-live-run" ;;
		esac
	done <"$REL_DIR/schedule"
}

# rel_kill_checks SEED: after rel_kill_loop, the loop's own checks (TAP):
# no stage failed with an unexpected code, and every kill landed on a
# live run that still had deliveries to make; what each run did, and where
# the loop left things, as diagnostics.
rel_kill_checks() {
	_n=$(wc -l <"$REL_DIR/schedule")
	diag "seed $1: $(cat "$REL_DIR/kills")"
	is "$REL_BAD" "" "$_n kills: no stage failed with an unexpected exit code"
	diag "after the kills: $(find "$DROP_MAILDIR/new" "$DROP_MAILDIR/cur" -type f | wc -l) messages still on the server, $(find "$REL_SPOOL/new" -type f | wc -l) in SPOOL/new, $(rel_left) deliveries to make; $REL_ENDED runs ended by themselves before their target; $(grep -c 'pop3(.*Disconnected: Logged out' "$DOVECOT_LOG") sessions reached QUIT"
	ok "$REL_LANDED of $_n kills landed on a live run and left deliveries to make (all)" \
	    test "$REL_LANDED" = "$_n"
	[ -z "$REL_MISSED" ] || diag "missed:$REL_MISSED"
}

# rel_clean_run: the clean run after a kill loop (TAP: every stage exits
# 0). A mailbox still locked by a killed session's server side is a
# transient [IN-USE] (fetch exit 75; over LMTP deliver's too), so up to
# three tries.
rel_clean_run() {
	_try=1
	rel_run clean1
	while [ $_try -lt 3 ] && { [ "$RC_FETCH" = 75 ] ||
	    { [ "$REL_LMTP" = 1 ] && [ "$RC_DELIVER" = 75 ]; }; }; do
		sleep 1
		_try=$((_try + 1))
		rel_run "clean$_try"
	done
	is "$RC_FETCH $RC_SPLIT $RC_DELIVER" "0 0 0" "clean run after the kills: every stage exits 0 (try $_try)"
}

# rel_stage_loop N SEED: after rel_reset, N runs of the pipeline with
# exactly one stage (fetch, split or deliver) SIGKILLed in each, at seeded
# points of that stage's progress (tests/fault/stagekill.py, which fills
# the box itself, holding back the wide messages and some spare ones,
# and puts them all in at the end). Sets REL_STAGE (its summary:
# kills=... landed=... fetch=... split=... deliver=... mid=... cut300=...
# lines75=... pipe65=... ended=... runs=... released=...) and REL_STAGE_BAD
# (its problems, one a line); one line per run in $REL_DIR/stagekills.
rel_stage_loop() {
	: >"$REL_DIR/stagekills"
	_o=$("$REL_PYTHON" -S "$TOP/tests/fault/stagekill.py" "$1" "$2" \
	    "$REL_CORPUS" "$DROP_MAILDIR" "$MAIL_UID" "$MAIL_GID" \
	    "$REL_DIR/stagekills" </dev/null) ||
		{ echo "Bail out! stagekill.py failed"; exit 1; }
	REL_STAGE=$(printf '%s\n' "$_o" | sed -n 's/^summary: //p')
	REL_STAGE_BAD=$(printf '%s\n' "$_o" | sed -n 's/^bad: //p')
}

# _rel_stage N: the number N= in REL_STAGE
_rel_stage() {
	printf '%s\n' "$REL_STAGE" | sed -n "s/.*\\<$1=\\([0-9]*\\).*/\\1/p"
}

# rel_stage_checks SEED: rel_stage_loop's own checks (TAP).
rel_stage_checks() {
	diag "seed $1: $(cat "$REL_DIR/stagekills")"
	diag "$REL_STAGE"
	_n=$(_rel_stage kills)
	is "$REL_STAGE_BAD" "" "$_n runs with one stage killed: every survivor's exit code as DESIGN.md says, no copy twice, nothing lost mid-way"
	is "$(_rel_stage landed)" "$_n" "each of the $_n kills hit its stage alive (it died of the SIGKILL)"
	for _s in fetch split deliver; do
		ok "$_s was killed alone $(_rel_stage $_s) times" test "$(_rel_stage $_s)" -ge 1
	done
	ok "split was killed inside the 300-recipient group: deliver kept the file, logged group-incomplete, did not exit 0" \
	    test "$(_rel_stage cut300)" -ge 1
	ok "a cut after a whole record (a line filter after split): deliver exit 75, $(_rel_stage lines75) times" \
	    test "$(_rel_stage lines75)" -ge 1
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
	[ "$REL_LMTP" = 1 ] && _lm=--lmtp
	# shellcheck disable=SC2086
	_c=$("$REL_PYTHON" -S "$REL_PY" check "$REL_CORPUS" "$(_rel_root)" $_lm $_part \
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
