/* newsletter - campaigns: drafts, schedule, audience, personalised copies. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/compose.h"
#include "kith/db.h"
#include "kith/footer.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/mime.h"
#include "kith/newsletter.h"
#include "kith/notice.h"
#include "kith/outbox.h"
#include "kith/rfc2047.h"
#include "kith/template.h"
#include "kith/util.h"
#include "kith/weblinks.h"

#define NVARS 11	/* 7 list variables + member.name, member.address,
			   unsubscribe, subject */

void
campaign_release(struct campaign *c)
{
	free(c->subject);
	free(c->text);
	free(c->html);
	free(c->template_name);
	free(c->tag);
	free(c->state);
	free(c->tz);
	memset(c, 0, sizeof(*c));
}

/* A template's name is a file's: ASCII, as tags were once. */
static int
template_name_valid(const char *tag)
{
	size_t n = strlen(tag);

	if (n == 0 || n > 40)
		return 0;
	for (const char *p = tag; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return 0;
	return 1;
}

/*
 * copy_vars - the variables of one copy, each value its own string in
 * bufs (free_bufs), escaped by esc (NULL = as they are).  Returns how many.
 */
static int
copy_vars(const struct list *l, const struct campaign *c,
    const struct newsletter_recipient *r, struct template_var *vars,
    char **bufs, char *(*esc)(const char *))
{
	char *listbufs[NVARS];
	int n = notice_list_vars(l, vars, listbufs);
	const char *unsub = r->unsub_url ? r->unsub_url : r->unsub_mailto;
	const char *vals[4];
	static const char *const names[4] = { "member.name", "member.address",
		"unsubscribe", "subject" };

	/* A greeting "Hello {{member.name}}" must not read "Hello ,". */
	vals[0] = *r->name ? r->name : r->address;
	vals[1] = r->address;
	vals[2] = unsub ? unsub : "";
	vals[3] = c ? c->subject : "";
	for (int i = 0; i < 4; i++) {
		vars[n].name = names[i];
		vars[n++].value = vals[i];
	}
	for (int i = 0; i < n; i++) {
		const char *v = vars[i].value ? vars[i].value : "";

		bufs[i] = esc ? esc(v) : xstrdup(v);
		vars[i].value = bufs[i];
	}
	for (int i = 0; i < n - 4; i++)
		free(listbufs[i]);
	return n;
}

static void
free_bufs(char **bufs, int n)
{
	for (int i = 0; i < n; i++)
		free(bufs[i]);
}

/* "{{content}}" in the template becomes body; the rest stays for later. */
static char *
merge(const char *tmpl, const char *body)
{
	const char *at = strstr(tmpl, "{{content}}");

	if (at == NULL)
		return xasprintf("%s%s", tmpl, body);
	return xasprintf("%.*s%s%s", (int)(at - tmpl), tmpl, body,
	    at + strlen("{{content}}"));
}

/* Expand text with sample values: finds unknown variables at create time. */
static int
check_vars(const struct list *l, const char *what, const char *text,
    char *err, size_t errlen)
{
	struct newsletter_recipient r = { "member@example.org", "Member",
		"mailto:x", NULL, NULL, NULL };
	struct campaign c;
	struct template_var vars[NVARS];
	char *bufs[NVARS], sub[200], *out;
	int n;

	memset(&c, 0, sizeof(c));
	c.subject = (char *)"";
	n = copy_vars(l, &c, &r, vars, bufs, NULL);
	out = template_expand(text, vars, n, sub, sizeof(sub));
	free_bufs(bufs, n);
	if (out == NULL) {
		snprintf(err, errlen, "%s: %s (known: member.name, "
		    "member.address, unsubscribe, subject, list.name, "
		    "list.address, ...)", what, sub);
		return -1;
	}
	free(out);
	return 0;
}

/*
 * frame_load - the text of newsletter/NAME (its footer and layout) in
 * the list's language, found as every text is; NULL with err.
 */
static char *
frame_load(const struct kith_config *cfg, struct db *db, const struct list *l,
    const char *name, char *err, size_t errlen)
{
	char lang[NOTICE_LANG_LEN], *path;
	struct template_opts o = { l->local, lang, NULL };
	struct buf b;

	notice_lang(db, l, NULL, lang);
	if ((path = template_find(cfg, &o, name, NULL)) == NULL) {
		snprintf(err, errlen, "template '%s' not found", name);
		return NULL;
	}
	buf_init(&b);
	if (buf_read_file(&b, path) < 0) {
		snprintf(err, errlen, "%s: cannot read it", path);
		buf_release(&b);
		free(path);
		return NULL;
	}
	free(path);
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

/* -1 with err when body (the text or the HTML) is empty or not UTF-8. */
static int
body_problem(const char *what, const char *body, char *err, size_t errlen)
{
	if (body[strspn(body, " \t\r\n")] == '\0')
		snprintf(err, errlen, "the %s is empty", what);
	else if (!utf8_text_ok(body, NEWSLETTER_MAX_BYTES, 1))
		snprintf(err, errlen, "the %s must be UTF-8 text without control "
		    "characters, at most %d bytes (a file in Latin-1: iconv -f "
		    "latin1 -t utf-8)", what, NEWSLETTER_MAX_BYTES);
	else
		return 0;
	return -1;
}

int
newsletter_create(const struct kith_config *cfg, struct db *db,
    const struct list *l, const struct newsletter_draft *d, int64_t now,
    int64_t *id, char *err, size_t errlen)
{
	const char *tname = d->template_name ? d->template_name : "default";
	char *path, *tmpl = NULL, *text = NULL, *html = NULL;
	int st = KITH_PERM;

	if (!template_name_valid(tname)) {
		snprintf(err, errlen, "template name '%s': use ASCII letters "
		    "(A-Z, a-z), digits, '-' and '_'", tname);
		return KITH_PERM;
	}
	if (d->tag && *d->tag && !member_tag_valid(d->tag)) {
		snprintf(err, errlen, "tag '%s': use " MEMBER_TAG_RULE,
		    d->tag);
		return KITH_PERM;
	}
	if (*d->subject == '\0' || !utf8_text_ok(d->subject, 500, 0)) {
		snprintf(err, errlen, "the subject must be one line of UTF-8 "
		    "text (1 to 500 bytes, no control characters)");
		return KITH_PERM;
	}
	/* every member gets them as UTF-8: a Latin-1 file or an empty one
	 * is the organiser's slip, told before anything is stored */
	if (body_problem("text", d->text, err, errlen) < 0 ||
	    (d->html && body_problem("HTML", d->html, err, errlen) < 0))
		return KITH_PERM;
	path = xasprintf("newsletter/%s.txt", tname);
	tmpl = frame_load(cfg, db, l, path, err, errlen);
	free(path);
	if (tmpl == NULL)
		goto done;
	text = merge(tmpl, d->text);
	free(tmpl);
	tmpl = NULL;
	if (d->html) {
		path = xasprintf("newsletter/%s.html", tname);
		tmpl = frame_load(cfg, db, l, path, err, errlen);
		free(path);
		if (tmpl == NULL)
			goto done;
		html = merge(tmpl, d->html);
	}
	if (check_vars(l, "subject", d->subject, err, errlen) < 0 ||
	    check_vars(l, "text", text, err, errlen) < 0 ||
	    (html && check_vars(l, "html", html, err, errlen) < 0))
		goto done;
	st = db_exec_id(db, id, "INSERT INTO campaigns(list_id, subject, "
	    "text_body, html_body, template, tag, created) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?) RETURNING id",
	    "ittttti", l->id, d->subject, text, html ? html : "", tname,
	    d->tag ? d->tag : "", now);
	if (st != KITH_OK)
		snprintf(err, errlen, "%s", DB_BUSY_TEXT);
done:
	free(tmpl);
	free(text);
	free(html);
	return st;
}

static void
campaign_from_row(struct db_stmt *st, struct campaign *c)
{
	c->id = db_col_int64(st, 0);
	c->list_id = db_col_int64(st, 1);
	c->subject = db_col_text(st, 2);
	c->text = db_col_text(st, 3);
	c->html = db_col_text(st, 4);
	c->template_name = db_col_text(st, 5);
	c->tag = db_col_text(st, 6);
	c->state = db_col_text(st, 7);
	c->send_at = db_col_int64(st, 8);
	c->tz = db_col_text(st, 9);
	c->message_id = db_col_int64(st, 10);
	c->recipients = db_col_int64(st, 11);
	c->created = db_col_int64(st, 12);
	c->started = db_col_int64(st, 13);
	c->finished = db_col_int64(st, 14);
}

#define CAMPAIGN_COLS "id, list_id, subject, text_body, html_body, template, " \
	"tag, state, send_at, tz, coalesce(message_id, 0), recipients, " \
	"created, started, finished"

int
newsletter_get(struct db *db, int64_t id, struct campaign *c)
{
	struct db_stmt *st = db_prepare(db, "SELECT " CAMPAIGN_COLS " FROM "
	    "campaigns WHERE id=?");
	int found = 0;

	memset(c, 0, sizeof(*c));
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", id);
	if (db_step(st) == DB_ROW) {
		campaign_from_row(st, c);
		found = 1;
	}
	db_finalize(st);
	return found ? KITH_OK : KITH_PERM;
}

int
newsletter_foreach(struct db *db, int64_t list_id,
    int (*fn)(const struct campaign *, void *), void *ctx)
{
	struct db_stmt *st = db_prepare(db, "SELECT " CAMPAIGN_COLS " FROM "
	    "campaigns WHERE list_id=? ORDER BY id");
	int rc;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", list_id);
	while ((rc = db_step(st)) == DB_ROW) {
		struct campaign c;
		int stop;

		campaign_from_row(st, &c);
		stop = fn(&c, ctx);
		campaign_release(&c);
		if (stop)
			break;
	}
	db_finalize(st);
	return KITH_OK;
}

/* The state of id inside the caller's transaction; NULL when none. */
static char *
state_of(struct db *db, int64_t id)
{
	struct db_stmt *st = db_prepare(db, "SELECT state FROM campaigns "
	    "WHERE id=?");
	char *s = NULL;

	if (st == NULL)
		return NULL;
	db_bind(st, "i", id);
	if (db_step(st) == DB_ROW)
		s = db_col_text(st, 0);
	db_finalize(st);
	return s;
}

/*
 * in_state - whether campaign id is in one of states (",draft,"): 1; 0
 * with err saying why not ("no campaign 3", "campaign 3 is sent" and
 * what may be done, as what says), -1 when the database failed.
 */
static int
in_state(struct db *db, int64_t id, const char *states, const char *what,
    char *err, size_t errlen)
{
	char *state = state_of(db, id), set[24];
	int ok;

	if (state == NULL) {
		snprintf(err, errlen, "no campaign %lld", (long long)id);
		return 0;
	}
	snprintf(set, sizeof(set), ",%s,", state);
	ok = strstr(states, set) != NULL;
	if (!ok)
		snprintf(err, errlen, "campaign %lld is %s%s%s", (long long)id,
		    strcmp(what, "") ? "" : "already ", state, what);
	free(state);
	return ok;
}

struct schedule {
	int64_t id, at;
	const char *tz;
	int64_t dropped, recipients, now;
};

static int
schedule_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct schedule *s = ctx;

	if (!in_state(db, s->id, ",draft,scheduled,", "; only drafts and "
	    "scheduled campaigns can be scheduled", err, errlen))
		return KITH_PERM;
	return db_exec(db, "UPDATE campaigns SET state='scheduled', send_at=?, "
	    "tz=? WHERE id=?", "iti", s->at, s->tz, s->id);
}

int
newsletter_schedule(struct db *db, int64_t id, int64_t at, const char *tz,
    char *err, size_t errlen)
{
	struct schedule s = { id, at, tz, 0, 0, 0 };

	return db_tx(db, schedule_tx, &s, err, errlen);
}

static int
cancel_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct schedule *s = ctx;
	int st;

	if (!in_state(db, s->id, ",draft,scheduled,sending,", "", err, errlen))
		return KITH_PERM;
	/* Copies being handed over right now finish; the rest never go. */
	st = db_exec(db, "DELETE FROM outbox WHERE state IN ('pending', "
	    "'deferred') AND message_id=(SELECT message_id FROM campaigns "
	    "WHERE id=?)", "i", s->id);
	s->dropped = st == KITH_OK ? db_changes(db) : 0;
	if (st == KITH_OK)
		st = db_exec(db, "UPDATE campaigns SET state='cancelled', "
		    "finished=? WHERE id=?", "ii", s->now, s->id);
	return st;
}

