#!/bin/sh
# attack: --auth apop against greetings whose APOP challenge is garbage: none, "<>", no "@", a space or a control character inside, 300 octets (over the 256 cap), unclosed (CVE-2007-1558: a crafted challenge leaks the password's MD5)
# expect: refuse before sending any credential: no APOP, USER, PASS or AUTH; exit 69/75; error names the host and the invalid timestamp; nothing spooled or deleted (HOSTILE 26)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: apop\n\nonly copy\n' >"$H/msgs/1.msg"
long="<$(printf '%0300d' 0 | tr 0 a)@x>"
ctl=$(printf '<a\001b@c>')
mark
i=0
for stamp in "no stamp at all" "<>" "<12345.678>" "<a b@c>" "$ctl" "$long" "<1.2@fake.test"; do
	i=$((i + 1))
	fake_pop3 --opt "apop-stamp=$stamp"
	fetch_fake --auth apop
	want_rc 69 75
	want_err "^mdrop-fetch: error: apop-refused host=127\.0\.0\.1 .*timestamp"
	want "challenge $i: no credential sent" \
	    sh -c "! grep -Eq '^C: (APOP|USER|PASS|AUTH)' '$H/pop3.log'"
	want "challenge $i: nothing spooled" test "$(nfiles "$H/spool/new")" = 0
	for p in $H_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	H_PIDS=; rm -f "$H/pop3.port" "$H/pop3.log"
done
# control: a well-formed challenge logs in with APOP and fetches the message
fake_pop3 --opt apop
fetch_fake --auth apop
want_rc 0
want "control: APOP used" pop3_sent 'APOP drop [0-9a-f]{32}$'
want_spool 1
outside_clean
finish
