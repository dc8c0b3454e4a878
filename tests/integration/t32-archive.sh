#!/bin/sh
# The web archive over real HTTP (kith serve under the test clock, Python's
# http.client): the pages of a members-only archive show nothing to
# anyone until a member logs in with the link mailed to them; a public
# archive hides addresses; threads, permalinks by Message-ID, raw
# messages, attachments (with Content-Disposition, nosniff, a sandbox
# CSP), mbox downloads read back with Python's mailbox, the Atom feed
# read by feedparser, search in Korean inside words and in Greek without
# accents; Archived-At and List-Archive in the copies; a newsletter's
# page and its link; kith archive import (dates, threads, duplicates,
# nothing sent) of an mbox and of an mlmmj directory; kith archive html.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"
. "$HERE/serve_lib.sh"

if ! $PY -c 'import feedparser' 2>/dev/null; then
	echo "SKIP: python3-feedparser is not installed (scripts/setup-deps.sh --test)"
	exit 77
fi

start_sink
setup_list "web_base_url = https://lists.example.org/kith/" \
	"[http]" "listen = 127.0.0.1:0"
export KITH_DB="$T/var/kith.db" SINK_DIR T
kith member add team dave@example.org --name "Dave" >/dev/null
kith list set team subject_prefix "[team]" >/dev/null

# a thread of three, a Korean and a Greek post, attachments, a post
# whose Message-ID holds a slash
send alice@example.org team@example.org "Picnic on Saturday" \
	"Shall we meet by the pond?\nMap: https://example.org/map?a=1&b=2\n\n-- \nAlice" \
	"From: Alice <alice@example.org>" "Date: Sat, 30 May 2026 10:00:00 +0000"
send bob@example.org team@example.org "Re: [team] Picnic on Saturday" \
	"I will bring tea.\n\nOn Sat, Alice <alice@example.org> wrote:\n> Shall we meet\n> by the pond?\n> Bring food.\n" \
	"From: Bob <bob@example.org>" "In-Reply-To: <m1@test>" "References: <m1@test>"
send carol@example.org team@example.org "Re: Re: Picnic on Saturday" "And I bring cake." \
	"From: Carol <carol@example.org>" "In-Reply-To: <m2@test>" "References: <m1@test> <m2@test>"
send dave@example.org team@example.org "화요일 모임" "화요일에 만나요. 회의는 3시에 시작합니다." \
	"From: =?utf-8?b?6rmA66+87KeA?= <dave@example.org>" "Content-Type: text/plain; charset=utf-8"
send bob@example.org team@example.org "Καλημέρα" "Καλημέρα σε όλους! Θα έρθω την Παρασκευή." \
	"From: Bob <bob@example.org>" "Content-Type: text/plain; charset=utf-8"
cat > "$T/att.eml" <<'EOF'
From: Carol <carol@example.org>
To: team@example.org
Subject: Photos
Message-ID: <photo/1@test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b0"

--b0
Content-Type: text/plain; charset=utf-8

Two photos and a drawing.
--b0
Content-Type: image/png; name="dot.png"
Content-Disposition: attachment; filename="dot.png"
Content-Transfer-Encoding: base64

iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==
--b0
Content-Type: image/svg+xml; name="cat.svg"
Content-Disposition: inline; filename="cat.svg"

<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>
--b0
Content-Type: image/png; name="fake.png"
Content-Disposition: attachment; filename="fake.png"

<html><script>alert(1)</script></html>
--b0--
EOF
assert_ok '[ "$(post "$T/att.eml" team@example.org carol@example.org)" = 0 ]' "a post with attachments goes through"
kith deliver >/dev/null 2>&1

# 1. The copies point at the archive.
pycheck <<'EOF'
from webtool import *
m = [x for x in mails_to("dave@example.org") if "Picnic" in str(x["Subject"])][0]
check(str(m["Archived-At"]) == "<https://lists.example.org/kith/a/team/m/m1@test/>",
      "each copy carries Archived-At: <its permalink> (%s)" % m["Archived-At"])
check(str(m["List-Archive"]) == "<https://lists.example.org/kith/a/team/>",
      "and List-Archive: <the list's archive> (%s)" % m["List-Archive"])
p = [x for x in mails_to("dave@example.org") if str(x["Subject"]).endswith("Photos")][0]
check(str(p["Archived-At"]) == "<https://lists.example.org/kith/a/team/m/photo%2F1@test/>",
      "a slash in the Message-ID is encoded in the permalink (%s)" % p["Archived-At"])