int
newsletter_cancel(struct db *db, int64_t id, int64_t now, int64_t *dropped,
    char *err, size_t errlen)
{
	struct schedule s = { id, 0, NULL, 0, 0, now };
	int st = db_tx(db, cancel_tx, &s, err, errlen);

	*dropped = st == KITH_OK ? s.dropped : 0;
	return st;
}

/* Queue c inside the caller's transaction: outbox message and rows. */
static int
queue_campaign(struct db *db, int64_t id, int64_t now, int64_t *recipients)
{
	struct db_stmt *st = db_prepare(db, "SELECT l.local, l.domain, c.tag, "
	    "c.list_id FROM campaigns c JOIN lists l ON l.id=c.list_id WHERE "
	    "c.id=?");
	char *local = NULL, *domain = NULL, *tag = NULL, render[40];
	int64_t list_id = 0, msg_id;
	int status;

	*recipients = 0;
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", id);
	if (db_step(st) == DB_ROW) {
		local = db_col_text(st, 0);
		domain = db_col_text(st, 1);
		tag = db_col_text(st, 2);
		list_id = db_col_int64(st, 3);
	}
	db_finalize(st);
	if (local == NULL)
		return KITH_PERM;
	snprintf(render, sizeof(render), "newsletter:%lld", (long long)id);
	status = outbox_render_add(db, list_id, local, domain, "newsletter",
	    render, &msg_id);
	/* Digest members get newsletters directly; no-mail members do not,
	 * nor members whose delivery bounces disabled. */
	if (status == KITH_OK)
		status = db_exec(db, "INSERT INTO outbox(message_id, rcpt, "
		    "member_id, updated) SELECT ?1, address, id, ?2 FROM "
		    "members m WHERE list_id=?3 AND mode!='nomail' AND "
		    "disabled=0 AND (?4='' OR EXISTS (SELECT 1 FROM member_tags "
		    "t WHERE t.member_id=m.id AND t.tag=?4)) ORDER BY id ON "
		    "CONFLICT DO NOTHING",
		    "iiit", msg_id, now, list_id, tag);
	if (status == KITH_OK) {
		*recipients = db_changes(db);
		status = db_exec(db, "UPDATE campaigns SET state=?, message_id=?, "
		    "recipients=?, started=?, finished=? WHERE id=?", "tiiiii",
		    *recipients ? "sending" : "sent", msg_id, *recipients, now,
		    *recipients ? 0 : now, id);
	}
	free(local);
	free(domain);
	free(tag);
	return status;
}

