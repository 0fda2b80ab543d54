#!/bin/sh
# attack: lines ".", "..", "..." and ".x" in the body
# expect: unstuffed exactly; "." ends the message only after CRLF (HOSTILE 7)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: dots\n\n.\n..\n...\n.x\nend\n' >"$H/msgs/1.msg"
fake_pop3
fetch_fake
want_rc 0
want_spool 1
finish