EOF

serve_at "$NOW"
assert_ok '[ -n "$KITH_PORT" ]' "kith serve listens ($KITH_PORT)"

# 2. archive = members (the default): nothing for anyone else.
pycheck <<'EOF'
from webtool import *
check(one("SELECT value FROM list_settings WHERE key='archive'") is None,
      "the archive setting is at its default, members")
for path in ("/a/team/", "/a/team/t/1/", "/a/team/m/m1@test/", "/a/team/m/m1@test/raw",
             "/a/team/2026/06/", "/a/team/new.atom", "/a/team/?q=picnic",
             "/a/team/t/1/mbox", "/a/team/m/photo%2F1@test/1/dot.png"):
    r = get(path)
    check(r.status == 403 and "Picnic" not in r.text and "Photos" not in r.text
          and "pond" not in r.text and 'name="address"' in r.text,
          "%s: 403, the login form, not a subject or a word of a post" % path)
r = get("/a/team")
check(r.status == 301 and r.headers.get("location") == "team/", "/a/team redirects to /a/team/")
check(get("/a/nosuch/").status == 404, "an unknown list is 404")
EOF

# 3. Logging in with a link by mail.
pycheck <<'EOF'
from webtool import *
page = get("/a/team/login")
csrf = page.field("csrf")
check(page.status == 200 and csrf, "the login page has a form")
before = len(mails_to("bob@example.org"))
r = post_form("/a/team/login", {"csrf": csrf, "address": "Bob@Example.org"})
check(r.status == 200 and "Check your mail" in r.text, "asking for a link: check your mail")
r2 = post_form("/a/team/login", {"csrf": csrf, "address": "stranger@example.net"})
check(r2.status == 200 and r2.main().replace("stranger@example.net", "X") ==
      r.main().replace("bob@example.org", "X"),
      "a stranger's address gets the same page: nobody learns who is a member")
r3 = post_form("/a/team/login", {"csrf": "x", "address": "bob@example.org"})
check(r3.status == 403, "without the form's CSRF token: 403")
r4 = post_form("/a/team/login", {"csrf": csrf, "address": "not an address"})
check(r4.status == 400 and 'name="address"' in r4.text, "a bad address: 400 and the form again")
EOF
kith deliver >/dev/null 2>&1
assert_ok '[ "$(count stranger@example.net)" = 0 ]' "nothing goes to the stranger"
pycheck <<'EOF'
from webtool import *
m = [x for x in mails_to("bob@example.org") if "archive" in str(x["Subject"])]
check(len(m) == 1 and str(m[0]["Auto-Submitted"]) == "auto-generated",
      "Bob got one mail with his link (%d)" % len(m))
link = re.search(r"https://lists\.example\.org/kith(/a/team/login/\S+)", text_of(m[0])).group(1)
open(os.environ["T"] + "/link", "w").write(link)
r = get(link)
c = r.headers.get("set-cookie", "")
check(r.status == 303 and r.headers.get("location") == "../", "the link answers 303 to the archive")
check(re.match(r"kith_a1=[0-9a-z.-]+; Path=/kith/a/team/; Max-Age=2592000; HttpOnly; SameSite=Lax; Secure$", c),
      "and sets a signed cookie: HttpOnly, SameSite=Lax, Secure (https), 30 days, the archive's path (%s)" % c)
cookie = c.split(";")[0]
open(os.environ["T"] + "/cookie", "w").write(cookie)
r = get("/a/team/", headers={"Cookie": "other=1; " + cookie})
check(r.status == 200 and "Picnic on Saturday" in r.text and "Reading as bob@example.org" in r.text,
      "with the cookie the archive opens")
check(get("/a/team/", headers={"Cookie": cookie[:-1] + ("a" if cookie[-1] != "a" else "b")}).status == 403,
      "a cookie changed by one character opens nothing")
forged = re.sub(r"=\d+-", "=3-", cookie)
check(get("/a/team/", headers={"Cookie": forged}).status == 403,
      "Bob's cookie with another member's id opens nothing")
check(get(link[:-1] + ("a" if link[-1] != "a" else "b")).status == 403, "a changed link: 403")
r = post_form("/a/team/logout", {"csrf": get("/a/team/", headers={"Cookie": cookie}).field("csrf")},
              headers={"Cookie": cookie})