static int
start_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct schedule *s = ctx;
	char *state = state_of(db, s->id);
	int sending = state && !strcmp(state, "sending");

	free(state);
	if (sending) {
		s->recipients = -1;	/* started already: nothing to do */
		return KITH_OK;
	}
	int st;

	if (!in_state(db, s->id, ",draft,scheduled,", "", err, errlen))
		return KITH_PERM;
	st = queue_campaign(db, s->id, s->now, &s->recipients);
	if (st == KITH_PERM)
		snprintf(err, errlen, "campaign %lld: its list is gone",
		    (long long)s->id);
	return st;
}

int
newsletter_start(struct db *db, int64_t id, int64_t now, int64_t *recipients,
    char *err, size_t errlen)
{
	struct schedule s = { id, 0, NULL, 0, 0, now };
	int st = db_tx(db, start_tx, &s, err, errlen);

	*recipients = st == KITH_OK ? s.recipients : 0;
	if (st == KITH_OK && s.recipients >= 0)
		log_info("newsletter: campaign %lld queued for %lld members",
		    (long long)id, (long long)s.recipients);
	else if (st == KITH_TEMP)
		snprintf(err, errlen, "%s", DB_BUSY_TEXT);
	return st;
}

/* Every scheduled campaign that is due at *now, queued in one go. */
static int
due_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	int64_t now = *(int64_t *)ctx;
	struct db_ids ids = { NULL, 0, 0 };
	int status;

	(void)err;
	(void)errlen;
	/* One transaction: a racing cron sees them 'sending' and skips. */
	status = db_ids_select(db, &ids, "SELECT id FROM campaigns WHERE "
	    "state='scheduled' AND send_at<=? ORDER BY send_at, id", "i", now);
	for (size_t i = 0; i < ids.n && status == KITH_OK; i++) {
		int64_t count, at = db_int(db, now, NULL, "SELECT send_at FROM "
		    "campaigns WHERE id=?", "i", ids.v[i]);

		status = queue_campaign(db, ids.v[i], now, &count);
		if (status == KITH_OK)
			log_info("newsletter: campaign %lld queued for %lld "
			    "members%s", (long long)ids.v[i], (long long)count,
			    now - at > 300 ? " (late: cron did not run at "
			    "its time)" : "");
	}
	db_ids_release(&ids);
	return status;
}

