/* onboarding - welcome sequences and their funnel. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/compose.h"
#include "kith/db.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/notice.h"
#include "kith/onboarding.h"
#include "kith/outbox.h"
#include "kith/template.h"
#include "kith/util.h"

#define MAX_STEPS 32

static int
valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 60)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

/* What adding or removing a step carries into its transaction. */
struct step_tx {
	const struct list *l;
	int64_t after;
	const char *template_name, *unless;
	int64_t now, position;
};

static int
add_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct step_tx *s = ctx;

	(void)err;
	(void)errlen;
	s->position = db_int(db, 0, NULL, "SELECT coalesce(max(position), 0) "
	    "+ 1 FROM onboarding_steps WHERE list_id=?", "i", s->l->id);
	return db_exec(db, "INSERT INTO onboarding_steps(list_id, position, "
	    "after, template, unless, created) VALUES (?, ?, ?, ?, ?, ?)",
	    "iiitti", s->l->id, s->position, s->after, s->template_name,
	    s->unless, s->now);
}

int
onboarding_add(const struct kith_config *cfg, struct db *db,
    const struct list *l, int64_t after, const char *template_name,
    const char *unless, int64_t now, int64_t *position, char *err,
    size_t errlen)
{
	struct step_tx s;
	char *path, *text;
	int st;

	if (!valid_name(template_name)) {
		snprintf(err, errlen, "template name '%s': letters, digits, '-' "
		    "and '_'", template_name);
		return KITH_PERM;
	}
	if (*unless && strcmp(unless, "posted") && strcmp(unless, "rsvped")) {
		snprintf(err, errlen, "--unless takes posted or rsvped");
		return KITH_PERM;
	}
	path = xasprintf("onboarding/%s.txt", template_name);
	text = template_load(cfg, l->local, path, NULL, err, errlen);
	free(path);
	if (text == NULL)
		return KITH_PERM;
	free(text);
	s = (struct step_tx){ l, after, template_name, unless, now, 0 };
	st = db_tx(db, add_tx, &s, err, errlen);
	*position = s.position;
	return st;
}

/* seconds as people say it: "3 days", "1 day 12 hours", "90 seconds" */
static void
add_span(struct buf *b, int64_t t)
{
	static const struct { int64_t s; const char *one, *many; } units[] = {
		{ 86400, "day", "days" }, { 3600, "hour", "hours" },
		{ 60, "minute", "minutes" }, { 1, "second", "seconds" },
	};
	int parts = 0;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		int64_t n = t / units[i].s;

		if (n == 0)
			continue;
		buf_addf(b, "%s%lld %s", parts++ ? " " : "", (long long)n,
		    n == 1 ? units[i].one : units[i].many);
		t -= n * units[i].s;
	}
	if (parts == 0)
		buf_adds(b, "0 seconds");
}

char *
onboarding_describe(const struct onboarding_step *s)
{
	struct buf b;

	buf_init(&b);
	buf_addf(&b, "%s, ", s->template_name);
	add_span(&b, s->after);
	if (s->position <= 1)
		buf_adds(&b, " after joining");
	else
		buf_addf(&b, " after step %lld", (long long)s->position - 1);
	if (!strcmp(s->unless, "posted"))
		buf_adds(&b, ", skipped for members who have posted");
	else if (!strcmp(s->unless, "rsvped"))
		buf_adds(&b, ", skipped for members who have answered an event");
	return buf_detach(&b, NULL);
}

static int
rm_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct step_tx *s = ctx;
	int st = db_exec(db, "DELETE FROM onboarding_steps WHERE list_id=? AND "
	    "position=?", "ii", s->l->id, s->position);

	if (st == KITH_OK && db_changes(db) == 0) {
		snprintf(err, errlen, "no step %lld; see 'kith onboarding ls'",
		    (long long)s->position);
		return KITH_PERM;
	}
	if (st == KITH_OK)
		st = db_exec(db, "UPDATE onboarding_steps SET position=position-1 "
		    "WHERE list_id=? AND position>?", "ii", s->l->id, s->position);
	return st;
}

