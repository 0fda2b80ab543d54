#!/bin/sh
# demo.sh: what `make demo` runs. mdrop end to end on this machine, with
# nothing but a throwaway Dovecot on loopback:
#
#   1. starts a private Dovecot (tests/lib/dovecot.sh) that plays the ISP:
#      POP3 over TLS with a multidrop box drop@isp.test; the same Dovecot
#      also plays "your" server for example.org (LMTP, users alice, bob,
#      carol, dave, erin, postmaster);
#   2. fills the box with 53 sample copies (demo-corpus.sh: what a Postfix
#      ISP writes, with a list message, a Bcc, a redirect, a forged header,
#      a message without any envelope header, a subaddress, an unknown
#      user, ...);
#   3. runs  mdrop-fetch | mdrop-split | mdrop-deliver --maildir  into
#      ./demo/mail/%d/%l/Maildir, refills the box and runs the pipeline
#      again with  mdrop-deliver --lmtp  into Dovecot;
#   4. prints one line per copy: what To: said, where mdrop delivered it
#      (read back from the Maildirs and Dovecot's mail store, not taken
#      from mdrop's word), and why (mdrop-split --explain).
#
# Everything it leaves is under ./demo/ (read the logs there); it stops
# Dovecot and can be run again. Between fetch and split the demo puts a
# small filter that runs `mdrop-split --explain` on each spool file and
# notes which sample copy it is; the real pipeline has no such filter.
#
# Environment: MDROP_BIN (directory of the binaries; default the source
# top, where `make` puts them), DEMO_DIR (default ./demo). Exit status 0
# when every copy landed where its envelope says, else 1.

# tap.sh gives at_exit/free_port and a private $TESTDIR in /tmp (removed at
# exit) for Dovecot: its mail processes run as nobody, who cannot always
# reach the checkout (e.g. under /root).
. "$(dirname "$0")/../../tests/lib/tap.sh"
. "$TOP/tests/lib/dovecot.sh"

