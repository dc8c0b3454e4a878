#!/bin/sh
# A 2,000-member newsletter killed with -9 mid-send resumes with
# 'kith newsletter send' again: every member gets it, nobody twice beyond
# the transactions in flight.  On a terminal, send draws a progress bar.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

if ! command -v script >/dev/null; then
	echo "SKIP: script is not installed (util-linux)"
	exit 77
fi
# Each DATA answered after 5 ms: the send takes seconds, and the kill
# lands half-way even on a loaded machine.
start_sink --pipelining --delay 0.005
setup_list
i=1
while [ $i -le 1997 ]; do echo "m$i@example.net Member $i"; i=$((i + 1)); done > "$T/members.txt"
kith member import team "$T/members.txt" >/dev/null
printf 'Hello {{member.name}},\n\nNews.\n' > "$T/nl.txt"
id=$(kith newsletter create team --subject 'Big' --text "$T/nl.txt")

setsid "$(kith_exe)" newsletter send $id > "$T/out1" 2>&1 &
pid=$!
wait_sink 300 30
kill_tree "$pid"
got=$(sink_count)
assert_ok '[ "$got" -ge 300 ] && [ "$got" -lt 2000 ]' "send killed with -9 after $got of 2000"
st=$(db "SELECT state FROM campaigns WHERE id=$id")
assert_ok '[ "$st" = sending ]' "the campaign stays 'sending' ($st)"
# Rows the killed workers held are leased; after the lease, 'send' resumes.
clock_add 11m
kith newsletter send $id > "$T/out2" 2>&1
assert_ok 'grep -q "sending already; resuming" "$T/out2" && grep -q "2000 sent, 0 deferred, 0 failed, 0 pending of 2000" "$T/out2"' "send again resumes: $(tail -n 1 "$T/out2")"
$PY - "$SINK_DIR" "$T/members.txt" <<'PYEOF' > "$T/dups"
import glob, json, sys, collections
c = collections.Counter()
for f in glob.glob(sys.argv[1] + "/*.json"):
    for r in json.load(open(f))["rcpt_tos"]:
        c[r] += 1
want = {l.split()[0] for l in open(sys.argv[2])} | {"alice@example.org", "bob@example.org", "carol@example.org"}
print(len(want - set(c)), sum(n - 1 for n in c.values() if n > 1))
PYEOF
read missing dups < "$T/dups"
assert_ok '[ "$missing" = 0 ]' "every one of the 2,000 members got the newsletter ($missing missing)"
assert_ok '[ "$dups" -le 4 ]' "duplicates only from the transactions in flight: $dups (<= 4 workers)"
assert_ok '[ "$(db "SELECT state FROM campaigns WHERE id=$id")" = sent ]' "then it is marked sent"

# On a terminal: a progress bar (sent/total, rate, ETA) on stderr.
id2=$(kith newsletter create team --subject 'Bar' --text "$T/nl.txt")
script -qec "$(kith_exe) newsletter send $id2" /dev/null > "$T/tty" 2>&1
assert_ok 'grep -q "\] 2000/2000  [0-9]*/s  ETA 0:00" "$T/tty"' "on a terminal send draws a progress bar: $(tr '\r' '\n' < "$T/tty" | grep '/s' | tail -n 1)"
assert_ok 'grep -q "^campaign $id2: 2000 sent" "$T/tty"' "and ends with its one-line summary"
finish