int
onboarding_rm(struct db *db, const struct list *l, int64_t position, char *err,
    size_t errlen)
{
	struct step_tx s = { l, 0, NULL, NULL, 0, position };

	return db_tx(db, rm_tx, &s, err, errlen);
}

/* Steps of l in order into steps[]; how many. */
static size_t
load_steps(struct db *db, int64_t list_id, struct onboarding_step *steps)
{
	struct db_stmt *st = db_prepare(db, "SELECT id, position, after, created, "
	    "template, unless FROM onboarding_steps WHERE list_id=? ORDER BY "
	    "position");
	size_t n = 0;

	if (st == NULL)
		return 0;
	db_bind(st, "i", list_id);
	while (n < MAX_STEPS && db_step(st) == DB_ROW) {
		struct onboarding_step *s = &steps[n++];

		s->id = db_col_int64(st, 0);
		s->position = db_col_int64(st, 1);
		s->after = db_col_int64(st, 2);
		s->created = db_col_int64(st, 3);
		snprintf(s->template_name, sizeof(s->template_name), "%s",
		    db_col_str(st, 4));
		snprintf(s->unless, sizeof(s->unless), "%s",
		    db_col_str(st, 5));
	}
	db_finalize(st);
	return n;
}

int
onboarding_foreach(struct db *db, const struct list *l,
    int (*fn)(const struct onboarding_step *, void *), void *ctx)
{
	struct onboarding_step steps[MAX_STEPS];
	size_t n = load_steps(db, l->id, steps);

	for (size_t i = 0; i < n; i++)
		if (fn(&steps[i], ctx))
			break;
	return KITH_OK;
}

/*
 * where_in - a member's place in the sequence: the index of the next
 * step (n when done, -1 when they left it) and when the last one was
 * done (0 when none yet).
 */
static int
where_in(struct db *db, int64_t list_id, const char *address,
    const struct onboarding_step *steps, size_t n, int64_t *last_at)
{
	struct db_stmt *st = db_prepare(db, "SELECT step_id, outcome, at FROM "
	    "onboarding WHERE list_id=? AND address=?");
	int done[MAX_STEPS] = { 0 }, left = 0;
	size_t k;

	*last_at = 0;
	if (st == NULL)
		return -1;
	db_bind(st, "it", list_id, address);
	while (db_step(st) == DB_ROW) {
		int64_t sid = db_col_int64(st, 0);
		int64_t at = db_col_int64(st, 2);

		if (!strcmp(db_col_str(st, 1), "left"))
			left = 1;
		for (k = 0; k < n; k++)
			if (steps[k].id == sid)
				done[k] = 1;
		if (at > *last_at)
			*last_at = at;
	}
	db_finalize(st);
	if (left)
		return -1;
	for (k = 0; k < n && done[k]; k++)
		;
	return (int)k;
}

/*
 * step_text - step s as address reads it, in their language: its
 * subject (the text's own, else onboarding-subject.txt's) and body.
 * -1 when a text is missing or wrong (logged).
 */
static int
step_text(const struct kith_config *cfg, struct db *db, const struct list *l,
    const struct onboarding_step *s, const char *address, const char *name,
    struct template_out *out)
{
	char lang[NOTICE_LANG_LEN], *path;
	struct tvars *tv = tv_new();
	struct template_out dflt;
	int rc;

	tv_str(tv, "member.address", address);
	tv_str(tv, "member.name", *name ? name : address);
	notice_lang(db, l, address, lang);
	path = xasprintf("onboarding/%s.txt", s->template_name);
	rc = notice_render(db, cfg, l, lang, path, tv, out);
	free(path);
	if (rc == 0 && out->subject == NULL) {
		if (notice_render(db, cfg, l, lang, "onboarding-subject.txt", tv,
		    &dflt) == 0) {
			out->subject = dflt.subject;
			dflt.subject = NULL;
			template_out_release(&dflt);
		}
		if (out->subject == NULL)
			out->subject = xstrdup(l->name);
	}
	tv_free(tv);
	return rc;
}

