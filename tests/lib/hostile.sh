# hostile.sh: run cases of the hostile-input catalogue (tests/hostile/*.sh)
# for tests/integration/74-hostile*.t, one TAP line per case.
#
#   hostile_run PREFIX...   every case named PREFIX-*.sh (and matching
#                           REL_HOSTILE=GLOB when set), each under a
#                           90 s timeout in a fresh CASEDIR; the TAP line
#                           carries the case's "expect:" line, a failing
#                           case's log follows it
hostile_run() {
	for _pre in "$@"; do
		for _c in "$TOP"/tests/hostile/"$_pre"-*.sh; do
			[ -f "$_c" ] || continue
			_name=$(basename "$_c" .sh)
			# shellcheck disable=SC2254
			case $_name in ${REL_HOSTILE:-*}) ;; *) continue ;; esac
			_expect=$(sed -n 's/^# expect: //p' "$_c" | head -1)
			if [ -z "$_expect" ]; then
				fail "$_name: states its expected behaviour" "no '# expect:' line in $_c"
				continue
			fi
			CASEDIR=$TESTDIR/cases/$_name timeout -k 5 90 sh "$_c" \
			    >"$TESTDIR/$_name.log" 2>&1
			_rc=$?
			if [ $_rc = 0 ]; then
				pass "$_name: $_expect"
			else
				fail "$_name: $_expect" "exit $_rc" \
				    "$(head -c 3000 "$TESTDIR/$_name.log")"
			fi
		done
	done
}
