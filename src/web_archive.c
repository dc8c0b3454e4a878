/* web_archive - the list's archive on the web: threads, months, permalinks,
 * search, feed, mbox, private access, and static export. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kith/address.h"
#include "kith/archive.h"
#include "kith/archive_html.h"
#include "kith/archive_search.h"
#include "kith/compose.h"
#include "kith/db.h"
#include "kith/log.h"
#include "kith/message.h"
#include "kith/newsletter.h"
#include "kith/notice.h"
#include "kith/template.h"
#include "kith/throttle.h"
#include "kith/timeutil.h"
#include "kith/web_archive.h"
#include "kith/weblinks.h"
#include "web_pages.h"

#define PAGE_RESULTS 20
#define FEED_ENTRIES 20
#define DEPTH_MAX 5		/* indentation levels of a thread */
#define MBOX_MAX ((size_t)64 << 20)
#define LOGIN_TTL 3600
#define SESSION_TTL (30 * 86400)
#define IMAGE_INLINE_MAX (4 << 20)
#define ATTACHMENT_CSP "sandbox; default-src 'none'"

/* One request for a page of the archive of list l. */
struct arch {
	struct web *w;
	const struct web_request *rq;
	struct web_response *rs;
	struct list l;
	char *mode;		/* public | members | off */
	int member;		/* the reader sees what members see */
	int64_t member_id;	/* who, when logged in */
	char *member_address;
	int hide;		/* addresses hidden from this reader */
	char *root;		/* the way to the site's root: "../../" */
	char *base;		/* ... to the archive's: root + "a/LIST/" */
};

/* ---- small helpers ---- */

/* A path segment for a link: encoded once (twice in static files, whose
 * server decodes the link before it looks for the file). */
static void
seg_add(const struct arch *a, struct buf *b, const char *s)
{
	struct buf once;

	if (!a->w->static_site) {
		weblink_pct(b, s);
		return;
	}
	buf_init(&once);
	weblink_pct(&once, s);
	weblink_pct(b, once.data ? once.data : "");
	buf_release(&once);
}

/* base + the rest ("t/12/": numbers only); caller frees. */
static char *
link_to(const struct arch *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *
link_to(const struct arch *a, const char *fmt, ...)
{
	char rest[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rest, sizeof(rest), fmt, ap);
	va_end(ap);
	return xasprintf("%s%s", a->base, rest);
}

/* The permalink of a post: base + "m/ID/". */
static char *
message_link(const struct arch *a, const char *message_id, const char *what)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, a->base);
	buf_adds(&b, "m/");
	seg_add(a, &b, message_id);
	buf_addc(&b, '/');
	buf_adds(&b, what);
	return buf_detach(&b, NULL);
}

/* A query string value: everything but the unreserved characters %XX. */
static void
qpct(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (isalnum(*p) || strchr("-._~", *p))
			buf_addc(b, (char)*p);
		else
			buf_addf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
}

/* Who wrote a post, as this reader may see it. */
static char *
author(const struct arch *a, const struct post *p)
{
	if (*p->sender_name)
		return archive_html_plain(p->sender_name, a->hide);
	return archive_html_plain(*p->sender ? p->sender : "?", a->hide);
}

/* Whether raw messages and mbox files are for this reader. */
static int
can_download(const struct arch *a)
{
	return a->member || !a->hide;
}

/* Text without its reply marker, for "is this the thread's subject". */
static const char *
no_re(const char *s)
{
	return !strncmp(s, "Re: ", 4) ? s + 4 : s;
}

/* "1.5 KB": the size of an attachment. */
static void
size_text(const char *digits, char *out, size_t n)
{
	size_human(strtoll(digits, NULL, 10), out, n);
}

/* A time {{date}} shows in the page's zone. */
static void
tv_at(struct tvars *tv, const char *name, int64_t t)
{
	tv_int(tv, name, (long long)t);
}

/* The values every archive page has. */
static void
common(const struct arch *a, struct tvars *tv)
{
	struct buf lp;

	notice_list_tv(tv, &a->l);
	tv_str(tv, "list.local", a->l.local);
	tv_str(tv, "base", a->base);
	tv_str(tv, "root", a->root);
	buf_init(&lp);
	if (a->w->static_site)
		buf_adds(&lp, a->base);
	else {
		buf_adds(&lp, a->root);
		buf_adds(&lp, "l/");
		weblink_pct(&lp, a->l.local);
	}
	tv_str(tv, "listpage", lp.data);
	buf_release(&lp);
}

/* Render NAME with tv into a whole page with title; tv is freed. */
static void
page(struct arch *a, int status, const char *name, struct tvars *tv,
    const char *title)
{
	char *content = web_render_tv(a->w, a->l.local, name, tv, a->w->tz);

	tv_free(tv);
	web_page(a->w, a->rs, status, a->l.local, a->root, title, content);
}

static void
fail(struct arch *a, int status, const char *name)
{
	web_fail(a->w, a->rs, status, a->root, name);
}

/* A page of the archive's own (the login form, downloads refused). */
static void
notice_page(struct arch *a, int status, const char *name)
{
	struct tvars *tv = tv_new();

	common(a, tv);
	page(a, status, name, tv, *a->l.name ? a->l.name : a->l.address);
}

/* 301 to where the page is: the same path with a slash at its end. */
static void
to_directory(struct arch *a, const char *last)
{
	struct buf b;

	buf_init(&b);
	weblink_pct(&b, last);
	buf_addc(&b, '/');
	buf_reset(&a->rs->body);
	a->rs->status = 301;
	a->rs->content_type = "text/plain; charset=utf-8";
	a->rs->location = buf_detach(&b, NULL);
}

/* 303 to location (relative to the request). */
static void
see_other(struct arch *a, const char *location)
{
	buf_reset(&a->rs->body);
	a->rs->status = 303;
	a->rs->content_type = "text/plain; charset=utf-8";
	free(a->rs->location);
	a->rs->location = xstrdup(location);
}

/* ---- who reads ---- */

static char *
cookie_name(const struct arch *a)
{
	return xasprintf("kith_a%lld", (long long)a->l.id);
}

/* The value of cookie name in the Cookie header, or NULL; caller frees. */
static char *
cookie_get(const char *header, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = header; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		if (!strncmp(p, name, n) && p[n] == '=') {
			const char *v = p + n + 1;

			return xstrndup(v, strcspn(v, "; "));
		}
		p = strchr(p, ';');
	}
	return NULL;
}

/*
 * member_of_token - the member of the list a token of purpose names
 * (its payload is the member's id; the MAC binds it to the list and the
 * member's address).  1 and *m (release it) when genuine and in time,
 * 0 when expired, -1 when not genuine.
 */
static int
member_of_token(struct arch *a, const char *purpose, const char *token,
    struct member *m)
{
	int64_t thing, id;
	char *payload = NULL, *lower = str_lower(xstrdup(token));
	int r = -1;

	memset(m, 0, sizeof(*m));
	if (strlen(lower) > 200 || weblink_parse(lower, &thing, &id) < 0 ||
	    thing != 0 || member_find_id(a->w->db, a->l.id, id, m) != KITH_OK) {
		free(lower);
		return -1;
	}
	if (token_check(a->w->key, purpose, a->l.address, m->address, lower,
	    now_utc(), &payload) == 0)
		r = 1;
	else if (token_check(a->w->key, purpose, a->l.address, m->address,
	    lower, 0, &payload) == 0)
		r = 0;
	free(payload);
	free(lower);
	if (r < 1)
		member_release(m);
	return r;
}

