#!/bin/sh
# Decisions taken from replies and requests, end to end through kith
# receive and a real SMTP server: only an explicit answer acts, anything
# else changes nothing and is answered once with the words Kith knows;
# late replies to moderation mails; held-post ids never reused; a forged
# From acts for nobody (per-member tokens, a confirmation round trip, or
# our MTA's Authentication-Results); one reply per request.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink
setup_list "authserv_id = mx.example.org"
kith member add team mod@example.org --name "Mo" >/dev/null
kith member role team mod@example.org moderator >/dev/null
held() { db "SELECT count(*) FROM held"; }
posted() { kith archive ls team | wc -l; }
token_of() { $MT header "$1" Reply-To | tr -d '<>'; }
body() { $MT body "$1"; }
is_member() { [ "$(db "SELECT count(*) FROM members WHERE address='$1'")" = 1 ]; }
# quoted ADDR: the moderation mail quoted the way a mail client does
quoted="\n\nOn Tue, 2 Jun 2026 at 10:00, Team <team-owner@example.org> wrote:\n> A message to team@example.org waits for your decision.\n> Reply to this message with one word on the first line"

# --- A1: a moderator's reply that Kith does not understand decides nothing
send spammer@example.net team@example.org "Cheap pills" "buy now"
ask=$(last mod@example.org)
tok=$(token_of "$ask")
before=$(count mod@example.org)
send mod@example.org "$tok" "Re: Held for team@example.org: Cheap pills" "I'll look at it tomorrow.$quoted"
assert_ok '[ "$(held)" = 1 ] && [ "$(posted)" = 0 ]' "a reply Kith does not understand leaves the post held (not posted)"
assert_ok '[ "$(count mod@example.org)" = $((before + 1)) ]' "the moderator gets exactly one answer"
r=$(last mod@example.org)
assert_ok 'body "$r" | grep -q "changed nothing" && body "$r" | grep -q "I.ll look at it tomorrow." && body "$r" | grep -q "approve  " && body "$r" | grep -q "reject REASON" && body "$r" | grep -q "discard  "' "the answer quotes the line read and lists the words"
assert_ok '[ "$($MT header "$r" In-Reply-To)" = "<m$n@test>" ]' "the answer is threaded to the moderator's reply"
send mod@example.org "$tok" "Re: Held" "Yes, but not this one$quoted"
assert_ok '[ "$(held)" = 1 ] && [ "$(posted)" = 0 ]' "'Yes, but not this one' does not approve"
# The reply of the issue: Czech for "No, this is spam."
send mod@example.org "$tok" "Re: Held" "Ne, tohle je spam.$quoted"
assert_ok '[ "$(held)" = 0 ] && [ "$(posted)" = 0 ]' "'Ne, tohle je spam.' rejects: not posted, not held"
assert_ok '[ "$(count carol@example.org)" = 0 ]' "no member got the spam"
assert_ok 'body "$(last spammer@example.net)" | grep -q "tohle je spam."' "the poster gets the rest of the line as the reason"
assert_ok '[ "$(db "SELECT outcome || '"'"' '"'"' || by FROM held_log")" = "rejected mod@example.org" ]' "the decision is kept for late replies"

# An empty reply (only the quote under its attribution line) approves.
send stranger@example.net team@example.org "A fair question" "hello"
tok=$(token_of "$(last mod@example.org)")
send mod@example.org "$tok" "Re: Held" "$quoted"
assert_ok '[ "$(held)" = 0 ] && [ "$(posted)" = 1 ] && [ "$(count carol@example.org)" = 1 ]' "an empty reply approves and posts"

# --- B9: a reply about a post already decided gets one short answer
before=$(count mod@example.org)
send mod@example.org "$tok" "Re: Held" "approve"
assert_ok '[ "$(posted)" = 1 ] && [ "$(count carol@example.org)" = 1 ]' "approving again posts nothing more"
r=$(last mod@example.org)
assert_ok '[ "$(count mod@example.org)" = $((before + 1)) ] && body "$r" | grep -q "changed nothing" && body "$r" | grep -q "already approved by mod@example.org"' "the late reply is told the post was already approved, and by whom"
# ... or expired
kith list set team held_days 1 >/dev/null
send late@example.net team@example.org "Slow news" "hi"
tok=$(token_of "$(last mod@example.org)")
clock_add $((2 * 86400))
kith cron >/dev/null 2>&1
kith deliver >/dev/null 2>&1
assert_ok '[ "$(held)" = 0 ]' "the held post expired"
before=$(count mod@example.org)
send mod@example.org "$tok" "Re: Held" "approve"
r=$(last mod@example.org)
assert_ok '[ "$(posted)" = 1 ] && [ "$(count mod@example.org)" = $((before + 1)) ] && body "$r" | grep -q "waited too long for a decision and expired"' "a reply after the post expired is told so, and posts nothing"
kith list set team held_days 14 >/dev/null

