#!/bin/sh
# Newsletters end to end through a real SMTP server: drafts from files
# wrapped in the shipped template, personalised and escaped per member,
# DKIM-signed, with one-click unsubscribe; audience by tag and mode;
# scheduled sends from cron on the test's clock (another time zone, two
# racing crons, a cron that was down); cancel; status; a shared rate.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

if ! $PY -c 'import dkim' 2>/dev/null; then
	echo "SKIP: python3-dkim is not installed (scripts/setup-deps.sh --test)"
	exit 77
fi
start_sink --pipelining
setup_list "web_base_url = https://lists.example.org/"
kith dkim keygen example.org --selector nl >/dev/null
printf '[dkim]\ndomain = example.org\nselector = nl\n' >> "$KITH_CONF"
kith member add team 'xss@example.org' --name '<script>alert(1)</script>' >/dev/null
kith member add team 'minjun@example.org' --name '김민준' >/dev/null
kith member add team 'quiet@example.org' --name 'Quiet' >/dev/null
kith member set team quiet@example.org mode=nomail >/dev/null
kith member set team carol@example.org mode=digest-daily >/dev/null

printf 'Hello {{member.name}},\n\nThe garden opens on Saturday. Bring gloves & seeds.\n' > "$T/body.txt"
printf '<p>Hello {{member.name}},</p>\n<p>The garden opens on <b>Saturday</b>.</p>\n' > "$T/body.html"

