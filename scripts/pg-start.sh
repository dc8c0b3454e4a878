#!/bin/sh
# pg-start.sh DIR - a private PostgreSQL 15 cluster for tests, in DIR.
#
# initdb (Debian's postgresql-15) in DIR/pg as an unprivileged user: the
# caller, or when run as root the system user postgres (kithpg, created
# if neither exists; initdb refuses root).  It listens only on a unix
# socket in DIR/sock (listen_addresses=''), fsync off (test data), and
# holds a database kith owned by the role kith (which may create more:
# the test suite makes one per test script).  Prints one line, the
# libpq DSN to connect with.  Idempotent: a running cluster is left as
# it is and its DSN printed again.  scripts/pg-stop.sh DIR stops it.
set -eu
# The server runs on the real clock: .ci/run preloads libfaketime into
# the whole dated suite, and the test clock is for kith (lib.sh).
unset LD_PRELOAD FAKETIME
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
[ $# -eq 1 ] || { echo "usage: pg-start.sh DIR" >&2; exit 64; }
[ -x "$PGBIN/initdb" ] || {
	echo "pg-start: $PGBIN/initdb not found (install postgresql)" >&2
	exit 69
}
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
DATA=$DIR/pg
SOCK=$DIR/sock
LOG=$DIR/pg.log
# a unix socket's path holds at most 107 bytes
if [ ${#SOCK} -gt 90 ]; then
	echo "pg-start: $SOCK: too long for a unix socket; use a shorter DIR" >&2
	exit 64
fi

# as_pg CMD... - run CMD as the cluster's owner
if [ "$(id -u)" = 0 ]; then
	OWNER=postgres
	if ! id "$OWNER" >/dev/null 2>&1; then
		OWNER=kithpg
		id "$OWNER" >/dev/null 2>&1 || useradd --system --no-create-home \
			--home-dir /nonexistent --shell /usr/sbin/nologin "$OWNER"
	fi
	# the owner walks into DIR (a mktemp folder is 0700)
	chmod o+x "$DIR"
	as_pg() { runuser -u "$OWNER" -- "$@"; }
else
	OWNER=$(id -un)
	as_pg() { "$@"; }
fi
DSN="host=$SOCK dbname=kith user=kith"

if [ ! -s "$DATA/PG_VERSION" ]; then
	mkdir -p "$DATA" "$SOCK"
	[ "$(id -u)" = 0 ] && chown "$OWNER" "$DATA" "$SOCK"
	chmod 700 "$DATA"
	as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || {
		echo "pg-start: initdb failed; see $DIR/initdb.log" >&2
		exit 70
	}
	cat >>"$DATA/postgresql.conf" <<CONF
# pg-start.sh: private test cluster, unix socket only
listen_addresses = ''
unix_socket_directories = '$SOCK'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
CONF
fi
if ! as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] && touch "$LOG" && chown "$OWNER" "$LOG"
	as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null || {
		echo "pg-start: the server did not start; see $LOG" >&2
		exit 70
	}
fi
psql_admin() {
	as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -U postgres \
		-d postgres -tA "$@"
}
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname='kith'")" != 1 ]; then
	psql_admin -c "CREATE ROLE kith LOGIN CREATEDB" >/dev/null
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='kith'")" != 1 ]; then
	psql_admin -c "CREATE DATABASE kith OWNER kith" >/dev/null
fi
echo "$DSN"
