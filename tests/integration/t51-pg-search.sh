#!/bin/sh
# t51-pg-search - the archive's search and `kith member forget` on the
# PostgreSQL backend (issue 19: where the two must differ, the difference
# lives in the backend), on a private cluster (scripts/pg-start.sh), held
# against the same posts on sqlite: the same hits for words, phrases,
# prefixes, -words, subject:, from:, dates, diacritics in any script,
# Korean and Japanese found inside longer words (pg_trgm), the marks in
# the subject and the snippet; the web archive's search page through
# kith serve; the index kept right as posts are removed, anonymised and
# forgotten; forget's search of raw messages (kith_mentions) finding the
# same mails on both; a forgotten vote and the waitlist (schema 19 ids).
# It starts its own PostgreSQL cluster and sets each site's storage
# itself: the suite's PostgreSQL pass (KITH_TEST_BACKEND) adds nothing.
OWN_CLUSTER=1
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"
. "$HERE/serve_lib.sh"

trap 'serve_stop; cleanup' EXIT
own_cluster
pq() { "$PGBIN/psql" "$DSN" -XtAq -c "$1"; }
export T

# Two sites, the same posts: sqlite in $T/lite, PostgreSQL in $T/pg.
use() {
	KITH_CONF=$T/$1.conf
	export KITH_CONF
}
for b in lite pg; do
	KITH_CONF=$T/$b.conf
	mkdir -p "$T/$b"
	if [ $b = pg ]; then
		write_conf "maildir:$T/$b/md" "web_base_url = https://lists.example.org/kith/" \
			"[http]" "listen = 127.0.0.1:0" "[storage]" "backend = postgresql" "dsn = $DSN"
	else
		write_conf "maildir:$T/$b/md" "web_base_url = https://lists.example.org/kith/" \
			"[http]" "listen = 127.0.0.1:0"
	fi
	sed -i "s|^data_dir = .*|data_dir = $T/$b/var|" "$KITH_CONF"
done

n=0
# mail FROM SUBJECT BODY [headers...] - one post to team, as send does
mail() {
	from=$1; subject=$2; body=$3; shift 3
	n=$((n + 1))
	{
		case "$*" in *From:*) ;; *) echo "From: <$from>";; esac
		echo "To: <team@example.org>"
		echo "Subject: $subject"
		echo "Message-ID: <m$n@test>"
		echo "MIME-Version: 1.0"
		echo "Content-Type: text/plain; charset=utf-8"
		for h in "$@"; do echo "$h"; done
		echo
		printf '%b\n' "$body"
	} > "$T/mail$n"
	for b in lite pg; do
		use $b
		at "2026-05-$((10 + n)) 10:00:00" receive -r team@example.org -f "$from" \
			< "$T/mail$n" 2>>"$T/receive.err" || echo "receive $b $n: $?" >>"$T/receive.err"
	done
}

for b in lite pg; do
	use $b
	kith init >/dev/null
	kith list create team@example.org --owner alice@example.org --name Team >/dev/null
	kith member add team bob@example.org --name Bob >/dev/null
	kith member add team carol@example.org --name Carol >/dev/null
	kith member add team dave@example.org --name Dave >/dev/null
	kith member add team erin@example.org --name Erin >/dev/null
	kith list set team subject_prefix "[team]" >/dev/null
	kith list set team archive public >/dev/null
done
use pg
assert_ok '[ "$(pq "SELECT version FROM kith_schema")" = 23 ]' "kith init on PostgreSQL makes schema 23"

mail alice@example.org "Picnic on Saturday" "Shall we meet by the pond?\nBring food for everyone.\n\n-- \nAlice" \
	"From: Alice <alice@example.org>"
mail bob@example.org "Re: [team] Picnic on Saturday" "I will bring tea.\n\n> Shall we meet\n> by the pond?" \
	"From: Bob <bob@example.org>" "In-Reply-To: <m1@test>" "References: <m1@test>"
mail carol@example.org "Re: Re: Picnic on Saturday" "And I bring cake. Picnics are the best." \
	"From: Carol <carol@example.org>" "In-Reply-To: <m2@test>" "References: <m1@test> <m2@test>"
mail dave@example.org "화요일 모임" "화요일에 만나요. 회의는 3시에 시작합니다." \
	"From: =?utf-8?b?6rmA66+87KeA?= <dave@example.org>"
mail bob@example.org "Καλημέρα" "Καλημέρα σε όλους! Θα έρθω την Παρασκευή." \
	"From: Bob <bob@example.org>"
mail erin@example.org "会議の予定" "来週の会議は東京で行います。資料を持ってきてください。" \
	"From: Erin <erin@example.org>"
mail carol@example.org "Příliš žluťoučký kůň" "Úpěl ďábelské ódy, the book club reads it next." \
	"From: Carol <carol@example.org>"