/* Queue step s for one member. */
static int
send_step(const struct kith_config *cfg, struct db *db, const struct list *l,
    const struct onboarding_step *s, const char *address, const char *name,
    int64_t now)
{
	char *mail, *bounce;
	struct template_out text;
	struct notice nt = { .to = address };
	int64_t msg_id;
	size_t len;
	int st;

	if (step_text(cfg, db, l, s, address, name, &text) < 0)
		return KITH_PERM;
	bounce = xasprintf("%s-bounces", l->local);
	nt.subject = text.subject;
	nt.text = text.body;
	mail = notice_compose(l, "owner", &nt, &len);
	st = outbox_message_add(db, l->id, 0, "onboarding", bounce, l->domain,
	    l->address, mail, len, &msg_id);
	if (st == KITH_OK)
		st = db_exec(db, "INSERT INTO outbox(message_id, rcpt, member_id, "
		    "updated) SELECT ?, address, id, ? FROM members WHERE "
		    "list_id=? AND address=?", "iiit", msg_id, now, l->id,
		    address);
	free(mail);
	free(bounce);
	template_out_release(&text);
	return st;
}

/* 1 when the member has done what the step would ask. */
static int
acted(struct db *db, int64_t list_id, int64_t member_id, const char *address,
    const char *unless)
{
	if (!strcmp(unless, "posted"))
		return db_int(db, 0, NULL, "SELECT count(*) FROM posts WHERE "
		    "list_id=? AND sender=?", "it", list_id, address) > 0;
	if (!strcmp(unless, "rsvped"))
		return db_int(db, 0, NULL, "SELECT count(*) FROM rsvps WHERE "
		    "member_id=?", "i", member_id) > 0;
	return 0;
}

/* One member's step, as its transaction takes it. */
struct due_step {
	const struct kith_config *cfg;
	const struct list *l;
	const struct onboarding_step *step;
	const char *address, *name, *outcome;
	int64_t now;
	int sent;
};

static int
due_step_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct due_step *x = ctx;
	int st = db_exec(db, "INSERT INTO onboarding(list_id, address, "
	    "step_id, outcome, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO "
	    "NOTHING", "ititi",
	    x->l->id, x->address, x->step->id, x->outcome, x->now);

	(void)err, (void)errlen;
	/* a racing cron got here first: nothing more to do */
	if (st == KITH_OK && db_changes(db) == 1 &&
	    !strcmp(x->outcome, "sent")) {
		st = send_step(x->cfg, db, x->l, x->step, x->address, x->name,
		    x->now);
		x->sent = st == KITH_OK;
	}
	return st;
}

/* The due step of one member, if any, in its own transaction. */
static int
member_step(const struct kith_config *cfg, struct db *db, const struct list *l,
    const struct onboarding_step *steps, size_t n, int64_t member_id,
    const char *address, const char *name, const char *mode, int64_t joined,
    int64_t now, int *sent)
{
	int64_t last_at, base;
	int k = where_in(db, l->id, address, steps, n, &last_at), st;
	const char *outcome;

	if (k < 0 || (size_t)k >= n)
		return KITH_OK;
	if (!strcmp(mode, "nomail"))
		outcome = "left";	/* no-mail members leave the sequence */
	else {
		base = last_at ? last_at : joined;
		if (base + steps[k].after > now)
			return KITH_OK;
		outcome = *steps[k].unless && acted(db, l->id, member_id, address,
		    steps[k].unless) ? "skipped" : "sent";
	}
	{
		struct due_step x = { cfg, l, &steps[k], address, name, outcome,
		    now, 0 };

		st = db_tx(db, due_step_tx, &x, NULL, 0);
		if (st == KITH_OK)
			*sent += x.sent;
	}
	return st;
}