# --- C3: held-post ids are never reused
send one@example.net team@example.org "First held" "1"
id1=$(db "SELECT id FROM held")
tok1=$(token_of "$(last mod@example.org)")
kith mod discard "$id1" >/dev/null
send two@example.net team@example.org "Second held" "2"
id2=$(db "SELECT id FROM held")
tok2=$(token_of "$(last mod@example.org)")
assert_ok '[ -n "$id1" ] && [ -n "$id2" ] && [ "$id2" -gt "$id1" ]' "a new held post gets a new id after the last one was decided ($id1, then $id2)"
send mod@example.org "$tok1" "Re: Held" "approve"
assert_ok '[ "$(held)" = 1 ] && ! kith archive ls team | grep -q "Second held"' "the token of the discarded post decides nothing about the next one"
assert_ok 'body "$(last mod@example.org)" | grep -q "already discarded by command line"' "and the moderator hears it was discarded"
# a no, then the approval: two things said, nothing decided (it rejected)
send mod@example.org "$tok2" "Re: Held" "No problem, approve it"
decided=$(db "SELECT count(*) FROM held_log WHERE subject='Second held'")
assert_ok '[ "$(held)" = 1 ] && [ "$decided" = 0 ] && body "$(last mod@example.org)" | grep -q "changed nothing" && body "$(last mod@example.org)" | grep -q "No problem, approve it"' "'No problem, approve it' neither rejects nor approves: the post stays held and the moderator is told the reply changed nothing"
kith mod discard "$id2" >/dev/null

# --- A1 for confirmations: only an empty reply or a yes goes ahead
pending() { db "SELECT count(*) FROM pending WHERE address='$1'"; }
send dora@example.net team-subscribe@example.org "" ""
tok=$(token_of "$(last dora@example.net)")
send dora@example.net "$tok" "Re: Please confirm" "Wer sind Sie?\n\n> Someone (hopefully you) asked to join the list"
assert_ok '! is_member dora@example.net && [ "$(pending dora@example.net)" = 1 ]' "a confirmation answered with a question subscribes nobody; the request still waits"
r=$(last dora@example.net)
assert_ok '[ "$(count dora@example.net)" = 2 ] && body "$r" | grep -q "changed nothing" && body "$r" | grep -q "Wer sind Sie?" && body "$r" | grep -q "leave your reply empty"' "one answer says what Kith read and how to answer"
send dora@example.net "$tok" "Re: Please confirm" "$quoted"
assert_ok 'is_member dora@example.net' "then an empty reply confirms"
send erik@example.net team-subscribe@example.org "" ""
tok=$(token_of "$(last erik@example.net)")
send erik@example.net "$tok" "Re: Please confirm" "No, I did not ask for this."
assert_ok '! is_member erik@example.net && [ "$(pending erik@example.net)" = 0 ] && body "$(last erik@example.net)" | grep -q "Cancelled for erik@example.net: nothing changed"' "'No, ...' cancels the request"
send erik@example.net "$tok" "Re: Please confirm" "yes"
assert_ok '! is_member erik@example.net' "and the cancelled token no longer works"
# a moderator answering a request to join an approve list
kith list set team subscribe approve >/dev/null
send fay@example.net team-subscribe@example.org "" ""
send fay@example.net "$(token_of "$(last fay@example.net)")" "Re: confirm" "ano"
ask=$(last alice@example.org)
assert_ok '$MT header "$ask" Subject | grep -q "fay@example.net asks to join"' "approve list: the owner is asked"
send alice@example.org "$(token_of "$ask")" "Re: ask" "Who is this?"
assert_ok '! is_member fay@example.net && [ "$(pending fay@example.net)" = 1 ] && body "$(last alice@example.org)" | grep -q "Kith did not understand"' "the owner's unclear answer lets nobody in"
send alice@example.org "$(token_of "$ask")" "Re: ask" "Reject"
assert_ok '! is_member fay@example.net && [ "$(pending fay@example.net)" = 0 ] && body "$(last alice@example.org)" | grep -q "request of fay@example.net to join was refused"' "'Reject' refuses the request"
# the owner may answer as long as the request waits (30 days), not 7
send hal@example.net team-subscribe@example.org "" ""
send hal@example.net "$(token_of "$(last hal@example.net)")" "Re: confirm" "yes"
ask=$(last alice@example.org)
clock_add $((8 * 86400))
send alice@example.org "$(token_of "$ask")" "Re: ask" "approve"
assert_ok 'is_member hal@example.net' "an owner's approval eight days later still lets them in"
kith list set team subscribe confirm >/dev/null

