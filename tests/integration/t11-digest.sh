#!/bin/sh
# Digests under the test's clock (lib.sh), never by sleeping: a list in
# Asia/Seoul sending at 07:00 local, MIME and RFC 1153 plain issues checked
# with Python's email package, racing crons, missed days, a member who
# switches mid-period, one who leaves, a crash mid-delivery, a list in
# America/New_York across the end of daylight saving time, and the size
# threshold.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink
post_at() {
	# post_at WHEN FROM SUBJECT [LIST]
	n=$((n + 1))
	printf 'From: <%s>\nTo: %s@example.org\nSubject: %s\nMessage-ID: <d%s@test>\n\nBody of %s\n' \
		"$2" "${4:-team}" "$3" "$n" "$3" > "$T/post$n"
	at "$1" receive -r "${4:-team}@example.org" -f "$2" < "$T/post$n" 2>>"$T/receive.err"
}
issues() { kith digest ls "${1:-team}" | grep -c '^Vol'; }
# save_archive - every archived post as $T/archive/<Message-ID>.eml, for
# comparing with the parts of a digest
save_archive() {
	mkdir -p "$T/archive"
	for id in $(db "SELECT id || ':' || message_id FROM posts"); do
		kith archive show "${id%%:*}" > "$T/archive/${id#*:}.eml"
	done
}
VD="$PY $HERE/verify_digest.py"

write_conf "smtp://127.0.0.1:$SINK_PORT"
set_clock "2026-11-24 09:00:00"
kith init >/dev/null
kith list create team@example.org --owner alice@example.org --name Team >/dev/null
for m in bob carol dave; do kith member add team $m@example.org >/dev/null; done
kith list set team timezone Asia/Seoul >/dev/null
kith list set team digest_time 07:00 >/dev/null
kith list set team subject_prefix "[team]" >/dev/null
set_clock "2026-11-24 10:00:00"
kith member set team bob@example.org mode=digest-daily >/dev/null
kith member set team carol@example.org mode=digest-daily >/dev/null
kith member set team carol@example.org digest_format=plain >/dev/null
assert_ok '[ "$(kith list set team timezone Mars/Olympus >/dev/null 2>&1; echo $?)" = 65 ]' "an unknown time zone is refused"
kith cron >/dev/null 2>&1

post_at "2026-11-24 11:00:00" alice@example.org "First topic"
post_at "2026-11-24 12:00:00" dave@example.org "[team] Second topic"
at "2026-11-24 21:59:00" cron >/dev/null 2>&1
assert_ok '[ "$(issues)" = 0 ]' "06:59 in Seoul: no digest yet"
at "2026-11-24 22:00:30" cron >/dev/null 2>&1
assert_ok '[ "$(issues)" = 1 ]' "07:00 in Seoul (22:00 UTC): issue 1"
assert_ok '[ "$(count bob@example.org)" = 1 ] && [ "$(count carol@example.org)" = 1 ]' "each digest member got one copy"
assert_ok '[ "$(count dave@example.org)" = 2 ]' "members on 'each' got the two posts, no digest"
save_archive
$VD mime "$(last bob@example.org)" "$T/archive" "Team Digest, Vol 1, Issue 1" "[team]" "First topic" "Second topic" > "$T/v1"
r=$?
cat "$T/v1"
assert_ok '[ $r = 0 ]' "MIME digest: contents match, each part is the archived post"
$VD plain "$(last carol@example.org)" "Team Digest, Vol 1, Issue 1" "First topic" "Second topic" > "$T/v2"
r=$?
cat "$T/v2"
assert_ok '[ $r = 0 ]' "plain digest: RFC 1153 layout line by line"
assert_ok '$MT header "$(last bob@example.org)" List-Unsubscribe | grep -q "team-unsubscribe+"' "digests carry the member's own List-Unsubscribe"

# Two crons started at the same second make one issue.
post_at "2026-11-25 03:00:00" alice@example.org "Third topic"
at "2026-11-25 22:00:10" cron >/dev/null 2>&1 &
a=$!
at "2026-11-25 22:00:10" cron >/dev/null 2>&1 &
b=$!
wait $a $b
at "2026-11-25 22:01:00" cron >/dev/null 2>&1
assert_ok '[ "$(issues)" = 2 ] && [ "$(count bob@example.org)" = 2 ]' "racing crons: one issue, one copy each"

