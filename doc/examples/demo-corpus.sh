#!/bin/sh
# demo-corpus.sh DIR: write the demo's sample multidrop mailbox into DIR.
#
# The story: example.org's mail is hosted at the ISP isp.test, which runs
# Postfix and keeps every address of example.org in one POP3 mailbox,
# drop@isp.test. For each recipient Postfix's local(8) drops one copy and
# prepends, above its own Received: line,
#
#     Return-Path: <sender>
#     X-Original-To: alice@example.org     <- the envelope recipient
#     Delivered-To: drop@isp.test          <- the ISP's mailbox, useless here
#
# so the header mdrop must read is X-Original-To (mdrop-split -H
# X-Original-To), and To:/Cc: must never decide (see the list message, the
# Bcc and the redirect below).
#
# Writes DIR/NN.eml (one file per copy in the box, NN = 01..) and prints
# the expected outcome on stdout, one line per copy, TAB-separated:
#
#     NN  TO-HEADER  MAILDIR-RUN  LMTP-RUN  STORY
#
# MAILDIR-RUN: the recipients (space-separated) mdrop must deliver that copy
# to with --maildir, "/.FOLDER" after one when it belongs in that folder of
# the recipient's Maildir; LMTP-RUN: the same for Dovecot over LMTP, or
# "failed" when Dovecot refuses the recipient (a permanent failure, kept
# in SPOOL/failed). Each copy carries "X-Demo-Copy: NN" as its last header
# line only so that the demo can name it in its table; mdrop never reads it.
# Everything is fixed text: the same corpus every run.
set -eu

dir=${1:?usage: demo-corpus.sh DIR}
mkdir -p "$dir"
n=0
null_sender=no	# yes: Return-Path: <> (a bounce)

# copy ENVELOPE FROM TO SUBJECT MAILDIR LMTP STORY [EXTRA-HEADERS] < BODY
# ENVELOPE "-" writes no X-Original-To (and no Received: for): the ISP's
# own notice. EXTRA-HEADERS (may hold \n) go between Subject: and the
# MIME headers; a line "@forged ..." in EXTRA-HEADERS is written below the
# ISP's Received: instead (a header the sender wrote).
copy() {
	n=$((n + 1))
	nn=$(printf '%02d' "$n")
	env=$1 from=$2 to=$3 subj=$4 want_md=$5 want_lmtp=$6 story=$7
	extra=${8:-}
	sender=$(printf '%s' "$from" | sed 's/.*<//; s/>.*//')
	day=$(( (n % 27) + 1 ))
	hh=$(( 7 + n % 11 ))
	mm=$(( (n * 7) % 60 ))
	date=$(printf '%d Mar 2026 %02d:%02d:%02d +0100' "$day" "$hh" "$mm" "$n")
	host=$(printf '%s' "$sender" | sed 's/.*@//')
	[ -n "$host" ] || host=isp.test
	qid=$(printf '4Q%04X%02dZ' $((n * 2654 % 65536)) "$n")
	{
		if [ "$null_sender" = yes ]; then
			printf 'Return-Path: <>\n'
		else
			printf 'Return-Path: <%s>\n' "$sender"
		fi
		if [ "$env" != "-" ]; then
			printf 'X-Original-To: %s\n' "$env"
			printf 'Delivered-To: drop@isp.test\n'
			printf 'Received: from mail.%s (mail.%s [192.0.2.%d])\n' \
			    "$host" "$host" $((n + 10))
			printf '\tby mx.isp.test (Postfix) with ESMTPS id %s\n' "$qid"
			printf '\tfor <%s>; %s\n' "$env" "$date"
		fi
		printf '%s\n' "$extra" | sed -n 's/^@forged //p'
		printf 'Date: %s\n' "$date"
		printf 'From: %s\n' "$from"
		printf 'To: %s\n' "$to"
		printf 'Subject: %s\n' "$subj"
		printf 'Message-ID: <%s.%s@%s>\n' "$(printf '%s' "$subj" | cksum | cut -d' ' -f1)" \
		    "$(printf '%s' "$from" | cksum | cut -d' ' -f1)" "$host"
		printf '%s\n' "$extra" | sed '/^@forged /d; /^$/d'
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=utf-8\n'
		printf 'X-Demo-Copy: %s\n' "$nn"
		printf '\n'
		cat
	} > "$dir/$nn.eml"
	printf '%s\t%s\t%s\t%s\t%s\n' "$nn" "$to" "$want_md" "$want_lmtp" "$story"
}

