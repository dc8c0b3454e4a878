/* web_list - a list's page: what it is, its rules, its events, joining. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/address.h"
#include "kith/db.h"
#include "kith/event.h"
#include "kith/log.h"
#include "kith/membership.h"
#include "kith/rfc2047.h"
#include "web_pages.h"

#define NAME_MAX_BYTES 100
#define MAX_EVENTS 10

struct upcoming {
	struct web *w;
	const struct list *l;
	struct buf items;
	int n;
	int64_t now;
};

/* One upcoming event as an item of the list page. */
static int
upcoming_item(const struct event *e, void *ctx)
{
	struct upcoming *u = ctx;
	int64_t next = event_next_occurrence(e, u->now);
	char when[128];
	char *item;

	if (next == 0 || u->n >= MAX_EVENTS)
		return 0;
	web_event_when(e->tz, next, e->duration, when, sizeof(when));
	{
		struct web_var v[] = {
			{ "event.title", e->title, 0 }, { "event.when", when, 0 },
			{ "event.where", e->location, 0 },
		};

		item = web_render(u->w, u->l->local, "list-event.html", v, 3);
	}
	buf_adds(&u->items, item ? item : "");
	free(item);
	u->n++;
	return 0;
}

/* The rules fragment: who may post, how one joins, the owners' text. */
static char *
rules(struct web *w, const struct list *l)
{
	char *posting = list_setting(w->db, l->id, "posting");
	char *joining = list_setting(w->db, l->id, "subscribe");
	char *pfile = xasprintf("rule-posting-%s.html", posting);
	char *jfile = xasprintf("rule-joining-%s.html", joining);
	char *p = web_render(w, l->local, pfile, NULL, 0);
	char *j = web_render(w, l->local, jfile, NULL, 0);
	char *own = web_render(w, l->local, "rules.txt", NULL, 0);
	struct web_var v[] = {
		{ "posting", p ? p : "", 1 }, { "joining", j ? j : "", 1 },
		{ "rules", own ? str_trim(own) : "", 0 },
	};
	char *out = web_render(w, l->local, "list-rules.html", v, 3);

	free(posting);
	free(joining);
	free(pfile);
	free(jfile);
	free(p);
	free(j);
	free(own);
	return out;
}

/* The list page, with note (a fragment) above the join form. */
static void
list_form(struct web *w, struct web_response *rs, int status,
    const struct list *l, const char *root, const char *note,
    const char *address, const char *name)
{
	char *policy = list_setting(w->db, l->id, "subscribe");
	char *csrf = web_csrf(w, "l", l->address), *form, *rl;
	struct upcoming u = { w, l, { NULL, 0, 0 }, 0, now_utc() };
	struct web_var fv[] = {
		{ "csrf", csrf, 0 }, { "address", address ? address : "", 0 },
		{ "name", name ? name : "", 0 }, { "note", note ? note : "", 1 },
		{ "list.address", l->address, 0 },
	};
	char *events;

	buf_init(&u.items);
	event_foreach(w->db, l->id, upcoming_item, &u);
	{
		struct web_var ev[] = {
			{ "items", u.items.data ? u.items.data : "", 1 },
		};

		events = u.n ? web_render(w, l->local, "list-events.html", ev, 1) :
		    xstrdup("");
	}
	form = web_render(w, l->local, !strcmp(policy, "invite") ?
	    "join-invite.html" : "join-form.html", fv, 5);
	rl = rules(w, l);
	{
		struct web_var v[] = {
			{ "list.name", l->name, 0 }, { "list.address", l->address, 0 },
			{ "list.description", l->description, 0 },
			{ "rules", rl ? rl : "", 1 },
			{ "events", events ? events : "", 1 },
			{ "join", form ? form : "", 1 },
		};

		web_page(w, rs, status, l->local, root, *l->name ? l->name :
		    l->address, rl && form && events ? web_render(w, l->local,
		    "list.html", v, 6) : NULL);
	}
	buf_release(&u.items);
	free(events);
	free(form);
	free(rl);
	free(csrf);
	free(policy);
}

/* The name as a command may carry it: one line, no control characters,
 * at most NAME_MAX_BYTES, cut on a character's start. */
