/*
 * web_pages - what the page files share: rendering, the layout and the
 * error pages, CSRF, token resolution and transactions (web_pages.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/compose.h"
#include "kith/db.h"
#include "kith/html.h"
#include "kith/i18n.h"
#include "kith/log.h"
#include "kith/notice.h"
#include "kith/template.h"
#include "kith/throttle.h"
#include "kith/timeutil.h"
#include "kith/weblinks.h"
#include "web_pages.h"

#define CSRF_TTL 86400
#define BUSY_RETRY_AFTER 5

/* A template read once per configuration, for one list and language. */
struct tmpl_cache {
	char *list_local, *name, *text, *path;
	char asked[NOTICE_LANG_LEN];	/* the language asked for */
	char lang[NOTICE_LANG_LEN];	/* the language it is in */
	struct tmpl_cache *next;
};

void
web_cache_clear(struct web *w)
{
	while (w->cache) {
		struct tmpl_cache *next = w->cache->next;

		free(w->cache->list_local);
		free(w->cache->name);
		free(w->cache->text);
		free(w->cache->path);
		free(w->cache);
		w->cache = next;
	}
	for (int i = 0; i < WEB_ACCEPT_MEMO; i++)
		free(w->accept_memo[i].header);
	memset(w->accept_memo, 0, sizeof(w->accept_memo));
	w->accept_next = 0;
}

const char *
web_field_get(const struct web_field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].name, name))
			return f[i].value;
	return NULL;
}

const char *
web_arg(const struct web_request *rq, const char *name)
{
	const char *v = web_field_get(rq->form, rq->nform, name);

	return v ? v : web_field_get(rq->query, rq->nquery, name);
}

/*
 * cached_template - NAME as list_local's readers of w->lang get it, read
 * once per configuration (SIGHUP reads again); NULL (logged) when none.
 */
