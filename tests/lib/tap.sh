# tap.sh: a tiny TAP producer for the shell integration tests (run by prove).
#
#   . "$(dirname "$0")/../lib/tap.sh"
#   plan 3                      # or: done_testing at the end
#   ok "name" test -f file
#   is "$got" "$want" "name"
#   is_file_bytes FILE EXPECTED_FILE "name"
#
# Environment: MDROP_BIN (directory of the binaries under test; default the
# source top), TESTDIR (a fresh temp dir, removed at exit unless
# MDROP_KEEP=1). Cleanup hooks: at_exit "command" (run in reverse order).
#
# Run as root, a test runs as the user nobody (HOME=TESTDIR), as mdrop is
# meant to be run: mdrop-deliver started as root writes nothing as root,
# so in a test tree made by root every Maildir delivery would be refused.
# A test that needs root (mounts, throwaway users, the privilege rules
# themselves) sets TAP_ROOT=1 before sourcing this file.

set -u
if [ "$(id -u)" = 0 ] && [ "${TAP_ROOT:-0}" != 1 ]; then
	exec setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	    env TAP_UNPRIVILEGED=1 /bin/sh "$0" "$@"
fi
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MDROP_BIN=${MDROP_BIN:-$TOP}
export MDROP_BIN TOP
PATH=$MDROP_BIN:$PATH
# Debian's python3 before any other (root's PATH may start with a pyenv
# shim, which costs a second a call on a busy machine): the tests' fake
# servers and helpers need only its standard library.
[ -x /usr/bin/python3 ] && PATH=$MDROP_BIN:/usr/bin:${PATH#"$MDROP_BIN:"}
export PATH
TESTDIR=$(mktemp -d "${TMPDIR:-/tmp}/mdrop-test.XXXXXX")
export TESTDIR
[ "${TAP_UNPRIVILEGED:-0}" = 1 ] && HOME=$TESTDIR && export HOME
_tap_n=0
_tap_fail=0
_tap_exit_cmds=""

at_exit() { _tap_exit_cmds="$1
$_tap_exit_cmds"; }
_tap_cleanup() {
	_rc=$?
	printf '%s\n' "$_tap_exit_cmds" | while IFS= read -r c; do
		[ -n "$c" ] && eval "$c" >/dev/null 2>&1
	done
	[ "${MDROP_KEEP:-0}" = 1 ] || rm -rf "$TESTDIR"
	return $_rc
}
trap _tap_cleanup EXIT
trap 'exit 130' INT TERM

# ends: a record stream with the end line "PATH" added after each group
# (records for one PATH are consecutive: DESIGN.md "Record format"), for
# tests that write the records they feed or expect by hand
ends() {
	awk -F'\t' 'NF >= 3 { if (p != "" && $1 != p) print p; p = $1 }
	    NF == 1 { p = "" } { print } END { if (p != "") print p }'
}

# wait_ready [--greeting] DEADLINE_S TARGET...: a private server's
# listeners answer (tests/lib/wait_ready.py says how); 0, or 1 naming
# those that did not on stderr.
wait_ready() { python3 "$TOP/tests/lib/wait_ready.py" "$@"; }

# watchdog PID [ALIVE]: a background process that sends PID SIGTERM should
# the test shell die without running its exit hooks (SIGKILL, a harness
# timeout); it ends by itself when PID does. ALIVE (a function or command
# given a pid; default kill -0) says whether PID still runs. Sets
# WATCHDOG to its pid: the caller's stop function kills it.
watchdog() {
	_wd_pid=$1 _wd_alive=${2:-kill -0} _wd_test=$$
	(
		trap '' INT HUP
		while kill -0 "$_wd_test" 2>/dev/null &&
		    $_wd_alive "$_wd_pid" 2>/dev/null; do
			sleep 1
		done
		kill -TERM "$_wd_pid" 2>/dev/null
	) </dev/null >/dev/null 2>&1 &
	WATCHDOG=$!
}

plan() { echo "1..$1"; }
done_testing() { echo "1..$_tap_n"; [ $_tap_fail = 0 ]; }
diag() { printf '# %s\n' "$*" | sed '2,$s/^/# /'; }
pass() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1"; }
# A failure goes to stderr too: prove shows a test's stderr when it is not
# verbose, so a failure that does not come back in make check's verbose
# rerun still leaves its details in the log.
fail() {
	_tap_n=$((_tap_n + 1)); _tap_fail=$((_tap_fail + 1))
	echo "not ok $_tap_n - $1"
	echo "${0##*/}: not ok $_tap_n - $1" >&2
	shift
	[ $# -gt 0 ] && { diag "$@"; diag "$@" >&2; }
	return 0
}
# ok NAME COMMAND...: passes when the command exits 0.
ok() {
	_name=$1; shift
	if "$@"; then pass "$_name"; else fail "$_name" "command failed: $*"; fi
}
# is GOT WANT NAME
is() {
	if [ "$1" = "$2" ]; then pass "$3"
	else fail "$3" "got:  '$1'" "want: '$2'"; fi
}
# is_file_bytes FILE EXPECTED NAME: byte-exact comparison.
is_file_bytes() {
	if cmp -s "$1" "$2"; then pass "$3"
	else fail "$3" "$(cmp "$1" "$2" 2>&1)"; fi
}
# exit_is WANT NAME COMMAND...: runs COMMAND, compares its exit code.
exit_is() {
	_want=$1; _name=$2; shift 2
	"$@"; _got=$?
	is "$_got" "$_want" "$_name (exit $_want)"
}
# free_port: a free TCP port on 127.0.0.1 chosen by the kernel.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
