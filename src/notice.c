/* notice - templated automatic mail from a list. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kith/bans.h"
#include "kith/compose.h"
#include "kith/db.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/notice.h"
#include "kith/outbox.h"
#include "kith/tokens.h"
#include "kith/util.h"
#include "kith/weblinks.h"

#define NLISTVARS 7
#define MAXVARS 32

int
notice_list_vars(const struct list *l, struct template_var *vars,
    char **bufs)
{
	bufs[0] = xasprintf("%s-owner@%s", l->local, l->domain);
	bufs[1] = xasprintf("%s-request@%s", l->local, l->domain);
	bufs[2] = xasprintf("%s-subscribe@%s", l->local, l->domain);
	bufs[3] = xasprintf("%s-unsubscribe@%s", l->local, l->domain);
	bufs[4] = bufs[5] = bufs[6] = NULL;
	vars[0] = (struct template_var){ "list.address", l->address };
	vars[1] = (struct template_var){ "list.name", l->name };
	vars[2] = (struct template_var){ "list.description", l->description };
	vars[3] = (struct template_var){ "list.owner", bufs[0] };
	vars[4] = (struct template_var){ "list.request", bufs[1] };
	vars[5] = (struct template_var){ "list.subscribe", bufs[2] };
	vars[6] = (struct template_var){ "list.unsubscribe", bufs[3] };
	return NLISTVARS;
}

/*
 * member_vars - the member's variables as every template sees them:
 * member.name is never empty (a member without a name is called by the
 * address, so "Goodbye, {{member.name}}." never reads "Goodbye, ."), and
 * member is "Name <address>", or the address alone ("hana@example.org
 * left", not "hana@example.org () left").  vars has room for one more;
 * returns the new count, *alloc gets what the caller frees.
 */
static int
member_vars(struct template_var *vars, int n, char **alloc)
{
	const char *addr = NULL;
	int name = -1;

	*alloc = NULL;
	for (int i = 0; i < n; i++) {
		if (!strcmp(vars[i].name, "member.address"))
			addr = vars[i].value;
		else if (!strcmp(vars[i].name, "member.name"))
			name = i;
	}
	if (addr == NULL || *addr == '\0')
		return n;
	if (name >= 0 && vars[name].value && *vars[name].value)
		*alloc = xasprintf("%s <%s>", vars[name].value, addr);
	else {
		*alloc = xstrdup(addr);
		if (name >= 0)
			vars[name].value = addr;
	}
	if (n < MAXVARS)
		vars[n++] = (struct template_var){ "member", *alloc };
	return n;
}

/* Whether a notice answers a message from its recipient (RFC 3834). */
static int notice_is_reply(const char *tmpl);

/*
 * banned_may_get - whether notice tmpl may go to address to as far as bans
 * go.  Mail to a banned sender is backscatter to a spammer, or to the
 * victim of a forged From: by default nothing goes to a banned address,
 * and the notice that says "you may not post" goes nowhere.  With the
 * list's ban_notice = daily, that notice (and only that one) goes out,
 * at most once a day per address whatever path asked for it.
 */
static int
banned_may_get(sqlite3 *db, const struct list *l, const char *tmpl,
    const char *to)
{
	char *how;
	int ok;

	if (strcmp(tmpl, "banned.txt"))
		return !ban_matches(db, l->id, to);
	how = list_setting(db, l->id, "ban_notice");
	ok = how && !strcmp(how, "daily") && notice_rate_ok(db, l->id, to,
	    "banned");
	free(how);
	return ok;
}

/*
 * web_footer - with kith serve (web_base_url), a notice to a member ends
 * with the link to their own preference page (web-footer.txt); NULL when
 * there is none.  Caller frees.
 */
static char *
web_footer(sqlite3 *db, const struct kith_config *cfg, const struct list *l,
    const char *to, struct template_var *vars, int n)
{
	char *path, *url = NULL, *text = NULL, err[512];
	struct token_key *key;
	struct member m;

	if (!*cfg->web_base_url || member_find(db, l->id, to, &m) != KITH_OK)
		return NULL;
	path = config_secret_path(cfg);
	key = token_key_load(path, err, sizeof(err));
	free(path);
	if (key)
		url = weblink_prefs(cfg, key, l->address, m.id, m.address);
	if (url) {
		vars[n++] = (struct template_var){ "preferences", url };
		text = template_render(cfg, l->local, "web-footer.txt", vars, n,
		    err, sizeof(err));
		if (text == NULL)
			log_error("notice: %s", err);
	}
	token_key_free(key);
	member_release(&m);
	free(url);
	return text;
}

