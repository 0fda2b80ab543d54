#!/bin/sh
# attack: an mbox server (GNU Mailutils pop3d) writes Status: and X-UIDL: into every message at QUIT: under --keep the LIST sizes grow while the UIDs stay
# expect: not new messages: the next session asks TOP n 0 once per grown message and fetches nothing (size-changed logged, the note takes the new size); the one after asks nothing; one copy each (issue 17 item 9, HOSTILE 77)
. "$(dirname "$0")/lib.sh"
for n in 1 2 3; do
	crlf "Received: from a.test by isp.test; Mon, 1 Jan 2024 10:0$n:00 +0000\nMessage-ID: <$n@remote.test>\nDate: Mon, 1 Jan 2024 10:0$n:00 +0000\nSubject: $n\n\nbody $n\n" >"$H/msgs/$n.msg"
done
fake_pop3 --opt grow
fetch_fake --keep
want_rc 0
want_spool 1 2 3
: >"$H/pop3.log"
fetch_fake --keep
want_rc 0
want "second session: no RETR" sh -c "! grep -q '^C: RETR' '$H/pop3.log'"
want "second session: TOP n 0 for each" test "$(grep -c '^C: TOP [123] 0$' "$H/pop3.log")" = 3
want_err 'size-changed host=127.0.0.1 msg=1 uid=uid-1 size=[0-9]+ noted=[0-9]+ action=kept'
want "no uid-reused" sh -c "! grep -q 'uid-reused' '$H/err'"
: >"$H/pop3.log"
fetch_fake --keep
want_rc 0
want "third session: neither TOP nor RETR" sh -c "! grep -Eq '^C: (TOP|RETR)' '$H/pop3.log'"
want_spool 1 2 3
want_no_dele
finish
