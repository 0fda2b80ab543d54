#!/bin/sh
# mdrop-deliver started as root (mdrop-deliver(1), PRIVILEGES): nothing is
# ever created or written as root. Each copy belongs to the owner of its
# recipient's mail directory; root-owned and unsafe (group- or
# world-writable) directories fail the recipient; --user does it all as
# that user; spools are written by their owners; LMTP drops to the spool's
# owner before connecting; a recipient racing the walk (symlinks, FIFOs,
# hard links) cannot make deliver touch anything outside its own
# directories. Every deliver run is under tests/fault/rootguard.so, which
# aborts it at the first write as euid 0 below $G.
TAP_ROOT=1
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/users.sh"

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (throwaway users)"
	exit 0
fi
GUARD=${MDROP_SHIMS:-$TOP/obj/tests}/rootguard.so
[ -f "$GUARD" ] || { echo "Bail out! $GUARD not built (make testbins)"; exit 1; }

chmod 755 "$TESTDIR"
D=$(cd "$TESTDIR" && pwd -P)
G=$D/g			# everything deliver may write lies below $G
H=$G/home		# like /home: root's, 0755
SP=$G/spool
U1=mdropt1_$$ U2=mdropt2_$$ S=mdropts_$$ V=mdroptv_$$ X=mdroptx_$$
for u in $U1 $U2 $S $V $X; do
	mkuser $u || { echo "Bail out! cannot create user $u"; exit 1; }
done

mkdir -p "$H" && chmod 755 "$G" "$H"
mkdir -m 700 "$H/$U1" "$H/$U2" "$H/roothome"
chown "$U1:$U1" "$H/$U1"; chown "$U2:$U2" "$H/$U2"
# mkspool DIR OWNER
mkspool() {
	mkdir -p "$1/new" "$1/tmp" "$1/failed"
	chown -R "$2:$2" "$1"; chmod -R go-rwx "$1"
}
mkspool "$SP" $S
# msg SPOOL NAME OWNER TEXT: a spool file (printf format TEXT)
msg() {
	# shellcheck disable=SC2059
	printf "$4" >"$1/new/$2"
	chown "$3:$3" "$1/new/$2"; chmod 600 "$1/new/$2"
}
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3"; }
# dl ARGS...: mdrop-deliver as root under the guard, stdout $D/out; the
# records on stdin get their end lines (ends)
dl() {
	ends | LD_PRELOAD=$GUARD ROOTGUARD_DIRS=$G ROOTGUARD_LOG=$D/guard.log \
	    mdrop-deliver "$@" >"$D/out" 2>"$D/err"
}
res() { cut -f2- "$D/out" | sed "s/$$/PID/g"; }

# --- the guard works: a write below $G as root aborts ---------------------
LD_PRELOAD=$GUARD ROOTGUARD_DIRS=$G ROOTGUARD_LOG=$D/probe.log \
    sh -c ": >'$H/probe'" 2>/dev/null
is "$?" 134 "rootguard aborts a write as root below the guarded root"
is "$(cat "$D/probe.log")" "open $H/probe" "rootguard names the call and path"
ok "... and it did not happen" test ! -e "$H/probe"

# --- two users and a root-owned home: /home/%l/Maildir as root -----------
msg "$SP" 1.M1P1.h $S 'Subject: one\n\nbody 1\n'
cp "$SP/new/1.M1P1.h" "$D/orig1"
P=$SP/new/1.M1P1.h
{ rec "$P" $U1@ex.org s@x.org; rec "$P" $U2@ex.org s@x.org
  rec "$P" roothome@ex.org s@x.org; rec "$P" nohome@ex.org s@x.org; } >"$D/in1"
exit_is 67 "two users ok, two refused: exit 67" dl -m "$H/%l/Maildir" <"$D/in1"
is "$(res | cut -f1,2 | tr '\t\n' ' ;')" \
    "mdropt1_PID@ex.org ok;mdropt2_PID@ex.org ok;roothome@ex.org fail;nohome@ex.org fail;" \
    "results"
grep -qF "roothome@ex.org	fail	reason=would-write-as-root dir=$H/roothome" "$D/out" &&
	pass "a root-owned home: would-write-as-root, named" || fail "root-owned home" "$(cat "$D/out")"
