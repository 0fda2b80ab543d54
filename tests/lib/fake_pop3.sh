# fake_pop3.sh: start and stop tests/lib/fake_pop3.py from a TAP test.
# Source after tap.sh.
#
#   start_fake DIR [fake options...]   serve DIR/msgs; the server logs what
#                                      the client sent to DIR/log; sets
#                                      FAKE_PORT and FAKE_PID (killed at exit)
#   stop_fake                          stop it now (by PID)

FAKE=$TOP/tests/lib/fake_pop3.py

start_fake() {
	_d=$1; shift
	rm -f "$_d/port"
	: > "$_d/log"
	python3 "$FAKE" --port-file "$_d/port" --log "$_d/log" \
	    --msgdir "$_d/msgs" "$@" 2>>"$_d/fake.err" &
	FAKE_PID=$!
	at_exit "kill $FAKE_PID"
	_i=0
	while [ ! -s "$_d/port" ] && [ $_i -lt 100 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	FAKE_PORT=$(cat "$_d/port")
}
stop_fake() { kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; }
