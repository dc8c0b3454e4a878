#!/bin/sh
# The hold queue: non-member posts held, approved by a moderator's reply
# and delivered; rejected with a reason; an approval from a plain member
# ignored; discard; the command line; moderated lists, moderated members,
# first posts; held posts expiring from cron.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink
setup_list "web_base_url = https://lists.example.org/kith/"
kith member add team mod@example.org --name "Mo" >/dev/null
kith member role team mod@example.org moderator >/dev/null
held() { db "SELECT count(*) FROM held"; }
posted() { kith archive ls team | wc -l; }

# A non-member's post is held (the default), the poster told once.
send stranger@example.net team@example.org "A question from outside" "Hello, may I ask?"
assert_ok '[ "$(held)" = 1 ] && [ "$(posted)" = 0 ]' "non-member post: held, not posted"
assert_ok '$MT body "$(last stranger@example.net)" | grep -q "waits for a moderator (not a member)"' "the poster is told it waits"
ask=$(last mod@example.org)
assert_ok '[ "$($MT attached "$ask")" = "A question from outside" ]' "each moderator gets the post attached"
assert_ok '[ "$(count alice@example.org)" = 1 ]' "the owner too"
assert_ok 'kith mod ls team | grep -q "stranger@example.net .*not a member"' "kith mod ls shows it"
token=$($MT header "$ask" Reply-To | tr -d '<>')
# A plain member using the moderator's token: ignored.
send bob@example.org "$token" "Re: Held" "approve"
assert_ok '[ "$(held)" = 1 ] && [ "$(posted)" = 0 ]' "an approval from a plain member does nothing"
# An out-of-office reply to the moderator notice: ignored.
send mod@example.org "$token" "Automatic reply: Held" "away" "Auto-Submitted: auto-replied"
assert_ok '[ "$(held)" = 1 ]' "an auto-reply from the moderator does nothing"
# The moderator approves by replying (quoted text below).
send mod@example.org "$token" "Re: Held for team@example.org" "approve\n\n> A message to team@example.org waits"
assert_ok '[ "$(held)" = 0 ] && [ "$(posted)" = 1 ]' "the moderator's reply approves: archived"
assert_ok '$MT header "$(last carol@example.org)" Subject | grep -q "A question from outside"' "and delivered to the members"
send mod@example.org "$token" "Re: Held" "approve"
assert_ok '[ "$(posted)" = 1 ]' "approving twice posts once"

# Rejected with a reason: the poster gets the reason.
send stranger@example.net team@example.org "Buy cheap things" "spam"
spam=$T/mail$n
token=$($MT header "$(last mod@example.org)" Reply-To | tr -d '<>')
# The same post again (the MTA's retry after a lost reply, a second MX
# host): held once, the moderators asked once, the poster told once.
asks=$(count mod@example.org)
told=$(count stranger@example.net)
kith receive -r team@example.org -f stranger@example.net < "$spam" 2>>"$T/receive.err"
rc=$?
kith deliver >/dev/null 2>&1
assert_ok '[ $rc = 0 ] && [ "$(held)" = 1 ] && [ "$(count mod@example.org)" = "$asks" ] && [ "$(count stranger@example.net)" = "$told" ]' "the same post again: held once, asked and told once (exit $rc, held $(held))"
# A token for one held post cannot decide another.
send stranger2@example.net team@example.org "Second outsider" "hi"
other=$($MT header "$(last mod@example.org)" Reply-To | tr -d '<>')
swapped=$(printf '%s\n' "$other" | sed "s/+h\.[0-9]*\./+h.$(printf '%s\n' "$token" | sed 's/.*+h\.\([0-9]*\)\..*/\1/')./")
send mod@example.org "$swapped" "Re: Held" "discard"
assert_ok '[ "$(held)" = 2 ]' "a token for another held post decides nothing"
send mod@example.org "$token" "Re: Held" "reject This list is for members of the club only.\n\n> quoted"
assert_ok '[ "$(held)" = 1 ] && [ "$(posted)" = 1 ]' "reject: removed from the queue, not posted"
assert_ok '$MT body "$(last stranger@example.net)" | grep -q "This list is for members of the club only."' "the poster gets the reason"
told=$(count stranger@example.net)
kith receive -r team@example.org -f stranger@example.net < "$spam" 2>>"$T/receive.err"
rc=$?
kith deliver >/dev/null 2>&1
assert_ok '[ $rc = 0 ] && [ "$(held)" = 1 ] && [ "$(count stranger@example.net)" = "$told" ]' "a rejected post sent again is not held again"
# The command line: show, discard.
id=$(db "SELECT id FROM held")
assert_ok 'kith mod show "$id" | grep -q "^Subject: Second outsider"' "kith mod show prints the held post"
before=$(count stranger2@example.net)
assert_ok 'kith mod discard "$id" | grep -q "discarded held post"' "kith mod discard"
assert_ok '[ "$(held)" = 0 ] && [ "$(count stranger2@example.net)" = "$before" ]' "discard tells nobody"
assert_ok '[ "$(kith mod approve 999 >/dev/null 2>&1; echo $?)" = 66 ]' "kith mod approve of no such post: exit 66"

