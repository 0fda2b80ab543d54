#!/bin/sh
# attack: a 71-character UID (RFC 1939 allows 70)
# expect: rejected; no DELE for it (HOSTILE 12)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\na\n' >"$H/msgs/1.msg"
head -c 71 /dev/zero | tr '\0' u >"$H/msgs/1.uid"
fake_pop3
fetch_fake
want_no_crash
want_no_dele
finish
