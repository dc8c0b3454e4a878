#!/bin/sh
# Onboarding on the test's clock: steps at the right days, skipped with
# --unless, exactly once under racing crons, not sent to leavers or
# no-mail members, no burst for members who joined before the sequence;
# the funnel of a crafted history asserted exactly.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink --pipelining
# alice, bob and carol join the day before the sequence is made
set_clock "2026-11-30 10:00:00"
setup_list
set_clock "2026-12-01 10:00:00"
subjects() {	# "address:subject-word" of everything the sink has, sorted
	$PY - "$SINK_DIR" <<'PYEOF'
import glob, email, email.policy, sys
out = []
for f in glob.glob(sys.argv[1] + "/*.eml"):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    out.append(str(m["To"]).strip("<>").split("@")[0] + ":" + str(m["Subject"]).split()[0])
print(" ".join(sorted(out)))
PYEOF
}

assert_ok 'kith onboarding add team --after 3d --template intro-nudge --unless posted | grep -q "^step 1"' "add step 1: intro-nudge after 3 days unless posted"
kith onboarding add team --after 4d --template first-meetup --unless rsvped >/dev/null
kith onboarding add team --after 7d --template help-organise >/dev/null
assert_ok 'kith onboarding add team --after 1d --template no-such-template 2>/dev/null; [ $? = 65 ]' "a missing template is refused"
assert_ok 'kith onboarding add team --after soon --template intro-nudge 2>/dev/null; [ $? = 65 ]' "a bad delay is refused"
assert_ok '[ "$(kith onboarding ls team | wc -l)" = 3 ] && kith onboarding ls team | grep -q "2. after   4.0 days  first-meetup  *unless rsvped"' "ls shows the 3 steps"
set_clock "2026-12-01 11:00:00"
for m in m1 m2 m3 m4; do kith member add team $m@example.org >/dev/null; done
# m2 posts on day 1, so step 1 is skipped for m2
printf 'From: m2@example.org\nTo: team@example.org\nSubject: hello all\nMessage-ID: <hi@x>\n\nHi, I am m2.\n' > "$T/hi"
set_clock "2026-12-02 11:00:00"
kith receive -r team@example.org -f m2@example.org < "$T/hi"
kith deliver >/dev/null; rm -f "$SINK_DIR"/*

at "2026-12-04 10:59:00" cron >/dev/null 2>&1
assert_ok '[ "$(sink_count)" = 0 ]' "nothing before 3 days"
at "2026-12-04 13:00:00" cron >/dev/null 2>&1 &
p1=$!
at "2026-12-04 13:00:00" cron >/dev/null 2>&1
wait $p1
at "2026-12-04 13:01:00" cron >/dev/null 2>&1
got=$(subjects)
assert_ok '[ "$got" = "m1:Say m3:Say m4:Say" ]' "day 3: intro-nudge once each to m1, m3, m4 (m2 had posted; alice, bob, carol joined before the sequence), racing crons ($got)"
rm -f "$SINK_DIR"/*
at "2026-12-05 10:00:00" member rm team m4@example.org >/dev/null
at "2026-12-06 10:00:00" member set team m3@example.org mode=nomail >/dev/null
at "2026-12-08 12:00:00" cron >/dev/null 2>&1
assert_ok '[ "$(sink_count)" = 0 ]' "step 2 waits 4 days from step 1"
at "2026-12-08 14:00:00" cron >/dev/null 2>&1
at "2026-12-08 14:05:00" cron >/dev/null 2>&1
got=$(subjects)
assert_ok '[ "$got" = "m1:Come m2:Come" ]' "day 7: first-meetup to m1 and m2 only (m4 left, m3 went no-mail) ($got)"
rm -f "$SINK_DIR"/*
at "2026-12-30 09:00:00" cron >/dev/null 2>&1
at "2026-12-30 09:01:00" cron >/dev/null 2>&1
got=$(subjects)
assert_ok '[ "$got" = "m1:Would m2:Would" ]' "a cron that was down for weeks sends step 3 once, no burst ($got)"
rm -f "$SINK_DIR"/*
at "2027-01-30 09:00:00" cron >/dev/null 2>&1
assert_ok '[ "$(sink_count)" = 0 ]' "and nothing after the last step"

js=$(at "2027-01-30 09:00:00" onboarding progress team --json)
printf '%s\n' "$js"
assert_ok 'printf "%s\n" "$js" | $PY -c "
import json,sys; d=json.load(sys.stdin)
s = d[\"steps\"]
assert (d[\"in_sequence\"], d[\"finished\"]) == (4, 2), d
assert [(x[\"sent\"], x[\"skipped\"], x[\"waiting\"], x[\"left\"]) for x in s] == [(3, 1, 0, 0), (2, 0, 0, 2), (2, 0, 0, 0)], s
assert [x[\"median_days\"] for x in s] == [3.08, 4.04, 21.79], s
"' "the funnel: step 1 sent 3 skipped 1; step 2 sent 2, 2 left there; step 3 sent 2; medians 3.08, 4.04, 21.79 days"
finish
