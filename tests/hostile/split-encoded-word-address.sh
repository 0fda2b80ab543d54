#!/bin/sh
# attack: an RFC 2047 encoded word where the address should be
# expect: not decoded into an address: fallback, logged (HOSTILE 32)
. "$(dirname "$0")/lib.sh"
p=$(printf 'Delivered-To: =?UTF-8?B?YWxpY2VAZXhhbXBsZS5vcmc=?=\n\nb\n' | spool_msg 1.M1P1.h)
t mdrop-split -d example.org "$p"
want_rc 0
want "fallback" test "$(recs | cut -f2)" = postmaster@example.org
want_err "fallback .*reason="
finish