# --- A8: a forged From acts for nobody
AR="Authentication-Results: mx.example.org; dkim=pass header.d=example.org"
votes() { kith poll show "$1" --json | $PY -c "import json,sys; print(' '.join(str(o['votes']) for o in json.load(sys.stdin)['options']))"; }
answer() { kith event show "$1" --json | $PY -c "import json,sys; print({a['address']: a['answer'] for a in json.load(sys.stdin)['attendees']}.get('$2'))"; }
poll=$(kith poll create team --question 'When shall we meet?' --option Friday --option Saturday --option Sunday)
ev=$(kith event create team --title Picnic --start "2026-12-20 10:00" --duration 2h --tz UTC --capacity 1)
kith deliver >/dev/null
before=$(count bob@example.org)
# What the issue did: 'vote 1 3' and 'rsvp yes 1' to team-request@ with bob's From.
send bob@example.org team-request@example.org "x" "vote $poll 3" "Received: from evil.example by mx.example.org"
send bob@example.org team-request@example.org "x" "rsvp yes $ev"
assert_ok '[ "$(votes $poll)" = "0 0 0" ] && [ "$(answer $ev bob@example.org)" = none ]' "a forged 'vote' and 'rsvp' record nothing"
r=$(last bob@example.org)
assert_ok '[ "$(count bob@example.org)" = $((before + 2)) ] && body "$r" | grep -q "Done once you confirm" && $MT header "$r" Reply-To | grep -q "team-confirm+c\."' "the real bob is asked to confirm, by a reply only his address gets"
# The rsvp's confirmation: bob's own empty reply carries it out, in one mail.
before=$(count bob@example.org)
send bob@example.org "$(token_of "$r")" "Re: x" "$quoted"
assert_ok '[ "$(answer $ev bob@example.org)" = accepted ]' "confirming carries the rsvp out"
assert_ok '[ "$(count bob@example.org)" = $((before + 1)) ] && body "$(last bob@example.org)" | grep -q "Done: you are coming to Picnic"' "with one mail that says so"
first=$(db "SELECT id FROM pending WHERE commands LIKE 'vote%'")
assert_ok '[ -n "$first" ] && [ "$(votes $poll)" = "0 0 0" ]' "the vote still waits for its own confirmation"
# Authentication-Results that are not our MTA's prove nothing.
send carol@example.org team-request@example.org "x" "vote $poll 1" "Authentication-Results: mx.evil.example; dkim=pass header.d=example.org"
# (our MTA's own field and Received on top, the sender's forgery below)
printf '%s\nReceived: from evil.example by mx.example.org\n%s\nFrom: <carol@example.org>\nTo: <team-request@example.org>\nSubject: x\nMessage-ID: <forged-ar@test>\n\nvote %s 1\n' \
	"Authentication-Results: mx.example.org; dkim=none" "$AR" "$poll" > "$T/forged-ar"