int
notice_queue(sqlite3 *db, const struct kith_config *cfg, const struct list *l,
    const struct notice_opts *o)
{
	struct template_var vars[MAXVARS];
	char *bufs[NLISTVARS], *text, *mail, *list_id, *bounces, *member,
	    err[512];
	int n = notice_list_vars(l, vars, bufs), st;
	struct notice nt;
	int64_t msg_id;
	size_t len;

	if (!banned_may_get(db, l, o->tmpl, o->to)) {
		log_info("notice: nothing sent to banned '%s' on '%s' (%s)",
		    o->to, l->address, o->tmpl);
		for (int i = 0; i < NLISTVARS; i++)
			free(bufs[i]);
		return KITH_OK;
	}
	for (int i = 0; i < o->nvars && n < MAXVARS - 1; i++)
		vars[n++] = o->vars[i];
	n = member_vars(vars, n, &member);
	text = template_render(cfg, l->local, o->tmpl, vars, n, err,
	    sizeof(err));
	free(member);
	if (text == NULL) {
		log_error("notice: %s", err);
		for (int i = 0; i < NLISTVARS; i++)
			free(bufs[i]);
		return KITH_PERM;
	}
	{
		char *footer = web_footer(db, cfg, l, o->to, vars, NLISTVARS);

		if (footer) {
			char *all = xasprintf("%s\n-- \n%s", text, footer);

			free(text);
			free(footer);
			text = all;
		}
	}
	list_id = xasprintf("<%s.%s>", l->local, l->domain);
	bounces = xasprintf("%s-bounces", l->local);
	memset(&nt, 0, sizeof(nt));
	nt.from_name = l->name;
	nt.from = bufs[0];
	nt.to = o->to;
	nt.subject = o->subject;
	nt.in_reply_to = o->in_reply_to;
	nt.reply_to = o->reply_to;
	nt.list_id = list_id;
	nt.text = text;
	nt.attach = o->attach;
	nt.attach_len = o->attach_len;
	nt.reply = notice_is_reply(o->tmpl);
	mail = compose_notice(&nt, &len);
	st = outbox_message_add(db, l->id, 0, "notice", bounces, l->domain, NULL,
	    mail, len, &msg_id);
	if (st == KITH_OK)
		st = outbox_rcpt_add(db, msg_id, o->to);
	free(mail);
	free(text);
	free(list_id);
	free(bounces);
	for (int i = 0; i < NLISTVARS; i++)
		free(bufs[i]);
	return st;
}

int
notice_rate_ok(sqlite3 *db, int64_t list_id, const char *address,
    const char *kind)
{
	int64_t now = now_utc();
	int st;
	int64_t last = db_int(db, 0, &st, "SELECT sent FROM notice_log WHERE "
	    "list_id=? AND address=? AND kind=?", "itt", list_id, address, kind);

	if (last > now - 86400)
		return 0;
	db_exec(db, "INSERT INTO notice_log(list_id, address, kind, sent) "
	    "VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET sent=excluded.sent",
	    "itti", list_id, address, kind, now);
	return 1;
}

/*
 * Every notice template, the variables its callers give it, and whether
 * it answers a message from its recipient (REPLY: Auto-Submitted:
 * auto-replied, RFC 3834) or is made by Kith on its own or on someone
 * else's act (0: auto-generated).  A template not listed is generated.
 */
