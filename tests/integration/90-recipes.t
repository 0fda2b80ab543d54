#!/bin/sh
# The operator recipes in doc/examples, each exercised for real where it
# can be: mdrop-pipeline and its config against the private Dovecot
# (delivery, exit codes of a failing stage, a bad config); the daemontools,
# runit and s6 run files started with their --interval pipeline until a
# message is delivered, then stopped by SIGTERM to their process group;
# their log/run files fed a line through the real multilog and s6-log;
# the cron line and the systemd oneshot's ExecStart run as written; the
# systemd units through `systemd-analyze verify` plus a strict key check;
# the Dovecot snippet through `doveconf -c` on a generated config.
# Privilege drops (setuidgid, chpst, s6-setuidgid) are stubs that record
# the user and exec the rest: the test must not need system users.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/dovecot.sh"

EX=$TOP/doc/examples
BIN=$TESTDIR/bin
mkdir -p "$BIN"

# --- syntax of every shell script ---------------------------------------------
for f in mdrop-pipeline demo.sh demo-corpus.sh daemontools/run \
    daemontools/log/run runit/run runit/log/run; do
	ok "sh -n $f" sh -n "$EX/$f"
	ok "$f is executable" test -x "$EX/$f"
done
for f in s6/mdrop/run s6/mdrop/log/run; do
	is "$(head -n 1 "$EX/$f")" "#!/bin/execlineb -P" "$f is an execline script"
	ok "$f is executable" test -x "$EX/$f"
done

# --- the test's /usr/local/bin and stubs --------------------------------------
for t in fetch split deliver; do
	ln -s "$MDROP_BIN/mdrop-$t" "$BIN/mdrop-$t"
done
cp "$EX/mdrop-pipeline" "$BIN/mdrop-pipeline"
for s in setuidgid s6-setuidgid; do
	cat > "$BIN/$s" <<EOF
