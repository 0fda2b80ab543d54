#!/bin/sh
# attack: the connection closes in the middle of RETR 2
# expect: message 1 spooled, the partial message 2 discarded, no DELE for 2; exit 75 (HOSTILE 2)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\none\n' >"$H/msgs/1.msg"
crlf 'Subject: b\n\ntwo\n' >"$H/msgs/2.msg"
fake_pop3 --opt cut-retr=2
mark
fetch_fake
want_rc 75
want "no DELE 2" sh -c "! grep -q '^C: DELE 2' '$H/pop3.log'"
want "nothing in tmp/" test "$(nfiles "$H/spool/tmp")" = 0
outside_clean
finish
