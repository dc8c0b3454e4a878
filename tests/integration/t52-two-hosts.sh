#!/bin/sh
# Several hosts, one database (issue 19): two Kith hosts, each its own
# data directory and kith.conf, share one PostgreSQL (a private cluster,
# scripts/pg-start.sh) and one SMTP sink.
#  1. Both deliver the same 20,000-member post at once; one is killed
#     with kill -9 midway.  The sink gets every recipient, none twice
#     beyond the claims the dead host had in flight, and the survivor
#     takes the dead host's claims as soon as its database session is
#     gone, not when their lease ends.
#  2. Two `kith cron` race from the two hosts: the digest is issued once,
#     and a held post that expires is announced to its poster once.
#  3. Two `kith receive` of the same message at once, one on each host:
#     it is stored and sent out once.
# It starts its own PostgreSQL cluster and sets each site's storage
# itself: the suite's PostgreSQL pass (KITH_TEST_BACKEND) adds nothing.
OWN_CLUSTER=1
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

A_PID=
B_PID=
LOCK_PID=
BIG_PID=
trap '[ -n "$BIG_PID" ] && kill "$BIG_PID" 2>/dev/null; [ -n "$A_PID" ] && kill_tree "$A_PID"; [ -n "$B_PID" ] && kill_tree "$B_PID"; [ -n "$LOCK_PID" ] && kill "$LOCK_PID" 2>/dev/null; cleanup' EXIT
own_cluster
pq() { env -u LD_PRELOAD -u FAKETIME "$PGBIN/psql" "$DSN" -XtAq -c "$1"; }
N=${T52_MEMBERS:-20000}
BATCH=100	# [delivery] batch_size: rows a worker claims at once
WORKERS=2	# per host
LEASE=600	# [delivery] lease_seconds

SMTP_SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
if [ ! -x "$SMTP_SINK" ]; then
	echo "SKIP: Postfix's smtp-sink is not installed (scripts/setup-deps.sh --test: postfix)"
	exit 77
fi
# The 20,000 copies go to Postfix's smtp-sink, which appends each
# transaction (its HELO, its RCPT, the message) to one dump file: the
# Python sink, a process and two files a message, would be the slowest
# part of the run.  The other parts use lib.sh's sink (start_sink).
BIG_PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/big" && chmod 777 "$T/big" && chmod o+x "$T"
"$SMTP_SINK" -u nobody -D "$T/big/dump" "127.0.0.1:$BIG_PORT" 1024 2>"$T/big.err" &
BIG_PID=$!
i=0
until $PY -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$BIG_PORT" 2>/dev/null || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
start_sink
# host NAME - write host NAME's kith.conf (its own data directory, the
# shared database, its own HELO name for the sink to tell them apart)
host() {
	mkdir -p "$T/$1"
	write_conf "smtp://127.0.0.1:$BIG_PORT" "[storage]" "backend = postgresql" \
		"dsn = $DSN" "[smtp]" "helo = host-$1.example.org" \
		"connections = $WORKERS" "[delivery]" "batch_size = $BATCH" \
		"lease_seconds = $LEASE"
	sed -i "s|^data_dir = .*|data_dir = $T/$1/var|" "$KITH_CONF"
	mv "$KITH_CONF" "$T/$1/kith.conf"
}
host a
host b
on_a() { KITH_CONF=$T/a/kith.conf kith "$@"; }
on_b() { KITH_CONF=$T/b/kith.conf kith "$@"; }
export KITH_CONF=$T/a/kith.conf
# big_count - transactions smtp-sink has dumped; big_rcpts - "COUNT
# ADDRESS" for every recipient it got; big_helos - "COUNT HELO"
big_count() { grep -c '^X-Client-Addr: ' "$T/big/dump" 2>/dev/null || echo 0; }
big_rcpts() {
	sed -n 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p' "$T/big/dump" | sort | uniq -c | awk '{ print $1, $2 }'
}
big_helos() {
	sed -n 's/^X-Helo-Args: //p' "$T/big/dump" | sort | uniq -c | awk '{ print $1, $2 }'
}
# use_python_sink - both hosts send to lib.sh's sink from now on
use_python_sink() {
	sed -i "s|^transport = .*|transport = smtp://127.0.0.1:$SINK_PORT|" "$T/a/kith.conf" "$T/b/kith.conf"
}

