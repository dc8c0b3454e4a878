#!/bin/sh
# A member's data (issue 18): kith member export-data, 'my data' by mail
# (to that address only, after a confirmation), kith member forget with
# --posts keep|anonymise|delete and the proof that nothing holds the
# address afterwards (the database file after its checkpoint, the pages of
# kith serve, digests, archive show/export), the hashed record that keeps
# a later import or bounce from bringing it back, and removing a post
# (kith archive rm, and an owner's 'remove' by mail) with its stand-in.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"
. "$HERE/serve_lib.sh"

start_sink
setup_list "authserv_id = mx.example.org" \
	"web_base_url = https://lists.example.org/kith/" \
	"[http]" "listen = 127.0.0.1:0"
export KITH_DB="$T/var/kith.db" SINK_DIR T
AR="Authentication-Results: mx.example.org; dkim=pass header.d=example.org"
kith member add team dave@example.net --name "Dave Keep" >/dev/null
kith member add team erin@example.net --name "Erin Delete" >/dev/null
kith member set team carol@example.org mode=digest-daily >/dev/null
reply_to() { $MT header "$(last "$1")" Reply-To | tr -d '<>'; }
# in_db ADDRESS - how many times the database holds it, any case (sqlite:
# its file and WAL; PostgreSQL: its rows, lib.sh's db_dump)
in_db() { db_dump | grep -aci "$1"; }

# Bob's life on the list: a post, a reply that quotes him, a held post,
# a request waiting for his confirmation, a ban on another list.
send bob@example.org team@example.org "Bob's hello" "hi all, from bob@example.org"
send alice@example.org team@example.org "Re: Bob's hello" "Bob <bob@example.org> wrote:\n> hi all" "In-Reply-To: <m1@test>"
kith member moderate team bob@example.org on >/dev/null
send bob@example.org team@example.org "Held one" "this waits for a moderator"
kith member moderate team bob@example.org off >/dev/null
send bob@example.org team-request@example.org "set digest weekly" ""
kith list create other@example.org --owner alice@example.org >/dev/null
kith ban add other bob@example.org >/dev/null
bob_pref=$($MT body "$(last bob@example.org)" | sed -n 's|.*https://lists.example.org/kith\(/p/[^ ]*\).*|\1|p' | head -1)
send dave@example.net team@example.org "Dave's note" "signed, dave@example.net"

