#!/bin/sh
# attack: plaintext bytes injected right after the STLS "+OK"
# expect: abort (exit 75); no credentials sent (HOSTILE 21)
. "$(dirname "$0")/lib.sh"
fake_pop3 --tls starttls --opt stls-inject
t mdrop-fetch --tls starttls -h 127.0.0.1 -p "$FAKE_PORT" -u drop --timeout 2 "$H/spool"
want_rc 69 75
want "no credentials" sh -c "! grep -Eq '^C: (USER|PASS|AUTH|APOP)' '$H/pop3.log'"
finish
