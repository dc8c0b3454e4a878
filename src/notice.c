/* notice - templated automatic mail from a list. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kith/compose.h"
#include "kith/db.h"
#include "kith/log.h"
#include "kith/notice.h"
#include "kith/outbox.h"
#include "kith/util.h"

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

int
notice_queue(sqlite3 *db, const struct kith_config *cfg, const struct list *l,
    const struct notice_opts *o)
{
	struct template_var vars[MAXVARS];
	char *bufs[NLISTVARS], *text, *mail, *list_id, *bounces, err[512] = "";
	int n = notice_list_vars(l, vars, bufs), st;
	struct notice nt;
	int64_t msg_id;
	size_t len;

	for (int i = 0; i < o->nvars && n < MAXVARS; i++)
		vars[n++] = o->vars[i];
	text = template_render(cfg, l->local, o->tmpl, vars, n, err,
	    sizeof(err));
	if (text == NULL) {
		log_error("notice: %s", err);
		for (int i = 0; i < NLISTVARS; i++)
			free(bufs[i]);
		return KITH_PERM;
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

/* Every notice template and the variables its callers give it. */
static const struct {
	const char *name;
	const char *vars[8];
} notice_templates[] = {
	{ "nonmember.txt", { "subject", "size", "max_size", "to", NULL } },
	{ "announce-only.txt", { "subject", "size", "max_size", "to", NULL } },
	{ "too-big.txt", { "subject", "size", "max_size", "to", NULL } },
	{ "not-supported.txt", { "subject", "size", "max_size", "to", NULL } },
	{ "banned.txt", { NULL } },
	{ "confirm.txt", { "member.address", "member.name", "request", NULL } },
	{ "welcome.txt", { "member.address", "member.name", NULL } },
	{ "goodbye.txt", { "member.address", "member.name", NULL } },
	{ "owner-join.txt", { "member.address", "member.name", NULL } },
	{ "owner-leave.txt", { "member.address", "member.name", NULL } },
	{ "owner-summary.txt", { "member.address", "member.name", "events", NULL } },
	{ "approve-subscription.txt", { "member.address", "member.name", NULL } },
	{ "invite.txt", { "member.address", "member.name", NULL } },
	{ "help.txt", { NULL } },
	{ "request-reply.txt", { "results", NULL } },
	{ "held.txt", { "subject", "reason", NULL } },
	{ "rejected.txt", { "subject", "reason", NULL } },
	{ "expired.txt", { "subject", "reason", NULL } },
	{ "held-moderator.txt", { "sender", "subject", "reason", "id", NULL } },
	{ "bounce-disabled.txt", { "member.address", "bounce.score",
	    "bounce.status", "bounce.diagnostic", NULL } },
	{ "bounce-owner.txt", { "member.address", "bounce.score",
	    "bounce.status", "bounce.diagnostic", NULL } },
#define EVENT_VARS "event.title", "event.when", "event.where", "event.id", \
	"member.name", "member.address"
	{ "event-reminder.txt", { EVENT_VARS, NULL } },
	{ "event-nudge.txt", { EVENT_VARS, NULL } },
	{ "event-waitlisted.txt", { EVENT_VARS, NULL } },
	{ "event-promoted.txt", { EVENT_VARS, NULL } },
	{ "event-reply-problem.txt", { "reason", NULL } },
	{ "reengage.txt", { "member.address", "member.name", NULL } },
	{ "poll-voted.txt", { "poll.question", "poll.id", "vote", NULL } },
	{ "poll-refused.txt", { "poll.question", "poll.id", "vote", NULL } },
};

int
notice_check_templates(const struct kith_config *cfg, const struct list *l,
    void (*bad)(const char *msg, void *ctx), void *ctx)
{
	int errors = 0;

	for (size_t i = 0; i < sizeof(notice_templates) /
	    sizeof(notice_templates[0]); i++) {
		struct template_var vars[MAXVARS];
		char *bufs[NLISTVARS], err[512] = "", *text;
		int n = notice_list_vars(l, vars, bufs);

		for (int k = 0; notice_templates[i].vars[k]; k++)
			vars[n++] = (struct template_var){
				notice_templates[i].vars[k], "x" };
		text = template_render(cfg, l->local, notice_templates[i].name,
		    vars, n, err, sizeof(err));
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
