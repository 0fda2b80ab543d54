# peers.sh: one prepare_CASE and one run_CASE per benchmark case, sourced
# by run.sh (which provides W, PASS, GPASS, USERS, T, the Dovecot
# variables and `timed NAME CMD...`). prepare_* writes the tool's
# configuration (not timed); run_* is the timed job. $1 is the case's
# output directory: the mail root for routed cases, a parent of the one
# Maildir for mpop and the disk ceiling. Every peer is configured for the
# same job as mdrop: multidrop by the first Delivered-To into per-recipient
# Maildirs under $1, TLS verified against the test CA and the host name
# "localhost", no STARTTLS guessing in plain mode, delete after delivery.
#
# Running as root (the benchmark installs packages, so it is root):
# fetchmail warns but works; fdm's fetch child drops to its own user and
# needs a world-writable TMPDIR, deliveries run as root (default-user);
# getmail refuses to deliver as root, so it runs as nobody (setpriv) into
# a Maildir tree nobody owns, pinned to one CPU (taskset) because getmail6
# 6.18's fork/SIGCHLD handshake loses the child's exit when the child
# finishes first on another core (getmail6 issue 226), which stalls the
# run for `timeout` seconds and then aborts it.

MB_USERS="$USERS postmaster"
if [ "$(id -u)" = 0 ]; then
	AS_NOBODY="setpriv --reuid=$NOBODY_UID --regid=$NOBODY_GID --clear-groups"
else
	AS_NOBODY=	# not root: getmail runs as we are
fi

# mkmaildirs ROOT FORM: ROOT/FORM/Maildir/{tmp,new,cur} for every user;
# FORM is "d/u" (example.org/alice) or "u@d" (alice@example.org).
mkmaildirs() {
	for _u in $MB_USERS; do
		case $2 in
		d/u) _m=$1/example.org/$_u/Maildir ;;
		*) _m=$1/$_u@example.org/Maildir ;;
		esac
		mkdir -p "$_m/tmp" "$_m/new" "$_m/cur" || return 1
	done
}

# --- mdrop: the pipeline exactly as DESIGN.md documents it ----------------
prepare_mdrop_md_plain() { :; }
prepare_mdrop_md_tls() { :; }
prepare_mdrop_lmtp_tls() { :; }
run_mdrop_md_plain() {
	timed fetch mdrop-fetch -h localhost --tls=none -p "$POP3_PORT" \
	    -u "$DROP_USER" --password-file "$PASS" "$W/spool" |
	timed split mdrop-split -d example.org |
	timed deliver mdrop-deliver -m "$1/%d/%l/Maildir"
}
run_mdrop_md_tls() {
	timed fetch mdrop-fetch -h localhost -p "$POP3S_PORT" \
	    --cafile "$CA_FILE" -u "$DROP_USER" --password-file "$PASS" \
	    "$W/spool" |
	timed split mdrop-split -d example.org |
	timed deliver mdrop-deliver -m "$1/%d/%l/Maildir"
}
# STARTTLS (RFC 2595) on the plain port: the same session once STLS is done.
prepare_mdrop_md_stls() { :; }
run_mdrop_md_stls() {
	timed fetch mdrop-fetch -h localhost --tls starttls -p "$POP3_PORT" \
	    --cafile "$CA_FILE" -u "$DROP_USER" --password-file "$PASS" \
	    "$W/spool" |
	timed split mdrop-split -d example.org |
	timed deliver mdrop-deliver -m "$1/%d/%l/Maildir"
}
run_mdrop_lmtp_tls() { mdrop_lmtp; }

# The small-message corpus over LMTP: the same pipeline with deliver's
# default sessions, and with one and two for comparison.
prepare_mdrop_lmtp_small() { :; }
prepare_mdrop_lmtp_small_s1() { :; }
prepare_mdrop_lmtp_small_s2() { :; }
mdrop_lmtp() {	# mdrop_lmtp [SESSIONS]
	timed fetch mdrop-fetch -h localhost -p "$POP3S_PORT" \
	    --cafile "$CA_FILE" -u "$DROP_USER" --password-file "$PASS" \
	    "$W/spool" |
	timed split mdrop-split -d example.org |
	timed deliver mdrop-deliver -l "unix:$LMTP_SOCKET" ${1:+--lmtp-sessions $1}
}
# The deliver stage alone, against the same LMTP ceiling: fetch and split
# run before the clock starts (the spool and the records ready, as the
# ceiling's prepared messages are), only mdrop-deliver -l is timed. On two
# cores the whole pipeline shares them with Dovecot's pop3 (encrypting)
# and its lmtp processes; this row shows what the LMTP path itself does.
prepare_mdrop_lmtp_deliver() {
	mdrop-fetch -q -h localhost -p "$POP3S_PORT" --cafile "$CA_FILE" \
	    -u "$DROP_USER" --password-file "$PASS" "$W/spool" |
	    mdrop-split -d example.org > "$W/records"
}
run_mdrop_lmtp_deliver() {
	timed deliver mdrop-deliver -l "unix:$LMTP_SOCKET" < "$W/records"
}
prepare_mdrop_lmtp_small_deliver() { prepare_mdrop_lmtp_deliver; }
run_mdrop_lmtp_small_deliver() { run_mdrop_lmtp_deliver; }
run_mdrop_lmtp_small() { mdrop_lmtp; }
run_mdrop_lmtp_small_s1() { mdrop_lmtp 1; }
run_mdrop_lmtp_small_s2() { mdrop_lmtp 2; }

