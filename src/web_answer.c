/* web_answer - RSVP and vote links: GET shows, POST does what mail does. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/db.h"
#include "kith/event.h"
#include "kith/log.h"
#include "kith/membership.h"
#include "kith/notice.h"
#include "kith/poll.h"
#include "kith/weblinks.h"
#include "web_pages.h"

static void
refused(struct web *w, struct web_response *rs, const char *root,
    enum web_token r)
{
	web_fail(w, rs, r == WT_BAD ? 403 : 410, root, r == WT_BAD ? "badlink" :
	    r == WT_EXPIRED ? "expired" : "gone");
}

/* "yes", "no", "maybe", or NULL for anything else. */
static const char *
answer_word(const char *a)
{
	if (a && (!strcmp(a, "yes") || !strcmp(a, "no") || !strcmp(a, "maybe")))
		return a;
	return NULL;
}

/* The member's answer to the whole event, as a word for the templates. */
static const char *
rsvp_state(struct web *w, int64_t event_id, int64_t member_id)
{
	struct db_stmt *st = db_prepare(w->db, "SELECT partstat, waitlisted FROM "
	    "rsvps WHERE event_id=? AND occurrence=0 AND member_id=?");
	const char *word = "none";

	if (st == NULL)
		return word;
	db_bind(st, "ii", event_id, member_id);
	if (db_step(st) == DB_ROW) {
		const char *p = db_col_str(st, 0);

		word = !strcmp(p, "ACCEPTED") ? (db_col_int(st, 1) ?
		    "waitlisted" : "accepted") : !strcmp(p, "DECLINED") ?
		    "declined" : !strcmp(p, "TENTATIVE") ? "tentative" : "none";
	}
	db_finalize(st);
	return word;
}

/* A fragment named PREFIX-WORD.html. */
static char *
fragment(struct web *w, const char *list_local, const char *prefix,
    const char *word)
{
	char *file = xasprintf("%s-%s.html", prefix, word);
	char *out = web_render(w, list_local, file, NULL, 0);

	free(file);
	return out;
}

/* The event page: what it is, the member's answer, and the form. */
static void
rsvp_show(struct web *w, struct web_response *rs, const struct web_target *t,
    const struct event *e, const char *token, const char *root,
    const char *answer, const char *done)
{
	int64_t next = event_next_occurrence(e, now_utc());
	char when[128], *csrf = web_csrf(w, "r", token), *form, *state, *label;
	struct web_var fv[] = {
		{ "csrf", csrf, 0 }, { "answer", answer ? answer : "", 0 },
		{ "label", NULL, 1 },
	};

	web_event_when(e->tz, next ? next : e->start, e->duration, when,
	    sizeof(when));
	state = fragment(w, t->l.local, done ? "rsvp-done" : "rsvp-state",
	    rsvp_state(w, e->id, t->m.id));
	label = answer ? fragment(w, t->l.local, "rsvp-label", answer) : NULL;
	fv[2].value = label ? label : "";
	form = answer ? web_render(w, t->l.local, "rsvp-confirm.html", fv, 3) :
	    web_render(w, t->l.local, "rsvp-choose.html", fv, 2);
	{
		struct web_var v[] = {
			{ "list.name", t->l.name, 0 },
			{ "event.title", e->title, 0 }, { "event.when", when, 0 },
			{ "event.where", e->location, 0 },
			{ "event.description", e->description, 0 },
			{ "member.address", t->m.address, 0 },
			{ "state", state ? state : "", 1 },
			{ "form", form ? form : "", 1 },
		};

		web_page(w, rs, 200, t->l.local, root, e->title, state && form ?
		    web_render(w, t->l.local, "rsvp.html", v, 8) : NULL);
	}
	free(label);
	free(form);
	free(state);
	free(csrf);
}

/* web_rsvp_page - /r/TOKEN?answer=A: show, or answer as "rsvp A ID". */
void
web_rsvp_page(struct web *w, const struct web_request *rq,
    struct web_response *rs, char *token)
{
	char *root = web_root(rq->path), *cmd;
	struct web_target t;
	enum web_token r = web_resolve(w, WEBLINK_RSVP, token, &t);
	const char *answer = answer_word(web_arg(rq, "answer"));
	struct mail_ctx c;
	struct event e;
	struct outcome out;
	int st;

