#!/bin/sh
# stats.sh - how long the commands an organiser runs on a big list take:
# kith stats (--json and --html), onboarding progress, poll show, event
# show, digest preview, member ls --json, archive ls, mod ls.
#
#   bench/stats.sh [MEMBERS [POSTS [RUNS]]]    (default 100000 100000 3)
#
# The database is made by `kith init` and `kith list create` (so the
# schema is the binary's own), then filled by the generator below with
# two years of a club's life, directly in SQL: MEMBERS current members
# who joined over two years (an import on day one, then a steady stream),
# 15% more who joined and left again (a fifth of the current ones had
# left once before), posts in threads from a few thousand posters (a few
# very active, a long tail; some from former members, a few approved
# posts of non-members), events with invitations and RSVPs, polls with
# votes, newsletters with their outbox rows and bounces, a three-step
# onboarding sequence, digests, held posts and pending requests.  The
# generator is seeded: the same arguments give the same data.
#
# Every command runs RUNS times under /usr/bin/time with the clock pinned
# by libfaketime at NOW (2026-06-01 09:00 UTC: the first digest of the
# month, with its thank-you section, is not out yet); the medians of CPU
# seconds (user + system) and max RSS are printed.  A run that passes
# KITH_BENCH_LIMIT CPU seconds (default 300) is stopped and printed as
# ">LIMIT"; the other runs of that command are then skipped.
#
#   KITH_BIN=/path/to/kith    the binary to measure (default ./kith, built)
#   KITH_BENCH_DIR=DIR        keep the database there (default: a temp dir,
#                             removed at the end)
set -eu
MEMBERS=${1:-100000}
POSTS=${2:-100000}
RUNS=${3:-3}
LIMIT=${KITH_BENCH_LIMIT:-300}
NOW="2026-06-01 09:00:00"
PY=/usr/bin/python3
cd "$(dirname "$0")/.."
TOP=$PWD

if [ -z "${KITH_BIN:-}" ]; then
	./scripts/build.sh >/dev/null
	KITH_BIN=$TOP/kith
