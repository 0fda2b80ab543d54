#!/bin/sh
# mdrop-deliver -m: byte-exact Maildir delivery, record groups and spool
# acknowledgement, hostile local parts, permanent failures, broken records,
# reruns (exactly once), locks, acting on each record as it arrives.
. "$(dirname "$0")/../lib/tap.sh"

D=$TESTDIR
SP=$D/spool
M=$D/mail
T="$M/%d/%l/Maildir"
mkdir -p "$SP/new" "$SP/tmp" "$SP/failed" "$M"

rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3"; }
endrec() { printf '%s\n' "$1"; }
nfiles() { find "$1" -type f 2>/dev/null | wc -l | tr -d ' '; }
# deliver: the records on stdin, each group ended by its end line (ends);
# deliver_raw: the stream exactly as given (cut and broken cases)
deliver() { ends | mdrop-deliver -m "$T" "$@" >"$D/out" 2>"$D/err"; }
deliver_raw() { mdrop-deliver -m "$T" "$@" >"$D/out" 2>"$D/err"; }
cut_res() { cut -f2,3 "$D/out"; }

# --- byte-exact, one message to three recipients -------------------------
printf 'Subject: hi\nFrom: x@y\n\nline 1\n\nno final newline' >"$SP/new/100.M1P1.h"
cp "$SP/new/100.M1P1.h" "$D/orig"
P=$SP/new/100.M1P1.h
{ rec "$P" a@ex.org s@y.org; rec "$P" B@ex.org s@y.org; rec "$P" c@ex.org s@y.org; } >"$D/in"
exit_is 0 "three recipients delivered" deliver <"$D/in"
is "$(cut_res | tr '\t\n' ' ;')" "a@ex.org ok;B@ex.org ok;c@ex.org ok;" "three ok result lines"
ok "spool file removed" test ! -e "$P"
ok "progress note removed" test ! -e "$SP/100.M1P1.h.done"
for u in a b c; do
	f=$(ls "$M/ex.org/$u/Maildir/new/")
	U=$u; [ $u = b ] && U=B
	{ printf 'Return-Path: <s@y.org>\nDelivered-To: %s@ex.org\n' $U; cat "$D/orig"; } >"$D/want"
	is_file_bytes "$M/ex.org/$u/Maildir/new/$f" "$D/want" "$u: prepended lines + spool bytes, exactly"
	case $f in 100.M1P1.h.*,S=$(wc -c <"$D/want" | tr -d ' ')) pass "$u: name has ,S=<size>";;
	*) fail "$u: name has ,S=<size>" "$f";; esac
	is "$(stat -c %a "$M/ex.org/$u/Maildir" "$M/ex.org/$u/Maildir/new" | tr '\n' ' ')" "700 700 " "$u: Maildir mode 0700"
	grep -F "$M/ex.org/$u/Maildir/new/$f" "$D/out" >/dev/null && pass "$u: detail names the file" || fail "$u: detail names the file"
done
is "$(nfiles "$M/ex.org/a/Maildir/tmp")" 0 "tmp/ is empty"

# --- rerun of the same records: recognised, nothing new -------------------
exit_is 0 "rerun after success" deliver <"$D/in"
is "$(nfiles "$M")" 3 "rerun delivered nothing twice"
grep -c 'ok	already delivered' "$D/out" | grep -qx 3 && pass "rerun says already delivered" || fail "rerun says already delivered" "$(cat "$D/out")"

