#!/bin/sh
# kith stats as an organiser reads it (issue 11, B12): the top
# contributors carry the members' names; a non-member whose held posts
# were approved never appears among them, nor does a former member
# (their posts still count in the totals); posts per week start at the
# list's creation, not a year of empty weeks before it.  Every call runs
# under the pinned clock; the JSON is asserted exactly, the text report
# is safe for a terminal, the HTML report escapes names and is checked in
# headless Chromium.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink
write_conf "smtp://127.0.0.1:$SINK_PORT"
# mail TIME FROM ID SUBJECT [IN-REPLY-TO] - a post through receive and deliver
mail() {
	{
		echo "From: <$2>"
		echo "To: team@example.org"
		echo "Subject: $4"
		echo "Message-ID: <$3@x>"
		[ -n "${5:-}" ] && echo "In-Reply-To: <$5@x>"
		echo
		echo "hello"
	} > "$T/m-$3"
	at "$1" receive -r team@example.org -f "$2" < "$T/m-$3" 2>>"$T/receive.err"
	at "$1" deliver >/dev/null 2>&1
}
# approve TIME ID - a moderator approves the held post <ID@x>
approve() {
	at "$1" mod approve "$(db "SELECT id FROM held WHERE message_id='$2@x'")" >/dev/null 2>&1
	at "$1" deliver >/dev/null 2>&1
}

at "2026-03-02 10:00:00" init >/dev/null
at "2026-03-02 10:00:00" list create team@example.org --owner alice@example.org --name Team >/dev/null
at "2026-03-02 10:05:00" member add team bob@example.org --name "Bob Novák" >/dev/null
at "2026-03-02 10:05:00" member add team carol@example.org >/dev/null
at "2026-03-02 10:05:00" member add team erin@example.org --name "김 & <Lee>" >/dev/null
at "2026-03-02 10:05:00" member add team dave@example.org --name "Dave" >/dev/null
mail "2026-03-03 09:00:00" bob@example.org A "Plans"
mail "2026-03-04 09:00:00" carol@example.org C "Re: Plans" A
mail "2026-03-05 09:00:00" dave@example.org D1 "Dave here"
mail "2026-03-06 09:00:00" dave@example.org D2 "Re: Plans" A
mail "2026-03-09 09:00:00" erin@example.org E1 "Korean class"
# a non-member posts three times; the moderators approve each post
mail "2026-03-10 09:00:00" guest@elsewhere.example G1 "Hi from outside"
mail "2026-03-10 09:10:00" guest@elsewhere.example G2 "Re: Korean class" E1
mail "2026-03-10 09:20:00" guest@elsewhere.example G3 "Anyone?"
for g in G1 G2 G3; do approve "2026-03-10 12:00:00" $g; done
mail "2026-03-12 09:00:00" bob@example.org B2 "Re: Dave here" D1
at "2026-03-20 10:00:00" member rm team dave@example.org >/dev/null
assert_ok '[ "$(db "SELECT count(*) FROM posts")" = 9 ] && [ "$(db "SELECT count(*) FROM posts WHERE sender='"'guest@elsewhere.example'"'")" = 3 ]' "9 posts in the archive, 3 of them the approved non-member's"

