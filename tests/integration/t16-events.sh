#!/bin/sh
# Events by email: iMIP invitations checked by python3-icalendar and the
# email package (MIME shape, fields, folding, escaping), RSVPs as calendar
# apps send them (Google-like, .ics-only, Exchange without ORGANIZER, out
# of order), by command, capacity with waitlist and promotion, updates,
# one cancelled occurrence, reminders and the nudge at their time with
# racing crons, invitations for new members, the feed, DST in recurrence.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

if ! $PY -c 'import icalendar' 2>/dev/null; then
	echo "SKIP: python3-icalendar is not installed (scripts/setup-deps.sh --test)"
	exit 77
fi
# The story starts after the last DTSTAMP the replies below carry and
# before the events and the RSVP deadline.
set_clock "2026-11-28 12:00:00"
start_sink --pipelining
setup_list "authserv_id = mx.example.org"
kith member add team dave@example.org --name '김민준' >/dev/null
VI="$PY $HERE/verify_invite.py"
# MR INVITATION ATTENDEE PARTSTAT [options]: a calendar app's reply,
# answered now (its DTSTAMP, unless --dtstamp)
MR() { $PY "$HERE/make_reply.py" --now "$NOW" "$@"; }
ev_in() {	# ev_in FILE: to the mail's To (the invitation's ORGANIZER), from its From
	from=$($MT header "$1" From | sed 's/.*<//; s/>.*//')
	to=$($MT header "$1" To | sed 's/.*<//; s/>.*//')
	kith receive -r "$to" -f "$from" < "$1" 2>>"$T/receive.err"
	echo $?
}
answer() { kith event show "$1" --json | $PY -c "import json,sys; print({a['address']: a['answer'] for a in json.load(sys.stdin)['attendees']}.get('$2'))"; }

