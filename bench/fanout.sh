#!/bin/sh
# fanout.sh - how fast Kith fans one ~5 KB post out to N members over SMTP,
# measured against the machine's ceiling and against mlmmj, in one run.
#
#   bench/fanout.sh [--backend B] [--two] N [RUNS]
#            (default RUNS 5; prints every run and the medians)
#   --backend B   sqlite (the default), postgresql, or both: each run
#            fans the post out on sqlite, then on PostgreSQL, into the
#            same sink, so that the two are compared within one run.
#            PostgreSQL is a private cluster (scripts/pg-start.sh in the
#            bench folder, stopped at the end) made durable as sqlite is
#            here: fsync, full_page_writes and synchronous_commit on
#            (pg-start.sh turns them off for tests); Kith's own
#            settings for it are the backend's (synchronous_commit off
#            for kith deliver's marks, as sqlite's synchronous=NORMAL).
#   --two         also deliver with two `kith deliver` processes at once,
#            each with [smtp] connections (so twice the connections in
#            all): on PostgreSQL two data directories (two kith.conf, as
#            two hosts have, the site secret copied) sharing the one
#            database; on sqlite two processes on one data directory,
#            the only sharing sqlite has.  The post is received once,
#            then both start together; the wall is until both end.
#   KITH_BIN=/path/to/kith bench/fanout.sh N   another build (not rebuilt)
#   KITH_BENCH_VARIANT=V bench/fanout.sh N     what the list does to a post
#            (docs/BENCHMARKS.md, "Deliverability"):
#              plain          nothing (the default)
#              dkim           [dkim] set: DKIM per copy, and ARC per post
#              footer-shared  footer on, a footer.txt the same for all
#              footer         footer on, the shipped footer.txt (each
#                             member's own links: a copy per member)
#              footer-dkim    both: each copy signed and sealed for its member
#              filter         the post carries an .exe: dropped with a note
#              html           an HTML-only post, html_only = convert
#   KITH_BENCH_INSTRUCTIONS=1        also count the instructions of one
#            more post's receive and deliver (valgrind --tool=callgrind,
#            one worker): the same on a loaded machine
#            The post's From is at a domain without DMARC record (the
#            lookup is in "receive", cached after the first run).
#
# All three go into Postfix's smtp-sink on 127.0.0.1 (postfix installed with
# "No configuration": no mail daemon runs, only its tools are used):
#   kith     `kith receive` (the post is stored and N outbox rows are queued)
#            then `kith deliver` ([smtp] connections = 4, one VERP message per
#            recipient, PIPELINING), timed together under /usr/bin/time -v
#   ceiling  Postfix's smtp-source sending the same size message, one
#            recipient per transaction, over the same 4 connections, each
#            kept open (-d)
#   mlmmj    ../shared/bench/peer-baseline.sh -n N -m nodelay (mlmmj with its
#            Nagle stalls removed: its real speed), when that script exists
# Prints recipients per second, CPU seconds and peak RSS (largest process),
# and Kith's rate as a share of the ceiling and as a multiple of mlmmj.
# On PostgreSQL "server cpu" is the CPU the cluster's processes used
# during the run (its backends', reaped by the postmaster, included):
# Kith's CPU column is its own processes' only.
set -eu
BACKEND=sqlite
TWO=""
while [ $# -gt 0 ]; do
	case $1 in
	--backend) [ $# -ge 2 ] || { echo "fanout.sh: --backend needs a value" >&2; exit 64; }
		BACKEND=$2; shift 2;;
	--backend=*) BACKEND=${1#--backend=}; shift;;
	--two) TWO=1; shift;;
	--) shift; break;;
	-*) echo "usage: fanout.sh [--backend sqlite|postgresql|both] [--two] N [RUNS]" >&2; exit 64;;
	*) break;;
	esac
