/* archive_search - queries as people type them, ranked, with snippets. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kith/archive_search.h"
#include "kith/db.h"
#include "kith/fts.h"
#include "kith/subject.h"
#include "kith/timeutil.h"
#include "kith/util.h"

#define DEFAULT_LIMIT 20
#define QUERY_MAX 1000		/* bytes of a query that are read */
#define TERMS_MAX 32		/* words and phrases of a query */
#define SNIPPET_WORDS 24

/* One word or phrase of a query. */
struct term {
	const char *s;
	size_t n;
	int phrase, negated, prefix;
	const char *column;	/* "subject" or NULL */
};

void
archive_search_release(struct search_query *sq)
{
	free(sq->match);
	free(sq->from);
	memset(sq, 0, sizeof(*sq));
}

/* Whether s[0..n) has anything the tokenizer makes a word of. */
static int
has_word(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || isalnum((unsigned char)s[i]))
			return 1;
	return 0;
}

/* s[0..n) is one Chinese, Japanese or Korean character. */
static int
one_cjk(const char *s, size_t n)
{
	uint32_t cp;
	size_t len = utf8_next(s, n, &cp);

	return len > 0 && len == n && fts_is_cjk(cp);
}

/*
 * day_start - "YYYY", "YYYY-MM" or "YYYY-MM-DD" as the UTC second it
 * starts; -1 when it is none of them, or no day (2027-02-30).
 */
static int64_t
day_start(const char *s, size_t n)
{
	char buf[16];
	int y = 0, m = 1, d = 1, used = 0;

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!((n == 4 && sscanf(buf, "%4d%n", &y, &used) == 1) ||
	    (n == 7 && sscanf(buf, "%4d-%2d%n", &y, &m, &used) == 2) ||
	    (n == 10 && sscanf(buf, "%4d-%2d-%2d%n", &y, &m, &d, &used) == 3)) ||
	    used != (int)n)
		return -1;
	return utc_day(y, m, d);
}

/* One term in the query form (db.h's db_search_posts; FTS5's syntax):
 * quoted, '"' doubled, '*' for a prefix. */
static void
term_string(struct buf *b, const struct term *t)
{
	if (t->column)
		buf_addf(b, "%s : ", t->column);
	buf_addc(b, '"');
	for (size_t i = 0; i < t->n; i++) {
		if (t->s[i] == '"')
			buf_addc(b, '"');
		buf_addc(b, t->s[i]);
	}
	buf_addc(b, '"');
	if (t->prefix)
		buf_addc(b, '*');
}

/* The terms joined: (a AND b) NOT (c OR d); NULL when none counts. */
static char *
query_expression(const struct term *t, int n)
{
	struct buf pos, neg;
	int npos = 0, nneg = 0;

	buf_init(&pos);
	buf_init(&neg);
	for (int i = 0; i < n; i++) {
		struct buf *b = t[i].negated ? &neg : &pos;

		if (b->len)
			buf_adds(b, t[i].negated ? " OR " : " AND ");
		term_string(b, &t[i]);
		if (t[i].negated)
			nneg++;
		else
			npos++;
	}
	/* no query of exclusions alone (FTS5 has none): they need a word */
	if (npos && nneg) {
		char *out = xasprintf("(%s) NOT (%s)", pos.data, neg.data);

		buf_release(&pos);
		buf_release(&neg);
		return out;
	}
	buf_release(&neg);
	return npos ? buf_detach(&pos, NULL) : NULL;
}

/* The value after "name:" at p (quoted or up to white space). */
static const char *
read_value(const char *p, const char **v, size_t *n, int *quoted)
{
	*quoted = *p == '"';
	if (*quoted) {
		const char *e = strchr(p + 1, '"');

		*v = p + 1;
		*n = e ? (size_t)(e - p - 1) : strlen(p + 1);
		return e ? e + 1 : p + 1 + *n;
	}
	*v = p;
	*n = strcspn(p, " \t\r\n");
	return p + *n;
}

