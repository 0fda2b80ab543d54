#!/bin/sh
# attack: a certificate from the trusted CA whose only subjectAltName is the DNS name "localhost\0.evil.example" (CVE-2009-2666: a C-string compare sees "localhost")
# expect: abort in the handshake before any command or credential; exit 69/75; error names host=localhost and "hostname mismatch"; nothing spooled or deleted (HOSTILE 24)
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib/mkcerts.sh"
tls_scene
# the SAN is hand-built DER: openssl.cnf cannot spell a NUL
hex=$(printf 'localhost\000.evil.example' | od -An -tx1 | tr -d ' \n')
mkcert "$H/certs" bad "$(der_san_dns "$hex")" - - || exit 1
want "the certificate really holds the NUL name" sh -c \
    "openssl x509 -in '$H/certs/bad.pem' -outform DER | od -An -tx1 | tr -d ' \n' | grep -q '8217$hex'"
mark
fake_tls bad
fetch_tls --cafile "$H/certs/ca.pem"
want_tls_refused "hostname mismatch"
want_good_fetch
outside_clean
finish
