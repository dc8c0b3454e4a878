#!/bin/sh
# The goodbye and the owners' notices of a leave, by the web's one-click
# POST and by email, byte for byte as they were when kith serve rendered
# them inside the request (tests/data/leave-notices/expected.txt, made by
# the build before they were rendered at delivery): members with names
# in other scripts, an owner who reads Czech, an answer to a confirmation
# (In-Reply-To).  Each notice is dated when the member left, not when it
# was delivered, and the request itself renders nothing.  One difference
# from those bytes, a fix: Zoë reads German, and her goodbye is German
# now (it was in the list's English: her language left with her row).
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"
. "$HERE/serve_lib.sh"

start_sink
setup_list "web_base_url = https://lists.example.org/kith/" \
	"[http]" "listen = 127.0.0.1:0"
export KITH_DB="$T/var/kith.db" SINK_DIR T
kith member add team "olga@example.org" --name "Olga Nováková" >/dev/null
kith member role team olga@example.org owner >/dev/null
kith member set team olga@example.org language=cs >/dev/null
kith member add team "zoe@example.org" --name 'Zoë "Z" Nguyễn: ops <team>' >/dev/null
kith member set team zoe@example.org language=de >/dev/null
kith member add team "dan@example.org" >/dev/null
kith member add team "fay@example.org" --name "Fay" >/dev/null
send alice@example.org team@example.org "Hello" "first post"

# by email, at 09:00: unsubscribe to team-request@, confirmed by reply
LEFT=$(epoch "$NOW")
export LEFT
kith receive -r team-request@example.org -f carol@example.org >/dev/null 2>&1 <<EOM
From: Carol <carol@example.org>
To: team-request@example.org
Subject: x
Message-ID: <leave-request@test>

unsubscribe
EOM
kith deliver >/dev/null 2>&1
confirm=$($MT header "$(last carol@example.org)" Reply-To | tr -d '<>')
kith receive -r "$confirm" -f carol@example.org >/dev/null 2>&1 <<EOM
From: Carol <carol@example.org>
To: $confirm
Subject: Re: Your request
Message-ID: <leave-yes@test>

yes
EOM
# by the web: Gmail's one-click POST, at 09:30
serve_at "2026-06-01 09:30:00"
pycheck <<'PY'
from webtool import *
for a in ("bob@example.org", "zoe@example.org", "dan@example.org"):
    r = request("POST", unsub_path(a), body=b"List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(r.status == 200 and not is_member(a), "%s leaves by one-click (%d)" % (a, r.status))
PY
serve_stop
assert_ok '[ "$(db "SELECT count(*) FROM members WHERE address='"'carol@example.org'"'")" = 0 ]' "Carol leaves by email, confirmed"
n_queued=$(db "SELECT count(*) FROM outbox o JOIN outbox_messages m ON m.id=o.message_id WHERE o.state='pending'")
assert_ok '[ "$n_queued" = 12 ]' "each leave queued a goodbye and a notice to each of the two owners ($n_queued)"
assert_ok '[ "$(db "SELECT count(*) FROM outbox o JOIN outbox_messages m ON m.id=o.message_id WHERE o.state='"'pending'"' AND length(m.data)>0")" = 0 ]' \
	"none of them was rendered when the member left: each waits as a few values, made into mail at delivery"

# delivered an hour later: the same bytes, dated when each member left
set_clock "2026-06-01 10:30:00"
since=$(ls "$SINK_DIR" | grep -c '\.json$')
kith deliver >/dev/null 2>&1
$PY "$HERE/leave_notices.py" "$SINK_DIR" "$since" "$T/got.txt"
[ -n "${KITH_REGEN:-}" ] && cp "$T/got.txt" "$KITH_REGEN"
assert_ok 'cmp -s "$T/got.txt" "$HERE/../data/leave-notices/expected.txt"' "the twelve notices are byte for byte as when rendered in the request"
if ! cmp -s "$T/got.txt" "$HERE/../data/leave-notices/expected.txt"; then
	diff "$HERE/../data/leave-notices/expected.txt" "$T/got.txt" | head -40
fi
pycheck <<'PY'
from webtool import *
import email.utils, os
left = int(os.environ["LEFT"])
from email.header import decode_header, make_header
subject = lambda m: str(make_header(decode_header(str(m["Subject"]))))
web = [m for m in mails_to("bob@example.org") + mails_to("zoe@example.org") if subject(m).startswith(("Goodbye", "Tschüss"))]
check([subject(m) for m in mails_to("zoe@example.org")][-1:] == ["Tschüss von Team"],
      "Zoë, who reads German, is told goodbye in German")
mail = [m for m in mails_to("carol@example.org") if str(m["Subject"]).startswith("Goodbye")]
dates = lambda ms: [email.utils.parsedate_to_datetime(str(m["Date"])).timestamp() for m in ms]
check(len(web) == 2 and all(left + 1800 <= d < left + 1860 for d in dates(web)),
      "the web leaves' goodbyes are dated 09:30, when they left, not 10:30")
check(len(mail) == 1 and all(left <= d < left + 60 for d in dates(mail)),
      "the email leave's goodbye is dated 09:00, when Carol left")
check(str(mail[0]["In-Reply-To"]) == "<leave-yes@test>", "and answers Carol's confirming reply")
PY

# forget: the queued notices of a leave name the member in their values,
# not yet in mail; forget drops them as it drops mail that names them
serve_at "2026-06-01 10:40:00"
pycheck <<'PY'
from webtool import *
r = request("POST", unsub_path("fay@example.org"), body=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
check(r.status == 200 and not is_member("fay@example.org"), "Fay leaves by one-click (%d)" % r.status)
PY
serve_stop
named="SELECT count(*) FROM outbox_messages WHERE render LIKE '%fay@example.org%'"
assert_ok '[ "$(db "$named")" = 3 ]' "her goodbye and the owners' two notices wait, naming her"
kith member forget fay@example.org --yes >/dev/null 2>&1
assert_ok '[ "$(db "$named")" = 0 ] && [ "$(db "SELECT count(*) FROM outbox WHERE state='"'pending'"'")" = 0 ]' \
	"kith member forget drops them, the owners' copies too"
finish
