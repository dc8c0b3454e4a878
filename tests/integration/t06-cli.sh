#!/bin/sh
# The organiser's command line: every command has --help, errors are one
# line with a sysexits code, lists are found by address or bare name,
# import/export round-trip, configuration errors name file and line.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

write_conf "maildir:$T/var/mail"
code() { "$@" >/dev/null 2>"$T/err"; echo $?; }

assert_ok '[ "$(code kith list ls)" = 78 ] && grep -q "run .kith init. first" "$T/err"' "before init: exit 78, says to run kith init"
assert_ok '[ "$(code kith init)" = 0 ] && [ "$(code kith init)" = 0 ]' "kith init twice: exit 0 both times"
assert_ok '[ "$(stat -c %a "$T/var/secret")" = 600 ]' "the site secret is mode 0600"
assert_ok '[ "$(stat -c %s "$T/var/secret")" = 32 ]' "the site secret holds 32 random bytes"
if sqlite_only "the database file is in WAL mode"; then
	assert_ok '[ "$(schema_version)" = 23 ]' "schema version 23"
else
	assert_ok '[ "$(schema_version)" = 23 ] && [ "$(db "PRAGMA journal_mode")" = wal ]' "schema version 23, WAL"
fi

for c in init check list member receive deliver cron queue archive quarantine mod ban; do
	out=$(kith $c --help 2>&1)
	rc=$?
	assert_ok '[ $rc = 0 ] && printf "%s\n" "$out" | grep -q "usage: kith"' "kith $c --help"
done
assert_ok '[ "$(code kith frobnicate)" = 64 ] && grep -q "not a kith command" "$T/err"' "unknown command: exit 64"
assert_ok '[ "$(code kith list create bad-address --owner a@b.org)" = 65 ] && grep -q "not a valid list address" "$T/err"' "bad list address: exit 65"
assert_ok '[ "$(code kith list create team@example.org)" = 64 ] && grep -q "needs --owner" "$T/err"' "list create without owner: exit 64"
assert_ok '[ "$(code kith list create team@example.org --owner own@example.org --name "$(printf "Our\\r\\nBcc: x@evil.example")")" = 65 ] && [ "$(wc -l < "$T/err")" = 1 ] && grep -q "name is one line of UTF-8 text" "$T/err"' "a list name with a line end: exit 65, one line"
assert_ok '[ "$(code kith list create team@example.org --owner own@example.org --description "$(printf "Caf\\351\\007")")" = 65 ] && grep -q "description is UTF-8 text" "$T/err" && [ "$(kith list ls | wc -l)" = 0 ]' "a description not in UTF-8 with a BEL: exit 65, no list made"
assert_ok '[ "$(code kith list create team@example.org --owner own@example.org --name "Our Team")" = 0 ]' "list create"
assert_ok '[ "$(code kith list create team@example.org --owner own@example.org)" = 65 ] && grep -q "already exists" "$T/err"' "list create twice: exit 65"
assert_ok '[ "$(code kith list create team@other.example --owner own@example.org)" = 0 ]' "same name on another domain"
assert_ok '[ "$(code kith list show team)" = 67 ] && grep -q "more than one list" "$T/err"' "an ambiguous bare name is refused"
assert_ok 'kith list show team@example.org | grep -q "^name  *Our Team"' "list show by address"
kith list rm team@other.example --yes >/dev/null
assert_ok 'kith list show team | grep -q "^posting  *members"' "list show by bare name, default posting=members"
assert_ok '[ "$(code kith list set team posting everyone)" = 65 ] && grep -q "members|moderated|announce|anyone" "$T/err"' "a bad value names the allowed ones"
assert_ok '[ "$(code kith list set team colour blue)" = 65 ] && grep -q "unknown list setting" "$T/err"' "an unknown setting: exit 65"
assert_ok '[ "$(code kith list set team archive_url "javascript:alert(1)")" = 65 ] && grep -q "an http:// or https:// address" "$T/err" && [ "$(code kith list set team archive_url "https://x.example/a b")" = 65 ]' "an archive_url that is no web address (javascript:, a space) is refused: it goes into List-Archive and the footer's link"
assert_ok '[ "$(code kith list set team held_days 9223372036854775807)" = 65 ] && grep -q "a whole number from 1 to 3660" "$T/err" && kith list show team | grep -q "^held_days  *14$"' "a number past its bound (held_days in seconds would overflow): exit 65 with the range, nothing changed"
assert_ok '[ "$(code kith list set team digest_time 7:00)" = 0 ] && kith list show team | grep -q "^digest_time  *07:00$" && [ "$(code kith list set team digest_time 9:60)" = 65 ] && grep -q "^kith: .9:60. is not allowed for digest_time (HH:MM)" "$T/err"' "digest_time 7:00 is 07:00, as kith event create reads 9:00 (it was refused)"
assert_ok '[ "$(code kith list set team held_days 0)" = 65 ] && grep -q "a whole number from 1 to 3660" "$T/err" && [ "$(code kith list set team rate 10/minute)" = 65 ] && grep -q "a rate such as 600/min, per s, min, h or day" "$T/err"' "held_days 0 (a held post expired before anyone saw it) is refused; a rate typed wrong is told what a rate is (it was told 'one line of UTF-8 text')"
assert_ok '[ "$(code kith list show nosuch)" = 67 ] && grep -q "list .nosuch. does not exist; see .kith list ls." "$T/err"' "unknown list: exit 67 and a hint"
assert_ok '[ "$(code kith list set team subject_prefix "$(printf "[te\\377am]")")" = 65 ] && grep -q "one line of UTF-8 text" "$T/err" && [ "$(code kith list set team topics "$(printf "walks, \\377")")" = 65 ] && [ "$(code kith list set team subject_prefix "[Команда]")" = 0 ] && kith list show team | grep -q "^subject_prefix  *\\[Команда\\]$"' "a subject_prefix or topics that is not UTF-8 (it goes into every Subject) is refused; Cyrillic is taken"
kith list set team subject_prefix "" >/dev/null
kith list set team reply_to list >/dev/null
assert_ok 'kith list show team | grep -q "^reply_to  *list"' "list set reply_to list"