int
newsletter_cron(const struct site_ctx *c, int64_t now)
{
	int status = db_tx(c->db, due_tx, &now, NULL, 0);

	return status == KITH_OK ? newsletter_mark_finished(c->db, now) :
	    status;
}

int
newsletter_mark_finished(struct db *db, int64_t now)
{
	/* Campaigns with nothing left to send are done. */
	return db_exec(db, "UPDATE campaigns SET state='sent', "
	    "finished=(SELECT coalesce(max(updated), ?1) FROM outbox "
	    "WHERE message_id=campaigns.message_id) WHERE "
	    "state='sending' AND NOT EXISTS (SELECT 1 FROM outbox o "
	    "WHERE o.message_id=campaigns.message_id AND o.state IN "
	    "('pending','sending','deferred'))", "i", now);
}

int
newsletter_status(struct db *db, const struct campaign *c,
    struct newsletter_status *s)
{
	struct db_stmt *st;

	memset(s, 0, sizeof(*s));
	s->started = c->started;
	s->finished = c->finished;
	if (c->message_id == 0)
		return KITH_OK;
	st = db_prepare(db, "SELECT state, count(*), max(updated) FROM outbox "
	    "WHERE message_id=? GROUP BY state");
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", c->message_id);
	while (db_step(st) == DB_ROW) {
		const char *state = db_col_str(st, 0);
		int64_t n = db_col_int64(st, 1);
		int64_t last = db_col_int64(st, 2);

		s->total += n;
		if (!strcmp(state, "sent"))
			s->sent = n;
		else if (!strcmp(state, "deferred"))
			s->deferred = n;
		else if (!strcmp(state, "failed"))
			s->failed = n;
		else
			s->pending += n;
		if (last > s->finished && c->finished == 0)
			s->finished = last;
	}
	db_finalize(st);
	if (s->pending || s->deferred)
		s->finished = c->finished;	/* not yet */
	s->bounced = db_int(db, 0, NULL, "SELECT count(DISTINCT member_id) "
	    "FROM bounces WHERE message_id=?", "i", c->message_id);
	return KITH_OK;
}

