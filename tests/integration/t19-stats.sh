#!/bin/sh
# kith stats on a crafted four-month history (every step at its time):
# the JSON numbers asserted exactly, and the HTML report loaded in
# headless Chromium: rendered text checked, a screenshot not blank, no
# console errors.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink --pipelining
write_conf "smtp://127.0.0.1:$SINK_PORT" "authserv_id = mx.example.org"
mail() {	# mail TIME FROM ID SUBJECT [IN-REPLY-TO]
	printf 'From: %s\nTo: team@example.org\nSubject: %s\nMessage-ID: <%s@x>\n%s\nhello\n' "$2" "$4" "$3" "${5:+In-Reply-To: <$5@x>
}" > "$T/m-$3"
	at "$1" receive -r team@example.org -f "$2" < "$T/m-$3" 2>>"$T/receive.err"
	at "$1" deliver >/dev/null 2>&1
}
at "2026-09-01 10:00:00" init >/dev/null
at "2026-09-01 10:00:00" list create team@example.org --owner alice@example.org --name Team >/dev/null
at "2026-09-15 10:00:00" member add team bob@example.org >/dev/null
at "2026-10-05 10:00:00" member add team carol@example.org >/dev/null
at "2026-10-05 10:00:00" member add team dave@example.org >/dev/null
mail "2026-10-06 09:00:00" bob@example.org A "Thread A"
mail "2026-10-07 09:00:00" carol@example.org A2 "Re: Thread A" A
at "2026-10-20 10:00:00" member add team erin@example.org >/dev/null
mail "2026-10-21 09:00:00" erin@example.org A3 "Re: Thread A" A
ev=$(at "2026-11-01 10:00:00" event create team --title Picnic --start "2026-12-15 12:00" --duration 2h --tz UTC)
at "2026-11-01 10:00:00" deliver >/dev/null 2>&1
at "2026-11-02 10:00:00" member rm team dave@example.org >/dev/null
for who in alice:yes carol:no; do
	printf 'Authentication-Results: mx.example.org; dkim=pass header.d=example.org\nFrom: %s@example.org\nTo: team-request@example.org\nSubject: rsvp\nMessage-ID: <r-%s@x>\n\nrsvp %s %s\n' "${who%:*}" "${who%:*}" "${who#*:}" "$ev" > "$T/rsvp"
	at "2026-11-03 10:00:00" receive -r team-request@example.org -f "${who%:*}@example.org" < "$T/rsvp"
done
at "2026-11-10 10:00:00" member add team frank@example.org >/dev/null
at "2026-11-20 10:00:00" member add team reject-me@example.org >/dev/null
at "2026-11-20 10:00:00" deliver >/dev/null 2>&1
mail "2026-12-01 09:00:00" bob@example.org B "Thread B"
printf 'Hello {{member.name}}\n' > "$T/nl.txt"
nl=$(at "2026-12-05 10:00:00" newsletter create team --subject "December" --text "$T/nl.txt")
at "2026-12-05 10:00:00" newsletter send "$nl" >/dev/null 2>&1
mail "2026-12-10 09:00:00" carol@example.org C1 "Thread C"
mail "2026-12-12 09:00:00" carol@example.org C2 "Re: Thread C" C1
mail "2026-12-14 09:00:00" carol@example.org C3 "Re: Thread C" C1
at "2026-12-20 10:00:00" member rm team frank@example.org >/dev/null

js=$(at "2026-12-31 12:00:00" stats team --since 90d --json)
printf '%s\n' "$js" > "$T/stats.json"
check() { $PY -c "import json,sys; d=json.load(open('$T/stats.json')); $1" 2>&1; }
r=$(check 'm = d["members"]; assert (m["total"], m["joined"], m["left"], m["each"], m["nomail"]) == (5, 5, 2, 5, 0), m')
assert_ok '[ -z "$r" ]' "members: 5 now, 5 joined and 2 left in 90 days, all 'each' $r"
r=$(check 'assert (d["posts"], d["posters"], d["threads"], d["replies_per_thread"]) == (7, 3, 3, 1.33), d')
assert_ok '[ -z "$r" ]' "7 posts by 3 people; 3 threads, 1.33 replies each $r"
r=$(check 'w = [(x["week"], x["posts"]) for x in d["weeks"] if x["posts"]]; assert w == [("2026-10-05", 2), ("2026-10-19", 1), ("2026-11-30", 1), ("2026-12-07", 2), ("2026-12-14", 1)], w; assert len(d["weeks"]) == 14')
assert_ok '[ -z "$r" ]' "posts per week over 14 weeks $r"
r=$(check 'm = [x["members"] for x in d["weeks"]]; assert m[0] == 2 and m[1] == 4 and m[-1] == 5, m')
assert_ok '[ -z "$r" ]' "members at the end of each week $r"
r=$(check 't = [(x["address"], x["posts"], x["replies"], x["rsvps"]) for x in d["top"]]; assert t == [("carol@example.org", 4, 2, 1), ("bob@example.org", 2, 2, 0), ("erin@example.org", 1, 0, 0)], t')
assert_ok '[ -z "$r" ]' "top contributors with replies received and RSVPs $r"
r=$(check 'r = [(x["month"], x["joined"], x["after_30"], x["after_90"]) for x in d["retention"]]; assert r == [("2026-10", 3, 66.7, None), ("2026-11", 2, 100.0, None)], r')
assert_ok '[ -z "$r" ]' "retention: October 3 joined, 66.7% after 30 days; November 100%; 90 days not yet $r"
r=$(check 'f = d["funnel"]; assert (f["subscribed"], f["confirmed"], f["first_post"], f["regular"], f["lapsed"]) == (5, 5, 2, 1, 1), f')
assert_ok '[ -z "$r" ]' "funnel: 5 subscribed, 5 confirmed, 2 first post, 1 regular, 1 lapsed $r"
r=$(check 'e = [(x["title"], x["invited"], x["answered"], x["accepted"], x["rsvp_rate"]) for x in d["events"]]; assert e == [("Picnic", 5, 2, 1, 40.0)], e')
assert_ok '[ -z "$r" ]' "event RSVP rate: 2 of 5 answered $r"
r=$(check 'n = [(x["recipients"], x["sent"], x["failed"], x["bounced"], x["delivery_rate"], x["bounce_rate"]) for x in d["newsletters"]]; assert n == [(6, 5, 1, 1, 83.3, 20.0)], n')
assert_ok '[ -z "$r" ]' "newsletter: 5 of 6 delivered, 1 bounced $r"

