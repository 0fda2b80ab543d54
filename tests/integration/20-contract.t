#!/bin/sh
# 20-contract: the interface contract of ../shared/DESIGN.md, checked black
# box as a new user meets it: option names (long and short) in each tool,
# its --help and its man page; defaults; the stdout formats of the three
# tools; the spool layout; exit codes; logs on stderr; make install.
# Only the built binaries, the man pages and a private Dovecot are used.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/dovecot.sh"

T=$TESTDIR
ERRLOG=$T/all-stderr	# every tool's stderr, checked for the log format
: > "$ERRLOG"

# run NAME TOOL ARGS...: runs a tool, stdout in $T/NAME.out, stderr in
# $T/NAME.err (also appended to $ERRLOG); sets RC.
run() {
	_n=$1; shift
	"$@" >"$T/$_n.out" 2>"$T/$_n.err"; RC=$?
	cat "$T/$_n.err" >>"$ERRLOG"
}
# grep_ok NAME PATTERN FILE: passes when the extended regex matches a line.
grep_ok() {
	if grep -Eq -- "$2" "$3"; then pass "$1"
	else fail "$1" "no line matching /$2/ in $3:" "$(head -c 2000 "$3")"; fi
}
grep_not() {
	if grep -Eq -- "$2" "$3"; then fail "$1" "unexpected /$2/ in $3:" "$(grep -E -- "$2" "$3" | head -5)"
	else pass "$1"; fi
}
man_text() { MANWIDTH=200 mandoc -Tascii "$TOP/doc/$1" | col -b; }

# --- 1. --help, --version, man pages --------------------------------------
for tool in fetch split deliver; do
	run help-$tool mdrop-$tool --help
	is "$RC" 0 "mdrop-$tool --help exits 0"
	ok "mdrop-$tool --help writes to stdout, not stderr" \
	    test -s "$T/help-$tool.out" -a ! -s "$T/help-$tool.err"
	mdrop-$tool --help >/dev/full 2>"$T/helpfull-$tool.err"
	is "$?" 74 "mdrop-$tool --help >/dev/full: exit 74, never a silent 0"
	grep_ok "mdrop-$tool --help >/dev/full: logged" \
	    "^mdrop-$tool: error: write file=stdout " "$T/helpfull-$tool.err"
	mdrop-$tool --version >/dev/full 2>/dev/null
	is "$?" 74 "mdrop-$tool --version >/dev/full: exit 74"
	run version-$tool mdrop-$tool --version
	is "$RC" 0 "mdrop-$tool --version exits 0"
	grep_ok "mdrop-$tool --version names the tool and a version" \
	    "^mdrop-$tool [0-9]+\.[0-9]+" "$T/version-$tool.out"
	ok "doc/mdrop-$tool.1 exists" test -f "$TOP/doc/mdrop-$tool.1"
	man_text mdrop-$tool.1 > "$T/man-$tool.txt"
done
ok "doc/mdrop.7 exists" test -f "$TOP/doc/mdrop.7"
for page in mdrop-fetch.1 mdrop-split.1 mdrop-deliver.1 mdrop.7; do
	is "$(mandoc -Tlint -W warning "$TOP/doc/$page" 2>&1)" "" \
	    "mandoc -Tlint -W warning $page is silent"
done

# --- 2. every option of DESIGN.md: accepted, in --help, in the man page --
# opt TOOL SHORT LONG ARG: SHORT "-" when there is none, ARG "-" for a flag.
opt() {
	_t=$1 _s=$2 _l=$3 _a=$4
	_ar=; [ "$_a" = - ] || _ar=$_a
	# The option alone: the tool may refuse the command line for another
	# reason (missing SPOOL, -d, -m), never because it does not know it.
	mdrop-$_t --$_l $_ar </dev/null >/dev/null 2>"$T/opt.err"
	grep_not "mdrop-$_t knows --$_l" \
	    "unrecognized option|invalid option|ambiguous|unknown option" "$T/opt.err"
	if [ "$_s" != - ]; then
		mdrop-$_t -$_s $_ar </dev/null >/dev/null 2>"$T/opt.err"
		grep_not "mdrop-$_t knows -$_s" \
		    "unrecognized option|invalid option|unknown option" "$T/opt.err"
		grep_ok "mdrop-$_t --help lists -$_s, --$_l" \
		    "-$_s( [^ ,]+)?, --$_l([ =]|\$)" "$T/help-$_t.out"
		grep_ok "mdrop-$_t(1) lists -$_s, --$_l" \
		    "^ +-$_s( [^ ,]+)?, --$_l( |\$)" "$T/man-$_t.txt"
	else
		grep_ok "mdrop-$_t --help lists --$_l" \
		    "(^|[ []) *--$_l([] =]|\$)" "$T/help-$_t.out"
		grep_ok "mdrop-$_t(1) lists --$_l" \
		    "^ +--$_l( |,|\$)" "$T/man-$_t.txt"
	fi
}
opt fetch h host x
opt fetch p port 1
opt fetch u user x
opt fetch - password-file /dev/null
opt fetch - password-command true
opt fetch - auth plain
opt fetch - tls none
opt fetch - cafile /dev/null
opt fetch - fingerprint 00
opt fetch - keep -
opt fetch - max-size 1
opt fetch - interval 1
opt split H header X-Original-To
opt split n occurrence 1
opt split - trust-hops 0
opt split - any-position -
opt split d domain example.org
opt split - strip-prefix x-
opt split a aliases /dev/null
opt split f fallback pm@example.org
opt split - explain -
opt split - survey -
opt deliver m maildir "$T/nowhere/%l"
opt deliver l lmtp unix:/nonexistent