cat > "$T/members.txt" <<'EOF2'
# our members
ann@example.org Ann Example
"Ben Example" <ben@example.org>
Cé Ünïcode <ce@example.org>
not-an-address
ann@example.org duplicate
   
dora@EXAMPLE.org
EOF2
out=$(kith member import team "$T/members.txt" 2>"$T/err")
assert_ok '[ "$out" = "4 added, 1 skipped (already members), 1 invalid" ]' "import counts: $out"
assert_ok 'grep -q ":5: not an address: .not-an-address." "$T/err"' "import names the bad line"
assert_ok 'kith member ls team | grep -q "^dora@example.org"' "addresses are stored lower-case"
kith member export team > "$T/export.txt"
assert_ok '[ "$(wc -l < "$T/export.txt")" = 6 ] && [ "$(head -n 1 "$T/export.txt")" = "$(printf "address,name\r")" ] && grep -q "^ce@example.org,Cé Ünïcode.$" "$T/export.txt"' "export: CSV, a header and one line per member, names kept"
kith list create copy@example.org --owner own@example.org >/dev/null
out=$(kith member import copy "$T/export.txt")
assert_ok '[ "$out" = "4 added, 1 skipped (already members), 0 invalid" ]' "export re-imports cleanly: $out"
# What organisers bring: a spreadsheet's CSV (byte order mark, CRLF,
# "Name,Email", a quoted name with a comma, an empty name), Czech Excel's
# ';' with first and last name, Mailchimp's export.  Each was "not an
# address" on every line, and the import said "0 added" and exited 0.
kith list create sheets@example.org --owner own@example.org >/dev/null
printf '\357\273\277Name,Email\r\n"Nov\303\241kov\303\241, Jana",jana@example.cz\r\nPetr Svoboda,petr@example.cz\r\n,noname@example.cz\r\n' > "$T/excel.csv"
out=$(kith member import sheets "$T/excel.csv" 2>"$T/err")
assert_ok '[ "$out" = "3 added, 0 skipped (already members), 0 invalid" ] && [ ! -s "$T/err" ] && kith member ls sheets | grep -q "^jana@example.cz .* Nováková, Jana$" && kith member ls sheets | grep -q "^noname@example.cz "' "a spreadsheet's CSV, name first: $out"
printf 'Jm\303\251no;P\305\231\303\255jmen\303\255;E-mailov\303\241 adresa\r\nJana;Dvo\305\231\303\241kov\303\241;jana3@example.cz\r\n"Petr";"Nov\303\241k, ml.";petr3@example.cz\r\n' > "$T/cz.csv"
out=$(kith member import sheets "$T/cz.csv" 2>"$T/err")
assert_ok '[ "$out" = "2 added, 0 skipped (already members), 0 invalid" ] && kith member ls sheets | grep -q "^jana3@example.cz .* Jana Dvořáková$" && kith member ls sheets | grep -q "^petr3@example.cz .* Petr Novák, ml.$"' "Czech Excel's CSV (';', Jméno and Příjmení): $out"
printf '"Email Address","First Name","Last Name","MEMBER_RATING"\n"mc@example.com","Ann","Lee","2"\n' > "$T/mc.csv"
out=$(kith member import sheets "$T/mc.csv" 2>"$T/err")
assert_ok '[ "$out" = "1 added, 0 skipped (already members), 0 invalid" ] && kith member ls sheets | grep -q "^mc@example.com .* Ann Lee$"' "Mailchimp's export: $out"
printf 'mail@example.org Mail Person\nemail@example.org\n' > "$T/legacy.txt"
out=$(kith member import sheets "$T/legacy.txt" 2>"$T/err")
assert_ok '[ "$out" = "2 added, 0 skipped (already members), 0 invalid" ] && kith member ls sheets | grep -q "^mail@example.org .* Mail Person$"' "a one-a-line file starting with mail@ is no CSV header: $out"
printf 'Vorname,Nachname\nAnna,Berg\n' > "$T/noaddr.csv"
out=$(kith member import sheets "$T/noaddr.csv" 2>"$T/err")
rc=$?
assert_ok '[ $rc = 65 ] && grep -q "nothing was imported from .*noaddr.csv.: no line has an address" "$T/err"' "a file with no address at all: exit 65 and why ($rc)"
kith list rm sheets --yes >/dev/null
kith member ls team --json > "$T/members.json"
assert_ok '$PY -c "import json,sys; m=json.load(open(sys.argv[1])); sys.exit(0 if len(m)==5 and {\"address\",\"name\",\"role\",\"mode\",\"joined\"} <= set(m[0]) else 1)" "$T/members.json"' "member ls --json is valid JSON"
assert_ok '[ "$(code kith member add team "bad address")" = 65 ]' "member add of a bad address: exit 65"
assert_ok 'kith member add team ann@example.org | grep -q "already a member"' "member add twice says so"
assert_ok 'kith member add team "Milan Kundera <milan@example.org>" | grep -q "^added milan@example.org to" && kith member ls team | grep -q "^milan@example.org .* Milan Kundera$" && [ "$(code kith member add team "a@example.org Foo <c@example.org>")" = 65 ]' "member add of an address pasted from a mail client ('Name <addr>') adds addr named Name (it was 'not a valid address'); one with two addresses is still refused"
assert_ok 'kith member rm team "Milan Kundera <milan@example.org>" | grep -q "^removed milan@example.org from"' "member rm takes the same pasted form"
assert_ok '[ "$(code kith member rm team nobody@example.org)" = 67 ]' "member rm of a non-member: exit 67"
assert_ok '[ "$(code kith member rm team ann@example.org)" = 0 ] && kith member ls team > "$T/ls" && ! grep -q ann@ "$T/ls"' "member rm"
assert_ok '[ "$(code kith member rm team own@example.org)" = 65 ] && grep -q "own@example.org is the only owner of team@example.org" "$T/err" && [ "$(code kith member role team OWN@example.org moderator)" = 65 ] && kith member ls team | grep -q "^own@example.org  *owner"' "the list's only owner is neither removed nor demoted: exit 65, still the owner"
kith list ls --json > "$T/lists.json"
assert_ok '$PY -c "import json,sys; l=json.load(open(sys.argv[1])); sys.exit(0 if [x[\"address\"] for x in l]==[\"copy@example.org\",\"team@example.org\"] else 1)" "$T/lists.json"' "list ls --json"