# --- mpop: the raw-transport reference (no routing: one Maildir) ---------
mpop_rc() {	# mpop_rc OUT PORT TLS(on|off) [STARTTLS(on|off)]
	cat > "$W/cfg/mpoprc" <<EOF
defaults
account bench
host localhost
port $2
tls $3
tls_starttls ${4:-off}
tls_trust_file $CA_FILE
auth user
user $DROP_USER
passwordeval cat $PASS
delivery maildir $1/Maildir
keep off
uidls_file $W/state/mpop.uidls
EOF
	chmod 600 "$W/cfg/mpoprc"
	mkdir -p "$1/Maildir/tmp" "$1/Maildir/new" "$1/Maildir/cur"
}
prepare_mpop_plain() { mpop_rc "$1" "$POP3_PORT" off; }
prepare_mpop_tls() { mpop_rc "$1" "$POP3S_PORT" on; }
prepare_mpop_stls() { mpop_rc "$1" "$POP3_PORT" on on; }
run_mpop_plain() { timed mpop mpop -C "$W/cfg/mpoprc" bench; }
run_mpop_tls() { run_mpop_plain; }
run_mpop_stls() { run_mpop_plain; }

# --- fdm: one rule routes on the first Delivered-To ------------------------
fdm_rc() {	# fdm_rc OUT TYPE(pop3|pop3s) PORT
	cat > "$W/cfg/fdm.conf" <<EOF
set default-user "root"
set lock-file "$W/state/fdm.lock"
set maximum-size 512M
set verify-certificates
account "bench" $2 server "localhost" port $3 user "$DROP_USER" pass "$DROP_PASS"
match "^Delivered-To:[ \\t]*([a-z0-9._-]+)@example\\\\.org\$" in headers action maildir "$1/example.org/%1/Maildir"
match all action maildir "$1/example.org/postmaster/Maildir"
EOF
	chmod 600 "$W/cfg/fdm.conf"
}
prepare_fdm_plain() { fdm_rc "$1" pop3 "$POP3_PORT"; }
prepare_fdm_tls() { fdm_rc "$1" pop3s "$POP3S_PORT"; }
run_fdm_plain() {
	timed fdm env TMPDIR="$W/fdmtmp" SSL_CERT_FILE="$CA_FILE" \
	    fdm -f "$W/cfg/fdm.conf" fetch
}
run_fdm_tls() { run_fdm_plain; }

# --- fetchmail: envelope Delivered-To, localdomains, safecat or LMTP ------
fetchmail_rc() {	# fetchmail_rc OUT PORT MODE(plain|tls) DELIVERY(mda|lmtp)
	{
	cat <<EOF
set no syslog
set no bouncemail
set postmaster "postmaster"
poll localhost proto pop3 port $2
  envelope "Delivered-To"
  localdomains example.org
  no dns
  auth password
  user "$DROP_USER" there with password "$DROP_PASS" is * here
  fetchall
  no keep
  no rewrite
EOF
	if [ "$3" = tls ]; then
		printf '  ssl\n  sslcertck\n  sslcertfile "%s"\n' "$CA_FILE"
		printf "  sslproto 'TLS1.2+'\n"
	else
		printf "  sslproto ''\n"	# no opportunistic STARTTLS
	fi
	if [ "$4" = lmtp ]; then
		printf '  lmtp\n  smtphost "%s"\n  smtpaddress example.org\n' \
		    "$LMTP_SOCKET"
	else
		# %T is the whole local address here: alice@example.org
		printf '  mda "safecat %s/%%T/Maildir/tmp %s/%%T/Maildir/new"\n' \
		    "$1" "$1"
	fi
	} > "$W/cfg/fetchmailrc"
	chmod 600 "$W/cfg/fetchmailrc"
	[ "$4" = lmtp ] || mkmaildirs "$1" u@d	# safecat needs them
}
prepare_fetchmail_plain() { fetchmail_rc "$1" "$POP3_PORT" plain mda; }
prepare_fetchmail_tls() { fetchmail_rc "$1" "$POP3S_PORT" tls mda; }
prepare_fetchmail_lmtp_tls() { fetchmail_rc "$1" "$POP3S_PORT" tls lmtp; }
prepare_fetchmail_lmtp_small() { prepare_fetchmail_lmtp_tls "$1"; }
run_fetchmail_plain() {
	timed fetchmail env FETCHMAILHOME="$W/state" \
	    fetchmail -f "$W/cfg/fetchmailrc" --nosyslog
}
run_fetchmail_tls() { run_fetchmail_plain; }
run_fetchmail_lmtp_tls() { run_fetchmail_plain; }
run_fetchmail_lmtp_small() { run_fetchmail_plain; }

