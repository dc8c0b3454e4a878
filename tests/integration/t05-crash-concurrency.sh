#!/bin/sh
# kill -9 in the middle of a 1,000-recipient delivery loses nothing and
# duplicates at most the transactions in flight; two deliveries or two
# crons at once send each message once; kith receive starts delivery by
# itself in a detached child.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink --pipelining --delay 0.01
setup_list "[smtp]" "connections = 4"
i=1
while [ $i -le 997 ]; do echo "member$i@example.net Member $i"; i=$((i + 1)); done > "$T/members.txt"
out=$(kith member import team "$T/members.txt")
assert_ok '[ "$out" = "997 added, 0 skipped (already members), 0 invalid" ]' "import: $out"
printf 'From: alice@example.org\nTo: team@example.org\nSubject: big\nMessage-ID: <kill-1@x>\n\nhello\n' > "$T/p.eml"
assert_ok '[ "$(post "$T/p.eml")" = 0 ]' "post to 1,000 members accepted"

# Start delivery in its own process group and kill -9 it mid-way.  With
# --commit-every 5000 nothing reaches the database before the kill: what
# was sent is known only from the workers' journals.
setsid "$(kith_exe)" deliver --commit-every 5000 > /dev/null 2>&1 &
pid=$!
wait_sink 150 20
kill_tree "$pid"
got=$(sink_count)
assert_ok '[ "$got" -ge 150 ] && [ "$got" -lt 1000 ]' "delivery killed with -9 after $got of 1000"
sending=$(db "SELECT count(*) FROM outbox WHERE state='sending'")
assert_ok '[ "$sending" = 1000 ]' "the killed run left all $sending rows leased ('sending')"
journalled=$(cat "$T"/var/journal/deliver.* | wc -l)
assert_ok '[ "$journalled" -ge $((got - 4)) ] && [ "$journalled" -le "$got" ]' "the journals hold the $journalled deliveries the server accepted ($got)"
# Before the lease runs out nobody takes them; after it, the next run does.
clock_add 11m
kith deliver > "$T/out2"
$PY - "$SINK_DIR" "$T/members.txt" <<'PYEOF' > "$T/dups"
import glob, json, sys, collections
c = collections.Counter()
for f in glob.glob(sys.argv[1] + "/*.json"):
    for r in json.load(open(f))["rcpt_tos"]:
        c[r] += 1
want = {l.split()[0] for l in open(sys.argv[2])} | {"alice@example.org", "bob@example.org", "carol@example.org"}
missing = want - set(c)
dups = sum(n - 1 for n in c.values() if n > 1)
print(len(missing), dups)
PYEOF
read missing dups < "$T/dups"
assert_ok '[ "$missing" = 0 ]' "after the crash every one of the 1,000 recipients got the post ($missing missing)"
assert_ok '[ "$dups" -le 4 ]' "duplicates at most the 4 transactions in flight (got $dups)"
assert_ok '[ "$(db "SELECT count(*) FROM outbox WHERE state!='"'"'sent'"'"'")" = 0 ]' "every outbox row ends 'sent'"
recovered=$(db "SELECT count(*) FROM outbox WHERE last_text LIKE '%journal%'")
assert_ok '[ "$recovered" = "$journalled" ]' "the next run recorded the $recovered journalled rows as sent instead of resending them"
assert_ok '[ -z "$(ls "$T/var/journal")" ]' "no journal is left behind"

# recipients_and_most_copies - sets n (distinct recipients at the sink)
# and most (the largest number of copies one recipient got)
recipients_and_most_copies() {
	$PY - "$SINK_DIR" > "$T/race" <<'PYEOF'
import glob, json, sys, collections
c = collections.Counter(r for f in glob.glob(sys.argv[1] + "/*.json") for r in json.load(open(f))["rcpt_tos"])
print(len(c), max(c.values()) if c else 0)
PYEOF
	read n most < "$T/race"
}

# Two deliveries started together share the work: each recipient once.
stop_sink
start_sink --pipelining
sed -i "s|^transport = .*|transport = smtp://127.0.0.1:$SINK_PORT|" "$KITH_CONF"
printf 'From: alice@example.org\nTo: team@example.org\nSubject: race\nMessage-ID: <race-1@x>\n\nhello\n' > "$T/p2.eml"
post "$T/p2.eml" >/dev/null
kith deliver --workers 2 > "$T/a" 2>&1 &
a=$!
kith deliver --workers 2 > "$T/b" 2>&1 &
b=$!
wait $a $b
recipients_and_most_copies
assert_ok '[ "$n" = 1000 ] && [ "$most" = 1 ]' "two racing deliveries: $n recipients, at most $most copy each"

