#!/bin/sh
# attack: the server answers the login with "-ERR [IN-USE]" or "[SYS/TEMP]"
# expect: exit 75 (retry later), the reason logged (HOSTILE 19)
. "$(dirname "$0")/lib.sh"
fake_pop3 --opt 'pass-err=[IN-USE] mailbox locked'
fetch_fake
want_rc 75
want_err "IN-USE"
finish
