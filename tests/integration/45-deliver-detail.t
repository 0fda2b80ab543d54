#!/bin/sh
# mdrop-deliver --delimiter, --detail-folder and --unknown-to (issue 19),
# into Maildirs and over LMTP (the fake server; Dovecot itself in
# 52-lmtp-detail.t): a subaddress lands with its user, in the folder named
# after its detail when that folder exists; an unknown user's copy goes
# to the --unknown-to address with X-Mdrop-Original-Recipient on top;
# exactly once on a rerun; a failure there is a plain failure.
. "$(dirname "$0")/../lib/tap.sh"

D=$TESTDIR
SP=$D/spool
M=$D/mail
T="$M/%d/%l/Maildir"
mkdir -p "$SP/new" "$SP/tmp" "$SP/failed" "$M"

rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3"; }
nfiles() { find "$1" -type f 2>/dev/null | wc -l | tr -d ' '; }
res() { cut -f2,3 "$D/out" | tr '\t\n' ' ;'; }
msg() { printf 'Subject: %s\n\nbody %s\n' "$1" "$1" >"$SP/new/$1.M1P1.h"; }
maildir() { mkdir -p "$1/tmp" "$1/new" "$1/cur"; }

# --- --delimiter: %l is the user, %e the detail ---------------------------
msg 1
{ rec "$SP/new/1.M1P1.h" alice+shop@ex.org s@x.org
  rec "$SP/new/1.M1P1.h" Bob@ex.org s@x.org; } | ends >"$D/in"
exit_is 0 "--delimiter +: delivered" sh -c "mdrop-deliver --delimiter + -m '$T' <'$D/in' >'$D/out' 2>'$D/err'"
is "$(nfiles "$M/ex.org/alice/Maildir/new") $(nfiles "$M/ex.org/bob/Maildir/new")" "1 1" \
    "alice+shop lands in alice's Maildir"
ok "no Maildir named after the subaddress" test ! -e "$M/ex.org/alice+shop"
{ printf 'Return-Path: <s@x.org>\nDelivered-To: alice+shop@ex.org\n'; printf 'Subject: 1\n\nbody 1\n'; } >"$D/want"
is_file_bytes "$(ls "$M"/ex.org/alice/Maildir/new/*)" "$D/want" "the copy says whose it is (Delivered-To: the whole address)"
msg 2
rec "$SP/new/2.M1P1.h" carol+news@ex.org "" | ends >"$D/in"
exit_is 0 "%e in the template" sh -c "mdrop-deliver --delimiter + -m '$M/%d/%l/%e/Maildir' <'$D/in' >'$D/out' 2>'$D/err'"
is "$(nfiles "$M/ex.org/carol/news/Maildir/new")" 1 "%e: carol+news into carol/news/Maildir"
msg 3
rec "$SP/new/3.M1P1.h" carol@ex.org "" | ends >"$D/in"
exit_is 0 "%e empty (no detail)" sh -c "mdrop-deliver --delimiter + -m '$M/%d/%l/%e/Maildir' <'$D/in' >'$D/out' 2>'$D/err'"
is "$(nfiles "$M/ex.org/carol/Maildir/new")" 1 "%e empty: carol into carol/Maildir"
msg 4
rec "$SP/new/4.M1P1.h" dave+a/b@ex.org "" | ends >"$D/in"
exit_is 67 "%e holding a slash is refused" sh -c "mdrop-deliver --delimiter + -m '$M/%d/%l/%e/Maildir' <'$D/in' >'$D/out' 2>'$D/err'"
grep -q 'fail	address refused by the template: slash-in-part' "$D/out" && pass "... named" || fail "... named" "$(cat "$D/out")"
ok "... nothing made for dave" test ! -e "$M/ex.org/dave"

# --- --detail-folder: into .DETAIL when it exists ------------------------
maildir "$M/ex.org/erin/Maildir"
maildir "$M/ex.org/erin/Maildir/.shop"
for n in 5 6 7 8 9; do msg $n; done
{ rec "$SP/new/5.M1P1.h" erin+shop@ex.org ""
  rec "$SP/new/6.M1P1.h" erin+other@ex.org ""
  rec "$SP/new/7.M1P1.h" erin@ex.org ""
  rec "$SP/new/8.M1P1.h" erin+.shop@ex.org ""
  rec "$SP/new/9.M1P1.h" erin+a/b@ex.org ""; } | ends >"$D/in"