static const struct tmpl_cache *
cached_template(struct web *w, const char *list_local, const char *name)
{
	struct template_opts o = { list_local, w->lang, NULL };
	struct tmpl_cache *c;
	char lang[16], *path;
	struct buf b;

	for (c = w->cache; c; c = c->next)
		if (!strcmp(c->list_local, list_local) && !strcmp(c->name, name) &&
		    !strcmp(c->asked, w->lang))
			return c;
	if ((path = template_find(&w->cfg, &o, name, lang)) == NULL) {
		log_error("web: template '%s' not found", name);
		return NULL;
	}
	buf_init(&b);
	if (buf_read_file(&b, path) < 0) {
		log_error("web: %s: cannot read it", path);
		buf_release(&b);
		free(path);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->list_local = xstrdup(list_local);
	c->name = xstrdup(name);
	c->text = b.data ? buf_detach(&b, NULL) : xstrdup("");
	c->path = path;
	snprintf(c->asked, sizeof(c->asked), "%s", w->lang);
	/* a file outside language folders reads in the language asked */
	snprintf(c->lang, sizeof(c->lang), "%s", *lang ? lang : w->lang);
	c->next = w->cache;
	w->cache = c;
	return c;
}

char *
web_render(struct web *w, const char *list_local, const char *name,
    const struct web_var *vars, int n)
{
	char *path = xasprintf("web/%s", name), err[512];
	const struct tmpl_cache *c = cached_template(w, list_local ? list_local :
	    "", path);
	int html = strlen(name) > 5 && !strcmp(name + strlen(name) - 5, ".html");
	struct tvars *tv = tv_new();
	struct template_out out;
	char *text = NULL;

	for (int i = 0; i < n; i++) {
		const char *v = vars[i].value ? vars[i].value : "";

		if (tv_get_str(tv, vars[i].name))
			continue;	/* the first of a name wins */
		if (vars[i].raw)
			tv_html(tv, vars[i].name, v);
		else if (html)
			tv_str(tv, vars[i].name, v);	/* escaped by the engine */
		else {
			char *esc = html_escape(v);	/* a text put into a page */

			tv_str(tv, vars[i].name, esc);
			free(esc);
		}
	}
	if (c) {
		struct template_opts o = { c->list_local, c->lang, w->tz };

		if (template_string(c->text, c->path, &o, tv, &out, err,
		    sizeof(err)) == 0) {
			text = out.body;
			out.body = NULL;
			template_out_release(&out);
		} else
			log_error("web: %s", err);
	}
	tv_free(tv);
	free(path);
	return text;
}

char *
web_render_tv(struct web *w, const char *list_local, const char *name,
    const struct tvars *tv, const char *tz)
{
	char *path = xasprintf("web/%s", name), err[512], *res = NULL;
	const struct tmpl_cache *c = cached_template(w, list_local ? list_local :
	    "", path);

	if (c) {
		struct template_opts o = { c->list_local, c->lang, tz ? tz :
		    w->tz };
		struct template_out out;

		if (template_string(c->text, c->path, &o, tv, &out, err,
		    sizeof(err)) == 0) {
			res = out.body;
			out.body = NULL;
			template_out_release(&out);
		} else
			log_error("web: %s", err);
	}
	free(path);
	return res;
}

void
web_page(struct web *w, struct web_response *rs, int status,
    const char *list_local, const char *root, const char *title,
    char *content)
{
	struct web_var v[] = {
		{ "title", title, 0 }, { "root", root, 0 },
		{ "content", content, 1 },
	};
	char *page = content ? web_render(w, list_local, "layout.html", v, 3) :
	    NULL;

	buf_reset(&rs->body);
	rs->content_type = "text/html; charset=utf-8";
	if (page == NULL) {
		/* a template is missing or wrong (logged): say so plainly */
		rs->status = 500;
		rs->content_type = "text/plain; charset=utf-8";
		buf_adds(&rs->body, "Internal error: a page template is missing "
		    "or wrong; the server's log says which.\n");
	} else {
		rs->status = status;
		buf_adds(&rs->body, page);
	}
	free(page);
	free(content);
}

char *
web_root(const char *path)
{
	struct buf b;
	int depth = 0;

	for (const char *p = path ? path + (*path == '/') : ""; *p; p++)
		if (*p == '/')
			depth++;
	buf_init(&b);
	if (depth == 0)
		buf_adds(&b, "./");
	while (depth-- > 0)
		buf_adds(&b, "../");
	return buf_detach(&b, NULL);
}

void
web_fail(struct web *w, struct web_response *rs, int status, const char *root,
    const char *name)
{
	char *file = xasprintf("error-%s.html", name);
	struct web_var v[] = { { "root", root, 0 } };
	char *content = web_render(w, "", file, v, 1);
	char title[32];

	snprintf(title, sizeof(title), "%d", status);
	free(rs->log);
	rs->log = NULL;
	rs->mail = 0;
	web_page(w, rs, status, "", root, title, content);
	free(file);
}

void
web_error(struct web *w, struct web_response *rs, int status,
    const char *path)
{
	static const struct { int status; const char *name; } pages[] = {
		{ 400, "badrequest" }, { 403, "badlink" }, { 404, "notfound" },
		{ 405, "method" }, { 410, "gone" }, { 413, "toolarge" },
		{ 415, "type" }, { 429, "ratelimit" }, { 431, "headers" },
		{ 503, "busy" },
	};
	char *root = web_root(path ? path : "/");
	const char *name = "internal";

	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (pages[i].status == status)
			name = pages[i].name;
	web_fail(w, rs, status, root, name);
	if (status == 405)
		rs->allow = "GET, HEAD, POST";
	free(root);
}

void
web_unavailable(struct web *w, struct web_response *rs)
{
	web_error(w, rs, 503, NULL);
	rs->retry_after = BUSY_RETRY_AFTER;
	rs->uncommitted = 0;
}

char *
web_csrf(struct web *w, const char *kind, const char *bound)
{
	return token_make(w->key, "csrf", kind, bound, "f",
	    now_utc() + CSRF_TTL);
}

int
web_csrf_ok(struct web *w, const struct web_request *rq, const char *kind,
    const char *bound)
{
	const char *csrf = web_field_get(rq->form, rq->nform, "csrf");
	char *payload = NULL;
	int ok;

	if (csrf == NULL || strlen(csrf) > WEB_TOKEN_MAX)
		return 0;
	ok = token_check(w->key, "csrf", kind, bound, csrf, now_utc(),
	    &payload) == 0;
	free(payload);
	return ok;
}

/*
 * accept_lang - the language Kith has that header asks for first, ""
 * for none (i18n_accept_pick), remembered: a browser sends the same
 * header with every request, and each language in it that Kith lacks
 * costs a look in the template folders.
 */
static const char *
accept_lang(struct web *w, const char *header)
{
	unsigned i;

	for (i = 0; i < WEB_ACCEPT_MEMO && w->accept_memo[i].header; i++)
		if (!strcmp(w->accept_memo[i].header, header))
			return w->accept_memo[i].lang;
	i = w->accept_next++ % WEB_ACCEPT_MEMO;
	free(w->accept_memo[i].header);
	w->accept_memo[i].header = xstrdup(header);
	i18n_accept_pick(header, notice_lang_have, &w->cfg,
	    w->accept_memo[i].lang, sizeof(w->accept_memo[i].lang));
	return w->accept_memo[i].lang;
}

void
web_reader(struct web *w, const struct list *l, const char *address)
{
	const char *want;

	free(w->tz);
	w->tz = NULL;
	if (l == NULL)
		snprintf(w->lang, sizeof(w->lang), "en");
	else {
		notice_lang(w->db, l, address, w->lang);
		w->tz = list_setting(w->db, l->id, "timezone");
	}
	/* a member reads in their own language, a visitor in the
	 * browser's when Kith has it */
	if (address == NULL && w->accept && *(want = accept_lang(w,
	    w->accept)))
		snprintf(w->lang, sizeof(w->lang), "%s", want);
}

void
web_target_release(struct web_target *t)
{
	list_release(&t->l);
	member_release(&t->m);
	memset(t, 0, sizeof(*t));
}

enum web_token
web_resolve(struct web *w, const char *purpose, char *token,
    struct web_target *t)
{
	int64_t thing, member, list_id;
	char *payload = NULL;
	int st, ok;

	memset(t, 0, sizeof(*t));
	str_lower(token);
	if (weblink_parse(token, &thing, &member) < 0 ||
	    !strcmp(purpose, WEBLINK_MODERATE) != !strncmp(token, "h.", 2) ||
	    (thing == 0) != (!strcmp(purpose, WEBLINK_UNSUBSCRIBE) ||
	    !strcmp(purpose, WEBLINK_PREFS)))
		return WT_BAD;
	list_id = db_int(w->db, 0, &st, "SELECT list_id FROM members WHERE "
	    "id=?", "i", member);
	if (list_id == 0)
		return WT_GONE;
	if (list_find_id(w->db, list_id, &t->l) != KITH_OK)
		return WT_GONE;
	if (member_find_id(w->db, list_id, member, &t->m) != KITH_OK) {
		list_release(&t->l);
		return WT_GONE;
	}
	t->thing = thing;
	ok = token_check(w->key, purpose, t->l.address, t->m.address, token,
	    now_utc(), &payload) == 0;
	free(payload);
	if (ok) {
		web_reader(w, &t->l, t->m.address);
		return WT_OK;
	}
	/* genuine but late: the check without a clock passes */
	if (token_check(w->key, purpose, t->l.address, t->m.address, token, 0,
	    &payload) == 0) {
		free(payload);
		web_reader(w, &t->l, t->m.address);
		return WT_EXPIRED;
	}
	web_target_release(t);
	return WT_BAD;
}

struct mail_ctx
web_mail_ctx(struct web *w, const struct list *l)
{
	struct mail_ctx c = { &w->cfg, w->db, w->key, l, NULL, NULL };

	return c;
}

int
web_tx_begin(struct web *w)
{
	if (w->in_batch)
		return db_exec(w->db, "SAVEPOINT web", "");
	return db_begin(w->db);
}

int
web_tx_end(struct web *w, struct web_response *rs, int ok)
{
	if (w->in_batch) {
		int st = ok ? KITH_OK : db_exec(w->db, "ROLLBACK TO web", "");

		if (st == KITH_OK)
			st = db_exec(w->db, "RELEASE web", "");
		if (st == KITH_OK && ok)
			rs->uncommitted = 1;
		return st;
	}
	if (ok)
		return db_commit(w->db);
	db_rollback(w->db);
	return KITH_OK;
}

int
web_batch_begin(struct web *w)
{
	int st = db_begin(w->db);

	w->in_batch = st == KITH_OK;
	return st;
}

int
web_batch_commit(struct web *w)
{
	w->in_batch = 0;
	return db_commit(w->db);
}

int
web_read_begin(struct web *w)
{
	return db_exec(w->db, "BEGIN", "");
}

void
web_read_end(struct web *w)
{
	db_rollback(w->db);	/* it changed nothing */
}

void
web_event_when(const char *tz, int64_t start, int64_t duration, char *buf,
    size_t n)
{
	char from[64], until[16], zone[16];

	local_time_strftime(tz, start, "%a %-d %b %Y, %H:%M", from,
	    sizeof(from));
	local_time_strftime(tz, start + duration, "%H:%M", until, sizeof(until));
	local_time_strftime(tz, start, "%Z", zone, sizeof(zone));
	snprintf(buf, n, "%s - %s %s", from, until, zone);
}

/* "10/h" as a burst of 10 and one more every 6 minutes. */
static void
rate_spec(const char *spec, int64_t *interval_us, int64_t *burst)
{
	*burst = strtoll(spec, NULL, 10);
	if (throttle_parse(spec, interval_us) < 0)
		*interval_us = 0;
}

int
web_mail_limits(struct web *w, const char *client, const char *address,
    int64_t *wait_us)
{
	int64_t now = throttle_now_us(), interval, burst;
	char *scope;
	int st;

	/* rows that have caught up allow a full burst: forget them */
	if ((st = throttle_prune(w->db, "join-", now)) != KITH_OK)
		return st;
	rate_spec(w->cfg.http_join_rate, &interval, &burst);
	scope = xasprintf("join-client:%s", client ? client : "");
	st = throttle_allow(w->db, scope, interval, burst, now, wait_us);
	free(scope);
	if (st != KITH_OK || *wait_us > 0)
		return st;
	rate_spec(w->cfg.http_join_rate_address, &interval, &burst);
	scope = xasprintf("join-address:%s", address);
	st = throttle_allow(w->db, scope, interval, burst, now, wait_us);
	free(scope);
	return st;
}
