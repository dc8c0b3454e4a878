/* digest - schedule, collect, render, queue. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/compose.h"
#include "kith/db.h"
#include "kith/digest.h"
#include "kith/feature.h"
#include "kith/footer.h"
#include "kith/log.h"
#include "kith/message.h"
#include "kith/notice.h"
#include "kith/mime.h"
#include "kith/outbox.h"
#include "kith/subject.h"
#include "kith/timeutil.h"
#include "kith/util.h"

static const char *const kind_names[] = { "daily", "weekly" };
static const char *const weekdays[] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat" };

int
digest_kind_parse(const char *s)
{
	for (int i = 0; i < 2; i++)
		if (!strcmp(s, kind_names[i]))
			return i;
	return -1;
}

/* The issue being built: its numbers and the posts' range. */
struct issue {
	const struct kith_config *cfg;
	struct db *db;
	const struct list *l;
	enum digest_kind kind;
	int64_t volume, issue;	/* as readers see them: per kind and volume */
	int64_t after, upto;	/* posts id in (after, upto] */
	int64_t date;		/* its Date: when it was made */
	char *prefix;		/* subject prefix to strip in the contents */
	char *sections;		/* the features' sections, in sections_lang */
	char sections_lang[NOTICE_LANG_LEN];
};

/* One archived post, as a digest needs it. */
struct dpost {
	int64_t id, num, date;
	char *sender, *sender_name, *subject, *message_id, *body;
	char *raw;
	size_t rawlen;
};

static void
dpost_release(struct dpost *p)
{
	free(p->sender);
	free(p->sender_name);
	free(p->subject);
	free(p->message_id);
	free(p->body);
	free(p->raw);
}

/* Posts of the issue from post id `from` on, in order; caller frees. */
static struct dpost *
load_posts(struct db *db, const struct issue *is, int64_t from, size_t *n)
{
	struct db_stmt *st = db_prepare(db, "SELECT id, num, date, sender, "
	    "sender_name, subject, message_id, body, raw FROM posts WHERE "
	    "list_id=? AND id>? AND id<=? AND id>=? ORDER BY id");
	struct dpost *v = NULL;

	*n = 0;
	if (st == NULL)
		return NULL;
	db_bind(st, "iiii", is->l->id, is->after, is->upto, from);
	while (db_step(st) == DB_ROW) {
		struct dpost *p;

		v = xrealloc(v, (*n + 1) * sizeof(*v));
		p = &v[(*n)++];
		p->id = db_col_int64(st, 0);
		p->num = db_col_int64(st, 1);
		p->date = db_col_int64(st, 2);
		p->sender = db_col_text(st, 3);
		p->sender_name = db_col_text(st, 4);
		p->subject = db_col_text(st, 5);
		p->message_id = db_col_text(st, 6);
		p->body = db_col_text(st, 7);
		p->rawlen = (size_t)db_col_bytes(st, 8);
		p->raw = xmalloc(p->rawlen + 1);
		memcpy(p->raw, db_col_blob(st, 8), p->rawlen);
		p->raw[p->rawlen] = '\0';
	}
	db_finalize(st);
	return v;
}

/* One attachment line of a plain digest's post. */
static void
list_attachment(const char *name, const char *type, size_t size, void *ctx)
{
	struct tvars *a = tv_item(ctx);
	char human[32];

	tv_str(a, "name", name);
	tv_str(a, "type", type);
	tv_str(a, "size", size_human((int64_t)size, human, sizeof(human)));
}

/*
 * post_values - one post as the digest's texts show it: its subject
 * without the list's prefix and with one "Re:" ("" for none), its
 * author, and for plain text its header lines, body (ending in a line
 * break unless empty) and attachments.
 */
