#!/bin/sh
# 4xx defers with backoff and a later run sends; 5xx fails and is
# recorded.  Run against a sink with and without PIPELINING, so both
# paths of the SMTP client (one round trip per message, and one per
# command) are exercised, including RSET after a refused recipient.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

for mode in plain pipelining; do
	if [ $mode = pipelining ]; then start_sink --pipelining; else start_sink; fi
	reset_site
	setup_list
	kith member add team defer-me@example.org >/dev/null
	kith member add team reject-me@example.org >/dev/null
	for i in 1 2 3 4 5; do kith member add team m$i@example.org >/dev/null; done
	printf 'From: bob@example.org\nTo: team@example.org\nSubject: s\nMessage-ID: <d-%s@x>\n\nbody\n.\n..dots\n' $mode > "$T/p.eml"
	post "$T/p.eml" team@example.org bob@example.org >/dev/null
	out=$(kith deliver 2>"$T/deliver.err")
	assert_ok '[ "$out" = "8 sent, 1 deferred, 1 failed" ]' "$mode: first run: $out"
	assert_ok '[ "$(db "SELECT state||'"'"' '"'"'||last_code FROM outbox WHERE rcpt LIKE '"'"'defer%'"'"'")" = "deferred 451" ]' \
		"$mode: the 451 recipient is deferred with its code"
	assert_ok '[ "$(db "SELECT state||'"'"' '"'"'||last_code FROM outbox WHERE rcpt LIKE '"'"'reject%'"'"'")" = "failed 550" ]' \
		"$mode: the 550 recipient failed with its code"
	next=$(db "SELECT next_try - updated FROM outbox WHERE rcpt LIKE 'defer%'")
	assert_ok '[ "$next" = 300 ]' "$mode: first retry after retry_base (300 s), got $next"
	assert_ok '[ "$(kith deliver)" = "0 sent, 0 deferred, 0 failed" ]' "$mode: a run before the retry time sends nothing"
	# Later, and the server accepts again.
	touch "$SINK_DIR/accept-all"
	out=$(at "$(after 10m)" deliver)
	assert_ok '[ "$out" = "1 sent, 0 deferred, 0 failed" ]' "$mode: after the backoff the deferred one is sent: $out"
	assert_ok '[ "$(db "SELECT count(*) FROM outbox WHERE state='"'"'sent'"'"'")" = 9 ]' "$mode: 9 rows sent"
	$PY - "$SINK_DIR" <<'PYEOF'
import glob, sys
files = glob.glob(sys.argv[1] + "/*.eml")
bad = [f for f in files
       if open(f, "rb").read().replace(b"\r\n", b"\n").split(b"\n\n", 1)[1] != b"body\n.\n..dots\n"]
sys.exit(1 if bad or len(files) != 9 else 0)
PYEOF
	rc=$?
	assert_ok '[ $rc = 0 ]' "$mode: dot-stuffing round-trips: each of the 9 bodies arrives as posted"
	stop_sink
done

# The relay refusing Kith itself at RCPT, as Postfix words it (its
# rejects wait for RCPT: smtpd_delay_reject): relaying denied, the sender
# not taken, the client not allowed.  The site's setup, not the member's:
# deferred, nobody scored, exit 75.  The recipient's own refusal, even
# one quoting "relay access denied" from its server, still fails.
start_sink --pipelining
reset_site
setup_list
n=0
for reply in "554 5.7.1 <m@example.org>: Relay access denied" \
    "553 5.7.1 <team-bounces@example.org>: Sender address rejected: not owned by user kith" \
    "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied"; do
	n=$((n + 1))
	printf '%s\n' "$reply" > "$SINK_DIR/refuse-rcpt"
	printf 'From: alice@example.org\nSubject: s\nMessage-ID: <r%s@x>\n\nbody\n' $n > "$T/p.eml"
	post "$T/p.eml" >/dev/null
	out=$(at "$(after $((n * 2))h)" deliver 2>"$T/relay.err")
	rc=$?
	assert_ok '[ $rc = 75 ] && [ "$(db "SELECT count(*) FROM outbox WHERE state='"'"'failed'"'"'")" = 0 ] && [ "$(db "SELECT count(*) FROM bounces")" = 0 ]' \
		"'$reply': deferred, nobody scored, exit 75 ($out, $rc)"
	assert_ok 'grep -qF "relay refused Kith: ${reply%%:*}" "$T/relay.err"' "... and the run says so ($(head -n 1 "$T/relay.err" | cut -c1-120))"
