# serve_lib.sh - kith serve in the background for t30/t31 (sourced after
# lib.sh): serve_at TIME starts it with its clock pinned, serve_stop ends
# it (the EXIT trap does too), pycheck runs Python checks (webtool.py)
# whose ok / not ok lines count like assert_ok's.

SERVE_PID=
serve_stop() {
	[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	SERVE_PID=
}
trap 'serve_stop; cleanup' EXIT

# serve_at TIME [ARGS] - kith serve in the background with its clock
# pinned at TIME (as 'at' does); sets SERVE_PID and KITH_PORT.
serve_at() {
	_t=$1
	shift
	: > "$T/serve.out"
	LD_PRELOAD="$FAKETIME_LIB${LD_PRELOAD:+:$LD_PRELOAD}" \
	    FAKETIME="@$_t" "$KITH_BIN" serve "$@" >"$T/serve.out" \
	    2>>"$T/serve.err" &
	SERVE_PID=$!
	i=0
	while ! grep -q "listening on" "$T/serve.out" && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	KITH_PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\).*|\1|p' "$T/serve.out")
	export KITH_PORT
}

# pycheck - Python (webtool.py) from stdin; its ok / not ok lines count.
pycheck() {
	_out=$(cd "$HERE" && $PY - "$@" 2>&1)
	printf '%s\n' "$_out"
	PASSED=$((PASSED + $(printf '%s\n' "$_out" | grep -c '^ok ')))
	FAILED=$((FAILED + $(printf '%s\n' "$_out" | grep -c '^not ok ')))
	printf '%s\n' "$_out" | grep -q '^Traceback' && FAILED=$((FAILED + 1))
	return 0
}

