#!/bin/sh
# newsletter.sh - how fast Kith sends a personalised, DKIM-signed
# newsletter (text and HTML, ~4 KB, every copy rendered for its member and
# signed RSA-2048) to N members over SMTP into Postfix's smtp-sink.
#
#   bench/newsletter.sh N [RUNS]      (default RUNS 3; prints medians)
#
# Each run creates a campaign and times `kith newsletter send ID` (queueing
# N outbox rows, then [smtp] connections worker processes rendering,
# signing and pipelining) under /usr/bin/time -v.  Prints messages per
# second, CPU seconds and peak RSS (largest process), and for reference
# the machine's RSA-2048 signing speed (`openssl speed rsa2048`, 1 core).
set -eu
N=${1:-10000}
RUNS=${2:-3}
CONNS=${KITH_BENCH_CONNECTIONS:-$(nproc)}
cd "$(dirname "$0")/.."
TOP=$PWD

need=""
command -v smtp-sink >/dev/null 2>&1 || need="$need postfix"
[ -x /usr/bin/time ] || need="$need time"
command -v ss >/dev/null 2>&1 || need="$need iproute2"
command -v openssl >/dev/null 2>&1 || need="$need openssl"
if [ -n "$need" ]; then
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
./scripts/build.sh >/dev/null

W=$(mktemp -d "${TMPDIR:-/tmp}/kith-bench.XXXXXX")
chmod 755 "$W"
SINK_PID=""
cleanup() {
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

p=21025
while ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
PORT=$p
smtp-sink -u nobody -c "127.0.0.1:$PORT" 1024 >"$W/sink.cnt" 2>&1 &
SINK_PID=$!
sleep 0.5
sink_mesg() { tr '\r' '\n' <"$W/sink.cnt" | awk -F'mesg=' 'NF > 1 { m = $2 } END { print m + 0 }'; }

export KITH_CONF="$W/kith.conf"
cat >"$KITH_CONF" <<EOF2
[site]
domain = bench.example
data_dir = $W/var
transport = smtp://127.0.0.1:$PORT
deliver_on_receive = off
log_level = error
web_base_url = https://lists.bench.example
[smtp]
connections = $CONNS
EOF2
K="$TOP/kith"
$K init >/dev/null
$K dkim keygen bench.example --selector bench >/dev/null
printf '[dkim]\ndomain = bench.example\nselector = bench\n' >>"$KITH_CONF"
$K list create news@bench.example --owner owner@bench.example --name "Bench News" >/dev/null
awk -v n="$((N - 1))" 'BEGIN { for (i = 0; i < n; i++) printf "user%07d@example%02d.net Member Number %d\n", i, i % 97, i }' >"$W/members.txt"
$K member import news "$W/members.txt" >/dev/null
{
	printf 'Hello {{member.name}},\n\n'
	i=0
	while [ $i -lt 30 ]; do
		printf 'Paragraph %02d of this month'"'"'s news: the garden, the library, the trip.\n' $i
		i=$((i + 1))
	done
	printf '\nYour address with us: {{member.address}}\n'
} >"$W/body.txt"
{
	printf '<p>Hello {{member.name}},</p>\n'
	i=0
	while [ $i -lt 30 ]; do
		printf '<p>Paragraph %02d of this month'"'"'s <b>news</b>: the garden, the library.</p>\n' $i
		i=$((i + 1))
	done
} >"$W/body.html"

now() { date +%s%N; }
echo "kith | N=$N runs=$RUNS connections=$CONNS | $(nproc) cpus | smtp-sink 127.0.0.1:$PORT | DKIM RSA-2048"
: >"$W/runs.txt"
r=1
while [ $r -le "$RUNS" ]; do
	id=$($K newsletter create news --subject "News for {{member.name}} ($r)" --text "$W/body.txt" --html "$W/body.html")
	before=$(sink_mesg)
	t0=$(now)
	/usr/bin/time -v -o "$W/time.txt" "$K" newsletter send "$id" >/dev/null 2>&1
	t1=$(now)
	sleep 0.3
	got=$(($(sink_mesg) - before))
	[ "$got" -eq "$N" ] || { echo "run $r: sink got $got messages, want $N" >&2; exit 1; }
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$W/time.txt")
	rss=$(awk -F': ' '/Maximum resident/ { print $2 }' "$W/time.txt")
	rate=$(awk -v n="$N" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
	echo "run $r: wall ${wall}s cpu ${cpu}s peak_rss ${rss}KB -> $rate signed messages/s"
	echo "$wall $cpu $rss $rate" >>"$W/runs.txt"
	r=$((r + 1))
done
median() {
	awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END {
		printf "%s", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
sign=$(openssl speed -seconds 2 rsa2048 2>/dev/null | awk '/^rsa 2048/ { print $6 }')
echo "median: $(median "$W/runs.txt" 4) signed messages/s (cpu $(median "$W/runs.txt" 2)s, peak RSS $(median "$W/runs.txt" 3) KB); openssl rsa2048 sign ${sign:-?}/s on one core"
