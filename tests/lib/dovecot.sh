# dovecot.sh: a private, throwaway Dovecot for the integration tests.
#
# Source it after tap.sh (it needs $TESTDIR, at_exit and free_port):
#
#   . "$(dirname "$0")/../lib/tap.sh"
#   . "$(dirname "$0")/../lib/dovecot.sh"
#   dovecot_start || { echo "Bail out! $DOVECOT_ERROR"; exit 1; }
#   dovecot_put msg.eml              # one message into the drop box
#   openssl s_client -starttls pop3 -connect 127.0.0.1:$POP3_PORT ...
#
# dovecot_start [DIR]   (DIR defaults to $TESTDIR/dovecot; created when
#   missing, use a fresh one per instance) generates everything private under DIR and starts
#   `dovecot -c DIR/dovecot.conf` on free loopback ports, waits (bounded)
#   until every listener answers, and registers dovecot_stop with at_exit.
#   It returns 0, or 1 with the reason in $DOVECOT_ERROR (and on stderr).
#   Several instances may run at once (one per DIR): ports, base_dir,
#   state_dir, log and instance_name are all private; the system Dovecot
#   is never used, needed or touched. Every doveadm/doveconf call must
#   carry `-c "$DOVECOT_CONF"`, else it talks to the system instance.
#
#   When DIR is long, Dovecot's base_dir (its sockets) goes to a short
#   /tmp/mdv.XXXXXX instead of DIR/run; dovecot_stop removes it.
#   Exported after a successful start:
#     DOVECOT_DIR   DIR                DOVECOT_CONF  DIR/dovecot.conf
#     DOVECOT_LOG   DIR/dovecot.log    DOVECOT_PID   the master's pid
#     POP3_PORT     plain POP3, STLS offered (plaintext auth allowed:
#                   Dovecot treats loopback as secure, so a TLS test must
#                   ask for STLS itself)
#     POP3S_PORT    POP3 with implicit TLS
#     LMTP_PORT     LMTP over TCP on 127.0.0.1
#     LMTP_SOCKET   LMTP unix socket (path < 108 bytes)
#     CA_FILE       the throwaway CA (PEM); CERT_FILE, KEY_FILE: the server
#                   certificate (EC P-256, SAN DNS:localhost ONLY: a client
#                   connecting to "127.0.0.1" must see a host-name mismatch)
#     CERT_SHA256   SHA-256 fingerprint of CERT_FILE, lower-case hex, no
#                   colons
#     DROP_USER     drop@isp.test, the multidrop box (POP3 login)
#     DROP_PASS     its password (also in $DOVECOT_DIR/drop.pass, one line)
#     DROP_MAILDIR  its Maildir; fill it with dovecot_put or by writing
#                   files into its new/
#     MAIL_ROOT     local users' mail: $MAIL_ROOT/example.org/USER/Maildir
#                   for USER in alice bob carol dave erin postmaster
#                   (all @example.org); LMTP delivers there. Any other
#                   recipient is unknown (550).
#     MAIL_UID, MAIL_GID  the owner of all mail under $MAIL_ROOT (Dovecot's
#                   mail_uid/mail_gid, also first/last_valid_uid/gid)
#     DOVECOT_WATCHDOG  pid of the watchdog (see below)
#
#   Auth: passwd-file, user names are full addresses lower-cased
#   (auth_username_format = %Lu); mechanisms PLAIN, LOGIN and
#   SCRAM-SHA-256 (the drop user's password is stored as a
#   {SCRAM-SHA-256} hash, so SCRAM really is exercised; PLAIN/LOGIN/USER
#   work with it too). Local users have password "secret". A failed
#   login is answered at once (auth_failure_delay = 0) and later logins
#   are not slowed down either (anvil's auth penalty is off): fast tests.
#   Settings of note: pop3_uidl_format = %08Xu%08Xv, empty
#   recipient_delimiter, lmtp_save_to_detail_mailbox = no (a test may set
#   DOVECOT_DELIMITER=+ and DOVECOT_DETAIL_MAILBOX=yes before starting),
#   ssl_min_protocol = TLSv1.2, disable_plaintext_auth = no, hostname =
#   mx.example.org (LMTP's greeting and its Received: header).
#
#   Run as a normal user, MAIL_UID/GID are that user's and every Dovecot
#   service runs as that user (a rootless Dovecot). Run as root, Dovecot
#   refuses uid 0 for mail ("userdb returned 0 as uid"), so MAIL_UID/GID
#   are those of "nobody": $MAIL_ROOT is chowned to it and the directories
#   above DIR inside $TESTDIR get o+x. A test that writes files into a
#   Maildir itself (instead of dovecot_put, which chowns) must leave them
#   readable (mode 0644) or chown them to $MAIL_UID:$MAIL_GID; one that
#   makes a Maildir for LMTP to fill must chown it.
#
#   A watchdog process (pid $DOVECOT_WATCHDOG) sends the master SIGTERM
#   within a second should the test shell die without running its exit
#   hooks (SIGKILL, a harness timeout), so nothing is left running.
# dovecot_stop          SIGTERM to the master (by its pid file), waits until
#   it and its children are gone (SIGKILL after 10 s); idempotent. Stops
#   the watchdog too. Takes about a second (Dovecot's own shutdown).
# dovecot_put FILE      copies FILE into the drop box's new/ under a unique
#   name "T.PpidNn.mdrop,S=SIZE,W=VSIZE" (VSIZE counts LF as CRLF), so that
#   Dovecot needs not read the file for STAT/LIST. Prints the name.
# dovecot_put_dir DIR   dovecot_put for every regular file of DIR (sorted).
# dovecot_box_count     prints the number of messages in the drop box
#   (files in new/ and cur/).
# dovecot_children      prints the pids of the master's child processes.
# dovecot_alive PID     true while PID runs (a zombie counts as gone).

