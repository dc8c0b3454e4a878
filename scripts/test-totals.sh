#!/bin/sh
# test-totals.sh [--integration] - sum the results of the last `make
# check`: Check's "Checks: N, Failures: F, Errors: E" line and each
# integration test's "# P passed, F failed" line.  Prints "N passed, N
# failed".  --integration: the integration tests' logs only (after a
# `make check TESTS='$(INTEGRATION_TESTS)'`, when the unit log is older).
cd "$(dirname "$0")/.."
passed=0
failed=0
units=tests/unit/*.log
[ "${1:-}" = --integration ] && units=
for log in $units; do
	[ -f "$log" ] || continue
	line=$(grep -o 'Checks: [0-9]*, Failures: [0-9]*, Errors: [0-9]*' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		set -- $(echo "$line" | tr -dc '0-9 ')
		passed=$((passed + $1 - $2 - $3))
		failed=$((failed + $2 + $3))
	else
		failed=$((failed + 1))
	fi
done
for log in tests/integration/*.log; do
	[ -f "$log" ] || continue
	line=$(grep '^# [0-9]* passed, [0-9]* failed' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		set -- $(echo "$line" | tr -dc '0-9 ')
		passed=$((passed + $1))
		failed=$((failed + $2))
	elif ! grep -q '^SKIP' "$log"; then
		failed=$((failed + 1))	# the script died before its totals
	fi
done
echo "$passed passed, $failed failed"
