#!/bin/sh
# kith migrate sqlite-to-postgresql (issue 19): a lived-in sqlite site
# (a list, members who came and went, posts with an attachment and with
# 8-bit and NUL bytes, held posts, a digest waiting in the outbox, a
# deferred recipient, an event with RSVPs, a poll with votes, bounces,
# a newsletter draft) copied into a private PostgreSQL cluster
# (scripts/pg-start.sh); every table compared row by row and byte for
# byte (Python's sqlite3 and psycopg2); then kith.conf switched to
# PostgreSQL and the site still works: members, the old archive's bytes,
# the held post approved, the waiting mail delivered, a new post at the
# SMTP sink (read with Python's email), new ids after the old ones, the
# search index filled.  Refusals: a second run, a database with another
# site's data, a server that does not answer, a row that does not
# arrive (nothing kept), the site already on PostgreSQL.
# It starts its own PostgreSQL cluster and sets each site's storage
# itself: the suite's PostgreSQL pass (KITH_TEST_BACKEND) adds nothing.
OWN_CLUSTER=1
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

if ! $PY -c 'import psycopg2' 2>/dev/null; then
	echo "SKIP: python3-psycopg2 is not installed (scripts/setup-deps.sh --test)"
	exit 77
fi
own_cluster
pq() { "$PGBIN/psql" "$DSN" -XtAq -c "$1"; }
# another database on the same cluster, made by its superuser
newdb() {
	env -u LD_PRELOAD -u FAKETIME "$PGBIN/psql" -X -q -h "$PG_DIR/sock" -U postgres \
		-d postgres -c "CREATE DATABASE $1 OWNER kith" >/dev/null
}
DATA=$KITH_SRCDIR/tests/data
AR="Authentication-Results: mx.example.org; dkim=pass header.d=example.org"

# 1. The site, on sqlite.
start_sink
SITE_CONF="authserv_id = mx.example.org"
write_conf "smtp://127.0.0.1:$SINK_PORT" "$SITE_CONF"
kith init >/dev/null
kith list create team@example.org --owner alice@example.org --name Team >/dev/null
kith list set team subject_prefix "[team]" >/dev/null
for m in bob carol dave reject-me defer-me; do
	kith member add team $m@example.org --name "$m" >/dev/null
done
kith member rm team dave@example.org >/dev/null
kith member set team carol@example.org mode=digest-daily >/dev/null
kith list set team digest_time 07:00 >/dev/null
kith cron >/dev/null 2>&1
rc=$(post "$DATA/greek-korean-pdf.eml")
# 8-bit bytes in the header and the body, a NUL byte, bytes that are no
# UTF-8 at all
printf 'From: alice@example.org\nTo: team@example.org\nSubject: caf\351 cr\350me\nMessage-ID: <bytes-1@x>\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\nCaf\351 zebraword cr\350me, then a NUL \000 and \377\376\375 more\n' > "$T/bytes.eml"
rc2=$(post "$T/bytes.eml")
assert_ok '[ "$rc" = 0 ] && [ "$rc2" = 0 ] && [ "$(db "SELECT count(*) FROM posts")" = 2 ]' "two posts archived on sqlite (one with an attachment, one with 8-bit and NUL bytes)"
assert_ok '[ "$(db "SELECT instr(raw, X'"'00'"') > 0 FROM posts WHERE message_id='"'bytes-1@x'"'")" = 1 ]' "the NUL byte is in the stored message"
out=$(kith deliver 2>>"$T/deliver.err")
assert_ok 'printf "%s\n" "$out" | grep -qx "4 sent, 2 deferred, 2 failed"' "kith deliver: the 451 recipient deferred, the 550 one failed ($out)"
# two strangers' posts held: the second rejected, the first kept held
send stranger@example.net team@example.org "Outsider" "Hello from outside."
send other@example.net team@example.org "Spam" "Buy now."
kith mod reject "$(db "SELECT id FROM held WHERE sender='other@example.net'")" >/dev/null 2>&1
assert_ok '[ "$(db "SELECT count(*) FROM held")" = 1 ] && [ "$(db "SELECT count(*) FROM held_log")" = 1 ]' "one post held, one rejected (held_log)"
# an event, RSVPs by mail; a poll, votes by mail
ev=$(kith event create team --title Picnic --start "2026-06-20 12:00" --duration 2h --tz UTC 2>/dev/null)
for who in alice:yes bob:no; do
	send "${who%:*}@example.org" team-request@example.org "rsvp" "rsvp ${who#*:} $ev" "$AR"
