#!/bin/sh
# attack: SPOOL/new is a symlink to another directory
# expect: refused at start with the path named (exit 74 or 78); nothing written at the target; no DELE
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\na\n' >"$H/msgs/1.msg"
mkdir -p "$H/spool/tmp" "$H/spool/failed" "$H/elsewhere"; chmod 700 "$H/spool"
ln -s "$H/elsewhere" "$H/spool/new"
fake_pop3
fetch_fake
want_rc 74 78
want "nothing at the target" test "$(nfiles "$H/elsewhere")" = 0
want_no_dele
finish