done
case $BACKEND in
sqlite) BACKENDS=sqlite;;
postgresql|pg) BACKENDS=pg;;
both) BACKENDS="sqlite pg";;
*) echo "fanout.sh: --backend must be sqlite, postgresql or both" >&2; exit 64;;
esac
MODES=1
[ -n "$TWO" ] && MODES="1 2"
N=${1:-10000}
RUNS=${2:-5}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
CONNS=${KITH_BENCH_CONNECTIONS:-4}
cd "$(dirname "$0")/.."
TOP=$PWD

need=""
command -v smtp-sink >/dev/null 2>&1 || need="$need postfix"
[ -x /usr/bin/time ] || need="$need time"
command -v ss >/dev/null 2>&1 || need="$need iproute2"
case $BACKENDS in
*pg*) [ -x "$PGBIN/initdb" ] || need="$need postgresql";;
esac
if [ -n "$need" ]; then
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
VARIANT=${KITH_BENCH_VARIANT:-plain}
if [ -z "${KITH_BIN:-}" ]; then
	./scripts/build.sh >/dev/null
	KITH_BIN=$TOP/kith
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/kith-bench.XXXXXX")
chmod 755 "$W"
SINK_PID=""
PG_DIR=""
cleanup() {
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
	[ -n "$PG_DIR" ] && sh "$TOP/scripts/pg-stop.sh" "$PG_DIR" >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

free_port() {
	p=21025
	while ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
	echo $p
}
PORT=$(free_port)
smtp-sink -u nobody -c "127.0.0.1:$PORT" 1024 >"$W/sink.cnt" 2>&1 &
SINK_PID=$!
sleep 0.5
sink_mesg() { tr '\r' '\n' <"$W/sink.cnt" | awk -F'mesg=' 'NF > 1 { m = $2 } END { print m + 0 }'; }

K="$KITH_BIN"
awk -v n="$((N - 1))" 'BEGIN { for (i = 0; i < n; i++) printf "user%07d@example%02d.net\n", i, i % 97 }' >"$W/members.txt"

# conf DIR [STORAGE-LINES...] - DIR/kith.conf for a site whose data is DIR/var
conf() {
	d=$1
	shift
	mkdir -p "$d"
	cat >"$d/kith.conf" <<EOF2
[site]
domain = bench.example
data_dir = $d/var
transport = smtp://127.0.0.1:$PORT
deliver_on_receive = off
log_level = error
[smtp]
connections = $CONNS
EOF2
	for line in "$@"; do
		printf '%s\n' "$line" >>"$d/kith.conf"
	done
}

# site DIR - the bench list, its N-1 members and the variant, in DIR's site
site() {
	export KITH_CONF="$1/kith.conf"
	$K init >/dev/null
	$K list create bench@bench.example --owner owner@bench.example >/dev/null
	case $VARIANT in
	dkim|footer-dkim)
		$K dkim keygen bench.example --selector b1 >/dev/null
		printf '[dkim]\ndomain = bench.example\nselector = b1\n' >>"$KITH_CONF";;
	esac
	case $VARIANT in
	footer*) $K list set bench footer on >/dev/null;;
	html) $K list set bench html_only convert >/dev/null;;
	esac
	if [ "$VARIANT" = footer-shared ]; then
		mkdir -p "$1/var/templates/bench"
		printf '%s\n' "-- " "{{list.name}} <{{list.address}}>" \
		    "Leave the list: mailto:bench-unsubscribe@bench.example" \
		    > "$1/var/templates/bench/footer.txt"
	fi
	$K member import bench "$W/members.txt" >/dev/null
}