done
poll=$(kith poll create team --question "Where?" --option Park --option Beach 2>/dev/null)
send alice@example.org team-request@example.org "x" "vote $poll 1" "$AR"
send bob@example.org team-request@example.org "x" "vote $poll 2" "$AR"
printf 'Hello {{member.name}}\n' > "$T/nl.txt"
kith newsletter create team --subject "June" --text "$T/nl.txt" >/dev/null 2>&1
# the daily digest issued for Carol while the relay is down: it waits
# in the outbox
stop_sink
at "2026-06-02 07:00:30" cron >/dev/null 2>>"$T/cron.err"
carol_waits=$(db "SELECT count(*) FROM outbox o JOIN outbox_messages m ON m.id=o.message_id WHERE o.rcpt='carol@example.org' AND m.kind='digest' AND o.state IN ('pending', 'deferred')")
assert_ok '[ "$carol_waits" = 1 ]' "Carol's digest is issued and waits in the outbox"
start_sink
write_conf "smtp://127.0.0.1:$SINK_PORT" "$SITE_CONF"
set_clock "2026-06-02 08:00:00"
for tbl in members posts held held_log events rsvps polls poll_votes bounces member_log digests outbox campaigns threads archive_months; do
	eval "n_$tbl=\$(db \"SELECT count(*) FROM $tbl\")"
done
assert_ok '[ "$n_rsvps" = 2 ] && [ "$n_poll_votes" = 2 ] && [ "$n_bounces" -ge 1 ] && [ "$n_digests" = 1 ] && [ "$n_campaigns" = 1 ] && [ "$n_member_log" -ge 7 ]' "the site has RSVPs ($n_rsvps), votes ($n_poll_votes), bounces ($n_bounces), a digest ($n_digests), a campaign, member_log history ($n_member_log)"
pending=$(db "SELECT count(*) FROM outbox WHERE state IN ('pending', 'deferred')")
assert_ok '[ "$pending" -ge 2 ]' "mail waits in the outbox: the digest and the deferred copy ($pending rows)"
max_member=$(db "SELECT max(id) FROM members")
max_post=$(db "SELECT max(id) FROM posts")
held_seq=$(db "SELECT seq FROM sqlite_sequence WHERE name='held'")
held_id=$(db "SELECT id FROM held")
kith member ls team > "$T/members.before"
kith archive show 1 > "$T/post1.before"
kith archive show 2 > "$T/post2.before"
cp "$KITH_CONF" "$T/sqlite.conf"

# 2. The copy.
out=$(kith migrate sqlite-to-postgresql --dsn "$DSN" 2>"$T/migrate.err")
rc=$?
printf '%s\n' "$out" > "$T/migrate.out"
assert_ok '[ $rc = 0 ] && ! grep -v "rows in [0-9]* tables copied to PostgreSQL" "$T/migrate.err"' "kith migrate sqlite-to-postgresql exits 0, nothing on stderr but the log's line ($(head -c 300 "$T/migrate.err"))"
tables=$(db "SELECT count(*) FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'posts_fts%'")
assert_ok '[ "$(awk "NF == 3 && \$2 ~ /^[0-9]+\$/ && \$2 == \$3" "$T/migrate.out" | wc -l)" = "$tables" ] && ! grep -q DIFFERS "$T/migrate.out"' "one line per table ($tables), sqlite's count and PostgreSQL's equal on each"
assert_ok 'grep -qx "posts  *2  *2" "$T/migrate.out" && grep -qx "members  *$n_members  *$n_members" "$T/migrate.out" && grep -qx "member_log  *$n_member_log  *$n_member_log" "$T/migrate.out"' "the counts are the site's: posts 2, members $n_members, member_log $n_member_log"
assert_ok 'grep -q "every count matches" "$T/migrate.out"' "it says every count matches"
assert_ok 'grep -qx "backend = postgresql" "$T/migrate.out" && grep -qxF "dsn = $DSN" "$T/migrate.out"' "it gives the two lines for kith.conf's [storage]"
assert_ok 'cmp -s "$KITH_CONF" "$T/sqlite.conf"' "kith.conf is left as it was"
assert_ok '[ "$(pq "SELECT version FROM kith_schema")" = "$(db "PRAGMA user_version")" ]' "the PostgreSQL schema is at the site's version"

