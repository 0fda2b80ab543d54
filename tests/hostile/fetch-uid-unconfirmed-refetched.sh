#!/bin/sh
# attack: a noted message still on the server (QUIT answered -ERR) that cannot be confirmed: it has no Message-ID, Date or Received, or the server refuses TOP
# expect: fetched again before its DELE (uid-unconfirmed logged): a duplicate in the spool, never a DELE of a message not known to be the spooled one; exit 0
. "$(dirname "$0")/lib.sh"
crlf 'Subject: anonymous\n\nno identity\n' >"$H/msgs/1.msg"
crlf 'Message-ID: <b@remote.test>\nSubject: b\n\nb\n' >"$H/msgs/2.msg"
fake_pop3 --opt quit-err
fetch_fake
want_rc 75
want_spool 1 2
kill $H_PIDS 2>/dev/null; H_PIDS=
: >"$H/pop3.log"; rm -f "$H/pop3.port"
fake_pop3 --opt no-top
fetch_fake
want_rc 0
want "second session: both fetched again" sh -c \
    "grep -qx 'C: RETR 1' '$H/pop3.log' && grep -qx 'C: RETR 2' '$H/pop3.log'"
want_err 'uid-unconfirmed host=127.0.0.1 msg=1 uid=uid-1 action=fetch'
want_err 'uid-unconfirmed host=127.0.0.1 msg=2 uid=uid-2 action=fetch'
want "two copies of each" test "$(nfiles "$H/spool/new")" = 4
finish
