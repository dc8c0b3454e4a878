#!/bin/sh
# A calendar's answer acts only for the member whose invitation it
# answers (issue 11 A8).  Each member's invitation names its own
# ORGANIZER, team-events+TOKEN@, also its Reply-To, the same across
# updates; a REPLY to it answers for that member only.  A REPLY to the
# plain team-events@ acts at once only when our MTA vouches for the From
# (Authentication-Results) and the From is the ATTENDEE; otherwise the
# member confirms by mail at their own address.  A damaged token, one
# for another event, one used for another member, or an answer Kith does
# not understand changes nothing and is answered politely.  Replies are
# built with python3-icalendar; invitations are read with it and Python's
# email package.  Every kith call runs on the test clock (lib.sh).
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

if ! $PY -c 'import icalendar' 2>/dev/null; then
	echo "SKIP: python3-icalendar missing (scripts/setup-deps.sh --test)"
	exit 77
fi
set_clock "2026-11-02 09:00:00"
start_sink --pipelining
setup_list "authserv_id = mx.example.org"
kith list set team timezone Europe/Prague >/dev/null
kith member add team dave@example.org --name Dave >/dev/null
MR="$PY $HERE/make_reply.py --now"
VI="$PY $HERE/verify_invite.py"
AR='Authentication-Results: mx.example.org; dkim=pass header.d=example.org'
evid() { $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
answer() {	# answer EVENT ADDRESS [DATE]: accepted declined tentative none ...
	kith event show "$1" ${3:+--occurrence $3} --json | $PY -c "import json,sys; print({a['address']: a['answer'] for a in json.load(sys.stdin)['attendees']}.get('$2'))"
}
rcv() {	# rcv FILE RCPT [ENVELOPE-FROM]: kith receive, the exit code
	kith receive -r "$2" -f "${3:-$($MT header "$1" From | sed 's/.*<//; s/>.*//')}" < "$1" 2>>"$T/receive.err"
	echo $?
}
signed() {	# signed FILE: the same mail with our MTA's Authentication-Results on top
	{ printf '%s\r\n' "$AR"; cat "$1"; } > "$1.signed"
	echo "$1.signed"
}
org_of() {	# org_of FILE: "ORGANIZER-address CN Reply-To-address", or FAIL
	$PY - "$1" <<'PYEOF'
import email, email.policy, sys, icalendar
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
cals = [p for p in m.walk() if p.get_content_type() == "text/calendar"]
if len(cals) != 1:
    print("FAIL %d calendars" % len(cals)); sys.exit()
ev = icalendar.Calendar.from_ical(cals[0].get_payload(decode=True)).walk("VEVENT")[0]
org = ev["ORGANIZER"]
rt = m["Reply-To"].addresses[0].addr_spec if m["Reply-To"] else "-"
print(str(org)[7:] if str(org).lower().startswith("mailto:") else "FAIL " + str(org),
      org.params.get("CN"), rt)
PYEOF
}
sent_to() { $MT header "$1" To | sed 's/.*<//; s/>.*//'; }

hike=$(kith event create team --title Hike --start "2026-12-12 08:00" --duration 8h --json | evid)
run=$(kith event create team --title Run --start "2026-12-04 18:00" --duration 1h --rrule 'FREQ=WEEKLY;BYDAY=FR' --json | evid)
kith deliver >/dev/null
for who in bob carol dave; do
	$PY - "$SINK_DIR" $who@example.org "$T" $who <<'PYEOF'
import glob, json, shutil, sys, email, email.policy
for js in sorted(glob.glob(sys.argv[1] + "/*.json")):
    if sys.argv[2] in json.load(open(js))["rcpt_tos"]:
        m = email.message_from_binary_file(open(js[:-5] + ".eml", "rb"), policy=email.policy.default)
        what = "hike" if "Hike" in str(m["Subject"]) else "run"
        shutil.copy(js[:-5] + ".eml", "%s/inv-%s-%s.eml" % (sys.argv[3], what, sys.argv[4]))
PYEOF
done

# --- the invitation: ORGANIZER and Reply-To are the member's own address
ob=$(org_of "$T/inv-hike-bob.eml"); oc=$(org_of "$T/inv-hike-carol.eml"); orun=$(org_of "$T/inv-run-bob.eml")
tok_bob=${ob%% *}
assert_ok 'echo "$ob" | grep -Eq "^team-events\+[a-z0-9.]+-0-[a-z2-7]{16}@example.org Team team-events\+[^ ]*@example.org$" && [ "${ob%% *}" = "${ob##* }" ]' "bob's invitation: ORGANIZER;CN=Team:mailto:team-events+TOKEN@, the same address as its Reply-To ($ob)"
assert_ok '[ "${oc%% *}" != "$tok_bob" ] && [ "${orun%% *}" != "$tok_bob" ] && echo "$oc $orun" | grep -q "^team-events+"' "carol's token and bob's token for another event differ from bob's ($oc; $orun)"
r=$($VI "$T/inv-hike-bob.eml" bob@example.org method=REQUEST summary=Hike)
assert_ok 'echo "$r" | grep -q "^ok"' "the invitation is still one a calendar client reads ($r)"
# an update and a cancelled occurrence keep the same ORGANIZER for the member
rm -f "$SINK_DIR"/*
kith event update $hike --location 'Pálava' >/dev/null
kith event cancel $run --occurrence 2026-12-11 >/dev/null
kith deliver >/dev/null
upd=; cnl=
for f in "$SINK_DIR"/*.eml; do
	[ "$(sent_to "$f")" = bob@example.org ] || continue
	case "$($MT header "$f" Subject)" in
	"Updated invitation: Hike"*) upd=$f;; "Cancelled: Run"*) cnl=$f;;
	esac
done
r=$($VI "$upd" bob@example.org method=REQUEST sequence=1 "organizer=$tok_bob")
assert_ok 'echo "$r" | grep -q "^ok"' "the update (SEQUENCE 1) names bob's same ORGANIZER and Reply-To, read by icalendar ($r)"
r=$($VI "$cnl" bob@example.org method=CANCEL sequence=1 "organizer=${orun%% *}" "recurrence-id=2026-12-11 18:00")
assert_ok 'echo "$r" | grep -q "^ok"' "so does the cancellation of one Run ($r)"

# --- a forged From with the member as ATTENDEE, to the plain team-events@
rm -f "$SINK_DIR"/*
$MR "$NOW" "$T/inv-hike-carol.eml" bob@example.org ACCEPTED --dtstamp 20261120T100000Z --to team-events@example.org --no-organizer > "$T/forged"
rc=$(rcv "$T/forged" team-events@example.org mallory@example.net)
kith deliver >/dev/null
assert_ok '[ "$rc" = 0 ] && [ "$(answer $hike bob@example.org)" = none ]' "From: bob, ATTENDEE bob, to team-events@ without proof: nothing recorded ($(answer $hike bob@example.org))"
conf=$(last bob@example.org)
assert_ok '[ "$(count bob@example.org)" = 1 ] && $MT header "$conf" Subject | grep -q "^Please confirm: answer \"yes\" to the invitation to Hike" && $MT header "$conf" Reply-To | grep -q "team-confirm+"' "the member is asked to confirm, at the member's own address ($($MT header "$conf" Subject))"
assert_ok '[ "$(count mallory@example.net)" = 0 ] && [ "$(sink_count)" = 1 ]' "nothing goes to the forger"
$MR "$NOW" "$T/inv-hike-carol.eml" bob@example.org ACCEPTED --dtstamp 20261120T110000Z --from bob@evil.example --to team-events@example.org --no-organizer > "$T/forged2"
rcv "$T/forged2" team-events@example.org >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(answer $hike bob@example.org)" = none ] && [ "$(count bob@evil.example)" = 0 ] && [ "$(count bob@example.org)" = 2 ]' "From: an alias, ATTENDEE bob: nothing recorded, the confirmation goes to bob@example.org, nothing to the alias"
# the real bob confirms: now it counts
send bob@example.org "$($MT header "$conf" Reply-To | tr -d '<>')" "Re: Please confirm" ""
assert_ok '[ "$(answer $hike bob@example.org)" = accepted ] && $MT body "$(last bob@example.org)" | grep -q "Done: you are coming to Hike"' "bob's confirmation records his yes ($(answer $hike bob@example.org))"

# --- the real member's answer to the token address counts at once
rm -f "$SINK_DIR"/*
$MR "$NOW" "$T/inv-hike-carol.eml" carol@example.org ACCEPTED --dtstamp 20261130T100000Z > "$T/carol-yes"
to=$(sent_to "$T/carol-yes")	# the calendar answers the ORGANIZER
rc=$(rcv "$T/carol-yes" "$to")
kith deliver >/dev/null
assert_ok '[ "$to" = "${oc%% *}" ] && case "$to" in team-events+*) true;; *) false;; esac && [ "$rc" = 0 ] && [ "$(answer $hike carol@example.org)" = accepted ] && [ "$(sink_count)" = 0 ]' "carol's REPLY to her team-events+TOKEN@ is recorded at once, no mail needed ($to: $(answer $hike carol@example.org))"
# from another address of hers (an alias as From and ATTENDEE): still carol
$MR "$NOW" "$T/inv-hike-carol.eml" carol.home@example.net TENTATIVE --dtstamp 20261201T100000Z > "$T/carol-alias"
rcv "$T/carol-alias" "${oc%% *}" >/dev/null
assert_ok '[ "$(answer $hike carol@example.org)" = tentative ] && grep -q "names .carol.home@example.net.: taken as the member" "$T/receive.err"' "an alias as ATTENDEE answers for the token's member, logged"

# --- member A's token with member B as ATTENDEE: nothing for anyone
rm -f "$SINK_DIR"/*
$MR "$NOW" "$T/inv-hike-carol.eml" dave@example.org DECLINED --dtstamp 20261202T100000Z > "$T/cross"
rc=$(rcv "$T/cross" "${oc%% *}")
kith deliver >/dev/null
assert_ok '[ "$rc" = 0 ] && [ "$(answer $hike dave@example.org)" = none ] && [ "$(answer $hike carol@example.org)" = tentative ]' "carol's token with dave as ATTENDEE records neither dave nor carol"
assert_ok '[ "$(count dave@example.org)" = 1 ] && $MT body "$(last dave@example.org)" | grep -q "someone other than the member the invitation was sent to"' "the sender is told why, politely"

# --- a damaged token, and a token for another event: nothing changes
rm -f "$SINK_DIR"/*
c=$(echo "$tok_bob" | sed 's/.*\(.\)@.*/\1/')	# the MAC's last character, changed
[ "$c" = a ] && c=b || c=a
bad=$(echo "$tok_bob" | sed "s/.@/$c@/")
$MR "$NOW" "$T/inv-hike-bob.eml" bob@example.org DECLINED --dtstamp 20261203T100000Z --to "$bad" > "$T/damaged"
rc=$(rcv "$T/damaged" "$bad"); rcv "$T/damaged" "$bad" >/dev/null
kith deliver >/dev/null
assert_ok '[ "$rc" = 0 ] && [ "$bad" != "$tok_bob" ] && [ "$(answer $hike bob@example.org)" = accepted ]' "a damaged token changes nothing ($bad)"
assert_ok '[ "$(count bob@example.org)" = 1 ] && $MT body "$(last bob@example.org)" | grep -q "is not one this list gave out"' "the sender is told politely, once a day ($(count bob@example.org) mails)"
rm -f "$SINK_DIR"/*
$MR "$NOW" "$T/inv-hike-bob.eml" bob@example.org DECLINED --dtstamp 20261203T110000Z --uid "$(kith event show $run --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["uid"])')" > "$T/other"
rcv "$T/other" "$tok_bob" >/dev/null
assert_ok '[ "$(answer $run bob@example.org)" = none ] && grep -q "came to the address of an invitation to $hike" "$T/receive.err"' "bob's Hike token answering the Run changes nothing"

# --- a proven sender to the plain team-events@ acts at once
rm -f "$SINK_DIR"/*
$MR "$NOW" "$T/inv-hike-dave.eml" dave@example.org ACCEPTED --dtstamp 20261204T100000Z --to team-events@example.org --no-organizer > "$T/dave"
printf 'Authentication-Results: evil.example; dkim=pass header.d=example.org\r\n' > "$T/dave.fake"; cat "$T/dave" >> "$T/dave.fake"
rcv "$T/dave.fake" team-events@example.org >/dev/null
a1=$(answer $hike dave@example.org)
rc=$(rcv "$(signed "$T/dave")" team-events@example.org)
kith deliver >/dev/null
assert_ok '[ "$a1" = none ] && [ "$rc" = 0 ] && [ "$(answer $hike dave@example.org)" = accepted ]' "a REPLY whose From our MTA's Authentication-Results vouch for is recorded at once; one with another authserv-id is not ($a1, then $(answer $hike dave@example.org))"
assert_ok '[ "$(count dave@example.org)" = 1 ] && $MT header "$(last dave@example.org)" Subject | grep -q "^Please confirm"' "only the unproven one asked for a confirmation"

# --- one occurrence, unproven: the confirmation keeps the date
rm -f "$SINK_DIR"/*
$MR "$NOW" "$T/inv-run-dave.eml" dave@example.org DECLINED --dtstamp 20261205T100000Z --recurrence "2026-12-18 18:00" --to team-events@example.org --no-organizer > "$T/occ"
rcv "$T/occ" team-events@example.org >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(answer $run dave@example.org 2026-12-18)" = none ] && [ "$(db "SELECT commands FROM pending WHERE address='"'"'dave@example.org'"'"' ORDER BY id DESC LIMIT 1")" = "rsvp no $run 2026-12-18" ]' "an unproven answer for one occurrence waits as 'rsvp no $run 2026-12-18'"
send dave@example.org "$($MT header "$(last dave@example.org)" Reply-To | tr -d '<>')" "Re: Please confirm" "yes"
assert_ok '[ "$(answer $run dave@example.org 2026-12-18)" = declined ] && [ "$(answer $run dave@example.org)" = none ] && [ "$(answer $run dave@example.org 2026-12-25)" = none ] && $MT body "$(last dave@example.org)" | grep -q "Done: you are not coming to Run on 2026-12-18"' "confirmed, it declines that occurrence only, and says so"

# --- an answer Kith does not understand: nothing, one polite answer
rm -f "$SINK_DIR"/*
$MR "$NOW" "$T/inv-run-bob.eml" bob@example.org X-PERHAPS --dtstamp 20261206T100000Z > "$T/xps"
rcv "$T/xps" "${orun%% *}" >/dev/null
$MR "$NOW" "$T/inv-run-carol.eml" carol@example.org NEEDS-ACTION --dtstamp 20261206T100000Z --to team-events@example.org --no-organizer > "$T/na"
rcv "$(signed "$T/na")" team-events@example.org >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(answer $run bob@example.org)" = none ] && [ "$(answer $run carol@example.org)" = none ]' "PARTSTAT X-PERHAPS (to the token) and NEEDS-ACTION (signed, to team-events@) record nothing"
assert_ok '[ "$(count bob@example.org)" = 1 ] && $MT body "$(last bob@example.org)" | grep -q "X-PERHAPS" && $MT body "$(last bob@example.org)" | grep -q "only Yes, No and Maybe" && $MT body "$(last bob@example.org)" | grep -q "rsvp yes $run"' "bob is told which answers are understood"
assert_ok '[ "$(count carol@example.org)" = 1 ] && $MT body "$(last carol@example.org)" | grep -q "NEEDS-ACTION"' "so is carol"

finish