#!/bin/sh
# stub: $s USER PROG...: note the user, run PROG as ourselves
echo "$s \$1" >> "$TESTDIR/drops"
shift
exec "\$@"
EOF
done
cat > "$BIN/chpst" <<EOF
#!/bin/sh
# stub: chpst -u USER PROG...
[ "\$1" = -u ] || { echo "chpst stub: want -u, got \$1" >&2; exit 100; }
echo "chpst \$2" >> "$TESTDIR/drops"
shift 2
exec "\$@"
EOF
cat > "$BIN/logger" <<EOF
#!/bin/sh
# stub: logger -t TAG: stdin into a file, one line per log line
[ "\$1" = -t ] || { echo "logger stub: want -t, got \$1" >&2; exit 100; }
sed "s/^/\$2: /" >> "$TESTDIR/syslog"
EOF
for f in "$BIN"/*; do	# the stubs: the tools are symlinks to someone else's files
	[ -L "$f" ] || chmod 755 "$f"
done
PATH=$BIN:$PATH

# recipe FILE: a copy of FILE with the installed paths pointing here.
recipe() {
	sed -e "s|/usr/local/bin|$BIN|g" -e "s|/etc/mdrop/mdrop.conf|$CONF|g" \
	    -e "s|/var/log/mdrop|$TESTDIR/log|g" "$EX/$1"
}

# --- Dovecot, the config, and test messages ---------------------------------------
if ! dovecot_start; then
	echo "Bail out! $DOVECOT_ERROR"
	exit 1
fi
MAILDIRS=$TESTDIR/mail
mkdir -p "$MAILDIRS"
CONF=$TESTDIR/mdrop.conf
# The shipped config with the ISP and delivery pointed at the test.
sed -e "s|^MDROP_HOST=.*|MDROP_HOST=localhost|" \
    -e "s|^MDROP_USER=.*|MDROP_USER=$DROP_USER|" \
    -e "s|^MDROP_PASSWORD_FILE=.*|MDROP_PASSWORD_FILE=$DOVECOT_DIR/drop.pass|" \
    -e "s|^MDROP_FETCH_OPTS=.*|MDROP_FETCH_OPTS=\"--port $POP3S_PORT --cafile $CA_FILE\"|" \
    -e "s|^MDROP_SPOOL=.*|MDROP_SPOOL=$TESTDIR/spool|" \
    -e "s|^MDROP_DELIVER_OPTS=.*|MDROP_DELIVER_OPTS=\"--maildir $MAILDIRS/%d/%l/Maildir\"|" \
    "$EX/mdrop.conf" > "$CONF"
is "$(grep -c '^MDROP_' "$CONF")" "$(grep -c '^MDROP_' "$EX/mdrop.conf")" \
    "test config has every setting of the shipped one"
ok "shipped config reads X-Original-To for example.org" \
    grep -qx 'MDROP_HEADER=X-Original-To' "$CONF"
export MDROP_CONF="$CONF"

# put TAG RCPT: one message for RCPT (X-Original-To) into the drop box;
# its file is $TESTDIR/msg.TAG
put() {
	{
		printf 'Return-Path: <sender@remote.example>\n'
		[ -n "$2" ] && printf 'X-Original-To: %s\n' "$2"
		printf 'Delivered-To: drop@isp.test\n'
		printf 'Received: from remote.example by mx.isp.test; 1 Mar 2026 10:00:00 +0100\n'
		printf 'From: sender@remote.example\nTo: list@lists.example.net\n'
		printf 'Subject: recipe %s\n\nbody of %s\n' "$1" "$1"
	} > "$TESTDIR/msg.$1"
	dovecot_put "$TESTDIR/msg.$1" >/dev/null
}
# where TAG: the addresses (local@domain, sorted) whose Maildir holds the
# message TAG, checked byte-exact (the file ends with the message).
where() {
	size=$(wc -c < "$TESTDIR/msg.$1")
	grep -rlx "Subject: recipe $1" "$MAILDIRS" 2>/dev/null | sort |
	while IFS= read -r f; do
		if tail -c "$size" "$f" | cmp -s - "$TESTDIR/msg.$1"; then
			r=${f#"$MAILDIRS"/}; d=${r%%/*}; r=${r#*/}
			echo "${r%%/*}@$d"
		else
			echo "CORRUPT:$f"
		fi
	done | sort | tr '\n' ' ' | sed 's/ $//'
}
# wait_for TAG WANT: up to 20 s for the message to be where WANT says.
wait_for() {
	_i=0
	while [ $_i -lt 200 ]; do
		[ "$(where "$1")" = "$2" ] && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

# --- mdrop-pipeline, once (what cron and the timer run) -----------------------------
put p1 alice@example.org
put p2 BOB@Example.ORG
put p3 ""
put p4 someone@elsewhere.example
mdrop-pipeline > "$TESTDIR/p.out" 2> "$TESTDIR/p.err"
is "$?" 0 "mdrop-pipeline: one poll exits 0"
is "$(where p1)" "alice@example.org" "mdrop-pipeline: X-Original-To alice -> alice"
is "$(where p2)" "bob@example.org" "mdrop-pipeline: BOB@Example.ORG -> bob's Maildir"
is "$(where p3)" "postmaster@example.org" "mdrop-pipeline: no envelope header -> fallback"
is "$(where p4)" "postmaster@example.org" "mdrop-pipeline: foreign recipient -> fallback"
is "$(dovecot_box_count)" 0 "mdrop-pipeline: drop box emptied"
is "$(ls "$TESTDIR/spool/new" | wc -l | tr -d ' ')" 0 "mdrop-pipeline: spool new/ empty"
is "$(cut -f3 "$TESTDIR/p.out" | sort | uniq -c | tr -s ' ')" " 4 ok" \
    "mdrop-pipeline: four result lines on stdout, all ok"
ok "mdrop-pipeline: no stage-failed line" sh -c "! grep -q stage-failed '$TESTDIR/p.err'"

# A refused password: fetch's 77 must reach the caller (cron, systemd).
sed "s|^MDROP_PASSWORD_FILE=.*|MDROP_PASSWORD_FILE=$TESTDIR/wrong.pass|" "$CONF" > "$TESTDIR/bad.conf"
echo not-the-password > "$TESTDIR/wrong.pass"
put p5 carol@example.org
MDROP_CONF=$TESTDIR/bad.conf mdrop-pipeline > /dev/null 2> "$TESTDIR/bad.err"
is "$?" 77 "mdrop-pipeline: wrong password -> exit 77 (fetch's code)"
ok "mdrop-pipeline: says which tool failed" \
    grep -q 'mdrop-pipeline: error: stage-failed tool=mdrop-fetch exit=77' "$TESTDIR/bad.err"
is "$(dovecot_box_count)" 1 "mdrop-pipeline: nothing taken with the wrong password"

MDROP_CONF=$TESTDIR/nonexistent mdrop-pipeline 2> "$TESTDIR/nc.err"
is "$?" 78 "mdrop-pipeline: missing config -> exit 78"
ok "mdrop-pipeline: names the config" grep -q "path=$TESTDIR/nonexistent" "$TESTDIR/nc.err"
grep -v '^MDROP_DOMAINS=' "$CONF" > "$TESTDIR/nodom.conf"
MDROP_CONF=$TESTDIR/nodom.conf mdrop-pipeline 2> "$TESTDIR/nd.err"
is "$?" 78 "mdrop-pipeline: config without MDROP_DOMAINS -> exit 78"
ok "mdrop-pipeline: names the missing key" grep -q 'key=MDROP_DOMAINS' "$TESTDIR/nd.err"

# --- cron: the job line as cron would run it ---------------------------------------------
cron=$EX/cron/mdrop
jobs=$(grep -v '^#' "$cron" | grep -v '^$' | grep -v '^[A-Z_]*=')
is "$(printf '%s\n' "$jobs" | wc -l | tr -d ' ')" 1 "cron: one job line"
set -f
set -- $jobs
set +f
ok "cron: five time fields" sh -c 'for f; do case $f in
    *[!0-9*/,-]*) exit 1;; esac; done' x "$1" "$2" "$3" "$4" "$5"