static char *
clean_name(const char *in)
{
	char *s = utf8_text_mend(in ? in : "", NAME_MAX_BYTES, 0);
	char *out = xstrdup(str_trim(s));

	free(s);
	return out;
}

/*
 * join_command - "subscribe NAME", or "subscribe language=CODE NAME"
 * when the page is in another language than the list's (the browser's
 * Accept-Language asked for it: web_reader): the new member starts in
 * it (membership_join).
 */
static char *
join_command(struct web *w, const struct list *l, const char *name)
{
	char list[NOTICE_LANG_LEN];

	notice_lang(w->db, l, NULL, list);
	if (strcmp(w->lang, list))
		return xasprintf("subscribe language=%s%s%s", w->lang,
		    *name ? " " : "", name);
	return *name ? xasprintf("subscribe %s", name) : xstrdup("subscribe");
}

/*
 * join - the join form: the same confirmation mail a 'subscribe' for
 * someone else's address by email sends (double opt-in).  Whatever the
 * address is (a member, banned, at its daily limit), the page reads the
 * same, so nobody learns who is on the list.
 */
static void
join(struct web *w, const struct web_request *rq, struct web_response *rs,
    const struct list *l, const char *root)
{
	const char *raw = web_field_get(rq->form, rq->nform, "address");
	char *address = raw ? address_normalize(raw) : NULL, *policy;
	char *name = clean_name(web_field_get(rq->form, rq->nform, "name"));
	char *command, *note;
	struct mail_ctx c = web_mail_ctx(w, l);
	int64_t wait = 0;
	struct outcome out;
	int st;

	policy = list_setting(w->db, l->id, "subscribe");
	if (!strcmp(policy, "invite")) {
		web_fail(w, rs, 403, root, "invite");
		goto done;
	}
	if (address == NULL || strlen(address) > 254) {
		note = web_render(w, l->local, "join-badaddress.html", NULL, 0);
		list_form(w, rs, 400, l, root, note, raw, name);
		free(note);
		goto done;
	}
	outcome_init(&out);
	command = join_command(w, l, name);
	if ((st = web_tx_begin(w)) == KITH_OK)
		st = web_mail_limits(w, rq->client, address, &wait);
	if (st == KITH_OK && wait == 0)
		st = confirm_request(&c, address, command, 1, NULL, &out);
	/* KITH_PERM: the address's daily limit; it reads the same */
	if (web_tx_end(w, rs, st != KITH_TEMP && wait == 0) != KITH_OK ||
	    st == KITH_TEMP)
		web_unavailable(w, rs);
	else if (wait > 0) {
		web_fail(w, rs, 429, root, "ratelimit");
		rs->retry_after = (int)((wait + 999999) / 1000000);
	} else {
		struct web_var v[] = {
			{ "address", address, 0 }, { "list.name", l->name, 0 },
			{ "list.address", l->address, 0 },
		};

		web_page(w, rs, 200, l->local, root, *l->name ? l->name :
		    l->address, web_render(w, l->local, "join-sent.html", v, 3));
		rs->log = xasprintf("join: '%s' asked to join '%s'%s", address,
		    l->address, st == KITH_OK ? "" : " (daily limit: no mail)");
		rs->mail = 1;
	}
	outcome_release(&out);
	free(command);
done:
	free(policy);
	free(address);
	free(name);
}

/* web_list_page - /l/LIST: the page, or a join from its form. */
void
web_list_page(struct web *w, const struct web_request *rq,
    struct web_response *rs, const char *spec)
{
	char *root = web_root(rq->path), err[256];
	struct list l;

	if (list_find(w->db, spec, &l, err, sizeof(err)) != KITH_OK) {
		web_fail(w, rs, 404, root, "nolist");
		free(root);
		return;
	}
	web_reader(w, &l, NULL);
	if (strcmp(rq->method, "POST"))
		list_form(w, rs, 200, &l, root, NULL, NULL, NULL);
	else if (!web_csrf_ok(w, rq, "l", l.address))
		web_fail(w, rs, 403, root, "csrf");
	else
		join(w, rq, rs, &l, root);
	list_release(&l);
	free(root);
}
