#!/bin/sh
# Under load, kith serve's LMTP side stores each post (archived, its copy
# to send) before its 250, and leaves two things for a quiet moment
# (post_catch_up, schema 23): the post's words for the archive's search
# and its copies to the members.  Nothing is lost or late that way:
# kith deliver makes the copies before it counts what is due, kith cron
# does both, a stop does both, a start after kill -9 does both, the
# quiet moment comes by itself, and the copies go to the same members an
# immediate fan-out would (not a no-mail one).  One post at a time
# leaves nothing.  KITH_LMTP_DEFER_FROM=1 makes every commit count as
# under load, KITH_LMTP_QUIET_MS and KITH_LMTP_CATCH_UP_MS the quiet
# moment and the second's limit never come (kith(1)).
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

. "$HERE/serve_lib.sh"

start_sink
setup_list
i=1
while [ $i -le 10 ]; do echo "member$i@example.net"; i=$((i + 1)); done >"$T/members.txt"
kith member import team "$T/members.txt" >/dev/null
kith member add team nomail@example.net >/dev/null
kith member set team nomail@example.net mode=nomail >/dev/null
# who gets each post: alice, bob, carol and the ten
GETS=13

# lmtp_up [VAR=VALUE ...] - kith serve with LMTP, the environment given;
# sets SERVE_PID, LMTP_PORT
lmtp_up() {
	env_args=$*
	# shellcheck disable=SC2086
	[ -z "$env_args" ] || export $env_args
	serve_at "$NOW" --listen 127.0.0.1:0 --lmtp 127.0.0.1:0
	for v in $env_args; do unset "${v%%=*}"; done
	i=0
	while ! grep -q "LMTP on" "$T/serve.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	LMTP_PORT=$(sed -n 's|.*LMTP on lmtp://127.0.0.1:\([0-9]*\).*|\1|p' "$T/serve.out")
}

# lmtp_posts NAME N - N posts over one LMTP session, Message-IDs
# <NAME-1@test>..., each with the word zqNAMEk; prints how many got 250
lmtp_posts() {
	LMTP_PORT=$LMTP_PORT $PY - "$1" "$2" <<'PYEOF'
import os, smtplib, sys
name, n = sys.argv[1], int(sys.argv[2])
c = smtplib.LMTP("127.0.0.1", int(os.environ["LMTP_PORT"]))
c.ehlo("load.test")
ok = 0
for k in range(1, n + 1):
    msg = ("From: Bob <bob@example.org>\r\nTo: team@example.org\r\n"
           "Subject: %s %d\r\nMessage-ID: <%s-%d@test>\r\n\r\n"
           "The word is zq%s%d.\r\n" % (name, k, name, k, name, k))
    if c.sendmail("bob@example.org", ["team@example.org"], msg.encode()) == {}:
        ok += 1
c.quit()
print(ok)
PYEOF
}