# Two crons at once: one works, the other leaves at once; nothing twice.
rm -f "$SINK_DIR"/*
printf 'From: alice@example.org\nTo: team@example.org\nSubject: cron\nMessage-ID: <cron-1@x>\n\nhello\n' > "$T/p3.eml"
post "$T/p3.eml" >/dev/null
kith cron > "$T/cron-a.out" 2>/dev/null &
a=$!
kith cron > "$T/cron-b.out" 2>/dev/null &
b=$!
wait $a
ra=$?
wait $b
rb=$?
assert_ok '[ $ra = 0 ] && [ $rb = 0 ]' "both crons exit 0"
kith cron >/dev/null 2>&1
recipients_and_most_copies
assert_ok '[ "$n" = 1000 ] && [ "$most" = 1 ]' "two racing crons: $n recipients, at most $most copy each"
# cron mails whatever a job prints: a cron that sent 1,000 copies and
# had no trouble prints nothing (it printed "1000 sent, ..." each minute;
# its log lines at log_level = info, as here, go to stderr)
assert_ok '[ ! -s "$T/cron-a.out" ] && [ ! -s "$T/cron-b.out" ]' "and print nothing: all went well ($(cat "$T/cron-a.out" "$T/cron-b.out" | head -c 100))"
post "$T/p3.eml" >/dev/null 2>&1
printf 'From: alice@example.org\nTo: team@example.org\nSubject: cron\nMessage-ID: <cron-2@x>\n\nhello\n' > "$T/p4.eml"
post "$T/p4.eml" >/dev/null
assert_ok '[ "$(kith cron --verbose 2>/dev/null)" = "1000 sent, 0 deferred, 0 failed" ]' "kith cron --verbose says what it sent"

# deliver_on_receive: the post arrives without any deliver or cron.  The
# server answers each DATA after 10 ms, so the fan-out takes 2.5 s or
# more: receive must be back before it is done (a condition, not a time
# limit, which a loaded machine could miss).
stop_sink
start_sink --pipelining --delay 0.01
sed -i "s|^transport = .*|transport = smtp://127.0.0.1:$SINK_PORT|" "$KITH_CONF"
sed -i 's/deliver_on_receive = off/deliver_on_receive = on/' "$KITH_CONF"
printf 'From: alice@example.org\nTo: team@example.org\nSubject: fast\nMessage-ID: <fast-1@x>\n\nhello\n' > "$T/p4.eml"
start=$(uptime_cs)
rc=$(post "$T/p4.eml")
end=$(uptime_cs)
got=$(sink_count)
assert_ok '[ "$rc" = 0 ] && [ "$got" -lt 1000 ]' "receive returns at once ($((end - start)) hundredths of a second, $got of 1,000 delivered), without waiting for the fan-out"
wait_sink 1000 30
assert_ok '[ "$(sink_count)" = 1000 ]' "the detached delivery reached all 1,000 members by itself"

# kith check says when kith cron last ran, and warns when it stopped (a
# crontab lost in a migration: no digest, retry or reminder goes)
kith cron >/dev/null 2>&1
out=$(at "$(after 10m)" check 2>"$T/check.err")
assert_ok 'printf "%s\n" "$out" | grep -q "^# cron: ran 10 min ago$" && ! grep -q "cron" "$T/check.err"' "kith check: cron ran 10 min ago, no warning"
at "$(after 3h)" check >/dev/null 2>"$T/check.err"; rc=$?
assert_ok '[ $rc = 0 ] && grep -q "^kith: warning: kith cron has not run since $(date -u -d "$NOW" "+%Y-%m-%d %H:%M") UTC (3 h 0 min ago): digests, retries, reminders and expiries wait for it" "$T/check.err"' "three hours later: a warning that says since when and what waits (exit $rc)"
at "$(after 3h)" cron >/dev/null 2>&1
assert_ok '! at "$(after 3h)" check 2>&1 | grep -q "warning: kith cron"' "and none once cron runs again"
finish
