#!/bin/sh
# Install the Debian packages that building, testing and the demo need,
# only when something is missing and only as root; otherwise print the
# exact command and fail. Services the packages would start (the system
# Dovecot) are kept from starting with a temporary policy-rc.d, so nothing
# is left running: the tests start their own private Dovecot.
set -eu

# daemontools, s6 and execline: the supervision recipes in doc/examples are
# run with the real multilog, s6-log and execlineb. runit is left out on
# purpose: it recommends runit-run, which enables a system service.
# The peer servers the tests run privately (Cyrus IMAP 3.6: cyrus-common,
# cyrus-pop3d, saslpasswd2 from sasl2-bin; Postfix 3.7 as the ISP's MTA;
# GNU Mailutils' pop3d 3.15) are never installed: cyrus-pop3d and
# mailutils-pop3d conflict with dovecot-pop3d, and the maintainer scripts
# add users and services (Postfix would become the system's MTA).
# tests/lib/unpack.sh unpacks them under build/peers; only the libraries
# and data their binaries load are installed here (the lines from libsasl2-2).
PKGS="build-essential pkg-config libssl-dev libcmocka-dev clang
libclang-rt-14-dev llvm openssl dovecot-core dovecot-pop3d dovecot-lmtpd
mandoc python3 perl strace time e2fsprogs util-linux procps
daemontools s6 execline
libsasl2-2 libsasl2-modules libsasl2-modules-db libdb5.3 libical3 libxapian30
libjansson4 libpcre3 libwrap0 libcom-err2 libicu72 libpq5 libsqlite3-0 libxml2
libnsl2 libssl3
mailutils-common libmailutils9 libmu-dbm9 libgsasl18 libkyotocabinet16v5
libldap-2.5-0 libgdbm6"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

cmd="apt-get update && apt-get install -y$missing"
if [ "$(id -u)" != 0 ]; then
	echo "mdrop: missing packages:$missing" >&2
	echo "mdrop: run as root: $cmd" >&2
	exit 1
fi
echo "mdrop: installing:$missing" >&2
policy=/usr/sbin/policy-rc.d
made_policy=no
if [ ! -e $policy ]; then
	printf '#!/bin/sh\nexit 101\n' > $policy
	chmod 755 $policy
	made_policy=yes
fi
trap 'if [ $made_policy = yes ]; then rm -f $policy; fi' EXIT
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
