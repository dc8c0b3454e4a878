#!/bin/sh
# serve.sh - kith serve under load: requests per second and latency
# percentiles for RFC 8058's one-click POST and for a list page, with wrk
# (Debian's wrk) at 100 concurrent connections, and at 10 for comparison.
#
#   bench/serve.sh [SECONDS] [MEMBERS]     (default 5 s, 80000 members)
#
# Each one-click POST unsubscribes a different member, with the token of
# the List-Unsubscribe URL of that member's own copy of a real post
# (delivered to maildir first), so every request is a real leave: the
# member row deleted, the goodbye notice and the owners' notice queued,
# answered once the commit is on disk (walsync's fdatasync of the WAL);
# the notices are rendered later, by kith deliver.  Each one-click run
# starts kith serve on a fresh copy of the site, all MEMBERS still there
# (at 100 connections a run takes about 10,000 a second).  The list page
# is GET /l/LIST.  Prints wrk's own
# report for each, one summary line, and kith serve's own CPU time (user
# + system, /proc/PID/stat) per leave, the figure that a machine shared
# with other work changes least.
set -eu
SECS=${1:-5}
N=${2:-80000}
CONNS=100
cd "$(dirname "$0")/.."
TOP=$PWD

if ! command -v wrk >/dev/null 2>&1; then
	./scripts/setup-deps.sh --bench
fi
./scripts/build.sh >/dev/null

W=$(mktemp -d "${TMPDIR:-/tmp}/kith-bench.XXXXXX")
SERVE_PID=""
cleanup() {
	[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
[ -n "${KITH_BENCH_KEEP:-}" ] && trap - EXIT && echo "keeping $W"

. "$TOP/bench/serve_site.sh"
export KITH_CONF="$W/kith.conf"
serve_conf "$W/var" "$W/mail" >"$KITH_CONF"
K="$TOP/kith"
serve_site "$K" "$W" "$N"
# each one-click run starts from this copy: all N members, none left
sqlite3 "$W/var/kith.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
cp -r "$W/var" "$W/var.fresh"
# the fixture's mail files and database on disk first: else the
# kernel writes them back during the first run, and that is measured
sync

start_serve() {
	$K serve >"$W/serve.out" 2>"$W/serve.err" &
	SERVE_PID=$!
	i=0
	while ! grep -q "listening on" "$W/serve.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$W/serve.out")
}
stop_serve() {
	kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true
	SERVE_PID=""
}
start_serve

oneclick_lua "$W/oneclick.lua"
THREADS=2
PATHS="$W/paths.txt"
export PATHS THREADS

members() { sqlite3 "$W/var/kith.db" "SELECT count(*) FROM members"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVE_PID/stat"; }
echo "kith $($K --version | cut -d' ' -f2) | $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg) | $N members | wrk -t$THREADS -d${SECS}s | $URL"
for c in $CONNS 10; do
	stop_serve
	rm -rf "$W/var"
	cp -r "$W/var.fresh" "$W/var"
	start_serve
	before=$(members)
	t0=$(cpu_ticks)
	echo "== one-click POST /u/TOKEN, $c connections"
	wrk -t$THREADS -c$c -d"${SECS}s" --latency -s "$W/oneclick.lua" "$URL" |
		tee "$W/oneclick$c.txt"
	sleep 0.5	# the requests wrk left in flight
	left=$(($before - $(members)))
	echo "members who left: $left" | tee -a "$W/oneclick$c.txt"
	echo "kith serve CPU per leave: $(awk -v a="$t0" -v b="$(cpu_ticks)" \
	    -v n="$left" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f ms",
	    n ? (b - a) * 1000 / hz / n : 0 }')" | tee -a "$W/oneclick$c.txt"
	if grep -q "Non-2xx" "$W/oneclick$c.txt"; then
		echo "warning: the run used up its $(wc -l <"$PATHS") members (the rest" \
		    "were 410s); give more MEMBERS or fewer SECONDS" >&2
	fi
done
for c in $CONNS 10; do
	echo "== list page GET /l/team, $c connections"
	wrk -t$THREADS -c$c -d"${SECS}s" --latency "$URL/l/team" | tee "$W/page$c.txt"
done

summary() { # FILE NAME
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$1")
	p99=$(awk '$1 == "99%" { print $2 }' "$1")
	p50=$(awk '$1 == "50%" { print $2 }' "$1")
	bad=$(awk '/Non-2xx/ { print $NF }' "$1")
	echo "$2: ${rps} req/s, p50 ${p50}, p99 ${p99}, non-2xx ${bad:-0}"
}
echo "== summary"
for c in $CONNS 10; do
	summary "$W/oneclick$c.txt" "one-click POST, $c connections"
	echo "   ($(awk '/members who left/ { print $NF }' "$W/oneclick$c.txt") members left," \
	    "$(awk '/CPU per leave/ { print $(NF-1), $NF }' "$W/oneclick$c.txt") of kith serve's CPU each)"
done
for c in $CONNS 10; do
	summary "$W/page$c.txt" "list page GET,  $c connections"
done