# --- existing top Delivered-To and Return-Path are not doubled ------------
printf 'Return-Path: <z@y>\nX: 1\n\nb\n' >"$SP/new/101.M1P1.h"
printf 'Delivered-To: d@ex.org\nX: 2\n\nb\n' >"$SP/new/102.M1P1.h"
{ rec "$SP/new/101.M1P1.h" d@ex.org z@y; rec "$SP/new/102.M1P1.h" d@ex.org ""; } | deliver
f1=$(grep -l 'X: 1' "$M"/ex.org/d/Maildir/new/*); f2=$(grep -l 'X: 2' "$M"/ex.org/d/Maildir/new/*)
printf 'Delivered-To: d@ex.org\nReturn-Path: <z@y>\nX: 1\n\nb\n' >"$D/want"
is_file_bytes "$f1" "$D/want" "Return-Path at the top: not added again"
printf 'Return-Path: <>\nDelivered-To: d@ex.org\nX: 2\n\nb\n' >"$D/want"
is_file_bytes "$f2" "$D/want" "own Delivered-To at the top: not doubled; null sender <>"

# --- Return-Path anywhere above the first Received: is the ISP's ----------
printf 'Delivered-To: rp@ex.org\nReturn-Path: <s@x.org>\nReceived: from a\nX: 3\n\nb\n' >"$SP/new/115.M1P1.h"
printf 'Delivered-To: isp@ex.org\nreturn-path:<s@x.org>\nX: 4\n\nb\n' >"$SP/new/116.M1P1.h"
printf 'Delivered-To: rp@ex.org\nReceived: from a\nReturn-Path: <forged@x.org>\nX: 5\n\nb\n' >"$SP/new/117.M1P1.h"
printf 'X: 6\n\nReturn-Path: <body@x.org>\n' >"$SP/new/118.M1P1.h"
{ printf 'Delivered-To: rp@ex.org\n'; i=0; while [ $i -lt 1200 ]; do printf 'X-Pad-%04d: %060d\n' $i 0; i=$((i+1)); done
  printf 'Return-Path: <far@x.org>\nX: 7\n\nb\n'; } >"$SP/new/119.M1P1.h"
printf 'Delivered-To: rp@ex.org\nReturn-Path: <s@x.org>' >"$SP/new/120.M1P1.h"
for n in 115 116 117 118 119 120; do cp "$SP/new/$n.M1P1.h" "$D/orig$n"; done
{ for n in 115 116 117 118 119 120; do rec "$SP/new/$n.M1P1.h" rp@ex.org s@x.org; done; } >"$D/in"
exit_is 0 "Return-Path cases delivered" deliver <"$D/in"
rpfile() { grep -l "$1" "$M"/ex.org/rp/Maildir/new/* | head -1; }
is_file_bytes "$(rpfile 'X: 3')" "$D/orig115" "Return-Path as the second line, above Received: not added; own Delivered-To not doubled"
{ printf 'Delivered-To: rp@ex.org\n'; cat "$D/orig116"; } >"$D/want"
is_file_bytes "$(rpfile 'X: 4')" "$D/want" "return-path: in any case, no Received: at all: not added"
{ printf 'Return-Path: <s@x.org>\n'; cat "$D/orig117"; } >"$D/want"
is_file_bytes "$(rpfile 'X: 5')" "$D/want" "Return-Path only below the first Received: prepended"
{ printf 'Return-Path: <s@x.org>\nDelivered-To: rp@ex.org\n'; cat "$D/orig118"; } >"$D/want"
is_file_bytes "$(rpfile 'body@x.org')" "$D/want" "Return-Path: in the body does not count"
{ printf 'Return-Path: <s@x.org>\n'; cat "$D/orig119"; } >"$D/want"
is_file_bytes "$(rpfile 'X: 7')" "$D/want" "Return-Path beyond the 64 KiB header scan: prepended (bounded scan)"
is_file_bytes "$(grep -L 'X: ' "$M"/ex.org/rp/Maildir/new/* | head -1)" "$D/orig120" "Return-Path as an unterminated last line: not added"
is "$(nfiles "$M/ex.org/rp")" 6 "six Return-Path cases, six files"

# --- hostile local parts: nothing outside the mail root -------------------
printf 'S: h\n\nx\n' >"$SP/new/103.M1P1.h"
P=$SP/new/103.M1P1.h
mkdir -p "$M/ex.org" "$D/outside"
ln -s "$D/outside" "$M/ex.org/evil"
long=$(printf '%0300d' 0)
(cd "$D" && find . -path ./mail -prune -o -print | grep -v -e '^./out$' -e '^./err$' -e '^./spool' -e '^./before$' -e '^./after$' | sort) >"$D/before"
{
	rec "$P" '../../x@ex.org' ""
	rec "$P" 'a/b@ex.org' ""
	rec "$P" '.hidden@ex.org' ""
	rec "$P" '..@ex.org' ""
	rec "$P" 'evil@ex.org' ""
	rec "$P" "$long@ex.org" ""
	rec "$P" 'x@../../etc' ""
	rec "$P" '%2e%2e@ex.org' ""
	rec "$P" "j$(printf '\303\266')rg@ex.org" ""
} >"$D/in"
exit_is 67 "hostile recipients refused (exit 67)" deliver <"$D/in"
(cd "$D" && find . -path ./mail -prune -o -print | grep -v -e '^./out$' -e '^./err$' -e '^./spool' -e '^./before$' -e '^./after$' | sort) >"$D/after"
is_file_bytes "$D/after" "$D/before" "nothing created outside the mail root"
is "$(nfiles "$D/outside")" 0 "nothing written through the symlink"
is "$(cut -f3 "$D/out" | tr '\n' ' ')" "fail fail fail fail fail fail fail ok ok " "each hostile part fails; %2e%2e and UTF-8 stay inside"
ok "%2e%2e is a plain name under the root" test -d "$M/ex.org/%2e%2e/Maildir/new"
grep -q 'evil@ex.org	fail	.*not a directory' "$D/out" && pass "symlink reported" || fail "symlink reported" "$(cat "$D/out")"
ok "message moved to failed/" test -f "$SP/failed/103.M1P1.h"
ok "with its .why" grep -q '^a/b@ex.org	fail	address refused by the template: slash-in-part' "$SP/failed/103.M1P1.h.why"
ok ".why has the time" grep -q '^time: 20' "$SP/failed/103.M1P1.h.why"
ok "no longer in new/" test ! -e "$P"

# --- a file blocking the Maildir; --no-create -----------------------------
printf 'S: f\n\nx\n' >"$SP/new/104.M1P1.h"
mkdir -p "$M/ex.org/blocked"; : >"$M/ex.org/blocked/Maildir"
{ rec "$SP/new/104.M1P1.h" blocked@ex.org ""; rec "$SP/new/104.M1P1.h" e@ex.org ""; } | deliver
is "$(cut_res | tr '\t\n' ' ;')" "blocked@ex.org fail;e@ex.org ok;" "blocked Maildir: fail; the other delivered"
ok "blocked: message in failed/ with .why" test -f "$SP/failed/104.M1P1.h" -a -f "$SP/failed/104.M1P1.h.why"
ok ".why lists the ok one too" grep -q '^e@ex.org	ok	' "$SP/failed/104.M1P1.h.why"
printf 'S: n\n\nx\n' >"$SP/new/105.M1P1.h"
exit_is 67 "--no-create and no Maildir" sh -c "printf '%s\t%s\t\n%s\n' '$SP/new/105.M1P1.h' nobody@ex.org '$SP/new/105.M1P1.h' | mdrop-deliver --no-create -m '$T' >'$D/out' 2>'$D/err'"
grep -q 'fail	.*no such Maildir' "$D/out" && pass "--no-create: fail names it" || fail "--no-create: fail names it" "$(cat "$D/out")"
ok "--no-create created nothing" test ! -e "$M/ex.org/nobody"

# --- broken records: line numbers, exit 65, the others go on --------------
printf 'S: r\n\nx\n' >"$SP/new/106.M1P1.h"
printf 'S: t\n\nx\n' >"$SP/new/107.M1P1.h"
ln -s "$SP/new/106.M1P1.h" "$SP/new/108.M1P1.h"
{
	printf 'two\tfields\n'
	rec "$SP/new/106.M1P1.h" f@ex.org ""
	printf '%s\tg\001@ex.org\t\n' "$SP/new/106.M1P1.h"
	endrec "$SP/new/106.M1P1.h"
	rec "$D/elsewhere/106.M1P1.h" f@ex.org ""
	endrec "$D/elsewhere/106.M1P1.h"
	rec "$SP/new/108.M1P1.h" f@ex.org ""
	endrec "$SP/new/108.M1P1.h"
	rec "$SP/new/107.M1P1.h" t@ex.org ""
	printf '%s\tu@ex.org' "$SP/new/107.M1P1.h"
} >"$D/in"
exit_is 65 "broken records (exit 65)" deliver_raw <"$D/in"
for n in 1 3 10; do
	grep -q "bad-record line=$n " "$D/err" && pass "line $n reported" || fail "line $n reported" "$(cat "$D/err")"
done
ok "f delivered despite the broken lines" test "$(nfiles "$M/ex.org/f/Maildir/new")" = 1
ok "t delivered before the truncated record" test "$(nfiles "$M/ex.org/t/Maildir/new")" = 1
ok "truncated record not acted on" test ! -e "$M/ex.org/u"
ok "message of the truncated record stays in new/" test -f "$SP/new/107.M1P1.h"
ok "message of the control-character record stays in new/" test -f "$SP/new/106.M1P1.h"
grep -q 'elsewhere/106.M1P1.h	f@ex.org	fail	not a spool file' "$D/out" && pass "PATH outside a spool's new/ refused" || fail "PATH outside new/" "$(cat "$D/out")"
grep -q '108.M1P1.h	f@ex.org	defer	cannot open: a symlink' "$D/out" && pass "symlinked spool file not followed" || fail "symlinked spool file" "$(cat "$D/out")"
rm -f "$SP/new/108.M1P1.h"

# --- spool file gone ------------------------------------------------------
exit_is 65 "gone and never delivered (exit 65)" sh -c "printf '%s\t%s\t\n%s\n' '$SP/new/199.M1P1.h' zz@ex.org '$SP/new/199.M1P1.h' | mdrop-deliver -m '$T' >'$D/out' 2>'$D/err'"
grep -q 'fail	spool file gone' "$D/out" && pass "gone: says so" || fail "gone: says so" "$(cat "$D/out")"

# --- a second deliver on a locked message defers --------------------------
printf 'S: l\n\nx\n' >"$SP/new/109.M1P1.h"
# held until killed, by one process (the lock's fd is its own); progress,
# not time: the holder says when it has the lock
(exec 9<"$SP/new/109.M1P1.h"; flock 9; : >"$D/locked"; exec sleep 600) &
lockpid=$!
at_exit "kill $lockpid"
i=0; while [ ! -e "$D/locked" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
exit_is 75 "locked message deferred (exit 75)" sh -c "printf '%s\t%s\t\n%s\n' '$SP/new/109.M1P1.h' l@ex.org '$SP/new/109.M1P1.h' | mdrop-deliver -m '$T' >'$D/out' 2>'$D/err'"
is "$(cut -f3,4 "$D/out")" "defer	locked" "result: defer locked"
ok "locked: nothing delivered, file kept" test ! -e "$M/ex.org/l" -a -f "$SP/new/109.M1P1.h"
kill $lockpid 2>/dev/null; wait $lockpid 2>/dev/null

# --- the MUA moved the copy to cur/ with flags; a rerun after a crash -----
printf 'S: m\n\nx\n' >"$SP/new/110.M1P1.h"
cp "$SP/new/110.M1P1.h" "$D/keep110"
rec "$SP/new/110.M1P1.h" m@ex.org "" >"$D/in"
deliver <"$D/in"
f=$(ls "$M/ex.org/m/Maildir/new")
mv "$M/ex.org/m/Maildir/new/$f" "$M/ex.org/m/Maildir/cur/$f:2,S"
cp "$D/keep110" "$SP/new/110.M1P1.h"	# as if the crash came before the unlink
: >"$SP/110.M1P1.h.done"		# and before the note line
exit_is 0 "rerun with the copy in cur/" deliver <"$D/in"
is "$(nfiles "$M/ex.org/m")" 1 "copy in cur/ recognised: not delivered twice"
grep -q "already delivered: .*cur/$f:2,S" "$D/out" && pass "result names the cur/ copy" || fail "names the cur/ copy" "$(cat "$D/out")"
ok "and the spool file is acknowledged" test ! -e "$SP/new/110.M1P1.h"

# --- each record acted on as soon as it arrives ---------------------------
printf 'S: a1\n\nx\n' >"$SP/new/111.M1P1.h"
printf 'S: a2\n\nx\n' >"$SP/new/112.M1P1.h"
mkfifo "$D/fifo"
mdrop-deliver -m "$T" <"$D/fifo" >"$D/out" 2>"$D/err" &
dpid=$!
exec 7>"$D/fifo"
rec "$SP/new/111.M1P1.h" w@ex.org "" >&7
i=0; while [ $i -lt 50 ] && ! grep -q 111.M1P1 "$D/out"; do sleep 0.1; i=$((i+1)); done
ok "first record delivered and reported while the input stays open" grep -q '111.M1P1.h	w@ex.org	ok' "$D/out"
ok "its group is still open: the spool file stays" test -f "$SP/new/111.M1P1.h"
rec "$SP/new/112.M1P1.h" w@ex.org "" >&7
i=0; while [ $i -lt 50 ] && [ -e "$SP/new/111.M1P1.h" ]; do sleep 0.1; i=$((i+1)); done
ok "next PATH closes the group: spool file removed" test ! -e "$SP/new/111.M1P1.h"
endrec "$SP/new/112.M1P1.h" >&7
i=0; while [ $i -lt 50 ] && [ -e "$SP/new/112.M1P1.h" ]; do sleep 0.1; i=$((i+1)); done
ok "its end line closes the group at once: spool file removed before EOF" test ! -e "$SP/new/112.M1P1.h"
exec 7>&-
wait $dpid
is "$?" 0 "exit 0 at end of input"

# --- a Maildir kept open across batches is re-validated ------------------
for n in 121 122 123; do printf 'S: c%s\n\nx\n' $n >"$SP/new/$n.M1P1.h"; done
mkfifo "$D/fifo3"
mdrop-deliver -m "$T" <"$D/fifo3" >"$D/out" 2>"$D/err" &
dpid=$!
exec 9>"$D/fifo3"
waitfor() { i=0; while [ $i -lt 50 ] && ! grep -q "$1" "$D/out"; do sleep 0.1; i=$((i+1)); done; }
rec "$SP/new/121.M1P1.h" cv@ex.org "" >&9
waitfor 121.M1P1
mv "$M/ex.org/cv/Maildir" "$M/ex.org/cv/Maildir.old"
mkdir -p "$D/elsewhere2"; ln -s "$D/elsewhere2" "$M/ex.org/cv/Maildir"
rec "$SP/new/122.M1P1.h" cv@ex.org "" >&9
waitfor 122.M1P1
rm "$M/ex.org/cv/Maildir"
rec "$SP/new/123.M1P1.h" cv@ex.org "" >&9
endrec "$SP/new/123.M1P1.h" >&9
waitfor 123.M1P1
exec 9>&-
wait $dpid
grep -q '122.M1P1.h	cv@ex.org	fail	.*not a directory' "$D/out" && pass "Maildir replaced by a symlink between batches: refused" || fail "symlink between batches refused" "$(cat "$D/out")"
is "$(nfiles "$D/elsewhere2") $(nfiles "$M/ex.org/cv/Maildir.old/new")" "0 1" "nothing written through the symlink nor into the moved-away Maildir"
grep -q "123.M1P1.h	cv@ex.org	ok	$M/ex.org/cv/Maildir/new/" "$D/out" && pass "Maildir recreated between batches: delivered into the new one" || fail "recreated Maildir" "$(cat "$D/out")"
is "$(nfiles "$M/ex.org/cv/Maildir/new")" 1 "the recreated Maildir has the copy"

# --- stdout full: exit 74, delivery state intact --------------------------
printf 'S: full\n\nx\n' >"$SP/new/113.M1P1.h"
{ rec "$SP/new/113.M1P1.h" full@ex.org ""; endrec "$SP/new/113.M1P1.h"; } >"$D/in"
mdrop-deliver -m "$T" <"$D/in" >/dev/full 2>"$D/err"
is "$?" 74 "stdout on /dev/full: exit 74"
exit_is 0 "rerun" deliver <"$D/in"
is "$(nfiles "$M/ex.org/full")" 1 "delivered exactly once"

# --- SIGTERM while waiting: the group in hand stays, its progress noted ----
printf 'S: term\n\nx\n' >"$SP/new/114.M1P1.h"
mkfifo "$D/fifo2"
mdrop-deliver -m "$T" <"$D/fifo2" >"$D/out" 2>"$D/err" &
dpid=$!
exec 8>"$D/fifo2"
rec "$SP/new/114.M1P1.h" term1@ex.org "" >&8
i=0; while [ $i -lt 50 ] && ! grep -q term1 "$D/out"; do sleep 0.1; i=$((i+1)); done
kill -TERM $dpid
wait $dpid
is "$?" 75 "SIGTERM: exit 75"
exec 8>&-
ok "SIGTERM: the open group's spool file stays" test -f "$SP/new/114.M1P1.h"
ok "SIGTERM: its delivered recipient is noted" grep -q '^ok	term1@ex.org	' "$SP/114.M1P1.h.done"
{ rec "$SP/new/114.M1P1.h" term1@ex.org ""; rec "$SP/new/114.M1P1.h" term2@ex.org ""; } | deliver
grep -q '^[^	]*	term1@ex.org	ok	already delivered: ' "$D/out" && grep -q "^[^	]*	term2@ex.org	ok	$M/ex.org/term2/Maildir/new/" "$D/out" && pass "rerun: term1 not again, term2 delivered" || fail "rerun: term1 not again, term2 delivered" "$(cat "$D/out")"
is "$(nfiles "$M/ex.org/term1")" 1 "term1 exactly once"

# (As root: tests/integration/44-deliver-root.t.)

# --- the ISP's block names the recipient: no copy, a hard link ------------
printf 'Return-Path: <s@x.org>\nDelivered-To: hl@ex.org\nReceived: from a\nX: hl\n\nb\n' >"$SP/new/130.M1P1.h"
cp "$SP/new/130.M1P1.h" "$D/want"
ino=$(stat -c %i "$SP/new/130.M1P1.h")
rec "$SP/new/130.M1P1.h" hl@ex.org s@x.org >"$D/in"
deliver <"$D/in"
f=$(ls "$M/ex.org/hl/Maildir/new/")
is_file_bytes "$M/ex.org/hl/Maildir/new/$f" "$D/want" "ISP block has Delivered-To: hl@ex.org: nothing added"
is "$(stat -c '%i %h' "$M/ex.org/hl/Maildir/new/$f")" "$ino 1" "the Maildir file is the spool file (same inode, its spool name gone)"
is "$(nfiles "$M/ex.org/hl/Maildir/tmp")" 0 "hard link: tmp/ is empty"
exit_is 0 "hard link: rerun" deliver <"$D/in"
grep -q 'ok	already delivered' "$D/out" && pass "hard link: rerun says already delivered" ||
	fail "hard link: rerun says already delivered" "$(cat "$D/out")"
# two recipients: each gets a file of its own (never one inode for two)
printf 'Return-Path: <s@x.org>\nDelivered-To: h1@ex.org\nX: two\n\nb\n' >"$SP/new/131.M1P1.h"
cp "$SP/new/131.M1P1.h" "$D/orig"
{ rec "$SP/new/131.M1P1.h" h1@ex.org s@x.org; rec "$SP/new/131.M1P1.h" h2@ex.org s@x.org; } | deliver
f1=$(ls "$M"/ex.org/h1/Maildir/new/*); f2=$(ls "$M"/ex.org/h2/Maildir/new/*)
is_file_bytes "$f1" "$D/orig" "two recipients: h1's copy, nothing added"
{ printf 'Delivered-To: h2@ex.org\n'; cat "$D/orig"; } >"$D/want"
is_file_bytes "$f2" "$D/want" "two recipients: h2's copy says whose it is"
is "$(stat -c %h "$f1" "$f2" | tr '\n' ' ')" "1 1 " "two recipients: two files, no shared inode"
# the local part must match exactly, the domain without case
printf 'Delivered-To: HL2@EX.ORG\nDelivered-To: hl3@EX.ORG\nReturn-Path: <>\nX: case\n\nb\n' >"$SP/new/132.M1P1.h"
cp "$SP/new/132.M1P1.h" "$D/orig"
cp "$D/orig" "$SP/new/133.M1P1.h"
{ rec "$SP/new/132.M1P1.h" hl2@ex.org ""; rec "$SP/new/133.M1P1.h" hl3@ex.org ""; } | deliver
{ printf 'Delivered-To: hl2@ex.org\n'; cat "$D/orig"; } >"$D/want"
is_file_bytes "$(ls "$M"/ex.org/hl2/Maildir/new/*)" "$D/want" "Delivered-To: HL2@...: another local part, added"
is_file_bytes "$(ls "$M"/ex.org/hl3/Maildir/new/*)" "$D/orig" "Delivered-To: hl3@EX.ORG: the same address, nothing added"
# Maildirs on another file system: copied, same bytes
X=/dev/shm/mdrop-test.$$
if mkdir -p "$X" 2>/dev/null && [ "$(stat -c %d "$X")" != "$(stat -c %d "$SP/new")" ]; then
	at_exit "rm -rf '$X'"
	printf 'Delivered-To: xd@ex.org\nReturn-Path: <>\nX: xdev\n\nb\n' >"$SP/new/134.M1P1.h"
	cp "$SP/new/134.M1P1.h" "$D/orig"
	rec "$SP/new/134.M1P1.h" xd@ex.org "" | ends | mdrop-deliver -m "$X/%l" >"$D/out" 2>"$D/err"
	is "$?" 0 "Maildir on another file system: delivered"
	is_file_bytes "$(ls "$X"/xd/new/*)" "$D/orig" "another file system: a copy, same bytes"
	ok "another file system: spool file removed" test ! -e "$SP/new/134.M1P1.h"
else
	rmdir "$X" 2>/dev/null
	for i in 1 2 3; do pass "# skip no second file system at /dev/shm"; done
fi

# --- a template without a fixed root: relative to the working directory ----
printf 'S: rel\n\nx\n' >"$SP/new/135.M1P1.h"
exit_is 0 "template '%l/Maildir' (its root is '.')" sh -c "cd '$D' && printf '%s\t%s\t\n%s\n' '$SP/new/135.M1P1.h' rel@ex.org '$SP/new/135.M1P1.h' | mdrop-deliver -m '%l/Maildir' >'$D/out' 2>'$D/err'"
is "$(nfiles "$D/rel/Maildir/new")" 1 "... delivered below the working directory"

# --- one file, other spellings inside its group (audit 2026-12-06) --------
# SPOOL/new//P and SPOOL/new/./P name the group's file: they join it, and
# the file goes only once every recipient is done (it went after the first
# with b refused as "not a spool file": b's mail lost).
printf 'S: spell\n\nx\n' >"$SP/new/140.M1P1.h"
cp "$SP/new/140.M1P1.h" "$D/orig"
P=$SP/new/140.M1P1.h
printf '%s\tsa@ex.org\t\n%s\tsb@ex.org\t\n%s\tsc@ex.org\t\n%s\n' "$P" "$SP/new//140.M1P1.h" "$SP/new/./140.M1P1.h" "$P" >"$D/in"
exit_is 0 "SPOOL/new//P and SPOOL/new/./P inside P's group: exit 0" deliver_raw <"$D/in"
is "$(cut_res | tr '\t\n' ' ;')" "sa@ex.org ok;sb@ex.org ok;sc@ex.org ok;" "... all three ok"
for u in sa sb sc; do
	is "$(nfiles "$M/ex.org/$u/Maildir/new")" 1 "... $u has its copy"
done
ok "... then the spool file is removed" test ! -e "$P"
# A record naming no spool file inside a group: the line is refused, the
# group in hand is neither closed by it nor emptied out of the spool.
printf 'S: refused\n\nx\n' >"$SP/new/141.M1P1.h"
P=$SP/new/141.M1P1.h
printf '%s\tra@ex.org\t\n/etc/passwd\trx@ex.org\t\n%s\trb@ex.org\t\n%s\n' "$P" "$P" "$P" >"$D/in"
exit_is 65 "a record for /etc/passwd inside P's group: exit 65" deliver_raw <"$D/in"
is "$(cut -f1,2,3 "$D/out" | LC_ALL=C sort | tr '\t\n' ' ;')" "/etc/passwd rx@ex.org fail;$P ra@ex.org ok;$P rb@ex.org ok;" "... ra and rb ok, the stray record fail"
grep -q 'error: bad-record line=2 reason=not-a-spool-file' "$D/err" && pass "... logged with its line number" || fail "... logged with its line number" "$(cat "$D/err")"
ok "... P's spool file stays (the group in hand is kept)" test -f "$P"
exit_is 0 "... the rerun of P's group: exit 0" sh -c "printf '%s\tra@ex.org\t\n%s\trb@ex.org\t\n%s\n' '$P' '$P' '$P' | mdrop-deliver -m '$T' >'$D/out' 2>'$D/err'"
is "$(nfiles "$M/ex.org/ra/Maildir/new") $(nfiles "$M/ex.org/rb/Maildir/new")" "1 1" "... one copy each, nothing twice"
ok "... and the spool file is removed" test ! -e "$P"

# --- two spool names that differ only by ',' and '_' (audit 2026-12-06) ----
# Both are valid spool names; the copies must not be taken for each other.
printf 'S: comma\n\none\n' >"$SP/new/142,M1P1.h"
printf 'S: under\n\ntwo\n' >"$SP/new/142_M1P1.h"
exit_is 0 "spool files A,B and A_B to one recipient: exit 0" deliver <<EOF2
$SP/new/142,M1P1.h	cu@ex.org	
$SP/new/142_M1P1.h	cu@ex.org	
EOF2
is "$(grep -c '	ok	' "$D/out") $(grep -c 'already' "$D/out")" "2 0" "... both delivered, neither 'already delivered'"
is "$(cat "$M"/ex.org/cu/Maildir/new/* | grep -c -e '^one$' -e '^two$')" 2 "... both bodies in the Maildir"

# --- a message in failed/, a recipient it never had (audit 2026-12-06) -----
printf 'S: failed\n\nx\n' >"$SP/new/143.M1P1.h"
P=$SP/new/143.M1P1.h
rec "$P" ../x@ex.org "" | deliver
ok "a refused recipient: the message went to failed/" test -f "$SP/failed/143.M1P1.h"
exit_is 65 "... a record for a recipient it never had: exit 65 (not 67)" sh -c "printf '%s\tnew@ex.org\t\n%s\n' '$P' '$P' | mdrop-deliver -m '$T' >'$D/out' 2>'$D/err'"
grep -q 'new@ex.org	fail	' "$D/out" && pass "... fail" || fail "... fail" "$(cat "$D/out")"

# --- HOSTILE 44: the ISP's Delivered-To in angle brackets, or folded -------
printf 'Return-Path: <s@x>\nDelivered-To: <dt@ex.org>\nReceived: from a\n\nb\n' >"$SP/new/144.M1P1.h"
printf 'Return-Path: <s@x>\nDelivered-To:\n dt@ex.org\nReceived: from a\n\nb\n' >"$SP/new/145.M1P1.h"
cp "$SP/new/144.M1P1.h" "$D/orig144"; cp "$SP/new/145.M1P1.h" "$D/orig145"
{ rec "$SP/new/144.M1P1.h" dt@ex.org s@x; rec "$SP/new/145.M1P1.h" dt@ex.org s@x; } | deliver
is "$?" 0 "Delivered-To <addr> and a folded one: delivered"
for n in 144 145; do
	f=$(grep -l "^Received: from a" "$M"/ex.org/dt/Maildir/new/* | while read -r x; do cmp -s "$x" "$D/orig$n" && echo "$x"; done)
	[ -n "$f" ] && pass "... $n: nothing added (the ISP's line says it)" || fail "... $n: nothing added" "$(head -3 "$M"/ex.org/dt/Maildir/new/*)"
done

# --- a spool writable by others is not taken (audit 2026-12-06) -----------
mkdir -p "$D/ws/new" "$D/ws/tmp" "$D/ws/failed"; chmod 700 "$D/ws"; chmod 777 "$D/ws/new"
printf 'S: ws\n\nx\n' >"$D/ws/new/150.M1P1.h"
exit_is 78 "a world-writable SPOOL/new: deferred, exit 78" sh -c "printf '%s\tws@ex.org\t\n%s\n' '$D/ws/new/150.M1P1.h' '$D/ws/new/150.M1P1.h' | mdrop-deliver -m '$T' >'$D/out' 2>'$D/err'"
grep -q "ws@ex.org	defer	spool $D/ws/new/ is writable by group or others" "$D/out" && pass "... saying so" || fail "... saying so" "$(cat "$D/out")"
ok "... the spool file stays, nothing delivered" test -f "$D/ws/new/150.M1P1.h" -a ! -e "$M/ex.org/ws"

# --- usage ----------------------------------------------------------------
exit_is 64 "neither -m nor -l" sh -c 'mdrop-deliver </dev/null 2>/dev/null'
exit_is 64 "both -m and -l" sh -c "mdrop-deliver -m '$T' -l unix:/x </dev/null 2>/dev/null"
exit_is 64 "bad template" sh -c "mdrop-deliver -m '$M/%x' </dev/null 2>/dev/null"
exit_is 0 "--version" sh -c 'mdrop-deliver --version >/dev/null'
for ep in 'localhost' 'unix:relative/sock' 'host:99999' 'host:0' '[::1:24' '::1:24' ':24' 'host:24x'; do
	exit_is 64 "-l $ep: malformed endpoint is a usage error" sh -c "mdrop-deliver -l '$ep' -l 127.0.0.1:24 </dev/null 2>'$D/err'"
	grep -qF "mdrop-deliver: error: usage option=-l endpoint=" "$D/err" && grep -qF -- "$ep" "$D/err" && pass "-l $ep: the error names it" || fail "-l $ep: the error names it" "$(cat "$D/err")"
done
exit_is 0 "-l valid endpoints accepted (no input: no connection)" sh -c "mdrop-deliver -l unix:/nonexistent/sock -l 127.0.0.1:24 -l '[::1]:24' -l localhost:24 </dev/null 2>'$D/err'"

done_testing