exit_is 0 "--detail-folder" sh -c "mdrop-deliver --delimiter + --detail-folder -m '$T' <'$D/in' >'$D/out' 2>'$D/err'"
is "$(ls "$M/ex.org/erin/Maildir/.shop/new" | cut -d. -f1 | tr '\n' ' ')" "5 " "erin+shop into the existing folder .shop"
is "$(ls "$M/ex.org/erin/Maildir/new" | cut -d. -f1 | sort | tr '\n' ' ')" "6 7 8 9 " \
    "no such folder, no detail, a detail starting with '.' or holding '/': the Maildir itself"
ok "no folder is ever created" test ! -e "$M/ex.org/erin/Maildir/.other" -a ! -e "$M/ex.org/erin/Maildir/..shop"
grep -q 'detail-not-a-folder rcpt=erin+.shop@ex.org' "$D/err" && pass "an unsafe detail is logged" || fail "an unsafe detail is logged" "$(cat "$D/err")"
grep -q "5.M1P1.h	erin+shop@ex.org	ok	$M/ex.org/erin/Maildir/.shop/new/" "$D/out" && pass "the result names the folder" || fail "the result names the folder" "$(cat "$D/out")"
# a rerun after a crash (spool file back, its note there): found in the folder
msg 5; : >"$SP/5.M1P1.h.done"
rec "$SP/new/5.M1P1.h" erin+shop@ex.org "" | ends >"$D/in"
exit_is 0 "rerun" sh -c "mdrop-deliver --delimiter + --detail-folder -m '$T' <'$D/in' >'$D/out' 2>'$D/err'"
grep -q 'ok	already delivered: .*/.shop/new/' "$D/out" && pass "rerun: already delivered, in the folder" || fail "rerun: already delivered" "$(cat "$D/out")"
is "$(nfiles "$M/ex.org/erin/Maildir/.shop/new")" 1 "rerun: still one copy"
exit_is 64 "--detail-folder without --delimiter" sh -c "mdrop-deliver --detail-folder -m '$T' </dev/null 2>/dev/null"
exit_is 64 "--delimiter with -l" sh -c "mdrop-deliver --delimiter + -l 127.0.0.1:24 </dev/null 2>/dev/null"
exit_is 64 "--delimiter that is not atext" sh -c "mdrop-deliver --delimiter '+.' -m '$T' </dev/null 2>/dev/null"
exit_is 64 "--unknown-to that is not an address" sh -c "mdrop-deliver --unknown-to 'not an address' -m '$T' </dev/null 2>/dev/null"

# --- --unknown-to with -m --no-create ------------------------------------
maildir "$M/ex.org/postmaster/Maildir"
maildir "$M/ex.org/frank/Maildir"
msg 10
{ rec "$SP/new/10.M1P1.h" frank@ex.org s@x.org
  rec "$SP/new/10.M1P1.h" random123@ex.org s@x.org
  rec "$SP/new/10.M1P1.h" other9@ex.org s@x.org; } | ends >"$D/in"
UT="--no-create --unknown-to postmaster@ex.org -m $T"
exit_is 0 "--unknown-to: every copy delivered (exit 0)" sh -c "mdrop-deliver $UT <'$D/in' >'$D/out' 2>'$D/err'"
is "$(res)" "frank@ex.org ok;random123@ex.org ok;other9@ex.org ok;" "three ok result lines"
grep -q "random123@ex.org	ok	to postmaster@ex.org (random123@ex.org unknown): $M/ex.org/postmaster/Maildir/new/" "$D/out" &&
	pass "the detail names both addresses" || fail "the detail names both addresses" "$(cat "$D/out")"