check(r.status == 303 and "Max-Age=0" in r.headers.get("set-cookie", ""), "logging out removes the cookie")
EOF
serve_stop
kith member set team bob@example.org language=el >/dev/null
serve_at "$(after 2h)"
pycheck <<'EOF'
from webtool import *
link = open(os.environ["T"] + "/link").read()
r = get(link)
check(r.status == 410 and "set-cookie" not in r.headers, "two hours later the link has expired (410)")
cookie = open(os.environ["T"] + "/cookie").read()
r = get("/a/team/", headers={"Cookie": cookie, "Accept-Language": "de"})
check(r.status == 200 and '<html lang="el">' in r.text,
      "the cookie still works, and Bob reads the archive in his language, Greek, whatever his browser asks for")
r = get("/a/team/", headers={"Accept-Language": "de"})
check(r.status == 403 and '<html lang="de">' in r.text, "without it, a German browser gets the login page in German")
EOF
serve_stop
serve_at "$(after 31d)"
pycheck <<'EOF'
from webtool import *
cookie = open(os.environ["T"] + "/cookie").read()
check(get("/a/team/", headers={"Cookie": cookie}).status == 403, "after 30 days the cookie is no good")
EOF
serve_stop

# 4. A public archive.
kith list set team archive public >/dev/null
serve_at "$NOW"
pycheck <<'EOF'
from webtool import *
r = get("/a/team/")
check(r.status == 200 and secure_headers(r), "the public archive's index: 200, the security headers")
check("Picnic on Saturday" in r.text and "2 replies" in r.text and "화요일 모임" in r.text,
      "recent threads with their reply counts")
check("Re:" not in r.main().split("By month")[0] and "[team]" not in r.text,
      "subjects without the list prefix or Re:")
check("@example.org" not in r.text.replace("team@example.org", ""),
      "no sender's address anywhere (archive_addresses = hide by default)")
t = get("/a/team/t/1/")
check(t.status == 200 and t.text.count("<article") == 3, "the thread page shows its three posts")
check(t.text.index("Shall we meet") < t.text.index("bring tea") < t.text.index("bring cake"),
      "in date order")
check('class="post d0"' in t.text and 'class="post d1"' in t.text and 'class="post d2"' in t.text,
      "indented by who answers whom")
check("<details" in t.text and "<summary>3 quoted lines</summary>" in t.text,
      "the quote folds into <details>, no script needed")
check('href="https://example.org/map?a=1&amp;b=2" rel="nofollow noopener"' in t.text,
      "URLs become links with rel=nofollow noopener")
check('<div class="sig">' in t.text, "the signature is set apart")
check("alice@example.org" not in t.text and "alice@…" in t.text, "the address in the quote is hidden")
check("<script" not in t.text.lower(), "no script on the page")
r = get("/a/team/t/1")
check(r.status == 301 and r.headers.get("location") == "1/", "/t/1 redirects to /t/1/")

m = get("/a/team/m/m2@test/")
check(m.status == 200 and "bring tea" in m.text and 'href="../../../../a/team/t/1/#m2"' in m.text,
      "the permalink by Message-ID shows the post and links its thread")
check(get("/a/team/m/nosuch@test/").status == 404, "an unknown Message-ID is 404")
r = get("/a/team/m/m1@test/raw")
check(r.status == 403 and "Log in" in r.text, "raw messages are for members when addresses are hidden")

cookie = open(os.environ["T"] + "/cookie").read()
raw = get("/a/team/m/m1@test/raw", headers={"Cookie": cookie})
stored = db("SELECT raw FROM posts WHERE message_id='m1@test'")[0][0]
check(raw.status == 200 and raw.body == stored and raw.headers["content-type"] == "text/plain; charset=utf-8",
      "a member gets the raw message as received, byte for byte")
check("sandbox" in raw.headers["content-security-policy"] and raw.headers["x-content-type-options"] == "nosniff",
      "raw: a sandbox CSP and nosniff")
t = get("/a/team/t/1/", headers={"Cookie": cookie})
check("alice@example.org" in t.text, "members see the addresses")

p = get("/a/team/m/photo%2F1@test/")
check(p.status == 200 and "Two photos" in p.text, "a Message-ID with a slash has its permalink")
check('<img src="../../../../a/team/m/photo%2F1@test/1/dot.png"' in p.text,
      "the PNG is shown inline")