is "$6" mdrop "cron: runs as user mdrop (cron.d format)"
cmd=$(printf '%s\n' "$jobs" | sed 's/^\([^ ]* *\)\{6\}//')
ok "cron: command is valid sh" sh -n -c "$cmd"
for v in SHELL PATH MDROP_CONF; do
	ok "cron: sets $v" grep -q "^$v=" "$cron"
done
: > "$TESTDIR/syslog"
# shellcheck disable=SC2046 # the file's VAR=value lines, as cron sets them
(cd "$TESTDIR" && env $(recipe cron/mdrop | grep '^[A-Z_]*=') sh -c "$cmd")
ok "cron: job delivered the waiting message (carol)" wait_for p5 carol@example.org
ok "cron: logs reach logger -t mdrop" grep -q '^mdrop: ' "$TESTDIR/syslog"

# --- supervised: daemontools, runit, s6 --------------------------------------------------
# supervise NAME RUNFILE TAG RCPT: start the run file (interval pipeline) in
# its own session and process group (setsid, like a supervisor does), wait
# for message TAG, then SIGTERM the group.
supervise() {
	put "$3" "$4"
	recipe "$2" > "$TESTDIR/run.$1"
	chmod 755 "$TESTDIR/run.$1"
	setsid "$TESTDIR/run.$1" > "$TESTDIR/out.$1" 2>&1 &
	pid=$!
	at_exit "kill -KILL -$pid"
	ok "$1: run delivers while it keeps running" wait_for "$3" "$4"
	ok "$1: still running after the first poll (--interval)" kill -0 "$pid"
	kill -TERM "-$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
	_i=0
	while kill -0 "-$pid" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	ok "$1: SIGTERM stops the whole pipeline" sh -c "! kill -0 -$pid 2>/dev/null"
	ok "$1: stderr joined to stdout (log lines in the log stream)" \
	    grep -q '^mdrop-' "$TESTDIR/out.$1"
	ok "$1: result lines in the log stream" grep -q "	ok	" "$TESTDIR/out.$1"
}
: > "$TESTDIR/drops"
supervise daemontools daemontools/run d1 dave@example.org
supervise runit runit/run r1 erin@example.org
supervise s6 s6/mdrop/run s1 alice@example.org
is "$(cat "$TESTDIR/drops")" "setuidgid mdrop
chpst mdrop
s6-setuidgid mdrop" "run files drop to user mdrop"

