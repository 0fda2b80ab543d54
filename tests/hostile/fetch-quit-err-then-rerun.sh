#!/bin/sh
# attack: QUIT answered -ERR (the server deleted nothing)
# expect: exit 75; the next session confirms the noted message with TOP 1 0 (same Message-ID, Date, Received) and DELEs it without fetching again: one copy in the spool (HOSTILE 18)
. "$(dirname "$0")/lib.sh"
crlf 'Received: from a.test by isp.test; Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <a@remote.test>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: a\n\na\n' >"$H/msgs/1.msg"
fake_pop3 --opt quit-err
fetch_fake
want_rc 75
want_spool 1
kill $H_PIDS 2>/dev/null; H_PIDS=
: >"$H/pop3.log"; rm -f "$H/pop3.port"
fake_pop3
fetch_fake
want_rc 0
want "second session: TOP 1 0" pop3_sent 'TOP 1 0$'
want "second session: no RETR" sh -c "! grep -q '^C: RETR' '$H/pop3.log'"
want "second session: DELE 1" pop3_sent 'DELE 1'
want_spool 1
finish
