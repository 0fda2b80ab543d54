#!/bin/sh
# attack: a message larger than --max-size
# expect: left on the server (no DELE of it), logged, not an error (exit 0); the small one fetched (HOSTILE 8)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: big\n\n%s\n' "$(head -c 5000 /dev/zero | tr '\0' a)" >"$H/msgs/1.msg"
crlf 'Subject: small\n\nb\n' >"$H/msgs/2.msg"
fake_pop3
fetch_fake --max-size 1000
want_rc 0
want "no DELE 1" sh -c "! grep -q '^C: DELE 1' '$H/pop3.log'"
want_spool 2
want_err "max-size|too-big|toobig|larger"
finish
