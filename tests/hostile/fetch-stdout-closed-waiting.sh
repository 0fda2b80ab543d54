#!/bin/sh
# attack: the reader of fetch's paths is gone before the first one (stdout /dev/full) while a message still waits in SPOOL/new: the first write is that waiting path
# expect: exit 74 with the error line stdout-failed (not a silent 74: found by 77-stage-kill.t, split killed while fetch printed the waiting paths); no login; the waiting message stays in SPOOL/new
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\na\n' >"$H/msgs/1.msg"
fake_pop3
p=$(printf 'Subject: w\n\nw\n' | spool_msg 1.M1P1.h)
t sh -c "mdrop-fetch --tls none -h 127.0.0.1 -p '$FAKE_PORT' -u drop --timeout 2 '$H/spool' >/dev/full"
want_rc 74
want_err '^mdrop-fetch: error: stdout-failed error="No space left on device"'
want "no login" eval '! pop3_sent "(USER|AUTH|APOP)"'
want "the waiting message stays" test -f "$p"
want "nothing fetched" test "$(nfiles "$H/spool/new")" = 1
finish
