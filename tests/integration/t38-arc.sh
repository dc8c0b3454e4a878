#!/bin/sh
# ARC (issue 17): every list copy of a post carries an ARC set (RFC 8617)
# sealed with the DKIM key, and dkimpy's arc_verify, looking the keys up
# at a real DNS server (unbound on 127.0.0.1), passes every chain Kith
# makes: a first hop (cv=none), a chain an upstream started with dkimpy's
# arc_sign (i=2, cv=pass), copies with a subject prefix, a rewritten From
# and each member's own footer.  A broken upstream chain is sealed
# cv=fail.  The ARC-Authentication-Results hold what our MTA's
# Authentication-Results said ([site] authserv_id), never another's.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"
. "$HERE/dns_lib.sh"

if ! $PY -c 'import dkim, dns.resolver, authres' 2>/dev/null; then
	echo "SKIP: python3-dkim (with authres) or python3-dnspython missing (scripts/setup-deps.sh --test)"
	exit 77
fi
start_sink
write_conf "smtp://127.0.0.1:$SINK_PORT" "authserv_id = mx.example.org"
kith init >/dev/null
kith list create team@example.org --owner alice@example.org --name Team >/dev/null
kith member add team bob@example.org --name Bob >/dev/null
kith member add team carol@example.org --name Carol >/dev/null
kith list set team posting anyone >/dev/null
kith dkim keygen example.org --selector k1 >/dev/null
key=$T/var/dkim/k1.example.org.pem
openssl genrsa -out "$T/up.pem" 2048 2>/dev/null
pub() { openssl rsa -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0; }
{
	echo "k1._domainkey.example.org. 3600 IN TXT $(txt_split "v=DKIM1; k=rsa; p=$(pub "$key")")"
	echo "up._domainkey.upstream.example. 3600 IN TXT $(txt_split "v=DKIM1; k=rsa; p=$(pub "$T/up.pem")")"
} > "$T/zone"
start_dns "$T/zone"
printf '[dkim]\ndomain = example.org\nselector = k1\n[dns]\nserver = 127.0.0.1@%s\n' "$DNS_PORT" >> "$KITH_CONF"
NOWE=$(epoch)

