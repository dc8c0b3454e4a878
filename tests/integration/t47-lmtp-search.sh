#!/bin/sh
# Posts taken over LMTP, many at once so that they share group commits
# (whose word index is written once, at the group's end: schema 17), are
# found by the archive search, each of them: right after its 250, or,
# when its commit was one under load (schema 23: the words wait for a
# quiet moment, at most a second), within five seconds here (a slow
# machine, or ASan); and the queue of posts to index is empty once they
# are in.  (t59: one post at a time is found right after its 250.)
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

SERVE_PID=
t47_cleanup() {
	[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	cleanup
}
trap t47_cleanup EXIT
trap 'exit 1' INT TERM

start_sink
setup_list
LD_PRELOAD="$FAKETIME_LIB" FAKETIME="@$NOW" FAKETIME_DONT_FAKE_MONOTONIC=1 \
    "$KITH_BIN" serve --listen 127.0.0.1:0 --lmtp 127.0.0.1:0 >"$T/serve.out" 2>>"$T/serve.err" &
SERVE_PID=$!
i=0
while ! grep -q "LMTP on" "$T/serve.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
LMTP_PORT=$(sed -n 's|.*LMTP on lmtp://127.0.0.1:\([0-9]*\).*|\1|p' "$T/serve.out")
assert_ok '[ -n "$LMTP_PORT" ]' "kith serve takes LMTP"

# 12 sessions at once, 4 posts each, each post with its own word; after
# each 250 the session asks the archive search (kith archive search, its
# own process and connection) for that word
KITH=$(kith_exe)
out=$(LMTP_PORT=$LMTP_PORT KITH=$KITH FAKETIME_LIB=$FAKETIME_LIB NOW=$NOW $PY - 2>&1 <<'PYEOF'
import json, os, smtplib, subprocess, threading, time
port = int(os.environ["LMTP_PORT"])
env = dict(os.environ, LD_PRELOAD=os.environ["FAKETIME_LIB"],
           FAKETIME="@" + os.environ["NOW"], FAKETIME_DONT_FAKE_MONOTONIC="1")
missed, late, errors = [], [], []
def word(n, k):
    return "zq" + "".join("abcdefghij"[int(c)] for c in "%02d%d" % (n, k))
def sender(n):
    try:
        c = smtplib.LMTP("127.0.0.1", port)
        c.ehlo("c%d.test" % n)
        for k in range(4):
            w = word(n, k)
            msg = ("From: Bob <bob@example.org>\nTo: team@example.org\n"
                   "Subject: about %s\nMessage-ID: <s%d-%d@example.org>\n\n"
                   "The word is %s, and Příliš too.\n" % (w, n, k, w))
            r = c.sendmail("bob@example.org", ["team@example.org"], msg.encode())
            if r:
                errors.append(r)
            deadline = time.monotonic() + 5
            for tries in range(1000):
                p = subprocess.run([os.environ["KITH"], "archive", "search", "team", w, "--json"],
                                   env=env, capture_output=True, text=True)
                hits = json.loads(p.stdout or "null") if p.returncode == 0 else None
                if hits and "s%d-%d@example.org" % (n, k) in p.stdout:
                    if tries:
                        late.append(w)
                    break
                if time.monotonic() > deadline:
                    missed.append((w, p.returncode, p.stdout[:200], p.stderr[:200]))
                    break
                time.sleep(0.05)
        c.quit()
    except Exception as e:
        errors.append(repr(e))
ts = [threading.Thread(target=sender, args=(n,)) for n in range(12)]
for t in ts: t.start()
for t in ts: t.join()
print("ok" if not errors else "errors %r" % errors[:3])
print("missed %d %r" % (len(missed), missed[:3]))
print("late %d" % len(late))
PYEOF
)
assert_ok 'printf "%s\n" "$out" | grep -qx ok' "48 posts over LMTP in 12 sessions at once: every one 250 ($out)"
assert_ok 'printf "%s\n" "$out" | grep -qx "missed 0 \[\]"' "each found by the archive search within 5 s of its 250 (under load: a second, on a slow machine more) ($(printf "%s\n" "$out" | grep late) of 48 not at once)"
# sqlite's full-text index fills from a queue at each group commit;
# PostgreSQL's is a generated column, filled by the INSERT itself
if sqlite_only "the full-text queue (posts_fts_queue) is sqlite's"; then
	assert_ok '[ "$(db "SELECT count(*) FROM posts")" = 48 ]' "48 posts stored"
else
	assert_ok '[ "$(db "SELECT count(*) FROM posts")" = 48 ] && [ "$(db "SELECT count(*) FROM posts_fts_queue")" = 0 ]' \
		"48 posts stored; nothing left waiting to be indexed"
fi
n=$(kith archive search team prilis --json | $PY -c 'import json, sys; print(len(json.load(sys.stdin)))')
assert_ok '[ "$n" = 48 ]' "a word of every post, without its accents, finds all 48 ($n)"
finish
