#!/bin/sh
# Policy on the posting path: non-members, loops, automatic mail,
# duplicates, unknown lists, garbage, size, announce-only, sub-addresses.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink
setup_list
# Non-members' posts are held for moderators by default (t09); here they
# are refused with a notice.
kith list set team nonmember_action reject >/dev/null

mail() {
	# mail FILE FROM SUBJECT MSGID [extra header lines...]
	f=$1; from=$2; subj=$3; id=$4; shift 4
	{
		echo "From: <$from>"
		echo "To: team@example.org"
		echo "Subject: $subj"
		[ -n "$id" ] && echo "Message-ID: <$id>"
		for h in "$@"; do printf '%s\n' "$h"; done
		echo
		echo "Body of $subj"
	} > "$f"
}
deliveries_to() {
	grep -l "\"$1\"" "$SINK_DIR"/*.json 2>/dev/null | wc -l
}
flush() {
	kith deliver >/dev/null
}

# A stranger is refused with one polite notice, and nothing is posted.
mail "$T/m1" stranger@example.net "hello list" m1@x
assert_ok '[ "$(post "$T/m1" team@example.org stranger@example.net)" = 0 ]' "non-member post: exit 0"
flush
assert_ok '[ "$(sink_count)" = 1 ]' "non-member post: only the notice went out"
assert_ok '[ "$(deliveries_to stranger@example.net)" = 1 ]' "the notice goes to the sender"
n=$(ls "$SINK_DIR"/*.eml | head -n 1)
assert_ok 'grep -q "^Auto-Submitted: auto-replied" "$n"' "the notice says Auto-Submitted: auto-replied"
assert_ok 'grep -q "^From: \"Team\" <team-owner@example.org>" "$n"' "the notice comes from team-owner@"
assert_ok 'grep -q "only members of Team can post" "$n"' "the notice says why"
assert_ok 'no_output kith archive ls team' "a refused post is not archived"

# ...but never to automatic mail or bounces.
rm -f "$SINK_DIR"/*
mail "$T/m2" stranger@example.net "Out of Office: away" m2@x "Auto-Submitted: auto-replied"
assert_ok '[ "$(post "$T/m2" team@example.org stranger@example.net)" = 0 ]' "non-member auto-reply: exit 0"
mail "$T/m3" mailer-daemon@example.net "Undelivered Mail" m3@x
assert_ok '[ "$(kith receive -r team@example.org -f "" < "$T/m3"; echo $?)" = 0 ]' "bounce with null sender: exit 0"
flush
assert_ok '[ "$(sink_count)" = 0 ]' "no notice to auto-replies or bounces"

# Member mail that is automatic or looped is not posted.
for case in "Auto-Submitted: auto-replied" "Precedence: bulk" "Precedence: junk" \
	"X-Loop: team@example.org" "List-Id: Team <team.example.org>" "X-Autoreply: yes"; do
	id=$(printf '%s\n' "$case" | tr -c 'a-z0-9' '.')x@x
	mail "$T/m4" bob@example.org "looping" "$id" "$case"
	assert_ok '[ "$(post "$T/m4" team@example.org bob@example.org)" = 0 ]' "'$case': exit 0"
done
mail "$T/m5" bob@example.org "Automatic reply: on holiday" m5@x
post "$T/m5" team@example.org bob@example.org >/dev/null
flush
assert_ok '[ "$(sink_count)" = 0 ]' "loops, auto-replies and out-of-office are not posted"
assert_ok 'grep -q "loop (our List-Id or X-Loop)" "$T/receive.err"' "loop drop is logged"

# The same Message-ID twice is delivered once.
mail "$T/m6" bob@example.org "twice" dup@x
post "$T/m6" team@example.org bob@example.org >/dev/null
assert_ok '[ "$(post "$T/m6" team@example.org bob@example.org)" = 0 ]' "duplicate: exit 0"
flush
assert_ok '[ "$(sink_count)" = 3 ]' "duplicate Message-ID: delivered to 3 members once"
assert_ok '[ "$(kith archive ls team | wc -l)" = 1 ]' "duplicate Message-ID: archived once"

# No Message-ID: one is generated and used in the archive and the copy.
rm -f "$SINK_DIR"/*
mail "$T/m7" bob@example.org "no id" ""
post "$T/m7" team@example.org bob@example.org >/dev/null
flush
assert_ok 'grep -q "^Message-ID: <kith\." "$(ls "$SINK_DIR"/*.eml | head -n 1)"' "a missing Message-ID is generated"

# Unknown list: 67, with a line on stderr.
mail "$T/m8" bob@example.org "where" m8@x
kith receive -r nosuch@example.org -f bob@example.org < "$T/m8" 2>"$T/err8"
rc=$?
assert_ok '[ $rc = 67 ]' "unknown list: exit 67"
assert_ok 'grep -q "no list at .nosuch@example.org." "$T/err8"' "unknown list: one clear line"

# Garbage is kept in quarantine, never lost, never a crash.
head -c 3000 /dev/urandom > "$T/garbage"
assert_ok '[ "$(post "$T/garbage" team@example.org bob@example.org)" = 0 ]' "garbage: exit 0"
assert_ok 'kith quarantine ls | grep -q "no header fields\|NUL byte\|MIME"' "garbage: kept in quarantine with the reason"
assert_ok 'kith quarantine show 1 | cmp -s - "$T/garbage"' "garbage: quarantined bytes are the input"
printf 'Fr\r\001om\rbare CR garbage\r\n' > "$T/garbage-cr"
post "$T/garbage-cr" team@example.org bob@example.org >/dev/null
last=$(kith quarantine ls | tail -n 1 | cut -d' ' -f1)
assert_ok 'kith quarantine show "$last" | cmp -s - "$T/garbage-cr"' "garbage with bare CRs is kept byte for byte"
# kith quarantine retry: handled again as if the MTA delivered it now
n=$(kith quarantine ls | wc -l)
kith quarantine retry 1 > "$T/retry1.out" 2>&1
rc=$?
assert_ok '[ $rc = 65 ] && grep -q "message 1 still cannot be handled, and is kept again" "$T/retry1.out" && [ "$(kith quarantine ls | wc -l)" = "$n" ] && ! kith quarantine show 1 >/dev/null 2>&1 && kith quarantine show "$(kith quarantine ls | tail -n 1 | cut -d" " -f1)" | cmp -s - "$T/garbage"' "retry of garbage: exit $rc, kept again byte for byte under a new ID, not twice"
mail "$T/kept" bob@example.org "kept by an older Kith" kept1@x
hex=$(od -An -v -tx1 "$T/kept" | tr -d ' \n')
if [ -n "$PG_DB" ]; then raw="decode('$hex', 'hex')"; else raw="X'$hex'"; fi
db "INSERT INTO quarantine(received, envelope_from, envelope_to, reason, raw) VALUES (1, 'bob@example.org', 'team@example.org', 'an older Kith could not read it', $raw)"
kid=$(kith quarantine ls | grep "older Kith" | cut -d' ' -f1)
kith quarantine retry "$kid" > "$T/retry2.out" 2>&1
rc=$?
assert_ok '[ $rc = 0 ] && grep -q "accepted, and no longer in quarantine" "$T/retry2.out" && kith archive ls team | grep -q "kept by an older Kith" && ! kith quarantine ls | grep -q "older Kith"' "retry of a post an older Kith kept: exit $rc, archived, out of quarantine"
kith quarantine retry "$kid" > "$T/retry3.out" 2>&1
assert_ok '[ $? = 66 ] && grep -q "no quarantined message $kid" "$T/retry3.out"' "retry of an ID no longer there: 66"
last=$(kith quarantine ls | tail -n 1 | cut -d' ' -f1)
n=$(kith quarantine ls | wc -l)
assert_ok 'kith quarantine rm "$last" | grep -q "removed quarantined message $last" && [ "$(kith quarantine ls | wc -l)" = $((n - 1)) ] && ! kith quarantine show "$last" >/dev/null 2>&1' "kith quarantine rm: gone"
crashes=0
i=0
while [ $i -lt 60 ]; do
	head -c $((i * 97 + 1)) /dev/urandom > "$T/fuzz"
	[ $((i % 3)) = 0 ] && { printf 'Subject: x\n'; cat "$T/fuzz"; } > "$T/fuzz2" && mv "$T/fuzz2" "$T/fuzz"
	[ $((i % 5)) = 1 ] && { printf 'From: a@b\nContent-Type: multipart/mixed; boundary=x\n\n--x\n'; cat "$T/fuzz"; } > "$T/fuzz2" && mv "$T/fuzz2" "$T/fuzz"
	rc=$(post "$T/fuzz" team@example.org bob@example.org)
	case $rc in 0|75) ;; *) crashes=$((crashes + 1)); echo "fuzz input $i: exit $rc";; esac
	i=$((i + 1))
done
assert_ok '[ $crashes = 0 ]' "60 random inputs: every exit is 0 or 75"
assert_ok '[ "$(post /dev/null team@example.org bob@example.org)" = 0 ]' "empty input: exit 0 (quarantined)"

# Size limit: refused with a notice naming the limit.
flush
rm -f "$SINK_DIR"/*
kith list set team max_size 200 >/dev/null
mail "$T/m9" bob@example.org "big" m9@x "X-Padding: $(head -c 300 /dev/zero | tr '\0' a)"
assert_ok '[ "$(post "$T/m9" team@example.org bob@example.org)" = 0 ]' "oversized post: exit 0"
flush
assert_ok '[ "$(sink_count)" = 1 ] && grep -q "largest post" "$SINK_DIR"/*.eml' "oversized post: one notice to the sender"
kith list set team max_size 0 >/dev/null

# Announce-only: members are refused, owners post.
rm -f "$SINK_DIR"/*
kith list set team posting announce >/dev/null
mail "$T/m10" bob@example.org "announce?" m10@x
post "$T/m10" team@example.org bob@example.org >/dev/null
mail "$T/m11" alice@example.org "announcement" m11@x
post "$T/m11" team@example.org alice@example.org >/dev/null
flush
assert_ok '[ "$(sink_count)" = 4 ]' "announce: member refused (1 notice), owner posted (3)"
assert_ok 'kith archive ls team | grep -q announcement && lacks "announce?" kith archive ls team' "announce: only the owner's post is archived"

# posting = anyone lets a stranger post.
rm -f "$SINK_DIR"/*
kith list set team posting anyone >/dev/null
mail "$T/m12" stranger@example.net "open list" m12@x
post "$T/m12" team@example.org stranger@example.net >/dev/null
flush
assert_ok '[ "$(sink_count)" = 3 ]' "posting=anyone: a stranger's post reaches the 3 members"

# team-owner@ reaches the owner; team-request@ answers politely.
rm -f "$SINK_DIR"/*
mail "$T/m13" stranger@example.net "question for the owner" m13@x
assert_ok '[ "$(post "$T/m13" team-owner@example.org stranger@example.net)" = 0 ]' "team-owner@: exit 0"
mail "$T/m14" stranger@example.net "subscribe" m14@x
assert_ok '[ "$(post "$T/m14" team-request@example.org stranger@example.net)" = 0 ]' "team-request@: exit 0"
assert_ok '[ "$(post "$T/m14" team-bounces+abc@example.org "")" = 0 ]' "team-bounces+TOKEN@: stored, exit 0"
flush
assert_ok '[ "$(deliveries_to alice@example.org)" = 1 ]' "team-owner@ mail reaches the owner"
assert_ok '[ "$(deliveries_to stranger@example.net)" = 1 ]' "team-request@ answers once (a subscribe request: its confirmation)"
assert_ok '[ "$(db "SELECT count(*) FROM bounces_in")" = 1 ]' "the bounce is kept for the bounce processor"
# accept_nonmembers: a treasurer's work address, a venue's newsletter
# post as a member would; anyone else is still refused
kith list set team posting members >/dev/null
err=$(kith list set team accept_nonmembers '*' 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && printf "%s\n" "$err" | grep -q "none that matches every address"' "a pattern that matches every address is refused (exit $rc)"
err=$(kith list set team accept_nonmembers 'treasurer@work.example, not an address' 2>&1); rc=$?
assert_ok '[ $rc = 65 ]' "so is one with a space"
kith list set team accept_nonmembers 'Treasurer@Work.example, *@venue.example' >/dev/null
before=$(deliveries_to bob@example.org)
mail "$T/a1" treasurer@work.example "Accounts" a1@x
mail "$T/a2" news@venue.example "Venue news" a2@x
mail "$T/a3" other@example.net "Not accepted" a3@x
assert_ok '[ "$(post "$T/a1" team@example.org treasurer@work.example)" = 0 ] && [ "$(post "$T/a2" team@example.org bounce-123@mailer.example)" = 0 ] && [ "$(post "$T/a3" team@example.org other@example.net)" = 0 ]' "three non-members post: exit 0"
flush
assert_ok '[ "$(deliveries_to bob@example.org)" = $((before + 2)) ] && kith archive ls team | grep -q "Accounts" && kith archive ls team | grep -q "Venue news"' "the accepted ones go out to the members (by From, case ignored; a pattern)"
assert_ok '! kith archive ls team | grep -q "Not accepted" && [ "$(deliveries_to other@example.net)" = 1 ]' "anyone else is refused as before"
kith list set team posting moderated >/dev/null
mail "$T/a4" treasurer@work.example "Held on a moderated list" a4@x
post "$T/a4" team@example.org treasurer@work.example >/dev/null
assert_ok '[ "$(db "SELECT count(*) FROM held WHERE subject='"'"'Held on a moderated list'"'"'")" = 1 ]' "on a moderated list it is held, as a member's post"
kith list set team posting members >/dev/null
finish
