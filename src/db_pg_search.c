/*
 * db_pg_search - the archive's search on PostgreSQL (db.h's
 * db_search_posts), the twin of sqlite's FTS5 search (db_sqlite.c).
 *
 * The query form (archive_search_parse's, FTS5's syntax) is read back
 * into its terms.  Each term is found in two parts:
 *  - its words, folded and split as the sqlite tokenizer does (the
 *    schema's kith_words: diacritics of every script, case), as a
 *    tsquery (kith_query: a phrase's words in a row, a prefix, weight A
 *    for subject:) against posts.search (kith_vector, a generated
 *    column) and its GIN index posts_search;
 *  - its Chinese, Japanese and Korean runs, which have no spaces between
 *    words, by substring (LIKE '%run%') with the trigram index
 *    posts_trgm, where FTS5 matches pairs of characters: the same posts.
 * Ranking is ts_rank with the subject's words weighing three times the
 * body's, as bm25(3, 1) does on sqlite; the two rank alike but not
 * equal (ts_rank knows no document frequencies), and Chinese, Japanese
 * and Korean runs do not rank (newest first among them).  As on sqlite,
 * without a filter (from:, dates) only the newest RANK_WINDOW matches
 * are ranked.  The subject is marked and the body's snippet made by
 * ts_headline (with unaccent's folding, kith_marks: nearly always the
 * words kith_fold found), the runs marked here.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db_backend.h"
#include "db_pg_schema.h"
#include "kith/fts.h"
#include "kith/util.h"

#define RANK_WINDOW 2000
#define SNIPPET_BEFORE 60	/* bytes of body shown before a run */
#define SNIPPET_AFTER 120
#define MARK_OPEN '\x01'
#define MARK_CLOSE '\x02'
#define ELLIPSIS "…"

/* One term of the query. */
struct term {
	char *text;
	int prefix, subject, negated;
	char *tsq;		/* its words as a tsquery (text), or NULL */
	char *hl;		/* the same without the subject's weight */
	char **runs;		/* its CJK runs */
	size_t nruns;
};

struct terms {
	struct term *t;
	size_t n;
};

/* The statement's parameters, numbered as they are added. */
struct args {
	char kind[512];		/* 't' text, 'i' int64, 'n' NULL */
	const char *txt[512];
	int64_t num[512];
	int n;
};

static void
terms_release(struct terms *ts)
{
	for (size_t i = 0; i < ts->n; i++) {
		struct term *t = &ts->t[i];

		free(t->text);
		free(t->tsq);
		free(t->hl);
		for (size_t k = 0; k < t->nruns; k++)
			free(t->runs[k]);
		free(t->runs);
	}
	free(ts->t);
	memset(ts, 0, sizeof(*ts));
}

/* The runs of Chinese, Japanese and Korean characters in t->text. */
static void
find_runs(struct term *t)
{
	const char *s = t->text, *start = NULL;
	size_t n = strlen(s), i = 0;

	while (i <= n) {
		uint32_t cp = 0;
		size_t len = i < n ? utf8_next(s + i, n - i, &cp) : 0;
		int cjk = len > 0 && fts_is_cjk(cp);

		if (cjk && start == NULL)
			start = s + i;
		if (!cjk && start) {
			t->runs = xrealloc(t->runs, (t->nruns + 1) *
			    sizeof(*t->runs));
			t->runs[t->nruns++] = xstrndup(start,
			    (size_t)(s + i - start));
			start = NULL;
		}
		i += len ? len : 1;
	}
}

/*
 * parse_match - the terms of the query form: quoted ('""' a quote),
 * "subject : " before, '*' after; those after NOT are negated.
 */
static void
parse_match(const char *p, struct terms *ts)
{
	int subject = 0, negated = 0;

	while (*p) {
		if (!strncmp(p, "subject : ", 10)) {
			subject = 1;
			p += 10;
		} else if (!strncmp(p, "NOT ", 4)) {
			negated = 1;
			p += 4;
		} else if (*p == '"') {
			struct buf b;
			struct term *t;

			buf_init(&b);
			for (p++; *p; p++) {
				if (*p == '"' && p[1] != '"')
					break;
				if (*p == '"')
					p++;
				buf_addc(&b, *p);
			}
			if (*p == '"')
				p++;
			ts->t = xrealloc(ts->t, (ts->n + 1) * sizeof(*ts->t));
			t = &ts->t[ts->n++];
			memset(t, 0, sizeof(*t));
			t->text = buf_detach(&b, NULL);
			t->subject = subject;
			t->negated = negated;
			if (*p == '*') {
				t->prefix = 1;
				p++;
			}
			find_runs(t);
			subject = 0;
		} else
			p++;
	}
}