# The site: made once from host A; host B shares the database and the
# secret (its tokens must verify on either host).
on_a init >/dev/null 2>"$T/init.err"
assert_ok '[ $? = 0 ] && [ -s "$T/a/var/secret" ]' "kith init on host A makes the schema in PostgreSQL"
mkdir -p "$T/b/var" && cp -p "$T/a/var/secret" "$T/b/var/secret"
assert_ok 'on_b check 2>/dev/null | grep -q "# database: ok (postgresql"' "host B, its own data directory, finds the same database"
on_a list create team@example.org --owner alice@example.org --name Team >/dev/null
# The members: the row member_add writes (kith member add/import), made
# by one INSERT here: 20,000 imports are 40,000 round trips to the
# server, 17 s on this machine when idle and two minutes when loaded,
# and what this test is about is their delivery.
pq "INSERT INTO members(list_id, address, name, joined) SELECT l.id, 'm' || lpad(g::text, 5, '0') || '@example.net', '', $(epoch) FROM lists l, generate_series(1, $N) g WHERE l.address='team@example.org'"
assert_ok '[ "$(pq "SELECT count(*) FROM members")" = "$((N + 1))" ] && [ "$(on_a member ls team | grep -c "^m[0-9]*@example.net")" = "$N" ]' "$N members, as kith member ls lists them"
printf 'From: <alice@example.org>\nTo: <team@example.org>\nSubject: To everyone\nMessage-ID: <big-1@example.org>\n\nOne post for %s members.\n' "$N" > "$T/post.eml"
rc=$(post "$T/post.eml")
assert_ok '[ "$rc" = 0 ] && [ "$(pq "SELECT state, count(*) FROM outbox GROUP BY state")" = "pending|$((N + 1))" ]' "the post is queued for every member ($((N + 1)) rows pending)"
TOTAL=$((N + 1))

# 1. Both hosts deliver at once; host A is killed with kill -9 midway.
t0=$(uptime_cs)
KITH_CONF=$T/a/kith.conf setsid "$(kith_exe)" deliver >"$T/a.out" 2>"$T/a.err" &
A_PID=$!
KITH_CONF=$T/b/kith.conf setsid "$(kith_exe)" deliver >"$T/b.out" 2>"$T/b.err" &
B_PID=$!
i=0
while [ "$(big_count)" -lt $((TOTAL / 3)) ] && [ $i -lt 600 ]; do
	sleep 0.2
	i=$((i + 1))
done
# a_claims - rows 'sending' in the name of one of host A's delivery
# journals (a claimant is its journal's name)
a_claims() {
	names=$(ls "$T/a/var/journal" 2>/dev/null | sed "s/.*/'&'/" | paste -sd, -)
	[ -n "$names" ] || { echo 0; return; }
	pq "SELECT count(*) FROM outbox WHERE state='sending' AND claimed_by IN ($names)"
}
# Host A is stopped (SIGSTOP) at a moment it holds claims, then killed:
# killed between two batches it would hold none, and there would be
# nothing for B to take over (a CI run under load once met that moment).
# Host B waits (stopped too) while A is looked at: else B could send all
# that is left meanwhile and end, A's claims still A's (its session
# alive), and nobody would be there to take them back after the kill (a
# CI run with the clock at 2030 met that).
kill -STOP -"$B_PID"
i=0
while :; do
	kill -STOP -"$A_PID"
	held_by_a=$(a_claims)
	[ "$held_by_a" -gt 0 ] || [ $i -ge 100 ] && break
	kill -CONT -"$A_PID"
	sleep 0.05
	i=$((i + 1))