/* Who reads: a member logged in (the cookie), or anyone. */
static void
reader(struct arch *a)
{
	char *name, *value;
	struct member m;

	if (a->w->static_site) {
		a->member = a->w->static_members;
		return;
	}
	name = cookie_name(a);
	value = a->rq->cookie ? cookie_get(a->rq->cookie, name) : NULL;
	if (value && member_of_token(a, WEBLINK_ARCHIVE_SESSION, value,
	    &m) == 1) {
		a->member = 1;
		a->member_id = m.id;
		a->member_address = xstrdup(m.address);
		member_release(&m);
	}
	free(value);
	free(name);
}

/* The cookie's path: web_base_url's path, then /a/LIST/. */
static char *
cookie_path(const struct arch *a)
{
	const char *u = a->w->cfg.web_base_url, *p = strstr(u, "://");
	struct buf b;
	size_t n;

	p = p ? strchr(p + 3, '/') : NULL;
	buf_init(&b);
	if (p) {
		n = strlen(p);
		while (n > 0 && p[n - 1] == '/')
			n--;
		buf_add(&b, p, n);
	}
	buf_adds(&b, "/a/");
	weblink_pct(&b, a->l.local);
	buf_addc(&b, '/');
	return buf_detach(&b, NULL);
}

/* Set-Cookie for value (NULL: remove it). */
static void
set_cookie(struct arch *a, const char *value)
{
	char *name = cookie_name(a), *path = cookie_path(a);
	int secure = !strncmp(a->w->cfg.web_base_url, "https://", 8);

	free(a->rs->set_cookie);
	a->rs->set_cookie = xasprintf("%s=%s; Path=%s; Max-Age=%d; HttpOnly; "
	    "SameSite=Lax%s", name, value ? value : "", path, value ?
	    SESSION_TTL : 0, secure ? "; Secure" : "");
	free(name);
	free(path);
}

/* ---- logging in ---- */

static void
session_values(struct arch *a, struct tvars *tv)
{
	struct tvars *s;
	char *csrf, *html;

	if (a->w->static_site) {
		tv_html(tv, "session", "");
		return;
	}
	s = tv_new();
	csrf = web_csrf(a->w, "a", a->l.address);
	tv_bool(s, "member", a->member && a->member_id);
	tv_str(s, "address", a->member_address);
	tv_str(s, "csrf", csrf);
	tv_str(s, "base", a->base);
	html = web_render_tv(a->w, a->l.local, "archive-session.html", s,
	    a->w->tz);
	tv_html(tv, "session", html ? html : "");
	free(html);
	free(csrf);
	tv_free(s);
}

static void
login_form(struct arch *a, int status, const char *note,
    const char *address)
{
	struct tvars *tv = tv_new();
	char *csrf = web_csrf(a->w, "a", a->l.address);

	common(a, tv);
	tv_str(tv, "csrf", csrf);
	tv_str(tv, "address", address);
	tv_html(tv, "note", note ? note : "");
	free(csrf);
	page(a, status, "archive-login.html", tv, *a->l.name ? a->l.name :
	    a->l.address);
}

/* The join form's limits, per client and per address, for login links. */
static int
login_limits(struct arch *a, const char *address, int64_t *wait_us)
{
	int64_t now = throttle_now_us(), interval;
	char *scope;
	int st;

	if ((st = throttle_prune(a->w->db, "login-", now)) != KITH_OK)
		return st;
	if (throttle_parse(a->w->cfg.http_join_rate, &interval) < 0)
		interval = 0;
	scope = xasprintf("login-client:%s", a->rq->client ? a->rq->client :
	    "");
	st = throttle_allow(a->w->db, scope, interval,
	    strtoll(a->w->cfg.http_join_rate, NULL, 10), now, wait_us);
	free(scope);
	if (st != KITH_OK || *wait_us > 0)
		return st;
	if (throttle_parse(a->w->cfg.http_join_rate_address, &interval) < 0)
		interval = 0;
	scope = xasprintf("login-address:%s", address);
	st = throttle_allow(a->w->db, scope, interval,
	    strtoll(a->w->cfg.http_join_rate_address, NULL, 10), now, wait_us);
	free(scope);
	return st;
}

/* Mail the member at address a link to log in; KITH_OK also when the
 * address is no member's (the page reads the same). */
static int
mail_link(struct arch *a, const char *address, int *sent)
{
	struct list_ref ref = { a->l.address, a->l.local };
	struct notice_opts o;
	struct member m;
	struct tvars *tv;
	char *link;
	int st;

	*sent = 0;
	if (member_find(a->w->db, a->l.id, address, &m) != KITH_OK)
		return KITH_OK;
	link = weblink_archive_login(&a->w->cfg, a->w->key, &ref, m.id,
	    m.address, now_utc() + LOGIN_TTL);
	tv = tv_new();
	tv_str(tv, "member.address", m.address);
	tv_str(tv, "member.name", m.name);
	tv_str(tv, "link", link);
	memset(&o, 0, sizeof(o));
	o.to = m.address;
	o.tmpl = "archive-login.txt";
	o.tv = tv;
	st = notice_queue(a->w->db, &a->w->cfg, &a->l, &o);
	*sent = st == KITH_OK;
	tv_free(tv);
	free(link);
	member_release(&m);
	return st;
}

/* POST /a/LIST/login: the link goes out, the page says it may. */
static void
login_post(struct arch *a)
{
	const char *raw = web_field_get(a->rq->form, a->rq->nform, "address");
	char *address = raw ? address_normalize(raw) : NULL;
	int64_t wait = 0;
	int st, sent = 0;

	if (!web_csrf_ok(a->w, a->rq, "a", a->l.address)) {
		fail(a, 403, "csrf");
		goto done;
	}
	if (!*a->w->cfg.web_base_url) {
		log_error("archive: '%s': logging in needs [site] web_base_url "
		    "(the link mailed)", a->l.address);
		fail(a, 500, "internal");
		goto done;
	}
	if (address == NULL || strlen(address) > 254) {
		char *note = web_render(a->w, a->l.local,
		    "archive-login-badaddress.html", NULL, 0);

		login_form(a, 400, note, raw);
		free(note);
		goto done;
	}
	if ((st = web_tx_begin(a->w)) == KITH_OK)
		st = login_limits(a, address, &wait);
	if (st == KITH_OK && wait == 0)
		st = mail_link(a, address, &sent);
	if (web_tx_end(a->w, a->rs, st == KITH_OK && wait == 0) != KITH_OK ||
	    st == KITH_TEMP)
		web_unavailable(a->w, a->rs);
	else if (wait > 0) {
		fail(a, 429, "ratelimit");
		a->rs->retry_after = (int)((wait + 999999) / 1000000);
	} else {
		struct tvars *tv = tv_new();

		common(a, tv);
		tv_str(tv, "address", address);
		page(a, 200, "archive-login-sent.html", tv, *a->l.name ?
		    a->l.name : a->l.address);
		if (sent) {
			a->rs->log = xasprintf("archive: login link for '%s' "
			    "to '%s'", address, a->l.address);
			a->rs->mail = 1;
		}
	}
done:
	free(address);
}