# every row of every table, column by column, byte for byte
cat > "$T/compare.py" <<'PYEOF'
import sqlite3, sys
import psycopg2
lite = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
lite.text_factory = bytes
pg = psycopg2.connect(sys.argv[2])
cur = pg.cursor()
names = [r[0].decode() for r in lite.execute(
    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE "
    "'sqlite_%' AND name NOT LIKE 'posts_fts%' ORDER BY name")]
bad = 0
for t in names:
    cols = [r[1].decode() for r in lite.execute("SELECT * FROM pragma_table_info(?)", (t,))]
    sel = "SELECT %s FROM %s" % (", ".join('"%s"' % c for c in cols), t)
    a = sorted(repr(tuple(v if not isinstance(v, str) else v.encode() for v in r)) for r in lite.execute(sel))
    cur.execute(sel)
    b = sorted(repr(tuple(bytes(v) if isinstance(v, memoryview) else v.encode() if isinstance(v, str) else v for v in r)) for r in cur.fetchall())
    if a != b:
        bad += 1
        print("differs: %s (%d rows on sqlite, %d in PostgreSQL)" % (t, len(a), len(b)))
print("compared %d tables" % len(names))
sys.exit(1 if bad or not names else 0)
PYEOF
env -u LD_PRELOAD -u FAKETIME $PY "$T/compare.py" "$T/var/kith.db" "$DSN" > "$T/compare.out" 2>&1
crc=$?
assert_ok '[ $crc = 0 ]' "every table's rows are the same on both, byte for byte: $(tr '\n' ' ' < "$T/compare.out" | head -c 400)"
assert_ok '[ "$(pq "SELECT count(*) FROM posts WHERE position(decode('"'00'"', '"'hex'"') IN raw) > 0")" = 1 ]' "the NUL byte arrived in PostgreSQL's bytea"

# the search index (an expression GIN index) holds the copied posts
idx=$(pq "SET enable_seqscan = off; EXPLAIN SELECT id FROM posts WHERE to_tsvector('simple', subject || ' ' || body) @@ to_tsquery('simple', 'zebraword') AND archived<>0")
hits=$(pq "SET enable_seqscan = off; SELECT message_id FROM posts WHERE to_tsvector('simple', subject || ' ' || body) @@ to_tsquery('simple', 'zebraword') AND archived<>0")
assert_ok 'printf "%s\n" "$idx" | grep -q posts_search && [ "$hits" = "bytes-1@x" ]' "the copied post is found through the search index posts_search ($hits)"

# 3. Refusals.
out=$(kith migrate sqlite-to-postgresql --dsn "$DSN" 2>&1)
rc=$?
assert_ok '[ $rc = 78 ] && [ "$(printf "%s\n" "$out" | wc -l)" = 1 ] && printf "%s\n" "$out" | grep -q "holds Kith data already"' "a second run is refused: exit 78, one line ($out)"
assert_ok '[ "$(pq "SELECT count(*) FROM posts")" = 2 ] && [ "$(pq "SELECT count(*) FROM members")" = "$n_members" ]' "and changes nothing"
out=$(kith migrate sqlite-to-postgresql --dsn "host=$T/nosock dbname=kith user=kith password=s3cret" 2>&1)
rc=$?
assert_ok '[ $rc = 75 ] && [ "$(printf "%s\n" "$out" | wc -l)" = 1 ] && printf "%s\n" "$out" | grep -q "cannot connect to PostgreSQL" && ! printf "%s\n" "$out" | grep -q s3cret' "a server that does not answer: exit 75, one line, no password ($out)"
out=$(kith migrate sqlite-to-postgresql --dsn "no such = = thing" 2>&1)
rc=$?
assert_ok '[ $rc = 78 ] && [ "$(printf "%s\n" "$out" | wc -l)" = 1 ] && printf "%s\n" "$out" | grep -q "not a PostgreSQL connection string"' "a DSN libpq cannot read: exit 78, one line ($out)"
out=$(kith migrate sqlite-to-postgresql 2>&1)
assert_ok '[ $? = 64 ] && printf "%s\n" "$out" | grep -q -- "--dsn"' "no --dsn: exit 64 ($out)"
out=$(kith migrate postgresql-to-sqlite --dsn "$DSN" 2>&1)
assert_ok '[ $? = 64 ]' "an unknown migration: exit 64 ($out)"