DEMO=${DEMO_DIR:-$TOP/demo}
EX=$TOP/doc/examples
say() { printf '%s\n' "$@"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# --- the tools -------------------------------------------------------------
missing=
for t in fetch split deliver; do
	if ! command -v "mdrop-$t" >/dev/null 2>&1; then
		missing="$missing mdrop-$t(not found in $MDROP_BIN)"
	elif "mdrop-$t" --version 2>&1 | grep -q 'not built yet'; then
		missing="$missing mdrop-$t(not built yet)"
	fi
done
if [ -n "$missing" ]; then
	say "demo: cannot run the pipeline; missing:$missing" >&2
	say "demo: build with 'make', or wait for the tool to be written" >&2
	exit 1
fi

# --- fresh demo directory and the sample box ---------------------------------
case $DEMO in /*) ;; *) DEMO=$PWD/$DEMO ;; esac
rm -rf "$DEMO" || die "cannot remove $DEMO"
# mdrop-deliver creates Maildirs below the mail root, never the root itself.
mkdir -p "$DEMO/corpus" "$DEMO/mail" || die "cannot create $DEMO"
sh "$EX/demo-corpus.sh" "$DEMO/corpus" > "$DEMO/expected" ||
	die "demo-corpus.sh failed"
printf '%s\n' \
    "# ADDRESS TARGET (mdrop-split --aliases)" \
    "info@example.org alice@example.org" \
    "sales@example.org bob@example.org" > "$DEMO/aliases"
printf '%s\n' "# example.org's users (mdrop-split --users)" \
    alice bob carol dave erin postmaster > "$DEMO/users"
# alice made a folder "shop" for her subaddress alice+shop@ (Maildir++)
mkdir -p "$DEMO/mail/example.org/alice/Maildir/.shop/new" \
    "$DEMO/mail/example.org/alice/Maildir/.shop/cur" \
    "$DEMO/mail/example.org/alice/Maildir/.shop/tmp"

say "demo: starting a private Dovecot on 127.0.0.1 (the ISP's POP3, and LMTP)"
# Dovecot as the local server: plus addressing into folders, like mdrop
DOVECOT_DELIMITER=+ DOVECOT_DETAIL_MAILBOX=yes \
    dovecot_start "$TESTDIR/dovecot" >/dev/null 2>&1 ||
	die "Dovecot did not start: $DOVECOT_ERROR"
echo "$DOVECOT_PID" > "$DEMO/dovecot.pid"
_a=$MAIL_ROOT/example.org/alice/Maildir
mkdir -p "$_a/.shop/new" "$_a/.shop/cur" "$_a/.shop/tmp" "$_a/new" "$_a/cur" "$_a/tmp"
chown -R "$MAIL_UID:$MAIL_GID" "$MAIL_ROOT/example.org/alice"
dovecot_put_dir "$DEMO/corpus" || die "cannot fill the drop box"
copies=$(dovecot_box_count)
say "demo: $DROP_USER holds $copies messages (POP3S on port $POP3S_PORT)"

# Which header does this ISP write? Ask the sample, as mdrop(7) says.
say "" "demo: which envelope header does isp.test write?" \
    "    mdrop-split --survey --domain example.org demo/corpus/*"
mdrop-split --survey --domain example.org "$DEMO"/corpus/* > "$DEMO/survey" 2>&1
sed -n 's/^/    /; /^    header /p; /^    suggest: /p' "$DEMO/survey"
grep -q '^suggest: mdrop-split -H X-Original-To ' "$DEMO/survey" ||
	say "demo: unexpected survey result (see ${DEMO#"$TOP"/}/survey)" >&2

FETCH="mdrop-fetch --host localhost --port $POP3S_PORT --user $DROP_USER --password-file $DOVECOT_DIR/drop.pass --cafile $CA_FILE $DEMO/spool"
SPLIT="mdrop-split --header X-Original-To --domain example.org --delimiter + --aliases $DEMO/aliases --users $DEMO/users"

# observe RUNDIR: pass spool paths through unchanged; note each path's
# sample number and its --explain block.
observe() {
	while IFS= read -r p; do
		nn=$(sed -n '/^$/q; s/^X-Demo-Copy: //p' "$p")
		printf '%s\t%s\n' "$p" "$nn" >> "$1/paths"
		# shellcheck disable=SC2086
		$SPLIT --explain "$p" > "$1/explain.$nn" 2>&1
		printf '%s\n' "$p"
	done
}

# run NAME DELIVER-OPTIONS: the pipeline once; logs and results in
# $DEMO/run-NAME; each tool's exit code in NAME/TOOL.rc.
run() {
	r=$DEMO/run-$1
	shift
	mkdir -p "$r"
	: > "$r/paths"
	# shellcheck disable=SC2086
	{ $FETCH 2>"$r/fetch.log"; echo $? > "$r/fetch.rc"; } |
	    observe "$r" |
	    { $SPLIT 2>"$r/split.log"; echo $? > "$r/split.rc"; } |
	    { mdrop-deliver "$@" 2>"$r/deliver.log"; echo $? > "$r/deliver.rc"; } \
	    > "$r/results"
	say "    exit codes: fetch $(cat "$r/fetch.rc"), split $(cat "$r/split.rc"), deliver $(cat "$r/deliver.rc")"
	awk -F '\t' '$3 != "ok" { print "    " $3 ": " $2 ": " $4 }' "$r/results"
	say "    $(wc -l < "$r/paths" | tr -d ' ') messages fetched, $(wc -l < "$r/results" | tr -d ' ') result lines; logs in ${r#"$TOP"/}/"
}

say ""
say "demo: run 1, into Maildirs:"
say "    $FETCH \\" "      | $SPLIT \\" "      | mdrop-deliver --delimiter + --detail-folder --maildir $DEMO/mail/%d/%l/Maildir" |
	sed "s|$TOP/||g; s|$TESTDIR/dovecot/|DOVECOT/|g"
run maildir --delimiter + --detail-folder --maildir "$DEMO/mail/%d/%l/Maildir"

dovecot_put_dir "$DEMO/corpus" || die "cannot refill the drop box"
say ""
say "demo: run 2, the box refilled, into Dovecot over LMTP:"
say "      ... | mdrop-deliver --unknown-to postmaster@example.org --lmtp unix:$LMTP_SOCKET" | sed "s|$TESTDIR/dovecot/|DOVECOT/|g"
run lmtp --unknown-to postmaster@example.org --lmtp "unix:$LMTP_SOCKET"

dovecot_stop
# Keep Dovecot's mail store for a look; its private directory goes away.
cp -R "$MAIL_ROOT" "$DEMO/dovecot-mail" 2>/dev/null

# --- where each copy really is -----------------------------------------------
# placed ROOT: "NN<TAB>local@domain" for every delivered file under
# ROOT/DOMAIN/LOCAL/Maildir/{new,cur}, "NN<TAB>local@domain/.FOLDER" under
# a folder of that Maildir (one grep over the tree).
placed() {
	grep -r '^X-Demo-Copy: ' "$1" 2>/dev/null | awk -v root="$1/" '
	{
		f = $0; sub(/:X-Demo-Copy: .*/, "", f)
		if (f !~ /\/Maildir\/(\.[^\/]+\/)?(new|cur)\//) next
		nn = $0; sub(/.*:X-Demo-Copy: /, "", nn)
		rel = substr(f, length(root) + 1)
		n = split(rel, p, "/")
		print nn "\t" p[2] "@" p[1] (n == 6 ? "/" p[4] : "")
	}' | sort
}
placed "$DEMO/mail" > "$DEMO/placed-maildir"
placed "$DEMO/dovecot-mail" > "$DEMO/placed-lmtp"
grep '^X-Demo-Copy: ' "$DEMO"/spool/failed/* 2>/dev/null |
	sed -n 's/.*:X-Demo-Copy: \(.*\)/\1	failed/p' | sort >> "$DEMO/placed-lmtp"

# One short phrase per copy from run 1's --explain blocks: "NN<TAB>why".
awk '
function flush() {
	if (nn == "") return
	if (fb != "") s = "fallback: " fb; else if (chosen != "") s = chosen
	else s = "?"
	print nn "\t" s via below
}
FNR == 1 { flush(); nn = FILENAME; sub(/.*\./, "", nn); fb = chosen = via = below = "" }
/^  fallback: / { fb = $0; sub(/^  fallback: [^ ]* reason=/, "", fb) }
/^  line [0-9]+: / {
	ln = $2; sub(/:$/, "", ln)
	hv = $0; sub(/^  line [0-9]+: /, "", hv)
}
/CHOSEN/ { chosen = hv " (line " ln ")" }
/ignored: below/ { below = below "; ignored " hv " (line " ln ", below Received:)" }
/^  address .* by / { v = $0; sub(/.* -> [^ ]* by /, "", v); via = via ", by " v }
END { flush() }' "$DEMO"/run-maildir/explain.* > "$DEMO/why" 2>/dev/null

# --- the table -----------------------------------------------------------
say ""
awk -F '\t' '
FILENAME == ARGV[1] { md[$1] = md[$1] (md[$1] == "" ? "" : " ") $2; next }
FILENAME == ARGV[2] { lm[$1] = lm[$1] (lm[$1] == "" ? "" : " ") $2; next }
FILENAME == ARGV[3] { why[$1] = $2; next }
FNR == 1 {
	printf "%-2s  %-27s  %-24s  %-6s  %s\n", "#", "To: says",
	    "mdrop delivered to", "LMTP", "why (mdrop-split --explain)"
}
{
	nn = $1; to = $2; got = md[nn]; gl = lm[nn]
	if (gl == got) l = "same"; else if (gl == "failed") l = "FAILED"
	else l = (gl == "" ? "none" : gl)
	mark = ""
	if (got != $3 || gl != $4) { mark = "  <-- WRONG: want " $3 " / " $4; bad++ }
	if (length(to) > 27) to = substr(to, 1, 25) ".."
	printf "%-2s  %-27s  %-24s  %-6s  %s%s\n", nn, to,
	    (got == "" ? "nowhere" : got), l, why[nn], mark
}
END { exit bad > 0 }' "$DEMO/placed-maildir" "$DEMO/placed-lmtp" "$DEMO/why" \
    "$DEMO/expected"
bad=$?

say ""
say "LMTP: \"same\" = Dovecot holds it in the same mailbox; FAILED = Dovecot refused"
say "the recipient (550), so the copy waits in demo/spool/failed/ with a .why file."
say "/.shop = in that folder of the Maildir (mdrop-deliver --detail-folder; Dovecot's"
say "lmtp_save_to_detail_mailbox). An unknown user (not in mdrop-split --users) reaches"
say "the postmaster; one only Dovecot knows to be unknown would too (--unknown-to)."
say "Maildirs: demo/mail/   Dovecot's store: demo/dovecot-mail/   spool: demo/spool/"
if [ $bad -ne 0 ]; then
	say "demo: some of the $copies copies did NOT land where their envelope says (see WRONG)" >&2
	exit 1
fi
say "demo: all $copies copies landed where their envelope says; Dovecot is stopped."
exit 0
