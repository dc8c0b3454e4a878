#!/bin/sh
# Polls answered by reply: votes by number, by text, by command; a vote
# replaced; refusals (bad option, non-member, after closing) answered;
# results to the list at closing (by command, and by cron at --closes
# at its time, once with racing crons); show --json; the digest.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink --pipelining
setup_list "authserv_id = mx.example.org"
kith member add team dave@example.org >/dev/null
# reply FROM TO FIRSTLINE: a reply as a mail client writes it
reply() {
	n=$((n + 1))
	printf 'From: %s\nTo: %s\nSubject: Re: Poll\nMessage-ID: <v%s@x>\nIn-Reply-To: <p@x>\n\n%s\n\nOn Tue, Team wrote:\n> 1. Friday\n> 2. Saturday\n' "$1" "$2" "$n" "$3" > "$T/v$n"
	kith receive -r "$2" -f "$1" < "$T/v$n" 2>>"$T/receive.err"
	kith deliver >/dev/null 2>&1
}
votes() { kith poll show "$1" --json | $PY -c "import json,sys; print(' '.join(str(o['votes']) for o in json.load(sys.stdin)['options']))"; }

id=$(kith poll create team --question 'When shall we meet?' --option Friday --option Saturday --option Sunday)
assert_ok 'printf "%s\n" "$id" | grep -qx "[0-9][0-9]*"' "create prints the id ($id)"
err=$(kith poll create team --question 'x' --option only 2>&1); rc=$?
assert_ok '[ $rc = 65 ]' "a poll with one option is refused ($err)"
err=$(kith poll create team --question 'Where?' --option 'Řež' --option 'Pálava' --option 'Rez' 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && printf "%s\n" "$err" | grep -q "options 1 and 3 (.Řež. and .Rez.) read the same in a reply"' "options a reply cannot tell apart are refused, 65 ($err)"
# What every member reads (the subject too) is refused when it is not
# one line of text, as an event's title is: a control character, bytes
# that are not UTF-8, a tab in an option, an option of 201 bytes.  One
# line, exit 65, and no poll made.
polls_before=$(kith poll ls team | wc -l)
long=$(printf '%201s' '' | tr ' ' x)
for bad in "q:$(printf 'Bell\007?')" "q:$(printf 'caf\351?')" "o:$(printf 'Fri\tday')" "o:$long"; do
	case $bad in
	q:*) err=$(kith poll create team --question "${bad#q:}" --option A --option B 2>&1); rc=$? ;;
	o:*) err=$(kith poll create team --question 'When?' --option "${bad#o:}" --option B 2>&1); rc=$? ;;
	esac
	assert_ok '[ $rc = 65 ] && [ "$(printf "%s\n" "$err" | wc -l)" = 1 ] && printf "%s\n" "$err" | grep -q "must be one line of UTF-8 text"' "refused, one line, exit $rc: $(printf '%s' "$err" | cut -c1-90)"
done
assert_ok '[ "$(kith poll ls team | wc -l)" = "$polls_before" ]' "no poll was made of them"
kith deliver >/dev/null
assert_ok '[ "$(sink_count)" = 4 ]' "every member gets the poll"
f=$(last bob@example.org)
rt_bob=$($MT header "$f" Reply-To | sed 's/.*<//; s/>.*//')
rt_carol=$($MT header "$(last carol@example.org)" Reply-To | sed 's/.*<//; s/>.*//')
assert_ok 'printf "%s\n" "$rt_bob" | grep -q "^team-poll+[a-z0-9.-]*@example.org$" && [ "$rt_bob" != "$rt_carol" ]' "each copy has its own Reply-To team-poll+TOKEN@ ($rt_bob)"
assert_ok '$MT body "$f" | grep -q "  2. Saturday" && $MT body "$f" | grep -q "vote $id N"' "the question with numbered options and how to vote"