is "$(nfiles "$M/ex.org/postmaster/Maildir/new")" 2 "postmaster has one copy per unknown recipient"
ok "no Maildir made for the unknown ones" test ! -e "$M/ex.org/random123" -a ! -e "$M/ex.org/other9"
f=$(grep -l 'random123' "$M"/ex.org/postmaster/Maildir/new/*)
{ printf 'Return-Path: <s@x.org>\nDelivered-To: postmaster@ex.org\nX-Mdrop-Original-Recipient: <random123@ex.org>\n'; printf 'Subject: 10\n\nbody 10\n'; } >"$D/want"
is_file_bytes "$f" "$D/want" "the redirected copy: X-Mdrop-Original-Recipient: <the unknown address>, byte-exact"
ok "the spool file is removed, not failed" test ! -e "$SP/new/10.M1P1.h" -a ! -e "$SP/failed/10.M1P1.h"
msg 10; : >"$SP/10.M1P1.h.done"	# a crash before the spool file went
exit_is 0 "--unknown-to rerun" sh -c "mdrop-deliver $UT <'$D/in' >'$D/out' 2>'$D/err'"
is "$(nfiles "$M/ex.org/postmaster/Maildir/new")" 2 "rerun: no second copy for the redirected ones"
grep -c 'ok	to postmaster@ex.org (.* unknown): already delivered' "$D/out" | grep -qx 2 && pass "rerun: both already delivered" || fail "rerun: both already delivered" "$(cat "$D/out")"
# a failure for the --unknown-to address itself is a plain failure
msg 11
rec "$SP/new/11.M1P1.h" nobody7@ex.org "" | ends >"$D/in"
exit_is 67 "--unknown-to whose own Maildir is missing: exit 67" sh -c "mdrop-deliver --no-create --unknown-to lost@ex.org -m '$T' <'$D/in' >'$D/out' 2>'$D/err'"
grep -q 'nobody7@ex.org	fail	to lost@ex.org (nobody7@ex.org unknown): .*no such Maildir' "$D/out" &&
	pass "... fail, naming both" || fail "... fail, naming both" "$(cat "$D/out")"
ok "... the message is in failed/" test -f "$SP/failed/11.M1P1.h"
msg 12
rec "$SP/new/12.M1P1.h" lost@ex.org "" | ends >"$D/in"
exit_is 67 "the --unknown-to address itself unknown: a plain failure, no loop" sh -c "mdrop-deliver --no-create --unknown-to lost@ex.org -m '$T' <'$D/in' >'$D/out' 2>'$D/err'"
grep -q '^[^	]*	lost@ex.org	fail	[^ ]*: no such Maildir' "$D/out" && pass "... plain fail" || fail "... plain fail" "$(cat "$D/out")"

# --- --unknown-to over LMTP (fake server: 550 5.1.1 for one RCPT) --------
mkdir -p "$D/lm"
python3 "$TOP/tests/lib/fake_lmtp.py" --ready "$D/lm/ready" --record "$D/lm/rec" \
    --rcpt 'ghost@ex.org=550 5.1.1 <ghost@ex.org> User doesn'"'"'t exist' 2>"$D/lm/err" &
lpid=$!
at_exit "kill $lpid"
n=0; while [ ! -s "$D/lm/ready" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
EP=127.0.0.1:$(cat "$D/lm/ready")
msg 13
{ rec "$SP/new/13.M1P1.h" a@ex.org s@x.org; rec "$SP/new/13.M1P1.h" ghost@ex.org s@x.org; } | ends >"$D/in"
exit_is 0 "LMTP: 550 5.1.1 redirected (exit 0)" sh -c "mdrop-deliver --timeout 5 --unknown-to postmaster@ex.org -l '$EP' <'$D/in' >'$D/out' 2>'$D/err'"
grep -q 'ghost@ex.org	ok	to postmaster@ex.org (ghost@ex.org unknown): 250 ' "$D/out" && pass "LMTP: ok, naming both" || fail "LMTP: ok, naming both" "$(cat "$D/out")"
cat "$D"/lm/rec/conn-*.in | tr -d '\r' >"$D/wire"
is "$(grep -c '^RCPT TO:<postmaster@ex.org>' "$D/wire")" 1 "LMTP: one RCPT for the --unknown-to address"
grep -q '^X-Mdrop-Original-Recipient: <ghost@ex.org>$' "$D/wire" && pass "LMTP: its data starts with the header line" || fail "LMTP: header line" "$(head -c 2000 "$D/wire")"
is "$(grep -c '^X-Mdrop-Original-Recipient' "$D/wire")" 1 "LMTP: only the redirected copy carries it"
ok "LMTP: the spool file is removed, not failed" test ! -e "$SP/new/13.M1P1.h" -a ! -e "$SP/failed/13.M1P1.h"
msg 14
rec "$SP/new/14.M1P1.h" ghost@ex.org "" | ends >"$D/in"
exit_is 67 "LMTP without --unknown-to: a plain 550" sh -c "mdrop-deliver --timeout 5 -l '$EP' <'$D/in' >'$D/out' 2>'$D/err'"
ok "... the message is in failed/" test -f "$SP/failed/14.M1P1.h"

done_testing