# ours FILE ID - a post as our MTA hands it over: its Authentication-Results
# on top, then the rest of FILE
ours() {
	{
		printf 'Authentication-Results: mx.example.org;\n\tdkim=pass header.d=author.example header.s=s1;\n\tspf=pass smtp.mailfrom=author.example\n'
		printf 'Received: from relay.upstream.example by mx.example.org; Mon, 1 Jun 2026 09:00:00 +0000\n'
		tr -d '\r' < "$1"
	} | sed 's/$/\r/' > "$T/$2.in"	# as SMTP carried it: CRLF
	kith receive -r team@example.org -f ann@author.example < "$T/$2.in" 2>>"$T/receive.err"
	kith deliver >/dev/null 2>&1
}
copy_of() { grep -l "^Message-ID: <$1@t>" "$SINK_DIR"/*.eml | head -n "${2:-1}" | tail -n 1; }
verify() { $PY "$HERE/arctool.py" verify "$1" "$DNS_PORT" "$NOWE"; }
aar() { $PY - "$1" <<'EOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.compat32)
for v in m.get_all("ARC-Authentication-Results") or []:
    print(" ".join(v.split()))
EOF
}
seal_of() { $PY - "$1" <<'EOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.compat32)
for v in m.get_all("ARC-Seal") or []:
    print(" ".join(v.split()).split(" b=")[0])
EOF
}

# 1. the first hop: no chain yet
printf 'Received: from evil.example by relay.upstream.example\nAuthentication-Results: mx.example.org; dkim=pass header.d=forged.example\nAuthentication-Results: other.example; dkim=pass header.d=forged2.example\nFrom: Ann <ann@author.example>\nTo: team@example.org\nSubject: first hop\nMessage-ID: <a1@t>\nDate: Mon, 1 Jun 2026 08:59:00 +0000\n\nHello list.\n' > "$T/a1"
ours "$T/a1" a1
f=$(copy_of a1)
v=$(verify "$f")
assert_ok 'printf "%s\n" "$v" | grep -q "^cv=pass instances=1 ams=ok as=ok "' "first hop: dkimpy verifies the chain ($(echo $v | head -c 60))"
a=$(aar "$f")
assert_ok 'printf "%s\n" "$a" | grep -q "^i=1; mx.example.org; arc=none; dkim=pass header.d=author.example header.s=s1; spf=pass smtp.mailfrom=author.example$"' "ARC-Authentication-Results: our MTA's results, arc=none ($a)"
assert_ok '! printf "%s\n" "$a" | grep -q forged' "never results our MTA did not write (below its Received, or another host's)"
assert_ok '[ "$(seal_of "$f")" = "i=1; a=rsa-sha256; t=$NOWE; cv=none; d=example.org; s=k1;" ]' "ARC-Seal i=1 cv=none, the DKIM key's d= and s="

# 2. continuing a chain an upstream started (dkimpy's arc_sign)
printf 'Authentication-Results: upstream.example; dkim=pass header.d=author.example; spf=pass smtp.mailfrom=author.example\nFrom: Ann <ann@author.example>\nTo: team@example.org\nSubject: second hop\nMessage-ID: <a2@t>\nDate: Mon, 1 Jun 2026 08:59:00 +0000\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nSealed upstream.\n' > "$T/a2.raw"
$PY "$HERE/arctool.py" seal "$T/a2.raw" "$T/a2" "$T/up.pem" up upstream.example upstream.example "$NOWE"
assert_ok '$PY "$HERE/arctool.py" verify "$T/a2" "$DNS_PORT" "$NOWE" | grep -q "^cv=pass instances=1 ams=ok as=ok "' "the upstream's chain verifies as it arrives"
kith list set team subject_prefix "[team]" >/dev/null
ours "$T/a2" a2
f=$(copy_of a2)
v=$(verify "$f")
assert_ok 'printf "%s\n" "$v" | grep -q "^cv=pass instances=2 ams=ok as=ok,ok "' "i=2 continues it; dkimpy verifies both sets ($(echo $v | head -c 60))"
assert_ok 'printf "%s\n" "$(aar "$f")" | grep -q "^i=2; mx.example.org; arc=pass; dkim=pass"' "our set says arc=pass"
assert_ok 'printf "%s\n" "$(seal_of "$f")" | grep -q "^i=2; a=rsa-sha256; t=$NOWE; cv=pass;"' "and seals cv=pass"
assert_ok 'grep -q "^Subject: \[team\] second hop" "$f"' "over a copy whose subject the list changed"

# 3. an upstream chain broken on the way: sealed cv=fail
sed 's/^Sealed upstream\./Changed on the way./' "$T/a2" | sed 's/<a2@t>/<a3@t>/' > "$T/a3"
ours "$T/a3" a3
f=$(copy_of a3)
v=$(verify "$f")
assert_ok 'printf "%s\n" "$(aar "$f")" | grep -q "^i=2; mx.example.org; arc=fail; dkim=pass"' "a broken chain: arc=fail in our results"
assert_ok 'printf "%s\n" "$(seal_of "$f")" | grep -q "^i=2; a=rsa-sha256; t=$NOWE; cv=fail;"' "sealed cv=fail"
assert_ok 'printf "%s\n" "$v" | grep -q "^cv=ended instances=2 ams=ok .*ARC-Seal\[2\] reported failure"' "dkimpy: our signature verifies, and the chain ends at our cv=fail ($(echo $v | head -c 60))"
v=$($PY "$HERE/arctool.py" verify-newest "$f" "$DNS_PORT" "$NOWE")
assert_ok 'printf "%s\n" "$v" | grep -q "instances=1 ams=ok as=ok "' "our cv=fail seal verifies over its own set (RFC 8617 5.1.2)"
assert_ok 'grep -q "arc: the chain fails: ARC-Message-Signature: the body changed since it was signed" "$T/receive.err"' "the failure is logged"

# 4. each member's own footer, From rewritten: each copy sealed for its member
kith list set team footer on >/dev/null
kith list set team from_rewrite always >/dev/null
rm -f "$SINK_DIR"/*
printf 'From: Ann <ann@author.example>\nTo: team@example.org\nSubject: footers\nMessage-ID: <a4@t>\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=b1\n\n--b1\nContent-Type: text/plain\n\nplain\n--b1\nContent-Type: text/html\n\n<p>html</p>\n--b1--\n' > "$T/a4"
ours "$T/a4" a4
n=0; good=0
for f in "$SINK_DIR"/*.eml; do
	n=$((n + 1))
	verify "$f" | grep -q "^cv=pass instances=1 ams=ok as=ok " && good=$((good + 1))
done
assert_ok '[ $n = 3 ] && [ $good = 3 ]' "a copy rendered per member: dkimpy verifies all $good of $n"
assert_ok '[ "$(grep -l "team-unsubscribe+" "$SINK_DIR"/*.eml | wc -l)" = 3 ] && [ "$(grep -h "^Leave the list:" "$SINK_DIR"/*.eml | sort -u | wc -l)" = 3 ]' "each with its member's own unsubscribe link in the footer"

# 5. a footer the same for everyone: in the shared copy, sealed once
mkdir -p "$T/var/templates/team"
printf '%s\n' "-- " "{{list.name}}: {{list.address}}" > "$T/var/templates/team/footer.txt"
rm -f "$SINK_DIR"/*
printf 'From: Ann <ann@author.example>\nTo: team@example.org\nSubject: shared\nMessage-ID: <a5@t>\n\nshared footer\n' > "$T/a5"
ours "$T/a5" a5
n=0; good=0
for f in "$SINK_DIR"/*.eml; do
	n=$((n + 1))
	verify "$f" | grep -q "^cv=pass instances=1 ams=ok as=ok " && good=$((good + 1))
done
assert_ok '[ $n = 3 ] && [ $good = 3 ]' "a shared footer: dkimpy verifies all $good of $n"
assert_ok '[ "$(grep -h "^b=" "$SINK_DIR"/*.eml | wc -l)" = 0 ] && [ "$(for f in "$SINK_DIR"/*.eml; do seal_of "$f"; done | sort -u | wc -l)" = 1 ]' "one seal for the shared copy"

# 6. DKIM still verifies everywhere; digests carry no ARC set
kith member set team carol@example.org mode=digest-daily >/dev/null
printf 'From: Ann <ann@author.example>\nTo: team@example.org\nSubject: for the digest\nMessage-ID: <a6@t>\n\nd\n' > "$T/a6"
ours "$T/a6" a6
# a colon inside a signed value ("Re: ...") keeps its space in the
# relaxed form: dkimpy failed such signatures before
printf 'From: Ann <ann@author.example>\nTo: team@example.org\nSubject: Re: plans: Friday\nMessage-ID: <a7@t>\n\nyes\n' > "$T/a7"
ours "$T/a7" a7
kith digest send team --force >/dev/null 2>&1
kith deliver >/dev/null 2>&1
d=$(grep -l "^Subject: .*Digest" "$SINK_DIR"/*.eml | head -n 1)
assert_ok '[ -n "$d" ] && ! sed "/^\r*$/q" "$d" | grep -q "^ARC-"' "a digest is Kith's own mail: no ARC set of its own"
$PY "$HERE/verify_dkim.py" "$SINK_DIR" "$key" k1 example.org --now "$NOWE" > "$T/dkim.out"
assert_ok '[ $? = 0 ]' "DKIM verifies on every copy too ($(grep -c '^ok' "$T/dkim.out")), a subject \"Re: plans: Friday\" included"
v=$(verify "$(copy_of a7)")
assert_ok 'printf "%s\n" "$v" | grep -q "^cv=pass instances=1 ams=ok as=ok "' "and ARC over it"
finish