static void
post_values(struct tvars *tv, const struct issue *is, const struct dpost *p)
{
	char date[64], *subj = subject_clean(p->subject, is->prefix);
	size_t n = strlen(p->body);

	tv_str(tv, "subject", subj);
	tv_str(tv, "author", *p->sender_name ? p->sender_name : p->sender);
	/* RFC 1153's fields, read by programs: RFC 5322's forms */
	compose_date(p->date, date, sizeof(date));
	tv_str(tv, "date", date);
	if (*p->sender_name)
		tv_strf(tv, "from", "%s <%s>", p->sender_name, p->sender);
	else
		tv_str(tv, "from", p->sender);
	tv_str(tv, "message_id", p->message_id);
	if (n && p->body[n - 1] != '\n')
		tv_strf(tv, "body", "%s\n", p->body);
	else
		tv_str(tv, "body", p->body);
	message_attachments(p->raw, p->rawlen, list_attachment,
	    tv_list(tv, "attachments"));
	free(subj);
}

/*
 * sections - what the features add at the end of an issue of l made
 * at date: each one's section (feature.h) that has something to show,
 * rendered from its template, in the table's order; "" when none has.
 * A section whose template fails is left out (logged) and the digest
 * still goes.  Caller frees.
 */
static char *
sections(const struct kith_config *cfg, struct db *db, const struct list *l,
    int64_t date, const char *lang)
{
	char *tz = list_setting(db, l->id, "timezone"), err[512];
	struct template_opts o = { l->local, lang, tz };
	struct template_out out;
	struct buf b;

	buf_init(&b);
	for (const struct feature *const *f = features_table; *f; f++) {
		struct tvars *tv;

		if ((*f)->digest_section == NULL)
			continue;
		tv = tv_new();
		notice_list_tv(tv, l);
		if ((*f)->digest_section(db, l, date, tv) == 1) {
			if (template_mail(cfg, &o, (*f)->digest->name, tv, &out,
			    err, sizeof(err)) == 0) {
				buf_adds(&b, out.body);
				template_out_release(&out);
			} else
				log_error("digest: %s section of '%s' left out: "
				    "%s", (*f)->name, l->address, err);
		}
		tv_free(tv);
	}
	free(tz);
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

/*
 * issue_sections - the features' sections (sections()) in lang, made
 * once a language; borrowed, valid until issue_release.
 */
static const char *
issue_sections(struct issue *is, const char *lang)
{
	if (is->sections && !strcmp(is->sections_lang, lang))
		return is->sections;
	free(is->sections);
	is->sections = sections(is->cfg, is->db, is->l, is->date, lang);
	snprintf(is->sections_lang, sizeof(is->sections_lang), "%s", lang);
	return is->sections;
}

/* The texts of one copy: subject, contents, footer, their descriptions. */
struct copy {
	struct tvars *tv;	/* the issue's values and its posts */
	struct template_out subject, contents, footer;
};

static void
copy_release(struct copy *c)
{
	tv_free(c->tv);
	template_out_release(&c->subject);
	template_out_release(&c->contents);
	template_out_release(&c->footer);
}

/*
 * copy_texts - the digest's texts in lang for posts p: 0, or -1 when a
 * text is missing or wrong (logged).
 */
static int
copy_texts(struct issue *is, const char *lang, const struct dpost *p,
    size_t n, struct copy *c)
{
	struct tvlist *posts;

	memset(c, 0, sizeof(*c));
	c->tv = tv_new();
	tv_int(c->tv, "volume", is->volume);
	tv_int(c->tv, "issue", is->issue);
	tv_bool(c->tv, "weekly", is->kind == DIGEST_WEEKLY);
	tv_int(c->tv, "count", (long long)n);
	posts = tv_list(c->tv, "posts");
	for (size_t i = 0; i < n; i++)
		post_values(tv_item(posts), is, &p[i]);
	if (notice_render(is->db, is->cfg, is->l, lang, "digest/subject.txt",
	    c->tv, &c->subject) < 0)
		return -1;
	tv_str(c->tv, "subject", c->subject.subject ? c->subject.subject :
	    is->l->name);
	tv_str(c->tv, "sections", issue_sections(is, lang));
	if (notice_render(is->db, is->cfg, is->l, lang, "digest/contents.txt",
	    c->tv, &c->contents) < 0 || notice_render(is->db, is->cfg, is->l,
	    lang, "digest/footer.txt", c->tv, &c->footer) < 0)
		return -1;
	return 0;
}

/*
 * add_headers - headers every digest copy has (From the list, List-* like
 * posts).  A digest is made by a clock, not in answer to anyone: RFC 3834
 * auto-generated, so that vacation robots leave it alone.
 */
static void
add_headers(struct mime_part *top, const struct issue *is,
    const char *subject)
{
	const struct list *l = is->l;
	char date[64], *id = compose_message_id(l->domain), *v;

	compose_date(is->date, date, sizeof(date));
	v = xasprintf("%s-request@%s", l->local, l->domain);
	mime_header_addr(top, "From", l->name, v);
	free(v);
	mime_header_addr(top, "To", NULL, l->address);
	mime_header_text(top, "Subject", subject);
	mime_header(top, "Date", date);
	mime_headerf(top, "Message-ID", "<%s>", id);
	mime_header_addr(top, "Reply-To", NULL, l->address);
	compose_list_fields(mime_head(top), l->name, l->local, l->domain,
	    l->address);
	mime_header(top, "Precedence", "list");
	mime_header(top, "X-Loop", l->address);
	mime_header(top, "Auto-Submitted", "auto-generated");
	free(id);
}

/*
 * digest_text - a text part of a digest: 8bit, as the posts it carries
 * are (and RFC 1153 digests are read as they are).  Caller frees.
 */
static struct mime_part *
digest_text(const char *text, const char *description)
{
	struct mime_part *p = mime_text_new("plain", text);

	mime_part_encoding(p, MIME_8BIT);
	if (description)
		mime_part_description(p, description);
	return p;
}

/*
 * issue_write - the digest whose top part is top, with the issue's
 * header fields; boundaries seeded by the issue, so that it renders the
 * same each time (the builder still checks them against the posts).
 */
static char *
issue_write(const struct issue *is, struct mime_part *top,
    const char *subject, size_t *len)
{
	char *seed = xasprintf("digest/%s/%s/%lld/%lld", is->l->address,
	    kind_names[is->kind], (long long)is->volume, (long long)is->issue);
	char *out;

	add_headers(top, is, subject);
	out = mime_detach(top, seed, len);
	mime_part_free(top);
	free(seed);
	return out;
}

/*
 * render_mime - multipart/mixed: the table of contents as text/plain,
 * then multipart/digest with each archived post intact, then a footer.
 */
static char *
render_mime(const struct issue *is, const struct copy *c, const struct dpost *p,
    size_t n, size_t *len)
{
	struct mime_part *top = mime_multipart_new("mixed"), *d;

	mime_part_add(top, digest_text(c->contents.body, c->contents.subject));
	d = mime_multipart_new("digest");
	for (size_t i = 0; i < n; i++)
		mime_part_add(d, mime_message_new(p[i].raw, p[i].rawlen));
	mime_part_add(top, d);
	mime_part_add(top, digest_text(c->footer.body, c->footer.subject));
	return issue_write(is, top, tv_get_str(c->tv, "subject"), len);
}

/* The display width of the last line of text, its line break aside. */
static size_t
last_line_width(const char *text)
{
	size_t n = strlen(text);
	char *line;
	const char *start;
	size_t w;

	while (n > 0 && text[n - 1] == '\n')
		n--;
	for (start = text + n; start > text && start[-1] != '\n'; start--)
		;
	line = xstrndup(start, (size_t)(text + n - start));
	w = str_width(line);
	free(line);
	return w;
}

/*
 * render_plain - RFC 1153 (digest/plain.txt): contents, 70 dashes, posts
 * split by 30 dashes, the footer underlined with stars.
 */
static char *
render_plain(struct issue *is, const char *lang, struct copy *c, size_t *len)
{
	struct template_out out;
	char *data;

	tv_str(c->tv, "contents", c->contents.body);
	tv_str(c->tv, "footer", c->footer.body);
	tv_int(c->tv, "stars", (long long)last_line_width(c->footer.body));
	if (notice_render(is->db, is->cfg, is->l, lang, "digest/plain.txt",
	    c->tv, &out) < 0)
		return NULL;
	data = issue_write(is, digest_text(out.body, NULL),
	    tv_get_str(c->tv, "subject"), len);
	template_out_release(&out);
	return data;
}

/*
 * render - the copy of the issue for readers of lang in format, with
 * posts p; NULL when a text is missing or wrong (logged).
 */
static char *
render(struct issue *is, const char *format, const char *lang,
    const struct dpost *p, size_t n, size_t *len)
{
	struct copy c;
	char *data = NULL;

	if (copy_texts(is, lang, p, n, &c) == 0)
		data = strcmp(format, "plain") ? render_mime(is, &c, p, n, len) :
		    render_plain(is, lang, &c, len);
	copy_release(&c);
	return data;
}

/*
 * issue_init - an issue of kind as of date (its Date header, and the
 * moment the features' sections are taken at).
 */
static void
issue_init(const struct kith_config *cfg, struct db *db, const struct list *l,
    struct issue *is, enum digest_kind kind, int64_t volume, int64_t issue,
    int64_t date)
{
	memset(is, 0, sizeof(*is));
	is->cfg = cfg;
	is->db = db;
	is->l = l;
	is->kind = kind;
	is->volume = volume;
	is->issue = issue;
	is->date = date;
	is->prefix = list_setting(db, l->id, "subject_prefix");
}

/*
 * volume_at - the volume an issue made at t belongs to: one a year,
 * counted in the list's time zone from the year the list was created.
 */
static int64_t
volume_at(struct db *db, const struct list *l, int64_t t)
{
	char *tz = list_setting(db, l->id, "timezone");
	int st;
	int64_t created = db_int(db, t, &st, "SELECT created FROM lists WHERE "
	    "id=?", "i", l->id), v;

	v = year_in_tz(tz, t) - year_in_tz(tz, created) + 1;
	free(tz);
	return v < 1 ? 1 : v;
}

/*
 * next_issue - the issue number the next issue of kind in volume gets:
 * daily and weekly issues are counted apart, from 1 in each volume.
 */
static int64_t
next_issue(struct db *db, int64_t list_id, enum digest_kind kind,
    int64_t volume)
{
	int st;

	return db_int(db, 0, &st, "SELECT count(*) + 1 FROM digests WHERE "
	    "list_id=? AND kind=? AND volume=?", "iti", list_id,
	    kind_names[kind], volume);
}

static void
issue_release(struct issue *is)
{
	free(is->prefix);
	free(is->sections);
}

/* Recipients that get the same copy: format, first post, language. */
struct group {
	char format[8];
	int64_t start;
	char lang[NOTICE_LANG_LEN];
	int64_t msg_id;
};

/* group_queue - the copy of group g, rendered and queued: its msg_id. */
static int
group_queue(struct db *db, struct issue *is, struct group *g)
{
	char *bounces = xasprintf("%s-bounces", is->l->local), *data;
	size_t n, len;
	struct dpost *p = load_posts(db, is, g->start, &n);
	int status;

	data = render(is, g->format, g->lang, p, n, &len);
	/* a text missing or wrong (logged): no issue, cron tries again */
	status = data == NULL ? KITH_PERM : outbox_message_add(db, is->l->id,
	    0, "digest", bounces, is->l->domain, is->l->address, data, len,
	    &g->msg_id);
	/* issue 17: the list footer, rendered at delivery (footer.h) */
	if (status == KITH_OK)
		status = footer_mark_if(db, is->l, "footer", g->msg_id);
	free(data);
	for (size_t i = 0; i < n; i++)
		dpost_release(&p[i]);
	free(p);
	free(bounces);
	return status;
}

/*
 * queue_issue - one outbox message per (format, first post, language)
 * group of the kind's members, and one outbox row per member.
 * *recipients counts them.
 */
static int
queue_issue(struct db *db, struct issue *is, const char *mode,
    int64_t *recipients)
{
	struct db_stmt *st = db_prepare(db, "SELECT m.id, m.address, "
	    "m.digest_format, (SELECT min(p.id) FROM posts p WHERE "
	    "p.list_id=m.list_id AND p.id>?2 AND p.id<=?3 AND "
	    "p.received>=m.digest_since) FROM members m WHERE m.list_id=?1 AND "
	    "m.mode=?4 AND m.disabled=0");
	struct db_stmt *ins = db_prepare(db, "INSERT INTO outbox(message_id, "
	    "rcpt, member_id, updated) VALUES (?, ?, ?, ?) ON CONFLICT DO "
	    "NOTHING");
	struct group *groups = NULL, key;
	size_t ngroups = 0, g;
	int rc = DB_OK, status = KITH_OK;

	*recipients = 0;
	if (st == NULL || ins == NULL) {
		status = KITH_PERM;
		goto done;
	}
	db_bind(st, "iiit", is->l->id, is->after, is->upto, mode);
	while (status == KITH_OK && (rc = db_step(st)) == DB_ROW) {
		const char *format = db_col_str(st, 2);
		const char *address = db_col_str(st, 1);

		if (db_col_type(st, 3) == DB_NULL)
			continue;	/* nothing new since this member switched */
		memset(&key, 0, sizeof(key));
		snprintf(key.format, sizeof(key.format), "%s",
		    strcmp(format, "plain") ? "mime" : "plain");
		key.start = db_col_int64(st, 3);
		notice_lang(db, is->l, address, key.lang);
		for (g = 0; g < ngroups; g++)
			if (groups[g].start == key.start &&
			    !strcmp(groups[g].format, key.format) &&
			    !strcmp(groups[g].lang, key.lang))
				break;
		if (g == ngroups) {
			groups = xrealloc(groups, (ngroups + 1) * sizeof(*groups));
			groups[ngroups++] = key;
			if ((status = group_queue(db, is, &groups[g])) != KITH_OK)
				break;
		}
		db_reset(ins);
		db_bind(ins, "itii", groups[g].msg_id, address,
		    db_col_int64(st, 0), is->date);
		if (db_step(ins) != DB_DONE) {
			status = KITH_TEMP;
			break;
		}
		(*recipients)++;
	}
	if (status == KITH_OK && rc != DB_DONE)
		status = db_status(rc);
done:
	db_finalize(st);
	db_finalize(ins);
	free(groups);
	return status;
}

/*
 * state_load - digest state of (list, kind): the last post sent and the
 * slot handled; 1 when the state row exists.
 */
static int
state_load(struct db *db, int64_t list_id, const char *kind, int64_t *last_post,
    int64_t *last_slot)
{
	struct db_stmt *st = db_prepare(db, "SELECT last_post, last_slot FROM "
	    "digest_state WHERE list_id=? AND kind=?");
	int found = 0;

	*last_post = *last_slot = 0;
	if (st == NULL)
		return 0;
	db_bind(st, "it", list_id, kind);
	if (db_step(st) == DB_ROW) {
		*last_post = db_col_int64(st, 0);
		*last_slot = db_col_int64(st, 1);
		found = 1;
	}
	db_finalize(st);
	return found;
}

/* The slot (UTC) the list's schedule for kind last passed at now. */
static int64_t
current_slot(struct db *db, const struct list *l, enum digest_kind kind,
    int64_t now)
{
	char *tz = list_setting(db, l->id, "timezone");
	char *at = list_setting(db, l->id, "digest_time");
	char *day = list_setting(db, l->id, "digest_weekday");
	int h = 7, m = 0, wd = -1;
	int64_t slot;

	sscanf(at, "%d:%d", &h, &m);
	if (kind == DIGEST_WEEKLY)
		for (int i = 0; i < 7; i++)
			if (!strcmp(day, weekdays[i]))
				wd = i;
	if (kind == DIGEST_WEEKLY && wd < 0)
		wd = 1;
	slot = schedule_last_slot(tz_valid(tz) ? tz : "UTC", h, m, wd, now);
	free(tz);
	free(at);
	free(day);
	return slot;
}

/*
 * first_look_slot - the slot handled before a list's first look at kind.
 * What is owed counts from the moment a member of this kind and a post
 * for them both exist (the first post received since that member
 * switched to the digest), not from the moment cron first looks: a list
 * whose cron first ran after that slot sends at once.  With nothing
 * owed yet, the slot just passed is handled.
 */
static int64_t
first_look_slot(struct db *db, const struct list *l, enum digest_kind kind,
    const char *mode, int64_t slot)
{
	int st;
	int64_t first = db_int(db, 0, &st, "SELECT coalesce(min(p.received), "
	    "0) FROM posts p JOIN members m ON m.list_id=p.list_id WHERE "
	    "p.list_id=? AND m.mode=? AND m.disabled=0 AND "
	    "p.received>=m.digest_since", "it", l->id, mode);
	int64_t owed_from;

	if (st != KITH_OK || first == 0)
		return slot;
	owed_from = current_slot(db, l, kind, first);
	return owed_from < slot ? owed_from : slot;
}

/* What digest_run decides and queues, under the write lock. */
struct run_ctx {
	const struct kith_config *cfg;
	const struct list *l;
	enum digest_kind kind;
	int64_t now, issue, recipients;
	int force;
};

static int
run_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct run_ctx *x = ctx;
	const struct list *l = x->l;
	enum digest_kind kind = x->kind;
	const char *kname = kind_names[kind];
	char mode[16];
	int64_t last_post, last_slot, slot, upto, waiting_kb, max_kb, number,
	    volume, now = x->now;
	int st, due, early;
	struct issue is;

	(void)err, (void)errlen;
	snprintf(mode, sizeof(mode), "digest-%s", kname);
	/* Decided under the write lock: a racing cron sees our result. */
	slot = current_slot(db, l, kind, now);
	if (!state_load(db, l->id, kname, &last_post, &last_slot))
		last_slot = first_look_slot(db, l, kind, mode, slot);
	upto = db_int(db, 0, &st, "SELECT coalesce(max(id), 0) FROM posts WHERE "
	    "list_id=?", "i", l->id);
	waiting_kb = db_int(db, 0, &st, "SELECT coalesce(sum(size), 0) / 1024 "
	    "FROM posts WHERE list_id=? AND id>?", "ii", l->id, last_post);
	max_kb = list_setting_int(db, l->id, "digest_max_kb", 100);
	due = slot > last_slot;
	early = max_kb > 0 && upto > last_post && waiting_kb >= max_kb;
	if (!due && !early && !x->force)
		/* Record the first look so that its slot stays handled. */
		return db_exec(db, "INSERT INTO digest_state(list_id, kind, "
		    "last_post, last_slot) VALUES (?, ?, ?, ?) ON CONFLICT DO "
		    "NOTHING", "itii",
		    l->id, kname, last_post, last_slot);
	if (upto > last_post) {
		/* number: a serial over the list's issues of both kinds */
		number = db_int(db, 0, &st, "SELECT coalesce(max(number), 0) + 1 "
		    "FROM digests WHERE list_id=?", "i", l->id);
		volume = volume_at(db, l, now);
		issue_init(x->cfg, db, l, &is, kind, volume, next_issue(db, l->id,
		    kind, volume), now);
		is.after = last_post;
		is.upto = upto;
		st = queue_issue(db, &is, mode, &x->recipients);
		/* Nobody reads this kind: the posts are done with, no issue. */
		if (st == KITH_OK && x->recipients > 0)
			st = db_exec(db, "INSERT INTO digests(list_id, kind, volume, "
			    "number, first_post, last_post, posts, recipients, "
			    "created) VALUES (?, ?, ?, ?, ?, ?, (SELECT count(*) "
			    "FROM posts WHERE list_id=? AND id>? AND id<=?), ?, ?)",
			    "itiiiiiiiii", l->id, kname, volume, number,
			    last_post + 1, upto, l->id, last_post, upto,
			    x->recipients, now);
		if (st == KITH_OK && x->recipients > 0)
			x->issue = is.issue;
		issue_release(&is);
		if (st != KITH_OK)
			return st;
	}
	return db_exec(db, "INSERT INTO digest_state(list_id, kind, last_post, "
	    "last_slot) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (list_id, kind) DO "
	    "UPDATE SET last_post=?3, last_slot=CASE WHEN "
	    "digest_state.last_slot>?4 THEN digest_state.last_slot ELSE ?4 END",
	    "itii", l->id, kname,
	    upto, due ? slot : last_slot);
}

