#!/bin/sh
# Members whose address is not all ASCII: a domain in Unicode
# (karel@příklad.cz, jun@한국.kr) is one member with its ASCII spelling
# (xn--...), and the copies go to that spelling, which every MTA takes;
# a part before the @ in UTF-8 (지민@example.kr) needs SMTPUTF8 (RFC
# 6531): sent with it where the server offers it, else failed with the
# reason.  Before, the two spellings were two members, and the Unicode
# domain went into RCPT TO as it was, which an MTA refuses without
# SMTPUTF8.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

start_sink
setup_list
assert_ok 'kith member add team "karel@Příklad.cz" >/dev/null' "a member with a domain in Unicode is added"
assert_ok 'kith member add team karel@xn--pklad-zsa96e.cz 2>&1 | grep -q "already a member"' "its ASCII spelling is the same member"
assert_ok '[ "$(kith member ls team | grep -c "^karel@")" = 1 ] && kith member ls team | grep -q "^karel@xn--pklad-zsa96e.cz "' "listed once, in ASCII"
assert_ok 'kith member add team "jun@한국.kr" >/dev/null && kith member add team "지민@example.kr" >/dev/null' "jun@한국.kr and 지민@example.kr are added"
assert_ok 'kith member add team "$(printf "k\\377@example.org")" 2>/dev/null; [ $? = 65 ]' "an address that is not UTF-8: 65"
assert_ok 'kith member add team "x@☃.org" 2>/dev/null; [ $? = 65 ]' "a domain IDNA does not allow (a snowman): 65"

send alice@example.org team@example.org "Hello" "hi all"
rcpts=$($PY -c '
import glob, json, sys
print(" ".join(sorted(r for f in glob.glob(sys.argv[1] + "/*.json") for r in json.load(open(f))["rcpt_tos"])))' "$SINK_DIR")
assert_ok 'case " $rcpts " in *" karel@xn--pklad-zsa96e.cz "*) true;; *) false;; esac && case " $rcpts " in *" jun@xn--3e0b707e.kr "*) true;; *) false;; esac' "the copies go to the domains' ASCII form ($rcpts)"
assert_ok '! printf "%s" "$rcpts" | LC_ALL=C grep -q "[^ -~]"' "no address in UTF-8 reached a server that does not offer SMTPUTF8"
assert_ok '[ "$(db "SELECT state || '"' '"' || last_code FROM outbox WHERE rcpt='"'지민@example.kr'"'")" = "failed 553" ] && db "SELECT last_text FROM outbox WHERE rcpt='"'지민@example.kr'"'" | grep -q "needs SMTPUTF8 (RFC 6531), which 127.0.0.1 does not offer"' "지민's copy fails with the reason: the server does not offer SMTPUTF8"

# mail from the Unicode spelling is the member's
send "karel@příklad.cz" team@example.org "From Karel" "ahoj" "From: Karel <karel@PŘÍKLAD.cz>"
assert_ok 'kith archive ls team | grep -q "From Karel" && [ "$(db "SELECT count(*) FROM held")" = 0 ]' "a post From: karel@PŘÍKLAD.cz is a member's, not held"

# a server that offers SMTPUTF8 gets the UTF-8 address, with SMTPUTF8
stop_sink
start_sink --smtputf8
write_conf "smtp://127.0.0.1:$SINK_PORT"
kith member add team "민준@example.kr" >/dev/null
send alice@example.org team@example.org "Again" "hi"
assert_ok '$PY -c "
import glob, json, sys
got = [json.load(open(f)) for f in glob.glob(sys.argv[1] + \"/*.json\")]
m = [g for g in got if \"민준@example.kr\" in g[\"rcpt_tos\"]]
sys.exit(not (m and \"SMTPUTF8\" in m[0][\"mail_options\"]))" "$SINK_DIR"' "민준@example.kr is sent MAIL FROM ... SMTPUTF8 where the server offers it"

# a member stored with a Unicode domain by an older Kith is still found,
# kith check says what to do, and rm + add puts it right
db "INSERT INTO members(list_id, address, name, role, mode, joined) SELECT id, 'eva@čeština.cz', '', 'member', 'each', 0 FROM lists WHERE local='team'" >/dev/null
kith check >/dev/null 2>"$T/check.err"
assert_ok 'grep -q "member eva@čeština.cz was stored with its domain in Unicode, as eva@xn--etina-gya30d.cz is now written" "$T/check.err"' "kith check names the member stored the old way ($(grep -o "member eva[^:]*" "$T/check.err"))"
assert_ok 'kith member rm team "eva@čeština.cz" >/dev/null && kith member add team "eva@čeština.cz" >/dev/null && kith member ls team | grep -q "^eva@xn--etina-gya30d.cz " && ! kith member ls team | grep -q "čeština"' "kith member rm finds it; added again it is stored in ASCII"
finish