# Moderated list: members' posts are held, moderators' are not.
kith list set team posting moderated >/dev/null
send bob@example.org team@example.org "Member post on a moderated list" "hi"
send mod@example.org team@example.org "Moderator post" "hi"
assert_ok '[ "$(held)" = 1 ] && kith archive ls team | grep -q "Moderator post"' "moderated list: members held, moderators post"
id=$(db "SELECT id FROM held")
kith mod approve "$id" >/dev/null
kith deliver >/dev/null
assert_ok 'kith archive ls team | grep -q "Member post on a moderated list"' "kith mod approve posts it"
kith list set team posting members >/dev/null

# A moderated member; a new member's first post.
kith member moderate team carol@example.org on >/dev/null
send carol@example.org team@example.org "Carol writes" "hi"
assert_ok '[ "$(held)" = 1 ]' "a moderated member's post is held"
kith mod discard "$(db "SELECT id FROM held")" >/dev/null
kith member moderate team carol@example.org off >/dev/null
kith list set team moderate_first_post on >/dev/null
kith member add team newbie@example.org >/dev/null
send newbie@example.org team@example.org "My first post" "hello"
assert_ok '[ "$(held)" = 1 ] && $MT body "$(last newbie@example.org)" | grep -q "first post of a new member"' "a new member's first post is held"
kith mod approve "$(db "SELECT id FROM held")" >/dev/null
send newbie@example.org team@example.org "My second post" "hello again"
assert_ok '[ "$(held)" = 0 ] && kith archive ls team | grep -q "My second post"' "the second post goes straight out"

