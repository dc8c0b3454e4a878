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
# recording what happened does not.  PostgreSQL's own words for it (its
# SQLSTATE 53100, disk_full), where sqlite's are "database or disk is full".
printf 'From: alice@example.org\nTo: team@example.org\nSubject: rec\nMessage-ID: <rec-1@x>\n\nhello\n' > "$T/rec.eml"
post "$T/rec.eml" >/dev/null
if [ -n "$PG_DB" ]; then
	full_text="could not extend file: No space left on device"
	db "CREATE FUNCTION full_disk() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RAISE EXCEPTION ''$full_text'' USING ERRCODE = ''disk_full''; END'"
	db "CREATE TRIGGER disk_full BEFORE UPDATE OF state ON outbox FOR EACH ROW WHEN (new.state != 'sending') EXECUTE FUNCTION full_disk()"
else
	full_text="database or disk is full"
	db "CREATE TRIGGER full BEFORE UPDATE OF state ON outbox WHEN new.state != 'sending' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;"
fi
kith deliver > "$T/rec.out" 2> "$T/rec.err"
rc=$?
assert_ok '[ $rc = 75 ]' "deliver that cannot record its results exits 75 (got $rc)"
assert_ok 'readable "$T/rec.err"' "its error lines are readable text: $(tail -n 1 "$T/rec.err" | od -c | head -n 2 | tr -s ' ' | tr '\n' ' ')"
assert_ok 'grep -q "^kith: deliver: cannot record .*$full_text" "$T/rec.err"' "and say why: $(tail -n 1 "$T/rec.err")"
if [ -n "$PG_DB" ]; then
	db "DROP TRIGGER disk_full ON outbox; DROP FUNCTION full_disk()"
else
	db "DROP TRIGGER full"
fi

# The same with a real full disk (a 1 MB tmpfs; needs root to mount).
if sqlite_only "2 checks of the database file on a full 1 MB tmpfs (PostgreSQL's full disk: the trigger above)"; then
	:
elif [ "$(id -u)" = 0 ] && mkdir "$T/fs" && mount -t tmpfs -o size=1m tmpfs "$T/fs" 2>/dev/null; then
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
	assert_ok '[ "$(DB_FILE="$T/fs/var/kith.db" db "SELECT count(*) FROM outbox WHERE state!='"'"'sent'"'"'")" = 0 ]' "once there is room again, the next deliver sends the rest"
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
assert_ok '[ "$(db "SELECT count(*) FROM outbox o JOIN outbox_messages m ON m.id=o.message_id WHERE m.list_id=(SELECT id FROM lists WHERE local='"'"'kill'"'"') AND o.state!='"'"'sent'"'"'")" = 0 ]' "every row of the post ends 'sent'"
assert_ok '[ -z "$(ls "$T/var/journal")" ]' "no journal is left behind"

# ---- A7: long header lines are folded, never split into the body --------
# Posts with a 1,500-character Subject (words), a 40-id References line
# and, with the list's subject prefix, the same subject rewritten.  Every
# member's copy keeps List-Id, X-Loop and Precedence as headers and its
# body intact, and its DKIM signature verifies.  A 2,000-character
# Subject without white space cannot be folded: it is quarantined.
if $PY -c 'import dkim' 2>/dev/null; then
	kith dkim keygen example.org --selector s1 >/dev/null
	printf '[dkim]\ndomain = example.org\nselector = s1\n' >> "$KITH_CONF"
	dkim=1
else
	echo "# python3-dkim missing: DKIM not checked"
	dkim=0
fi
stop_sink
start_sink --pipelining
sed -i "s|^transport = .*|transport = smtp://127.0.0.1:$SINK_PORT|" "$KITH_CONF"
kith list create fold@example.org --owner alice@example.org --name Fold >/dev/null
kith member add fold bob@example.org >/dev/null
words=$($PY -c 'print(" ".join("word%d" % i for i in range(200)))')
refs=$($PY -c 'print(" ".join("<ref%d.%s@example.net>" % (i, "r" * 20) for i in range(40)))')
long_post() {	# long_post FILE MSGID SUBJECT [REFERENCES]
	{
		printf 'From: alice@example.org\nTo: fold@example.org\nSubject: %s\nMessage-ID: <%s>\n' "$3" "$2"
		[ -n "${4:-}" ] && printf 'References: %s\n' "$4"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nbody line one\nbody line two\n'
	} > "$1"
	post "$1" fold@example.org
}
assert_ok '[ "$(long_post "$T/f1.eml" long-1@x "$words")" = 0 ]' "a post with a ${#words}-character Subject is accepted"
assert_ok '[ "$(long_post "$T/f2.eml" long-2@x "short" "$refs")" = 0 ]' "a post with a ${#refs}-character References line is accepted"
kith list set fold subject_prefix "[fold]" >/dev/null
assert_ok '[ "$(long_post "$T/f3.eml" long-3@x "$words")" = 0 ]' "with a subject prefix, the long Subject is accepted"
kith list set fold subject_prefix "" >/dev/null
# Mail to the owners is passed on as it came: the SMTP client folds it.
long_post "$T/f5.eml" long-5@x "$words" >/dev/null
sed -i 's/^To: fold@/To: fold-owner@/' "$T/f5.eml"
assert_ok '[ "$(post "$T/f5.eml" fold-owner@example.org)" = 0 ]' "mail with the long Subject to the owners is accepted"
kith deliver >/dev/null 2>&1
cat > "$T/fold.py" <<'PYEOF'
import email, email.policy, glob, json, sys
sink, words, refs = sys.argv[1], sys.argv[2], sys.argv[3]
want = {"long-1@x": ("Subject", words), "long-2@x": ("References", refs),
        "long-3@x": ("Subject", "[fold] " + words),
        "long-5@x": ("Subject", words)}