# A report over two years, as an organiser asks for the year's review:
# the window is not an event's length (at most 366 days); ten years is
# the most, past that one line and exit 65.
js2=$(at "2026-12-31 12:00:00" stats team --since 730d --json 2>"$T/since.err")
rc=$?
printf '%s\n' "$js2" > "$T/stats2.json"
r=$($PY -c "import json; d=json.load(open('$T/stats2.json')); m = d['members']; assert (m['total'], m['joined'], m['left']) == (5, 7, 2), m" 2>&1)
assert_ok '[ $rc = 0 ] && [ -z "$r" ]' "--since 730d: exit $rc, every join since the list began (7, the owner's included) $r $(cat "$T/since.err")"
at "2026-12-31 12:00:00" stats team --since 3661d --json >/dev/null 2>"$T/since.err"
rc=$?
assert_ok '[ $rc = 65 ] && [ "$(wc -l < "$T/since.err")" = 1 ] && grep -q "3661d.*at most 3660d" "$T/since.err"' "--since 3661d: exit $rc, one line naming the limit: $(cat "$T/since.err")"

# the report never replaces one of the site's own files (it did: the
# database or the secret, with rc 0)
cp "$T/var/secret" "$T/secret.before"
at "2026-12-31 12:00:00" stats team --html "$T/var/secret" > "$T/own.out" 2>&1
rc=$?
assert_ok '[ $rc = 73 ] && grep -q "one of the site.s own files" "$T/own.out" && cmp -s "$T/var/secret" "$T/secret.before"' "--html naming the site secret: refused (exit $rc), the secret kept"

# the HTML report in a real browser
out=$(at "2026-12-31 12:00:00" stats team --html "$T/report.html")
assert_ok '[ "$out" = "wrote $T/report.html" ] && [ -s "$T/report.html" ] && ! grep -qi "<script\|src=\|@import\|url(" "$T/report.html"' "one self-contained HTML file: no scripts, no external resources"
if command -v chromium >/dev/null; then
	cd "$T"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$T/chrome" --enable-logging=stderr --v=0 \
		--dump-dom "file://$T/report.html" > "$T/dom.html" 2> "$T/chrome.err"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$T/chrome" --window-size=800,1400 \
		--screenshot="$T/shot.png" "file://$T/report.html" >/dev/null 2>&1
	cd - >/dev/null
	assert_ok 'grep -q "Engagement report for team@example.org" "$T/dom.html" && grep -q "Posts per week" "$T/dom.html" && grep -q "carol@example.org" "$T/dom.html" && [ "$(grep -c "<svg" "$T/dom.html")" -ge 3 ]' "Chromium renders the report: title, charts ($(grep -c "<svg" "$T/dom.html") SVGs), tables"
	assert_ok '[ -f "$T/chrome.err" ] && ! grep -i "CONSOLE\|Uncaught" "$T/chrome.err" | grep -qi "error"' "no console errors"
	px=$($PY - "$T/shot.png" <<'PYEOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        bpp = {2: 3, 6: 4}[ctype]
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
rows, prev, i = [], bytearray(stride), 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line)); prev = line
nonwhite = sum(1 for r in rows for x in range(0, stride, bpp) if r[x:x + 3] != b"\xff\xff\xff")
print(nonwhite)
PYEOF
)
	assert_ok '[ "${px:-0}" -gt 5000 ]' "the screenshot is not blank ($px non-white pixels)"
else
	echo "# SKIP browser check: chromium is not installed (scripts/setup-deps.sh --test)"
fi
finish
