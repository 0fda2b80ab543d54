#!/bin/sh
# attack: a valid certificate from the trusted CA, but for mail.other.example, not the host asked for (implicit TLS and STLS)
# expect: abort before any credential (implicit: before any command; STLS: nothing after STLS); exit 69/75; error names host=localhost and "hostname mismatch"; nothing spooled or deleted (HOSTILE 22)
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib/mkcerts.sh"
tls_scene
mkcert "$H/certs" bad DNS:mail.other.example - - || exit 1
mark
fake_tls bad
fetch_tls --cafile "$H/certs/ca.pem"
want_tls_refused "hostname mismatch"
# the same over STLS: CAPA and STLS only, then nothing
fake_tls bad --tls starttls
t mdrop-fetch --tls starttls -h localhost -p "$FAKE_PORT" -u drop \
    --timeout 3 --cafile "$H/certs/ca.pem" "$H/spool"
want_rc 69 75
want_err "^mdrop-fetch: error: tls-failed host=localhost .*hostname mismatch"
want "STLS path: only CAPA and STLS reached the server" \
    test "$(grep '^C: ' "$H/pop3.log" | tr '\n' ' ')" = "C: CAPA C: STLS "
want "nothing spooled" test "$(nfiles "$H/spool/new")" = 0
want_good_fetch
outside_clean
finish
