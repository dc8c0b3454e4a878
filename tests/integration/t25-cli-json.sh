#!/bin/sh
# The admin's command line, as a script and a person use it:
#  - every subcommand (walked from 'kith --help' and each 'kith CMD --help')
#    either prints JSON with --json, with the content a script expects, or
#    refuses --json with exit 64 and does nothing; none ignores it or takes
#    it for a list name;
#  - what members wrote (names, subjects, bodies) never reaches the
#    terminal as control or bidi characters; JSON escapes them;
#  - member export | member import is a lossless round trip, hostile names
#    included, and never turns one member into another;
#  - list rm asks first; sizes, plurals and columns read right.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink --pipelining
setup_list
export KITH_BIN FAKETIME_LIB NOW
code() { "$@" >/dev/null 2>"$T/err"; echo $?; }
ESC=$(printf '\033')

# Something in every listing.
kith member add team dora@example.org --name "한국어 스터디 Δέλτα" >/dev/null
kith member set team carol@example.org mode=digest-daily >/dev/null
send alice@example.org team@example.org "Hello =?UTF-8?Q?=1B[2J?=" "first post\nwith \033[31mred\033[0m text"
send stranger@example.net team@example.org "=?UTF-8?Q?=1B[2J?= held" "please \033]0;pwned\007 post this"
HELD=$(db "SELECT max(id) FROM held")
POST=$(db "SELECT max(id) FROM posts")
kith digest send team --force >/dev/null
printf 'Hello all\n' > "$T/news.txt"
kith newsletter create team --subject "News" --text "$T/news.txt" >/dev/null
kith event create team --title "Meetup" --start "2026-07-01 18:00" --tz Europe/Prague --duration 2h >/dev/null
kith onboarding add team --after 3d --template intro-nudge >/dev/null
kith poll create team --question "Where?" --option "Brno" --option "Seoul" >/dev/null
kith ban add team '*@spam.example' >/dev/null
kith ban add --all 'bot@x.example' >/dev/null
# A bounce: a DSN about bob's copy of the first post, to its VERP address.
verp=$($PY - "$SINK_DIR" <<'PYEOF'
import glob, json, sys
for js in sorted(glob.glob(sys.argv[1] + "/*.json")):
    d = json.load(open(js))
    if "bob@example.org" in d["rcpt_tos"] and d["mail_from"].startswith("team-bounces+"):
        print(d["mail_from"])
        break
PYEOF
)
cat > "$T/dsn" <<EOF2
From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: $verp
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn1@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

<bob@example.org>: 550 5.1.1 User unknown

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; bob@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--B--
EOF2
kith receive -r "$verp" -f "" < "$T/dsn" 2>>"$T/receive.err"
# Garbage goes to quarantine.
head -c 3000 /dev/zero | tr '\0' 'x' > "$T/garbage"
printf '\000\001' >> "$T/garbage"
kith receive -r team@example.org -f bob@example.org < "$T/garbage" 2>>"$T/receive.err"
# A confirmed request to join an 'approve' list.
kith list set team subscribe approve >/dev/null
send hugo@example.net team-subscribe@example.org "" ""
send hugo@example.net "$($MT header "$(last hugo@example.net)" Reply-To | tr -d '<>')" "Re: confirm" "yes"
assert_ok '[ -n "$HELD" ] && [ -n "$POST" ] && [ -n "$verp" ]' "fixtures: a held post ($HELD), a post ($POST), a VERP address"

# The walk: every subcommand, with --json.
HELD=$HELD POST=$POST $PY - "$HERE" "$T" > "$T/walk.out" 2>&1 <<'PYEOF'
import json, os, sys
sys.path.insert(0, sys.argv[1])
import cli_walk

T = sys.argv[2]
open(T + "/a.eml", "w").write("From: a@b.example\nSubject: x\n\nhi\n")
ids = {"archive": os.environ["POST"], "mod": os.environ["HELD"],
       "newsletter": "1", "event": "1", "poll": "1", "quarantine": "1"}