/* GET /a/LIST/login/TOKEN: the cookie, and on to the archive. */
static void
login_token(struct arch *a, const char *token)
{
	struct member m;
	int r = member_of_token(a, WEBLINK_ARCHIVE_LOGIN, token, &m);
	char *session;

	if (r < 0) {
		fail(a, 403, "badlink");
		return;
	}
	if (r == 0) {
		fail(a, 410, "expired");
		return;
	}
	session = weblink_token(a->w->key, WEBLINK_ARCHIVE_SESSION,
	    a->l.address, m.address, 0, m.id, now_utc() + SESSION_TTL);
	set_cookie(a, session);
	see_other(a, "../");
	free(session);
	member_release(&m);
}

static void
logout_post(struct arch *a)
{
	if (!web_csrf_ok(a->w, a->rq, "a", a->l.address)) {
		fail(a, 403, "csrf");
		return;
	}
	set_cookie(a, NULL);
	see_other(a, "./");
}

/* ---- a post ---- */

static char *
quote_summary(int lines, void *ctx)
{
	struct arch *a = ctx;
	struct tvars *tv = tv_new();
	char *s;

	tv_int(tv, "lines", lines);
	s = web_render_tv(a->w, a->l.local, "archive-quote.html", tv,
	    a->w->tz);
	tv_free(tv);
	if (s)
		str_trim(s);
	return s;
}

static int
raster_type(const char *type)
{
	return !strcasecmp(type, "image/png") || !strcasecmp(type,
	    "image/jpeg") || !strcasecmp(type, "image/gif") ||
	    !strcasecmp(type, "image/webp");
}

/* The attachments of a post ("TYPE\tSIZE\tNAME" lines) into tv. */
static void
attachments(const struct arch *a, struct tvars *tv, const char *message_id,
    const char *parts)
{
	struct tvlist *list = NULL;
	const char *p = parts;
	int n = 0;

	while (p && *p) {
		const char *e = strchr(p, '\n'), *t1 = strchr(p, '\t'), *t2;
		char *line = xstrndup(p, e ? (size_t)(e - p) : strlen(p));
		char *type, *name, *shown, size[32], num[16];
		struct tvars *item;
		struct buf url;

		p = e ? e + 1 : p + strlen(p);
		n++;
		t1 = strchr(line, '\t');
		t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (t2 == NULL) {
			free(line);
			continue;
		}
		*(char *)t1 = *(char *)t2 = '\0';
		type = line;
		name = (char *)t2 + 1;
		shown = archive_html_plain(*name ? name : "attachment", 0);
		size_text(t1 + 1, size, sizeof(size));
		snprintf(num, sizeof(num), "%d/", n);
		buf_init(&url);
		buf_adds(&url, a->base);
		buf_adds(&url, "m/");
		seg_add(a, &url, message_id);
		buf_addc(&url, '/');
		buf_adds(&url, num);
		seg_add(a, &url, *shown ? shown : "attachment");
		if (list == NULL)
			list = tv_list(tv, "attachments");
		item = tv_item(list);
		tv_str(item, "url", url.data);
		tv_str(item, "name", *shown ? shown : "attachment");
		tv_str(item, "type", type);
		tv_str(item, "size", size);
		tv_bool(item, "image", raster_type(type) &&
		    strtoll(t1 + 1, NULL, 10) <= IMAGE_INLINE_MAX);
		buf_release(&url);
		free(shown);
		free(line);
	}
	if (list == NULL)
		tv_list(tv, "attachments");
}

/* The "mailto:" that answers a post on the list. */
static char *
reply_link(const struct arch *a, const struct post *p)
{
	struct buf b;
	char *irt = xasprintf("<%s>", p->message_id);
	/* p->subject is clean already: one "Re: " at most */
	char *subj = xasprintf("Re: %s", no_re(p->subject));

	buf_init(&b);
	buf_adds(&b, "mailto:");
	buf_adds(&b, a->l.address);
	buf_adds(&b, "?In-Reply-To=");
	qpct(&b, irt);
	buf_adds(&b, "&subject=");
	qpct(&b, subj);
	free(irt);
	free(subj);
	return buf_detach(&b, NULL);
}

/*
 * post_html - one post as archive-post.html: depth of indentation,
 * subject shown when show_subject, a link to its thread when thread.
 */
static char *
post_html(struct arch *a, const struct post_text *pt, int depth,
    int show_subject, const char *thread)
{
	struct ahtml_opts o = { a->hide, quote_summary, a };
	struct tvars *tv = tv_new();
	char *who = author(a, &pt->p), *subject, *perm, *raw = NULL, *reply;
	char *parts = NULL, *out;
	struct buf body;

	buf_init(&body);
	archive_html_text(&body, pt->body, &o);
	if (pt->parts == NULL) {	/* archived before parts were kept */
		struct buf r;

		buf_init(&r);
		if (archive_raw(a->w->db, pt->p.id, &r) == KITH_OK)
			parts = archive_parts(r.data ? r.data : "", r.len);
		buf_release(&r);
	}
	subject = archive_html_plain(pt->p.subject, a->hide);
	perm = message_link(a, pt->p.message_id, "");
	if (can_download(a))
		raw = message_link(a, pt->p.message_id, "raw");
	reply = reply_link(a, &pt->p);
	tv_int(tv, "id", pt->p.id);
	tv_int(tv, "depth", depth);
	tv_str(tv, "author", who);
	tv_str(tv, "address", !a->hide && *pt->p.sender_name ?
	    pt->p.sender : "");
	tv_at(tv, "date", pt->p.date ? pt->p.date : pt->p.received);
	tv_str(tv, "subject", show_subject ? subject : "");
	tv_html(tv, "body", body.data ? body.data : "");
	tv_str(tv, "permalink", perm);
	tv_str(tv, "thread", thread);
	tv_str(tv, "raw", raw);
	tv_str(tv, "reply", reply);
	attachments(a, tv, pt->p.message_id, parts ? parts : pt->parts);
	out = web_render_tv(a->w, a->l.local, "archive-post.html", tv,
	    a->w->tz);
	tv_free(tv);
	buf_release(&body);
	free(who);
	free(subject);
	free(perm);
	free(raw);
	free(reply);
	free(parts);
	return out;
}

/* ---- the index ---- */

struct items {
	struct arch *a;
	struct tvlist *list;
	int n, max;
};

static int
thread_item(const struct thread_info *t, void *ctx)
{
	struct items *x = ctx;
	struct tvars *item;
	char *url, *subject, *who;

	if (++x->n > x->max)
		return 1;
	url = link_to(x->a, "t/%lld/", (long long)t->id);
	subject = archive_html_plain(*t->first.subject ? t->first.subject :
	    "(no subject)", x->a->hide);
	who = author(x->a, &t->first);
	item = tv_item(x->list);
	tv_str(item, "url", url);
	tv_str(item, "subject", subject);
	tv_str(item, "author", who);
	tv_int(item, "replies", t->posts - 1);
	tv_at(item, "last", t->last);
	tv_at(item, "started", t->started);
	free(url);
	free(subject);
	free(who);
	return 0;
}

/* The middle of month YYYYMM, UTC: the same month in every zone. */
static int64_t
mid_month(int month)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = month / 100 - 1900;
	tm.tm_mon = month % 100 - 1;
	tm.tm_mday = 15;
	tm.tm_hour = 12;
	return (int64_t)timegm(&tm);
}

static int
month_item(int month, int64_t posts, void *ctx)
{
	struct items *x = ctx;
	struct tvars *item = tv_item(x->list);
	char *url = link_to(x->a, "%04d/%02d/", month / 100, month % 100);

	tv_str(item, "url", url);
	tv_at(item, "when", mid_month(month));
	tv_int(item, "posts", posts);
	free(url);
	return 0;
}

