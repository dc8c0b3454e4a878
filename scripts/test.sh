#!/bin/sh
# test.sh - install everything the tests need, build, run the whole suite
# (unit tests with Check, integration tests against a real SMTP server)
# and print the totals as "N passed, N failed".  Extra arguments go to
# ./configure (CI uses this for the sanitizer build).  Idempotent.
set -e
cd "$(dirname "$0")/.."
KITH_DEPS=--test ./scripts/build.sh "$@"
set +e
make -j2 check >/dev/null 2>&1
rc=$?
./scripts/test-totals.sh
if [ $rc -ne 0 ]; then
	echo "some tests failed; see test-suite.log and tests/*/*.log" >&2
	grep -h '^not ok\|:F:\|:E:' tests/unit/*.log tests/integration/*.log 2>/dev/null | head -n 40 >&2
fi
exit $rc