values = {"LIST": "team", "ADDRESS": "bob@example.org", "ADDR":
          "alice@example.org", "FILE": T + "/a.eml", "FILE...": T + "/a.eml",
          "WORDS...": "first", "ISSUE": "1", "STEP": "1", "TAG": "t1",
          "KEY": "timezone", "VALUE": "UTC", "DOMAIN": "example.org",
          "YYYY-MM-DD HH:MM": "2026-07-02 10:00", "S": "Sub", "Q": "Why?",
          "A": "yes", "B": "no", "T": "Title", "NAME": "intro-nudge",
          "3d": "3d", "RECIPIENT": "team@example.org"}

opt_values = {"--start": "2026-07-02 10:00", "--end": "2026-07-02 12:00"}

def arg(sub, placeholder):
    p = placeholder.split("|")[0]
    if p == "ID":
        return ids[sub.cmd]
    return values.get(p, p)

# What a script finds in each JSON listing.
def has(rows, **kv):
    return any(all(r.get(k) == v for k, v in kv.items()) for r in rows)

EXPECT = {
    "list ls": lambda j: has(j, address="team@example.org", members=4),
    "member ls": lambda j: has(j, address="dora@example.org",
                               name="한국어 스터디 Δέλτα", role="member"),
    "member export": lambda j: has(j, address="dora@example.org",
                                   name="한국어 스터디 Δέλτα"),
    "queue": lambda j: set(j) >= {"pending", "sent", "failed"},
    # (every copy here was sent: t04 checks the rows themselves)
    "queue ls": lambda j: isinstance(j, list) and
        all(r["state"] != "sent" and r["rcpt"] for r in j),
    "archive ls": lambda j: has(j, subject="Hello \x1b[2J",
                                sender="alice@example.org"),
    "archive search": lambda j: has(j, subject="Hello \x1b[2J"),
    "digest ls": lambda j: has(j, issue=1, kind="daily", posts=1),
    "newsletter create": lambda j: j["state"] == "draft" and j["id"] == 2,
    "newsletter ls": lambda j: has(j, id=1, subject="News", state="draft"),
    "newsletter show": lambda j: j["subject"] == "News" and
        "\nHello all\n" in j["text"],
    "newsletter status": lambda j: j["id"] == 1 and "sent" in j,
    "event create": lambda j: j["id"] == 2 and j["invited"] >= 1,
    "event ls": lambda j: has(j, id=1, title="Meetup"),
    "event show": lambda j: j["title"] == "Meetup" and j["tz"] ==
        "Europe/Prague" and isinstance(j["attendees"], list),
    "event attendees": lambda j: has(j, address="dora@example.org",
                                     name="한국어 스터디 Δέλτα"),
    "onboarding ls": lambda j: has(j, step=1, template="intro-nudge",
                                   after=3 * 86400),
    "onboarding progress": lambda j: j["steps"][0]["template"] ==
        "intro-nudge" and "in_sequence" in j,
    "stats": lambda j: j["list"] == "team@example.org",
    "poll create": lambda j: j["id"] == 2,
    "poll ls": lambda j: has(j, id=1, question="Where?", state="open"),
    "poll show": lambda j: j["question"] == "Where?" and
        [o["option"] for o in j["options"]] == ["Brno", "Seoul"],
    "bounce ls": lambda j: has(j, address="bob@example.org", kind="hard"),
    "mod ls": lambda j: has(j, kind="post", subject="\x1b[2J held",
                            sender="stranger@example.net") and
        has(j, kind="join", address="hugo@example.net"),
    "ban ls": lambda j: has(j, pattern="bot@x.example", list=None),
    "member export-data": lambda j: j["address"] == "bob@example.org" and
        has(j["tables"]["members"], address="bob@example.org"),
    "quarantine ls": lambda j: has(j, id=1, to="team@example.org") and
        j[0]["size"] == 3002,
}