/* The sent newsletters this reader may see, newest first. */
static void
newsletters(struct arch *a, struct tvars *tv)
{
	struct db_stmt *st = db_prepare(a->w->db, "SELECT id, subject, "
	    "finished FROM campaigns WHERE list_id=? AND state='sent' AND "
	    "(?2<>0 OR tag='') ORDER BY finished DESC, id DESC LIMIT 20");
	struct tvlist *list = tv_list(tv, "newsletters");

	if (st == NULL)
		return;
	db_bind(st, "iI", a->l.id, a->member);
	while (db_step(st) == DB_ROW) {
		struct campaign c;

		if (newsletter_get(a->w->db, db_col_int64(st, 0), &c) ==
		    KITH_OK) {
			struct newsletter_recipient r = { "", "", "", NULL, NULL, NULL };
			struct tvars *item = tv_item(list);
			char *subject = NULL, err[256];
			char *text = newsletter_view(&c, &a->l, &r, &subject, err,
			    sizeof(err));
			char *url = link_to(a, "n/%lld/", (long long)c.id);
			char *plain = archive_html_plain(subject ? subject :
			    c.subject, 0);

			tv_str(item, "url", url);
			tv_str(item, "subject", plain);
			tv_at(item, "sent", c.finished ? c.finished :
			    c.started);
			free(text);
			free(subject);
			free(url);
			free(plain);
			campaign_release(&c);
		}
	}
	db_finalize(st);
}

static void
index_page(struct arch *a, int pageno)
{
	struct tvars *tv = tv_new();
	struct items x = { a, NULL, 0, PAGE_THREADS };
	char *newer = NULL, *older = NULL;
	int st;

	common(a, tv);
	x.list = tv_list(tv, "threads");
	st = archive_threads(a->w->db, a->l.id, 0, PAGE_THREADS + 1,
	    (pageno - 1) * PAGE_THREADS, thread_item, &x);
	if (st != KITH_OK) {
		tv_free(tv);
		web_unavailable(a->w, a->rs);
		return;
	}
	if (pageno > 1 && x.n == 0) {
		tv_free(tv);
		fail(a, 404, "notfound");
		return;
	}
	if (pageno == 2)
		newer = xstrdup(a->base);
	else if (pageno > 2)
		newer = link_to(a, "page/%d/", pageno - 1);
	if (x.n > PAGE_THREADS)
		older = link_to(a, "page/%d/", pageno + 1);
	tv_str(tv, "newer", newer);
	tv_str(tv, "older", older);
	tv_int(tv, "page", pageno > 1 ? pageno : 0);
	x.list = tv_list(tv, "months");
	if (pageno == 1)
		archive_months(a->w->db, a->l.id, month_item, &x);
	if (pageno == 1)
		newsletters(a, tv);
	else
		tv_list(tv, "newsletters");
	tv_bool(tv, "search", !a->w->static_site);
	session_values(a, tv);
	free(newer);
	free(older);
	page(a, 200, "archive-index.html", tv, *a->l.name ? a->l.name :
	    a->l.address);
}

/* ---- search ---- */

static int
result_item(const struct search_hit *h, void *ctx)
{
	struct items *x = ctx;
	struct tvars *item;
	struct buf subject, snippet;
	char *url, *who;

	if (++x->n > x->max)
		return 1;
	buf_init(&subject);
	buf_init(&snippet);
	archive_html_marked(&subject, h->subject_marked ? h->subject_marked :
	    h->p.subject, x->a->hide);
	if (subject.len == 0)
		buf_adds(&subject, "(no subject)");
	if (h->snippet)
		archive_html_marked(&snippet, h->snippet, x->a->hide);
	url = link_to(x->a, "t/%lld/#m%lld", (long long)h->p.thread_id,
	    (long long)h->p.id);
	who = author(x->a, &h->p);
	item = tv_item(x->list);
	tv_str(item, "url", url);
	tv_html(item, "subject", subject.data);
	tv_html(item, "snippet", snippet.data ? snippet.data : "");
	tv_str(item, "author", who);
	tv_at(item, "date", h->p.date ? h->p.date : h->p.received);
	buf_release(&subject);
	buf_release(&snippet);
	free(url);
	free(who);
	return 0;
}

static char *
search_link(const struct arch *a, const char *q, int pageno)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, a->base);
	buf_adds(&b, "?q=");
	qpct(&b, q);
	if (pageno > 1)
		buf_addf(&b, "&page=%d", pageno);
	return buf_detach(&b, NULL);
}

static void
search_page(struct arch *a, const char *q)
{
	const char *p = web_field_get(a->rq->query, a->rq->nquery, "page");
	int pageno = p ? atoi(p) : 1;
	struct search_opts o;
	struct search_query sq;
	struct tvars *tv = tv_new();
	struct items x = { a, NULL, 0, PAGE_RESULTS };
	char *newer = NULL, *older = NULL;
	int st = KITH_OK;

	if (pageno < 1 || pageno > 1000)
		pageno = 1;
	common(a, tv);
	tv_str(tv, "q", q);
	x.list = tv_list(tv, "results");
	memset(&o, 0, sizeof(o));
	o.list_id = a->l.id;
	o.limit = PAGE_RESULTS + 1;
	o.offset = (pageno - 1) * PAGE_RESULTS;
	o.names_only = a->hide;
	if (archive_search_parse(q, &sq) == 0) {
		st = archive_search_run(a->w->db, &o, &sq, result_item, &x);
		archive_search_release(&sq);
	}
	if (st != KITH_OK) {
		tv_free(tv);
		web_unavailable(a->w, a->rs);
		return;
	}
	if (pageno > 1)
		newer = search_link(a, q, pageno - 1);
	if (x.n > PAGE_RESULTS)
		older = search_link(a, q, pageno + 1);
	tv_str(tv, "newer", newer);
	tv_str(tv, "older", older);
	free(newer);
	free(older);
	page(a, 200, "archive-search.html", tv, q);
}

/* ---- a thread ---- */

struct thread_ctx {
	struct arch *a;
	const char *subject;	/* the thread's, without "Re: " */
	struct buf html;
	char **ids;		/* Message-IDs seen, and their depths */
	int *depth;
	size_t n, cap;
};

static int
depth_of(struct thread_ctx *t, const char *in_reply_to)
{
	for (size_t i = t->n; i-- > 0;)
		if (!strcmp(t->ids[i], in_reply_to))
			return t->depth[i] + 1 > DEPTH_MAX ? DEPTH_MAX :
			    t->depth[i] + 1;
	return t->n ? 1 : 0;
}

static int
thread_post(const struct post_text *pt, void *ctx)
{
	struct thread_ctx *t = ctx;
	int depth = depth_of(t, pt->p.in_reply_to);
	char *html = post_html(t->a, pt, depth, strcmp(no_re(pt->p.subject),
	    t->subject) != 0, NULL);

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->ids = xrealloc(t->ids, t->cap * sizeof(*t->ids));
		t->depth = xrealloc(t->depth, t->cap * sizeof(*t->depth));
	}
	t->ids[t->n] = xstrdup(pt->p.message_id);
	t->depth[t->n++] = depth;
	buf_adds(&t->html, html ? html : "");
	free(html);
	return 0;
}

