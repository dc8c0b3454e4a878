#!/bin/sh
# A member moves to another address: by the organiser's command, by mail
# (confirmed from the old address, then from the new one) and from the
# preference page (its token, then the new address).  What the member
# has follows (settings, language, tags, answers, votes, onboarding, the
# join date), the old address is told and gets nothing more; refused,
# forged, unclear, declined and expired answers change nothing.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

. "$HERE/serve_lib.sh"

start_sink
setup_list "authserv_id = mx.example.org" \
	"web_base_url = https://lists.example.org/kith/" \
	"[http]" "listen = 127.0.0.1:0"
export KITH_DB="$T/var/kith.db" SINK_DIR T
kith member add team dave@example.org --name Dave >/dev/null
kith member add team erin@example.org --name Erin >/dev/null
is_member() { [ "$(db "SELECT count(*) FROM members WHERE address='$1'")" = 1 ]; }
not_member() { [ "$(db "SELECT count(*) FROM members WHERE address='$1'")" = 0 ]; }
reply_to() { $MT header "$(last "$1")" Reply-To | tr -d '<>'; }
AR="Authentication-Results: mx.example.org; dkim=pass header.d=example.org"
# signed FROM BODY - a request to team-request@ our MTA vouches for
signed() { send "$1" team-request@example.org "cmd" "$2" "$AR"; }
col() { db "SELECT $1 FROM members WHERE address='$2'"; }