grep -qF "nohome@ex.org	fail	reason=would-write-as-root dir=$H" "$D/out" &&
	pass "no home (the mail root is root's): would-write-as-root" || fail "no home" "$(cat "$D/out")"
ok "the message is in failed/" test -f "$SP/failed/1.M1P1.h" -a ! -e "$P"
ok ".why gives the reason" grep -qF "roothome@ex.org	fail	reason=would-write-as-root dir=$H/roothome" "$SP/failed/1.M1P1.h.why"
is "$(stat -c '%U %a' "$SP/failed/1.M1P1.h.why" "$SP/failed/1.M1P1.h" | tr '\n' ' ')" \
    "$S 600 $S 600 " "failed/ and .why belong to the spool's owner"
ok "progress note removed" test ! -e "$SP/1.M1P1.h.done"
for u in $U1 $U2; do
	md=$H/$u/Maildir
	is "$(stat -c '%U:%G %a' "$md" "$md/tmp" "$md/new" "$md/cur" | sort -u)" "$u:$u 700" \
	    "$u: Maildir, tmp/, new/, cur/ are $u's, mode 0700"
	f=$(ls "$md/new")
	is "$(stat -c '%U:%G %a' "$md/new/$f")" "$u:$u 600" "$u: the copy is $u's, mode 0600"
	{ printf 'Return-Path: <s@x.org>\nDelivered-To: %s@ex.org\n' $u; cat "$D/orig1"; } >"$D/want"
	as_user $u cat "$md/new/$f" >"$D/got" 2>&1
	is_file_bytes "$D/got" "$D/want" "$u reads its copy (setpriv cat): byte-exact"
done
as_user $U2 cat "$H/$U1/Maildir/new/$(ls "$H/$U1/Maildir/new")" >/dev/null 2>&1
isnt_ok=$?
is "$([ $isnt_ok != 0 ] && echo refused)" refused "$U2 cannot read $U1's copy"
is "$(find "$H" -user root | sort | tr '\n' ' ')" "$H $H/roothome " \
    "nothing below the mail root was made by root"
is "$(ls -A "$H/roothome")" "" "nothing in the root-owned home"

# --- the hard link only where the writer owns the spool file --------------
# $U1's own spool (fetch run as $U1): its files are $U1's, so the copy may
# be the spool file itself; in $S's spool, a copy of $U1's own.
mkspool "$G/u1spool" $U1
msg "$G/u1spool" 2.M1P1.h $U1 "Return-Path: <s@x.org>\nDelivered-To: $U1@ex.org\n\nhl\n"
msg "$SP" 3.M1P1.h $S "Return-Path: <s@x.org>\nDelivered-To: $U1@ex.org\n\nhl\n"
cp "$SP/new/3.M1P1.h" "$D/orig3"
i2=$(stat -c %i "$G/u1spool/new/2.M1P1.h"); i3=$(stat -c %i "$SP/new/3.M1P1.h")
{ rec "$G/u1spool/new/2.M1P1.h" $U1@ex.org s@x.org; rec "$SP/new/3.M1P1.h" $U1@ex.org s@x.org; } |
	dl -m "$H/%l/Maildir"
is "$?" 0 "spool files of the recipient and of the spool's owner: exit 0"
f2=$(ls "$H/$U1/Maildir/new/" | grep '^2\.'); f3=$(ls "$H/$U1/Maildir/new/" | grep '^3\.')
is "$(stat -c %i "$H/$U1/Maildir/new/$f2")" "$i2" "spool file of $U1: hard-linked (same inode)"
is "$(stat -c '%U %a' "$H/$U1/Maildir/new/$f3")" "$U1 600" "spool file of $S: copied, the copy $U1's"
[ "$(stat -c %i "$H/$U1/Maildir/new/$f3")" != "$i3" ] && pass "... a new inode" || fail "... a new inode"
is_file_bytes "$H/$U1/Maildir/new/$f3" "$D/orig3" "... the same bytes"

