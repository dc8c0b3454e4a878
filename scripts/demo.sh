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
kith() { ./kith "$@"; }

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
