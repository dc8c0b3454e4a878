# lib.sh - shared setup for Kith's integration tests (sourced, POSIX sh).
#
# Each test gets a fresh directory with its own kith.conf and data
# directory, and may start a real SMTP sink (smtp_sink.py, aiosmtpd) on
# 127.0.0.1.  assert_ok CONDITION MESSAGE counts a result; finish prints the
# totals and exits 0 only when nothing failed.  Exit 77 means skipped.

set -u
# A script that runs a PostgreSQL cluster of its own (own_cluster) sets
# OWN_CLUSTER=1 before sourcing this file, and sets each site's storage
# itself: the suite's PostgreSQL pass (KITH_TEST_BACKEND) adds nothing.
if [ -n "${OWN_CLUSTER:-}" ] && [ "${KITH_TEST_BACKEND:-}" = postgresql ]; then
	echo "SKIP: runs its own PostgreSQL cluster, in the sqlite pass"
	exit 77
fi
PY=/usr/bin/python3
KITH_BIN=${KITH_BIN:-$(pwd)/kith}
KITH_SRCDIR=${KITH_SRCDIR:-$(pwd)}
HERE=$KITH_SRCDIR/tests/integration
T=$(mktemp -d "${TMPDIR:-/tmp}/kith-test.XXXXXX")
PASSED=0
FAILED=0
SINK_PID=
# finish prints the script's time (CI lists the slowest): from the
# kernel's uptime, which libfaketime's shifted clock does not touch
uptime_s() { cut -d. -f1 /proc/uptime; }
T_STARTED=$(uptime_s)
export KITH_CONF=$T/kith.conf
unset KITH_HOME

cleanup() {
	[ -n "${KEEP_TEST_DIR:-}" ] && echo "kept $T"
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null
	if [ -n "${PG_DIR:-}" ]; then
		sh "$KITH_SRCDIR/scripts/pg-stop.sh" "$PG_DIR" >/dev/null 2>&1
		[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$PG_DIR"
	fi
	command -v faketime_sweep >/dev/null && faketime_sweep
	[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T"
	if [ -n "${PG_DB:-}" ] && [ -z "${KEEP_TEST_DIR:-}" ]; then
		for _db in $PG_DB $PG_MORE; do
			pg_admin "DROP DATABASE IF EXISTS \"$_db\" WITH (FORCE)" >/dev/null
		done
	fi
}
trap cleanup EXIT

if [ ! -x "$KITH_BIN" ]; then
	echo "kith binary not found at $KITH_BIN" >&2
	exit 99
fi
if ! $PY -c 'import aiosmtpd' 2>/dev/null; then
	echo "SKIP: python3-aiosmtpd is not installed (scripts/setup-deps.sh --test)"
	exit 77
fi

# The storage backend of every site write_conf writes: sqlite (the
# default: $T/var/kith.db) or, with KITH_TEST_BACKEND=postgresql,
# PostgreSQL.  Then KITH_TEST_PG_DSN is a libpq DSN in keyword=value form
# to a server where its role may create databases (scripts/test.sh starts
# a private cluster with scripts/pg-start.sh): each test script gets a
# database of its own, kt_SCRIPT_PID (tests run in parallel), created
# here and dropped when the script ends.  PG_DSN is that database's DSN
# (also exported as KITH_TEST_DB_DSN for the Python helpers), empty on
# sqlite.  db SQL runs SQL on the site's database either way and prints
# its rows as sqlite3 does, columns split by |, NULL as nothing, BLOBs
# as their bytes (on PostgreSQL bytea's escape format: printable bytes
# as they are, others as \ooo, for a grep) (another
# site's: DB_FILE=its kith.db DB_DSN=its DSN db SQL).
KITH_TEST_BACKEND=${KITH_TEST_BACKEND:-sqlite}
# A pass that repeats one already made on this tree (the PostgreSQL pass,
# CI's runs with the clock moved: KITH_TEST_REPEAT=1) tries one in
# FUZZ_EVERY of the fuzz scripts' cases (t22's, t26's, t54's); every
# other check stays whole.
[ "$KITH_TEST_BACKEND" = postgresql ] && KITH_TEST_REPEAT=1
FUZZ_EVERY=1
[ -n "${KITH_TEST_REPEAT:-}" ] && FUZZ_EVERY=4
export FUZZ_EVERY
PG_DB=
PG_DSN=
PG_MORE=
PG_DIR=
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PSQL=psql
[ -x "$PGBIN/psql" ] && PSQL=$PGBIN/psql

# own_cluster - a private PostgreSQL 15 cluster for this script alone
# (scripts/pg-start.sh: initdb, a unix socket only) in PG_DIR, a short
# folder of its own (a socket's path is at most 107 bytes), stopped and
# removed when the script ends; sets DSN.  Skips the script when
# PostgreSQL is not installed.
own_cluster() {
	if [ ! -x "$PGBIN/initdb" ]; then
		echo "SKIP: $PGBIN/initdb not found: PostgreSQL 15 is not installed (scripts/setup-deps.sh --test: postgresql)"
		exit 77
	fi
	PG_DIR=$(mktemp -d /tmp/kith-pg.XXXXXX)
	if ! DSN=$(sh "$KITH_SRCDIR/scripts/pg-start.sh" "$PG_DIR" 2>"$T/pg-start.err"); then
		cat "$T/pg-start.err"
		assert_ok false "a private PostgreSQL cluster starts"
		finish
	fi
}
# psql and the server keep the real clock (.ci/run's dated runs preload
# libfaketime into everything)
pg_admin() {
	env -u LD_PRELOAD -u FAKETIME "$PSQL" -XqAt -v ON_ERROR_STOP=1 \
	    -d "$KITH_TEST_PG_DSN dbname=postgres" -c "$1"
}
case $KITH_TEST_BACKEND in
sqlite) unset KITH_TEST_DB_DSN ;;
postgresql)
	if [ -z "${KITH_TEST_PG_DSN:-}" ]; then
		echo "KITH_TEST_BACKEND=postgresql needs KITH_TEST_PG_DSN (a server where the test may create databases)" >&2
		exit 99
	fi
	PG_DB=kt_$(basename "$0" .sh | tr -c 'a-zA-Z0-9\n' _ | tr A-Z a-z | cut -c1-40)_$$
	if ! pg_admin "CREATE DATABASE \"$PG_DB\"" >"$T/pg-create.err" 2>&1; then
		cat "$T/pg-create.err" >&2
		echo "cannot create the test's database $PG_DB at $KITH_TEST_PG_DSN" >&2
		PG_DB=
		exit 99
	fi
	PG_DSN="$KITH_TEST_PG_DSN dbname=$PG_DB"
	export KITH_TEST_DB_DSN="$PG_DSN"
	;;