# Three days without cron: one issue with everything.
post_at "2026-11-26 10:00:00" alice@example.org "Fourth topic"
post_at "2026-11-27 10:00:00" alice@example.org "Fifth topic"
post_at "2026-11-28 10:00:00" alice@example.org "Sixth topic"
at "2026-11-29 23:00:00" cron >/dev/null 2>&1
at "2026-11-29 23:01:00" cron >/dev/null 2>&1
assert_ok '[ "$(issues)" = 3 ]' "after three missed days: one issue, not three"
save_archive
assert_ok '$VD mime "$(last bob@example.org)" "$T/archive" "Team Digest, Vol 1, Issue 3" "[team]" "Fourth topic" "Fifth topic" "Sixth topic" >/dev/null' "and it holds everything from those days"

# Switching to digests mid-period: only the posts from then on.
post_at "2026-11-30 09:00:00" alice@example.org "Seventh topic"
at "2026-11-30 10:00:00" member set team dave@example.org mode=digest-daily >/dev/null
post_at "2026-11-30 11:00:00" alice@example.org "Eighth topic"
# Leaving: nothing more.
at "2026-11-30 12:00:00" member rm team carol@example.org >/dev/null
carol_before=$(count carol@example.org)
at "2026-11-30 22:00:30" cron >/dev/null 2>&1
assert_ok '[ "$(issues)" = 4 ]' "issue 4"
save_archive
assert_ok '$VD mime "$(last bob@example.org)" "$T/archive" "Team Digest, Vol 1, Issue 4" "[team]" "Seventh topic" "Eighth topic" >/dev/null' "a member on digests all period gets both posts"
assert_ok '$VD mime "$(last dave@example.org)" "$T/archive" "Team Digest, Vol 1, Issue 4" "[team]" "Eighth topic" >/dev/null' "one who switched mid-period gets only the posts since"
assert_ok '[ "$(count carol@example.org)" = "$carol_before" ]' "one who left gets nothing"

# A crash in the middle of an issue's delivery: the rest goes out later, once.
post_at "2026-12-01 10:00:00" alice@example.org "Ninth topic"
sed -i "s|^transport = .*|transport = smtp://127.0.0.1:1|" "$KITH_CONF"
at "2026-12-01 22:00:30" cron >/dev/null 2>&1
assert_ok '[ "$(issues)" = 5 ] && [ "$(db "SELECT count(*) FROM outbox WHERE state='"'"'deferred'"'"'")" -ge 2 ]' "issue 5 is queued; with the server down its copies wait"
sed -i "s|^transport = .*|transport = smtp://127.0.0.1:$SINK_PORT|" "$KITH_CONF"
b5=$(count bob@example.org)
at "2026-12-01 23:30:00" cron >/dev/null 2>&1
at "2026-12-01 23:31:00" cron >/dev/null 2>&1
assert_ok '[ "$(issues)" = 5 ] && [ "$(count bob@example.org)" = $((b5 + 1)) ]' "later the copies go out, once, and no new issue is made"

# The size threshold sends early.
at "2026-12-02 02:00:00" list set team digest_max_kb 2 >/dev/null
n=$((n + 1))
{ printf 'From: <alice@example.org>\nSubject: Big one\nMessage-ID: <big@test>\n\n'; head -c 3000 /dev/zero | tr '\0' 'x' | fold -w 70; } > "$T/big"
at "2026-12-02 03:00:00" receive -r team@example.org -f alice@example.org < "$T/big"
at "2026-12-02 03:01:00" cron >/dev/null 2>&1
assert_ok '[ "$(issues)" = 6 ]' "over digest_max_kb: an issue goes out before its time"