# another site's data in the target: refused, nothing touched
newdb other
ODSN="host=$PG_DIR/sock dbname=other user=kith"
printf '[site]\ndomain = example.net\ndata_dir = %s/var-other\n[storage]\nbackend = postgresql\ndsn = %s\n' "$T" "$ODSN" > "$T/other.conf"
KITH_CONF=$T/other.conf kith init >/dev/null 2>&1
KITH_CONF=$T/other.conf kith list create club@example.net --owner zed@example.net >/dev/null 2>&1
out=$(kith migrate sqlite-to-postgresql --dsn "$ODSN" 2>&1)
rc=$?
assert_ok '[ $rc = 78 ] && printf "%s\n" "$out" | grep -q "holds Kith data already (1 row in lists)"' "a database with another site's list: exit 78 ($out)"
assert_ok '[ "$("$PGBIN/psql" "$ODSN" -XtAq -c "SELECT address FROM lists")" = club@example.net ] && [ "$("$PGBIN/psql" "$ODSN" -XtAq -c "SELECT count(*) FROM members")" = 1 ]' "its data is left as it was"
out=$(KITH_CONF=$T/other.conf kith migrate sqlite-to-postgresql --dsn "$DSN" 2>&1)
assert_ok '[ $? = 78 ] && printf "%s\n" "$out" | grep -q "not sqlite"' "a site on PostgreSQL already: exit 78 ($out)"

