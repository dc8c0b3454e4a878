#!/bin/sh
# A real multipart post (Greek and Korean subject, UTF-8 quoted-printable
# body, PDF attachment) to a 3-member list, delivered over SMTP to a real
# server, checked with Python's email package; archived and searchable.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink
setup_list
kith list set team subject_prefix "[team]" >/dev/null
DATA=$KITH_SRCDIR/tests/data

rc=$(post "$DATA/greek-korean-pdf.eml")
assert_ok '[ "$rc" = 0 ]' "receive exits 0 for a member's post"
assert_ok '[ "$(kith queue --json)" = "{\"pending\": 3, \"sending\": 0, \"sent\": 0, \"deferred\": 0, \"failed\": 0}" ]' \
	"three outbox rows pending before delivery"
out=$(kith deliver)
assert_ok '[ "$out" = "3 sent, 0 deferred, 0 failed" ]' "kith deliver: $out"
$PY "$HERE/verify_post.py" --sink "$SINK_DIR" --original "$DATA/greek-korean-pdf.eml" \
	--list team@example.org --prefix "[team]" \
	--members alice@example.org,bob@example.org,carol@example.org > "$T/verify.out"
vrc=$?
cat "$T/verify.out"
assert_ok '[ $vrc = 0 ]' "the delivered copies pass every email-package check"

# Archive: stored once, searchable in Greek, Korean and Polish.
assert_ok '[ "$(kith archive ls team | wc -l)" = 1 ]' "one post in the archive"
assert_ok 'kith archive search team Παρασκευή | grep -q "greek\|alice"' "archive search finds a Greek word"
assert_ok 'kith archive search team 금요일 | grep -q alice' "archive search finds a Korean word"
assert_ok 'kith archive search team gęślą | grep -q alice' "archive search finds a Polish word"
assert_ok 'no_output kith archive search team nonexistentword' "a word not in the post finds nothing"
assert_ok 'kith archive show 1 --text | grep -q "συνάντηση είναι"' "archive show --text gives the decoded body"
assert_ok 'kith archive show 1 | cmp -s - "$DATA/greek-korean-pdf.eml"' "archive show gives the raw bytes received"

# mboxrd export parses with Python's mailbox module.
kith archive export team --mbox > "$T/team.mbox"
assert_ok '$PY -c "import mailbox,sys; b=mailbox.mbox(sys.argv[1]); sys.exit(0 if len(b)==1 and b[0][\"Message-ID\"]==\"<greek-korean-1@example.org>\" else 1)" "$T/team.mbox"' \
	"archive export --mbox parses as one message"
assert_ok 'grep -q "^>From the start of a line" "$T/team.mbox"' "mboxrd escapes From_ lines"

# A reply with an encoded "Re: [team]" subject keeps one prefix.
cat > "$T/reply.eml" <<'MAIL'
From: Bob <bob@example.org>
To: team@example.org
Subject: =?UTF-8?Q?Re=3A_=5Bteam=5D_Re=3A_=5Bteam=5D_Συνάντηση?=
Message-ID: <reply-1@example.org>
In-Reply-To: <greek-korean-1@example.org>
References: <greek-korean-1@example.org>

Count me in.
MAIL
rm -f "$SINK_DIR"/*
rc=$(post "$T/reply.eml" team@example.org bob@example.org)
kith deliver >/dev/null
f=$(ls "$SINK_DIR"/*.eml | head -n 1)
subj=$($PY -c "import email,email.policy,sys; print(email.message_from_binary_file(open(sys.argv[1],'rb'),policy=email.policy.default)['Subject'])" "$f")
assert_ok '[ "$subj" = "[team] Re: Συνάντηση" ]' "reply subject has the prefix once: '$subj'"
threads=$(db "SELECT count(DISTINCT thread_id) FROM posts")
assert_ok '[ "$threads" = 1 ]' "the reply is threaded with the post"
finish