int
digest_run(const struct kith_config *cfg, struct db *db, const struct list *l,
    enum digest_kind kind, int64_t now, int force, int64_t *issue)
{
	struct run_ctx x = { cfg, l, kind, now, 0, 0, force };
	int st = db_tx(db, run_tx, &x, NULL, 0);

	*issue = x.issue;
	if (st == KITH_OK && *issue)
		log_info("digest: '%s' %s issue %lld to %lld members", l->address,
		    kind_names[kind], (long long)*issue,
		    (long long)x.recipients);
	return st;
}

static int
collect_list(const struct list *l, int64_t members, void *ctx)
{
	struct { char **v; size_t n; } *acc = ctx;

	(void)members;
	acc->v = xrealloc(acc->v, (acc->n + 1) * sizeof(char *));
	acc->v[acc->n++] = xstrdup(l->address);
	return 0;
}

int
digest_cron(const struct kith_config *cfg, struct db *db, int64_t now)
{
	struct { char **v; size_t n; } acc = { NULL, 0 };
	int sent = 0;

	list_foreach(db, collect_list, &acc);
	for (size_t i = 0; i < acc.n; i++) {
		struct list l;
		char err[256] = "";

		if (list_find(db, acc.v[i], &l, err, sizeof(err)) == KITH_OK) {
			for (int k = 0; k < 2; k++) {
				int64_t issue;

				if (digest_run(cfg, db, &l, k, now, 0, &issue) !=
				    KITH_OK)
					sent = -1;
				else if (issue && sent >= 0)
					sent++;
			}
			list_release(&l);
		}
		free(acc.v[i]);
	}
	free(acc.v);
	return sent;
}

