#!/bin/sh
# Events an organiser can trust (issue 11): 'event create' without --tz
# takes the list's zone and no event subcommand ends by a signal on
# missing, empty or garbage values (A2); a seat held by a member who
# leaves (unsubscribe, removal, ban, bounces) goes to the first one
# waiting (A3); the RSVP nudge goes only to invited members who have not
# answered, never for a full event or after the deadline, and names the
# deadline in the list's zone (A4); a waitlisted member's calendar is
# corrected by an invitation that says TENTATIVE, and a promotion sends
# one that says ACCEPTED, read with python3-icalendar (B11).  Every kith
# call runs on the test clock (lib.sh).
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

if ! $PY -c 'import icalendar' 2>/dev/null; then
	echo "SKIP: python3-icalendar missing (scripts/setup-deps.sh --test)"
	exit 77
fi
set_clock "2026-11-02 09:00:00"
start_sink --pipelining
setup_list "authserv_id = mx.example.org"
kith list set team timezone Europe/Prague >/dev/null
MR="$PY $HERE/make_reply.py --now"
evid() { $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
answer() { kith event show "$1" --json | $PY -c "import json,sys; print({a['address']: a['answer'] for a in json.load(sys.stdin)['attendees']}.get('$2'))"; }
ev_in() {	# ev_in FILE: a calendar answer to team-events@, from the mail's From
	from=$($MT header "$1" From | sed 's/.*<//; s/>.*//')
	kith receive -r team-events@example.org -f "$from" < "$1" 2>>"$T/receive.err"
	echo $?
}

# --- A2: no --tz means the list's zone; nothing ends by a signal
out=$(kith event create team --title Hike --start "2026-12-20 10:00" --duration 1h 2>"$T/err"); rc=$?
assert_ok '[ $rc = 0 ] && echo "$out" | grep -qx "[0-9][0-9]*"' "create without --tz works (exit $rc: $out $(cat "$T/err"))"
id=$out
tz=$(kith event show "$id" --json 2>/dev/null | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["tz"], d["start"])')
assert_ok '[ "$tz" = "Europe/Prague $(epoch "2026-12-20 09:00:00")" ]' "it takes the list's timezone: 10:00 in Prague ($tz)"
out=$(kith event create team --title Walk --start "2026-12-21 10:00" --end "2026-12-21 12:30" 2>/dev/null); rc=$?
d=$(kith event show "$out" --json 2>/dev/null | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["duration"])')
assert_ok '[ $rc = 0 ] && [ "$d" = 9000 ]' "--end without --tz is read in the list's zone too (exit $rc, duration $d)"

# Every subcommand and option, with the value missing, empty and garbage:
# each run ends with an exit code (0 or a sysexits code), never a signal,
# and a refusal says why ("kith: ..." or the usage).
printf 'garbage\001\377\n' > "$T/garbage"
: > "$T/signals"
: > "$T/silent"
# (a pass that repeats a full one tries one run in FUZZ_EVERY, lib.sh: a
# different value of the eight for each option)
tries=0
try() {
	tries=$((tries + 1))
	[ $(((tries + tries / 8) % FUZZ_EVERY)) = 0 ] || return 0
	kith "$@" >"$T/try.out" 2>"$T/try.err" </dev/null
	rc=$?
	[ $rc -ge 128 ] && echo "$rc: $*" >> "$T/signals"
	[ $rc -ne 0 ] && ! grep -q "^kith: \|^usage: " "$T/try.err" && echo "$rc: $*" >> "$T/silent"
	return 0
}
for sub in create update cancel show attendees; do
	for opt in --title --start --end --duration --tz --location --description \
	    --rrule --capacity --remind --rsvp-by --occurrence --json --csv; do
		for val in MISSING "" "zz$(printf '\001')" -1 99999999999999999999 \
		    "9999-12-31 23:59" "$T/garbage" "$(printf 'x%.0s' $(seq 1 3000))"; do
			if [ "$sub" = create ]; then
				set -- event create team --title T --duration 1h --start "2026-12-20 10:00"
			else
				set -- event $sub $id
			fi
			if [ "$val" = MISSING ]; then try "$@" $opt; else try "$@" $opt "$val"; fi
		done
	done
done
for sub in create update cancel ls show attendees feed parse nosuch; do
	for val in MISSING "" "zz$(printf '\001')" 99999999999999999999 \
	    --json team "$T/garbage"; do
		if [ "$val" = MISSING ]; then try event $sub; else
			try event $sub "$val"; try event $sub "$val" --json; try event $sub "$val" "$val"
		fi
	done
done
assert_ok '[ ! -s "$T/signals" ]' "no event subcommand ends by a signal on missing, empty or garbage values ($(head -n 3 "$T/signals" | tr '\n' ';'))"
assert_ok '[ ! -s "$T/silent" ]' "every refusal says why on stderr ($(head -n 3 "$T/silent" | tr '\n' ';'))"
err=$(kith event show "$id" --title x 2>&1); rc=$?
assert_ok '[ $rc = 64 ] && echo "$err" | grep -q "has no option .--title."' "an option a subcommand does not take is refused, not ignored ($rc: $err)"
out=$(kith event ls --json team); rc=$?
assert_ok '[ $rc = 0 ] && echo "$out" | $PY -c "import json,sys; assert len(json.load(sys.stdin)) >= 2"' "event ls takes --json before the list ($rc)"
out=$(kith event attendees "$id" --json); rc=$?
assert_ok '[ $rc = 0 ] && echo "$out" | $PY -c "import json,sys; d=json.load(sys.stdin); assert {a[\"address\"] for a in d} >= {\"bob@example.org\"}, d"' "event attendees --json prints JSON ($rc)"

# --- A3 and B11: a full event, its waitlist, and every way of leaving
kith deliver >/dev/null
rm -f "$SINK_DIR"/*
for m in dave:Dave erin:Erin frank:Frank gina:Gina; do
	kith member add team ${m%:*}@example.org --name "${m#*:}" >/dev/null
done
kith list set team bounce_threshold 1 >/dev/null
eid=$(kith event create team --title 'Pálava' --start "2026-12-12 08:00" --duration 10h --capacity 1 --json 2>/dev/null | evid)
kith deliver >/dev/null
for who in bob carol erin; do cp "$(last $who@example.org)" "$T/inv-$who.eml"; done
rm -f "$SINK_DIR"/*
$MR "$NOW" "$T/inv-bob.eml" bob@example.org ACCEPTED > "$T/r-bob"
ev_in "$T/r-bob" >/dev/null
$MR "$NOW" "$T/inv-carol.eml" carol@example.org ACCEPTED > "$T/r-carol"
ev_in "$T/r-carol" >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(answer $eid bob@example.org)" = accepted ] && [ "$(answer $eid carol@example.org)" = waitlist ]' "capacity 1: bob has the seat, carol (Accept in her calendar) waits"
# B11: carol's calendar said Accepted; one mail corrects it
cal_state() {	# cal_state FILE ADDRESS: METHOD PARTSTAT SUMMARY of the calendar, or FAIL
	$PY - "$1" "$2" <<'PYEOF'
import email, email.policy, sys, icalendar
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
cals = [p for p in m.walk() if p.get_content_type() == "text/calendar"]
if len(cals) != 1:
    print("FAIL %d text/calendar parts" % len(cals)); sys.exit()
c = icalendar.Calendar.from_ical(cals[0].get_payload(decode=True))
ev = c.walk("VEVENT")[0]
a = ev.get("ATTENDEE")
a = a if isinstance(a, list) else [a]
if len(a) != 1 or str(a[0]).lower() != "mailto:" + sys.argv[2]:
    print("FAIL attendee %s" % a); sys.exit()
print(str(c["METHOD"]), a[0].params.get("PARTSTAT"), str(ev["SUMMARY"]), cals[0].get_param("method"))
PYEOF
}
f=$(last carol@example.org)
st=$(cal_state "$f" carol@example.org)
assert_ok '[ "$(count carol@example.org)" = 1 ] && [ "$st" = "REQUEST TENTATIVE Pálava REQUEST" ]' "the waitlisted member gets one updated invitation whose ATTENDEE says TENTATIVE, not ACCEPTED ($st)"
assert_ok '$MT header "$f" Subject | grep -q "^On the waitlist: Pálava, Sat 12 Dec 2026, 08:00 CET" && $MT body "$f" | grep -q "so you are on the waitlist"' "and it says so: $($MT header "$f" Subject)"
# the same by command: one reply that says so, no second mail
for who in dave erin frank gina; do
	printf 'Authentication-Results: mx.example.org; dkim=pass header.d=example.org\nFrom: %s@example.org\nTo: team-request@example.org\nSubject: rsvp\nMessage-ID: <rq-%s@x>\n\nrsvp yes %s\n' "$who" "$who" "$eid" > "$T/rq-$who"
	post "$T/rq-$who" team-request@example.org >/dev/null
done
kith deliver >/dev/null
assert_ok '[ "$(count dave@example.org)" = 1 ] && $MT body "$(last dave@example.org)" | grep -q "you are on the waitlist"' "'rsvp yes' on a full event: one reply that says the waitlist ($(count dave@example.org) mails)"
wl() { kith event show $eid --json | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["accepted"], d["waitlist"], " ".join(a["address"].split("@")[0] for a in d["attendees"] if a["answer"] == "accepted"))'; }
assert_ok '[ "$(wl)" = "1 5 bob" ]' "1 seated, 5 waiting ($(wl))"
promoted() {	# promoted WHO WAITING: WHO got the seat, one mail whose calendar says ACCEPTED
	f=$(last $1@example.org)
	st=$(cal_state "$f" $1@example.org)
	[ "$st" = "REQUEST ACCEPTED Pálava REQUEST" ] && $MT header "$f" Subject | grep -q "^A seat is yours: Pálava" &&
		$MT body "$f" | grep -q "has freed up, and it is yours" && [ "$(count $1@example.org)" = 1 ] && [ "$(wl)" = "1 $2 $1" ]
}
# 1. bob unsubscribes (List-Unsubscribe of his invitation, one step)
rm -f "$SINK_DIR"/*
unsub=$($MT header "$T/inv-bob.eml" List-Unsubscribe | sed 's/.*<mailto:\([^>]*\)>.*/\1/')
send bob@example.org "$unsub" "Unsubscribe" ""
kith cron >/dev/null 2>&1; kith deliver >/dev/null
assert_ok '! db "SELECT address FROM members" | grep -q bob@ && promoted carol 4' "bob unsubscribes: his seat goes to carol, first in line, told by an invitation that says ACCEPTED ($(wl); $(cal_state "$(last carol@example.org)" carol@example.org))"
# 2. carol is removed by the owner
rm -f "$SINK_DIR"/*
kith member rm team carol@example.org >/dev/null
kith cron >/dev/null 2>&1; kith deliver >/dev/null
assert_ok 'promoted dave 3' "carol is removed: dave gets the seat ($(wl))"
# 3. dave is banned
rm -f "$SINK_DIR"/*
kith ban add team dave@example.org >/dev/null
kith cron >/dev/null 2>&1; kith deliver >/dev/null
assert_ok 'promoted erin 2' "dave is banned: erin gets the seat ($(wl))"
# 4. erin's mail bounces (threshold 1): delivery disabled
verp=$($PY - "$SINK_DIR" erin@example.org <<'PYEOF'
import glob, json, sys
for js in sorted(glob.glob(sys.argv[1] + "/*.json")):
    d = json.load(open(js))
    if sys.argv[2] in d["rcpt_tos"]:
        print(d["mail_from"])
PYEOF
)
rm -f "$SINK_DIR"/*
printf 'From: MAILER-DAEMON@mx.example.org\nTo: %s\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <dsn-erin@mx>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n--B\nContent-Type: text/plain\n\n<erin@example.org>: 550 5.1.1 User unknown\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; erin@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n--B--\n' "$verp" > "$T/dsn-erin"
kith receive -r "$verp" -f "" < "$T/dsn-erin" 2>>"$T/receive.err"
assert_ok '[ "$(db "SELECT count(*) FROM members WHERE address='"'"'erin@example.org'"'"' AND disabled > 0")" = 1 ]' "erin's copy bounced hard: her delivery is disabled ($verp)"
kith cron >/dev/null 2>&1; kith deliver >/dev/null
assert_ok 'promoted frank 1' "erin is disabled by bounces: frank gets the seat ($(wl))"
kith cron >/dev/null 2>&1; kith deliver >/dev/null
assert_ok '[ "$(count frank@example.org)" = 1 ] && [ "$(wl)" = "1 1 frank" ]' "a second cron changes nothing"
# an update: the member still waiting gets a copy that says so (TENTATIVE)
rm -f "$SINK_DIR"/*
kith event update $eid --location 'Mikulov' >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(cal_state "$(last gina@example.org)" gina@example.org)" = "REQUEST TENTATIVE Pálava REQUEST" ] && $MT body "$(last gina@example.org)" | grep -q "you are on the waitlist"' "an update to gina, still waiting, says TENTATIVE and the waitlist"
assert_ok '[ "$(cal_state "$(last frank@example.org)" frank@example.org)" = "REQUEST NEEDS-ACTION Pálava REQUEST" ]' "and to frank as before"
# more seats: the waitlist moves up at once
rm -f "$SINK_DIR"/*
kith event update $eid --capacity 2 >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(wl)" = "2 0 frank gina" ] && $MT header "$(last gina@example.org)" Subject | grep -q "^A seat is yours"' "capacity 1 -> 2: gina gets the new seat ($(wl))"

# --- A4: the RSVP nudge (a second list, its zone Europe/Prague)
kith list create club@example.org --owner olga@example.org --name Club >/dev/null
for m in pavel radka sona; do kith member add club $m@example.org >/dev/null; done
kith list set club timezone Europe/Prague >/dev/null
dinner=$(kith event create club --title Dinner --start "2026-12-20 19:00" --duration 3h --rsvp-by 2026-12-15 2>/dev/null)
sauna=$(kith event create club --title Sauna --start "2026-12-21 18:00" --duration 2h --capacity 1 --rsvp-by 2026-12-16 2>/dev/null)
late=$(kith event create club --title Late --start "2026-12-22 18:00" --duration 2h --rsvp-by "2026-12-10 12:00" 2>/dev/null)
printf 'Authentication-Results: mx.example.org; dkim=pass header.d=example.org\nFrom: pavel@example.org\nTo: club-request@example.org\nSubject: coming\nMessage-ID: <rq-pavel@x>\n\nrsvp yes %s\nrsvp yes %s\n' "$dinner" "$sauna" > "$T/rq-pavel"
post "$T/rq-pavel" club-request@example.org >/dev/null
kith deliver >/dev/null
rm -f "$SINK_DIR"/*
nudges() { $PY - "$SINK_DIR" "$1" <<'PYEOF'
import glob, email, email.policy, sys
out = []
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if str(m["Subject"]).startswith("Are you coming? " + sys.argv[2]):
        out.append(str(m["To"]).split("<")[-1].rstrip(">").split("@")[0])
print(" ".join(sorted(out)))
PYEOF
}
at "2026-12-10 12:30:00" cron >/dev/null 2>&1; at "2026-12-10 12:30:00" deliver >/dev/null
assert_ok '[ -z "$(nudges Late)" ]' "no nudge once the deadline has passed ($(nudges Late))"
at "2026-12-14 22:00:00" cron >/dev/null 2>&1; at "2026-12-14 22:00:00" deliver >/dev/null
assert_ok '[ "$(sink_count)" = 0 ]' "no nudge before the last day ($(sink_count) mails)"
at "2026-12-15 08:00:00" cron >/dev/null 2>&1
at "2026-12-15 08:05:00" cron >/dev/null 2>&1; at "2026-12-15 08:05:00" deliver >/dev/null
assert_ok '[ "$(nudges Dinner)" = "radka sona" ]' "one nudge each to the invited members without an answer: not to pavel (answered), not to olga (the organiser) ($(nudges Dinner))"
f=$(last radka@example.org)
assert_ok '$MT body "$f" | grep -q "would like to know by Tue 15 Dec 2026, 23:59 CET" && ! $MT body "$f" | grep -qi tomorrow' "it names the real deadline in the list's zone, not 'tomorrow': $($MT body "$f" | grep 'know by')"
at "2026-12-16 08:00:00" cron >/dev/null 2>&1; at "2026-12-16 08:00:00" deliver >/dev/null
assert_ok '[ -z "$(nudges Sauna)" ]' "no nudge for a full event ($(nudges Sauna))"

# --- A seat freed by a member who leaves goes on at once, not at the
# next cron (issue 12: the event feature's on_leave hook)
bowl=$(kith event create club --title Bowling --start "2026-12-28 18:00" --duration 2h --capacity 1 2>/dev/null)
for who in pavel radka sona; do
	printf 'Authentication-Results: mx.example.org; dkim=pass header.d=example.org\nFrom: %s@example.org\nTo: club-request@example.org\nSubject: rsvp\nMessage-ID: <bowl-%s@x>\n\nrsvp yes %s\n' "$who" "$who" "$bowl" > "$T/bowl-$who"
	post "$T/bowl-$who" club-request@example.org >/dev/null
done
kith deliver >/dev/null
bwl() { kith event show $bowl --json | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["accepted"], d["waitlist"], " ".join(a["address"].split("@")[0] for a in d["attendees"] if a["answer"] == "accepted"))'; }
assert_ok '[ "$(bwl)" = "1 2 pavel" ]' "capacity 1: pavel has the seat, radka and sona wait ($(bwl))"
bowl_seat() {	# bowl_seat WHO: one mail to WHO, a seat whose calendar says ACCEPTED
	f=$(last $1@example.org)
	[ "$(count $1@example.org)" = 1 ] && $MT header "$f" Subject | grep -q "^A seat is yours: Bowling" &&
		[ "$(cal_state "$f" $1@example.org)" = "REQUEST ACCEPTED Bowling REQUEST" ]
}
inv=$(ls -t "$SINK_DIR"/*.eml 2>/dev/null | while read -r f; do $MT header "$f" Subject | grep -q "^Invitation: Bowling" && $MT header "$f" To | grep -q pavel@ && echo "$f" && break; done)
unsub=$($MT header "$inv" List-Unsubscribe | sed 's/.*<mailto:\([^>]*\)>.*/\1/')
rm -f "$SINK_DIR"/*
send pavel@example.org "$unsub" "Unsubscribe" ""
kith deliver >/dev/null
assert_ok '! db "SELECT address FROM members WHERE list_id=(SELECT id FROM lists WHERE local='"'"'club'"'"')" | grep -q pavel@ && [ "$(bwl)" = "1 1 radka" ] && bowl_seat radka' "pavel unsubscribes: radka has his seat at once, no cron ($(bwl))"
rm -f "$SINK_DIR"/*
kith member rm club radka@example.org >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(bwl)" = "1 0 sona" ] && bowl_seat sona' "radka is removed: sona has the seat at once, no cron ($(bwl))"

finish
