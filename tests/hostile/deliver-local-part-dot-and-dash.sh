#!/bin/sh
# attack: recipients ".@example.org", ".hidden@example.org" and "-rf@example.org"
# expect: no hidden directory made under the mail root ("." or a dot name refused); "-rf" is only a name; nothing outside the root
. "$(dirname "$0")/lib.sh"
p=$(printf 'a\n' | spool_msg 1.M1P1.h)
{ rec "$p" ".@example.org"; rec "$p" ".hidden@example.org"; rec "$p" "-rf@example.org"; endrec "$p"; } >"$H/in"
mark
t sh -c "mdrop-deliver -m '$H/mail/%d/%l/Maildir' <'$H/in'"
want_no_crash
want "no dot directory under the domain" test -z "$(find "$H/mail" -name '.*')"
want "no Maildir directly under the domain" test ! -e "$H/mail/example.org/Maildir"
outside_clean
finish
