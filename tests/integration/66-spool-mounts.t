#!/bin/sh
# HOSTILE 61 with a bind mount (audit 2026-12-06): a directory of the
# same file system mounted over SPOOL/tmp (or failed/) has the same
# st_dev as new/, yet rename(2) across it fails with EXDEV. mdrop-fetch
# used to note the UID, fail the rename, and after the admin unmounted,
# DELE the message from the notes: its only copy left outside the spool.
# Now every tool refuses such a spool at start, before the server is
# asked anything. Root only (mount).
TAP_ROOT=1
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/fake_pop3.sh"

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (mount --bind)"
	exit 0
fi
D=$TESTDIR
SP=$D/spool
mkdir -p "$D/f/msgs" "$SP/tmp" "$SP/new" "$SP/failed" "$D/other" "$D/mail"
chmod 700 "$SP"; chmod 755 "$D"
printf 'Subject: a\r\n\r\na\r\n' >"$D/f/msgs/1.msg"
if ! mount --bind "$D/other" "$SP/tmp" 2>"$D/mount.err"; then
	echo "1..0 # SKIP mount --bind refused here: $(cat "$D/mount.err")"
	exit 0
fi
at_exit "umount '$SP/tmp' 2>/dev/null"
start_fake "$D/f"
# fetch_spool: mdrop-fetch of SPOOL from the fake server, out/err in $D
fetch_spool() {
	MDROP_PASSWORD=x mdrop-fetch --tls none -h 127.0.0.1 -p "$FAKE_PORT" \
	    -u drop "$SP" >"$D/out" 2>"$D/err"
}
fetch_spool
is "$?" 78 "fetch: tmp/ a bind mount: refused at start, exit 78"
grep -q 'error: cannot-open spool=.* (tmp/, new/ and failed/ not on one mount)' "$D/err" &&
	pass "... saying why" || fail "... saying why" "$(cat "$D/err")"
is "$(grep -c '^C: ' "$D/f/log")" 0 "... before the server was asked anything"
is "$(ls -A "$D/other" "$SP/new" | grep -vc ':$' )" 1 "... nothing written (one empty line of ls)"
umount "$SP/tmp"

mount --bind "$D/other" "$SP/failed" || { echo "Bail out! second bind mount"; exit 1; }
at_exit "umount '$SP/failed' 2>/dev/null"
fetch_spool
is "$?" 78 "fetch: failed/ a bind mount: refused at start, exit 78"
printf 'Subject: b\n\nb\n' >"$SP/new/1.M1P1.h"
chown -R nobody "$SP/new" "$SP" "$D/mail"
printf '%s\t%s\t\n%s\n' "$SP/new/1.M1P1.h" a@ex.org "$SP/new/1.M1P1.h" |
    mdrop-deliver --user nobody -m "$D/mail/%d/%l" >"$D/out" 2>"$D/err"
is "$?" 75 "deliver: failed/ a bind mount: deferred (exit 75)"
grep -q "defer	cannot open spool $SP: Invalid cross-device link" "$D/out" &&
	pass "... saying why" || fail "... saying why" "$(cat "$D/out")"
ok "... the spool file stays" test -f "$SP/new/1.M1P1.h"
is "$(find "$D/mail" -type f | wc -l | tr -d ' ')" 0 "... nothing delivered"
umount "$SP/failed"

# HOSTILE 59: a read-only spool is 75 with a loud line (was 74)
mount --bind "$SP" "$SP" && mount -o remount,ro,bind "$SP" ||
	{ echo "Bail out! read-only bind mount"; exit 1; }
at_exit "umount '$SP' 2>/dev/null"
fetch_spool
is "$?" 75 "fetch: a read-only spool: exit 75"
grep -q 'error: .*spool=.*Read-only file system' "$D/err" &&
	pass "... saying so" || fail "... saying so" "$(cat "$D/err")"
umount "$SP"
done_testing