static int
list_cron(const struct kith_config *cfg, struct db *db, const struct list *l,
    int64_t now, int *sent)
{
	struct onboarding_step steps[MAX_STEPS];
	size_t n = load_steps(db, l->id, steps);
	int64_t start = 0;
	struct db_stmt *st;
	int status = KITH_OK;
	struct mrow {
		int64_t id, joined;
		char *address, *name, *mode;
	} *rows = NULL;
	size_t nrows = 0, cap = 0;

	if (n == 0)
		return KITH_OK;
	for (size_t i = 0; i < n; i++)
		if (start == 0 || steps[i].created < start)
			start = steps[i].created;
	/* Members who joined before the sequence existed are not in it. */
	st = db_prepare(db, "SELECT id, address, name, mode, joined FROM members "
	    "WHERE list_id=? AND joined>=? AND disabled=0 ORDER BY id");
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ii", l->id, start);
	while (db_step(st) == DB_ROW) {
		if (nrows == cap) {
			cap = cap ? cap * 2 : 64;
			rows = xrealloc(rows, cap * sizeof(*rows));
		}
		rows[nrows].id = db_col_int64(st, 0);
		rows[nrows].address = db_col_text(st, 1);
		rows[nrows].name = db_col_text(st, 2);
		rows[nrows].mode = db_col_text(st, 3);
		rows[nrows].joined = db_col_int64(st, 4);
		nrows++;
	}
	db_finalize(st);
	for (size_t i = 0; i < nrows; i++) {
		if (status == KITH_OK)
			status = member_step(cfg, db, l, steps, n, rows[i].id,
			    rows[i].address, rows[i].name, rows[i].mode,
			    rows[i].joined, now, sent);
		free(rows[i].address);
		free(rows[i].name);
		free(rows[i].mode);
	}
	free(rows);
	return status;
}

int
onboarding_cron(const struct site_ctx *c, int64_t now)
{
	struct db *db = c->db;
	struct db_ids ids = { NULL, 0, 0 };
	int sent = 0, status = db_ids_select(db, &ids, "SELECT DISTINCT list_id "
	    "FROM onboarding_steps", "");

	for (size_t i = 0; i < ids.n; i++) {
		struct list l;

		if (list_find_id(db, ids.v[i], &l) != KITH_OK)
			continue;
		if (list_cron(c->cfg, db, &l, now, &sent) != KITH_OK)
			status = KITH_TEMP;
		list_release(&l);
	}
	db_ids_release(&ids);
	return status;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One member's path: what each step's row says (0: no row yet). */
enum { PATH_NONE, PATH_SENT, PATH_SKIPPED, PATH_LEFT };

struct path {
	int64_t joined;
	int member;
	int outcome[MAX_STEPS];
	int64_t at[MAX_STEPS];
};

struct progress {
	const struct onboarding_step *steps;
	size_t n;
	struct onboarding_funnel *f;
	double *spans[MAX_STEPS];
	size_t nspans[MAX_STEPS];
	int64_t in_sequence, finished;
};

/* walk_path - count one member's path into the funnel. */
static void
walk_path(struct progress *p, const struct path *m)
{
	int64_t prev = m->joined;
	int left_seq = 0;
	size_t k;

	p->in_sequence++;
	for (k = 0; k < p->n; k++) {
		if (m->outcome[k] == PATH_NONE || m->outcome[k] == PATH_LEFT) {
			left_seq = m->outcome[k] == PATH_LEFT;
			break;
		}
		if (m->outcome[k] == PATH_SENT)
			p->f[k].sent++;
		else
			p->f[k].skipped++;
		p->spans[k] = xrealloc(p->spans[k], (p->nspans[k] + 1) *
		    sizeof(double));
		p->spans[k][p->nspans[k]++] = (double)(m->at[k] - prev) / 86400.0;
		prev = m->at[k];
	}
	if (k == p->n)
		p->finished++;
	else if (!m->member || left_seq)
		p->f[k].left++;
	else
		p->f[k].waiting++;
}

/*
 * walk_all - every member who joined since the sequence began (their
 * last join, whether they are still members, their rows of the path),
 * read in one statement ordered by address and counted address by
 * address.  The joins are read from member_log_joins (the joins only, by
 * list_id, address, event, at), already in address order ('+' keeps the
 * planner from reading them by time and sorting them).
 */
static int
walk_all(struct db *db, int64_t list_id, int64_t start, struct progress *p)
{
	struct db_stmt *st = db_prepare(db, "SELECT j.address, j.joined, CASE "
	    "WHEN m.id IS NOT NULL THEN 1 ELSE 0 END, o.step_id, o.outcome, "
	    "o.at FROM (SELECT address, max(at) "
	    "AS joined FROM member_log WHERE list_id=?1 AND "
	    "event='joined' AND "
	    "+at>=?2 GROUP BY address) j LEFT JOIN members m ON m.list_id=?1 AND "
	    "m.address=j.address LEFT JOIN onboarding o ON o.list_id=?1 AND "
	    "o.address=j.address ORDER BY j.address");
	char *cur = NULL;
	struct path m;
	int rc;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ii", list_id, start);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *addr = db_col_str(st, 0);
		const char *outcome = db_col_str(st, 4);
		int64_t sid = db_col_int64(st, 3);

		if (cur == NULL || strcmp(cur, addr)) {
			if (cur)
				walk_path(p, &m);
			free(cur);
			cur = xstrdup(addr);
			memset(&m, 0, sizeof(m));
			m.joined = db_col_int64(st, 1);
			m.member = db_col_int(st, 2);
		}
		for (size_t k = 0; outcome && k < p->n; k++)
			if (p->steps[k].id == sid) {
				m.outcome[k] = !strcmp(outcome, "sent") ? PATH_SENT :
				    !strcmp(outcome, "left") ? PATH_LEFT : PATH_SKIPPED;
				m.at[k] = db_col_int64(st, 5);
			}
	}
	if (cur)
		walk_path(p, &m);
	free(cur);
	db_finalize(st);
	return rc == DB_DONE ? KITH_OK : db_status(rc);
}