# sqlite: one data directory (two processes share it in --two)
case $BACKENDS in
*sqlite*) conf "$W/sqlite"; site "$W/sqlite";;
esac
# PostgreSQL: a private cluster, durable; host A makes the site, host B
# is a second data directory on the same database, with A's secret and
# (for the dkim variants) A's keys and settings, as a second host has
PG_PM=""
case $BACKENDS in
*pg*)
	PG_DIR=$W/pg
	DSN=$(sh "$TOP/scripts/pg-start.sh" "$PG_DIR")
	pgadmin() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR/sock" -U postgres -d postgres -tA "$@"; }
	for set in "fsync = on" "full_page_writes = on" "synchronous_commit = on"; do
		pgadmin -c "ALTER SYSTEM SET $set" >/dev/null
	done
	pgadmin -c "SELECT pg_reload_conf()" >/dev/null
	sleep 0.5
	[ "$(pgadmin -c "SHOW fsync")" = on ] || { echo "fanout.sh: the cluster's fsync is not on" >&2; exit 70; }
	PG_PM=$(head -1 "$PG_DIR/pg/postmaster.pid")
	conf "$W/pgA" "[storage]" "backend = postgresql" "dsn = $DSN"
	site "$W/pgA"
	conf "$W/pgB" "[storage]" "backend = postgresql" "dsn = $DSN"
	mkdir -p "$W/pgB/var"
	cp -a "$W/pgA/var/." "$W/pgB/var/"
	rm -rf "$W/pgB/var/journal"* 2>/dev/null || true
	sed -n '/^\[dkim\]/,$p' "$W/pgA/kith.conf" >>"$W/pgB/kith.conf"
	sed -i "s|$W/pgA/var|$W/pgB/var|g" "$W/pgB/kith.conf"
	KITH_CONF=$W/pgB/kith.conf $K check >/dev/null 2>&1 || {
		echo "fanout.sh: host B's kith check failed:" >&2
		KITH_CONF=$W/pgB/kith.conf $K check >&2 || true
		exit 70
	}
	;;
esac

# pg_cpu - CPU seconds the cluster's processes have used so far (live
# ones, and the exited backends the postmaster reaped), 0 without one
pg_cpu() {
	[ -n "$PG_PM" ] || { echo 0; return; }
	for p in $PG_PM $(pgrep -P "$PG_PM"); do
		cat "/proc/$p/stat" 2>/dev/null
	done | awk -v hz="$(getconf CLK_TCK)" '{
		sub(/^.*\) /, ""); t += $12 + $13 + $14 + $15 } END { printf "%.2f", t / hz }'
}
post() { # a ~5 KB post with a unique Message-ID
	printf 'From: Poster <owner@bench.example>\nTo: bench@bench.example\n'
	printf 'Subject: fan-out benchmark\nDate: Mon, 24 Nov 2025 12:00:00 +0000\n'
	printf 'Message-ID: <bench-%s@bench.example>\nMIME-Version: 1.0\n' "$1"
	case $VARIANT in
	filter)
		printf 'Content-Type: multipart/mixed; boundary=bb\n\n--bb\n'
		printf 'Content-Type: text/plain; charset=us-ascii\n\n';;
	html)	printf 'Content-Type: text/html; charset=us-ascii\n\n<html><body>\n';;
	*)	printf 'Content-Type: text/plain; charset=us-ascii\n\n';;
	esac
	i=0
	while [ $i -lt 65 ]; do
		printf 'line %03d lorem ipsum dolor sit amet consectetur adipiscing elit sed do\n' $i
		[ "$VARIANT" = html ] && printf '<br>\n'
		i=$((i + 1))
	done
	case $VARIANT in
	filter)
		printf -- '--bb\nContent-Type: application/octet-stream\n'
		printf 'Content-Disposition: attachment; filename="setup.exe"\n'
		printf 'Content-Transfer-Encoding: base64\n\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAA\n--bb--\n';;
	html)	printf '</body></html>\n';;
	esac
}

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
field() { awk -F': ' -v k="$2" '$0 ~ k { print $2 }' "$1"; }