int
digest_foreach(struct db *db, int64_t list_id,
    int (*fn)(const struct digest_issue *, void *), void *ctx)
{
	struct db_stmt *st = db_prepare(db, "SELECT d.id, d.volume, (SELECT "
	    "count(*) FROM digests e WHERE e.list_id=d.list_id AND "
	    "e.kind=d.kind AND e.volume=d.volume AND e.id<=d.id), "
	    "d.first_post, d.last_post, d.posts, d.recipients, d.created, "
	    "d.kind FROM digests d WHERE d.list_id=? ORDER BY d.id");

	if (st == NULL)
		return KITH_PERM;
	db_bind(st, "i", list_id);
	while (db_step(st) == DB_ROW) {
		struct digest_issue d;

		d.id = db_col_int64(st, 0);
		d.volume = db_col_int64(st, 1);
		d.number = db_col_int64(st, 2);
		d.first_post = db_col_int64(st, 3);
		d.last_post = db_col_int64(st, 4);
		d.posts = db_col_int64(st, 5);
		d.recipients = db_col_int64(st, 6);
		d.created = db_col_int64(st, 7);
		snprintf(d.kind, sizeof(d.kind), "%s", db_col_str(st, 8));
		if (fn(&d, ctx))
			break;
	}
	db_finalize(st);
	return KITH_OK;
}