static void
thread_page(struct arch *a, int64_t id)
{
	struct thread_info info;
	struct thread_ctx t;
	struct tvars *tv;
	char *month, *mbox = NULL, *subject;
	struct tm tm;
	time_t started;
	int st = archive_thread_get(a->w->db, a->l.id, id, &info);

	if (st != KITH_OK) {
		if (st == KITH_PERM)
			fail(a, 404, "notfound");
		else
			web_unavailable(a->w, a->rs);
		return;
	}
	memset(&t, 0, sizeof(t));
	t.a = a;
	t.subject = no_re(info.first.subject);
	buf_init(&t.html);
	st = archive_thread_posts(a->w->db, a->l.id, id, thread_post, &t);
	started = (time_t)info.started;
	gmtime_r(&started, &tm);
	month = link_to(a, "%04d/%02d/", tm.tm_year + 1900, tm.tm_mon + 1);
	if (can_download(a))
		mbox = link_to(a, "t/%lld/mbox", (long long)id);
	subject = archive_html_plain(*t.subject ? t.subject : "(no subject)",
	    a->hide);
	tv = tv_new();
	common(a, tv);
	tv_str(tv, "subject", subject);
	tv_at(tv, "started", info.started);
	tv_str(tv, "month", month);
	tv_int(tv, "count", (long long)t.n);
	tv_str(tv, "mbox", mbox);
	tv_html(tv, "posts", t.html.data ? t.html.data : "");
	if (st == KITH_OK)
		page(a, 200, "archive-thread.html", tv, subject);
	else {
		tv_free(tv);
		web_unavailable(a->w, a->rs);
	}
	for (size_t i = 0; i < t.n; i++)
		free(t.ids[i]);
	free(t.ids);
	free(t.depth);
	buf_release(&t.html);
	free(month);
	free(mbox);
	free(subject);
	thread_info_release(&info);
}

/* ---- a post's permalink, raw bytes and attachments ---- */

struct found {
	struct arch *a;
	int page;		/* render the post for its page */
	int64_t id, thread_id;
	char *html;
};

static int
found_post(const struct post_text *pt, void *ctx)
{
	struct found *f = ctx;

	f->id = pt->p.id;
	f->thread_id = pt->p.thread_id;
	if (f->page) {
		char *thread = link_to(f->a, "t/%lld/#m%lld",
		    (long long)pt->p.thread_id, (long long)pt->p.id);

		f->html = post_html(f->a, pt, 0, 1, thread);
		free(thread);
	}
	return 1;
}

/*
 * not_found - the answer for a Message-ID the archive does not have: a
 * post the list's owners removed (privacy.h: posts_removed) is gone,
 * 410 with when and why; anything else 404.
 */
static void
not_found(struct arch *a, const char *message_id)
{
	struct db_stmt *st = db_prepare(a->w->db, "SELECT removed, reason FROM "
	    "posts_removed WHERE list_id=? AND message_id=? AND message_id!='' "
	    "ORDER BY id DESC LIMIT 1");
	struct tvars *tv;

	if (st == NULL) {
		web_unavailable(a->w, a->rs);
		return;
	}
	db_bind(st, "it", a->l.id, message_id);
	if (db_step(st) != DB_ROW) {
		db_finalize(st);
		fail(a, 404, "notfound");
		return;
	}
	tv = tv_new();
	common(a, tv);
	tv_at(tv, "removed", db_col_int64(st, 0));
	tv_str(tv, "reason", db_col_str(st, 1));
	db_finalize(st);
	page(a, 410, "archive-removed.html", tv, "410");
}

static void
message_page(struct arch *a, const char *message_id)
{
	struct found f = { a, 1, 0, 0, NULL };
	struct thread_info info;
	struct tvars *tv;
	char *thread, *subject;
	int st = archive_find(a->w->db, a->l.id, message_id, found_post, &f);

	if (st != KITH_OK) {
		free(f.html);
		if (st == KITH_PERM)
			not_found(a, message_id);
		else
			web_unavailable(a->w, a->rs);
		return;
	}
	if (archive_thread_get(a->w->db, a->l.id, f.thread_id, &info) !=
	    KITH_OK)
		memset(&info, 0, sizeof(info));
	thread = link_to(a, "t/%lld/#m%lld", (long long)f.thread_id,
	    (long long)f.id);
	subject = archive_html_plain(info.first.subject ?
	    no_re(info.first.subject) : "", a->hide);
	tv = tv_new();
	common(a, tv);
	tv_html(tv, "post", f.html ? f.html : "");
	tv_str(tv, "thread", thread);
	tv_str(tv, "thread.subject", *subject ? subject : "(no subject)");
	tv_int(tv, "count", info.posts);
	page(a, 200, "archive-message.html", tv, *subject ? subject :
	    message_id);
	free(f.html);
	free(thread);
	free(subject);
	thread_info_release(&info);
}

/* The post's id by Message-ID, or 0 (404 answered). */
static int64_t
post_id(struct arch *a, const char *message_id)
{
	struct found f = { a, 0, 0, 0, NULL };
	int st = archive_find(a->w->db, a->l.id, message_id, found_post, &f);

	if (st == KITH_PERM)
		not_found(a, message_id);
	else if (st != KITH_OK)
		web_unavailable(a->w, a->rs);
	return st == KITH_OK ? f.id : 0;
}

static void
downloads_refused(struct arch *a)
{
	notice_page(a, 403, "archive-download.html");
}

static void
raw_page(struct arch *a, const char *message_id)
{
	int64_t id;

	if (!can_download(a)) {
		downloads_refused(a);
		return;
	}
	if ((id = post_id(a, message_id)) == 0)
		return;
	buf_reset(&a->rs->body);
	if (archive_raw(a->w->db, id, &a->rs->body) != KITH_OK) {
		web_unavailable(a->w, a->rs);
		return;
	}
	a->rs->status = 200;
	a->rs->content_type = "text/plain; charset=utf-8";
	a->rs->csp = ATTACHMENT_CSP;
}

/* A file name for Content-Disposition: ASCII fallback and RFC 5987. */
static char *
disposition(const char *name)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "attachment; filename=\"");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		buf_addc(&b, *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\'
		    && *p != '/' ? (char)*p : '_');
	buf_adds(&b, "\"; filename*=UTF-8''");
	qpct(&b, name);
	return buf_detach(&b, NULL);
}

static void
attachment_page(struct arch *a, const char *message_id, const char *num)
{
	char *name = NULL, *type = NULL, *data, *end, *clean;
	long n = strtol(num, &end, 10);
	struct buf raw;
	size_t len = 0;
	const char *image;
	int64_t id;

	if (*num == '\0' || *end || n <= 0 || n > 10000) {
		fail(a, 404, "notfound");
		return;
	}
	if ((id = post_id(a, message_id)) == 0)
		return;
	buf_init(&raw);
	if (archive_raw(a->w->db, id, &raw) != KITH_OK) {
		buf_release(&raw);
		web_unavailable(a->w, a->rs);
		return;
	}
	data = message_attachment(raw.data ? raw.data : "", raw.len, (int)n,
	    &name, &type, &len);
	buf_release(&raw);
	if (data == NULL) {
		fail(a, 404, "notfound");
		return;
	}
	image = archive_safe_image(type, data, len);
	clean = archive_html_plain(*name ? name : "attachment", 0);
	buf_reset(&a->rs->body);
	buf_add(&a->rs->body, data, len);
	a->rs->status = 200;
	/* only pictures the browser cannot mistake for anything else are
	 * what they say; the rest is bytes to save */
	a->rs->content_type = image ? image : "application/octet-stream";
	a->rs->csp = ATTACHMENT_CSP;
	a->rs->disposition = disposition(*clean ? clean : "attachment");
	free(clean);
	free(data);
	free(name);
	free(type);
}

