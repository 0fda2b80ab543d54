#!/bin/sh
# attack: the reader of fetch's paths has gone (stdout /dev/full)
# expect: exit 74 or 75 with an error line; spooled messages stay durable in SPOOL/new, so nothing is lost (HOSTILE 67)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\na\n' >"$H/msgs/1.msg"
fake_pop3
timeout 20 mdrop-fetch --tls none -h 127.0.0.1 -p "$FAKE_PORT" -u drop --timeout 2 "$H/spool" >/dev/full 2>"$H/err"
RC=$?
want_rc 74 75
want_err "^mdrop-fetch: error: "
n=$(grep -c '^C: DELE' "$H/pop3.log")
want "a DELEd message is in SPOOL/new" test "$n" -le "$(nfiles "$H/spool/new")"
finish