int
onboarding_progress(struct db *db, const struct list *l,
    int (*fn)(const struct onboarding_funnel *, void *), void *ctx,
    int64_t *in_sequence, int64_t *finished)
{
	struct onboarding_step steps[MAX_STEPS];
	size_t n = load_steps(db, l->id, steps);
	struct onboarding_funnel f[MAX_STEPS];
	struct progress p;
	int64_t start = 0;
	int st;

	*in_sequence = *finished = 0;
	if (n == 0)
		return KITH_OK;
	memset(f, 0, sizeof(f));
	memset(&p, 0, sizeof(p));
	p.steps = steps;
	p.n = n;
	p.f = f;
	for (size_t i = 0; i < n; i++) {
		f[i].step = steps[i];
		if (start == 0 || steps[i].created < start)
			start = steps[i].created;
	}
	st = walk_all(db, l->id, start, &p);
	*in_sequence = p.in_sequence;
	*finished = p.finished;
	for (size_t k = 0; k < n; k++) {
		if (p.nspans[k]) {
			qsort(p.spans[k], p.nspans[k], sizeof(double), cmp_double);
			f[k].median_days = p.nspans[k] % 2 ?
			    p.spans[k][p.nspans[k] / 2] :
			    (p.spans[k][p.nspans[k] / 2 - 1] +
			    p.spans[k][p.nspans[k] / 2]) / 2.0;
		}
		free(p.spans[k]);
		if (fn && st == KITH_OK)
			fn(&f[k], ctx);
	}
	return st;
}

/* What send_step gives a step's template, besides the list's values. */
const struct template_schema onboarding_schema[] = {
	{ "onboarding/*.txt", TF_FIELDS(
	    TF_STR("member.address"), TF_STR("member.name")), 0 },
	{ "onboarding-subject.txt", TF_FIELDS(
	    TF_STR("member.address"), TF_STR("member.name")), 0 },
};
const size_t onboarding_nschema = sizeof(onboarding_schema) /
    sizeof(onboarding_schema[0]);

/* on_move (feature.h): the steps already sent stay sent; what the new
 * address had of a membership before (a former member's) goes */
static int
member_moved(const struct mail_ctx *c, const struct member *m,
    const char *from, int64_t now)
{
	int st;

	(void)now;
	st = db_exec(c->db, "DELETE FROM onboarding WHERE list_id=? AND "
	    "address=?", "it", c->l->id, m->address);

	if (st == KITH_OK)
		st = db_exec(c->db, "UPDATE onboarding SET address=? WHERE "
		    "list_id=? AND address=?", "tit", m->address, c->l->id, from);
	return st == KITH_OK ? KITH_OK : KITH_TEMP;
}

/* The feature's row (feature.h): the steps go out from cron. */
const struct feature onboarding_feature = {
	.name = "onboarding",
	.cron = onboarding_cron,
	.on_move = member_moved,
	.texts = onboarding_schema,
	.ntexts = sizeof(onboarding_schema) / sizeof(onboarding_schema[0]),
};