# --- the cases the demo is about ------------------------------------------

copy carol@example.org '"Dev list" <dev-bounces@lists.example.net>' \
    'dev@lists.example.net' 'Re: [dev] release 2.4 schedule' \
    carol@example.org carol@example.org 'list mail: To: names the list' \
    'List-Id: <dev.lists.example.net>
Sender: dev-bounces@lists.example.net' <<'EOF'
I can take the changelog. Freeze on Thursday?
EOF

copy dave@example.org 'Priya Raman <priya@partner.example>' \
    'procurement@partner.example' 'Quote for 40 laptops (you are in Bcc)' \
    dave@example.org dave@example.org 'Bcc: dave is in no visible header' <<'EOF'
Dave, Bcc so you see what I sent them. Numbers attached tomorrow.
EOF

copy bob@example.org 'Shop <orders@shop.example>' \
    'bob@oldmail.example' 'Your order #58213 has shipped' \
    bob@example.org bob@example.org 'redirected: To: is an old address' \
    'Resent-From: bob@oldmail.example
Resent-To: bob@example.org' <<'EOF'
Your parcel is on its way.
EOF

copy alice@example.org 'Mallory <mallory@spam.example>' \
    'alice@example.org' 'Invoice overdue' \
    alice@example.org alice@example.org 'forged X-Original-To below Received:' \
    '@forged X-Original-To: erin@example.org' <<'EOF'
The header above pretends this was also for erin. Only the ISP's own
X-Original-To above the ISP's Received: line counts.
EOF

copy - 'Mailbox Service <noreply@isp.test>' \
    'drop@isp.test' 'Your mailbox is 80% full' \
    postmaster@example.org postmaster@example.org 'no envelope header: fallback' <<'EOF'
The ISP wrote this straight into the mailbox: no X-Original-To at all.
EOF

copy drop@isp.test 'ISP News <news@isp.test>' \
    'drop@isp.test' 'Maintenance on Sunday night' \
    postmaster@example.org postmaster@example.org 'recipient outside example.org: fallback' <<'EOF'
POP3 will be unavailable from 02:00 to 03:00.
EOF

copy info@example.org 'Jonas Berg <jonas@customer.example>' \
    'info@example.org' 'Opening hours over Easter?' \
    alice@example.org alice@example.org 'alias: info@ -> alice@' <<'EOF'
Are you open on Easter Monday?
EOF

copy frank@example.org 'Recruiter <jobs@agency.example>' \
    'frank@example.org' 'Still looking for a new role?' \
    postmaster@example.org postmaster@example.org 'unknown user: not in --users' <<'EOF'
Frank left last year. He is not in the list of users (mdrop-split
--users), so the postmaster gets it instead of a new Maildir for frank.
EOF

copy alice+shop@example.org 'Garden Shop <orders@garden.example>' \
    'alice+shop@example.org' 'Your seeds are on their way' \
    alice@example.org/.shop alice@example.org/.shop 'subaddress: into her folder shop' <<'EOF'
Alice gave this shop alice+shop@example.org; with --delimiter + it is
hers, and it lands in her folder "shop" (she made one), not in a new
Maildir "alice+shop".
EOF

copy Carol@Example.ORG 'Tom <tom@friends.example>' \
    'Carol@Example.ORG' 'Climbing on Saturday' \
    carol@example.org carol@example.org 'upper case: domain folded, %l lower' <<'EOF'
Meet at 10 at the gym?
EOF

null_sender=yes
copy dave@example.org 'Mail Delivery System <MAILER-DAEMON@mx.isp.test>' \
    'dave@example.org' 'Undelivered Mail Returned to Sender' \
    dave@example.org dave@example.org 'bounce: null sender <>' <<'EOF'
This is the mail system at host mx.isp.test. I'm sorry to have to inform
you that your message could not be delivered.
EOF
null_sender=no

# One message to three people: the ISP drops three copies, one per
# envelope recipient, with the same Message-ID. Each goes to its own.
for r in alice bob carol; do
	copy "$r@example.org" 'Erin Novak <erin@example.org>' \
	    'alice@example.org, bob@example.org' 'Team lunch on Friday' \
	    "$r@example.org" "$r@example.org" 'one of 3 copies (Cc: carol)' \
	    'Cc: carol@example.org' <<'EOF'
