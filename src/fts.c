/* fts - the "kith" FTS5 tokenizer: unicode61, all diacritics, CJK bigrams. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kith/fts.h"
#include "db_sqlite.h"
#include "kith/log.h"
#include "kith/util.h"

#include "fts_fold.h"

struct fts_tok {
	fts5_tokenizer inner_api;	/* unicode61's methods */
	Fts5Tokenizer *inner;
};

/* A run of CJK characters, by byte offsets into the original text. */
struct cjk_run {
	int start, end;
};

struct tok_state {
	void *ctx;
	int (*xtoken)(void *, int, const char *, int, int, int);
	int query;		/* tokenizing a query, not a document */
	const char *text;	/* the original, from the chunk's start */
	int base;		/* the chunk's offset in the whole text */
	int *map;		/* folded offset -> original offset */
	struct cjk_run *runs;
	size_t nruns, next;
};

int
fts_is_cjk(uint32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x11FF) ||	/* Hangul jamo */
	    (cp >= 0x3040 && cp <= 0x30FF) ||	/* hiragana, katakana */
	    (cp >= 0x3130 && cp <= 0x318F) ||	/* Hangul compatibility jamo */
	    (cp >= 0x31F0 && cp <= 0x31FF) ||	/* katakana extensions */
	    (cp >= 0x3400 && cp <= 0x4DBF) ||	/* Han extension A */
	    (cp >= 0x4E00 && cp <= 0x9FFF) ||	/* Han */
	    (cp >= 0xA960 && cp <= 0xA97F) ||	/* Hangul jamo extended */
	    (cp >= 0xAC00 && cp <= 0xD7FF) ||	/* Hangul syllables */
	    (cp >= 0xF900 && cp <= 0xFAFF) ||	/* Han compatibility */
	    (cp >= 0xFF66 && cp <= 0xFF9F) ||	/* half-width katakana */
	    (cp >= 0x20000 && cp <= 0x3134F);	/* Han, planes 2 and 3 */
}

static int
is_mark(uint32_t cp)
{
	if (cp < fold_marks[0][0])
		return 0;
	for (size_t i = 0; i < sizeof(fold_marks) / sizeof(fold_marks[0]); i++)
		if (cp >= fold_marks[i][0] && cp <= fold_marks[i][1])
			return 1;
	return 0;
}

