#!/bin/sh
# attack: a 1 MiB greeting line
# expect: line cap -> protocol error, exit 75; no credentials sent (HOSTILE 3)
. "$(dirname "$0")/lib.sh"
fake_pop3 --opt greeting-long
fetch_fake
want_rc 75
want "no USER/PASS sent" sh -c "! grep -Eq '^C: (USER|PASS|AUTH)' '$H/pop3.log'"
want_err "^mdrop-fetch: error: "
finish
