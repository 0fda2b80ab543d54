#!/bin/sh
# attack: SIGTERM while the server holds back the rest of RETR 1 (half sent, then silence; --timeout 30)
# expect: the session ends within a second: partial file removed, no DELE, no QUIT, exit 75 (issue 17 item 3, HOSTILE 78)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\n%s\n' "$(head -c 4000 /dev/zero | tr '\0' a)" >"$H/msgs/1.msg"
fake_pop3 --opt stall-retr=1
mkdir -p "$H/spool"
mdrop-fetch --tls none -h 127.0.0.1 -p "$FAKE_PORT" -u drop --timeout 30 \
    "$H/spool" >"$H/out" 2>"$H/err" &
pid=$!
H_PIDS="$H_PIDS $pid"
# progress, not time: the RETR was sent and its partial file exists
i=0
while ! { pop3_sent 'RETR 1' && ls "$H/spool/tmp" 2>/dev/null | grep -q ',F$'; } && [ $i -lt 400 ]; do
	sleep 0.05; i=$((i + 1))
done
want "RETR 1 in progress" test $i -lt 400
t0=$(date +%s%N)
kill -TERM $pid
wait $pid; RC=$?
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
want "ended within a second (${ms} ms)" test "$ms" -lt 1000
want_rc 75
want_err 'retr-abandoned host=127.0.0.1 msg=1 size=[0-9]+ bytes=[0-9]+ reason=signal'
want_no_dele
want "no QUIT" sh -c "! grep -q '^C: QUIT' '$H/pop3.log'"
want "tmp/ empty" test "$(nfiles "$H/spool/tmp")" = 0
finish