# --- an end line that names another spool: no sweep there as root --------
# deliver removes the done notes a killed run left in a spool it opens;
# a spool opened only to compare an end line's file with the group in
# hand must not be swept by root (rootguard aborts an unlink as root).
mkspool "$G/sp2" $S
printf 'ok\tx@ex.org\tgone\n' >"$G/sp2/7.M1P1.h.done"
chown $S:$S "$G/sp2/7.M1P1.h.done"
msg "$SP" 4.M1P1.h $S "Subject: four\n\nbody 4\n"
{ rec "$SP/new/4.M1P1.h" $U1@ex.org s@x.org; printf '%s\n' "$G/sp2/new/4.M1P1.h"; } |
	LD_PRELOAD=$GUARD ROOTGUARD_DIRS=$G ROOTGUARD_LOG=$D/guard4.log \
	mdrop-deliver -m "$H/%l/Maildir" >"$D/out" 2>"$D/err"
is "$?" 0 "an end line for another spool's file of the same name: exit 0"
is "$(cat "$D/guard4.log" 2>/dev/null)" "" "... no write as root (no sweep of that spool as root)"
is "$(res | cut -f1,2)" "mdropt1_PID@ex.org	ok" "... the group in hand delivered"
ok "... its spool file removed" test ! -e "$SP/new/4.M1P1.h"

# --- a hard link to another user's file in new/ under the copy's name -----
printf 'secret of u2\n' >"$H/$U2/secret"; chown "$U2:$U2" "$H/$U2/secret"; chmod 600 "$H/$U2/secret"
snap() { stat -c '%i %h %U %G %a %s %Y' "$H/$U2/secret"; cat "$H/$U2/secret"; }
msg "$SP" 4.M1P1.h $S 'Subject: four\n\nx\n'
cp "$SP/new/4.M1P1.h" "$D/orig4"
rec "$SP/new/4.M1P1.h" $U1@ex.org "" >"$D/in4"
dl -m "$H/%l/Maildir" <"$D/in4"
f4=$(ls "$H/$U1/Maildir/new/" | grep '^4\.')
rm "$H/$U1/Maildir/new/$f4"
ln "$H/$U2/secret" "$H/$U1/Maildir/new/$f4"
snap >"$D/secret.before"
cp "$D/orig4" "$SP/new/4.M1P1.h"; chown "$S:$S" "$SP/new/4.M1P1.h"
as_user $S sh -c ": >'$SP/4.M1P1.h.done'"	# as after a crash: scan new/ and cur/
exit_is 0 "rerun with another user's file linked in new/ under the copy's name" dl -m "$H/%l/Maildir" <"$D/in4"
grep -q 'ok	already delivered' "$D/out" && pass "... taken as delivered" || fail "... taken as delivered" "$(cat "$D/out")"
snap >"$D/secret.after"
is_file_bytes "$D/secret.after" "$D/secret.before" "... and left untouched (content, owner, mode, links, time)"
rm "$H/$U1/Maildir/new/$f4"

# --- unsafe directories on the way ----------------------------------------
groupadd_dir() { mkdir -p "$1"; chown "$2:$X" "$1"; chmod "$3" "$1"; }
groupadd_dir "$G/gw" root 2775		# like a group-writable /var/mail
mkdir -m 700 "$G/gw/$U1"; chown "$U1:$U1" "$G/gw/$U1"
groupadd_dir "$H/$U2/shared" $U2 2775	# inside the owner's own home
mkdir -p "$G/sticky"; chmod 1777 "$G/sticky"
mkdir -m 700 "$G/sticky/$U1"; chown "$U1:$U1" "$G/sticky/$U1"
msg "$SP" 5.M1P1.h $S 'Subject: five\n\nx\n'
P=$SP/new/5.M1P1.h
rec "$P" $U1@ex.org "" | dl -m "$G/gw/%l/Maildir"
is "$?" 67 "group-writable (2775, another user's group) mail root: exit 67"
grep -qF "fail	reason=unsafe-directory dir=$G/gw" "$D/out" && pass "... unsafe-directory, named" || fail "... unsafe-directory" "$(cat "$D/out")"
is "$(ls -A "$G/gw/$U1")" "" "... nothing delivered or made below it"
ok "... the message is in failed/ with the reason" grep -qF "reason=unsafe-directory dir=$G/gw" "$SP/failed/5.M1P1.h.why"
msg "$SP" 6.M1P1.h $S 'Subject: six\n\nx\n'
{ rec "$SP/new/6.M1P1.h" $U2@ex.org ""; } | dl -m "$H/%l/shared/Maildir"
grep -qF "fail	reason=unsafe-directory dir=$H/$U2/shared" "$D/out" &&
	pass "a group-writable directory in the owner's home: unsafe-directory" || fail "group-writable in home" "$(cat "$D/out")"