seen = 0
for js in sorted(glob.glob(sink + "/*.json")):
    raw = open(js[:-5] + ".eml", "rb").read()
    m = email.message_from_bytes(raw, policy=email.policy.compat32)
    mid = (m["Message-ID"] or "").strip("<> ")
    if mid not in want:
        continue
    seen += 1
    name, value = want[mid]
    got = " ".join((m[name] or "").split())
    longest = max(len(l) for l in raw.split(b"\r\n"))
    problems = []
    if got != value:
        problems.append("%s differs (%d chars)" % (name, len(got)))
    for h in ("List-Id", "X-Loop", "Precedence", "List-Post") if mid != "long-5@x" else ("To",):
        if m[h] is None:
            problems.append(h + " is not a header")
    if m.defects:
        problems.append("defects %r" % m.defects)
    if m.get_payload().replace("\r\n", "\n") != "body line one\nbody line two\n":
        problems.append("body %r" % m.get_payload()[:80])
    if longest > 998:
        problems.append("a line of %d octets" % longest)
    print("%s %s" % (mid, "; ".join(problems) or "ok"))
print("seen %d" % seen)
PYEOF
$PY "$T/fold.py" "$SINK_DIR" "$words" "$refs" > "$T/fold.out"
for id in long-1@x long-2@x long-3@x long-5@x; do
	assert_ok 'grep -qx "$id ok" "$T/fold.out"' "the copy of <$id> keeps its headers, the list headers and its body: $(grep -m 1 "^$id" "$T/fold.out")"
done
if [ $dkim = 1 ]; then
	# On the test clock: dkimpy refuses signatures from its future.
	LD_PRELOAD="$FAKETIME_LIB" FAKETIME="@$NOW" $PY "$HERE/verify_dkim.py" \
	    "$SINK_DIR" "$T/var/dkim/s1.example.org.pem" s1 example.org \
	    > "$T/fold.dkim" 2>&1
	rc=$?
	assert_ok '[ $rc = 0 ]' "every copy's DKIM signature verifies: $(grep -c '^ok' "$T/fold.dkim") ok, $(grep -c '^not ok' "$T/fold.dkim") not ok"
fi
nolong=$(head -c 2000 /dev/zero | tr '\0' 'x')
q0=$(db "SELECT count(*) FROM quarantine")
assert_ok '[ "$(long_post "$T/f4.eml" long-4@x "$nolong")" = 0 ]' "a 2,000-character Subject without white space: exit 0 (kept)"
assert_ok '[ "$(db "SELECT count(*) FROM quarantine")" = $((q0 + 1)) ] && db "SELECT reason FROM quarantine ORDER BY id DESC LIMIT 1" | grep -q "cannot be folded"' "and quarantined: $(db "SELECT reason FROM quarantine ORDER BY id DESC LIMIT 1")"
assert_ok '[ "$(db "SELECT count(*) FROM posts WHERE message_id='"'"'long-4@x'"'"'")" = 0 ]' "it reaches nobody"

