#!/bin/sh
# DKIM: kith dkim keygen, then every mail Kith sends (posts plain,
# multipart, 8-bit and with lines longer than SMTP allows; notices;
# digests) arrives at a real SMTP server signed, and dkimpy verifies each
# signature against the public key.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

if ! $PY -c 'import dkim' 2>/dev/null; then
	echo "SKIP: python3-dkim is not installed (scripts/setup-deps.sh --test)"
	exit 77
fi
start_sink --pipelining
setup_list
out=$(kith dkim keygen example.org --selector s2026)
key="$T/var/dkim/s2026.example.org.pem"
assert_ok '[ -f "$key" ] && [ "$(stat -c %a "$key")" = 600 ]' "keygen writes the key, mode 0600"
assert_ok 'printf "%s\n" "$out" | grep -q "^s2026._domainkey.example.org. IN TXT ( \"v=DKIM1; k=rsa; p="' "and prints the TXT record"
pub=$(openssl rsa -in "$key" -pubout -outform DER 2>/dev/null | base64 -w0)
printed=$(printf '%s\n' "$out" | sed -n 's/.*IN TXT (\(.*\) )$/\1/p' | sed 's/" "//g; s/^ *"//; s/"$//')
assert_ok '[ "$printed" = "v=DKIM1; k=rsa; p=$pub" ]' "the record holds the key's public half"
assert_ok '[ "$(openssl rsa -in "$key" -noout -text 2>/dev/null | head -n 1)" = "Private-Key: (2048 bit, 2 primes)" ]' "a 2048-bit RSA key"
sum=$(cksum < "$key")
kith dkim keygen example.org --selector s2026 >/dev/null 2>"$T/err"
rc=$?
assert_ok '[ $rc = 73 ] && grep -q "File exists" "$T/err" && [ "$(cksum < "$key")" = "$sum" ]' "keygen never overwrites a key (73, the key unchanged)"
printf '[dkim]\ndomain = example.org\nselector = s2026\n' >> "$KITH_CONF"
kith check >"$T/check.out" 2>"$T/check.err"
assert_ok '[ $? = 0 ] && grep -q "^# dkim: $key signs as d=example.org s=s2026$" "$T/check.out"' "kith check reads the key as deliver will, and says so"
mv "$key" "$key.away"
kith check >/dev/null 2>"$T/check.err"
rc=$?
assert_ok '[ $rc = 78 ] && grep -q "dkim: cannot read DKIM key .*s2026.example.org.pem.*kith deliver sends nothing until it can sign" "$T/check.err"' "kith check with the key missing: exit 78, one line (it said all was fine, and deliver stopped): $(tail -n 1 "$T/check.err")"
mv "$key.away" "$key"
kith list set team subject_prefix "[team]" >/dev/null

