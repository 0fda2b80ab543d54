# unpack.sh: a Debian package unpacked, not installed, for the tests that
# need a server the system must not run (Cyrus: its packages conflict with
# Dovecot's and their maintainer scripts add users and services).
#
#   unpack_deb PKG   downloads PKG (apt-get download, the candidate version
#                    of this system's sources) and unpacks it with dpkg -x
#                    under $UNPACK_ROOT/PKG (default $TOP/build/peers/PKG;
#                    build/ is not tracked). Sets UNPACKED to that directory.
#                    An existing unpack is reused: its stamp file
#                    ($UNPACKED/.mdrop-unpacked, holding the .deb's name)
#                    is written last, and the work is done under a lock
#                    (flock on $UNPACK_ROOT/.PKG.lock), so two runs never
#                    see half an unpack. When it cannot (no network, no
#                    write access to $UNPACK_ROOT, dpkg -x failing), it
#                    prints "Bail out! ..." with the exact command to run
#                    and returns 1: the caller exits, the test fails; it
#                    is never a skip.
#
# Nothing is installed, no maintainer script runs; the libraries the
# unpacked binaries link against come from tests/lib/deps.sh (installed as
# usual). Source this before or after tap.sh: it needs only $TOP, which it
# derives from $0 when unset. A test that tap.sh re-executes as nobody may
# call unpack_deb as root before sourcing tap.sh (nobody cannot write
# build/ in a tree made by root) and again afterwards (then it only finds
# the stamp).

_unpack_bail() {
	echo "Bail out! unpack_deb $_unpack_pkg: $*"
	echo "unpack_deb $_unpack_pkg: $*" >&2
	return 1
}

unpack_deb() {
	_unpack_pkg=$1
	: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
	_unpack_root=${UNPACK_ROOT:-$TOP/build/peers}
	UNPACKED=$_unpack_root/$_unpack_pkg
	[ -f "$UNPACKED/.mdrop-unpacked" ] && return 0
	_unpack_cmd="mkdir -p '$UNPACKED' && cd '$_unpack_root' && apt-get download $_unpack_pkg && dpkg -x ${_unpack_pkg}_*.deb '$UNPACKED' && touch '$UNPACKED/.mdrop-unpacked'"
	mkdir -p "$_unpack_root" 2>/dev/null && [ -w "$_unpack_root" ] ||
		{ _unpack_bail "cannot write $_unpack_root (as $(id -un)); run: $_unpack_cmd"; return 1; }
	# The lock is held by a subshell, so a failing step never leaves the
	# caller's descriptors changed.
	(
		exec 9>"$_unpack_root/.$_unpack_pkg.lock" || exit 1
		flock -w 600 9 || { echo "lock $_unpack_root/.$_unpack_pkg.lock: timed out" >&2; exit 1; }
		[ -f "$UNPACKED/.mdrop-unpacked" ] && exit 0
		_t=$(mktemp -d "$_unpack_root/.$_unpack_pkg.XXXXXX") || exit 1
		trap 'rm -rf "$_t"' EXIT
		# apt's download sandbox user (_apt) cannot write a private
		# directory; the warning saying so is harmless.
		(cd "$_t" && apt-get download "$_unpack_pkg") >"$_t/log" 2>&1 || {
			echo "apt-get download $_unpack_pkg failed: $(grep -v '^W:' "$_t/log" | tail -n 3)" >&2; exit 1; }
		_deb=$(ls "$_t"/*.deb 2>/dev/null | head -n 1)
		[ -n "$_deb" ] || { echo "apt-get download $_unpack_pkg left no .deb" >&2; exit 1; }
		dpkg -x "$_deb" "$_t/root" 2>"$_t/log" || {
			echo "dpkg -x $_deb failed: $(tail -n 3 "$_t/log")" >&2; exit 1; }
		rm -rf "$UNPACKED" && mv "$_t/root" "$UNPACKED" || exit 1
		# the stamp last: its presence means the whole tree is there
		basename "$_deb" > "$UNPACKED/.mdrop-unpacked.tmp" &&
		    mv "$UNPACKED/.mdrop-unpacked.tmp" "$UNPACKED/.mdrop-unpacked"
	) 2>"$_unpack_root/.$_unpack_pkg.err.$$" || {
		_unpack_e=$(tail -n 3 "$_unpack_root/.$_unpack_pkg.err.$$" | tr '\n' ' ')
		rm -f "$_unpack_root/.$_unpack_pkg.err.$$"
		_unpack_bail "$_unpack_e-- run: $_unpack_cmd"
		return 1; }
	rm -f "$_unpack_root/.$_unpack_pkg.err.$$"
	return 0
}
