/* web_mod - a held post on a moderator's phone: approve, reject, discard. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kith/log.h"
#include "kith/message.h"
#include "kith/moderation.h"
#include "kith/weblinks.h"
#include "web_pages.h"

#define SHOWN_TEXT_MAX (64 * 1024)
#define REASON_MAX 500

/* "What became of it": for a post no longer held. */
static void
decided(struct web *w, struct web_response *rs, int status,
    const struct web_target *t, const char *root)
{
	char *outcome = NULL, *by = NULL, *word, when[32] = "", attext[24];
	int64_t at = 0;
	int known = moderation_outcome(w->db, t->thing, t->l.id, &outcome, &by,
	    &at) == KITH_OK;
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)t->thing);
	/* {{date at}} in the list's zone; {{when}} for older pages */
	snprintf(attext, sizeof(attext), known ? "%lld" : "", (long long)at);
	if (known) {
		time_t tt = (time_t)at;
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	}
	word = xasprintf("mod-outcome-%s.html", known ? outcome : "unknown");
	{
		char *o = web_render(w, t->l.local, word, NULL, 0);
		struct web_var v[] = {
			{ "id", id, 0 }, { "outcome", o ? o : "", 1 },
			{ "by", by ? by : "", 0 }, { "when", when, 0 },
			{ "at", attext, 0 }, { "list.name", t->l.name, 0 },
		};

		web_page(w, rs, status, t->l.local, root, t->l.name, o ?
		    web_render(w, t->l.local, "mod-decided.html", v, 6) : NULL);
		free(o);
	}
	free(word);
	free(outcome);
	free(by);
}

/* The held post, shown as text, with the three decisions. */
static void
show(struct web *w, struct web_response *rs, const struct web_target *t,
    const struct held *h, const char *raw, size_t len, const char *token,
    const char *root)
{
	struct message m;
	char err[256], id[24], *csrf = web_csrf(w, "m", token), *from;
	int parsed = message_parse(&m, raw, len, err, sizeof(err)) == 0;
	const char *text = parsed && m.text ? m.text : "";
	char *shown = xstrndup(text, strnlen(text, SHOWN_TEXT_MAX));

	snprintf(id, sizeof(id), "%lld", (long long)h->id);
	from = parsed && *m.from_name ? xasprintf("%s <%s>", m.from_name,
	    h->sender) : xstrdup(h->sender);
	{
		struct web_var v[] = {
			{ "list.name", t->l.name, 0 },
			{ "list.address", t->l.address, 0 },
			{ "id", id, 0 }, { "from", from, 0 },
			{ "subject", h->subject, 0 }, { "reason", h->reason, 0 },
			{ "text", shown, 0 }, { "csrf", csrf, 0 },
			{ "sender", h->sender, 0 },
			/* "approve always" for a stranger only (accept_nonmembers) */
			{ "nonmember", strcmp(h->reason, "not a member") ? "" :
			    "yes", 0 },
		};

		web_page(w, rs, 200, t->l.local, root, h->subject,
		    web_render(w, t->l.local, "mod.html", v, 10));
	}
	if (parsed)
		message_release(&m);
	free(shown);
	free(from);
	free(csrf);
}

/* The decision of a POST; -1 when it names none.  *always: approve, and
 * accept the sender from now on. */
static int
action_of(const char *a, int *always)
{
	*always = a && !strcmp(a, "approve-always");
	if (a == NULL)
		return -1;
	return !strcmp(a, "approve") || *always ? MOD_APPROVE :
	    !strcmp(a, "reject") ? MOD_REJECT : !strcmp(a, "discard") ?
	    MOD_DISCARD : -1;
}

/* Carry out the decision on held post h with moderation_decide, as a
 * reply would. */