# plain ASCII
printf 'From: alice@example.org\nTo: team@example.org\nSubject: plain\nMessage-ID: <k1@x>\n\nHello   there \t\n\n\n' > "$T/p1"
post "$T/p1" >/dev/null
# multipart with Greek/Korean subject and a PDF
post "$KITH_SRCDIR/tests/data/greek-korean-pdf.eml" >/dev/null
# 8-bit UTF-8 body
printf 'From: alice@example.org\nTo: team@example.org\nSubject: 8bit\nMessage-ID: <k3@x>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\nΚαλημέρα, 안녕하세요, Zażółć.\n' > "$T/p3"
post "$T/p3" >/dev/null
# a line longer than SMTP allows (our client breaks it; the signature covers what is sent)
{ printf 'From: alice@example.org\nTo: team@example.org\nSubject: long line\nMessage-ID: <k4@x>\n\n'; head -c 2500 /dev/zero | tr '\0' 'y'; printf '\nend\n'; } > "$T/p4"
post "$T/p4" >/dev/null
# a notice (non-member refused) and a digest
kith list set team nonmember_action reject >/dev/null
printf 'From: stranger@example.net\nTo: team@example.org\nSubject: hi\nMessage-ID: <k5@x>\n\nhi\n' > "$T/p5"
post "$T/p5" team@example.org stranger@example.net >/dev/null
kith member set team bob@example.org mode=digest-daily >/dev/null
printf 'From: alice@example.org\nTo: team@example.org\nSubject: for the digest\nMessage-ID: <k6@x>\n\nhello\n' > "$T/p6"
post "$T/p6" >/dev/null
kith digest send team --force >/dev/null
kith deliver >/dev/null
$PY "$HERE/verify_dkim.py" "$SINK_DIR" "$key" s2026 example.org --now "$(epoch)" > "$T/dkim.out"
r=$?
cat "$T/dkim.out"
assert_ok '[ $r = 0 ]' "dkimpy verifies every message the sink received ($(grep -c '^ok' "$T/dkim.out") of them)"
f=$(grep -l "long line" "$SINK_DIR"/*.eml | head -n 1)
assert_ok '[ -n "$f" ] && awk "length > 1000 { bad = 1 } END { exit bad }" "$f"' "the long line arrived broken under 998 octets"
assert_ok 'grep -q "h=From:To:Subject:Date:Message-ID:.*List-Id:List-Unsubscribe:From;" "$(grep -l "^Message-ID: <k1@x>" "$SINK_DIR"/*.eml | head -n 1)"' "posts sign From..List-Unsubscribe and oversign From"

# DMARC: from_rewrite always, signed and aligned with the list's domain.
rm -f "$SINK_DIR"/*
kith list set team from_rewrite always >/dev/null
printf 'From: Alice Strict <alice@strict.example>\nTo: team@example.org\nSubject: dmarc\nMessage-ID: <k8@x>\n\nhi\n' > "$T/p8"
kith member add team alice@strict.example >/dev/null
post "$T/p8" team@example.org alice@strict.example >/dev/null
kith deliver >/dev/null
f=$(grep -l "^Message-ID: <k8@x>" "$SINK_DIR"/*.eml | head -n 1)
assert_ok '[ "$($MT header "$f" From)" = "Alice Strict via Team <team@example.org>" ]' "from_rewrite always: From is \"Alice Strict via Team\" <team@example.org>"
assert_ok '[ "$($MT header "$f" Reply-To)" = "alice@strict.example" ]' "and Reply-To is the author"
$PY "$HERE/verify_dkim.py" "$SINK_DIR" "$key" s2026 example.org --now "$(epoch)" >/dev/null
rc=$?
assert_ok '[ $rc = 0 ]' "the rewritten copies verify too"
kith list set team from_rewrite never >/dev/null

# A changed copy does not verify: the check can fail.
f=$(grep -l "^Message-ID: <k1@x>" "$SINK_DIR"/*.eml | head -n 1)
mkdir -p "$T/tampered"
sed 's/Hello   there/Hello there!/' "$f" > "$T/tampered/x.eml"
$PY "$HERE/verify_dkim.py" "$T/tampered" "$key" s2026 example.org --now "$(epoch)" >/dev/null
rc=$?
assert_ok '[ $rc = 1 ]' "a tampered body fails verification"

# A key that cannot be read stops delivery instead of sending unsigned.
printf 'From: alice@example.org\nSubject: x\nMessage-ID: <k7@x>\n\nx\n' > "$T/p7"
post "$T/p7" >/dev/null
sed -i 's/^selector = s2026$/selector = missing/' "$KITH_CONF"
kith deliver >/dev/null 2>"$T/err"
rc=$?
assert_ok '[ $rc = 78 ] && grep -q "cannot read DKIM key" "$T/err"' "an unreadable key: kith deliver exits 78 and says why"
assert_ok '[ "$(db "SELECT count(*) FROM outbox WHERE state='"'"'pending'"'"'")" -gt 0 ]' "and nothing was sent unsigned"
finish
