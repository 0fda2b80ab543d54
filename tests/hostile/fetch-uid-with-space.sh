#!/bin/sh
# attack: a UIDL line whose UID holds a space ("1 a b")
# expect: that UID rejected: the message is never DELEd by it (HOSTILE 12)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\na\n' >"$H/msgs/1.msg"
printf 'a b' >"$H/msgs/1.uid"
fake_pop3
fetch_fake
want_no_crash
want_no_dele
finish
