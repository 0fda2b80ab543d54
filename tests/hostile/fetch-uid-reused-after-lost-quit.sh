#!/bin/sh
# attack: the server commits DELE 1 at QUIT but the +OK is lost; a new message then gets the same UID and the same LIST size
# expect: the next session asks TOP 1 0, sees another Message-ID, fetches the new message (uid-reused logged) before its DELE: both messages in the spool byte-exact, nothing deleted unread (issue 17 item 1, HOSTILE 76)
. "$(dirname "$0")/lib.sh"
crlf 'Received: from a.test by isp.test; Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <first@remote.test>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: one\n\nfirst body\n' >"$H/msgs/1.msg"
crlf 'Received: from a.test by isp.test; Mon, 1 Jan 2024 10:05:00 +0000\nMessage-ID: <other@remote.test>\nDate: Mon, 1 Jan 2024 10:05:00 +0000\nSubject: two\n\nother body\n' >"$H/msgs/1.then"
want "the two messages have the same size" test "$(wc -c <"$H/msgs/1.msg")" = "$(wc -c <"$H/msgs/1.then")"
fake_pop3 --opt quit-lost
fetch_fake
want_rc 75
want_err 'connection-closed host=127.0.0.1 during=QUIT'
: >"$H/pop3.log"
fetch_fake
want_rc 0
want "second session: TOP 1 0 before RETR 1 before DELE 1" sh -c \
    "grep -E '^C: (TOP|RETR|DELE)' '$H/pop3.log' | tr '\n' '|' | grep -qx 'C: TOP 1 0|C: RETR 1|C: DELE 1|'"
want_err 'uid-reused host=127.0.0.1 msg=1 uid=uid-1 action=fetch'
cp "$H/msgs/1.then" "$H/msgs/2.msg"	# what want_spool compares with
want_spool 1 2
finish
