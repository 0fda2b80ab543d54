#!/bin/sh
# attack: the server sends half of RETR 1 and then nothing, never the final "."
# expect: idle timeout; the partial file dropped from tmp/; no DELE; exit 75 (HOSTILE 1)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\nbody\n' >"$H/msgs/1.msg"
fake_pop3 --opt stall-retr=1
mark
fetch_fake
want_rc 75
want_no_dele
want_spool
want_err "timeout|timed out"
outside_clean
finish