# 1. export-data
kith member export-data bob@example.org --json > "$T/bob.json"
assert_ok '$PY -c "
import json, sys
d = json.load(open(sys.argv[1]))
t = d[\"tables\"]
assert d[\"address\"] == \"bob@example.org\" and d[\"forgotten\"] is None
assert [m[\"list_id\"] for m in t[\"members\"]] == [1]
assert any(p[\"subject\"] == \"Bob\x27s hello\" and \"from bob@example.org\" in p[\"body\"] for p in t[\"posts\"])
assert t[\"held\"][0][\"subject\"] == \"Held one\"
assert t[\"pending\"][0][\"commands\"] == \"set digest weekly\"
assert t[\"confirm_log\"] and t[\"outbox\"] and t[\"member_log\"]
assert t[\"bans\"][0][\"pattern\"] == \"bob@example.org\"
assert \"raw\" not in t[\"posts\"][0]
assert sorted(l[\"address\"] for l in d[\"lists\"]) == [\"team@example.org\"]
" "$T/bob.json"' "export-data --json: memberships, posts with their text, held, pending, confirmations, outbox, log, bans"
assert_ok 'kith member export-data BOB@example.org | grep -q "^== held" && kith member export-data bob@example.org | grep -q "    subject: Held one"' "export-data for people: the same tables, any case of the address"
assert_ok 'kith member export-data nobody@example.org | grep -q "Nothing else"' "an address Kith knows nothing of: says so"
kith member export-data "not an address" >/dev/null 2>&1
assert_ok '[ $? = 65 ]' "a bad address: exit 65"

# 2. 'my data' by mail: to that address only, after it confirms.
before=$(count bob@example.org)
send bob@example.org team-request@example.org "my data" ""
r=$(last bob@example.org)
assert_ok '$MT body "$r" | grep -q "> my data" && $MT body "$r" | grep -q "Sent to you once you confirm"' "'my data': the reply asks for a confirmation"
assert_ok 'lacks "Your data" $MT header "$r" Subject' "and holds no data yet"
confirm=$(reply_to bob@example.org)
# Eve forges Bob's From: the answer goes to Bob, who never confirms it.
send eve@example.net team-request@example.org "my data" "" "From: <bob@example.org>"
assert_ok '[ "$(count eve@example.net)" = 0 ]' "a forged From: nothing goes to the forger"
# Eve got hold of Bob's confirm address: the data still goes to Bob alone.
send eve@example.net "$confirm" "Re: confirm" "yes"
assert_ok '[ "$(count eve@example.net)" -le 1 ] && lacks "Bob.s hello" $MT body "$(last eve@example.net)"' "a stolen confirmation sends Eve nothing of Bob's"
data=$(ls -t "$SINK_DIR"/*.eml | while read -r f; do $MT header "$f" Subject | grep -q "Your data on Team" && echo "$f" && break; done)
assert_ok '[ -n "$data" ] && $MT header "$data" To | grep -q "bob@example.org"' "confirmed: 'Your data on Team' goes to bob@example.org"
assert_ok '$MT body "$data" | grep -q "== members" && $MT body "$data" | grep -q "hi all, from bob@example.org" && $MT body "$data" | grep -q "subject: Held one"' "it holds the export: memberships, the text of posts, held posts"

# 3. kith archive rm
send carol@example.org team@example.org "Oops private" "my phone is 555-0100"
oops=$(db "SELECT id FROM posts WHERE subject='Oops private'")
oops_num=$(db "SELECT num FROM posts WHERE id=$oops")
# Carol's daily digest with it goes out before the owners see it.
kith digest send team --force >/dev/null
kith deliver >/dev/null 2>&1
# digests_with TEXT - how many digests sent hold TEXT in their bytes (a
# search in a BLOB that both databases do alike: in Python)
digests_with() {
	$PY - "$HERE" "$1" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
from webtool import db
print(sum(sys.argv[2].encode() in bytes(r[0]) for r in
          db("SELECT data FROM outbox_messages WHERE kind = ?", "digest")))
PYEOF
}
assert_ok '[ "$(digests_with 555-0100)" -ge 1 ]' "a digest holding the post was sent"
kith archive rm "$oops" >/dev/null 2>&1
assert_ok '[ $? = 64 ]' "archive rm without --reason: exit 64"
assert_ok 'kith archive rm "$oops" --reason "posted by mistake" | grep -q "removed post $oops"' "archive rm ID --reason removes the post"
assert_ok 'lacks "Oops private" kith archive ls team && no_output kith archive search team 555-0100' "it leaves archive ls and the search index"
kith archive show "$oops" > "$T/show.out" 2>&1
assert_ok '[ $? = 66 ] && grep -q "removed by the list owners on 2026-06-01: posted by mistake" "$T/show.out"' "archive show: removed by the list owners, with the date and reason"
assert_ok '[ "$(db "SELECT reason || '"'"'|'"'"' || num || '"'"'|'"'"' || message_id FROM posts_removed WHERE id=$oops")" = "posted by mistake|$oops_num|m$n@test" ]' "its stand-in row keeps the Message-ID, number and reason"
assert_ok '[ "$(in_db 555-0100)" = 0 ]' "its text is nowhere in the database file (nor in the record of the digest sent)"
send bob@example.org team-request@example.org "get $oops_num" ""
assert_ok '$MT body "$(last bob@example.org)" | grep -q "there is no post #$oops_num"' "'get' by mail no longer finds it"
send bob@example.org team-request@example.org "index" ""
assert_ok 'lacks "Oops private" $MT body "$(last bob@example.org)"' "nor does 'index'"
send carol@example.org team@example.org "After the oops" "next"
assert_ok '[ "$(db "SELECT num FROM posts WHERE subject='"'"'After the oops'"'"'")" -gt "$oops_num" ] && [ "$(db "SELECT id FROM posts WHERE subject='"'"'After the oops'"'"'")" -gt "$oops" ]' "the removed post's number and id are never given again"

# 4. An owner's 'remove' by mail: a reply to the post, sent to team-request@.
send carol@example.org team@example.org "Second oops" "address: 12 Elm St"
oops2=$(db "SELECT id FROM posts WHERE subject='Second oops'")
mid2="m$n@test"
send bob@example.org team-request@example.org "Re: Second oops" "remove spam" "In-Reply-To: <$mid2>" "$AR"
assert_ok '$MT body "$(last bob@example.org)" | grep -q "only the list.s owners may remove posts" && [ "$(db "SELECT count(*) FROM posts WHERE id=$oops2")" = 1 ]' "a member who is no owner cannot remove a post"
send carol@example.org team-request@example.org "remove me" "remove me please"
assert_ok '$MT body "$(last carol@example.org)" | grep -q "To leave the list, send .unsubscribe." && [ "$(db "SELECT count(*) FROM members WHERE address='"'"'carol@example.org'"'"'")" = 1 ]' "'remove me' from a member: told how to leave, nothing removed"
send alice@example.org team-request@example.org "Re: Second oops" "remove it has a home address\n\n> address: 12 Elm St" "In-Reply-To: <$mid2>"
assert_ok '[ "$(db "SELECT count(*) FROM posts WHERE id=$oops2")" = 1 ] && $MT body "$(last alice@example.org)" | grep -q "Done once you confirm"' "an owner without proof: nothing until she confirms"
send alice@example.org "$(reply_to alice@example.org)" "Re: Your request" "yes"
assert_ok '[ "$(db "SELECT count(*) FROM posts WHERE id=$oops2")" = 0 ] && [ "$(db "SELECT by || '"'"'|'"'"' || reason FROM posts_removed WHERE id=$oops2")" = "alice@example.org|it has a home address" ]' "confirmed: removed, by alice, with her reason"
assert_ok '$MT body "$(last alice@example.org)" | grep -q "was removed from the archive"' "and she is told"
send carol@example.org team@example.org "Third oops" "oops"
n3=$(db "SELECT num FROM posts WHERE subject='Third oops'")
send alice@example.org team-request@example.org "remove #$n3 duplicate" "" "$AR"
assert_ok '[ "$(db "SELECT count(*) FROM posts WHERE subject='"'"'Third oops'"'"'")" = 0 ] && [ "$(db "SELECT reason FROM posts_removed WHERE num=$n3")" = duplicate ]' "an owner proven by the MTA (DKIM): 'remove #NUMBER REASON' at once"
send alice@example.org team-request@example.org "remove #9999" "" "$AR"
assert_ok '$MT body "$(last alice@example.org)" | grep -q "that post is not in the archive"' "a post that is not there: said so, nothing done"

# 5. forget --posts keep (Dave)
kith member forget dave@example.net >/dev/null 2>&1 </dev/null
assert_ok '[ $? = 64 ] && [ "$(db "SELECT count(*) FROM members WHERE address='"'"'dave@example.net'"'"'")" = 1 ]' "forget without --yes (no terminal): exit 64, nothing changed"
kith member forget dave@example.net --posts shred --yes >/dev/null 2>&1
assert_ok '[ $? = 64 ]' "--posts must be keep, anonymise or delete"
assert_ok 'kith member forget dave@example.net --yes | grep -q "forgot dave@example.net (posts: keep)"' "forget --posts keep (the default)"
assert_ok '[ "$(db "SELECT count(*) FROM members WHERE address='"'"'dave@example.net'"'"'")" = 0 ] && [ "$(db "SELECT count(*) FROM member_log WHERE address='"'"'dave@example.net'"'"'")" = 0 ] && [ "$(db "SELECT count(*) FROM outbox WHERE rcpt='"'"'dave@example.net'"'"'")" = 0 ]' "membership, log and queued mail to him are gone"
assert_ok '[ "$(db "SELECT count(*) FROM posts WHERE sender='"'"'dave@example.net'"'"'")" = 1 ]' "with keep, his post stays as it was"
assert_ok '[ "$(db "SELECT count(*) FROM forgotten WHERE posts='"'"'keep'"'"' AND length(hash)=64")" = 1 ] && lacks dave db "SELECT hash FROM forgotten"' "a forgotten row: an HMAC, not the address"
kith member add team dave@example.net >/dev/null 2>&1
assert_ok '[ $? = 77 ] && [ "$(db "SELECT count(*) FROM members WHERE address='"'"'dave@example.net'"'"'")" = 0 ]' "member add of a forgotten address is refused (77)"
printf 'address,name\r\ndave@example.net,Dave\r\nfrank@example.net,Frank\r\n' > "$T/import.csv"
assert_ok 'kith member import team "$T/import.csv" | grep -q "1 left out: forgotten" && [ "$(db "SELECT count(*) FROM members WHERE address IN ('"'"'dave@example.net'"'"', '"'"'frank@example.net'"'"')")" = 1 ]' "a re-import leaves the forgotten address out, adds the others"
assert_ok 'kith member export-data dave@example.net | grep -q "was forgotten at its own request"' "export-data says it was forgotten"

# 6. forget --posts anonymise (Bob): the grep proof
bob_post=$(db "SELECT id FROM posts WHERE subject='Bob''s hello'")
assert_ok '[ "$(in_db bob@example.org)" -gt 0 ]' "before: the database holds bob@example.org"
kith member forget bob@example.org --posts anonymise --yes > "$T/forget.out"
assert_ok 'grep -q "posts *1 anonymised" "$T/forget.out" && grep -q "forgot bob@example.org (posts: anonymise)" "$T/forget.out"' "forget --posts anonymise reports what it did"
assert_ok '[ "$(in_db bob@example.org)" = 0 ]' "after: grep -ci finds bob@example.org nowhere in the database file (nor its WAL)"
assert_ok 'kith archive show "$bob_post" | grep -q "^From: Former member <forgotten@invalid>" && kith archive show "$bob_post" --text | grep -q "hi all, from forgotten@invalid"' "his post stays, author and address replaced"
assert_ok 'kith archive show "$(db "SELECT id FROM posts WHERE subject LIKE '"'"'Re: Bob%'"'"'")" | grep -q "Bob <forgotten@invalid> wrote"' "a reply that quoted his address quotes the stand-in"
assert_ok '[ "$(db "SELECT banned FROM forgotten WHERE posts='"'"'anonymise'"'"'")" = ",2," ] && [ "$(db "SELECT count(*) FROM bans")" = 0 ]' "his ban on 'other' is kept in the hashed row"
# A bounce for the forgotten address is not kept.
printf 'From: MAILER-DAEMON@mx.example.net\nTo: team-bounces@example.org\nSubject: Undelivered Mail\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\nMessage-ID: <dsn1@x>\n\n--b\nContent-Type: text/plain\n\nfailed\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; bob@example.org\nAction: failed\nStatus: 5.1.1\n\n--b--\n' > "$T/dsn"
kith receive -r team-bounces@example.org -f "" < "$T/dsn" 2>>"$T/receive.err"
assert_ok '[ $? = 0 ] && [ "$(db "SELECT count(*) FROM bounces_in")" = 0 ] && [ "$(in_db bob@example.org)" = 0 ]' "a later bounce naming him is not kept: the address stays out"

send bob@example.org other-subscribe@example.org "" "" "$AR"
assert_ok '[ "$(db "SELECT count(*) FROM members m JOIN lists l ON l.id=m.list_id WHERE l.local='"'"'other'"'"' AND m.address='"'"'bob@example.org'"'"'")" = 0 ]' "so he still cannot join 'other'"
for p in $(db "SELECT id FROM posts"); do kith archive show "$p"; done > "$T/pages.txt"
kith archive export team --mbox >> "$T/pages.txt"
kith digest preview team >> "$T/pages.txt" 2>&1
kith digest preview team --plain >> "$T/pages.txt" 2>&1
kith member ls team >> "$T/pages.txt"
serve_at "$NOW"
$PY - "$KITH_PORT" "$bob_pref" >> "$T/pages.txt" <<'EOF'
import sys, urllib.request, urllib.error
port, pref = sys.argv[1], sys.argv[2]
for path in ("/l/team", "/l/other", pref or "/p/none"):
    try:
        print(urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, path), timeout=10).read().decode())
    except urllib.error.HTTPError as e:
        print(e.read().decode())
EOF
serve_stop
assert_ok '[ -n "$bob_pref" ] && grep -q "Team" "$T/pages.txt" && [ "$(grep -ci bob@example.org "$T/pages.txt")" = 0 ]' "nor do the pages: archive show/export, digest preview, member ls, kith serve's list pages and his old preference page"

# 7. forget --posts delete (Erin): out of the archive, the index, digests to come
send erin@example.net team@example.org "Erin's secret recipe" "the recipe of erin@example.net"
erin_post=$(db "SELECT id FROM posts WHERE sender='erin@example.net'")
assert_ok 'kith digest preview team | grep -q "Erin.s secret recipe"' "before: the next digest holds her post"
kith member forget erin@example.net --posts delete --yes > "$T/forget2.out"
assert_ok 'grep -q "posts *1 removed" "$T/forget2.out"' "forget --posts delete"
assert_ok '[ "$(in_db erin@example.net)" = 0 ] && [ "$(in_db "secret recipe")" = 0 ]' "grep: neither her address nor her post's text is in the database file"
assert_ok 'lacks "secret recipe" kith digest preview team && lacks "secret recipe" kith archive export team --mbox && no_output kith archive search team recipe' "her post is out of the next digest, the archive and its search"
kith archive show "$erin_post" > "$T/show2.out" 2>&1
assert_ok 'grep -q "removed by the list owners on 2026-06-01: removed at the author.s request" "$T/show2.out"' "its permalink's stand-in says it was removed"
assert_ok '[ "$(db "SELECT count(*) FROM forgotten")" = 3 ]' "three forgotten rows, one per address"

# 8. Bob comes back by himself: welcome, and no longer forgotten.
send bob@example.org team-subscribe@example.org "" ""
send bob@example.org "$(reply_to bob@example.org)" "Re: confirm" "yes"
assert_ok '[ "$(db "SELECT count(*) FROM members WHERE address='"'"'bob@example.org'"'"' AND list_id=1")" = 1 ] && [ "$(db "SELECT count(*) FROM forgotten")" = 3 ]' "a confirmed join of his own brings him back (the record stays for his ban on other)"
send dave@example.net team-subscribe@example.org "" ""
send dave@example.net "$(reply_to dave@example.net)" "Re: confirm" "yes"
assert_ok '[ "$(db "SELECT count(*) FROM members WHERE address='"'"'dave@example.net'"'"'")" = 1 ] && [ "$(db "SELECT count(*) FROM forgotten")" = 2 ]' "Dave, never banned, comes back and is no longer forgotten"
# The only owner of a list forgotten: the list is there, and the command says it lacks one.
kith list create solo@example.org --owner sam@example.net >/dev/null
kith member forget sam@example.net --yes > /dev/null 2> "$T/solo.err"
assert_ok 'grep -q "solo@example.org has no owner now" "$T/solo.err" && kith list show solo >/dev/null' "forgetting a list's only owner warns that the list has none"
kith check >/dev/null 2>"$T/check.err"; rc=$?
assert_ok '[ $rc = 0 ] && grep -q "warning: solo@example.org has no owner: nobody approves its joins" "$T/check.err" && ! grep -q "team@example.org has no owner" "$T/check.err"' "kith check warns of the list without an owner, and of no other (exit 0)"

finish
