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

# --- A1 for confirmations: only an empty reply or a yes goes ahead
is_member() { [ "$(db "SELECT count(*) FROM members WHERE address='$1'")" = 1 ]; }
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
kith list set team subscribe confirm >/dev/null

finish