*)
	echo "KITH_TEST_BACKEND=$KITH_TEST_BACKEND: sqlite or postgresql" >&2
	exit 99
	;;
esac

# reset_site - a new empty site: the data directory removed, and on
# PostgreSQL the test's database emptied (dropped and made again)
reset_site() {
	rm -rf "$T/var"
	if [ -n "$PG_DB" ]; then
		pg_admin "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null &&
		    pg_admin "CREATE DATABASE \"$PG_DB\"" >/dev/null
	fi
}

# hold_write_lock LOCKED RELEASE [SECONDS] - in the background (the
# caller waits for it with wait $!), another process holds the site
# database's write lock: sqlite's BEGIN EXCLUSIVE on kith.db, or on
# PostgreSQL the writers' advisory lock (0x6b697468, src/db_pg.c) in an
# open transaction.  Creates the file LOCKED once it holds the lock and
# lets go when the file RELEASE exists (at the latest after SECONDS, 60).
hold_write_lock() {
	env -u LD_PRELOAD -u FAKETIME $PY - "$T/var/kith.db" "$1" "$2" "${3:-60}" <<'PYEOF' &
import os, sys, time
dsn = os.environ.get("KITH_TEST_DB_DSN", "")
if dsn:
    import psycopg2
    con = psycopg2.connect(dsn)
    con.cursor().execute("SELECT pg_advisory_xact_lock(%s)", (0x6b697468,))
else:
    import sqlite3
    con = sqlite3.connect(sys.argv[1], isolation_level=None)
    con.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
for _ in range(int(sys.argv[4]) * 20):
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.05)
con.rollback() if dsn else con.execute("ROLLBACK")
con.close()
PYEOF
}

# db_dump - every byte of the site's data as the database holds it, for
# a grep: sqlite's file and its WAL, or PostgreSQL's rows (pg_dump, BLOBs
# written as their bytes, not in hex)
db_dump() {
	if [ -n "$PG_DB" ]; then
		env -u LD_PRELOAD -u FAKETIME PGOPTIONS='-c bytea_output=escape' \
		    "$(dirname "$PSQL")/pg_dump" --data-only -d "$PG_DSN"
	else
		cat "$T/var/kith.db" "$T/var/kith.db-wal" 2>/dev/null
	fi
}