# 1. What Bob has: settings, a language, a tag, an answer to an event, a
#    vote, the first onboarding step, a delivery disabled by bounces.
kith member set team bob@example.org digest_format=plain >/dev/null
kith member set team bob@example.org thanks=off >/dev/null
kith member set team bob@example.org language=cs >/dev/null
kith member tag team bob@example.org hikes >/dev/null
ev=$(kith event create team --title Picnic --start "$(after 10d | cut -c1-16)" \
	--duration 2h --tz UTC --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
poll=$(kith poll create team --question 'When?' --option Saturday --option Sunday \
	--json | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
kith deliver >/dev/null 2>&1
signed bob@example.org "rsvp yes $ev"
signed bob@example.org "vote $poll 2"
kith onboarding add team --after 1d --template first-discussion >/dev/null
kith onboarding add team --after 1d --template first-meetup >/dev/null
clock_add 25h
kith cron >/dev/null 2>&1
kith deliver >/dev/null 2>&1
bob_id=$(col id bob@example.org)
joined=$(col joined bob@example.org)
assert_ok '[ "$(db "SELECT count(*) FROM rsvps WHERE member_id=$bob_id")" = 1 ] && [ "$(db "SELECT address FROM poll_votes WHERE member_id=$bob_id")" = bob@example.org ] && [ "$(db "SELECT count(*) FROM onboarding WHERE address='"'"'bob@example.org'"'"'")" = 1 ]' "Bob has answered the event, voted and had the first onboarding step"
db "UPDATE members SET disabled=$(epoch) WHERE id=$bob_id"

# 2. The organiser moves him.
out=$(kith member set team bob@example.org address=' Bob@New.Example.org ' 2>/dev/null); rc=$?
assert_ok '[ $rc = 0 ] && [ "$out" = "team@example.org: bob@example.org moved to bob@new.example.org" ]' "kith member set ... address=NEW moves the member ($rc: $out)"
assert_ok 'not_member bob@example.org && [ "$(col id bob@new.example.org)" = "$bob_id" ]' "the same member, now at bob@new.example.org"
assert_ok '[ "$(col "digest_format || thanks || lang || joined || disabled" bob@new.example.org)" = "plain0cs${joined}0" ]' "settings, language and join date are his still; delivery is on again"
assert_ok '[ "$(kith member ls team --tag hikes | cut -d" " -f1)" = bob@new.example.org ]' "the tag followed"
assert_ok '[ "$(db "SELECT address FROM event_invites WHERE member_id=$bob_id")" = bob@new.example.org ] && [ "$(db "SELECT count(*) FROM rsvps WHERE member_id=$bob_id")" = 1 ]' "the invitation and the answer followed"
assert_ok '[ "$(db "SELECT address FROM poll_votes WHERE member_id=$bob_id")" = bob@new.example.org ] && [ "$(db "SELECT count(*) FROM poll_log WHERE address='"'"'bob@example.org'"'"'")" = 0 ]' "the vote followed, its log too"
assert_ok '[ "$(db "SELECT address || '"'"' '"'"' || event || '"'"' '"'"' || at FROM member_log WHERE address LIKE '"'"'bob@%'"'"'")" = "bob@new.example.org joined $joined" ]' "the history: one join, under the new address, on the day he joined"
kith deliver >/dev/null 2>&1
m=$(last bob@example.org)
assert_ok '$MT header "$m" Subject | grep -q "se přesunulo na bob@new.example.org" && $MT body "$m" | grep -q "rozhodnutím správců"' "the old address is told, in his language, that the owners moved it"
# the invitation the old address got answers for it (its token names
# it): the new address is invited again, to answer from its calendar
pycheck <<'EOF'
from webtool import *
import icalendar
cal = None
for m in mails_to("bob@new.example.org"):
    for part in m.walk():
        if part.get_content_type() == "text/calendar":
            cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
ev = cal and next(iter(cal.walk("VEVENT")), None)
att = ev and ev.get("ATTENDEE")
check(cal is not None and str(cal.get("METHOD")) == "REQUEST" and "Picnic" in str(ev.get("SUMMARY")),
      "the new address gets the invitation to the Picnic again (iMIP REQUEST)")
check(att is not None and str(att).lower() == "mailto:bob@new.example.org", "addressed to the new address (%s)" % att)
EOF
# the next onboarding step goes to the new address, the first not again
got=$(count bob@new.example.org)
clock_add 25h
kith cron >/dev/null 2>&1
kith deliver >/dev/null 2>&1
assert_ok '[ "$(db "SELECT count(*) FROM onboarding WHERE address='"'"'bob@new.example.org'"'"'")" = 2 ] && [ "$(count bob@new.example.org)" = $((got + 1)) ]' "onboarding goes on at the new address: the second step, not the first again"
before_old=$(count bob@example.org)
send alice@example.org team@example.org "After the move" "hello"
assert_ok '[ "$(count bob@example.org)" = "$before_old" ] && $MT header "$(last bob@new.example.org)" Subject | grep -q "After the move"' "a post goes to the new address, not the old"

# 3. What the organiser may not do.
err=$(kith member set team bob@new.example.org address=carol@example.org 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && [ "$err" = "kith: not moved: '"'"'carol@example.org'"'"' is already a member of team@example.org" ] && is_member bob@new.example.org' "onto another member: exit 65, one line, nothing changes ($err)"
err=$(kith member set team nobody@example.org address=x@example.org 2>&1); rc=$?
assert_ok '[ $rc = 67 ] && printf "%s\n" "$err" | grep -q "is not a member"' "a member who is not there: exit 67"
err=$(kith member set team bob@new.example.org address=not-an-address 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && printf "%s\n" "$err" | grep -q "is not an address" && is_member bob@new.example.org' "not an address: exit 65"
kith ban add team mallory@example.net >/dev/null
err=$(kith member set team bob@new.example.org address=mallory@example.net 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && printf "%s\n" "$err" | grep -q "is banned" && is_member bob@new.example.org' "a banned address: exit 65"

# in the member's own words: Bob's language is Czech
send bob@new.example.org team-request@example.org "adresa" "nastavit adresu bob@third.example"
assert_ok '$MT body "$(last bob@new.example.org)" | grep -q "Po vašem potvrzení odejde zpráva na bob@third.example"' "'nastavit adresu' is 'set address' for a Czech member, answered in Czech"

# 4. By mail: Carol asks, confirms from her address, then from the new.
carol_id=$(col id carol@example.org)
send carol@example.org team-request@example.org "address" "set address"
assert_ok '$MT body "$(last carol@example.org)" | grep -q "Not done: try .*'"'"'set address NEW'"'"'"' "'set address' with no address: the usage, which names it"
send carol@example.org team-request@example.org "address" "set address Carol@New.Example.net"
r=$(last carol@example.org)
assert_ok '$MT body "$r" | grep -q "Once you confirm, a message goes to carol@new.example.net" && [ "$(count carol@new.example.net)" = 0 ] && is_member carol@example.org' "the request is answered with what happens next; nothing is sent to the new address yet"
own=$(reply_to carol@example.org)
# a forged From: the confirmation went to the real Carol only
send eve@example.net team-request@example.org "address" "set address eve@example.net" "From: <carol@example.org>"
assert_ok '[ "$(count eve@example.net)" = 0 ] && is_member carol@example.org' "a forged From moves nobody and sends nothing to the thief's address"
send carol@example.org "$own" "Re: address" "yes"
c=$(last carol@new.example.net)
assert_ok '[ "$(count carol@new.example.net)" = 1 ] && $MT header "$c" Subject | grep -q "Please confirm: move your membership to this address" && $MT body "$c" | grep -q "carol@example.org"' "once Carol confirms, the new address is asked to confirm"
assert_ok 'is_member carol@example.org && not_member carol@new.example.net' "nothing moved yet"
tok=$(reply_to carol@new.example.net)
assert_ok 'printf "%s\n" "$tok" | grep -q "^team-confirm+m\.[0-9]*-"' "its Reply-To is a team-confirm+m.* token ($tok)"
send carol@new.example.net "$(forged "$tok")" "Re: confirm" "yes"
assert_ok 'is_member carol@example.org' "a forged token moves nothing"
send carol@new.example.net "$tok" "Re: confirm" "what is this?"
assert_ok 'is_member carol@example.org && $MT body "$(last carol@new.example.net)" | grep -qi "yes"' "an unclear answer changes nothing and says how to answer"
send carol@new.example.net "$tok" "Re: confirm" "yes"
assert_ok 'not_member carol@example.org && [ "$(col id carol@new.example.net)" = "$carol_id" ]' "answered yes from the new address: Carol has moved"
assert_ok '$MT body "$(last carol@new.example.net)" | grep -q "Done: the membership of carol@example.org is now at carol@new.example.net"' "the new address is told it is done"
kith deliver >/dev/null 2>&1
pycheck <<'EOF'
from webtool import *
subjects = lambda a: [str(m["Subject"]) for m in mails_to(a)]
check(subjects("carol@new.example.net").count("Poll: When?") == 1,
      "the open poll Carol has not voted in goes to her new address")
check("Poll: When?" not in subjects("bob@new.example.org"), "Bob, who voted, is not asked again")
EOF
assert_ok '$MT body "$(last carol@example.org)" | grep -q "as was asked and then" && $MT header "$(last carol@example.org)" Subject | grep -q "moved to carol@new.example.net"' "the old address is told, in English"
send carol@new.example.net "$tok" "Re: confirm" "yes"
assert_ok '$MT body "$(last carol@new.example.net)" | grep -q "nothing waits for this confirmation" && [ "$(col id carol@new.example.net)" = "$carol_id" ]' "the same confirmation again: nothing waits for it, nothing changes"
# onto a member's address: the asker is told what anyone is told (who
# is on the list is not theirs to learn); the address hears why not
send carol@new.example.net team-request@example.org "address" "set address bob@new.example.org"
send carol@new.example.net "$(reply_to carol@new.example.net)" "Re: address" "yes"
assert_ok '$MT body "$(last carol@new.example.net)" | grep -q "A message was sent to bob@new.example.org" && [ "$(col id bob@new.example.org)" = "$bob_id" ] && is_member carol@new.example.net' "onto a member's address: the asker reads what anyone reads; nothing changes"
m=$(last bob@new.example.org)
assert_ok '$MT header "$m" Subject | grep -q "nic nepřesunulo" && $MT body "$m" | grep -q "carol@new.example.net" && [ "$(db "SELECT count(*) FROM pending WHERE kind='"'"'move'"'"' AND address='"'"'bob@new.example.org'"'"'")" = 0 ]' "the member at that address is told why nothing moved there, with nothing to confirm"

# 5. From the preference page: Dave's token, then the new address.
send dave@example.org team-request@example.org "info" ""
serve_at "$NOW"
dave_id=$(col id dave@example.org)
pycheck <<EOF
from webtool import *
body = text_of(mails_to("dave@example.org")[-1])
p = re.search(r"https://lists\.example\.org/kith(/p/[0-9]+-0-[a-z2-7]{16})", body).group(1)
r = get(p)
check(r.status == 200 and 'name="action" value="move"' in r.text and 'type="email" name="address"' in r.text,
      "the preference page has a form to move to another address")
csrf = r.field("csrf")
get(p + "?action=move&address=dave%40new.example.org&csrf=" + csrf)
r = post_form(p, {"action": "move", "address": "dave@new.example.org", "csrf": "x-0-aaaaaaaaaaaaaaaa"})
check(r.status == 403 and not mails_to("dave@new.example.org"), "a GET, or a POST with a forged CSRF token, sends nothing")
r = post_form(p, {"action": "move", "address": "<script>alert(1)</script>", "csrf": csrf})
check(r.status == 400 and "not an email address" in r.text and "<script>alert" not in r.text,
      "not an address: 400, said, nothing of it echoed raw")
for a in ("carol@new.example.net", "mallory@example.net"):
    r = post_form(p, {"action": "move", "address": a, "csrf": csrf})
    check(r.status == 200 and "A message was sent to " + a in r.text,
          "%s (a member, banned): the page reads as for anyone" % a)
check(one("SELECT count(*) FROM pending WHERE kind='move'") == 0, "and nothing waits to be confirmed %r" % db("SELECT address, commands FROM pending"))
r = post_form(p, {"action": "move", "address": "Dave@New.Example.org", "csrf": csrf})
check(r.status == 200 and "A message was sent to dave@new.example.org" in r.text,
      "a new address: 200, the page says where the confirmation went")
check(is_member("dave@example.org") and one("SELECT count(*) FROM pending WHERE kind='move' AND address='dave@new.example.org'") == 1,
      "nothing moves until it is answered")
open("$T/dave_p", "w").write(p)
EOF
assert_ok 'kith member export-data dave@example.org --json | grep -q "dave@new.example.org"' "what is held about Dave's address includes the move he asked for"
kith deliver >/dev/null 2>&1
assert_ok '$MT header "$(last carol@new.example.net)" Subject | grep -q "Nothing moved to this address" && [ "$(count mallory@example.net)" = 0 ]' "the member's address is told why; the banned one is sent nothing"
tok=$(reply_to dave@new.example.org)
send dave@new.example.org "$tok" "Re: confirm" "no"
assert_ok 'is_member dave@example.org && not_member dave@new.example.org && $MT body "$(last dave@new.example.org)" | grep -q "Cancelled"' "answered no from there: cancelled, nothing moved"
pycheck <<EOF
from webtool import *
p = open("$T/dave_p").read()
r = get(p)
r = post_form(p, {"action": "move", "address": "dave@new.example.org", "csrf": r.field("csrf")})
check(r.status == 200, "asked again")
EOF
kith deliver >/dev/null 2>&1
send dave@new.example.org "$(reply_to dave@new.example.org)" "Re: confirm" "yes"
assert_ok 'not_member dave@example.org && [ "$(col id dave@new.example.org)" = "$dave_id" ]' "answered yes: Dave has moved"
pycheck <<EOF
from webtool import *
p = open("$T/dave_p").read()
check(get(p).status in (403, 410), "the old address's preference link no longer works")
EOF

# 6. A confirmation answered after it expired moves nothing.
send erin@example.org team-request@example.org "address" "set address erin@new.example.org"
send erin@example.org "$(reply_to erin@example.org)" "Re: address" "yes"
tok=$(reply_to erin@new.example.org)
clock_add 8d
send erin@new.example.org "$tok" "Re: confirm" "yes"
assert_ok 'is_member erin@example.org && not_member erin@new.example.org' "answered eight days later: nothing moves"

# 7. The move form mails an address someone typed: the join form's limits
pycheck <<EOF
from webtool import *
body = text_of(mails_to("dave@new.example.org")[-1])
p = re.search(r"https://lists\.example\.org/kith(/p/[0-9]+-0-[a-z2-7]{16})", body).group(1)
csrf = get(p).field("csrf")
rs = [post_form(p, {"action": "move", "address": "x%d@example.com" % i, "csrf": csrf}) for i in range(12)]
late = [r for r in rs if r.status == 429]
check(late and late[0].headers.get("retry-after"), "a client that keeps asking is slowed: 429 with Retry-After (%s)" % [r.status for r in rs])
check(one("SELECT count(*) FROM pending WHERE kind='move' AND address LIKE 'x%@example.com'") == 12 - len(late), "what was refused sent nothing")
EOF
serve_stop
finish
