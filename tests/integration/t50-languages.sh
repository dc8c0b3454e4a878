#!/bin/sh
# Languages end to end (issue 13): a Czech list and a Korean list through
# the real SMTP sink, subscribe -> confirm -> welcome -> post -> digest ->
# poll -> results -> goodbye, the member's commands written in the list's
# language.  Every mail is parsed with Python's email package and checked
# against the shipped translation it must come from (verify_lang.py reads
# the expected words from templates/LANG/ at test time): subject and text
# in the list's language, not English.  Then, inside the Czech list, a
# member who writes "set language el" gets Greek from then on while the
# others keep Czech.  A language whose texts are not translated yet
# (templates/LANG/welcome.txt missing) is skipped with a message; the
# commands, settings and fallbacks are checked whatever is translated.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"
. "$HERE/serve_lib.sh"

TPL=$KITH_SRCDIR/templates
VL="$PY $HERE/verify_lang.py"
# members with UTF-8 before the @ (jiří@, 민준@): the server takes them
# with SMTPUTF8, as Postfix does (smtputf8_enable)
start_sink --smtputf8
write_conf "smtp://127.0.0.1:$SINK_PORT" "web_base_url = https://lists.example.org/" \
	"[http]" "listen = 127.0.0.1:0"
export KITH_DB="$T/var/kith.db" SINK_DIR T
kith init >/dev/null
token_addr() { $MT header "$(last "$1")" Reply-To | sed 's/.*<//; s/>.*//'; }
is_member() { [ "$(db "SELECT count(*) FROM members WHERE address='$1' AND list_id=(SELECT id FROM lists WHERE local='$2')")" = 1 ]; }
# in_lang ADDRESS LANG NAME WHAT: the newest mail to ADDRESS is templates/LANG/NAME
in_lang() {
	f=$(last "$1")
	why=$($VL in "$f" "$TPL" "$2" "$3" 2>&1)
	assert_ok '[ -n "$f" ] && [ -z "$why" ]' "$4 ($2/$3${why:+: $why})"
}
translated() { [ -f "$TPL/$1/welcome.txt" ]; }
# first WORD of command.NAME in templates/LANG/LANGUAGE
word() { sed -n "s/^command\.$2 = \([^,]*\).*/\1/p" "$TPL/$1/LANGUAGE"; }

