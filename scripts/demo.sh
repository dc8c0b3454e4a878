#!/bin/sh
# demo.sh - Kith's main job on its embedded defaults: a list with a few
# members, a post piped in as the MTA would, delivered through the
# maildir transport and archived, all under ./var.  Idempotent: each run
# posts one more message.
set -e
cd "$(dirname "$0")/.."
./scripts/build.sh
export KITH_HOME="$PWD/var"
unset KITH_CONF
mkdir -p var
# The web front door's settings: mail links to the https address your
# proxy would serve; kith serve itself listens on 127.0.0.1:8025.
cat > var/demo.conf <<CONF
[site]
web_base_url = https://lists.example.org/
[http]
listen = 127.0.0.1:${KITH_DEMO_PORT:-8025}
CONF
kith() { ./kith --config var/demo.conf "$@"; }

kith init
kith list ls | grep -q '^team@example.org ' ||
	kith list create team@example.org --owner alice@example.org \
		--name "Friday Study Group" --description "Our weekly session"
kith list set team subject_prefix "[team]" >/dev/null
printf '%s\n' "bob@example.org Bob" "Carol Ng <carol@example.org>" \
	"dana@example.org Dana" | kith member import team -
kith member ls team

id="demo-$(date +%s)-$$@example.org"
cat > var/demo-post.eml <<MAIL
From: Alice <alice@example.org>
To: team@example.org
Subject: =?UTF-8?Q?Friday_session_=E2=80=94_who=27s_in=3F?=
Message-ID: <$id>
Date: $(date -R)
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Hi all, the next session is on Friday at 18:00. Καλημέρα! 안녕하세요!
MAIL
echo "piping a post to 'kith receive' as the MTA would..."
kith receive -r team@example.org -f alice@example.org < var/demo-post.eml
echo "kith receive exited $? (0 = stored) and started delivery in the background."
sleep 1
echo "kith deliver sends whatever is still due:"
kith deliver
echo "outbox:"
kith queue | sed 's/^/  /'
echo
kith archive ls team
echo
echo "Delivered copies (one Maildir per member):"
for d in var/mail/*/new; do
	printf '  %s  (%s messages)\n' "$d" "$(ls "$d" | wc -l)"
done
f=$(ls -t var/mail/bob@example.org/new/* | head -n 1)
echo
echo "Bob's newest copy, $f:"
sed -n '1,/^$/p' "$f" | sed 's/^/  /'
echo "Search the archive:  KITH_HOME=var ./kith archive search team Friday"

# The web pages: kith serve in the background (stopped and started again
# on each run), and one member's own links, as their mail carries them.
if [ -s var/serve.pid ] && kill -0 "$(cat var/serve.pid)" 2>/dev/null; then
	kill "$(cat var/serve.pid)"
	sleep 1
fi
./kith --config var/demo.conf serve > var/serve.out 2> var/serve.log &
echo $! > var/serve.pid
i=0
while ! grep -q "listening on" var/serve.out 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
local_url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' var/serve.out)
if [ -z "$local_url" ]; then
	echo "kith serve did not start; see var/serve.log" >&2
	exit 1
fi
f=$(ls -t var/mail/dana@example.org/new/* | head -n 1)
unsub=$(sed -n 's|^List-Unsubscribe: <https://lists.example.org\(/u/[^>]*\)>.*|\1|p' "$f")
# Every notice to a member ends with their preference link: ask for one.
printf 'From: Dana <dana@example.org>\nTo: team-request@example.org\nSubject: info\nMessage-ID: <info-%s@example.org>\n\ninfo\n' "$(date +%s)-$$" |
	kith receive -r team-request@example.org -f dana@example.org
kith deliver >/dev/null
f=$(grep -l "^Subject: .*Your request" var/mail/dana@example.org/new/* 2>/dev/null | tail -n 1)
f=${f:-$(ls -t var/mail/dana@example.org/new/* | head -n 1)}
prefs=$(grep -o 'https://lists.example.org/p/[0-9a-z.-]*' "$f" | tail -n 1 | sed 's|https://lists.example.org||')
if command -v python3 >/dev/null 2>&1; then
	for p in "$unsub" "$prefs"; do
		python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1])" \
			"$local_url$p" || { echo "kith serve did not answer $p" >&2; exit 1; }
	done
fi
echo
echo "kith serve answers on $local_url (pid $(cat var/serve.pid); stop it with: kill \$(cat var/serve.pid))."
echo "Dana's own links, as her mail carries them (https://lists.example.org/...), here without the proxy:"
echo "  one-click unsubscribe:  $local_url$unsub"
echo "                          (a browser shows one button; mail providers POST List-Unsubscribe=One-Click)"
echo "  her preference page:    $local_url$prefs"
echo "  the list's page:        $local_url/l/team"
