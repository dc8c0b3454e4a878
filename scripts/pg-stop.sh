#!/bin/sh
# pg-stop.sh DIR - stop the private cluster scripts/pg-start.sh DIR started
# (fast shutdown: open sessions are ended).  Nothing to stop is no error.
set -eu
# The server runs on the real clock: .ci/run preloads libfaketime into
# the whole dated suite, and the test clock is for kith (lib.sh).
unset LD_PRELOAD FAKETIME
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
[ $# -eq 1 ] || { echo "usage: pg-stop.sh DIR" >&2; exit 64; }
DATA=$1/pg
[ -s "$DATA/PG_VERSION" ] || exit 0
if [ "$(id -u)" = 0 ]; then
	OWNER=$(stat -c %U "$DATA")
	runuser -u "$OWNER" -- "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1 ||
		exit 0
	runuser -u "$OWNER" -- "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
else
	"$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1 || exit 0
	"$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
fi
