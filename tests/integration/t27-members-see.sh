#!/bin/sh
# What members see (issue 11: A14, B1, B2, B4, B5, B6, B7, B10), every mail
# read from the SMTP sink with Python's email package, every kith call
# under the pinned clock of lib.sh:
#  - a list whose cron first runs after its first digest slot still sends
#    the posts that were owed at that slot (daily and weekly);
#  - daily and weekly issues number their own volume and issue, and a
#    weekly issue does not say "Today's Topics";
#  - subjects of replies read "Re: Pálava" in the archive, the index, the
#    digest contents and request replies (no list prefix, one "Re:");
#  - HTML-only posts keep their links and their words in the plain digest;
#  - a member without a name is not greeted "Goodbye, ." and the owners do
#    not read "hana@example.org () left";
#  - banned senders get no mail at all unless the owner turns ban_notice
#    on, and then one a day;
#  - onboarding, poll results and nudges are Auto-Submitted: auto-generated,
#    replies to a request auto-replied;
#  - 'onboarding add' says what it did; an imported member is not told
#    they joined "a few days ago".
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink --pipelining
write_conf "smtp://127.0.0.1:$SINK_PORT"
# 2026-06-01 is a Monday: weekly digests go out on Mondays at 07:00 UTC.
set_clock "2026-06-01 09:00:00"
kith init >/dev/null
kith list create turisti@example.org --owner olga@example.org --name Turisti >/dev/null
kith list set turisti subject_prefix "[Turisti]" >/dev/null
kith member add turisti hana@example.org >/dev/null
kith member add turisti petr@example.org --name Petr >/dev/null
for m in dana:digest-daily pavla:digest-daily wim:digest-weekly; do
	kith member add turisti ${m%%:*}@example.org --name "${m%%:*}" >/dev/null
	kith member set turisti ${m%%:*}@example.org mode=${m#*:} >/dev/null
done
kith member set turisti pavla@example.org digest_format=plain >/dev/null

n=0
# post_at TIME FROM SUBJECT-HEADER BODY [header lines...]
post_at() {
	when=$1; from=$2; subj=$3; body=$4; shift 4
	n=$((n + 1))
	{
		echo "From: <$from>"
		echo "To: turisti@example.org"
		echo "Subject: $subj"
		echo "Message-ID: <p$n@test>"
		for h in "$@"; do echo "$h"; done
		echo
		printf '%b\n' "$body"
	} > "$T/post$n"
	at "$when" receive -r turisti@example.org -f "$from" < "$T/post$n" 2>>"$T/receive.err"
}
post_at "2026-06-01 10:00:00" petr@example.org "=?UTF-8?Q?P=C3=A1lava?=" "Kdo jede v sobotu?"
post_at "2026-06-01 10:05:00" hana@example.org "Re: [Turisti] Re: =?UTF-8?Q?P=C3=A1lava?=" "Ja." "In-Reply-To: <p1@test>"
post_at "2026-06-01 10:10:00" petr@example.org "=?UTF-8?Q?AW=3A_=5BTuristi=5D_RE=3A_P=C3=A1lava?=" "Taky." "In-Reply-To: <p2@test>"
post_at "2026-06-01 10:15:00" petr@example.org "=?UTF-8?B?7IiZ7KCc?=" '<html><body><p>숙제<b>는</b> <a href="https://example.org/hw">여기</a></p></body></html>' \
	"MIME-Version: 1.0" "Content-Type: text/html; charset=utf-8"

# toc FILE - the numbered lines of a digest's table of contents, "|"-joined
toc() {
	$PY - "$1" <<'PYEOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
part = m if m.get_content_type() == "text/plain" else next(m.iter_parts())
text = part.get_content().replace("\r\n", "\n")
head = [l for l in text.split("\n") if l.endswith("Topics:")]
# the subjects are padded to the authors' column (display width)
print((head[0] if head else "?") + "|" + "|".join(l.strip().rsplit(" (", 1)[0].rstrip()
      for l in text.split("\n")[:60] if l.strip()[:1].isdigit()))
PYEOF
}
subject() { $MT header "$1" Subject; }

# --- A14: the first cron runs after the first slot: the posts are owed.
at "2026-06-08 08:00:00" cron >/dev/null 2>&1
at "2026-06-08 08:00:00" deliver >/dev/null 2>&1
assert_ok '[ "$(count dana@example.org)" = 1 ]' "A14: a cron first run after the daily slot sends the owed daily digest"
assert_ok '[ "$(count wim@example.org)" = 1 ]' "A14: ... and the owed weekly digest"

# --- B6: each kind numbers its own issues; weekly is not "Today's".
d=$(last dana@example.org)
w=$(last wim@example.org)
assert_ok '[ "$(subject "$d")" = "Turisti Digest, Vol 1, Issue 1" ]' "B6: daily issue 1 ($(subject "$d"))"
assert_ok '[ "$(subject "$w")" = "Turisti Digest, Vol 1, Issue 1" ]' "B6: weekly issue 1, not 2 ($(subject "$w"))"
wt=$(toc "$w")
assert_ok 'echo "$wt" | grep -q "^This Week.s Topics:|" && ! grep -q "Today" "$w"' "B6: the weekly digest does not say Today's Topics ($wt)"

# --- B2: the digest contents show one Re: and no list prefix.
dt=$(toc "$d")
want="Today's Topics:|1. Pálava|2. Re: Pálava|3. Re: Pálava|4. 숙제"
assert_ok '[ "$dt" = "$want" ]' "B2: MIME digest contents: $dt"
pt=$(toc "$(last pavla@example.org)")
assert_ok '[ "$pt" = "$want" ]' "B2: plain digest contents: $pt"

# --- B5: an HTML-only post in the plain digest: words whole, link kept.
body=$($MT body "$(last pavla@example.org)")
assert_ok 'echo "$body" | grep -q "^숙제는 여기 <https://example.org/hw>$"' "B5: '숙제<b>는</b>' stays one word and the link target is kept"

# More issues: daily 2, then a new year starts volume 2 for both kinds.
post_at "2026-06-08 09:00:00" petr@example.org "Sraz" "V 8."
at "2026-06-09 07:30:00" cron >/dev/null 2>&1
post_at "2026-12-31 12:00:00" petr@example.org "Silvestr" "Na zdravi."
at "2027-01-01 07:30:00" cron >/dev/null 2>&1
at "2027-01-04 07:30:00" cron >/dev/null 2>&1
at "2027-01-04 07:31:00" deliver >/dev/null 2>&1
assert_ok '[ "$(subject "$(last dana@example.org)")" = "Turisti Digest, Vol 2, Issue 1" ]' "B6: a new year starts daily volume 2 at issue 1 ($(subject "$(last dana@example.org)"))"
assert_ok '[ "$(subject "$(last wim@example.org)")" = "Turisti Digest, Vol 2, Issue 1" ]' "B6: ... and weekly volume 2 at issue 1 ($(subject "$(last wim@example.org)"))"
ls=$(kith digest ls turisti | tr -s ' ' | cut -d' ' -f1-5 | tr '\n' '|')
assert_ok '[ "$ls" = "Vol 1, Issue 1 daily|Vol 1, Issue 1 weekly|Vol 1, Issue 2 daily|Vol 2, Issue 1 daily|Vol 2, Issue 1 weekly|" ]' "B6: kith digest ls ($ls)"
assert_ok 'kith digest show turisti 1 --weekly --plain | grep -q "^This Week.s Topics:" && kith digest show turisti 2 --plain | grep -q "^End of Turisti Digest, Vol 1, Issue 2"' "B6: kith digest show picks the kind's own issue"

# --- B2: archive ls/show, the index and a request reply.
subjects=$(kith archive ls turisti | sed 's/.*@example\.org  *//' | head -4 | tr '\n' '|')
assert_ok '[ "$subjects" = "Pálava|Re: Pálava|Re: Pálava|숙제|" ]' "B2: archive ls ($subjects)"
assert_ok 'kith archive show 2 --text | grep -q "^Subject: Re: Pálava$"' "B2: archive show --text"
send hana@example.org turisti-request@example.org "Re: Re: Re: =?UTF-8?Q?P=C3=A1lava?=" "index"
r=$(last hana@example.org)
assert_ok '[ "$(subject "$r")" = "Re: Pálava" ]' "B2: a request reply carries one Re: ($(subject "$r"))"
idx=$($MT body "$r")
assert_ok 'echo "$idx" | grep -q "#2 .*  Re: Pálava$" && ! echo "$idx" | grep -q "Turisti\]"' "B2: the index shows Re: Pálava"

# --- B7: a reply to a request is auto-replied.
assert_ok '[ "$($MT header "$r" Auto-Submitted)" = auto-replied ]' "B7: a request reply is Auto-Submitted: auto-replied"

# --- B1: a member without a name leaves.
set_clock "2027-01-05 10:00:00"
send hana@example.org turisti-unsubscribe@example.org "" ""
confirm=$($MT header "$(last hana@example.org)" Reply-To | tr -d '<>')
send hana@example.org "$confirm" "Re: confirm" "yes"
bye=$($MT body "$(last hana@example.org)")
assert_ok '[ "$(db "SELECT count(*) FROM members WHERE address='"'"'hana@example.org'"'"'")" = 0 ]' "B1: hana has left"
assert_ok 'echo "$bye" | grep -q "Goodbye" && ! echo "$bye" | grep -q "Goodbye, \."' "B1: no 'Goodbye, .' ($(echo "$bye" | head -1))"
owner=$($MT body "$(last olga@example.org)")
assert_ok 'echo "$owner" | grep -q "^hana@example.org left Turisti" && ! echo "$owner" | grep -q "()"' "B1: the owners read 'hana@example.org left' ($(echo "$owner" | head -1))"
send jana@example.org turisti-subscribe@example.org "" "" "From: =?UTF-8?Q?Jana_Nov=C3=A1kov=C3=A1?= <jana@example.org>"
confirm=$($MT header "$(last jana@example.org)" Reply-To | tr -d '<>')
send jana@example.org "$confirm" "Re: confirm" "yes" "From: =?UTF-8?Q?Jana_Nov=C3=A1kov=C3=A1?= <jana@example.org>"
jana=$($MT body "$(last olga@example.org)")
assert_ok 'echo "$jana" | grep -q "^Jana Nováková <jana@example.org> joined Turisti"' "B1: with a name: 'Jana Nováková <jana@example.org> joined' ($(echo "$jana" | head -1))"

# --- B4: banned senders get no mail by default.
kith ban add turisti "*@spam.example" >/dev/null
before=$(sink_count)
send bot@spam.example turisti@example.org "Buy" "now"
send bot@spam.example turisti@example.org "Buy again" "now"
send bot@spam.example turisti-request@example.org "help" ""
send bot@spam.example turisti-subscribe@example.org "" ""
assert_ok '[ "$(count bot@spam.example)" = 0 ]' "B4: a banned sender gets no mail at all by default"
assert_ok 'kith list set turisti ban_notice sometimes 2>/dev/null; [ $? = 65 ]' "B4: ban_notice takes off or daily"
kith list set turisti ban_notice daily >/dev/null
send bot@spam.example turisti@example.org "Buy" "now"
send bot@spam.example turisti-request@example.org "help" ""
send bot@spam.example turisti@example.org "Buy again" "now"
assert_ok '[ "$(count bot@spam.example)" = 1 ] && $MT body "$(last bot@spam.example)" | grep -q "may not post to or join"' "B4: with ban_notice daily: one notice, for a post and a request alike"
clock_add 86500
send bot@spam.example turisti-request@example.org "help" ""
assert_ok '[ "$(count bot@spam.example)" = 2 ]' "B4: and one more the next day"

# --- B10: onboarding add says what it did.
out=$(kith onboarding add turisti --after 3d --template intro-nudge --unless posted)
assert_ok '[ "$out" = "step 1: intro-nudge, 3 days after joining, skipped for members who have posted" ]' "B10: 'onboarding add' output ($out)"
out=$(kith onboarding add turisti --unless rsvped --template first-meetup --after 36h)
assert_ok '[ "$out" = "step 2: first-meetup, 1 day 12 hours after step 1, skipped for members who have answered an event" ]' "B10: a second step ($out)"
# An imported member gets the steps without being told when they joined.
printf 'ivo@example.org Ivo\n' | kith member import turisti - >/dev/null
clock_add $((3 * 86400 + 60))
kith cron >/dev/null 2>&1
kith deliver >/dev/null 2>&1
i=$(last ivo@example.org)
assert_ok '[ -n "$i" ] && $MT header "$i" Subject | grep -q "^Say hello" && ! $MT body "$i" | grep -qi "joined\|days ago"' "B10: the imported member's intro does not say when they joined"
# --- B7: onboarding is auto-generated.
assert_ok '[ "$($MT header "$i" Auto-Submitted)" = auto-generated ]' "B7: an onboarding step is Auto-Submitted: auto-generated"

# --- B7: poll results and nudges are auto-generated.
id=$(kith poll create turisti --question "Kam?" --option Brno --option Praha)
kith poll close "$id" >/dev/null
kith deliver >/dev/null 2>&1
p=$(last petr@example.org)
assert_ok '$MT header "$p" Subject | grep -q "^Poll results" && [ "$($MT header "$p" Auto-Submitted)" = auto-generated ]' "B7: poll results are auto-generated"
kith event create turisti --title Sraz --start "$(date -u -d "@$(( $(epoch) + 5 * 86400 ))" '+%Y-%m-%d %H:%M')" --tz UTC --duration 2h --rsvp-by "$(date -u -d "@$(( $(epoch) + 3 * 86400 ))" '+%Y-%m-%d')" >/dev/null
clock_add $((3 * 86400))
kith cron >/dev/null 2>&1
kith deliver >/dev/null 2>&1
e=$(last petr@example.org)
assert_ok '$MT header "$e" Subject | grep -q "^Are you coming" && [ "$($MT header "$e" Auto-Submitted)" = auto-generated ]' "B7: an RSVP nudge is auto-generated ($($MT header "$e" Subject))"
kith list set turisti nudge_after 60d >/dev/null
clock_add $((120 * 86400))
kith cron >/dev/null 2>&1
kith deliver >/dev/null 2>&1
q=$(last dana@example.org)
assert_ok '$MT header "$q" Subject | grep -q "^We miss you" && [ "$($MT header "$q" Auto-Submitted)" = auto-generated ]' "B7: a re-engagement nudge is auto-generated"
finish
