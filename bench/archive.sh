#!/bin/sh
# archive.sh - the web archive at 100,000 posts, beside public-inbox, in
# the same run on the same machine:
#
#   bench/archive.sh [MESSAGES] [SECONDS]    (default 100000, 10 s)
#
# 1. bench/gen-mbox.py writes a synthetic list archive (threads with a
#    long tail, replies quoting, 800 senders, English, Czech, German,
#    Greek, Korean and Japanese text, HTML parts and attachments; see its
#    header).  KITH_BENCH_MBOX=FILE uses an existing mbox instead.
# 2. Kith: `kith archive import` (the import rate), `kith serve` with its
#    defaults ([http] threads = 2), wrk on 2,000 thread pages (/a/LIST/t/ID/
#    of threads with two or more posts, round robin) at 32 connections:
#    pages/s and latency percentiles; then search: a fixed set of queries
#    (common and rare words, phrases, Korean, Greek, Czech, from:) one
#    after the other, p50 and p99; kith serve's RSS (now and its peak).
# 3. public-inbox (Debian's public-inbox 1.9): the same mbox imported into
#    a v2 inbox with full (Xapian) indexing, public-inbox-httpd with two
#    workers (one per core, as kith serve's two threads), the same
#    threads as /INBOX/MESSAGE-ID/T/ (all of a thread's messages, as
#    Kith's page), the same queries as /INBOX/?q=, the same measures.
# Prints each wrk report and a summary table.
set -eu
N=${1:-100000}
SECS=${2:-10}
CONNS=32
cd "$(dirname "$0")/.."
TOP=$PWD
PY=/usr/bin/python3

for t in wrk public-inbox-init; do
	command -v $t >/dev/null 2>&1 || ./scripts/setup-deps.sh --bench
done
./scripts/build.sh >/dev/null

