#!/bin/sh
# A full disk under a running kith serve: the data directory is a small
# tmpfs of its own, filled by posts over LMTP.  Every post is answered
# 250 or 452 4.3.1 (the MTA keeps it and tries again), never 5xx; kith serve
# stays up; `kith receive` exits 75; a one-click leave answers 503 with
# Retry-After and changes nothing.  Given room again, the refused post
# is taken (once), the leave works, and the database checks whole.
# sqlite's own file only: the PostgreSQL pass skips it.
if [ "${KITH_TEST_BACKEND:-}" = postgresql ]; then
	echo "SKIP: the data directory's own disk (sqlite); PostgreSQL's is its server's"
	exit 77
fi
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

. "$HERE/serve_lib.sh"

DISK=$T/disk
mkdir "$DISK"
if ! mount -t tmpfs -o size=4m,mode=0755 kith-test "$DISK" 2>"$T/mount.err"; then
	echo "SKIP: cannot mount a tmpfs for the full disk ($(cat "$T/mount.err")): needs root"
	cleanup
	exit 77
fi
trap 'serve_stop; umount "$DISK" 2>/dev/null; cleanup' EXIT

start_sink
write_conf "smtp://127.0.0.1:$SINK_PORT" "web_base_url = https://lists.example.org/kith/" \
	"[http]" "listen = 127.0.0.1:0" "[lmtp]" "listen = 127.0.0.1:0"
sed -i "s|^data_dir = .*|data_dir = $DISK/var|" "$KITH_CONF"
kith init >/dev/null
kith list create team@example.org --owner alice@example.org --name "Team" >/dev/null
for who in bob carol dave erin frank grace heidi ivan judy kate leo mallory nina oscar peggy; do
	kith member add team "$who@example.org" >/dev/null
done
send alice@example.org team@example.org "Hello" "first post"
assert_ok '[ "$(sink_count)" -ge 16 ]' "the first post reached the members, each with their own one-click link"

serve_at "$NOW"
i=0
while ! grep -q "LMTP on" "$T/serve.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
LMTP_PORT=$(sed -n 's|.*LMTP on lmtp://127.0.0.1:\([0-9]*\).*|\1|p' "$T/serve.out")
export LMTP_PORT KITH_DB="$DISK/var/kith.db" SINK_DIR T

# Posts of 40 KB until the disk is full: the first answer that is not
# 250, and which posts were answered 250.
pycheck <<'EOF'
import os, smtplib
from webtool import *

def post(s, n):
    msg = ("From: <alice@example.org>\r\nTo: <team@example.org>\r\nSubject: big %d\r\n"
           "Message-ID: <full-%d@test>\r\n\r\n" % (n, n)) + ("%d words to fill the disk\r\n" % n) * 1500
    try:
        s.sendmail("alice@example.org", ["team@example.org"], msg)
        return 250, ""
    except smtplib.SMTPRecipientsRefused as e:	# at RCPT
        code, text = list(e.recipients.values())[0]
        return code, text.decode()
    except smtplib.SMTPDataError as e:	# LMTP's reply for the one recipient
        return e.smtp_code, e.smtp_error.decode()

s = smtplib.LMTP("127.0.0.1", int(os.environ["LMTP_PORT"]))
acked, refused = [], None
for n in range(1, 400):
    code, text = post(s, n)
    if code == 250:
        acked.append("full-%d@test" % n)
        continue
    refused = (n, code, text)
    break
check(refused is not None and len(acked) > 5,
      "%d posts answered 250, then the disk is full: %s" % (len(acked), refused))
check(refused and refused[1] == 452 and refused[2].startswith("4.3.1 ") and "full" in refused[2],
      "the post that does not fit is answered 452 4.3.1 (mail system full), so the MTA keeps it (%s)" % (refused,))
again = post(s, refused[0]) if refused else (0, "")
check(400 <= again[0] < 500, "and so is its retry while the disk is still full (%d)" % again[0])
s.quit()
stored = {r[0] for r in db("SELECT message_id FROM posts WHERE message_id LIKE 'full-%'")}
check(set(acked) <= stored, "every post answered 250 is stored (%d of %d)"
      % (len(set(acked) & stored), len(acked)))
open(os.environ["T"] + "/refused", "w").write("%d\n" % refused[0])
EOF
assert_ok 'kill -0 "$SERVE_PID"' "kith serve is still running"
read refused <"$T/refused"

printf 'From: <alice@example.org>\nTo: <team@example.org>\nSubject: piped\nMessage-ID: <piped-full@test>\n\n%s\n' \
	"$(seq 100000 112000)" >"$T/piped.eml"	# 84 KB: more than a refused
						# post's frames left in the WAL
rc=$(post "$T/piped.eml")
assert_ok '[ "$rc" = 75 ] && tail -1 "$T/receive.err" | grep -q "(the disk is full)"' "kith receive on the full disk: exit 75, try later, and says why ($rc: $(tail -1 "$T/receive.err"))"