is "$(ls -A "$H/$U2/shared")" "" "... nothing below it"
msg "$SP" 7.M1P1.h $S 'Subject: seven\n\nx\n'
rec "$SP/new/7.M1P1.h" $U1@ex.org "" | dl -m "$G/sticky/%l/Maildir"
grep -qF "fail	reason=unsafe-directory dir=$G/sticky" "$D/out" &&
	pass "a world-writable sticky directory (1777): unsafe-directory" || fail "sticky" "$(cat "$D/out")"
is "$(ls -A "$G/sticky/$U1")" "" "... nothing below it"
# Another user's 0700 home on the way to a Maildir the recipient owns: the
# owner cannot even open it, and it is writable by that other user: unsafe,
# a permanent failure (it was deferred for ever as "Permission denied").
mkdir -m 700 "$H/$U2/box"; chown "$U1:$U1" "$H/$U2/box"
msg "$SP" 17.M1P1.h $S 'Subject: seventeen\n\nx\n'
rec "$SP/new/17.M1P1.h" $U2@ex.org "" | dl -m "$H/%l/box/Maildir"
is "$?" 67 "another user's 0700 home on the way: exit 67"
grep -qF "fail	reason=unsafe-directory dir=$H/$U2" "$D/out" &&
	pass "... unsafe-directory, naming that home" || fail "another user's home" "$(cat "$D/out")"
is "$(ls -A "$H/$U2/box")" "" "... nothing below it"
ok "... the message is in failed/" test -f "$SP/failed/17.M1P1.h"
rmdir "$H/$U2/box"

# --- --detail-folder as root: the folder's owner must be the Maildir's ----
MD1=$H/$U1/Maildir
mkdir -p "$MD1/.shop/new" "$MD1/.shop/cur" "$MD1/.shop/tmp" "$MD1/.evil/new" "$MD1/.evil/cur" "$MD1/.evil/tmp"
chown -R "$U1:$U1" "$MD1/.shop"; chown -R "$U2:$U2" "$MD1/.evil"
msg "$SP" 15.M1P1.h $S 'Subject: fifteen\n\nx\n'
msg "$SP" 16.M1P1.h $S 'Subject: sixteen\n\nx\n'
{ rec "$SP/new/15.M1P1.h" "$U1+shop@ex.org" ""; rec "$SP/new/16.M1P1.h" "$U1+evil@ex.org" ""; } |
	dl --delimiter + --detail-folder -m "$H/%l/Maildir"
is "$?" 0 "--detail-folder as root: exit 0"
is "$(stat -c '%U %a' "$MD1"/.shop/new/15.* 2>&1)" "$U1 600" "... into the user's own folder .shop, the copy the user's"
is "$(find "$MD1/.evil" -type f | wc -l | tr -d ' ')" 0 \
    "... never into a folder another user owns (.evil, $U2's): nothing there"
is "$(stat -c %U "$MD1"/new/16.* 2>&1)" "$U1" "... that copy in the Maildir itself, the user's"
rm -rf "$MD1/.evil"	# the race below checks that all in the home is $U1's

# --- a root-owned spool without --user: refused, nothing written ----------
RS=$G/rootspool
mkspool "$RS" root
msg "$RS" 8.M1P1.h root 'Subject: eight\n\nx\n'
exit_is 78 "root-owned spool, no --user: exit 78" dl -m "$H/%l/Maildir" <<EOF
$(rec "$RS/new/8.M1P1.h" $U1@ex.org "")
EOF
grep -qF "defer	spool $RS belongs to root: as root, mdrop-deliver needs --user" "$D/out" &&
	pass "... deferred, saying why" || fail "... deferred, saying why" "$(cat "$D/out")"