/* ---- mbox downloads ---- */

static void
mbox_answer(struct arch *a, int st, struct buf *b, const char *filename)
{
	if (st == KITH_PERM) {
		buf_release(b);
		notice_page(a, 413, "archive-toolarge.html");
		return;
	}
	if (st != KITH_OK) {
		buf_release(b);
		web_unavailable(a->w, a->rs);
		return;
	}
	buf_release(&a->rs->body);
	a->rs->body = *b;
	a->rs->status = 200;
	a->rs->content_type = "application/mbox";
	a->rs->csp = ATTACHMENT_CSP;
	a->rs->disposition = disposition(filename);
}

static void
thread_mbox(struct arch *a, int64_t id)
{
	struct thread_info info;
	struct buf b;
	char *name;
	int st;

	if (!can_download(a)) {
		downloads_refused(a);
		return;
	}
	if (archive_thread_get(a->w->db, a->l.id, id, &info) != KITH_OK) {
		fail(a, 404, "notfound");
		return;
	}
	thread_info_release(&info);
	buf_init(&b);
	st = archive_mbox_thread(a->w->db, a->l.id, id, &b, MBOX_MAX);
	name = xasprintf("%s-thread-%lld.mbox", a->l.local, (long long)id);
	mbox_answer(a, st, &b, name);
	free(name);
}

/* ---- a month ---- */

struct month_ctx {
	struct arch *a;
	struct post_text *posts;	/* copies: grouped after reading */
	size_t n, cap;
};

static int
month_post(const struct post_text *pt, void *ctx)
{
	struct month_ctx *m = ctx;
	struct post *p;

	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->posts = xrealloc(m->posts, m->cap * sizeof(*m->posts));
	}
	p = &m->posts[m->n++].p;
	*p = pt->p;
	p->message_id = xstrdup(pt->p.message_id);
	p->sender = xstrdup(pt->p.sender);
	p->sender_name = xstrdup(pt->p.sender_name);
	p->subject = xstrdup(pt->p.subject);
	p->in_reply_to = xstrdup(pt->p.in_reply_to);
	return 0;
}

static void
month_line(struct arch *a, struct tvlist *list, const struct post *p,
    int reply)
{
	struct tvars *item = tv_item(list);
	char *url = link_to(a, "t/%lld/#m%lld", (long long)p->thread_id,
	    (long long)p->id);
	char *subject = archive_html_plain(*p->subject ? p->subject :
	    "(no subject)", a->hide);
	char *who = author(a, p);

	tv_str(item, "url", url);
	tv_str(item, "subject", subject);
	tv_str(item, "author", who);
	tv_at(item, "date", p->date ? p->date : p->received);
	tv_bool(item, "reply", reply);
	free(url);
	free(subject);
	free(who);
}

/* The months just after and before month, among those with posts. */
struct month_nav {
	int month, newer, older;
};

static int
month_nav(int month, int64_t posts, void *ctx)
{
	struct month_nav *n = ctx;

	(void)posts;
	if (month > n->month)
		n->newer = month;	/* newest first: the last one above */
	else if (month < n->month && n->older == 0)
		n->older = month;
	return 0;
}

static int64_t
month_start(int y, int m)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900 + (m > 12);
	tm.tm_mon = (m - 1) % 12;
	tm.tm_mday = 1;
	return (int64_t)timegm(&tm);
}

static void
month_page(struct arch *a, int y, int m, int by_date)
{
	struct month_ctx mc = { a, NULL, 0, 0 };
	struct month_nav nav = { y * 100 + m, 0, 0 };
	struct tvars *tv;
	struct tvlist *list;
	char *bythread, *bydate, *mbox = NULL, *newer = NULL, *older = NULL;
	int st = archive_range_posts(a->w->db, a->l.id, month_start(y, m),
	    month_start(y, m + 1), 0, month_post, &mc);

	if (st != KITH_OK || mc.n == 0) {
		if (st == KITH_OK)
			fail(a, 404, "notfound");
		else
			web_unavailable(a->w, a->rs);
		free(mc.posts);
		return;
	}
	tv = tv_new();
	common(a, tv);
	list = tv_list(tv, "items");
	if (by_date)
		for (size_t i = 0; i < mc.n; i++)
			month_line(a, list, &mc.posts[i].p, 0);
	else {
		/* threads in the order they first appear, each whole */
		char *done = xcalloc(mc.n, 1);

		for (size_t i = 0; i < mc.n; i++) {
			if (done[i])
				continue;
			for (size_t j = i; j < mc.n; j++)
				if (!done[j] && mc.posts[j].p.thread_id ==
				    mc.posts[i].p.thread_id) {
					month_line(a, list, &mc.posts[j].p, j != i);
					done[j] = 1;
				}
		}
		free(done);
	}
	archive_months(a->w->db, a->l.id, month_nav, &nav);
	if (nav.newer)
		newer = link_to(a, "%04d/%02d/", nav.newer / 100, nav.newer % 100);
	if (nav.older)
		older = link_to(a, "%04d/%02d/", nav.older / 100, nav.older % 100);
	bythread = link_to(a, "%04d/%02d/", y, m);
	bydate = link_to(a, "%04d/%02d/date/", y, m);
	if (can_download(a))
		mbox = link_to(a, "%04d/%02d/mbox", y, m);
	tv_at(tv, "when", mid_month(y * 100 + m));
	tv_int(tv, "count", (long long)mc.n);
	tv_bool(tv, "bydate", by_date);
	tv_str(tv, "bythread", bythread);
	tv_str(tv, "bydateurl", bydate);
	tv_str(tv, "mbox", mbox);
	tv_str(tv, "newer", newer);
	tv_str(tv, "older", older);
	tv_at(tv, "newerwhen", nav.newer ? mid_month(nav.newer) : 0);
	tv_at(tv, "olderwhen", nav.older ? mid_month(nav.older) : 0);
	{
		char title[32];

		snprintf(title, sizeof(title), "%04d-%02d", y, m);
		page(a, 200, "archive-month.html", tv, title);
	}
	for (size_t i = 0; i < mc.n; i++)
		post_release(&mc.posts[i].p);
	free(mc.posts);
	free(bythread);
	free(bydate);
	free(mbox);
	free(newer);
	free(older);
}

static void
month_mbox(struct arch *a, int y, int m)
{
	struct buf b;
	char *name;
	int st;

	if (!can_download(a)) {
		downloads_refused(a);
		return;
	}
	buf_init(&b);
	st = archive_mbox_range(a->w->db, a->l.id, month_start(y, m),
	    month_start(y, m + 1), &b, MBOX_MAX);
	if (st == KITH_OK && b.len == 0) {
		buf_release(&b);
		fail(a, 404, "notfound");
		return;
	}
	name = xasprintf("%s-%04d-%02d.mbox", a->l.local, y, m);
	mbox_answer(a, st, &b, name);
	free(name);
}

/* ---- a newsletter ---- */

