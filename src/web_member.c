/* web_member - one-click unsubscribe and the preference page. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kith/address.h"
#include "kith/db.h"
#include "kith/i18n.h"
#include "kith/members.h"
#include "kith/log.h"
#include "kith/membership.h"
#include "kith/weblinks.h"
#include "web_pages.h"

#define MAX_TOPICS 32

/* The page for a token that did not check out. */
static void
token_refused(struct web *w, struct web_response *rs, const char *root,
    enum web_token r)
{
	if (r == WT_GONE)
		web_fail(w, rs, 410, root, "gone");
	else if (r == WT_EXPIRED)
		web_fail(w, rs, 410, root, "expired");
	else
		web_fail(w, rs, 403, root, "badlink");
}

/* "You have left": the page after an unsubscribe from /u/ or /p/. */
static void
left_page(struct web *w, struct web_response *rs, const struct web_target *t,
    const char *root, const char *how)
{
	struct web_var v[] = {
		{ "list.name", t->l.name, 0 }, { "list.address", t->l.address, 0 },
		{ "member.address", t->m.address, 0 },
	};

	web_page(w, rs, 200, t->l.local, root, t->l.name,
	    web_render(w, t->l.local, "unsubscribed.html", v, 3));
	rs->log = xasprintf("%s: '%s' left '%s'", how, t->m.address,
	    t->l.address);
	rs->mail = 1;
}

/*
 * leave - the member of t leaves through the email path's own function
 * (membership_act "unsubscribe", as team-unsubscribe+TOKEN@ does).
 * 0 when done (rs is the page), -1 when rs already says why not.
 */
static int
leave(struct web *w, struct web_response *rs, struct web_target *t,
    const char *token, const char *root)
{
	struct mail_ctx c = web_mail_ctx(w, &t->l);
	struct outcome out;
	int st;

	if (web_tx_begin(w) != KITH_OK) {
		web_unavailable(w, rs);
		return -1;
	}
	/*
	 * In a batch, web_resolve checked the token against the member's
	 * row inside this same transaction: nobody can have changed it
	 * since, so the leave goes on from that row (one token check and
	 * two reads less a leave), without result records the page does
	 * not show.  Alone, the check is made again inside.
	 */
	if (token && w->in_batch)
		st = membership_leave_member(&c, &t->m, NULL);
	else {
		outcome_init(&out);
		if (token)
			st = membership_unsubscribe_token(&c, token, &out);
		else
			st = membership_act(&c, t->m.address, "unsubscribe",
			    &out);
		outcome_release(&out);
	}
	if (web_tx_end(w, rs, st == KITH_OK) != KITH_OK || st == KITH_TEMP) {
		web_unavailable(w, rs);
		return -1;
	}
	if (st != KITH_OK) {
		web_fail(w, rs, 403, root, "badlink");
		return -1;
	}
	return 0;
}

/* web_unsubscribe_page - /u/TOKEN (and /unsubscribe/LIST/TOKEN). */
void
web_unsubscribe_page(struct web *w, const struct web_request *rq,
    struct web_response *rs, char *token, const char *list)
{
	char *root = web_root(rq->path), *csrf = NULL, *prefs = NULL;
	struct web_target t;
	enum web_token r = web_resolve(w, WEBLINK_UNSUBSCRIBE, token, &t);
	const char *oneclick, *form_csrf;

	if (r != WT_OK) {
		token_refused(w, rs, root, r == WT_EXPIRED ? WT_BAD : r);
		goto done;
	}
	/* the old form /unsubscribe/LIST/TOKEN names the list too */
	if (list && strcasecmp(list, t.l.address)) {
		web_fail(w, rs, 403, root, "badlink");
		goto release;
	}
	if (strcmp(rq->method, "POST")) {
		char *ptok = weblink_token(w->key, WEBLINK_PREFS, t.l.address,
		    t.m.address, 0, t.m.id, 0);
		struct web_var v[5];

		csrf = web_csrf(w, "u", token);
		prefs = xasprintf("%sp/%s", root, ptok ? ptok : "");
		free(ptok);
		v[0] = (struct web_var){ "list.name", t.l.name, 0 };
		v[1] = (struct web_var){ "list.address", t.l.address, 0 };
		v[2] = (struct web_var){ "member.address", t.m.address, 0 };
		v[3] = (struct web_var){ "csrf", csrf, 0 };
		v[4] = (struct web_var){ "preferences", prefs, 0 };
		web_page(w, rs, 200, t.l.local, root, t.l.name,
		    web_render(w, t.l.local, "unsubscribe.html", v, 5));
		goto release;
	}
	/*
	 * RFC 8058: the mail provider POSTs List-Unsubscribe=One-Click and
	 * nothing else; the token in the URL is the proof.  Our own button
	 * adds a CSRF field: when there is one, it must be good.
	 */
	oneclick = web_field_get(rq->form, rq->nform, "List-Unsubscribe");
	form_csrf = web_field_get(rq->form, rq->nform, "csrf");
	if (form_csrf && !web_csrf_ok(w, rq, "u", token))
		web_fail(w, rs, 403, root, "csrf");
	else if (oneclick == NULL || strcmp(oneclick, "One-Click"))
		web_fail(w, rs, 400, root, "oneclick");
	else if (leave(w, rs, &t, token, root) == 0)
		left_page(w, rs, &t, root, "unsubscribe");
release:
	web_target_release(&t);
done:
	free(csrf);
	free(prefs);
	free(root);
}

