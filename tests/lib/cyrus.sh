# cyrus.sh: a private, throwaway Cyrus IMAP 3.6 (LMTP and POP3) for the
# integration tests: a second real server next to Dovecot (dovecot.sh).
#
# Source it after tap.sh (it needs $TESTDIR, at_exit and free_port) and
# unpack.sh:
#
#   . "$(dirname "$0")/../lib/tap.sh"
#   . "$(dirname "$0")/../lib/unpack.sh"
#   . "$(dirname "$0")/../lib/cyrus.sh"
#   cyrus_start || { echo "Bail out! $CYRUS_ERROR"; exit 1; }
#
# Cyrus is not installed: cyrus-pop3d conflicts with dovecot-pop3d and the
# maintainer scripts of cyrus-common add a user and start services. The
# Debian packages cyrus-common, cyrus-pop3d and sasl2-bin (for saslpasswd2)
# are unpacked under build/peers by unpack_deb (tests/lib/unpack.sh); the
# libraries they need are installed by tests/lib/deps.sh. A test that runs
# as nobody (tap.sh) cannot write build/ in a tree made by root, so it
# calls cyrus_unpack as root before sourcing tap.sh (see 53-lmtp-cyrus.t).
#
# cyrus_start [DIR]   (DIR defaults to $TESTDIR/cyrus) writes DIR/imapd.conf
#   and DIR/cyrus.conf and runs `master -C DIR/imapd.conf -M DIR/cyrus.conf`
#   as the test's user (Cyrus refuses root; tap.sh runs tests as nobody)
#   with every directory, database, socket and the SASL password database
#   under DIR (the unix socket under a short /tmp/mcy.XXXXXX when DIR is
#   long), listeners on free loopback ports, and waits (bounded) until each
#   one answers. No system file is read for the configuration
#   (/etc/imapd.conf, /etc/cyrus.conf, /var/lib/cyrus, /run/cyrus are
#   never used; every service gets -C: master does not pass its own on).
#   Returns 0, or 1 with the reason in $CYRUS_ERROR (and on stderr).
#   Exported after a successful start:
#     CYRUS_DIR, CYRUS_CONF (imapd.conf), CYRUS_PID (the master's pid)
#     CYRUS_LMTP_PORT    LMTP over TCP on 127.0.0.1 (lmtpd -a: preauthorised)
#     CYRUS_LMTP_SOCKET  LMTP over a unix socket
#     CYRUS_POP3_PORT    plain POP3 (no STLS)
#     CYRUS_POP3S_PORT   POP3 with implicit TLS; certificate for
#                        DNS:localhost signed by CYRUS_CA_FILE (P-256)
#     CYRUS_DROP_PASS    password of the user "drop" (also in
#                        $CYRUS_DIR/drop.pass); local users have "secret"
#   Mailboxes: the INBOX of each of $CYRUS_USERS (alice bob carol dave
#   erin postmaster drop) is created on its first delivery or login
#   (autocreate_post, autocreate_users); any other user is unknown: LMTP
#   answers 550 5.1.1 to its RCPT. virtdomains is off, so the domain of an
#   LMTP recipient is ignored: alice@example.org is the user alice.
#   Settings of note: duplicatesuppression is off (Cyrus would otherwise
#   silently drop a second copy of a Message-ID for a mailbox, hiding a
#   duplicate delivery by mdrop-deliver); servername mx.example.org;
#   sasl_pwcheck_method auxprop with a private sasldb.
#   Cyrus logs to syslog only; with no /dev/log (a container) its errors
#   are not seen anywhere.
# cyrus_stop          SIGTERM to the master, which stops its children; waits
#   until all are gone (SIGKILL after 10 s). Idempotent; at_exit does it.
# cyrus_box USER      prints the paths of the message files of USER's INBOX,
#   in UID order (Cyrus stores message UID N as the file "N." of the
#   mailbox's data directory, found with mbpath -u, with CRLF line ends).
# cyrus_strip FILE    FILE as it was handed over: without the lines lmtpd
#   puts on top of each message it stores (Return-Path:, Received: with its
#   continuation lines, X-Cyrus-Session-Id:, X-Sieve:) and with CRLF turned
#   into LF. lmtpd also adds Message-ID: and Date: at the end of a header
#   that lacks them, and turns 8-bit bytes in header lines into "X"
#   (munge8bit): test messages carry both headers and keep 8-bit text in
#   their bodies.

CYRUS_USERS="alice bob carol dave erin postmaster drop"
CYRUS_PKGS="cyrus-common cyrus-pop3d sasl2-bin"

_cyrus_fail() {
	CYRUS_ERROR="cyrus_start: $*"
	echo "$CYRUS_ERROR" >&2
	return 1
}