mail dave@example.org "Book club minutes" "The book club met; minutes attached. Ask frank@elsewhere.example about the club's tea." \
	"From: Dave <dave@example.org>"
mail alice@example.org "Tea and picnic" "Picnic, picnic, picnic: tea in the subject and the body too." \
	"From: Alice <alice@example.org>"
assert_ok '! grep -q "^receive " "$T/receive.err"' "each post is received on both backends ($(grep "^receive " "$T/receive.err"))"
assert_ok '[ "$(pq "SELECT count(*) FROM posts WHERE archived<>0")" = 9 ]' "nine posts archived in PostgreSQL"
assert_ok '[ "$(pq "SELECT count(*) FROM pg_indexes WHERE indexname IN ('"'posts_search'"', '"'posts_trgm'"')")" = 2 ]' "the word and trigram indexes are there"

# hits Q - the search's hits as "#num subject | snippet" lines (--json)
hits() {
	kith archive search team "$@" --json | $PY -c '
import json, sys
for h in json.load(sys.stdin):
    print("#%s %s | %s" % (h["number"], h["subject"], h.get("snippet", "")))' 2>/dev/null
}
# nums Q - the hits' numbers in order, "#N #M "
nums() {
	kith archive search team "$@" --json | $PY -c '
import json, sys
print("".join("#%s " % h["number"] for h in json.load(sys.stdin)), end="")'
}
# set_of Q - the same, in number order
set_of() { nums "$@" | tr " " "\n" | sort | tr "\n" " "; }

# Every query on both: the same posts.  The order is the ranking's:
# bm25 on sqlite, ts_rank on PostgreSQL, which agree on what counts more
# (the subject three times the body, more occurrences) but not on every
# score: same_order where the order follows from that alone.
same() {
	use lite; a=$(set_of "$@"); use pg; b=$(set_of "$@")
	assert_ok '[ -n "$a" ] && [ "$a" = "$b" ]' "search $* : the same posts on both ($a / $b)"
}
same_order() {
	use lite; a=$(nums "$@"); use pg; b=$(nums "$@")
	assert_ok '[ -n "$a" ] && [ "$a" = "$b" ]' "search $* : the same posts in the same order on both ($a / $b)"
}
same picnic
same tea
same '"book club"'
same 'picn*'
same 'picnic -cake'
same 'subject:picnic'
same 'subject:"book club"'
same 'from:carol'
same 'from:carol picnic'
same 'tea after:2026-05-17'
same 'picnic before:2026-05-13'
same 화요일
same 요일
same 会議
same 東京
same καλημερα
same prilis
same 'kun zlutoucky'
same frank
same 'elsewhere'
same 'tea -picnic'
same_order 'from:carol'
same_order 'tea after:2026-05-17'
same_order '"book club"'
use pg
assert_ok '[ "$(nums 화요일)" = "#4 " ]' "Korean inside a longer word on PostgreSQL: 화요일 finds 화요일에 (#4)"
assert_ok '[ "$(nums 東京)" = "#6 " ] && [ "$(nums 会議)" = "#6 " ]' "Japanese inside a sentence on PostgreSQL: 東京, 会議 (#6)"
assert_ok '[ "$(nums καλημερα)" = "#5 " ] && [ "$(nums prilis)" = "#7 " ]' "diacritics folded on PostgreSQL: καλημερα, prilis"
assert_ok '[ -z "$(nums kalimera)" ]' "but kalimera is not καλημέρα (on both: $(use lite; nums kalimera))"
assert_ok '[ "$(nums '"'"'"bring tea"'"'"')" = "#2 " ] && [ -z "$(nums '"'"'"tea bring"'"'"')" ]' "a phrase is its words in order"
assert_ok '[ "$(nums "subject:tea")" = "#9 " ]' "subject: looks at the subject only (#9, not the posts with tea in the body)"
r=$(nums picnic)
assert_ok '[ "${r%% *}" = "#9" ]' "the subject counts more: Tea and picnic (in the subject and thrice in the body) first ($r)"
assert_ok 'hits 화요일 | grep -q "^#4 화요일 모임 | \[화요일\]에 만나요"' "the snippet marks the Korean word ($(hits 화요일))"
assert_ok 'hits 会議 | grep -q "\[会議\]"' "and the Japanese one ($(hits 会議))"
assert_ok 'hits "\"book club\"" | grep -q "^#8 .*\[book\] \[club\]"' "the snippet marks a phrase's words ($(hits '"book club"' | head -1))"
assert_ok 'hits καλημερα | grep -q "\[Καλημέρα\]"' "and a Greek word typed without accents, as written ($(hits καλημερα))"
use lite
assert_ok 'hits καλημερα | grep -q "\[Καλημέρα\]"' "(on sqlite too)"

