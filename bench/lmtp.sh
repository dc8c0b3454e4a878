#!/bin/sh
# lmtp.sh - the receive path measured, three ways in one run: one 5 KB
# post to a 20-member list per transaction
#   1. Postfix's smtp-source -L (LMTP) into kith serve's LMTP side,
#   2. the same post piped into `kith receive`, one process per message
#      (what Postfix's pipe transport does),
#   3. GNU Mailman 3's LMTP runner (Debian mailman3), a throwaway
#      instance in the bench folder (its own var dir and sqlite), only
#      that runner started, the same list of 20, smtp-source -L again.
# For each: messages per second, CPU per message (the receiver's user +
# system time), and fsyncs per message (fsync + fdatasync, counted with
# strace -f in a second, smaller run, since strace slows the first).
# For kith serve also: the committer thread's CPU per message, and the
# messages per sync (the syncer thread's fdatasyncs of the WAL in the
# strace run: each makes every commit before it durable).  Under load
# kith serve leaves each post's words for search and its copies to the
# members for a quiet moment (post_catch_up): its CPU is counted until
# that work is done too, and the rate with it ("caught up") is printed
# beside the rate of replies.  The load average is printed beside the
# rates: on a busy machine the rates vary from run to run; CPU and
# fsyncs much less.
#
# Then ROUNDS rounds (5 by default), each a burst into a fresh kith
# serve and one into Mailman's runner, back to back: on a shared machine
# either rate moves by half from one minute to the next (12 to 29 times
# with the same build: docs/BENCHMARKS.md, stop 41), so the times-Mailman
# figure is the median of the rounds' ratios, printed with each round.
#
#   bench/lmtp.sh [MESSAGES] [SESSIONS]   (default 4000 over LMTP, 20
#                                          sessions; 500 through the pipe
#                                          and to Mailman: NP=, NM=; 500
#                                          in each strace run: NS=;
#                                          ROUNDS=)
set -eu
N=${1:-4000}
S=${2:-20}
NP=${NP:-500}
NM=${NM:-500}
NS=${NS:-500}	# messages in each strace run
ROUNDS=${ROUNDS:-5}
cd "$(dirname "$0")/.."
TOP=$PWD

if ! command -v smtp-source >/dev/null 2>&1 || ! command -v strace >/dev/null 2>&1; then
	./scripts/setup-deps.sh --bench
fi
if [ -f Makefile ] && [ -x kith ]; then
	make -j"$(nproc)" >/dev/null
else
	./scripts/build.sh >/dev/null
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/kith-bench.XXXXXX")
chmod 755 "$W"
PIDS=""
cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null && { wait "$p" 2>/dev/null || :; }
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
[ -n "${KITH_BENCH_KEEP:-}" ] && trap - EXIT && echo "keeping $W"

HZ=$(getconf CLK_TCK)
now() { date +%s.%N; }
# cpu PID - user + system seconds of a running process, all its threads
cpu() { awk -v hz="$HZ" '{ sub(/^.*\) /, ""); printf "%.3f", ($12 + $13) / hz }' "/proc/$1/stat"; }
# tcpu PID NAME - user + system seconds of PID's thread called NAME
tcpu() {
	for t in /proc/"$1"/task/*; do
		[ "$(cat "$t/comm")" = "$2" ] && cpu "$1/task/${t##*/}" && return
	done
	echo 0
}
# fsyncs FILE [TID] - fsync + fdatasync calls in an strace -f log (by TID)
fsyncs() {
	awk -v tid="${2:-}" '/^[0-9]+ +f(data)?sync\(/ && (tid == "" || $1 == tid) { n++ }
	    END { print n + 0 }' "$1"
}
load() { cut -d' ' -f1 /proc/loadavg; }
port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
	i=0
	until /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $1)).close()" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "nothing listens on $1" >&2; exit 1; }
		sleep 0.1
	done
}

# The list: an owner and 19 members, 20 in all.
export KITH_CONF="$W/kith.conf"
cat >"$KITH_CONF" <<EOF
[site]
domain = bench.example
data_dir = $W/var
transport = maildir:$W/mail
deliver_on_receive = off
log_level = error
[lmtp]
listen = 127.0.0.1:0
max_connections = 256
EOF
K="$TOP/kith"
i=1
while [ $i -le 19 ]; do echo "member$i@example$i.net"; i=$((i + 1)); done >"$W/members.txt"
# fresh_db - a new database with the list (each LMTP run starts on one)
fresh_db() {
	rm -rf "$W/var"
	$K init >/dev/null
	$K list create team@bench.example --owner owner@bench.example --name "Bench" >/dev/null
	$K member import team "$W/members.txt" >/dev/null
}
posts() { sqlite3 "$W/var/kith.db" "SELECT count(*) FROM posts"; }