# ---- the settings: only a language Kith has ----
kith list create cz@example.org --owner alice@example.org --name "Spolek" >/dev/null
err=$(kith list set cz language xx 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && printf "%s\n" "$err" | grep -q "no language .xx.; it has: cs de el en"' "list set language xx is refused, naming the languages there are ($err)"
assert_ok '[ "$(kith list set cz language=cs)" = "cz@example.org: language = cs" ]' "list set cz language=cs"
assert_ok 'kith list show cz | grep -q "^language  *cs$"' "list show says so"
kith member add cz alice@example.org >/dev/null 2>&1
err=$(kith member set cz alice@example.org language=tlh 2>&1); rc=$?
assert_ok '[ $rc = 65 ]' "member set language=tlh is refused ($err)"

# run_list LANG LIST NAME SUBJECT: the whole life of a member, in LANG
run_list() {
	L=$1; LIST=$2; NAME=$3; SUBJ=$4
	if ! translated "$L"; then
		echo "# SKIP $L: templates/$L/welcome.txt is not there yet (its translation lands later); its end-to-end part is not run"
		return 0
	fi
	[ "$LIST" = cz ] || kith list create "$LIST@example.org" --owner alice@example.org --name "$NAME" >/dev/null
	kith list set "$LIST" language "$L" >/dev/null
	kith member add "$LIST" bob@example.org --name Bob >/dev/null
	rm -f "$SINK_DIR"/*

	# subscribe: the answer (with the confirmation) in the list's language
	send dora@example.net "$LIST-request@example.org" "$(word "$L" subscribe)" ""
	in_lang dora@example.net "$L" request-reply.txt "$L: the answer to '$(word "$L" subscribe)' is in $L"
	confirm=$(token_addr dora@example.net)
	send dora@example.net "$confirm" "Re: x" ""
	assert_ok 'is_member dora@example.net "$LIST"' "$L: confirming by an empty reply subscribes"
	in_lang dora@example.net "$L" welcome.txt "$L: the welcome"

	# a post whose subject and name are in the list's script
	printf 'From: =?UTF-8?B?%s?= <bob@example.org>\nTo: %s@example.org\nSubject: =?UTF-8?B?%s?=\nMessage-ID: <p-%s@x>\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n%s\n' \
		"$(printf '%s' "$NAME Bob" | base64 -w0)" "$LIST" "$(printf '%s' "$SUBJ" | base64 -w0)" "$L" "$SUBJ" > "$T/post-$L"
	kith receive -r "$LIST@example.org" -f bob@example.org < "$T/post-$L" 2>>"$T/receive.err"
	kith deliver >/dev/null 2>&1
	got=$($VL subject "$(last dora@example.net)")
	assert_ok '[ "$got" = "$SUBJ" ]' "$L: the post's subject in its script arrives intact ($got)"
	raw=$(grep -i "^Subject:" "$(last dora@example.net)" | head -1)
	assert_ok 'printf "%s\n" "$raw" | grep -q "=?UTF-8?"' "$L: encoded by RFC 2047 on the wire"

	# digest: asked for in the list's words, confirmed
	send dora@example.net "$LIST-request@example.org" "x" "$(word "$L" set) $(word "$L" digest) $(word "$L" daily)"
	send dora@example.net "$(token_addr dora@example.net)" "Re: x" ""
	assert_ok '[ "$(db "SELECT mode FROM members WHERE address='"'"'dora@example.net'"'"' AND list_id=(SELECT id FROM lists WHERE local='"'"'$LIST'"'"')")" = digest-daily ]' "$L: '$(word "$L" set) $(word "$L" digest) $(word "$L" daily)' sets digest-daily"
	in_lang dora@example.net "$L" request-reply.txt "$L: the confirmation's answer"
	kith receive -r "$LIST@example.org" -f bob@example.org < "$T/post-$L" 2>/dev/null
	sed "s/<p-$L@x>/<p2-$L@x>/" "$T/post-$L" > "$T/post2-$L"
	kith receive -r "$LIST@example.org" -f bob@example.org < "$T/post2-$L" 2>>"$T/receive.err"
	at "$(after 25h)" digest send "$LIST" --force >/dev/null 2>&1
	at "$(after 25h)" deliver >/dev/null 2>&1
	in_lang dora@example.net "$L" digest/subject.txt "$L: the digest"

	# a poll and its results
	id=$(kith poll create "$LIST" --question "$SUBJ?" --option A --option B)
	kith deliver >/dev/null 2>&1
	in_lang bob@example.org "$L" poll.txt "$L: the poll"
	printf 'From: bob@example.org\nTo: %s\nSubject: Re: x\nMessage-ID: <v-%s@x>\n\n1\n' "$(token_addr bob@example.org)" "$L" > "$T/vote-$L"
	kith receive -r "$(token_addr bob@example.org)" -f bob@example.org < "$T/vote-$L" 2>>"$T/receive.err"
	kith deliver >/dev/null 2>&1
	in_lang bob@example.org "$L" poll-voted.txt "$L: the vote's acknowledgement"
	kith poll close "$id" >/dev/null
	kith deliver >/dev/null 2>&1
	in_lang bob@example.org "$L" poll-results.txt "$L: the results"

	# help lists the language's own words
	send dora@example.net "$LIST-request@example.org" "$(word "$L" help)" ""
	body=$($VL body "$(last dora@example.net)")
	assert_ok 'printf "%s\n" "$body" | grep -qF "$(word "$L" unsubscribe)"' "$L: '$(word "$L" help)' answers with help naming '$(word "$L" unsubscribe)'"

	# goodbye
	send dora@example.net "$LIST-request@example.org" "x" "$(word "$L" unsubscribe)"
	send dora@example.net "$(token_addr dora@example.net)" "Re: x" ""
	assert_ok '! is_member dora@example.net "$LIST"' "$L: '$(word "$L" unsubscribe)', confirmed, leaves"
	in_lang dora@example.net "$L" goodbye.txt "$L: the goodbye"
}

run_list cs cz "Spolek" "Schůzka v úterý: kdo přijde?"
run_list ko kr "모임" "화요일 모임: 누가 오나요?"

# ---- inside one Czech list, one member switches to Greek ----
rm -f "$SINK_DIR"/*
kith member add cz carol@example.org --name Carol >/dev/null 2>&1
kith member add cz eva@example.org --name Eva >/dev/null 2>&1
kith list set cz language cs >/dev/null
send eva@example.org cz-request@example.org "x" "$(word cs set) $(word cs language) el"
assert_ok '[ "$(db "SELECT lang FROM members WHERE address='"'"'eva@example.org'"'"'")" = "" ]' "'$(word cs set) $(word cs language) el' waits for the confirmation"
send eva@example.org "$(token_addr eva@example.org)" "Re: x" ""
assert_ok '[ "$(db "SELECT lang FROM members WHERE address='"'"'eva@example.org'"'"'")" = el ]' "confirmed: Eva's language is el"
send eva@example.org cz-request@example.org "x" "set language klingon"
body=$($VL body "$(last eva@example.org)")
assert_ok 'printf "%s\n" "$body" | grep -q "cs (čeština)" && [ "$(db "SELECT lang FROM members WHERE address='"'"'eva@example.org'"'"'")" = el ]' "an unknown language changes nothing and the answer lists those there are"
if translated cs && translated el; then
	id=$(kith poll create cz --question "Kdy?" --option A --option B)
	kith deliver >/dev/null 2>&1
	in_lang eva@example.org el poll.txt "Eva gets the poll in Greek"
	in_lang carol@example.org cs poll.txt "Carol still gets it in Czech"
	send eva@example.org cz-request@example.org "βοήθεια" ""
	in_lang eva@example.org el help.txt "Eva's help, asked for in Greek words, is Greek"
	kith poll close "$id" >/dev/null
	kith deliver >/dev/null 2>&1
	in_lang carol@example.org cs poll-results.txt "the results, one copy for the list, are in the list's language"
	send eva@example.org cz-request@example.org "x" "set language default"
	send eva@example.org "$(token_addr eva@example.org)" "Re: x" ""
	assert_ok '[ "$(db "SELECT lang FROM members WHERE address='"'"'eva@example.org'"'"'")" = "" ]' "'set language default' gives her the list's again"
	in_lang eva@example.org cs request-reply.txt "and the answer to that is Czech"
else
	echo "# SKIP Greek in a Czech list: templates/cs or templates/el not translated yet"
	# what can be checked without the texts: the member's language is used
	kith member set cz eva@example.org language=el >/dev/null
	assert_ok '[ "$(db "SELECT lang FROM members WHERE address='"'"'eva@example.org'"'"'")" = el ]' "kith member set ... language=el"
fi

# ---- a stranger whose mail says Korean joins a Czech list in Korean ----
rm -f "$SINK_DIR"/*
send hana@example.net cz-request@example.org "subscribe" "" "Content-Language: ko-KR"
send hana@example.net "$(token_addr hana@example.net)" "Re: x" ""
assert_ok '[ "$(db "SELECT lang FROM members WHERE address='"'"'hana@example.net'"'"'")" = ko ]' "Content-Language: ko-KR starts the member in ko"
if translated ko; then
	in_lang hana@example.net ko welcome.txt "and the welcome is Korean"
fi
send ivan@example.net cz-request@example.org "subscribe" "" "Accept-Language: de-AT, cs;q=0.9, en;q=0.5"
send ivan@example.net "$(token_addr ivan@example.net)" "Re: x" ""
assert_ok '[ "$(db "SELECT lang FROM members WHERE address='"'"'ivan@example.net'"'"'")" = de ] && is_member ivan@example.net cz' "Accept-Language: de-AT, cs;q=0.9 starts the member in de, the first Kith has by q"
send jan@example.net cz-request@example.org "subscribe" "" "Accept-Language: tlh, cs;q=0.8"
send jan@example.net "$(token_addr jan@example.net)" "Re: x" ""
assert_ok '[ "$(db "SELECT lang FROM members WHERE address='"'"'jan@example.net'"'"'")" = "" ] && is_member jan@example.net cz' "Accept-Language naming the list's own language keeps the member on the list's"

# ---- owners and moderators read their own language ----
# (the site's own Greek wording, DATA/templates/el/: found for a reader in
# el whatever the shipped translations hold)
mkdir -p "$T/var/templates/el"
printf 'Subject: EL-JOIN {{member.address}}\n\nEL-OWNER {{member.address}}\n' > "$T/var/templates/el/owner-join.txt"
printf 'Subject: EL-HELD {{subject}}\n\nEL-HELD-BODY {{id}}\n{{web}}\n' > "$T/var/templates/el/held-moderator.txt"
printf 'EL-WEB {{url}}\n' > "$T/var/templates/el/held-moderator-web.txt"
kith member set cz alice@example.org language=el >/dev/null
rm -f "$SINK_DIR"/*
send kim@example.net cz-request@example.org "subscribe" ""
send kim@example.net "$(token_addr kim@example.net)" "Re: x" ""
assert_ok '[ "$($VL subject "$(last alice@example.org)")" = "EL-JOIN kim@example.net" ]' "the owner, whose language is el, is told of the join in el"
assert_ok '! grep -rl "EL-" "$SINK_DIR" | xargs -r grep -l "^To: <kim@example.net>" | grep -q .' "the new member's own mail is not in el"
kith list set cz posting moderated >/dev/null
send carol@example.org cz@example.org "Dotaz" "text"
f=$(last alice@example.org)
body=$($VL body "$f")
assert_ok '[ "$($VL subject "$f")" = "EL-HELD Dotaz" ] && printf "%s\n" "$body" | grep -q "^EL-WEB https://lists.example.org/"' "the moderator's held notice, its web link part included, is in el"
kith list set cz posting members >/dev/null

# ---- a confirmation answered in the reader's language ----
kith list create ua@example.org --owner alice@example.org --name "Громада" >/dev/null
kith list set ua language uk >/dev/null
send petro@example.net ua-request@example.org "$(word uk subscribe)" ""
send petro@example.net "$(token_addr petro@example.net)" "Re: x" "так"
assert_ok 'is_member petro@example.net ua' "a Ukrainian list: '$(word uk subscribe)', then 'так' to the confirmation, joins"
send taras@example.net ua-request@example.org "$(word uk subscribe)" ""
send taras@example.net "$(token_addr taras@example.net)" "Re: x" "ні, дякую"
assert_ok '! is_member taras@example.net ua && [ "$(db "SELECT count(*) FROM pending WHERE address='"'"'taras@example.net'"'"'")" = 0 ]' "'ні' cancels"

# ---- multilingual mail, whatever is translated ----
# Subjects and names in five scripts through a list: RFC 2047 on the way
# out, decoded back to the same text by Python's email package; the
# digest's contents and the stats report line up by display width.
kith list create mix@example.org --owner alice@example.org --name "Mix" >/dev/null
kith member add mix carol@example.org >/dev/null
kith member set mix carol@example.org mode=digest-daily >/dev/null
# a prefix: Kith writes every subject anew (decoded, prefixed, encoded)
kith list set mix subject_prefix "[mix]" >/dev/null
mixpost() { # FROM NAME SUBJECT
	n=$((n + 1))
	printf 'From: =?UTF-8?B?%s?= <%s>\nTo: mix@example.org\nSubject: =?UTF-8?B?%s?=\nMessage-ID: <mix%s@x>\nContent-Type: text/plain; charset=UTF-8\n\nx\n' \
		"$(printf '%s' "$2" | base64 -w0)" "$1" "$(printf '%s' "$3" | base64 -w0)" "$n" > "$T/mix$n"
	kith member add mix "$1" >/dev/null 2>&1
	kith receive -r mix@example.org -f "$1" < "$T/mix$n" 2>>"$T/receive.err"
}
rm -f "$SINK_DIR"/*
mixpost 'jiří@example.cz' "Jiří Dvořák" "Pálava v sobotu — kdo jede?"
mixpost '민준@example.kr' "김민준" "화요일 모임 안내"
mixpost eleni@example.gr "Ελένη Παπαδοπούλου" "Συνάντηση την Τρίτη"
mixpost olga@example.ua "Ольга Шевченко" "Зустріч у вівторок"
mixpost nils@example.no "Nils Ødegård" "회의록 2026년 11월 스터디 모임 최종본 — 다음 주 화요일 저녁 일곱 시 강남역 근처 카페에서 만나요"
kith deliver >/dev/null 2>&1
mixpost eleni@example.gr "Ελένη Παπαδοπούλου" "Re: 화요일 모임 안내"
kith deliver >/dev/null 2>&1
$PY - "$SINK_DIR" > "$T/mix.out" 2>&1 <<'EOF'
import email, email.policy, glob, json, sys
want = {"Pálava v sobotu — kdo jede?": "Jiří Dvořák",
        "화요일 모임 안내": "김민준",
        "Συνάντηση την Τρίτη": "Ελένη Παπαδοπούλου",
        "Зустріч у вівторок": "Ольга Шевченко",
        "회의록 2026년 11월 스터디 모임 최종본 — 다음 주 화요일 저녁 일곱 시 강남역 근처 카페에서 만나요": "Nils Ødegård"}
seen = {}
for js in sorted(glob.glob(sys.argv[1] + "/*.json")):
    if "jiří@example.cz" not in json.load(open(js))["rcpt_tos"]:
        continue
    raw = open(js[:-5] + ".eml", "rb").read()
    m = email.message_from_bytes(raw, policy=email.policy.default)
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    # the Subject as Kith wrote it: 7-bit, folded into lines of 78 at most
    k = [i for i, l in enumerate(head) if l.lower().startswith(b"subject:")][0]
    field = [head[k]] + [l for l in head[k + 1:k + 20] if l[:1] in (b" ", b"\t")]
    if any(b > 127 for l in field for b in l) or any(len(l) > 78 for l in field):
        print("not ok - the Subject field is not 7-bit lines of 78 at most: %r" % field)
    seen[str(m["Subject"]).replace("[mix] ", "", 1)] = m["From"].addresses[0].display_name
for s, name in want.items():
    ok = seen.get(s) == name
    print("%s - %r from %r arrives as written" % ("ok" if ok else "not ok", s[:24], name))
EOF
cat "$T/mix.out"
PASSED=$((PASSED + $(grep -c '^ok ' "$T/mix.out")))
FAILED=$((FAILED + $(grep -c '^not ok ' "$T/mix.out")))
at "$(after 25h)" digest send mix --force >/dev/null 2>&1
at "$(after 25h)" deliver >/dev/null 2>&1
f=$(last carol@example.org)
cols=$($PY - "$f" <<'EOF'
import email, email.policy, sys, unicodedata
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
toc = next(m.walk()).get_body(preferencelist=("plain",)).get_content() if m.is_multipart() else m.get_content()
width = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in s)
cols = set()
for line in toc.splitlines():
    if line.strip()[:1].isdigit() and " (" in line:
        subject = line[:line.rindex(" (")].split(". ", 1)[1].rstrip()
        if width(subject) <= 44:	# a longer one is not cut
            cols.add(width(line[:line.rindex(" (")]))
print(" ".join(map(str, sorted(cols))), len([l for l in toc.splitlines() if l.strip()[:1].isdigit()]))
EOF
)
assert_ok '[ "$cols" = "50 6" ]' "the digest's contents: 6 topics, every author at one display column though the subjects are Korean, Greek, Czech ($cols)"
kith stats mix > "$T/stats.out" 2>&1
cols=$($PY - "$T/stats.out" <<'EOF'
import re, sys, unicodedata
width = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
text = open(sys.argv[1], encoding="utf-8").read()
top = text.split("top contributors", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
print(" ".join(sorted({str(width(re.match(r"(.*?\d+ +\d+ +\d+)  ", l).group(1))) for l in top})), len(top))
EOF
)
assert_ok '[ "$cols" = "53 5" ]' "kith stats: the top contributors' numbers line up by display width, addresses in Czech and Korean too ($cols)"

# ---- kith check speaks of the languages in use ----
kith check >/dev/null 2>"$T/check.err"; rc=$?
assert_ok '[ $rc = 0 ]' "kith check passes: untranslated texts are warnings"
if ! translated cs; then
	assert_ok 'grep -q "no text is in .cs. yet; English is sent instead" "$T/check.err"' "it says the list's language cs has no texts yet"
fi
assert_ok 'grep -q "templates/el/owner-join.txt: never shows {{list.name}}, which the English text" "$T/check.err"' "it names a value the site's Greek text leaves out (el: Alice's language)"
assert_ok '! grep -q "in .fr. yet\|in .pl. yet" "$T/check.err"' "and says nothing of languages nobody uses"

# ---- the web preference page: a choice of the languages Kith has ----
kith member set cz eva@example.org language=el >/dev/null
send eva@example.org cz-request@example.org "info" ""
serve_at "$NOW"
pycheck <<'EOF'
from webtool import *
body = text_of(mails_to("eva@example.org")[-1])
m = re.search(r"https://lists\.example\.org(/p/[0-9]+-0-[a-z2-7]{16})", body)
check(m is not None, "a notice to Eva links to her preference page")
p = m.group(1)
r = get(p)
lang = lambda: one("SELECT lang FROM members WHERE address='eva@example.org'")
opts = re.findall(r'<option value="([^"]*)"\s*(selected)?>', r.text)
check(r.status == 200 and 'name="language"' in r.text and
      [o[0] for o in opts] == ["", "cs", "de", "el", "en", "es", "fr", "ko", "nb", "pl", "uk"],
      "the page offers the list's language and every language Kith has (%r)" % [o[0] for o in opts])
check([o[0] for o in opts if o[1]] == ["el"], "Eva's own, el, is selected")
check(re.search(r'<option value="el"\s*selected>Ελληνικά</option>', r.text) and "(čeština)" in r.text,
      "each by its own name; the default names the list's (čeština)")
csrf = r.field("csrf")
form = {"csrf": csrf, "action": "save", "delivery": "each", "format": "mime", "thanks": "on"}
r = post_form(p, dict(form, language="ko", csrf="f-0-aaaaaaaaaaaaaaaa"))
check(r.status == 403 and lang() == "el", "a forged CSRF token changes nothing")
r = post_form(p, dict(form, language="ko"))
check(r.status == 200 and lang() == "ko" and re.search(r'<option value="ko"\s*selected>', r.text),
      "POST language=ko sets Eva's language and shows it (%r)" % lang())
r = post_form(p, dict(form, language="tlh"))
check(lang() == "ko", "a language Kith does not have changes nothing")
r = post_form(p, dict(form, language="../../etc"))
check(lang() == "ko", "nor does a path")
r = post_form(p, form)
check(lang() == "ko", "a form without the field leaves it")
r = post_form(p, dict(form, language=""))
check(lang() == "" and re.search(r'<option value=""\s*selected>', r.text), "the list's language again")
# the join form: the browser's Accept-Language goes with the confirmation
r = get("/l/cz")
r = post_form("/l/cz", {"csrf": r.field("csrf"), "address": "lea@example.net", "name": "Lea"},
              headers={"Accept-Language": "tlh, ko-KR;q=0.9, en;q=0.8"})
check(r.status == 200 and db("SELECT commands FROM pending WHERE address='lea@example.net'") ==
      [("subscribe language=ko Lea",)], "a join from a browser asking for Korean carries ko with it (%r)" %
      db("SELECT commands FROM pending WHERE address='lea@example.net'"))
r = get("/l/cz")
r = post_form("/l/cz", {"csrf": r.field("csrf"), "address": "max@example.net", "name": "Max"},
              headers={"Accept-Language": "cs-CZ, en;q=0.5"})
check(db("SELECT commands FROM pending WHERE address='max@example.net'") == [("subscribe Max",)],
      "one asking for the list's own language carries nothing")

# pages for visitors: the browser's language when Kith has it, else the
# list's (English without a list); a member's page is in the member's
def page_lang(path, accept=None):
    r = get(path, headers={"Accept-Language": accept} if accept else {})
    m = re.search(r'<html lang="([^"]*)"', r.text)
    return r, m.group(1) if m else None
def shipped(lang, name):
    tpl = os.path.join("..", "..", "templates", lang, "web", name)  # from tests/integration
    return open(tpl, encoding="utf-8").readline().strip()
r, l = page_lang("/l/cz")
check(r.status == 200 and l == "cs" and r.headers.get("vary") == "Accept-Language",
      "the list page with no Accept-Language is in the list's language, cs, with Vary: Accept-Language (%r, %r)" %
      (l, r.headers.get("vary")))
r, l = page_lang("/l/cz", "tlh, ko-KR;q=0.9, en;q=0.8")
check(r.status == 200 and l == "ko" and shipped("ko", "join-form.html") in r.text,
      "a browser asking for Korean gets the list page and its join form in Korean (%r)" % l)
r, l = page_lang("/l/cz", "tlh, x-klingon")
check(l == "cs", "a browser asking only for languages Kith does not have gets the list's (%r)" % l)
r, l = page_lang("/a/cz/")
check(r.status == 403 and l == "cs", "the members' archive's login page is in the list's language, cs (%r %r)" % (r.status, l))
r, l = page_lang("/a/kr/")
check(r.status == 403 and l == "ko", "and the Korean list's in Korean (%r)" % l)
r, l = page_lang("/a/cz/", "de-AT, de;q=0.9")
check(r.status == 403 and l == "de", "a German browser reads it in German (%r)" % l)
r, l = page_lang("/nowhere", "uk")
check(r.status == 404 and l == "uk" and shipped("uk", "error-notfound.html") in r.text,
      "a page that is not there says so in the browser's language, Ukrainian (%r)" % l)
r, l = page_lang("/nowhere")
check(r.status == 404 and l == "en", "in English to a browser that names none (%r)" % l)
r, l = page_lang(p, "de")
check(r.status == 200 and l == "cs", "Eva's preference page follows Eva's choice (the list's, cs), not her browser's de (%r)" % l)
EOF
kith deliver >/dev/null 2>&1
send lea@example.net "$(token_addr lea@example.net)" "Re: x" ""
assert_ok 'is_member lea@example.net cz && [ "$(db "SELECT lang FROM members WHERE address='"'"'lea@example.net'"'"'")" = ko ]' "confirmed: Lea joins, in Korean"
serve_stop

finish
