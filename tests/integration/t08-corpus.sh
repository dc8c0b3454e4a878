#!/bin/sh
# Real mail written by other software (../shared/corpus: bounces from ~75
# MTAs, tricky MIME, calendar mail, RFC examples) piped into kith receive
# as posts from a member: every one ends in exit 0 (posted, dropped or
# quarantined with a reason), none crashes, and the posts that go out
# still parse with Python's email package.  Skips when the corpus is absent.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

CORPUS=${KITH_CORPUS:-$KITH_SRCDIR/../shared/corpus}
if [ ! -d "$CORPUS" ]; then
	echo "SKIP: no corpus at $CORPUS (it lives in ../shared/corpus)"
	exit 77
fi
write_conf "maildir:$T/var/mail"
kith init >/dev/null
kith list create team@example.org --owner alice@example.org >/dev/null
kith list set team subject_prefix "[team]" >/dev/null
kith list set team posting anyone >/dev/null

total=0
bad=0
find "$CORPUS" -type f -name '*.eml' | sort > "$T/files"
while read -r f; do
	total=$((total + 1))
	kith receive -r team@example.org -f alice@example.org < "$f" 2>>"$T/receive.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		bad=$((bad + 1))
		echo "exit $rc: $f"
	fi
done < "$T/files"
assert_ok '[ "$total" -gt 500 ]' "$total corpus messages piped in"
assert_ok '[ $bad = 0 ]' "every corpus message: exit 0, no crash ($bad did not)"
posts=$(db "SELECT count(*) FROM posts")
quar=$(db "SELECT count(*) FROM quarantine")
echo "# $posts posted, $quar quarantined, the rest dropped (automatic mail, duplicates)"
assert_ok '[ "$posts" -gt 100 ]' "real mail is posted ($posts)"
kith deliver >/dev/null 2>&1
$PY - "$T/var/mail" <<'PYEOF'
import email, email.policy, glob, sys
bad = 0
files = glob.glob(sys.argv[1] + "/*/new/*")
for f in files:
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if m["List-Id"] is None or m["X-Loop"] != "team@example.org" or str(m["Subject"]).count("[team]") != 1:
        bad += 1
        print("bad copy:", f, m["Subject"])
print("# %d delivered copies checked" % len(files))
sys.exit(1 if bad or not files else 0)
PYEOF
rc=$?
assert_ok '[ $rc = 0 ]' "every delivered copy has List-Id, X-Loop and one subject prefix"
assert_ok 'kith archive search team delivery >/dev/null' "the archive of real mail is searchable"
finish