# cyrus_unpack: the packages under build/peers (unpack_deb); sets
# CYRUS_ROOT, CYRUS_SASL_ROOT, CYRUS_LIBDIR. Prints "Bail out!" and
# returns 1 when it cannot.
cyrus_unpack() {
	for _p in $CYRUS_PKGS; do
		unpack_deb "$_p" || return 1
	done
	CYRUS_ROOT=${UNPACK_ROOT:-$TOP/build/peers}/cyrus-common
	CYRUS_POP3D_ROOT=${UNPACK_ROOT:-$TOP/build/peers}/cyrus-pop3d
	CYRUS_SASL_ROOT=${UNPACK_ROOT:-$TOP/build/peers}/sasl2-bin
	_l=$(find "$CYRUS_ROOT/usr/lib" -name libcyrus_imap.so.0 | head -n 1)
	[ -n "$_l" ] || { echo "Bail out! no libcyrus_imap.so.0 in $CYRUS_ROOT"; return 1; }
	CYRUS_LIBDIR=$(dirname "$_l")
	CYRUS_BIN=$CYRUS_ROOT/usr/lib/cyrus/bin
}

# _cyrus_run PROG ARGS...: an unpacked Cyrus program with its libraries.
_cyrus_run() {
	_prog=$1; shift
	LD_LIBRARY_PATH=$CYRUS_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$_prog" "$@"
}

_cyrus_wait_ready() {
	python3 - "$@" <<'EOF'
import socket, sys, time
deadline = time.monotonic() + float(sys.argv[1])
left = sys.argv[2:]
while left and time.monotonic() < deadline:
    t = left[0]
    try:
        if t.startswith("unix:"):
            s = socket.socket(socket.AF_UNIX)
            addr = t[5:]
        else:
            s = socket.socket()
            addr = ("127.0.0.1", int(t.split(":")[-1]))
        s.settimeout(5)
        s.connect(addr)
        # a greeting, not just an accept: the service really runs (TLS
        # first on ssl:PORT, so an accept it is there)
        if not t.startswith("ssl:") and not s.recv(1) in (b"2", b"+"):
            raise OSError("bad greeting")
        s.close()
        left.pop(0)
    except OSError:
        time.sleep(0.05)
if left:
    print("not answering: " + " ".join(left), file=sys.stderr)
    sys.exit(1)
EOF
}

_cyrus_certs() {
	(
	cd "$1" || exit 1
	openssl ecparam -name prime256v1 -genkey -noout -out ca.key &&
	openssl req -x509 -new -key ca.key -sha256 -days 3 \
	    -subj "/CN=mdrop cyrus test CA $$" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem &&
	openssl ecparam -name prime256v1 -genkey -noout -out server.key &&
	openssl req -new -key server.key -subj "/CN=mdrop cyrus test server" \
	    -out server.csr &&
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
	    "keyUsage=critical,digitalSignature,keyEncipherment" \
	    "extendedKeyUsage=serverAuth" \
	    "subjectAltName=DNS:localhost" > server.ext &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -sha256 -days 3 -extfile server.ext \
	    -out server.pem
	) >"$1/openssl.log" 2>&1
}

_cyrus_conf() {
	_d=$CYRUS_DIR
	cat <<EOF
# Generated by tests/lib/cyrus.sh: a private test instance.
configdirectory: $_d/conf
partition-default: $_d/spool
defaultpartition: default
sievedir: $_d/sieve
temp_path: $_d/tmp
proc_path: $_d/conf/proc
mboxname_lockpath: $_d/conf/lock
lmtpsocket: $CYRUS_LMTP_SOCKET
idlesocket: $_cyrus_sockdir/idle
notifysocket: $_cyrus_sockdir/notify
servername: mx.example.org
cyrus_user: $(id -un)
cyrus_group: $(id -gn)
admins: cyrusadmin
virtdomains: off
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $_d/sasldb2
sasl_mech_list: PLAIN LOGIN
allowplaintext: yes
failedloginpause: 0
autocreate_quota: 0
autocreate_post: yes
autocreate_users: $CYRUS_USERS
duplicatesuppression: 0
tls_server_cert: $_d/server.pem
tls_server_key: $_d/server.key
tls_versions: tls1_2 tls1_3
EOF
}

