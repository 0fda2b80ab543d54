#!/bin/sh
# attack: an empty UID and one with a control character (ESC)
# expect: both rejected: no DELE of either (HOSTILE 12, CVE-2018-14356 class)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\na\n' >"$H/msgs/1.msg"
crlf 'Subject: b\n\nb\n' >"$H/msgs/2.msg"
printf '' >"$H/msgs/1.uid"; printf 'u\033x' >"$H/msgs/2.uid"
fake_pop3
fetch_fake
want_no_crash
want_no_dele
finish