Pizza place around the corner, 12:30. Reply if you can't make it.
EOF
done

# --- ordinary traffic --------------------------------------------------------

ordinary() {
	# ordinary USER FROM SUBJECT
	copy "$1@example.org" "$2" "$1@example.org" "$3" \
	    "$1@example.org" "$1@example.org" 'ordinary' <<EOF
Hello $1,

$3.

Regards
EOF
}
ordinary alice 'Bank <service@bank.example>' 'Your statement for February'
ordinary bob 'Anna Keller <anna@supplier.example>' 'Delivery date for the shelves'
ordinary carol 'Ben <ben@friends.example>' 'Photos from the weekend'
ordinary dave 'Tax Office <noreply@tax.example>' 'Reminder: filing deadline'
ordinary erin 'Print Shop <hello@print.example>' 'Proofs for the new flyers'
ordinary alice 'Lena <lena@customer.example>' 'Meeting notes from Tuesday'
ordinary bob 'Hosting <support@hosting.example>' 'Certificate renewed for www.example.org'
ordinary carol 'Conference <cfp@conf.example>' 'Your talk was accepted'
ordinary dave 'Landlord <office@estate.example>' 'Heating maintenance on the 12th'
ordinary erin 'Mia <mia@friends.example>' 'Birthday party'
ordinary postmaster 'DMARC Reports <dmarc@reports.example>' 'Report domain example.org'
ordinary alice 'Airline <booking@air.example>' 'Booking confirmation ABC123'
ordinary bob 'Accounting <books@accountant.example>' 'Quarterly figures'
ordinary carol 'Library <loans@library.example>' 'Books due next week'
ordinary dave 'Insurance <claims@insure.example>' 'Claim 7731 received'
ordinary erin 'Design Studio <team@studio.example>' 'Logo drafts'
ordinary alice 'Newsletter <news@garden.example>' 'Spring planting guide'
ordinary bob 'Carpenter <mail@wood.example>' 'Quote for the counter'
ordinary carol 'School <office@school.example>' 'Parents evening'
ordinary dave 'Car Service <desk@garage.example>' 'Your car is ready'
ordinary erin 'Bank <service@bank.example>' 'New card on its way'
ordinary alice 'Hotel <stay@hotel.example>' 'Your stay in Lisbon'
ordinary bob 'Telecom <billing@tel.example>' 'Your invoice for March'
ordinary carol 'Choir <board@choir.example>' 'Rehearsal moved to Wednesday'
ordinary dave 'Gym <front@gym.example>' 'Membership renewal'
ordinary erin 'Agency <jobs@agency.example>' 'Interview on Monday'
ordinary alice 'Vet <clinic@vet.example>' 'Vaccination reminder'
ordinary bob 'Cloud <noreply@cloud.example>' 'Backup completed'
ordinary carol 'Theatre <tickets@theatre.example>' 'Your tickets'
ordinary dave 'Post <track@post.example>' 'Parcel waiting for pickup'
ordinary erin 'Museum <friends@museum.example>' 'Members preview'
ordinary alice 'Registrar <domains@registrar.example>' 'example.org renews in 30 days'
ordinary bob 'Lena <lena@customer.example>' 'Follow-up on the offer'
ordinary carol 'Ben <ben@friends.example>' 'Re: Photos from the weekend'
ordinary dave 'Utility <meter@power.example>' 'Meter reading due'
ordinary erin 'Tom <tom@friends.example>' 'Climbing shoes'
ordinary postmaster 'Monitor <alerts@monitor.example>' 'www.example.org is up again'

# Two more sales@ mails (alias to bob) and one to the list again.
copy sales@example.org 'Oskar <oskar@buyer.example>' 'sales@example.org' \
    'Price list request' bob@example.org bob@example.org 'alias: sales@ -> bob@' <<'EOF'
Could you send the current price list?
EOF
copy erin@example.org '"Dev list" <dev-bounces@lists.example.net>' \
    'dev@lists.example.net' '[dev] CI is green again' \
    erin@example.org erin@example.org 'list mail: To: names the list' \
    'List-Id: <dev.lists.example.net>' <<'EOF'
The flaky test is fixed.
EOF
