#!/bin/sh
# attack: a certificate for the right host from a CA the system store does not know (no --cafile, no --fingerprint)
# expect: abort in the handshake before any command or credential; exit 69/75; error names host=localhost and the missing issuer; nothing spooled or deleted (HOSTILE 23)
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib/mkcerts.sh"
tls_scene
mark
fake_tls good
fetch_tls
want_tls_refused "unable to get local issuer certificate"
# the same server with that CA given: it was only the trust anchor
want_good_fetch
outside_clean
finish
