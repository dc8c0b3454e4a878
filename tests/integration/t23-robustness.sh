#!/bin/sh
# Robustness of receive and delivery (issue 11, A6 A7 A11 A12):
# - errors name their cause in a readable line (never uninitialised text);
# - a killed delivery's claims are released at once, not after the lease;
# - long header lines are folded, never split into the body;
# - parsing costs are bounded: deep, wide and large messages.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

# readable FILE - every byte of FILE is printable ASCII or a line end
readable() {
	! LC_ALL=C grep -q '[^[:print:][:space:]]' "$1"
}

start_sink --pipelining
setup_list

# ---- A12: deliver cannot record its results -------------------------------
# A trigger refuses every result, as a full disk would: the claim works,
# recording what happened does not.
printf 'From: alice@example.org\nTo: team@example.org\nSubject: rec\nMessage-ID: <rec-1@x>\n\nhello\n' > "$T/rec.eml"
post "$T/rec.eml" >/dev/null
db "CREATE TRIGGER full BEFORE UPDATE OF state ON outbox WHEN new.state != 'sending' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;"
kith deliver > "$T/rec.out" 2> "$T/rec.err"
rc=$?
assert_ok '[ $rc = 75 ]' "deliver that cannot record its results exits 75 (got $rc)"
assert_ok 'readable "$T/rec.err"' "its error lines are readable text: $(tail -n 1 "$T/rec.err" | od -c | head -n 2 | tr -s ' ' | tr '\n' ' ')"
assert_ok 'grep -q "^kith: deliver: cannot record .*database or disk is full" "$T/rec.err"' "and say why: $(tail -n 1 "$T/rec.err")"
db "DROP TRIGGER full"

# The same with a real full disk (a 1 MB tmpfs; needs root to mount).
if [ "$(id -u)" = 0 ] && mkdir "$T/fs" && mount -t tmpfs -o size=1m tmpfs "$T/fs" 2>/dev/null; then
	stop_sink
	start_sink --pipelining --delay 0.3
	cp "$KITH_CONF" "$T/main.conf"
	write_conf "smtp://127.0.0.1:$SINK_PORT"
	sed -i "s|^data_dir = .*|data_dir = $T/fs/var|" "$KITH_CONF"
	kith init >/dev/null
	kith list create full@example.org --owner alice@example.org >/dev/null
	for i in 1 2 3 4 5 6 7 8 9 10; do kith member add full "m$i@example.net" >/dev/null; done
	printf 'From: alice@example.org\nTo: full@example.org\nSubject: full\nMessage-ID: <full-1@x>\n\nhello\n' > "$T/full.eml"
	post "$T/full.eml" full@example.org >/dev/null
	kith deliver > "$T/full.out" 2> "$T/full.err" &
	p=$!
	wait_sink 1 10
	dd if=/dev/zero of="$T/fs/fill" bs=4k 2>/dev/null
	wait $p
	rc=$?
	assert_ok '[ $rc = 75 ] && readable "$T/full.err" && grep -q "^kith: deliver: cannot record delivery results: database or disk is full" "$T/full.err"' "on a full disk deliver exits 75 ($rc) and says so: $(tail -n 1 "$T/full.err")"
	rm -f "$T/fs/fill"
	kith deliver >/dev/null 2>&1
	assert_ok '[ "$(sqlite3 "$T/fs/var/kith.db" "SELECT count(*) FROM outbox WHERE state!=\"sent\"")" = 0 ]' "once there is room again, the next deliver sends the rest"
	umount "$T/fs"
	cp "$T/main.conf" "$KITH_CONF"
	stop_sink
	start_sink --pipelining
	sed -i "s|^transport = .*|transport = smtp://127.0.0.1:$SINK_PORT|" "$KITH_CONF"
else
	echo "# skipped the full-disk check: mounting a tmpfs needs root"
fi

# ---- A6: a killed delivery's claims are released at once -----------------
# kill -9 in the middle of a 400-recipient delivery, then at once (same
# clock: the 600 s lease has not run out) another 'kith deliver': every
# member gets the post, and only the transactions in flight go twice.
rm -f "$SINK_DIR"/*
i=1
while [ $i -le 397 ]; do echo "k$i@example.net"; i=$((i + 1)); done > "$T/k.txt"
kith list create kill@example.org --owner alice@example.org >/dev/null
kith member add kill bob@example.org >/dev/null
kith member add kill carol@example.org >/dev/null
kith member import kill "$T/k.txt" >/dev/null
stop_sink
start_sink --pipelining --delay 0.01
sed -i "s|^transport = .*|transport = smtp://127.0.0.1:$SINK_PORT|" "$KITH_CONF"
printf 'From: alice@example.org\nTo: kill@example.org\nSubject: kill\nMessage-ID: <kill-1@x>\n\nhello\n' > "$T/kill.eml"
post "$T/kill.eml" kill@example.org >/dev/null
# Its own process group, so that kill -9 reaches every worker.
LD_PRELOAD="$FAKETIME_LIB" FAKETIME="@$NOW" setsid "$KITH_BIN" deliver --workers 2 --commit-every 5000 >/dev/null 2>&1 &
pid=$!
wait_sink 100 20
pkill -KILL -g "$pid"
wait "$pid" 2>/dev/null
got=$(sink_count)
left=$(db "SELECT count(*) FROM outbox WHERE state='sending'")
assert_ok '[ "$got" -ge 100 ] && [ "$got" -lt 400 ] && [ "$left" = 400 ]' "delivery killed with -9 after $got of 400; $left rows left claimed"
kith deliver > "$T/kill.out" 2>&1
$PY - "$SINK_DIR" "$T/k.txt" <<'PYEOF' > "$T/kill.res"
import glob, json, sys, collections
c = collections.Counter()
for f in glob.glob(sys.argv[1] + "/*.json"):
    for r in json.load(open(f))["rcpt_tos"]:
        c[r] += 1
want = {l.split()[0] for l in open(sys.argv[2])} | {"alice@example.org", "bob@example.org", "carol@example.org"}
print(len(want - set(c)), sum(n - 1 for n in c.values() if n > 1))
PYEOF
read missing dups < "$T/kill.res"
assert_ok '[ "$missing" = 0 ]' "the next deliver, at once, reaches everybody the killed one did not ($missing missing): $(cat "$T/kill.out")"
assert_ok '[ "$dups" -le 2 ]' "only the transactions in flight (2 workers) went twice ($dups)"
assert_ok '[ "$(db "SELECT count(*) FROM outbox o JOIN outbox_messages m ON m.id=o.message_id WHERE m.list_id=(SELECT id FROM lists WHERE local=\"kill\") AND o.state!=\"sent\"")" = 0 ]' "every row of the post ends 'sent'"
assert_ok '[ -z "$(ls "$T/var/journal")" ]' "no journal is left behind"

finish
