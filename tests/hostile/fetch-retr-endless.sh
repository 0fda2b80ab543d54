#!/bin/sh
# attack: RETR 1 streams body lines as fast as they are taken and never ends (LIST says 20 bytes)
# expect: cut once the reply exceeds its LIST size by 10 % + 64 KiB, read on for 1 MiB more: retr-abandoned naming the message, its size and reason=over-size; partial file removed; no DELE; exit 75; the server sent little (issue 17 item 2, HOSTILE 1, 78)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\nbody\n' >"$H/msgs/1.msg"
fake_pop3 --opt endless-retr=1
fetch_fake
want_rc 75
want_err 'retr-abandoned host=127.0.0.1 msg=1 size=20 bytes=[0-9]+ reason=over-size'
want_no_dele
want "tmp/ empty" test "$(nfiles "$H/spool/tmp")" = 0
want "nothing spooled" test "$(nfiles "$H/spool/new")" = 0
i=0
while ! grep -q '^ENDLESS-SENT' "$H/pop3.log" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
sent=$(sed -n 's/^ENDLESS-SENT //p' "$H/pop3.log")
want "the server stopped sending early (${sent:-?} bytes)" test "${sent:-99999999}" -lt 16777216
finish