check(p.text.count("<img") == 1, "the SVG and the fake PNG are not shown as images")
a = get("/a/team/m/photo%2F1@test/1/dot.png")
check(a.status == 200 and a.headers["content-type"] == "image/png" and a.body[:4] == b"\x89PNG",
      "the PNG is served as image/png")
for n, name in ((1, "dot.png"), (2, "cat.svg"), (3, "fake.png")):
    a = get("/a/team/m/photo%%2F1@test/%d/%s" % (n, name))
    check(a.status == 200 and a.headers.get("content-disposition", "").startswith('attachment; filename="%s"' % name)
          and a.headers["x-content-type-options"] == "nosniff"
          and "sandbox" in a.headers["content-security-policy"],
          "%s: Content-Disposition: attachment, nosniff, CSP sandbox" % name)
check(get("/a/team/m/photo%2F1@test/2/cat.svg").headers["content-type"] == "application/octet-stream",
      "the SVG is never served as an image")
check(get("/a/team/m/photo%2F1@test/3/fake.png").headers["content-type"] == "application/octet-stream",
      "a 'PNG' that is HTML is served as bytes")
check(get("/a/team/m/photo%2F1@test/9/x").status == 404, "no ninth attachment: 404")
EOF

# 5. Downloads, feed, months, search.
pycheck <<'EOF'
from webtool import *
import mailbox, feedparser, tempfile
cookie = open(os.environ["T"] + "/cookie").read()
r = get("/a/team/t/1/mbox", headers={"Cookie": cookie})
check(r.status == 200 and r.headers["content-type"] == "application/mbox"
      and r.headers["content-disposition"].startswith("attachment;"), "the thread as an mbox download")
f = tempfile.NamedTemporaryFile(suffix=".mbox", delete=False)
f.write(r.body)
f.close()
box = mailbox.mbox(f.name)
ids = [str(m["Message-ID"]) for m in box]
check(ids == ["<m1@test>", "<m2@test>", "<m3@test>"], "it holds the thread's three posts in order (%r)" % ids)
month = get("/a/team/2026/06/mbox", headers={"Cookie": cookie})
check(month.status == 200 and month.body.count(b"\nFrom ") + 1 == 6, "the month's mbox holds its 6 posts")
check(get("/a/team/t/1/mbox").status == 403, "without logging in no mbox (addresses hidden)")

feed = get("/a/team/new.atom")
d = feedparser.parse(feed.body)
check(feed.status == 200 and feed.headers["content-type"].startswith("application/atom+xml")
      and d.bozo == 0 and d.version == "atom10", "the Atom feed is valid Atom 1.0 (feedparser)")
titles = [e.title for e in d.entries]
check(titles == ["Photos", "Καλημέρα", "화요일 모임", "Picnic on Saturday"],
      "its entries are the new threads, newest first (%r)" % titles)
e = [x for x in d.entries if x.title == "Picnic on Saturday"][0]
check(e.link == "https://lists.example.org/kith/a/team/t/1/" and "pond" in e.content[0].value
      and "alice@example.org" not in feed.text, "each links its thread, with its text, without addresses")

m = get("/a/team/2026/06/")
check(m.status == 200 and "June 2026" in m.text and m.main().count("<li") == 6, "a month's page lists its posts")
d = get("/a/team/2026/06/date/")
check(d.status == 200 and "Photos" in d.text, "and by date")
check(get("/a/team/2027/01/").status == 404 and get("/a/team/2026/13/").status == 404,
      "an empty or impossible month is 404")

r = get("/a/team/?q=" + urllib.parse.quote("화요일"))
check(r.status == 200 and "<mark>화요일</mark> 모임</a>" in r.text and "<mark>화요일</mark>에 만나요" in r.text,
      "search: a Korean word inside a longer one, marked in subject and snippet")
r = get("/a/team/?q=" + urllib.parse.quote("καλημερα"))
check("Καλημέρα" in r.text and "<mark>Καλημέρα</mark>" in r.text, "search: Greek typed without accents")
r = get("/a/team/?q=" + urllib.parse.quote('"bring tea"'))
# sqlite's snippet marks the phrase whole, PostgreSQL's ts_headline each
# of its words (README: the snippets are cut differently)
check(("<mark>bring tea</mark>" in r.text or "<mark>bring</mark> <mark>tea</mark>" in r.text)
      and "cake" not in r.text, "search: a phrase")
