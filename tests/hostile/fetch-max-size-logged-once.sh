#!/bin/sh
# attack: the only message is larger than --max-size (no other message is spooled in that session)
# expect: logged once per UID: the next session neither downloads it again nor logs it again; exit 0 both times (HOSTILE 8)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: big\n\n%s\n' "$(head -c 5000 /dev/zero | tr '\0' a)" >"$H/msgs/1.msg"
fake_pop3
fetch_fake --max-size 1000
want_rc 0
want_spool
want_err "too-big host=127.0.0.1 msg=1 "
: >"$H/pop3.log"
fetch_fake --max-size 1000
want_rc 0
want "second session: no RETR" sh -c "! grep -q '^C: RETR' '$H/pop3.log'"
want "second session: not logged again" sh -c "! grep -q 'too-big' '$H/err'"
want_no_dele
finish
