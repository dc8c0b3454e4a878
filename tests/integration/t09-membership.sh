#!/bin/sh
# Membership by email, end to end through kith receive and a real SMTP
# server: subscribe and confirm, tokens that must not work, one-click
# unsubscribe, commands with quotes and signatures, HTML-only requests,
# 'who', invitations, bans, rate limits, auto-replies.  Each step checks
# the database and the mail that arrived.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink
setup_list "authserv_id = mx.example.org"
is_member() { [ "$(db "SELECT count(*) FROM members WHERE address='$1'")" = 1 ]; }
# not_member ADDRESS: false when the query fails, unlike '! is_member'
not_member() { [ "$(db "SELECT count(*) FROM members WHERE address='$1'")" = 0 ]; }
token_addr() { $MT header "$(last "$1")" Reply-To | tr -d '<>'; }

# 1. subscribe -> confirmation -> reply -> welcome
send dora@example.net team-subscribe@example.org "" ""
assert_ok '[ "$(count dora@example.net)" = 1 ]' "subscribe: one confirmation mail to the address"
confirm=$(token_addr dora@example.net)
assert_ok 'printf "%s\n" "$confirm" | grep -q "^team-confirm+c\.[0-9]*-[a-z0-9]*-[a-z2-7]\{16\}@example.org$"' "its Reply-To is a team-confirm+TOKEN address ($confirm)"
assert_ok 'not_member dora@example.net' "not a member before confirming"
# Tokens that must not work: forged, for another address, for another list.
send dora@example.net "$(forged "$confirm")" "Re: confirm" "yes"
assert_ok 'not_member dora@example.net' "a forged token changes nothing"
kith list create other@example.org --owner alice@example.org >/dev/null
other=$(printf '%s\n' "$confirm" | sed 's/^team-confirm/other-confirm/')
send dora@example.net "$other" "Re: confirm" "yes"
assert_ok 'not_member dora@example.net && lacks dora db "SELECT m.address FROM members m JOIN lists l ON l.id=m.list_id WHERE l.local='"'"'other'"'"'"' "a token for another list changes nothing"
send eve@example.net team-subscribe@example.org "" ""
eve_confirm=$(token_addr eve@example.net)
# Swap the payload to Dora's pending row: the MAC is bound to Eve's address.
swapped=$(printf '%s\n' "$eve_confirm" | sed "s/+c\.[0-9]*-/+$(printf '%s\n' "$confirm" | sed 's/.*+\(c\.[0-9]*\)-.*/\1/')-/")
send eve@example.net "$swapped" "Re: confirm" "yes"
assert_ok 'not_member dora@example.net && not_member eve@example.net' "a token made for another address changes nothing"
assert_ok '[ "$(count eve@example.net)" = 1 ]' "and is not answered: a token that is not the sender's own gets no reply"
# An out-of-office robot answering the confirmation confirms nothing.
send dora@example.net "$confirm" "Out of Office: Re: Please confirm" "I am away" "Auto-Submitted: auto-replied"
assert_ok 'not_member dora@example.net' "an auto-reply to the confirmation does not confirm"
assert_ok '[ "$(count dora@example.net)" = 1 ]' "and it is not answered"
# Expired: the same token a week and a day later.
at "$(after 8d)" receive -r "$confirm" -f dora@example.net < "$T/mail1" 2>/dev/null
assert_ok 'not_member dora@example.net' "an expired token changes nothing"
# The real reply.
send dora@example.net "$confirm" "Re: Please confirm" "yes please\n\n> Someone asked..."
assert_ok 'is_member dora@example.net' "confirming by reply subscribes"
w=$(last dora@example.net)
assert_ok '$MT header "$w" Subject | grep -q "^Welcome to Team"' "a welcome mail arrives"
assert_ok '$MT body "$w" | grep -q "send your message to team@example.org"' "the welcome says how to post"
assert_ok '[ "$(count alice@example.org)" -ge 1 ] && $MT header "$(last alice@example.org)" Subject | grep -q "dora@example.net joined Team"' "the owner is told of the join"
send dora@example.net "$confirm" "Re: Please confirm" "yes again"
assert_ok '[ "$(db "SELECT count(*) FROM members WHERE address='"'"'dora@example.net'"'"'")" = 1 ]' "a used token does nothing more"
assert_ok '$MT body "$(last dora@example.net)" | grep -q "Not done: nothing waits for this confirmation any more (it was answered already, or it expired)"' "and its owner is told so, with how to go on (the reply went unanswered)"