# "Passwords are never taken from argv": no option takes one.
run pw-argv mdrop-fetch -h 127.0.0.1 -u u --password=secret "$T/pw-spool"
is "$RC" 64 "mdrop-fetch --password=SECRET is a usage error"
ok "... and creates no spool" test ! -e "$T/pw-spool"
grep_not "no --password option in mdrop-fetch --help" "--password( |=|\$)" \
    "$T/help-fetch.out"

# --- 3. fetch defaults and exit codes without a server -------------------
# Nothing may listen on 995 and 110 of 127.0.0.1 for these (a refused
# connection shows the port chosen without talking to anyone).
port_free() {
	python3 -c 'import socket,sys
s=socket.socket(); s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1",int(sys.argv[1]))) else 1)' "$1"
}
if port_free 995 && port_free 110; then
	MDROP_PASSWORD=x run port-implicit mdrop-fetch -h 127.0.0.1 -u u "$T/sp0"
	grep_ok "fetch default port is 995 with implicit TLS" \
	    "^mdrop-fetch: error: .* port=995( |\$)" "$T/port-implicit.err"
	is "$RC" 75 "server unavailable: exit 75"
	MDROP_PASSWORD=x run port-none mdrop-fetch -h 127.0.0.1 -u u --tls=none "$T/sp0"
	grep_ok "fetch default port is 110 with --tls=none" \
	    "^mdrop-fetch: error: .* port=110( |\$)" "$T/port-none.err"
	MDROP_PASSWORD=x run port-starttls mdrop-fetch -h 127.0.0.1 -u u --tls=starttls "$T/sp0"
	grep_ok "fetch default port is 110 with --tls=starttls" \
	    "^mdrop-fetch: error: .* port=110( |\$)" "$T/port-starttls.err"
else
	for i in 1 2 3 4; do pass "# SKIP something listens on 127.0.0.1:995 or :110"; done
fi
# The spool fetch creates: mode 0700 with tmp/ new/ failed/ (even when the
# server is down, the spool exists for the next run).
MDROP_PASSWORD=x run mkspool mdrop-fetch -h 127.0.0.1 -p "$(free_port)" \
    -u u --tls=none --timeout 2 "$T/sp1"
for d in "" /tmp /new /failed; do
	is "$(stat -c %a "$T/sp1$d" 2>&1)" 700 "fetch creates SPOOL$d mode 0700"
done
run nopass env -u MDROP_PASSWORD mdrop-fetch -h 127.0.0.1 -u u --tls=none "$T/sp1"
is "$RC" 78 "fetch without any password source: exit 78 (configuration)"
run badopt mdrop-fetch --no-such-option
is "$RC" 64 "fetch: unknown option, exit 64"

