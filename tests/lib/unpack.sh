# unpack.sh: a Debian package's files, unpacked but never installed, for
# the tests that run a real peer server privately (Cyrus: its packages
# conflict with Dovecot's and their maintainer scripts add users and
# services; Postfix as the ISP's MTA: it would become the system's MTA).
#
#   unpack_deb PKG   makes $UNPACK_ROOT/PKG (default $TOP/build/peers/PKG;
#                    build/ is not tracked) hold the files of the Debian
#                    package PKG (as `apt-get download PKG` and `dpkg -x`),
#                    once: the next runs find it unpacked. Sets UNPACK_DIR
#                    to that directory and UNPACK_VERSION to the package's
#                    version. When it cannot, it prints "Bail out! ..."
#                    naming what failed and the command to run, and exits
#                    1: a missing peer is never a skip or a pass.
#
# Nothing is installed: no maintainer script runs, no service starts, no
# file outside $UNPACK_ROOT is written. The package's library dependencies
# are in tests/lib/deps.sh; the package itself is not.
#
# The unpack goes into a temporary directory beside the target, is renamed
# into place, and the stamp file PKG/.mdrop-unpacked (the version) is
# written last: a directory without its stamp is an unpack that was cut
# short, removed and done again. An exclusive flock(1) on
# $UNPACK_ROOT/PKG.lock is held throughout, so two test runs at once never
# see half an unpack: the second waits (bounded), then finds the stamp. As
# root, a download that fails is tried once more after `apt-get update` (a
# fresh machine may have no package lists yet).
#
# It needs only $TOP (derived from $0 when unset), so a test that tap.sh
# re-executes as nobody can call it as root before sourcing tap.sh (nobody
# cannot write build/ in a tree made by root), and again after (then it
# only finds the stamp).

: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
UNPACK_ROOT=${UNPACK_ROOT:-$TOP/build/peers}

_unpack_bail() {
	echo "Bail out! unpack_deb $1: $2"
	echo "unpack_deb $1: $2" >&2
	exit 1
}

unpack_deb() {
	_up_pkg=$1
	case "$_up_pkg" in
	''|*[!a-z0-9.+-]*) _unpack_bail "$_up_pkg" "not a package name" ;;
	esac
	UNPACK_DIR=$UNPACK_ROOT/$_up_pkg
	_up_stamp=$UNPACK_DIR/.mdrop-unpacked
	_up_cmd="as root: apt-get update; then run this test again as root"
	# Without the lock held, a finished unpack is final: read the stamp.
	if [ ! -s "$_up_stamp" ]; then
		mkdir -p "$UNPACK_ROOT" 2>/dev/null && [ -w "$UNPACK_ROOT" ] ||
			_unpack_bail "$_up_pkg" "cannot write $UNPACK_ROOT as" \
			    "$(id -un) ($_up_cmd, or make check as root)"
		_up_err=$UNPACK_ROOT/$_up_pkg.err.$$
		(
			flock -w 300 9 || {
				echo "timeout: flock -w 300 $UNPACK_ROOT/$_up_pkg.lock"
				exit 1; }
			[ -s "$_up_stamp" ] && exit 0	# another run finished it
			rm -rf "$UNPACK_DIR" "$UNPACK_ROOT/.$_up_pkg".*
			_up_tmp=$(mktemp -d "$UNPACK_ROOT/.$_up_pkg.XXXXXX") || {
				echo "mktemp -d $UNPACK_ROOT/.$_up_pkg.XXXXXX failed"; exit 1; }
			# apt-get download runs sandboxed as _apt, who must be
			# able to write the directory it downloads into
			chmod 755 "$_up_tmp"
			mkdir "$_up_tmp/deb" "$_up_tmp/root" && chmod 777 "$_up_tmp/deb"
			# as root, an empty or stale package list is renewed once
			(cd "$_up_tmp/deb" && apt-get -q download "$_up_pkg") \
			    >"$_up_tmp/download.log" 2>&1 ||
			{ [ "$(id -u)" = 0 ] &&
			  apt-get -q update >>"$_up_tmp/download.log" 2>&1 &&
			  (cd "$_up_tmp/deb" && apt-get -q download "$_up_pkg") \
			    >>"$_up_tmp/download.log" 2>&1; } || {
				echo "apt-get download $_up_pkg failed (as root: after" \
				    "apt-get update too; else run apt-get update as root):" \
				    "$(tail -n 2 "$_up_tmp/download.log" | tr '\n' ' ')"
				rm -rf "$_up_tmp"; exit 1; }
			_up_deb=$(ls "$_up_tmp/deb/"*.deb 2>/dev/null | head -n 1)
			[ -n "$_up_deb" ] || {
				echo "apt-get download $_up_pkg left no .deb in $_up_tmp/deb"
				rm -rf "$_up_tmp"; exit 1; }
			_up_ver=$(dpkg-deb -f "$_up_deb" Version) &&
			dpkg -x "$_up_deb" "$_up_tmp/root" 2>"$_up_tmp/x.err" || {
				echo "dpkg -x $_up_deb $_up_tmp/root failed: $(cat "$_up_tmp/x.err")"
				rm -rf "$_up_tmp"; exit 1; }
			mv "$_up_tmp/root" "$UNPACK_DIR" || {
				echo "mv $_up_tmp/root $UNPACK_DIR failed"
				rm -rf "$_up_tmp"; exit 1; }
			printf '%s\n' "$_up_ver" >"$UNPACK_DIR/.mdrop-unpacked.tmp" &&
			    mv "$UNPACK_DIR/.mdrop-unpacked.tmp" "$_up_stamp" || {
				echo "cannot write $_up_stamp"; exit 1; }
			rm -rf "$_up_tmp"
		) 9>"$UNPACK_ROOT/$_up_pkg.lock" >"$_up_err" || {
			_up_why=$(cat "$_up_err" 2>/dev/null)
			rm -f "$_up_err"
			_unpack_bail "$_up_pkg" "${_up_why:-flock 9>$UNPACK_ROOT/$_up_pkg.lock failed}"; }
		rm -f "$_up_err"
	fi
	UNPACK_VERSION=$(cat "$_up_stamp")
	export UNPACK_DIR UNPACK_VERSION
	return 0
}
