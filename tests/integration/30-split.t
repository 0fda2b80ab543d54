#!/bin/sh
# mdrop-split end to end: fixture messages in a temp spool -> exact records.
. "$(dirname "$0")/../lib/tap.sh"

FIX=$TOP/tests/fixtures/split
SP=$TESTDIR/spool
mkdir -p "$SP/new"
N=$SP/new
for f in "$FIX"/*.eml; do cp "$f" "$N/$(basename "$f" .eml)"; done
cd "$TESTDIR" || exit 1

# rec PATH RCPT SENDER: one expected record line
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3"; }
# split ARGS...: records to out, log to err, exit code in $rc
split() { mdrop-split "$@" >out 2>err; rc=$?; }

# --- Postfix ISP: Delivered-To above the first Received decides -----------
split -d example.org "$N/postfix"
rec "$N/postfix" alice@example.org bob@example.net | ends >want
is_file_bytes out want "postfix: Delivered-To recipient, Return-Path sender"
is "$rc" 0 "postfix: exit 0"

# --- list, Bcc, redirect: envelope recipient only, never To:/Cc: ----------
split -H X-Original-To -d example.org "$N/list" "$N/bcc" "$N/redirect"
{ rec "$N/list" carol@example.org list-bounces@lists.example.com
  rec "$N/bcc" erin@example.org bob@example.net
  rec "$N/redirect" frank@example.org ""; } | ends >want
is_file_bytes out want "list/Bcc/redirect: each to its envelope recipient only"
is "$rc" 0 "list/Bcc/redirect: exit 0"
ok "Cc:/To: addresses never get a record" \
	sh -c '! grep -q -e dave@ -e old-address@ -e someone@ out'

# --- forged headers below Received: ignored -> fallback -------------------
split -d example.org "$N/forged"
rec "$N/forged" postmaster@example.org spammer@bad.example | ends >want
is_file_bytes out want "forged Delivered-To below Received: ignored (fallback)"
ok "forged: fallback logged with reason and file" \
	grep -q "fallback path=$N/forged reason=no-envelope-header" err
split -H X-Original-To -f admin@example.org -d example.org "$N/forged"
rec "$N/forged" admin@example.org spammer@bad.example | ends >want
is_file_bytes out want "forged X-Original-To ignored; -f fallback used"
split --any-position -d example.org "$N/forged"
rec "$N/forged" victim@example.org spammer@bad.example | ends >want
is_file_bytes out want "--any-position lifts the limit (documented as unsafe)"

# --- qmail: -n 2 --trust-hops 1 --strip-prefix %d- ------------------------
split -n 2 --trust-hops 1 --strip-prefix %d- -d example.org \
	"$N/qmail" "$N/qmail-other"
{ rec "$N/qmail" alice@example.org bob@example.net
  rec "$N/qmail-other" other-bob@example.org bob@example.net; } | ends >want
is_file_bytes out want "qmail: second Delivered-To, own-domain prefix stripped"
split -d example.org "$N/qmail"
rec "$N/qmail" postmaster@example.org bob@example.net | ends >want
is_file_bytes out want "qmail box without -n 2: foreign box address -> fallback"
ok "qmail: foreign address logged" \
	grep -q "foreign-dropped path=$N/qmail address=isp-box@isp.example" err
split -n 3 --trust-hops 1 -d example.org "$N/qmail"
rec "$N/qmail" postmaster@example.org bob@example.net | ends >want
is_file_bytes out want "-n beyond the trusted occurrences -> fallback"
ok "occurrence-missing logged" grep -q "reason=occurrence-missing" err

# --- Exim Envelope-to list: one record per local address ------------------
split -H Envelope-to -d example.org "$N/exim"
{ rec "$N/exim" grace@example.org bob@example.net
  rec "$N/exim" Heidi@example.org bob@example.net; } | ends >want
is_file_bytes out want "exim: a record per local address, domain lower-cased"
ok "exim: foreign list member logged and dropped" \
	grep -q "foreign-dropped path=$N/exim address=ivan@foreign.example" err

# --- CRLF spool file -----------------------------------------------------
split -d example.org "$N/crlf"
rec "$N/crlf" judy@example.org bob@example.net | ends >want
is_file_bytes out want "CRLF header section"

# --- aliases and catch-all ------------------------------------------------
cat >aliases <<'EOF'
# comment
info@example.org     alice@example.org
Grace@example.org    grace.h@example.org
@example.org         catchall@example.org
EOF
printf 'Delivered-To: info@Example.org\n\nx\n' >"$N/info"
printf 'Delivered-To: nobody@example.org\n\nx\n' >"$N/nobody"
{ rec "$N/info" alice@example.org ""
  rec "$N/nobody" catchall@example.org ""; } | ends >want
split -a aliases -d example.org "$N/info" "$N/nobody"
is_file_bytes out want "aliases: exact line, then the @domain catch-all"
split -H Envelope-to -a aliases -d example.org "$N/exim"
{ rec "$N/exim" grace.h@example.org bob@example.net
  rec "$N/exim" catchall@example.org bob@example.net; } | ends >want
is_file_bytes out want "aliases: case-insensitive lookup of a list"

printf 'info@example.org alice@elsewhere.example\n' >bad1
printf 'just-one-field\n' >bad2
printf 'a@example.org b@example.org\nA@example.org c@example.org\n' >bad3
for b in bad1 bad2 bad3 missing; do
	split -a $b -d example.org "$N/postfix"
	is "$rc" 78 "bad alias file $b: exit 78"
	is "$(wc -c <out)" 0 "bad alias file $b: no record printed"
	ok "bad alias file $b: error names the file" grep -q "file=$b" err
done

# a duplicate is reported with its line, and the first one's line
printf 'x@example.org y@example.org\n\nX@example.org z@example.org\n' >bad4
split -a bad4 -d example.org "$N/postfix"
is "$rc" 78 "duplicate alias: exit 78"
ok "duplicate alias: logged with both lines" \
	grep -q "error: aliases file=bad4 line=3 reason=duplicate entry=x@example.org first-line=1$" err

# -a given twice: both files are read, as one; a key in both is a
# duplicate like one within a file
printf 'info@example.org alice@example.org\n' >al-a
printf 'nobody@example.org bob@example.org\n' >al-b
printf '# more\nINFO@example.org carol@example.org\n' >al-c
split -a al-a --aliases al-b -d example.org "$N/info" "$N/nobody"
{ rec "$N/info" alice@example.org ""
  rec "$N/nobody" bob@example.org ""; } | ends >want
is_file_bytes out want "-a twice: the lines of both files"
split -a al-a -a al-c -d example.org "$N/info"
is "$rc" 78 "-a twice, one key in both: exit 78"
is "$(wc -c <out)" 0 "-a twice, one key in both: no record"
ok "-a twice, one key in both: both places named" \
	grep -q "error: aliases file=al-c line=2 reason=duplicate entry=info@example.org first-file=al-a first-line=1$" err

# --- subaddresses (--delimiter) and known users (--users) -----------------
# Postfix semantics: the first of CHARS splits user and detail; the alias
# lookup tries the whole address, then the user; the detail stays on the
# final address (and moves to an alias target)
sub() { printf 'X-Original-To: %s\n\nx\n' "$2" >"$N/$1"; }
sub d1 alice+shop@example.org
sub d2 info+news@example.org
sub d3 sales-q4@example.org
sub d4 team+x@example.org
sub d5 Carol+@example.org
sub d6 +plain@example.org
sub d7 random123@example.org
sub d8 bob@example.org
printf '%s\n' 'info@example.org alice@example.org' 'team+x@example.org carol@example.org' \
    'team@example.org dave@example.org' 'sales@example.org bob@example.org' >aliases-d
split -H X-Original-To --delimiter +- -a aliases-d -d example.org \
	"$N/d1" "$N/d2" "$N/d3" "$N/d4" "$N/d5" "$N/d6"
{ rec "$N/d1" alice+shop@example.org ""
  rec "$N/d2" alice+news@example.org ""
  rec "$N/d3" bob-q4@example.org ""
  rec "$N/d4" carol@example.org ""
  rec "$N/d5" Carol+@example.org ""
  rec "$N/d6" +plain@example.org ""; } | ends >want
is_file_bytes out want "--delimiter: detail kept, moved onto an alias target, whole address first"
is "$rc" 0 "--delimiter: exit 0"
split -H X-Original-To -a aliases-d -d example.org "$N/d1" "$N/d2"
{ rec "$N/d1" alice+shop@example.org ""
  rec "$N/d2" info+news@example.org ""; } | ends >want
is_file_bytes out want "without --delimiter: no detail, no lookup without it"
split --explain -H X-Original-To --delimiter + -a aliases-d -d example.org "$N/d2" "$N/d4"
ok "--explain: the lookup without the detail is named" \
	grep -q "address info+news@example.org -> alice+news@example.org by alias without the detail" out
ok "--explain: the whole address matched first" \
	grep -q "address team+x@example.org -> carol@example.org by alias$" out
# the final address is checked after all mapping: an alias target plus
# the detail it takes over can pass 64 octets -> unmappable, too-long
x59=$(printf '%059d' 0 | tr 0 x)
x53=$(printf '%053d' 0 | tr 0 x)
printf 'X-Original-To: info+%s@example.org, bob@example.org\n\nx\n' "$x59" >"$N/d9"
printf 'X-Original-To: info+%s@example.org\n\nx\n' "$x53" >"$N/d10"
printf 'info@example.org alicealice@example.org\n' >aliases-long
split -H X-Original-To --delimiter + -a aliases-long -d example.org "$N/d9" "$N/d10"
{ rec "$N/d9" postmaster@example.org ""
  rec "$N/d9" bob@example.org ""
  rec "$N/d10" "alicealice+$x53@example.org" ""; } | ends >want
is_file_bytes out want "--delimiter and an alias: a local part over 64 octets after mapping goes to the fallback, 64 passes"
is "$rc" 0 "--delimiter and an alias, too long: exit 0"
ok "--delimiter and an alias, too long: logged unmappable reason=too-long" \
	grep -q "warning: unmappable path=$N/d9 address=info+$x59@example.org reason=too-long rcpt=postmaster@example.org" err
split -H X-Original-To --delimiter '+.' -d example.org "$N/d1"
is "$rc" 64 "--delimiter with a character that is not atext: usage error 64"
split -H X-Original-To --delimiter '' -d example.org "$N/d1"
is "$rc" 64 "--delimiter empty: usage error 64"

printf '%s\n' '# known users: local parts, or whole addresses' alice bob@example.org >users
split -H X-Original-To --delimiter + --users users -a aliases-d -d example.org \
	"$N/d1" "$N/d2" "$N/d7" "$N/d8"
{ rec "$N/d1" alice+shop@example.org ""
  rec "$N/d2" alice+news@example.org ""
  rec "$N/d7" postmaster@example.org ""
  rec "$N/d8" bob@example.org ""; } | ends >want
is_file_bytes out want "--users: known users and aliases as usual, an unknown one to the fallback"
is "$rc" 0 "--users: exit 0"
ok "--users: the unknown user is logged" \
	grep -q "warning: unmappable path=$N/d7 address=random123@example.org reason=unknown-user rcpt=postmaster@example.org" err
printf '@example.org catchall@example.org\n' >aliases-c
split -H X-Original-To --users users -a aliases-c -d example.org "$N/d7" "$N/d8"
{ rec "$N/d7" catchall@example.org ""
  rec "$N/d8" bob@example.org ""; } | ends >want
is_file_bytes out want "--users with a catch-all: the catch-all takes the unknown ones"
split --explain -H X-Original-To --users users -d example.org "$N/d7" "$N/d8"
ok "--explain: an unknown user is named" \
	grep -q "address random123@example.org -> postmaster@example.org by fallback, an unknown user" out
ok "--explain: a known user is named" \
	grep -q "address bob@example.org -> bob@example.org by known user" out
split --survey -H X-Original-To --delimiter + --users users -d example.org "$N/d7" "$N/d8" "$N/d1"
ok "--survey: counts the unknown users" \
	grep -q "^unknown users: 1 addresses of local domains .*(e.g. random123@example.org)" out
printf 'alice@elsewhere.example\n' >users-bad1
printf 'alice bob\n' >users-bad2
printf 'a..b\n' >users-bad3
printf 'alice\nALICE\n' >users-bad4
split --users users-bad4 -d example.org "$N/postfix"
ok "duplicate user: logged with both lines" \
	grep -q "error: users file=users-bad4 line=2 reason=duplicate entry=alice@ first-line=1$" err
printf 'bob@example.org\n' >users-b
split -H X-Original-To --users users-b --users users -d example.org "$N/d1" "$N/d8"
{ rec "$N/d1" alice+shop@example.org ""
  rec "$N/d8" bob@example.org ""; } | ends >want
ok "--users twice: the users of both files" sh -c '! grep -q unknown-user err'
split -H X-Original-To --users users --users users -d example.org "$N/d8"
is "$rc" 78 "--users twice, the same file: every line a duplicate, exit 78"
for b in users-bad1 users-bad2 users-bad3 users-bad4 users-missing; do
	split --users $b -d example.org "$N/postfix"
	is "$rc" 78 "bad users file $b: exit 78"
	is "$(wc -c <out)" 0 "bad users file $b: no record printed"
	ok "bad users file $b: error names the file" grep -q "error: users file=$b" err
done

# --- unreadable path: 66 at the end, the others still routed --------------
split -d example.org "$N/postfix" "$N/does-not-exist" "$N/crlf"
{ rec "$N/postfix" alice@example.org bob@example.net
  rec "$N/crlf" judy@example.org bob@example.net; } | ends >want
is_file_bytes out want "missing path: other records printed"
is "$rc" 66 "missing path: exit 66"
ok "missing path: error names it" \
	grep -q "open path=$N/does-not-exist" err
split -d example.org "$N"
is "$rc" 66 "a directory as path: exit 66"

# --- bad paths: exit 65, no record, the others still routed --------------
split -d example.org '' "$N/postfix"
is "$rc" 65 "an empty argument: exit 65"
rec "$N/postfix" alice@example.org bob@example.net | ends >want
is_file_bytes out want "an empty argument: no record, the next path routed"
ok "an empty argument: reason=empty" \
	grep -q 'error: bad-path path="" reason=empty' err

# --- paths on stdin -------------------------------------------------------
printf '%s\n\n%s\n' "$N/postfix" "$N/crlf" | mdrop-split -d example.org \
	>out 2>err
{ rec "$N/postfix" alice@example.org bob@example.net
  rec "$N/crlf" judy@example.org bob@example.net; } | ends >want
is_file_bytes out want "paths from stdin, blank lines skipped"

# --- stdout errors --------------------------------------------------------
mdrop-split -d example.org "$N/postfix" >/dev/full 2>err
rc=$?
ok "/dev/full: exit non-zero ($rc)" test "$rc" -ne 0
is "$rc" 74 "/dev/full: exit 74"
ok "/dev/full: error logged" grep -q "error: write file=stdout" err

# --- usage, help, version -------------------------------------------------
split "$N/postfix"
is "$rc" 64 "no -d: usage error 64"
is "$(wc -c <out)" 0 "no -d: no record"
split -d 'bad domain' "$N/postfix"
is "$rc" 64 "bad -d: 64"
split -d example.org -f 'not an address' "$N/postfix"
is "$rc" 64 "bad -f: 64"
split -d example.org -n 0 "$N/postfix"
is "$rc" 64 "-n 0: 64"
# --strip-prefix knows %d and %% only: a typo is a usage error, not a
# prefix that never matches
for p in %D- 'box%x' 'box%' '%'; do
	split --strip-prefix "$p" -d example.org "$N/postfix"
	is "$rc" 64 "--strip-prefix $p: usage error 64"
	is "$(wc -c <out)" 0 "--strip-prefix $p: no record"
done
split --strip-prefix %D- -d example.org "$N/postfix"
ok "--strip-prefix %D-: the option and the escape named" \
	grep -q "error: usage reason=bad-strip-prefix option=--strip-prefix escape=%D prefix=%D-" err
split --strip-prefix 'box%' -d example.org "$N/postfix"
ok "--strip-prefix with a trailing %: named" \
	grep -q "error: usage reason=bad-strip-prefix option=--strip-prefix escape=% prefix=box%" err
split --strip-prefix '%d-%%' -d example.org "$N/postfix"
is "$rc" 0 "--strip-prefix %d-%%: accepted"
# -H must name an envelope header: rule 1 cannot be broken by an option
for h in To cc BCC Resent-To From Sender Reply-To Received Return-Path \
	Message-ID Subject; do
	split -H "$h" -d example.org "$N/postfix"
	is "$rc" 64 "-H $h: usage error 64"
	ok "-H $h: reason logged" \
	    grep -q "error: usage reason=not-an-envelope-header header=$h" err
	is "$(wc -c <out)" 0 "-H $h: no record"
done
for h in Delivered-To X-Original-To X-Envelope-To Envelope-to; do
	split -H "$h" -d example.org "$N/postfix"
	is "$rc" 0 "-H $h: accepted"
done
# headers that name senders or routes are refused the same way
for h in X-Received Envelope-From X-Envelope-From X-Sender X-Original-From \
	X-Original-Sender Errors-To Resent-Sender Return-Receipt-To \
	Disposition-Notification-To x-received; do
	split -H "$h" -d example.org "$N/postfix"
	is "$rc" 64 "-H $h: usage error 64"
	ok "-H $h: reason logged" \
	    grep -q "error: usage reason=not-an-envelope-header header=$h" err
done
# recipient envelope headers stay allowed
for h in X-Delivered-To X-RCPT-To X-Original-Delivered-To Envelope-To; do
	split -H "$h" -d example.org "$N/postfix"
	is "$rc" 0 "-H $h: accepted"
done
split --help
is "$rc" 0 "--help: exit 0"
for o in -H --header -n --occurrence --trust-hops --any-position -d \
	--domain --strip-prefix --delimiter --users -a --aliases -f --fallback --explain \
	--survey --max-header-bytes -q -v --help --version; do
	ok "--help lists $o" grep -q -e "$o[ ,]" out
done
split --version
is "$(cat out)" "mdrop-split 0.1.0" "--version"

# --- one write(2) per group, whatever the number of recipients ------------
rcpts=$(awk 'BEGIN { for (i = 1; i <= 300; i++) printf "%su%03d@example.org", (i > 1 ? ", " : ""), i }')
printf 'Delivered-To: %s\n\nbody\n' "$rcpts" >"$N/many"
printf 'Delivered-To: alice@example.org\n\nbody\n' >"$N/one"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -e trace=write -o trace mdrop-split -d example.org "$N/many" "$N/one" >out 2>err
is "$(grep -c '^[0-9]* *write(1,' trace)" 2 "300 recipients and 1: one write(2) per group"
is "$(grep -c "	" out)" 301 "301 records"
is "$(grep -vc "	" out)" 2 "two end lines"
is "$(sed -n 301p out)" "$N/many" "the end line follows the 300th record"

# --- SIGTERM: the group in hand is finished, then split stops -------------
mkfifo paths.fifo
mdrop-split -d example.org <paths.fifo >out 2>err &
pid=$!
exec 7>paths.fifo
printf '%s\n' "$N/postfix" >&7
# (through cat: split's shell makes "out" only once the FIFO is open,
# and grep -c prints nothing for a missing file)
_i=0; while [ "$(cat out 2>/dev/null | grep -c .)" -lt 2 ] && [ $_i -lt 400 ]; do sleep 0.05; _i=$((_i + 1)); done
kill -TERM $pid
wait $pid; rc=$?
exec 7>&-
rec "$N/postfix" alice@example.org bob@example.net | ends >want
is_file_bytes out want "SIGTERM while waiting: the group written is whole"
is "$rc" 75 "SIGTERM: exit 75 (paths not read yet stay in the spool)"
ok "SIGTERM: logged" grep -q "info: stopped reason=signal" err

# --- a FIFO, device or symlink at a spool path: never blocks, never read ---
mkfifo "$N/fifo"
ln -s "$N/postfix" "$N/link"
timeout 10 mdrop-split -d example.org "$N/fifo" /dev/zero "$N/link" "$N/crlf" >out 2>err
rc=$?
is "$rc" 66 "FIFO, device, symlink: exit 66, no hang"
rec "$N/crlf" judy@example.org bob@example.net | ends >want
is_file_bytes out want "FIFO, device, symlink: no record; the next path still routed"
ok "FIFO named" grep -q "error: open path=$N/fifo error=\"not a regular file\"" err
ok "device named" grep -q "error: open path=/dev/zero error=\"not a regular file\"" err
ok "symlink named" grep -q "error: open path=$N/link error=\"a symbolic link\"" err
rm -f "$N/fifo" "$N/link"
# ... and a FIFO or device is never even opened (an open would release a
# writer blocked on the FIFO; a device open can have side effects)
mkfifo "$N/fifo"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" timeout 20 strace -f -e trace=open,openat -o trace mdrop-split -d example.org "$N/fifo" /dev/zero "$N/crlf" >out 2>err
is "$?" 66 "FIFO, device under strace: exit 66"
is "$(grep -c -e "\"$N/fifo\"" -e '"/dev/zero"' trace)" 0 "FIFO, device: never opened"
is "$(grep -c "\"$N/crlf\"" trace)" 1 "the regular file after them: opened once"
rm -f "$N/fifo"

# --- --explain ------------------------------------------------------------
split --explain -d example.org "$N/postfix" "$N/forged"
is "$rc" 0 "--explain: exit 0"
ok "--explain: no records" sh -c '! grep -q "	" out'
ok "--explain: chosen line with number and position" \
	grep -q "line 2: Delivered-To: alice@example.org" out
ok "--explain: says it was chosen" grep -q "CHOSEN" out
ok "--explain: forged one ignored and why" \
	grep -q "ignored: below the trusted zone" out
ok "--explain: fallback reason" \
	grep -q "fallback: postmaster@example.org reason=no-envelope-header" out
ok "--explain: final recipient" grep -q "recipient: alice@example.org" out
# a Received: line is labelled with its own number, never as standing
# above the first Received:
printf 'Delivered-To: a@example.org\nReceived: (qmail 1 invoked by uid 2)\nDelivered-To: b@example.org\nReceived: x\n\n' >"$N/exq"
split --explain --trust-hops 1 -d example.org "$N/exq"
ok "--explain: the first Received: named as such" \
	grep -qx "      Received: #1; Received: inside the trusted zone (--trust-hops)" out
ok "--explain: the second Received: ends the zone" \
	grep -qx "      Received: #2; Received: that ends the trusted zone" out
ok "--explain: a Received: is never above the first Received:" \
	sh -c '! grep -q "above the first Received:; Received:" out'

# --- --survey -------------------------------------------------------------
for i in 1 2 3; do cp "$N/qmail" "$N/q$i"; done
split --survey -d example.org "$N/q1" "$N/q2" "$N/q3" "$N/qmail-other"
is "$rc" 0 "--survey: exit 0"
is "$(tail -n 1 out)" \
	"suggest: mdrop-split -H Delivered-To -n 2 --trust-hops 1 --strip-prefix %d- -d example.org" \
	"--survey: qmail settings suggested"
split --survey -d example.org "$N/list" "$N/bcc" "$N/redirect" "$N/postfix"
is "$(tail -n 1 out)" \
	"suggest: mdrop-split -H X-Original-To -n 1 --trust-hops 0 -d example.org" \
	"--survey: Postfix X-Original-To suggested"
ok "--survey: never recommends To/Cc" sh -c '! grep -qi -e "-H To" -e "-H Cc" out'
split --survey -d example.org "$N/forged" "$N/forged"
ok "--survey: forged-only headers are not suggested" \
	grep -q "^suggest: none" out
rm -f "$N/q1" "$N/q2" "$N/q3"
# the box's own address, the same in every message, is not a recipient:
# a header (or occurrence) naming varying local recipients wins a tie
mkdir -p sv5/new sv6/new
for i in 1 2 3 4; do
	printf 'Return-Path: <s@x.com>\nX-Original-To: u%s@example.org\nDelivered-To: box@example.org\nReceived: from a\n\n' $i >sv5/new/p$i
	printf 'Delivered-To: box@example.org\nReceived: (qmail %s invoked by uid 2)\nDelivered-To: example.org-u%s@example.org\nReceived: from a\n\n' $i $i >sv6/new/p$i
done
split --survey -d example.org sv5/new/p1 sv5/new/p2 sv5/new/p3 sv5/new/p4
is "$(tail -n 1 out)" \
	"suggest: mdrop-split -H X-Original-To -n 1 --trust-hops 0 -d example.org" \
	"--survey: a virtual alias to a local box: X-Original-To, not the box's Delivered-To"
split --survey -d example.org sv6/new/p1 sv6/new/p2 sv6/new/p3 sv6/new/p4
is "$(tail -n 1 out)" \
	"suggest: mdrop-split -H Delivered-To -n 2 --trust-hops 1 --strip-prefix %d- -d example.org" \
	"--survey: qmail with a local box: the second Delivered-To, not the box's"
printf 'Delivered-To: alice@example.org\nReceived: from a\n\n' >sv5/new/one
split --survey -d example.org sv5/new/one sv5/new/one
is "$(tail -n 1 out)" \
	"suggest: mdrop-split -H Delivered-To -n 1 --trust-hops 0 -d example.org" \
	"--survey: one user's mail, the same address each time, still suggested"

done_testing