# --- 4. split: defaults, record format, order ----------------------------
SP=$T/spool
mkdir -p "$SP/new" "$SP/tmp" "$SP/failed"
chmod 700 "$SP" "$SP/new" "$SP/tmp" "$SP/failed"
N=$SP/new
printf 'Return-Path: <a@x.test>\nDelivered-To: Bob@Example.ORG\nReceived: from x\nDelivered-To: carol@example.org\nX-Original-To: erin@example.org\nTo: dave@example.org\nCc: alice@example.org\nSubject: one\n\nhi\n' > $N/m1
printf 'Return-Path: <>\nX-Original-To: erin@example.org\nReceived: from x\nTo: alice@example.org\n\nbody\n' > $N/m2
printf 'Return-Path: <s@y.test>\nDelivered-To: alice@example.org, frank@foreign.test, bob@example.org\nReceived: by x\n\nthree\n' > $N/m3
printf 'Delivered-To: stranger@foreign.test\nTo: bob@example.org\n\nfour\n' > $N/m4
TAB=$(printf '\t')
run split1 mdrop-split -d example.org -d other.test $N/m1 $N/m2 $N/m3 $N/m4
is "$RC" 0 "split: exit 0"
printf '%s\t%s\t%s\n' \
    $N/m1 Bob@example.org a@x.test \
    $N/m2 postmaster@example.org "" \
    $N/m3 alice@example.org s@y.test \
    $N/m3 bob@example.org s@y.test \
    $N/m4 postmaster@example.org "" | ends > $T/split1.want
is_file_bytes $T/split1.out $T/split1.want \
    "split records: PATH TAB RCPT TAB SENDER, topmost Delivered-To (-H, -n defaults), no brackets, <> empty, consecutive per PATH then the end line PATH alone, fallback postmaster@ first -d"
printf '%s\n' $N/m1 $N/m2 $N/m3 $N/m4 | { run split-stdin mdrop-split -d example.org -d other.test; }
is_file_bytes $T/split-stdin.out $T/split1.want "split reads paths from stdin when given none"
run split-H mdrop-split -d example.org -H X-Original-To $N/m2
is "$(cat $T/split-H.out)" "$N/m2${TAB}erin@example.org${TAB}
$N/m2" "split -H X-Original-To"
run split-H2 mdrop-split -d example.org --header x-original-to $N/m2
is "$(cat $T/split-H2.out)" "$N/m2${TAB}erin@example.org${TAB}
$N/m2" "split --header (any case)"
run split-n mdrop-split -d example.org -n 2 --any-position $N/m1
is "$(cat $T/split-n.out)" "$N/m1${TAB}carol@example.org${TAB}a@x.test
$N/m1" "split -n 2 --any-position"
run split-n2 mdrop-split -d example.org --occurrence=2 --trust-hops=1 $N/m1
is "$(cat $T/split-n2.out)" "$N/m1${TAB}carol@example.org${TAB}a@x.test
$N/m1" "split --occurrence 2 --trust-hops 1"
run split-f mdrop-split -d example.org -f pm@other.test $N/m4
is "$(cat $T/split-f.out)" "$N/m4${TAB}pm@other.test${TAB}
$N/m4" "split -f ADDRESS"
printf 'bob@example.org carol@example.org\n@example.org dave@example.org\n' > $T/aliases
run split-a mdrop-split -d example.org -a $T/aliases $N/m3
is "$(cat $T/split-a.out)" "$N/m3${TAB}dave@example.org${TAB}s@y.test
$N/m3${TAB}carol@example.org${TAB}s@y.test
$N/m3" "split -a: an address line and the @DOMAIN catch-all"
printf 'Delivered-To: example.org-bob@example.org\n\nq\n' > $N/m5
run split-strip mdrop-split -d example.org --strip-prefix %d- $N/m5
is "$(cat $T/split-strip.out)" "$N/m5${TAB}bob@example.org${TAB}
$N/m5" "split --strip-prefix %d-"
rm $N/m5
run split-missing mdrop-split -d example.org $N/nope
is "$RC" 66 "split: a spool file that cannot be opened, exit 66"
run split-noD mdrop-split $N/m1
is "$RC" 64 "split without -d: exit 64"
run split-badal mdrop-split -d example.org -a $T/nope $N/m1
is "$RC" 78 "split with a missing aliases file: exit 78"
mdrop-split -d example.org $N/m1 >/dev/full 2>>"$ERRLOG"
is "$?" 74 "split writing to a full stdout: exit 74"

# --- 5. deliver: result lines, spool removal, truncated record, exits -----
MAIL=$T/mail
mkdir -p "$MAIL"
# results NAME: the first three fields of each result line, and a check
# that every line has exactly four fields, a status word and a detail.
results() {
	cut -f1-3 "$T/$1.out"
}
fourfields() {
	awk -F'\t' 'NF != 4 || ($3 != "ok" && $3 != "defer" && $3 != "fail") || $4 == "" { bad = 1 } END { exit bad }' "$T/$1.out"
}
printf '%s\t%s\t%s\n' $N/m1 bob@example.org a@x.test $N/m1 carol@example.org a@x.test \
    $N/m3 alice@example.org s@y.test | ends > $T/rec1