r = get("/a/team/?q=" + urllib.parse.quote("from:carol"))
check("Photos" in r.text and "Picnic" in r.text and "Καλημέρα" not in r.text, "search: from:")
r = get("/a/team/?q=" + urllib.parse.quote("from:example.org"))
check("Nothing found" in r.text, "from: does not look at hidden addresses")
r = get("/a/team/?q=" + urllib.parse.quote("subject:picnic -cake"))
check("bring tea" in r.text and "bring cake" not in r.text, "search: subject: and -word")
r = get("/a/team/?q=" + urllib.parse.quote("<script>alert(1)</script>"))
check("<script>" not in r.text and "&lt;script&gt;" in r.text, "the query is shown escaped")
EOF
assert_ok 'kith archive search team 화요일 | grep -q "화요일 모임"' "kith archive search: the same engine (Korean)"
assert_ok 'kith archive search team καλημερα --json | grep -q "\"snippet\": \"\[Καλημέρα\]"' \
	"kith archive search --json gives the marked snippet (Greek without accents)"

# 6. archive_addresses = show
kith list set team archive_addresses show >/dev/null
pycheck <<'EOF'
from webtool import *
t = get("/a/team/t/1/")
check("alice@example.org" in t.text and get("/a/team/m/m1@test/raw").status == 200,
      "archive_addresses show: addresses and raw messages for everyone")
EOF
kith list set team archive_addresses hide >/dev/null

# 7. A newsletter: its copies link its page; a tag newsletter is for members.
printf 'Dear {{member.name}},\n\nThe garden opens on Sunday.\n' > "$T/nl.txt"
kith newsletter create team --subject "Garden news" --text "$T/nl.txt" >/dev/null
kith newsletter send 1 >/dev/null 2>&1
kith member tag team dave@example.org helpers >/dev/null
printf 'Helpers meet at eight.\n' > "$T/nl2.txt"
kith newsletter create team --subject "For helpers" --text "$T/nl2.txt" --tag helpers >/dev/null
kith newsletter send 2 >/dev/null 2>&1
kith deliver >/dev/null 2>&1
pycheck <<'EOF'
from webtool import *
m = [x for x in mails_to("carol@example.org") if str(x["Subject"]) == "Garden news"][0]
t = text_of(m)
check(t.startswith("Read it in your browser: https://lists.example.org/kith/a/team/n/1/"),
      "the newsletter's copy starts with its link (%r)" % t[:80])
r = get("/a/team/n/1/")
check(r.status == 200 and "The garden opens on Sunday." in r.text and "Garden news" in r.text,
      "its page shows it")
check("Garden news" in get("/a/team/").text and "For helpers" not in get("/a/team/").text,
      "the index lists the public newsletter only")
check(get("/a/team/n/2/").status == 404, "a newsletter sent to a tag is not for the public")
cookie = open(os.environ["T"] + "/cookie").read()
r = get("/a/team/n/2/", headers={"Cookie": cookie})
check(r.status == 200 and "Helpers meet at eight." in r.text, "members see it")
EOF
serve_stop

# 8. Import: an mbox with dates, threads out of order, a duplicate.
# Dave reads the daily digest, which has nothing waiting.
kith member set team dave@example.org mode=digest-daily >/dev/null
kith digest send team --force >/dev/null 2>&1
kith deliver >/dev/null 2>&1
before_out=$(db "SELECT count(*) FROM outbox")
before_sink=$(sink_count)
cat > "$T/old.mbox" <<'EOF'
From alice at example.org  Tue Jan  1 10:00:00 2008
From: Alice <alice@example.org>
Subject: [team] Old times
Message-ID: <old1@example.org>
Date: Tue, 1 Jan 2008 10:00:00 +0000

The first post of 2008.
>From here on it is quoted mboxrd.

From bob@example.org Wed Jan  2 09:00:00 2008
From: Bob <bob@example.org>
Subject: Re: [team] Old times
Message-ID: <old3@example.org>
In-Reply-To: <old2@example.org>
Date: Wed, 2 Jan 2008 09:00:00 +0000

An answer to a post that comes later in the file.

From carol@example.org Wed Jan  2 08:00:00 2008
From: Carol <carol@example.org>
Subject: Re: [team] Old times
Message-ID: <old2@example.org>
In-Reply-To: <old1@example.org>

No Date field: the From_ line's date counts.

From alice@example.org Mon Jun  1 09:00:00 2026
From: Alice <alice@example.org>
Subject: Picnic on Saturday
Message-ID: <m1@test>

Already in the archive.

