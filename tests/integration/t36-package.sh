#!/bin/sh
# The Debian package on this machine: KITH_DEB=/path/kith_VERSION_amd64.deb
# (built by .ci/run with dpkg-buildpackage) is installed with apt-get;
# the user, the directories and their modes are checked, no unit is
# enabled, `kith check` passes and a post goes through the installed
# binary to the test sink; removing keeps the data, purging deletes it.
# Not part of `make check` (it installs system-wide): .ci/run runs it.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

if [ -z "${KITH_DEB:-}" ] || [ ! -f "$KITH_DEB" ]; then
	echo "SKIP: no package to install (KITH_DEB=/path/kith_VERSION_amd64.deb)"
	exit 77
fi
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: installing a package needs root"
	exit 77
fi
if dpkg-query -W -f='${Status}' kith 2>/dev/null | grep -q 'install ok installed'; then
	echo "SKIP: a kith package is installed already; this test would remove it"
	exit 77
fi

t36_cleanup() {
	if dpkg-query -W -f='${Status}' kith 2>/dev/null | grep -q installed; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq kith >/dev/null 2>&1
	fi
	cleanup
}
trap t36_cleanup EXIT
trap 'exit 1' INT TERM

# ik ARGS - the installed kith, as the kith user, at the test's clock
ik() {
	runuser -u kith -- env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="@$NOW" \
	    FAKETIME_DONT_FAKE_MONOTONIC=1 KITH_CONF="$IK_CONF" /usr/bin/kith "$@"
}

case $KITH_DEB in /*) deb=$KITH_DEB;; *) deb=$(pwd)/$KITH_DEB;; esac
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$T/apt.out" 2>&1
rc=$?
assert_ok '[ $rc = 0 ]' "apt-get install ./$(basename "$deb") ($(tail -n 2 "$T/apt.out" | tr '\n' ' ' | head -c 200))"
assert_ok '[ -x /usr/bin/kith ] && [ -f /usr/share/man/man8/kith-serve.8.gz ] &&
	[ -f /usr/share/kith/templates/en/LANGUAGE ] &&
	[ -f /usr/lib/systemd/system/kith-serve.service ] &&
	[ -f /usr/lib/systemd/system/kith-cron.timer ]' \
	"the binary, man pages, templates and systemd units are installed"
assert_ok '[ "$(id -u kith)" -lt 1000 ] && [ "$(getent passwd kith | cut -d: -f6)" = /var/lib/kith ]' \
	"a system user kith, at home in /var/lib/kith"
assert_ok '[ "$(stat -c "%a %U %G" /var/lib/kith)" = "750 kith kith" ]' \
	"/var/lib/kith is kith's, 0750 ($(stat -c '%a %U %G' /var/lib/kith))"
assert_ok '[ "$(stat -c "%a %U" /var/lib/kith/secret)" = "600 kith" ] && [ -f /var/lib/kith/kith.db ]' \
	"the database is made, the site secret is 0600 ($(stat -c '%a %U' /var/lib/kith/secret 2>&1))"
assert_ok '[ "$(stat -c "%a %U %G" /etc/kith/kith.conf)" = "640 root kith" ]' \
	"/etc/kith/kith.conf: root's, kith's group reads it ($(stat -c '%a %U %G' /etc/kith/kith.conf))"
assert_ok '! ls /etc/systemd/system/*.wants/kith* >/dev/null 2>&1' \
	"no unit is enabled before the admin configures the site"

IK_CONF=/etc/kith/kith.conf
ik check >"$T/check.out" 2>&1
rc=$?
assert_ok '[ $rc = 0 ]' "kith check passes with the shipped configuration ($(tail -n 1 "$T/check.out"))"

# A post through the installed binary, delivered to the test sink: a
# configuration of the test's own for the same data directory.
chmod 755 "$T"
start_sink
IK_CONF=$T/kith.conf
cat > "$IK_CONF" <<EOF
[site]
domain = lists.example.org
data_dir = /var/lib/kith
transport = smtp://127.0.0.1:$SINK_PORT
deliver_on_receive = off
[smtp]
tls = off
EOF
chmod 644 "$IK_CONF"
ik list create team@lists.example.org --owner alice@example.net --name Team >/dev/null
ik member add team bob@example.net >/dev/null
printf 'From: <alice@example.net>\nTo: <team@lists.example.org>\nSubject: from the package\nMessage-ID: <t36@example.net>\n\nHello.\n' > "$T/post.eml"
chmod 644 "$T/post.eml"
ik receive -r team@lists.example.org -f alice@example.net < "$T/post.eml" 2>"$T/receive.err"
rc=$?
assert_ok '[ $rc = 0 ]' "kith receive (installed) stores the post: exit 0 ($(cat "$T/receive.err"))"
ik deliver >/dev/null 2>&1
wait_sink 2 20
assert_ok '[ "$(count bob@example.net)" = 1 ] && [ "$(count alice@example.net)" = 1 ]' \
	"kith deliver (installed) sends it to both members"
f=$(last bob@example.net)
assert_ok '[ -n "$f" ] && $MT header "$f" List-Id | grep -q "<team.lists.example.org>$"' \
	"the copy is the list's ($( [ -n "$f" ] && $MT header "$f" List-Id))"

DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq kith >"$T/apt.out" 2>&1
assert_ok '[ ! -e /usr/bin/kith ] && [ -f /var/lib/kith/kith.db ] && [ -f /etc/kith/kith.conf ]' \
	"apt-get remove: the program goes, the data and the configuration stay"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq kith >"$T/apt.out" 2>&1
assert_ok '[ ! -e /var/lib/kith ] && [ ! -e /etc/kith ]' "apt-get purge: the data and the configuration are gone"
finish