	memset(&e, 0, sizeof(e));
	if (r != WT_OK) {
		refused(w, rs, root, r);
		free(root);
		return;
	}
	if (event_get(w->db, t.thing, &e) != KITH_OK || e.list_id != t.l.id ||
	    strcmp(e.state, "active") || event_next_occurrence(&e,
	    now_utc()) == 0) {
		web_fail(w, rs, 410, root, "noevent");
		goto done;
	}
	if (strcmp(rq->method, "POST")) {
		rsvp_show(w, rs, &t, &e, token, root, answer, NULL);
		goto done;
	}
	if (!web_csrf_ok(w, rq, "r", token)) {
		web_fail(w, rs, 403, root, "csrf");
		goto done;
	}
	if (answer == NULL) {
		web_fail(w, rs, 400, root, "badrequest");
		goto done;
	}
	/* the 'rsvp yes ID' command: what a mail to team-request@ does */
	c = web_mail_ctx(w, &t.l);
	cmd = xasprintf("rsvp %s %lld", answer, (long long)e.id);
	outcome_init(&out);
	st = web_tx_begin(w);
	if (st == KITH_OK)
		st = membership_act(&c, t.m.address, cmd, &out);
	if (web_tx_end(w, rs, st == KITH_OK) != KITH_OK || st == KITH_TEMP)
		web_unavailable(w, rs);
	else if (st != KITH_OK)
		web_fail(w, rs, 410, root, "noevent");
	else {
		rsvp_show(w, rs, &t, &e, token, root, NULL, "done");
		rs->log = xasprintf("rsvp: '%s' answered %s to event %lld on "
		    "'%s'", t.m.address, answer, (long long)e.id, t.l.address);
		rs->mail = 1;
	}
	outcome_release(&out);
	free(cmd);
done:
	if (e.uid)
		event_release(&e);
	web_target_release(&t);
	free(root);
}

