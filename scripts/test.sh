#!/bin/sh
# test.sh - install everything the tests need, build, run the whole suite
# (unit tests with Check, integration tests against a real SMTP server),
# then the integration tests once more with every site on PostgreSQL
# (KITH_TEST_BACKEND=postgresql, a private cluster started here with
# scripts/pg-start.sh in a temporary folder and stopped at the end), and
# print the totals of both runs as "N passed, N failed".  Extra arguments
# go to ./configure (CI uses this for the sanitizer build).  Idempotent.
# KITH_TEST_POSTGRESQL=no leaves the PostgreSQL run out.
set -e
cd "$(dirname "$0")/.."
KITH_DEPS=--test ./scripts/build.sh "$@"
set +e
make -j2 check >/dev/null 2>&1
rc=$?
line=$(./scripts/test-totals.sh)
if [ $rc -ne 0 ]; then
	echo "some tests failed; see test-suite.log and tests/*/*.log" >&2
	grep -h '^not ok\|:F:\|:E:' tests/unit/*.log tests/integration/*.log 2>/dev/null | head -n 40 >&2
fi
[ "${KITH_TEST_POSTGRESQL:-yes}" = no ] && { echo "$line"; exit $rc; }
echo "sqlite: $line"

# The integration suite on PostgreSQL.  Its logs go to
# tests/integration/postgresql/; the sqlite run's stay where they were.
pgdir=$(mktemp -d /tmp/kith-pg.XXXXXX)	# short: a unix socket's path
saved=$(mktemp -d)
trap 'sh scripts/pg-stop.sh "$pgdir" >/dev/null 2>&1; rm -rf "$pgdir" "$saved"' EXIT
trap 'exit 1' INT TERM
mv test-suite.log tests/integration/*.log tests/integration/*.trs "$saved"/ 2>/dev/null
if dsn=$(sh scripts/pg-start.sh "$pgdir"); then
	KITH_TEST_BACKEND=postgresql KITH_TEST_PG_DSN=$dsn \
		make -j2 check TESTS='$(INTEGRATION_TESTS)' >/dev/null 2>&1
	pgrc=$?
	pgline=$(./scripts/test-totals.sh --integration)
	rm -rf tests/integration/postgresql
	mkdir tests/integration/postgresql
	mv test-suite.log tests/integration/*.log tests/integration/*.trs \
		tests/integration/postgresql/ 2>/dev/null
else
	pgrc=1
	pgline="0 passed, 1 failed"	# the cluster did not start
fi
mv "$saved"/test-suite.log . 2>/dev/null
mv "$saved"/* tests/integration/ 2>/dev/null
echo "postgresql: $pgline"
if [ $pgrc -ne 0 ]; then
	echo "some tests failed on PostgreSQL; see tests/integration/postgresql/*.log" >&2
	grep -h '^not ok' tests/integration/postgresql/*.log 2>/dev/null | head -n 40 >&2
	rc=1
fi
# the sum, the last line as CI reads it
set -- $(echo "$line $pgline" | tr -cs '0-9' ' ')
echo "$(($1 + $3)) passed, $(($2 + $4)) failed"
exit $rc
