#!/bin/sh
# attack: a server that announces UTF8 (RFC 6856) and, like Courier, replaces a message with raw UTF-8 in its header by a "Cannot display Unicode content" notice for a client that did not send UTF8
# expect: UTF8 sent after CAPA and before any credential; the message spooled byte-exact, envelope header included; exit 0 (issue 17 item 10, HOSTILE 79)
. "$(dirname "$0")/lib.sh"
crlf 'Delivered-To: jörg@example.org\nMessage-ID: <u@remote.test>\nSubject: Grüße aus Köln\n\nbody\n' >"$H/msgs/1.msg"
crlf 'Subject: plain\n\nascii only\n' >"$H/msgs/2.msg"
fake_pop3 --opt utf8
fetch_fake
want_rc 0
want_spool 1 2
want "UTF8 after CAPA, before USER" sh -c "grep -E '^C: (CAPA|UTF8|USER)' '$H/pop3.log' | tr '\n' '|' | grep -qx 'C: CAPA|C: UTF8|C: USER drop|'"
finish
