#!/bin/sh
# setup-deps.sh - install the Debian packages Kith needs to build, run and test.
# Idempotent: apt-get skips what is already installed. Run as root.
set -e
BUILD="build-essential autoconf automake libtool pkg-config \
libetpan-dev libssl-dev libsqlite3-dev libical-dev libmicrohttpd-dev zlib1g-dev check \
tzdata ca-certificates libsasl2-modules sqlite3 \
libunbound-dev libpsl-dev publicsuffix libpq-dev libidn2-dev"
TEST="python3 python3-aiosmtpd swaks libfaketime python3-icalendar python3-dkim procps openssl chromium chromium-driver python3-selenium fonts-dejavu-core mlmmj unbound python3-feedparser postfix strace man-db groff-base postgresql python3-psycopg2"
# bench/*.sh: load generators and the programs compared (not needed to
# build or test): Postfix's smtp-source, GNU Mailman 3, strace, public-inbox
BENCH="wrk public-inbox postfix dbconfig-no-thanks mailman3 strace"
# the Debian package (debian/, .ci/run's package step)
PACKAGE="debhelper dh-autoreconf lintian fakeroot dpkg-dev adduser"
pkgs="$BUILD"
[ "${1:-}" = "--test" ] && pkgs="$BUILD $TEST"
[ "${1:-}" = "--bench" ] && pkgs="$BUILD $BENCH"
[ "${1:-}" = "--package" ] && pkgs="$BUILD $PACKAGE"
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
# Postfix installed for the tests only: no system instance configured or
# started (t34 runs its own on 127.0.0.1)
case " $missing " in
*" postfix "*)
	echo "postfix postfix/main_mailer_type select No configuration" |
		debconf-set-selections;;
esac
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