# America/New_York across the end of DST (2026-11-01 02:00 EDT -> EST).
set_clock "2026-10-30 12:00:00"
kith list create ny@example.org --owner owner@example.org --name NY >/dev/null
kith member add ny reader@example.org >/dev/null
kith member set ny reader@example.org mode=digest-daily >/dev/null
kith list set ny timezone America/New_York >/dev/null
kith cron >/dev/null 2>&1
post_at "2026-10-30 20:00:00" owner@example.org "Before the change" ny
at "2026-10-31 10:59:00" cron >/dev/null 2>&1
assert_ok '[ "$(issues ny)" = 0 ]' "New York, Oct 31 06:59 EDT: nothing"
at "2026-10-31 11:00:30" cron >/dev/null 2>&1
assert_ok '[ "$(issues ny)" = 1 ]' "07:00 EDT = 11:00 UTC: issue 1"
at "2026-11-01 11:30:00" cron >/dev/null 2>&1
post_at "2026-11-01 11:40:00" owner@example.org "After the change" ny
at "2026-11-01 11:59:00" cron >/dev/null 2>&1
assert_ok '[ "$(issues ny)" = 1 ]' "Nov 1, 11:59 UTC is 06:59 EST (it was 07:59 EDT the day before): nothing"
at "2026-11-01 12:00:30" cron >/dev/null 2>&1
assert_ok '[ "$(issues ny)" = 2 ]' "07:00 EST = 12:00 UTC: issue 2, an hour later in UTC than before"

# Weekly digests go out on their weekday only.
set_clock "2026-12-02 04:00:00"
kith member add team wendy@example.org >/dev/null
kith member set team wendy@example.org mode=digest-weekly >/dev/null
kith list set team digest_weekday fri >/dev/null
kith list set team digest_max_kb 0 >/dev/null
kith cron >/dev/null 2>&1
post_at "2026-12-02 05:00:00" alice@example.org "Weekly topic"
at "2026-12-02 22:00:30" cron >/dev/null 2>&1
assert_ok '[ "$(count wendy@example.org)" = 0 ]' "Thursday in Seoul: no weekly digest"
at "2026-12-03 22:00:30" cron >/dev/null 2>&1
assert_ok '[ "$(count wendy@example.org)" = 1 ] && $MT header "$(last wendy@example.org)" Subject | grep -q "Team Digest, Vol 1, Issue"' "Friday 07:00 in Seoul: the weekly digest"

# The command line.
assert_ok 'kith digest ls team | grep -q "^Vol 1, Issue 1 .*daily .*2 posts, 2 members"' "kith digest ls"
assert_ok 'kith digest show team 1 --plain | grep -q "^End of Team Digest, Vol 1, Issue 1"' "kith digest show"
post_at "2026-12-04 01:00:00" alice@example.org "Preview topic"
set_clock "2026-12-04 01:30:00"
assert_ok 'kith digest preview team --plain | grep -q "1. Preview topic"' "kith digest preview shows the next issue"
before=$(issues)
assert_ok 'kith digest send team | grep -q "not due" && [ "$(issues)" = "$before" ]' "kith digest send: not due"
assert_ok 'kith digest send team --force | grep -q "queued daily issue" && [ "$(issues)" = $((before + 1)) ]' "kith digest send --force"

# A site template that does not render stops the digests: cron said so in
# a log line and exited 0, so nothing that watches cron's exit saw it
kith deliver >/dev/null 2>&1
post_at "2026-12-04 02:00:00" alice@example.org "Broken template topic"
mkdir -p "$T/var/templates/digest"
printf 'Contents: {{nosuch.thing}}\n' > "$T/var/templates/digest/contents.txt"
before=$(count bob@example.org)
at "2026-12-04 22:00:30" cron >/dev/null 2>"$T/cron.err"
rc=$?
assert_ok '[ $rc = 75 ] && grep -q "cron: digests: not done" "$T/cron.err" && grep -q "not every job was done" "$T/cron.err" && [ "$(count bob@example.org)" = "$before" ]' "a site digest template that does not render: kith cron exits 75 and names the job (got $rc: $(tr '\n' '|' < "$T/cron.err"))"
rm "$T/var/templates/digest/contents.txt"
at "2026-12-04 22:01:30" cron >/dev/null 2>&1
rc=$?
assert_ok '[ $rc = 0 ] && [ "$(count bob@example.org)" = $((before + 1)) ]' "mended, the next minute's cron sends the digest and exits 0 (got $rc)"
finish
