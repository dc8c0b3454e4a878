#!/bin/sh
# Kith's main job on the PostgreSQL backend ([storage] backend =
# postgresql), on a private cluster (scripts/pg-start.sh: initdb in the
# test's folder, a unix socket only): kith init makes the schema, a list
# and its members, a post through kith receive, kith deliver to a real
# SMTP server, the copies read with Python's email package and the rows
# read with psql; moderation, a digest, an unsubscribe by mail; the
# backend's unit tests (test_db_pg.c) on the same cluster.
# It starts its own PostgreSQL cluster and sets each site's storage
# itself: the suite's PostgreSQL pass (KITH_TEST_BACKEND) adds nothing.
OWN_CLUSTER=1
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

own_cluster
# psql as kith reads them: one value per line, columns split by |
pq() { "$PGBIN/psql" "$DSN" -XtAq -c "$1"; }
is_member() { [ "$(pq "SELECT count(*) FROM members WHERE address='$1'")" = 1 ]; }
not_member() { [ "$(pq "SELECT count(*) FROM members WHERE address='$1'")" = 0 ]; }

start_sink
write_conf "smtp://127.0.0.1:$SINK_PORT" "[storage]" "backend = postgresql" \
	"dsn = $DSN"

# 1. kith init makes the schema in PostgreSQL; again, it finds it made.
out=$(kith init 2>&1)
rc=$?
assert_ok '[ $rc = 0 ]' "kith init exits 0 on PostgreSQL"
assert_ok 'printf "%s\n" "$out" | grep -qx "database: *postgresql:$DSN (schema 23)"' "kith init names the database: $(printf '%s\n' "$out" | grep database)"
assert_ok '[ "$(pq "SELECT version FROM kith_schema")" = 23 ]' "kith_schema holds version 23"
assert_ok '[ ! -e "$T/var/kith.db" ]' "no sqlite file is made"
assert_ok '[ "$(pq "SELECT count(*) FROM pg_tables WHERE schemaname='"'public'"' AND tablename IN ('"'lists'"', '"'members'"', '"'posts'"', '"'outbox'"', '"'outbox_messages'"', '"'held'"', '"'digests'"')")" = 7 ]' "the modules' tables are there"
kith init >/dev/null 2>&1
assert_ok '[ $? = 0 ] && [ "$(pq "SELECT count(*) || '"'/'"' || max(version) FROM kith_schema")" = 1/23 ]' "kith init again: exit 0, the schema as it was"
assert_ok 'kith check 2>/dev/null | grep -qx "# database: ok (postgresql, schema 23)"' "kith check reports the backend and the schema"

# The configuration's errors: one line, exit 78; a server that does not
# answer: exit 75 and a line naming where, never the password.
cp "$KITH_CONF" "$T/good.conf"
printf '[storage]\nbackend = postgresql\n' > "$T/nodsn.conf"
out=$(KITH_CONF=$T/nodsn.conf kith list ls 2>&1)
rc=$?
assert_ok '[ $rc = 78 ] && [ "$(printf "%s\n" "$out" | wc -l)" = 1 ] && printf "%s\n" "$out" | grep -q "needs dsn"' "backend = postgresql without dsn: exit 78, one line ($out)"
printf '[storage]\nbackend = oracle\n' > "$T/bad.conf"
out=$(KITH_CONF=$T/bad.conf kith list ls 2>&1)
assert_ok '[ $? = 78 ] && printf "%s\n" "$out" | grep -q "backend must be sqlite or postgresql"' "an unknown backend: exit 78 ($out)"
printf '[site]\ndata_dir = %s/var\n[storage]\nbackend = postgresql\ndsn = host=%s/nosock dbname=kith user=kith password=s3cret\n' "$T" "$T" > "$T/down.conf"
out=$(KITH_CONF=$T/down.conf kith list ls 2>&1)
rc=$?
assert_ok '[ $rc = 75 ] && printf "%s\n" "$out" | grep -q "cannot connect to PostgreSQL (host=$T/nosock port=5432 dbname=kith user=kith)" && ! printf "%s\n" "$out" | grep -q s3cret' "no server: exit 75, where it went, no password ($out)"
assert_ok 'KITH_CONF=$T/down.conf kith check 2>/dev/null | grep -q "^dsn = .*password=(set)"; ! KITH_CONF=$T/down.conf kith check 2>&1 | grep -q s3cret' "kith check shows the dsn's password as (set)"

# 2. A list and its members.
kith list create team@example.org --owner alice@example.org --name Team >/dev/null
kith member add team bob@example.org --name Bob >/dev/null
kith member add team carol@example.org --name Carol >/dev/null
kith list set team subject_prefix "[team]" >/dev/null
assert_ok '[ "$(pq "SELECT count(*) FROM members m JOIN lists l ON l.id=m.list_id WHERE l.address='"'team@example.org'"'")" = 3 ]' "the list and three members are rows in PostgreSQL"
assert_ok 'kith member ls team | grep -q bob@example.org' "kith member ls reads them back"