/* top put at the start of text, or of its HTML body; caller frees. */
static char *
with_top(const char *text, const char *top, int html)
{
	const char *at = text, *body;

	if (top == NULL || *top == '\0')
		return xstrdup(text);
	if (html && (body = mem_casestr(text, strlen(text), "<body")) &&
	    strchr(body, '>'))
		at = strchr(body, '>') + 1;
	return xasprintf("%.*s%s%s", (int)(at - text), text, top, at);
}

/* One text/TYPE part of a copy: text with the variables of vars, top
 * (the link to the web page) before it. */
static struct mime_part *
copy_part(const char *type, const char *text, const char *top,
    const struct template_var *vars, int n, char *err, size_t errlen)
{
	char *out = template_expand(text, vars, n, err, errlen), *all;
	struct mime_part *p;

	if (out == NULL)
		return NULL;
	all = with_top(out, top, !strcmp(type, "html"));
	p = mime_text_new(type, all);
	free(all);
	free(out);
	return p;
}

/* The body of one recipient's copy: text, or text and HTML. */
static struct mime_part *
copy_body(const struct campaign *c, const struct list *l,
    const struct newsletter_recipient *r, const struct template_var *vars,
    int n, char *err, size_t errlen)
{
	struct mime_part *text, *html, *alt;
	struct template_var hvars[NVARS];
	char *hbufs[NVARS];
	int hn;

	text = copy_part("plain", c->text, r->web_text, vars, n, err, errlen);
	if (text == NULL || *c->html == '\0')
		return text;
	hn = copy_vars(l, c, r, hvars, hbufs, html_escape);
	html = copy_part("html", c->html, r->web_html, hvars, hn, err, errlen);
	free_bufs(hbufs, hn);
	if (html == NULL) {
		mime_part_free(text);
		return NULL;
	}
	alt = mime_multipart_new("alternative");
	mime_part_add(alt, text);
	mime_part_add(alt, html);
	return alt;
}

