#!/bin/sh
# t49-sql-subset - the modules' SQL is the subset sqlite and PostgreSQL
# both take (issue 19): scripts/sql-check.py prepares every statement of
# src/*.c on the schema `kith init` made and on a private PostgreSQL 15
# cluster (scripts/pg-start.sh) holding src/db_pg_schema.c's schema; only
# what scripts/sql-check.allow lists (FTS5 search, the claim's planner
# hint, BLOB searches) may fail on PostgreSQL.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

PGBIN=/usr/lib/postgresql/15/bin
if [ ! -x "$PGBIN/initdb" ]; then
	echo "SKIP: $PGBIN/initdb is absent (postgresql; scripts/setup-deps.sh --test)"
	exit 77
fi
if ! $PY -c 'import psycopg2' 2>/dev/null; then
	echo "SKIP: python3-psycopg2 is not installed (scripts/setup-deps.sh --test)"
	exit 77
fi
CHECK="$PY $KITH_SRCDIR/scripts/sql-check.py --srcdir $KITH_SRCDIR --builddir $(dirname "$KITH_BIN")"

# a short folder of its own: a unix socket's path is at most 107 bytes
PGD=$(mktemp -d /tmp/kith-pg.XXXXXX)
stop_pg() {
	sh "$KITH_SRCDIR/scripts/pg-stop.sh" "$PGD" >/dev/null 2>&1
	rm -rf "$PGD"
	cleanup
}
trap stop_pg EXIT
DSN=$(sh "$KITH_SRCDIR/scripts/pg-start.sh" "$PGD" 2>"$T/pg-start.err")
assert_ok '[ -n "$DSN" ] && psql -X -tAc "SELECT current_user" "$DSN" | grep -qx kith' \
	"pg-start.sh starts a private cluster and prints a DSN to connect as kith"
assert_ok '[ "$(sh "$KITH_SRCDIR/scripts/pg-start.sh" "$PGD")" = "$DSN" ]' \
	"pg-start.sh run again leaves it running and prints the same DSN"
assert_ok '[ -S "$PGD/sock/.s.PGSQL.5432" ] && ! grep -q "^listen_addresses = '"'"'[^'"'"']" "$PGD/pg/postgresql.conf"' \
	"the cluster listens on a unix socket in its folder only"

$CHECK --print-schema >"$T/schema.sql"
psql -X -q -1 -v ON_ERROR_STOP=1 -f "$T/schema.sql" "$DSN" >"$T/schema.out" 2>&1
assert_ok '[ $? -eq 0 ] && [ "$(psql -X -tAc "SELECT count(*) FROM pg_tables WHERE schemaname='"'"'public'"'"'" "$DSN")" -ge 37 ]' \
	"the PostgreSQL schema (db_pg_schema.c) loads in one transaction"

write_conf "maildir:$T/maildir" "[storage]" "backend = sqlite"
kith init >/dev/null
$CHECK --sqlite "$T/var/kith.db" --dsn "$DSN" >"$T/check.out" 2>&1
rc=$?
sed -n '/^FAIL\|^UNRESOLVED\|^STALE\|^SCHEMA/{p;n;p;n;p}' "$T/check.out" | head -n 60
TOTAL=$(tail -n 1 "$T/check.out")
echo "# $TOTAL"
n=$(echo "$TOTAL" | sed -n 's/^sql-check: \([0-9]*\) statements.*/\1/p')
assert_ok '[ "${n:-0}" -ge 300 ]' "the checker finds the modules' statements ($n)"
assert_ok 'echo "$TOTAL" | grep -q " 0 unresolved;"' \
	"every SQL argument resolves to its text (macros, ?:, arrays, parameters, xasprintf)"
assert_ok 'echo "$TOTAL" | grep -q "sqlite: 0 failed;"' \
	"every statement prepares on sqlite"
assert_ok 'echo "$TOTAL" | grep -q " 0 schema differences;"' \
	"the PostgreSQL schema has sqlite's tables, columns and indexes"
assert_ok 'echo "$TOTAL" | grep -q "postgresql: 0 failed, [0-9]* allowlisted, 0 stale"' \
	"every statement not in sql-check.allow prepares on PostgreSQL"
assert_ok '[ $rc -eq 0 ]' "sql-check.py exits 0"

# The checker fails on an unported statement: a module of one file with
# sqlite's dialect, its file and line named.
mkdir -p "$T/src0/src"
cp -R "$KITH_SRCDIR/include" "$T/src0/include"
cat >"$T/src0/src/bad.c" <<'C'
#include "kith/db.h"
int bad(struct db *db);
int
bad(struct db *db)
{
	return db_exec(db, "INSERT OR IGNORE INTO member_tags(member_id, "
	    "tag) VALUES (?, ?)", "it", (long long)1, "x");
}
C
$PY "$KITH_SRCDIR/scripts/sql-check.py" --srcdir "$T/src0" \
	--builddir "$(dirname "$KITH_BIN")" --allow /dev/null \
	--sqlite "$T/var/kith.db" --dsn "$DSN" >"$T/bad.out" 2>&1
rc=$?
assert_ok '[ $rc -ne 0 ] && grep -q "^FAIL postgresql src/bad.c:6 " "$T/bad.out" && grep -q "postgresql: 1 failed" "$T/bad.out"' \
	"an INSERT OR IGNORE fails the check on PostgreSQL, with its file and line"
finish