/* Each term's words as the schema's kith_query makes them. */
static int
term_queries(struct db *db, struct terms *ts)
{
	struct db_stmt *st = db_prepare(db, "SELECT kith_query(?1, ?2<>0, "
	    "?3<>0)::text, kith_query(?1, ?2<>0, false)::text");
	int rc = DB_DONE;

	if (st == NULL)
		return KITH_PERM;
	for (size_t i = 0; i < ts->n && rc == DB_DONE; i++) {
		struct term *t = &ts->t[i];

		db_reset(st);
		db_bind(st, "tII", t->text, t->prefix, t->subject);
		if ((rc = db_step(st)) == DB_ROW) {
			if (db_col_str(st, 0))
				t->tsq = db_col_text(st, 0);
			if (db_col_str(st, 1))
				t->hl = db_col_text(st, 1);
			rc = db_step(st);
		}
	}
	db_finalize(st);
	return rc == DB_DONE ? KITH_OK : db_status(rc);
}

static int
arg(struct args *a, char kind, const char *s, int64_t v)
{
	if (a->n >= (int)sizeof(a->kind))
		return -1;
	a->kind[a->n] = s || kind != 't' ? kind : 'n';
	a->txt[a->n] = s;
	a->num[a->n] = v;
	return ++a->n;
}

/* "?N" of a new text parameter. */
static void
add_text(struct buf *b, struct args *a, const char *s)
{
	buf_addf(b, "?%d", arg(a, 't', s, 0));
}

/* The filters every search shares. */
static void
add_filters(struct buf *b, struct args *a, const struct db_search *q)
{
	int from = arg(a, 't', q->from, 0);

	buf_addf(b, "p.list_id=?%d AND p.archived<>0", arg(a, 'i', NULL,
	    q->list_id));
	if (q->after)
		buf_addf(b, " AND p.received>=?%d", arg(a, 'i', NULL,
		    q->after));
	if (q->before)
		buf_addf(b, " AND p.received<?%d", arg(a, 'i', NULL,
		    q->before));
	if (q->from)
		buf_addf(b, " AND (p.sender_name LIKE ?%d ESCAPE '\\' OR "
		    "%s LIKE ?%d ESCAPE '\\')", from, q->names_only ?
		    "substr(p.sender, 1, strpos(p.sender, '@'))" : "p.sender",
		    from);
	else
		buf_addf(b, " AND ?%d::text IS NULL", from);
}

/*
 * add_term - the condition of one term: its words and its runs, all of
 * them; 0 when it has neither (nothing of it is a word).
 */
static int
add_term(struct buf *b, struct args *a, const struct term *t)
{
	int parts = 0;

	if (t->tsq) {
		buf_adds(b, "p.search @@ ");
		add_text(b, a, t->tsq);
		buf_adds(b, "::tsquery");
		parts++;
	}
	for (size_t k = 0; k < t->nruns; k++) {
		char *like = xasprintf("%%%s%%", t->runs[k]);

		buf_adds(b, parts++ ? " AND " : "");
		buf_adds(b, t->subject ? "p.subject LIKE " :
		    "(p.subject || ' ' || p.body) LIKE ");
		buf_addf(b, "?%d", arg(a, 't', like, 0));
		/* kept until the statement is done: freed with the args */
		a->kind[a->n - 1] = 'T';
	}
	return parts;
}

/* The words of the positive terms joined by op ("&" or "|"), of tsq or
 * hl; NULL when none has words. */
