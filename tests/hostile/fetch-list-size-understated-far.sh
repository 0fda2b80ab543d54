#!/bin/sh
# attack: LIST says 100 octets for message 2 of three; it has 200 KB (audit 2026-12-06)
# expect: read on past the bound and dropped, the session goes on (1 and 3 spooled),
#   then RETR 2 again at the end, bounded by its real size: all three spooled
#   byte-exact, all DELEd, exit 0 (HOSTILE 9).
#   It used to end every session at message 2 without QUIT: 3 never fetched,
#   DELE 1 never committed, for good.
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\na\n' >"$H/msgs/1.msg"
crlf 'Subject: b\n\n%s\n' "$(head -c 200000 /dev/zero | tr '\0' b)" >"$H/msgs/2.msg"
crlf 'Subject: c\n\nc\n' >"$H/msgs/3.msg"
printf '100' >"$H/msgs/2.size"
fake_pop3
fetch_fake
want_rc 0
want_spool 1 2 3
want_err 'retr-over-size host=127.0.0.1 msg=2 size=100 bytes=[0-9]+ action="fetched again at the end of this session"'
want "RETR 2 asked twice, 1 and 3 once" test "$(grep -c '^C: RETR 2' "$H/pop3.log") $(grep -c '^C: RETR [13]' "$H/pop3.log")" = "2 2"
want "all three DELEd" test "$(grep -c '^C: DELE [123]$' "$H/pop3.log" | tr -d '\r')" = 3
finish
