#!/bin/sh
# attack: STLS not offered (stripped by a man in the middle) while --tls starttls is asked
# expect: abort before any credentials are sent; exit non-zero with the reason (HOSTILE 20)
. "$(dirname "$0")/lib.sh"
fake_pop3 --tls starttls --opt nostls
t mdrop-fetch --tls starttls -h 127.0.0.1 -p "$FAKE_PORT" -u drop --timeout 2 "$H/spool"
want_rc 69 75 78
want "no credentials" sh -c "! grep -Eq '^C: (USER|PASS|AUTH|APOP)' '$H/pop3.log'"
want_err "^mdrop-fetch: error: "
finish