# kith mod approve --always: the post goes out and its sender is accepted
# from now on (accept_nonmembers); a member's held post cannot be
send partner@venue.example team@example.org "Venue news" "hi"
pid=$(db "SELECT id FROM held WHERE sender='partner@venue.example'")
out=$(kith mod approve "$pid" --always 2>/dev/null); rc=$?
assert_ok '[ $rc = 0 ] && printf "%s\n" "$out" | grep -q "^team@example.org: partner@venue.example posts as a member would from now on" && kith archive ls team | grep -q "Venue news" && [ "$(kith list show team | sed -n "s/^accept_nonmembers *//p")" = partner@venue.example ]' "approve --always: posted, and the sender accepted from now on (exit $rc)"
send partner@venue.example team@example.org "Venue news 2" "hi again"
assert_ok 'kith archive ls team | grep -q "Venue news 2" && [ "$(db "SELECT count(*) FROM held WHERE sender='"'"'partner@venue.example'"'"'")" = 0 ]' "the partner's next post goes straight out"
kith member moderate team bob@example.org on >/dev/null
send bob@example.org team@example.org "Moderated Bob" "hi"
bid=$(db "SELECT id FROM held WHERE sender='bob@example.org'")
err=$(kith mod approve "$bid" --always 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && printf "%s\n" "$err" | grep -q "bob@example.org is a member: see .kith member moderate." && [ "$(db "SELECT count(*) FROM held WHERE id=$bid")" = 1 ]' "--always for a member's post: exit 65, why, the post still waits"
# the same by reply: "approve always" (a member's post: not understood,
# nothing changes)
tok=$($MT header "$(last mod@example.org)" Reply-To | tr -d '<>')
send mod@example.org "$tok" "Re: Held" "Approve always."
assert_ok '[ "$(db "SELECT count(*) FROM held WHERE id=$bid")" = 1 ] && $MT body "$(last mod@example.org)" | grep -q "Approve always"' "'approve always' for a member's post: not done, the moderator told the words"
kith mod discard "$bid" >/dev/null
kith member moderate team bob@example.org off >/dev/null
send venue2@partner.example team@example.org "Partner news" "hi"
m=$(last mod@example.org)
assert_ok '$MT body "$m" | grep -q "^  approve always   post it, and accept this sender from now on"' "a non-member's held post: the notice offers 'approve always'"
send mod@example.org "$($MT header "$m" Reply-To | tr -d '<>')" "Re: Held" "Approve always, thanks"
assert_ok 'kith archive ls team | grep -q "Partner news" && kith list show team | grep -q "^accept_nonmembers .*venue2@partner.example"' "'approve always' by reply: posted, and the sender accepted from now on"
kith list set team accept_nonmembers "" >/dev/null

# A post that waits a day: its moderators are reminded, once a day, until
# someone decides (the notice that came with it may be lost in a mailbox).
send wait@example.net team@example.org "Still waiting" "hi"
wid=$(db "SELECT id FROM held WHERE sender='wait@example.net'")
mods=$(count mod@example.org); owners=$(count alice@example.org)
remind() { clock_add "$1"; kith cron >/dev/null 2>&1; kith deliver >/dev/null 2>&1; }
remind 23h
assert_ok '[ "$(count mod@example.org)" = "$mods" ]' "no reminder before the post has waited a day"
remind 2h
r=$(last mod@example.org)
assert_ok '[ "$(count mod@example.org)" = $((mods + 1)) ] && $MT header "$r" Subject | grep -q "^Waiting for a moderator on Team: 1$"' "after a day, the moderator is reminded"
assert_ok '$MT body "$r" | grep -q "^  $wid\. Still waiting$" && $MT body "$r" | grep -q "From wait@example.net, held on .*: not a member\.$" && $MT body "$r" | grep -q "it expires on"' "with the post, who sent it, why it waits and when it expires"
assert_ok '[ "$(count alice@example.org)" = $((owners + 1)) ]' "the owner too"
assert_ok '$MT body "$r" | grep -q "^      https://lists.example.org/kith/m/[^ ]*$" && $MT body "$r" | grep -q "or open a post.s link"' "with kith serve, each post's own link to decide on the web"
remind 1h
assert_ok '[ "$(count mod@example.org)" = $((mods + 1)) ]' "at most once a day"
remind 1d
assert_ok '[ "$(count mod@example.org)" = $((mods + 2)) ]' "and again the next day while it waits"
kith mod discard "$wid" >/dev/null
remind 1d
assert_ok '[ "$(count mod@example.org)" = $((mods + 2)) ]' "nothing once someone has decided"
# a request to join an approve list waits for a moderator too
kith list set team subscribe approve >/dev/null
send joiner@example.net team-subscribe@example.org "" "" "From: Jo Iner <joiner@example.net>"
send joiner@example.net "$($MT header "$(last joiner@example.net)" Reply-To | tr -d '<>')" "Re: confirm" "yes"
remind 25h
r=$(last mod@example.org)
assert_ok '[ "$(count mod@example.org)" = $((mods + 4)) ] && $MT body "$r" | grep -q "^  joiner@example.net (Jo Iner) asks to join, since "' "a request to join that has waited a day is in the reminder (after the moderators' first notice of it)"
kith member accept team joiner@example.net >/dev/null
remind 1d
assert_ok '[ "$(count mod@example.org)" = $((mods + 4)) ]' "and not once it is accepted"
kith list set team subscribe confirm >/dev/null

# Held posts expire from cron after held_days, with a notice.
kith list set team held_days 2 >/dev/null
send late@example.net team@example.org "Too late" "hi"
clock_add 1d
kith cron >/dev/null 2>&1
assert_ok '[ "$(held)" = 1 ]' "not expired after one day"
clock_add 2d
kith cron >/dev/null 2>&1
kith deliver >/dev/null 2>&1
assert_ok '[ "$(held)" = 0 ] && $MT body "$(last late@example.net)" | grep -q "waited for a moderator for too long"' "expired after held_days; the poster is told"

# A banned address cannot post, and hears so at most once a day (with
# ban_notice daily; by default nothing at all, see t27).
kith ban add team "carol@example.org" >/dev/null
kith list set team ban_notice daily >/dev/null
send carol@example.org team@example.org "Banned post" "hi"
send carol@example.org team@example.org "Banned again" "hi"
assert_ok 'lacks "Banned" kith archive ls team && [ "$(held)" = 0 ]' "a banned member's posts are neither posted nor held"
assert_ok '[ "$($MT count "$SINK_DIR" carol@example.org)" -ge 1 ] && [ "$(grep -l "may not post to or join" $(for f in "$SINK_DIR"/*.json; do grep -q carol@example.org "$f" && printf "%s\n" "${f%.json}.eml"; done) | wc -l)" = 1 ]' "told once, not twice"
kith ban rm team "carol@example.org" >/dev/null

# A member's "unsubscribe" sent to everyone (Mailman's administrivia): held,
# not sent; the member is told how to leave, the moderator why; an
# approval still posts it.  A post that only talks of leaving goes out.
before=$(count carol@example.org)
send bob@example.org team@example.org "unsubscribe" "unsubscribe\n\nSent from my phone"
assert_ok '[ "$(held)" = 1 ] && lacks "unsubscribe" kith archive ls team && [ "$(count carol@example.org)" = "$before" ]' "a member's 'unsubscribe' to the list: held, nobody gets it"
assert_ok '$MT body "$(last bob@example.org)" | grep -q "it reads as a request to join or leave the list" && $MT body "$(last bob@example.org)" | grep -q "To leave the list, send a message to team-unsubscribe@example.org"' "the member is told how to leave"
assert_ok '$MT body "$(last mod@example.org)" | grep -q "^Why: *a request to join or leave, sent to the list"' "the moderator is told why"
assert_ok 'kith mod ls team | grep -q "bob@example.org .*unsubscribe.*a request to join or leave"' "kith mod ls shows the reason"
send bob@example.org team@example.org "Re: [team] Saturday" "Please remove me from this list.\nThanks, Bob\n\n> On Saturday Alice wrote:\n> See you"
assert_ok '[ "$(held)" = 2 ]' "'Please remove me from this list.' under a reply: held too"
send bob@example.org team@example.org "The unsubscribe link" "The unsubscribe link in the footer works for me."
assert_ok '[ "$(held)" = 2 ] && kith archive ls team | grep -q "The unsubscribe link"' "a post about unsubscribing goes out"
kith mod approve "$(db "SELECT min(id) FROM held")" >/dev/null
assert_ok '[ "$(held)" = 1 ] && kith archive ls team | grep -q "  unsubscribe"' "a moderator may still approve it"
kith mod discard "$(db "SELECT id FROM held")" >/dev/null 2>&1 || db "DELETE FROM held"
# A stranger's "subscribe" to the list: held, and told where to send it
send newcomer@example.net team@example.org "subscribe" ""
assert_ok '[ "$(held)" = 1 ] && $MT body "$(last newcomer@example.net)" | grep -q "to join,\$" && $MT body "$(last newcomer@example.net)" | grep -q "^to team-subscribe@example.org"' "a non-member's 'subscribe' to the list: held, told to write to team-subscribe@"
db "DELETE FROM held"
# In the list's language too: "odhlásit" on a Czech list
kith list set team language cs >/dev/null
send bob@example.org team@example.org "odhlásit" ""
assert_ok '[ "$(held)" = 1 ] && $MT body "$(last bob@example.org)" | grep -q "vypadá jako žádost o přihlášení či odhlášení"' "'odhlásit' on a Czech list: held, the member told in Czech"
db "DELETE FROM held"
kith list set team language en >/dev/null

# nonmember_action discard and reject.
kith list set team nonmember_action discard >/dev/null
send quiet@example.net team@example.org "Dropped" "hi"
assert_ok '[ "$(held)" = 0 ] && [ "$(count quiet@example.net)" = 0 ]' "discard: dropped without a word"
finish