printf '%s\t%s\t' $N/m2 erin@example.org >> $T/rec1	# truncated last record
run del1 mdrop-deliver -m "$MAIL/%d/%l/Maildir" < $T/rec1
is "$RC" 65 "deliver: a truncated last record is bad input data, exit 65"
is "$(results del1)" "$N/m1${TAB}bob@example.org${TAB}ok
$N/m1${TAB}carol@example.org${TAB}ok
$N/m3${TAB}alice@example.org${TAB}ok" "deliver: one result line per complete record, PATH TAB RCPT TAB ok"
ok "deliver: result lines have four fields (PATH RCPT STATUS DETAIL)" fourfields del1
ok "deliver: spool files of delivered groups removed" test ! -e $N/m1 -a ! -e $N/m3
ok "deliver: the truncated record's spool file stays" test -f $N/m2
ok "deliver: the truncated record is not acted on" test ! -e "$MAIL/example.org/erin"
is "$(cat "$MAIL"/example.org/bob/Maildir/new/* 2>&1)" "Delivered-To: bob@example.org
Return-Path: <a@x.test>
Delivered-To: Bob@Example.ORG
Received: from x
Delivered-To: carol@example.org
X-Original-To: erin@example.org
To: dave@example.org
Cc: alice@example.org
Subject: one

hi" "deliver -m: the message lands in the Maildir of the template (Delivered-To: prepended, see mdrop-deliver(1))"
grep_ok "deliver reports the truncated record" "^mdrop-deliver: (error|warning): .*truncated" $T/del1.err

printf '%s\t%s\t%s\n%s\n' $N/m1 bob@example.org a@x.test $N/m1 > $T/rec2
run del2 mdrop-deliver -m "$MAIL/%d/%l/Maildir" < $T/rec2
is "$RC" 0 "deliver: spool file gone but that recipient delivered: exit 0"
is "$(results del2)" "$N/m1${TAB}bob@example.org${TAB}ok" "... reported ok"
is "$(ls "$MAIL/example.org/bob/Maildir/new" | wc -l)" 1 "... and not delivered again"
printf '%s\t%s\t%s\n%s\n' $N/m1 dave@example.org a@x.test $N/m1 > $T/rec3
run del3 mdrop-deliver -m "$MAIL/%d/%l/Maildir" < $T/rec3
is "$RC" 65 "deliver: spool file gone and recipient not delivered: exit 65"
is "$(results del3)" "$N/m1${TAB}dave@example.org${TAB}fail" "... reported fail"

printf '%s\t%s\t\n%s\n' $N/m4 zed@example.org $N/m4 > $T/rec4
run del4 mdrop-deliver --no-create -m "$MAIL/%d/%l/Maildir" < $T/rec4
is "$RC" 67 "deliver: unknown recipient (no Maildir, --no-create): exit 67"
is "$(results del4)" "$N/m4${TAB}zed@example.org${TAB}fail" "... reported fail"
ok "a permanently failed message moves to SPOOL/failed/NAME" test -f $SP/failed/m4 -a ! -e $N/m4
ok "... with SPOOL/failed/NAME.why" test -s $SP/failed/m4.why
grep_ok "... which names the recipient" "zed@example.org" $SP/failed/m4.why
printf 'Delivered-To: stranger@foreign.test\nTo: bob@example.org\n\nfour\n' > $T/m4.orig
is_file_bytes $SP/failed/m4 $T/m4.orig "... and holds the message unchanged"

cp $N/m2 $N/m6
printf '%s\t%s\t\n' $N/m2 bob@example.org $N/m6 carol@example.org | ends > $T/rec5
run del5 mdrop-deliver -l "127.0.0.1:$(free_port)" --timeout 2 < $T/rec5
is "$RC" 75 "deliver: LMTP server unavailable: exit 75 at the end"
is "$(results del5)" "$N/m2${TAB}bob@example.org${TAB}defer
$N/m6${TAB}carol@example.org${TAB}defer" "... after a result line for every record (keeps working)"
ok "... deferred messages stay in SPOOL/new" test -f $N/m2 -a -f $N/m6
rm $N/m6
run del6 mdrop-deliver < /dev/null
is "$RC" 64 "deliver without -m or -l: exit 64"
run del7 mdrop-deliver -m "$T/no/such/root/%d/%l" < /dev/null
is "$RC" 78 "deliver with a template whose root does not exist: exit 78"