# --- getmail6: MultidropPOP3(SSL)Retriever + MultiSorter ------------------
getmail_rc() {	# getmail_rc OUT TYPE PORT
	{
	cat <<EOF
[retriever]
type = $2
server = localhost
port = $3
username = $DROP_USER
password_command = ('/bin/cat', '$GPASS')
envelope_recipient = delivered-to:1
timeout = 30
EOF
	[ "$2" = MultidropPOP3SSLRetriever ] && echo "ca_certs = $CA_FILE"
	printf '\n[destination]\ntype = MultiSorter\ndefault = [postmaster]\n'
	echo "locals = ("
	for _u in $USERS; do
		echo "    ('^$_u@example\\.org\$', '[$_u]'),"
	done
	printf '    )\n\n[options]\ndelete = true\nread_all = true\n'
	printf 'message_log_syslog = false\n\n'
	for _u in $MB_USERS; do
		printf '[%s]\ntype = Maildir\npath = %s/example.org/%s/Maildir/\n\n' \
		    "$_u" "$1" "$_u"
	done
	} > "$W/cfg/getmailrc"
	chmod 644 "$W/cfg/getmailrc"
	mkmaildirs "$1" d/u
	[ -z "$AS_NOBODY" ] || chown -R "$NOBODY_UID:$NOBODY_GID" "$1" "$W/state"
}
prepare_getmail_plain() { getmail_rc "$1" MultidropPOP3Retriever "$POP3_PORT"; }
prepare_getmail_tls() { getmail_rc "$1" MultidropPOP3SSLRetriever "$POP3S_PORT"; }
run_getmail_plain() {
	timed getmail taskset -c 0 $AS_NOBODY \
	    getmail --getmaildir="$W/state" --rcfile="$W/cfg/getmailrc"
}
run_getmail_tls() { run_getmail_plain; }

# --- ceilings ---------------------------------------------------------------
# ceil-lmtp-kK and ceil-lmtp-small-kK: lmtpceil over K sessions, the
# corpus's prepared messages (corpus.py lmtp) straight into Dovecot's LMTP.
# ceil-lmtp-a4 and ceil-lmtp-small-a4: the same with -a, each session
# waiting for a message's replies before it sends the next envelope, as
# mdrop-deliver must (DESIGN.md: the duplicate window as small as
# possible, one message per session); the bound that rule leaves.
# ceil_lmtp K [-a]
ceil_lmtp() {
	timed lmtpceil "$W/bin/lmtpceil" ${2:-} -k "$1" \
	    -e "unix:$LMTP_SOCKET" "$corpus"
}
for _k in 1 2 4; do
	eval "prepare_ceil_lmtp_k$_k() { :; }
prepare_ceil_lmtp_small_k$_k() { :; }
run_ceil_lmtp_k$_k() { ceil_lmtp $_k; }
run_ceil_lmtp_small_k$_k() { ceil_lmtp $_k; }"
done
prepare_ceil_lmtp_a4() { :; }
prepare_ceil_lmtp_small_a4() { :; }
run_ceil_lmtp_a4() { ceil_lmtp 4 -a; }
run_ceil_lmtp_small_a4() { ceil_lmtp 4 -a; }
# ceil-tls-lmtp: the two transport ceilings at once -- the POP3S read
# (discarding) and LMTP over 4 sessions -- as the pipeline runs them: on
# two cores Dovecot's pop3 encrypts while its lmtp delivers and the client
# reads. This, not the LMTP ceiling alone, bounds mdrop-lmtp-tls.
prepare_ceil_tls_lmtp() { :; }
run_ceil_tls_lmtp() {
	run_ceil_pop3_tls &
	_pop3=$!
	ceil_lmtp 4
	wait "$_pop3"
}
prepare_ceil_pop3_plain() { :; }
prepare_ceil_pop3_tls() { :; }
prepare_ceil_disk_msg() { :; }
prepare_ceil_disk_batch() { :; }
run_ceil_pop3_plain() {
	timed pop3ceil "$W/bin/pop3ceil" -d -h localhost -p "$POP3_PORT" \
	    -u "$DROP_USER" -P "$PASS"
}
prepare_ceil_pop3_stls() { :; }
run_ceil_pop3_stls() {
	timed pop3ceil "$W/bin/pop3ceil" -s -d -c "$CA_FILE" -h localhost \
	    -p "$POP3_PORT" -u "$DROP_USER" -P "$PASS"
}
run_ceil_pop3_tls() {
	timed pop3ceil "$W/bin/pop3ceil" -t -d -c "$CA_FILE" -h localhost \
	    -p "$POP3S_PORT" -u "$DROP_USER" -P "$PASS"
}
run_ceil_disk_msg() {
	timed mdwrite "$W/bin/mdwrite" -b 1 "$corpus/msgs" "$1/Maildir"
}
run_ceil_disk_batch() {
	timed mdwrite "$W/bin/mdwrite" -b 100 "$corpus/msgs" "$1/Maildir"
}
