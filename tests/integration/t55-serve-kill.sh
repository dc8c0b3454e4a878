#!/bin/sh
# kill -9 in the middle of a busy kith serve loses nothing it answered.
# Twenty LMTP sessions post and twenty HTTP clients leave by RFC 8058's
# one-click POST, all at once; kith serve is killed with SIGKILL while
# they run.  Then every post answered 250 is in the archive once, with
# its copies queued; every leave answered 200 is done and logged; the
# database checks whole; and kith serve, started again, takes the next
# post and the next leave.  (t05 does the same for kith deliver, t37's
# strace check shows the answers wait for the fdatasync.)
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

. "$HERE/serve_lib.sh"

start_sink
setup_list "web_base_url = https://lists.example.org/kith/" \
	"[http]" "listen = 127.0.0.1:0" \
	"[lmtp]" "listen = 127.0.0.1:0" "max_connections = 64"
i=1
while [ $i -le 400 ]; do echo "member$i@example.net"; i=$((i + 1)); done >"$T/members.txt"
kith member import team "$T/members.txt" >/dev/null
# one post delivered: each member's copy carries their own /u/TOKEN
send alice@example.org team@example.org "Hello" "first post"
assert_ok '[ "$(sink_count)" -ge 400 ]' "the first post reached the 402 members ($(sink_count) at the sink)"

# serve_up - kith serve with its clock pinned; sets SERVE_PID, KITH_PORT
# and LMTP_PORT
serve_up() {
	serve_at "$NOW"
	i=0
	while ! grep -q "LMTP on" "$T/serve.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	LMTP_PORT=$(sed -n 's|.*LMTP on lmtp://127.0.0.1:\([0-9]*\).*|\1|p' "$T/serve.out")
	export LMTP_PORT SERVE_PID
}
serve_up
assert_ok '[ -n "$KITH_PORT" ] && [ -n "$LMTP_PORT" ]' "kith serve takes HTTP ($KITH_PORT) and LMTP ($LMTP_PORT)"
export KITH_DB="$T/var/kith.db" SINK_DIR T

pycheck <<'EOF'
import glob, os, queue, signal, smtplib, threading, time
from webtool import *

# each member's own one-click path, from their copy of the first post
paths = {}
for js in glob.glob(os.path.join(SINK, "*.json")):
    with open(js) as f:
        rcpts = json.load(f)["rcpt_tos"]
    with open(js[:-5] + ".eml", "rb") as f:
        url = unsubscribe_url(email.message_from_binary_file(f, policy=email.policy.default))
    for r in rcpts:
        if r.startswith("member") and url:
            paths[r] = path_of(url)
check(len(paths) == 400, "400 members' one-click links (%d)" % len(paths))

acked, left, stop = [], [], threading.Event()
todo = queue.Queue()
for a in sorted(paths):
    todo.put(a)

def poster(n):
    try:
        s = smtplib.LMTP("127.0.0.1", int(os.environ["LMTP_PORT"]))
        s.ehlo("test")
        i = 0
        while not stop.is_set():
            i += 1
            mid = "kill-%d-%d@test" % (n, i)
            msg = ("From: <alice@example.org>\r\nTo: <team@example.org>\r\n"
                   "Subject: post %d.%d\r\nMessage-ID: <%s>\r\n\r\n%s\r\n"
                   % (n, i, mid, "a line of the post\r\n" * 40))
            if s.sendmail("alice@example.org", ["team@example.org"], msg) == {}:
                acked.append(mid)
            time.sleep(0.05)	# the leaves' pace
    except (OSError, smtplib.SMTPException):
        pass	# the server is gone

def leaver():
    while not stop.is_set():
        try:
            a = todo.get_nowait()
        except queue.Empty:
            return
        try:
            r = post_form(paths[a], {"List-Unsubscribe": "One-Click"}, timeout=5)
        except OSError:
            return
        if r.status == 200:
            left.append(a)
        time.sleep(0.05)	# the posts' pace

threads = [threading.Thread(target=poster, args=(n,)) for n in range(20)]
threads += [threading.Thread(target=leaver) for n in range(20)]
for t in threads:
    t.start()
deadline = time.monotonic() + 60
while (len(acked) < 150 or len(left) < 150) and time.monotonic() < deadline:
    time.sleep(0.01)
