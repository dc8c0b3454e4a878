#!/bin/sh
# kith serve over real HTTP: RFC 8058 one-click unsubscribe as Gmail sends
# it, GET that changes nothing, tokens that must not work, the preference
# page, the join form's double opt-in through the real SMTP sink, RSVP
# and vote links against the email paths, moderation links, limits
# (10 MB body, 10,000 header fields, 1,000 slow connections), a locked
# database, SIGHUP and SIGTERM.  The server runs under the test clock;
# Python's http.client (webtool.py) drives it.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

. "$HERE/serve_lib.sh"

start_sink
setup_list "web_base_url = https://lists.example.org/kith/" \
	"[http]" "listen = 127.0.0.1:0" "real_ip_header = X-Real-IP"
export KITH_DB="$T/var/kith.db" SINK_DIR T
for who in dave erin frank grace heidi ivan judy kate leo mallory nina oscar peggy; do
	kith member add team "$who@example.org" >/dev/null
done
send alice@example.org team@example.org "Hello" "first post"
serve_at "$NOW"
assert_ok '[ -n "$KITH_PORT" ] && grep -q "^kith serve: listening on http://127.0.0.1:" "$T/serve.out"' "kith serve says where it listens ($KITH_PORT)"

# 1. One-click unsubscribe.
pycheck <<'EOF'
from webtool import *
copies = {a: mails_to(a)[-1] for a in ("bob@example.org", "carol@example.org",
          "dave@example.org", "erin@example.org")}
urls = {a: unsubscribe_url(m) for a, m in copies.items()}
check(all(u and re.match(r"https://lists\.example\.org/kith/u/[0-9]+-0-[a-z2-7]{16}$", u)
          for u in urls.values()), "each copy's List-Unsubscribe has its own https /u/TOKEN URL")