/*
 * write_rendered - the issue as the full list of its posts would get
 * it, in the list's language.  KITH_PERM when a text is missing or
 * wrong (logged).
 */
static int
write_rendered(struct db *db, struct issue *is, const char *format, FILE *out)
{
	size_t n, len;
	struct dpost *p = load_posts(db, is, 0, &n);
	char lang[NOTICE_LANG_LEN], *data;

	notice_lang(db, is->l, NULL, lang);
	data = render(is, format, lang, p, n, &len);
	if (data)
		fwrite(data, 1, len, out);
	free(data);
	for (size_t i = 0; i < n; i++)
		dpost_release(&p[i]);
	free(p);
	return data ? KITH_OK : KITH_PERM;
}

int
digest_render_issue(const struct kith_config *cfg, struct db *db,
    const struct list *l, enum digest_kind kind, int64_t volume,
    int64_t issue, const char *format, FILE *out)
{
	/* the issue-th of its kind in its volume; the newest such volume */
	struct db_stmt *st = db_prepare(db, "SELECT d.volume, d.first_post, "
	    "d.last_post, d.created FROM digests d WHERE d.list_id=?1 AND "
	    "d.kind=?2 AND (?3=0 OR d.volume=?3) AND (SELECT count(*) FROM "
	    "digests e WHERE e.list_id=d.list_id AND e.kind=d.kind AND "
	    "e.volume=d.volume AND e.id<=d.id)=?4 ORDER BY d.volume DESC "
	    "LIMIT 1");
	struct issue is;
	int found = 0, rc;

	if (st == NULL)
		return KITH_PERM;
	db_bind(st, "itii", l->id, kind_names[kind], volume, issue);
	if (db_step(st) == DB_ROW) {
		issue_init(cfg, db, l, &is, kind, db_col_int64(st, 0),
		    issue, db_col_int64(st, 3));
		is.after = db_col_int64(st, 1) - 1;
		is.upto = db_col_int64(st, 2);
		found = 1;
	}
	db_finalize(st);
	if (!found)
		return KITH_PERM;
	rc = write_rendered(db, &is, format, out);
	issue_release(&is);
	return rc;
}