/* The header fields of one recipient's copy. */
static void
copy_headers(struct mime_part *top, const struct campaign *c,
    const struct list *l, const struct newsletter_recipient *r,
    const char *subject)
{
	const char *lname = *l->name ? l->name : l->address;
	char date[64], *hex = random_hex(8), *id;

	mime_header_addr(top, "From", lname, l->address);
	mime_header_addr(top, "To", r->name, r->address);
	mime_header_text(top, "Subject", subject);
	compose_date(now_utc(), date, sizeof(date));
	mime_header(top, "Date", date);
	mime_headerf(top, "Message-ID", "<nl%lld.%s@%s>", (long long)c->id,
	    hex, l->domain);
	free(hex);
	mime_headerf(top, "Reply-To", "<%s-owner@%s>", l->local, l->domain);
	id = xasprintf("%s.%s", l->local, l->domain);
	mime_header_addr(top, "List-Id", lname, id);
	free(id);
	if (r->unsub_url) {
		mime_headerf(top, "List-Unsubscribe", "<%s>, <%s>",
		    r->unsub_url, r->unsub_mailto);
		mime_header(top, "List-Unsubscribe-Post",
		    "List-Unsubscribe=One-Click");
	} else if (r->unsub_mailto)
		mime_headerf(top, "List-Unsubscribe", "<%s>", r->unsub_mailto);
	mime_header(top, "Precedence", "bulk");
}