at "2026-04-01 12:00:00" stats team --since 365d --json > "$T/stats.json"
check() { $PY -c "import json; d=json.load(open('$T/stats.json')); $1" 2>&1; }
r=$(check 't = [(x["address"], x["name"], x["posts"], x["replies"], x["rsvps"]) for x in d["top"]]; assert t == [("bob@example.org", "Bob Novák", 2, 2, 0), ("carol@example.org", "", 1, 0, 0), ("erin@example.org", "김 & <Lee>", 1, 1, 0)], t')
assert_ok '[ -z "$r" ]' "top contributors: members only, with their names (no approved non-member, no former member) $r"
r=$(check 'assert (d["posts"], d["posters"], d["threads"]) == (9, 5, 5), (d["posts"], d["posters"], d["threads"])')
assert_ok '[ -z "$r" ]' "the totals still count every post: 9 posts by 5 people in 5 threads $r"
r=$(check 'w = [(x["week"], x["posts"], x["members"]) for x in d["weeks"]]; assert w == [("2026-03-02", 4, 5), ("2026-03-09", 5, 5), ("2026-03-16", 0, 4), ("2026-03-23", 0, 4), ("2026-03-30", 0, 4)], w')
assert_ok '[ -z "$r" ]' "posts per week start at the list's creation week (5 weeks, not 53) $r"
r=$(check 'm = d["members"]; assert (m["total"], m["joined"], m["left"]) == (4, 5, 1), m')
assert_ok '[ -z "$r" ]' "members: 4 now, 5 joined, 1 left $r"

# the first post older than the list (an imported archive) moves the start back
db "UPDATE posts SET received=$(epoch "2026-02-17 08:00:00") WHERE message_id='A@x'"
at "2026-04-01 12:00:00" stats team --since 365d --json > "$T/stats.json"
r=$(check 'w = [(x["week"], x["posts"]) for x in d["weeks"]]; assert w[:3] == [("2026-02-16", 1), ("2026-02-23", 0), ("2026-03-02", 3)] and len(w) == 7, w')
assert_ok '[ -z "$r" ]' "an archive older than the list: the weeks start at its first post $r"
db "UPDATE posts SET received=$(epoch "2026-03-03 09:00:00") WHERE message_id='A@x'"

# a window inside the list's life is unchanged: 14 weeks for 90 days
at "2026-09-01 12:00:00" stats team --since 90d --json > "$T/stats.json"
r=$(check 'assert len(d["weeks"]) == 14 and d["weeks"][0]["week"] == "2026-06-01", d["weeks"][0]')
assert_ok '[ -z "$r" ]' "a 90-day window within the list's life keeps its 14 weeks $r"

# the text report: names, and no control characters reach the terminal
db "UPDATE members SET name='$(printf 'Carol\033[2J\007\302\233x')' WHERE address='carol@example.org'"
at "2026-04-01 12:00:00" stats team --since 365d > "$T/stats.txt"
assert_ok 'grep -q "bob@example.org .* Bob Novák$" "$T/stats.txt" && grep -q "erin@example.org .* 김 & <Lee>$" "$T/stats.txt"' "the text report names the top contributors"
assert_ok 'grep -q "carol@example.org .* Carol?\[2J??x$" "$T/stats.txt" && ! grep -q "$(printf "\033")" "$T/stats.txt" && ! grep -q "$(printf "\007")" "$T/stats.txt"' "control characters in a name are replaced in the text report"
assert_ok '! grep -q "guest@elsewhere\|dave@example" "$T/stats.txt"' "neither the non-member nor the former member is named"
db "UPDATE members SET name='' WHERE address='carol@example.org'"