check(all(str(m["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
          for m in copies.values()), "and List-Unsubscribe-Post: List-Unsubscribe=One-Click")
bob = path_of(urls["bob@example.org"])

r = get(bob)
check(r.status == 200 and 'name="List-Unsubscribe" value="One-Click"' in r.text
      and "<button" in r.text, "GET /u/TOKEN shows a page with one button that POSTs")
check(r.text.count("<form") == 1 and 'method="post"' in r.text, "one form, method post")
check(secure_headers(r) and r.headers.get("cache-control") == "no-store",
      "the page carries CSP, nosniff, no-referrer and no-store")
check('<meta name="viewport"' in r.text and "static/kith.css" in r.text
      and "<script" not in r.text.lower(), "mobile viewport, the stylesheet, no script")
r = request("HEAD", bob)
check(r.status == 200 and r.body == b"", "HEAD answers like GET, without a body")
check(is_member("bob@example.org"), "GET and HEAD change nothing: Bob is still a member")

# Gmail's exact request: RFC 8058 section 3.1
r = request("POST", bob, body=b"List-Unsubscribe=One-Click", headers={
    "Content-Type": "application/x-www-form-urlencoded",
    "User-Agent": "Mozilla/5.0 (compatible; Google-List-Unsubscribe)",
    "Content-Length": "26"})
check(r.status == 200, "Gmail's one-click POST answers 200 (%d)" % r.status)
check(not is_member("bob@example.org"), "and Bob has left at once, no confirmation page")
check(one("SELECT count(*) FROM member_log WHERE address='bob@example.org' AND event='left'") == 1,
      "the leave is in the member history")
r = request("POST", bob, body=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
check(r.status == 410 and "no longer works" in r.text,
      "the same POST again: 410, the link's member is gone (%d)" % r.status)

carol = path_of(urls["carol@example.org"])
r = post_multipart(carol, [("List-Unsubscribe", "One-Click")])
check(r.status == 200 and not is_member("carol@example.org"),
      "the multipart/form-data one-click POST unsubscribes too (%d)" % r.status)

dave = path_of(urls["dave@example.org"])
erin = path_of(urls["erin@example.org"])
forged = dave[:-1] + ("a" if dave[-1] != "a" else "b")
r = post_form(forged, {"List-Unsubscribe": "One-Click"})
check(r.status == 403 and is_member("dave@example.org"), "a forged token is refused with 403, nothing changed")
# Erin's MAC with Dave's member id: bound to Erin's address, so no good.
dave_id = re.search(r"/u/([0-9]+)-", dave).group(1)
swapped = re.sub(r"/u/[0-9]+-", "/u/%s-" % dave_id, erin)
r = post_form(swapped, {"List-Unsubscribe": "One-Click"})
check(r.status == 403 and is_member("dave@example.org") and is_member("erin@example.org"),
      "another member's token with Dave's id is refused, nobody leaves")
r = post_form(dave, {"List-Unsubscribe": "Nope"})
check(r.status == 400 and is_member("dave@example.org"), "a POST without List-Unsubscribe=One-Click changes nothing (400)")
r = post_form(dave, {"List-Unsubscribe": "One-Click", "csrf": "x-0-aaaaaaaaaaaaaaaa"})
check(r.status == 403 and is_member("dave@example.org"), "the button's form with a bad CSRF field is refused (403)")
page = get(dave)
r = post_form(dave, {"List-Unsubscribe": "One-Click", "csrf": page.field("csrf")})
check(r.status == 200 and not is_member("dave@example.org"), "the page's own button unsubscribes")
check(secure_headers(r), "the answer carries the security headers")

# The address of older mail: /unsubscribe/LIST/TOKEN
tok = erin.rsplit("/", 1)[1]
r = post_form("/unsubscribe/other@example.org/" + tok, {"List-Unsubscribe": "One-Click"})
check(r.status == 403 and is_member("erin@example.org"), "the old path naming another list is refused")
r = post_form("/unsubscribe/team@example.org/" + tok, {"List-Unsubscribe": "One-Click"})
check(r.status == 200 and not is_member("erin@example.org"), "the old /unsubscribe/LIST/TOKEN path still works")
r = get("/u/not-a-token")
check(r.status == 403 and secure_headers(r), "a malformed token: 403 with the security headers")
r = get("/nothing/here")
check(r.status == 404 and "<h1>" in r.text, "an unknown path: a 404 page")
EOF
kith deliver >/dev/null 2>&1
assert_ok '$MT header "$(last bob@example.org)" Subject | grep -q "^Goodbye from Team"' "Bob gets the goodbye mail, as by email"
assert_ok '[ "$(db "SELECT count(*) FROM member_events WHERE event='"'"'left'"'"'")" = 4 ]' "the owners' record has the four leaves"
assert_ok '! grep -q -- "-0-[a-z2-7]\{16\}" "$T/serve.err" && grep -q "POST /u/\[token\]\" 200" "$T/serve.err"' "the log has one line per change, the token replaced"
# The mailto path for comparison: Frank leaves by mail, Grace by the web.
frank_unsub=$($MT header "$(last frank@example.org)" List-Unsubscribe | sed -n 's/.*<mailto:\([^>]*\)>.*/\1/p')
send frank@example.org "$frank_unsub" "Unsubscribe" ""
pycheck <<'EOF'
from webtool import *
grace = unsub_path("grace@example.org")
r = post_form(grace, {"List-Unsubscribe": "One-Click"})
check(r.status == 200, "Grace leaves by the web")
def trail(a):
    return (one("SELECT count(*) FROM members WHERE address=?", a),
            db("SELECT event FROM member_log WHERE address=? ORDER BY at", a),
            db("SELECT event, reported FROM member_events WHERE address=?", a),
            one("SELECT count(*) FROM outbox WHERE rcpt=? AND state IN ('pending','sent')", a) > 0)
check(trail("frank@example.org") == trail("grace@example.org"),
      "the web and the mailto path leave the same rows: %r / %r" % (trail("frank@example.org"), trail("grace@example.org")))
EOF

# 2. The preference page: linked from notices to members and from the
# unsubscribe page; each change is the email command's own.
kith list set team topics "events, news, 초급" >/dev/null
send judy@example.org team-request@example.org "info" ""
# Kate changes the same things by email, for comparison.
send kate@example.org team-request@example.org "set digest daily" ""
send kate@example.org "$($MT header "$(last kate@example.org)" Reply-To | tr -d '<>')" "Re: Your request" "yes"
pycheck <<'EOF'
from webtool import *
body = text_of(mails_to("judy@example.org")[-1])
m = re.search(r"https://lists\.example\.org/kith(/p/[0-9]+-0-[a-z2-7]{16})", body)
check(m and body.rstrip().endswith(m.group(0)) and "\n-- \n" in body,
      "a notice to a member ends with the link to their preference page")
p = m.group(1)
u = path_of(unsubscribe_url(mails_to("judy@example.org")[0]))
check(('href="../p/%s"' % p[3:]) in get(u).text, "the unsubscribe page links to the same page")
r = get(p)
check(r.status == 200 and secure_headers(r) and "judy@example.org" in r.text, "GET /p/TOKEN shows Judy's settings")
check(re.search(r'value="each" checked', r.text) and re.search(r'value="mime" checked', r.text)
      and re.search(r'name="thanks" value="on" checked', r.text), "as they are: each message, MIME digests, thanks on")
check('name="topic1" value="on" > events' in r.text and 'name="topic2" value="on" > news' in r.text,
      "with the list's topics")
check(r.text.count('name="csrf"') == 3, "all three forms (settings, moving, leaving) carry a CSRF token")
before = db("SELECT mode, nomail_until, digest_format, thanks FROM members WHERE address='judy@example.org'")
get(p + "?delivery=daily&action=save")
check(db("SELECT mode, nomail_until, digest_format, thanks FROM members WHERE address='judy@example.org'") == before,
      "a GET with the form's fields changes nothing")
csrf = r.field("csrf")
form = {"csrf": csrf, "action": "save", "delivery": "daily", "format": "mime", "thanks": "on"}
r = post_form(p, dict(form, csrf="f-0-aaaaaaaaaaaaaaaa"))
check(r.status == 403 and db("SELECT mode FROM members WHERE address='judy@example.org'") == [("each",)],
      "a POST with a forged CSRF token is refused (403), nothing changed")
r = post_form(p.replace("/p/", "/u/"), {"List-Unsubscribe": "One-Click"})
check(r.status == 403 and is_member("judy@example.org"), "the preference token does not unsubscribe (another purpose)")
check(get(p.replace("-0-", "-1-")).status == 403, "a token with another expiry does not check")
r = post_form(p, form)
check(r.status == 200 and "Saved" in r.text and re.search(r'value="daily" checked', r.text),
      "POST delivery=daily saves and shows the new state")
row = lambda a: one("SELECT mode || ' ' || digest_format || ' ' || thanks || ' ' || nomail_until || ' ' || (digest_since > 0) FROM members WHERE address=?", a)
check(row("judy@example.org") == row("kate@example.org"),
      "the same row as 'set digest daily' confirmed by email: %s / %s" % (row("judy@example.org"), row("kate@example.org")))
r = post_form(p, dict(form, delivery="until", until="2026-05-01"))
check(r.status == 400 and "Nothing was changed" in r.text and row("judy@example.org").startswith("digest-daily"),
      "a break until a past date is refused, nothing changed")
for day in ("2099-02-29", "2099-04-31"):
    r = post_form(p, dict(form, delivery="until", until=day))
    check(r.status == 400 and "Nothing was changed" in r.text and row("judy@example.org").startswith("digest-daily"),
          "a break until %s (no such day) is refused, nothing changed (not moved into the next month)" % day)
r = post_form(p, dict(form, delivery="until", until="2026-07-01"))
check(r.status == 200 and db("SELECT mode, nomail_until FROM members WHERE address='judy@example.org'") ==
      [("nomail", 1782864000)], "no mail until 2026-07-01 (%r)" % db("SELECT mode, nomail_until FROM members WHERE address='judy@example.org'"))
check(re.search(r'value="until" checked', r.text) and 'value="2026-07-01"' in r.text, "and the page shows the date")
f2 = {"csrf": csrf, "action": "save", "delivery": "weekly", "format": "plain", "topic2": "on"}
r = post_form(p, f2)
check(r.status == 200 and row("judy@example.org").startswith("digest-weekly plain 0 0"),
      "weekly plain digests, thanks off, in one go (%s)" % row("judy@example.org"))
check(db("SELECT tag FROM member_tags t JOIN members m ON m.id=t.member_id WHERE m.address='judy@example.org'") == [("news",)],
      "the topic 'news' is the member's tag")
r = post_form(p, {"csrf": csrf, "action": "save", "delivery": "each", "format": "plain", "topic1": "on"})
check(row("judy@example.org").startswith("each plain 0") and
      db("SELECT tag FROM member_tags t JOIN members m ON m.id=t.member_id WHERE m.address='judy@example.org'") == [("events",)],
      "back to each message; topics follow the boxes")
r = post_form(p, {"csrf": csrf, "action": "save", "delivery": "each", "format": "plain", "topic3": "on"})
check('name="topic3" value="on" checked> 초급' in r.text and
      db("SELECT tag FROM member_tags t JOIN members m ON m.id=t.member_id WHERE m.address='judy@example.org'") == [("초급",)],
      "the topic 초급 is picked and is Judy's tag")
r = post_form(p, {"csrf": csrf, "action": "leave"})
check(r.status == 200 and not is_member("judy@example.org") and "You have left" in r.text,
      "leaving from the preference page")
check(get(p).status == 410, "afterwards the link says it no longer works")
EOF
printf 'For beginners.\n' > "$T/beginners.txt"
assert_ok 'kith newsletter create team --subject Beginners --text "$T/beginners.txt" --tag 초급 >/dev/null' "a newsletter may go to the topic 초급 the members pick on the web (it was refused: tags were ASCII)"
assert_ok 'kith list set team topics "events, day trips" 2>"$T/topics.err"; [ $? = 65 ] && grep -q "comma-separated: letters or digits of any script" "$T/topics.err" && kith list show team | grep -q "^topics  *events, news, 초급$"' "a topic no newsletter could name ('day trips') is refused, and the topics stay"

# 3. The list page and its join form: double opt-in through the sink,
# the same answer for members and strangers, rate limits that outlive a
# restart.
kith list create quiet@example.org --owner alice@example.org --name "Quiet" >/dev/null
kith list set quiet subscribe invite >/dev/null
db "UPDATE lists SET description='Neighbours <b>&</b> friends' WHERE local='team'"
printf 'Be kind.\nNo adverts.\n' > "$T/rules.txt"
mkdir -p "$T/var/templates/team/web" && cp "$T/rules.txt" "$T/var/templates/team/web/rules.txt"
kith event create team --title "Picnic <in the park>" --start "2026-06-20 12:00" --duration 3h --location "Stromovka" >/dev/null 2>&1
kith ban add team banned@example.net >/dev/null
kill -HUP "$SERVE_PID"; sleep 0.3
pycheck <<'EOF'
from webtool import *
r = get("/l/team")
check(r.status == 200 and secure_headers(r), "GET /l/team answers")
check("<h1>Team</h1>" in r.text and "Neighbours &lt;b&gt;&amp;&lt;/b&gt; friends" in r.text,
      "it shows the list's name and description, HTML-escaped")
check("Members write to the list address" in r.text and "Be kind.\nNo adverts." in r.text,
      "and its rules: who may post, how to join, the owners' own text")
check("Picnic &lt;in the park&gt;" in r.text and "Sat 20 Jun 2026, 12:00 - 15:00 UTC" in r.text and "Stromovka" in r.text,
      "and the upcoming event, in the list's zone")
check('name="address"' in r.text and 'name="name"' in r.text and r.field("csrf"), "and a join form with a CSRF token")
check(get("/l/team@example.org").status == 200 and get("/l/nosuch").status == 404, "by full address too; no such list: 404")
q = get("/l/quiet")
check(q.status == 200 and 'name="address"' not in q.text and "invitation" in q.text, "an invite-only list shows no form")
check(post_form("/l/quiet", {"csrf": q.field("csrf"), "address": "x@example.net"}).status == 403,
      "and refuses a join POST (403)")
csrf = r.field("csrf")
r = post_form("/l/team", {"address": "newbie@example.net", "name": "Newbie"})
check(r.status == 403 and one("SELECT count(*) FROM pending") == 0, "a join POST without the CSRF token is refused")
r = post_form("/l/team", {"csrf": csrf, "address": "not an address", "name": "X"},
              headers={"X-Real-IP": "192.0.2.1"})
check(r.status == 400 and "not an email address" in r.text and one("SELECT count(*) FROM pending") == 0,
      "a bad address: 400, the form again, nothing sent")
r = post_form("/l/team", {"csrf": csrf, "address": "Newbie@Example.NET", "name": "New\nbie\r\nunsubscribe"},
              headers={"X-Real-IP": "192.0.2.1"})
check(r.status == 200 and "Check your mail" in r.text, "joining: 200, check your mail")
check(db("SELECT address, commands FROM pending") == [("newbie@example.net", "subscribe New bie  unsubscribe")],
      "one pending confirmation, the name on one line (no command smuggled in)")
check(not is_member("newbie@example.net"), "not a member before confirming")
stranger = r.main().replace("newbie@example.net", "ADDRESS")
member = post_form("/l/team", {"csrf": csrf, "address": "kate@example.org", "name": "New"},
                   headers={"X-Real-IP": "192.0.2.2"}).main().replace("kate@example.org", "ADDRESS")
banned = post_form("/l/team", {"csrf": csrf, "address": "banned@example.net", "name": "New"},
                   headers={"X-Real-IP": "192.0.2.3"}).main().replace("banned@example.net", "ADDRESS")
check(stranger == member == banned, "the page reads the same for a stranger, a member and a banned address")
EOF
kith deliver >/dev/null 2>&1
pycheck <<'EOF'
from webtool import *
m = mails_to("newbie@example.net")
check(len(m) == 1 and str(m[0]["Subject"]).startswith("Please confirm"), "the confirmation mail reaches the sink")
check(re.match(r"team-confirm\+c\.[0-9]+-[0-9a-z]+-[a-z2-7]{16}@example.org", str(m[0]["Reply-To"]).strip("<>")),
      "with a team-confirm+TOKEN Reply-To")
check(len(mails_to("banned@example.net")) == 0, "the banned address gets nothing")
EOF
confirm=$($MT header "$(last newbie@example.net)" Reply-To | tr -d '<>')
send newbie@example.net "$confirm" "Re: Please confirm" "yes"
assert_ok '[ "$(db "SELECT name FROM members WHERE address='"'"'newbie@example.net'"'"'")" = "New bie  unsubscribe" ]' "answering the mail makes a member (double opt-in), with the name given"
pycheck <<'EOF'
from webtool import *
w = [m for m in mails_to("newbie@example.net") if str(m["Subject"]).startswith("Welcome to Team")]
check(len(w) == 1 and "https://lists.example.org/kith/p/" in text_of(w[0]), "the welcome mail links to the preference page")
EOF
pycheck <<'EOF'
from webtool import *
csrf = get("/l/team").field("csrf")
codes = [post_form("/l/team", {"csrf": csrf, "address": "flood%d@example.net" % i},
                   headers={"X-Real-IP": "198.51.100.7"}).status for i in range(11)]
check(codes[:10] == [200] * 10 and codes[10] == 429, "one client: 10 joins an hour, the 11th is 429 (%r)" % codes)
r = post_form("/l/team", {"csrf": csrf, "address": "flood99@example.net"}, headers={"X-Real-IP": "198.51.100.7"})
check(r.status == 429 and int(r.headers.get("retry-after", "0")) > 0, "with Retry-After (%s s)" % r.headers.get("retry-after"))
codes = [post_form("/l/team", {"csrf": csrf, "address": "target@example.net"},
                   headers={"X-Real-IP": "203.0.113.%d" % i}).status for i in range(4)]
check(codes == [200, 200, 200, 429], "one address: 3 a day from any number of clients (%r)" % codes)
check(one("SELECT count(*) FROM pending WHERE address='target@example.net'") == 3, "three confirmations, not four")
EOF
serve_stop
serve_at "$NOW"
pycheck <<'EOF'
from webtool import *
csrf = get("/l/team").field("csrf")
r = post_form("/l/team", {"csrf": csrf, "address": "target@example.net"}, headers={"X-Real-IP": "203.0.113.99"})
check(r.status == 429, "the limits hold across a restart (they live in the database)")
EOF

# 4. RSVP and vote links: GET shows, POST does; the same rows as the
# email commands, waitlist and promotion included.
by_mail() {	# FROM COMMAND: to team-request@, confirmed by reply
	send "$1" team-request@example.org "$2" ""
	send "$1" "$($MT header "$(last "$1")" Reply-To | tr -d '<>')" "Re: Your request" "yes"
}
kith event create team --title "Dinner A" --start "2026-06-25 19:00" --duration 2h --capacity 1 >/dev/null 2>&1
kith event create team --title "Dinner B" --start "2026-06-26 19:00" --duration 2h --capacity 1 >/dev/null 2>&1
kith deliver >/dev/null 2>&1
EV_A=$(db "SELECT id FROM events WHERE title='Dinner A'")
EV_B=$(db "SELECT id FROM events WHERE title='Dinner B'")
export EV_A EV_B
cat > "$T/rsvp.py" <<'EOF'
import sys
from webtool import *
def links(who, title):
    m = [m for m in mails_to(who) if title in str(m["Subject"])][-1]
    t = text_of(m)
    return {a: path_of(re.search(r"https://lists\.example\.org/kith(/r/[^\s]+\?answer=%s)" % a, t).group(1))
            for a in ("yes", "no", "maybe")}, m
def answer(who, title, a):
    l, m = links(who, title)
    page = get(l[a])
    return post_form(l[a], {"csrf": page.field("csrf"), "answer": a})
EOF
pycheck <<'EOF'
import os
exec(open(os.environ["T"] + "/rsvp.py").read())
l, m = links("leo@example.org", "Dinner A")
h = html_of(m)
check(all(l.values()) and "Or answer on the web:" in text_of(m), "the invitation's text has yes / no / maybe links")
check(all(('href="https://lists.example.org/kith%s"' % u.replace("&", "&amp;")) in h for u in l.values()),
      "and its HTML part the answer buttons")
check(m.get_content_type() == "multipart/mixed" and "text/calendar" in str(m), "still with the calendar's REQUEST")
r = get(l["yes"])
check(r.status == 200 and secure_headers(r) and "Dinner A" in r.text and "Yes, I am coming" in r.text
      and r.text.count("<button") == 1, "GET ?answer=yes shows what will happen, with one button")
check(one("SELECT count(*) FROM rsvps WHERE event_id=?", int(os.environ["EV_A"])) == 0, "and changes nothing")
r = get(l["yes"].split("?")[0])
check(r.status == 200 and r.text.count("<button") == 3, "without an answer: three buttons")
r = post_form(l["yes"], {"answer": "yes"})
check(r.status == 403 and one("SELECT count(*) FROM rsvps") == 0, "a POST without the CSRF token: 403, nothing recorded")
r = answer("leo@example.org", "Dinner A", "yes")
check(r.status == 200 and "Done: you are coming" in r.text, "Leo says yes on the web: coming")
r = answer("nina@example.org", "Dinner A", "yes")
check(r.status == 200 and "waitlist" in r.text, "Nina says yes: the event is full, she waits")
EOF
by_mail leo@example.org "rsvp yes $EV_B"
by_mail nina@example.org "rsvp yes $EV_B"
pycheck <<'EOF'
import os
from webtool import *
A, B = int(os.environ["EV_A"]), int(os.environ["EV_B"])
rows = lambda e: db("SELECT m.address, r.occurrence, r.partstat, r.waitlisted, r.sequence FROM rsvps r "
                    "JOIN members m ON m.id=r.member_id WHERE event_id=? ORDER BY m.address", e)
check(rows(A) == rows(B) and len(rows(A)) == 2,
      "the web answers leave the rows 'rsvp yes' by mail leaves: %r / %r" % (rows(A), rows(B)))
EOF
pycheck <<'EOF'
import os
exec(open(os.environ["T"] + "/rsvp.py").read())
r = answer("leo@example.org", "Dinner A", "no")
check(r.status == 200 and "not coming" in r.text, "Leo changes to no on the web")
EOF
by_mail leo@example.org "rsvp no $EV_B"
kith deliver >/dev/null 2>&1
pycheck <<'EOF'
import os
from webtool import *
A, B = int(os.environ["EV_A"]), int(os.environ["EV_B"])
rows = lambda e: db("SELECT m.address, r.partstat, r.waitlisted FROM rsvps r "
                    "JOIN members m ON m.id=r.member_id WHERE event_id=? ORDER BY m.address", e)
check(rows(A) == rows(B) == [("leo@example.org", "DECLINED", 0), ("nina@example.org", "ACCEPTED", 0)],
      "a seat frees: Nina is promoted in both (%r / %r)" % (rows(A), rows(B)))
seat = lambda e: db("SELECT count(*) FROM outbox_messages m JOIN outbox o ON o.message_id=m.id "
                    "WHERE o.rcpt='nina@example.org' AND m.render LIKE ?", "event:%d:%%" % e)
check(seat(A) == seat(B), "and gets the same mails about it (%r / %r)" % (seat(A), seat(B)))
EOF

kith poll create team --question "Where next?" --option Park --option Pub --option Beach >/dev/null 2>&1
kith poll create team --question "Which days?" --option Mon --option Tue --option Wed --multiple >/dev/null 2>&1
kith deliver >/dev/null 2>&1
P1=$(db "SELECT id FROM polls WHERE question='Where next?'")
P2=$(db "SELECT id FROM polls WHERE question='Which days?'")
export P1 P2
pycheck <<'EOF'
import os
from webtool import *
m = [m for m in mails_to("oscar@example.org") if "Where next?" in str(m["Subject"])][-1]
t = text_of(m)
v = {int(n): path_of(u) for n, u in re.findall(r"  ([0-9])\. (https://lists\.example\.org/kith/v/\S+)", t)}
check(sorted(v) == [1, 2, 3] and all(u.endswith("?option=%d" % k) for k, u in v.items()),
      "the poll mail has one vote link per option")
r = get(v[2])
check(r.status == 200 and "Vote for: Pub" in r.text and r.text.count("<button") == 1, "GET ?option=2: one button, Vote for: Pub")
check(one("SELECT count(*) FROM poll_votes") == 0, "and changes nothing")
r = post_form(v[2], {"csrf": r.field("csrf"), "option": "2"})
check(r.status == 200 and "your vote is counted" in r.text and "Pub" in r.main(), "POST: counted, the page shows the vote")
EOF
by_mail peggy@example.org "vote $P1 2"
pycheck <<'EOF'
import os
from webtool import *
P1, P2 = int(os.environ["P1"]), int(os.environ["P2"])
votes = lambda a: db("SELECT choices FROM poll_votes WHERE poll_id=? AND address=?", P1, a)
logs = lambda a: db("SELECT choices FROM poll_log WHERE poll_id=? AND address=?", P1, a)
check(votes("oscar@example.org") == votes("peggy@example.org") == [("2",)] and
      logs("oscar@example.org") == logs("peggy@example.org"),
      "the web vote and 'vote N 2' by mail leave the same rows")
m = [m for m in mails_to("oscar@example.org") if "Where next?" in str(m["Subject"])][-1]
base = path_of(re.search(r"https://lists\.example\.org/kith(/v/[^?\s]+)", text_of(m)).group(0))
r = get(base)
check(r.status == 200 and r.text.count('type="radio" name="option"') == 3, "without an option: the three choices")
r = post_form(base, {"csrf": r.field("csrf"), "option": "3"})
check(r.status == 200 and votes("oscar@example.org") == [("3",)], "a new vote replaces the old one")
r = post_form(base, {"csrf": get(base).field("csrf"), "option": "9"})
check(r.status == 400 and votes("oscar@example.org") == [("3",)], "an option that is not there: nothing changes (%d)" % r.status)
m = [m for m in mails_to("mallory@example.org") if "Which days?" in str(m["Subject"])][-1]
multi = path_of(re.search(r"https://lists\.example\.org/kith(/v/[^?\s]+)", text_of(m)).group(0))
r = get(multi)
check(r.text.count('type="checkbox"') == 3, "a multiple-choice poll offers check boxes")
r = post_form(multi, {"csrf": r.field("csrf"), "option1": "on", "option3": "on"})
check(r.status == 200 and db("SELECT choices FROM poll_votes WHERE poll_id=? AND address='mallory@example.org'", P2) == [("1,3",)],
      "Mon and Wed are one vote '1,3'")
check(post_form(multi, {"option1": "on"}).status == 403, "without the CSRF token: 403")
EOF
kith poll close "$P1" >/dev/null 2>&1
pycheck <<'EOF'
from webtool import *
m = [m for m in mails_to("oscar@example.org") if "Where next?" in str(m["Subject"])][-1]
v = path_of(re.search(r"https://lists\.example\.org/kith(/v/\S+)", text_of(m)).group(1))
r = get(v)
check(r.status == 410 and "closed" in r.text, "a closed poll's link says so (410)")
EOF
# Past the event's end its links have expired.
serve_stop
serve_at "2026-06-21 09:00:00"
pycheck <<'EOF'
from webtool import *
m = [m for m in mails_to("leo@example.org") if "Picnic" in str(m["Subject"])][-1]
u = path_of(re.search(r"https://lists\.example\.org/kith(/r/\S+)", text_of(m)).group(1))
r = get(u)
check(r.status == 410 and "expired" in r.text, "an RSVP link after the event: expired (410)")
EOF
serve_stop
serve_at "$NOW"

# 5. Moderation links: the held post as text, approve / reject / discard,
# the same as a moderator's reply, and "already decided".
kith member add team moddy@example.org --name "Moddy" >/dev/null
kith member role team moddy@example.org moderator >/dev/null
for i in 1 2 3 4 5; do
	send "stranger$i@example.net" team@example.org "Held post $i" "<script>alert($i)</script> & hello from a stranger"
done
kith deliver >/dev/null 2>&1
cat > "$T/mod.py" <<'EOF'
from webtool import *
def notice(who, n):
    return [m for m in mails_to(who) if str(m["Subject"]).endswith("Held post %d" % n)][-1]
def mod_link(who, n):
    u = re.search(r"https://lists\.example\.org/kith(/m/\S+)", text_of(notice(who, n)))
    return u.group(1) if u else None
def held(n):
    return one("SELECT count(*) FROM held WHERE subject=?", "Held post %d" % n)
EOF
pycheck <<'EOF'
import os
exec(open(os.environ["T"] + "/mod.py").read())
u = mod_link("alice@example.org", 1)
check(u and re.match(r"/m/h\.[0-9]+\.[0-9]+-[0-9a-z]+-[a-z2-7]{16}$", u), "the moderator's notice links to /m/TOKEN")
check(mod_link("moddy@example.org", 1) not in (None, u), "each moderator has their own link")
r = get(u)
check(r.status == 200 and secure_headers(r) and "Held post 1" in r.text, "GET shows the held post")
check("&lt;script&gt;alert(1)&lt;/script&gt; &amp; hello" in r.text and "<script>" not in r.text,
      "its text HTML-escaped, no markup of the poster's gets through")
check(r.text.count("<form") == 4 and all('value="%s"' % a in r.text for a in ("approve", "approve-always", "reject", "discard")),
      "four forms: approve, approve and accept the stranger from now on, reject (with a reason), discard")
check(held(1) == 1, "GET changes nothing")
check(post_form(u, {"action": "approve"}).status == 403 and held(1) == 1, "POST without the CSRF token: 403")
r = post_form(u, {"csrf": r.field("csrf"), "action": "approve"})
check(r.status == 200 and "Approved" in r.text and held(1) == 0, "approve: done, no longer held")
check(one("SELECT count(*) FROM posts WHERE subject='Held post 1'") == 1, "the post is in the archive")
r = get(u)
check(r.status == 200 and "Already decided" in r.text and "approved" in r.text and "alice@example.org" in r.text,
      "the link again: already decided, approved by alice")
r2 = get(mod_link("moddy@example.org", 1))
r = post_form(mod_link("moddy@example.org", 1), {"csrf": r2.field("csrf"), "action": "discard"})
check(r.status == 409 and "Already decided" in r.text, "another moderator a moment later: 409, already decided")
u3 = mod_link("alice@example.org", 3)
r = post_form(u3, {"csrf": get(u3).field("csrf"), "action": "reject", "reason": "Not on topic,\nsorry"})
check(r.status == 200 and held(3) == 0 and one("SELECT outcome FROM held_log WHERE subject='Held post 3'") == "rejected",
      "reject with a reason")
u4 = mod_link("alice@example.org", 4)
r = post_form(u4, {"csrf": get(u4).field("csrf"), "action": "discard"})
check(r.status == 200 and one("SELECT outcome FROM held_log WHERE subject='Held post 4'") == "discarded",
      "discard")
forged = u4[:-1] + ("a" if u4[-1] != "a" else "b")
check(get(forged).status == 403, "a forged moderation link: 403")
EOF
# The same decision by reply, for comparison: approve post 2 by mail.
R2=$(cd "$HERE" && $PY -c "
import os; exec(open(os.environ['T'] + '/mod.py').read()); print(str(notice('alice@example.org', 2)['Reply-To']).strip('<>'))")
send alice@example.org "$R2" "Re: Held post 2" "approve"
kith deliver >/dev/null 2>&1
pycheck <<'EOF'
import os
exec(open(os.environ["T"] + "/mod.py").read())
row = lambda n: db("SELECT p.sender, p.subject, l.outcome, l.by FROM posts p JOIN held_log l ON "
                   "l.message_id=p.message_id WHERE p.subject=?", "Held post %d" % n)
check(row(1) and [r[2:] for r in row(1)] == [r[2:] for r in row(2)],
      "approved on the web and by reply: the same rows (%r / %r)" % (row(1), row(2)))
copies = lambda n: one("SELECT count(*) FROM outbox o JOIN outbox_messages m ON m.id=o.message_id "
                       "JOIN posts p ON p.id=m.post_id WHERE p.subject=?", "Held post %d" % n)
check(copies(1) == copies(2) > 0, "and as many copies to the members (%r / %r)" % (copies(1), copies(2)))
rej = [m for m in mails_to("stranger3@example.net") if "Your message" in str(m["Subject"])]
check(any("Not on topic, sorry" in text_of(m) for m in rej), "the rejected poster is told the reason")
check(not any("rejected" in text_of(m).lower() or "dropped" in text_of(m).lower()
              for m in mails_to("stranger4@example.net")[1:]), "the discarded one is told nothing more")
EOF
kith member role team moddy@example.org member >/dev/null
pycheck <<'EOF'
import os
exec(open(os.environ["T"] + "/mod.py").read())
r = get(mod_link("moddy@example.org", 5))
check(r.status == 403 and held(5) == 1, "a moderator no longer moderating: 403")
u = mod_link("alice@example.org", 5)
r = post_form(u, {"csrf": get(u).field("csrf"), "action": "approve-always"})
check(r.status == 200 and held(5) == 0 and one("SELECT count(*) FROM posts WHERE subject='Held post 5'") == 1,
      "approve, and accept the sender from now on: the post goes out")
check(one("SELECT value FROM list_settings WHERE key='accept_nonmembers'") == "stranger5@example.net",
      "and stranger5 is in the list's accept_nonmembers")
EOF
send stranger5@example.net team@example.org "Held post 6" "the same stranger again"
assert_ok '[ "$(db "SELECT count(*) FROM held WHERE subject='"'"'Held post 6'"'"'")" = 0 ] && [ "$(db "SELECT count(*) FROM posts WHERE subject='"'"'Held post 6'"'"'")" = 1 ]' "the same stranger's next post goes straight out"

# 6. kith check asks WEB_BASE_URL/healthz through TLS, as mail providers
# would, and says whether kith serve itself answers.
WEB_PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/www"
printf 'ok\n' > "$T/www/healthz"
# a certificate valid on the test clock
LD_PRELOAD="$FAKETIME_LIB" FAKETIME="@2026-01-01 00:00:00" openssl req -x509 -newkey rsa:2048 -nodes \
	-keyout "$T/web.key" -out "$T/web.pem" -days 3650 -subj "/CN=localhost" \
	-addext "subjectAltName=DNS:localhost" 2>/dev/null
(cd "$T/www" && exec openssl s_server -quiet -WWW -accept "$WEB_PORT" -cert "$T/web.pem" -key "$T/web.key") \
	>/dev/null 2>&1 &
WEB_PID=$!
sed -e "s|^web_base_url = .*|web_base_url = https://localhost:$WEB_PORT/|" \
	-e "s|^listen = .*|listen = 127.0.0.1:$KITH_PORT|" "$KITH_CONF" > "$T/check.conf"
i=0
while ! $PY -c "import socket; socket.create_connection(('127.0.0.1', $WEB_PORT))" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
SSL_CERT_FILE="$T/web.pem" KITH_CONF="$T/check.conf" kith check > "$T/check.out" 2> "$T/check.err"
assert_ok 'grep -q "^# web: https://localhost:$WEB_PORT/healthz answers" "$T/check.out" && ! grep -q "warning: nothing answers" "$T/check.err"' "kith check: the web address answers (TLS checked)"
KITH_CONF="$T/check.conf" kith check > "$T/check.out" 2> "$T/check.err"
assert_ok 'grep -q "warning: nothing answers at https://localhost:$WEB_PORT/healthz (TLS: self-signed certificate)" "$T/check.err"' "a certificate mail providers would not trust: warned"
kill "$WEB_PID" 2>/dev/null; wait "$WEB_PID" 2>/dev/null
SSL_CERT_FILE="$T/web.pem" KITH_CONF="$T/check.conf" kith check > "$T/check.out" 2> "$T/check.err"
rc=$?
assert_ok '[ $rc = 0 ] && grep -q "warning: nothing answers at https://localhost:$WEB_PORT/healthz (Connection refused), but kith serve answers on 127.0.0.1:$KITH_PORT: check the reverse proxy" "$T/check.err"' "nothing at the web address, kith serve up: 'check the reverse proxy' (exit 0)"
sed -i "s|^listen = .*|listen = 127.0.0.1:$WEB_PORT|" "$T/check.conf"
SSL_CERT_FILE="$T/web.pem" KITH_CONF="$T/check.conf" kith check > "$T/check.out" 2> "$T/check.err"
assert_ok 'grep -q "and kith serve does not answer on 127.0.0.1:$WEB_PORT.*start .kith serve." "$T/check.err"' "and with kith serve down too: start kith serve"

# 7. The daemon: /healthz, /metrics, limits, a busy database.
kith cron >/dev/null 2>&1
pycheck <<'EOF'
from webtool import *
import os, socket, time
r = get("/healthz")
check(r.status == 200 and r.text == "ok\n" and secure_headers(r), "/healthz answers ok")
get("/no/such/page")
r = get("/metrics")
sent = one("SELECT count(*) FROM outbox WHERE state='sent'")
check(r.status == 200 and r.headers["content-type"].startswith("text/plain; version=0.0.4"),
      "/metrics is Prometheus text")
posts = one("SELECT count(*) FROM posts p JOIN lists l ON l.id=p.list_id WHERE l.local='team'")
check(re.search(r'^kith_posts_received_total\{list="team@example.org"\} %d$' % posts, r.text, re.M) and
      re.search(r"^kith_mails_sent_total %d$" % sent, r.text, re.M) and
      re.search(r"^kith_mails_failed_total 0$", r.text, re.M) and
      re.search(r"^kith_mails_deferred 0$", r.text, re.M) and
      re.search(r"^kith_queue_depth [0-9]+$", r.text, re.M),
      "it counts posts, mails sent (%d), failed, deferred and the queue" % sent)
cron = open(os.environ["T"] + "/var/cron.lock").read().strip() or "0"
check(re.search(r"^kith_cron_last_run_timestamp_seconds %s$" % cron, r.text, re.M) and int(cron) > 0,
      "and when kith cron last ran (%s), for an alert on a cron that stopped" % cron)
check(re.search(r'^kith_http_requests_total\{status="200"\} [1-9][0-9]*$', r.text, re.M) and
      re.search(r'^kith_http_requests_total\{status="404"\} 1$', r.text, re.M),
      "and the requests by status since it started")

def raw(data, timeout=10):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    out = b""
    try:
        s.sendall(data)
        while b"\r\n\r\n" not in out:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except OSError:
        pass
    s.close()
    return out

heidi = unsub_path("heidi@example.org")
big = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
       "Content-Length: %d\r\n\r\n" % (heidi, 10 * 1024 * 1024)).encode()
out = raw(big + b"List-Unsubscribe=One-Click&x=" + b"a" * 65536)
check(out.startswith(b"HTTP/1.1 413"), "a 10 MB body is refused with 413 before it is read (%r)" % out[:20])
s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           "Transfer-Encoding: chunked\r\n\r\n" % heidi).encode())
status = b""
try:
    for i in range(160):                  # 10 MB in 64 KB chunks, no length given
        s.sendall(b"10000\r\n" + b"a" * 65536 + b"\r\n")
    s.sendall(b"0\r\n\r\n")
    status = s.recv(100)
except OSError:
    pass
s.close()
check(status == b"", "a 10 MB chunked body is cut off once it passes 4 x max_body (%r)" % status[:12])
chunk = b"List-Unsubscribe=One-Click&x=" + b"a" * 100000
out = raw(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           "Transfer-Encoding: chunked\r\n\r\n" % heidi).encode() +
          b"%x\r\n" % len(chunk) + chunk + b"\r\n0\r\n\r\n")
