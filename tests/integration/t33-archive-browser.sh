#!/bin/sh
# The web archive in a real browser: Debian's chromium, headless, driven by
# chromium-driver through python3-selenium, at a phone's width (360 px).
# A member logs in with the link mailed to them (the cookie must work in
# the browser: web_base_url is the server's own address here); then the
# archive is public and every post of the hostile corpus
# (tests/data/archive/hostile: <script> in subjects, names and bodies,
# javascript: and data: links, CSS, SVG and fake PNG attachments,
# header injection, bidi and control characters, overlong lines, sixty
# levels of MIME, a Message-ID made to break attributes) is opened as a
# permalink, in its thread, in the month and in search results.  No
# script may run (each would set window.pwned, the title or log an
# error), the console must stay free of errors (a CSP violation is one),
# no request may leave the origin, nothing may scroll sideways, and a
# screenshot of each page must show something.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"
. "$HERE/serve_lib.sh"

for need in chromium chromedriver; do
	if ! command -v $need >/dev/null 2>&1; then
		echo "SKIP: $need is not installed (scripts/setup-deps.sh --test)"
		exit 77
	fi
done
if ! $PY -c 'import selenium' 2>/dev/null; then
	echo "SKIP: python3-selenium is not installed (scripts/setup-deps.sh --test)"
	exit 77
fi

start_sink
# the browser talks to kith serve directly: its address is the site's
# (https, as kith requires; Chromium keeps Secure cookies on 127.0.0.1)
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setup_list "web_base_url = https://127.0.0.1:$PORT/" "[http]" "listen = 127.0.0.1:$PORT"
export KITH_DB="$T/var/kith.db" SINK_DIR T
kith list set team posting anyone >/dev/null
send alice@example.org team@example.org "Picnic on Saturday" \
	"Shall we meet by the pond?\nMap: https://example.org/map\n\n-- \nAlice" "From: Alice <alice@example.org>"
send bob@example.org team@example.org "Re: Picnic on Saturday" \
	"I will bring tea.\n\nAlice <alice@example.org> wrote:\n> Shall we meet\n> by the pond?\n> Bring food.\n> And blankets." \
	"From: Bob <bob@example.org>" "In-Reply-To: <m1@test>"
