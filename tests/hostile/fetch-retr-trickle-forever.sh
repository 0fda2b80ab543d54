#!/bin/sh
# attack: RETR 1 trickles 700 bytes a second for ever: enough for the per-window rate check (1024 bytes per --timeout of waiting), never done
# expect: the total deadline (2 x --timeout + LIST size at 2 KiB/s) cuts it: retr-abandoned naming the message, its size and reason=deadline; partial file removed; no DELE; exit 75 (issue 17 item 2, HOSTILE 1, 78)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\nbody\n' >"$H/msgs/1.msg"
fake_pop3 --opt trickle-forever=1,700
t0=$(date +%s)
REL_FETCH_TIMEOUT=2 fetch_fake
t1=$(date +%s)
want_rc 75
want_err 'retr-abandoned host=127.0.0.1 msg=1 size=20 bytes=[0-9]+ reason=deadline'
want "cut within 10 s ($((t1 - t0)) s)" test $((t1 - t0)) -lt 10
want_no_dele
want "tmp/ empty" test "$(nfiles "$H/spool/tmp")" = 0
want "nothing spooled" test "$(nfiles "$H/spool/new")" = 0
finish
