#!/bin/sh
# DMARC (issue 17): from_rewrite auto asks the author's domain for its
# policy at a real DNS server (unbound on 127.0.0.1) and rewrites From
# only for p=reject and p=quarantine (sp= for subdomains, the
# organisational domain's record when the domain has none), and on a
# SERVFAIL; never for p=none, no record, a record that is not DMARC, two
# records; not when our own DKIM signature aligns; dmarc_action wrap; the
# answers are kept for their TTL in the database (the server's log shows
# no second question), a SERVFAIL is asked again.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"
. "$HERE/dns_lib.sh"

cat > "$T/zone" <<'EOF'
_dmarc.reject.example. 3600 IN TXT "v=DMARC1; p=reject; rua=mailto:d@reject.example"
_dmarc.quar.example. 3600 IN TXT "v=DMARC1;p=quarantine;pct=50"
_dmarc.none.example. 3600 IN TXT "v=DMARC1; p=none"
_dmarc.parent.example. 3600 IN TXT "v=DMARC1; p=none; sp=reject"
_dmarc.orgonly.example. 3600 IN TXT "v=DMARC1; p=quarantine"
_dmarc.notdmarc.example. 3600 IN TXT "v=spf1 -all"
_dmarc.twice.example. 3600 IN TXT "v=DMARC1; p=reject"
_dmarc.twice.example. 3600 IN TXT "v=DMARC1; p=none"
_dmarc.badp.example. 3600 IN TXT "v=DMARC1; p=sometimes"
_dmarc.lower.example. 3600 IN TXT "v=dmarc1; p=reject"
_dmarc.split.example. 3600 IN TXT "v=DMARC1; " "p=reject"
_dmarc.example.org. 3600 IN TXT "v=DMARC1; p=reject"
_dmarc.strict.example. 3600 IN TXT "v=DMARC1; p=reject; adkim=s"
EOF
start_dns "$T/zone"
start_sink
setup_list "[dns]" "server = 127.0.0.1@$DNS_PORT"
kith list set team posting anyone >/dev/null	# posters from many domains

# post FROM ID - a post from FROM, delivered; prints the From Bob got
mpost() {
	printf 'From: Poster <%s>\nTo: team@example.org\nSubject: dmarc %s\nMessage-ID: <%s@t>\n\nhello\n' \
		"$1" "$2" "$2" > "$T/$2.eml"
	kith receive -r team@example.org -f "$1" < "$T/$2.eml" 2>>"$T/receive.err"
	kith deliver >/dev/null 2>&1
	f=$($MT last "$SINK_DIR" bob@example.org)
	$MT header "$f" From
}
VIA='Poster via Team <team@example.org>'

assert_ok '[ "$(kith list show team | grep "^from_rewrite" | awk "{print \$2}")" = auto ]' "from_rewrite is auto by default"
assert_ok '[ "$(mpost dave@reject.example r1)" = "$VIA" ]' "p=reject: From rewritten"
assert_ok 'grep -q "dmarc: .<r1@t>. from .dave@reject.example.: _dmarc.reject.example p=reject: From rewritten" "$T/receive.err"' "the decision is logged with the Message-ID"
f=$($MT last "$SINK_DIR" bob@example.org)
assert_ok '[ "$($MT header "$f" Reply-To)" = "dave@reject.example" ]' "Reply-To is the author"
assert_ok '[ "$(mpost eve@quar.example q1)" = "$VIA" ]' "p=quarantine (pct=50 counts as all): rewritten"
assert_ok '[ "$(mpost fay@none.example n1)" = "Poster <fay@none.example>" ]' "p=none: From kept"
assert_ok '[ "$(mpost gus@norecord.example x1)" = "Poster <gus@norecord.example>" ]' "no record: From kept"
assert_ok '[ "$(mpost hal@a.b.parent.example s1)" = "$VIA" ]' "a subdomain gets the organisational domain's sp=reject"
assert_ok '[ "$(mpost ida@parent.example s2)" = "Poster <ida@parent.example>" ]' "the domain itself its p=none"
assert_ok '[ "$(dns_asked _dmarc.a.b.parent.example)" = 1 ] && [ "$(dns_asked _dmarc.parent.example)" = 1 ]' "the subdomain was asked first, then the organisational domain, once each"
assert_ok '[ "$(mpost jo@mail.orgonly.example o1)" = "$VIA" ]' "no sp=: a subdomain gets p="
assert_ok '[ "$(mpost kim@x.broken.example f1)" = "$VIA" ]' "SERVFAIL: rewritten (the safe side)"
assert_ok 'grep -q "dmarc: .<f1@t>.*no DNS answer, the safe side: From rewritten" "$T/receive.err"' "and logged as such"
assert_ok '[ "$(mpost lu@notdmarc.example d1)" = "Poster <lu@notdmarc.example>" ]' "a record that is not DMARC is no policy"
assert_ok '[ "$(mpost mo@twice.example d2)" = "Poster <mo@twice.example>" ]' "two DMARC records: no policy applies (RFC 7489 6.6.3)"
assert_ok '[ "$(mpost ned@badp.example d3)" = "Poster <ned@badp.example>" ]' "an unknown p= reads as p=none"
assert_ok '[ "$(mpost oz@lower.example d4)" = "Poster <oz@lower.example>" ]' "v=dmarc1 in lower case is not a DMARC record"
assert_ok '[ "$(mpost pat@split.example d5)" = "$VIA" ]' "a record in two strings is joined"