int
digest_preview(const struct kith_config *cfg, struct db *db,
    const struct list *l, enum digest_kind kind, const char *format,
    int64_t now, FILE *out)
{
	int64_t last_post, last_slot, volume = volume_at(db, l, now);
	struct issue is;
	int st;

	state_load(db, l->id, kind_names[kind], &last_post, &last_slot);
	issue_init(cfg, db, l, &is, kind, volume, next_issue(db, l->id, kind,
	    volume), now);
	is.after = last_post;
	is.upto = db_int(db, 0, &st, "SELECT coalesce(max(id), 0) FROM posts "
	    "WHERE list_id=?", "i", l->id);
	st = write_rendered(db, &is, format, out);
	issue_release(&is);
	return st;
}

int
digest_check_templates(const struct kith_config *cfg, const struct list *l,
    struct template_check *c)
{
	struct tvars *common = tv_new();
	int errors = 0;

	notice_list_tv(common, l);
	for (const struct feature *const *f = features_table; *f; f++)
		if ((*f)->digest)
			errors += template_check(cfg, l->local, NULL, (*f)->digest,
			    1, common, c);
	tv_free(common);
	return errors;
}

/* The texts of a digest and their values, besides the list's. */
#define F TF_FIELDS
#define ISSUE TF_INT("volume"), TF_INT("issue"), TF_BOOL("weekly"), \
	TF_INT("count")
#define POST TF_STR("subject"), TF_STR("author"), TF_STR("date"), \
	TF_STR("from"), TF_STR("message_id"), TF_STR("body"), \
	TF_LIST("attachments", F(TF_STR("name"), TF_STR("type"), \
	TF_STR("size")))
const struct template_schema digest_schema[] = {
	{ "digest/subject.txt", F(ISSUE, TF_LIST("posts", F(POST))), 0 },
	{ "digest/contents.txt", F(ISSUE, TF_STR("subject"),
	    TF_STR("sections"), TF_LIST("posts", F(POST))), 0 },
	{ "digest/footer.txt", F(ISSUE, TF_STR("subject"), TF_STR("sections"),
	    TF_LIST("posts", F(POST))), 0 },
	{ "digest/plain.txt", F(ISSUE, TF_STR("subject"), TF_STR("sections"),
	    TF_STR("contents"), TF_STR("footer"), TF_INT("stars"),
	    TF_LIST("posts", F(POST))), 0 },
};
const size_t digest_nschema = sizeof(digest_schema) /
    sizeof(digest_schema[0]);