static void
decide(struct web *w, const struct web_request *rq, struct web_response *rs,
    const struct web_target *t, const struct held *h, const char *root)
{
	static const char *const words[] = { "approved", "rejected",
		"discarded" };
	const char *reason_in = web_field_get(rq->form, rq->nform, "reason");
	int always, action = action_of(web_field_get(rq->form, rq->nform,
	    "action"), &always);
	struct mail_ctx c = web_mail_ctx(w, &t->l);
	char *reason = xstrndup(reason_in ? reason_in : "",
	    strnlen(reason_in ? reason_in : "", REASON_MAX));
	char *file;
	int st;

	for (char *p = reason; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (action < 0) {
		web_fail(w, rs, 400, root, "badrequest");
		free(reason);
		return;
	}
	if (always) {
		char err[256];

		/* accepted first, as kith mod approve --always: a sender the
		 * list cannot accept (a member) leaves the post waiting */
		st = moderation_accept_sender(w->db, h, err, sizeof(err));
		if (st != KITH_OK) {
			if (st == KITH_TEMP)
				web_unavailable(w, rs);
			else
				web_fail(w, rs, 400, root, "badrequest");
			free(reason);
			return;
		}
	}
	st = moderation_decide(&c, t->thing, (enum mod_action)action,
	    str_trim(reason), t->m.address, now_utc());
	if (st == KITH_TEMP)
		web_unavailable(w, rs);
	else if (st != KITH_OK) {
		struct held now;
		char *raw = NULL;
		size_t len = 0;

		/* decided a moment ago by someone else, or kept (logged) */
		if (moderation_get(w->db, t->thing, &now, &raw, &len) ==
		    KITH_OK) {
			held_release(&now);
			web_fail(w, rs, 500, root, "internal");
		} else
			decided(w, rs, 409, t, root);
		free(raw);
	} else {
		struct web_var v[] = { { "list.name", t->l.name, 0 } };

		file = xasprintf("mod-done-%s.html", words[action]);
		web_page(w, rs, 200, t->l.local, root, t->l.name,
		    web_render(w, t->l.local, file, v, 1));
		free(file);
		rs->log = xasprintf("moderation: held post %lld on '%s' %s by "
		    "'%s'%s", (long long)t->thing, t->l.address, words[action],
		    t->m.address, always ? ", its sender accepted from now on" :
		    "");
		rs->mail = 1;
	}
	free(reason);
}

/* web_moderate_page - /m/TOKEN: the held post, or what became of it. */
void
web_moderate_page(struct web *w, const struct web_request *rq,
    struct web_response *rs, char *token)
{
	char *root = web_root(rq->path), *raw = NULL;
	struct web_target t;
	enum web_token r = web_resolve(w, WEBLINK_MODERATE, token, &t);
	struct held h;
	size_t len = 0;
	int st, post = !strcmp(rq->method, "POST");

	memset(&h, 0, sizeof(h));
	if (r == WT_BAD || r == WT_GONE) {
		web_fail(w, rs, r == WT_BAD ? 403 : 410, root, r == WT_BAD ?
		    "badlink" : "gone");
		free(root);
		return;
	}
	if (!membership_is_moderator(w->db, t.l.id, t.m.address)) {
		web_fail(w, rs, 403, root, "notmoderator");
		goto done;
	}
	st = moderation_get(w->db, t.thing, &h, &raw, &len);
	if (st == KITH_TEMP)
		web_unavailable(w, rs);
	else if (st != KITH_OK || h.list_id != t.l.id || r == WT_EXPIRED ||
	    !moderation_token_fits(token, &h))
		/* the post's time is over, or it was decided already */
		decided(w, rs, post ? 409 : 200, &t, root);
	else if (!post)
		show(w, rs, &t, &h, raw, len, token, root);
	else if (!web_csrf_ok(w, rq, "m", token))
		web_fail(w, rs, 403, root, "csrf");
	else
		decide(w, rq, rs, &t, &h, root);
done:
	if (h.message_id)
		held_release(&h);
	free(raw);
	web_target_release(&t);
	free(root);
}