# 3. A post through kith receive, delivered over SMTP.
DATA=$KITH_SRCDIR/tests/data
rc=$(post "$DATA/greek-korean-pdf.eml")
assert_ok '[ "$rc" = 0 ]' "kith receive exits 0 for a member's post"
assert_ok '[ "$(pq "SELECT count(*) FROM posts WHERE message_id='"'greek-korean-1@example.org'"'")" = 1 ]' "the post is a row in posts"
assert_ok '[ "$(pq "SELECT state, count(*) FROM outbox GROUP BY state")" = "pending|3" ]' "three outbox rows pending"
assert_ok '[ "$(pq "SELECT length(raw) FROM posts")" = "$(wc -c < "$DATA/greek-korean-pdf.eml")" ]' "the raw message is stored whole (bytea)"
rc=$(post "$DATA/greek-korean-pdf.eml")
assert_ok '[ "$rc" = 0 ] && [ "$(pq "SELECT count(*) FROM posts")" = 1 ] && [ "$(pq "SELECT count(*) FROM outbox")" = 3 ]' "the same Message-ID again: exit 0, nothing stored or queued twice"
out=$(kith deliver 2>>"$T/deliver.err")
assert_ok '[ "$out" = "3 sent, 0 deferred, 0 failed" ]' "kith deliver: $out"
assert_ok '[ "$(pq "SELECT state, count(*) FROM outbox GROUP BY state")" = "sent|3" ]' "the outbox rows are marked sent"
$PY "$HERE/verify_post.py" --sink "$SINK_DIR" --original "$DATA/greek-korean-pdf.eml" \
	--list team@example.org --prefix "[team]" \
	--members alice@example.org,bob@example.org,carol@example.org > "$T/verify.out"
vrc=$?
cat "$T/verify.out"
assert_ok '[ $vrc = 0 ]' "the copies at the sink pass every email-package check"
assert_ok 'kith archive show 1 | cmp -s - "$DATA/greek-korean-pdf.eml"' "kith archive show gives back the bytes received"
assert_ok '[ "$(kith archive ls team | wc -l)" = 1 ]' "kith archive ls: one post"

# 4. Moderation: a stranger's post is held, approved, delivered.
rm -f "$SINK_DIR"/*
send stranger@example.net team@example.org "Outsider" "Hello from outside."
assert_ok '[ $? = 0 ] && [ "$(pq "SELECT count(*) FROM held")" = 1 ]' "a stranger's post is held (a row in held)"
assert_ok 'kith mod ls team | grep -q "stranger@example.net .*not a member"' "kith mod ls shows it"
id=$(pq "SELECT id FROM held")
kith mod approve "$id" >/dev/null 2>&1
assert_ok '[ $? = 0 ] && [ "$(pq "SELECT count(*) FROM held")" = 0 ] && [ "$(pq "SELECT outcome FROM held_log")" = approved ]' "kith mod approve: the held row goes, held_log says approved"
kith deliver >/dev/null 2>&1
assert_ok '[ "$(count bob@example.org)" = 1 ] && $MT header "$(last bob@example.org)" Subject | grep -qx "\[team\] Outsider"' "the approved post reaches the members"
assert_ok '[ "$(pq "SELECT count(*) FROM posts")" = 2 ]' "and is archived"

# 5. A daily digest at 07:00 UTC for Carol.
kith member set team carol@example.org mode=digest-daily >/dev/null
kith list set team digest_time 07:00 >/dev/null
kith cron >/dev/null 2>&1
rm -f "$SINK_DIR"/*
send alice@example.org team@example.org "Digest topic" "For the digest."
assert_ok '[ "$(count carol@example.org)" = 0 ] && [ "$(count bob@example.org)" = 1 ]' "Carol (digest) gets no copy of the post, Bob does"
at "$(after 1d "$(date -u -d "$NOW" '+%Y-%m-%d') 07:00:30")" cron >/dev/null 2>>"$T/cron.err"
at "$(after 1d "$(date -u -d "$NOW" '+%Y-%m-%d') 07:01:00")" deliver >/dev/null 2>>"$T/cron.err"
assert_ok '[ "$(pq "SELECT count(*) FROM digests")" = 1 ]' "the cron issues one digest (a row in digests)"
assert_ok '[ "$(count carol@example.org)" = 1 ] && $MT header "$(last carol@example.org)" Subject | grep -q "Team Digest, Vol 1, Issue 1"' "Carol gets the digest"

# 6. An unsubscribe by mail to a copy's List-Unsubscribe.
unsub=$($MT header "$(last bob@example.org)" List-Unsubscribe | sed 's/^<mailto:\(.*\)>$/\1/')
assert_ok 'printf "%s\n" "$unsub" | grep -q "^team-unsubscribe+"' "Bob's copy carries his own unsubscribe address"
send bob@example.org "$unsub" "Unsubscribe" ""
assert_ok 'not_member bob@example.org' "mailing it leaves at once (no members row)"
assert_ok '$MT header "$(last bob@example.org)" Subject | grep -q "^Goodbye from Team"' "a goodbye mail arrives"
left_at=$(pq "SELECT at FROM member_log WHERE address='bob@example.org' AND event='left'")
assert_ok '[ -n "$left_at" ] && [ "$left_at" -ge "$(epoch)" ] && [ "$left_at" -lt $(($(epoch) + 60)) ]' "member_log records the leave (the schema's trigger) at Kith's time, not the server's ($left_at, $NOW)"

# 7. The backend itself, through db.h (tests/unit/test_db_pg.c).
if [ -x "$(dirname "$KITH_BIN")/tests/unit/run_unit" ]; then
	env -u LD_PRELOAD -u FAKETIME CK_RUN_SUITE=db_pg "KITH_TEST_PG_DSN=$DSN" "$(dirname "$KITH_BIN")/tests/unit/run_unit" > "$T/unit.out" 2>&1
	urc=$?
	tail -n 1 "$T/unit.out"
	assert_ok '[ $urc = 0 ] && grep -q "^100%: Checks: [1-9]" "$T/unit.out"' "the db_pg unit suite passes on the cluster"
else
	echo "# tests/unit/run_unit not built (make tests/unit/run_unit): the db_pg unit suite did not run"
fi
finish