os.kill(int(os.environ["SERVE_PID"]), signal.SIGKILL)
n_acked, n_left = len(acked), len(left)
stop.set()
for t in threads:
    t.join(30)
check(n_acked >= 150 and n_left >= 150 and todo.qsize() > 0,
      "killed with -9 mid-load: %d posts answered 250, %d leaves answered 200, "
      "%d members still to go" % (n_acked, n_left, todo.qsize()))

stored = [r[0] for r in db("SELECT message_id FROM posts WHERE message_id LIKE ?", "%kill-%")]
missing = set(acked) - set(stored)
check(not missing, "every post answered 250 is in the archive (%d of %d missing: %s)"
      % (len(missing), len(acked), sorted(missing)[:3]))
check(len(stored) == len(set(stored)), "each post once (%d rows, %d distinct)"
      % (len(stored), len(set(stored))))
# under load the copies to the members may wait for a quiet moment, one
# row a post in outbox_fanout (schema 23), which survives the kill
UNQUEUED = ("SELECT count(*) FROM posts p WHERE p.message_id LIKE ? AND NOT EXISTS "
            "(SELECT 1 FROM outbox_messages o JOIN outbox r ON r.message_id=o.id "
            "WHERE o.post_id=p.id)")
unqueued = one(UNQUEUED, "%kill-%")
waiting = one("SELECT count(*) FROM outbox_fanout")
check(unqueued == waiting, "every stored post has its copies queued, or waiting "
      "for them (%d without, %d waiting)" % (unqueued, waiting))
open(os.environ["T"] + "/waiting", "w").write("%d\n" % waiting)
still = [a for a in left if is_member(a)]
check(not still, "every leave answered 200 is done (%d of %d still members)" % (len(still), len(left)))
logged = {r[0] for r in db("SELECT address FROM member_log WHERE event='left'")}
check(set(left) <= logged, "and logged as a leave (%d of %d)" % (len(set(left) & logged), len(left)))
open(os.environ["T"] + "/counts", "w").write("%d %d\n" % (len(stored),
     one("SELECT count(*) FROM members")))
EOF

if [ -z "$PG_DB" ]; then
	assert_ok '[ "$(db "PRAGMA integrity_check")" = ok ]' "the database checks whole after the kill (PRAGMA integrity_check)"
fi
read stored members <"$T/counts"

# Started again, it takes the next post and the next leave.
serve_up
assert_ok '[ -n "$KITH_PORT" ] && [ -n "$LMTP_PORT" ]' "kith serve starts again after the kill"
pycheck <<'EOF'
import os, smtplib, time
from webtool import *
UNQUEUED = ("SELECT count(*) FROM posts p WHERE p.message_id LIKE ? AND NOT EXISTS "
            "(SELECT 1 FROM outbox_messages o JOIN outbox r ON r.message_id=o.id "
            "WHERE o.post_id=p.id)")
s = smtplib.LMTP("127.0.0.1", int(os.environ["LMTP_PORT"]))
s.ehlo("test")
r = s.sendmail("alice@example.org", ["team@example.org"],
               "From: <alice@example.org>\r\nTo: <team@example.org>\r\nSubject: after\r\n"
               "Message-ID: <after-kill@test>\r\n\r\nstill here\r\n")
s.quit()
check(r == {} and one("SELECT count(*) FROM posts WHERE message_id=?", "after-kill@test") == 1,
      "after the restart a post is answered 250 and stored")
deadline = time.monotonic() + 10
while one("SELECT count(*) FROM outbox_fanout") and time.monotonic() < deadline:
    time.sleep(0.1)
unqueued = one(UNQUEUED, "%kill-%")
check(unqueued == 0, "and the copies that waited through the kill (%s) are queued "
      "(%d posts without)" % (open(os.environ["T"] + "/waiting").read().strip(), unqueued))
before = one("SELECT count(*) FROM members")
r = post_form(unsub_path("bob@example.org"), {"List-Unsubscribe": "One-Click"})
check(r.status == 200 and not is_member("bob@example.org")
      and one("SELECT count(*) FROM members") == before - 1,
      "and a one-click leave is answered 200 and done")
EOF
serve_stop
finish