# ---- A11: parsing cost is bounded ------------------------------------------
# Every shape under the list's max_size (10 MB by default) costs less than
# 2 s of CPU and 3x its size + 20 MB of memory (the process alone is about
# 12 MB); over max_size, only max_size is ever held.
if [ -x /usr/bin/time ]; then
	# AddressSanitizer's shadow memory and redzones make RSS meaningless.
	fits='[ "$rss" -lt "$bound" ]'
	if ldd "$KITH_BIN" 2>/dev/null | grep -q libasan; then
		echo "# built with AddressSanitizer: memory bounds not checked"
		fits=true
	fi
	kith list create big@example.org --owner alice@example.org >/dev/null
	kith member add big bob@example.org >/dev/null
	# measure RCPT FILE - kith receive under /usr/bin/time -v: rc, cpu, rss (KB)
	measure() {
		LD_PRELOAD="$FAKETIME_LIB" FAKETIME="@$NOW" /usr/bin/time -v \
		    -o "$T/time" "$KITH_BIN" receive -r "$1" -f alice@example.org \
		    < "$2" 2> "$T/measure.err"
		rc=$?
		cpu=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {printf "%.2f", u + s}' "$T/time")
		rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$T/time")
		size=$(wc -c < "$2")
		bound=$((3 * size / 1024 + 20480))
	}
	for shape in "deep 10000 big" "deep 10000 big-events" "wide 100000 big" "large 9 big" "headers 100000 big" "longhdr 9 big"; do
		set -- $shape
		$PY "$HERE/genmail.py" "$1" "$2" "$3@example.org" > "$T/shape.eml"
		measure "$3@example.org" "$T/shape.eml"
		assert_ok '[ $rc = 0 ] && [ "$(echo "$cpu < 2" | bc)" = 1 ] && eval "$fits"' "$1 $2 to $3@ ($size bytes): exit $rc, CPU $cpu s (< 2), max RSS $rss KB (< $bound)"
		[ "$1" = deep ] && [ "$3" = big ] && cp "$T/shape.eml" "$T/deep.eml"
	done
	# The deep post is not read, but it is delivered byte for byte.
	rm -f "$SINK_DIR"/*
	kith deliver >/dev/null 2>&1
	got=$(grep -l "^Message-ID: <deep-10000@x>" "$SINK_DIR"/*.eml | head -n 1)
	cat > "$T/samebody.py" <<'PYEOF'
import sys
a, b = (open(f, "rb").read().split(b"\r\n\r\n", 1)[1] for f in sys.argv[1:])
sys.exit(a != b)
PYEOF
	assert_ok '[ -n "$got" ] && $PY "$T/samebody.py" "$T/deep.eml" "$got"' "the 10,000-level post reaches the member with its body unchanged"
	assert_ok '[ "$(db "SELECT count(*) FROM posts WHERE message_id='"'"'deep-10000@x'"'"'")" = 1 ]' "and is archived"

	# Over max_size: 30 MB to a list that takes 1 MB.
	kith list set big max_size 1048576 >/dev/null
	$PY "$HERE/genmail.py" large 30 big@example.org > "$T/huge.eml"
	rm -f "$SINK_DIR"/*
	measure big@example.org "$T/huge.eml"
	bound=$((3 * 1024 + 20480))
	assert_ok '[ $rc = 0 ] && [ "$(echo "$cpu < 2" | bc)" = 1 ] && eval "$fits"' "a $size-byte post over a 1 MB max_size: exit $rc, CPU $cpu s, max RSS $rss KB (< $bound: 3x the limit + 20 MB)"
	kith deliver >/dev/null 2>&1
	notice=$(last alice@example.org)
	assert_ok '[ -n "$notice" ] && grep -q "it is $(( (size + 524288) / 1048576 )) MB" "$notice" && grep -q "accepts is 1 MB" "$notice"' "the sender gets the too-big notice with the real size, in MB"
	assert_ok '[ "$(db "SELECT count(*) FROM posts WHERE message_id='"'"'large-30@x'"'"'")" = 0 ] && [ -z "$(last bob@example.org)" ]' "and nothing of it is archived or sent"
	sed 's/^To: big@/To: big-request@/' "$T/huge.eml" > "$T/huge-req.eml"
	measure big-request@example.org "$T/huge-req.eml"
	assert_ok '[ $rc = 65 ] && eval "$fits" && grep -q "^kith: inbound: message to .big-request@example.org. is larger than 1048576 bytes; not accepted" "$T/measure.err"' "the same to big-request@: exit $rc (65: the MTA bounces it), max RSS $rss KB: $(cat "$T/measure.err")"
	b0=$(db "SELECT count(*) FROM bounces_in")
	measure big-bounces+x@example.org "$T/huge.eml"
	assert_ok '[ $rc = 0 ] && eval "$fits" && [ "$(db "SELECT count(*) FROM bounces_in")" = $((b0 + 1)) ] && [ "$(db "SELECT length(raw) FROM bounces_in ORDER BY id DESC LIMIT 1")" -lt 1200000 ]' "a 30 MB report to big-bounces+...@ is read from its first megabyte: exit $rc, max RSS $rss KB"
else
	echo "# /usr/bin/time missing: parsing costs not measured"
fi

finish