# 2. One-click unsubscribe through the List-Unsubscribe of a delivered post.
send bob@example.org team@example.org "hello all" "a post"
unsub=$($MT header "$(last carol@example.org)" List-Unsubscribe | sed 's/^<mailto:\(.*\)>$/\1/')
assert_ok 'printf "%s\n" "$unsub" | grep -q "^team-unsubscribe+"' "each copy carries the member's unsubscribe address ($unsub)"
bob_unsub=$($MT header "$(last bob@example.org)" List-Unsubscribe | sed 's/^<mailto:\(.*\)>$/\1/')
assert_ok '[ "$unsub" != "$bob_unsub" ]' "Bob's and Carol's differ"
send carol@example.org "$unsub" "Unsubscribe" ""
assert_ok 'not_member carol@example.org' "mailing the List-Unsubscribe address leaves in one step"
assert_ok '$MT header "$(last carol@example.org)" Subject | grep -q "^Goodbye from Team"' "a goodbye mail arrives"
# Carol's token cannot remove Bob: change the member id in the payload.
bad=$(printf '%s\n' "$bob_unsub" | sed 's/+[0-9]*-/+9999-/')
send eve@example.net "$bad" "Unsubscribe" ""
assert_ok 'is_member bob@example.org' "a token naming another member does nothing"

# 3. Commands in a reply: quoted text and a signature; confirmed by reply.
send bob@example.org team-request@example.org "Re: Your request" "set digest daily\n\n> earlier text\n> set nomail\n-- \nBob\nset mail"
r=$(last bob@example.org)
assert_ok '$MT body "$r" | grep -q "> set digest daily"' "the reply lists the command"
assert_ok 'lacks "set nomail\|set mail" $MT body "$r"' "quoted lines and the signature are not commands"
assert_ok '[ "$(db "SELECT mode FROM members WHERE address='"'"'bob@example.org'"'"'")" = each ]' "nothing changes before the confirmation"
send bob@example.org "$($MT header "$r" Reply-To | tr -d '<>')" "Re: Your request" "ok"
assert_ok '[ "$(db "SELECT mode FROM members WHERE address='"'"'bob@example.org'"'"'")" = digest-daily ]' "the confirmed command set digest daily"
assert_ok '$MT body "$(last bob@example.org)" | grep -q "Delivery is now: digest-daily"' "and says so"
send bob@example.org team-request@example.org "set digest plain" ""
send bob@example.org "$($MT header "$(last bob@example.org)" Reply-To | tr -d '<>')" "Re: Your request" "ok"
assert_ok '[ "$(db "SELECT digest_format FROM members WHERE address='"'"'bob@example.org'"'"'")" = plain ]' "set digest plain, confirmed, makes the digests plain text"

# 4. HTML-only request, info, index, get, unknown command.
n=$((n + 1))
printf 'From: <bob@example.org>\nTo: <team-request@example.org>\nSubject: \nMessage-ID: <html@test>\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<html><body><p>info</p><p>index</p><div>get 1</div></body></html>\n' > "$T/html"
kith receive -r team-request@example.org -f bob@example.org < "$T/html"
kith deliver >/dev/null
r=$(last bob@example.org)
assert_ok '$MT body "$r" | grep -q "Posting: members. Joining: confirm."' "HTML-only request: info answered"
assert_ok '$MT body "$r" | grep -q "#1 .*hello all"' "index lists post #1"
assert_ok '[ "$($MT attached "$r")" = "hello all" ]' "get 1 attaches the post"
send bob@example.org team-request@example.org "" "get 99999999999999999999"
assert_ok '$MT body "$(last bob@example.org)" | grep -q "Not done: .get. needs a post number" && ! $MT body "$(last bob@example.org)" | grep -q "9223372036854775807"' "get with a number past 64 bits: how to ask, not 'no post #9223372036854775807'"
send bob@example.org team-request@example.org "frobnicate" "please"
assert_ok '$MT body "$(last bob@example.org)" | grep -q "No command was found" && $MT body "$(last bob@example.org)" | grep -q "set digest daily"' "no command: help, not silence"

# 5. who: owners and moderators only.
send bob@example.org team-request@example.org "who" ""
assert_ok '$MT body "$(last bob@example.org)" | grep -q "only owners and moderators"' "who by a plain member is refused"
send alice@example.org team-request@example.org "who" ""
assert_ok '$MT body "$(last alice@example.org)" | grep -q "dora@example.net"' "who by the owner lists the members"