subs = cli_walk.all_subcommands()
print("# %d subcommands" % len(subs))
fails = 0
seen_json = set()
for s in subs:
    args = [s.cmd] + ([s.sub] if s.sub else [])
    args += [arg(s, p) for p in s.positionals]
    for opt, ph in s.required:
        args += [opt] + ([opt_values.get(opt, arg(s, ph))] if ph else [])
    name = s.name()
    if name == "migrate sqlite-to-postgresql":
        continue	# needs a PostgreSQL server: t53-migrate.sh checks its JSON
    rc, out, err = cli_walk.run(args + ["--json"])
    if "--json" in s.options:
        seen_json.add(name)
        try:
            j = json.loads(out.decode("utf-8"))
            ok = rc == 0 and name in EXPECT and EXPECT[name](j)
        except Exception as e:
            j, ok = repr(e), False
        if b"\x1b" in out:
            ok = False
        print("%s - %s --json: JSON with the expected content" %
              ("ok" if ok else "not ok", " ".join(args)))
        if not ok:
            print("#   rc %d, got %r, stderr %r" % (rc, out[:300], err[:300]))
    else:
        ok = rc == 64 and out == b"" and len(err.splitlines()) == 1 and \
            b"--json" in err and b"does not exist" not in err
        print("%s - %s --json: refused, exit 64, nothing done" %
              ("ok" if ok else "not ok", " ".join(args)))
        if not ok:
            print("#   rc %d, stdout %r, stderr %r" % (rc, out[:200], err[:300]))
    fails += not ok
missing = set(EXPECT) - seen_json
print("%s - every expected JSON listing was found in the help texts%s" %
      ("not ok" if missing else "ok", (": missing " + ", ".join(sorted(missing)))
       if missing else ""))
ls = [s.name() for s in subs if s.sub in ("ls", "search")]
print("%s - every ls and search takes --json (%d of them)" %
      ("ok" if all(n in seen_json for n in ls) else "not ok", len(ls)))
print("%s - the walk found the subcommands (%d, %d with JSON)" %
      ("ok" if len(subs) >= 70 and len(seen_json) >= 24 else "not ok",
       len(subs), len(seen_json)))
PYEOF
cat "$T/walk.out" | grep '^#'
PASSED=$((PASSED + $(grep -c '^ok' "$T/walk.out")))
FAILED=$((FAILED + $(grep -c '^not ok' "$T/walk.out")))
grep '^not ok' -A1 "$T/walk.out"
assert_ok '[ "$(db "SELECT count(*) FROM held WHERE id=$HELD")" = 1 ] && [ "$(db "SELECT count(*) FROM lists")" = 1 ]' "a refused --json changed nothing (the post is still held, the list is there)"
assert_ok '[ "$(code kith ban ls team --json)" = 0 ] && kith ban ls team --json | $PY -c "import json,sys; j=json.load(sys.stdin); sys.exit(0 if j == [{\"pattern\": \"*@spam.example\", \"list\": \"team@example.org\"}] else 1)"' "ban ls LIST --json: that list's bans"

# What members wrote never reaches the terminal raw.
kith member add team eve@example.org --name "$(printf 'Eve\033]0;pwned\007\342\200\256gnp.exe')" >/dev/null
for c in "archive ls team" "mod ls team" "member ls team" "archive search team first" "archive show $POST --text" "mod show $HELD"; do
	kith $c > "$T/out" 2>&1
	if [ "$c" = "mod show $HELD" ]; then
		# raw for a pipe: byte for byte what came
		assert_ok 'grep -q "$ESC" "$T/out"' "kith $c: raw bytes for a pipe"
	else
		assert_ok '! grep -q "$ESC" "$T/out" && ! grep -q "$(printf "\007")" "$T/out" && ! grep -q "$(printf "\342\200\256")" "$T/out"' "kith $c: no ESC, BEL or RLO in the text"
	fi
done
assert_ok 'kith mod ls team | grep -q "�\[2J held"' "mod ls shows the ESC as U+FFFD"
# On a terminal, even raw dumps are cleaned.
pty() {
	$PY - "$@" <<'PYEOF'
import os, pty, sys, select
pid, fd = pty.fork()
if pid == 0:
    env = dict(os.environ, LD_PRELOAD=os.environ["FAKETIME_LIB"], FAKETIME="@" + os.environ["NOW"])
    os.execve(os.environ["KITH_BIN"], ["kith"] + sys.argv[1:], env)
answer = os.environ.get("ANSWER")
out = b""
while True:
    r, _, _ = select.select([fd], [], [], 10)
    if not r:
        break
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
    if answer is not None and b"to go on:" in out:
        os.write(fd, answer.encode() + b"\n")
        answer = None
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
PYEOF
}
pty mod show "$HELD" > "$T/tty.out"
assert_ok '[ $? = 0 ] && grep -q "please" "$T/tty.out" && ! grep -q "$ESC" "$T/tty.out" && ! grep -q "$(printf "\007")" "$T/tty.out"' "kith mod show on a terminal: the body, without ESC or BEL"
pty archive show "$POST" > "$T/tty.out"
assert_ok 'grep -q "first post" "$T/tty.out" && ! grep -q "$ESC" "$T/tty.out"' "kith archive show on a terminal: no ESC"
kith member ls team --json > "$T/m.json"
assert_ok '! grep -q "$ESC" "$T/m.json" && grep -q "\\\\u001b\]0;pwned\\\\u0007\\\\u202egnp.exe" "$T/m.json" && $PY -c "import json,sys; sys.exit(0 if any(m[\"name\"] == \"Eve\x1b]0;pwned\x07\u202egnp.exe\" for m in json.load(open(sys.argv[1]))) else 1)" "$T/m.json"' "JSON escapes ESC, BEL and RLO as \\u, and keeps them"

