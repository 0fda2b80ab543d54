#!/bin/sh
# pipeline.sh TAG [VAR=VALUE...]: one run of
#   mdrop-fetch | mdrop-split | mdrop-deliver
# for tests/fault/driver.sh (which exports what it needs: REL_SPOOL,
# REL_MAIL, REL_CORPUS, REL_RUN, REL_LMTP, REL_TIMEOUT, POP3_PORT, DROP_USER,
# DOVECOT_DIR, LMTP_SOCKET; REL_LMTP_SESSIONS, when set, is deliver's
# --lmtp-sessions). VAR=VALUE pairs (the fault) are exported to
# all three tools. Each stage's exit code goes to REL_RUN/TAG.STAGE.rc,
# its stderr to REL_RUN/TAG.STAGE.err, deliver's results to REL_RUN/TAG.out.
# A separate script so that the kill loop can run it in its own session
# and SIGKILL the whole process group (hence timeout --foreground: plain
# timeout moves itself and the tool into a process group of their own).
#
# pipeline.sh --stage STAGE (fetch, split or deliver): that one tool,
# exec'd, stdin, stdout and stderr as given; for tests/fault/stagekill.py,
# which connects the three itself to kill one of them.
# Issue 19's options are on in every run (tests/fault/rel.py: alice+shop@
# into alice's folder .shop, an unknown zed@ to the fallback).
deliver="-m $REL_MAIL/%d/%l/Maildir --delimiter + --detail-folder"
[ "${REL_LMTP:-0}" = 1 ] &&
    deliver="-l unix:$LMTP_SOCKET${REL_LMTP_SESSIONS:+ --lmtp-sessions $REL_LMTP_SESSIONS}"

# stage STAGE PREFIX...: PREFIX (exec, or a timeout) running the tool of
# STAGE with its options; the three command lines are here only
stage() {
	_st=$1; shift
	case $_st in
	fetch) "$@" mdrop-fetch --tls none -h 127.0.0.1 -p "$POP3_PORT" \
	    -u "$DROP_USER" --password-file "$DOVECOT_DIR/drop.pass" "$REL_SPOOL" ;;
	split) "$@" mdrop-split -d example.org --delimiter + \
	    --users "$REL_CORPUS/users" ;;
	deliver) # shellcheck disable=SC2086
	    "$@" mdrop-deliver $deliver ;;
	*) echo "pipeline.sh: no stage $_st" >&2; exit 64 ;;
	esac
}
[ "$1" = --stage ] && stage "$2" exec

tag=$1; shift
for kv in "$@"; do export "${kv?}"; done
t=${REL_TIMEOUT:-60}
{ stage fetch timeout --foreground -k 5 "$t" 2>"$REL_RUN/$tag.fetch.err"
  echo $? >"$REL_RUN/$tag.fetch.rc"; } |
{ stage split timeout --foreground -k 5 "$t" 2>"$REL_RUN/$tag.split.err"
  echo $? >"$REL_RUN/$tag.split.rc"; } |
{ stage deliver timeout --foreground -k 5 "$t" 2>"$REL_RUN/$tag.deliver.err"
  echo $? >"$REL_RUN/$tag.deliver.rc"; } >"$REL_RUN/$tag.out"
