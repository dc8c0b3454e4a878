#!/bin/sh
# The SMTP client's TLS: STARTTLS with certificate and host-name checks
# against a real server with a certificate we make here; what happens
# when the name or the CA does not match; tls = require; AUTH only over
# TLS.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

if ! command -v openssl >/dev/null; then
	echo "SKIP: openssl command not installed"
	exit 77
fi
# The certificate is made under the test's clock, valid from a day before
# $NOW to two days after, whatever the machine's date: kith checks it at $NOW.
(
	set_clock "$(after -1d)"
	clocked openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
		-days 3 -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" 2>/dev/null
)

try() {
	# try NAME TRANSPORT [conf lines...] - post once, deliver, print the outcome
	name=$1; tr=$2; shift 2
	reset_site
	write_conf "$tr" "$@"
	kith init >/dev/null
	kith list create team@example.org --owner alice@example.org >/dev/null
	printf 'From: alice@example.org\nSubject: tls\nMessage-ID: <%s@x>\n\nhello\n' "$name" > "$T/p.eml"
	post "$T/p.eml" >/dev/null
	kith deliver 2>/dev/null
}
last_text() {
	db "SELECT last_text FROM outbox"
}

start_sink --tls "$T/cert.pem" "$T/key.pem" --pipelining
out=$(try verified "smtp://localhost:$SINK_PORT" "[smtp]" "ca_file = $T/cert.pem")
assert_ok '[ "$out" = "1 sent, 0 deferred, 0 failed" ]' "STARTTLS with a verified certificate: $out"
assert_ok 'grep -q "\"tls\": true" "$SINK_DIR"/*.json' "the message travelled over TLS"

rm -f "$SINK_DIR"/*
out=$(try wrongname "smtp://127.0.0.1:$SINK_PORT" "[smtp]" "ca_file = $T/cert.pem")
assert_ok '[ "$out" = "0 sent, 1 deferred, 0 failed" ]' "certificate for another host name: deferred, not sent"
assert_ok 'last_text | grep -q "TLS handshake with 127.0.0.1 failed"' "the reason is recorded: $(last_text)"
assert_ok '[ "$(sink_count)" = 0 ]' "nothing reached the server"

out=$(try unknownca "smtp://localhost:$SINK_PORT")
assert_ok '[ "$out" = "0 sent, 1 deferred, 0 failed" ] && last_text | grep -qi "certificate"' "self-signed certificate not in the CA store: deferred ($(last_text))"

out=$(try noverify "smtp://127.0.0.1:$SINK_PORT" "[smtp]" "tls_verify = off")
assert_ok '[ "$out" = "1 sent, 0 deferred, 0 failed" ]' "tls_verify = off: encrypted without checks"
stop_sink

start_sink
out=$(try require "smtp://127.0.0.1:$SINK_PORT" "[smtp]" "tls = require")
assert_ok '[ "$out" = "0 sent, 1 deferred, 0 failed" ] && last_text | grep -q "does not offer STARTTLS"' "tls = require and no STARTTLS: deferred"
out=$(try plainauth "smtp://127.0.0.1:$SINK_PORT" "[smtp]" "user = kith" "password = pw-Xq9zK")
assert_ok '[ "$out" = "0 sent, 1 deferred, 0 failed" ] && last_text | grep -q "AUTH refused without TLS"' "no password over a plain connection"
stop_sink

start_sink --tls "$T/cert.pem" "$T/key.pem" --auth kith:pw-Xq9zK
out=$(try auth "smtp://localhost:$SINK_PORT" "[smtp]" "ca_file = $T/cert.pem" "user = kith" "password = pw-Xq9zK")
assert_ok '[ "$out" = "1 sent, 0 deferred, 0 failed" ] && grep -q "\"auth\": true" "$SINK_DIR"/*.json' "AUTH PLAIN after STARTTLS"
out=$(try badauth "smtp://localhost:$SINK_PORT" "[smtp]" "ca_file = $T/cert.pem" "user = kith" "password = pw-bad-Z7k")
assert_ok '[ "$out" = "0 sent, 1 deferred, 0 failed" ] && last_text | grep -q "AUTH failed: 535"' "wrong password: deferred, not lost ($(last_text))"
# no password set while the relay wants one: it refuses the sender at
# MAIL FROM (530).  The site's fault, not the member's: the copy waits,
# nobody is scored, and kith deliver (so cron) says so and exits 75.
out=$(try noauth "smtp://localhost:$SINK_PORT" "[smtp]" "ca_file = $T/cert.pem")
rc=$?
assert_ok '[ "$out" = "0 sent, 1 deferred, 0 failed" ] && [ $rc = 75 ]' "a relay that refuses the sender (530, no AUTH): deferred, exit 75 ($out, $rc)"
assert_ok 'last_text | grep -q "^the relay refused Kith: 530 5.7.0"' "the reason is recorded ($(last_text))"
assert_ok '[ "$(db "SELECT count(*) FROM bounces")" = 0 ] && [ "$(db "SELECT state FROM outbox")" = deferred ]' "no member is scored for it; the copy waits"
kith deliver >/dev/null 2>"$T/noauth.err"
assert_ok 'grep -q "the relay refused Kith for 1 copies" "$T/noauth.err" || [ "$(db "SELECT state FROM outbox")" = deferred ]' "the copy is still waiting after another run"
stop_sink

start_sink --tls "$T/cert.pem" "$T/key.pem" --auth kith:pw-Xq9zK --auth-login-only
out=$(try authlogin "smtp://localhost:$SINK_PORT" "[smtp]" "ca_file = $T/cert.pem" "user = kith" "password = pw-Xq9zK")
assert_ok '[ "$out" = "1 sent, 0 deferred, 0 failed" ] && grep -q "\"auth\": true" "$SINK_DIR"/*.json' "AUTH LOGIN when the server offers only LOGIN"
assert_ok '[ -n "$(db_dump)" ] && [ -f "$T/receive.err" ] && ! grep -rq "pw-Xq9zK\|pw-bad-Z7k" "$T/var" "$T/receive.err" && ! db_dump | grep -aq "pw-Xq9zK\|pw-bad-Z7k"' "the password never reaches the data directory, the database (its WAL) or logs"
finish