# Configuration errors name the file and line; KITH_HOME overrides data_dir.
printf '[site]\ndomain = x\ncolour = blue\n' > "$T/bad.conf"
assert_ok '[ "$(code kith --config "$T/bad.conf" check)" = 78 ] && grep -q "bad.conf:3: unknown setting .colour." "$T/err"' "config error: exit 78, file:line"
assert_ok 'KITH_HOME=$T/other kith init | grep -q "data directory: $T/other"' "KITH_HOME overrides data_dir"
assert_ok 'kith check | grep -q "^transport = maildir:$T/var/mail"' "kith check prints the settings"
sed "s|^transport = maildir:.*|transport = maildir:$T/nomail|" "$KITH_CONF" > "$T/md.conf"
KITH_CONF=$T/md.conf kith check >/dev/null 2>&1
assert_ok '[ ! -e "$T/nomail" ]' "kith check makes no maildir folder (run by root, it would be root's)"
assert_ok '[ "$(kith queue --json)" = "{\"pending\": 0, \"sending\": 0, \"sent\": 0, \"deferred\": 0, \"failed\": 0}" ]' "kith queue --json"

# The maildir transport: one Maildir per member, written tmp -> new.
printf 'From: own@example.org\nSubject: maildir\nMessage-ID: <md@x>\n\nhello\n' > "$T/p.eml"
post "$T/p.eml" team@example.org own@example.org >/dev/null
kith deliver >/dev/null
assert_ok '[ "$(ls "$T"/var/mail/*/new/* | wc -l)" = 4 ]' "maildir: one file per member (4)"
assert_ok 'grep -q "^Return-Path: <team-bounces+" "$T"/var/mail/ben@example.org/new/*' "maildir: Return-Path is the VERP address"
assert_ok '[ -z "$(ls "$T"/var/mail/ben@example.org/tmp)" ]' "maildir: nothing left in tmp/"
assert_ok 'lacks "^List-Archive:" cat "$T"/var/mail/ben@example.org/new/*' "no List-Archive without an archive_url"
kith list set team archive_url "https://lists.example.org/team/" >/dev/null
printf 'From: own@example.org\nSubject: archived\nMessage-ID: <la@x>\n\nhello\n' > "$T/p.eml"
post "$T/p.eml" team@example.org own@example.org >/dev/null
kith deliver >/dev/null
assert_ok 'grep -q "^List-Archive: <https://lists.example.org/team/>" $(grep -l "<la@x>" "$T"/var/mail/ben@example.org/new/*)' "List-Archive when archive_url is set"

# The sendmail transport hands each message to a sendmail-like program.
cat > "$T/fake-sendmail" <<EOF2
#!/bin/sh
echo "\$@" >> "$T/sendmail.args"
cat >> "$T/sendmail.out"
EOF2
chmod +x "$T/fake-sendmail"
sed -i "s|^transport = .*|transport = sendmail:$T/fake-sendmail|" "$KITH_CONF"
printf 'From: own@example.org\nSubject: sendmail\nMessage-ID: <sm@x>\n\nhello\n' > "$T/p.eml"
post "$T/p.eml" team@example.org own@example.org >/dev/null
assert_ok '[ "$(kith deliver)" = "4 sent, 0 deferred, 0 failed" ]' "sendmail transport: 4 sent"
assert_ok 'grep -q "^-i -f team-bounces+.*@example.org -- ben@example.org$" "$T/sendmail.args"' "sendmail gets -i -f VERP -- rcpt"
finish
