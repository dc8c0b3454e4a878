#!/bin/sh
# setup-deps.sh - install the Debian packages Kith needs to build, run and test.
# Idempotent: apt-get skips what is already installed. Run as root.
set -e
BUILD="build-essential autoconf automake libtool pkg-config \
libetpan-dev libssl-dev libsqlite3-dev libical-dev libmicrohttpd-dev zlib1g-dev check \
tzdata ca-certificates libsasl2-modules sqlite3 \
libunbound-dev libpsl-dev publicsuffix"
TEST="python3 python3-aiosmtpd swaks libfaketime python3-icalendar python3-dkim procps openssl chromium chromium-driver python3-selenium fonts-dejavu-core mlmmj unbound python3-feedparser"
# bench/*.sh: load generators (not needed to build or test)
BENCH="wrk public-inbox"
pkgs="$BUILD"
[ "${1:-}" = "--test" ] && pkgs="$BUILD $TEST"
[ "${1:-}" = "--bench" ] && pkgs="$BUILD $BENCH"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
		|| missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "setup-deps: need root to install:$missing" >&2
	exit 77
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