# smtp_source PORT COUNT - COUNT posts over LMTP in $S sessions
smtp_source() {
	smtp-source -L -d -s "$S" -m "$2" -l 5000 -f owner@bench.example \
		-t team@bench.example -M bench.example "127.0.0.1:$1"
}

# 1. LMTP into kith serve
start_serve() {
	$K serve --listen 127.0.0.1:0 >"$W/serve.out" 2>"$W/serve.err" &
	SERVE=$!
	PIDS="$PIDS $SERVE"
	i=0
	until grep -q "LMTP on" "$W/serve.out"; do
		i=$((i + 1))
		[ $i -lt 300 ] || { cat "$W/serve.err" >&2; exit 1; }
		sleep 0.1
	done
	LPORT=$(sed -n 's|.*LMTP on lmtp://127.0.0.1:\([0-9]*\).*|\1|p' "$W/serve.out")
}
# lmtp_run [quick] - $N posts timed, then (unless quick) $NS under
# strace, into a fresh kith serve; sets rate, cpu (ms/msg), kcpu (the
# committer's), fsync (a message), group (messages a sync of the WAL) and
# la (load before-after)
lmtp_run() {
	fresh_db
	start_serve
	smtp_source "$LPORT" 200		# warm up: the WAL, the page cache
	before=$(posts)
	la=$(load)
	c0=$(cpu "$SERVE")
	k0=$(tcpu "$SERVE" kith-commit)
	t0=$(now)
	smtp_source "$LPORT" "$N"
	t1=$(now)
	# the work the burst deferred, done (the committer's quiet moment);
	# the CPU counted up to then
	i=0
	until [ "$(sqlite3 "$W/var/kith.db" "SELECT (SELECT count(*) FROM
	    posts_fts_queue) + (SELECT count(*) FROM outbox_fanout)")" = 0 ]; do
		i=$((i + 1))
		[ $i -lt 3000 ] || { echo "LMTP: not caught up" >&2; exit 1; }
		sleep 0.01
	done
	t2=$(now)
	c1=$(cpu "$SERVE")
	k1=$(tcpu "$SERVE" kith-commit)
	done_rate=$(echo "$N / ($t2 - $t0)" | bc -l)
	[ "$(sqlite3 "$W/var/kith.db" "SELECT count(*) FROM outbox")" = \
	    $(( ($N + 200) * 20 )) ] || { echo "LMTP: copies missing" >&2; exit 1; }
	la="$la-$(load)"
	got=$(( $(posts) - before ))
	[ "$got" = "$N" ] || { echo "LMTP: $got of $N posts stored" >&2; exit 1; }
	rate=$(echo "$N / ($t1 - $t0)" | bc -l)
	cpu=$(echo "($c1 - $c0) * 1000 / $N" | bc -l)
	kcpu=$(echo "($k1 - $k0) * 1000 / $N" | bc -l)
	if [ "${1:-}" = quick ]; then
		kill "$SERVE"
		wait "$SERVE" 2>/dev/null || true
		return
	fi
	SYNCER=$(grep -lx kith-sync-lmtp /proc/"$SERVE"/task/*/comm | cut -d/ -f5)
	strace -f -qq -e trace=fsync,fdatasync -o "$W/strace.lmtp" -p "$SERVE" 2>/dev/null &
	ST=$!
	sleep 0.5
	smtp_source "$LPORT" "$NS"
	kill -INT "$ST"
	wait "$ST" 2>/dev/null || true
	fsync=$(echo "$(fsyncs "$W/strace.lmtp") / $NS" | bc -l)
	syncs=$(fsyncs "$W/strace.lmtp" "$SYNCER")
	group=$(echo "$NS / ($syncs + ($syncs == 0))" | bc -l)
	kill "$SERVE"
	wait "$SERVE" 2>/dev/null || true
}
# with the committer's hold for arrivals (1 ms), then without it (the
# default), each on a fresh database
export KITH_LMTP_HOLD_US=1000
lmtp_run
held="$rate $cpu $kcpu $fsync $group $la"
held_done=$done_rate
unset KITH_LMTP_HOLD_US
lmtp_run
lmtp_rate=$rate
lmtp_cpu=$cpu
lmtp_fsync=$fsync
lmtp_done=$done_rate
lmtp_first="$rate $cpu $kcpu $fsync $group $la"

# 2. the same post through `kith receive`, one process per message
/usr/bin/python3 - "$W" "$NP" "$NS" <<'PYEOF'
import os, sys
w, n = sys.argv[1], int(sys.argv[2]) + int(sys.argv[3])
body = "".join("%dX%s\r\n" % (i, "X" * 76) for i in range(1, 100))[:5000]
os.makedirs(w + "/pipe", exist_ok=True)
for i in range(n):
    with open("%s/pipe/%d.eml" % (w, i), "w") as f:
        f.write("From: <owner@bench.example>\nTo: <team@bench.example>\n"
                "Date: Mon, 1 Jun 2026 09:00:00 +0000\n"
                "Message-Id: <pipe.%d@bench.example>\n\n%s\n"
                % (i, body.replace("\r\n", "\n")))
PYEOF
cat >"$W/pipe.py" <<'PYEOF'
import resource, subprocess, sys, time
k, w, first, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
t0 = time.monotonic()
for i in range(first, first + n):
    with open("%s/pipe/%d.eml" % (w, i), "rb") as f:
        rc = subprocess.call([k, "receive", "-r", "team@bench.example",
                              "-f", "owner@bench.example"], stdin=f)
    if rc:
        sys.exit("kith receive: exit %d" % rc)
t1 = time.monotonic()
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(n / (t1 - t0), (ru.ru_utime + ru.ru_stime) * 1000 / n)
PYEOF
before=$(posts)
set -- $(/usr/bin/python3 "$W/pipe.py" "$K" "$W" 0 "$NP")
pipe_rate=$1
pipe_cpu=$2
[ $(( $(posts) - before )) = "$NP" ] || { echo "pipe: not every post stored" >&2; exit 1; }
strace -f -qq -e trace=fsync,fdatasync -o "$W/strace.pipe" /usr/bin/python3 "$W/pipe.py" "$K" "$W" "$NP" "$NS" >/dev/null
pipe_fsync=$(echo "$(fsyncs "$W/strace.pipe") / $NS" | bc -l)

# 3. GNU Mailman 3's LMTP runner
mm_rate=""
MM_BIN=/usr/lib/mailman3/bin
if [ -x "$MM_BIN/runner" ]; then
	M=$W/mailman
	mkdir -p "$M/var"
	MPORT=$(port)
	cat >"$M/mailman.cfg" <<EOF
[mailman]
layout: bench
site_owner: owner@bench.example
[paths.bench]
var_dir: $M/var
[database]
class: mailman.database.sqlite.SQLiteDatabase
url: sqlite:///$M/var/data/mailman.db
[mta]
incoming: mailman.mta.null.NullMTA
lmtp_host: 127.0.0.1
lmtp_port: $MPORT
[webservice]
port: $(port)
[archiver.prototype]
enable: no
EOF
	# (the bench runs as root, as the tests do; Mailman asks to be told)
	MM="$MM_BIN/mailman -C $M/mailman.cfg --run-as-root"
	{ echo owner@bench.example; cat "$W/members.txt"; } >"$W/mm-members.txt"
	if ! $MM create team@bench.example >"$W/mm.out" 2>&1 ||
	    ! $MM addmembers "$W/mm-members.txt" team@bench.example >>"$W/mm.out" 2>&1; then
		echo "Mailman 3: the list could not be made:" >&2
		tail -n 20 "$W/mm.out" >&2
		MM_BIN=
	fi
fi
if [ -n "$MM_BIN" ] && [ -x "$MM_BIN/runner" ]; then
	"$MM_BIN/runner" -C "$M/mailman.cfg" -r lmtp >>"$W/mm.out" 2>&1 &
	MMR=$!
	PIDS="$PIDS $MMR"
	wait_port "$MPORT"
	queued() { ls "$M/var/queue/in" 2>/dev/null | grep -c '\.pck$' || true; }
	# mm_burst - $NM posts timed into the runner; sets mm_round (msg/s)
	# and mm_round_cpu (ms/msg), or fails when not all were queued
	mm_burst() {
		before=$(queued)
		c0=$(cpu "$MMR")
		t0=$(now)
		smtp_source "$MPORT" "$NM"
		t1=$(now)
		c1=$(cpu "$MMR")
		got=$(( $(queued) - before ))
		mm_round=$(echo "$NM / ($t1 - $t0)" | bc -l)
		mm_round_cpu=$(echo "($c1 - $c0) * 1000 / $NM" | bc -l)
		[ "$got" = "$NM" ]
	}
	smtp_source "$MPORT" 50
	if mm_burst; then
		mm_rate=$mm_round
		mm_cpu=$mm_round_cpu
		strace -f -qq -e trace=fsync,fdatasync -o "$W/strace.mm" -p "$MMR" 2>/dev/null &
		ST=$!
		sleep 0.5
		smtp_source "$MPORT" "$NS"
		kill -INT "$ST"
		wait "$ST" 2>/dev/null || true
		mm_fsync=$(echo "$(fsyncs "$W/strace.mm") / $NS" | bc -l)
	else
		echo "Mailman: $got of $NM posts queued; see below" >&2
		tail -n 20 "$W/mm.out" >&2
	fi
fi

# 4. the rounds: a fresh kith serve's burst, then Mailman's, each timed
# as above (no strace)
rounds=""
if [ -n "$mm_rate" ]; then
	r=1
	while [ $r -le "$ROUNDS" ]; do
		lmtp_run quick
		mm_burst || { echo "Mailman: $got of $NM posts queued" >&2; break; }
		rounds="$rounds $r $rate $mm_round"
		r=$((r + 1))
	done
fi
# median WORDS... - the middle one (the mean of the two middle ones)
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
	    END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
printf '%-34s %10s %14s %14s\n' "receiver (5 KB post, 20 members)" "msg/s" "CPU ms/msg" "fsyncs/msg"
printf '%-34s %10.0f %14.2f %14.3f\n' "kith serve, LMTP ($S sessions)" "$lmtp_rate" "$lmtp_cpu" "$lmtp_fsync"
printf '%-34s %10.0f %14.2f %14.3f\n' "kith receive, one per message" "$pipe_rate" "$pipe_cpu" "$pipe_fsync"
if [ -n "$mm_rate" ]; then
	printf '%-34s %10.0f %14.2f %14.3f\n' "Mailman 3 LMTP runner ($S sessions)" "$mm_rate" "$mm_cpu" "$mm_fsync"
	echo
	echo "rounds: a burst into a fresh kith serve, then one into Mailman's runner"
	printf '%6s %12s %12s %10s\n' round "kith msg/s" "Mailman msg/s" times
	set -- $rounds
	ratios=""
	while [ $# -ge 3 ]; do
		ratio=$(echo "$2 / $3" | bc -l)
		ratios="$ratios $ratio"
		printf '%6s %12.0f %12.0f %10.1f\n' "$1" "$2" "$3" "$ratio"
		shift 3
	done
	set -- $ratios
	printf 'kith serve over LMTP: %.1f times Mailman 3 (the median of %d rounds; %.1f-%.1f)\n' \
		"$(median "$@")" $# "$(printf '%s\n' "$@" | sort -g | head -n 1)" \
		"$(printf '%s\n' "$@" | sort -g | tail -n 1)"
else
	echo "Mailman 3: not measured (see above)"
fi
# line LABEL RATE CPU KCPU FSYNC GROUP LOAD - one row of the LMTP table
line() {
	printf '%-26s %8.0f %10.2f %12.2f %11.3f %10.1f   %s\n' "$@"
}
echo
echo "kith serve over LMTP, in detail (msg/s and CPU and fsyncs as above;"
echo "committer: its thread's CPU ms/msg; msg/sync: messages made durable by one"
echo "fdatasync of the WAL, on the syncer's thread, whatever commits they came in)"
printf '%-26s %8s %10s %12s %11s %10s   %s\n' "" "msg/s" "CPU ms/msg" \
	"committer ms" "fsyncs/msg" "msg/sync" "load during"
line "hold for arrivals (1 ms)" $held
line "commit at once (default)" $lmtp_first
echo
echo "caught up: what a burst deferred (the posts' words for search, each post's"
echo "copies to the members: post_catch_up) done, from the first message of the"
printf '%s\n' "timed run: $(printf '%.0f' "$held_done") msg/s with the hold, $(printf '%.0f' "$lmtp_done") without"
echo "($N messages over LMTP, $NP through the pipe, $NM to Mailman; $(nproc) cores; load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