# a row that does not arrive (a trigger drops one vote): the counts
# differ, exit 70, nothing kept; without it, the same database takes
# the copy (an empty schema is fine), and --json tells the counts
newdb third
TDSN="host=$PG_DIR/sock dbname=third user=kith"
printf '[site]\ndata_dir = %s/var-third\n[storage]\nbackend = postgresql\ndsn = %s\n' "$T" "$TDSN" > "$T/third.conf"
KITH_CONF=$T/third.conf kith init >/dev/null 2>&1
"$PGBIN/psql" "$TDSN" -XtAq -c "CREATE FUNCTION drop_bob() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN IF NEW.address = 'bob@example.org' THEN RETURN NULL; END IF; RETURN NEW; END \$\$; CREATE TRIGGER drop_bob BEFORE INSERT ON poll_votes FOR EACH ROW EXECUTE FUNCTION drop_bob()" >/dev/null
out=$(kith migrate sqlite-to-postgresql --dsn "$TDSN" 2>&1)
rc=$?
assert_ok '[ $rc = 70 ] && printf "%s\n" "$out" | grep -q "poll_votes: 2 rows on sqlite, 1 in PostgreSQL after the copy; nothing was kept"' "a vote that does not arrive: exit 70, the table named ($out)"
assert_ok '[ "$("$PGBIN/psql" "$TDSN" -XtAq -c "SELECT (SELECT count(*) FROM lists) + (SELECT count(*) FROM posts) + (SELECT count(*) FROM members)")" = 0 ]' "nothing was kept (one transaction)"
"$PGBIN/psql" "$TDSN" -XtAq -c "DROP TRIGGER drop_bob ON poll_votes" >/dev/null
out=$(kith migrate sqlite-to-postgresql --dsn "$TDSN" --json 2>>"$T/migrate.err")
rc=$?
printf '%s\n' "$out" > "$T/migrate.json"
r=$($PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = {x["table"]: (x["sqlite"], x["postgresql"]) for x in d["tables"]}
assert d["counts_match"] is True and d["storage"]["backend"] == "postgresql", d
assert all(a == b for a, b in t.values()), t
assert t["posts"] == (2, 2) and t["poll_votes"] == (2, 2), t
assert d["rows"] == sum(a for a, b in t.values()), d["rows"]
print(len(t))' "$T/migrate.json" 2>&1)
assert_ok '[ $rc = 0 ] && [ "$r" = "$tables" ]' "then the copy goes in: --json with every table's counts ($r)"

# a writer holding the site: the copy waits for it (busy_timeout_ms),
# then gives up with 75, and nothing is kept
newdb fourth
FDSN="host=$PG_DIR/sock dbname=fourth user=kith"
sed '/^\[site\]/a busy_timeout_ms = 500' "$KITH_CONF" > "$T/busy.conf"
env -u LD_PRELOAD -u FAKETIME $PY - "$T/var/kith.db" "$T/locked" <<'PYEOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(4)
c.execute("ROLLBACK")
PYEOF
locker=$!
i=0
while [ ! -e "$T/locked" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
out=$(KITH_CONF=$T/busy.conf kith migrate sqlite-to-postgresql --dsn "$FDSN" 2>&1)
rc=$?
wait $locker
assert_ok '[ $rc = 75 ] && printf "%s\n" "$out" | grep -q "database busy; try again" && [ "$("$PGBIN/psql" "$FDSN" -XtAq -c "SELECT count(*) FROM lists")" = 0 ]' "a writer holds the site: exit 75 after busy_timeout_ms, nothing kept ($out)"
out=$(KITH_CONF=$T/busy.conf kith migrate sqlite-to-postgresql --dsn "$FDSN" 2>/dev/null | grep "every count matches")
assert_ok '[ -n "$out" ]' "once it is gone, the copy goes in ($out)"

# 4. The site on PostgreSQL.
write_conf "smtp://127.0.0.1:$SINK_PORT" "$SITE_CONF" "[storage]" \
	"backend = postgresql" "dsn = $DSN"
assert_ok 'kith check 2>/dev/null | grep -qx "# database: ok (postgresql, schema 23)"' "kith check: the site runs on PostgreSQL"
kith member ls team > "$T/members.after" 2>&1
assert_ok 'cmp -s "$T/members.before" "$T/members.after" && grep -q bob@example.org "$T/members.after"' "kith member ls: the same members"
assert_ok 'kith archive show 1 | cmp -s - "$T/post1.before" && cmp -s "$T/post1.before" "$DATA/greek-korean-pdf.eml"' "the post with the attachment: the archive gives the same bytes"
assert_ok 'kith archive show 2 | cmp -s - "$T/post2.before" && cmp -s "$T/post2.before" "$T/bytes.eml"' "the post with 8-bit and NUL bytes: the same bytes"
rm -f "$SINK_DIR"/*
kith mod approve "$held_id" >/dev/null 2>&1
arc=$?
kith deliver >/dev/null 2>>"$T/deliver.err"
assert_ok '[ $arc = 0 ] && [ "$(pq "SELECT outcome FROM held_log WHERE id=$held_id")" = approved ] && $MT header "$(last bob@example.org)" Subject | grep -qx "\[team\] Outsider"' "the post held on sqlite is approved on PostgreSQL and reaches Bob"
assert_ok '[ "$(count carol@example.org)" = 1 ] && $MT header "$(last carol@example.org)" Subject | grep -q "Team Digest, Vol 1, Issue 1"' "the digest queued on sqlite is delivered from PostgreSQL"
touch "$SINK_DIR/accept-all"
out=$(at "$(after 1h)" deliver 2>>"$T/deliver.err")
assert_ok '[ "$(count defer-me@example.org)" -ge 1 ]' "the deferred copy is retried from PostgreSQL and delivered ($out)"
rm -f "$SINK_DIR"/*
send alice@example.org team@example.org "After the move" "Still here, on PostgreSQL."
r=$($PY - "$(last bob@example.org)" <<'PYEOF'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
assert str(m["Subject"]) == "[team] After the move", m["Subject"]
assert "team.example.org" in str(m["List-Id"]), m["List-Id"]
assert m.get_body(("plain",)).get_content().startswith("Still here, on PostgreSQL."), m.get_body(("plain",)).get_content()
print("ok")
PYEOF
)
assert_ok '[ "$r" = ok ]' "a new post is delivered to Bob (read with Python's email: $r)"
assert_ok '[ "$(pq "SELECT count(*) FROM posts")" = 4 ] && [ "$(pq "SELECT max(id) FROM posts")" = $((max_post + 2)) ]' "the new posts have the ids after the old ones ($(pq "SELECT max(id) FROM posts"))"
kith member add team newcomer@example.org >/dev/null 2>&1
assert_ok '[ "$(pq "SELECT id FROM members WHERE address='"'newcomer@example.org'"'")" = $((max_member + 1)) ]' "a new member gets the id after the old ones ($((max_member + 1)))"
send stranger2@example.net team@example.org "Another outsider" "Hi."
assert_ok '[ "$(pq "SELECT id FROM held")" = $((held_seq + 1)) ]' "a new held post gets the id after every one sqlite gave, the rejected one's too ($((held_seq + 1)))"
finish