# schema_version - the version of the schema kith init wrote
schema_version() {
	if [ -n "$PG_DB" ]; then
		db "SELECT max(version) FROM kith_schema"
	else
		db "PRAGMA user_version"
	fi
}

# second_site NAME - on PostgreSQL, a second empty database for a second
# site of the test (${PG_DB}_NAME, dropped at exit); sets SITE2_DSN to
# its DSN (not in a subshell: cleanup must know the name)
second_site() {
	pg_admin "CREATE DATABASE \"${PG_DB}_$1\"" >/dev/null || return 1
	PG_MORE="$PG_MORE ${PG_DB}_$1"
	SITE2_DSN="$KITH_TEST_PG_DSN dbname=${PG_DB}_$1"
}

# sqlite_only WHAT - print why a check about sqlite's file itself is not
# made on PostgreSQL; returns 0 (skip it) on PostgreSQL, 1 on sqlite
sqlite_only() {
	[ -n "$PG_DB" ] || return 1
	echo "# SKIP sqlite only: $1"
	return 0
}

# The clock.  No test reads the machine's date: every kith call runs with
# libfaketime preloaded directly, never through the wrapper command (its
# shared semaphores stay in /dev/shm when a run is killed; the library's
# own one per process goes when kith exits, or with kill_tree when a test
# kills it), and its clock started at $NOW, a UTC
# time "YYYY-MM-DD HH:MM:SS" that ticks from there within the process.
# Tests move it with set_clock TIME, or run one call elsewhen with
# at TIME ARGS... (same as kith ARGS... at TIME).  KITH_TEST_NOW overrides
# the starting date for a whole run.
export TZ=UTC
NOW=${KITH_TEST_NOW:-"2026-06-01 09:00:00"}
FAKETIME_LIB=
for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
	[ -e "$f" ] && FAKETIME_LIB=$f && break
done
if [ -z "$FAKETIME_LIB" ]; then
	echo "SKIP: libfaketime is not installed (scripts/setup-deps.sh --test)"
	exit 77
fi
# faketime_sweep - libfaketime's files of processes that are gone: a
# process killed with kill -9 leaves its semaphore and shared memory in
# /dev/shm, and a later process given the same PID (at most 32,768 here)
# cannot start under libfaketime ("sem_name was /faketime_sem_PID,
# created locally: false", "shm_open failed: File exists"): make's shells
# in t44 and kith calls in t26 failed so in CI rehearsals.  Swept when a
# test starts, when it kills a process tree and when it ends.
faketime_sweep() {
	for _f in /dev/shm/sem.faketime_sem_* /dev/shm/faketime_shm_*; do
		[ -e "$_f" ] || continue
		kill -0 "${_f##*_}" 2>/dev/null || rm -f "$_f"
	done
}
faketime_sweep
# A run may itself be under a shifted machine clock (.ci/run preloads
# libfaketime around the whole suite).  Its settings must not change how
# the clock of a kith call starts: each call starts at its own time.
unset FAKETIME_DONT_RESET FAKETIME_SHARED FAKETIME_FMT FAKETIME_TIMESTAMP_FILE \
	FAKETIME_NO_CACHE FAKETIME_CACHE_DURATION FAKETIME_XRESET \
	FAKETIME_FOLLOW_FILE FAKETIME_START_AFTER_SECONDS \
	FAKETIME_START_AFTER_NUMCALLS FAKETIME_STOP_AFTER_SECONDS \
	FAKETIME_STOP_AFTER_NUMCALLS FAKETIME_LOAD_FILE FAKETIME_SAVE_FILE \
	FAKETIME_ONLY_CMDS FAKETIME_SKIP_CMDS 2>/dev/null

set_clock() {
	NOW=$1
}

