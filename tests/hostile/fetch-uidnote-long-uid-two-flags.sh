#!/bin/sh
# attack: a 70-byte UID of "+" (210 bytes %-encoded), measured too big by one --keep session and fetched by the next: its note carries both flags when the notes are rewritten
# expect: no over-read (ASan: stack-buffer-overflow before the fix); the notes are rewritten as exactly two well-formed lines; exit 0 each time and one copy in the spool (HOSTILE 8, 12)
. "$(dirname "$0")/lib.sh"
crlf 'Subject: a\n\nbody\n' >"$H/msgs/1.msg"
crlf 'b\n' >"$H/msgs/2.msg"	# spooled in session 1: its commit makes the B note durable
head -c 70 /dev/zero | tr '\0' + >"$H/msgs/1.uid"
size=$(wc -c <"$H/msgs/1.msg" | tr -d ' ')
enc=$(head -c 70 /dev/zero | sed 's/\x0/%2B/g')
fake_pop3
fetch_fake --keep --max-size 10
want_rc 0
want_spool 2
fetch_fake --keep
want_rc 0
want_spool 1 2
# The third session loads both lines and rewrites the notes (plan()).
: >"$H/pop3.log"
fetch_fake --keep
want_rc 0
want_spool 1 2
want "third session: no RETR" sh -c "! grep -q '^C: RETR' '$H/pop3.log'"
{ printf 'S %s %s -\nB %s %s -\n' "$size" "$enc" "$size" "$enc"
  printf 'S 3 uid-2 -\n'; } | LC_ALL=C sort >"$H/notes.want"
LC_ALL=C sort "$H"/spool/uidl.* >"$H/notes.got"
want "the notes are the two lines, byte-exact: $(od -c "$H/notes.got" | head -20)" cmp -s "$H/notes.want" "$H/notes.got"
finish