/* "from:", "subject:", "after:", "before:" at p: its length, else 0. */
static size_t
field_at(const char *p, const char **name)
{
	static const char *const fields[] = { "from", "subject", "after",
		"before", NULL };

	for (int i = 0; fields[i]; i++) {
		size_t k = strlen(fields[i]);

		if (!strncasecmp(p, fields[i], k) && p[k] == ':' && p[k + 1] &&
		    !isspace((unsigned char)p[k + 1])) {
			*name = fields[i];
			return k + 1;
		}
	}
	return 0;
}

/* A term's text as the search reads it: prefix stars and lone CJK
 * characters. */
static void
term_shape(struct term *t)
{
	if (!t->phrase)
		while (t->n > 0 && t->s[t->n - 1] == '*') {
			t->n--;
			t->prefix = 1;
		}
	/* one CJK character: the pairs starting with it, or it alone */
	if (one_cjk(t->s, t->n))
		t->prefix = 1;
}

/* A field's value: from: and dates set sq, subject: gives a term. */
static int
take_field(struct search_query *sq, const char *name, const char *v,
    size_t n, int quoted, struct term *t)
{
	int64_t when;

	if (!strcmp(name, "from")) {
		free(sq->from);
		sq->from = xstrndup(v, n);
		return 0;
	}
	if (!strcmp(name, "subject")) {
		memset(t, 0, sizeof(*t));
		t->s = v;
		t->n = n;
		t->phrase = quoted;
		t->column = "subject";
		term_shape(t);
		return has_word(t->s, t->n);
	}
	if ((when = day_start(v, n)) < 0)
		return 0;
	if (!strcmp(name, "after"))
		sq->after = when;
	else
		sq->before = when;
	return 0;
}

/* The first QUERY_MAX bytes of q at most, cut before a character that
 * would not fit whole (xstrndup copies exactly n bytes). */
static char *
query_copy(const char *q)
{
	size_t n = strnlen(q, QUERY_MAX + 1);

	if (n > QUERY_MAX) {
		n = QUERY_MAX;
		while (n > 0 && ((unsigned char)q[n] & 0xC0) == 0x80)
			n--;
	}
	return xstrndup(q, n);
}

int
archive_search_parse(const char *q, struct search_query *sq)
{
	char *copy = query_copy(q ? q : "");
	struct term t[TERMS_MAX];
	const char *p = copy;
	int n = 0;

	memset(sq, 0, sizeof(*sq));
	while (*p && n < TERMS_MAX) {
		const char *name, *v;
		size_t k, len;
		int quoted, negated = 0;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if ((k = field_at(p, &name)) > 0) {
			p = read_value(p + k, &v, &len, &quoted);
			n += take_field(sq, name, v, len, quoted, &t[n]);
			continue;
		}
		if (*p == '-' && p[1] && !isspace((unsigned char)p[1])) {
			negated = 1;
			p++;
		}
		p = read_value(p, &v, &len, &quoted);
		memset(&t[n], 0, sizeof(t[n]));
		t[n].s = v;
		t[n].n = len;
		t[n].phrase = quoted;
		t[n].negated = negated;
		term_shape(&t[n]);
		if (has_word(t[n].s, t[n].n))
			n++;
	}
	sq->match = query_expression(t, n);
	free(copy);
	if (sq->match == NULL && sq->from == NULL && sq->after == 0 &&
	    sq->before == 0) {
		archive_search_release(sq);
		return -1;
	}
	return 0;
}

/* "%word%" for LIKE, with its wildcards and the escape escaped. */
static char *
like_pattern(const char *s)
{
	struct buf b;

	buf_init(&b);
	buf_addc(&b, '%');
	for (; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			buf_addc(&b, '\\');
		buf_addc(&b, *s);
	}
	buf_addc(&b, '%');
	return buf_detach(&b, NULL);
}

