#!/bin/sh
# mdrop-fetch authentication (issue 10): SCRAM-SHA-256, PLAIN, USER and
# --password-command against the real private Dovecot (tests/lib/dovecot.sh);
# OAUTHBEARER, XOAUTH2 (success and the JSON error challenge),
# SCRAM-SHA-256-PLUS channel binding and hostile SCRAM servers against the
# scripted fake (tests/lib/fake_pop3.py), which checks the exact bytes.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/fake_pop3.sh"
. "$(dirname "$0")/../lib/dovecot.sh"
dovecot_start || { echo "Bail out! $DOVECOT_ERROR"; exit 1; }
unset MDROP_PASSWORD
SP=$TESTDIR/spool
E=$TESTDIR/err

# dfetch [options...]: implicit TLS to the private Dovecot, verbose.
dfetch() {
	mdrop-fetch -v -h localhost -p "$POP3S_PORT" --cafile "$CA_FILE" \
	    -u "$DROP_USER" --timeout 10 "$@" "$SP" >"$TESTDIR/out" 2>"$E"
}
spool_count() { find "$SP/new" -type f 2>/dev/null | wc -l | tr -d ' '; }
# dovecot_method M N: Dovecot's Nth successful POP3 login (its log line,
# written asynchronously: waited for) used method=M.
dovecot_method() {
	_i=0
	while [ "$(grep -c 'pop3-login: Info: Login: ' "$DOVECOT_LOG")" -lt "$2" ] &&
	    [ $_i -lt 60 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	grep 'pop3-login: Info: Login: ' "$DOVECOT_LOG" | sed -n "$2p" |
	    grep -q "method=$1,"
}
no_secret() { ! grep -qF "$1" "$E"; }

M=$TESTDIR/m.eml
printf 'From: a@x.test\nSubject: auth\n\n.dot line\nbody\n' > "$M"

# 1. SCRAM-SHA-256, explicit: Dovecot stores a {SCRAM-SHA-256} hash.
dovecot_put "$M" >/dev/null
MDROP_PASSWORD=$DROP_PASS exit_is 0 "Dovecot: --auth scram-sha-256" dfetch --auth scram-sha-256
ok "Dovecot: SCRAM-SHA-256 logged in" grep -q 'logged-in .*mech=SCRAM-SHA-256$' "$E"
ok "Dovecot: its log says method=SCRAM-SHA-256" dovecot_method SCRAM-SHA-256 1
is_file_bytes "$(cat $TESTDIR/out)" "$M" "Dovecot: SCRAM session spooled byte-exact"
is "$(dovecot_box_count)" 0 "Dovecot: SCRAM session emptied the box"
ok "Dovecot: password not logged" no_secret "$DROP_PASS"

# 2. auto picks SCRAM-SHA-256 (Dovecot 2.3 has no -PLUS).
dovecot_put "$M" >/dev/null
MDROP_PASSWORD=$DROP_PASS exit_is 0 "Dovecot: --auth auto" dfetch
ok "Dovecot: auto chose SCRAM-SHA-256" dovecot_method SCRAM-SHA-256 2
ok "Dovecot: auto logged SCRAM" grep -q 'mech=SCRAM-SHA-256$' "$E"
is "$(grep -c 'auth failed' "$DOVECOT_LOG")" 0 "Dovecot: no failed login on the way (issue 17 item 8)"
ok "Dovecot: auto sent y,, (no -PLUS offered; we could bind)" grep -q 'channel-binding .*mech=SCRAM-SHA-256 type=none-offered' "$E"

# 3. PLAIN and USER over TLS.
dovecot_put "$M" >/dev/null
MDROP_PASSWORD=$DROP_PASS exit_is 0 "Dovecot: --auth plain" dfetch --auth plain
ok "Dovecot: PLAIN used" dovecot_method PLAIN 3
ok "Dovecot: we said PLAIN" grep -q 'logged-in .*mech=PLAIN$' "$E"
dovecot_put "$M" >/dev/null
MDROP_PASSWORD=$DROP_PASS exit_is 0 "Dovecot: --auth user" dfetch --auth user
ok "Dovecot: USER/PASS used" grep -q 'logged-in .*mech=user$' "$E"
is "$(spool_count)" 4 "Dovecot: four sessions, four spooled"

# 4. A wrong password with SCRAM: 77, nothing deleted or spooled.
dovecot_put "$M" >/dev/null
MDROP_PASSWORD=wrong-pass exit_is 77 "Dovecot: SCRAM wrong password" dfetch --auth scram-sha-256
is "$(dovecot_box_count)" 1 "Dovecot: wrong password: nothing deleted"
is "$(spool_count)" 4 "Dovecot: wrong password: nothing spooled"
ok "Dovecot: wrong password: refusal logged" grep -q 'login-refused .*mech=SCRAM-SHA-256' "$E"
ok "Dovecot: wrong password not logged" no_secret wrong-pass

# 5. --password-command: minimal environment, wins over $MDROP_PASSWORD.
CMD="env > $TESTDIR/cmdenv; cat $DOVECOT_DIR/drop.pass"
MDROP_PASSWORD=wrong-pass MAIL=/var/mail/x FOO=bar exit_is 0 "Dovecot: --password-command (over \$MDROP_PASSWORD)" dfetch --password-command "$CMD"
is "$(dovecot_box_count)" 0 "Dovecot: --password-command session fetched"
ok "command env: PATH and HOME kept" sh -c "grep -q '^PATH=' $TESTDIR/cmdenv && grep -q '^HOME=' $TESTDIR/cmdenv"
ok "command env: no MDROP_PASSWORD, MAIL or FOO" sh -c "! grep -Eq '^(MDROP_PASSWORD|MAIL|FOO)=' $TESTDIR/cmdenv"
ok "Dovecot: password from the command not logged" no_secret "$DROP_PASS"
dovecot_put "$M" >/dev/null
n=$(grep -c 'pop3-login: ' "$DOVECOT_LOG")
exit_is 78 "failing command" dfetch --password-command 'echo leak$((6*7)); exit 3'
ok "failing command: named, with its status" grep -q 'password-command-failed command="echo leak$((6\*7)); exit 3" reason="exit status 3"' "$E"
ok "failing command: its output never logged" no_secret leak42
exit_is 78 "empty output" dfetch --password-command 'echo'
ok "empty output: said so" grep -q 'reason="empty output"' "$E"
exit_is 78 "no output at all" dfetch --password-command 'true'
is "$(grep -c 'pop3-login: ' "$DOVECOT_LOG")" "$n" "failing commands: no connection made"
is "$(dovecot_box_count)" 1 "failing commands: nothing deleted"
exit_is 78 "command timeout" dfetch --timeout 1 --password-command 'sleep 20'
ok "command timeout: said so" grep -q 'reason="timed out after 1 s"' "$E"
exit_is 64 "--password-file and --password-command" dfetch --password-file "$DOVECOT_DIR/drop.pass" --password-command true
dovecot_stop

# ---- the fake POP3 server ----
CERT=$TESTDIR/cert.pem KEY=$TESTDIR/key.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout $KEY -out $CERT -days 2 -subj /CN=fake.test \
    -addext subjectAltName=DNS:fake.test 2>/dev/null
FP=$(openssl x509 -in $CERT -noout -fingerprint -sha256 | sed 's/.*=//')
TOKEN='ya29.A0ARrdaM-tok_en~x+y/z=='

# ffetch DIR [options...]: plaintext unless options say otherwise.
ffetch() {
	_d=$1; shift
	mdrop-fetch -v --tls none -h 127.0.0.1 -p "$FAKE_PORT" -u drop \
	    --timeout 3 "$@" "$_d/spool" >"$_d/out" 2>"$_d/err"
}
# tfetch DIR [options...]: implicit TLS, the fake's certificate pinned.
tfetch() {
	_d=$1; shift
	mdrop-fetch -v -h 127.0.0.1 -p "$FAKE_PORT" -u drop --fingerprint "$FP" \
	    --timeout 3 "$@" "$_d/spool" >"$_d/out" 2>"$_d/err"
}
new_case() {
	C=$TESTDIR/$1
	rm -rf "$C"
	mkdir -p "$C/msgs"
	printf 'Subject: %s\r\n\r\nbody\r\n' "$1" > "$C/msgs/1.msg"
}
sent() { grep -qx "C: $2" "$1/log"; }
not_sent() { ! grep -q "^C: $2" "$1/log"; }
fetched() { [ "$(find "$1/spool/new" -type f | wc -l)" = 1 ]; }
hex() { printf "$1" | od -An -tx1 | tr -d ' \n'; }

# 6. OAUTHBEARER and XOAUTH2: the exact bytes (the fake compares them too).
new_case oauth
start_fake $C --password "$TOKEN" --opt sasl=OAUTHBEARER,XOAUTH2
MDROP_PASSWORD=$TOKEN exit_is 0 "OAUTHBEARER" ffetch $C --auth oauthbearer --keep
ok "OAUTHBEARER: RFC 7628 message" grep -qx "SASL-IN: OAUTHBEARER $(hex "n,a=drop,\001auth=Bearer $TOKEN\001\001")" $C/log
ok "OAUTHBEARER: initial response in the AUTH line" grep -q '^C: AUTH OAUTHBEARER [A-Za-z0-9+/=]*$' $C/log
ok "OAUTHBEARER: fetched" fetched $C
ok "OAUTHBEARER: token not logged" sh -c "! grep -qF 'tok_en' $C/err"
: > $C/log
exit_is 0 "XOAUTH2, token from --password-command" ffetch $C --auth xoauth2 --keep --password-command "echo '$TOKEN'"
ok "XOAUTH2: Google's message" grep -qx "SASL-IN: XOAUTH2 $(hex "user=drop\001auth=Bearer $TOKEN\001\001")" $C/log
stop_fake
LONG=$(python3 -c 'print("t" * 1500)')
start_fake $C --password "$LONG" --opt sasl=OAUTHBEARER,XOAUTH2
MDROP_PASSWORD=$LONG exit_is 0 "XOAUTH2 with a 1500-byte token" ffetch $C --auth xoauth2 --keep
ok "long token: AUTH line alone (255 octets), response after '+'" sent $C "AUTH XOAUTH2"
stop_fake

# 7. OAuth failure: the JSON error challenge decoded and logged, the
#    mechanism's own reply (%x01 / empty line), then -ERR: exit 77.
start_fake $C --password "$TOKEN" --opt sasl=OAUTHBEARER,XOAUTH2 --opt oauth-fail
MDROP_PASSWORD=$TOKEN exit_is 77 "OAUTHBEARER refused" ffetch $C --auth oauthbearer
ok "OAUTHBEARER refused: status/scope/schemes logged" grep -q 'login-refused host=127.0.0.1 mech=OAUTHBEARER status=invalid_token scope=https://mail.test/pop schemes=Bearer' $C/err
ok "OAUTHBEARER refused: answered with %x01" sent $C "AQ=="
ok "OAUTHBEARER refused: no STAT" not_sent $C STAT
: > $C/log
MDROP_PASSWORD=$TOKEN exit_is 77 "XOAUTH2 refused" ffetch $C --auth xoauth2
ok "XOAUTH2 refused: status logged" grep -q 'mech=XOAUTH2 status=invalid_token' $C/err
ok "XOAUTH2 refused: answered with an empty line" sent $C ""
ok "XOAUTH2 refused: no STAT" not_sent $C STAT
MDROP_PASSWORD='not a token' exit_is 78 "a token with spaces is refused before sending" ffetch $C --auth xoauth2
stop_fake

# 8. OAuth is never chosen automatically.
new_case oauthauto
start_fake $C --opt sasl=OAUTHBEARER,XOAUTH2
MDROP_PASSWORD=secret exit_is 0 "auto with only OAuth offered: USER/PASS" ffetch $C
ok "auto: no AUTH sent" not_sent $C AUTH
stop_fake
start_fake $C --opt sasl=OAUTHBEARER --opt no-user
MDROP_PASSWORD=secret exit_is 69 "auto, only OAuth and no USER: refused" ffetch $C
ok "no usable mechanism: nothing sent" sh -c "! grep -Eq '^C: (AUTH|USER|PASS)' $C/log"
MDROP_PASSWORD=secret exit_is 69 "--auth scram-sha-256 not offered" ffetch $C --auth scram-sha-256
ok "not offered: named" grep -q 'mechanism-not-offered .*mech=scram-sha-256' $C/err
stop_fake

# 9. Channel binding (issue 17 item 8). The fake computes each binding
#    type on its own (fake_pop3.py cb=): tls-unique from Python's ssl,
#    tls-exporter from the key log per RFC 8446 7.5. auto binds only with
#    tls-unique (TLS 1.2, extended master secret), the type every -PLUS
#    server checks; over TLS 1.3 it sends n,, since a server may list -PLUS
#    and check only tls-unique (Cyrus 3.6): no failed attempt anywhere.
PLUS=sasl=SCRAM-SHA-256,SCRAM-SHA-256-PLUS,PLAIN
no_fail() { ! grep -q '^AUTH-FAIL' "$1/log" && grep -q '^AUTH-OK' "$1/log"; }
# plus_case NAME FAKEOPTS -- FETCHOPTS: one login; C is the case.
plus_case() {
	new_case $1; shift
	_o=
	while [ "$1" != -- ]; do _o="$_o --opt $1"; shift; done; shift
	start_fake $C --tls implicit --cert $CERT --key $KEY --opt $PLUS $_o
	MDROP_PASSWORD=secret tfetch $C --keep "$@"; rc=$?
	stop_fake
}
plus_case cyrus13 cb=tls-unique --
is "$rc" 0 "Cyrus-like -PLUS over TLS 1.3, auto: logged in"
ok "Cyrus 1.3: SCRAM-SHA-256 with n,," sh -c "grep -q '^C: AUTH SCRAM-SHA-256 ' $C/log && grep -qx 'SCRAM-GS2: n,,' $C/log"
ok "Cyrus 1.3: no failed attempt" no_fail $C
ok "Cyrus 1.3: fetched" fetched $C
plus_case cyrus13s cb=tls-unique -- --auth scram-sha-256
is "$rc" 0 "Cyrus-like over TLS 1.3, --auth scram-sha-256: logged in"
ok "Cyrus 1.3, scram-sha-256: n,, and no failed attempt" sh -c "grep -qx 'SCRAM-GS2: n,,' $C/log && ! grep -q '^AUTH-FAIL' $C/log"
plus_case cyrus12 cb=tls-unique tls-max=1.2 --
is "$rc" 0 "Cyrus-like -PLUS over TLS 1.2, auto: logged in"
ok "Cyrus 1.2: SCRAM-SHA-256-PLUS with p=tls-unique" sh -c "grep -q '^C: AUTH SCRAM-SHA-256-PLUS ' $C/log && grep -qx 'SCRAM-GS2: p=tls-unique,,' $C/log"
ok "Cyrus 1.2: bound to a 12-byte Finished" grep -Eq '^SCRAM-CB: tls-unique [0-9a-f]{24}$' $C/log
ok "Cyrus 1.2: no failed attempt" no_fail $C
ok "Cyrus 1.2: logged in as -PLUS" grep -q 'logged-in .*mech=SCRAM-SHA-256-PLUS$' $C/err
plus_case rfc12 tls-max=1.2 --
is "$rc" 0 "RFC 9266 server over TLS 1.2, auto: logged in"
ok "RFC 9266 1.2: p=tls-unique, no failed attempt" sh -c "grep -qx 'SCRAM-GS2: p=tls-unique,,' $C/log && ! grep -q '^AUTH-FAIL' $C/log"
plus_case rfc13 --
is "$rc" 0 "RFC 9266 server over TLS 1.3, auto: logged in"
ok "RFC 9266 1.3, auto: n,, (no type every -PLUS server checks)" grep -qx 'SCRAM-GS2: n,,' $C/log
plus_case rfc13plus -- --auth scram-sha-256-plus
is "$rc" 0 "RFC 9266 server over TLS 1.3, --auth scram-sha-256-plus: logged in"
ok "1.3 -PLUS: p=tls-exporter, 32 bytes, as the server derives them" sh -c "grep -qx 'SCRAM-GS2: p=tls-exporter,,' $C/log && grep -Eq '^SCRAM-CB: tls-exporter [0-9a-f]{64}$' $C/log"
ok "1.3 -PLUS: no failed attempt" no_fail $C
ok "1.3 -PLUS: logged" grep -q 'channel-binding .*mech=SCRAM-SHA-256-PLUS type=tls-exporter' $C/err
plus_case cyrus13plus cb=tls-unique -- --auth scram-sha-256-plus
is "$rc" 77 "Cyrus-like over TLS 1.3, forced -PLUS: refused (why auto does not bind there)"
plus_case noems tls-max=1.2 no-ems --
is "$rc" 0 "TLS 1.2 without extended master secret, auto: logged in"
ok "no EMS: tls-unique not used, n,," grep -qx 'SCRAM-GS2: n,,' $C/log
plus_case noemsplus tls-max=1.2 no-ems -- --auth scram-sha-256-plus
is "$rc" 69 "TLS 1.2 without EMS, forced -PLUS: refused before AUTH"
ok "no EMS, forced -PLUS: said why, nothing sent" sh -c "grep -q 'no-channel-binding' $C/err && ! grep -q '^C: AUTH' $C/log"
new_case plus
start_fake $C --tls implicit --cert $CERT --key $KEY --opt sasl=SCRAM-SHA-256
MDROP_PASSWORD=secret exit_is 0 "SCRAM over TLS, no -PLUS offered" tfetch $C --keep --auth scram-sha-256
ok "no -PLUS offered: gs2 y,," grep -qx 'SCRAM-GS2: y,,' $C/log
MDROP_PASSWORD=secret exit_is 69 "--auth scram-sha-256-plus, not offered" tfetch $C --keep --auth scram-sha-256-plus
ok "-PLUS not offered: named" grep -q 'mechanism-not-offered .*mech=scram-sha-256-plus' $C/err
stop_fake
start_fake $C --opt sasl=SCRAM-SHA-256
MDROP_PASSWORD=secret exit_is 0 "SCRAM without TLS (--tls none)" ffetch $C --keep
ok "no TLS: gs2 n,," grep -qx 'SCRAM-GS2: n,,' $C/log
MDROP_PASSWORD=wrong exit_is 77 "SCRAM, wrong password: e=invalid-proof" ffetch $C
ok "e= reason logged" grep -q 'login-refused .*reason=invalid-proof' $C/err
ok "e=: cancelled" sent $C '\*'
stop_fake

# 10. A SCRAM server that cannot prove it knows the password.
for opt in scram-bad-verifier scram-skip-final scram-e=other-error; do
	new_case $opt
	start_fake $C --opt sasl=SCRAM-SHA-256 --opt $opt
	MDROP_PASSWORD=secret exit_is 77 "$opt: refused" ffetch $C
	ok "$opt: no STAT, nothing fetched" sh -c "! grep -q '^C: STAT' $C/log && ! ls $C/spool/new/* 2>/dev/null"
	stop_fake
done
ok "bad verifier: said so" grep -q 'does not know the password' $TESTDIR/scram-bad-verifier/err
ok "+OK without proof: said so" grep -q '+OK before the server proved' $TESTDIR/scram-skip-final/err

# 11. A server offering only PLAIN without TLS: refused before any
#     credential, unless --tls=none says clear text is acceptable.
new_case plainonly
start_fake $C --tls starttls --opt nostls --opt sasl-plain --opt no-user
MDROP_PASSWORD=secret exit_is 69 "PLAIN only, no TLS: refused" mdrop-fetch --tls starttls -h 127.0.0.1 -p "$FAKE_PORT" -u drop --timeout 3 $C/spool 2>$C/err
ok "PLAIN only, no TLS: said why" grep -q 'no-stls' $C/err
ok "PLAIN only, no TLS: no credential sent" sh -c "! grep -Eq '^C: (AUTH|USER|PASS)' $C/log"
MDROP_PASSWORD=secret exit_is 0 "PLAIN only, --tls=none: accepted" ffetch $C
ok "--tls=none: AUTH PLAIN sent" grep -q '^C: AUTH PLAIN ' $C/log
stop_fake

# 12. --interval: the password command runs once per session. Its second
#     run stops fetch (SIGTERM to its parent) and waits to be killed: the
#     test waits on what fetch does, never on the clock.
new_case interval
start_fake $C
timeout 60 mdrop-fetch --tls none -h 127.0.0.1 -p "$FAKE_PORT" -u drop \
    --timeout 30 --interval 1 --password-command "echo x >> $C/runs; \
    [ \$(wc -l < $C/runs) -lt 2 ] || { kill -TERM \$PPID; exec sleep 60; }; \
    echo secret" $C/spool >$C/out 2>$C/err
is "$?" 75 "--interval: stopped during the second session's command: 75"
is "$(grep -c 'session host=' $C/err)" 2 "--interval: two sessions"
is "$(wc -l < $C/runs | tr -d ' ')" 2 "--interval: one command run per session"
ok "--interval: the first session fetched" fetched $C
ok "--interval: the second cut while its command ran" \
    grep -q 'password-command-failed .*reason="interrupted"' $C/err
stop_fake

# 13. --password-file: its first line, refused (exit 78, the file named)
#     when it cannot be the password, never cut: a cut password would be
#     refused by the server as a wrong one, far from the cause. One of
#     8192 bytes goes whole into PASS (not refused as a long user name).
new_case pwfile
P8192=$(python3 -c 'print("p" * 8192)')
printf '%s\r\nsecond line\n' "$P8192" > $C/pw.8192
printf '%sp\n' "$P8192" > $C/pw.8193
printf 'sec\000ret\n' > $C/pw.nul
start_fake $C --password "$P8192"
exit_is 0 "a password file of 8192 bytes and CRLF" ffetch $C --keep --password-file $C/pw.8192
ok "8192 bytes: the whole password sent" sent $C "PASS $P8192"
: > $C/log
exit_is 78 "a password file of 8193 bytes: refused" ffetch $C --password-file $C/pw.8193
ok "8193 bytes: file and reason named" grep -q "cannot-read file=$C/pw.8193 error=\"first line over 8192 bytes\"" $C/err
exit_is 78 "a NUL in the password file: refused" ffetch $C --password-file $C/pw.nul
ok "NUL: file and reason named" grep -q "cannot-read file=$C/pw.nul error=\"NUL byte in the first line\"" $C/err
ok "refused files: no connection made" sh -c "! grep -q '^C: ' $C/log"
stop_fake

# 14. A --password-command that closes its output but never exits is
#     killed, its whole group, at --timeout: 78, never a hung fetch.
new_case linger
start_fake $C
exit_is 78 "a command that never exits" timeout 60 mdrop-fetch --tls none \
    -h 127.0.0.1 -p "$FAKE_PORT" -u drop --timeout 1 --password-command \
    "echo \$\$ > $C/pid; echo secret; exec >&-; exec sleep 3600" \
    $C/spool 2>$C/err
ok "never exits: said so" grep -q 'password-command-failed .*reason="did not exit within 1 s"' $C/err
ok "never exits: it is gone" sh -c "! kill -0 \$(cat $C/pid) 2>/dev/null"
ok "never exits: no connection made" sh -c "! grep -q '^C: ' $C/log"
stop_fake

done_testing
