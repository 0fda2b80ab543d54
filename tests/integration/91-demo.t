#!/bin/sh
# `make demo` (doc/examples/demo.sh) end to end: it must finish, print one
# table row per sample copy that says where the copy really went (checked
# here again against the Maildirs, Dovecot's store and SPOOL/failed, not
# taken from the demo's word), explain the special cases, stop its Dovecot,
# and work a second time in the same directory. Also: a missing tool is
# named instead of a confusing failure.
. "$(dirname "$0")/../lib/tap.sh"

DEMO=$TESTDIR/demo
EXP=$TESTDIR/expected
sh "$TOP/doc/examples/demo-corpus.sh" "$TESTDIR/corpus" > "$EXP"
is "$(wc -l < "$EXP" | tr -d ' ')" 53 "corpus: 53 copies"
is "$(ls "$TESTDIR/corpus" | wc -l | tr -d ' ')" 53 "corpus: 53 files"

# rows FILE: the table rows as "NN<TAB>DELIVERED<TAB>LMTP<TAB>WHY".
rows() {
	grep -E '^[0-9]{2}  ' "$1" | while IFS= read -r l; do
		printf '%s\t%s\t%s\t%s\n' "$(printf '%s' "$l" | cut -c1-2)" \
		    "$(printf '%s' "$l" | cut -c34-57 | sed 's/ *$//')" \
		    "$(printf '%s' "$l" | cut -c60-65 | sed 's/ *$//')" \
		    "$(printf '%s' "$l" | cut -c68-)"
	done
}
# want_rows: the same from the corpus's expectations.
want_rows() {
	while IFS='	' read -r nn _ md lmtp _; do
		if [ "$lmtp" = "$md" ]; then lm=same; else lm=FAILED; fi
		printf '%s\t%s\t%s\n' "$nn" "$md" "$lm"
	done < "$EXP"
}
# placed ROOT: "NN<TAB>local@domain" for each file holding X-Demo-Copy,
# "NN<TAB>local@domain/.FOLDER" in a folder of that Maildir.
placed() {
	grep -r '^X-Demo-Copy: ' "$1" 2>/dev/null |
	    grep '/Maildir/\(\.[^/]*/\)\{0,1\}\(new\|cur\)/' |
	while IFS= read -r l; do
		f=${l%%:X-Demo-Copy*}; nn=${l##*: }
		r=${f#"$1"/}; d=${r%%/*}; r=${r#*/}
		fo=${f#*/Maildir/}; case $fo in .*) fo=/${fo%%/*} ;; *) fo= ;; esac
		printf '%s\t%s@%s%s\n' "$nn" "${r%%/*}" "$d" "$fo"
	done | sort
}

for round in 1 2; do
	start=$(date +%s)
	DEMO_DIR=$DEMO sh "$TOP/doc/examples/demo.sh" > "$TESTDIR/out.$round" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	is "$rc" 0 "run $round: demo exits 0"
	[ $rc = 0 ] || diag "$(tail -n 20 "$TESTDIR/out.$round")"
	# its time is reported, not judged: a loaded machine must not fail it
	diag "run $round: finished in $secs s"
	is "$(rows "$TESTDIR/out.$round" | cut -f1-3)" "$(want_rows)" \
	    "run $round: table: every copy where its envelope says"
	ok "run $round: says all landed" grep -q '^demo: all 53 copies landed' "$TESTDIR/out.$round"
	pid=$(cat "$DEMO/dovecot.pid" 2>/dev/null)
	ok "run $round: its Dovecot (pid ${pid:-?}) is gone" sh -c ". \"$TOP/tests/lib/dovecot.sh\"; test -n '$pid' && ! dovecot_alive '$pid'"
done

# The filesystem, independently of the demo's table.
is "$(placed "$DEMO/mail" | sort)" \
    "$(awk -F '\t' '{ print $1 "\t" $3 }' "$EXP" | sort)" \
    "Maildirs: each copy in exactly the expected mailbox"
is "$(placed "$DEMO/dovecot-mail" | sort)" \
    "$(awk -F '\t' '$4 != "failed" { print $1 "\t" $4 }' "$EXP" | sort)" \
    "Dovecot's store: each copy in exactly the expected mailbox"
failed=$(grep -l '^X-Demo-Copy: ' "$DEMO"/spool/failed/* 2>/dev/null |
    xargs -r sed -n '/^$/q; s/^X-Demo-Copy: //p' | sort | tr '\n' ' ')
is "$failed" "$(awk -F '\t' '$4 == "failed" { printf "%s ", $1 }' "$EXP")" \
    "SPOOL/failed: exactly the copies Dovecot refused"
ok "SPOOL/failed: each has its .why" sh -c 'for f in "$1"/spool/failed/*; do
    [ -e "$f" ] || continue; case $f in *.why) continue;; esac
    test -f "$f.why" || exit 1; done' x "$DEMO"
is "$(ls "$DEMO/spool/new" | wc -l | tr -d ' ')" 0 "spool new/ is empty"

# Why: the special cases name their reason (from mdrop-split --explain).
why() { rows "$TESTDIR/out.2" | awk -F '\t' -v n="$1" '$1 == n { print $4 }'; }
case $(why 04) in *"ignored X-Original-To: erin@example.org"*"below Received:"*)
	pass "why 04: the forged header below Received: is named and ignored" ;;
*) fail "why 04: the forged header below Received: is named and ignored" "got: $(why 04)" ;; esac
case $(why 05) in "fallback: no-envelope-header"*) pass "why 05: no envelope header -> fallback" ;;
*) fail "why 05: no envelope header -> fallback" "got: $(why 05)" ;; esac
case $(why 06) in "fallback: foreign-domain"*) pass "why 06: foreign recipient -> fallback" ;;
*) fail "why 06: foreign recipient -> fallback" "got: $(why 06)" ;; esac
case $(why 07) in *"info@example.org"*alias*) pass "why 07: alias named" ;;
*) fail "why 07: alias named" "got: $(why 07)" ;; esac
case $(why 02) in "X-Original-To: dave@example.org"*) pass "why 02: the Bcc copy routed by X-Original-To" ;;
*) fail "why 02: the Bcc copy routed by X-Original-To" "got: $(why 02)" ;; esac
is "$(grep -E '^[0-9]{2}  ' "$TESTDIR/out.2" | sed -n 1p | cut -c1-33)" \
    "01  dev@lists.example.net        " "row 01 shows what To: said (the list)"

ok "the survey suggests -H X-Original-To" grep -q '^    suggest: mdrop-split -H X-Original-To .*-d example.org' "$TESTDIR/out.2"

# A tool that is missing or still a placeholder is named.
mkdir -p "$TESTDIR/bin"
for t in fetch split; do ln -s "$MDROP_BIN/mdrop-$t" "$TESTDIR/bin/"; done
printf '#!/bin/sh\necho "mdrop-deliver: not built yet" >&2\nexit 70\n' > "$TESTDIR/bin/mdrop-deliver"
chmod 755 "$TESTDIR/bin/mdrop-deliver"
MDROP_BIN=$TESTDIR/bin DEMO_DIR=$TESTDIR/demo-missing sh "$TOP/doc/examples/demo.sh" > "$TESTDIR/out.m" 2>&1
is "$?" 1 "placeholder tool: demo exits 1"
ok "placeholder tool: named" grep -q 'missing: mdrop-deliver(not built yet)' "$TESTDIR/out.m"
ok "placeholder tool: nothing started" test ! -e "$TESTDIR/demo-missing/dovecot.pid"

done_testing
