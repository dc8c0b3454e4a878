#!/bin/sh
# kith serve's front doors fed malformed input (frontfuzz.py, one seed):
# LMTP sessions and HTTP requests mutated from real ones, the members'
# own one-click, preference, RSVP, vote and moderation links among them,
# and their forms posted with the page's CSRF token, and their reply
# addresses (VERP bounces, confirmations, unsubscribes, RSVPs, votes).
# kith serve must take them all without a crash or an ASan/UBSan
# report, and afterwards still answer /healthz, take a post over LMTP
# and deliver what it queued.  A member's "set" alone to the request
# address stopped the daemon until 756fe0f.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"
. "$HERE/serve_lib.sh"

start_sink
setup_list "web_base_url = https://lists.example.org/" \
	"[http]" "listen = 127.0.0.1:0" \
	"[lmtp]" "max_connections = 64" "timeout = 5"
kith event create team --title Meetup --start "2026-07-01 18:00" --duration 2h >/dev/null
kith poll create team --question Q --option A --option B >/dev/null
kith list set team footer on >/dev/null
for who in dave erin frank grace heidi ivan judy; do kith member add team "$who@example.org" >/dev/null; done
send alice@example.org team@example.org "Hello" "first post"
send stranger@example.net team@example.org "Held" "a post the moderators decide"
FUZZ_PATHS=$(grep -rhoE 'https://lists\.example\.org/[^ "<>]+' "$SINK_DIR" | sed 's|https://lists.example.org||' | sort -u)
FUZZ_RCPTS=$(grep -rhoE 'team-[a-z]+\+[^@ <>"]+@example\.org' "$SINK_DIR" | sort -u)
export FUZZ_PATHS FUZZ_RCPTS
assert_ok '[ "$(printf "%s\n" "$FUZZ_RCPTS" | sed "s/+.*//" | sort -u | wc -l)" -ge 4 ]' "the members' own reply addresses too: $(printf "%s\n" "$FUZZ_RCPTS" | sed "s/+.*//" | sort -u | tr "\n" " ")"
assert_ok '[ "$(printf "%s\n" "$FUZZ_PATHS" | grep -c "^/[urvpm]/")" -ge 10 ] && printf "%s\n" "$FUZZ_PATHS" | grep -q "^/p/" && printf "%s\n" "$FUZZ_PATHS" | grep -q "^/m/"' "the members' own links to start from (one-click, preferences, RSVP, vote, moderation) ($(printf "%s\n" "$FUZZ_PATHS" | wc -l))"

serve_at "$NOW" --lmtp 127.0.0.1:0
LMTP_PORT=$(sed -n 's|.*LMTP on lmtp://127.0.0.1:\([0-9]*\).*|\1|p' "$T/serve.out")
assert_ok '[ -n "$KITH_PORT" ] && [ -n "$LMTP_PORT" ]' "kith serve listens for HTTP ($KITH_PORT) and LMTP ($LMTP_PORT)"

out=$($PY "$HERE/frontfuzz.py" "$KITH_PORT" "$LMTP_PORT" "$SERVE_PID" "${T54_CASES:-$((3000 / FUZZ_EVERY))}" "${T54_SEED:-54}" 2>&1)
assert_ok 'printf "%s\n" "$out" | grep -q "^ok - "' "$(printf "%s\n" "$out" | tail -n 1 | sed "s/^\(not \)\{0,1\}ok - //")"
assert_ok '! grep -q -E "AddressSanitizer|runtime error|LeakSanitizer" "$T/serve.err"' \
	"no sanitizer report ($(grep -m1 -E "AddressSanitizer|runtime error" "$T/serve.err"))"

# afterwards: alive, answering, taking mail (between members added now:
# the fuzz's one-click POSTs, requests and bounces may have taken the
# others off, or stopped their mail)
kith member add team zed@example.org >/dev/null
kith member add team yan@example.org >/dev/null
out=$($PY - "$KITH_PORT" "$LMTP_PORT" <<'PYEOF'
import smtplib, sys, urllib.request
http, lmtp = int(sys.argv[1]), int(sys.argv[2])
r = urllib.request.urlopen("http://127.0.0.1:%d/healthz" % http, timeout=10)
print("healthz", r.status)
c = smtplib.LMTP("127.0.0.1", lmtp)
c.ehlo("after.test")
print("post", c.sendmail("zed@example.org", ["team@example.org"],
      "From: zed@example.org\nTo: team@example.org\nSubject: after\nMessage-ID: <after-fuzz@example.org>\n\nstill here\n") or "250")
c.quit()
PYEOF
)
assert_ok 'printf "%s\n" "$out" | grep -qx "healthz 200" && printf "%s\n" "$out" | grep -qx "post 250"' "after the fuzz: /healthz 200, a post over LMTP 250 ($out)"
serve_stop
assert_ok '[ "$(db "SELECT count(*) FROM posts WHERE message_id = '"'"'after-fuzz@example.org'"'"'")" = 1 ]' "the post is stored"
kith deliver >/dev/null 2>&1
rc=$?
assert_ok '[ $rc = 0 ] || [ $rc = 75 ]' "kith deliver over what the fuzz queued: exit $rc"
copies="SELECT o.rcpt, o.state FROM outbox o JOIN outbox_messages m ON m.id = o.message_id JOIN posts p ON p.id = m.post_id WHERE p.message_id = 'after-fuzz@example.org'"
assert_ok '[ "$(db "$copies" | grep -c "|sent$")" = "$(db "$copies" | wc -l)" ] && db "$copies" | grep -qx "yan@example.org|sent"' \
	"the post after the fuzz reached the members: every copy sent, yan's among them ($(db "$copies" | tr "\n" " "))"
finish
