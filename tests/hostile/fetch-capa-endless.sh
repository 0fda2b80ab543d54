#!/bin/sh
# attack: a CAPA listing that never ends
# expect: line/byte cap -> protocol error, exit 75, well before the timeout (HOSTILE 3)
. "$(dirname "$0")/lib.sh"
fake_pop3 --opt capa-endless
REL_CASE_TIMEOUT=15 fetch_fake
want_rc 75
want_err "^mdrop-fetch: error: "
finish
