#!/bin/sh
# make-fixtures.sh OUTDIR - make a Mailman 3 list with a real Mailman
# (Debian's mailman3, its CLI against a throwaway SQLite configuration;
# no runner, no MTA) and write what `kith import mailman3` reads into
# OUTDIR.  t43-import.sh runs it when Mailman 3 is installed; the files
# beside this script are its output, committed for machines without it.
# Exit 77 when Mailman 3 cannot run here.
set -eu
out=$1
command -v mailman >/dev/null 2>&1 || { echo "mailman3 is not installed" >&2; exit 77; }
w=$(mktemp -d "${TMPDIR:-/tmp}/kith-mm3.XXXXXX")
trap 'rm -rf "$w"' EXIT
cat > "$w/mailman.cfg" <<CFG
[mailman]
site_owner: postmaster@example.org
layout: here
[paths.here]
var_dir: $w/var
[database]
class: mailman.database.sqlite.SQLiteDatabase
url: sqlite:///$w/var/data/mailman.db
[mta]
incoming: mailman.mta.null.NullMTA
[archiver.prototype]
enable: no
CFG
mm() { mailman --run-as-root -C "$w/mailman.cfg" "$@"; }
mm create --owner alice@example.org --quiet team@example.org >/dev/null || exit 77
printf 'Bob Builder <bob@example.org>\ncarol@example.org\n"Zoë Ünicode" <zoe@example.org>\n' | mm addmembers -d regular - team@example.org
printf 'Dan Digest <dan@example.org>\n' | mm addmembers -d mime - team@example.org
printf 'Pat Plain <pat@example.org>\n' | mm addmembers -d plain - team@example.org
printf 'Nora Nomail <nora@example.org>\n' | mm addmembers -d disabled - team@example.org
# a moderator who is no member; the list's settings as an owner would set them
mm shell -l team@example.org >/dev/null <<'PY'
from zope.component import getUtility
from mailman.interfaces.usermanager import IUserManager
from mailman.interfaces.member import MemberRole
from mailman.interfaces.mailinglist import SubscriptionPolicy, ReplyToMunging, DMARCMitigateAction
from mailman.interfaces.archiver import ArchivePolicy
from mailman.interfaces.action import Action
um = getUtility(IUserManager)
m.subscribe(um.create_address("mod@example.org", "Mo Derator"), MemberRole.moderator)
m.display_name = "Team"
m.description = "The team's list"
m.subject_prefix = "[Team] "
m.subscription_policy = SubscriptionPolicy.moderate
m.default_nonmember_action = Action.reject
m.archive_policy = ArchivePolicy.private
m.max_message_size = 512
m.reply_goes_to_list = ReplyToMunging.point_to_list
m.dmarc_mitigate_action = DMARCMitigateAction.munge_from
m.send_welcome_message = False
commit()
PY
mkdir -p "$out"
mm members team@example.org > "$out/members.txt"
mm members -d any team@example.org > "$out/digest.txt"
mm members -d plaintext team@example.org > "$out/digest-plain.txt"
mm members -n any team@example.org > "$out/nomail.txt"
mm members -R owner team@example.org > "$out/owners.txt"
mm members -R moderator team@example.org > "$out/moderators.txt"
# the settings as JSON, printed by Mailman's own shell (README "Moving to
# Kith" gives the same lines); the shell's prompts around it are ignored
mm shell -l team@example.org > "$out/settings.json" <<'PY'
import json
keys = ["display_name", "description", "list_name", "mail_host", "posting_address", "subject_prefix", "subscription_policy", "default_member_action", "default_nonmember_action", "archive_policy", "max_message_size", "reply_goes_to_list", "dmarc_mitigate_action", "admin_notify_mchanges", "send_welcome_message", "digests_enabled", "emergency", "anonymous_list", "personalize", "bounce_score_threshold"]
plain = lambda x: x if isinstance(x, (bool, int, float, str, type(None))) else getattr(x, "name", str(x))
print(json.dumps({k: plain(getattr(m, k)) for k in keys if hasattr(m, k)}))
PY