# The web archive's search page on PostgreSQL (kith serve).
use pg
serve_at "$NOW"
assert_ok '[ -n "$KITH_PORT" ]' "kith serve on PostgreSQL listens ($(tail -n 2 "$T/serve.err" 2>/dev/null))"
pycheck <<'EOF'
from webtool import *
r = get("/a/team/?q=" + urllib.parse.quote("화요일"))
check(r.status == 200 and "<mark>화요일</mark> 모임</a>" in r.text and "<mark>화요일</mark>에 만나요" in r.text,
      "web search on PostgreSQL: a Korean word inside a longer one, marked in subject and snippet")
r = get("/a/team/?q=" + urllib.parse.quote("東京"))
check(r.status == 200 and "会議の予定" in r.text and "<mark>東京</mark>" in r.text, "web search: Japanese")
r = get("/a/team/?q=" + urllib.parse.quote("καλημερα"))
check("<mark>Καλημέρα</mark>" in r.text, "web search: Greek typed without accents")
r = get("/a/team/?q=" + urllib.parse.quote('"bring tea"'))
check("<mark>bring</mark> <mark>tea</mark>" in r.text and "cake" not in r.text, "web search: a phrase")
r = get("/a/team/?q=" + urllib.parse.quote("from:carol"))
check("Příliš" in r.text and "Picnic" in r.text and "Καλημέρα" not in r.text, "web search: from:")
r = get("/a/team/?q=" + urllib.parse.quote("subject:picnic -cake"))
check("bring tea" in r.text and "bring cake" not in r.text, "web search: subject: and -word")
r = get("/a/team/?q=" + urllib.parse.quote("nosuchword"))
check(r.status == 200 and "Nothing found" in r.text, "web search: nothing found")
EOF
serve_stop

# The index follows the posts: removed, anonymised (forget), forgotten.
for b in lite pg; do
	use $b
	id=$(kith archive search team cake --json | $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
	kith archive rm "$id" --reason "off topic" >/dev/null
done
same picnic
use pg
assert_ok '[ -z "$(nums cake)" ]' "a removed post is no longer found on PostgreSQL"

# forget: raw messages searched for the address (kith_mentions) on both.
# A held post and a quarantined mail that name frank in their bytes only.
for b in lite pg; do
	use $b
	printf 'From: Frank <FRANK@Elsewhere.Example>\nTo: team@example.org\nSubject: hello\nMessage-ID: <f1@test>\n\nHi all\n' |
		at "2026-05-25 10:00:00" receive -r team@example.org -f FRANK@elsewhere.example >/dev/null 2>&1
	printf 'From: nobody@example.net\nTo: team@example.org\nSubject: fwd\nMessage-ID: <f2@test>\nX-Note: bytes \377\376 then Frank@ELSEWHERE.example\n\nforwarded\n' |
		at "2026-05-25 10:01:00" receive -r team@example.org -f nobody@example.net >/dev/null 2>&1
done
use lite
lite_out=$(kith member forget frank@elsewhere.example --posts anonymise --yes 2>&1)
lite_rc=$?
use pg
pg_out=$(kith member forget frank@elsewhere.example --posts anonymise --yes 2>&1)
pg_rc=$?
assert_ok '[ $pg_rc = 0 ] && [ $lite_rc = 0 ]' "kith member forget exits 0 on both ($pg_rc/$lite_rc: $pg_out)"
assert_ok '[ "$pg_out" = "$lite_out" ]' "and reports the same on both (pg: $pg_out | sqlite: $lite_out)"
assert_ok '[ -z "$(nums frank)" ] && [ "$(nums forgotten)" = "#8 " ]' "the post that quoted the address is found by what replaced it, not by the address ($(nums frank) / $(nums forgotten))"
use lite
assert_ok '[ -z "$(nums frank)" ] && [ "$(nums forgotten)" = "#8 " ]' "(so on sqlite)"
assert_ok '[ "$(pq "SELECT count(*) FROM posts WHERE kith_mentions(raw, '"'frank@elsewhere.example'"')")" = 0 ]' "no raw message in PostgreSQL names the address any more"

# The unit tests that hold both backends to the same answers
# (tests/unit/test_pg_search.c: kith_mentions byte by byte, the
# waitlist's first come, forgotten votes, a post of a megabyte of
# distinct words) on this cluster, as t50 runs test_db_pg.
env -u LD_PRELOAD -u FAKETIME CK_RUN_SUITE=pg_search "KITH_TEST_PG_DSN=$DSN" \
	"$(dirname "$KITH_BIN")/tests/unit/run_unit" > "$T/unit.out" 2>&1
rc=$?
assert_ok '[ $rc = 0 ] && grep -q "100%: Checks: [1-9][0-9]*, Failures: 0, Errors: 0" "$T/unit.out"' \
	"test_pg_search on sqlite and PostgreSQL: $(grep "Checks:" "$T/unit.out") $(grep -m3 ":[EF]:" "$T/unit.out")"
finish