# the HTML report: names escaped, nobody else named, renders
out=$(at "2026-04-01 12:00:00" stats team --since 365d --html "$T/report.html")
assert_ok '[ "$out" = "wrote $T/report.html" ] && ! grep -qi "<script\|src=\|@import\|url(" "$T/report.html"' "one self-contained HTML file"
assert_ok 'grep -q "<td>Bob Novák</td><td>bob@example.org</td>" "$T/report.html" && grep -q "<td>김 &amp; &lt;Lee&gt;</td><td>erin@example.org</td>" "$T/report.html"' "the HTML report names them, escaped"
assert_ok '! grep -q "guest@elsewhere\|dave@example\|<Lee>" "$T/report.html"' "no non-member, no former member, no raw markup from a name"
if command -v chromium >/dev/null; then
	cd "$T"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$T/chrome" --enable-logging=stderr --v=0 \
		--dump-dom "file://$T/report.html" > "$T/dom.html" 2> "$T/chrome.err"
	cd - >/dev/null
	r=$($PY - "$T/dom.html" 2>&1 <<'PYEOF'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.rows = []; self.row = None; self.cell = None; self.h2 = ""; self.in_h2 = False
    def handle_starttag(self, tag, a):
        if tag == "h2": self.in_h2 = True; self.h2 = ""
        if tag == "tr": self.row = []
        if tag == "td" and self.row is not None: self.cell = ""
    def handle_endtag(self, tag):
        if tag == "h2": self.in_h2 = False
        if tag == "td" and self.cell is not None: self.row.append(self.cell); self.cell = None
        if tag == "tr" and self.row is not None:
            if self.h2 == "Top contributors" and self.row: self.rows.append(self.row)
            self.row = None
    def handle_data(self, d):
        if self.in_h2: self.h2 += d
        if self.cell is not None: self.cell += d
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
want = [["Bob Novák", "bob@example.org", "2", "2", "0"], ["", "carol@example.org", "1", "0", "0"], ["김 & <Lee>", "erin@example.org", "1", "1", "0"]]
assert p.rows == want, p.rows
PYEOF
)
	assert_ok '[ -z "$r" ]' "Chromium renders the top contributors table: names as text, members only $r"
	assert_ok '! grep -i "CONSOLE\|Uncaught" "$T/chrome.err" | grep -qi "error"' "no console errors"
else
	echo "# SKIP browser check: chromium is not installed (scripts/setup-deps.sh --test)"
fi

# Event counts without the attendee list ('event ls', the digest's
# upcoming events) agree with the list itself ('event show'), for the
# series and for one occurrence answered on its own.
id=$(at "2026-04-01 10:00:00" event create 2>/dev/null team --title "Weekly run" --start "2026-04-03 17:00" --duration 1h --tz UTC --rrule "FREQ=WEEKLY" --capacity 2)
at "2026-04-01 10:05:00" member add team gina@example.org >/dev/null
at "2026-04-01 10:05:00" member add team frank@example.org >/dev/null
mid() { db "SELECT id FROM members WHERE address='$1@example.org'"; }
db "DELETE FROM event_invites WHERE event_id=$id AND member_id=$(mid frank)"
occ=$(epoch "2026-04-03 17:00:00")
for r in "bob 0 ACCEPTED 0" "carol 0 ACCEPTED 0" "erin 0 ACCEPTED 1" "alice 0 TENTATIVE 0" "bob $occ DECLINED 0" "frank 0 ACCEPTED 0"; do
	set -- $r
	db "INSERT INTO rsvps(event_id, occurrence, member_id, partstat, updated, waitlisted) VALUES ($id, $2, $(mid $1), '$3', $(epoch "2026-04-01 11:00:00"), $4)"
done
counts() {	# counts JSON: accepted tentative declined waitlist none
	$PY -c "import json,sys; d=json.load(sys.stdin); print(d['accepted'], d['tentative'], d['declined'], d['waitlist'], d['none'])"
}
series=$(at "2026-04-01 12:00:00" event show "$id" --json | counts)
one=$(at "2026-04-01 12:00:00" event show "$id" --occurrence 2026-04-03 --json | counts)
assert_ok '[ "$series" = "2 1 0 1 1" ] && [ "$one" = "1 1 1 1 1" ]' "event show: series $series, the Apr 3 occurrence $one (accepted tentative declined waitlist none)"
assert_ok 'at "2026-04-01 12:00:00" event ls team | grep -q "^$id  *active .*  2 yes   1 maybe   0 no  Weekly run"' "event ls counts the series as event show does"
assert_ok 'at "2026-04-01 12:00:00" digest preview team --plain | grep -q "1 coming, 1 maybe, 1 not coming, 1 not answered; 2 seats, 1 waiting"' "the digest counts the next occurrence as event show does"
finish
