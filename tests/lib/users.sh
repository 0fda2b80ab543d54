# users.sh: throwaway system users for the tests that run as root
# (TAP_ROOT=1, see tap.sh); source it after tap.sh.
#
#   mkuser NAME     creates NAME with a group of its own, no home, no login
#                   shell, and removes both when the test exits (at_exit).
#                   Names must be unique per run and lower case (a template's
#                   %l is): e.g. mdropt1_$$. Returns 1 (reason on stderr)
#                   when useradd fails.
#   as_user NAME CMD...  runs CMD as NAME with its primary group alone.
#
# useradd and userdel refuse to run while another one holds the lock of
# /etc/passwd (other tests may be adding users too): they are retried, a
# bounded number of times.

_users_retry() {
	_n=0
	until "$@" 2>"$TESTDIR/users.err"; do
		_n=$((_n + 1))
		grep -qi 'lock' "$TESTDIR/users.err" && [ $_n -lt 100 ] || {
			cat "$TESTDIR/users.err" >&2; return 1; }
		sleep 0.05	# back off while another useradd holds the lock
	done
}

mkuser() {
	_users_retry useradd -M -U -s /usr/sbin/nologin "$1" || return 1
	at_exit "_users_retry userdel '$1'"
}

as_user() {
	_u=$1; shift
	# through sh: its PATH search skips what the user may not run
	setpriv --reuid="$(id -u "$_u")" --regid="$(id -g "$_u")" --clear-groups \
	    sh -c 'exec "$@"' sh "$@"
}
