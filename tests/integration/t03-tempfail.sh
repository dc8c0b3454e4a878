#!/bin/sh
# Transient trouble makes kith receive exit 75 so the MTA retries, and
# the retry succeeds: the database held locked by another process, a
# missing database, an unreadable data directory.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink
setup_list "busy_timeout_ms = 300"
cat > "$T/post.eml" <<'MAIL'
From: Bob <bob@example.org>
To: team@example.org
Subject: while the database is locked
Message-ID: <locked-1@example.org>

Hello.
MAIL

# Another process holds the write lock until the test has seen kith
# give up (a condition, not a time: a loaded machine may be slow).
hold_write_lock "$T/locked" "$T/release"
locker=$!
i=0
while [ ! -e "$T/locked" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kith receive -r team@example.org -f bob@example.org < "$T/post.eml" 2>"$T/err"
rc=$?
assert_ok '[ $rc = 75 ]' "database locked by another process: exit 75 (got $rc)"
assert_ok 'grep -q "busy\|locked" "$T/err"' "the reason is one line on stderr: $(cat "$T/err")"
assert_ok '[ "$(db "SELECT count(*) FROM posts")" = 0 ]' "nothing half-stored"
kith cron >/dev/null 2>"$T/cron.err"
rc=$?
# sqlite: every write waits for the lock, the held posts' expiry too,
# and delivery stops the run (75).  PostgreSQL: the writers' lock is
# advisory and taken by transactions only; the expiry's housekeeping
# and delivery go on, and the jobs in transactions are not done.
if [ -n "$PG_DB" ]; then want="cron: not every job was done"; else want="cron: held posts: not done this time"; fi
assert_ok '[ $rc = 75 ] && grep -q "$want" "$T/cron.err"' "kith cron while another process holds the database: exit 75, saying what was not done (got $rc: $(tr '\n' '|' < "$T/cron.err"))"
touch "$T/release"
wait $locker
assert_ok '[ "$(post "$T/post.eml" team@example.org bob@example.org)" = 0 ]' "the MTA's retry succeeds: exit 0"
kith deliver >/dev/null
assert_ok '[ "$(sink_count)" = 3 ]' "after the retry the post reaches the 3 members"

# kith check asks the transport whether it takes mail (it said nothing,
# and deliver deferred every message)
kith check >"$T/check.out" 2>"$T/check.err"
rc=$?
assert_ok '[ $rc = 0 ] && grep -q "^# transport: smtp://127.0.0.1:[0-9]* takes mail$" "$T/check.out"' "kith check: the sink takes mail (exit $rc)"
sed 's|^transport = smtp://127.0.0.1:[0-9]*|transport = smtp://127.0.0.1:1|' "$KITH_CONF" > "$T/closed.conf"
KITH_CONF=$T/closed.conf kith check >/dev/null 2>"$T/check.err"
rc=$?
assert_ok '[ $rc = 0 ] && grep -q "warning: the transport smtp://127.0.0.1:1 does not take mail now (connect to 127.0.0.1:1: Connection refused): kith deliver keeps what it cannot send and retries" "$T/check.err"' "kith check with nothing on the transport's port: one warning that says why (exit $rc): $(cat "$T/check.err")"

# No database at all (data directory lost or not yet initialised): 75.
# On PostgreSQL: a database without Kith's schema in it.
if [ -n "$PG_DB" ]; then
	db "ALTER SCHEMA public RENAME TO away; CREATE SCHEMA public"
else
	mv "$T/var/kith.db" "$T/kith.db.away"
	rm -f "$T/var/kith.db-wal" "$T/var/kith.db-shm"
fi
kith receive -r team@example.org -f bob@example.org < "$T/post.eml" 2>"$T/err"
rc=$?
assert_ok '[ $rc = 75 ]' "missing database: exit 75, the MTA keeps the mail"
assert_ok 'grep -q "kith init" "$T/err"' "missing database: says to run 'kith init'"
if [ -n "$PG_DB" ]; then
	db "DROP SCHEMA public; ALTER SCHEMA away RENAME TO public"
else
	mv "$T/kith.db.away" "$T/var/kith.db"
fi
finish