/*
 * clean_marked - the marked subject as subjects are shown (list prefix
 * and stacked "Re:" gone); the plain one when the marks were in the way
 * of that (a search for "re").
 */
static void
clean_marked(struct search_hit *h, const char *prefix)
{
	char *c, *plain;
	size_t k = 0;

	if (h->subject_marked == NULL)
		return;
	c = subject_clean(h->subject_marked, prefix);
	plain = xstrdup(c);
	for (char *s = plain; *s; s++)
		if (*s != ARCHIVE_MARK_OPEN[0] && *s != ARCHIVE_MARK_CLOSE[0])
			plain[k++] = *s;
	plain[k] = '\0';
	if (strcmp(plain, h->p.subject)) {
		free(c);
		c = xstrdup(h->p.subject);
	}
	free(plain);
	free(h->subject_marked);
	h->subject_marked = c;
}

/* A hit's post, as the archive shows it. */
#define HIT_POST "SELECT p.id, p.num, p.thread_id, p.date, p.size, " \
	"p.message_id, p.sender, p.sender_name, p.subject, (SELECT s.value " \
	"FROM list_settings s WHERE s.list_id=p.list_id AND " \
	"s.key='subject_prefix') FROM posts p WHERE p.id=?"

struct run {
	struct db *db;
	int (*fn)(const struct search_hit *, void *);
	void *ctx;
	int status;
};

/* on_hit - one post the backend found: its row, and the marks cleaned */
static int
on_hit(const struct db_search_hit *bh, void *arg)
{
	struct run *r = arg;
	struct db_stmt *st = db_cached(r->db, HIT_POST);
	struct search_hit h;
	int stop = 0, rc;

	if (st == NULL) {
		r->status = KITH_PERM;
		return 1;
	}
	db_bind(st, "i", bh->id);
	if ((rc = db_step(st)) == DB_ROW) {
		const char *prefix = db_col_str(st, 9);

		memset(&h, 0, sizeof(h));
		h.p.id = db_col_int64(st, 0);
		h.p.num = db_col_int64(st, 1);
		h.p.thread_id = db_col_int64(st, 2);
		h.p.date = db_col_int64(st, 3);
		h.p.size = db_col_int64(st, 4);
		h.p.message_id = db_col_text(st, 5);
		h.p.sender = db_col_text(st, 6);
		h.p.sender_name = db_col_text(st, 7);
		h.p.subject = subject_clean((const char *)
		    db_col_str(st, 8), prefix ? prefix : "");
		h.subject_marked = bh->subject_marked ?
		    xstrdup(bh->subject_marked) : NULL;
		h.snippet = bh->snippet ? xstrdup(bh->snippet) : NULL;
		clean_marked(&h, prefix ? prefix : "");
		db_cached_done(st);
		stop = r->fn(&h, r->ctx);
		post_release(&h.p);
		free(h.subject_marked);
		free(h.snippet);
		return stop;
	}
	db_cached_done(st);
	if (rc != DB_DONE) {
		r->status = db_status(rc);
		return 1;
	}
	return 0;
}

/* The backend finds (db_search_posts: FTS5 on sqlite, tsvector and
 * pg_trgm on PostgreSQL); each hit is read as the archive shows it. */
int
archive_search_run(struct db *db, const struct search_opts *o,
    const struct search_query *sq,
    int (*fn)(const struct search_hit *, void *), void *ctx)
{
	struct run r = { db, fn, ctx, KITH_OK };
	struct db_search q;
	char *from = sq->from ? like_pattern(sq->from) : NULL;
	int st;

	memset(&q, 0, sizeof(q));
	q.match = sq->match;
	q.list_id = o->list_id;
	q.after = sq->after;
	q.before = sq->before;
	q.from = from;
	q.names_only = o->names_only;
	q.limit = o->limit > 0 ? o->limit : DEFAULT_LIMIT;
	q.offset = o->offset;
	st = db_search_posts(db, &q, on_hit, &r);
	free(from);
	return st != KITH_OK ? st : r.status;
}
