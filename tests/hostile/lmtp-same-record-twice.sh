#!/bin/sh
# attack: the same record twice in one group (a filter repeated a line), once in another case (Alice@ and alice@)
# expect: one RCPT and one copy for alice over LMTP; one result line per record, both ok; the spool file removed; exit 0 (issue 14 case 6)
. "$(dirname "$0")/lib.sh"
LP=$(printf 'Subject: twice\n\nbody\n' | spool_msg 1.M1P1.h)
{ rec "$LP" alice@example.org; rec "$LP" bob@example.org; rec "$LP" alice@example.org; rec "$LP" Alice@example.org; endrec "$LP"; } >"$H/in"
fake_lmtp
deliver_lmtp
want_rc 0
want "four ok lines" test "$(results)" = "alice@example.org:ok bob@example.org:ok alice@example.org:ok Alice@example.org:ok "
want "alice got one RCPT" test "$(cat "$H"/lmtp/conn-*.in | grep -ci '^RCPT TO:<alice@example.org>')" = 1
want "bob got one RCPT" test "$(cat "$H"/lmtp/conn-*.in | grep -ci '^RCPT TO:<bob@example.org>')" = 1
want "the spool file is gone" test ! -e "$LP"
finish