ok "... the message stays in new/, no note" test -f "$RS/new/8.M1P1.h" -a ! -e "$RS/8.M1P1.h.done"
is "$(ls "$H/$U1/Maildir/new" | grep -c '^8\.')" 0 "... nothing delivered"

# --- --user: everything as that user ---------------------------------------
VM=$G/vmail
mkdir -p "$VM"; chown "$V:$V" "$VM"
mkspool "$G/vspool" $V
msg "$G/vspool" 9.M1P1.h $V 'Subject: nine\n\nx\n'
msg "$G/vspool" 10.M1P1.h $V 'Subject: ten\n\nx\n'
{ rec "$G/vspool/new/9.M1P1.h" a@ex.org ""; rec "$G/vspool/new/9.M1P1.h" b@ex.org ""
  rec "$G/vspool/new/9.M1P1.h" nosuch@ex.org ""
  rec "$G/vspool/new/10.M1P1.h" a@ex.org ""; } >"$D/in9"
mkdir -p "$VM/ex.org/nosuch"; : >"$VM/ex.org/nosuch/new"; chown -R "$V:$V" "$VM/ex.org"
exit_is 67 "--user: two delivered, one failed" dl --user $V -m "$VM/%d/%l" <"$D/in9"
is "$(find "$VM" "$G/vspool" ! -user $V | wc -l)" 0 "--user: every file and directory made is the user's"
is "$(find "$VM/ex.org/a/new" "$VM/ex.org/b/new" -type f -user $V -perm 600 | wc -l)" 3 "--user: three copies, mode 0600"
is "$(stat -c %U "$G/vspool/failed/9.M1P1.h.why")" $V "--user: failed/ and .why written as the user"
mkdir -p "$G/rootmail"
msg "$G/vspool" 11.M1P1.h $V 'Subject: eleven\n\nx\n'
exit_is 75 "--user and a root-owned mail root: deferred (EACCES)" dl --user $V -m "$G/rootmail/%l" <<EOF
$(rec "$G/vspool/new/11.M1P1.h" p@ex.org "")
EOF
exit_is 78 "--user unknown" sh -c "printf '' | mdrop-deliver --user no-such-user-xyz -m '$H/%l' 2>/dev/null"
exit_is 78 "--user root is refused" sh -c "printf '' | mdrop-deliver --user root -m '$H/%l' 2>'$D/err'"
ok "... saying why" grep -q 'user=root reason=would-write-as-root' "$D/err"

# --- LMTP as root: the spool's owner connects ------------------------------
mkdir -p "$D/lmtp"
python3 "$TOP/tests/lib/fake_lmtp.py" --unix "$D/lmtp/sock" --ready "$D/lmtp/ready" \
    --record "$D/lmtp/rec" 2>"$D/lmtp/err" &