# the cache: a second post from the same domains asks nothing
before=$(dns_asked _dmarc.reject.example)
none_before=$(dns_asked _dmarc.norecord.example)
assert_ok '[ "$(mpost dave@reject.example r2)" = "$VIA" ]' "second post from p=reject: rewritten"
assert_ok '[ "$(dns_asked _dmarc.reject.example)" = "$before" ] && [ "$before" = 1 ]' "from the cache: the server was asked once"
mpost gus@norecord.example x2 >/dev/null
assert_ok '[ "$(dns_asked _dmarc.norecord.example)" = "$none_before" ]' "no record is kept too"
exp=$(db "SELECT expires - fetched FROM dns_cache WHERE name='_dmarc.reject.example'")
assert_ok '[ "$exp" = 3600 ]' "kept for the record's TTL ($exp s)"
assert_ok '[ "$(db "SELECT count(*) FROM dns_cache WHERE name LIKE '"'"'%broken.example'"'"'")" = 0 ]' "a SERVFAIL is not kept"
sf=$(dns_asked _dmarc.x.broken.example)
mpost kim@x.broken.example f2 >/dev/null
assert_ok '[ "$(dns_asked _dmarc.x.broken.example)" -gt "$sf" ]' "and is asked again"
clock_add 2h
assert_ok '[ "$(mpost dave@reject.example r3)" = "$VIA" ]' "after the TTL: still rewritten"
assert_ok '[ "$(dns_asked _dmarc.reject.example)" = 2 ]' "and the server was asked again"
# rows past their TTL do not pile up: a day later, the next answer
# stored clears every expired one (no record of who posted stays)
clock_add 25h
mpost dave@reject.example r4 >/dev/null
old=$(db "SELECT count(*) FROM dns_cache WHERE expires <= $(epoch)")
all=$(db "SELECT count(*) FROM dns_cache")
assert_ok '[ "$old" = 0 ] && [ "$all" = 1 ]' "expired answers are dropped when a new one is kept ($old expired of $all)"

# never and always stay
kith list set team from_rewrite never >/dev/null
assert_ok '[ "$(mpost dave@reject.example v1)" = "Poster <dave@reject.example>" ]' "never: kept even for p=reject"
kith list set team from_rewrite always >/dev/null
assert_ok '[ "$(mpost fay@none.example v2)" = "$VIA" ]' "always: rewritten even for p=none"
kith list set team from_rewrite auto >/dev/null

# wrap: the post inside a message from the list
kith list set team dmarc_action wrap >/dev/null
mpost dave@reject.example w1 >/dev/null
f=$($MT last "$SINK_DIR" bob@example.org)
$PY - "$f" > "$T/wrap.out" <<'EOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
parts = list(m.iter_parts())
inner = parts[1].get_content() if len(parts) == 2 else None
print("from=" + str(m["From"]))
print("reply-to=" + str(m["Reply-To"]))
print("type=" + m.get_content_type())
print("parts=" + ",".join(p.get_content_type() for p in parts))
print("note=" + str("dave@reject.example" in parts[0].get_content()))
print("inner-from=" + (str(inner["From"]) if inner else ""))
print("inner-body=" + (inner.get_content().strip() if inner else ""))
print("subject=" + str(m["Subject"]))
print("list-id=" + str(m["List-Id"]))
print("msgid=" + str(m["Message-ID"]))
EOF
assert_ok 'grep -qx "from=Poster via Team <team@example.org>" "$T/wrap.out" && grep -qx "reply-to=dave@reject.example" "$T/wrap.out"' "wrap: From the list, Reply-To the author"
assert_ok 'grep -qx "type=multipart/mixed" "$T/wrap.out" && grep -qx "parts=text/plain,message/rfc822" "$T/wrap.out" && grep -qx "note=True" "$T/wrap.out"' "a note, then the post as message/rfc822"
assert_ok 'grep -qx "inner-from=Poster <dave@reject.example>" "$T/wrap.out" && grep -qx "inner-body=hello" "$T/wrap.out"' "the post inside is the author's, untouched"
assert_ok 'grep -qx "subject=dmarc w1" "$T/wrap.out" && grep -qx "list-id=\"Team\" <team.example.org>" "$T/wrap.out" && grep -qx "msgid=<w1@t>" "$T/wrap.out"' "with the subject, list headers and the post's Message-ID"
assert_ok '[ "$(mpost fay@none.example w2)" = "Poster <fay@none.example>" ]' "wrap: p=none is not wrapped"
kith list set team dmarc_action rewrite >/dev/null

# our DKIM signature aligns with the author's domain: nothing to rewrite
kith dkim keygen example.org --selector k1 >/dev/null
printf '[dkim]\ndomain = example.org\nselector = k1\n' >> "$KITH_CONF"
assert_ok '[ "$(mpost alice@example.org a1)" = "Poster <alice@example.org>" ]' "p=reject at the list's own domain, signed by Kith: kept"
assert_ok 'grep -q "dmarc: .<a1@t>.*but our DKIM signature (d=example.org) aligns: From kept" "$T/receive.err"' "and logged why"
assert_ok '[ "$(mpost alice@lists.example.org a2)" = "Poster <alice@lists.example.org>" ]' "a subdomain under the organisational p=reject: relaxed alignment, kept"
assert_ok '[ "$(mpost sam@strict.example a3)" = "$VIA" ]' "adkim=s at another domain: rewritten" 

# no DNS server at all: the safe side, quickly
sed -i "s/^server = .*/server = 127.0.0.1@1/" "$KITH_CONF"
t0=$(uptime_cs)
assert_ok '[ "$(mpost zed@nowhere.example z1)" = "$VIA" ]' "no DNS server: rewritten"
assert_ok '[ $(( $(uptime_cs) - t0 )) -lt 1500 ]' "within the timeout"
finish