From nobody Thu Jan  3 12:00:00 2008
From: Dan <dan@example.org>
Subject: No Message-ID at all
Date: Thu, 3 Jan 2008 12:00:00 +0000

Imported once, even twice.

EOF
assert_ok 'kith archive import team --mbox "$T/old.mbox" > "$T/import.out"' "kith archive import exits 0"
assert_ok 'grep -q "5 messages read, 4 imported, 1 already there, 0 unreadable, 1 reply joined their thread" "$T/import.out"' \
	"it counts what it read, imported, skipped and joined ($(cat "$T/import.out"))"
assert_ok 'grep -q "0 imported, 5 already there" "$(kith archive import team --mbox "$T/old.mbox" > "$T/import2.out"; echo "$T/import2.out")"' \
	"importing again adds nothing, the post without a Message-ID included"
assert_ok '[ "$(db "SELECT received FROM posts WHERE message_id='"'"'old1@example.org'"'"'")" = "$(epoch "2008-01-01 10:00:00")" ]' \
	"the Date field is the post's date"
assert_ok '[ "$(db "SELECT received FROM posts WHERE message_id='"'"'old2@example.org'"'"'")" = "$(epoch "2008-01-02 08:00:00")" ]' \
	"without a Date field, the From_ line's"
assert_ok '[ "$(db "SELECT count(DISTINCT thread_id) FROM posts WHERE message_id LIKE '"'"'old_@example.org'"'"'")" = 1 ] && [ "$(db "SELECT posts FROM threads WHERE id=(SELECT thread_id FROM posts WHERE message_id='"'"'old1@example.org'"'"')")" = 3 ]' \
	"the three old posts are one thread, the early reply included"
assert_ok 'kith archive show $(db "SELECT id FROM posts WHERE message_id='"'"'old1@example.org'"'"'") | grep -q "^From here on it is quoted mboxrd.$"' \
	"mboxrd quoting is undone"
assert_ok '[ "$(db "SELECT count(*) FROM outbox")" = "$before_out" ] && kith deliver >/dev/null 2>&1 && [ "$(sink_count)" = "$before_sink" ]' \
	"the import sent nothing"
assert_ok '[ "$(db "SELECT posts FROM archive_months WHERE month=200801")" = 4 ]' "the months count the imported posts"
kith digest preview team > "$T/preview.out" 2>&1
assert_ok '! grep -q "Old times\|No Message-ID at all" "$T/preview.out"' \
	"the imported posts stay out of the next digest ($(head -c 200 "$T/preview.out" | tr '\n' ' '))"
mkdir -p "$T/mlmmj/archive"
printf 'From: Erin <erin@example.org>\nSubject: From mlmmj\nMessage-ID: <ml1@example.org>\nDate: Fri, 4 Jan 2008 12:00:00 +0000\n\nOne.\n' > "$T/mlmmj/archive/1"
printf 'From: Frank <frank@example.org>\nSubject: Re: From mlmmj\nMessage-ID: <ml2@example.org>\nIn-Reply-To: <ml1@example.org>\nDate: Fri, 4 Jan 2008 13:00:00 +0000\n\nTwo.\n' > "$T/mlmmj/archive/2"
printf 'not a mail message at all\n' > "$T/mlmmj/archive/10"
printf 'ignored\n' > "$T/mlmmj/archive/index"
assert_ok 'kith archive import team --mlmmj "$T/mlmmj/archive" | grep -q "3 messages read, 2 imported, 0 already there, 1 unreadable"' \
	"an mlmmj archive directory imports (numbered files only, the unreadable one skipped)"
assert_ok '[ "$(db "SELECT count(DISTINCT thread_id) FROM posts WHERE message_id LIKE '"'"'ml_@example.org'"'"'")" = 1 ]' "in one thread"
kith archive import team --mbox "$T/nosuch.mbox" >/dev/null 2>"$T/err"
assert_ok '[ $? = 66 ] && grep -q "cannot read" "$T/err"' "a missing file: one line, exit 66"
printf 'not an mbox\n' > "$T/bad.mbox"
kith archive import team --mbox "$T/bad.mbox" >/dev/null 2>"$T/err"
assert_ok '[ $? = 66 ] && grep -q "not an mbox" "$T/err"' "a file that is no mbox: one line, exit 66"