/* The list's topics (its "topics" setting), up to max; caller frees each. */
static int
list_topics(struct web *w, const struct list *l, char **topics, int max)
{
	char *all = list_setting(w->db, l->id, "topics"), *save = NULL, *t;
	int n = 0;

	for (t = strtok_r(all ? all : NULL, ",", &save); t && n < max;
	    t = strtok_r(NULL, ",", &save)) {
		t = str_trim(t);
		if (*t)
			topics[n++] = xstrdup(t);
	}
	free(all);
	return n;
}

/* 1 when the member has tag. */
static int
has_tag(struct web *w, int64_t member_id, const char *tag)
{
	int st;

	return db_int(w->db, 0, &st, "SELECT count(*) FROM member_tags WHERE "
	    "member_id=? AND tag=?", "it", member_id, tag) > 0;
}

/*
 * language_options - the <option>s of every language Kith has, by its
 * own name, the member's own (own, "" for the list's) selected; the
 * list's language's name into list_name.  Caller frees.
 */
static char *
language_options(struct web *w, const struct web_target *t, const char *own,
    char *list_name, size_t len)
{
	char **codes = template_languages(&w->cfg), list[NOTICE_LANG_LEN];
	struct buf b;

	notice_lang(w->db, &t->l, NULL, list);
	snprintf(list_name, len, "%s", list);
	buf_init(&b);
	for (size_t i = 0; codes && codes[i]; i++) {
		const struct i18n_lang *lang = template_lang(&w->cfg, codes[i],
		    NULL, 0);
		struct web_var v[3];
		char *frag;

		if (lang == NULL)
			continue;	/* broken: kith check says so */
		if (!strcmp(codes[i], list))
			snprintf(list_name, len, "%s", i18n_lang_name(lang));
		v[0] = (struct web_var){ "code", codes[i], 0 };
		v[1] = (struct web_var){ "name", i18n_lang_name(lang), 0 };
		v[2] = (struct web_var){ "selected", !strcmp(codes[i], own) ?
		    "selected" : "", 0 };
		frag = web_render(w, t->l.local, "prefs-language.html", v, 3);
		buf_adds(&b, frag ? frag : "");
		free(frag);
	}
	i18n_codes_free(codes);
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

/* The preference form as it stands for the member; note is a fragment. */
static void
prefs_form(struct web *w, struct web_response *rs, int status,
    const struct web_target *t, const char *token, const char *root,
    const char *note)
{
	char *topics[MAX_TOPICS], *csrf = web_csrf(w, "p", token);
	int ntopics = list_topics(w, &t->l, topics, MAX_TOPICS), st;
	const char *mode = t->m.mode;
	int until = !strcmp(mode, "nomail") && t->m.nomail_until > 0;
	int thanks = (int)db_int(w->db, 1, &st, "SELECT thanks FROM members "
	    "WHERE id=?", "i", t->m.id);
	char date[16] = "", list_name[128];
	char *own = member_lang(w->db, t->l.id, t->m.address);
	char *langs = language_options(w, t, own, list_name, sizeof(list_name));
	struct buf tb;

	if (until) {
		time_t u = (time_t)t->m.nomail_until;
		struct tm tm;

		gmtime_r(&u, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	}
	buf_init(&tb);
	for (int i = 0; i < ntopics; i++) {
		char field[24];
		struct web_var v[3];
		char *frag;

		snprintf(field, sizeof(field), "topic%d", i + 1);
		v[0] = (struct web_var){ "topic", topics[i], 0 };
		v[1] = (struct web_var){ "field", field, 0 };
		v[2] = (struct web_var){ "checked", has_tag(w, t->m.id,
		    topics[i]) ? "checked" : "", 0 };
		frag = web_render(w, t->l.local, "prefs-topic.html", v, 3);
		buf_adds(&tb, frag ? frag : "");
		free(frag);
		free(topics[i]);
	}
	{
		struct web_var v[] = {
			{ "list.name", t->l.name, 0 },
			{ "list.address", t->l.address, 0 },
			{ "member.address", t->m.address, 0 },
			{ "csrf", csrf, 0 },
			{ "each", !strcmp(mode, "each") ? "checked" : "", 0 },
			{ "daily", !strcmp(mode, "digest-daily") ? "checked" :
			    "", 0 },
			{ "weekly", !strcmp(mode, "digest-weekly") ? "checked" :
			    "", 0 },
			{ "nomail", !strcmp(mode, "nomail") && !until ?
			    "checked" : "", 0 },
			{ "until", until ? "checked" : "", 0 },
			{ "until.date", date, 0 },
			{ "mime", strcmp(t->m.digest_format, "plain") ?
			    "checked" : "", 0 },
			{ "plain", !strcmp(t->m.digest_format, "plain") ?
			    "checked" : "", 0 },
			{ "thanks", thanks ? "checked" : "", 0 },
			{ "topics", tb.data ? tb.data : "", 1 },
			{ "note", note ? note : "", 1 },
			{ "language.default", *own ? "" : "selected", 0 },
			{ "language.list", list_name, 0 },
			{ "languages", langs, 1 },
		};

		web_page(w, rs, status, t->l.local, root, t->l.name,
		    web_render(w, t->l.local, "prefs.html", v,
		    (int)(sizeof(v) / sizeof(v[0]))));
	}
	buf_release(&tb);
	free(csrf);
	free(own);
	free(langs);
}

/* The command the delivery choice asks for, "" when nothing changes;
 * NULL when the date is not a day after today. */
static char *
delivery_command(const struct web_target *t, const char *delivery,
    const char *date)
{
	const char *mode = t->m.mode;

	if (delivery == NULL)
		return xstrdup("");
	if (!strcmp(delivery, "each"))
		return xstrdup(strcmp(mode, "each") ? "set mail" : "");
	if (!strcmp(delivery, "daily"))
		return xstrdup(strcmp(mode, "digest-daily") ?
		    "set digest daily" : "");
	if (!strcmp(delivery, "weekly"))
		return xstrdup(strcmp(mode, "digest-weekly") ?
		    "set digest weekly" : "");
	if (!strcmp(delivery, "nomail"))
		return xstrdup(strcmp(mode, "nomail") || t->m.nomail_until ?
		    "set nomail" : "");
	if (!strcmp(delivery, "until")) {
		int64_t u = date ? parse_date(date) : -1;

		if (u <= now_utc())
			return NULL;
		if (!strcmp(mode, "nomail") && t->m.nomail_until == u)
			return xstrdup("");
		return xasprintf("set nomail until %s", date);
	}
	return xstrdup("");
}

/* Carry out the form: every changed setting, in one transaction. */
static int
prefs_apply(struct web *w, struct web_response *rs, struct web_target *t,
    const struct web_request *rq, const char *delivery_cmd)
{
	struct mail_ctx c = web_mail_ctx(w, &t->l);
	const char *format = web_field_get(rq->form, rq->nform, "format");
	int thanks = web_field_get(rq->form, rq->nform, "thanks") != NULL, st;
	int was_thanks = (int)db_int(w->db, 1, &st, "SELECT thanks FROM members "
	    "WHERE id=?", "i", t->m.id);
	const char *language = web_field_get(rq->form, rq->nform, "language");
	char *cmds[4], *topics[MAX_TOPICS], err[256];
	char *own = member_lang(w->db, t->l.id, t->m.address);
	int n = 0, ntopics = list_topics(w, &t->l, topics, MAX_TOPICS);
	struct outcome out;

	if (*delivery_cmd)
		cmds[n++] = xstrdup(delivery_cmd);
	if (format && (!strcmp(format, "mime") || !strcmp(format, "plain")) &&
	    strcmp(format, t->m.digest_format))
		cmds[n++] = xasprintf("set digest %s", format);
	if (thanks != was_thanks)
		cmds[n++] = xasprintf("set thanks %s", thanks ? "on" : "off");
	/* only a language Kith has; "" is the list's */
	if (language && strcmp(language, own) && (*language == '\0' ||
	    notice_lang_ok(&w->cfg, language, err, sizeof(err)) == 0))
		cmds[n++] = xasprintf("set language %s", *language ? language :
		    "default");
	free(own);
	outcome_init(&out);
	st = web_tx_begin(w);
	for (int i = 0; i < n; i++) {
		if (st == KITH_OK)
			st = membership_act(&c, t->m.address, cmds[i], &out);
		free(cmds[i]);
	}
	for (int i = 0; i < ntopics; i++) {
		char field[24];
		int on, had;

		snprintf(field, sizeof(field), "topic%d", i + 1);
		on = web_field_get(rq->form, rq->nform, field) != NULL;
		had = has_tag(w, t->m.id, topics[i]);
		if (st == KITH_OK && on != had)
			st = member_tag(w->db, t->l.id, t->m.address, topics[i],
			    on);
		free(topics[i]);
	}
	outcome_release(&out);
	if (web_tx_end(w, rs, st == KITH_OK) != KITH_OK || st != KITH_OK) {
		web_unavailable(w, rs);
		return -1;
	}
	return 0;
}

/*
 * prefs_move - the member asks to move to another address: a
 * confirmation goes there (membership_move_request), and answering it
 * from there moves the membership.  The page says which.
 */
static void
prefs_move(struct web *w, const struct web_request *rq,
    struct web_response *rs, struct web_target *t, const char *token,
    const char *root)
{
	const char *to = web_field_get(rq->form, rq->nform, "address");
	struct mail_ctx c = web_mail_ctx(w, &t->l);
	char *addr = to ? address_normalize(to) : NULL, *note;
	struct outcome out;
	struct web_var v[1];
	int64_t wait = 0;
	int st;

	outcome_init(&out);
	if (addr == NULL || strlen(addr) > 254) {
		note = web_render(w, t->l.local, "prefs-move-bad.html", NULL, 0);
		prefs_form(w, rs, 400, t, token, root, note);
		free(note);
		goto done;
	}
	if ((st = web_tx_begin(w)) == KITH_OK)
		st = web_mail_limits(w, rq->client, addr, &wait);
	if (st == KITH_OK && wait == 0)
		st = membership_move_request(&c, &t->m, addr, &out);
	if (web_tx_end(w, rs, st == KITH_OK && wait == 0) != KITH_OK ||
	    st != KITH_OK) {
		web_unavailable(w, rs);
		goto done;
	}
	if (wait > 0) {
		web_fail(w, rs, 429, root, "ratelimit");
		rs->retry_after = (int)((wait + 999999) / 1000000);
		goto done;
	}
	/* the same page whatever the address is (confirm_move) */
	v[0] = (struct web_var){ "address", addr, 0 };
	note = web_render(w, t->l.local, "prefs-move-sent.html", v, 1);
	prefs_form(w, rs, 200, t, token, root, note);
	free(note);
	rs->log = xasprintf("preferences: '%s' on '%s' asked to move to '%s'",
	    t->m.address, t->l.address, addr);
	rs->mail = 1;
done:
	outcome_release(&out);
	free(addr);
}

/* web_prefs_page - /p/TOKEN: the form, saving it, leaving, moving. */
void
web_prefs_page(struct web *w, const struct web_request *rq,
    struct web_response *rs, char *token)
{
	char *root = web_root(rq->path), *cmd = NULL, *note;
	struct web_target t;
	enum web_token r = web_resolve(w, WEBLINK_PREFS, token, &t);
	const char *action;
	int64_t id;

	if (r != WT_OK) {
		token_refused(w, rs, root, r == WT_EXPIRED ? WT_BAD : r);
		free(root);
		return;
	}
	if (strcmp(rq->method, "POST")) {
		prefs_form(w, rs, 200, &t, token, root, NULL);
		goto done;
	}
	if (!web_csrf_ok(w, rq, "p", token)) {
		web_fail(w, rs, 403, root, "csrf");
		goto done;
	}
	action = web_field_get(rq->form, rq->nform, "action");
	if (action && !strcmp(action, "leave")) {
		if (leave(w, rs, &t, NULL, root) == 0)
			left_page(w, rs, &t, root, "preferences");
		goto done;
	}
	if (action && !strcmp(action, "move")) {
		prefs_move(w, rq, rs, &t, token, root);
		goto done;
	}
	cmd = delivery_command(&t, web_field_get(rq->form, rq->nform,
	    "delivery"), web_field_get(rq->form, rq->nform, "until"));
	if (cmd == NULL) {
		note = web_render(w, t.l.local, "prefs-baddate.html", NULL, 0);
		prefs_form(w, rs, 400, &t, token, root, note);
		free(note);
		goto done;
	}
	if (prefs_apply(w, rs, &t, rq, cmd) < 0)
		goto done;
	/* show what is now so */
	id = t.m.id;
	member_release(&t.m);
	if (member_find_id(w->db, t.l.id, id, &t.m) != KITH_OK) {
		web_unavailable(w, rs);
		goto done;
	}
	note = web_render(w, t.l.local, "prefs-saved.html", NULL, 0);
	prefs_form(w, rs, 200, &t, token, root, note);
	free(note);
	rs->log = xasprintf("preferences: '%s' on '%s' saved", t.m.address,
	    t.l.address);
	rs->mail = 1;
done:
	free(cmd);
	web_target_release(&t);
	free(root);
}
