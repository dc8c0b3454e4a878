#!/bin/sh
# The MIME builder as a mail reader sees it: its golden files
# (tests/data/mime, written by tests/unit/test_mime.c with a seed) parsed
# with Python's email package: Korean, Greek and Czech names and
# subjects, RFC 2231 file names, every part's type and bytes, boundaries
# only where they belong.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

$PY "$HERE/verify_mime.py" "$KITH_SRCDIR/tests/data/mime" > "$T/golden"
r=$?
cat "$T/golden"
assert_ok '[ $r = 0 ] && [ "$(grep -c "^ok" "$T/golden")" -ge 100 ]' "Python's email reads every golden file as built ($(grep -c '^ok' "$T/golden") checks)"

finish