check(out.startswith(b"HTTP/1.1 413"), "a 100 KB chunked body (over max_body): 413 at its end (%r)" % out[:12])
check(is_member("heidi@example.org"), "neither unsubscribed anybody")
hdrs = "".join("X-Filler-%d: %d\r\n" % (i, i) for i in range(10000))
out = raw(("GET /healthz HTTP/1.1\r\nHost: x\r\n%s\r\n" % hdrs).encode())
check(out[:12] in (b"HTTP/1.1 431", b"HTTP/1.1 400"), "10,000 header fields: %r" % out[:40])
hdrs = "".join("X-Filler-%d: %d\r\n" % (i, i) for i in range(150))
out = raw(("GET /l/team HTTP/1.1\r\nHost: x\r\n%s\r\n" % hdrs).encode())
check(out.startswith(b"HTTP/1.1 431"), "150 header fields (over max_headers 100): 431")
r = request("DELETE", "/l/team")
check(r.status == 405 and r.headers.get("allow") == "GET, HEAD, POST", "DELETE: 405 with Allow")
r = request("POST", heidi, body=b"List-Unsubscribe=One-Click", headers={"Content-Type": "text/plain"})
check(r.status == 415 and is_member("heidi@example.org"), "a body that is not a form: 415")

# 1,000 slow connections, each holding half a request
slow = []
for i in range(1000):
    c = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    c.sendall(b"GET /l/team HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    slow.append(c)
t0 = time.time()
r = get("/healthz", timeout=5)
took = time.time() - t0
check(r.status == 200 and took < 1.0, "with 1,000 slow connections open, /healthz answers in %.3f s" % took)
t0 = time.time()
r = get("/l/team", timeout=5)
check(r.status == 200 and time.time() - t0 < 1.0, "and so does a page (%.3f s)" % (time.time() - t0))
for c in slow:
    c.close()

# A database another process holds locked: 503 and Retry-After, nothing half done.
lock = WriteLock()
t0 = time.time()
r = post_form(heidi, {"List-Unsubscribe": "One-Click"})
check(r.status == 503 and r.headers.get("retry-after", "").isdigit(),
      "a locked database answers 503 with Retry-After (%d, %.1f s)" % (r.status, time.time() - t0))
lock.release()
check(is_member("heidi@example.org") and
      one("SELECT count(*) FROM member_log WHERE address='heidi@example.org' AND event='left'") == 0,
      "and nothing changed")
r = post_form(heidi, {"List-Unsubscribe": "One-Click"})
check(r.status == 200 and not is_member("heidi@example.org"), "once it is free, the same POST works")
EOF

# 8. SIGHUP reads the configuration (and templates) again; SIGTERM lets
# the request in flight finish.
pycheck <<'EOF'
from webtool import *
check(get("/nope").status == 404, "a 404 (its text is read now and kept)")
EOF
mkdir -p "$T/var/templates/web"
printf '<h1>Nothing here (site text)</h1>\n' > "$T/var/templates/web/error-notfound.html"
pycheck <<'EOF'
from webtool import *
check("site text" not in get("/nope").text, "a new site text waits for SIGHUP")
EOF
kill -HUP "$SERVE_PID"
sleep 0.5
pycheck <<'EOF'
from webtool import *
check("site text" in get("/nope").text, "after SIGHUP the site's own 404 text")
EOF
cp "$KITH_CONF" "$T/good.conf"
printf 'bogus line\n' >> "$KITH_CONF"
kill -HUP "$SERVE_PID"
sleep 0.5
assert_ok 'grep -q "reload.*the old configuration stays" "$T/serve.err" && kill -0 "$SERVE_PID"' "a broken configuration on SIGHUP is refused; the server goes on"
cp "$T/good.conf" "$KITH_CONF"

# The pages' commits do not wait for the disk on the executor's thread:
# the syncer's fdatasync of the WAL does, and no page that saw a change
# goes out before it (here after SIGHUP reopened the connection).  Seen
# with strace for three join POSTs, one after another (synctrace.py).
if ! sqlite_only "the WAL's fdatasync (PostgreSQL commits durably itself)"; then
	strace -f -qq -y -e trace=pwrite64,fdatasync,sendmsg,sendto,writev,write \
		-o "$T/sync.trace" -p "$SERVE_PID" 2>/dev/null &
	ST=$!
	sleep 1
	pycheck <<'EOF'
from webtool import *
csrf = get("/l/team").field("csrf")
codes = [post_form("/l/team", {"csrf": csrf, "address": "sync%d@example.net" % i, "name": "S"},
                   headers={"X-Real-IP": "198.51.100.%d" % (10 + i)}).status for i in range(3)]
check(codes == [200, 200, 200], "three joins answered (%s)" % codes)
check(one("SELECT count(*) FROM pending WHERE address LIKE 'sync%'") == 3, "and their three confirmations stored")
EOF
	kill -INT "$ST"; wait "$ST" 2>/dev/null
	pycheck "$T/sync.trace" <<'EOF'
import sys, synctrace
synctrace.check_trace(sys.argv[1], "HTTP/1.1 200", "the joins' answers")
EOF
fi
cat > "$T/graceful.py" <<'EOF'
import os, signal, socket, sys, time
from webtool import *
check(get("/healthz").status == 200, "the server still answers")
ivan = unsub_path("ivan@example.org")
body = b"List-Unsubscribe=One-Click"
s = socket.create_connection(("127.0.0.1", PORT), timeout=15)
s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           "Content-Length: %d\r\n\r\n" % (ivan, len(body))).encode() + body[:10])
time.sleep(0.5)
os.kill(int(sys.argv[1]), signal.SIGTERM)
time.sleep(1)
alive = True
try:
    os.kill(int(sys.argv[1]), 0)