DOVECOT_BIN=${DOVECOT_BIN:-$(command -v dovecot || echo /usr/sbin/dovecot)}
DOVECOT_USERS="alice bob carol dave erin postmaster"
. "$TOP/tests/lib/mkcerts.sh"	# mkserver
_dovecot_seq=0

_dovecot_fail() {
	DOVECOT_ERROR="dovecot_start: $*"
	echo "$DOVECOT_ERROR" >&2
	return 1
}

_dovecot_conf() {
	_uid=$MAIL_UID; _gid=$MAIL_GID; _user=$(id -un)
	cat <<EOF
# Generated by tests/lib/dovecot.sh: a private test instance.
instance_name = $_dovecot_instance
base_dir = $_dovecot_base
state_dir = $DOVECOT_DIR/state
log_path = $DOVECOT_DIR/dovecot.log
info_log_path = $DOVECOT_DIR/dovecot.log
debug_log_path = $DOVECOT_DIR/dovecot.log
protocols = pop3 lmtp
listen = 127.0.0.1
shutdown_clients = yes
hostname = mx.example.org

ssl = yes
ssl_cert = <$CERT_FILE
ssl_key = <$KEY_FILE
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no

auth_mechanisms = plain login scram-sha-256
auth_failure_delay = 0
auth_username_format = %Lu
recipient_delimiter = ${DOVECOT_DELIMITER:-}
lmtp_save_to_detail_mailbox = ${DOVECOT_DETAIL_MAILBOX:-no}
pop3_uidl_format = %08Xu%08Xv
mail_location = maildir:~/Maildir
mail_uid = $_uid
mail_gid = $_gid
first_valid_uid = $_uid
last_valid_uid = $_uid
first_valid_gid = $_gid
last_valid_gid = $_gid
EOF
	if [ "$(id -u)" != 0 ]; then
		# Rootless: every service runs as the invoking user.
		cat <<EOF
default_internal_user = $_user
default_internal_group = $(id -gn)
default_login_user = $_user
EOF
	fi
	cat <<EOF

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $DOVECOT_DIR/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%Lu $DOVECOT_DIR/passwd
  default_fields = uid=$_uid gid=$_gid
}

service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $POP3_PORT
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $POP3S_PORT
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
  unix_listener lmtp {
    mode = 0600
  }
}
EOF
	# auth reads the passwd-file, which lies in a private (0700) tree.
	# No auth penalty (anvil would delay logins after a failed one).
	cat <<EOF
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  user = $_user
}
service auth-worker {
  user = $_user
}
EOF
	if [ "$(id -u)" != 0 ]; then
		# No privileges to switch: run the helpers as ourselves.
		cat <<EOF
service anvil {
  chroot =
}
service pop3-login {
  chroot =
}
EOF
	fi
}

