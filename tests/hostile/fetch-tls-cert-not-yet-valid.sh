#!/bin/sh
# attack: the server's certificate (right host, trusted CA via --cafile) is valid only from 2099 on
# expect: abort in the handshake before any command or credential; exit 69/75; error names host=localhost and "not yet valid"; nothing spooled or deleted (HOSTILE 23)
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib/mkcerts.sh"
tls_scene
mkcert "$H/certs" bad DNS:localhost 20990101000000Z 20991231000000Z || exit 1
mark
fake_tls bad
fetch_tls --cafile "$H/certs/ca.pem"
want_tls_refused "not yet valid"
want_good_fetch
outside_clean
finish