except OSError:
    alive = False
check(alive, "after SIGTERM the server waits for the request in flight")
refused = False
try:
    socket.create_connection(("127.0.0.1", PORT), timeout=2).close()
except OSError:
    refused = True
check(refused, "and takes no new connection")
s.sendall(body[10:])
out = s.recv(4096)
check(out.startswith(b"HTTP/1.1 200"), "the request in flight is answered (%r)" % out[:15])
check(not is_member("ivan@example.org"), "and carried out")
EOF
pycheck "$SERVE_PID" < "$T/graceful.py"
i=0
while kill -0 "$SERVE_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
assert_ok '! kill -0 "$SERVE_PID" 2>/dev/null && grep -q "^kith serve: stopped" "$T/serve.out"' "then it stops"
SERVE_PID=

# 9. The connection cap and the idle timeout; a unix socket.
sed -e 's|^listen = .*|listen = 127.0.0.1:0\nmax_connections = 20\ntimeout = 2|' \
	"$KITH_CONF" > "$T/small.conf"
main_conf=$KITH_CONF
export KITH_CONF="$T/small.conf"
serve_at "$NOW"
pycheck <<'EOF'
from webtool import *
import socket, time
def is_open(s, wait):
    s.settimeout(wait)
    try:
        return s.recv(1) != b""
    except socket.timeout:
        return True
    except OSError:
        return False
