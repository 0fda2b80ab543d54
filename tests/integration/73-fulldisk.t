#!/bin/sh
# A real full disk (HOSTILE.md 56): the spool and the Maildirs live on a
# small loop-mounted ext4 image that fills up while mdrop-fetch and
# mdrop-deliver write into it; once out of blocks, once out of inodes.
# Expected: the stage that hits it defers and exits 75 with a log line
# naming the file system error; nothing is lost mid-way (every message is
# delivered, still on the server or still in SPOOL/new; none twice); and
# after space is freed the next run completes: everything exactly once.
# Needs root and loop devices; where mounting is impossible it says so in
# a visible SKIP. The tools themselves run as nobody, owner of the file
# system (as root, mdrop-deliver would refuse a root-owned mail root:
# mdrop-deliver(1), PRIVILEGES).
TAP_ROOT=1
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/dovecot.sh"
. "$TOP/tests/fault/driver.sh"

FS=$TESTDIR/fs
mkdir -p "$FS"
can_mount() {
	[ "$(id -u)" = 0 ] || { WHY="not root"; return 1; }
	command -v mkfs.ext4 >/dev/null || { WHY="mkfs.ext4 missing"; return 1; }
	truncate -s 1M "$TESTDIR/probe.img" && mkfs.ext4 -q -F "$TESTDIR/probe.img" >/dev/null 2>&1 &&
	    mount -o loop "$TESTDIR/probe.img" "$FS" 2>"$TESTDIR/mount.err" ||
	    { WHY="mount -o loop failed: $(cat "$TESTDIR/mount.err" 2>/dev/null)"; return 1; }
	umount "$FS"; rm -f "$TESTDIR/probe.img"
}
if ! can_mount; then
	echo "1..0 # SKIP cannot loop-mount an ext4 image here ($WHY)"
	exit 0
fi

rel_setup 60
mkdir -p "$TESTDIR/bin"
for t in fetch split deliver; do
	printf '#!/bin/sh\nexec setpriv --reuid=%s --regid=%s --clear-groups %s "$@"\n' \
	    "$(id -u nobody)" "$(id -g nobody)" "$MDROP_BIN/mdrop-$t" >"$TESTDIR/bin/mdrop-$t"
	chmod 755 "$TESTDIR/bin/mdrop-$t"
done
PATH=$TESTDIR/bin:$PATH
chown nobody "$DOVECOT_DIR/drop.pass"
REL_SPOOL=$FS/spool
REL_MAIL=$FS/mail
export REL_SPOOL REL_MAIL

# fresh IMAGE: mkfs OPTIONS, mount on $FS
fresh() {
	mountpoint -q "$FS" && umount "$FS"
	rm -f "$TESTDIR/fs.img"
	truncate -s 8M "$TESTDIR/fs.img"
	mkfs.ext4 -q -F -m 0 "$@" "$TESTDIR/fs.img" >/dev/null 2>&1 &&
	    mount -o loop "$TESTDIR/fs.img" "$FS" && chown nobody "$FS"
}
# rel_reset, the mail root then nobody's
reset() { rel_reset; chown -R nobody "$REL_MAIL"; }
at_exit 'mountpoint -q "$FS" && umount "$FS"'