static char *
joined(const struct terms *ts, const char *op, int hl)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < ts->n; i++) {
		const char *q = hl ? ts->t[i].hl : ts->t[i].tsq;

		if (ts->t[i].negated || q == NULL)
			continue;
		buf_addf(&b, "%s(%s)", b.len ? op : "", q);
	}
	if (b.len == 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/*
 * ranked_sql - the search with words: the matches (the newest
 * RANK_WINDOW without a filter), ranked, the page of them, with the
 * subject marked and a snippet of the body.
 */
static char *
ranked_sql(const struct db_search *q, const struct terms *ts,
    struct args *a, const char *all, const char *hl)
{
	struct buf b, cond;
	int npos = 0, qall = all ? arg(a, 't', all, 0) : 0, win;

	buf_init(&cond);
	for (size_t i = 0; i < ts->n; i++) {
		const struct term *t = &ts->t[i];
		size_t mark = cond.len;

		if (t->negated)
			continue;
		buf_adds(&cond, " AND ");
		if (add_term(&cond, a, t))
			npos++;
		else {
			cond.len = mark;
			cond.data[mark] = '\0';
		}
	}
	/* a query of no word at all ("…"): nothing, as on sqlite */
	if (npos == 0)
		buf_adds(&cond, " AND false");
	for (size_t i = 0; i < ts->n; i++) {
		size_t mark = cond.len;

		if (!ts->t[i].negated)
			continue;
		buf_adds(&cond, " AND NOT (");
		if (add_term(&cond, a, &ts->t[i]))
			buf_addc(&cond, ')');
		else {
			cond.len = mark;
			cond.data[mark] = '\0';
		}
	}
	/* LIMIT NULL: all of them */
	win = q->from || q->after || q->before ? arg(a, 'n', NULL, 0) :
	    arg(a, 'i', NULL, RANK_WINDOW);
	buf_init(&b);
	buf_adds(&b, "SELECT w.id, ");
	if (hl) {
		int h = arg(a, 't', hl, 0);

		buf_addf(&b, "ts_headline('kith_marks', p.subject, ?%d::tsquery, "
		    "'HighlightAll=true, StartSel=\x01, StopSel=\x02'), "
		    "ts_headline('kith_marks', p.body, ?%d::tsquery, 'MaxWords=24, "
		    "MinWords=12, ShortWord=0, StartSel=\x01, StopSel=\x02'), ",
		    h, h);
	} else
		buf_adds(&b, "NULL, NULL, ");
	buf_adds(&b, "p.subject, p.body FROM (SELECT c.id, ");
	if (qall)
		buf_addf(&b, "ts_rank('{0.1, 0.1, 0.1, 0.3}', c.search, "
		    "?%d::tsquery, 1)", qall);
	else
		buf_adds(&b, "0");
	buf_adds(&b, " AS score FROM (SELECT p.id, p.search FROM posts p "
	    "WHERE ");
	add_filters(&b, a, q);
	buf_adds(&b, cond.data ? cond.data : "");
	buf_addf(&b, " ORDER BY p.id DESC LIMIT ?%d) c ORDER BY score DESC, "
	    "c.id DESC LIMIT ?%d OFFSET ?%d) w JOIN posts p ON p.id=w.id "
	    "ORDER BY w.score DESC, w.id DESC", win, arg(a, 'i', NULL,
	    q->limit), arg(a, 'i', NULL, q->offset));
	buf_release(&cond);
	return buf_detach(&b, NULL);
}

/* The search without words: the newest first. */
static char *
newest_sql(const struct db_search *q, struct args *a)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "SELECT p.id, NULL, NULL, NULL, NULL FROM posts p WHERE ");
	add_filters(&b, a, q);
	buf_addf(&b, " ORDER BY p.received DESC, p.id DESC LIMIT ?%d OFFSET "
	    "?%d", arg(a, 'i', NULL, q->limit), arg(a, 'i', NULL, q->offset));
	return buf_detach(&b, NULL);
}

/* s with every run of the positive terms marked. */
static char *
mark_runs(const char *s, const struct terms *ts)
{
	struct buf b;

	buf_init(&b);
	while (*s) {
		size_t best = 0;

		for (size_t i = 0; i < ts->n; i++)
			for (size_t k = 0; !ts->t[i].negated &&
			    k < ts->t[i].nruns; k++) {
				size_t n = strlen(ts->t[i].runs[k]);

				if (n > best && !strncmp(s, ts->t[i].runs[k], n))
					best = n;
			}
		if (best) {
			buf_addc(&b, MARK_OPEN);
			buf_add(&b, s, best);
			buf_addc(&b, MARK_CLOSE);
			s += best;
		} else
			buf_addc(&b, *s++);
	}
	return buf_detach(&b, NULL);
}

/* Back from p (in s) to a character's start. */
static const char *
char_start(const char *s, const char *p)
{
	while (p > s && ((unsigned char)*p & 0xC0) == 0x80)
		p--;
	return p;
}

/*
 * run_window - a snippet of body around the first run of the positive
 * terms found in it, or its start: what snippet() shows where the
 * words were pairs of characters.
 */