#define REPLY 1
#define GENERATED 0
static const struct {
	const char *name;
	const char *vars[8];
	int reply;
} notice_templates[] = {
#define POST_VARS "subject", "size", "max_size", "to"
#define MEMBER_VARS "member.address", "member.name"
	{ "nonmember.txt", { POST_VARS, NULL }, REPLY },
	{ "announce-only.txt", { POST_VARS, NULL }, REPLY },
	{ "too-big.txt", { POST_VARS, NULL }, REPLY },
	{ "not-supported.txt", { POST_VARS, NULL }, REPLY },
	{ "banned.txt", { NULL }, REPLY },
	{ "confirm.txt", { MEMBER_VARS, "request", NULL }, REPLY },
	{ "confirm-unclear.txt", { "line", NULL }, REPLY },
	{ "welcome.txt", { MEMBER_VARS, NULL }, GENERATED },
	{ "goodbye.txt", { MEMBER_VARS, NULL }, GENERATED },
	{ "owner-join.txt", { MEMBER_VARS, NULL }, GENERATED },
	{ "owner-leave.txt", { MEMBER_VARS, NULL }, GENERATED },
	{ "owner-summary.txt", { MEMBER_VARS, "events", NULL }, GENERATED },
	{ "approve-subscription.txt", { MEMBER_VARS, NULL }, GENERATED },
	{ "invite.txt", { MEMBER_VARS, NULL }, GENERATED },
	{ "help.txt", { NULL }, REPLY },
	{ "request-reply.txt", { "results", NULL }, REPLY },
	{ "held.txt", { "subject", "reason", NULL }, REPLY },
	{ "rejected.txt", { "subject", "reason", NULL }, GENERATED },
	{ "expired.txt", { "subject", "reason", NULL }, GENERATED },
	{ "held-moderator.txt", { "sender", "subject", "reason", "id", "web",
	    NULL }, GENERATED },
	{ "held-moderator-web.txt", { "url", NULL }, GENERATED },
	{ "held-unclear.txt", { "id", "subject", "line", NULL }, REPLY },
#define LATE_VARS "id", "subject", "outcome", "by", "when"
	{ "held-late-decided.txt", { LATE_VARS, NULL }, REPLY },
	{ "held-late-expired.txt", { LATE_VARS, NULL }, REPLY },
	{ "held-late-unknown.txt", { LATE_VARS, NULL }, REPLY },
	{ "bounce-disabled.txt", { "member.address", "bounce.score",
	    "bounce.status", "bounce.diagnostic", NULL }, GENERATED },
	{ "bounce-owner.txt", { "member.address", "bounce.score",
	    "bounce.status", "bounce.diagnostic", NULL }, GENERATED },
#define EVENT_VARS "event.title", "event.when", "event.where", "event.id", \
	"member.name", "member.address"
	{ "event-reminder.txt", { EVENT_VARS, NULL }, GENERATED },
	{ "event-nudge.txt", { EVENT_VARS, "event.deadline", NULL },
	    GENERATED },
	{ "event-waitlisted.txt", { EVENT_VARS, NULL }, REPLY },
	{ "event-promoted.txt", { EVENT_VARS, NULL }, GENERATED },
	{ "event-reply-problem.txt", { "reason", NULL }, REPLY },
	{ "reengage.txt", { MEMBER_VARS, NULL }, GENERATED },
	{ "poll-voted.txt", { "poll.question", "poll.id", "vote", NULL },
	    REPLY },
	{ "poll-refused.txt", { "poll.question", "poll.id", "vote", NULL },
	    REPLY },
	{ "web-footer.txt", { "preferences", NULL }, GENERATED },
};

static int
notice_is_reply(const char *tmpl)
{
	for (size_t i = 0; i < sizeof(notice_templates) /
	    sizeof(notice_templates[0]); i++)
		if (!strcmp(notice_templates[i].name, tmpl))
			return notice_templates[i].reply;
	return 0;
}

int
notice_check_templates(const struct kith_config *cfg, const struct list *l,
    void (*bad)(const char *msg, void *ctx), void *ctx)
{
	int errors = 0;

	for (size_t i = 0; i < sizeof(notice_templates) /
	    sizeof(notice_templates[0]); i++) {
		struct template_var vars[MAXVARS];
		char *bufs[NLISTVARS], err[512], *text, *member;
		int n = notice_list_vars(l, vars, bufs);

		for (int k = 0; notice_templates[i].vars[k]; k++)
			vars[n++] = (struct template_var){
				notice_templates[i].vars[k], "x" };
		n = member_vars(vars, n, &member);
		text = template_render(cfg, l->local, notice_templates[i].name,
		    vars, n, err, sizeof(err));
		free(member);
		if (text == NULL) {
			bad(err, ctx);
			errors++;
		}
		free(text);
		for (int k = 0; k < NLISTVARS; k++)
			free(bufs[k]);
	}
	return errors;
}