static void
newsletter_page(struct arch *a, int64_t id)
{
	struct campaign c;
	struct newsletter_recipient r;
	struct ahtml_opts o = { 0, quote_summary, a };
	struct tvars *tv;
	struct buf body;
	char *text, *subject = NULL, *plain, *unsub, err[256];

	if (newsletter_get(a->w->db, id, &c) != KITH_OK || c.list_id !=
	    a->l.id || strcmp(c.state, "sent") || (*c.tag && !a->member)) {
		if (c.list_id)
			campaign_release(&c);
		fail(a, 404, "notfound");
		return;
	}
	/* the copy as a reader with no name got it; leaving is the list
	 * page's business */
	unsub = a->w->static_site ? xstrdup(a->base) : xasprintf("%sl/%s",
	    a->root, a->l.local);
	memset(&r, 0, sizeof(r));
	r.address = a->member_address ? a->member_address : "";
	r.name = "";
	r.unsub_mailto = unsub;
	r.unsub_url = NULL;
	text = newsletter_view(&c, &a->l, &r, &subject, err, sizeof(err));
	if (text == NULL) {
		log_error("archive: newsletter %lld: %s", (long long)id, err);
		campaign_release(&c);
		free(unsub);
		fail(a, 500, "internal");
		return;
	}
	buf_init(&body);
	archive_html_text(&body, text, &o);
	plain = archive_html_plain(subject, 0);
	tv = tv_new();
	common(a, tv);
	tv_str(tv, "subject", plain);
	tv_at(tv, "sent", c.finished ? c.finished : c.started);
	tv_html(tv, "body", body.data ? body.data : "");
	page(a, 200, "archive-newsletter.html", tv, plain);
	buf_release(&body);
	free(text);
	free(subject);
	free(plain);
	free(unsub);
	campaign_release(&c);
}

/* ---- the feed ---- */

struct feed_ctx {
	struct arch *a;
	struct tvlist *entries;
	char *base;		/* absolute, or the relative base */
	int64_t updated;
};

/* RFC 3339 in UTC. */
static void
rfc3339(int64_t t, char *buf, size_t n)
{
	utc_strftime(t, "%Y-%m-%dT%H:%M:%SZ", buf, n);
}

/* Values of a text template that is XML: escaped here. */
static void
tv_xml(struct tvars *tv, const char *name, const char *s)
{
	char *e = html_escape(s ? s : "");

	tv_str(tv, name, e);
	free(e);
}

struct feed_body {
	struct buf b;
	int hide;
};

static int
feed_body(const struct post_text *pt, void *ctx)
{
	struct feed_body *fb = ctx;
	struct ahtml_opts o = { fb->hide, NULL, NULL };

	archive_html_text(&fb->b, pt->body, &o);
	return 1;
}

static int
feed_entry(const struct thread_info *t, void *ctx)
{
	struct feed_ctx *f = ctx;
	struct tvars *e = tv_item(f->entries);
	struct feed_body body = { { NULL, 0, 0 }, f->a->hide };
	char when[32], *url, *who, *subject;

	url = xasprintf("%st/%lld/", f->base, (long long)t->id);
	who = author(f->a, &t->first);
	subject = archive_html_plain(*t->first.subject ? t->first.subject :
	    "(no subject)", f->a->hide);
	buf_init(&body.b);
	archive_find(f->a->w->db, f->a->l.id, t->first.message_id, feed_body,
	    &body);
	rfc3339(t->started, when, sizeof(when));
	tv_xml(e, "subject", subject);
	tv_xml(e, "id", url);
	tv_xml(e, "url", url);
	tv_xml(e, "published", when);
	tv_xml(e, "author", who);
	tv_xml(e, "email", f->a->hide ? "" : t->first.sender);
	tv_xml(e, "content", body.b.data ? body.b.data : "");
	if (t->started > f->updated)
		f->updated = t->started;
	buf_release(&body.b);
	free(url);
	free(who);
	free(subject);
	return 0;
}

static void
feed(struct arch *a)
{
	struct feed_ctx f = { a, NULL, NULL, 0 };
	struct tvars *tv = tv_new();
	char *abs = a->w->static_site ? NULL : weblink_archive(&a->w->cfg,
	    a->l.local), when[32], *self, *text, *path;
	struct template_out out;
	struct template_opts o = { a->l.local, NULL, NULL };
	char err[256];
	char *title = xasprintf("%s", *a->l.name ? a->l.name : a->l.address);

	/* links are absolute where the site's address is known */
	f.base = abs ? abs : xstrdup("./");
	f.entries = tv_list(tv, "entries");
	archive_threads(a->w->db, a->l.id, 1, FEED_ENTRIES, 0, feed_entry, &f);
	rfc3339(f.updated ? f.updated : 0, when, sizeof(when));
	self = xasprintf("%snew.atom", f.base);
	tv_xml(tv, "title", title);
	tv_xml(tv, "subtitle", a->l.description);
	tv_xml(tv, "id", abs ? abs : a->l.address);
	if (!abs) {
		char *id = xasprintf("tag:%s,2026:%s", a->l.domain, a->l.local);

		tv_xml(tv, "id", id);
		free(id);
	}
	tv_xml(tv, "home", f.base);
	tv_xml(tv, "self", self);
	tv_xml(tv, "updated", when);
	path = template_find(&a->w->cfg, &o, "web/archive-feed.xml", NULL);
	text = NULL;
	if (path) {
		struct buf b;

		buf_init(&b);
		if (buf_read_file(&b, path) == 0)
			text = b.data ? buf_detach(&b, NULL) : xstrdup("");
		buf_release(&b);
	}
	buf_reset(&a->rs->body);
	if (text && template_string(text, "web/archive-feed.xml", &o, tv, &out,
	    err, sizeof(err)) == 0) {
		buf_adds(&a->rs->body, out.body);
		a->rs->status = 200;
		a->rs->content_type = "application/atom+xml; charset=utf-8";
		template_out_release(&out);
	} else {
		log_error("archive: web/archive-feed.xml: %s", text ? err :
		    "missing");
		fail(a, 500, "internal");
	}
	tv_free(tv);
	free(text);
	free(path);
	free(self);
	free(title);
	free(f.base);
}

/* ---- routing ---- */

static int
all_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int64_t
number(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	return *s && !*end && v > 0 ? v : 0;
}

/* The pages a GET may ask for: rest are the segments after LIST. */
static void
route_get(struct arch *a, char **rest, int n)
{
	const char *q = web_field_get(a->rq->query, a->rq->nquery, "q");
	int64_t id;

	if (n == 1 && !*rest[0]) {
		if (q && *q && !a->w->static_site)
			search_page(a, q);
		else
			index_page(a, 1);
	} else if (n == 1 && !strcmp(rest[0], "new.atom"))
		feed(a);
	else if (n == 2 && !strcmp(rest[0], "page") && (id = number(rest[1])))
		to_directory(a, rest[1]);
	else if (n == 3 && !strcmp(rest[0], "page") && (id = number(rest[1])) &&
	    !*rest[2] && id < 100000)
		index_page(a, (int)id);
	else if (n >= 2 && all_digits(rest[0], 4) && all_digits(rest[1], 2) &&
	    atoi(rest[1]) >= 1 && atoi(rest[1]) <= 12 && atoi(rest[0]) >= 1970) {
		int y = atoi(rest[0]), m = atoi(rest[1]);

		if (n == 2)
			to_directory(a, rest[1]);
		else if (n == 3 && !*rest[2])
			month_page(a, y, m, 0);
		else if (n == 3 && !strcmp(rest[2], "date"))
			to_directory(a, rest[2]);
		else if (n == 4 && !strcmp(rest[2], "date") && !*rest[3])
			month_page(a, y, m, 1);
		else if (n == 3 && !strcmp(rest[2], "mbox"))
			month_mbox(a, y, m);
		else
			fail(a, 404, "notfound");
	} else if (n >= 2 && strlen(rest[0]) == 1 && strchr("tmn", *rest[0]) &&
	    *rest[1]) {
		id = number(rest[1]);
		if (n == 2)
			to_directory(a, rest[1]);
		else if (*rest[0] == 't' && id && n == 3 && !*rest[2])
			thread_page(a, id);
		else if (*rest[0] == 't' && id && n == 3 && !strcmp(rest[2],
		    "mbox"))
			thread_mbox(a, id);
		else if (*rest[0] == 'n' && id && n == 3 && !*rest[2])
			newsletter_page(a, id);
		else if (*rest[0] == 'm' && n == 3 && !*rest[2])
			message_page(a, rest[1]);
		else if (*rest[0] == 'm' && n == 3 && !strcmp(rest[2], "raw"))
			raw_page(a, rest[1]);
		else if (*rest[0] == 'm' && n == 4 && *rest[3])
			attachment_page(a, rest[1], rest[2]);
		else
			fail(a, 404, "notfound");
	} else
		fail(a, 404, "notfound");
}