/* The member's vote as the options' texts, one per line; "" for none. */
static char *
current_vote(struct web *w, const struct poll *p, int64_t member_id)
{
	struct db_stmt *st = db_prepare(w->db, "SELECT choices FROM poll_votes "
	    "WHERE poll_id=? AND member_id=?");
	struct buf b;

	buf_init(&b);
	if (st == NULL)
		return xstrdup("");
	db_bind(st, "ii", p->id, member_id);
	if (db_step(st) == DB_ROW) {
		char *choices = db_col_text(st, 0), *save = NULL;

		for (char *c = strtok_r(choices, ",", &save); c;
		    c = strtok_r(NULL, ",", &save)) {
			long k = strtol(c, NULL, 10);

			if (k >= 1 && (size_t)k <= p->noptions)
				buf_addf(&b, "%s%s", b.len ? "\n" : "",
				    p->options[k - 1]);
		}
		free(choices);
	}
	db_finalize(st);
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

/* The option number of the query or form, 1..n; 0 for none. */
static int
option_arg(const struct web_request *rq, const struct poll *p)
{
	const char *o = web_arg(rq, "option");
	char *end;
	long k;

	if (o == NULL)
		return 0;
	k = strtol(o, &end, 10);
	return *o && !*end && k >= 1 && (size_t)k <= p->noptions ? (int)k : 0;
}

/* The choice form: radio buttons, or check boxes for a multiple poll. */
static char *
choices_form(struct web *w, const struct list *l, const struct poll *p,
    const char *csrf)
{
	struct buf items;
	char *out;

	buf_init(&items);
	for (size_t i = 0; i < p->noptions; i++) {
		char num[24], field[32], *item;
		struct web_var v[3];

		snprintf(num, sizeof(num), "%zu", i + 1);
		snprintf(field, sizeof(field), "option%zu", i + 1);
		v[0] = (struct web_var){ "option", p->options[i], 0 };
		v[1] = (struct web_var){ "number", num, 0 };
		v[2] = (struct web_var){ "field", field, 0 };
		item = web_render(w, l->local, p->multiple ? "vote-check.html" :
		    "vote-radio.html", v, 3);
		buf_adds(&items, item ? item : "");
		free(item);
	}
	{
		struct web_var v[] = {
			{ "csrf", csrf, 0 },
			{ "items", items.data ? items.data : "", 1 },
		};

		out = web_render(w, l->local, "vote-choose.html", v, 2);
	}
	buf_release(&items);
	return out;
}

/* The poll page; note is a fragment (the result of a vote) or NULL. */
static void
vote_show(struct web *w, struct web_response *rs, int status,
    const struct web_target *t, const struct poll *p, const char *token,
    const char *root, int option, const char *note)
{
	char *csrf = web_csrf(w, "v", token), *mine = current_vote(w, p, t->m.id);
	char *form, num[16];
	struct web_var fv[] = {
		{ "csrf", csrf, 0 }, { "number", num, 0 },
		{ "option", option ? p->options[option - 1] : "", 0 },
	};

	snprintf(num, sizeof(num), "%d", option);
	if (note)
		form = xstrdup("");
	else if (option)
		form = web_render(w, t->l.local, "vote-confirm.html", fv, 3);
	else
		form = choices_form(w, &t->l, p, csrf);
	{
		struct web_var v[] = {
			{ "list.name", t->l.name, 0 },
			{ "poll.question", p->question, 0 },
			{ "member.address", t->m.address, 0 },
			{ "vote", mine, 0 },
			{ "note", note ? note : "", 1 },
			{ "form", form ? form : "", 1 },
		};

		web_page(w, rs, status, t->l.local, root, p->question, form ?
		    web_render(w, t->l.local, *mine ? "vote.html" :
		    "vote-none.html", v, 6) : NULL);
	}
	free(form);
	free(mine);
	free(csrf);
}

/* The vote a POST asks for, as the 'vote' command writes it: "2", "1,3". */
static char *
vote_text(const struct web_request *rq, const struct poll *p)
{
	struct buf b;
	int one = option_arg(rq, p);

	buf_init(&b);
	if (one)
		buf_addf(&b, "%d", one);
	else
		for (size_t i = 0; i < p->noptions; i++) {
			char field[32];

			snprintf(field, sizeof(field), "option%zu", i + 1);
			if (web_field_get(rq->form, rq->nform, field))
				buf_addf(&b, "%s%zu", b.len ? "," : "", i + 1);
		}
	return b.data ? buf_detach(&b, NULL) : NULL;
}

/* Record the vote through the 'vote POLL N' command; rs gets the page. */
static void
vote_do(struct web *w, const struct web_request *rq, struct web_response *rs,
    const struct web_target *t, const struct poll *p, const char *token,
    const char *root)
{
	struct mail_ctx c = web_mail_ctx(w, &t->l);
	char *text = vote_text(rq, p), *cmd, *note;
	struct outcome out;
	int st;

	if (text == NULL) {
		web_fail(w, rs, 400, root, "badrequest");
		return;
	}
	cmd = xasprintf("vote %lld %s", (long long)p->id, text);
	outcome_init(&out);
	/* what a mail would be told when it cannot count: the same reason */
	if (membership_check(&c, t->m.address, cmd, &out) != KITH_OK) {
		char lang[NOTICE_LANG_LEN], *why;

		notice_lang(w->db, &t->l, t->m.address, lang);
		why = outcome_text(w->db, &w->cfg, &t->l, lang, &out);
		{
			struct web_var v[] = { { "why", why ? str_trim(why) :
			    "", 0 } };

			note = web_render(w, t->l.local, "vote-refused.html", v,
			    1);
		}
		free(why);
		vote_show(w, rs, 409, t, p, token, root, 0, note);
		free(note);
		goto done;
	}
	outcome_reset(&out);
	st = web_tx_begin(w);
	if (st == KITH_OK)
		st = membership_act(&c, t->m.address, cmd, &out);
	if (web_tx_end(w, rs, st == KITH_OK) != KITH_OK || st != KITH_OK) {
		web_unavailable(w, rs);
		goto done;
	}
	note = web_render(w, t->l.local, "vote-done.html", NULL, 0);
	vote_show(w, rs, 200, t, p, token, root, 0, note);
	free(note);
	rs->log = xasprintf("vote: '%s' voted %s in poll %lld on '%s'",
	    t->m.address, text, (long long)p->id, t->l.address);
	rs->mail = 1;
done:
	outcome_release(&out);
	free(cmd);
	free(text);
}

/* web_vote_page - /v/TOKEN?option=N: show, or vote as "vote POLL N". */
void
web_vote_page(struct web *w, const struct web_request *rq,
    struct web_response *rs, char *token)
{
	char *root = web_root(rq->path);
	struct web_target t;
	enum web_token r = web_resolve(w, WEBLINK_VOTE, token, &t);
	struct poll p;

	memset(&p, 0, sizeof(p));
	if (r != WT_OK) {
		refused(w, rs, root, r);
		free(root);
		return;
	}
	if (poll_get(w->db, t.thing, &p) != KITH_OK || p.list_id != t.l.id)
		web_fail(w, rs, 410, root, "nopoll");
	else if (strcmp(p.state, "open") || (p.closes && now_utc() >= p.closes))
		web_fail(w, rs, 410, root, "pollclosed");
	else if (strcmp(rq->method, "POST"))
		vote_show(w, rs, 200, &t, &p, token, root, option_arg(rq, &p),
		    NULL);
	else if (!web_csrf_ok(w, rq, "v", token))
		web_fail(w, rs, 403, root, "csrf");
	else
		vote_do(w, rq, rs, &t, &p, token, root);
	poll_release(&p);
	web_target_release(&t);
	free(root);
}