# --- 6. fetch against a private Dovecot ------------------------------------
dovecot_start || { echo "Bail out! $DOVECOT_ERROR"; exit 1; }
M=$T/msgs
mkdir -p "$M"
printf 'Return-Path: <s@y.test>\nDelivered-To: alice@example.org\nSubject: first\n\n.a line with a dot\n..two\nend\n' > $M/1
printf 'Return-Path: <>\nDelivered-To: bob@example.org\nSubject: second\n\nbody\n' > $M/2
printf 'Delivered-To: carol@example.org\nSubject: third\n\nx\n' > $M/3
dovecot_put $M/1 >/dev/null
dovecot_put $M/2 >/dev/null
FS=$T/fspool
FOPT="-h localhost -p $POP3S_PORT --cafile $CA_FILE -u $DROP_USER --timeout 10"
run f1 mdrop-fetch $FOPT --password-file "$DOVECOT_DIR/drop.pass" "$FS"
is "$RC" 0 "fetch: exit 0"
[ "$RC" = 0 ] || diag "fetch's stderr:" "$(cat "$T/f1.err")" \
    "Dovecot's log:" "$(tail -n 20 "$DOVECOT_LOG")" >&2
is "$(wc -l < $T/f1.out)" 2 "fetch: one line per message on stdout"
is "$(grep -vc "^$FS/new/[A-Za-z0-9._,=-]*\$" $T/f1.out)" 0 \
    "fetch: each line is SPOOL/new/NAME, NAME only [A-Za-z0-9._,=-]"
is "$(ls "$FS/new" | grep -vc '^[A-Za-z0-9._,=-]*$')" 0 "fetch: spool file names only [A-Za-z0-9._,=-]"
is "$(cat $(cat $T/f1.out) | md5sum)" "$(cat $M/1 $M/2 | md5sum)" \
    "fetch: spool files hold the messages byte for byte (LF ends, dots unstuffed), in server order"
is "$(dovecot_box_count)" 0 "fetch: messages leave the server once spooled"
is "$(stat -c %a "$FS" "$FS/new" "$FS/tmp" "$FS/failed" | tr '\n' ' ')" "700 700 700 700 " \
    "fetch: spool and tmp/ new/ failed/ are mode 0700"
is "$(ls -A "$FS/tmp")" "" "fetch: tmp/ is empty afterwards"

dovecot_put $M/3 >/dev/null
MDROP_PASSWORD=$DROP_PASS run f2 mdrop-fetch $FOPT "$FS"
is "$RC" 0 "fetch again, password from \$MDROP_PASSWORD: exit 0"
is "$(head -n 2 $T/f2.out)" "$(cat $T/f1.out)" "fetch: paths already waiting in SPOOL/new come first"
is "$(wc -l < $T/f2.out)" 3 "... then the new message"
is "$(tail -n 1 $T/f2.out | xargs cat)" "$(cat $M/3)" "... whose file holds it"

run f3 mdrop-fetch -h 127.0.0.1 -p $POP3_PORT --tls=starttls --fingerprint "$CERT_SHA256" \
    -u $DROP_USER --password-command "cat $DOVECOT_DIR/drop.pass" --timeout 10 "$FS"
is "$RC" 0 "fetch --tls=starttls --fingerprint (replaces the host-name check) --password-command: exit 0"
run f3b mdrop-fetch -h 127.0.0.1 -p $POP3S_PORT --cafile $CA_FILE \
    -u $DROP_USER --password-file "$DOVECOT_DIR/drop.pass" --timeout 10 "$T/fspool-b"
ok "fetch verifies the host name by default (127.0.0.1 is not in the certificate): fails" test "$RC" != 0
MDROP_PASSWORD=wrong run f4 mdrop-fetch $FOPT "$T/fspool2"
is "$RC" 77 "fetch: authentication refused, exit 77"

python3 -c 'import sys; sys.stdout.write("Subject: big\n\n" + "y" * 5000 + "\n")' > $M/big
dovecot_put $M/big >/dev/null
MDROP_PASSWORD=$DROP_PASS run f5 mdrop-fetch $FOPT --max-size 1000 "$T/fspool3"
is "$RC" 0 "fetch --max-size: a message left on the server is not an error"
is "$(cat $T/f5.out)" "" "... and not printed"
is "$(dovecot_box_count)" 1 "... and stays on the server"
ok "... and is logged" test -s $T/f5.err

# A spool locked by another fetch: exit 75 at once.
MDROP_PASSWORD=$DROP_PASS mdrop-fetch $FOPT --interval 60 "$T/fspool3" \
    >$T/f6.out 2>$T/f6.err &