for f in "$KITH_SRCDIR"/tests/data/archive/hostile/*.eml; do
	assert_ok '[ "$(post "$f" team@example.org mallory@example.net)" = 0 ]' "hostile post $(basename "$f") is accepted"
done
kith deliver >/dev/null 2>&1
assert_ok '[ "$(db "SELECT count(*) FROM posts WHERE archived != 0")" = 11 ]' "all eleven posts are archived"
serve_at "$NOW"
assert_ok '[ "$KITH_PORT" = "$PORT" ]' "kith serve listens on $PORT"

cat > "$T/browser.py" <<'EOF'
import os, re, struct, sys, time, zlib, json, urllib.parse
from webtool import *
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

T = os.environ["T"]
ORIGIN = "http://127.0.0.1:%d" % PORT
opts = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
          "--disable-background-networking", "--disable-component-update",
          "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
          "--user-data-dir=" + T + "/chrome"):
    opts.add_argument(a)
# the pages follow the browser's language: this one reads English
opts.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
opts.add_experimental_option("mobileEmulation", {
    "deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 2.0},
    "userAgent": "Mozilla/5.0 (Linux; Android 14) Mobile kith-test"})
opts.binary_location = "/usr/bin/chromium"
opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
d.set_page_load_timeout(30)
d.get_log("performance")

def png_ok(path):
    """A PNG whose pixels are not all one colour."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return False
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IHDR":
            w = struct.unpack(">I", data[pos + 8:pos + 12])[0]
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    return w >= 360 and len(set(zlib.decompress(idat))) > 16

# what a script from a post would have done, and what may never be there
SAFE = """
var bad = [];
if (window.pwned) bad.push('window.pwned is set');
if (document.title.indexOf('pwned') == 0) bad.push('the title was changed');
if (document.scripts.length) bad.push(document.scripts.length + ' script elements');
document.querySelectorAll('*').forEach(function (e) {
  for (var i = 0; i < e.attributes.length; i++) {
    var n = e.attributes[i].name.toLowerCase();
    if (n.indexOf('on') == 0) bad.push('attribute ' + n + ' on ' + e.tagName);
    if (n == 'style') bad.push('a style attribute on ' + e.tagName);
  }
});
document.querySelectorAll('main iframe, main object, main embed, main svg, main style, main link, main meta, main base, main form[action^="javascript"]').forEach(function (e) {
  bad.push('a ' + e.tagName + ' element');
});
document.querySelectorAll('a[href]').forEach(function (a) {
  if (!/^(https?|mailto):/.test(a.href)) bad.push('a link to ' + a.href);
});
document.querySelectorAll('img').forEach(function (i) {
  if (i.src.indexOf(location.origin + '/') != 0) bad.push('an image from ' + i.src);
});
return bad;
"""

seen = []
def page(name, path=None, status=200):
    if path:
        d.get(ORIGIN + path)
    time.sleep(0.2)
    shot = "%s/%s.png" % (T, name)
    d.save_screenshot(shot)
    check(png_ok(shot), "%s: the screenshot shows the page (%s)" % (name, shot))
    width = d.execute_script("return document.documentElement.scrollWidth")
    check(width <= 360, "%s: fits 360 px, no sideways scrolling (%d)" % (name, width))
    bad = d.execute_script(SAFE)
    check(not bad, "%s: no script ran, nothing unsafe in the page %r" % (name, bad))
    logs = d.get_log("browser")
    errors = [l for l in logs if l["level"] == "SEVERE" and not
              (status != 200 and l["source"] == "network" and
               l["message"].startswith(d.current_url + " "))]
    check(not errors, "%s: no console errors %r" % (name, errors))
    for entry in d.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            seen.append(msg["params"]["request"]["url"])

def link(path):
    return ORIGIN + path

try:
    # 1. a members-only archive: the form, the mail, the link, the cookie
    page("members-only", "/a/team/", 403)
    check("Picnic" not in d.page_source and "for members" in d.page_source,
          "the archive is for members: no subject shows")
    d.find_element(By.ID, "address").send_keys("bob@example.org")
    d.find_element(By.CSS_SELECTOR, "button.primary").click()
    page("login-sent")
    check("Check your mail" in d.page_source, "a link is on its way")
    deadline = time.time() + 20
    mail = []
    while time.time() < deadline and not mail:
        os.system("%s deliver >/dev/null 2>&1" % os.environ["KITH_EXE"])
        mail = [m for m in mails_to("bob@example.org") if "archive" in str(m["Subject"])]
        time.sleep(0.3)
    check(mail, "Bob's mail with the link came")
    url = re.search(r"https://127\.0\.0\.1:\d+(/a/team/login/\S+)", text_of(mail[-1])).group(1)
    d.get(ORIGIN + url)
    page("logged-in")
    check(d.current_url == ORIGIN + "/a/team/" and "Reading as bob@example.org" in d.page_source
          and "Picnic on Saturday" in d.page_source, "the link logs Bob in and opens the archive")
    c = d.get_cookie("kith_a1")
    check(c and c["httpOnly"] and c["sameSite"] == "Lax" and c["path"] == "/a/team/"
          and c["secure"], "the cookie is HttpOnly, SameSite=Lax, Secure, for the archive's path (%r)" % c)
    page("thread-member", "/a/team/t/1/")
    check("alice@example.org" in d.page_source, "members see addresses")
    d.get(ORIGIN + "/a/team/")
    d.find_element(By.CSS_SELECTOR, "button.link").click()
    page("logged-out", None, 403)
    check(d.get_cookie("kith_a1") is None, "logging out removes the cookie")

    # 2. the public archive, hostile posts and all
    os.system("%s list set team archive public >/dev/null" % os.environ["KITH_EXE"])
    page("index", "/a/team/")
    check("Picnic on Saturday" in d.page_source and "hello" in d.page_source,
          "the public index lists the threads")
    page("thread", "/a/team/t/1/")
    det = d.find_element(By.CSS_SELECTOR, "details.quote")
    check(not det.get_attribute("open"), "the long quote is folded")
    d.find_element(By.CSS_SELECTOR, "details.quote summary").click()
    check(det.get_attribute("open") is not None, "and opens with a tap, no script")
    check("alice@example.org" not in d.page_source, "the public sees no addresses")
    for mid, in db("SELECT message_id FROM posts WHERE sender='mallory@example.net' "
                   "OR sender='eve@example.net' ORDER BY id"):
        name = "hostile-" + re.sub(r"[^a-z0-9]", "", mid.lower())[:20]
        page(name, "/a/team/m/" + urllib.parse.quote(mid, safe="@!$+,;=:") + "/")
        check(d.find_elements(By.CSS_SELECTOR, "article.post"), "%s: the post is shown" % name)
        tid = one("SELECT thread_id FROM posts WHERE message_id=?", mid)
        page(name + "-thread", "/a/team/t/%d/" % tid)
    # the pictures: the real PNG shows, nothing else is an image
    page("attachments", "/a/team/m/hostile03@example.net/")
    imgs = d.find_elements(By.TAG_NAME, "img")
    check(len(imgs) == 1 and d.execute_script("return arguments[0].naturalWidth", imgs[0]) == 1,
          "only the real PNG is shown inline, and it loads (%d images)" % len(imgs))
    page("month", "/a/team/%s/" % time.strftime("%Y/%m", time.gmtime(one("SELECT received FROM posts WHERE id=3"))))
    page("month-by-date", "/a/team/%s/date/" % time.strftime("%Y/%m", time.gmtime(one("SELECT received FROM posts WHERE id=3"))))
    page("search", "/a/team/?q=script")
    check(d.find_elements(By.CSS_SELECTOR, "ul.results li mark"), "search results mark the word")
    d.get(ORIGIN + "/a/team/")
    box = d.find_element(By.NAME, "q")
    box.send_keys("bring tea")
    d.find_element(By.CSS_SELECTOR, "form.search button").click()
    page("search-typed")
    check("q=bring+tea" in d.current_url and "<mark>bring</mark>" in d.page_source,
          "the search box searches")
    page("notfound", "/a/team/m/nosuch@example.org/", 404)
    net = [s for s in seen if re.match(r"(https?|wss?|ftp):", s)]
    foreign = [s for s in net if not s.startswith(ORIGIN + "/")]
    check(len(net) >= 20 and not foreign, "%d requests, none left the origin %r" % (len(net), foreign))
finally:
    d.quit()
EOF
KITH_EXE=$(kith_exe)
export KITH_EXE
pycheck < "$T/browser.py"
finish
