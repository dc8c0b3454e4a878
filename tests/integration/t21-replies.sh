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
assert_ok '[ "$(db "SELECT outcome || \" \" || by FROM held_log")" = "rejected mod@example.org" ]' "the decision is kept for late replies"

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
assert_ok '[ -n "$id1" ] && [ -n "$id2" ] && [ "$id2" -gt "$id1" ]' "a new held post gets a new id after the last one was decided ($id1, then $id2)"
send mod@example.org "$tok1" "Re: Held" "approve"
assert_ok '[ "$(held)" = 1 ] && ! kith archive ls team | grep -q "Second held"' "the token of the discarded post decides nothing about the next one"
assert_ok 'body "$(last mod@example.org)" | grep -q "already discarded by command line"' "and the moderator hears it was discarded"
kith mod discard "$id2" >/dev/null

finish