static char *
run_window(const char *body, const struct terms *ts)
{
	const char *first = NULL, *from, *to, *end = body + strlen(body);

	for (size_t i = 0; i < ts->n; i++)
		for (size_t k = 0; !ts->t[i].negated && k < ts->t[i].nruns;
		    k++) {
			const char *f = strstr(body, ts->t[i].runs[k]);

			if (f && (first == NULL || f < first))
				first = f;
		}
	if (first == NULL)
		first = body;
	from = first - body > SNIPPET_BEFORE ? char_start(body, first -
	    SNIPPET_BEFORE) : body;
	to = end - first > SNIPPET_AFTER ? char_start(body, first +
	    SNIPPET_AFTER) : end;
	return xstrndup(from, (size_t)(to - from));
}

/* Without its marks. */
static char *
plain(const char *s)
{
	char *o = xstrdup(s);
	size_t k = 0;

	for (const char *p = s; *p; p++)
		if (*p != MARK_OPEN && *p != MARK_CLOSE)
			o[k++] = *p;
	o[k] = '\0';
	return o;
}

/* s[0..*n) without the white space at either end. */
static const char *
trim(const char *s, size_t *n)
{
	while (*n > 0 && strchr(" \t\r\n", *s)) {
		s++;
		(*n)--;
	}
	while (*n > 0 && strchr(" \t\r\n", s[*n - 1]))
		(*n)--;
	return s;
}

/* snip with "…" where it cuts body short, its runs marked. */
static char *
snippet_of(const char *snip, const char *body, const struct terms *ts)
{
	char *pl = plain(snip), *marked = mark_runs(snip, ts), *out;
	size_t bn = strlen(body), pn = strlen(pl);
	const char *b = trim(body, &bn), *p = trim(pl, &pn);

	out = xasprintf("%s%s%s", pn && (bn < pn || strncmp(b, p, pn)) ?
	    ELLIPSIS : "", marked, pn && (bn < pn || strncmp(b + bn - pn, p,
	    pn)) ? ELLIPSIS : "");
	free(pl);
	free(marked);
	return out;
}

/* The hit of the current row: marks of the words (ts_headline) and of
 * the runs (here). */
static int
hit(struct db_stmt *st, const struct terms *ts, int words,
    int (*fn)(const struct db_search_hit *, void *), void *ctx)
{
	struct db_search_hit h;
	char *subject = NULL, *snippet = NULL, *raw = NULL;
	int stop;

	memset(&h, 0, sizeof(h));
	h.id = db_col_int64(st, 0);
	if (db_col_str(st, 3)) {
		const char *body = db_col_str(st, 4);

		subject = mark_runs(words ? db_col_str(st, 1) :
		    db_col_str(st, 3), ts);
		raw = words ? xstrdup(db_col_str(st, 2)) :
		    run_window(body, ts);
		snippet = snippet_of(raw, body, ts);
	}
	h.subject_marked = subject;
	h.snippet = snippet;
	stop = fn(&h, ctx);
	free(subject);
	free(snippet);
	free(raw);
	return stop;
}

int
db_pg_search_posts(struct db *db, const struct db_search *q,
    int (*fn)(const struct db_search_hit *, void *), void *ctx)
{
	struct terms ts = { NULL, 0 };
	struct args a;
	struct db_stmt *st;
	char *sql, *all = NULL, *hl = NULL;
	int rc, status = KITH_OK;

	memset(&a, 0, sizeof(a));
	if (q->match) {
		parse_match(q->match, &ts);
		if ((status = term_queries(db, &ts)) != KITH_OK) {
			terms_release(&ts);
			return status;
		}
		all = joined(&ts, " & ", 0);
		hl = joined(&ts, " | ", 1);
		sql = ranked_sql(q, &ts, &a, all, hl);
	} else
		sql = newest_sql(q, &a);
	st = db_prepare(db, sql);
	free(sql);
	if (st == NULL) {
		status = KITH_PERM;
		goto done;
	}
	for (int i = 0; i < a.n; i++) {
		if (a.kind[i] == 'i')
			db_bind_int64(st, i + 1, a.num[i]);
		else if (a.kind[i] == 'n')
			db_bind_null(st, i + 1);
		else
			db_bind_text(st, i + 1, a.txt[i], -1);
	}
	while ((rc = db_step(st)) == DB_ROW)
		if (hit(st, &ts, hl != NULL, fn, ctx))
			break;
	if (rc != DB_ROW && rc != DB_DONE)
		status = db_status(rc);
	db_finalize(st);
done:
	for (int i = 0; i < a.n; i++)
		if (a.kind[i] == 'T')
			free((char *)a.txt[i]);
	free(all);
	free(hl);
	terms_release(&ts);
	return status;
}
