#!/bin/sh
# attack: UIDL answered -ERR
# expect: at-least-once with a warning (exit 0, message spooled); --keep refuses to run (exit 78) (HOSTILE 11)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\na\n' >"$H/msgs/1.msg"
fake_pop3 --opt no-uidl
fetch_fake --keep
want_rc 78
fetch_fake
want_rc 0
want_err "^mdrop-fetch: warning: .*(uidl|UIDL)"
want_spool 1
finish
