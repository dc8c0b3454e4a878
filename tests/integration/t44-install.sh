#!/bin/sh
# make install into a DESTDIR from the build tree (nothing is rebuilt):
# the binary, man pages, templates, systemd units naming the installed
# paths, the sample kith.conf (0640, never overwritten, removed on
# uninstall only while unchanged); prefix and sysconfdir given to make;
# the binary looks for SYSCONFDIR/kith/kith.conf.  (make distcheck runs
# in .ci/run.)
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

B=$(dirname "$KITH_BIN")
if [ ! -f "$B/Makefile" ]; then
	echo "SKIP: no Makefile beside $KITH_BIN"
	exit 77
fi
# m ARGS - make in the build tree, on its own (not the caller's jobs),
# on the real clock: under the dated runs' libfaketime a make spawns
# hundreds of shells, and one whose PID had left a stale semaphore
# (/dev/shm/sem.faketime_sem_PID) failed ("libfaketime: sem_name was
# ..."), leaving files behind (CI, 2027 and 2030 runs)
m() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u LD_PRELOAD -u FAKETIME make -s -C "$B" "$@"; }
# var NAME - a variable of the build tree's Makefile, expanded
var() { printf 'include Makefile\nprint-%%:\n\t@echo $($*)\n' | m -f - "print-$1"; }
prefix=$(var prefix)
etc=$(var sysconfdir)
state=$(var localstatedir)
unitdir=$(var systemdunitdir)

R=$T/root
m install DESTDIR="$R" >"$T/install.out" 2>&1
rc=$?
assert_ok '[ $rc = 0 ]' "make install DESTDIR=... ($(tail -n 1 "$T/install.out"))"
assert_ok '[ -x "$R$prefix/bin/kith" ] && cmp -s "$R$prefix/bin/kith" "$KITH_BIN"' \
	"the binary, in $prefix/bin"
assert_ok '[ -f "$R$prefix/share/man/man1/kith.1" ] && [ -f "$R$prefix/share/man/man5/kith.conf.5" ] &&
	[ -f "$R$prefix/share/man/man8/kith-serve.8" ]' "the man pages kith(1), kith.conf(5), kith-serve(8)"
# Each page formats without a groff warning: the check lintian makes of
# the Debian package (groff-message), as lintian runs it; man runs on the
# real clock (libfaketime, when .ci/run preloads it, would speak on stderr).
if command -v man >/dev/null 2>&1; then
	for page in man1/kith.1 man5/kith.conf.5 man8/kith-serve.8; do
		w=$(env -u LD_PRELOAD -u FAKETIME LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z \
		    "$R$prefix/share/man/$page" 2>&1 >/dev/null)
		assert_ok '[ -z "$w" ]' "man $page formats without a warning ($w)"
	done
else
	echo "# (man is not installed: the pages are not formatted)"
fi
assert_ok '[ -f "$R$prefix/share/kith/templates/en/LANGUAGE" ] &&
	[ "$(cd "$KITH_SRCDIR/templates" && find . -type f | wc -l)" = "$(cd "$R$prefix/share/kith/templates" && find . -type f | wc -l)" ]' \
	"every template, under $prefix/share/kith/templates"
assert_ok '[ -f "$R$prefix/share/doc/kith/README.md" ] && [ -f "$R$prefix/share/doc/kith/kith.crontab" ]' \
	"README and the crontab in the doc directory"
assert_ok '[ "$(stat -c %a "$R$etc/kith/kith.conf")" = 640 ] &&
	grep -q "^data_dir = $state/lib/kith$" "$R$etc/kith/kith.conf"' \
	"the sample $etc/kith/kith.conf, 0640, data in $state/lib/kith"
for u in kith-serve.service kith-cron.service kith-cron.timer; do
	assert_ok '[ -f "$R$unitdir/$u" ]' "the unit $u in $unitdir"