json=$(kith event create team --title x --start "2027-01-01 10:00" --duration 1h --tz UTC --json)
assert_ok 'printf "%s\n" "$json" | $PY -c "import json,sys; d=json.load(sys.stdin); assert d[\"id\"] > 0 and d[\"invited\"] == 4"' "create --json: id and the 4 members invited ($json)"
kith event cancel $(printf '%s\n' "$json" | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])') >/dev/null
kith deliver >/dev/null
rm -f "$SINK_DIR"/*
# A description with the characters RFC 5545 escapes and a long UTF-8
# line that must be folded between characters, never inside one.
printf 'Bring: gloves, seeds; a spade.\nSecond line\\with backslash.\n%s\n' \
	"다음 모임은 정원에서 열립니다. 장갑과 씨앗을 가져오세요. 모두 환영합니다. 함께 즐거운 시간을 보내요." > "$T/desc.txt"
desc=$(cat "$T/desc.txt")
id=$(kith event create team --title 'Garden day, spring; 2027' --start "2026-12-04 18:00" --end "2026-12-04 20:00" \
	--tz Europe/Prague --location 'Café Slavia, Praha' --description "$T/desc.txt" \
	--rrule 'FREQ=WEEKLY;BYDAY=FR' --capacity 2 --remind 24h,1h --rsvp-by 2026-12-03)
assert_ok 'printf "%s\n" "$id" | grep -qx "[0-9][0-9]*"' "create prints the id alone ($id)"
err=$(kith event create team --title x --start "2026-12-04 18:00" --duration 1h --tz Mars/Olympus 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && printf "%s\n" "$err" | grep -q "not a time zone"' "an unknown zone is refused: $err"
err=$(kith event create team --title x --start "2026-12-04 18:00" --duration 1h --tz UTC --rrule 'FREQ=SOMETIMES' 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && printf "%s\n" "$err" | grep -q "not a recurrence rule"' "a bad RRULE is refused: $err"
err=$(kith event show 99999999999999999999 2>&1); rc=$?
assert_ok '[ $rc = 64 ] && printf "%s\n" "$err" | grep -q "is not an event id" && ! printf "%s\n" "$err" | grep -q 9223372036854775807' "an event id past 64 bits is no id, not 'no event 9223372036854775807': $err"
q=$(kith queue --json | wc -c)
err=$(kith event create team --title x --start "2027-02-01 18:00" --duration 1h --tz UTC --rsvp-by 2026-05-01 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && printf "%s\n" "$err" | grep -q "the answer deadline 2026-05-01 23:59 (UTC) has passed" && [ "$(kith queue --json | wc -c)" = "$q" ]' "an answer deadline already past is refused, nobody invited: $err"
n=$(kith event ls team | wc -l)
err=$(kith event create team --title "Spring walk" --start "2027-03-28 02:30" --duration 2h --tz Europe/Prague 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && [ "$(printf "%s\n" "$err" | wc -l)" = 1 ] && printf "%s\n" "$err" | grep -q "2027-03-28 02:30. does not exist in Europe/Prague: the clocks skip that hour" && [ "$(kith event ls team | wc -l)" = "$n" ]' "a start the clocks skip (02:30 the night summer time begins) is refused in one line, no event made: it was moved to 03:30 without a word ($err)"
err=$(kith event create team --title x --start "2025-12-04 18:00" --duration 1h --tz UTC 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && [ "$(printf "%s\n" "$err" | wc -l)" = 1 ] && printf "%s\n" "$err" | grep -q "would be over already: it ended 2025-12-04 19:00 (UTC); nobody was invited" && [ "$(kith queue --json | wc -c)" = "$q" ]' "an event already over (a year typed wrong) is refused in one line and nobody is invited: $err"
rm -f "$SINK_DIR"/*
kith deliver >/dev/null
assert_ok '[ "$(count bob@example.org)" = 1 ] && [ "$(count dave@example.org)" = 1 ] && [ "$(sink_count)" = 4 ]' "each member gets one invitation"
r=$($VI "$(last bob@example.org)" bob@example.org method=REQUEST 'summary=Garden day, spring; 2027' \
	"description=$desc" 'location=Café Slavia, Praha' sequence=0 tzid=Europe/Prague \
	'start=2026-12-04 18:00' 'end=2026-12-04 20:00' 'rrule=FREQ=WEEKLY;BYDAY=FR' status=CONFIRMED)
assert_ok 'printf "%s\n" "$r" | grep -q "^ok kith-"' "the invitation: MIME shape, VTIMEZONE, TZID, escaping and folding as icalendar reads them ($r)"
uid=${r#ok }
r=$($VI "$(last dave@example.org)" dave@example.org method=REQUEST)
assert_ok 'printf "%s\n" "$r" | grep -q "^ok"' "dave's copy names dave as the one ATTENDEE ($r)"
assert_ok '$MT header "$(last dave@example.org)" To | grep -q "김민준"' "dave's name in To, RFC 2047 decoded"
p=$(kith event parse "$(last bob@example.org)")
assert_ok 'printf "%s\n" "$p" | cut -f2,3,4 | grep -q "^REQUEST	$uid	0$"' "libical reads our own invitation back (kith event parse)"

for who in alice bob carol dave; do cp "$(last $who@example.org)" "$T/inv-$who.eml"; done

# --- answers from calendar apps
MR "$T/inv-bob.eml" bob@example.org ACCEPTED --dtstamp 20261125T100000Z > "$T/r1"
assert_ok '[ "$(ev_in "$T/r1")" = 0 ] && [ "$(answer $id bob@example.org)" = accepted ]' "bob accepts with a Google-style REPLY"
MR "$T/inv-carol.eml" carol@example.org ACCEPTED --dtstamp 20261125T100000Z --ics-only > "$T/r2"
assert_ok '[ "$(ev_in "$T/r2")" = 0 ] && [ "$(answer $id carol@example.org)" = accepted ]' "carol accepts with an .ics attachment"
rm -f "$SINK_DIR"/*
# capacity 2: dave (Exchange-style, no ORGANIZER) goes on the waitlist
MR "$T/inv-dave.eml" dave@example.org ACCEPTED --dtstamp 20261125T110000Z --no-organizer > "$T/r3"
ev_in "$T/r3" >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(answer $id dave@example.org)" = waitlist ]' "capacity 2: the third acceptance (Exchange, no ORGANIZER) goes on the waitlist"
assert_ok '[ "$($MT header "$(last dave@example.org)" Subject)" = "On the waitlist: Garden day, spring; 2027, Fri 4 Dec 2026, 18:00 CET" ]' "and dave is told: $($MT header "$(last dave@example.org)" Subject)"
# bob declines: a seat frees, dave is promoted and told
MR "$T/inv-bob.eml" bob@example.org DECLINED --dtstamp 20261126T100000Z > "$T/r4"
ev_in "$T/r4" >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(answer $id bob@example.org)" = declined ] && [ "$(answer $id dave@example.org)" = accepted ]' "bob declines; dave is promoted from the waitlist"
assert_ok '$MT body "$(last dave@example.org)" | grep -q "a seat at Garden day, spring; 2027 has freed up"' "and dave is told the seat is his"
# an older reply arriving late never overwrites a newer one
MR "$T/inv-bob.eml" bob@example.org ACCEPTED --dtstamp 20261125T120000Z > "$T/r5"
ev_in "$T/r5" >/dev/null
assert_ok '[ "$(answer $id bob@example.org)" = declined ]' "an older DTSTAMP arriving after a newer answer is ignored"
# nobody answers for someone else
MR "$T/inv-bob.eml" bob@example.org ACCEPTED --from carol@example.org --to team-events@example.org --no-organizer --dtstamp 20261127T100000Z > "$T/r6"
ev_in "$T/r6" >/dev/null
assert_ok '[ "$(answer $id bob@example.org)" = declined ]' "carol cannot answer for bob"
# a non-member's reply gets one polite answer, not two
rm -f "$SINK_DIR"/*
MR "$T/inv-bob.eml" eve@example.net ACCEPTED --to team-events@example.org --no-organizer > "$T/r7"
ev_in "$T/r7" >/dev/null; ev_in "$T/r7" >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(count eve@example.net)" = 1 ] && $MT body "$(last eve@example.net)" | grep -q "not from a member"' "a non-member is answered once, politely"
MR "$T/inv-carol.eml" carol@example.org ACCEPTED --uid nosuch@example.org > "$T/r8"
assert_ok '[ "$(ev_in "$T/r8")" = 0 ] && grep -q "reply for unknown event .nosuch@example.org." "$T/receive.err"' "a reply to an unknown event is logged"

# --- rsvp by email
rm -f "$SINK_DIR"/*
# (signed: our MTA's Authentication-Results prove the sender, see t21)
printf 'Authentication-Results: mx.example.org; dkim=pass header.d=example.org\nFrom: alice@example.org\nTo: team-request@example.org\nSubject: rsvp\nMessage-ID: <rq1@x>\n\nrsvp maybe %s\n' "$id" > "$T/rq1"
post "$T/rq1" team-request@example.org >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(answer $id alice@example.org)" = tentative ] && $MT body "$(last alice@example.org)" | grep -q "Done: maybe, for Garden day"' "'rsvp maybe ID' to team-request@ records a tentative answer"
printf 'From: alice@example.org\nTo: team-request@example.org\nSubject: rsvp\nMessage-ID: <rq2@x>\n\nrsvp yes 999\n' > "$T/rq2"
post "$T/rq2" team-request@example.org >/dev/null
kith deliver >/dev/null
assert_ok '$MT body "$(last alice@example.org)" | grep -q "no upcoming event 999"' "rsvp to an unknown event says so"

# --- show and attendees
show=$(kith event show $id --json)
assert_ok 'printf "%s\n" "$show" | $PY -c "import json,sys; d=json.load(sys.stdin); assert (d[\"accepted\"], d[\"tentative\"], d[\"declined\"], d[\"waitlist\"], d[\"none\"]) == (2, 1, 1, 0, 0), d"' "show --json: 2 accepted, 1 tentative, 1 declined"
csv=$(kith event attendees $id --csv)
assert_ok 'printf "%s\n" "$csv" | grep -q "^\"dave@example.org\",\"김민준\",\"accepted\"" && printf "%s\n" "$csv" | head -n 1 | grep -q "^\"address\",\"name\",\"answer\""' "attendees --csv with names"
assert_ok 'kith event ls team | grep -q "^$id  *active .* 2 yes   1 maybe   1 no  Garden day"' "ls shows the counts"

# --- update: SEQUENCE 1 to everyone invited
rm -f "$SINK_DIR"/*
kith event update $id --location 'Vyšehrad, Praha' >/dev/null
kith deliver >/dev/null
r=$($VI "$(last carol@example.org)" carol@example.org method=REQUEST sequence=1 'location=Vyšehrad, Praha')
assert_ok 'printf "%s\n" "$r" | grep -q "^ok" && [ "$(sink_count)" = 4 ]' "an update sends SEQUENCE 1 to all 4 invited ($r)"
assert_ok '$MT header "$(last carol@example.org)" Subject | grep -q "^Updated invitation: "' "as an updated invitation"
# an answer with the old SEQUENCE after the update does not count
MR "$T/inv-bob.eml" bob@example.org ACCEPTED --sequence 0 --dtstamp 20261128T100000Z > "$T/r9"
MR "$(last carol@example.org)" carol@example.org DECLINED --sequence 1 --dtstamp 20261128T090000Z > "$T/r10"
ev_in "$T/r10" >/dev/null
MR "$T/inv-carol.eml" carol@example.org ACCEPTED --sequence 0 --dtstamp 20261128T110000Z > "$T/r11"
ev_in "$T/r11" >/dev/null
assert_ok '[ "$(answer $id carol@example.org)" = declined ]' "an answer to SEQUENCE 0 arriving after one to SEQUENCE 1 is ignored"

# --- cancel one occurrence
rm -f "$SINK_DIR"/*
out=$(kith event cancel $id --occurrence 2026-12-11)
kith deliver >/dev/null
r=$($VI "$(last bob@example.org)" bob@example.org method=CANCEL sequence=2 status=CANCELLED 'recurrence-id=2026-12-11 18:00')
assert_ok 'printf "%s\n" "$r" | grep -q "^ok"' "cancelling 2026-12-11 sends METHOD:CANCEL with RECURRENCE-ID ($r; $out)"
err=$(kith event cancel $id --occurrence 2026-12-12 2>&1); rc=$?
assert_ok '[ $rc = 65 ]' "a date without an occurrence is refused ($err)"
rm -f "$SINK_DIR"/*
kith event update $id --title 'Garden day' >/dev/null
kith deliver >/dev/null
r=$($VI "$(last bob@example.org)" bob@example.org method=REQUEST sequence=3 'exdate=2026-12-11 18:00')
assert_ok 'printf "%s\n" "$r" | grep -q "^ok"' "later updates carry EXDATE for it ($r)"
nx=$(at '2026-12-05 12:00:00' event show $id --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["next"][0])')
assert_ok '[ "$nx" = "$(epoch "2026-12-18 17:00")" ]' "the next occurrence after Dec 5 skips the cancelled Dec 11 ($nx)"

# one occurrence answered on its own (RECURRENCE-ID)
MR "$T/inv-dave.eml" dave@example.org DECLINED --recurrence "2026-12-18 18:00" --sequence 3 > "$T/r14"
ev_in "$T/r14" >/dev/null
occ_answer=$(kith event show $id --occurrence 2026-12-18 --json | $PY -c "import json,sys; print({a['address']: a['answer'] for a in json.load(sys.stdin)['attendees']}['dave@example.org'])")
assert_ok '[ "$occ_answer" = declined ] && [ "$(answer $id dave@example.org)" = accepted ]' "a REPLY with RECURRENCE-ID declines one occurrence only (Dec 18: $occ_answer; the series: $(answer $id dave@example.org))"

# --- reminders: 24h and 1h before, exactly once, two crons racing
rm -f "$SINK_DIR"/*
cron_at() { at "$1" cron >/dev/null 2>&1; }
cron_at '2026-12-03 16:59:00'
assert_ok '[ "$(sink_count)" = 0 ]' "no reminder before the time"
# the RSVP nudge: by 2026-12-03, sent a day before to members without an answer
cron_at '2026-12-03 17:00:30' &
p1=$!
cron_at '2026-12-03 17:00:30'
wait $p1
cron_at '2026-12-03 17:01:00'
got=$($PY - "$SINK_DIR" <<'PYEOF'
import glob, email, email.policy, sys, collections
c = collections.Counter()
for f in glob.glob(sys.argv[1] + "/*.eml"):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    c[(str(m["To"]).split("<")[-1].rstrip(">"), str(m["Subject"]).split(":")[0])] += 1
print(" ".join(f"{a}:{s}:{n}" for (a, s), n in sorted(c.items())))
PYEOF
)
assert_ok '[ "$got" = "alice@example.org:Reminder:1 dave@example.org:Reminder:1" ]' "24h before: one reminder each to dave (accepted) and alice (tentative), none to decliners, with two crons racing ($got)"
rm -f "$SINK_DIR"/*
cron_at '2026-12-04 16:00:10'; cron_at '2026-12-04 16:00:40'
assert_ok '[ "$(sink_count)" = 2 ] && [ "$(count dave@example.org)" = 1 ]' "1h before: the second reminder, once"
cron_at '2026-12-04 16:30:00'
assert_ok '[ "$(sink_count)" = 2 ]' "and nothing more"

# --- the nudge, and a new member's invitation
set_clock "2026-12-04 17:00:00"
nid=$(kith event create team --title 'Dinner' --start "2026-12-20 19:00" --duration 3h --tz Europe/Prague --rsvp-by "2026-12-15")
kith deliver >/dev/null
cp "$(last bob@example.org)" "$T/inv-dinner-bob.eml"
MR "$T/inv-dinner-bob.eml" bob@example.org ACCEPTED > "$T/r12"
ev_in "$T/r12" >/dev/null
rm -f "$SINK_DIR"/*
cron_at '2026-12-14 22:00:00'
assert_ok '[ "$(sink_count)" = 0 ]' "no nudge before the day before"
cron_at '2026-12-15 00:10:00'; cron_at '2026-12-15 00:20:00'
assert_ok '[ "$(sink_count)" = 2 ] && [ "$(count bob@example.org)" = 0 ] && $MT header "$(last carol@example.org)" Subject | grep -q "^Are you coming? Dinner"' "one nudge, a day before the deadline, to the 2 members who have not answered (not alice, the owner)"
rm -f "$SINK_DIR"/*
set_clock "2026-12-15 01:00:00"
out=$(kith member add team erin@example.org --name Erin)
kith deliver >/dev/null
assert_ok 'printf "%s\n" "$out" | grep -q "invited to 2 upcoming events" && [ "$(count erin@example.org)" = 2 ]' "a new member gets invitations to the upcoming events ($out)"

# --- the feed
kith event feed team > "$T/feed.ics"
assert_ok '$PY -c "
import icalendar,sys
c = icalendar.Calendar.from_ical(open(\"$T/feed.ics\",\"rb\").read())
assert str(c[\"METHOD\"]) == \"PUBLISH\"
s = sorted(str(e[\"SUMMARY\"]) for e in c.walk(\"VEVENT\"))
assert s == [\"Dinner\", \"Garden day\"], s
"' "kith event feed: METHOD:PUBLISH with the upcoming events"

# --- the whole event cancelled
rm -f "$SINK_DIR"/*
kith event cancel $nid >/dev/null
kith deliver >/dev/null
r=$($VI "$(last carol@example.org)" carol@example.org method=CANCEL status=CANCELLED)
assert_ok 'printf "%s\n" "$r" | grep -q "^ok"' "cancelling the dinner sends METHOD:CANCEL, STATUS:CANCELLED ($r)"
MR "$T/inv-dinner-bob.eml" bob@example.org DECLINED > "$T/r13"
ev_in "$T/r13" >/dev/null
assert_ok 'grep -q "reply for cancelled event $nid" "$T/receive.err"' "a reply to a cancelled event is logged (and answered once)"

# --- DST: weekly on Sunday 10:00 in Prague across the last Sunday of March and October
did=$(kith event create team --title 'Sunday run' --start "2027-03-21 10:00" --duration 1h --tz Europe/Prague --rrule 'FREQ=WEEKLY;BYDAY=SU')
next=$(at '2027-03-01 00:00:00' event show $did --json | $PY -c 'import json,sys; print(" ".join(str(x) for x in json.load(sys.stdin)["next"][:3]))')
want=$($PY -c '
import datetime, zoneinfo
z = zoneinfo.ZoneInfo("Europe/Prague")
print(" ".join(str(int(datetime.datetime(2027, 3, d, 10, 0, tzinfo=z).timestamp())) for d in (21, 28)) + " " + str(int(datetime.datetime(2027, 4, 4, 10, 0, tzinfo=z).timestamp())))')
assert_ok '[ "$next" = "$want" ]' "10:00 in Prague stays 10:00 across the March change: UTC 09:00 then 08:00 ($next)"
next=$(at '2027-10-20 00:00:00' event show $did --json | $PY -c 'import json,sys; print(" ".join(str(x) for x in json.load(sys.stdin)["next"][:2]))')
want=$($PY -c '
import datetime, zoneinfo
z = zoneinfo.ZoneInfo("Europe/Prague")
print(" ".join(str(int(datetime.datetime(2027, 10, d, 10, 0, tzinfo=z).timestamp())) for d in (24, 31)))')
assert_ok '[ "$next" = "$want" ]' "and across the October change: UTC 08:00 then 09:00 ($next)"

# --- the digest ends with the upcoming events and their answers: on
# Dec 15 the next Garden day is Dec 18, which dave declined on its own
kith member set team bob@example.org mode=digest-daily >/dev/null
printf 'From: alice@example.org\nTo: team@example.org\nSubject: news\nMessage-ID: <dg1@x>\n\nhello\n' > "$T/dg1"
post "$T/dg1" >/dev/null
kith digest preview team --plain > "$T/preview"
assert_ok 'grep -A2 "^#$id Garden day" "$T/preview" | grep -q "Fri 18 Dec 2026, 18:00 CET" && grep -A2 "^#$id Garden day" "$T/preview" | grep -q "0 coming, 1 maybe, 3 not coming, 1 not answered; 2 seats, 0 waiting"' "the digest lists the next occurrence with its RSVP counts (dave's decline of Dec 18 counts)"

# --- real invitations and replies (../shared/corpus/imip-labels.tsv)
CORPUS=${KITH_CORPUS:-$KITH_SRCDIR/../shared/corpus}
if [ -f "$CORPUS/imip-labels.tsv" ]; then
	$PY "$HERE/imip_accuracy.py" "$(kith_exe)" "$CORPUS" > "$T/imip"
	cat "$T/imip"
	assert_ok 'tail -n 1 "$T/imip" | grep -q " 0 wrong$"' "every labelled calendar is read right: $(tail -n 1 "$T/imip")"
else
	echo "# SKIP corpus: no corpus at $CORPUS"
fi
finish