# 6. Bans: no subscription, told at most once a day (ban_notice daily;
# by default a banned sender gets no mail at all, see t27).
kith ban add team "*@spam.example" >/dev/null
kith list set team ban_notice daily >/dev/null
send bot@spam.example team-subscribe@example.org "" ""
send bot@spam.example team-subscribe@example.org "" ""
assert_ok '[ "$(count bot@spam.example)" = 1 ] && $MT body "$(last bot@spam.example)" | grep -q "may not post to or join"' "a banned address gets one notice a day and no confirmation"
assert_ok '[ "$(db "SELECT count(*) FROM pending WHERE address='"'"'bot@spam.example'"'"'")" = 0 ]' "and nothing is pending for it"
kith ban add --all "troll@example.com" >/dev/null
assert_ok 'kith ban ls --all | grep -q "^troll@example.com$"' "site-wide bans are listed"
err=$(kith ban add team '*@*' 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && [ "$err" = "kith: '"'"'*@*'"'"' would ban every address; name one, or a pattern like '"'"'*@spam.example'"'"'" ] && [ "$(kith ban ls team)" = "*@spam.example" ]' "a ban of every address ('*@*') is refused in one line and not stored: $err"

# 7. At most 3 confirmations a day to one address (no subscription bombing).
for i in 1 2 3 4 5; do send attacker@example.net team-request@example.org "subscribe victim@example.net" ""; done
assert_ok '[ "$(count victim@example.net)" = 3 ]' "5 requests for a stranger: 3 confirmations, no more"

# 8. Invite-only list: requests refused; an invitation's reply joins.
kith list set team subscribe invite >/dev/null
send frank@example.net team-subscribe@example.org "" ""
assert_ok '$MT body "$(last frank@example.net)" | grep -q "by invitation only" && not_member frank@example.net' "invite list: subscribe is refused"
kith member invite team gina@example.net --name Gina >/dev/null
kith deliver >/dev/null
inv=$(last gina@example.net)
assert_ok '$MT header "$inv" Subject | grep -q "invited to join Team"' "the invitation arrives"
send gina@example.net "$($MT header "$inv" Reply-To | tr -d '<>')" "Re: invitation" "gladly"
assert_ok 'is_member gina@example.net' "replying to the invitation joins"

# 9. approve policy: confirmed, then a moderator accepts.
kith list set team subscribe approve >/dev/null
send hugo@example.net team-subscribe@example.org "" ""
send hugo@example.net "$(token_addr hugo@example.net)" "Re: confirm" "yes"
assert_ok 'not_member hugo@example.net && $MT body "$(last hugo@example.net)" | grep -q "waits for a moderator"' "approve list: after confirming, the request waits"
ask=$(last alice@example.org)
assert_ok '$MT header "$ask" Subject | grep -q "hugo@example.net asks to join"' "the owner is asked"
send bob@example.org "$($MT header "$ask" Reply-To | tr -d '<>')" "Re: ask" "approve"
assert_ok 'not_member hugo@example.net' "a plain member cannot approve with the owner's token"
send alice@example.org "$($MT header "$ask" Reply-To | tr -d '<>')" "Re: ask" "approve"
assert_ok 'is_member hugo@example.net' "the owner's reply lets them in"
send ivan@example.net team-subscribe@example.org "" ""
send ivan@example.net "$(token_addr ivan@example.net)" "Re: confirm" "yes"
assert_ok 'kith mod ls team | grep -q "^join  ivan@example.net"' "kith mod ls shows the request to join"
assert_ok 'kith member accept team ivan@example.net | grep -q "is now a member" && is_member ivan@example.net' "kith member accept lets them in"
assert_ok '[ "$(kith member accept team nobody@example.net >/dev/null 2>&1; echo $?)" = 67 ]' "accepting a request that does not exist: exit 67"

# 10. Templates: per-list overrides; a typo is caught by kith check, not a member.
mkdir -p "$T/var/templates/team"
printf 'Hi {{member.name}}, this is our own welcome to {{list.name}}.\n' > "$T/var/templates/team/welcome.txt"
kith list set team subscribe open >/dev/null
# an open list joins at once when our MTA vouches for the sender (t21)
send jana@example.net team-subscribe@example.org "" "" "Authentication-Results: mx.example.org; dkim=pass header.d=example.net"
assert_ok '$MT body "$(last jana@example.net)" | grep -q "this is our own welcome"' "a list's own welcome template is used"
assert_ok 'kith check >/dev/null 2>&1' "kith check: templates ok"
printf 'Hi {{member.nmae}}\n' > "$T/var/templates/team/welcome.txt"
kith check >/dev/null 2>"$T/err"
rc=$?
assert_ok '[ $rc = 78 ] && grep -q "unknown variable .{{member.nmae}}." "$T/err"' "kith check names a template's unknown variable (exit 78)"
printf 'Bienvenue au caf\351, {{member.name}}.\n' > "$T/var/templates/team/welcome.txt"
kith check >/dev/null 2>"$T/err"
rc=$?
assert_ok '[ $rc = 78 ] && grep -q "templates/team/welcome.txt: not UTF-8" "$T/err"' "kith check names a template saved in Latin-1 (exit 78): members would get bytes no reader shows"
rm "$T/var/templates/team/welcome.txt"

# 11. Non-ASCII names are encoded in headers and read back intact.
kith list create omada@example.org --owner alice@example.org --name "Ομάδα Κεφαλονιάς" >/dev/null
kith list set omada subscribe open >/dev/null
send kostas@example.net omada-subscribe@example.org "" "" "From: Κώστας <kostas@example.net>" "Authentication-Results: mx.example.org; dkim=pass header.d=example.net"
w=$(last kostas@example.net)
assert_ok '[ "$($MT header "$w" Subject)" = "Welcome to Ομάδα Κεφαλονιάς" ]' "a Greek list name in the Subject decodes intact"
assert_ok '$MT header "$w" From | grep -q "^Ομάδα Κεφαλονιάς <omada-owner@example.org>$"' "and in the From display name"
assert_ok 'grep -q "^Subject: =?UTF-8?B?" "$w"' "encoded with RFC 2047 on the wire"

# 11b. 'set nomail until' a day gone (a year typed wrong) changes nothing
# and says so; the preference page refuses the same (t30)
send dora@example.net team-request@example.org "" "set nomail until 2019-06-01"
assert_ok '$MT body "$(last dora@example.net)" | grep -q "Not done: 2019-06-01 has passed" && [ "$(db "SELECT mode FROM members WHERE address='"'"'dora@example.net'"'"'")" != nomail ] && [ "$(db "SELECT count(*) FROM pending WHERE address='"'"'dora@example.net'"'"' AND commands LIKE '"'"'%nomail%'"'"'")" = 0 ]' "'set nomail until' a day gone: not done, told why, nothing waits for a confirmation"

# 11c. a day that does not exist was moved into March (timegm): now it is
# refused with the forms the command takes, and nothing waits
send dora@example.net team-request@example.org "" "set nomail until 2099-02-29"
assert_ok '$MT body "$(last dora@example.net)" | grep -q "Not done: try .*set nomail until YYYY-MM-DD" && [ "$(db "SELECT count(*) FROM pending WHERE address='"'"'dora@example.net'"'"' AND commands LIKE '"'"'%nomail%'"'"'")" = 0 ]' "'set nomail until 2099-02-29' (no such day): not done, told how to ask, nothing waits for a confirmation"

# 12. Time: 'set nomail until' ends by itself; daily owner summaries.
db "UPDATE members SET mode='nomail', nomail_until=$(epoch)+86400 WHERE address='dora@example.net'"
clock_add 2d
kith cron >/dev/null 2>&1
assert_ok '[ "$(db "SELECT mode FROM members WHERE address='"'"'dora@example.net'"'"'")" = each ]' "cron ends a 'nomail until' period"
kith list set team notify_owners daily >/dev/null
before=$(count alice@example.org)
kith member rm team ivan@example.net >/dev/null
send leo@example.net team-subscribe@example.org "" "" "Authentication-Results: mx.example.org; dkim=pass header.d=example.net"
assert_ok '[ "$(count alice@example.org)" = "$before" ]' "notify_owners daily: no mail per join"
at "$(after 25h)" cron >/dev/null 2>&1
at "$(after 25h)" deliver >/dev/null 2>&1
assert_ok '$MT header "$(last alice@example.org)" Subject | grep -q "Joins and leaves on Team" && $MT body "$(last alice@example.org)" | grep -q "leo@example.net joined"' "a day later the owner gets one summary"
finish