# --- the loggers ---------------------------------------------------------------
: > "$TESTDIR/drops"
mkdir -p "$TESTDIR/dt"
recipe daemontools/log/run > "$TESTDIR/dt/run"
(cd "$TESTDIR/dt" && printf 'mdrop-fetch: info: hello from daemontools\n' | sh ./run)
ok "daemontools log/run: multilog wrote ./main/current with a TAI64N stamp" \
    grep -q '^@4000[0-9a-f]* mdrop-fetch: info: hello from daemontools$' "$TESTDIR/dt/main/current"
recipe s6/mdrop/log/run > "$TESTDIR/s6log"
chmod 755 "$TESTDIR/s6log"
printf 'mdrop-fetch: info: hello from s6\n' | "$TESTDIR/s6log"
ok "s6 log/run: s6-log wrote the log directory with a TAI64N stamp" \
    grep -q '^@4000[0-9a-f]* mdrop-fetch: info: hello from s6$' "$TESTDIR/log/current"
rm -rf "$TESTDIR/log"
if command -v svlogd >/dev/null 2>&1 && [ ! -e "$BIN/svlogd" ]; then
	diag "runit log/run: real svlogd"
else
	diag "runit log/run: svlogd not installed (runit is not in make deps); a stub checks its arguments"
	cat > "$BIN/svlogd" <<'EOF'
#!/bin/sh
# stub: svlogd -tt DIR
[ $# = 2 ] && [ "$1" = -tt ] || { echo "svlogd stub: bad args: $*" >&2; exit 100; }
mkdir -p "$2" && sed 's/^/2026-03-01_10:00:00.00000 /' >> "$2/current"
EOF
	chmod 755 "$BIN/svlogd"
fi
recipe runit/log/run > "$TESTDIR/rlog"
printf 'mdrop-fetch: info: hello from runit\n' | sh "$TESTDIR/rlog"
ok "runit log/run: svlogd wrote the log directory" \
    grep -q ' mdrop-fetch: info: hello from runit$' "$TESTDIR/log/current"
is "$(cat "$TESTDIR/drops")" "setuidgid mdroplog
s6-setuidgid mdroplog
chpst mdroplog" "loggers run as user mdroplog"

# --- systemd -----------------------------------------------------------------
SD=$TESTDIR/systemd
mkdir -p "$SD" "$TESTDIR/man/man1" "$TESTDIR/man/man7"
for u in mdrop.service mdrop-poll.service mdrop-poll.timer; do
	recipe "systemd/$u" > "$SD/$u"
done
for m in "$TOP"/doc/*.1; do [ -f "$m" ] && ln -s "$m" "$TESTDIR/man/man1/"; done
for m in "$TOP"/doc/*.7; do [ -f "$m" ] && ln -s "$m" "$TESTDIR/man/man7/"; done
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(cd "$SD" && MANPATH=$TESTDIR/man systemd-analyze verify \
	    ./mdrop.service ./mdrop-poll.service ./mdrop-poll.timer 2>&1)
	is "$?:$out" "0:" "systemd-analyze verify: no complaint (units, ExecStart, man: links)"
else
	diag "systemd-analyze not installed: only the strict key check below"
fi
# Strict key check: every key known for its section.
keys_Unit="Description Documentation Wants After"
keys_Service="Type User Group Environment ExecStart Restart RestartSec KillMode \
KillSignal TimeoutStopSec TimeoutStartSec StandardOutput StandardError UMask \
NoNewPrivileges PrivateTmp ProtectSystem ProtectHome ReadWritePaths"
keys_Timer="OnBootSec OnUnitActiveSec RandomizedDelaySec Persistent Unit"
keys_Install="WantedBy"
for u in mdrop.service mdrop-poll.service mdrop-poll.timer; do
	bad=$(awk -v U="$keys_Unit" -v S="$keys_Service" -v T="$keys_Timer" \
	    -v I="$keys_Install" '
	BEGIN { k["Unit"] = U; k["Service"] = S; k["Timer"] = T; k["Install"] = I }
	/^#/ || /^$/ { next }
	/^\[/ { sec = substr($0, 2, length($0) - 2)
		if (!(sec in k)) print "section " sec
		next }
	{ key = $0; sub(/=.*/, "", key)
	  if (index(" " k[sec] " ", " " key " ") == 0) print sec "/" key }
	' "$EX/systemd/$u")
	is "$bad" "" "systemd $u: only known keys in known sections"
