#!/bin/sh
# Durability order, from the system calls themselves: the whole pipeline
# runs once under `strace -f -ff -y` against the private Dovecot, and
# tests/lib/strace-check.py proves from the trace that
#   - every DELE fetch sends comes after the fsync of that message's spool
#     file, the rename into new/ and the fsync of new/, and the fsync of
#     the UID note naming it (rules F1-F3), and its path is printed only
#     after that (F4);
#   - every spool unlink by deliver comes after the fsync of each
#     recipient's Maildir file, its link into new/ and the fsync of new/
#     (D1-D3);
#   - every link of a Maildir copy comes after its message's progress
#     note was opened and, when newly created, the spool fsynced (D4).
# kill -9 keeps the page cache, so only this test catches a missing fsync.
# Then the checker is proven to fail: on the same trace with each
# durability step removed or moved (as if the code had lost it), and on
# a small hand-written bad trace.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/dovecot.sh"
. "$TOP/tests/fault/driver.sh"

command -v strace >/dev/null || { echo "Bail out! strace missing (make deps)"; exit 1; }
CHECK="python3 $TOP/tests/lib/strace-check.py"
rel_setup 8
rel_reset
T=$REL_DIR/trace
rel_strace "$T" execve,openat,write,read,fsync,fdatasync,rename,renameat,renameat2,link,linkat,unlink,unlinkat
is "$RC_FETCH $RC_SPLIT $RC_DELIVER" "0 0 0" "traced pipeline: every stage exits 0"
rel_invariant && pass "traced pipeline delivered everything ($REL_SUMMARY)" ||
	fail "traced pipeline delivered everything" "$REL_WHY"

out=$($CHECK "$T/tr" "$REL_RUN/traced.out"); rc=$?
is "$rc" 0 "strace-check: no violation in the real trace"
[ "$rc" = 0 ] || diag "$out"
is "$(printf '%s\n' "$out" | sed -n 's/^checked: //p')" "dele=8 unlink=8 violations=0" \
    "every DELE and every spool unlink was checked"
for r in F1 F2 F3 F4 D1 D2 D3 D4; do
	printf '%s\n' "$out" | grep -q "^ok $r [1-9]" && pass "rule $r held at least once" ||
		fail "rule $r held at least once" "$out"
done

FT=$(grep -l '^execve("[^"]*mdrop-fetch"' "$T"/tr.* | head -1)
DT=$(grep -l '^execve("[^"]*mdrop-deliver"' "$T"/tr.* | head -1)
# Messages whose ISP block names their one recipient are hard-linked, not
# copied (and rule D2 above then held for the spool file's own fsync).
n=$(grep -c '^linkat(AT_FDCWD[^,]*, "/proc/self/fd/[0-9]*", [0-9]*</[^>]*/Maildir/tmp>' "$DT")
[ "$n" -ge 4 ] && pass "deliver hard-linked spool files into Maildir tmp/ ($n)" ||
	fail "deliver hard-linked spool files into Maildir tmp/" "$n links"