fi
[ -x /usr/bin/time ] || { echo "stats.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 69; }
FAKETIME_LIB=
for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
	[ -e "$f" ] && FAKETIME_LIB=$f && break
done
[ -n "$FAKETIME_LIB" ] || { echo "stats.sh: needs libfaketime (apt-get install libfaketime)" >&2; exit 69; }

if [ -n "${KITH_BENCH_DIR:-}" ]; then
	W=$KITH_BENCH_DIR
	rm -rf "$W/var" "$W/out"
	mkdir -p "$W"
else
	W=$(mktemp -d "${TMPDIR:-/tmp}/kith-bench-stats.XXXXXX")
	trap 'rm -rf "$W"' EXIT INT TERM
fi
mkdir -p "$W/out"
export KITH_CONF="$W/kith.conf" TZ=UTC FAKETIME_DONT_FAKE_MONOTONIC=1
cat >"$KITH_CONF" <<EOF
[site]
domain = bench.example
data_dir = $W/var
transport = maildir:$W/maildir
deliver_on_receive = off
log_level = error
EOF

# at TIME ARGS... - kith at a pinned UTC time
at() {
	_t=$1
	shift
	LD_PRELOAD=$FAKETIME_LIB FAKETIME="@$_t" "$KITH_BIN" "$@"
}
created=$(date -u -d "$NOW 730 days ago" '+%Y-%m-%d %H:%M:%S')
at "$created" init >/dev/null
at "$created" list create club@bench.example --owner owner@bench.example \
	--name "Hiking Club" >/dev/null
at "$created" list set club thanks on >/dev/null
at "$created" list set club subject_prefix "[club]" >/dev/null

t0=$(date +%s)
$PY - "$W/var/kith.db" "$MEMBERS" "$POSTS" "$(date -u -d "$NOW" +%s)" <<'PYEOF'
import random, sqlite3, sys

path, MEMBERS, POSTS, NOW = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
DAY = 86400
rnd = random.Random(11)
db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=OFF")
lid, CREATED = db.execute("SELECT id, created FROM lists").fetchone()
SPAN = NOW - CREATED
FIRST = ["Jana", "Petr", "Eva", "Tomáš", "Lucie", "Jiří", "Hana", "Pavel",
         "민준", "서연", "지호", "하은", "Anna", "Martin", "Zuzana", "Ondřej"]
LAST = ["Nováková", "Svoboda", "Dvořák", "Černá", "김", "이", "박", "최",
        "Procházka", "Kučera", "Veselá", "Horák", "Marek", "Pokorná"]

def join_time(i):
    # a fifth imported on day one, then a steady stream that grows
    if i % 5 == 0:
        return CREATED + rnd.randrange(3600)
    return CREATED + int(SPAN * (rnd.random() ** 0.8))

def name():
    return "" if rnd.random() < 0.1 else "%s %s" % (rnd.choice(FIRST), rnd.choice(LAST))

# current members, and the stints of the ones who left
members, log = [], []
for i in range(MEMBERS):
    addr = "member%06d@example%02d.net" % (i, i % 89)
    joined = join_time(i)
    r = rnd.random()
    mode = "each" if r < 0.8 else "digest-daily" if r < 0.9 else \
        "digest-weekly" if r < 0.95 else "nomail"
    members.append((lid, addr, name(), mode, joined, 1 if rnd.random() < 0.005 else 0))
    if i % 5 == 1 and joined > CREATED + 30 * DAY:	# left once before
        a = CREATED + rnd.randrange(joined - CREATED - 20 * DAY)
        log += [(lid, addr, "joined", a), (lid, addr, "left", a + rnd.randrange(1, 20 * DAY))]
former = []
for i in range(MEMBERS * 15 // 100):
    addr = "former%06d@example%02d.net" % (i, i % 89)
    a = join_time(i + 1)
    b = min(NOW - 60, a + int(rnd.expovariate(1 / (60 * DAY))) + 3600)
    log += [(lid, addr, "joined", a), (lid, addr, "left", b)]
    former.append((addr, a, b))
db.executemany("INSERT INTO members(list_id, address, name, mode, joined, "
               "disabled) VALUES (?, ?, ?, ?, ?, ?)", members)	# trigger logs the join
db.executemany("INSERT INTO member_log(list_id, address, event, at) VALUES (?, ?, ?, ?)", log)
mid = {a: (i, j) for i, a, j in db.execute("SELECT id, address, joined FROM members")}
by_join = sorted((j, i, a) for a, (i, j) in mid.items())

# posters: a few thousand, very uneven (Zipf); 2% former, 0.3% non-members
posters = [a for _, _, a in rnd.sample(by_join, min(len(by_join), max(50, MEMBERS // 25)))]
weights = [1.0 / (k + 1) ** 1.1 for k in range(len(posters))]
formers = [f for f in former if f[2] - f[1] > 3 * DAY][:500]
outsiders = ["guest%03d@elsewhere.example" % k for k in range(60)]
times = sorted(CREATED + int(SPAN * (rnd.random() ** 0.9)) for _ in range(POSTS))
posts, threads, pcount = [], [], {}
for n, t in enumerate(times, 1):
    r = rnd.random()
    if r < 0.003:
        sender = rnd.choice(outsiders)
    elif r < 0.023 and formers:
        f = rnd.choice(formers)
        sender, t = f[0], rnd.randrange(f[1], f[2])
        t = max(t, times[n - 2] if n > 1 else t)
    else:
        sender = rnd.choices(posters, weights)[0]
    recent = [th for th in threads[-40:] if t - th[1] < 14 * DAY]
    if recent and rnd.random() < 0.7:
        th = rnd.choice(recent)
        parent = rnd.choice(th[2])
        subject = "Re: " + th[3]
        thread_id = th[0]
        th[2].append("<p%d@bench.example>" % n)
    else:
        parent = ""
        subject = "Trip %d: %s" % (n, rnd.choice(["Pálava", "Krkonoše", "설악산", "Šumava", "Beskydy"]))
        thread_id = n
        threads.append((n, t, ["<p%d@bench.example>" % n], subject))
    body = "Hello all,\n\n" + "Meet at the station at %d:00, bring water and a map.\n" % (7 + n % 4) * (1 + n % 5) + "\nSee you!\n"
    raw = ("From: <%s>\r\nTo: club@bench.example\r\nSubject: [club] %s\r\n"
           "Message-ID: <p%d@bench.example>\r\n%sDate: %s\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n%s") % (
        sender, subject, n, "In-Reply-To: %s\r\n" % parent if parent else "",
        t, body.replace("\n", "\r\n"))
    raw = raw.encode()
    posts.append((n, lid, n, "<p%d@bench.example>" % n, parent, thread_id, sender,
                  "", subject, t, t, len(raw), raw, body))
    pcount[sender] = pcount.get(sender, 0) + 1
db.executemany("INSERT INTO posts(id, list_id, num, message_id, in_reply_to, "
               "thread_id, sender, sender_name, subject, date, received, size, "
               "raw, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", posts)
db.executemany("UPDATE members SET posts=? WHERE list_id=? AND address=?",
               [(c, lid, a) for a, c in pcount.items()])
del posts

def members_at(t):
    return [(i, a) for j, i, a in by_join if j <= t]

# events: one every two months (the last one next week), all members then
# invited, 3% answer; every third has 200 seats and a waitlist
for k in range(12):
    start = CREATED + (k + 1) * 60 * DAY + 15 * DAY + 10 * 3600
    created = start - 21 * DAY
    if created > NOW:
        break
    cap = 200 if k % 3 == 2 else 0
    eid = db.execute("INSERT INTO events(list_id, uid, title, tz, start, "
                     "duration, capacity, created) VALUES (?, ?, ?, 'UTC', ?, ?, ?, ?)",
                     (lid, "ev%d@bench.example" % k, "Trip %d to the hills" % k,
                      start, 8 * 3600, cap, created)).lastrowid
    inv = members_at(created)
    db.executemany("INSERT INTO event_invites(event_id, member_id, address, sent) "
                   "VALUES (?, ?, ?, ?)", [(eid, i, a, created) for i, a in inv])
    ans, acc = [], 0
    for i, a in rnd.sample(inv, len(inv) * 3 // 100):
        r = rnd.random()
        ps = "ACCEPTED" if r < 0.6 else "DECLINED" if r < 0.85 else "TENTATIVE"
        wl = 0
        if ps == "ACCEPTED":
            acc += 1
            wl = 1 if cap and acc > cap else 0
        ans.append((eid, i, ps, created + rnd.randrange(min(NOW, start) - created), wl))
    db.executemany("INSERT INTO rsvps(event_id, member_id, partstat, updated, "
                   "waitlisted) VALUES (?, ?, ?, ?, ?)", ans)

# polls: one a quarter, 4% vote, some change their vote
for k in range(8):
    created = CREATED + (k + 1) * 90 * DAY - 45 * DAY
    closes = created + 14 * DAY
    pid = db.execute("INSERT INTO polls(list_id, question, options, closes, "
                     "state, created, closed) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (lid, "Where to in season %d?" % k, "Pálava\nKrkonoše\nŠumava\nBeskydy",
                      closes, "closed" if closes < NOW else "open", created,
                      closes if closes < NOW else 0)).lastrowid
    voters = rnd.sample(members_at(created), len(members_at(created)) * 4 // 100)
    votes = [(pid, i, a, str(rnd.randrange(1, 5)), created + rnd.randrange(min(NOW, closes) - created)) for i, a in voters]
    db.executemany("INSERT INTO poll_votes(poll_id, member_id, address, choices, at) VALUES (?, ?, ?, ?, ?)", votes)
    db.executemany("INSERT INTO poll_log(poll_id, address, choices, at) VALUES (?, ?, ?, ?)",
                   [(v[0], v[2], v[3], v[4]) for v in votes] +
                   [(v[0], v[2], v[3], v[4] - 3600) for v in votes[::5]])

# newsletters: one a quarter to all members, with their outbox rows and bounces
for k in range(8):
    started = CREATED + (k + 1) * 90 * DAY - 20 * DAY
    msg = db.execute("INSERT INTO outbox_messages(list_id, kind, bounce_local, "
                     "domain, data, created) VALUES (?, 'newsletter', 'club-bounces', "
                     "'bench.example', ?, ?)", (lid, b"Subject: news\r\n\r\nnews\r\n", started)).lastrowid
    rcpts = members_at(started)
    cid = db.execute("INSERT INTO campaigns(list_id, subject, text_body, state, "
                     "message_id, recipients, created, started, finished) VALUES "
                     "(?, ?, 'news', 'sent', ?, ?, ?, ?, ?)",
                     (lid, "Club news %d" % k, msg, len(rcpts), started, started, started + 600)).lastrowid
    db.execute("UPDATE outbox_messages SET campaign_id=? WHERE id=?", (cid, msg))
    rows, bounces = [], []
    for i, a in rcpts:
        r = rnd.random()
        rows.append((msg, a, i, "failed" if r < 0.01 else "sent", started + 60))
        if r < 0.02:
            bounces.append((lid, i, a, msg, started + 3600, "hard" if r < 0.01 else "soft", 2 if r < 0.01 else 1))
    db.executemany("INSERT INTO outbox(message_id, rcpt, member_id, state, updated) VALUES (?, ?, ?, ?, ?)", rows)
    db.executemany("INSERT INTO bounces(list_id, member_id, address, message_id, at, kind, score) VALUES (?, ?, ?, ?, ?, ?, ?)", bounces)

# onboarding: three steps since a year ago, walked by everyone who joined since
ostart = NOW - 365 * DAY
steps = []
for pos, (after, tmpl, unless) in enumerate([(DAY, "welcome", ""), (3 * DAY, "intro-nudge", "posted"), (7 * DAY, "first-event", "rsvped")], 1):
    steps.append((db.execute("INSERT INTO onboarding_steps(list_id, position, after, template, unless, created) VALUES (?, ?, ?, ?, ?, ?)",
                             (lid, pos, after, tmpl, unless, ostart)).lastrowid, after))
onb = []
for i, a, j, mode in db.execute("SELECT id, address, joined, mode FROM members WHERE joined>=?", (ostart,)).fetchall():
    t = j
    for sid, after in steps:
        t += after
        if t > NOW:
            break
        if mode == "nomail":	# no-mail members leave the sequence
            onb.append((lid, a, sid, "left", t))
            break
        onb.append((lid, a, sid, "skipped" if rnd.random() < 0.1 else "sent", t))
db.executemany("INSERT INTO onboarding(list_id, address, step_id, outcome, at) VALUES (?, ?, ?, ?, ?)", onb)

# digests: daily issues up to yesterday, weekly up to last Monday
last = 0
for k, t in enumerate(range(CREATED + DAY, NOW - DAY, DAY), 1):
    upto = db.execute("SELECT coalesce(max(id), 0) FROM posts WHERE received<?", (t,)).fetchone()[0]
    if upto > last:
        db.execute("INSERT INTO digests(list_id, kind, volume, number, first_post, last_post, posts, recipients, created) VALUES (?, 'daily', 1, ?, ?, ?, ?, 9000, ?)",
                   (lid, k, last + 1, upto, upto - last, t))
        last = upto
db.execute("INSERT INTO digest_state(list_id, kind, last_post, last_slot) VALUES (?, 'daily', ?, ?)", (lid, last, NOW - DAY))
wk = db.execute("SELECT coalesce(max(id), 0) FROM posts WHERE received<?", (NOW - 7 * DAY,)).fetchone()[0]
db.execute("INSERT INTO digest_state(list_id, kind, last_post, last_slot) VALUES (?, 'weekly', ?, ?)", (lid, wk, NOW - 7 * DAY))

# held posts, requests waiting for confirmation or approval
for k in range(40):
    db.execute("INSERT INTO held(list_id, message_id, sender, subject, reason, raw, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (lid, "<h%d@x>" % k, "stranger%d@spam.example" % k, "Offer %d" % k, "not a member",
                b"From: x\r\n\r\nbuy\r\n", NOW - k * 3600, NOW + 14 * DAY))
for k in range(400):
    db.execute("INSERT INTO pending(list_id, kind, address, commands, created, expires) VALUES (?, ?, ?, 'subscribe', ?, ?)",
               (lid, "approve" if k % 20 == 0 else "confirm", "new%04d@example.org" % k, NOW - k * 1200, NOW - k * 1200 + 7 * DAY))
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
PYEOF
t1=$(date +%s)
db_mb=$(du -m "$W/var/kith.db" | cut -f1)
ver=$("$KITH_BIN" --version)
schema=$(sqlite3 "$W/var/kith.db" "PRAGMA user_version" 2>/dev/null || echo "?")
echo "$ver | $MEMBERS members, $POSTS posts | runs $RUNS | $(nproc) cpus | db ${db_mb} MB (schema $schema), made in $((t1 - t0)) s"

POLL=$(sqlite3 "$W/var/kith.db" "SELECT id FROM polls ORDER BY (SELECT count(*) FROM poll_votes WHERE poll_id=polls.id) DESC LIMIT 1")
EVENT=$(sqlite3 "$W/var/kith.db" "SELECT id FROM events ORDER BY (SELECT count(*) FROM event_invites WHERE event_id=events.id) DESC LIMIT 1")

# measure NAME ARGS... - RUNS runs; prints the medians
measure() {
	label=$1
	shift
	: >"$W/runs"
	r=1
	while [ "$r" -le "$RUNS" ]; do
		(ulimit -t "$LIMIT"; LD_PRELOAD=$FAKETIME_LIB FAKETIME="@$NOW" \
		    /usr/bin/time -f 'T %U %S %M %e %x' -o "$W/time" \
		    "$KITH_BIN" "$@" >"$W/out/stdout" 2>"$W/out/stderr") || true
		read -r _ u s m e x <<-EOF
		$(grep '^T ' "$W/time")
		EOF
		if grep -q "terminated by signal" "$W/time"; then
			echo "> $LIMIT s CPU: $(head -n1 "$W/time")" >>"$W/runs"
			break
		elif [ "$x" != 0 ]; then
			echo "! exit $x: $(head -n1 "$W/out/stderr")" >>"$W/runs"
			break
		fi
		echo "$u $s $m $e" | awk '{ printf "%.2f %d %.2f\n", $1 + $2, $3, $4 }' >>"$W/runs"
		r=$((r + 1))
	done
	if grep -q '^[>!]' "$W/runs"; then
		printf '%-30s %s\n' "$label" "$(grep '^[>!]' "$W/runs" | head -n1)"
		return
	fi
	med() { cut -d' ' -f"$1" "$W/runs" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
	printf '%-30s cpu %6.2f s  rss %6.1f MB  wall %6.2f s  (%s lines out; cpu of each run: %s)\n' \
	    "$label" "$(med 1)" "$(med 2 | awk '{ print $1 / 1024 }')" "$(med 3)" \
	    "$(wc -l <"$W/out/stdout")" "$(cut -d' ' -f1 "$W/runs" | tr '\n' ' ' | sed 's/ $//')"
}

measure "stats --json" stats club --json
measure "stats --html" stats club --html "$W/out/report.html"
measure "onboarding progress --json" onboarding progress club --json
measure "poll show $POLL --json" poll show "$POLL" --json
measure "event show $EVENT --json" event show "$EVENT" --json
measure "event ls" event ls club
measure "digest preview" digest preview club
measure "digest preview --weekly" digest preview club --weekly
measure "member ls --json" member ls club --json
measure "archive ls" archive ls club
measure "mod ls" mod ls club
