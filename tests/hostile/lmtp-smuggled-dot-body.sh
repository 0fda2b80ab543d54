#!/bin/sh
# attack: a body with "\n.\n" and "\r.\r" followed by a second MAIL FROM, to end DATA early
# expect: every line end sent as CRLF, then dot-stuffed: the server receives exactly one message, the whole body, and no second MAIL (HOSTILE 55)
. "$(dirname "$0")/lib.sh"
LP=$(printf 'Subject: smuggle\n\nhi\n.\nMAIL FROM:<evil@x>\nRCPT TO:<bob@example.org>\nDATA\nowned\n.\r.\rend\n' | spool_msg 1.M1P1.h)
{ rec "$LP" alice@example.org; endrec "$LP"; } >"$H/in"
fake_lmtp
deliver_lmtp
want_rc 0
want "one message" test "$(ls "$H/lmtp" | grep -c '^msg-')" = 1
want "the fake MAIL FROM arrived as body text" grep -q '^MAIL FROM:<evil@x>' "$H/lmtp/msg-1"
want "the body arrived whole" grep -q '^end' "$H/lmtp/msg-1"
want "the lone dots were stuffed on the wire" test "$(grep -c "^\.\.$(printf '\r')\$" "$H"/lmtp/conn-*.in)" = 3
finish