kith receive -r team-request@example.org -f carol@example.org < "$T/forged-ar" 2>>"$T/receive.err"
send carol@example.org team-request@example.org "x" "vote $poll 1" "Authentication-Results: mx.example.org; dkim=pass header.d=evil.example"
assert_ok '[ "$(votes $poll)" = "0 0 0" ]' "another host's verdict, a verdict below our Received, a pass for another domain: no vote"
# Our MTA's verdict for the From domain: done at once, one reply.
before=$(count alice@example.org)
send alice@example.org team-request@example.org "x" "vote $poll 2" "$AR"
assert_ok '[ "$(votes $poll)" = "0 1 0" ] && [ "$(count alice@example.org)" = $((before + 1)) ] && body "$(last alice@example.org)" | grep -q "Done: your vote on poll $poll is 2. Saturday"' "a vote our MTA vouches for counts at once, answered by one mail"
# The other commands that act for a member wait for the member's confirmation.
send bob@example.org team-request@example.org "set nomail" "unsubscribe"
assert_ok '[ "$(db "SELECT mode FROM members WHERE address='"'"'bob@example.org'"'"'")" = each ] && is_member bob@example.org' "a forged 'set nomail' and 'unsubscribe' change nothing"
kith list set team subscribe open >/dev/null
send victim@example.net team-subscribe@example.org "" ""
assert_ok '! is_member victim@example.net && body "$(last victim@example.net)" | grep -q "To confirm, reply"' "open list: a forged subscribe is confirmed by the address first"
send gil@example.net team-subscribe@example.org "" "" "Authentication-Results: mx.example.org; dkim=pass header.d=example.net"
assert_ok 'is_member gil@example.net' "open list: joins at once when our MTA vouches for the sender"
kith list set team subscribe confirm >/dev/null

# --- B3: one reply per request
before=$(count alice@example.org)
send alice@example.org team-request@example.org "set digest daily" "set digest daily"
r=$(last alice@example.org)
assert_ok '[ "$(count alice@example.org)" = $((before + 1)) ] && [ "$(body "$r" | grep -c "^> set digest daily")" = 1 ] && [ "$(db "SELECT commands FROM pending WHERE address='"'"'alice@example.org'"'"'")" = "set digest daily" ]' "a command in both Subject and body runs once"
before=$(count carol@example.org)
send carol@example.org team-request@example.org "Picnic" "rsvp yes $ev" "$AR"
r=$(last carol@example.org)
assert_ok '[ "$(answer $ev carol@example.org)" = waitlist ] && [ "$(count carol@example.org)" = $((before + 1)) ] && body "$r" | grep -q "the event is full; you are on the waitlist for Picnic"' "rsvp yes on a full event: one reply, and it says 'waitlist'"
before=$(count mod@example.org)
send mod@example.org team-request@example.org "rsvp" "rsvp yes $ev"
r=$(last mod@example.org)
assert_ok '[ "$(body "$r" | grep -c "^> rsvp")" = 1 ]' "a bare 'rsvp' Subject that the body completes runs once"
send mod@example.org "$(token_of "$r")" "Re: rsvp" ""
assert_ok '[ "$(count mod@example.org)" = $((before + 2)) ] && [ "$(answer $ev mod@example.org)" = waitlist ] && body "$(last mod@example.org)" | grep -q "on the waitlist for Picnic"' "confirmed instead: the request's answer, then one mail with the waitlist"

# --- B8: a reply with exactly one option number votes
kith deliver >/dev/null
for f in $(ls "$SINK_DIR"/*.eml); do
	if grep -q "^Subject: Poll: When shall we meet" "$f"; then
		case "$($MT header "$f" To)" in
		*carol@*) rt_carol=$(token_of "$f");;
		*bob@*) rt_bob=$(token_of "$f");;
		*mod@*) rt_mod=$(token_of "$f");;
		esac
	fi
done
send carol@example.org "$rt_carol" "Re: Poll" "1번이요!\n\n> 1. Friday"
send bob@example.org "$rt_bob" "Re: Poll" "Actually 2 please$quoted"
assert_ok '[ "$(votes $poll)" = "1 2 0" ]' "'1번이요!' and 'Actually 2 please' count as votes"
before=$(count mod@example.org)
send mod@example.org "$rt_mod" "Re: Poll" "1 or 2, I don't mind"
assert_ok '[ "$(votes $poll)" = "1 2 0" ] && [ "$(count mod@example.org)" = $((before + 1)) ] && body "$(last mod@example.org)" | grep -q "could not tell which option" && body "$(last mod@example.org)" | grep -q "vote $poll N"' "two numbers: not understood, and told how to vote"

finish
