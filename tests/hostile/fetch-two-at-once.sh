#!/bin/sh
# attack: a second mdrop-fetch on the same spool while the first is busy
# expect: the second exits 75 at once (lock), the first completes; one copy of each message (HOSTILE 65)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\na\n' >"$H/msgs/1.msg"
fake_pop3 --opt slow-retr=1.5
timeout 20 mdrop-fetch --tls none -h 127.0.0.1 -p "$FAKE_PORT" -u drop --timeout 5 "$H/spool" >"$H/out1" 2>"$H/err1" &
first=$!
sleep 0.5
t mdrop-fetch --tls none -h 127.0.0.1 -p "$FAKE_PORT" -u drop --timeout 5 "$H/spool"
want_rc 75
want_err "spool-busy|lock"
wait $first; r1=$?
want "first exits 0 ($r1)" test "$r1" = 0
want_spool 1
finish
