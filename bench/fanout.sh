#!/bin/sh
# fanout.sh - how fast Kith fans one ~5 KB post out to N members over SMTP,
# measured against the machine's ceiling and against mlmmj, in one run.
#
#   bench/fanout.sh N [RUNS]        (default RUNS 5; prints medians)
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
set -eu
N=${1:-10000}
RUNS=${2:-5}
CONNS=${KITH_BENCH_CONNECTIONS:-4}
cd "$(dirname "$0")/.."
TOP=$PWD

need=""
command -v smtp-sink >/dev/null 2>&1 || need="$need postfix"
[ -x /usr/bin/time ] || need="$need time"
command -v ss >/dev/null 2>&1 || need="$need iproute2"
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
cleanup() {
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
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

export KITH_CONF="$W/kith.conf"
cat >"$KITH_CONF" <<EOF2
[site]
domain = bench.example
data_dir = $W/var
transport = smtp://127.0.0.1:$PORT
deliver_on_receive = off
log_level = error
[smtp]
connections = $CONNS
EOF2
K="$KITH_BIN"
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
	mkdir -p "$W/var/templates/bench"
	printf '%s\n' "-- " "{{list.name}} <{{list.address}}>" \
	    "Leave the list: mailto:bench-unsubscribe@bench.example" \
	    > "$W/var/templates/bench/footer.txt"
fi
awk -v n="$((N - 1))" 'BEGIN { for (i = 0; i < n; i++) printf "user%07d@example%02d.net\n", i, i % 97 }' >"$W/members.txt"
$K member import bench "$W/members.txt" >/dev/null

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

echo "kith $($K --version | cut -d' ' -f2) | $VARIANT | N=$N runs=$RUNS connections=$CONNS | $(nproc) cpus | smtp-sink 127.0.0.1:$PORT"
: >"$W/kith.txt"
: >"$W/ceil.txt"
r=1
while [ $r -le "$RUNS" ]; do
	post "$r" >"$W/post.eml"
	before=$(sink_mesg)
	t0=$(now)
	/usr/bin/time -v -o "$W/time.txt" sh -c "'$K' receive -r bench@bench.example -f owner@bench.example <'$W/post.eml' && echo \$(date +%s%N) >'$W/received' && '$K' deliver --quiet >/dev/null"
	t1=$(now)
	recv_ms=$(awk -v a="$t0" -v b="$(cat "$W/received")" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
	sleep 0.3
	got=$(($(sink_mesg) - before))
	[ "$got" -eq "$N" ] || { echo "kith run $r: sink got $got messages, want $N" >&2; exit 1; }
	wall=$(secs "$t0" "$t1")
	cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$W/time.txt")
	rss=$(field "$W/time.txt" "Maximum resident")
	rate=$(awk -v n="$N" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
	echo "kith    run $r: wall ${wall}s (receive ${recv_ms} ms) cpu ${cpu}s peak_rss ${rss}KB -> $rate recipients/s"
	echo "$wall $cpu $rss $rate" >>"$W/kith.txt"

	before=$(sink_mesg)
	t0=$(now)
	smtp-source -d -s "$CONNS" -m "$N" -l 5120 -f poster@bench.example -t rcpt@example.net "127.0.0.1:$PORT"
	t1=$(now)
	sleep 0.3
	wall=$(secs "$t0" "$t1")
	rate=$(awk -v n="$N" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
	echo "ceiling run $r: wall ${wall}s -> $rate messages/s"
	echo "$wall 0 0 $rate" >>"$W/ceil.txt"
	r=$((r + 1))
done

# Instructions (valgrind's callgrind): the same on a busy machine, so the
# cost of each variant can be told apart from the noise of the rates.
if [ -n "${KITH_BENCH_INSTRUCTIONS:-}" ] && command -v valgrind >/dev/null 2>&1; then
	post "$((RUNS + 1))" >"$W/post.eml"
	valgrind -q --tool=callgrind --callgrind-out-file="$W/cg.recv" \
	    "$K" receive -r bench@bench.example -f owner@bench.example <"$W/post.eml"
	valgrind -q --tool=callgrind --callgrind-out-file="$W/cg.deliv" \
	    "$K" deliver --workers 1 --quiet >/dev/null
	ir() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }
	[ -n "${KITH_BENCH_KEEP_CALLGRIND:-}" ] && cp "$W/cg.recv" "$W/cg.deliv" "$KITH_BENCH_KEEP_CALLGRIND"/
	awk -v r="$(ir "$W/cg.recv")" -v d="$(ir "$W/cg.deliv")" -v n="$N" 'BEGIN {
		printf "instructions: receive %.1f M, deliver %.1f M = %.0f per recipient\n",
		    r / 1e6, d / 1e6, d / n }'
fi

median() { # file column
	awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END {
		printf "%s", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
kr=$(median "$W/kith.txt" 4)
cr=$(median "$W/ceil.txt" 4)
krss=$(median "$W/kith.txt" 3)
kcpu=$(median "$W/kith.txt" 2)

mr=""
PEER="$TOP/../shared/bench/peer-baseline.sh"
if [ -x "$PEER" ] && [ -z "${KITH_BENCH_NO_MLMMJ:-}" ]; then
	kill "$SINK_PID" 2>/dev/null; SINK_PID=""
	sh "$PEER" -n "$N" -m nodelay -r "$RUNS" >"$W/mlmmj.txt" 2>&1 || true
	grep '^run\|^summary' "$W/mlmmj.txt" | sed 's/^/mlmmj   /'
	mr=$(sed -n 's/.*recipients_per_s \[[0-9.]* \([0-9.]*\) [0-9.]*\].*/\1/p' "$W/mlmmj.txt")
fi
echo "median: kith $kr recipients/s (cpu ${kcpu}s, peak RSS ${krss} KB); ceiling $cr messages/s; mlmmj ${mr:-n/a} recipients/s"
awk -v k="$kr" -v c="$cr" -v m="${mr:-0}" 'BEGIN {
	printf "kith/ceiling = %.2f", k / c
	if (m > 0) printf ", kith/mlmmj = %.2f", k / m
	printf "\n" }'
