#!/bin/sh
# serve_ab.sh - the one-click POST of bench/serve.sh, A/B: two or more
# kith binaries take turns (ROUNDS rounds), each on a fresh copy of one
# database of MEMBERS (80,000) members, wrk -t2 at CONNS connections for SECONDS.
# Prints a line a run: requests/s, p50, p99, kith serve's CPU a leave,
# and the WAL's size at the end.  On a VM whose speed drifts, turns taken
# in the same minutes compare better than runs an hour apart.
#
#   bench/serve_ab.sh KITH_BINARY...   (ROUNDS=3 CONNS=100 SECONDS_EACH=5
#                                       MEMBERS=80000)
set -eu
[ $# -ge 1 ] || { echo "usage: bench/serve_ab.sh KITH_BINARY..." >&2; exit 64; }
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-100}
SECS=${SECONDS_EACH:-5}
N=${MEMBERS:-80000}
cd "$(dirname "$0")/.."
TOP=$PWD
command -v wrk >/dev/null 2>&1 || ./scripts/setup-deps.sh --bench
[ -x ./kith ] || ./scripts/build.sh >/dev/null
B=$(mktemp -d "${TMPDIR:-/tmp}/kith-ab.XXXXXX")
trap 'rm -rf "$B"' EXIT INT TERM

. "$TOP/bench/serve_site.sh"
export KITH_CONF="$B/kith.conf"
serve_conf "$B/var" "$B/mail" >"$KITH_CONF"
serve_site "$TOP/kith" "$B" "$N"
rm -rf "$B/mail"
sqlite3 "$B/var/kith.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
sync	# the fixture on disk before any run (bench/serve.sh)
oneclick_lua "$B/oneclick.lua"
export THREADS=2
HZ=$(getconf CLK_TCK)
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	for bin in "$@"; do
		W="$B/run"
		rm -rf "$W"
		mkdir "$W"
		cp -r "$B/var" "$W/var"
		serve_conf "$W/var" "$B/mail" >"$W/kith.conf"
		KITH_CONF="$W/kith.conf" "$bin" serve >"$W/serve.out" 2>"$W/serve.err" &
		sp=$!
		i=0
		while ! grep -q "listening on" "$W/serve.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$W/serve.out")
		t0=$(awk '{ print $14 + $15 }' "/proc/$sp/stat")
		PATHS="$B/paths.txt" wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$B/oneclick.lua" "$url" >"$W/wrk.txt"
		t1=$(awk '{ print $14 + $15 }' "/proc/$sp/stat")
		sleep 0.3
		left=$((N - $(sqlite3 "$W/var/kith.db" "SELECT count(*) FROM members")))
		wal=$(stat -c %s "$W/var/kith.db-wal")
		kill "$sp"
		wait "$sp" || true
		printf '%-28s %8s req/s  p50 %8s  p99 %8s  CPU a leave %.3f ms  WAL %d MB\n' "$bin" \
		    "$(awk '/^Requests\/sec/ { print $2 }' "$W/wrk.txt")" \
		    "$(awk '$1 == "50%" { print $2 }' "$W/wrk.txt")" \
		    "$(awk '$1 == "99%" { print $2 }' "$W/wrk.txt")" \
		    "$(echo "($t1 - $t0) * 1000 / $HZ / ($left + ($left == 0))" | bc -l)" \
		    $((wal / 1048576))
	done
done