char *
newsletter_render(const struct campaign *c, const struct list *l,
    const struct newsletter_recipient *r, size_t *len, char *err,
    size_t errlen)
{
	struct template_var vars[NVARS];
	char *bufs[NVARS], *subject, *out;
	struct mime_part *top;
	int n;

	n = copy_vars(l, c, r, vars, bufs, NULL);
	subject = template_expand(c->subject, vars, n, err, errlen);
	top = subject ? copy_body(c, l, r, vars, n, err, errlen) : NULL;
	free_bufs(bufs, n);
	if (top == NULL) {
		free(subject);
		return NULL;
	}
	copy_headers(top, c, l, r, subject);
	free(subject);
	out = mime_detach(top, NULL, len);
	mime_part_free(top);
	return out;
}

char *
newsletter_view(const struct campaign *c, const struct list *l,
    const struct newsletter_recipient *r, char **subject, char *err,
    size_t errlen)
{
	struct template_var vars[NVARS];
	char *bufs[NVARS], *text;
	int n = copy_vars(l, c, r, vars, bufs, NULL);

	*subject = template_expand(c->subject, vars, n, err, errlen);
	text = *subject ? template_expand(c->text, vars, n, err, errlen) : NULL;
	free_bufs(bufs, n);
	if (text == NULL) {
		free(*subject);
		*subject = NULL;
	}
	return text;
}

struct newsletter_cache {
	struct db *db;
	struct db_stmt *member;
	struct campaign c;
	struct list l;
	int loaded;
	struct footer_cache *fc;	/* issue 17: the list footer */
	int web_loaded;		/* web_text and web_html made for c */
	char *web_text, *web_html;
};

struct newsletter_cache *
newsletter_cache_new(struct db *db)
{
	struct newsletter_cache *nc = xcalloc(1, sizeof(*nc));

	nc->db = db;
	nc->member = db_prepare(db, "SELECT name FROM members WHERE id=?");
	return nc;
}

void
newsletter_cache_free(struct newsletter_cache *nc)
{
	if (nc == NULL)
		return;
	db_finalize(nc->member);
	footer_cache_free(nc->fc);
	campaign_release(&nc->c);
	list_release(&nc->l);
	free(nc->web_text);
	free(nc->web_html);
	free(nc);
}

/* Load campaign_id and its list unless they are loaded; -1 when gone. */
static int
cache_campaign(struct newsletter_cache *nc, int64_t campaign_id)
{
	if (nc->loaded && nc->c.id == campaign_id)
		return 0;
	campaign_release(&nc->c);
	list_release(&nc->l);
	nc->loaded = 0;
	nc->web_loaded = 0;
	free(nc->web_text);
	free(nc->web_html);
	nc->web_text = nc->web_html = NULL;
	if (newsletter_get(nc->db, campaign_id, &nc->c) != KITH_OK)
		return -1;
	if (list_find_id(nc->db, nc->c.list_id, &nc->l) != KITH_OK) {
		campaign_release(&nc->c);
		return -1;
	}
	nc->loaded = 1;
	return 0;
}

/*
 * web_lines - once per campaign: the lines that link each copy to the
 * campaign's page in the web archive (newsletter-web.txt and .html),
 * when kith serve has an address and the archive is not off.
 */
static void
web_lines(struct newsletter_cache *nc, const struct kith_config *cfg)
{
	char *archive, *url = NULL, err[256];

	if (nc->web_loaded)
		return;
	nc->web_loaded = 1;
	archive = list_setting(nc->db, nc->l.id, "archive");
	if (archive && strcmp(archive, "off"))
		url = weblink_newsletter(cfg, nc->l.local, nc->c.id);
	free(archive);
	if (url == NULL)
		return;
	{
		struct template_var v[] = { { "url", url } };

		nc->web_text = template_render(cfg, nc->l.local,
		    "newsletter-web.txt", v, 1, err, sizeof(err));
		if (nc->web_text == NULL)
			log_error("newsletter: %s", err);
		else if (*nc->c.html)
			nc->web_html = template_render(cfg, nc->l.local,
			    "newsletter-web.html", v, 1, err, sizeof(err));
		if (*nc->c.html && nc->web_text && nc->web_html == NULL) {
			log_error("newsletter: %s", err);
			free(nc->web_text);
			nc->web_text = NULL;
		}
	}
	free(url);
}

