#!/bin/sh
# build.sh - install build dependencies, configure and build Kith in place.
# Extra ./configure arguments may be given.  Idempotent.
set -e
cd "$(dirname "$0")/.."
./scripts/setup-deps.sh ${KITH_DEPS:-}
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
	autoreconf -fi >/dev/null
fi
./configure --enable-werror "$@" >/dev/null
make -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
echo "built ./kith ($(./kith --version))"