# drop REGEX FILE: delete the matching lines
drop() { grep -v -- "$DROP" "$1" >"$1.new"; mv "$1.new" "$1"; }
# hoist FILE: move the lines matching $MOVE to just after the first line
# matching $AFTER
hoist() {
	awk -v m="$MOVE" -v a="$AFTER" 'NR == FNR { if ($0 ~ m) p = p $0 "\n"; next }
	    $0 ~ m { next } { print } $0 ~ a && !done { printf "%s", p; done = 1 }' \
	    "$1" "$1" >"$1.new"
	mv "$1.new" "$1"
}
DROP='^fsync([0-9]*</[^>]*/spool/new>)'
rel_mutate "fetch without the fsync of SPOOL/new" "$FT" F3 drop
DROP='^fsync([0-9]*</[^>]*/spool/tmp/[^>]*,F>)'
rel_mutate "fetch without the fsync of the spool files" "$FT" F2 drop
DROP='^fsync([0-9]*</[^>]*/spool/uidl\.[0-9a-f]*>)'
rel_mutate "fetch without the fsync of the UID notes" "$FT" F1 drop
DROP='^renameat([0-9]*</[^>]*/spool/tmp>'
rel_mutate "fetch without the renames into new/" "$FT" F3 drop
MOVE='^write\([0-9]*<socket:[^>]*>, "DELE ' AFTER='^write\([0-9]*<socket:[^>]*>, "LIST'
rel_mutate "fetch sending DELE right after LIST" "$FT" F1 hoist
MOVE='^write\(1<' AFTER='^renameat\([0-9]*<[^>]*/spool/tmp>'
rel_mutate "fetch printing paths before the fsync of new/" "$FT" F4 hoist
DROP='^fsync([0-9]*</[^>]*/Maildir/new>)'
rel_mutate "deliver without the fsync of Maildir/new" "$DT" D3 drop
DROP='^fsync([0-9]*</[^>]*/Maildir/tmp/[^>]*>)'
rel_mutate "deliver without the fsync of the Maildir files" "$DT" D2 drop
# a Maildir file that is the spool file itself (hard link): its fsync
DROP='^fsync([0-9]*</[^>]*/spool/new/[^>]*>)'
rel_mutate "deliver linking a spool file without fsyncing it" "$DT" D2 drop
DROP='^linkat('
rel_mutate "deliver unlinking without a link into new/" "$DT" D1 drop
MOVE='^unlinkat\([0-9]*<[^>]*/spool/new>' AFTER='^linkat\(.*/Maildir/new>'
rel_mutate "deliver unlinking the spool file before fsyncing new/" "$DT" D3 hoist
DROP='^fsync([0-9]*</[^>]*/spool>)'
rel_mutate "deliver linking before the fsync of the new progress notes" "$DT" D4 drop
DROP='^openat([0-9]*</[^>]*/spool>, "[^"]*\.done"'
rel_mutate "deliver linking without a progress note" "$DT" D4 drop

# a hand-written trace: fetch deletes a message it never made durable
mkdir -p "$REL_DIR/synth"
S=$REL_DIR/synth/tr
cat >"$S.100" <<'EOF'
execve("/usr/bin/mdrop-fetch", ["mdrop-fetch", "/s"], 0x1 /* 1 vars */) = 0
read(3<socket:[1]>, "+OK ready\r\n", 16384) = 11
write(3<socket:[1]>, "UIDL\r\n", 6) = 6
read(3<socket:[1]>, "+OK\r\n1 u1\r\n.\r\n", 16384) = 14
write(3<socket:[1]>, "RETR 1\r\n", 8) = 8
read(3<socket:[1]>, "+OK\r\nSubject: x\r\n\r\nhi\r\n.\r\n", 16384) = 25
openat(4</s/tmp>, "1.M1P1.h,F", O_WRONLY|O_CREAT|O_EXCL, 0600) = 5</s/tmp/1.M1P1.h,F>
write(5</s/tmp/1.M1P1.h,F>, "Subject: x\n\nhi\n", 15) = 15
write(3<socket:[1]>, "DELE 1\r\n", 8) = 8
read(3<socket:[1]>, "+OK\r\n", 16384) = 5
write(6</s/uidl.1>, "S 15 u1 1.M1P1.h\n", 17) = 17
fsync(6</s/uidl.1>) = 0
EOF
cat >"$S.101" <<'EOF'
execve("/usr/bin/mdrop-deliver", ["mdrop-deliver"], 0x1 /* 1 vars */) = 0
openat(AT_FDCWD</>, "/m/a/Maildir/tmp/x", O_WRONLY|O_CREAT|O_EXCL, 0600) = 5</m/a/Maildir/tmp/x>
linkat(6</m/a/Maildir/tmp>, "x", 7</m/a/Maildir/new>, "y", 0) = 0
unlinkat(8</s/new>, "1.M1P1.h", 0) = 0
EOF
printf '/s/new/1.M1P1.h\ta@m\tok\t/m/a/Maildir/new/y\n' >"$REL_DIR/synth/out"
o=$($CHECK "$S" "$REL_DIR/synth/out"); c=$?
is "$c" 1 "hand-written bad trace: checker fails"
is "$(printf '%s\n' "$o" | sed -n 's/^violation \([A-Z0-9]*\):.*/\1/p' | tr '\n' ' ')" "F1 D2 D3 " \
    "hand-written bad trace: the DELE before its note, the unfsynced Maildir file and new/"
done_testing