# Export and import: lossless, and one member never becomes another.
kith list create club@example.org --owner own@example.org >/dev/null
add() { kith member add club "$1" --name "$2" >/dev/null; }
add attacker@example.net 'Foo <victim@target.example>'
add q@example.org '"Quoted" Name, with comma'
add crlf@example.org "$(printf 'two\r\nlines')"
add lf@example.org "$(printf 'a\nb')"
add ko@example.org '김민준 (스터디장)'
add he@example.org 'שלום עליכם'
add ar@example.org 'مرحبا'
add emoji@example.org '🎉 Party 👩‍👩‍👧'
add ctl@example.org "$(printf 'bell\007 esc\033[2J del\177 rlo\342\200\256x')"
add space@example.org '  padded  '
add semi@example.org 'a;b	tab'
add plain@example.org ''
add trail@example.org "$(printf 'ends with CR\r')"
kith member export club > "$T/club.csv"
assert_ok '[ "$(head -n 1 "$T/club.csv")" = "$(printf "address,name\r")" ]' "export starts with the CSV header"
assert_ok '$PY -c "
import csv, sys, json
rows = list(csv.reader(open(sys.argv[1], newline=\"\", encoding=\"utf-8\")))
want = {\"attacker@example.net\": \"Foo <victim@target.example>\", \"crlf@example.org\": \"two\r\nlines\", \"q@example.org\": \"\\\"Quoted\\\" Name, with comma\", \"ko@example.org\": \"김민준 (스터디장)\"}
got = dict((r[0], r[1]) for r in rows[1:])
sys.exit(0 if rows[0] == [\"address\", \"name\"] and all(got[k] == v for k, v in want.items()) and len(rows) == 15 else 1)
" "$T/club.csv"' "Python's csv module reads the export: every field as stored"
kith list create fresh@example.org --owner own@example.org >/dev/null
out=$(kith member import fresh "$T/club.csv" 2>"$T/err")
assert_ok '[ "$out" = "13 added, 1 skipped (already members), 0 invalid" ] && [ ! -s "$T/err" ]' "import into a fresh list: $out"
kith member export fresh > "$T/fresh.csv"
assert_ok 'cmp -s "$T/club.csv" "$T/fresh.csv"' "export -> import -> export: byte-identical"
addrs() { db "SELECT m.address FROM members m JOIN lists l ON l.id=m.list_id WHERE l.local='$1' ORDER BY 1" | paste -sd,; }
assert_ok '[ "$(addrs club)" = "$(addrs fresh)" ] && [ "$(addrs fresh | tr , "\n" | wc -l)" = 14 ]' "the same set of addresses"
assert_ok '[ "$(db "SELECT count(*) FROM members WHERE address='"'"'victim@target.example'"'"'")" = 0 ] && [ "$(db "SELECT m.name FROM members m JOIN lists l ON l.id=m.list_id WHERE l.local='"'"'fresh'"'"' AND m.address='"'"'attacker@example.net'"'"'")" = "Foo <victim@target.example>" ]' "the attacker stays the attacker; the victim is not subscribed"
# namehex LIST ADDRESS - the bytes of the member's name, in hex
namehex() { printf %s "$(db "SELECT m.name FROM members m JOIN lists l ON l.id=m.list_id WHERE l.local='$1' AND m.address='$2'")" | od -An -tx1 | tr -d " \n" | tr a-f A-F; }
assert_ok '[ "$(namehex fresh ctl@example.org)" = "$(namehex club ctl@example.org)" ] && [ "$(namehex club ctl@example.org)" = "$(printf "bell\007 esc\033[2J del\177 rlo\342\200\256x" | od -An -tx1 | tr -d " \n" | tr a-f A-F)" ]' "control characters in a name survive the round trip"
kith member export club --json > "$T/club.json"
assert_ok '$PY -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if len(j) == 14 and {\"address\": \"crlf@example.org\", \"name\": \"two\r\nlines\"} in j else 1)" "$T/club.json"' "export --json: valid, names kept"
# The old one-line form: read where it has one meaning, refused where not.
printf 'attacker@example.net Foo <victim@target.example>\nann@example.org Ann Example\n"Ben \\"B\\" Example" <ben@example.org>\nCé Ünïcode <ce@example.org>\n"Foo <victim@target.example>" <mallory@example.net>\nx@example.org <y@example.org>\n' > "$T/old.txt"
kith list create old@example.org --owner own@example.org >/dev/null
out=$(kith member import old "$T/old.txt" 2>"$T/err")
assert_ok '[ "$out" = "4 added, 0 skipped (already members), 2 invalid" ]' "old form: 4 read, 2 refused ($out)"
assert_ok 'grep -q ":1: two addresses" "$T/err" && grep -q ":6: two addresses" "$T/err" && [ "$(wc -l < "$T/err")" = 2 ]' "old form: the ambiguous lines are named, one line each"
assert_ok '[ "$(db "SELECT count(*) FROM members WHERE address IN ('"'"'victim@target.example'"'"', '"'"'y@example.org'"'"', '"'"'attacker@example.net'"'"') AND list_id=(SELECT id FROM lists WHERE local='"'"'old'"'"')")" = 0 ]' "old form: nobody is guessed from an ambiguous line"
assert_ok '[ "$(db "SELECT name FROM members WHERE address='"'"'ben@example.org'"'"'")" = "Ben \"B\" Example" ] && [ "$(db "SELECT name FROM members WHERE address='"'"'mallory@example.net'"'"'")" = "Foo <victim@target.example>" ]' "old form: quoted names, escapes and <> inside quotes"
printf 'address,name\r\nbad@example.org,"not closed\r\n' > "$T/bad.csv"
out=$(kith member import old "$T/bad.csv" 2>"$T/err")
assert_ok '[ "$out" = "0 added, 0 skipped (already members), 1 invalid" ] && grep -q ":2: a quote is not closed" "$T/err"' "CSV: a broken quote is refused, not guessed"

# list rm: --yes, or the address typed at a terminal.
assert_ok '[ "$(code kith list rm old < /dev/null)" = 64 ] && grep -q "deletes old@example.org with its 5 members and 0 archived posts for good; add --yes" "$T/err" && [ "$(wc -l < "$T/err")" = 1 ]' "list rm without --yes: exit 64, says what would go"
assert_ok 'kith list show old >/dev/null 2>&1' "and the list is still there"
ANSWER=yes pty list rm old > "$T/tty.out"
assert_ok '[ $? = 64 ] && kith list show old >/dev/null 2>&1' "on a terminal, answering 'yes' is not the address: nothing removed"
ANSWER=old@example.org pty list rm old > "$T/tty.out"
assert_ok '[ $? = 0 ] && grep -q "Type .old@example.org. to go on" "$T/tty.out" && ! kith list show old >/dev/null 2>&1' "on a terminal, typing the address removes it"
assert_ok '[ "$(code kith list rm fresh --yes)" = 0 ] && ! kith list show fresh >/dev/null 2>&1' "list rm --yes removes it"

# Sizes, plurals and columns for people.
assert_ok 'kith quarantine ls | grep -q " 2.9 KB "' "quarantine ls: the size in KB"
assert_ok 'kith list ls | grep -q "^club@example.org  *14 members" && kith list create solo@example.org --owner own@example.org >/dev/null && kith list ls | grep -q "^solo@example.org  *1 member "' "list ls: 1 member, 14 members"
for s in "한국어 스터디 모임 안내" "Συνάντηση της ομάδας" "Plain subject" "café au lait"; do
	send stranger@example.net team@example.org "$s" "hi"
done
$PY - "$T/ls.txt" <<'PYEOF' > "$T/cols"
import os, subprocess, sys, unicodedata
def width(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
env = dict(os.environ, LD_PRELOAD=os.environ["FAKETIME_LIB"], FAKETIME="@" + os.environ["NOW"])
out = subprocess.run([os.environ["KITH_BIN"], "mod", "ls", "team"], env=env, stdout=subprocess.PIPE).stdout.decode()
cols = set()
for line in out.splitlines():
    if line.startswith("join"):
        continue
    cols.add(width(line[:line.rindex("(")]))
print(len(cols), len(out.splitlines()))
PYEOF
assert_ok '[ "$(cat "$T/cols")" = "1 6" ]' "mod ls: the reason column lines up after Korean, Greek and accented subjects ($(cat "$T/cols"))"
kith poll create team --question "Kde?" --option "서울 스터디 카페" --option "Αθήνα" --option "Brno" >/dev/null
kith poll show 3 | $PY -c "
import sys, unicodedata
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in s)
cols = {w(l[:l.index(' 0 votes')]) for l in sys.stdin if ' 0 votes' in l}
sys.exit(0 if len(cols) == 1 else 1)"
assert_ok '[ $? = 0 ]' "poll show: the vote counts line up after Korean and Greek options"
kith poll create solo --question "Alone?" --option yes --option no >/dev/null
assert_ok 'kith poll show 3 | grep -q "^0 of 5 members voted" && kith poll show 4 | grep -q "^0 of 1 member voted"' "poll show: 1 member, 5 members"
# ... and in the texts members read.
kith event create team --title "Small table" --start "2026-07-03 19:00" --duration 2h --capacity 1 >/dev/null
b64=$(head -c 12000 /dev/zero | base64 -w 76)
printf 'From: alice@example.org\nTo: team@example.org\nSubject: with a file\nMessage-ID: <att@x>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain\n\nsee the file\n--XX\nContent-Type: application/octet-stream; name=a.bin\nContent-Disposition: attachment; filename=a.bin\nContent-Transfer-Encoding: base64\n\n%s\n--XX--\n' "$b64" > "$T/att.eml"
kith receive -r team@example.org -f alice@example.org < "$T/att.eml" 2>>"$T/receive.err"
kith digest preview team --plain > "$T/digest.txt"
assert_ok 'grep -q "\[attachment: a.bin, application/octet-stream, 12 KB, not included\]" "$T/digest.txt"' "digest: the attachment's size in KB"
assert_ok 'grep -q "1 seat, 0 waiting" "$T/digest.txt"' "digest: 1 seat"
kith list set solo thanks on >/dev/null
kith member set solo own@example.org thanks=on >/dev/null
printf 'From: own@example.org\nSubject: May\nMessage-ID: <may@x>\n\nin May\n' > "$T/may.eml"
at "2026-05-20 10:00:00" receive -r solo@example.org -f own@example.org < "$T/may.eml" 2>>"$T/receive.err"
assert_ok 'kith digest preview solo --plain | grep -q "own@example.org (1 post, 0 event answers)"' "digest thanks: 1 post, 0 event answers"
eid=$(kith event create solo --title Alone --start "2026-07-05 10:00" --duration 1h)
assert_ok 'kith event update "$eid" --location Home | grep -q "goes to 1 invited member$" && kith event cancel "$eid" | grep -q "; 1 invited member is told$"' "event update and cancel: 1 invited member"
kith poll close 4 >/dev/null
kith deliver >/dev/null 2>&1
assert_ok '$MT body "$(last own@example.org)" | grep -q "^0 of 1 member voted"' "poll results mail: 0 of 1 member voted"
kith list set solo max_size 1024 >/dev/null
head -c 3000 /dev/zero | tr '\0' 'a' | fold -w 70 > "$T/big.txt"
send own@example.org solo@example.org "big" "$(cat "$T/big.txt")"
assert_ok '$MT body "$(last own@example.org)" | tr "\n" " " | grep -q "it is 3.1 KB, and the largest post solo accepts is 1 KB"' "too-big notice: sizes in KB"
finish
