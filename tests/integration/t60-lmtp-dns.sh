#!/bin/sh
# A slow name server holds up its own message only.  Each post's DMARC
# lookup (from_rewrite = auto) was made on kith serve's committer, in the
# middle of the commit every LMTP session waits for: a name server that
# does not answer stopped all of them for [dns] timeout_ms.  Now the
# message's own thread asks first (post_prefetch_dns) and the committer
# finds the answer, or the failure, in the memo the threads share
# (dns.h).  unbound serves the test's names; names under slow.example go
# to a port that never answers.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"
. "$HERE/dns_lib.sh"
. "$HERE/serve_lib.sh"
trap 'serve_stop; stop_dns; cleanup' EXIT

cat > "$T/zone" <<'ZONE'
_dmarc.fast.example. 3600 IN TXT "v=DMARC1; p=none"
ZONE
start_blackhole
start_dns "$T/zone"
start_sink
setup_list "[dns]" "server = 127.0.0.1@$DNS_PORT" "timeout_ms = 2000"
kith list set team posting anyone >/dev/null

serve_at "$NOW" --listen 127.0.0.1:0 --lmtp 127.0.0.1:0
i=0
while ! grep -q "LMTP on" "$T/serve.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
LMTP_PORT=$(sed -n 's|.*LMTP on lmtp://127.0.0.1:\([0-9]*\).*|\1|p' "$T/serve.out")

# Two sessions: A's author domain is slow.example; B's, fast.example,
# sends half a second after A.  Each prints its reply code and how long
# (ms) the end of its data waited for it.
$PY - "$LMTP_PORT" > "$T/times" <<'PYEOF'
import smtplib, sys, threading, time
port = int(sys.argv[1])
out = {}
def post(name, domain, delay):
    c = smtplib.LMTP("127.0.0.1", port)
    c.ehlo("dns.test")
    c.mail("%s@%s" % (name, domain))
    c.rcpt("team@example.org")
    time.sleep(delay)
    msg = ("From: %s <%s@%s>\r\nTo: team@example.org\r\nSubject: from %s\r\n"
           "Message-ID: <%s-dns@test>\r\n\r\nHello.\r\n" % (name, name, domain,
           domain, name))
    t0 = time.monotonic()
    code, _ = c.data(msg.encode())
    out[name] = (code, time.monotonic() - t0)
    c.quit()
a = threading.Thread(target=post, args=("ann", "slow.example", 0))
b = threading.Thread(target=post, args=("ben", "fast.example", 0.5))
a.start(); b.start(); a.join(); b.join()
print("%d %d %d %d" % (out["ann"][0], out["ann"][1] * 1000, out["ben"][0],
      out["ben"][1] * 1000))
PYEOF
read -r a_code a_ms b_code b_ms < "$T/times"
assert_ok '[ "$a_code" = 250 ] && [ "$b_code" = 250 ]' "both posts are taken (250, 250): $a_code, $b_code"
assert_ok '[ "$b_ms" -lt 1000 ]' "the post from a domain that answers is not held up by one that does not: $b_ms ms (was about 1,500)"
assert_ok '[ "$a_ms" -ge 1500 ] && [ "$a_ms" -lt 3500 ]' "the post from the silent domain waits for one lookup's deadline (2 s), not two: $a_ms ms"

kill "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
SERVE_PID=
kith deliver >/dev/null 2>&1
assert_ok 'grep -q "dmarc: .<ann-dns@test>. from .ann@slow.example.: no DNS answer, the safe side: From rewritten" "$T/serve.err"' "no answer for slow.example: its post's From is rewritten (the safe side), as before"
assert_ok 'grep -q "dmarc: .<ben-dns@test>. from .ben@fast.example.: _dmarc.fast.example p=none: From kept" "$T/serve.err"' "fast.example's p=none: From kept"
# from_of ID - the From of the copy bob got of the post <ID>
from_of() {
	for js in "$SINK_DIR"/*.json; do
		eml=${js%.json}.eml
		grep -q "bob@example.org" "$js" && grep -q "^Message-ID: <$1>" "$eml" &&
		    $MT header "$eml" From
	done
}
assert_ok '[ "$(from_of ann-dns@test)" = "ann via Team <team@example.org>" ] && [ "$(from_of ben-dns@test)" = "ben <ben@fast.example>" ]' "and the members get ann's From the list, ben's as he sent it: $(from_of ann-dns@test); $(from_of ben-dns@test)"
assert_ok '[ "$(db "SELECT count(*) FROM dns_cache WHERE name = '"'"'_dmarc.fast.example'"'"'")" = 1 ] && [ "$(db "SELECT count(*) FROM dns_cache WHERE name LIKE '"'"'%slow.example'"'"'")" = 0 ]' "the answer is kept in the database's cache, the failure is not"
finish