rm -f "$SINK_DIR"/*
reply bob@example.org "$rt_bob" 2
assert_ok '[ "$(votes $id)" = "0 1 0" ]' "bob votes by replying '2'"
assert_ok '$MT body "$(last bob@example.org)" | grep -q "Your answer: 2. Saturday"' "and gets an acknowledgement"
reply carol@example.org "$rt_carol" 'sunday'
assert_ok '[ "$(votes $id)" = "0 1 1" ]' "carol votes with the option's text"
# (signed: our MTA's Authentication-Results prove the sender, see t21)
printf 'Authentication-Results: mx.example.org; dkim=pass header.d=example.org\nFrom: alice@example.org\nTo: team-request@example.org\nSubject: x\nMessage-ID: <c1@x>\n\nvote %s 1\n' "$id" > "$T/c1"
post "$T/c1" team-request@example.org >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(votes $id)" = "1 1 1" ]' "alice votes with the 'vote ID N' command"
reply bob@example.org "$rt_bob" 1
assert_ok '[ "$(votes $id)" = "2 0 1" ]' "bob's new vote replaces his old one"
reply bob@example.org "$rt_bob" 'Not 3, I am away on Sunday'
assert_ok '[ "$(votes $id)" = "2 0 1" ] && $MT body "$(last bob@example.org)" | grep -q "could not tell which option you chose"' "'Not 3, ...' changes nothing (it was a vote for 3) and bob is told how to vote"
rm -f "$SINK_DIR"/*
reply carol@example.org "$rt_carol" 7
assert_ok '[ "$(votes $id)" = "2 0 1" ] && $MT body "$(last carol@example.org)" | grep -q "not one of the options"' "a vote for option 7 is refused with the reason"
reply carol@example.org "$rt_carol" 'two and three'
assert_ok '[ "$(count carol@example.org)" = 1 ]' "a second refusal the same day is not answered again"
# bob's token is bob's: a stranger using it votes for nobody
reply eve@example.net "$rt_bob" 3
assert_ok '[ "$(votes $id)" = "2 0 1" ]' "someone else replying to bob's token cannot vote"
printf 'From: eve@example.net\nTo: team-request@example.org\nSubject: x\nMessage-ID: <c2@x>\n\nvote %s 3\n' "$id" > "$T/c2"
post "$T/c2" team-request@example.org eve@example.net >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(votes $id)" = "2 0 1" ] && $MT body "$(last eve@example.net)" | grep -q "only members of the list can vote"' "a non-member's vote is refused with the reason"

js=$(kith poll show $id --json)
assert_ok 'printf "%s\n" "$js" | $PY -c "
import json,sys; d=json.load(sys.stdin)
assert d[\"voters\"] == 3 and d[\"members\"] == 4, d
assert [o[\"percent\"] for o in d[\"options\"]] == [66.7, 0.0, 33.3], d
assert d[\"not_voted\"] == [\"dave@example.org\"], d
assert sum(t[\"votes\"] for t in d[\"timeline\"]) == 4, d
"' "show --json: counts, percentages, who has not voted, votes over time"
kith member set team bob@example.org mode=digest-daily >/dev/null
printf 'From: alice@example.org\nTo: team@example.org\nSubject: news\nMessage-ID: <d1@x>\n\nhi\n' > "$T/d1"
post "$T/d1" >/dev/null
assert_ok 'kith digest preview team --plain | grep -q "^Poll $id: When shall we meet?"' "open polls appear in the digest"

kith deliver >/dev/null
rm -f "$SINK_DIR"/*
kith poll close $id >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(sink_count)" = 4 ] && $MT body "$(last dave@example.org)" | grep -q "Friday  *2 votes  66%"' "closing sends the results to the list"
assert_ok 'kith poll close $id 2>/dev/null; [ $? = 65 ]' "closing twice: 65"
rm -f "$SINK_DIR"/*
printf 'From: dave@example.org\nTo: team-request@example.org\nSubject: x\nMessage-ID: <c3@x>\n\nvote %s 2\n' "$id" > "$T/c3"
post "$T/c3" team-request@example.org dave@example.org >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(votes $id)" = "2 0 1" ] && $MT body "$(last dave@example.org)" | grep -q "the poll is closed"' "a vote after closing is refused"

# several answers, closed by cron at its time (two crons racing)
set_clock "2026-12-01 10:00:00"
id2=$(kith poll create team --question 'Which snacks?' --option Chips --option Fruit --option Cake --multiple --closes '2026-12-10 18:00' --tz Europe/Prague)
kith deliver >/dev/null
rt=$($MT header "$(last dave@example.org)" Reply-To | sed 's/.*<//; s/>.*//')
n=$((n + 1))
printf 'From: dave@example.org\nTo: %s\nSubject: Re\nMessage-ID: <m%s@x>\n\n1, 3\n' "$rt" "$n" > "$T/m"
set_clock "2026-12-05 10:00:00"
kith receive -r "$rt" -f dave@example.org < "$T/m" 2>>"$T/receive.err"
assert_ok '[ "$(votes $id2)" = "1 0 1" ]' "'1, 3' on a poll that takes several answers"
at "2026-12-05 10:00:00" cron >/dev/null 2>&1	# bob's digest of what waited
kith deliver >/dev/null
rm -f "$SINK_DIR"/*
at '2026-12-10 16:59:00' cron >/dev/null 2>&1
assert_ok '[ "$(sink_count)" = 0 ]' "before 18:00 Prague time the poll stays open"
at '2026-12-10 17:00:30' cron >/dev/null 2>&1 &
p1=$!
at '2026-12-10 17:00:30' cron >/dev/null 2>&1
wait $p1
at '2026-12-10 17:01:30' cron >/dev/null 2>&1
assert_ok '[ "$(sink_count)" = 4 ] && [ "$(count dave@example.org)" = 1 ] && $MT header "$(last dave@example.org)" Subject | grep -q "^Poll results: Which snacks?"' "at 18:00 in Prague cron closes it and sends the results once ($(sink_count))"

# options that are numbers: a bare number out of its place is refused; a
# reply's number that could be a place or another option's text is not
# taken, and the member is asked for the text; "vote ID N" is a place
err=$(kith poll create team --question 'Guests?' --option 0 --option 1 --option 2 2>&1); rc=$?
assert_ok '[ $rc = 65 ] && printf "%s\n" "$err" | grep -q "option 1 is the bare number '"'"'0'"'"'"' "an option '0' in first place is refused: $err"
id3=$(kith poll create team --question 'How many nights?' --option '2 nights' --option '3 nights' --option '4 nights')
kith deliver >/dev/null
rt=$($MT header "$(last bob@example.org)" Reply-To | sed 's/.*<//; s/>.*//')
rm -f "$SINK_DIR"/*
reply bob@example.org "$rt" 3
assert_ok '[ "$(votes $id3)" = "0 0 0" ] && $MT body "$(last bob@example.org)" | grep -q "could be an option.s place or a number in another option.s text"' "a reply '3' to '2 nights, 3 nights, 4 nights' counts nothing and asks for the text"
reply bob@example.org "$rt" '3 nights'
assert_ok '[ "$(votes $id3)" = "0 1 0" ]' "'3 nights' is the second option"
printf 'Authentication-Results: mx.example.org; dkim=pass header.d=example.org\nFrom: alice@example.org\nTo: team-request@example.org\nSubject: x\nMessage-ID: <c9@x>\n\nvote %s 3\n' "$id3" > "$T/c9"
post "$T/c9" team-request@example.org >/dev/null
assert_ok '[ "$(votes $id3)" = "0 1 1" ]' "'vote ID 3' is the third option: a command's number is a place"
finish
