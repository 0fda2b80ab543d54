#!/bin/sh
# mdrop-deliver -m under file-system faults (HOSTILE.md 56-59, 65): each
# temporary error defers only what it hits, leaves nothing in tmp/ and the
# message in SPOOL/new, and a rerun completes the delivery exactly once.
# Faults come from tests/fault/faultshim.c (LD_PRELOAD, FAULT_* below).
. "$(dirname "$0")/../lib/tap.sh"

SHIM=${MDROP_SHIMS:-$TOP/obj/tests}/faultshim.so
[ -f "$SHIM" ] || { echo "Bail out! $SHIM not built (make testbins)"; exit 1; }
D=$TESTDIR
SP=$D/spool
M=$D/mail
T="$M/%d/%l/Maildir"

rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3"; }
nfiles() { find "$1" -type f 2>/dev/null | wc -l | tr -d ' '; }
# fresh spool with one message for a@, b@, c@; Maildirs made in advance
setup() {
	rm -rf "$SP" "$M"
	mkdir -p "$SP/new" "$SP/tmp" "$SP/failed"
	for u in a b c; do mkdir -p "$M/ex.org/$u/Maildir/tmp" "$M/ex.org/$u/Maildir/new" "$M/ex.org/$u/Maildir/cur"; done
	printf 'Subject: f\n\nbody\n' >"$SP/new/1.M1P1.h"
	P=$SP/new/1.M1P1.h
	{ rec "$P" a@ex.org s@y; rec "$P" b@ex.org s@y; rec "$P" c@ex.org s@y; } | ends >"$D/in"
}
# faulty CALL NTH ERRNO PATH: one run with the fault
faulty() {
	LD_PRELOAD=$SHIM FAULT_PROG=mdrop-deliver FAULT_CALL=$1 FAULT_NTH=$2 \
	    FAULT_ERRNO=$3 FAULT_PATH=$4 mdrop-deliver -m "$T" <"$D/in" >"$D/out" 2>"$D/err"
}
clean() { mdrop-deliver -m "$T" <"$D/in" >"$D/out2" 2>"$D/err2"; }
# after a rerun: exactly one copy per recipient, spool acknowledged
exactly_once() {
	for u in a b c; do
		is "$(nfiles "$M/ex.org/$u/Maildir/new")" 1 "$1: $u has exactly one copy"
	done
	is "$(nfiles "$M/ex.org/a/Maildir/tmp")$(nfiles "$M/ex.org/b/Maildir/tmp")$(nfiles "$M/ex.org/c/Maildir/tmp")" 000 "$1: tmp/ empty"
	ok "$1: spool file gone after the rerun" test ! -e "$P" -a ! -e "$SP/1.M1P1.h.done"
}

# ENOSPC at the file's fsync (56, 57)
setup
faulty fsync 1 ENOSPC /ex.org/b/Maildir/tmp/
is "$?" 75 "ENOSPC at fsync: exit 75"
is "$(cut -f2,3 "$D/out" | tr '\t\n' ' ;')" "a@ex.org ok;b@ex.org defer;c@ex.org ok;" "only b deferred"
grep -q 'b@ex.org	defer	.*No space left' "$D/out" && pass "detail names ENOSPC" || fail "detail names ENOSPC" "$(cat "$D/out")"
is "$(nfiles "$M/ex.org/b/Maildir")" 0 "b: tmp file removed, nothing in new/"
ok "message stays in SPOOL/new" test -f "$P"
ok "progress note lists a and c" sh -c "grep -c '^ok	' '$SP/1.M1P1.h.done' | grep -qx 2"
clean; is "$?" 0 "rerun after space returns: exit 0"
is "$(cut -f2,3,4 "$D/out2" | sed "s#$M/ex.org/b/Maildir/new/.*#NEW#; s#already delivered: .*#already#" | tr '\t\n' ' ;')" \
    "a@ex.org ok already;b@ex.org ok NEW;c@ex.org ok already;" "rerun delivers only b"
exactly_once "ENOSPC"