conns = [socket.create_connection(("127.0.0.1", PORT)) for i in range(20)]
time.sleep(0.3)
extra = socket.create_connection(("127.0.0.1", PORT))
extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
extra.settimeout(0.8)
try:
    first = extra.recv(100)
except socket.timeout:
    first = None
check(first in (None, b""), "max_connections 20: with 20 idle connections a 21st is not served (%r)" % first)
time.sleep(2.5)
check(not [c for c in conns if is_open(c, 0.3)], "timeout 2: the idle connections are closed after it")
for c in conns:
    c.close()
extra.close()
check(get("/healthz").status == 200, "and the server answers")
EOF
serve_stop
serve_at "$NOW" --listen "unix:$T/serve.sock"
assert_ok 'grep -q "^kith serve: listening on unix:$T/serve.sock" "$T/serve.out" && [ -S "$T/serve.sock" ]' "--listen unix:PATH listens on a unix socket"
pycheck <<'EOF'
from webtool import *
import socket, os
class UnixHTTP(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(os.environ["T"] + "/serve.sock")
c = UnixHTTP("localhost")
c.request("GET", "/healthz")
r = c.getresponse()
check(r.status == 200 and r.read() == b"ok\n", "/healthz over the unix socket")
c.request("GET", "/l/team")
r = c.getresponse()
check(r.status == 200 and b"<h1>Team</h1>" in r.read(), "a page over the unix socket, the connection kept alive")
EOF
sed "s|^listen = .*|listen = unix:$T/serve.sock|" "$T/check.conf" > "$T/check-unix.conf"
KITH_CONF="$T/check-unix.conf" kith check >/dev/null 2> "$T/check.err"
assert_ok 'grep -q "but kith serve answers on unix:$T/serve.sock" "$T/check.err"' "kith check asks kith serve over its unix socket too"
serve_stop
assert_ok '[ ! -e "$T/serve.sock" ]' "the socket is removed when it stops"
export KITH_CONF="$main_conf"

finish