# 9. Static export.
assert_ok 'kith archive html team "$T/site" > "$T/html.out"' "kith archive html writes the pages"
assert_ok 'grep -q "^wrote [0-9]* files" "$T/html.out" && [ -f "$T/site/a/team/index.html" ] && [ -f "$T/site/static/kith.css" ] && [ -f "$T/site/a/team/t/1/index.html" ] && [ -f "$T/site/a/team/new.atom" ] && [ -f "$T/site/a/team/2008/01/index.html" ]' \
	"index, threads, months, feed and stylesheet are files"
assert_ok '[ -f "$T/site/a/team/m/photo%2F1@test/index.html" ] && [ -f "$T/site/a/team/m/photo%2F1@test/1/dot.png" ]' \
	"permalinks and attachments too, a slash in a Message-ID encoded in the file name"
assert_ok 'grep -q "../../../../a/team/m/photo%252F1@test/" "$T/site/a/team/t/$(db "SELECT thread_id FROM posts WHERE message_id='"'"'photo/1@test'"'"'")/index.html"' \
	"links to it are encoded twice, as a static server decodes them once"
assert_ok '! grep -q "name=\"q\"\|/login" "$T/site/a/team/index.html"' "no search form and no login in static pages"
assert_ok '[ ! -e "$T/site/a/team/m/m1@test/raw" ] && [ ! -e "$T/site/a/team/t/1/mbox" ]' \
	"no raw messages or mbox files when addresses are hidden"
assert_ok 'grep -q "Shall we meet" "$T/site/a/team/t/1/index.html" && ! grep -q "alice@example.org" "$T/site/a/team/t/1/index.html"' \
	"the thread page is there, without addresses"
kith archive html team "$T/nosuch/site" >/dev/null 2>"$T/err"
assert_ok '[ $? = 73 ] && grep -q "cannot make" "$T/err" && [ ! -e "$T/nosuch" ]' \
	"a DIR whose parent is missing: one line, exit 73, no tree of directories made"
kith list set team archive members >/dev/null
kith archive html team "$T/site2" >/dev/null 2>"$T/err"
assert_ok '[ $? = 77 ] && grep -q "for members" "$T/err"' "a members-only archive is not exported for the public (exit 77)"
assert_ok 'kith archive html team "$T/site3" --members >/dev/null && grep -q "alice@example.org" "$T/site3/a/team/t/1/index.html" && [ -f "$T/site3/a/team/m/m1@test/raw" ]' \
	"--members writes what members see"
kith list set team language de >/dev/null
assert_ok 'kith archive html team "$T/site4" --members >/dev/null' "kith archive html writes the pages of a German list"
assert_ok 'grep -q "<html lang=\"de\">" "$T/site4/a/team/index.html" && grep -q "<html lang=\"de\">" "$T/site4/a/team/t/1/index.html"' \
	"the static pages are in the list's language (de)"
kith list set team language en >/dev/null
kith list set team archive off >/dev/null
serve_at "$NOW"
pycheck <<'EOF'
from webtool import *
check(all(get(p).status == 404 for p in ("/a/team/", "/a/team/t/1/", "/a/team/new.atom")),
      "archive = off: nothing at all (404)")
EOF
serve_stop

