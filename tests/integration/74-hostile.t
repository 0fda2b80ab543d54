#!/bin/sh
# The hostile-input catalogue (tests/hostile/*.sh, HOSTILE.md): each case
# attacks one thing (a POP3 reply, a header, a record, an LMTP reply, a
# process fault) and checks what mdrop must do: a clear error naming the
# thing, the right exit code, nothing lost, nothing written outside the
# mail root, no crash, no hang. One TAP line per case, named after the
# case file and its "expect:" line; a failing case's report follows it.
# The catalogue runs in three files so that prove runs them side by side:
# this one the fetch-* cases (and checks that every case belongs to one
# of the three), 74-hostile-deliver.t the deliver-*, lmtp-* and rec-*
# cases, 74-hostile-split.t the split-* cases (tests/lib/hostile.sh).
# REL_HOSTILE=GLOB runs only the matching cases.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/hostile.sh"

hostile_run fetch
if [ -z "${REL_HOSTILE:-}" ]; then
	all=0 stray=
	for c in "$TOP"/tests/hostile/*.sh; do
		name=$(basename "$c" .sh)
		[ "$name" = lib ] && continue
		all=$((all + 1))
		case $name in
		fetch-*|deliver-*|lmtp-*|rec-*|split-*) ;;
		*) stray="$stray $name" ;;
		esac
	done
	is "$stray" "" "every case is run by one of the three catalogue files"
	ok "the catalogue has at least 60 cases ($all)" test "$all" -ge 60
fi
done_testing