static void
arch_release(struct arch *a)
{
	list_release(&a->l);
	free(a->mode);
	free(a->member_address);
	free(a->root);
	free(a->base);
}

/* web_archive_page - /a/LIST/...: who may read, then the page. */
void
web_archive_page(struct web *w, const struct web_request *rq,
    struct web_response *rs, char **seg, int n)
{
	struct arch a;
	char err[256], *shown;
	int post = !strcmp(rq->method, "POST");
	struct buf base;

	memset(&a, 0, sizeof(a));
	a.w = w;
	a.rq = rq;
	a.rs = rs;
	a.root = web_root(rq->path);
	if (list_find(w->db, seg[0], &a.l, err, sizeof(err)) != KITH_OK) {
		fail(&a, 404, "nolist");
		arch_release(&a);
		return;
	}
	a.mode = list_setting(w->db, a.l.id, "archive");
	if (!strcmp(a.mode, "off")) {
		fail(&a, 404, "notfound");
		arch_release(&a);
		return;
	}
	buf_init(&base);
	buf_adds(&base, a.root);
	buf_adds(&base, "a/");
	seg_add(&a, &base, a.l.local);
	buf_addc(&base, '/');
	a.base = buf_detach(&base, NULL);
	reader(&a);
	web_reader(w, &a.l, a.member_address);
	shown = list_setting(w->db, a.l.id, "archive_addresses");
	a.hide = !a.member && strcmp(shown, "show") != 0;
	free(shown);
	if (n == 1)
		to_directory(&a, seg[0]);
	else if (post && n == 2 && !strcmp(seg[1], "login") &&
	    !w->static_site)
		login_post(&a);
	else if (post && n == 2 && !strcmp(seg[1], "logout"))
		logout_post(&a);
	else if (post)
		web_error(w, rs, 405, rq->path);
	else if (n == 2 && !strcmp(seg[1], "login") && !w->static_site)
		login_form(&a, 200, NULL, NULL);
	else if (n == 3 && !strcmp(seg[1], "login") && !w->static_site)
		login_token(&a, seg[2]);
	else if (!strcmp(a.mode, "members") && !a.member)
		/* nothing, not even a subject, for anyone else */
		login_form(&a, 403, NULL, NULL);
	else
		route_get(&a, seg + 1, n - 1);
	arch_release(&a);
}

/*
 * The archive's templates and the values its pages give them (kith
 * check).  Every page also has the list's values and those of common().
 */
#define F TF_FIELDS
#define COMMON TF_STR("base"), TF_STR("root"), TF_STR("listpage"), \
	TF_STR("list.local")
const struct template_schema web_archive_schema[] = {
	{ "web/archive-download.html", F(COMMON), 0 },
	{ "web/archive-feed.xml", F(TF_STR("title"), TF_STR("subtitle"),
	    TF_STR("id"), TF_STR("home"), TF_STR("self"), TF_STR("updated"),
	    TF_LIST("entries", F(TF_STR("subject"), TF_STR("id"),
	    TF_STR("url"), TF_STR("published"), TF_STR("author"),
	    TF_STR("email"), TF_STR("content")))), 0 },
	{ "web/archive-index.html", F(COMMON, TF_BOOL("search"),
	    TF_HTML("session"), TF_INT("page"), TF_STR("newer"),
	    TF_STR("older"), TF_LIST("threads", F(TF_STR("url"),
	    TF_STR("subject"), TF_STR("author"), TF_INT("replies"),
	    TF_TIME("last"), TF_TIME("started"))), TF_LIST("months",
	    F(TF_STR("url"), TF_TIME("when"), TF_INT("posts"))),
	    TF_LIST("newsletters", F(TF_STR("url"), TF_STR("subject"),
	    TF_TIME("sent")))), 0 },
	{ "web/archive-login-badaddress.html", NULL, 0 },
	{ "web/archive-login-sent.html", F(COMMON, TF_STR("address")), 0 },
	{ "web/archive-login.html", F(COMMON, TF_STR("csrf"),
	    TF_STR("address"), TF_HTML("note")), 0 },
	{ "web/archive-message.html", F(COMMON, TF_HTML("post"),
	    TF_STR("thread"), TF_STR("thread.subject"), TF_INT("count")), 0 },
	{ "web/archive-month.html", F(COMMON, TF_TIME("when"),
	    TF_INT("count"), TF_BOOL("bydate"), TF_STR("bythread"),
	    TF_STR("bydateurl"), TF_STR("mbox"), TF_STR("newer"),
	    TF_STR("older"), TF_TIME("newerwhen"), TF_TIME("olderwhen"),
	    TF_LIST("items", F(TF_STR("url"), TF_STR("subject"),
	    TF_STR("author"), TF_TIME("date"), TF_BOOL("reply")))), 0 },
	{ "web/archive-newsletter.html", F(COMMON, TF_STR("subject"),
	    TF_TIME("sent"), TF_HTML("body")), 0 },
	{ "web/archive-post.html", F(TF_INT("id"), TF_INT("depth"),
	    TF_STR("author"), TF_STR("address"), TF_TIME("date"),
	    TF_STR("subject"), TF_HTML("body"), TF_STR("permalink"),
	    TF_STR("thread"), TF_STR("raw"), TF_STR("reply"),
	    TF_LIST("attachments", F(TF_STR("url"), TF_STR("name"),
	    TF_STR("type"), TF_STR("size"), TF_BOOL("image")))), 0 },
	{ "web/archive-quote.html", F(TF_INT("lines")), 0 },
	{ "web/archive-removed.html", F(COMMON, TF_TIME("removed"),
	    TF_STR("reason")), 0 },
	{ "web/archive-search.html", F(COMMON, TF_STR("q"), TF_STR("newer"),
	    TF_STR("older"), TF_LIST("results", F(TF_STR("url"),
	    TF_HTML("subject"), TF_HTML("snippet"), TF_STR("author"),
	    TF_TIME("date")))), 0 },
	{ "web/archive-session.html", F(TF_BOOL("member"), TF_STR("address"),
	    TF_STR("csrf"), TF_STR("base")), 0 },
	{ "web/archive-thread.html", F(COMMON, TF_STR("subject"),
	    TF_TIME("started"), TF_STR("month"), TF_INT("count"),
	    TF_STR("mbox"), TF_HTML("posts")), 0 },
	{ "web/archive-toolarge.html", F(COMMON), 0 },
};
const size_t web_archive_nschema = sizeof(web_archive_schema) /
    sizeof(web_archive_schema[0]);
