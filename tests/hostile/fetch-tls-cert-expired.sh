#!/bin/sh
# attack: the server's certificate (right host, trusted CA via --cafile) expired in 2021
# expect: abort in the handshake before any command or credential; exit 69/75; error names host=localhost and "expired"; nothing spooled or deleted (HOSTILE 23)
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib/mkcerts.sh"
tls_scene
mkcert "$H/certs" bad DNS:localhost 20200101000000Z 20210101000000Z || exit 1
mark
fake_tls bad
fetch_tls --cafile "$H/certs/ca.pem"
want_tls_refused "certificate has expired"
want_good_fetch
outside_clean
finish