W=$(mktemp -d "${TMPDIR:-/tmp}/kith-archive-bench.XXXXXX")
SERVE_PID=""
PI_PID=""
cleanup() {
	[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	[ -n "$PI_PID" ] && kill "$PI_PID" 2>/dev/null
	[ -n "${KITH_BENCH_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT INT TERM
[ -n "${KITH_BENCH_KEEP:-}" ] && echo "keeping $W"

now() { $PY -c 'import time; print(time.monotonic())'; }
secs() { $PY -c "print('%.1f' % ($2 - $1))"; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

MBOX=${KITH_BENCH_MBOX:-}
if [ -z "$MBOX" ]; then
	MBOX=$W/list.mbox
	t0=$(now)
	$PY bench/gen-mbox.py "$N" "$MBOX" --list team@bench.example
	echo "# generated $N messages ($(du -m "$MBOX" | cut -f1) MB) in $(secs "$t0" "$(now)") s"
fi
N=$(grep -c '^From ' "$MBOX")

# the wrk script: one path a request, round robin over $PATHS
cat > "$W/paths.lua" <<'EOF'
local paths, i = {}, 0
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
request = function()
	i = i % #paths + 1
	return wrk.format("GET", paths[i])
end
EOF

# the queries, one after the other; prints "p50 p99" in ms
cat > "$W/search.py" <<'EOF'
import http.client, sys, time, urllib.parse
port, prefix = int(sys.argv[1]), sys.argv[2]
queries = ["tea", "picnic", "weekend", "garden", "concert", "volunteer",
           '"book club"', '"next week"', "prilis", "žluťoučký", "Sněžka",
           "καλημερα", "Παρασκευή", "βοήθεια", "화요일", "회의", "도서관",
           "会議", "図書館", "Brötchen", "übermorgen", "ladder compost",
           "bread cheese apples", "honey bees"]
times = []
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for rnd in range(8):
    for q in queries:
        t = time.perf_counter()
        c.request("GET", prefix + urllib.parse.quote(q))
        r = c.getresponse()
        r.read()
        times.append((time.perf_counter() - t) * 1000)
        # public-inbox answers 404 when nothing matches
        if r.status not in (200, 404):
            sys.exit("search %r: %d" % (q, r.status))
times.sort()
print("%.1f %.1f" % (times[len(times) // 2], times[int(len(times) * 0.99)]))
EOF

wrk_run() {	# NAME URL PATHSFILE -> wrk's report in $W/NAME.wrk
	PATHS=$3 wrk -t2 -c$CONNS -d"${SECS}s" --latency -s "$W/paths.lua" "$2" > "$W/$1.wrk"
	cat "$W/$1.wrk"
}
rps() { awk '/^Requests\/sec/ { printf "%d", $2 }' "$1"; }
pct() { awk -v p="$2%" '$1 == p { print $2 }' "$1"; }

# ---- Kith ----
export KITH_CONF="$W/kith.conf"
PORT=$(free_port)
cat > "$KITH_CONF" <<EOF
[site]
domain = bench.example
data_dir = $W/var
transport = maildir:$W/mail
deliver_on_receive = off
log_level = error
web_base_url = https://lists.bench.example/
[http]
listen = 127.0.0.1:$PORT
EOF
K="$TOP/kith"
$K init >/dev/null
$K list create team@bench.example --owner owner@bench.example --name "Bench" >/dev/null
$K list set team archive public >/dev/null
$K list set team subject_prefix "[team]" >/dev/null
t0=$(now)
$K archive import team --mbox "$MBOX"
KITH_IMPORT=$(secs "$t0" "$(now)")
KITH_DB_MB=$(du -m "$W/var/kith.db" | cut -f1)
sqlite3 "$W/var/kith.db" "SELECT t.id, p.message_id FROM threads t JOIN posts p ON p.id=t.first_post WHERE t.posts >= 2 ORDER BY random() LIMIT 2000" > "$W/threads.txt"
cut -d'|' -f1 "$W/threads.txt" | sed 's|.*|/a/team/t/&/|' > "$W/kith-paths.txt"
$K serve > "$W/serve.out" 2>&1 &
SERVE_PID=$!
sleep 1
grep -q listening "$W/serve.out"
wrk_run kith "http://127.0.0.1:$PORT" "$W/kith-paths.txt"
KITH_SEARCH=$($PY "$W/search.py" "$PORT" "/a/team/?q=")
KITH_RSS=$(rss $SERVE_PID)
KITH_HWM=$(hwm $SERVE_PID)
kill $SERVE_PID
wait $SERVE_PID 2>/dev/null || true
SERVE_PID=""

# ---- public-inbox ----
export PI_CONFIG="$W/pi-config" HOME="$W"
PIPORT=$(free_port)
public-inbox-init -V2 -L full bench "$W/pi" "http://127.0.0.1:$PIPORT/bench" team@bench.example
t0=$(now)
perl -MPublicInbox::Config -MPublicInbox::InboxWritable -e '
	my $ibx = PublicInbox::Config->new->lookup_name("bench")
	    or die "no inbox\n";
	$ibx = PublicInbox::InboxWritable->new($ibx);
	open(my $fh, "<", $ARGV[0]) or die "$ARGV[0]: $!\n";
	$ibx->import_mbox($fh, "mboxrd");' "$MBOX"
public-inbox-index "$W/pi" >/dev/null
PI_IMPORT=$(secs "$t0" "$(now)")
PI_MB=$(du -sm "$W/pi" | cut -f1)
public-inbox-httpd -W 2 -l "http://127.0.0.1:$PIPORT" > "$W/pi.out" 2>&1 &
PI_PID=$!
sleep 3
# the same threads, by their first post's Message-ID
cut -d'|' -f2 "$W/threads.txt" | $PY -c '
import sys, urllib.parse
for mid in sys.stdin.read().split("\n"):
    if mid:
        print("/bench/%s/T/" % urllib.parse.quote(mid, safe="@!$+,;=:"))' > "$W/pi-paths.txt"
curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$PIPORT$(head -1 "$W/pi-paths.txt")" | grep -q 200
wrk_run pi "http://127.0.0.1:$PIPORT" "$W/pi-paths.txt"
PI_SEARCH=$($PY "$W/search.py" "$PIPORT" "/bench/?q=")
PI_RSS=0
PI_HWM=0
for p in $PI_PID $(pgrep -P $PI_PID); do
	PI_RSS=$((PI_RSS + $(rss "$p")))
	PI_HWM=$((PI_HWM + $(hwm "$p")))
done

echo
echo "# archive of $N messages; thread pages at $CONNS connections for ${SECS} s, search one query at a time"
printf '%-30s %14s %14s\n' "" "kith" "public-inbox"
printf '%-30s %14s %14s\n' "import (s)" "$KITH_IMPORT" "$PI_IMPORT"
printf '%-30s %14s %14s\n' "import (messages/s)" \
	"$($PY -c "print(int($N / $KITH_IMPORT))")" "$($PY -c "print(int($N / $PI_IMPORT))")"
printf '%-30s %14s %14s\n' "on disk (MB)" "$KITH_DB_MB" "$PI_MB"
printf '%-30s %14s %14s\n' "thread pages/s" "$(rps "$W/kith.wrk")" "$(rps "$W/pi.wrk")"
printf '%-30s %14s %14s\n' "thread page p50" "$(pct "$W/kith.wrk" 50)" "$(pct "$W/pi.wrk" 50)"
printf '%-30s %14s %14s\n' "thread page p99" "$(pct "$W/kith.wrk" 99)" "$(pct "$W/pi.wrk" 99)"
printf '%-30s %14s %14s\n' "search p50 (ms)" "${KITH_SEARCH% *}" "${PI_SEARCH% *}"
printf '%-30s %14s %14s\n' "search p99 (ms)" "${KITH_SEARCH#* }" "${PI_SEARCH#* }"
printf '%-30s %14s %14s\n' "server RSS after (MB)" "$((KITH_RSS / 1024))" "$((PI_RSS / 1024))"
printf '%-30s %14s %14s\n' "server peak RSS (MB)" "$((KITH_HWM / 1024))" "$((PI_HWM / 1024))"
