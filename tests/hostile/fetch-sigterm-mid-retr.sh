#!/bin/sh
# attack: SIGTERM while a RETR is slow in coming
# expect: stops cleanly (exit 0 or 75): nothing half in tmp/, nothing DELEd that is not durable in new/ (HOSTILE 64)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\na\n' >"$H/msgs/1.msg"
crlf 'Subject: b\n\nb\n' >"$H/msgs/2.msg"
fake_pop3 --opt slow-retr=1
timeout 20 mdrop-fetch --tls none -h 127.0.0.1 -p "$FAKE_PORT" -u drop --timeout 5 "$H/spool" >"$H/out" 2>"$H/err" &
f=$!
sleep 0.7
kill -TERM $f
wait $f; RC=$?
want_rc 0 75
want "tmp/ empty" test "$(nfiles "$H/spool/tmp")" = 0
n=$(grep -c '^C: DELE' "$H/pop3.log")
want "DELEs ($n) never more than durable files ($(nfiles "$H/spool/new"))" test "$n" -le "$(nfiles "$H/spool/new")"
finish
