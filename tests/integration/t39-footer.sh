#!/bin/sh
# The list footer (issue 17): every MIME shape in tests/data/footer/*.eml
# posted to lists with the footer on, and each member's copy read with
# Python's email package: text/plain appended (7bit, quoted-printable,
# base64, Latin-1, KOI8-R that cannot hold the footer), text/html and
# multipart/alternative and related wrapped in multipart/mixed, or given
# the list's HTML footer in place, multipart/mixed a new part; S/MIME
# signed and encrypted mail and a post signed by its author's DKIM (From
# kept) left intact and still verifying; digests and newsletters get it
# too (unless the newsletter template has its own link); off by
# default.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

DATA=$KITH_SRCDIR/tests/data/footer
VF="$PY $HERE/verify_footer.py"
start_sink
setup_list
kith list set team posting anyone >/dev/null
kith list set team from_rewrite never >/dev/null	# no DNS here
for spec in "html@example.org|Html" "cz@example.org|Zahrádka"; do
	addr=${spec%|*}
	kith list create "$addr" --owner alice@example.org --name "${spec#*|}" >/dev/null
	kith member add "$addr" bob@example.org --name Bob >/dev/null
	kith list set "$addr" posting anyone >/dev/null
	kith list set "$addr" from_rewrite never >/dev/null
	kith list set "$addr" footer on >/dev/null
done
mkdir -p "$T/var/templates/html"
printf '<div class="kith-html-footer">{{list.name}}: <a href="{{unsubscribe}}">leave</a></div>\n' \
	> "$T/var/templates/html/footer.html"
kith list set html footer_html on >/dev/null

# copy FILE LIST - post FILE to LIST, deliver; prints Bob's copy
copy() {
	id=$(sed -n 's/^Message-ID: <\(.*\)>\r*$/\1/p' "$1" | head -n 1)
	kith receive -r "$2" -f ann@author.example < "$1" 2>>"$T/receive.err"
	kith deliver >/dev/null 2>&1
	$PY - "$SINK_DIR" "$id" <<'EOF'
import glob, json, os, sys
for js in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    eml = js[:-5] + ".eml"
    if "bob@example.org" in json.load(open(js))["rcpt_tos"] and \
            ("<%s>" % sys.argv[2]).encode() in open(eml, "rb").read():
        print(eml)
EOF
}

# off by default: the body byte for byte
f=$(copy "$DATA/plain-7bit.eml" team@example.org)
assert_ok '[ "$($VF untouched "$f" "$DATA/plain-7bit.eml")" = ok ]' "footer off by default: the body as sent"
kith list set team footer on >/dev/null

