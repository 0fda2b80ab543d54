#!/bin/sh
# attack: under --keep the mailbox is rebuilt: UID uid-1 now names another message (another size, another Message-ID)
# expect: fetched as a new message and logged uid-reused; the old copy stays; exit 0 (issue 17 item 1)
. "$(dirname "$0")/lib.sh"
crlf 'Message-ID: <old@remote.test>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: old\n\nold\n' >"$H/msgs/1.msg"
fake_pop3
fetch_fake --keep
want_rc 0
want_spool 1
kill $H_PIDS 2>/dev/null; H_PIDS=
: >"$H/pop3.log"; rm -f "$H/pop3.port"
cp "$H/msgs/1.msg" "$H/old.msg"
crlf 'Message-ID: <new@remote.test>\nDate: Tue, 2 Jan 2024 10:00:00 +0000\nSubject: new, longer\n\nnew\n' >"$H/msgs/1.msg"
fake_pop3
fetch_fake --keep
want_rc 0
want "TOP 1 0, then RETR 1" sh -c "grep -E '^C: (TOP|RETR)' '$H/pop3.log' | tr '\n' '|' | grep -qx 'C: TOP 1 0|C: RETR 1|'"
want_err 'uid-reused host=127.0.0.1 msg=1 uid=uid-1 action=fetch'
cp "$H/old.msg" "$H/msgs/0.msg"
want_spool 0 1
want_no_dele
finish