done
got_at_kill=$(big_count)
held_at_kill=$(pq "SELECT count(*) FROM outbox WHERE state='sending'")
kill_tree "$A_PID"
kill -CONT -"$B_PID"
assert_ok '[ "$held_by_a" -gt 0 ]' "host A held $held_by_a claimed rows when it was killed"
A_PID=
t_kill=$(uptime_cs)
a_sent=$(big_helos | awk '$2 == "host-a.example.org" { print $1 }')
b_sent=$(big_helos | awk '$2 == "host-b.example.org" { print $1 }')
assert_ok '[ "${a_sent:-0}" -gt 0 ] && [ "${b_sent:-0}" -gt 0 ]' "before the kill both hosts were sending: A ${a_sent:-0}, B ${b_sent:-0} of $got_at_kill copies; $held_at_kill rows claimed"
wait "$B_PID"
rc=$?
B_PID=
t_done=$(uptime_cs)
took=$(( (t_done - t_kill) / 100 ))
assert_ok '[ $rc = 0 ]' "host B's kith deliver exits 0: $(cat "$T/b.out")"
assert_ok '[ "$(pq "SELECT state, count(*) FROM outbox GROUP BY state")" = "sent|$TOTAL" ]' "every row is sent: $(pq "SELECT state || '=' || count(*) FROM outbox GROUP BY state" | tr '\n' ' ')"
# What host A held when it died went back to the queue as soon as its
# session was gone: B says so, and B was done long before the lease.
released=$(sed -n 's/.*deliver: \([0-9]*\) messages claimed by a delivery run whose database session is gone go back to the queue.*/\1/p' "$T/b.err" | awk '{ s += $1 } END { print s + 0 }')
assert_ok '[ "$released" -gt 0 ] && [ "$released" = "$held_by_a" ] && [ "$released" -le $((WORKERS * BATCH)) ]' "host B released the $released rows the dead host A held ($held_by_a; at most $WORKERS workers x $BATCH)"
# B's clock started at $NOW when B did (t0): the rows it took over were
# recorded sent (their updated) some seconds after B's start; the kill
# came kill_s seconds after it.
kill_s=$(( (t_kill - t0) / 100 ))
taken_s=$(( $(pq "SELECT coalesce(max(updated), 0) FROM outbox WHERE attempts=2") - $(epoch) ))
assert_ok '[ "$taken_s" -ge "$kill_s" ] && [ "$taken_s" -le $((kill_s + 15)) ]' "host B sent them again within $((taken_s - kill_s)) s of the kill (at most 15 s; the lease is $LEASE s)"
assert_ok '[ "$took" -lt $((LEASE / 4)) ]' "host B finished ${took} s after the kill, well before the lease ended"
assert_ok '[ "$(pq "SELECT count(*) FROM outbox WHERE attempts>2 OR attempts<1")" = 0 ] && [ "$(pq "SELECT count(*) FROM outbox WHERE attempts=2")" = "$released" ]' "rows claimed twice: exactly the $released released, none more"
kill "$BIG_PID" && wait "$BIG_PID" 2>/dev/null
BIG_PID=
big_rcpts > "$T/rcpts"
copies=$(awk '{ s += $1 } END { print s + 0 }' "$T/rcpts")
distinct=$(wc -l < "$T/rcpts")
twice=$(awk '$1 > 1' "$T/rcpts" | wc -l)
awk '$1 > 1 { print $2 }' "$T/rcpts" | sort > "$T/dups"
pq "SELECT rcpt FROM outbox WHERE attempts=2" | sort > "$T/reclaimed"
assert_ok '[ "$distinct" = "$TOTAL" ] && [ "$(awk "\$1 > 2" "$T/rcpts" | wc -l)" = 0 ]' "the sink has every one of the $TOTAL recipients ($copies copies), none three times"
# The bound: a recipient gets two copies only if host A sent it and died
# before its result was committed.  Those rows were in A's claims (its
# journal, on A's disk, is out of B's reach), which B took over: the
# duplicates are among the released rows, so at most WORKERS x BATCH.
assert_ok '[ "$twice" -le "$released" ] && [ -z "$(comm -23 "$T/dups" "$T/reclaimed")" ]' "$twice recipients got two copies: all among the $released rows A held in flight (bound $WORKERS x $BATCH = $((WORKERS * BATCH)))"
assert_ok '[ "$copies" = $((TOTAL + twice)) ]' "copies at the sink = recipients + duplicates ($copies = $TOTAL + $twice)"
echo "# delivery of $TOTAL: $(( (t_done - t0) / 100 )) s; killed at $got_at_kill copies"

