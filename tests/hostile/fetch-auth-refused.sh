#!/bin/sh
# attack: the server refuses the credentials ("-ERR [AUTH] bad password")
# expect: exit 77, the refusal logged; the password never logged (HOSTILE 19)
. "$(dirname "$0")/lib.sh"
fake_pop3 --opt 'pass-err=[AUTH] bad password'
fetch_fake
want_rc 77
want "password not in the log" sh -c "! grep -q secret '$H/err'"
finish