/* The base letter of cp, or cp. */
static uint32_t
fold(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(fold_table) / sizeof(fold_table[0]);

	if (cp < 0xC0 || cp > 0xFFFF)
		return cp;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (fold_table[mid][0] == cp)
			return fold_table[mid][1];
		if (fold_table[mid][0] < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return cp;
}

static size_t
utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * prepare - the text unicode61 reads: letters folded, diacritic marks
 * dropped, each CJK character a space (its run is kept in s->runs);
 * s->map gets each folded byte's original offset.  Never longer than
 * the text (a base letter is never longer than its accented form).
 */
static char *
prepare(struct tok_state *s, const char *text, int n, int *outlen)
{
	char *f = xmalloc((size_t)n + 1);
	size_t cap = 0;
	int i = 0, o = 0;

	s->map = xmalloc(((size_t)n + 1) * sizeof(int));
	while (i < n) {
		uint32_t cp;
		size_t len;

		/* ASCII, most of most mail: no CJK, no mark, nothing to fold
		 * (the checks below cost a hundred instructions a byte) */
		if ((unsigned char)text[i] < 0x80) {
			s->map[o] = i;
			f[o++] = text[i++];
			continue;
		}
		len = utf8_next(text + i, (size_t)(n - i), &cp);

		if (len == 0) {		/* a stray byte: as it is */
			s->map[o] = i;
			f[o++] = text[i++];
			continue;
		}
		if (fts_is_cjk(cp)) {
			if (s->nruns && s->runs[s->nruns - 1].end == i)
				s->runs[s->nruns - 1].end = i + (int)len;
			else {
				if (s->nruns == cap) {
					cap = cap ? cap * 2 : 16;
					s->runs = xrealloc(s->runs,
					    cap * sizeof(*s->runs));
				}
				s->runs[s->nruns].start = i;
				s->runs[s->nruns++].end = i + (int)len;
			}
			s->map[o] = i;
			f[o++] = ' ';
		} else if (!is_mark(cp)) {
			uint32_t base = fold(cp);
			size_t k = base == cp ? len : utf8_put(f + o, base);

			if (base == cp)
				memcpy(f + o, text + i, len);
			for (size_t j = 0; j < k; j++)
				s->map[o + (int)j] = i + (base == cp ? (int)j : 0);
			o += (int)k;
		}
		i += (int)len;
	}
	s->map[o] = n;
	f[o] = '\0';
	*outlen = o;
	return f;
}

char *
fts_fold_text(const char *text)
{
	size_t n = strlen(text), i = 0, o = 0;
	char *f = xmalloc(n * 4 + 1);	/* never longer, but no need to bet */

	while (i < n) {
		uint32_t cp;
		size_t len = utf8_next(text + i, n - i, &cp);

		if (len == 0) {		/* a stray byte: as it is */
			f[o++] = text[i++];
			continue;
		}
		if (!is_mark(cp))
			o += utf8_put(f + o, char_fold(fold(cp)));
		i += len;
	}
	f[o] = '\0';
	return f;
}

/* A token to FTS5, at offsets of the whole text. */
static int
emit(struct tok_state *s, int tflags, const char *tok, int n, int start,
    int end)
{
	return s->xtoken(s->ctx, tflags, tok, n, s->base + start,
	    s->base + end);
}

/* The tokens of one CJK run: pairs, and its last character alone. */
static int
emit_run(struct tok_state *s, const struct cjk_run *r)
{
	int off[4], k = 0, i = r->start, rc = SQLITE_OK;

	/* a sliding window of the last three character offsets */
	while (i < r->end && rc == SQLITE_OK) {
		uint32_t cp;
		size_t len = utf8_next(s->text + i, (size_t)(r->end - i), &cp);

		if (len == 0)
			len = 1;
		if (k == 3) {
			off[0] = off[1];
			off[1] = off[2];
			k = 2;
		}
		off[k++] = i;
		i += (int)len;
		off[k] = i;
		if (k >= 2)
			rc = emit(s, 0, s->text + off[k - 2],
			    off[k] - off[k - 2], off[k - 2], off[k]);
	}
	if (rc != SQLITE_OK)
		return rc;
	if (k == 1)		/* one character: itself */
		return emit(s, 0, s->text + off[0], off[1] - off[0],
		    off[0], off[1]);
	if (!s->query)
		return emit(s, FTS5_TOKEN_COLOCATED, s->text +
		    off[k - 1], off[k] - off[k - 1], off[k - 1], off[k]);
	return SQLITE_OK;
}

/* The CJK runs that start before offset (in the original text). */
static int
flush_runs(struct tok_state *s, int before)
{
	int rc = SQLITE_OK;

	while (s->next < s->nruns && s->runs[s->next].start < before &&
	    rc == SQLITE_OK)
		rc = emit_run(s, &s->runs[s->next++]);
	return rc;
}

static int
on_word(void *ctx, int tflags, const char *tok, int n, int start, int end)
{
	struct tok_state *s = ctx;
	int ostart = s->map[start], rc = flush_runs(s, ostart);

	if (rc != SQLITE_OK)
		return rc;
	return emit(s, tflags, tok, n, ostart, s->map[end]);
}

/*
 * chunk_end - where the chunk from start ends: CHUNK bytes on, moved back
 * to white space so that no word is cut (or to a character's start).
 * The map of a chunk is four bytes a byte: chunks keep it small for a
 * post of a megabyte.
 */
#define CHUNK 65536
static int
chunk_end(const char *text, int n, int start)
{
	int end = start + CHUNK, k;

	if (end >= n)
		return n;
	for (k = end; k > start + CHUNK / 2; k--)
		if (text[k] == ' ' || text[k] == '\n' || text[k] == '\t')
			return k;
	while (end > start && ((unsigned char)text[end] & 0xC0) == 0x80)
		end--;
	return end > start ? end : start + CHUNK;
}

/* An ASCII chunk's word, as unicode61 read it from the chunk itself. */
static int
on_ascii_word(void *ctx, int tflags, const char *tok, int n, int start,
    int end)
{
	return emit(ctx, tflags, tok, n, start, end);
}

/* ASCII only: nothing to fold, drop or pair (most of most mail) */
static int
is_ascii(const char *text, int n)
{
	unsigned char any = 0;

	for (int i = 0; i < n; i++)
		any |= (unsigned char)text[i];
	return any < 0x80;
}

static int
tok_tokenize(Fts5Tokenizer *p, void *ctx, int flags, const char *text, int n,
    int (*xtoken)(void *, int, const char *, int, int, int))
{
	struct fts_tok *t = (struct fts_tok *)p;
	int start = 0, rc = SQLITE_OK;

	while (start < n && rc == SQLITE_OK) {
		int end = chunk_end(text, n, start), flen;
		struct tok_state s;
		char *f;

		memset(&s, 0, sizeof(s));
		s.ctx = ctx;
		s.xtoken = xtoken;
		s.query = (flags & FTS5_TOKENIZE_QUERY) != 0;
		s.text = text + start;
		s.base = start;
		/* the text as it is: prepare's copy and its map of offsets
		 * were a third of the tokenizer's time on a 5 KB post */
		if (is_ascii(text + start, end - start)) {
			rc = t->inner_api.xTokenize(t->inner, &s, flags,
			    text + start, end - start, on_ascii_word);
			start = end;
			continue;
		}
		f = prepare(&s, text + start, end - start, &flen);
		rc = t->inner_api.xTokenize(t->inner, &s, flags, f, flen,
		    on_word);
		if (rc == SQLITE_OK)
			rc = flush_runs(&s, end - start + 1);
		free(f);
		free(s.map);
		free(s.runs);
		start = end;
	}
	return rc;
}

static int
tok_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **out)
{
	static const char *args[] = { "remove_diacritics", "2" };
	fts5_api *api = ctx;
	struct fts_tok *t = xcalloc(1, sizeof(*t));
	void *uctx = NULL;
	int rc;

	(void)argv;
	(void)argc;
	rc = api->xFindTokenizer(api, "unicode61", &uctx, &t->inner_api);
	if (rc == SQLITE_OK)
		rc = t->inner_api.xCreate(uctx, args, 2, &t->inner);
	if (rc != SQLITE_OK) {
		free(t);
		*out = NULL;
		return rc;
	}
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

static void
tok_delete(Fts5Tokenizer *p)
{
	struct fts_tok *t = (struct fts_tok *)p;

	if (t == NULL)
		return;
	t->inner_api.xDelete(t->inner);
	free(t);
}

/* The FTS5 API of db (sqlite's documented way to reach it). */
static fts5_api *
fts5_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return api;
}

int
fts_register(sqlite3 *db)
{
	fts5_tokenizer tok = { tok_create, tok_delete, tok_tokenize };
	fts5_api *api = fts5_of(db);

	if (api == NULL || api->iVersion < 2) {
		log_error("database: this sqlite has no FTS5");
		return -1;
	}
	if (api->xCreateTokenizer(api, "kith", api, &tok, NULL) != SQLITE_OK) {
		log_error("database: cannot register the search tokenizer");
		return -1;
	}
	return 0;
}