# after DURATION [TIME] - print TIME (default $NOW) plus DURATION: seconds
# ("90", "1.25" or "90s") or "10m", "25h", "8d"; negative whole numbers
# ("-1d") go back; a fraction of a second in TIME itself is dropped
after() {
	case $1 in
	*d) _after_s=$(( ${1%d} * 86400 ));;
	*h) _after_s=$(( ${1%h} * 3600 ));;
	*m) _after_s=$(( ${1%m} * 60 ));;
	*s) _after_s=${1%s};;
	*) _after_s=$1;;
	esac
	_after_f=
	case $_after_s in *.*) _after_f=.${_after_s#*.}; _after_s=${_after_s%%.*};; esac
	echo "$(date -u -d "@$(( $(epoch "${2:-$NOW}") + ${_after_s:-0} ))" '+%Y-%m-%d %H:%M:%S')$_after_f"
}

# clock_add SECONDS - move $NOW forward (also "10m", "25h", "8d" as for after)
clock_add() {
	NOW=$(after "$1")
}

# epoch [TIME] - seconds since 1970 of TIME (default $NOW)
epoch() {
	date -u -d "${1:-$NOW}" +%s
}

# Kith's monotonic clock (its timeouts) stays real: FAKETIME_DONT_FAKE_MONOTONIC
# is set for kith only, as other programs under libfaketime 0.9.10 with it
# fail (Python's time.sleep: EINVAL) or hang (Chromium).
kith() {
	LD_PRELOAD="$FAKETIME_LIB${LD_PRELOAD:+:$LD_PRELOAD}" \
	    FAKETIME="@$NOW" FAKETIME_DONT_FAKE_MONOTONIC=1 \
	    "$KITH_BIN" "$@"
}

at() {
	_at_t=$1
	shift
	LD_PRELOAD="$FAKETIME_LIB${LD_PRELOAD:+:$LD_PRELOAD}" \
	    FAKETIME="@$_at_t" FAKETIME_DONT_FAKE_MONOTONIC=1 \
	    "$KITH_BIN" "$@"
}

# clocked CMD [ARGS...] - run another program (openssl, say) at $NOW
clocked() {
	LD_PRELOAD="$FAKETIME_LIB${LD_PRELOAD:+:$LD_PRELOAD}" \
	    FAKETIME="@$NOW" "$@"
}

# kith_exe - print the path of an executable that runs kith at $NOW, for
# what takes a program rather than a shell function: setsid, script, the
# Python helpers.  It is kith itself once started (same process id).
kith_exe() {
	_exe=$T/kith-at-$(printf '%s' "$NOW" | tr -c '0-9' '-')
	if [ ! -x "$_exe" ]; then
		{
			echo '#!/bin/sh'
			echo "LD_PRELOAD='$FAKETIME_LIB${LD_PRELOAD:+:$LD_PRELOAD}'"
			echo "FAKETIME='@$NOW'"
			echo "FAKETIME_DONT_FAKE_MONOTONIC=1"
			echo 'export LD_PRELOAD FAKETIME FAKETIME_DONT_FAKE_MONOTONIC'
			echo "exec '$KITH_BIN' \"\$@\""
		} > "$_exe"
		chmod +x "$_exe"
	fi
	echo "$_exe"
}

# kill_tree PID - kill -9 the process group of PID (a kith started with
# setsid) and remove what libfaketime keeps in /dev/shm for it: only a
# process that exits by itself removes its own semaphore and memory.
kill_tree() {
	pkill -KILL -g "$1"
	wait "$1" 2>/dev/null
	faketime_sweep
}

# uptime_cs - hundredths of a second since boot: elapsed real time for
# the few checks about speed, unaffected by any faked clock
uptime_cs() {
	read _up _ < /proc/uptime
	echo "${_up%.*}${_up#*.}"
}

assert_ok() {
	# assert_ok 'shell condition' 'what it shows'
	if eval "$1"; then
		PASSED=$((PASSED + 1))
		echo "ok - $2"
	else
		FAILED=$((FAILED + 1))
		echo "not ok - $2   [condition: $1]"
	fi
}

# lacks PATTERN CMD [ARGS...] - CMD exits 0 and no line of its output
# matches PATTERN (grep's basic regular expression).  Unlike
# '! CMD | grep -q PATTERN' it fails when CMD fails or crashes.
lacks() {
	_lacks_pat=$1
	shift
	_lacks_out=$("$@") || return 1
	! printf '%s\n' "$_lacks_out" | grep -q -- "$_lacks_pat"
}

# no_output CMD [ARGS...] - CMD exits 0 and prints nothing
no_output() {
	_no_out=$("$@") || return 1
	[ -z "$_no_out" ]
}

finish() {
	echo "# took $(($(uptime_s) - T_STARTED)) s"
	echo "# $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit $?
}