# waiting NAME - posts NAME-* whose copies wait (outbox_fanout rows)
waiting() {
	db "SELECT count(*) FROM outbox_fanout f JOIN outbox_messages o ON
	    o.id=f.message_id JOIN posts p ON p.id=o.post_id WHERE
	    p.message_id LIKE '$1-%'"
}
# copies NAME - copies queued (outbox rows) of the posts NAME-*
copies() {
	db "SELECT count(*) FROM outbox r JOIN outbox_messages o ON
	    o.id=r.message_id JOIN posts p ON p.id=o.post_id WHERE
	    p.message_id LIKE '$1-%'"
}
# unindexed - posts whose words wait for the index (sqlite's queue; on
# PostgreSQL the index takes each post as it is stored: always 0)
unindexed() {
	if [ -n "$PG_DB" ]; then echo 0; else db "SELECT count(*) FROM posts_fts_queue"; fi
}
# found WORD - the Message-IDs kith archive search finds for WORD
found() {
	kith archive search team "$1" --json 2>/dev/null | $PY -c '
import json, sys
print(" ".join(sorted(h.get("message_id", "") for h in json.load(sys.stdin))))'
}
# until_zero WHAT... - wait up to 10 s for the command to print 0
until_zero() {
	i=0
	while [ "$("$@")" != 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}

# 1. Every commit under load, the quiet moment never: kith deliver
lmtp_up KITH_LMTP_DEFER_FROM=1 KITH_LMTP_QUIET_MS=600000 KITH_LMTP_CATCH_UP_MS=600000
assert_ok '[ -n "$LMTP_PORT" ]' "kith serve takes LMTP"
ok=$(lmtp_posts a 6)
assert_ok '[ "$ok" = 6 ] && [ "$(db "SELECT count(*) FROM posts WHERE message_id LIKE '"'a-%'"'")" = 6 ]' \
	"six posts under load: each answered 250 and stored ($ok answered)"
assert_ok '[ "$(waiting a)" = 6 ] && [ "$(copies a)" = 0 ]' \
	"their copies to the members wait, one row a post ($(waiting a) waiting, $(copies a) copies)"
if ! sqlite_only "the word index's queue is sqlite's"; then
	assert_ok '[ "$(unindexed)" = 6 ]' "their words wait for the index ($(unindexed))"
fi
before=$(sink_count)
kith deliver >/dev/null 2>"$T/deliver.err"
assert_ok '[ $? = 0 ] && [ "$(waiting a)" = 0 ] && [ "$(copies a)" = $((6 * GETS)) ]' \
	"kith deliver makes the copies first: $(copies a) of $((6 * GETS)), none waiting"
wait_sink $((before + 6 * GETS))
assert_ok '[ "$(sink_count)" = $((before + 6 * GETS)) ] && [ "$(count member7@example.net)" = 6 ] && [ "$(count carol@example.org)" = 6 ]' \
	"and sends them: 6 posts to the $GETS who get each ($(( $(sink_count) - before )) at the sink)"
assert_ok '[ "$(count nomail@example.net)" = 0 ]' "the same members an immediate fan-out has: nothing to the no-mail member"
assert_ok '[ "$(unindexed)" = 0 ] && [ "$(found zqa3)" = a-3@test ]' \
	"the words indexed with them: search finds a-3 ($(found zqa3))"

# 2. kill -9 with work waiting: kith cron does it
ok=$(lmtp_posts b 4)
assert_ok '[ "$ok" = 4 ] && [ "$(waiting b)" = 4 ]' "four more posts: 250 each, their copies waiting"
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
SERVE_PID=
assert_ok '[ "$(db "SELECT count(*) FROM posts WHERE message_id LIKE '"'b-%'"'")" = 4 ] && [ "$(waiting b)" = 4 ]' \
	"kill -9: the posts are stored, their copies still wait ($(waiting b))"
kith check >"$T/check.out" 2>&1
assert_ok 'grep -qx "# posts stored under load: 4 wait for their copies to the members" "$T/check.out" && ! grep -q "warning: .*stored under load" "$T/check.out"' \
	"kith check counts them ($(grep 'under load' "$T/check.out"))"
at "$(after 11m)" check >"$T/check.out" 2>&1
assert_ok 'grep -q "warning: 4 posts stored under load have waited 1[01] min for their copies to the members: .kith cron. or .kith deliver. makes them" "$T/check.out"' \
	"eleven minutes later it warns ($(grep 'under load' "$T/check.out"))"
kith cron >/dev/null 2>"$T/cron.err"
assert_ok '[ $? = 0 ] && [ "$(waiting b)" = 0 ] && [ "$(copies b)" = $((4 * GETS)) ] && [ "$(unindexed)" = 0 ]' \
	"kith cron does what they waited for: $(copies b) copies, nothing waiting"
assert_ok '[ "$(found zqb2)" = b-2@test ]' "search finds b-2 ($(found zqb2))"

# 3. kill -9, then kith serve started again does it by itself
lmtp_up KITH_LMTP_DEFER_FROM=1 KITH_LMTP_QUIET_MS=600000 KITH_LMTP_CATCH_UP_MS=600000
ok=$(lmtp_posts c 3)
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
SERVE_PID=
assert_ok '[ "$ok" = 3 ] && [ "$(waiting c)" = 3 ]' "three posts, kill -9: their copies wait"
lmtp_up KITH_LMTP_DEFER_FROM=1 KITH_LMTP_QUIET_MS=600000 KITH_LMTP_CATCH_UP_MS=600000
until_zero waiting c
assert_ok '[ "$(waiting c)" = 0 ] && [ "$(copies c)" = $((3 * GETS)) ] && [ "$(unindexed)" = 0 ]' \
	"kith serve started again makes them before any mail comes ($(copies c) copies)"

# 4. a stop does it
ok=$(lmtp_posts d 3)
assert_ok '[ "$ok" = 3 ] && [ "$(waiting d)" = 3 ]' "three more posts wait"
serve_stop
assert_ok '[ "$(waiting d)" = 0 ] && [ "$(copies d)" = $((3 * GETS)) ] && [ "$(unindexed)" = 0 ]' \
	"kith serve stopped (SIGTERM): done before it exits ($(copies d) copies)"

# 5. the quiet moment (20 ms without a message) comes by itself
lmtp_up KITH_LMTP_DEFER_FROM=1
ok=$(lmtp_posts e 3)
until_zero waiting e
until_zero unindexed
assert_ok '[ "$ok" = 3 ] && [ "$(waiting e)" = 0 ] && [ "$(copies e)" = $((3 * GETS)) ] && [ "$(found zqe2)" = e-2@test ]' \
	"under load, then quiet: copies made and words indexed without kith deliver or cron ($(copies e) copies; search: $(found zqe2))"
serve_stop

# 5b. however long the load lasts, a second after the first post that
# waits, the next commit does it all (no quiet moment here)
lmtp_up KITH_LMTP_DEFER_FROM=1 KITH_LMTP_QUIET_MS=600000
ok=$(lmtp_posts g 2)
assert_ok '[ "$ok" = 2 ] && [ "$(waiting g)" = 2 ]' "two posts under load, no quiet moment: their copies wait"
sleep 1.5
ok=$(lmtp_posts h 1)
until_zero waiting g
assert_ok '[ "$ok" = 1 ] && [ "$(waiting g)" = 0 ] && [ "$(waiting h)" = 0 ] && [ "$(copies g)" = $((2 * GETS)) ] && [ "$(copies h)" = $GETS ] && [ "$(unindexed)" = 0 ]' \
	"a second later the next post's commit makes them, its own with them ($(copies g) and $(copies h) copies)"
serve_stop

# 6. one post at a time is no load: nothing waits after its 250
lmtp_up
ok=$(lmtp_posts f 3)
assert_ok '[ "$ok" = 3 ] && [ "$(waiting f)" = 0 ] && [ "$(copies f)" = $((3 * GETS)) ] && [ "$(unindexed)" = 0 ] && [ "$(found zqf3)" = f-3@test ]' \
	"three posts one after another: copies and words there at each 250, as before ($(copies f) copies)"
serve_stop

finish