echo "kith $($K --version | cut -d' ' -f2) | $VARIANT | N=$N runs=$RUNS connections=$CONNS | backend $BACKEND${TWO:+, one and two delivering processes} | $(nproc) cpus | load $(cut -d' ' -f1-3 /proc/loadavg) | smtp-sink 127.0.0.1:$PORT"
[ -n "$PG_PM" ] && echo "postgresql: $("$PGBIN/postgres" --version | sed 's/.*) //'), fsync on, synchronous_commit on, private cluster in the bench folder"

# label BACKEND MODE - what a configuration is called in the output
label() {
	if [ "$BACKENDS" = sqlite ] && [ "$MODES" = 1 ]; then
		echo kith
		return
	fi
	l=$1
	[ "$l" = pg ] && l=postgresql
	[ "$2" = 2 ] && l="$l x2"
	echo "$l"
}

# fanout BACKEND MODE RUN - one post received by the site, delivered by
# MODE processes into the sink; a line, and a row of DIR/kith-B-M.txt
fanout() {
	case $1 in
	sqlite) ca=$W/sqlite/kith.conf; cb=$ca;;
	pg) ca=$W/pgA/kith.conf; cb=$W/pgB/kith.conf;;
	esac
	post "$3-$1-$2" >"$W/post.eml"
	if [ "$2" = 1 ]; then
		deliver="KITH_CONF='$ca' '$K' deliver --quiet >/dev/null"
	else
		deliver="KITH_CONF='$ca' '$K' deliver --quiet >/dev/null & KITH_CONF='$cb' '$K' deliver --quiet >/dev/null & wait"
	fi
	before=$(sink_mesg)
	c0=$(pg_cpu)
	t0=$(now)
	/usr/bin/time -v -o "$W/time.txt" sh -c "KITH_CONF='$ca' '$K' receive -r bench@bench.example -f owner@bench.example <'$W/post.eml' && echo \$(date +%s%N) >'$W/received' && { $deliver; }"
	t1=$(now)
	recv_ms=$(awk -v a="$t0" -v b="$(cat "$W/received")" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
	sleep 0.3
	got=$(($(sink_mesg) - before))
	lb=$(label "$1" "$2")
	[ "$got" -eq "$N" ] || { echo "$lb run $3: sink got $got messages, want $N" >&2; exit 1; }
	wall=$(secs "$t0" "$t1")
	cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$W/time.txt")
	rss=$(field "$W/time.txt" "Maximum resident")
	rate=$(awk -v n="$N" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
	scpu=$(awk -v a="$c0" -v b="$(pg_cpu)" 'BEGIN { printf "%.2f", b - a }')
	srv=""
	[ "$1" = pg ] && srv=" server_cpu ${scpu}s"
	printf '%-13s run %s: wall %ss (receive %s ms) cpu %ss%s peak_rss %sKB -> %s recipients/s\n' \
	    "$lb" "$3" "$wall" "$recv_ms" "$cpu" "$srv" "$rss" "$rate"
	echo "$wall $cpu $rss $rate $scpu" >>"$W/kith-$1-$2.txt"
}

for b in $BACKENDS; do
	for m in $MODES; do
		: >"$W/kith-$b-$m.txt"
	done
done
: >"$W/ceil.txt"
r=1
while [ $r -le "$RUNS" ]; do
	for b in $BACKENDS; do
		for m in $MODES; do
			fanout "$b" "$m" "$r"
		done
	done

	before=$(sink_mesg)
	t0=$(now)
	smtp-source -d -s "$CONNS" -m "$N" -l 5120 -f poster@bench.example -t rcpt@example.net "127.0.0.1:$PORT"
	t1=$(now)
	sleep 0.3
	wall=$(secs "$t0" "$t1")
	rate=$(awk -v n="$N" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
	printf '%-13s run %s: wall %ss -> %s messages/s\n' ceiling "$r" "$wall" "$rate"
	echo "$wall 0 0 $rate" >>"$W/ceil.txt"
	r=$((r + 1))
done

# Instructions (valgrind's callgrind): the same on a busy machine, so the
# cost of each variant can be told apart from the noise of the rates.
# Kith's own instructions: on PostgreSQL the server's are not counted.
if [ -n "${KITH_BENCH_INSTRUCTIONS:-}" ] && command -v valgrind >/dev/null 2>&1; then
	for b in $BACKENDS; do
		case $b in
		sqlite) export KITH_CONF=$W/sqlite/kith.conf;;
		pg) export KITH_CONF=$W/pgA/kith.conf;;
		esac
		post "$((RUNS + 1))-$b" >"$W/post.eml"
		valgrind -q --tool=callgrind --callgrind-out-file="$W/cg.recv" \
		    "$K" receive -r bench@bench.example -f owner@bench.example <"$W/post.eml"
		valgrind -q --tool=callgrind --callgrind-out-file="$W/cg.deliv" \
		    "$K" deliver --workers 1 --quiet >/dev/null
		ir() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }
		if [ -n "${KITH_BENCH_KEEP_CALLGRIND:-}" ]; then
			cp "$W/cg.recv" "$KITH_BENCH_KEEP_CALLGRIND/cg.recv$([ "$b" = sqlite ] || echo ".$b")"
			cp "$W/cg.deliv" "$KITH_BENCH_KEEP_CALLGRIND/cg.deliv$([ "$b" = sqlite ] || echo ".$b")"
		fi
		lb=""
		[ "$BACKENDS" = sqlite ] || lb=" ($(label "$b" 1))"
		awk -v r="$(ir "$W/cg.recv")" -v d="$(ir "$W/cg.deliv")" -v n="$N" -v lb="$lb" 'BEGIN {
			printf "instructions%s: receive %.1f M, deliver %.1f M = %.0f per recipient\n",
			    lb, r / 1e6, d / 1e6, d / n }'
	done