# hold SECONDS LOCK CHECK - another session takes LOCK (SQL) and holds it
# for SECONDS; returns once CHECK (SQL) answers 1: what starts meanwhile
# on either host waits at that lock, and all go on at one moment
hold() {
	env -u LD_PRELOAD -u FAKETIME "$PGBIN/psql" "$DSN" -XtAq -c "BEGIN" \
		-c "$2" -c "SELECT pg_sleep($1)" -c "COMMIT" >/dev/null &
	LOCK_PID=$!
	i=0
	while [ "$(pq "$3")" != 1 ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
# hold_writers SECONDS - the writers' lock (pg_begin_write's key)
hold_writers() {
	hold "$1" "SELECT pg_advisory_xact_lock(1802067048)" \
		"SELECT count(*) FROM pg_locks WHERE locktype='advisory' AND granted AND objid=1802067048 AND objsubid=1"
}
clear_sink() { find "$SINK_DIR" -type f -delete; }
use_python_sink

# 2. Two crons racing, one on each host, at the same moment: a daily
# digest is due and a held post expires.
on_a list create news@example.org --owner alice@example.org --name News >/dev/null
for m in dora erin fay; do
	on_a member add news $m@example.org >/dev/null
	on_a member set news $m@example.org mode=digest-daily >/dev/null
done
on_a list set news digest_time 07:00 >/dev/null
on_a cron >/dev/null 2>>"$T/cron.err"
for i in 1 2; do
	printf 'From: <alice@example.org>\nTo: <news@example.org>\nSubject: News %s\nMessage-ID: <news-%s@example.org>\n\nItem %s.\n' $i $i $i > "$T/news$i.eml"
	post "$T/news$i.eml" news@example.org >/dev/null
done
printf 'From: <stranger@example.net>\nTo: <news@example.org>\nSubject: Outsider\nMessage-ID: <out-1@example.net>\n\nHello.\n' > "$T/out.eml"
post "$T/out.eml" news@example.org stranger@example.net >/dev/null
assert_ok '[ "$(pq "SELECT count(*) FROM held")" = 1 ] && [ "$(pq "SELECT count(*) FROM posts p JOIN lists l ON l.id=p.list_id WHERE l.address='"'news@example.org'"'")" = 2 ]' "news: two posts for the digest, a stranger's post held"
on_a deliver >/dev/null 2>>"$T/cron.err"
clear_sink
day=$(date -u -d "$NOW" '+%Y-%m-%d')
CRON_AT=$(after 15d "$day 07:00:30")
# The held post's row is locked: both crons read that it is due, then
# the first waits for the row, holding the writers' lock, the second
# for the writers' lock.  Whoever comes second finds it gone.
hold 3 "SELECT id FROM held FOR UPDATE" \
	"SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid=l.relation WHERE c.relname='held' AND l.mode='RowShareLock' AND l.granted"
at "$CRON_AT" cron >/dev/null 2>"$T/cron-a.err" &
ca=$!
KITH_CONF=$T/b/kith.conf at "$CRON_AT" cron >/dev/null 2>"$T/cron-b.err" &
cb=$!
wait $ca
rca=$?
wait $cb
rcb=$?
wait "$LOCK_PID"
LOCK_PID=
assert_ok '[ $rca = 0 ] && [ $rcb = 0 ]' "both crons exit 0 ($rca, $rcb)"
at "$(after 1m "$CRON_AT")" deliver >/dev/null 2>>"$T/cron.err"
assert_ok '[ "$(pq "SELECT count(*) FROM digests d JOIN lists l ON l.id=d.list_id WHERE l.address='"'news@example.org'"'")" = 1 ]' "the digest is issued once (one row in digests)"
assert_ok '[ "$(count dora@example.org)" = 1 ] && [ "$(count erin@example.org)" = 1 ] && [ "$(count fay@example.org)" = 1 ] && $MT header "$(last dora@example.org)" Subject | grep -q "News Digest, Vol 1, Issue 1"' "each digest reader gets one copy of issue 1 ($(count dora@example.org), $(count erin@example.org), $(count fay@example.org))"
assert_ok '[ "$(pq "SELECT count(*) FROM held")" = 0 ] && [ "$(pq "SELECT outcome FROM held_log")" = expired ]' "the held post expired"
assert_ok '[ "$(count stranger@example.net)" = 1 ]' "its poster is told once ($(count stranger@example.net) notices)"
assert_ok '[ "$(grep -h "held .* expired" "$T/cron-a.err" "$T/cron-b.err" | wc -l)" = 1 ]' "one cron logs the expiry, not both"

# 3. The same message received at the same moment on both hosts (an MTA
# that handed it to each): stored once, sent out once.
clear_sink
printf 'From: <alice@example.org>\nTo: <news@example.org>\nSubject: Twice\nMessage-ID: <twice-1@example.org>\n\nOnce only.\n' > "$T/twice.eml"
on_a member add news gus@example.org >/dev/null
hold_writers 2
post "$T/twice.eml" news@example.org > "$T/rx-a" &
ra=$!
KITH_CONF=$T/b/kith.conf post "$T/twice.eml" news@example.org > "$T/rx-b" &
rb=$!
wait $ra
wait $rb
wait "$LOCK_PID"
LOCK_PID=
assert_ok '[ "$(cat "$T/rx-a")" = 0 ] && [ "$(cat "$T/rx-b")" = 0 ]' "both kith receive exit 0"
assert_ok '[ "$(pq "SELECT count(*) FROM posts WHERE message_id='"'twice-1@example.org'"'")" = 1 ]' "the post is stored once"
assert_ok 'grep -q "duplicate Message-ID" "$T/receive.err"' "one receive drops it as a duplicate"
on_a deliver >/dev/null 2>>"$T/cron.err"
assert_ok '[ "$(count gus@example.org)" = 1 ] && [ "$(count alice@example.org)" = 1 ]' "each member gets one copy"

# 4. The same, over LMTP: kith serve on each host, the same message handed
# to both at the same moment (an MTA per host, a retry that went to the
# other MX): both answer 250, it is stored once and sent out once.
# serve_on HOST - kith serve for HOST, LMTP on a free port: SERVE_x, LMTP_x
serve_on() {
	: > "$T/serve-$1.out"
	KITH_CONF=$T/$1/kith.conf LD_PRELOAD="$FAKETIME_LIB" FAKETIME="@$NOW" \
	    FAKETIME_DONT_FAKE_MONOTONIC=1 setsid "$(kith_exe)" serve \
	    --listen 127.0.0.1:0 --lmtp 127.0.0.1:0 >"$T/serve-$1.out" \
	    2>>"$T/serve-$1.err" &
	eval "SERVE_$1=\$!"
	i=0
	while ! grep -q "LMTP on" "$T/serve-$1.out" && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	eval "LMTP_$1=\$(sed -n 's|.*LMTP on lmtp://127.0.0.1:\([0-9]*\).*|\1|p' \"\$T/serve-$1.out\")"
}
serve_on a
serve_on b
A_PID=$SERVE_a
B_PID=$SERVE_b
assert_ok '[ -n "$LMTP_a" ] && [ -n "$LMTP_b" ]' "kith serve on each host takes LMTP ($LMTP_a, $LMTP_b)"
clear_sink
printf 'From: <alice@example.org>\r\nTo: <news@example.org>\r\nSubject: Twice by LMTP\r\nMessage-ID: <twice-lmtp@example.org>\r\n\r\nOnce only.\r\n' > "$T/twice-lmtp.eml"
# lmtp_send PORT OUT - the message to news@ over LMTP; OUT gets the reply
lmtp_send() {
	$PY - "$1" "$T/twice-lmtp.eml" > "$2" 2>&1 <<'PYEOF'
import smtplib, sys
c = smtplib.LMTP("127.0.0.1", int(sys.argv[1]))
c.ehlo_or_helo_if_needed()
refused = c.sendmail("alice@example.org", ["news@example.org"], open(sys.argv[2], "rb").read())
c.quit()
print("refused" if refused else "250")
PYEOF
}
hold_writers 2
lmtp_send "$LMTP_a" "$T/lmtp-a" &
la=$!
lmtp_send "$LMTP_b" "$T/lmtp-b" &
lb=$!
wait $la
wait $lb
wait "$LOCK_PID"
LOCK_PID=
assert_ok '[ "$(cat "$T/lmtp-a")" = 250 ] && [ "$(cat "$T/lmtp-b")" = 250 ]' "both hosts answer 250 ($(cat "$T/lmtp-a" "$T/lmtp-b" | tr '\n' ' '))"
assert_ok '[ "$(pq "SELECT count(*) FROM posts WHERE message_id='"'twice-lmtp@example.org'"'")" = 1 ]' "the post is stored once"
assert_ok 'cat "$T/serve-a.err" "$T/serve-b.err" | grep -q "twice-lmtp@example.org.*duplicate Message-ID"' "one host drops it as a duplicate"
kill_tree "$A_PID"
kill_tree "$B_PID"
A_PID=
B_PID=
on_a deliver >/dev/null 2>>"$T/cron.err"
assert_ok '[ "$(count gus@example.org)" = 1 ] && [ "$(count alice@example.org)" = 1 ]' "each member gets one copy"

finish
