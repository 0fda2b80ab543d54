#!/bin/sh
# attack: a server (valid certificate, trusted CA) that speaks at most TLS 1.1, then at most TLS 1.0
# expect: the handshake is refused (TLS 1.2 minimum) before any command or credential; exit 69 (retrying cannot help); error names host=localhost and the protocol version; nothing spooled or deleted (HOSTILE 26)
#
# The fake lowers its OpenSSL security level so that it really offers the
# old version; `openssl s_client` proves it does. Where the local OpenSSL
# cannot offer it at all the control says so (a visible note, not a skip)
# and the case still asserts that fetch refuses.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/lib/mkcerts.sh"
tls_scene
mark
for v in 1.1 1; do
	fake_tls good --opt tls-max=$v
	case $v in 1.1) sflag=-tls1_1 ;; *) sflag=-tls1 ;; esac
	proto=$(openssl s_client -connect "127.0.0.1:$FAKE_PORT" $sflag \
	    -cipher DEFAULT@SECLEVEL=0 </dev/null 2>/dev/null |
	    sed -n 's/^ *Protocol *: *//p')
	case $proto in
	TLSv1*) echo "note: the fake server negotiates $proto with openssl s_client" ;;
	*) echo "note: this OpenSSL cannot serve TLS $v at all; asserting fetch refuses anyway" ;;
	esac
	: >"$H/pop3.log"
	fetch_tls --cafile "$H/certs/ca.pem"
	want_tls_refused "protocol version|unsupported protocol|no protocols available" 69
done
want_good_fetch
outside_clean
finish