fi

median() { # file column
	awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END {
		printf "%s", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
cr=$(median "$W/ceil.txt" 4)

mr=""
PEER="$TOP/../shared/bench/peer-baseline.sh"
if [ -x "$PEER" ] && [ -z "${KITH_BENCH_NO_MLMMJ:-}" ]; then
	kill "$SINK_PID" 2>/dev/null; SINK_PID=""
	sh "$PEER" -n "$N" -m nodelay -r "$RUNS" >"$W/mlmmj.txt" 2>&1 || true
	grep '^run\|^summary' "$W/mlmmj.txt" | sed 's/^/mlmmj   /'
	mr=$(sed -n 's/.*recipients_per_s \[[0-9.]* \([0-9.]*\) [0-9.]*\].*/\1/p' "$W/mlmmj.txt")
fi
for b in $BACKENDS; do
	for m in $MODES; do
		f=$W/kith-$b-$m.txt
		lb=$(label "$b" "$m")
		srv=""
		[ "$b" = pg ] && srv=", PostgreSQL server cpu $(median "$f" 5)s"
		echo "median: $lb $(median "$f" 4) recipients/s (cpu $(median "$f" 2)s$srv, peak RSS $(median "$f" 3) KB)"
	done
done
echo "median: ceiling $cr messages/s; mlmmj ${mr:-n/a} recipients/s"
for b in $BACKENDS; do
	for m in $MODES; do
		awk -v lb="$(label "$b" "$m")" -v k="$(median "$W/kith-$b-$m.txt" 4)" -v c="$cr" -v m="${mr:-0}" 'BEGIN {
			printf "%s/ceiling = %.2f", lb, k / c
			if (m > 0) printf ", %s/mlmmj = %.2f", lb, k / m
			printf "\n" }'
	done
done
case $BACKENDS in
*sqlite*pg*)
	for m in $MODES; do
		awk -v p="$(median "$W/kith-pg-$m.txt" 4)" -v s="$(median "$W/kith-sqlite-$m.txt" 4)" -v lb="$(label pg "$m")/$(label sqlite "$m")" 'BEGIN {
			printf "%s = %.2f\n", lb, p / s }'
	done;;
esac