done
assert_ok 'grep -qx "ExecStart=$prefix/bin/kith serve" "$R$unitdir/kith-serve.service" &&
	grep -qx "Environment=KITH_CONF=$etc/kith/kith.conf" "$R$unitdir/kith-serve.service" &&
	grep -qx "ReadWritePaths=$state/lib/kith" "$R$unitdir/kith-serve.service" &&
	grep -qx "ExecStart=$prefix/bin/kith cron" "$R$unitdir/kith-cron.service"' \
	"the units name the installed binary, configuration and data directory"

# an admin's kith.conf survives a second install, and uninstall
echo "# mine" >> "$R$etc/kith/kith.conf"
m install DESTDIR="$R" >"$T/install.out" 2>&1
assert_ok 'tail -n 1 "$R$etc/kith/kith.conf" | grep -qx "# mine"' \
	"a second make install keeps the changed kith.conf"
m uninstall DESTDIR="$R" >"$T/uninstall.out" 2>&1
rc=$?
assert_ok '[ $rc = 0 ] && [ "$(cd "$R" && find . -type f)" = "./${etc#/}/kith/kith.conf" ]' \
	"make uninstall removes everything but the changed kith.conf (exit $rc; left: $(cd "$R" && find . -type f | head -n 3 | tr '\n' ' ')$(tail -n 2 "$T/uninstall.out" | tr '\n' ' '))"

# prefix and sysconfdir given to make
R2=$T/root2
m install DESTDIR="$R2" prefix=/opt/kith sysconfdir=/etc/opt/kith \
    localstatedir=/var/opt/kith >"$T/install.out" 2>&1
rc=$?
assert_ok '[ $rc = 0 ] && [ -x "$R2/opt/kith/bin/kith" ] && [ -f "$R2/opt/kith/share/kith/templates/en/LANGUAGE" ] &&
	[ -f "$R2/opt/kith/share/man/man1/kith.1" ] && [ -f "$R2/etc/opt/kith/kith/kith.conf" ]' \
	"make install prefix=/opt/kith sysconfdir=/etc/opt/kith puts everything there"
# (the unit directory follows prefix unless configure was told one)
case $(sed -n 's/^systemdunitdir = //p' "$B/Makefile") in
'${prefix}'/*) u2=$R2/opt/kith${unitdir#"$prefix"};;
*) u2=$R2$unitdir;;
esac
assert_ok 'grep -qx "ExecStart=/opt/kith/bin/kith serve" "$u2/kith-serve.service" &&
	grep -qx "Environment=KITH_CONF=/etc/opt/kith/kith/kith.conf" "$u2/kith-serve.service" &&
	grep -q "^data_dir = /var/opt/kith/lib/kith$" "$R2/etc/opt/kith/kith/kith.conf"' \
	"the units and the sample follow them"
m uninstall DESTDIR="$R2" prefix=/opt/kith sysconfdir=/etc/opt/kith \
    localstatedir=/var/opt/kith >/dev/null 2>&1
assert_ok '[ -z "$(find "$R2" -type f)" ]' "make uninstall with the same values leaves no file"

# Without --config, KITH_CONF or ./kith.conf, kith reads the installed
# sample: configure's sysconfdir, then /etc/kith/kith.conf.
if [ -e "$etc/kith/kith.conf" ] || [ -e /etc/kith/kith.conf ]; then
	echo "# (a kith.conf is installed on this machine: the search is not checked)"
else
	mkdir "$T/empty"
	(cd "$T/empty" && env -u KITH_CONF KITH_HOME="$T/var" "$KITH_BIN" init >/dev/null 2>&1 &&
	    env -u KITH_CONF KITH_HOME="$T/var" "$KITH_BIN" check 2>/dev/null) >"$T/check.out"
	assert_ok 'grep -q "^# configuration file: none (not in ./kith.conf, $etc/kith/kith.conf or /etc/kith/kith.conf)" "$T/check.out" ||
		{ [ "$etc" = /etc ] && grep -q "^# configuration file: none (not in ./kith.conf or /etc/kith/kith.conf)" "$T/check.out"; }' \
		"kith looks for $etc/kith/kith.conf ($(head -n 1 "$T/check.out"))"
fi
finish
