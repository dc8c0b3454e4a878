#!/bin/sh
# The README's shared-group setup (issue 11, A13): the MTA runs
# 'kith receive' as one user, cron runs 'kith cron' as another, both in
# one group that owns the data directory (mode 2770).  Every file Kith
# creates there must work for both: receive, deliver and cron in turn,
# as each user, through a real SMTP sink.

# libfaketime keeps a semaphore per process in /dev/shm; one that a
# killed root process left under the same PID refuses another user.  The
# test runs with a /dev/shm of its own (it needs root anyway).
if [ -z "${KITH_T24_NS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	KITH_T24_NS=1 exec unshare -m sh -c 'mount -t tmpfs -o mode=1777 tmpfs /dev/shm; exec sh "$0"' "$0"
fi
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v useradd >/dev/null || ! command -v setpriv >/dev/null; then
	echo "SKIP: needs root, useradd and setpriv to create two real users"
	exit 77
fi
suffix=$$
G=kithg$suffix
A=kitha$suffix		# the owner: kith init, cron
M=kithm$suffix		# the MTA's pipe user: kith receive
groupadd "$G" || exit 99
useradd -M -N -g nogroup -G "$G" -s /bin/sh "$A" || exit 99
useradd -M -N -g nogroup -G "$G" -s /bin/sh "$M" || exit 99
trap 'cleanup; userdel "$A"; userdel "$M"; groupdel "$G"' EXIT
chmod 755 "$T"

# as USER ARGS... - one kith call as USER (with its groups), on the clock.
# libfaketime is loaded into kith only: loaded into setpriv (also from a
# run whose whole tree has it preloaded, as .ci/run's shifted-clock runs
# do) it would make its per-process semaphore as root under the PID kith
# then has.
as() {
	_u=$1
	shift
	LD_PRELOAD= FAKETIME= setpriv --reuid="$_u" --regid=nogroup --init-groups \
	    env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="@$NOW" "$KITH_BIN" "$@"
}
# mode_group FILE - "MODE GROUP" of FILE
mode_group() {
	stat -c '%a %G' "$1"
}

start_sink --pipelining
write_conf "smtp://127.0.0.1:$SINK_PORT"
chmod 644 "$KITH_CONF"

# ---- the setup the README gives ------------------------------------------
install -d -m 2770 -o "$A" -g "$G" "$T/var"
as "$A" init > "$T/init.out" 2>&1
assert_ok '[ $? = 0 ]' "kith init as $A in a 2770 data directory"
as "$A" list create team@example.org --owner alice@example.org >/dev/null
as "$A" member add team bob@example.org >/dev/null
sqlite_only "kith.db's mode (PostgreSQL keeps no database file in the data directory)" ||
	assert_ok '[ "$(mode_group "$T/var/kith.db")" = "660 $G" ]' "kith.db is group-writable: $(mode_group "$T/var/kith.db")"
assert_ok '[ "$(mode_group "$T/var/secret")" = "640 $G" ]' "the secret is group-readable, not writable: $(mode_group "$T/var/secret")"

n=0
# post_as USER - one new post through kith receive as USER; sets rc
post_as() {
	n=$((n + 1))
	printf 'From: alice@example.org\nTo: team@example.org\nSubject: shared %s\nMessage-ID: <shared-%s@x>\n\nhello\n' "$n" "$n" > "$T/p$n.eml"
	as "$1" receive -r team@example.org -f alice@example.org < "$T/p$n.eml" 2>>"$T/receive.err"
	rc=$?
}
post_as "$M"
assert_ok '[ $rc = 0 ]' "kith receive as the MTA user $M stores the post (exit $rc; it was 75): $(tail -n 1 "$T/receive.err")"
as "$A" deliver > "$T/d1" 2>&1
assert_ok '[ $? = 0 ] && [ "$(count bob@example.org)" = 1 ]' "kith deliver as $A sends it: $(cat "$T/d1")"
post_as "$A"
assert_ok '[ $rc = 0 ]' "kith receive as $A"
as "$M" deliver > "$T/d2" 2>&1
assert_ok '[ $? = 0 ] && [ "$(count bob@example.org)" = 2 ]' "kith deliver as $M: $(cat "$T/d2")"
assert_ok '[ "$(mode_group "$T/var/journal")" = "2770 $G" ]' "the journal directory is the group's: $(mode_group "$T/var/journal")"
post_as "$M"
assert_ok '[ $rc = 0 ]' "kith receive as $M again"
as "$A" cron > "$T/c1" 2>&1
assert_ok '[ $? = 0 ] && [ "$(count bob@example.org)" = 3 ]' "kith cron as $A: $(cat "$T/c1")"
post_as "$A"
assert_ok '[ $rc = 0 ]' "kith receive as $A again"
as "$M" cron > "$T/c2" 2>&1
assert_ok '[ $? = 0 ] && [ "$(count bob@example.org)" = 4 ]' "kith cron as $M (the lock $A made): $(cat "$T/c2")"
assert_ok '[ "$(mode_group "$T/var/cron.lock")" = "660 $G" ]' "cron.lock is group-writable: $(mode_group "$T/var/cron.lock")"

# deliver_on_receive: each user's receive starts delivery and logs to
# the same deliver.log.
sed -i 's/deliver_on_receive = off/deliver_on_receive = on/' "$KITH_CONF"
post_as "$M"
rc1=$rc
post_as "$A"
assert_ok '[ $rc1 = 0 ] && [ $rc = 0 ]' "with deliver_on_receive, both users' receives (exit $rc1, $rc): $(tail -n 2 "$T/receive.err" | tr '\n' ' ')"
wait_sink 6 10
assert_ok '[ "$(count bob@example.org)" = 6 ]' "start a delivery that sends ($(count bob@example.org) of 6)"
assert_ok '[ "$(mode_group "$T/var/deliver.log")" = "660 $G" ]' "deliver.log is group-writable: $(mode_group "$T/var/deliver.log")"
sed -i 's/deliver_on_receive = on/deliver_on_receive = off/' "$KITH_CONF"

# DKIM: the key kith dkim keygen writes is readable by the group, so
# either user's delivery signs.
as "$A" dkim keygen example.org --selector s1 >/dev/null
printf '[dkim]\ndomain = example.org\nselector = s1\n' >> "$KITH_CONF"
assert_ok '[ "$(mode_group "$T/var/dkim/s1.example.org.pem")" = "640 $G" ]' "the DKIM key is group-readable: $(mode_group "$T/var/dkim/s1.example.org.pem")"
post_as "$A"
assert_ok '[ $rc = 0 ]' "a post for signing"
as "$M" deliver > "$T/d3" 2>&1
assert_ok '[ $? = 0 ] && [ "$(count bob@example.org)" = 7 ] && grep -q "^DKIM-Signature:" "$(last bob@example.org)"' "kith deliver as $M signs with it: $(cat "$T/d3")"
sed -i '/^\[dkim\]/,$d' "$KITH_CONF"

# ---- an installation made before, repaired -------------------------------
# A private data directory (what kith init made so far): the MTA user is
# refused.  Made group-writable and set-group-ID, 'kith init' again
# repairs what is there.
reset_site
install -d -m 750 -o "$A" -g "$G" "$T/var"
as "$A" init >/dev/null 2>&1
as "$A" list create team@example.org --owner alice@example.org >/dev/null
as "$A" member add team bob@example.org >/dev/null
as "$A" cron >/dev/null 2>&1
if sqlite_only "kith.db's private mode"; then
	assert_ok '[ "$(stat -c %a "$T/var/secret")" = 600 ]' "a private data directory keeps private modes ($(stat -c %a "$T/var/secret"))"
else
	assert_ok '[ "$(stat -c %a "$T/var/secret")" = 600 ] && [ "$(stat -c %a "$T/var/kith.db")" = 644 ]' "a private data directory keeps private modes ($(stat -c %a "$T/var/kith.db"), $(stat -c %a "$T/var/secret"))"
fi
post_as "$M"
if [ -n "$PG_DB" ]; then
	# no database file: the role in the DSN decides, the post is kept
	assert_ok '[ $rc = 0 ]' "on PostgreSQL the MTA user's receive stores the post there too (exit $rc)"
	kept=1
else
	assert_ok '[ $rc = 75 ]' "and the MTA user gets 75 there"
	kept=0
fi
chmod 2770 "$T/var"
as "$A" init >/dev/null 2>&1
if sqlite_only "kith.db's repaired mode"; then
	assert_ok '[ "$(mode_group "$T/var/secret")" = "640 $G" ] && [ "$(mode_group "$T/var/cron.lock")" = "660 $G" ]' "after chmod 2770, kith init again repairs the modes"
else
	assert_ok '[ "$(mode_group "$T/var/kith.db")" = "660 $G" ] && [ "$(mode_group "$T/var/secret")" = "640 $G" ] && [ "$(mode_group "$T/var/cron.lock")" = "660 $G" ]' "after chmod 2770, kith init again repairs the modes"
fi
post_as "$M"
assert_ok '[ $rc = 0 ]' "and the MTA user's receive works"
as "$M" cron > "$T/c3" 2>&1
assert_ok '[ $? = 0 ] && [ "$(count bob@example.org)" = $((8 + kept)) ]' "cron as $M sends it: $(cat "$T/c3")"
finish
