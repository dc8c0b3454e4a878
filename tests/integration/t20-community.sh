#!/bin/sh
# Recognition and re-engagement on the test's clock: the first digest of a
# month thanks last month's top contributors (not those who said 'set
# thanks off'); nudge_after sends one friendly note to quiet members, at
# most once per 90 days, never to no-mail members.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink --pipelining
write_conf "smtp://127.0.0.1:$SINK_PORT"
n=0
say() {	# say TIME FROM
	n=$((n + 1))
	printf 'From: %s\nTo: team@example.org\nSubject: note %s\nMessage-ID: <n%s@x>\n\nhello\n' "$2" "$n" "$n" > "$T/p$n"
	at "$1" receive -r team@example.org -f "$2" < "$T/p$n" 2>>"$T/receive.err"
}
set_clock "2026-09-01 10:00:00"
kith init >/dev/null
kith list create team@example.org --owner alice@example.org --name Team >/dev/null
for m in bob:Bob carol:Carol dave:Dave erin:Erin quiet:Quiet; do
	kith member add team ${m%:*}@example.org --name "${m#*:}" >/dev/null
done
kith member set team quiet@example.org mode=nomail >/dev/null
kith list set team thanks on >/dev/null
kith member set team alice@example.org mode=digest-daily >/dev/null
assert_ok 'kith member set team Dave@Example.ORG thanks=off | grep -q "thanks=off" && [ "$(db "SELECT thanks FROM members WHERE address='"'dave@example.org'"'")" = 0 ]' "dave opts out of the thank-you, his address typed as he writes it (it was 'not a member': only thanks= took the address byte for byte)"
for d in 02 03 04; do say "2026-11-$d 12:00:00" bob@example.org; done
say "2026-11-05 12:00:00" carol@example.org
for d in 06 07 08 09 10; do say "2026-11-$d 12:00:00" dave@example.org; done
say "2026-10-30 12:00:00" erin@example.org
# the first digest of December carries the thank-you (no cron ran in
# November: the posts owed since then go out in that one issue)
at "2026-12-01 07:30:00" cron >/dev/null 2>&1
f=$(last alice@example.org)
assert_ok 'grep -q "^Thank you" "$f" && grep -q "In November 2026 these members" "$f"' "the first December digest thanks November's contributors"
names=$(grep -A4 "these members" "$f" | sed -n 3,4p | tr -d '\r' | tr '\n' '|')
assert_ok '[ "$names" = "  Bob (3 posts, 0 event answers)|  Carol (1 post, 0 event answers)|" ]' "Bob, then Carol; Dave (5 posts) opted out: $names"
say "2026-12-01 12:00:00" bob@example.org
at "2026-12-02 07:30:00" cron >/dev/null 2>&1
f2=$(last alice@example.org)
assert_ok '[ "$f2" != "$f" ] && ! grep -q "^Thank you" "$f2"' "the second digest of the month does not thank again"

# nudge_after: erin posted on Oct 30; quiet is no-mail
set_clock "2026-12-02 08:00:00"
kith list set team nudge_after 60d >/dev/null
assert_ok 'kith list set team nudge_after soon 2>/dev/null; [ $? != 0 ]' "a malformed nudge_after is refused"
kith deliver >/dev/null 2>&1
rcpts() {
	$PY - "$SINK_DIR" <<'PYEOF'
import glob, json, sys
print(" ".join(sorted(r for f in glob.glob(sys.argv[1] + "/*.json") for r in json.load(open(f))["rcpt_tos"])))
PYEOF
}
rm -f "$SINK_DIR"/*
at "2026-12-20 10:00:00" cron >/dev/null 2>&1 &
p1=$!
at "2026-12-20 10:00:00" cron >/dev/null 2>&1
wait $p1
got=$(rcpts)
assert_ok '[ "$got" = "alice@example.org" ]' "Dec 20: only alice (never posted since joining in September) gets a note, once with racing crons ($got)"
assert_ok '$MT header "$(last alice@example.org)" Subject | grep -q "^We miss you"' "a friendly note"
rm -f "$SINK_DIR"/*
at "2027-01-02 10:00:00" cron >/dev/null 2>&1
got=$(rcpts)
assert_ok '[ "$got" = "erin@example.org" ]' "Jan 2: erin (last post Oct 30); quiet (no-mail) never ($got)"
rm -f "$SINK_DIR"/*
at "2027-02-15 10:00:00" cron >/dev/null 2>&1
got=$(rcpts)
assert_ok '[ "$got" = "bob@example.org carol@example.org dave@example.org" ]' "Feb 15: bob, carol, dave; not alice or erin again within 90 days ($got)"
rm -f "$SINK_DIR"/*
at "2027-04-05 10:00:00" cron >/dev/null 2>&1
got=$(rcpts)
assert_ok '[ "$got" = "alice@example.org erin@example.org" ]' "Apr 5: alice and erin again, 90 days on ($got)"
finish