F6=$!
at_exit "kill $F6"
i=0
while ! grep -q 'session' $T/f6.err && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
t0=$(date +%s)
MDROP_PASSWORD=$DROP_PASS run f7 mdrop-fetch $FOPT "$T/fspool3"
t1=$(date +%s)
is "$RC" 75 "fetch on a spool locked by another fetch: exit 75"
ok "... at once" test $((t1 - t0)) -le 2
kill $F6; wait $F6 2>/dev/null
cat $T/f6.err >> "$ERRLOG"

# The pipeline: LMTP into Dovecot; an unknown recipient is exit 67.
printf '%s\t%s\t\n%s\n' "$(tail -n 1 $T/f2.out)" zed@example.org "$(tail -n 1 $T/f2.out)" > $T/rec8
run del8 mdrop-deliver -l "unix:$LMTP_SOCKET" < $T/rec8
is "$RC" 67 "deliver -l: recipient unknown to the LMTP server, exit 67"
is "$(results del8)" "$(tail -n 1 $T/f2.out)${TAB}zed@example.org${TAB}fail" "... reported fail"
mdrop-split -d example.org < $T/f1.out 2>>"$ERRLOG" | mdrop-deliver -l "127.0.0.1:$LMTP_PORT" > $T/del9.out 2>>"$ERRLOG"
is "$?" 0 "fetch | split | deliver -l host:port: exit 0"
is "$(cut -f2,3 $T/del9.out | tr '\t\n' ' |')" "alice@example.org ok|bob@example.org ok|" \
    "... one ok per recipient"
is "$(cat $MAIL_ROOT/example.org/alice/Maildir/new/* | grep -c '^\.a line with a dot$')" 1 \
    "... and a line starting with a dot arrives intact"
ok "... and the spool files are gone" test ! -e "$(head -n 1 $T/f1.out)" -a ! -e "$(tail -n 1 $T/f1.out)"
dovecot_stop

# errors whose text has spaces must still be one quoted value
MDROP_PASSWORD= mdrop-fetch -h 127.0.0.1 -u u --tls=none --password-file "$T/no-such-file" "$T/qs" >/dev/null 2>"$T/quote1.err"
touch "$T/plainfile"
MDROP_PASSWORD=x mdrop-fetch -h 127.0.0.1 -u u "$T/plainfile" >/dev/null 2>"$T/quote2.err"
mdrop-split --no-such-option >/dev/null 2>"$T/getopt1.err"
mdrop-deliver -m >/dev/null 2>"$T/getopt2.err"
mdrop-fetch -h x -u u --password=s "$T/qs" >/dev/null 2>"$T/getopt3.err"
grep_ok "a file error is quoted whole" 'error="No such file or directory"' "$T/quote1.err"
grep_ok "a spool error is quoted whole" 'error="Not a directory"' "$T/quote2.err"

# --- 7. logs: every line on stderr is "mdrop-TOOL: level: event key=value"
cat $T/*.err >> "$ERRLOG"
# Usage errors too: no getopt_long complaint ("unrecognized option") may
# escape the format.
grep '^mdrop-' "$ERRLOG" |
    grep -Ev '^mdrop-(fetch|split|deliver): (error|warning|info|debug): [a-z][a-z0-9-]*( [a-z][a-z0-9_-]*=([^" ]+|"([^"\\]|\\.)*"))*$' > $T/badlog
is_file_bytes $T/badlog /dev/null "every log line is mdrop-TOOL: level: event key=value (values quoted)"
grep -v '^mdrop-' "$ERRLOG" | grep -v '^usage: \|^  \|^records \|^stdout: \|^ *mdrop-' > $T/otherlines
is_file_bytes $T/otherlines /dev/null "nothing else on stderr but log lines and usage text"

# --- 8. make install ---------------------------------------------------------
inst=$T/inst
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$TOP" -o all O="$MDROP_BIN" \
    install DESTDIR="$inst" PREFIX=/usr > $T/install.log 2>&1
is "$?" 0 "make install DESTDIR=... PREFIX=/usr"
for t in fetch split deliver; do
	ok "installs /usr/bin/mdrop-$t (executable)" test -x "$inst/usr/bin/mdrop-$t"
	ok "installs man1/mdrop-$t.1" test -f "$inst/usr/share/man/man1/mdrop-$t.1"
done
ok "installs man7/mdrop.7" test -f "$inst/usr/share/man/man7/mdrop.7"

done_testing
