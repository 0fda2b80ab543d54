# mkcerts.sh: test certificates made at test time with openssl(1), for the
# TLS hostile cases (tests/hostile/fetch-tls-*.sh). Source it, then:
#
#   mkca DIR               a private CA: DIR/ca.pem, DIR/ca.key (P-256)
#   mkcert DIR NAME EXT START END
#                          DIR/NAME.pem + DIR/NAME.key for CN=localhost,
#                          signed by DIR's CA with `openssl ca` (the only
#                          way this OpenSSL 3.0 sets arbitrary dates:
#                          `x509 -not_before` exists only from 3.4 on).
#                          EXT is the subjectAltName value as openssl.cnf
#                          takes it ("DNS:localhost", or "DER:HEX" for a
#                          hand-built one); START/END are ASN.1 times
#                          (YYYYMMDDHHMMSSZ), "-" for now / now + 2 days.
#   der_san_dns NAME_HEX   prints "DER:..." for a SAN holding one dNSName
#                          whose bytes are NAME_HEX (so it may hold a NUL)
#
# Everything goes into DIR (the case's own temp dir); nothing is global.

mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1/ca.key" -out "$1/ca.pem" -days 2 \
	    -subj "/CN=mdrop test CA" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>"$1/mkca.err" ||
	    { cat "$1/mkca.err"; return 1; }
}

mkcert() {
	_d=$1 _n=$2 _ext=$3 _start=$4 _end=$5
	mkdir -p "$_d/ca.db"
	: >"$_d/ca.db/index.txt"
	[ -f "$_d/ca.db/serial" ] || echo 1000 >"$_d/ca.db/serial"
	cat >"$_d/$_n.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $_d/ca.db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = $_d/ca.pem
private_key = $_d/ca.key
default_md = sha256
default_days = 2
policy = any
unique_subject = no
copy_extensions = none
x509_extensions = leaf
[ any ]
commonName = supplied
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $_ext
EOF
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$_d/$_n.key" -out "$_d/$_n.csr" -subj /CN=localhost \
	    2>"$_d/$_n.err" || { cat "$_d/$_n.err"; return 1; }
	set -- -batch -notext -config "$_d/$_n.cnf" -in "$_d/$_n.csr" \
	    -out "$_d/$_n.pem"
	[ "$_start" = - ] || set -- "$@" -startdate "$_start"
	[ "$_end" = - ] || set -- "$@" -enddate "$_end"
	openssl ca "$@" >>"$_d/$_n.err" 2>&1 || { cat "$_d/$_n.err"; return 1; }
}

der_san_dns() {
	python3 -c '
import sys
name = bytes.fromhex(sys.argv[1])
assert len(name) < 126
gn = b"\x82" + bytes([len(name)]) + name      # [2] dNSName, IA5String
print("DER:" + (b"\x30" + bytes([len(gn)]) + gn).hex())' "$1"
}

# For the hostile cases (after tests/hostile/lib.sh):
#   tls_scene              $H/certs with a CA and a valid "good" leaf for
#                          localhost; one message on the fake server
#   fake_tls CERT OPTS...  fake_pop3 --tls implicit serving $H/certs/CERT
#                          (after stopping the previous one)
#   fetch_tls OPTS...      mdrop-fetch --tls implicit -h localhost (so the
#                          host name is checked) into $H/spool, under t
#   want_tls_refused REGEX the refusal held: exit 69 or 75, a tls-failed
#                          error naming host=localhost and matching REGEX,
#                          the fake got no command at all (so no
#                          credential), nothing in SPOOL/new or SPOOL/tmp
#   want_good_fetch        control: the same message fetched with the good
#                          certificate and --cafile is spooled byte-exact
#                          (it was still on the server: nothing deleted)
tls_scene() {
	mkdir -p "$H/certs"
	mkca "$H/certs" && mkcert "$H/certs" good DNS:localhost - - ||
	    { echo "FAILED: cannot make test certificates"; exit 1; }
	crlf 'Subject: tls\n\nonly copy\n' >"$H/msgs/1.msg"
}
fake_tls() {
	_c=$1; shift
	for _p in $H_PIDS; do kill "$_p" 2>/dev/null; wait "$_p" 2>/dev/null; done
	H_PIDS=
	rm -f "$H/pop3.port"
	fake_pop3 --tls implicit --cert "$H/certs/$_c.pem" \
	    --key "$H/certs/$_c.key" "$@"
}
fetch_tls() {
	t mdrop-fetch --tls implicit -h localhost -p "$FAKE_PORT" -u drop \
	    --timeout 3 "$@" "$H/spool"
}
want_tls_refused() {
	_pat=$1; shift
	if [ $# -gt 0 ]; then want_rc "$@"; else want_rc 69 75; fi
	want_err "^mdrop-fetch: error: tls-failed host=localhost .*$_pat"
	want "no command (no credential) reached the server" \
	    sh -c "! grep -q '^C: ' '$H/pop3.log'"
	want "nothing spooled" test "$(nfiles "$H/spool/new")$(nfiles "$H/spool/tmp")" = 00
	want "nothing printed on stdout" test ! -s "$H/out"
}
want_good_fetch() {
	fake_tls good
	fetch_tls --cafile "$H/certs/ca.pem"
	want_rc 0
	want_spool 1
}

# mkserver DIR: a throwaway CA (DIR/ca.pem, DIR/ca.key) and a server
# certificate it signed (DIR/server.pem, DIR/server.key: EC P-256, SAN
# DNS:localhost only), valid for 3 days; openssl's output in
# DIR/openssl.log. For the private servers (dovecot.sh, cyrus.sh).
mkserver() {
	_d=$1
	(
	cd "$_d" || exit 1
	openssl ecparam -name prime256v1 -genkey -noout -out ca.key &&
	openssl req -x509 -new -key ca.key -sha256 -days 3 \
	    -subj "/CN=mdrop test CA $$" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem &&
	openssl ecparam -name prime256v1 -genkey -noout -out server.key &&
	openssl req -new -key server.key -subj "/CN=mdrop test server" \
	    -out server.csr &&
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
	    "keyUsage=critical,digitalSignature,keyEncipherment" \
	    "extendedKeyUsage=serverAuth" \
	    "subjectAltName=DNS:localhost" > server.ext &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -sha256 -days 3 -extfile server.ext \
	    -out server.pem
	) >"$_d/openssl.log" 2>&1
}
