#!/bin/sh
# attack: implicit TLS port that accepts and never speaks
# expect: handshake timeout, exit 75 within the timeout (HOSTILE 25)
. "$(dirname "$0")/lib.sh"
fake_pop3 --tls implicit --opt tls-stall
t mdrop-fetch --tls implicit -h 127.0.0.1 -p "$FAKE_PORT" -u drop --timeout 1 "$H/spool"
want_rc 75
want_err "^mdrop-fetch: error: "
finish