# EIO on write (57)
setup
faulty write 1 EIO /ex.org/a/Maildir/tmp/
is "$?" 75 "EIO on write: exit 75"
is "$(nfiles "$M/ex.org/a/Maildir")" 0 "EIO: no partial file anywhere"
clean
exactly_once "EIO"

# EIO from the fsync of new/ after the link: the copy is there but not
# known durable -> defer; the rerun finds it instead of delivering again
setup
faulty fsync 1 EIO /ex.org/c/Maildir/new
is "$?" 75 "EIO at fsync of new/: exit 75"
grep -q 'c@ex.org	defer	fsync of new/' "$D/out" && pass "c deferred" || fail "c deferred" "$(cat "$D/out")"
clean
grep -q 'c@ex.org	ok	already delivered' "$D/out2" && pass "rerun recognises the linked copy" || fail "rerun recognises" "$(cat "$D/out2")"
exactly_once "EIO at dir fsync"

# EDQUOT / EACCES on one Maildir (58): the others continue
for e in EDQUOT EACCES; do
	setup
	faulty link 1 $e /ex.org/b/Maildir/new
	is "$?" 75 "$e on b: exit 75"
	is "$(cut -f3 "$D/out" | tr '\n' ' ')" "ok defer ok " "$e: only b deferred"
	clean
	exactly_once "$e"
done

# EROFS (59): exit 75 with a loud log line
setup
faulty link 1 EROFS /ex.org/a/Maildir/new
is "$?" 75 "EROFS: exit 75"
grep -q 'error: read-only-filesystem' "$D/err" && pass "EROFS logged loudly" || fail "EROFS logged" "$(cat "$D/err")"
clean
exactly_once "EROFS"

# the spool's new progress note cannot be made durable (fsync of SPOOL,
# once per batch, before any copy is linked): nothing is published, every
# copy deferred, tmp/ cleaned, exit 75
setup
faulty fsync 1 ENOSPC /spool
is "$?" 75 "fsync of the spool (progress notes) fails: exit 75"
is "$(cut -f3 "$D/out" | tr '\n' ' ')" "defer defer defer " "spool fsync fails: every copy deferred"
grep -q 'a@ex.org	defer	fsync of the spool' "$D/out" && pass "spool fsync fails: detail says so" || fail "spool fsync: detail" "$(cat "$D/out")"
is "$(nfiles "$M/ex.org")" 0 "spool fsync fails: nothing linked into new/, nothing left in tmp/"
ok "spool fsync fails: message stays in SPOOL/new" test -f "$P"
clean
exactly_once "spool fsync"

# ENOSPC creating the Maildir (a new recipient)
setup
rm -rf "$M/ex.org/c"
faulty mkdir 1 ENOSPC /ex.org
is "$?" 75 "ENOSPC at mkdir: exit 75"
clean
exactly_once "mkdir"

# two delivers at once on the same records (65): never twice
setup
i=0
while [ $i -lt 8 ]; do
	printf 'Subject: %s\n\nx\n' $i >"$SP/new/2$i.M1P1.h"
	rec "$SP/new/2$i.M1P1.h" a@ex.org ""; rec "$SP/new/2$i.M1P1.h" b@ex.org ""
	i=$((i + 1))
done | ends >"$D/in2"
mdrop-deliver -m "$T" <"$D/in2" >"$D/o1" 2>/dev/null &
p1=$!
mdrop-deliver -m "$T" <"$D/in2" >"$D/o2" 2>/dev/null &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
case "$r1$r2" in 00|075|750|7575) pass "two at once: exit 0 or 75 ($r1 $r2)";; *) fail "two at once: exit codes" "$r1 $r2";; esac
mdrop-deliver -m "$T" <"$D/in2" >/dev/null 2>&1
is "$?" 0 "rerun completes"
is "$(nfiles "$M/ex.org/a/Maildir/new") $(nfiles "$M/ex.org/b/Maildir/new")" "8 8" "two at once: every (message, recipient) exactly once"
is "$(ls "$SP/new" | grep -c '^2')" 0 "two at once: all acknowledged"

done_testing
