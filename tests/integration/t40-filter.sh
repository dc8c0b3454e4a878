#!/bin/sh
# Content filtering and the MTA's spam verdict (issue 17): an .exe (by
# type, by name, RFC 2231, double extension, inside a forwarded message)
# dropped with a note, refused with a notice or held; max_attachment_kb;
# a list's own mime_filter; the archive and digests never get what was
# dropped; SpamAssassin's and rspamd's verdicts held (or discarded, or
# passed; never answered); html_only pass, convert and reject; every
# decision logged with the Message-ID.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink
setup_list
kith list set team from_rewrite never >/dev/null	# no DNS here
EXE=$(printf 'MZ\220\0\3\0\0\0\4\0\0\0this program cannot be run in DOS mode' | base64 -w0)

# mail ID PARTS... - a multipart/mixed post from alice; each PART is
# "TYPE|DISPOSITION-PARAMS|BASE64" (the text part comes first)
mail() {
	id=$1
	shift
	{
		printf 'From: Alice <alice@example.org>\nTo: team@example.org\nSubject: filter %s\nMessage-ID: <%s@t>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b0\n\n--b0\nContent-Type: text/plain\n\nSee attached (%s).\n' "$id" "$id" "$id"
		for p in "$@"; do
			mid=${p#*|}
			if [ "${p%%|*}" = message/rfc822 ]; then	# never encoded
				printf -- '--b0\nContent-Type: message/rfc822\nContent-Disposition: attachment; %s\n\n' "${mid%%|*}"
				printf '%s' "${p##*|}" | base64 -d
				continue
			fi
			printf -- '--b0\nContent-Type: %s\nContent-Disposition: attachment; %s\nContent-Transfer-Encoding: base64\n\n%s\n' \
				"${p%%|*}" "${mid%%|*}" "${p##*|}"
		done
		printf -- '--b0--\n'
	} > "$T/$id.eml"
	kith receive -r team@example.org -f alice@example.org < "$T/$id.eml" 2>>"$T/receive.err"
	kith deliver >/dev/null 2>&1
}
bobs() { grep -l "^Message-ID: <$1@t>" $($MT last "$SINK_DIR" bob@example.org) 2>/dev/null; }
parts() { $PY - "$1" <<'EOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
for p in m.walk():
    if not p.is_multipart():
        print(p.get_content_type(), p.get_filename() or "-",
              " ".join(p.get_content().split()) if p.get_content_maintype() == "text" else "")
EOF
}

# drop (the default): the note takes the part's place
mail e1 "application/octet-stream|filename=\"setup.exe\"|$EXE" "application/pdf|filename=\"plan.pdf\"|JVBERi0xLjQK"
f=$(bobs e1)
p=$(parts "$f")
assert_ok '[ -n "$f" ] && ! printf "%s\n" "$p" | grep -q "^[^ ]* setup.exe"' "an .exe is not passed on (drop, the default)"
assert_ok 'printf "%s\n" "$p" | grep -q "^text/plain - \[Team removed an attachment here: setup.exe, application/octet-stream, .* This list does not pass on programs, scripts or files of this kind.\]"' "a short note takes its place"
assert_ok 'printf "%s\n" "$p" | grep -q "^application/pdf plan.pdf" && printf "%s\n" "$p" | grep -q "^text/plain - See attached (e1)."' "the text and the PDF stay"
assert_ok 'grep -q "filter: dropped .setup.exe. (application/octet-stream) from .<e1@t>. to .team@example.org.: a program or script" "$T/receive.err"' "logged with the Message-ID"
assert_ok '! db "SELECT raw FROM posts WHERE message_id='"'"'e1@t'"'"'" | grep -q "$(echo "$EXE" | head -c 20)"' "the archive keeps the post without it"

# by type, by name in RFC 2231, a double extension, a trailing dot, inside a forwarded message
FWD=$(printf 'From: x@y\nSubject: fwd\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=i1\n\n--i1\nContent-Type: text/plain\n\ninner\n--i1\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="inner.scr"\nContent-Transfer-Encoding: base64\n\n%s\n--i1--\n' "$EXE" | base64 -w0)
mail e2 "application/x-msdownload|filename=\"readme.txt\"|$EXE" \
    "application/octet-stream|filename*=utf-8''invoice%2Epdf%2Eexe|$EXE" \
    "application/octet-stream|filename=\"update.js.\"|$EXE" \
    "message/rfc822|filename=\"fwd.eml\"|$FWD"
p=$(parts "$(bobs e2)")
assert_ok '[ "$(printf "%s\n" "$p" | grep -c "removed an attachment here")" = 4 ]' "by type, RFC 2231 name, double extension, trailing dot, in a forwarded message: all 4 dropped"
assert_ok 'printf "%s\n" "$p" | grep -q "inner" && ! printf "%s\n" "$p" | grep -q "^application/"' "the forwarded message keeps its text"

# max_attachment_kb
kith list set team max_attachment_kb 1 >/dev/null
BIG=$(head -c 3000 /dev/zero | tr '\0' 'x' | base64 -w 76)
mail e3 "application/pdf|filename=\"big.pdf\"|$BIG" "image/png|filename=\"dot.png\"|iVBORw0KGgo="
p=$(parts "$(bobs e3)")
assert_ok 'printf "%s\n" "$p" | grep -q "big.pdf, application/pdf, 2.9 KB. Attachments on this list may be at most 1 KB" && printf "%s\n" "$p" | grep -q "^image/png dot.png"' "max_attachment_kb: the large file dropped with a note, the small one kept"
kith list set team max_attachment_kb 0 >/dev/null

# a list's own filter
kith list set team mime_filter "video/*, .zip" >/dev/null
mail e4 "video/mp4|filename=\"clip.mp4\"|AAAA" "application/zip|filename=\"a.ZIP\"|UEsFBg==" "application/octet-stream|filename=\"tool.exe\"|$EXE"
p=$(parts "$(bobs e4)")
assert_ok '[ "$(printf "%s\n" "$p" | grep -c "removed an attachment")" = 2 ] && printf "%s\n" "$p" | grep -q "tool.exe"' "mime_filter 'video/*, .zip': those two dropped, executables no longer"
kith list set team mime_filter "bogus" >/dev/null 2>"$T/err"
rc=$?
assert_ok '[ $rc != 0 ] && grep -q "not allowed for mime_filter" "$T/err"' "a mime_filter Kith cannot read is refused ($(cat "$T/err"))"
kith list set team mime_filter executables >/dev/null

# reject: the sender is told, members get nothing
kith list set team mime_filter_action reject >/dev/null
before=$($MT count "$SINK_DIR" bob@example.org)
mail e5 "application/octet-stream|filename=\"setup.exe\"|$EXE"
assert_ok '[ "$($MT count "$SINK_DIR" bob@example.org)" = "$before" ]' "reject: members get nothing"
n=$($MT last "$SINK_DIR" alice@example.org)
assert_ok 'grep -q "^Subject: Your message to team@example.org was not sent\|^Subject: Your message to team@example.org was not posted" "$n" && $MT body "$n" | grep -q "carries an attachment"' "and the sender gets the notice filtered.txt"
assert_ok 'grep -q "filter: refusing .<e5@t>. from .alice@example.org. to .team@example.org.: .setup.exe. (application/octet-stream) is a program or script" "$T/receive.err"' "logged with the Message-ID"

# hold: the moderators decide
kith list set team mime_filter_action hold >/dev/null
mail e6 "application/octet-stream|filename=\"setup.exe\"|$EXE"
assert_ok 'kith mod ls team | grep -q "filter e6"' "hold: the post waits for a moderator"
assert_ok 'grep -q "inbound: held .<e6@t>. from .alice@example.org. to .team@example.org.: .setup.exe. (application/octet-stream) is a program or script" "$T/receive.err"' "with the reason"
kith list set team mime_filter_action drop >/dev/null

# spam verdicts of the MTA in front
spam() {	# spam ID SENDER HEADER-LINE
	printf 'From: %s\nTo: team@example.org\nSubject: spam %s\nMessage-ID: <%s@t>\n%s\n\nbuy now\n' "$2" "$1" "$1" "$3" > "$T/$1.eml"
	kith receive -r team@example.org -f "$2" < "$T/$1.eml" 2>>"$T/receive.err"
	echo $?
	kith deliver >/dev/null 2>&1
}
assert_ok '[ "$(spam s1 alice@example.org "X-Spam-Flag: YES")" = 0 ] && kith mod ls team | grep -q "spam s1"' "SpamAssassin X-Spam-Flag: YES: held"
assert_ok 'grep -q "held .<s1@t>.*the MTA.s spam filter says so (X-Spam-Flag: yes)" "$T/receive.err"' "logged with the Message-ID and the verdict"
assert_ok '[ "$(spam s2 alice@example.org "X-Spam-Action: add header")" = 0 ] && kith mod ls team | grep -q "spam s2"' "rspamd X-Spam-Action: add header: held"
spam s3 alice@example.org "X-Spam-Flag: NO" >/dev/null
assert_ok '[ -n "$(bobs s3)" ]' "X-Spam-Flag: NO: delivered"
kith list set team nonmember_action reject >/dev/null
before=$($MT count "$SINK_DIR" spammer@bad.example)
spam s4 spammer@bad.example "X-Spam-Action: reject" >/dev/null
assert_ok 'kith mod ls team | grep -q "spam s4" && [ "$($MT count "$SINK_DIR" spammer@bad.example)" = "$before" ]' "a non-member's spam is held, never answered (no backscatter)"
kith list set team spam_action discard >/dev/null
spam s5 alice@example.org "X-Spam-Flag: YES" >/dev/null
assert_ok '! kith mod ls team | grep -q "spam s5" && [ -z "$(bobs s5)" ] && grep -q "discarded .<s5@t>.*spam filter" "$T/receive.err"' "spam_action discard: dropped, logged"
kith list set team spam_action pass >/dev/null
spam s6 alice@example.org "X-Spam-Flag: YES" >/dev/null
assert_ok '[ -n "$(bobs s6)" ] && grep -q "filter: passed .<s6@t>." "$T/receive.err"' "spam_action pass: delivered, logged"
kith list set team spam_action hold >/dev/null
kith list set team spam_header "X-Custom-Verdict: probable|certain" >/dev/null
spam s7 alice@example.org "X-Custom-Verdict:   Probable" >/dev/null
spam s8 alice@example.org "X-Spam-Flag: YES" >/dev/null
assert_ok 'kith mod ls team | grep -q "spam s7" && [ -n "$(bobs s8)" ]' "a list's own spam_header replaces the presets"
kith list set team spam_header off >/dev/null
spam s9 alice@example.org "X-Custom-Verdict: certain" >/dev/null
assert_ok '[ -n "$(bobs s9)" ]' "spam_header off: nothing held"

# html_only
html() {	# html ID
	printf 'From: Alice <alice@example.org>\nTo: team@example.org\nSubject: html %s\nMessage-ID: <%s@t>\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<html><body><p>Meet at <b>noon</b>, see <a href="https://example.org/map">the map</a>.</p></body></html>\n' "$1" "$1" > "$T/$1.eml"
	kith receive -r team@example.org -f alice@example.org < "$T/$1.eml" 2>>"$T/receive.err"
	kith deliver >/dev/null 2>&1
}
html h1
assert_ok '[ "$(parts "$(bobs h1)" | cut -d" " -f1)" = text/html ]' "html_only pass (the default): as it came"
kith list set team html_only convert >/dev/null
html h2
p=$(parts "$(bobs h2)")
assert_ok '[ "$(printf "%s\n" "$p" | cut -d" " -f1 | tr "\n" " ")" = "text/plain text/html " ]' "convert: a plain-text alternative first, the HTML kept"
assert_ok 'printf "%s\n" "$p" | grep -q "^text/plain - Meet at noon, see the map <https://example.org/map>."' "with the words and the link"
assert_ok '[ "$($PY -c "import email,email.policy,sys; print(email.message_from_binary_file(open(sys.argv[1],\"rb\"),policy=email.policy.default).get_content_type())" "$(bobs h2)")" = multipart/alternative ]' "as multipart/alternative"
assert_ok 'grep -q "filter: converted HTML-only .<h2@t>." "$T/receive.err"' "logged"
kith list set team html_only reject >/dev/null
html h3
n=$($MT last "$SINK_DIR" alice@example.org)
assert_ok '[ -z "$(bobs h3)" ] && $MT body "$n" | grep -q "only an HTML version"' "reject: not posted, the sender told why (html-only.txt)"
assert_ok 'grep -q "filter: refusing .<h3@t>.*HTML and no plain text" "$T/receive.err"' "logged"
finish