done
ok "mdrop.service: no Type=forking (nothing daemonizes)" sh -c "! grep -q '^Type=forking' '$EX/systemd/mdrop.service'"
is "$(sed -n 's/^ExecStart=//p' "$EX/systemd/mdrop.service")" \
    "/usr/local/bin/mdrop-pipeline --interval 300" "mdrop.service: the --interval pipeline"
is "$(sed -n 's/^Type=//p' "$EX/systemd/mdrop-poll.service")" oneshot "mdrop-poll.service: oneshot"
is "$(sed -n 's/^Unit=//p' "$EX/systemd/mdrop-poll.timer")" mdrop-poll.service "timer starts mdrop-poll.service"
# The oneshot's ExecStart with its Environment=, as systemd would run it.
put t1 bob@example.org
envline=$(sed -n 's/^Environment=//p' "$SD/mdrop-poll.service")
exe=$(sed -n 's/^ExecStart=//p' "$SD/mdrop-poll.service")
env -u MDROP_CONF $envline $exe > /dev/null 2> "$TESTDIR/sd.err"
is "$?" 0 "mdrop-poll.service: ExecStart exits 0"
is "$(where t1)" "bob@example.org" "mdrop-poll.service: ExecStart delivered the message"

# --- Dovecot snippet -----------------------------------------------------------
DC=$TESTDIR/dc
mkdir -p "$DC"
cat > "$DC/dovecot.conf" <<EOF
base_dir = $DC/run
state_dir = $DC/state
log_path = $DC/log
protocols = pop3
ssl = no
!include $EX/dovecot/95-mdrop-lmtp.conf
EOF
out=$(doveconf -c "$DC/dovecot.conf" -n 2> "$DC/err")
is "$?:$(cat "$DC/err")" "0:" "doveconf -c accepts the snippet, no warnings"
is "$(doveconf -c "$DC/dovecot.conf" -h protocols 2>&1)" "pop3 lmtp" "snippet adds lmtp to protocols"
ok "snippet: unix_listener lmtp-mdrop for user mdrop, mode 0600" sh -c '
printf "%s\n" "$1" | awk "/unix_listener lmtp-mdrop/,/}/" > "$2/l"
grep -q "user = mdrop" "$2/l" && grep -q "mode = 0600" "$2/l"' x "$out" "$DC"
ok "config's LMTP endpoint is the snippet's socket" \
    grep -q '^MDROP_DELIVER_OPTS="--lmtp unix:/run/dovecot/lmtp-mdrop"' "$EX/mdrop.conf"

done_testing