# --- drafts
id=$(kith newsletter create team --subject 'Spring news for {{member.name}}' --text "$T/body.txt" --html "$T/body.html")
assert_ok 'printf "%s\n" "$id" | grep -qx "[0-9][0-9]*"' "create prints the id alone ($id)"
json=$(kith newsletter create team --subject 'x' --text "$T/body.txt" --json)
assert_ok 'printf "%s\n" "$json" | $PY -c "import json,sys; d=json.load(sys.stdin); assert d[\"id\"] > 0 and d[\"state\"] == \"draft\""' "create --json gives an object with id"
id2=$(printf '%s\n' "$json" | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
printf 'Hi {{member.nmae}}\n' > "$T/typo.txt"
err=$(kith newsletter create team --subject s --text "$T/typo.txt" 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && printf "%s\n" "$err" | grep -q "unknown variable .{{member.nmae}}."' "a typo in a variable is refused at create (65): $err"
# the subject every member reads: one line of text, or refused (65) and
# no draft made: a control character, bytes that are not UTF-8
drafts=$(kith newsletter ls team | wc -l)
for bad in "$(printf 'News\007')" "$(printf 'Caf\351 news')"; do
	err=$(kith newsletter create team --subject "$bad" --text "$T/body.txt" 2>&1); rc=$?
	assert_ok '[ $rc = 65 ] && [ "$(printf "%s\n" "$err" | wc -l)" = 1 ] && printf "%s\n" "$err" | grep -q "subject must be one line of UTF-8 text"' "a subject that is not one line of text is refused (exit $rc): $err"
done
# the text every member reads: UTF-8, and not empty (a Latin-1 file went
# out as bytes no reader could show; an empty one as a blank mail)
printf 'Caf\351 ce soir\n' > "$T/latin1.txt"
: > "$T/empty.txt"
printf '<p>Caf\351</p>\n' > "$T/latin1.html"
for args in "--text $T/latin1.txt" "--text $T/empty.txt" "--text $T/body.txt --html $T/latin1.html"; do
	err=$(kith newsletter create team --subject s $args 2>&1); rc=$?
	assert_ok '[ $rc = 65 ] && [ "$(printf "%s\n" "$err" | wc -l)" = 1 ] && printf "%s\n" "$err" | grep -q -E "is empty|must be UTF-8 text"' "a newsletter body in Latin-1 or empty is refused (exit $rc): $err"
done
assert_ok '[ "$(kith newsletter ls team | wc -l)" = "$drafts" ]' "and no draft was made of them"
assert_ok 'kith newsletter ls team | grep -q "^$id  *draft .*Spring news"' "ls shows the draft"
assert_ok 'kith newsletter show $id | grep -q "The garden opens" && kith newsletter show $id | grep -q "Unsubscribe"' "show has the body inside the template"
assert_ok '[ "$(kith newsletter status $id --json | $PY -c "import json,sys; print(json.load(sys.stdin)[\"state\"])")" = draft ]' "status of a draft"

# --- preview: one copy, nobody else
kith newsletter preview $id --to bob@example.org >/dev/null
assert_ok '[ "$(sink_count)" = 1 ] && [ "$(count bob@example.org)" = 1 ]' "preview sends one copy, to the address given"
rm -f "$SINK_DIR"/*

# --- send now
out=$(kith newsletter send $id 2>/dev/null)
assert_ok 'printf "%s\n" "$out" | grep -q "^campaign $id: 5 sent, 0 deferred, 0 failed, 0 pending of 5"' "send prints one line off a terminal: $out"
assert_ok '[ "$(count quiet@example.org)" = 0 ]' "no-mail members get no newsletter"
assert_ok '[ "$(count carol@example.org)" = 1 ]' "digest members get it directly"
r=$($PY "$HERE/verify_newsletter.py" "$(last bob@example.org)" Bob bob@example.org --html --https)
assert_ok 'printf "%s\n" "$r" | grep -q "^ok "' "Bob's copy: multipart/alternative, greeted by name, one-click unsubscribe ($r)"
r=$($PY "$HERE/verify_newsletter.py" "$(last xss@example.org)" '<script>alert(1)</script>' xss@example.org --html --https)
assert_ok 'printf "%s\n" "$r" | grep -q "^ok "' "a member named <script> is escaped in HTML ($r)"
r=$($PY "$HERE/verify_newsletter.py" "$(last minjun@example.org)" '김민준' minjun@example.org --html --https)
assert_ok 'printf "%s\n" "$r" | grep -q "^ok "' "a member named in Korean: RFC 2047 in To, UTF-8 in the body ($r)"
subj=$($MT header "$(last minjun@example.org)" Subject)
assert_ok '[ "$subj" = "Spring news for 김민준" ]' "the subject is personalised and encoded ($subj)"
assert_ok 'f=$(last minjun@example.org) && [ -s "$f" ] && ! grep -q "^Subject: .*김" "$f"' "no raw UTF-8 in the Subject header"
$PY "$HERE/verify_dkim.py" "$SINK_DIR" "$T/var/dkim/nl.example.org.pem" nl example.org --now "$(epoch)" > "$T/dkim.out"
rc=$?
assert_ok '[ $rc = 0 ]' "dkimpy verifies every copy ($(grep -c '^ok' "$T/dkim.out") of them)"
assert_ok 'grep -q "List-Unsubscribe-Post" "$(last bob@example.org)" && grep "^DKIM-Signature" -A3 "$(last bob@example.org)" | tr -d "\n\t " | grep -q "List-Unsubscribe:List-Unsubscribe-Post"' "the signature covers List-Unsubscribe and List-Unsubscribe-Post"
st=$(kith newsletter status $id --json)
assert_ok 'printf "%s\n" "$st" | $PY -c "import json,sys; d=json.load(sys.stdin); assert (d[\"state\"], d[\"sent\"], d[\"recipients\"], d[\"pending\"]) == (\"sent\", 5, 5, 0) and d[\"finished\"] >= d[\"started\"] > 0"' "status: sent 5 of 5, started and finished ($st)"
err=$(kith newsletter send $id 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && printf "%s\n" "$err" | grep -q "already sent"' "a sent campaign is not sent twice ($err)"

# the one-step unsubscribe in Bob's copy works, for Bob only
mailto=$($PY "$HERE/verify_newsletter.py" "$(last bob@example.org)" Bob bob@example.org | cut -d" " -f2)
printf 'From: bob@example.org\nTo: %s\nSubject: unsubscribe\n\n' "$mailto" > "$T/unsub"
kith receive -r "$mailto" -f bob@example.org < "$T/unsub" 2>>"$T/receive.err"
assert_ok 'lacks "^bob@example.org" kith member ls team' "Bob's List-Unsubscribe mailto removes Bob"
assert_ok 'kith member ls team | grep -q "^xss@example.org"' "and nobody else"

# --- audience by tag
assert_ok '[ "$(kith member tag team minjun@example.org garden)" = "team@example.org: minjun@example.org tagged garden" ] && [ "$(kith member tag team minjun@example.org garden)" = "team@example.org: minjun@example.org already had the tag garden" ]' "member tag says what it did, and when it had nothing to do"
assert_ok '[ "$(kith member untag team minjun@example.org gardn)" = "team@example.org: minjun@example.org had no tag gardn" ]' "untag of a tag the member lacks says so (it said 'untagged gardn')"
assert_ok 'kith member tag team nobody@example.org garden 2>/dev/null; [ $? = 67 ]' "tagging a non-member: 67"
assert_ok 'kith member tag team minjun@example.org "bad tag" 2>/dev/null; [ $? = 65 ]' "a bad tag: 65"
assert_ok 'kith member tag team minjun@example.org "a—b" 2>"$T/tag.err"; [ $? = 65 ] && grep -q "use letters or digits of any script, .-. and ._., at most 40" "$T/tag.err"' "a tag with a dash that is no letter: 65, and the line says what a tag is"
assert_ok 'kith member tag team minjun@example.org "$(printf "x\342\200\213y")" 2>/dev/null; [ $? = 65 ]' "a zero-width space (a tag that looks like 'xy'): 65"
tid=$(kith newsletter create team --subject 'Gardeners only' --text "$T/body.txt" --tag garden)
kith deliver >/dev/null 2>&1	# Bob's goodbye and the owners' notice
rm -f "$SINK_DIR"/*
kith newsletter send $tid >/dev/null 2>&1
assert_ok '[ "$(sink_count)" = 1 ] && [ "$(count minjun@example.org)" = 1 ]' "--tag garden reaches only the tagged member"
# tags in the members' own scripts (they were refused as not ASCII, while
# the list's topics, which the web page stores as tags, took them)
assert_ok 'kith member tag team carol@example.org 초급 >/dev/null && kith member tag team alice@example.org Wälder >/dev/null && kith member tag team xss@example.org हिन्दी >/dev/null' "tags 초급, Wälder and हिन्दी (a virama inside) are taken"
tid=$(kith newsletter create team --subject 'Beginners' --text "$T/body.txt" --tag 초급)
rm -f "$SINK_DIR"/*
kith newsletter send $tid >/dev/null 2>&1
assert_ok '[ "$(sink_count)" = 1 ] && [ "$(count carol@example.org)" = 1 ]' "--tag 초급 reaches only the member tagged 초급 ($(sink_count) copies)"
kith newsletter create team --subject Typo --text "$T/body.txt" --tag Garden > /dev/null 2> "$T/typo.err"
rc=$?
assert_ok '[ $rc = 0 ] && grep -q "warning: no member of team@example.org has the tag .Garden. now: campaign [0-9]* would reach nobody (the tags members have: .*garden"  "$T/typo.err"' "a newsletter to a tag nobody has ('Garden' for 'garden') is made, with a warning naming the tags members have (it was silent, and sent to nobody)"
assert_ok '[ "$(kith member ls team --tag 초급 | cut -d" " -f1)" = carol@example.org ]' "kith member ls --tag 초급 lists who has it (no command showed a member's tags)"
assert_ok 'kith member ls team --json | $PY -c "import json,sys; m={x[\"address\"]: x[\"tags\"] for x in json.load(sys.stdin)}; sys.exit(not (m[\"carol@example.org\"] == [\"초급\"] and m[\"minjun@example.org\"] == [\"garden\"]))"' "member ls --json gives each member's tags"
assert_ok 'err=$(kith newsletter create team --subject x --text "$T/body.txt" --tag "초 급" 2>&1); [ $? = 65 ] && printf "%s\n" "$err" | grep -q "letters or digits of any script"' "a newsletter's tag with a space: 65"

# --- scheduled in another zone, from cron at its time
set_clock "2026-11-30 12:00:00"
sid=$(kith newsletter create team --subject 'Scheduled' --text "$T/body.txt")
err=$(kith newsletter schedule $sid "2020-01-01 09:00" 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && printf "%s\n" "$err" | grep -q "has passed"' "a time in the past is refused ($err)"
err=$(kith newsletter schedule $sid "2026-13-01 09:00" 2>&1); rc=$?
assert_ok '[ $rc = 65 ]' "a malformed time is refused ($err)"
out=$(kith newsletter schedule $sid "2026-12-01 09:00" --tz Asia/Seoul)
assert_ok 'printf "%s\n" "$out" | grep -q "2026-12-01 09:00 KST"' "scheduled for 09:00 in Seoul ($out)"
rm -f "$SINK_DIR"/*
at '2026-11-30 23:59:00' cron >/dev/null 2>&1
assert_ok '[ "$(sink_count)" = 0 ]' "at 08:59 KST (23:59 UTC) cron sends nothing"
# two crons race at 09:00:30 KST
at '2026-12-01 00:00:30' cron >/dev/null 2>&1 &
p1=$!
at '2026-12-01 00:00:30' newsletter send $sid >/dev/null 2>&1 &
p2=$!
at '2026-12-01 00:00:31' cron >/dev/null 2>&1
wait $p1 $p2
at '2026-12-01 00:01:00' cron >/dev/null 2>&1
assert_ok '[ "$(sink_count)" = 4 ] && [ "$(count xss@example.org)" = 1 ] && [ "$(count minjun@example.org)" = 1 ] && [ "$(count carol@example.org)" = 1 ] && [ "$(count alice@example.org)" = 1 ]' "at 09:00 KST it goes out once to each of the 4 members, with crons and a send racing ($(sink_count) copies)"
assert_ok '[ "$(db "SELECT state FROM campaigns WHERE id=$sid")" = sent ]' "and is marked sent"

# a cron that was down at the time sends it when it next runs, once
set_clock "2026-12-01 12:00:00"
did=$(kith newsletter create team --subject 'Missed' --text "$T/body.txt")
kith newsletter schedule $did "2026-12-02 08:00" --tz UTC >/dev/null
rm -f "$SINK_DIR"/*
at '2026-12-02 11:17:00' cron >/dev/null 2>&1
at '2026-12-02 11:18:00' cron >/dev/null 2>&1
assert_ok '[ "$(sink_count)" = 4 ]' "a cron 3 hours late sends the missed campaign once ($(sink_count))"

# cancel: a scheduled campaign never goes
set_clock "2026-12-02 12:00:00"
cid=$(kith newsletter create team --subject 'Cancelled' --text "$T/body.txt")
kith newsletter schedule $cid "2026-12-03 08:00" >/dev/null
assert_ok 'kith newsletter cancel $cid | grep -q "cancelled"' "cancel a scheduled campaign"
rm -f "$SINK_DIR"/*
at '2026-12-03 09:00:00' cron >/dev/null 2>&1
assert_ok '[ "$(sink_count)" = 0 ] && [ "$(db "SELECT state FROM campaigns WHERE id=$cid")" = cancelled ]' "cron does not send a cancelled campaign"
err=$(kith newsletter cancel $cid 2>&1); rc=$?
assert_ok '[ $rc = 65 ]' "cancelling twice: 65 ($err)"
assert_ok 'kith newsletter status 999 2>/dev/null; [ $? = 66 ]' "status of an unknown campaign: 66"

# --- throttle: a list rate shared by two delivery processes
set_clock "2026-12-03 10:00:00"
i=1
while [ $i -le 26 ]; do echo "r$i@example.net"; i=$((i + 1)); done > "$T/r.txt"
kith member import team "$T/r.txt" >/dev/null
kith list set team rate 300/min >/dev/null
assert_ok 'kith list set team rate fast 2>/dev/null; [ $? != 0 ]' "a malformed rate is refused"
rid=$(kith newsletter create team --subject 'Throttled' --text "$T/body.txt")
rm -f "$SINK_DIR"/*
# The rate is kept in the database in each process's clock: the second
# sender's clock starts where the first one's is when it starts.
t0=$(uptime_cs)
kith newsletter send $rid >/dev/null 2>&1 &
p1=$!
sleep 1
e=$(( $(uptime_cs) - t0 ))
at "$(after "$((e / 100)).$((e % 100 / 10))$((e % 10))")" deliver >/dev/null 2>&1 &
p2=$!
wait $p1 $p2
n=$(sink_count)
$PY - "$SINK_DIR" > "$T/rate" <<'PYEOF'
import glob, os, sys
t = sorted(os.stat(f).st_mtime for f in glob.glob(sys.argv[1] + "/*.eml"))
worst = max(sum(1 for u in t if s <= u < s + 1.0) for s in t)
print(len(t), round(t[-1] - t[0], 2), worst, round(60 * (len(t) - 1) / (t[-1] - t[0])))
PYEOF
read got span worst perminute < "$T/rate"
assert_ok '[ "$got" = 30 ]' "all 30 copies arrived ($got)"
assert_ok '[ "$worst" -le 6 ]' "at most 5 (+1 for clock jitter) in any second at 300/min: $worst"
assert_ok '[ "$perminute" -le 310 ] && [ "$perminute" -ge 200 ]' "measured from the sink: $perminute per minute over ${span}s, two senders sharing the rate"
finish