done
# what the organiser sees, then the relay mended: retry now, not at the
# next backoff (postqueue -f)
waiting=$(db "SELECT count(*) FROM outbox WHERE state='deferred'")
at "$(after 6h)" queue ls --state deferred > "$T/qls"
assert_ok '[ "$(wc -l < "$T/qls")" = "$waiting" ] && grep -q "deferred.*team@example.org  *bob@example.org  *the relay refused Kith: 554 5.7.1 <localhost" "$T/qls"' "kith queue ls: each waiting copy, its list, recipient and the relay's words ($waiting; $(head -n 1 "$T/qls" | cut -c1-150))"
assert_ok 'at "$(after 6h)" queue ls --json | $PY -c "import json,sys; d=json.load(sys.stdin); assert len(d) == $waiting and all(r[\"state\"] == \"deferred\" and r[\"last_code\"] == 554 for r in d[-3:])"' "and as JSON"
at "$(after 6h)" check >/dev/null 2>"$T/check.err"
assert_ok 'grep -q "warning: $waiting copies wait in the outbox, the oldest for 6 h; the relay last said: the relay refused Kith: 554 5.7.1" "$T/check.err"' "kith check warns of copies waiting for hours, with the relay's words ($(cut -c1-160 "$T/check.err"))"
rm -f "$SINK_DIR/refuse-rcpt"
assert_ok '[ "$(at "$(after 6h)" deliver 2>/dev/null)" = "0 sent, 0 deferred, 0 failed" ]' "before their next try a run sends none of them"
assert_ok '[ "$(at "$(after 6h)" queue retry)" = "$waiting deferred copies are due now; '"'"'kith deliver'"'"' (or the next '"'"'kith cron'"'"') sends them" ]' "kith queue retry: $waiting due now"
out=$(at "$(after 6h)" deliver 2>/dev/null)
assert_ok '[ "$out" = "$waiting sent, 0 deferred, 0 failed" ] && [ "$(db "SELECT count(*) FROM outbox WHERE state='"'"'sent'"'"'")" = "$(db "SELECT count(*) FROM outbox")" ]' "the relay mended, every waiting copy goes out at once ($out)"
assert_ok '[ "$(at "$(after 6h)" queue retry)" = "no deferred copy waits for a retry" ] && [ -z "$(kith queue ls)" ]' "then nothing waits"
assert_ok '! at "$(after 6h)" check 2>&1 | grep -q "outbox"' "and kith check says nothing of the outbox"
kith queue ls --state bogus 2>"$T/qerr"
rc=$?
assert_ok '[ $rc = 64 ] && grep -q "use pending, sending, deferred, failed or sent" "$T/qerr"' "an unknown state: exit 64 and the states ($rc)"
printf '%s\n' "550 5.1.1 <bob@example.org>: Recipient address rejected: undeliverable address: host mx said: 554 5.7.1 Relay access denied" > "$SINK_DIR/refuse-rcpt"
printf 'From: alice@example.org\nSubject: s\nMessage-ID: <r9@x>\n\nbody\n' > "$T/p.eml"
post "$T/p.eml" >/dev/null
at "$(after 2d)" deliver >/dev/null 2>&1
assert_ok '[ "$(db "SELECT count(*) FROM outbox WHERE state='"'"'failed'"'"'")" -ge 1 ] && [ "$(db "SELECT count(*) FROM bounces")" -ge 1 ]' "a recipient's own refusal (Recipient address rejected) still fails and is scored"
rm -f "$SINK_DIR/refuse-rcpt"
stop_sink

# Backoff doubles and stops after max_attempts.
start_sink
reset_site
setup_list "[delivery]" "max_attempts = 3" "retry_base = 60"
db "DELETE FROM members WHERE address != 'alice@example.org'"
kith member add team defer-always@example.org >/dev/null
printf 'From: alice@example.org\nSubject: s\nMessage-ID: <b@x>\n\nbody\n' > "$T/p.eml"
post "$T/p.eml" >/dev/null
kith deliver >/dev/null
at "$(after 61s)" deliver >/dev/null
d=$(db "SELECT next_try - updated FROM outbox WHERE rcpt LIKE 'defer%'")
assert_ok '[ "$d" = 120 ]' "second retry waits twice as long (got $d s)"
out=$(at "$(after 200s)" deliver 2>/dev/null)
assert_ok '[ "$out" = "0 sent, 0 deferred, 1 failed" ]' "after max_attempts the row fails: $out"
finish
