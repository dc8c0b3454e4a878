#!/bin/sh
# The MIME builder as a mail reader sees it.  Its golden files
# (tests/data/mime, written by tests/unit/test_mime.c with a seed) parsed
# with Python's email package: Korean, Greek and Czech names and subjects,
# RFC 2231 file names, every part's type and bytes, boundaries only where
# they belong.  Then every kind of mail Kith builds, sent for a list and
# members with Czech, Korean and Greek names, through a real SMTP sink:
# list copies, notices (one with the held post attached), MIME and RFC
# 1153 digests, a newsletter, invitations, a poll and its results, each
# checked for its shape (verify_mime.py shape).
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"
VM="$PY $HERE/verify_mime.py"

$VM "$KITH_SRCDIR/tests/data/mime" > "$T/golden"
r=$?
grep -v '^ok' "$T/golden"
assert_ok '[ $r = 0 ] && [ "$(grep -c "^ok" "$T/golden")" -ge 100 ]' "Python's email reads every golden file as built ($(grep -c '^ok' "$T/golden") checks)"

start_sink --pipelining
write_conf "smtp://127.0.0.1:$SINK_PORT" "web_base_url = https://lists.example.org/"
kith init >/dev/null
kith list create turisti@example.org --owner olga@example.org \
	--name "Pražští turisté a přátelé z Brna, Olomouce a okolí" >/dev/null
kith list set turisti subject_prefix "[Turisté]" >/dev/null
kith list set turisti moderate_nonmembers on >/dev/null 2>&1
kith member add turisti olga@example.org --name "Olga Nováková" >/dev/null
kith member add turisti minjun@example.org --name "김민준 (스터디장)" >/dev/null
kith member add turisti eleni@example.org --name "Ελένη Παπαδοπούλου" >/dev/null
kith member add turisti jiri@example.org --name "Jiří Dvořák" >/dev/null
kith member set turisti eleni@example.org mode=digest-daily >/dev/null
kith member set turisti jiri@example.org mode=digest-daily >/dev/null
kith member set turisti jiri@example.org digest_format=plain >/dev/null
kith deliver >/dev/null 2>&1

# a post with a Korean subject and an 8-bit Czech body: list copies
printf 'From: =?UTF-8?B?6rmA66+87KSA?= <minjun@example.org>\nTo: turisti@example.org\nSubject: =?UTF-8?B?7Iqk7YSw65SUIOuqqOyehCDslYjrgrQ=?=\nMessage-ID: <p1@test>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\nSraz v 8:00 na nádraží. 스터디 모임.\n' > "$T/p1"
kith receive -r turisti@example.org -f minjun@example.org < "$T/p1" 2>>"$T/receive.err"
# a stranger's post: held, and a notice with it attached goes to the owner
printf 'From: stranger@example.net\nTo: turisti@example.org\nSubject: =?UTF-8?Q?Dotaz_na_v=C3=BDlet?=\nMessage-ID: <p2@test>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\nMůžu jet s vámi?\n' > "$T/p2"
kith receive -r turisti@example.org -f stranger@example.net < "$T/p2" 2>>"$T/receive.err"
kith deliver >/dev/null 2>&1
kith digest send turisti --force >/dev/null 2>&1
# a newsletter with HTML
printf 'Dobrý den, {{member.name}},\n\nvýlet na Pálavu je v sobotu.\n' > "$T/nl.txt"
printf '<p>Dobrý den, {{member.name}},</p>\n<p>výlet na <b>Pálavu</b> je v sobotu.</p>\n' > "$T/nl.html"
id=$(kith newsletter create turisti --subject 'Zprávy pro {{member.name}}' --text "$T/nl.txt" --html "$T/nl.html")
kith newsletter send "$id" >/dev/null 2>&1
# an invitation, a poll and its results
kith event create turisti --title "Pálava: výlet · 소풍 · εκδρομή" --start "$(after 8d | cut -c1-16)" --duration 3h --tz Europe/Prague --location "Mikulov, nádraží" >/dev/null
pid=$(kith poll create turisti --question "Kam pojedeme? 어디로 갈까요?" --option "Pálava" --option "Beskydy")
kith deliver >/dev/null 2>&1
kith poll close "$pid" >/dev/null
kith deliver >/dev/null 2>&1

subjects=$(for f in "$SINK_DIR"/*.eml; do $MT header "$f" Subject; done)
kinds() { printf '%s\n' "$subjects" | grep -c "$1"; }
assert_ok '[ "$(kinds "^\[Turisté\] 스터디 모임 안내")" -ge 2 ] && [ "$(kinds "Digest, Vol 1, Issue 1")" = 2 ] && [ "$(kinds "^Zprávy pro")" -ge 3 ] && [ "$(kinds "^Invitation: Pálava")" -ge 3 ] && [ "$(kinds "^Poll: Kam pojedeme")" -ge 3 ] && [ "$(kinds "^Poll results")" -ge 1 ] && [ "$(kinds "Dotaz na výlet")" -ge 1 ]' "every kind of mail was sent ($(ls "$SINK_DIR"/*.eml | wc -l) mails)"
$VM shape "$SINK_DIR"/*.eml > "$T/shape"
r=$?
grep -v '^ok' "$T/shape"
assert_ok '[ $r = 0 ]' "each one parses cleanly, folds its header lines within 78, decodes, keeps its boundaries out of its parts ($(grep -c '^ok' "$T/shape") checks)"
f=$(grep -l "Dotaz_na_v" "$SINK_DIR"/*.eml | xargs grep -l "message/rfc822" | head -n 1)
assert_ok '[ -n "$f" ] && $PY -c "
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], \"rb\"), policy=email.policy.default)
held = [p for p in m.walk() if p.get_content_type() == \"message/rfc822\"][0]
post = open(sys.argv[2], \"rb\").read().replace(b\"\r\n\", b\"\n\")
assert held.get_payload()[0].as_bytes().replace(b\"\r\n\", b\"\n\").rstrip() == post.rstrip(), held
" "$f" "$T/p2"' "the held post travels inside the moderator's notice byte for byte"
finish
