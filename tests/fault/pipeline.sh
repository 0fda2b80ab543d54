#!/bin/sh
# pipeline.sh TAG [VAR=VALUE...]: one run of
#   mdrop-fetch | mdrop-split | mdrop-deliver
# for tests/fault/driver.sh (which exports what it needs: REL_SPOOL,
# REL_MAIL, REL_RUN, REL_LMTP, REL_TIMEOUT, POP3_PORT, DROP_USER,
# DOVECOT_DIR, LMTP_SOCKET; REL_LMTP_SESSIONS, when set, is deliver's
# --lmtp-sessions). VAR=VALUE pairs (the fault) are exported to
# all three tools. Each stage's exit code goes to REL_RUN/TAG.STAGE.rc,
# its stderr to REL_RUN/TAG.STAGE.err, deliver's results to REL_RUN/TAG.out.
# A separate script so that the kill loop can run it in its own session
# and SIGKILL the whole process group (hence timeout --foreground: plain
# timeout moves itself and the tool into a process group of their own).
tag=$1; shift
for kv in "$@"; do export "${kv?}"; done
deliver="-m $REL_MAIL/%d/%l/Maildir"
[ "${REL_LMTP:-0}" = 1 ] &&
    deliver="-l unix:$LMTP_SOCKET${REL_LMTP_SESSIONS:+ --lmtp-sessions $REL_LMTP_SESSIONS}"
t=${REL_TIMEOUT:-60}
{ timeout --foreground -k 5 "$t" mdrop-fetch --tls none -h 127.0.0.1 -p "$POP3_PORT" \
    -u "$DROP_USER" --password-file "$DOVECOT_DIR/drop.pass" "$REL_SPOOL" \
    2>"$REL_RUN/$tag.fetch.err"; echo $? >"$REL_RUN/$tag.fetch.rc"; } |
{ timeout --foreground -k 5 "$t" mdrop-split -d example.org \
    2>"$REL_RUN/$tag.split.err"; echo $? >"$REL_RUN/$tag.split.rc"; } |
{ # shellcheck disable=SC2086
  timeout --foreground -k 5 "$t" mdrop-deliver $deliver \
    2>"$REL_RUN/$tag.deliver.err"; echo $? >"$REL_RUN/$tag.deliver.rc"; } \
    >"$REL_RUN/$tag.out"