# full_run WHAT STAGE: a run on a nearly full file system; STAGE must be
# among those that exit 75
full_run() {
	what=$1
	rel_run "$what"
	why=
	eval rc=\$RC_$(echo "$2" | tr a-z A-Z)
	[ "$rc" = 75 ] || why="$2 exits $rc, not 75"
	for st in fetch deliver; do
		eval rc=\$RC_$(echo $st | tr a-z A-Z)
		case $rc in
		0) ;;
		75) grep -q "^mdrop-$st: \(error\|warning\): .*No space left on device" "$REL_RUN/$what.$st.err" ||
			why="$why; $st exit 75 without a log line naming ENOSPC" ;;
		*) why="$why; $st exit $rc" ;;
		esac
	done
	is "$why" "" "$what: $2 defers with exit 75 and says ENOSPC (exits $RC_FETCH $RC_SPLIT $RC_DELIVER)"
	[ -z "$why" ] || diag "$(cat "$REL_RUN/$what".*.err | grep -v ': info: ' | head -5)"
	rel_invariant --partial && pass "$what: nothing lost or doubled mid-way ($REL_SUMMARY)" ||
		fail "$what: nothing lost or doubled mid-way" "$REL_WHY"
	dd=$(printf '%s\n' "$REL_SUMMARY" | sed -n 's/^deliveries=\([0-9]*\) delivered=\([0-9]*\) .*/\1 \2/p')
	ok "$what: the disk filled before everything was done ($dd)" test "${dd#* }" -lt "${dd% *}"
}
again() {
	rel_run "$1.again"
	is "$RC_FETCH $RC_SPLIT $RC_DELIVER" "0 0 0" "$1: after freeing space the next run exits 0"
	rel_invariant && pass "$1: then everything exactly once ($REL_SUMMARY)" ||
		fail "$1: then everything exactly once" "$REL_WHY"
}

# ballast KIB: fill the file system but KIB KiB
ballast() {
	dd if=/dev/zero of="$FS/ballast" bs=64k 2>/dev/null
	rm -f "$FS/ballast"; sync
	avail=$(df -k --output=avail "$FS" | tail -1)
	dd if=/dev/zero of="$FS/ballast" bs=1k count=$((avail - $1)) 2>/dev/null; sync
	diag "$(df -k --output=avail "$FS" | tail -1) KiB free for a corpus of $(du -sk "$REL_CORPUS" | cut -f1) KiB"
}

# 1. out of blocks while fetch spools: ~120 KiB left, the corpus is larger
fresh || { echo "Bail out! cannot mount the image"; exit 1; }
reset
ballast 120
full_run fetch-blocks fetch
rm -f "$FS/ballast"
again fetch-blocks

# 2. out of blocks while deliver writes the Maildir copies: everything is
# spooled first (fetch alone), then the disk is filled. Most messages need
# no blocks in the Maildir (a hard link to the spool file); the copies of
# those with two recipients or a fallback do, more than the 16 KiB left.
fresh || { echo "Bail out! cannot mount the image"; exit 1; }
reset
mdrop-fetch --tls none -h 127.0.0.1 -p "$POP3_PORT" -u "$DROP_USER" \
    --password-file "$DOVECOT_DIR/drop.pass" "$REL_SPOOL" >/dev/null 2>&1
is "$?" 0 "deliver-blocks: everything spooled first"
ballast 16
full_run deliver-blocks deliver
rm -f "$FS/ballast"
again deliver-blocks

# 3. out of inodes: 256 inodes, all but 20 taken by empty ballast files
fresh -N 256 || { echo "Bail out! cannot mount the image"; exit 1; }
reset
mkdir -p "$FS/ballast"
i=0
while true >"$FS/ballast/f$i" 2>/dev/null; do i=$((i + 1)); done
rm -f "$FS/ballast/f0" "$FS/ballast/f1" "$FS/ballast/f2" "$FS/ballast/f3" \
    "$FS/ballast/f4" "$FS/ballast/f5" "$FS/ballast/f6" "$FS/ballast/f7" \
    "$FS/ballast/f8" "$FS/ballast/f9" "$FS/ballast/f10" "$FS/ballast/f11" \
    "$FS/ballast/f12" "$FS/ballast/f13" "$FS/ballast/f14" "$FS/ballast/f15" \
    "$FS/ballast/f16" "$FS/ballast/f17" "$FS/ballast/f18" "$FS/ballast/f19"
diag "inodes: $(df -i "$FS" | awk 'NR == 2 { print $4 }') free"
full_run inodes fetch
rm -rf "$FS/ballast"
again inodes

done_testing