dovecot_start() {
	DOVECOT_ERROR=
	_dovecot_seq=$((_dovecot_seq + 1))
	DOVECOT_DIR=${1:-$TESTDIR/dovecot}
	mkdir -p "$DOVECOT_DIR" || { _dovecot_fail "cannot create $DOVECOT_DIR"; return 1; }
	DOVECOT_DIR=$(cd "$DOVECOT_DIR" && pwd)
	DOVECOT_CONF=$DOVECOT_DIR/dovecot.conf
	DOVECOT_LOG=$DOVECOT_DIR/dovecot.log
	_dovecot_instance="mdrop-test-$$-$_dovecot_seq-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
	# Dovecot's sockets live in base_dir: keep it short (sun_path is 108).
	_dovecot_base=$DOVECOT_DIR/run
	DOVECOT_TMPBASE=
	if [ ${#_dovecot_base} -gt 70 ]; then
		_dovecot_base=$(mktemp -d /tmp/mdv.XXXXXX) || {
			_dovecot_fail "mktemp failed"; return 1; }
		DOVECOT_TMPBASE=$_dovecot_base	# removed by dovecot_stop
	fi
	LMTP_SOCKET=$_dovecot_base/lmtp
	mkdir -p "$DOVECOT_DIR/state" "$DOVECOT_DIR/mail" || return 1
	MAIL_ROOT=$DOVECOT_DIR/mail
	DROP_USER=drop@isp.test
	DROP_MAILDIR=$MAIL_ROOT/isp.test/drop/Maildir
	for _u in $DOVECOT_USERS; do
		mkdir -p "$MAIL_ROOT/example.org/$_u"
	done
	mkdir -p "$DROP_MAILDIR/new" "$DROP_MAILDIR/cur" "$DROP_MAILDIR/tmp"
	if [ "$(id -u)" = 0 ]; then
		# Dovecot refuses mail processes with uid 0 ("userdb returned 0
		# as uid"): as root, the mail belongs to nobody, who must be able
		# to reach it through our private directories.
		MAIL_UID=$(id -u nobody) && MAIL_GID=$(id -g nobody) || {
			_dovecot_fail "no user nobody"; return 1; }
		chown -R "$MAIL_UID:$MAIL_GID" "$MAIL_ROOT" || return 1
		_d=$DOVECOT_DIR
		while [ "$_d" != / ]; do
			if [ -n "$(find "$_d" -maxdepth 0 ! -perm -o+x)" ]; then
				case "$_d/" in
				"$TESTDIR"/*|"$DOVECOT_DIR"/*) chmod go+x "$_d" ;;
				*) _dovecot_fail "$_d is not searchable by nobody"
				   return 1 ;;
				esac
			fi
			_d=$(dirname "$_d")
		done
	else
		MAIL_UID=$(id -u); MAIL_GID=$(id -g)
	fi

	mkserver "$DOVECOT_DIR" || {
		_dovecot_fail "openssl failed: $(tail -n 3 "$DOVECOT_DIR/openssl.log")"
		return 1; }
	CA_FILE=$DOVECOT_DIR/ca.pem
	CERT_FILE=$DOVECOT_DIR/server.pem
	KEY_FILE=$DOVECOT_DIR/server.key
	CERT_SHA256=$(openssl x509 -in "$CERT_FILE" -noout -fingerprint -sha256 |
	    sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')

	DROP_PASS=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	printf '%s\n' "$DROP_PASS" > "$DOVECOT_DIR/drop.pass"
	chmod 600 "$DOVECOT_DIR/drop.pass"

	_tries=0
	while :; do
		_tries=$((_tries + 1))
		POP3_PORT=$(free_port); POP3S_PORT=$(free_port); LMTP_PORT=$(free_port)
		if [ "$POP3_PORT" = "$POP3S_PORT" ] || [ "$POP3_PORT" = "$LMTP_PORT" ] ||
		    [ "$POP3S_PORT" = "$LMTP_PORT" ]; then
			continue
		fi
		_dovecot_conf > "$DOVECOT_CONF" || return 1
		if [ $_tries = 1 ]; then
			_scram=$(doveadm -c "$DOVECOT_CONF" pw -s SCRAM-SHA-256 \
			    -p "$DROP_PASS" 2>"$DOVECOT_DIR/doveadm.err") || {
				_dovecot_fail "doveadm pw failed: $(cat "$DOVECOT_DIR/doveadm.err")"
				return 1; }
			{
				printf '%s:%s::::%s::\n' "$DROP_USER" "$_scram" \
				    "$MAIL_ROOT/isp.test/drop"
				for _u in $DOVECOT_USERS; do
					printf '%s@example.org:{PLAIN}secret::::%s::\n' \
					    "$_u" "$MAIL_ROOT/example.org/$_u"
				done
			} > "$DOVECOT_DIR/passwd"
		fi
		rm -f "$DOVECOT_LOG"
		if "$DOVECOT_BIN" -c "$DOVECOT_CONF" 2>"$DOVECOT_DIR/start.err"; then
			break
		fi
		if [ $_tries -lt 4 ] && grep -qi 'in use' "$DOVECOT_DIR/start.err" "$DOVECOT_LOG" 2>/dev/null; then
			continue	# a port was taken between free_port and bind
		fi
		_dovecot_fail "dovecot did not start: $(cat "$DOVECOT_DIR/start.err"; tail -n 5 "$DOVECOT_LOG" 2>/dev/null)"
		return 1
	done
	DOVECOT_PID=
	_i=0
	while [ $_i -lt 100 ]; do
		[ -s "$_dovecot_base/master.pid" ] && break
		sleep 0.05; _i=$((_i + 1))
	done
	DOVECOT_PID=$(cat "$_dovecot_base/master.pid" 2>/dev/null)
	[ -n "$DOVECOT_PID" ] || { _dovecot_fail "no master.pid in $_dovecot_base"; return 1; }
	_dovecot_pidfile=$_dovecot_base/master.pid
	# A watchdog stops this Dovecot should the test shell die without
	# running its exit hooks (SIGKILL, a harness timeout).
	watchdog "$DOVECOT_PID" dovecot_alive
	DOVECOT_WATCHDOG=$WATCHDOG
	at_exit "DOVECOT_PID=$DOVECOT_PID DOVECOT_WATCHDOG=$DOVECOT_WATCHDOG DOVECOT_TMPBASE=$DOVECOT_TMPBASE dovecot_stop"
	export DOVECOT_DIR DOVECOT_CONF DOVECOT_LOG DOVECOT_PID POP3_PORT \
	    POP3S_PORT LMTP_PORT LMTP_SOCKET CA_FILE CERT_FILE KEY_FILE \
	    CERT_SHA256 DROP_USER DROP_PASS DROP_MAILDIR MAIL_ROOT MAIL_UID MAIL_GID \
	    DOVECOT_WATCHDOG
	wait_ready 10 "$POP3_PORT" "$POP3S_PORT" "$LMTP_PORT" \
	    "unix:$LMTP_SOCKET" 2>"$DOVECOT_DIR/wait.err" || {
		_dovecot_fail "$(cat "$DOVECOT_DIR/wait.err") (log: $(tail -n 5 "$DOVECOT_LOG"))"
		dovecot_stop
		return 1; }
	return 0
}

dovecot_children() {
	[ -n "${DOVECOT_PID:-}" ] || return 0
	ps -o pid= --ppid "$DOVECOT_PID" 2>/dev/null | tr -d ' '
}

# dovecot_alive PID: 0 while PID runs. A zombie counts as gone: the
# daemonised master's parent is init, which in some containers reaps late.
dovecot_alive() {
	_st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case "$_st" in Z*|"") return 1 ;; esac
	return 0
}

dovecot_stop() {
	[ -n "${DOVECOT_WATCHDOG:-}" ] && kill "$DOVECOT_WATCHDOG" 2>/dev/null
	DOVECOT_WATCHDOG=
	[ -n "${DOVECOT_PID:-}" ] || return 0
	_pids="$DOVECOT_PID $(dovecot_children)"
	kill -TERM "$DOVECOT_PID" 2>/dev/null
	_i=0
	while [ $_i -lt 200 ]; do
		_alive=
		for _p in $_pids; do
			dovecot_alive "$_p" && _alive="$_alive $_p"
		done
		[ -z "$_alive" ] && break
		sleep 0.05; _i=$((_i + 1))
	done
	[ -n "$_alive" ] && kill -KILL $_alive 2>/dev/null
	DOVECOT_PID=
	case "${DOVECOT_TMPBASE:-}" in /tmp/mdv.*) rm -rf "$DOVECOT_TMPBASE" ;; esac
	DOVECOT_TMPBASE=
	return 0
}

# _dovecot_vsize FILE: size with every LF counted as CRLF.
_dovecot_vsize() {
	_s=$(wc -c < "$1"); _l=$(tr -cd '\n' < "$1" | wc -c)
	echo $((_s + _l))
}

dovecot_put() {
	[ -f "$1" ] || { echo "dovecot_put: no file $1" >&2; return 1; }
	_dovecot_seq=$((_dovecot_seq + 1))
	_s=$(wc -c < "$1"); _s=$((_s + 0))
	_n="$(date +%s).P$$N$_dovecot_seq.mdrop,S=$_s,W=$(_dovecot_vsize "$1")"
	cp "$1" "$DROP_MAILDIR/tmp/$_n" && chmod 644 "$DROP_MAILDIR/tmp/$_n" &&
	    chown "$MAIL_UID:$MAIL_GID" "$DROP_MAILDIR/tmp/$_n" && mv "$DROP_MAILDIR/tmp/$_n" "$DROP_MAILDIR/new/$_n" &&
	    echo "$_n"
}

dovecot_put_dir() {
	for _f in "$1"/*; do
		[ -f "$_f" ] || continue
		dovecot_put "$_f" >/dev/null || return 1
	done
}

dovecot_box_count() {
	find "$DROP_MAILDIR/new" "$DROP_MAILDIR/cur" -type f | wc -l | tr -d ' '
}