# Leaves until one does not fit (a failed write leaves its frames' room
# in the WAL, which a small change may still use): 503, nothing done.
pycheck <<'EOF'
import os
from webtool import *
gone, refused = [], None
for who in "bob carol dave erin frank grace heidi ivan judy kate leo mallory nina oscar peggy".split():
    r = post_form(unsub_path(who + "@example.org"), {"List-Unsubscribe": "One-Click"})
    if r.status != 200:
        refused = (who, r.status, r.headers.get("retry-after"))
        break
    gone.append(who)
check(refused and refused[1] == 503 and refused[2],
      "a one-click leave that does not fit: 503 with Retry-After (%s, after %d that fit)" % (refused, len(gone)))
check(refused and is_member(refused[0] + "@example.org"), "and that member is still a member: nothing half done")
check(not [w for w in gone if is_member(w + "@example.org")], "each leave answered 200 is done")
open(os.environ["T"] + "/stayed", "w").write("%s\n" % (refused[0] if refused else "bob"))
EOF
read stayed <"$T/stayed"

# Room again: the refused post's retry is taken, once; the leave works.
mount -o remount,size=64m "$DISK"
pycheck "$refused" "$stayed" <<'EOF'
import os, smtplib, sys
from webtool import *
n, stayed = int(sys.argv[1]), sys.argv[2] + "@example.org"
s = smtplib.LMTP("127.0.0.1", int(os.environ["LMTP_PORT"]))
msg = ("From: <alice@example.org>\r\nTo: <team@example.org>\r\nSubject: big %d\r\n"
       "Message-ID: <full-%d@test>\r\n\r\n" % (n, n)) + ("%d words to fill the disk\r\n" % n) * 1500
check(s.sendmail("alice@example.org", ["team@example.org"], msg) == {},
      "with room again the MTA's retry of the refused post is answered 250")
s.quit()
check(one("SELECT count(*) FROM posts WHERE message_id=?", "full-%d@test" % n) == 1,
      "and it is stored once")
r = post_form(unsub_path(stayed), {"List-Unsubscribe": "One-Click"})
check(r.status == 200 and not is_member(stayed), "the refused one-click leave works again")
EOF
rc=$(post "$T/piped.eml")
assert_ok '[ "$rc" = 0 ]' "kith receive takes the piped post again ($rc)"
serve_stop
export DB_FILE="$DISK/var/kith.db"
assert_ok '[ "$(db "PRAGMA integrity_check")" = ok ]' "the database checks whole (PRAGMA integrity_check)"

# kith deliver on a full disk.  A new site on a new 4 MB disk, filled by
# kith receive; its claims still fit in the room a failed write left in
# the WAL, but the workers' journals do not: what a worker sends and
# cannot journal the next run sends again (39 of 52 did, before).  So
# nothing is sent, and with room each member gets each post once.
umount "$DISK"
mount -t tmpfs -o size=4m,mode=0755 kith-test "$DISK"
kith init >/dev/null
kith list create team@example.org --owner alice@example.org --name "Team" >/dev/null
for who in bob carol dave erin frank grace heidi ivan judy kate leo mallory nina oscar peggy; do
	kith member add team "$who@example.org" >/dev/null
done
stop_sink
start_sink
sed -i "s|^transport = .*|transport = smtp://127.0.0.1:$SINK_PORT|" "$KITH_CONF"
i=0
while :; do
	i=$((i + 1))
	printf 'From: <alice@example.org>\nTo: <team@example.org>\nSubject: post %d\nMessage-ID: <fill-%d@test>\n\n%s\n' \
		$i $i "$(seq 1 5000)" >"$T/fill.eml"
	rc=$(post "$T/fill.eml")
	[ "$rc" = 0 ] && [ $i -lt 100 ] || break
done
queued=$(db "SELECT count(*) FROM outbox WHERE state='pending'")
assert_ok '[ "$rc" = 75 ] && [ "$queued" -gt 16 ]' "a second disk filled by kith receive: $((i - 1)) posts stored, $queued copies queued, then exit $rc"
kith deliver >"$T/deliver.out" 2>"$T/deliver.err"
rc=$?
assert_ok '[ "$rc" = 75 ] && [ "$(sink_count)" = 0 ] && grep -q "no room" "$T/deliver.err"' "kith deliver on the full disk: exit 75, nothing sent ($rc, $(sink_count) sent: $(tail -1 "$T/deliver.err"))"
mount -o remount,size=64m "$DISK"
kith deliver >"$T/deliver.out" 2>"$T/deliver.err"
rc=$?
$PY - "$SINK_DIR" >"$T/copies" <<'PYEOF2'
import collections, email, glob, json, sys
c = collections.Counter()
for js in glob.glob(sys.argv[1] + "/*.json"):
    with open(js[:-5] + ".eml", "rb") as f:
        subject = email.message_from_binary_file(f)["Subject"]
    for r in json.load(open(js))["rcpt_tos"]:
        c[(subject, r)] += 1
print(len(c), sum(n - 1 for n in c.values()))
PYEOF2
read copies twice <"$T/copies"
assert_ok '[ "$rc" = 0 ] && [ "$copies" = "$queued" ] && [ "$twice" = 0 ]' "with room: each of the $queued copies sent, none twice ($rc: $copies distinct, $twice twice)"
finish