# write_conf TRANSPORT [extra lines...]
write_conf() {
	transport=$1
	shift
	{
		echo "[site]"
		echo "domain = example.org"
		echo "data_dir = $T/var"
		echo "transport = $transport"
		echo "log_level = info"
		echo "deliver_on_receive = off"
		for line in "$@"; do echo "$line"; done
		# a test that names its storage itself keeps it
		case " $* " in
		*"[storage]"*) ;;
		*)
			if [ -n "$PG_DB" ]; then
				echo "[storage]"
				echo "backend = postgresql"
				echo "dsn = $PG_DSN"
			fi
			;;
		esac
	} > "$KITH_CONF"
}

# start_sink [sink options] - sets SINK_DIR and SINK_PORT
start_sink() {
	SINK_DIR=$T/sink
	rm -rf "$SINK_DIR" "$T/sink.port"
	$PY "$HERE/smtp_sink.py" --outdir "$SINK_DIR" --port-file "$T/sink.port" \
		"$@" 2>"$T/sink.err" &
	SINK_PID=$!
	i=0
	while [ ! -s "$T/sink.port" ] && [ $i -lt 300 ]; do	# 30 s on a loaded machine
		sleep 0.1
		i=$((i + 1))
	done
	SINK_PORT=$(cat "$T/sink.port")
}

stop_sink() {
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
	SINK_PID=
}

# sink_count - messages the sink has received
sink_count() {
	ls "$SINK_DIR" 2>/dev/null | grep -c '\.eml$'
}

# wait_sink N [seconds] - until the sink has N messages
wait_sink() {
	i=0
	while [ "$(sink_count)" -lt "$1" ] && [ $i -lt $((${2:-10} * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# setup_list: smtp transport to the sink, list team@example.org, members
setup_list() {
	write_conf "smtp://127.0.0.1:$SINK_PORT" "$@"
	kith init >/dev/null
	kith list create team@example.org --owner alice@example.org \
		--name "Team" >/dev/null
	kith member add team bob@example.org --name "Bob" >/dev/null
	kith member add team carol@example.org --name "Carol" >/dev/null
}

# post FILE [recipient] [sender] - pipe to kith receive, echo the exit code
post() {
	kith receive -r "${2:-team@example.org}" -f "${3:-alice@example.org}" \
		< "$1" 2>>"$T/receive.err"
	echo $?
}

# send FROM TO SUBJECT BODY [header lines...] - a mail through kith
# receive (BODY takes \n escapes; a "From: ..." line replaces the plain
# one), then kith deliver; returns receive's exit code.
n=0
send() {
	from=$1; to=$2; subject=$3; body=$4; shift 4
	n=$((n + 1))
	{
		case "$*" in *From:*) ;; *) echo "From: <$from>";; esac
		echo "To: <$to>"
		echo "Subject: $subject"
		echo "Message-ID: <m$n@test>"
		for h in "$@"; do echo "$h"; done
		echo
		printf '%b\n' "$body"
	} > "$T/mail$n"
	kith receive -r "$to" -f "$from" < "$T/mail$n" 2>>"$T/receive.err"
	rc=$?
	kith deliver >/dev/null 2>&1
	return $rc
}

# Reading what the sink got (mailtool.py): path of the newest mail to an
# address, how many went to it.
MT="$PY $HERE/mailtool.py"
last() { $MT last "$SINK_DIR" "$1"; }
count() { $MT count "$SINK_DIR" "$1"; }
# forged ADDRESS - ADDRESS with the last character of its token (just
# before the @) changed to another: never the token itself, whatever it
# ends with (a substitution that can leave it unchanged, 1 in 32, once
# let t09 "forge" the real token in CI)
forged() {
	printf '%s\n' "$1" | sed 's/\(.\)@/\1\n@/' | awk 'NR == 1 { c = substr($0, length($0)); printf "%s%s", substr($0, 1, length($0) - 1), (c == "b" ? "c" : "b"); next } { print }'
}

db() {
	if [ -n "$PG_DB" ]; then
		env -u LD_PRELOAD -u FAKETIME PGOPTIONS='-c bytea_output=escape' \
		    "$PSQL" -XqAt -v ON_ERROR_STOP=1 -d "${DB_DSN:-$PG_DSN}" -c "$1"
	else
		sqlite3 "${DB_FILE:-$T/var/kith.db}" "$1"
	fi
}