# check HOW FILE LIST [HTML] [what]
check() {
	name=$(basename "$2" .eml)
	f=$(copy "$2" "$3")
	r=$($VF "$1" "$f" "$2" ${4:-})
	assert_ok '[ "$r" = ok ]' "${5:-$name} to ${3%@*}: $1 ($r)"
}
# every shape in tests/data/footer, on a list with a text footer only
for eml in "$DATA"/*.eml; do
	case $(basename "$eml") in
	plain-*) how=append;;
	mixed.eml) how=newpart;;
	html-only.eml|alternative.eml|related.eml) how=wrap;;
	dkim-*) continue;;	# below, signed
	*) how=unknown;;
	esac
	sed 's/^\(Message-ID: <\)/\1team-/' "$eml" > "$T/$(basename "$eml")"
	check "$how" "$T/$(basename "$eml")" team@example.org
done
# the same with an HTML footer: into the HTML parts
for spec in html-only:append alternative:inplace related:inplace \
    mixed:newpart plain-7bit:append; do
	sed 's/^\(Message-ID: <\)/\1html-/' "$DATA/${spec%:*}.eml" > "$T/h-${spec%:*}.eml"
	check "${spec#*:}" "$T/h-${spec%:*}.eml" html@example.org kith-html-footer "${spec%:*}"
done
# footer_html: off, the list's own footer.html is not used; on without
# one of its own, the shipped footer.html goes into the HTML parts
kith list set html footer_html off >/dev/null
sed 's/^\(Message-ID: <\)/\1hoff-/' "$DATA/alternative.eml" > "$T/hoff-alternative.eml"
check wrap "$T/hoff-alternative.eml" html@example.org "" "footer_html off: alternative"
kith list set html footer_html on >/dev/null
kith list set team footer_html on >/dev/null
sed 's/^\(Message-ID: <\)/\1ship-/' "$DATA/alternative.eml" > "$T/ship-alternative.eml"
check inplace "$T/ship-alternative.eml" team@example.org kith-footer "the shipped footer.html: alternative"
kith list set team footer_html off >/dev/null
# a footer with characters KOI8-R has not: a part of its own; Latin-1 has them
sed 's/^\(Message-ID: <\)/\1cz-/' "$DATA/plain-koi8.eml" > "$T/cz-koi8.eml"
check wrap "$T/cz-koi8.eml" cz@example.org "" "KOI8-R, footer 'Zahrádka'"
sed 's/^\(Message-ID: <\)/\1cz-/' "$DATA/plain-latin1.eml" > "$T/cz-latin1.eml"
check append "$T/cz-latin1.eml" cz@example.org "" "Latin-1, footer 'Zahrádka'"
f=$(copy "$T/cz-latin1.eml" cz@example.org)
assert_ok '$PY -c "import email,email.policy,sys; m=email.message_from_binary_file(open(sys.argv[1],\"rb\"),policy=email.policy.default); assert m.get_content_charset()==\"iso-8859-1\" and \"Zahrádka\" in m.get_content() and \"Grüße\" in m.get_content()" "$f"' "in Latin-1, both the post and the footer read right"
# CRLF line ends as SMTP carries them
sed 's/^\(Message-ID: <\)/\1crlf-/; s/$/\r/' "$DATA/alternative.eml" > "$T/crlf-alt.eml"
check wrap "$T/crlf-alt.eml" team@example.org "" "CRLF alternative"

# each member's own links
links=$(grep -h "^Leave the list:" $(grep -l "<team-f-plain-7bit@t>" "$SINK_DIR"/*.eml) | sort -u | wc -l)
assert_ok '[ "$links" = 3 ]' "each of the 3 members' copies has its own unsubscribe link"

# S/MIME: signed and encrypted mail is left alone
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/smime.key" -out "$T/smime.crt" \
	-days 3650 -subj "/CN=ann@author.example" 2>/dev/null
printf 'Signed with S/MIME.\n' > "$T/smime.txt"
openssl smime -sign -in "$T/smime.txt" -signer "$T/smime.crt" -inkey "$T/smime.key" -text > "$T/smime.part" 2>/dev/null
{ printf 'From: Ann <ann@author.example>\nTo: team@example.org\nSubject: smime signed\nMessage-ID: <f-smime@t>\n'; cat "$T/smime.part"; } > "$T/smime.eml"
f=$(copy "$T/smime.eml" team@example.org)
assert_ok '[ "$($VF untouched "$f" "$T/smime.eml")" = ok ]' "multipart/signed (S/MIME): untouched"
assert_ok 'openssl smime -verify -noverify -in "$f" -out /dev/null 2>/dev/null' "and the member's copy still verifies (openssl smime)"
openssl smime -encrypt -aes256 -in "$T/smime.txt" "$T/smime.crt" > "$T/enc.part" 2>/dev/null
{ printf 'From: Ann <ann@author.example>\nTo: team@example.org\nSubject: smime encrypted\nMessage-ID: <f-enc@t>\n'; cat "$T/enc.part"; } > "$T/enc.eml"
f=$(copy "$T/enc.eml" team@example.org)
assert_ok '[ "$($VF untouched "$f" "$T/enc.eml")" = ok ]' "application/pkcs7-mime (encrypted): untouched"
assert_ok 'openssl smime -decrypt -in "$f" -recip "$T/smime.crt" -inkey "$T/smime.key" | grep -q "Signed with S/MIME"' "and still decrypts"

# DKIM: the author's signature is kept while From is, not once it is rewritten
if $PY -c 'import dkim' 2>/dev/null; then
	openssl genrsa -out "$T/ann.pem" 2048 2>/dev/null
	sign() {	# sign ID OUT: dkim-plain.eml with Message-ID ID, DKIM-signed by author.example
		sed "s/<f-dkim-plain@t>/<$1>/" "$DATA/dkim-plain.eml" > "$T/unsigned"
		$PY - "$T/unsigned" "$T/ann.pem" "$2" <<'EOF'
import dkim, sys
raw = open(sys.argv[1], "rb").read()
sig = dkim.sign(raw, b"s1", b"author.example", open(sys.argv[2], "rb").read(),
                include_headers=[b"from", b"to", b"subject", b"message-id", b"date"])
open(sys.argv[3], "wb").write(sig + raw)
EOF
	}
	verify_ann() {
		$PY - "$1" "$T/ann.pem" <<'EOF'
import base64, dkim, subprocess, sys
der = subprocess.run(["openssl", "rsa", "-in", sys.argv[2], "-pubout", "-outform", "DER"],
                     capture_output=True, check=True).stdout
rec = b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)
ok = dkim.verify(open(sys.argv[1], "rb").read(),
                 dnsfunc=lambda n, timeout=5: rec if n.startswith(b"s1._domainkey.author.example") else None)
print("verifies" if ok else "fails")
EOF
	}
	sign d1@t "$T/d1.eml"
	f=$(copy "$T/d1.eml" team@example.org)
	assert_ok '[ "$($VF untouched "$f" "$T/d1.eml")" = ok ]' "DKIM-signed by the author's domain, From kept: no footer"
	assert_ok '[ "$(verify_ann "$f")" = verifies ]' "and the author's signature still verifies on the member's copy"
	kith list set team from_rewrite always >/dev/null
	sign d2@t "$T/d2.eml"
	f=$(copy "$T/d2.eml" team@example.org)
	assert_ok '[ "$($VF append "$f" "$T/d2.eml")" = ok ]' "From rewritten: the signature no longer decides, the footer goes in"
	kith list set team from_rewrite never >/dev/null
fi

# digests get it too: MIME (a new last part) and plain (appended)
kith member set team carol@example.org mode=digest-daily >/dev/null
kith member set team alice@example.org mode=digest-daily >/dev/null
kith member set team alice@example.org digest_format=plain >/dev/null
sed 's/^\(Message-ID: <\)/\1dg-/' "$DATA/plain-7bit.eml" > "$T/dg.eml"
kith receive -r team@example.org -f ann@author.example < "$T/dg.eml" 2>>"$T/receive.err"
kith digest send team --force >/dev/null 2>&1
kith deliver >/dev/null 2>&1
dm=$($MT last "$SINK_DIR" carol@example.org)
assert_ok '$PY -c "import email,email.policy,sys; m=email.message_from_binary_file(open(sys.argv[1],\"rb\"),policy=email.policy.default); p=list(m.iter_parts()); assert m.get_content_type()==\"multipart/mixed\" and \"Digest\" in str(m[\"Subject\"]) and \"Leave the list:\" in p[-1].get_content() and \"team-unsubscribe+\" in p[-1].get_content()" "$dm"' "a MIME digest ends with a footer part, with the member's own link"
dp=$($MT last "$SINK_DIR" alice@example.org)
assert_ok '$PY -c "import email,email.policy,sys; m=email.message_from_binary_file(open(sys.argv[1],\"rb\"),policy=email.policy.default); t=m.get_content() if not m.is_multipart() else list(m.iter_parts())[-1].get_content(); assert \"Digest\" in str(m[\"Subject\"]) and \"Leave the list:\" in t" "$dp"' "the other digest format too"
# newsletters: the footer (newsletter_footer, on by default) unless the
# newsletter's own template has {{unsubscribe}}, as the shipped one does
mkdir -p "$T/var/templates/team/newsletter"
printf '{{subject}}\n\n{{content}}\n' > "$T/var/templates/team/newsletter/bare.txt"
printf 'The garden opens on Saturday.\n' > "$T/nl.txt"
# nlcopy TEMPLATE - send a campaign with TEMPLATE; prints Bob's copy
nlcopy() {
	rm -f "$SINK_DIR"/*
	nid=$(kith newsletter create team --subject 'Garden news' --text "$T/nl.txt" --template "$1")
	kith newsletter send "$nid" >/dev/null 2>&1
	last bob@example.org
}
nlfooter='import email,email.policy,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default); t=m.get_content(); print(t.count("Leave the list:"), t.count("team-unsubscribe+"), "garden opens" in t)'
f=$(nlcopy bare)
r=$($PY -c "$nlfooter" "$f")
assert_ok '[ "$r" = "1 1 True" ] && grep -q "^Leave the list: .*team-unsubscribe+" "$f"' "a newsletter without its own unsubscribe line gets the footer, with the member's link ($r)"
f=$(nlcopy default)
r=$($PY -c "$nlfooter" "$f")
assert_ok '[ "$r" = "0 1 True" ]' "the shipped newsletter template has its own: no second one ($r)"
kith list set team newsletter_footer off >/dev/null
f=$(nlcopy bare)
r=$($PY -c "$nlfooter" "$f")
assert_ok '[ "$r" = "0 0 True" ]' "newsletter_footer off: none ($r)"
finish