char *
newsletter_personalise(struct newsletter_cache *nc,
    const struct kith_config *cfg, const struct token_key *key,
    int64_t campaign_id, int64_t member_id, const char *rcpt, size_t *len)
{
	struct newsletter_recipient r;
	char *name = NULL, *mailto = NULL, *url = NULL, *out, err[256] = "";

	if (cache_campaign(nc, campaign_id) < 0 || nc->member == NULL)
		return NULL;
	web_lines(nc, cfg);
	db_reset(nc->member);
	db_bind(nc->member, "i", member_id);
	if (db_step(nc->member) == DB_ROW)
		name = db_col_text(nc->member, 0);
	db_reset(nc->member);
	if (member_id > 0)
		weblink_list_unsubscribe(cfg, key, nc->l.address, member_id,
		    rcpt, &mailto, &url);
	r.address = rcpt;
	r.name = name ? name : "";
	r.unsub_mailto = mailto;
	r.unsub_url = url;
	r.web_text = nc->web_text;
	r.web_html = nc->web_html;
	out = newsletter_render(&nc->c, &nc->l, &r, len, err, sizeof(err));
	if (out == NULL)
		log_error("newsletter: campaign %lld: %s", (long long)campaign_id,
		    err);
	else if (strstr(nc->c.text, "{{unsubscribe}}") == NULL) {
		/* issue 17: the list footer (newsletter_footer, footer.h),
		 * unless the newsletter's template has its own (the shipped
		 * default does) */
		if (nc->fc == NULL)
			nc->fc = footer_cache_new(nc->db);
		out = footer_copy(nc->fc, cfg, key, &nc->l, "newsletter_footer",
		    member_id, rcpt, out, len);
	}
	free(name);
	free(mailto);
	free(url);
	return out;
}

/* What a copy's template gives, besides the list's values (copy_vars). */
#define NEWSLETTER_FIELDS TF_FIELDS( \
	TF_STR("member.name"), TF_STR("member.address"), \
	TF_STR("unsubscribe"), TF_STR("subject"), TF_STR("content"))
const struct template_schema newsletter_schema[] = {
	{ "newsletter/*.txt", NEWSLETTER_FIELDS, 0 },
	{ "newsletter/*.html", NEWSLETTER_FIELDS, 0 },
	{ "newsletter-web.txt", TF_FIELDS(TF_STR("url")), 0 },
	{ "newsletter-web.html", TF_FIELDS(TF_STR("url")), 0 },
};
const size_t newsletter_nschema = sizeof(newsletter_schema) /
    sizeof(newsletter_schema[0]);

/* Delivery: each member's copy of "newsletter:CAMPAIGN" (feature.h). */
static char *
render_copy(const struct site_ctx *c, void **cache, const char *render,
    int64_t member_id, const char *rcpt, size_t *len)
{
	long long id;
	char end;

	if (sscanf(render, "newsletter:%lld%c", &id, &end) != 1)
		return NULL;
	if (*cache == NULL)
		*cache = newsletter_cache_new(c->db);
	return newsletter_personalise(*cache, c->cfg, c->key, id, member_id,
	    rcpt, len);
}

static void
render_free(void *cache)
{
	newsletter_cache_free(cache);
}

/* The feature's row (feature.h): campaigns start from cron; each copy is
 * rendered for its member at delivery. */
const struct feature newsletter_feature = {
	.name = "newsletter",
	.cron = newsletter_cron,
	.render = render_copy,
	.render_free = render_free,
	.texts = newsletter_schema,
	.ntexts = sizeof(newsletter_schema) / sizeof(newsletter_schema[0]),
};