lpid=$!
at_exit "kill $lpid"
n=0; while [ ! -s "$D/lmtp/ready" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
chmod 777 "$D/lmtp/sock"
msg "$SP" 12.M1P1.h $S 'Subject: twelve\n\nx\n'
rec "$SP/new/12.M1P1.h" l@ex.org "" | ends >"$D/in12"
# (LeakSanitizer cannot run under ptrace: off for the traced runs)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
LD_PRELOAD=$GUARD ROOTGUARD_DIRS=$G ROOTGUARD_LOG=$D/guard.log strace -f -o "$D/lmtp.trace" \
    -e trace=setresuid,connect mdrop-deliver -v -l "unix:$D/lmtp/sock" <"$D/in12" >"$D/out" 2>"$D/err"
is "$?" 0 "LMTP as root: delivered"
ok "... a debug line names the user" grep -q "debug: user user=$S reason=spool-owner before=lmtp" "$D/err"
su=$(id -u $S)
# calls TRACE PATTERN-OPTIONS...: the calls of TRACE's matching lines, in order
calls() {
	_t=$1; shift
	for _l in $(grep -n "$@" "$_t" | cut -d: -f1); do
		sed -n "${_l}s/^[0-9 ]*\([a-z]*\)(.*/\1/p" "$_t"
	done | tr '\n' ' '
}
is "$(calls "$D/lmtp.trace" -e "setresuid($su, $su, $su) *= 0" -e "connect(.*$D/lmtp/sock")" \
    "setresuid connect " "... the switch to $S, for good, comes before the connection"
ok "... the spool file is gone (removed as $S)" test ! -e "$SP/new/12.M1P1.h"
msg "$SP" 13.M1P1.h $S 'Subject: thirteen\n\nx\n'
rec "$SP/new/13.M1P1.h" l@ex.org "" | ends >"$D/in13"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -o "$D/lmtp2.trace" -e trace=setresuid,connect \
    mdrop-deliver --user $V -l "unix:$D/lmtp/sock" <"$D/in13" >"$D/out" 2>"$D/err"
is "$?" 75 "LMTP --user $V: the spool is $S's, not readable: deferred"
vu=$(id -u $V)
is "$(calls "$D/lmtp2.trace" -e "setresuid($vu, $vu, $vu) *= 0" -e "connect(.*$D/lmtp/sock")" \
    "setresuid " "... switched to $V at the start, never connected"
kill $lpid 2>/dev/null; wait $lpid 2>/dev/null

# --- LMTP as root over TCP to a server with CHUNKING: BDAT as the owner -----
# (the pread of the spool file for BDAT's count, the connect and the
# send all come after the switch to the spool's owner)
mkdir -p "$D/lmtpb"
python3 "$TOP/tests/lib/fake_lmtp.py" --ready "$D/lmtpb/ready" --record "$D/lmtpb/rec" \
    --caps "PIPELINING 8BITMIME ENHANCEDSTATUSCODES CHUNKING" 2>"$D/lmtpb/err" &
bpid=$!
at_exit "kill $bpid"
n=0; while [ ! -s "$D/lmtpb/ready" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
bport=$(cat "$D/lmtpb/ready")
msg "$SP" 14.M1P1.h $S 'Subject: fourteen\n\n.dot\nx\n'
rec "$SP/new/14.M1P1.h" l@ex.org "" | ends >"$D/in14"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
LD_PRELOAD=$GUARD ROOTGUARD_DIRS=$G ROOTGUARD_LOG=$D/guard.log strace -f -o "$D/lmtpb.trace" \
    -e trace=setresuid,connect,openat mdrop-deliver -l "127.0.0.1:$bport" <"$D/in14" >"$D/out" 2>"$D/err"
is "$?" 0 "LMTP over TCP with CHUNKING, as root: delivered"
is "$(tr -d '\r' <"$D/lmtpb/rec/conn-1.in" | grep -E '^(MAIL|RCPT|BDAT|DATA)')" \
    "$(printf 'MAIL FROM:<>\nRCPT TO:<l@ex.org>\nBDAT 30 LAST')" "... sent as BDAT, the count right"
printf 'Subject: fourteen\r\n\r\n.dot\r\nx\r\n' >"$D/want14"
is_file_bytes "$D/lmtpb/rec/msg-1" "$D/want14" "... the server got the message byte for byte"
is "$(calls "$D/lmtpb.trace" -e "setresuid($su, $su, $su) *= 0" -e "openat(.*14.M1P1.h\"" \
    -e "connect(.*htons($bport)" | tr -s ' ' | sed 's/openat \(openat \)*/openat /')" \
    "setresuid openat connect " "... switched to $S for good before opening the spool file and connecting"
ok "... the spool file is gone" test ! -e "$SP/new/14.M1P1.h"
kill $bpid 2>/dev/null; wait $bpid 2>/dev/null

# --- doc/examples/mdrop-pipeline as root with MDROP_RUN_AS -----------------
# fetch and split (stubs that note who they run as) as $S, deliver as root
PB=$D/pbin
mkdir -p "$PB" "$D/pl"; chmod 1777 "$D/pl"
for t in fetch split deliver; do
	printf '#!/bin/sh\nid -un >"%s/pl/%s"\n' "$D" $t >"$PB/mdrop-$t"
done
echo 'exec "$MDROP_BIN/mdrop-deliver" "$@"' >>"$PB/mdrop-deliver"
chmod 755 "$PB"/*
cat >"$D/pl.conf" <<EOF
MDROP_HOST=pop.isp.example
MDROP_USER=drop@isp.example
MDROP_SPOOL=$SP
MDROP_DOMAINS=ex.org
MDROP_DELIVER_OPTS="--maildir $H/%l/Maildir"
MDROP_RUN_AS=$S
EOF
PATH=$PB:$PATH MDROP_CONF=$D/pl.conf sh "$TOP/doc/examples/mdrop-pipeline" >/dev/null 2>"$D/err"
is "$?" 0 "mdrop-pipeline as root with MDROP_RUN_AS: exit 0"
is "$(cat "$D/pl/fetch" "$D/pl/split" "$D/pl/deliver" | tr '\n' ' ')" "$S $S root " \
    "... fetch and split run as MDROP_RUN_AS, deliver as root"

# --- the recipient races the walk -------------------------------------------
# $U1 swaps its Maildir, tmp/ and new/ with symlinks (to $U2's Maildir and
# to a world-writable canary), FIFOs and fresh directories, over and over,
# while deliver as root delivers to $U1 and $U2; $U1's tmp/ also holds a
# hard link to $U2's secret. The race ends when deliver has delivered at
# least RACE_MIN messages and the attacker has made at least RACE_SWAPS
# rounds (RACE_MAX messages at most).
mkdir -p "$G/canary"; chmod 1777 "$G/canary"
mkdir -p "$D/race"; chown "$U1:$U1" "$D/race"
ln "$H/$U2/secret" "$H/$U1/Maildir/tmp/1.M1P1.hardlink"
snap >"$D/secret.before"
canary_mtime=$(stat -c %y "$G/canary")
cat >"$D/attack.py" <<'EOF'
import os, sys, time
home, u2md, canary, stop, count = sys.argv[1:]
os.chdir(home)
n = 0

def swap(path, make):
    """Move path aside, put make's thing there for a moment (so that a
    deliver run meets it), take it away, move the original back."""
    aside = "%s.x%d" % (path, n)
    try:
        os.rename(path, aside)
    except OSError:
        return
    try:
        make(path)
    except OSError:
        pass
    time.sleep(0.002)
    for step in (os.unlink, os.rmdir):
        try:
            step(path)
        except OSError:
            pass
    try:
        os.rename(aside, path)
    except OSError:
        pass    # deliver made a new one meanwhile: the old stays aside

while not os.path.exists(stop):
    swap("Maildir", lambda p: os.symlink(u2md, p))
    swap("Maildir", lambda p: os.symlink(canary, p))
    swap("Maildir/tmp", lambda p: os.symlink(canary, p))
    swap("Maildir/new", os.mkfifo)
    swap("Maildir/new", lambda p: os.symlink(u2md + "/new", p))
    swap("Maildir/cur", lambda p: os.symlink(u2md + "/cur", p))
    swap("Maildir", os.mkdir)
    n += 1
    with open(count + ".tmp", "w") as f:
        f.write("%d\n" % n)
    os.rename(count + ".tmp", count)
EOF
as_user $U1 python3 "$D/attack.py" "$H/$U1" "$H/$U2/Maildir" "$G/canary" \
    "$D/race/stop" "$D/race/n" &
apid=$!
at_exit "touch '$D/race/stop'; wait $apid"
RACE_MIN=${RACE_MIN:-60} RACE_SWAPS=${RACE_SWAPS:-150} RACE_MAX=${RACE_MAX:-600}
: >"$D/race.out"; : >"$D/race.rc"
i=0
while [ $i -lt "$RACE_MAX" ]; do
	i=$((i + 1))
	msg "$SP" "r$i.M1P1.h" $S "Subject: race $i\n\nx\n"
	{ rec "$SP/new/r$i.M1P1.h" $U1@ex.org ""; rec "$SP/new/r$i.M1P1.h" $U2@ex.org ""; } |
		dl -m "$H/%l/Maildir"
	echo $? >>"$D/race.rc"
	cat "$D/out" >>"$D/race.out"
	[ $i -ge "$RACE_MIN" ] && [ "$(cat "$D/race/n" 2>/dev/null || echo 0)" -ge "$RACE_SWAPS" ] && break
done
# ... and one deliver kept running, a batch per message, so that its open
# Maildirs are checked again (cache) while the attacker goes on
mkfifo "$D/race.fifo"
LD_PRELOAD=$GUARD ROOTGUARD_DIRS=$G ROOTGUARD_LOG=$D/guard.log \
    mdrop-deliver -m "$H/%l/Maildir" <"$D/race.fifo" >"$D/race2.out" 2>"$D/race2.err" &
dpid=$!
exec 7>"$D/race.fifo"
j=0
while [ $j -lt "${RACE_KEPT:-30}" ] && kill -0 $dpid 2>/dev/null; do
	j=$((j + 1))
	msg "$SP" "s$j.M1P1.h" $S "Subject: kept $j\n\nx\n"
	{ rec "$SP/new/s$j.M1P1.h" $U1@ex.org ""; rec "$SP/new/s$j.M1P1.h" $U2@ex.org ""
	  printf '%s\n' "$SP/new/s$j.M1P1.h"; } >&7
	k=0	# until both results are out (the batch committed), 10 s at most
	while [ "$(cat "$D/race2.out" 2>/dev/null | grep -c "/s$j.M1P1.h	")" -lt 2 ] &&
	    [ $k -lt 1000 ] &&
	    kill -0 $dpid 2>/dev/null; do
		sleep 0.01; k=$((k + 1))
	done
done
exec 7>&-
wait $dpid
echo $? >>"$D/race.rc"
cat "$D/race2.out" >>"$D/race.out"
touch "$D/race/stop"; wait $apid
i=$((i + j))
diag "race: $i messages, $(cat "$D/race/n") attacker rounds, $U1: $(grep -c "$U1@ex.org	ok" "$D/race.out") ok / $(grep -c "$U1@ex.org	fail" "$D/race.out") fail / $(grep -c "$U1@ex.org	defer" "$D/race.out") defer"
ok "race: the attacker made $RACE_SWAPS rounds while deliver ran" test "$(cat "$D/race/n")" -ge "$RACE_SWAPS"
is "$(sort -u "$D/race.rc" | grep -v -x -e 0 -e 67 -e 75 | tr '\n' ' ')" "" "race: deliver exits 0, 67 or 75 (never aborted by the guard)"
is "$(grep -c "$U2@ex.org	ok	$H/$U2/Maildir/new/" "$D/race.out")" "$i" "race: every message to $U2 delivered into its Maildir"
is "$(find "$H/$U2/Maildir" -type f | wc -l)" "$((i + 1))" "race: $U2's Maildir holds exactly those (and the first test's)"
is "$(find "$H/$U2" ! -user $U2 | wc -l)" 0 "race: everything in $U2's home is $U2's"
is "$(grep -L "^Delivered-To: $U2@ex.org$" $(find "$H/$U2/Maildir" -type f) | wc -l)" 0 "race: none of $U1's copies went to $U2"
# a file made and removed again would still have changed the mtime
is "$(stat -c %y "$G/canary") $(find "$G/canary" -mindepth 1 | wc -l)" "$canary_mtime 0" \
    "race: nothing made through a symlink (the canary is empty, its mtime unchanged)"
snap >"$D/secret.after"
is_file_bytes "$D/secret.after" "$D/secret.before" "race: $U2's secret, hard-linked in $U1's tmp/, untouched"
is "$(find "$H/$U1" ! -user $U1 | sed 's|.*/||')" "1.M1P1.hardlink" "race: everything else in $U1's home is $U1's"
is "$(grep -rl 'secret of u2' "$H/$U1" "$SP" | sed 's|.*/||')" "1.M1P1.hardlink" \
    "race: $U2's secret read into no copy and no spool file"
is "$(find "$H" -user root | sort | tr '\n' ' ')" "$H $H/roothome " "race: nothing below the mail root made by root"
missing=0
for f in $(grep "$U1@ex.org	ok	" "$D/race.out" | cut -f4 | sed 's|.*/||'); do
	[ "$(find "$H/$U1" -name "$f" -type f | wc -l)" = 1 ] || missing=$((missing + 1))
done
is "$missing" 0 "race: each copy reported ok for $U1 is in $U1's home, once"
is "$(find "$SP" ! -user $S | wc -l)" 0 "spool: everything in it is $S's"
ok "no write as root below $G in any run (rootguard log empty)" test ! -s "$D/guard.log"

done_testing