_cyrus_services() {
	_c=$CYRUS_CONF
	cat <<EOF
# Generated by tests/lib/cyrus.sh. Each service gets -C: master does not
# pass its own on, and a service without it reads /etc/imapd.conf.
SERVICES {
  lmtp     cmd="$CYRUS_BIN/lmtpd -C $_c -a" listen="127.0.0.1:$CYRUS_LMTP_PORT" prefork=1 maxchild=20
  lmtpunix cmd="$CYRUS_BIN/lmtpd -C $_c" listen="$CYRUS_LMTP_SOCKET" prefork=1 maxchild=20
  pop3     cmd="$CYRUS_POP3D_ROOT/usr/lib/cyrus/bin/pop3d -C $_c" listen="127.0.0.1:$CYRUS_POP3_PORT" prefork=0 maxchild=10
  pop3s    cmd="$CYRUS_POP3D_ROOT/usr/lib/cyrus/bin/pop3d -C $_c -s" listen="127.0.0.1:$CYRUS_POP3S_PORT" prefork=0 maxchild=10
}
EOF
}

cyrus_start() {
	CYRUS_ERROR=
	[ -n "${CYRUS_BIN:-}" ] || cyrus_unpack >&2 || {
		_cyrus_fail "packages not unpacked (cyrus_unpack)"; return 1; }
	[ -x "$CYRUS_BIN/master" ] || { _cyrus_fail "no $CYRUS_BIN/master"; return 1; }
	CYRUS_DIR=${1:-$TESTDIR/cyrus}
	mkdir -p "$CYRUS_DIR" || { _cyrus_fail "cannot create $CYRUS_DIR"; return 1; }
	CYRUS_DIR=$(cd "$CYRUS_DIR" && pwd)
	CYRUS_CONF=$CYRUS_DIR/imapd.conf
	_cyrus_sockdir=$CYRUS_DIR/conf/socket
	CYRUS_TMPBASE=
	if [ ${#_cyrus_sockdir} -gt 80 ]; then
		_cyrus_sockdir=$(mktemp -d /tmp/mcy.XXXXXX) || {
			_cyrus_fail "mktemp failed"; return 1; }
		CYRUS_TMPBASE=$_cyrus_sockdir	# removed by cyrus_stop
	fi
	CYRUS_LMTP_SOCKET=$_cyrus_sockdir/lmtp
	mkdir -p "$CYRUS_DIR/conf/socket" "$CYRUS_DIR/conf/proc" \
	    "$CYRUS_DIR/conf/lock" "$CYRUS_DIR/spool" "$CYRUS_DIR/sieve" \
	    "$CYRUS_DIR/tmp" "$_cyrus_sockdir" || return 1
	_cyrus_certs "$CYRUS_DIR" || {
		_cyrus_fail "openssl failed: $(tail -n 3 "$CYRUS_DIR/openssl.log")"
		return 1; }
	CYRUS_CA_FILE=$CYRUS_DIR/ca.pem
	CYRUS_DROP_PASS=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	printf '%s\n' "$CYRUS_DROP_PASS" > "$CYRUS_DIR/drop.pass"
	chmod 600 "$CYRUS_DIR/drop.pass"
	for _u in $CYRUS_USERS; do
		_pw=secret
		[ "$_u" = drop ] && _pw=$CYRUS_DROP_PASS
		printf '%s' "$_pw" | "$CYRUS_SASL_ROOT/usr/sbin/saslpasswd2" -p -c \
		    -f "$CYRUS_DIR/sasldb2" -u mx.example.org "$_u" \
		    2>"$CYRUS_DIR/saslpasswd2.err" || {
			_cyrus_fail "saslpasswd2 failed: $(cat "$CYRUS_DIR/saslpasswd2.err")"
			return 1; }
	done

	_tries=0
	while :; do
		_tries=$((_tries + 1))
		CYRUS_LMTP_PORT=$(free_port); CYRUS_POP3_PORT=$(free_port)
		CYRUS_POP3S_PORT=$(free_port)
		[ "$(printf '%s\n' $CYRUS_LMTP_PORT $CYRUS_POP3_PORT $CYRUS_POP3S_PORT | sort -u | wc -l)" = 3 ] || continue
		_cyrus_conf > "$CYRUS_CONF" && _cyrus_services > "$CYRUS_DIR/cyrus.conf" || return 1
		rm -f "$CYRUS_LMTP_SOCKET" "$CYRUS_DIR/master.log"
		# master stays in the foreground (no -d) and setsid and env exec
		# it: $! is its pid (a shell function run with & would be a
		# subshell). Its own session: master's SIGTERM goes to its whole
		# process group, which would otherwise be the test's.
		setsid env LD_LIBRARY_PATH="$CYRUS_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		    "$CYRUS_BIN/master" -C "$CYRUS_CONF" -M "$CYRUS_DIR/cyrus.conf" \
		    -p "$CYRUS_DIR/master.pid" -L "$CYRUS_DIR/master.log" \
		    </dev/null >/dev/null 2>&1 &
		CYRUS_PID=$!
		_cyrus_test_pid=$$
		# A watchdog stops this Cyrus should the test shell die without
		# running its exit hooks (SIGKILL, a harness timeout).
		(
			trap '' INT HUP
			while kill -0 "$_cyrus_test_pid" 2>/dev/null &&
			    kill -0 "$CYRUS_PID" 2>/dev/null; do
				sleep 1
			done
			kill -TERM "$CYRUS_PID" 2>/dev/null
		) </dev/null >/dev/null 2>&1 &
		CYRUS_WATCHDOG=$!
		at_exit "CYRUS_PID=$CYRUS_PID CYRUS_WATCHDOG=$CYRUS_WATCHDOG CYRUS_TMPBASE=$CYRUS_TMPBASE cyrus_stop"
		if _cyrus_wait_ready 15 "$CYRUS_LMTP_PORT" "unix:$CYRUS_LMTP_SOCKET" \
		    "$CYRUS_POP3_PORT" "ssl:$CYRUS_POP3S_PORT" 2>"$CYRUS_DIR/wait.err"; then
			break
		fi
		# master exits at once when it cannot bind (a port taken
		# between free_port and bind): try other ports.
		if ! kill -0 "$CYRUS_PID" 2>/dev/null && [ $_tries -lt 4 ]; then
			cyrus_stop
			continue
		fi
		_cyrus_fail "$(cat "$CYRUS_DIR/wait.err") (master.log: $(tail -n 5 "$CYRUS_DIR/master.log" 2>/dev/null))"
		cyrus_stop
		return 1
	done
	# Every INBOX made now, one login at a time (autocreate_users):
	# made by the first delivery instead, two sessions delivering to a
	# new user at once race, and the loser's RCPT gets "451 4.3.0
	# Mailbox already exists" (deferred by mdrop-deliver, as a 4xx must
	# be: right, but not what the tests are about).
	/usr/bin/python3 - "$CYRUS_POP3_PORT" "$CYRUS_DROP_PASS" $CYRUS_USERS \
	    >"$CYRUS_DIR/inboxes.err" 2>&1 <<'PY' || {
import poplib, sys
port, drop = int(sys.argv[1]), sys.argv[2]
for u in sys.argv[3:]:
    p = poplib.POP3("127.0.0.1", port, timeout=10)
    p.user(u)
    p.pass_(drop if u == "drop" else "secret")
    p.quit()
PY
		_cyrus_fail "cannot log in to make the INBOXes: $(tail -n 3 "$CYRUS_DIR/inboxes.err")"
		cyrus_stop
		return 1; }
	export CYRUS_DIR CYRUS_CONF CYRUS_PID CYRUS_LMTP_PORT CYRUS_LMTP_SOCKET \
	    CYRUS_POP3_PORT CYRUS_POP3S_PORT CYRUS_CA_FILE CYRUS_DROP_PASS
	return 0
}

cyrus_stop() {
	[ -n "${CYRUS_WATCHDOG:-}" ] && kill "$CYRUS_WATCHDOG" 2>/dev/null
	CYRUS_WATCHDOG=
	[ -n "${CYRUS_PID:-}" ] || return 0
	_pids="$CYRUS_PID $(ps -o pid= --ppid "$CYRUS_PID" 2>/dev/null | tr -d ' ')"
	kill -TERM "$CYRUS_PID" 2>/dev/null
	_i=0
	while [ $_i -lt 200 ]; do
		_alive=
		for _p in $_pids; do
			_st=$(ps -o stat= -p "$_p" 2>/dev/null) || continue
			case "$_st" in Z*|"") ;; *) _alive="$_alive $_p" ;; esac
		done
		[ -z "$_alive" ] && break
		sleep 0.05; _i=$((_i + 1))
	done
	[ -n "$_alive" ] && kill -KILL $_alive 2>/dev/null
	CYRUS_PID=
	case "${CYRUS_TMPBASE:-}" in /tmp/mcy.*) rm -rf "$CYRUS_TMPBASE" ;; esac
	CYRUS_TMPBASE=
	return 0
}

cyrus_box() {
	_p=$(_cyrus_run "$CYRUS_BIN/mbpath" -C "$CYRUS_CONF" -q -u "$1" 2>/dev/null) || return 0
	[ -d "$_p" ] || return 0
	ls "$_p" | grep -E '^[0-9]+\.$' | sort -n | sed "s|^|$_p/|"
}

cyrus_strip() {
	LC_ALL=C awk 'BEGIN { skip = 1 }
	    { sub(/\r$/, "") }
	    skip && /^(Return-Path|Received|X-Cyrus-Session-Id|X-Sieve):/ { cont = 1; next }
	    skip && cont && /^[ \t]/ { next }
	    { skip = 0; print }' "$1"
}
