#!/bin/sh
# kith serve's pages in a real browser: Debian's chromium, headless, driven
# by chromium-driver through python3-selenium, at a phone's width (360 px).
# Click the one-click button, change preferences, join from the list
# page, answer an invitation; a screenshot of each page must show
# something; the console must stay free of errors (a CSP violation would
# be one) and no request may leave the server's origin.
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
setup_list "web_base_url = https://lists.example.org/kith/" \
	"[http]" "listen = 127.0.0.1:0"
export KITH_DB="$T/var/kith.db" SINK_DIR T
kith member add team dave@example.org --name "Dave" >/dev/null
db "UPDATE lists SET description='Neighbours and friends: walks, dinners, a book now and then.' WHERE local='team'"
kith list set team topics "events, books" >/dev/null
kith event create team --title "Picnic in the park" --start "2026-06-20 12:00" \
	--duration 3h --location "Stromovka, by the pond" >/dev/null 2>&1
send alice@example.org team@example.org "Hello" "first post"
serve_at "$NOW"
assert_ok '[ -n "$KITH_PORT" ]' "kith serve listens ($KITH_PORT)"

cat > "$T/browser.py" <<'EOF'
import os, re, struct, sys, time, zlib, json
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
# a phone: 360 CSS pixels wide
# the pages follow the browser's language: this one reads English
opts.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
opts.add_experimental_option("mobileEmulation", {
    "deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 2.0},
    "userAgent": "Mozilla/5.0 (Linux; Android 14) Mobile kith-test"})
opts.binary_location = "/usr/bin/chromium"
opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
d.set_page_load_timeout(30)
d.get_log("performance")	# the browser's start, before any page of ours

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
    raw = zlib.decompress(idat)
    return w >= 360 and len(set(raw)) > 16

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
    css = d.execute_script("return getComputedStyle(document.querySelector('main')).maxWidth")
    check(css == "640px", "%s: the stylesheet applies (main max-width %s)" % (name, css))
    logs = d.get_log("browser")
    # a 4xx page is reported as its own failed load; nothing else may be
    bad = [l for l in logs if l["level"] == "SEVERE" and not
           (status != 200 and l["source"] == "network" and
            l["message"].startswith(d.current_url + " "))]
    check(not bad, "%s: no console errors %r" % (name, bad))
    for entry in d.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            seen.append(msg["params"]["request"]["url"])

def button(text):
    for b in d.find_elements(By.TAG_NAME, "button"):
        if text in b.text:
            return b
    raise AssertionError("no button %r" % text)

try:
    # 1. one-click unsubscribe from the List-Unsubscribe link
    u = unsub_path("bob@example.org")
    page("unsubscribe", u)
    b = button("Unsubscribe")
    check(b.size["width"] >= 300 and b.size["height"] >= 44,
          "the button fills a phone's width and is easy to tap (%r)" % b.size)
    b.click()
    page("unsubscribed")
    check("You have left Team" in d.page_source and not is_member("bob@example.org"),
          "clicking it unsubscribes Bob")

    # 2. preferences: Carol picks a weekly digest and a topic
    c = unsub_path("carol@example.org")
    d.get(ORIGIN + c)
    d.find_element(By.PARTIAL_LINK_TEXT, "Change how you get it").click()
    page("preferences")
    d.find_element(By.CSS_SELECTOR, 'input[value="weekly"]').click()
    d.find_element(By.CSS_SELECTOR, 'input[name="topic2"]').click()
    button("Save").click()
    page("preferences-saved")
    check("Saved" in d.page_source, "Save shows the new settings")
    check(one("SELECT mode FROM members WHERE address='carol@example.org'") == "digest-weekly" and
          db("SELECT tag FROM member_tags") == [("books",)], "Carol now gets a weekly digest, topic books")

    # 3. join from the list page
    page("list", "/l/team")
    check("Picnic in the park" in d.page_source, "the list page shows the upcoming picnic")
    d.find_element(By.ID, "address").send_keys("erin@example.net")
    d.find_element(By.ID, "name").send_keys("Erin")
    button("Join").click()
    page("joined")
    check("Check your mail" in d.page_source and
          db("SELECT address FROM pending") == [("erin@example.net",)], "joining asks for a confirmation")

    # 3b. a browser set to Korean gets the list page in Korean
    ua = d.execute_script("return navigator.userAgent")
    d.execute_cdp_cmd("Emulation.setUserAgentOverride", {"userAgent": ua, "acceptLanguage": "ko-KR,ko"})
    page("list-ko", "/l/team")
    join_ko = re.sub(r"<[^>]*>", "", open("../../templates/ko/web/join-form.html",
                                          encoding="utf-8").readline()).strip()
    check(d.execute_script("return document.documentElement.lang") == "ko" and join_ko in d.page_source,
          "a browser set to Korean gets the list page in Korean (%s)" % join_ko)
    d.execute_cdp_cmd("Emulation.setUserAgentOverride", {"userAgent": ua, "acceptLanguage": "en-US,en"})

    # 4. answer the invitation
    inv = [m for m in mails_to("dave@example.org") if "Picnic" in str(m["Subject"])][-1]
    yes = path_of(re.search(r"https://lists\.example\.org/kith(/r/\S+\?answer=yes)", text_of(inv)).group(1))
    page("rsvp", yes)
    button("Yes, I am coming").click()
    page("rsvp-done")
    check("Done: you are coming" in d.page_source and
          one("SELECT partstat FROM rsvps r JOIN members m ON m.id=r.member_id "
              "WHERE m.address='dave@example.org'") == "ACCEPTED", "Dave is coming")

    # 5. Dave moves to another address from his preference page
    d.get(ORIGIN + unsub_path("dave@example.org"))
    d.find_element(By.PARTIAL_LINK_TEXT, "Change how you get it").click()
    page("preferences-dave")
    d.find_element(By.CSS_SELECTOR, 'input[name="address"]').send_keys("dave@new.example.org")
    button("Move").click()
    page("move-sent")
    check("A message was sent to dave@new.example.org" in d.page_source and
          one("SELECT commands FROM pending WHERE kind='move' AND address='dave@new.example.org'") == "dave@example.org",
          "moving from the preference page asks the new address to confirm")

    page("notfound", "/nothing", 404)
    # what goes over a network; the browser's own chrome:// pages and the
    # data: images of its built-in controls do not
    net = [s for s in seen if re.match(r"(https?|wss?|ftp):", s)]
    foreign = [s for s in net if not s.startswith(ORIGIN + "/")]
    check(len(net) >= 10 and not foreign, "%d requests, none left the origin %r" % (len(net), foreign))
finally:
    d.quit()
EOF
pycheck < "$T/browser.py"
kith deliver >/dev/null 2>&1
assert_ok '[ "$(count erin@example.net)" = 1 ]' "the join's confirmation mail reached the sink"
assert_ok '$MT header "$(last dave@new.example.org)" Subject | grep -q "move your membership to this address"' "and the move's reached the new address"
finish