# 10. Pages of threads and of results: 65 threads; the oldest has the
# newest reply, so it comes first.
kith list create big@example.org --owner alice@example.org --name "Big" >/dev/null
kith list set big archive public >/dev/null
$PY - "$T/big.mbox" <<'EOF'
import sys
out = open(sys.argv[1], "w")
for k in range(1, 66):
    out.write("From t%d@example.org Wed Mar  5 10:00:00 2025\n"
              "From: T%d <t%d@example.org>\nSubject: Topic %02d\n"
              "Message-ID: <big%d@example.org>\n"
              "Date: %d Mar 2025 %02d:00:00 +0000\n\nA lantern for topic %d.\n\n"
              % (k, k, k, k, k, 1 + k // 24, k % 24, k))
out.write("From z@example.org Mon Dec  1 10:00:00 2025\n"
          "From: Zed <z@example.org>\nSubject: Re: Topic 01\n"
          "Message-ID: <big1r@example.org>\nIn-Reply-To: <big1@example.org>\n"
          "Date: Mon, 1 Dec 2025 10:00:00 +0000\n\nThe lantern is back.\n\n")
EOF
assert_ok 'kith archive import big --mbox "$T/big.mbox" | grep -q "66 messages read, 66 imported"' "66 posts in 65 threads imported"
serve_at "$NOW"
pycheck <<'EOF'
from webtool import *
import re
def topics(r):
    return re.findall(r'<li><a href="[^"]*">Topic (\d\d)</a>', r.text)
def hits(r):
    return re.findall(r'<li><a href="([^"]*)">', r.text.split('class="results"')[-1])
p1 = get("/a/big/")
t1 = topics(p1)
check(p1.status == 200 and len(t1) == 30 and t1[0] == "01"
      and t1[1:] == ["%02d" % k for k in range(65, 36, -1)],
      "page 1: 30 threads by last activity, the old thread with the new reply first (%s)" % t1[:4])
check("1 reply" in p1.text and "1 Dec 2025" in p1.text, "with its reply count and last activity")
check('href="../../a/big/page/2/" rel="next"' in p1.text and 'rel="prev"' not in p1.text,
      "a link to older threads, none to newer")
p2 = get("/a/big/page/2/")
check(p2.status == 200 and topics(p2) == ["%02d" % k for k in range(36, 6, -1)]
      and 'href="../../../../a/big/" rel="prev"' in p2.text
      and 'href="../../../../a/big/page/3/" rel="next"' in p2.text,
      "page 2: the next 30, links both ways")
p3 = get("/a/big/page/3/")
check(p3.status == 200 and topics(p3) == ["06", "05", "04", "03", "02"]
      and 'rel="next"' not in p3.text and 'href="../../../../a/big/page/2/" rel="prev"' in p3.text,
      "page 3: the last 5, no link to older")
check(get("/a/big/page/4/").status == 404 and get("/a/big/page/0/").status == 404,
      "past the last page, and page 0: 404")
s1 = get("/a/big/?q=lantern")
check(s1.status == 200 and len(hits(s1)) == 20
      and 'href="../../a/big/?q=lantern&amp;page=2">More results' in s1.text
      and "Better matches" not in s1.text,
      "search: 20 results a page and a link to more (%d)" % len(hits(s1)))
s4 = get("/a/big/?q=lantern&page=4")
check(s4.status == 200 and len(hits(s4)) == 6 and "More results" not in s4.text
      and 'href="../../a/big/?q=lantern&amp;page=3">Better matches' in s4.text,
      "the fourth page: the last 6 and a link back (%d)" % len(hits(s4)))
every = []
for n in (1, 2, 3, 4):
    every += hits(get("/a/big/?q=lantern&page=%d" % n))
check(len(every) == 66 and len(set(every)) == 66,
      "the four pages hold every post once (%d, %d)" % (len(every), len(set(every))))
EOF
assert_ok 'kith archive html big "$T/bigsite" >/dev/null && grep -q "Topic 02" "$T/bigsite/a/big/page/3/index.html" && [ ! -e "$T/bigsite/a/big/page/4" ]' \
	"the static export writes the pages of threads"
serve_stop

# 11. A post the owners removed is gone (410, when and why) and leaves
# its thread, the month and the search; a forgotten member's posts
# (anonymised) show no trace of the address, even with addresses shown.
kith list set big archive_addresses show >/dev/null
rmid=$(db "SELECT id FROM posts WHERE message_id='big1r@example.org'")
kith archive rm "$rmid" --reason "posted by mistake" >/dev/null
kith member forget t7@example.org --posts anonymise --yes >/dev/null 2>&1
serve_at "$NOW"
pycheck <<'EOF'
from webtool import *
r = get("/a/big/m/big1r@example.org/")
check(r.status == 410 and "removed by the list owners" in r.text and "posted by mistake" in r.text
      and "lantern is back" not in r.text,
      "a removed post's permalink: 410, removed by the list owners, and why")
check(get("/a/big/m/big1r@example.org/1/x.png").status == 410, "and its attachments' addresses too")
check(get("/a/big/m/nosuch@example.org/").status == 404, "a Message-ID never seen is still 404")
t = get("/a/big/page/3/")
check("lantern is back" not in get("/a/big/?q=back").text and "Topic 01" in t.text
      and "no replies" in t.text.split("Topic 01")[1].split("</li>")[0],
      "the thread (back to its old place, no replies) and the search have it no more")
p = get("/a/big/m/big7@example.org/")
check(p.status == 200 and "t7@example.org" not in p.text and "forgotten@invalid" in p.text
      and "t7@example.org" not in get("/a/big/m/big7@example.org/raw").text,
      "a forgotten member's anonymised post: no trace of the address, raw included")
EOF
finish
