/* web - routing, rendering, CSRF, tokens and transactions of the pages. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/compose.h"
#include "kith/db.h"
#include "kith/log.h"
#include "kith/outbox.h"
#include "kith/template.h"
#include "kith/timeutil.h"
#include "kith/weblinks.h"
#include "web_pages.h"

#define CSRF_TTL 86400
#define TOKEN_MAX 200
#define BUSY_RETRY_AFTER 5

struct tmpl_cache {
	char *list_local, *name, *text;
	struct tmpl_cache *next;
};

static void
cache_clear(struct web *w)
{
	while (w->cache) {
		struct tmpl_cache *next = w->cache->next;

		free(w->cache->list_local);
		free(w->cache->name);
		free(w->cache->text);
		free(w->cache);
		w->cache = next;
	}
}

void
web_response_init(struct web_response *rs)
{
	memset(rs, 0, sizeof(*rs));
	buf_init(&rs->body);
	rs->status = 200;
	rs->content_type = "text/html; charset=utf-8";
}

void
web_response_release(struct web_response *rs)
{
	buf_release(&rs->body);
	free(rs->log);
	free(rs->disposition);
	free(rs->set_cookie);
	free(rs->location);
	memset(rs, 0, sizeof(*rs));
}

/* Open what a configuration names: the database and the secret. */
static int
web_open(const struct kith_config *cfg, sqlite3 **db, struct token_key **key,
    char *err, size_t errlen)
{
	char *path = config_db_path(cfg);
	int st = db_open(path, 0, cfg->http_db_timeout_ms, DB_DURABLE, db, err,
	    errlen);

	free(path);
	if (st != KITH_OK)
		return -1;
	path = config_secret_path(cfg);
	*key = token_key_load(path, err, errlen);
	free(path);
	if (*key == NULL) {
		db_close(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}

struct web *
web_new(struct kith_config *cfg, char *err, size_t errlen)
{
	struct web *w = xcalloc(1, sizeof(*w));

	if (web_open(cfg, &w->db, &w->key, err, errlen) < 0) {
		free(w);
		return NULL;
	}
	w->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	return w;
}

void
web_free(struct web *w)
{
	if (w == NULL)
		return;
	cache_clear(w);
	db_close(w->db);
	token_key_free(w->key);
	config_release(&w->cfg);
	free(w);
}

int
web_reload(struct web *w, struct kith_config *cfg, char *err, size_t errlen)
{
	sqlite3 *db;
	struct token_key *key;

	if (web_open(cfg, &db, &key, err, errlen) < 0)
		return -1;
	cache_clear(w);
	db_close(w->db);
	token_key_free(w->key);
	config_release(&w->cfg);
	w->db = db;
	w->key = key;
	w->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	return 0;
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

/* The template text, read once per configuration (SIGHUP reads again). */
static const char *
cached_template(struct web *w, const char *list_local, const char *name)
{
	struct tmpl_cache *c;
	char err[256], *text;

	for (c = w->cache; c; c = c->next)
		if (!strcmp(c->list_local, list_local) && !strcmp(c->name, name))
			return c->text;
	text = template_load(&w->cfg, list_local, name, NULL, err, sizeof(err));
	if (text == NULL) {
		log_error("web: %s", err);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->list_local = xstrdup(list_local);
	c->name = xstrdup(name);
	c->text = text;
	c->next = w->cache;
	w->cache = c;
	return text;
}

char *
web_render(struct web *w, const char *list_local, const char *name,
    const struct web_var *vars, int n)
{
	struct template_var *tv = xcalloc((size_t)n + 1, sizeof(*tv));
	char **esc = xcalloc((size_t)n + 1, sizeof(*esc));
	char *path = xasprintf("web/%s", name), err[256], *out = NULL;
	const char *text = cached_template(w, list_local ? list_local : "",
	    path);

	for (int i = 0; i < n; i++) {
		const char *v = vars[i].value ? vars[i].value : "";

		esc[i] = vars[i].raw ? NULL : html_escape(v);
		tv[i].name = vars[i].name;
		tv[i].value = esc[i] ? esc[i] : v;
	}
	if (text) {
		out = template_expand(text, tv, n, err, sizeof(err));
		if (out == NULL)
			log_error("web: template '%s': %s", path, err);
	}
	for (int i = 0; i < n; i++)
		free(esc[i]);
	free(esc);
	free(tv);
	free(path);
	return out;
}

char *
web_render_tv(struct web *w, const char *list_local, const char *name,
    const struct tvars *tv, const char *tz)
{
	char *path = xasprintf("web/%s", name), err[256], *res = NULL;
	const char *text = cached_template(w, list_local ? list_local : "",
	    path);
	struct template_opts o = { list_local, NULL, tz };
	struct template_out out;

	if (text && template_string(text, path, &o, tv, &out, err,
	    sizeof(err)) == 0) {
		res = out.body;
		out.body = NULL;
		template_out_release(&out);
	} else if (text)
		log_error("web: template '%s': %s", path, err);
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

	if (csrf == NULL || strlen(csrf) > TOKEN_MAX)
		return 0;
	ok = token_check(w->key, "csrf", kind, bound, csrf, now_utc(),
	    &payload) == 0;
	free(payload);
	return ok;
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
	if (ok)
		return WT_OK;
	/* genuine but late: the check without a clock passes */
	if (token_check(w->key, purpose, t->l.address, t->m.address, token, 0,
	    &payload) == 0) {
		free(payload);
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

/* A path segment that may be a token: letters, digits, '.', '-'. */
static int
token_shaped(const char *s, size_t n)
{
	if (n == 0 || n > TOKEN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

enum web_kind
web_kind(const struct web_request *rq)
{
	static const char *const writes[] = { "/u/", "/unsubscribe/", "/p/",
		"/l/", "/r/", "/v/", "/a/", NULL };

	if (strcmp(rq->method, "POST"))
		return WEB_READ;
	for (int i = 0; writes[i]; i++)
		if (!strncmp(rq->path, writes[i], strlen(writes[i])))
			return WEB_WRITE;
	if (!strncmp(rq->path, "/m/", 3))
		return WEB_WRITE_ALONE;
	return WEB_READ;
}

/* Split path into at most max segments (copies; caller frees each). */
static int
split_path(const char *path, char **seg, int max)
{
	int n = 0;

	if (*path != '/')
		return -1;
	while (*path == '/' && n < max) {
		const char *s = path + 1, *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);

		seg[n++] = xstrndup(s, len);
		path = s + len;
	}
	return *path ? -1 : n;
}

#define MAX_SEGMENTS 8

/* web_handle - route by method and path to the page handlers. */
void
web_handle(struct web *w, const struct web_request *rq,
    struct web_response *rs)
{
	char *seg[MAX_SEGMENTS] = { NULL };
	int n = split_path(rq->path, seg, MAX_SEGMENTS), bad = 0;
	int post = !strcmp(rq->method, "POST");

	/* the path comes as it was sent: each segment is decoded here */
	for (int i = 0; i < n; i++)
		if (weblink_unpct(seg[i]) < 0)
			bad = 1;
	if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD") && !post)
		web_error(w, rs, 405, rq->path);
	else if (bad)
		web_error(w, rs, 404, rq->path);
	else if (n >= 2 && !strcmp(seg[0], "a") && *seg[1])
		web_archive_page(w, rq, rs, seg + 1, n - 1);
	else if (n == 1 && !strcmp(seg[0], "metrics")) {
		if (post)
			web_error(w, rs, 405, rq->path);
		else
			web_metrics(w, rs);
	} else if (n == 2 && !strcmp(seg[0], "l") && *seg[1] &&
	    strlen(seg[1]) < 256)
		web_list_page(w, rq, rs, seg[1]);
	else if (n == 2 && strlen(seg[0]) == 1 && strchr("uprvm", *seg[0]) &&
	    token_shaped(seg[1], strlen(seg[1]))) {
		switch (*seg[0]) {
		case 'u':
			web_unsubscribe_page(w, rq, rs, seg[1], NULL);
			break;
		case 'p':
			web_prefs_page(w, rq, rs, seg[1]);
			break;
		case 'r':
			web_rsvp_page(w, rq, rs, seg[1]);
			break;
		case 'v':
			web_vote_page(w, rq, rs, seg[1]);
			break;
		default:
			web_moderate_page(w, rq, rs, seg[1]);
		}
	} else if (n == 3 && !strcmp(seg[0], "unsubscribe") && *seg[1] &&
	    token_shaped(seg[2], strlen(seg[2])))
		web_unsubscribe_page(w, rq, rs, seg[2], seg[1]);
	else
		web_error(w, rs, 404, rq->path);
	for (int i = 0; i < MAX_SEGMENTS; i++)
		free(seg[i]);
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void
label(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(b, '\\');
		if (*s == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *s);
	}
}

void
web_metrics(struct web *w, struct web_response *rs)
{
	struct outbox_counts oc;
	sqlite3_stmt *st;
	int s1, s2;
	int64_t held = db_int(w->db, 0, &s1, "SELECT count(*) FROM held", "");
	int64_t quarantined = db_int(w->db, 0, &s2, "SELECT count(*) FROM "
	    "quarantine", "");

	buf_reset(&rs->body);
	rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
	if (outbox_count(w->db, &oc) != KITH_OK || s1 != KITH_OK ||
	    s2 != KITH_OK) {
		web_unavailable(w, rs);
		return;
	}
	buf_adds(&rs->body, "# HELP kith_posts_received_total Posts accepted "
	    "into each list's archive.\n# TYPE kith_posts_received_total "
	    "counter\n");
	st = db_prepare(w->db, "SELECT l.address, (SELECT count(*) FROM posts p "
	    "WHERE p.list_id=l.id) FROM lists l ORDER BY l.address");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		buf_adds(&rs->body, "kith_posts_received_total{list=\"");
		label(&rs->body, (const char *)sqlite3_column_text(st, 0));
		buf_addf(&rs->body, "\"} %lld\n",
		    (long long)sqlite3_column_int64(st, 1));
	}
	sqlite3_finalize(st);
	buf_addf(&rs->body, "# HELP kith_posts_held Posts waiting for a "
	    "moderator.\n# TYPE kith_posts_held gauge\nkith_posts_held %lld\n"
	    "# HELP kith_quarantined Messages kept because they could not be "
	    "handled.\n# TYPE kith_quarantined gauge\nkith_quarantined %lld\n",
	    (long long)held, (long long)quarantined);
	buf_addf(&rs->body, "# HELP kith_mails_sent_total Copies the next hop "
	    "accepted.\n# TYPE kith_mails_sent_total counter\n"
	    "kith_mails_sent_total %lld\n"
	    "# HELP kith_mails_failed_total Copies refused for good.\n"
	    "# TYPE kith_mails_failed_total counter\n"
	    "kith_mails_failed_total %lld\n"
	    "# HELP kith_mails_deferred Copies waiting to be tried again.\n"
	    "# TYPE kith_mails_deferred gauge\nkith_mails_deferred %lld\n"
	    "# HELP kith_queue_depth Copies not yet sent: pending, sending and "
	    "deferred.\n# TYPE kith_queue_depth gauge\nkith_queue_depth %lld\n",
	    (long long)oc.sent, (long long)oc.failed, (long long)oc.deferred,
	    (long long)(oc.pending + oc.sending + oc.deferred));
}

char *
web_stylesheet(const struct kith_config *cfg, size_t *len)
{
	char err[256], *css = template_load(cfg, "", "web/kith.css", NULL, err,
	    sizeof(err));

	if (css == NULL) {
		log_error("web: %s", err);
		return NULL;
	}
	*len = strlen(css);
	return css;
}

char *
web_log_path(const char *path)
{
	struct buf b;
	int i = 0, unsub = !strncmp(path, "/unsubscribe/", 13);
	const char *p = path;

	buf_init(&b);
	while (*p) {
		const char *e = strchr(p + 1, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		size_t k = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");

		if (k > n - 1)
			k = n - 1;
		/* the token places, and anything else shaped like a token
		 * (in a log line, the token ends where its characters do) */
		if (*p == '/' && k > 0 && ((i == 1 && !unsub && p[-2] == '/' &&
		    strchr("uprvm", p[-1])) || (i == 2 && unsub) ||
		    (memchr(p + 1, '-', k) && k > 20))) {
			buf_adds(&b, "/[token]");
			buf_add(&b, p + 1 + k, n - 1 - k);
		} else
			buf_add(&b, p, n);
		p += n;
		i++;
	}
	return b.data ? buf_detach(&b, NULL) : xstrdup(path);
}
