/*
 * template - finding texts and expanding them.  Four parts: the value
 * tree (tv_*), the parser (text -> a tree of nodes, every syntax error
 * found before anything is printed), the evaluator (nodes + values ->
 * text), and the search and check around them.  docs/TEMPLATES.md is
 * the reference; include/kith/template.h the contract.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "kith/i18n.h"
#include "kith/rfc2047.h"
#include "kith/template.h"
#include "kith/util.h"

#ifndef KITH_TEMPLATE_DIR
#define KITH_TEMPLATE_DIR "/usr/local/share/kith/templates"
#endif
#ifndef KITH_SOURCE_TEMPLATE_DIR
#define KITH_SOURCE_TEMPLATE_DIR KITH_TEMPLATE_DIR
#endif

/* Limits: whatever a template or a value holds, a render stays small. */
#define MAX_FILE	(1 << 20)	/* bytes of one template */
#define MAX_OUTPUT	(32 << 20)	/* bytes one render may write */
#define MAX_DEPTH	16		/* blocks inside blocks */
#define MAX_STEPS	1000000		/* nodes visited, loop turns counted */
#define MAX_TAG		1000		/* bytes of one {{...}} */
#define MAX_FORMS	6		/* zero one two few many other */
#define MAX_WIDTH	200		/* {{pad x N}} */
#define MAX_REPEAT	1000		/* {{repeat n "#"}} */

static const char *const shipped_dirs[] = {
	KITH_TEMPLATE_DIR, KITH_SOURCE_TEMPLATE_DIR
};
#define NSHIPPED (sizeof(shipped_dirs) / sizeof(shipped_dirs[0]))

/* ==== values ==== */

enum vtype { V_STR, V_INT, V_BOOL, V_HTML, V_LIST };

struct tvalue {
	char *name;
	enum vtype type;
	char *s;		/* V_STR, V_HTML; V_INT: a time's zone or NULL */
	long long n;		/* V_INT, V_BOOL */
	struct tvlist *list;	/* V_LIST */
};

struct tvars {
	struct tvalue *v;
	size_t n, cap;
	const struct tvars *outer;
};

struct tvlist {
	struct tvars **item;
	size_t n, cap;
};

struct tvars *
tv_new(void)
{
	return xcalloc(1, sizeof(struct tvars));
}

static void
list_free(struct tvlist *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		tv_free(l->item[i]);
	free(l->item);
	free(l);
}

static void
value_clear(struct tvalue *v)
{
	free(v->s);
	list_free(v->list);
	v->s = NULL;
	v->list = NULL;
	v->n = 0;
}

void
tv_free(struct tvars *tv)
{
	if (tv == NULL)
		return;
	for (size_t i = 0; i < tv->n; i++) {
		value_clear(&tv->v[i]);
		free(tv->v[i].name);
	}
	free(tv->v);
	free(tv);
}

/* value_append - a new slot for name at the end of tv, of type t. */
static struct tvalue *
value_append(struct tvars *tv, const char *name, enum vtype t)
{
	struct tvalue *v;

	if (tv->n == tv->cap) {
		tv->cap = tv->cap ? 2 * tv->cap : 16;
		tv->v = xrealloc(tv->v, tv->cap * sizeof(*tv->v));
	}
	v = &tv->v[tv->n++];
	memset(v, 0, sizeof(*v));
	v->name = xstrdup(name);
	v->type = t;
	return v;
}

/* value_set - the slot for name in tv, emptied, of type t. */
static struct tvalue *
value_set(struct tvars *tv, const char *name, enum vtype t)
{
	for (size_t i = 0; i < tv->n; i++)
		if (!strcmp(tv->v[i].name, name)) {
			value_clear(&tv->v[i]);
			tv->v[i].type = t;
			return &tv->v[i];
		}
	return value_append(tv, name, t);
}

void
tv_str(struct tvars *tv, const char *name, const char *s)
{
	value_set(tv, name, V_STR)->s = xstrdup(s ? s : "");
}

void
tv_strf(struct tvars *tv, const char *name, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_init(&b);
	buf_grow(&b, n > 0 ? (size_t)n + 1 : 1);
	va_start(ap, fmt);
	vsnprintf(b.data, b.cap, fmt, ap);
	va_end(ap);
	s = buf_detach(&b, NULL);
	value_set(tv, name, V_STR)->s = s;
}

void
tv_int(struct tvars *tv, const char *name, long long n)
{
	value_set(tv, name, V_INT)->n = n;
}

void
tv_time(struct tvars *tv, const char *name, int64_t t, const char *tz)
{
	struct tvalue *v = value_set(tv, name, V_INT);

	v->n = t;
	v->s = tz && *tz ? xstrdup(tz) : NULL;
}

void
tv_bool(struct tvars *tv, const char *name, int yes)
{
	value_set(tv, name, V_BOOL)->n = yes != 0;
}

void
tv_bool_new(struct tvars *tv, const char *name, int yes)
{
	value_append(tv, name, V_BOOL)->n = yes != 0;
}

void
tv_html(struct tvars *tv, const char *name, const char *html)
{
	value_set(tv, name, V_HTML)->s = xstrdup(html ? html : "");
}

struct tvlist *
tv_list(struct tvars *tv, const char *name)
{
	struct tvalue *v = value_set(tv, name, V_LIST);

	v->list = xcalloc(1, sizeof(*v->list));
	return v->list;
}

struct tvars *
tv_item(struct tvlist *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->item = xrealloc(l->item, l->cap * sizeof(*l->item));
	}
	return l->item[l->n++] = tv_new();
}

void
tv_inherit(struct tvars *tv, const struct tvars *outer)
{
	tv->outer = outer;
}

/* tv_get - name's value in tv or the records it inherits from. */
static const struct tvalue *
tv_get(const struct tvars *tv, const char *name)
{
	for (; tv; tv = tv->outer)
		for (size_t i = 0; i < tv->n; i++)
			if (!strcmp(tv->v[i].name, name))
				return &tv->v[i];
	return NULL;
}

struct tvars *
tv_from_vars(const struct template_var *vars, int nvars)
{
	struct tvars *tv = tv_new();

	for (int i = 0; i < nvars; i++)
		if (tv_get(tv, vars[i].name) == NULL)	/* the first wins */
			tv_str(tv, vars[i].name, vars[i].value);
	return tv;
}

const char *
tv_get_str(const struct tvars *tv, const char *name)
{
	const struct tvalue *v = tv_get(tv, name);

	return v && (v->type == V_STR || v->type == V_HTML) ? v->s : NULL;
}

/* ==== parser ==== */

enum nkind {
	N_TEXT, N_VAR, N_IF, N_UNLESS, N_EACH, N_PLURAL, N_DATE, N_PAD,
	N_PADLEFT, N_REPEAT
};

struct node {
	enum nkind kind;
	int line;
	const char *src;	/* N_TEXT: the text; else the whole tag */
	size_t len;
	char *name;		/* the value it reads */
	char **arg;		/* its "strings" */
	size_t narg;
	long num;		/* pad width */
	struct node *body, *alt;	/* blocks: then/else */
	struct node *next;
};

static void
node_free(struct node *n)
{
	while (n) {
		struct node *next = n->next;

		node_free(n->body);
		node_free(n->alt);
		for (size_t i = 0; i < n->narg; i++)
			free(n->arg[i]);
		free(n->arg);
		free(n->name);
		free(n);
		n = next;
	}
}

/* One piece of the source: text, or a tag with its inside. */
struct token {
	int tag;
	const char *start;	/* text, or "{{" */
	size_t len;		/* through "}}" for a tag */
	int line;
	int standalone;		/* a block tag alone on its line */
};

struct parser {
	const char *where;
	struct token *tok;
	size_t ntok, pos;
	char *err;
	size_t errlen;
};

static int
fail(char *err, size_t errlen, const char *where, int line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* fail - "FILE:LINE: what" in err; returns -1. */
static int
fail(char *err, size_t errlen, const char *where, int line,
    const char *fmt, ...)
{
	int n = where ? snprintf(err, errlen, "%s:%d: ", where, line) :
	    snprintf(err, errlen, "line %d: ", line);
	va_list ap;

	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static void
add_token(struct token **tok, size_t *n, int tag, const char *s,
    size_t len, int line)
{
	*tok = xrealloc(*tok, (*n + 1) * sizeof(**tok));
	(*tok)[(*n)++] = (struct token){ tag, s, len, line, 0 };
}

/* tag_end - just past the "}}" closing the tag at s ("{{"), or NULL. */
static const char *
tag_end(const char *s)
{
	int quoted = 0;

	for (const char *p = s + 2; *p && *p != '\n' && p - s < MAX_TAG; p++) {
		if (quoted && *p == '\\' && p[1] && p[1] != '\n')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && p[0] == '}' && p[1] == '}')
			return p + 2;
	}
	return NULL;
}

static int
count_lines(const char *s, size_t n)
{
	int lines = 0;

	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	return lines;
}

/* Block tags (#x, /x, else, !comment) vanish with their line if alone. */
static int
block_tag(const struct token *t)
{
	const char *in = t->start + 2;

	in += strspn(in, " \t");
	return *in == '#' || *in == '/' || *in == '!' ||
	    (!strncmp(in, "else", 4) && (in[4] == ' ' || in[4] == '}'));
}

static int
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/*
 * standalone - mark block tags alone on their line and cut that line
 * (indent and newline) from the texts around them, so that a text
 * template can put {{#each}} on a line of its own.
 */
static void
standalone(struct token *tok, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct token *prev = i ? &tok[i - 1] : NULL;
		const struct token *next = i + 1 < n ? &tok[i + 1] : NULL;
		const char *nl;
		size_t k;

		if (!tok[i].tag || !block_tag(&tok[i]))
			continue;
		if (prev && prev->tag)
			continue;
		if (prev) {
			for (k = prev->len; k > 0 && prev->start[k - 1] != '\n';
			    k--)
				;
			if (!blank(prev->start + k, prev->len - k) ||
			    (k == 0 && i > 1))
				continue;
		}
		if (next && next->tag)
			continue;
		if (next) {
			nl = memchr(next->start, '\n', next->len);
			k = nl ? (size_t)(nl - next->start) : next->len;
			if (k && next->start[k - 1] == '\r')
				k--;
			if (!blank(next->start, k) || (!nl && i + 2 < n))
				continue;
		}
		tok[i].standalone = 1;
	}
	/* Cut after marking: two such lines in a row share a text. */
	for (size_t i = 0; i < n; i++) {
		if (!tok[i].standalone)
			continue;
		if (i > 0) {
			struct token *p = &tok[i - 1];

			while (p->len > 0 && p->start[p->len - 1] != '\n')
				p->len--;
		}
		if (i + 1 < n) {
			struct token *x = &tok[i + 1];
			const char *nl = memchr(x->start, '\n', x->len);
			size_t cut = nl ? (size_t)(nl - x->start) + 1 : x->len;

			if (cut > x->len)
				cut = x->len;
			x->start += cut;
			x->len -= cut;
			x->line += nl ? 1 : 0;
		}
	}
}

/* tokenize - text into tokens; -1 with err for a "{{" never closed. */
static int
tokenize(struct parser *ps, const char *text, int line)
{
	const char *p = text;

	while (*p) {
		const char *open = strstr(p, "{{"), *end;

		if (open == NULL) {
			add_token(&ps->tok, &ps->ntok, 0, p, strlen(p), line);
			break;
		}
		if (open > p)
			add_token(&ps->tok, &ps->ntok, 0, p,
			    (size_t)(open - p), line);
		line += count_lines(p, (size_t)(open - p));
		if ((end = tag_end(open)) == NULL)
			return fail(ps->err, ps->errlen, ps->where, line,
			    "'{{' without '}}' on its line");
		add_token(&ps->tok, &ps->ntok, 1, open, (size_t)(end - open),
		    line);
		p = end;
	}
	standalone(ps->tok, ps->ntok);
	return 0;
}

/* A word of a tag: a bare name or number, or a "string" unquoted. */
struct word {
	char *s;
	int quoted;
};

static void
words_free(struct word *w, int *nw)
{
	for (int i = 0; i < *nw; i++)
		free(w[i].s);
	*nw = 0;
}

/*
 * split - the words inside a tag (between "{{" and "}}"); -1 and none
 * for a string never closed or too many words.
 */
static int
split(const char *in, size_t len, struct word *w, int max, int *nw)
{
	const char *p = in, *end = in + len;

	*nw = 0;
	while (p < end) {
		struct buf b;

		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (*nw == max) {
			words_free(w, nw);
			return -1;
		}
		buf_init(&b);
		buf_adds(&b, "");
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				buf_addc(&b, *p);
			}
			if (p == end) {
				buf_release(&b);
				words_free(w, nw);
				return -1;
			}
			p++;
			w[*nw].quoted = 1;
		} else {
			while (p < end && *p != ' ' && *p != '\t' && *p != '"')
				buf_addc(&b, *p++);
			w[*nw].quoted = 0;
		}
		w[(*nw)++].s = buf_detach(&b, NULL);
	}
	return 0;
}

/* A name a template may read: letters, digits, "_.-", or @index etc. */
static int
valid_name(const char *s, int quoted)
{
	if (quoted || *s == '\0')
		return 0;
	if (*s == '@')
		return !strcmp(s, "@index") || !strcmp(s, "@first") ||
		    !strcmp(s, "@last");
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' ||
		    *s == '-'))
			return 0;
	return 1;
}

static const char *const date_styles[] = {
	"date", "datetime", "time", "dateshort", "monthyear"
};

/* tag_node - the node of a tag that is no block; -1 with err if bad. */
static int
tag_node(struct parser *ps, const struct token *t, struct word *w, int nw,
    struct node *n)
{
	const char *f = w[0].s;
	char *end;

	n->line = t->line;
	if (nw == 1 && valid_name(f, w[0].quoted)) {
		n->kind = N_VAR;
		n->name = xstrdup(f);
		return 0;
	}
	if (nw < 2 || w[0].quoted || !valid_name(w[1].s, w[1].quoted))
		goto bad;
	n->name = xstrdup(w[1].s);
	if (!strcmp(f, "plural")) {
		n->kind = N_PLURAL;
		if (nw < 3)
			return fail(ps->err, ps->errlen, ps->where, t->line,
			    "'%.*s' has no forms", (int)t->len, t->start);
	} else if (!strcmp(f, "date")) {
		n->kind = N_DATE;
		if (nw != 3)
			goto bad;
		for (size_t i = 0; i < sizeof(date_styles) /
		    sizeof(date_styles[0]); i++)
			if (!strcmp(w[2].s, date_styles[i]))
				goto args;
		return fail(ps->err, ps->errlen, ps->where, t->line, "'%.*s': "
		    "no date style '%s' (date, datetime, time, dateshort, "
		    "monthyear)", (int)t->len, t->start, w[2].s);
	} else if (!strcmp(f, "pad") || !strcmp(f, "padleft")) {
		n->kind = f[3] ? N_PADLEFT : N_PAD;
		if (nw != 3 || w[2].quoted)
			goto bad;
		errno = 0;
		n->num = strtol(w[2].s, &end, 10);
		if (*end || errno || n->num < 1 || n->num > MAX_WIDTH)
			return fail(ps->err, ps->errlen, ps->where, t->line,
			    "'%.*s': the width is a number from 1 to %d",
			    (int)t->len, t->start, MAX_WIDTH);
		return 0;
	} else if (!strcmp(f, "repeat")) {
		n->kind = N_REPEAT;
		if (nw != 3)
			goto bad;
	} else
		goto bad;
args:
	for (int i = 2; i < nw; i++) {
		if (!w[i].quoted)
			goto bad;
		n->arg = xrealloc(n->arg, (n->narg + 1) * sizeof(*n->arg));
		n->arg[n->narg++] = xstrdup(w[i].s);
	}
	return 0;
bad:
	return fail(ps->err, ps->errlen, ps->where, t->line,
	    "unknown construct '%.*s'", (int)t->len, t->start);
}

static int parse_seq(struct parser *ps, int depth, struct node **head,
    const struct token **stop);

/* block_node - #if, #unless, #each with its body, else part and end. */
static int
block_node(struct parser *ps, const struct token *t, struct word *w, int nw,
    int depth, struct node *n)
{
	const char *kw = w[0].s + 1;
	const struct token *stop;
	char close[16];

	n->line = t->line;
	if (!strcmp(kw, "if"))
		n->kind = N_IF;
	else if (!strcmp(kw, "unless"))
		n->kind = N_UNLESS;
	else if (!strcmp(kw, "each"))
		n->kind = N_EACH;
	else
		return fail(ps->err, ps->errlen, ps->where, t->line,
		    "unknown construct '%.*s'", (int)t->len, t->start);
	if (nw != 2 || !valid_name(w[1].s, w[1].quoted) ||
	    (n->kind == N_EACH && w[1].s[0] == '@'))
		return fail(ps->err, ps->errlen, ps->where, t->line,
		    "'%.*s' takes one name", (int)t->len, t->start);
	if (depth >= MAX_DEPTH)
		return fail(ps->err, ps->errlen, ps->where, t->line,
		    "blocks nested more than %d deep", MAX_DEPTH);
	n->name = xstrdup(w[1].s);
	snprintf(close, sizeof(close), "/%s", kw);
	if (parse_seq(ps, depth + 1, &n->body, &stop) < 0)
		return -1;
	if (stop && stop->start[2 + strspn(stop->start + 2, " \t")] == 'e') {
		if (parse_seq(ps, depth + 1, &n->alt, &stop) < 0)
			return -1;
		if (stop && stop->start[2 + strspn(stop->start + 2, " \t")] ==
		    'e')
			return fail(ps->err, ps->errlen, ps->where, stop->line,
			    "a second '{{else}}' in '%.*s' of line %d",
			    (int)t->len, t->start, t->line);
	}
	if (stop == NULL)
		return fail(ps->err, ps->errlen, ps->where, t->line,
		    "'%.*s' is never closed with '{{%s}}'", (int)t->len,
		    t->start, close);
	{
		struct word cw[2];
		int ncw, same;

		split(stop->start + 2, stop->len - 4, cw, 2, &ncw);
		same = ncw == 1 && !strcmp(cw[0].s, close);
		words_free(cw, &ncw);
		if (!same)
			return fail(ps->err, ps->errlen, ps->where, stop->line,
			    "'%.*s' closes '%.*s' of line %d", (int)stop->len,
			    stop->start, (int)t->len, t->start, t->line);
	}
	return 0;
}

/*
 * parse_seq - nodes up to the end, an {{else}} or a {{/...}}; *stop gets
 * that token (NULL at the end).  depth counts the blocks around.
 */
static int
parse_seq(struct parser *ps, int depth, struct node **head,
    const struct token **stop)
{
	struct node **tail = head;

	*stop = NULL;
	while (ps->pos < ps->ntok) {
		const struct token *t = &ps->tok[ps->pos++];
		struct word w[MAX_FORMS + 2];
		struct node *n;
		int nw, rc;

		if (!t->tag) {
			if (t->len == 0)
				continue;
			n = xcalloc(1, sizeof(*n));
			n->kind = N_TEXT;
			n->src = t->start;
			n->len = t->len;
			n->line = t->line;
			*tail = n;
			tail = &n->next;
			continue;
		}
		if (t->start[2 + strspn(t->start + 2, " \t")] == '!')
			continue;
		if (t->start[2] == '{')
			return fail(ps->err, ps->errlen, ps->where, t->line,
			    "'{{{' is not offered: every value is escaped in "
			    ".html templates (see docs/TEMPLATES.md)");
		if (split(t->start + 2, t->len - 4, w, MAX_FORMS + 2, &nw) < 0)
			return fail(ps->err, ps->errlen, ps->where, t->line,
			    "unknown construct '%.*s'", (int)t->len,
			    t->start);
		if (nw == 0)
			rc = fail(ps->err, ps->errlen, ps->where, t->line,
			    "empty '{{}}'");
		else if (!w[0].quoted && (w[0].s[0] == '/' ||
		    !strcmp(w[0].s, "else"))) {
			rc = 1;
			if (depth == 0)
				rc = fail(ps->err, ps->errlen, ps->where,
				    t->line, "'%.*s' outside any block",
				    (int)t->len, t->start);
			else if (nw != 1)
				rc = fail(ps->err, ps->errlen, ps->where,
				    t->line, "unknown construct '%.*s'",
				    (int)t->len, t->start);
			*stop = t;
		} else {
			n = xcalloc(1, sizeof(*n));
			n->src = t->start;
			n->len = t->len;
			*tail = n;
			tail = &n->next;
			rc = !w[0].quoted && w[0].s[0] == '#' ?
			    block_node(ps, t, w, nw, depth, n) :
			    tag_node(ps, t, w, nw, n);
		}
		words_free(w, &nw);
		if (rc)
			return rc < 0 ? -1 : 0;
	}
	return 0;
}

/* parse - text (its first line is line) into nodes; -1 with err. */
static int
parse(const char *text, const char *where, int line, struct node **out,
    char *err, size_t errlen)
{
	struct parser ps = { where, NULL, 0, 0, err, errlen };
	const struct token *stop;
	int rc = tokenize(&ps, text, line);

	*out = NULL;
	if (rc == 0)
		rc = parse_seq(&ps, 0, out, &stop);
	free(ps.tok);
	if (rc < 0) {
		node_free(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * The texts this thread parsed lately, newest in the next slot: kith
 * serve renders the same few pages and notices for every request, and
 * parsing was about half of rendering one.  Keyed by the whole text (a
 * copy, which the nodes point into), where it is from and its first
 * line, so that a text changed on disk is parsed anew.  Per thread: the
 * nodes are only read while they are evaluated, and no lock is needed.
 */
#define PARSED_MAX 32
struct parsed {
	char *text, *where;
	int line;
	struct node *nodes;
};
static _Thread_local struct parsed parsed[PARSED_MAX];
static _Thread_local unsigned parsed_next;

static void
parsed_clear(void)
{
	for (size_t i = 0; i < PARSED_MAX; i++) {
		node_free(parsed[i].nodes);
		free(parsed[i].text);
		free(parsed[i].where);
		memset(&parsed[i], 0, sizeof(parsed[i]));
	}
}

/* parse_kept - parse's nodes for text into *out (borrowed: this
 * thread's cache keeps them), parsed now or before; -1 with err when the
 * text does not parse. */
static int
parse_kept(const char *text, const char *where, int line,
    const struct node **out, char *err, size_t errlen)
{
	struct parsed *p;

	for (size_t i = 0; i < PARSED_MAX; i++) {
		p = &parsed[i];
		if (p->text && p->line == line && !strcmp(p->where, where ?
		    where : "") && !strcmp(p->text, text)) {
			*out = p->nodes;
			return 0;
		}
	}
	p = &parsed[parsed_next++ % PARSED_MAX];
	node_free(p->nodes);
	free(p->text);
	free(p->where);
	memset(p, 0, sizeof(*p));
	p->text = xstrdup(text);
	if (parse(p->text, where, line, &p->nodes, err, errlen) < 0) {
		free(p->text);
		p->text = NULL;
		return -1;
	}
	p->where = xstrdup(where ? where : "");
	p->line = line;
	*out = p->nodes;
	return 0;
}

/* names_walk - every value name the nodes read, into the set. */
static void
names_walk(const struct node *n, char ***set, size_t *count)
{
	for (; n; n = n->next) {
		if (n->kind != N_TEXT && n->name && n->name[0] != '@') {
			size_t i;

			for (i = 0; i < *count && strcmp((*set)[i], n->name); i++)
				;
			if (i == *count) {
				*set = xrealloc(*set, (*count + 2) * sizeof(**set));
				(*set)[(*count)++] = xstrdup(n->name);
				(*set)[*count] = NULL;
			}
		}
		names_walk(n->body, set, count);
		names_walk(n->alt, set, count);
	}
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
template_names(const char *text, const char *where, char *err, size_t errlen)
{
	struct node *nodes;
	char **set = NULL;
	size_t n = 0;

	if (parse(text, where, 1, &nodes, err, errlen) < 0)
		return NULL;
	names_walk(nodes, &set, &n);
	node_free(nodes);
	if (set == NULL)
		set = xcalloc(1, sizeof(*set));
	qsort(set, n, sizeof(*set), name_cmp);
	return set;
}

/* ==== languages ==== */

static struct {
	char *path;
	char *key;		/* "DATA_DIR|CODE" when texts are kept */
	struct i18n_lang *lang;
} cache[32];

/*
 * The texts a long-running process has read (template_keep_texts): a
 * name as one list's readers of one language get it, the file it came
 * from, its language and its bytes.  Without it, each notice costs up
 * to ten stat(2)s for the candidate paths, a stat, open and read of
 * the file (a one-click leave sends two notices and a footer: about 35
 * system calls of its 0.4 ms).  Kept until template_cache_clear(),
 * which kith serve calls on SIGHUP.  Under a lock: the texts are the
 * whole process's, and the copies handed out are the caller's own.
 */
#define KEPT_MAX 512
struct kept {
	char *key;		/* DATA_DIR \n LIST \n CODE \n NAME */
	unsigned long hash;
	char *path, *text;
	char lang[16];
};
static struct kept kept[KEPT_MAX];
static size_t nkept;
static int keep_texts;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
/* the languages' table: kith serve renders on its page and LMTP threads */
static pthread_mutex_t lang_lock = PTHREAD_MUTEX_INITIALIZER;

/* kept_clear - forget the kept texts and where each language was found
 * (the rules loaded stay: they may be in use, and their files are
 * looked for again at the next render). */
static void
kept_clear(void)
{
	pthread_mutex_lock(&kept_lock);
	for (size_t i = 0; i < nkept; i++) {
		free(kept[i].key);
		free(kept[i].path);
		free(kept[i].text);
	}
	memset(kept, 0, sizeof(kept));
	nkept = 0;
	pthread_mutex_unlock(&kept_lock);
	pthread_mutex_lock(&lang_lock);
	for (size_t i = 0; i < sizeof(cache) / sizeof(cache[0]); i++) {
		free(cache[i].key);
		cache[i].key = NULL;
	}
	pthread_mutex_unlock(&lang_lock);
}

void
template_keep_texts(int on)
{
	keep_texts = 0;
	kept_clear();
	keep_texts = on != 0;
}

/* slot_empty - give back what cache slot i holds. */
static void
slot_empty(size_t i)
{
	free(cache[i].path);
	free(cache[i].key);
	i18n_lang_free(cache[i].lang);
	cache[i].path = NULL;
	cache[i].key = NULL;
	cache[i].lang = NULL;
}

void
template_cache_clear(void)
{
	kept_clear();
	for (size_t i = 0; i < sizeof(cache) / sizeof(cache[0]); i++)
		slot_empty(i);
	parsed_clear();
}

static int
is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* lang_dir - the templates folder holding code's LANGUAGE; borrowed/freed. */
static char *
lang_dir(const char *data_dir, const char *code)
{
	char *site = data_dir ? xasprintf("%s/templates", data_dir) : NULL;

	for (size_t i = 0; i < NSHIPPED + 1; i++) {
		const char *dir = i == 0 ? site : shipped_dirs[i - 1];
		char *path;
		int ok;

		if (dir == NULL)
			continue;
		path = xasprintf("%s/%s/LANGUAGE", dir, code);
		ok = is_file(path);
		free(path);
		if (ok) {
			char *d = xstrdup(dir);

			free(site);
			return d;
		}
	}
	free(site);
	return NULL;
}

/* lang_find - lang_get, its caller holding lang_lock. */
static const struct i18n_lang *
lang_find(const char *data_dir, const char *code, char *err, size_t errlen)
{
	char *dir, *path, *key = NULL;
	struct i18n_lang *l;
	size_t i, ncache = sizeof(cache) / sizeof(cache[0]);

	/* texts kept: so is where each language's LANGUAGE file is */
	if (keep_texts) {
		key = xasprintf("%s|%s", data_dir ? data_dir : "", code);
		for (i = 0; i < ncache && cache[i].path; i++)
			if (cache[i].key && !strcmp(cache[i].key, key)) {
				free(key);
				return cache[i].lang;
			}
	}
	dir = lang_dir(data_dir, code);
	if (dir == NULL) {
		free(key);
		snprintf(err, errlen, "no LANGUAGE file for '%s'", code);
		return NULL;
	}
	path = xasprintf("%s/%s", dir, code);
	for (i = 0; i < ncache && cache[i].path; i++)
		if (!strcmp(cache[i].path, path)) {
			free(path);
			free(dir);
			if (key && cache[i].key == NULL)
				cache[i].key = key;
			else
				free(key);
			return cache[i].lang;
		}
	l = i18n_lang_load(dir, code, err, errlen);
	free(dir);
	if (l == NULL) {
		free(path);
		free(key);
		return NULL;
	}
	if (i == ncache) {
		/* full: the last slot turns over (a render uses one language) */
		slot_empty(--i);
	}
	cache[i].path = path;
	cache[i].key = key;
	cache[i].lang = l;
	return l;
}

/* lang_get - the rules of code (cached); NULL with err. */
static const struct i18n_lang *
lang_get(const char *data_dir, const char *code, char *err, size_t errlen)
{
	const struct i18n_lang *l;

	pthread_mutex_lock(&lang_lock);
	l = lang_find(data_dir, code, err, errlen);
	pthread_mutex_unlock(&lang_lock);
	return l;
}

const struct i18n_lang *
template_lang(const struct kith_config *cfg, const char *code, char *err,
    size_t errlen)
{
	char tmp[8];

	if (err == NULL || errlen == 0) {
		err = tmp;
		errlen = sizeof(tmp);
	}
	if (code == NULL || !i18n_code_valid(code)) {
		snprintf(err, errlen, "'%s' is not a language code",
		    code ? code : "");
		return NULL;
	}
	return lang_get(cfg ? cfg->data_dir : NULL, code, err, errlen);
}

/* ==== evaluator ==== */

struct eval {
	struct buf out;
	int html;		/* escape values for HTML */
	int check;		/* take every branch (kith check) */
	const struct tvars *scope[MAX_DEPTH + 2];
	int nscope;
	struct { size_t i, n; } loop[MAX_DEPTH + 1];
	int nloop;
	const char *data_dir;	/* for LANGUAGE files */
	const char *code;	/* the text's language */
	const struct i18n_lang *lang;	/* loaded on first need */
	const char *tz;
	const char *where;
	long steps;
	char *err;
	size_t errlen;
};

static int eval_seq(struct eval *ev, const struct node *n);

/* lookup - the value a node reads: innermost record first, @ names. */
static int
lookup(struct eval *ev, const struct node *n, struct tvalue *tmp,
    const struct tvalue **out)
{
	if (n->name[0] == '@') {
		if (ev->nloop == 0)
			return fail(ev->err, ev->errlen, ev->where, n->line,
			    "'%s' outside '{{#each}}'", n->name);
		memset(tmp, 0, sizeof(*tmp));
		tmp->name = n->name;
		tmp->type = n->name[1] == 'i' ? V_INT : V_BOOL;
		if (n->name[1] == 'i')
			tmp->n = (long long)ev->loop[ev->nloop - 1].i + 1;
		else if (n->name[1] == 'f')
			tmp->n = ev->loop[ev->nloop - 1].i == 0;
		else
			tmp->n = ev->loop[ev->nloop - 1].i + 1 ==
			    ev->loop[ev->nloop - 1].n;
		*out = tmp;
		return 0;
	}
	for (int i = ev->nscope - 1; i >= 0; i--)
		if ((*out = tv_get(ev->scope[i], n->name)) != NULL)
			return 0;
	if (n->kind == N_VAR)
		return fail(ev->err, ev->errlen, ev->where, n->line,
		    "unknown variable '{{%s}}'", n->name);
	return fail(ev->err, ev->errlen, ev->where, n->line,
	    "unknown variable '%s' in '%.*s'", n->name, (int)n->len, n->src);
}

static void
add_escaped(struct eval *ev, const char *s, size_t n)
{
	if (!ev->html) {
		buf_add(&ev->out, s, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		switch (s[i]) {
		case '&': buf_adds(&ev->out, "&amp;"); break;
		case '<': buf_adds(&ev->out, "&lt;"); break;
		case '>': buf_adds(&ev->out, "&gt;"); break;
		case '"': buf_adds(&ev->out, "&quot;"); break;
		case '\'': buf_adds(&ev->out, "&#39;"); break;
		default: buf_addc(&ev->out, s[i]);
		}
}

/* add_value - s, the text of v: escaped unless it is HTML already. */
static void
add_value(struct eval *ev, const struct tvalue *v, const char *s)
{
	if (v->type == V_HTML)
		buf_adds(&ev->out, s);
	else
		add_escaped(ev, s, strlen(s));
}

/* as_text - a value as printed (before escaping); NULL with err. */
static char *
as_text(struct eval *ev, const struct node *n, const struct tvalue *v)
{
	switch (v->type) {
	case V_STR:
		return xstrdup(v->s);
	case V_INT:
		return xasprintf("%lld", v->n);
	case V_HTML:
		if (ev->html)
			return xstrdup(v->s);
		fail(ev->err, ev->errlen, ev->where, n->line, "'%s' is HTML, "
		    "for .html templates only", n->name);
		return NULL;
	case V_BOOL:
		fail(ev->err, ev->errlen, ev->where, n->line, "'%s' is yes or "
		    "no: use it in '{{#if %s}}'", n->name, n->name);
		return NULL;
	default:
		fail(ev->err, ev->errlen, ev->where, n->line, "'%s' is a list: "
		    "use '{{#each %s}}'", n->name, n->name);
		return NULL;
	}
}

/* as_number - an integer value, or a string holding one; -1 with err. */
static int
as_number(struct eval *ev, const struct node *n, const struct tvalue *v,
    long long *out)
{
	char *end;

	if (v->type == V_INT) {
		*out = v->n;
		return 0;
	}
	if (v->type == V_STR && *v->s) {
		errno = 0;
		*out = strtoll(v->s, &end, 10);
		if (*end == '\0' && errno == 0)
			return 0;
	}
	return fail(ev->err, ev->errlen, ev->where, n->line,
	    "'%s' in '%.*s' is not a number", n->name, (int)n->len, n->src);
}

static int
truth(const struct tvalue *v)
{
	switch (v->type) {
	case V_STR:
	case V_HTML:
		return *v->s != '\0';
	case V_LIST:
		return v->list->n > 0;
	default:
		return v->n != 0;
	}
}

static const struct i18n_lang *
need_lang(struct eval *ev, const struct node *n)
{
	char sub[300];

	if (ev->lang == NULL && (ev->lang = lang_get(ev->data_dir, ev->code,
	    sub, sizeof(sub))) == NULL)
		fail(ev->err, ev->errlen, ev->where, n->line, "%s", sub);
	return ev->lang;
}

static int
eval_plural(struct eval *ev, const struct node *n, const struct tvalue *v)
{
	const struct i18n_lang *l = need_lang(ev, n);
	const char *form;
	long long k;

	if (l == NULL)
		return -1;
	if (n->narg != i18n_plural_nforms(l))
		return fail(ev->err, ev->errlen, ev->where, n->line, "'%.*s': "
		    "'%s' has %zu plural forms, not %zu", (int)n->len, n->src,
		    ev->code, i18n_plural_nforms(l), n->narg);
	if (as_number(ev, n, v, &k) < 0)
		return -1;
	form = i18n_plural_form(l, k, (const char *const *)n->arg, n->narg);
	add_escaped(ev, form, strlen(form));
	return 0;
}

static int
eval_date(struct eval *ev, const struct node *n, const struct tvalue *v)
{
	const struct i18n_lang *l = need_lang(ev, n);
	long long t;
	char *s;

	/* a time set with its own zone (tv_time) is shown in it */
	const char *tz = v->type == V_INT && v->s ? v->s : ev->tz ? ev->tz :
	    "UTC";

	if (l == NULL || as_number(ev, n, v, &t) < 0)
		return -1;
	s = i18n_format_time(l, n->arg[0], (int64_t)t, tz);
	if (s == NULL)
		return fail(ev->err, ev->errlen, ev->where, n->line, "'%.*s': "
		    "unknown time zone '%s'", (int)n->len, n->src, tz);
	add_escaped(ev, s, strlen(s));
	free(s);
	return 0;
}

/* eval_pad - the value in n->num columns (display width), left or right. */
static int
eval_pad(struct eval *ev, const struct node *n, const struct tvalue *v)
{
	char *s = as_text(ev, n, v);
	size_t w;

	if (s == NULL)
		return -1;
	w = str_width(s);
	for (; n->kind == N_PADLEFT && w < (size_t)n->num; w++)
		buf_addc(&ev->out, ' ');
	add_value(ev, v, s);
	for (; n->kind == N_PAD && w < (size_t)n->num; w++)
		buf_addc(&ev->out, ' ');
	free(s);
	return 0;
}

static int
eval_repeat(struct eval *ev, const struct node *n, const struct tvalue *v)
{
	long long k;

	if (as_number(ev, n, v, &k) < 0)
		return -1;
	if (k > MAX_REPEAT)
		return fail(ev->err, ev->errlen, ev->where, n->line, "'%.*s': "
		    "%lld is more than %d", (int)n->len, n->src, k,
		    MAX_REPEAT);
	for (long long i = 0; i < k; i++)
		add_escaped(ev, n->arg[0], strlen(n->arg[0]));
	return 0;
}

static int
eval_each(struct eval *ev, const struct node *n, const struct tvalue *v)
{
	const struct tvlist *l;

	if (v->type != V_LIST)
		return fail(ev->err, ev->errlen, ev->where, n->line,
		    "'%s' in '%.*s' is not a list", n->name, (int)n->len,
		    n->src);
	l = v->list;
	ev->loop[ev->nloop].n = l->n;
	ev->nloop++;
	ev->nscope++;
	for (size_t i = 0; i < l->n; i++) {
		ev->loop[ev->nloop - 1].i = i;
		ev->scope[ev->nscope - 1] = l->item[i];
		if (++ev->steps > MAX_STEPS || eval_seq(ev, n->body) < 0) {
			ev->nloop--;
			ev->nscope--;
			if (ev->steps > MAX_STEPS)
				return fail(ev->err, ev->errlen, ev->where,
				    n->line, "more than %d steps in loops",
				    MAX_STEPS);
			return -1;
		}
	}
	ev->nloop--;
	ev->nscope--;
	return l->n == 0 || ev->check ? eval_seq(ev, n->alt) : 0;
}

static int
eval_node(struct eval *ev, const struct node *n)
{
	const struct tvalue *v;
	struct tvalue tmp;
	char *s;
	int t;

	if (n->kind == N_TEXT) {
		buf_add(&ev->out, n->src, n->len);
		return 0;
	}
	if (lookup(ev, n, &tmp, &v) < 0)
		return -1;
	switch (n->kind) {
	case N_VAR:
		if ((s = as_text(ev, n, v)) == NULL)
			return -1;
		add_value(ev, v, s);
		free(s);
		return 0;
	case N_IF:
	case N_UNLESS:
		t = truth(v) == (n->kind == N_IF);
		if (ev->check)
			return eval_seq(ev, n->body) < 0 ? -1 :
			    eval_seq(ev, n->alt);
		return eval_seq(ev, t ? n->body : n->alt);
	case N_EACH:
		return eval_each(ev, n, v);
	case N_PLURAL:
		return eval_plural(ev, n, v);
	case N_DATE:
		return eval_date(ev, n, v);
	case N_REPEAT:
		return eval_repeat(ev, n, v);
	default:
		return eval_pad(ev, n, v);
	}
}

static int
eval_seq(struct eval *ev, const struct node *n)
{
	for (; n; n = n->next) {
		if (++ev->steps > MAX_STEPS)
			return fail(ev->err, ev->errlen, ev->where, n->line,
			    "more than %d steps", MAX_STEPS);
		if (eval_node(ev, n) < 0)
			return -1;
		if (ev->out.len > MAX_OUTPUT)
			return fail(ev->err, ev->errlen, ev->where, n->line,
			    "the text passes %d MiB", MAX_OUTPUT >> 20);
	}
	return 0;
}

/* ==== expanding a text ==== */

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* one_line - the subject: every run of controls and spaces one space. */
static char *
one_line(const char *s)
{
	struct buf b;
	int space = 0;

	buf_init(&b);
	buf_adds(&b, "");
	for (; *s; s++) {
		if ((unsigned char)*s <= ' ' || *s == 0x7f) {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_addc(&b, ' ');
		space = 0;
		buf_addc(&b, *s);
	}
	return buf_detach(&b, NULL);
}

/* expand - one part of a text (subject or body) into *out. */
static int
expand(const char *text, int line, struct eval *proto,
    const struct tvars *tv, int html, char **out)
{
	struct eval ev = *proto;
	const struct node *nodes;
	int rc;

	*out = NULL;
	if (parse_kept(text, ev.where, line, &nodes, ev.err, ev.errlen) < 0)
		return -1;
	buf_init(&ev.out);
	buf_adds(&ev.out, "");
	ev.html = html;
	ev.scope[0] = tv;
	ev.nscope = 1;
	rc = eval_seq(&ev, nodes);
	proto->lang = ev.lang;
	if (rc < 0) {
		buf_release(&ev.out);
		return -1;
	}
	*out = buf_detach(&ev.out, NULL);
	return 0;
}

/*
 * render - text (from where, read in language code) expanded with tv:
 * the "Subject:" line apart, then the body.
 */
static int
render(const char *data_dir, const char *text, const char *where,
    const char *code, const char *tz, const struct tvars *tv, int check,
    struct template_out *out, char *err, size_t errlen)
{
	struct eval ev;
	const char *body = text;
	int line = 1, rc = 0;

	memset(&ev, 0, sizeof(ev));
	ev.check = check;
	ev.data_dir = data_dir;
	ev.code = code && *code ? code : "en";
	ev.tz = tz;
	ev.where = where;
	ev.err = err;
	ev.errlen = errlen;
	snprintf(out->lang, sizeof(out->lang), "%s", ev.code);
	if (!strncmp(text, "Subject:", 8)) {
		const char *nl = strchr(text, '\n');
		char *line1 = nl ? xstrndup(text + 8, (size_t)(nl - text - 8)) :
		    xstrdup(text + 8), *subject;

		rc = expand(line1, 1, &ev, tv, 0, &subject);
		free(line1);
		if (rc < 0)
			return -1;
		out->subject = one_line(subject);
		free(subject);
		body = nl ? nl + 1 : "";
		for (line = 2; *body == '\n' || (body[0] == '\r' &&
		    body[1] == '\n'); line++)
			body += *body == '\n' ? 1 : 2;
	}
	if (expand(body, line, &ev, tv, ends_with(where, ".html"),
	    &out->body) < 0) {
		free(out->subject);
		out->subject = NULL;
		return -1;
	}
	return 0;
}

void
template_out_release(struct template_out *out)
{
	free(out->subject);
	free(out->body);
	free(out->path);
	memset(out, 0, sizeof(*out));
}

int
template_string(const char *text, const char *where,
    const struct template_opts *o, const struct tvars *tv,
    struct template_out *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	return render(NULL, text, where, o ? o->lang : NULL, o ? o->tz : NULL,
	    tv, 0, out, err, errlen);
}

/* ==== finding a text ==== */

/* A name from our code, or checked by its caller; never a path game. */
static int
safe_part(const char *s)
{
	return s && *s && *s != '/' && strstr(s, "..") == NULL;
}

/*
 * candidates - the paths NAME may be at for o, most specific first, with
 * the language each is in ("" for none); returns how many (at most 10).
 */
static int
candidates(const struct kith_config *cfg, const struct template_opts *o,
    const char *name, char **path, const char **lang)
{
	const char *code = o && o->lang && i18n_code_valid(o->lang) ?
	    o->lang : "en";
	const char *list = o && safe_part(o->list) && !strchr(o->list, '/') ?
	    o->list : NULL;
	const char *data = cfg ? cfg->data_dir : NULL;
	int n = 0;

#define CAND(l, ...) (lang[n] = (l), path[n++] = xasprintf(__VA_ARGS__))
	if (data && list) {
		CAND(code, "%s/templates/%s/%s/%s", data, list, code, name);
		CAND("", "%s/templates/%s/%s", data, list, name);
	}
	if (data) {
		CAND(code, "%s/templates/%s/%s", data, code, name);
		CAND("", "%s/templates/%s", data, name);
	}
	for (size_t i = 0; i < NSHIPPED; i++)
		CAND(code, "%s/%s/%s", shipped_dirs[i], code, name);
	if (strcmp(code, "en") == 0)
		return n;
	/* not in that language: English, the list's and site's first */
	if (data && list)
		CAND("en", "%s/templates/%s/en/%s", data, list, name);
	if (data)
		CAND("en", "%s/templates/en/%s", data, name);
	for (size_t i = 0; i < NSHIPPED; i++)
		CAND("en", "%s/en/%s", shipped_dirs[i], name);
#undef CAND
	return n;
}

char *
template_find(const struct kith_config *cfg, const struct template_opts *o,
    const char *name, char *lang)
{
	char *path[10], *found = NULL;
	const char *plang[10];
	int n;

	if (!safe_part(name))
		return NULL;
	n = candidates(cfg, o, name, path, plang);
	for (int i = 0; i < n; i++) {
		if (found == NULL && is_file(path[i])) {
			found = path[i];
			if (lang)
				snprintf(lang, 16, "%s", plang[i]);
			continue;
		}
		free(path[i]);
	}
	return found;
}

/* read_text - a template file, at most MAX_FILE bytes; NULL with err. */
static char *
read_text(const char *path, char *err, size_t errlen)
{
	struct stat st;
	struct buf b;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (st.st_size > MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d MiB", path,
		    MAX_FILE >> 20);
		return NULL;
	}
	buf_init(&b);
	if (buf_read_file(&b, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		buf_release(&b);
		return NULL;
	}
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

/*
 * find_text - the file name resolves to for o (*path, caller frees), its
 * language (lang, 16 bytes) and its bytes (returned, caller frees); from
 * the kept texts when template_keep_texts() is on.  NULL with err.
 */
static char *
find_text(const struct kith_config *cfg, const struct template_opts *o,
    const char *name, char *lang, char **path, char *err, size_t errlen)
{
	char *key = NULL, *text = NULL;
	unsigned long hash = 0;

	if (keep_texts && safe_part(name)) {
		key = xasprintf("%s\n%s\n%s\n%s", cfg && cfg->data_dir ?
		    cfg->data_dir : "", o && o->list ? o->list : "",
		    o && o->lang ? o->lang : "", name);
		hash = str_hash(key);
		pthread_mutex_lock(&kept_lock);
		for (size_t i = 0; i < nkept && text == NULL; i++)
			if (kept[i].hash == hash && !strcmp(kept[i].key, key)) {
				*path = xstrdup(kept[i].path);
				text = xstrdup(kept[i].text);
				memcpy(lang, kept[i].lang, 16);
			}
		pthread_mutex_unlock(&kept_lock);
		if (text) {
			free(key);
			return text;
		}
	}
	if ((*path = template_find(cfg, o, name, lang)) == NULL) {
		snprintf(err, errlen, "template '%s' not found", name);
		free(key);
		return NULL;
	}
	if ((text = read_text(*path, err, errlen)) == NULL) {
		free(*path);
		*path = NULL;
		free(key);
		return NULL;
	}
	if (key) {
		pthread_mutex_lock(&kept_lock);
		if (nkept < KEPT_MAX) {
			kept[nkept].key = key;
			kept[nkept].hash = hash;
			kept[nkept].path = xstrdup(*path);
			kept[nkept].text = xstrdup(text);
			memcpy(kept[nkept].lang, lang, 16);
			nkept++;
			key = NULL;
		}
		pthread_mutex_unlock(&kept_lock);
		free(key);	/* full: read each time, as without */
	}
	return text;
}

/* mail_check - template_mail, but taking every branch when check is set. */
static int
mail_check(const struct kith_config *cfg, const struct template_opts *o,
    const char *name, const char *unlabelled, const struct tvars *tv,
    int check, struct template_out *out, char *err, size_t errlen)
{
	char lang[16], *text;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((text = find_text(cfg, o, name, lang, &out->path, err,
	    errlen)) == NULL)
		return -1;
	if (*lang == '\0')
		snprintf(lang, sizeof(lang), "%s", unlabelled);
	rc = render(cfg ? cfg->data_dir : NULL, text, out->path, lang,
	    o ? o->tz : NULL, tv, check, out, err, errlen);
	free(text);
	if (rc < 0)
		template_out_release(out);
	return rc;
}

int
template_mail(const struct kith_config *cfg, const struct template_opts *o,
    const char *name, const struct tvars *tv, struct template_out *out,
    char *err, size_t errlen)
{
	const char *code = o && o->lang && i18n_code_valid(o->lang) ?
	    o->lang : "en";

	return mail_check(cfg, o, name, code, tv, 0, out, err, errlen);
}

/* ==== the flat API ==== */

char *
template_render(const struct kith_config *cfg, const char *list_local,
    const char *name, const struct template_var *vars, int nvars,
    char *err, size_t errlen)
{
	struct template_opts o = { list_local, "en", NULL };
	struct tvars *tv = tv_from_vars(vars, nvars);
	struct template_out out;
	char *text = NULL;

	if (template_mail(cfg, &o, name, tv, &out, err, errlen) == 0) {
		if (out.subject)
			text = xasprintf("Subject: %s\n\n%s", out.subject,
			    out.body);
		else {
			text = out.body;
			out.body = NULL;
		}
		template_out_release(&out);
	}
	tv_free(tv);
	return text;
}

char *
template_load(const struct kith_config *cfg, const char *list_local,
    const char *name, char **where, char *err, size_t errlen)
{
	struct template_opts o = { list_local, "en", NULL };
	char *path = template_find(cfg, &o, name, NULL), *text;

	if (path == NULL) {
		snprintf(err, errlen, "template '%s' not found", name);
		return NULL;
	}
	text = read_text(path, err, errlen);
	if (text && where)
		*where = path;
	else
		free(path);
	return text;
}

char *
template_expand(const char *text, const struct template_var *vars, int nvars,
    char *err, size_t errlen)
{
	struct tvars *tv = tv_from_vars(vars, nvars);
	struct eval ev;
	char *s = NULL;

	memset(&ev, 0, sizeof(ev));
	ev.code = "en";
	ev.err = err;
	ev.errlen = errlen;
	expand(text, 1, &ev, tv, 0, &s);
	tv_free(tv);
	return s;
}

/* ==== kith check ==== */

#define SAMPLE_TIME 1797357600LL	/* 2026-12-15 18:00 UTC */

void
template_sample(struct tvars *tv, const struct template_field *fields)
{
	for (; fields && fields->name; fields++)
		switch (fields->type) {
		case TEMPLATE_INT:
			tv_int(tv, fields->name, 2);
			break;
		case TEMPLATE_BOOL:
			tv_bool(tv, fields->name, 1);
			break;
		case TEMPLATE_TIME:
			tv_int(tv, fields->name, SAMPLE_TIME);
			break;
		case TEMPLATE_HTML:
			tv_html(tv, fields->name, "<b>x</b>");
			break;
		case TEMPLATE_LIST: {
			struct tvlist *l = tv_list(tv, fields->name);

			template_sample(tv_item(l), fields->items);
			template_sample(tv_item(l), fields->items);
			break;
		}
		default:
			tv_str(tv, fields->name, "x");
		}
}

/* A set of strings, for what a check has seen already. */
static int
seen_add(char ***set, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*set)[i], s))
			return 0;
	*set = xrealloc(*set, (*n + 1) * sizeof(**set));
	(*set)[(*n)++] = xstrdup(s);
	return 1;
}

static void
report(struct template_check *c, int warning, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
report(struct template_check *c, int warning, const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (warning)
		c->warnings++;
	else
		c->errors++;
	if (c->report)
		c->report(c->ctx, warning, line);
}

static int
code_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The languages present: a LANGUAGE file in the site's or shipped folders. */
static char **
languages(const struct kith_config *cfg)
{
	char **all = NULL, *site = cfg && cfg->data_dir ?
	    xasprintf("%s/templates", cfg->data_dir) : NULL;
	size_t n = 0;

	for (size_t i = 0; i < NSHIPPED + 1; i++) {
		char **codes;

		if (i == 0 && site == NULL)
			continue;
		codes = i18n_lang_codes(i == 0 ? site : shipped_dirs[i - 1]);

		for (size_t k = 0; codes && codes[k]; k++)
			seen_add(&all, &n, codes[k]);
		i18n_codes_free(codes);
	}
	seen_add(&all, &n, "en");
	all = xrealloc(all, (n + 1) * sizeof(*all));
	all[n] = NULL;
	free(site);
	qsort(all, n, sizeof(*all), code_cmp);
	return all;
}

char **
template_languages(const struct kith_config *cfg)
{
	return languages(cfg);
}

/*
 * wildcard - the names "DIR/ *SUFFIX" stands for: files ending in SUFFIX
 * in DIR of every folder NAME could be found in, for any language.
 */
static void
wildcard(const struct kith_config *cfg, const char *list, char **codes,
    const char *pattern, char ***names, size_t *n)
{
	const char *star = strchr(pattern, '*');
	char *dir = xstrndup(pattern, (size_t)(star - pattern)), *probe;

	probe = xasprintf("%sx", dir);
	for (size_t k = 0; codes[k]; k++) {
		struct template_opts o = { list, codes[k], NULL };
		char *path[10];
		const char *lang[10];
		int np = candidates(cfg, &o, probe, path, lang);

		for (int i = 0; i < np; i++) {
			DIR *d;
			struct dirent *e;

			path[i][strlen(path[i]) - 1] = '\0';	/* the folder */
			if ((d = opendir(path[i])) != NULL) {
				while ((e = readdir(d)) != NULL) {
					char *name = xasprintf("%s%s", dir,
					    e->d_name);

					if (e->d_name[0] != '.' &&
					    ends_with(e->d_name, star + 1))
						seen_add(names, n, name);
					free(name);
				}
				closedir(d);
			}
			free(path[i]);
		}
	}
	free(probe);
	free(dir);
}

void
template_check_uses(struct template_check *c, const char *code)
{
	if (code && *code && i18n_code_valid(code))
		seen_add(&c->used, &c->nused, code);
}

/* in_use - whether code's gaps are reported (template_check_uses). */
static int
in_use(const struct template_check *c, const char *code)
{
	if (c->nused == 0)
		return 1;
	for (size_t i = 0; i < c->nused; i++)
		if (!strcmp(c->used[i], code))
			return 1;
	return 0;
}

/*
 * names_of - the value names the file at path reads; NULL when it
 * cannot be read or parsed (its render reports that).
 */
static char **
names_of(const char *path)
{
	char err[600], *text = read_text(path, err, sizeof(err)), **names;

	if (text == NULL)
		return NULL;
	names = template_names(text, path, err, sizeof(err));
	free(text);
	return names;
}

/*
 * check_names - a translation (path, in code) reads every value the
 * English text of name reads: "{{event.where}}" left out is a place a
 * member in that language never learns.  A warning each.
 */
static void
check_names(const struct kith_config *cfg, const char *list, const char *name,
    const char *path, struct template_check *c)
{
	struct template_opts en = { list, "en", NULL };
	char *enpath = template_find(cfg, &en, name, NULL);
	char **want = enpath ? names_of(enpath) : NULL;
	char **have = want ? names_of(path) : NULL;

	for (size_t i = 0; have && want[i]; i++) {
		size_t k;

		for (k = 0; have[k] && strcmp(have[k], want[i]); k++)
			;
		if (have[k] == NULL)
			report(c, 1, "%s: never shows {{%s}}, which the English "
			    "text (%s) does", path, want[i], enpath);
	}
	i18n_codes_free(want);
	i18n_codes_free(have);
	free(enpath);
}

/* check_one - NAME as list gets it in language code, rendered once. */
static void
check_one(const struct kith_config *cfg, const char *list,
    const char *list_lang, const char *name, const char *code,
    const struct tvars *tv, struct template_check *c)
{
	struct template_opts o = { list, code, NULL };
	struct template_out out;
	char lang[16], err[600], *path, *key;
	int fresh;

	if ((path = template_find(cfg, &o, name, lang)) == NULL) {
		key = xasprintf("missing %s", name);
		if (seen_add(&c->seen, &c->nseen, key))
			report(c, 0, "template '%s' not found", name);
		free(key);
		return;
	}
	if (strcmp(code, "en") && !strcmp(lang, "en")) {
		key = xasprintf("%s %s", code, name);
		seen_add(&c->missing, &c->nmissing, key);
		free(key);
	}
	key = xasprintf("%s %s", path, *lang ? lang : list_lang);
	fresh = seen_add(&c->seen, &c->nseen, key);
	free(key);
	if (fresh && *lang && strcmp(lang, "en") && in_use(c, lang))
		check_names(cfg, list, name, path, c);
	free(path);
	if (!fresh)
		return;
	if (mail_check(cfg, &o, name, list_lang, tv, 1, &out, err,
	    sizeof(err)) < 0) {
		report(c, 0, "%s", err);
		return;
	}
	/* a site's own text saved in Latin-1 reaches members as bytes no
	 * mail reader shows: every text is UTF-8 */
	if ((out.subject && !utf8_valid(out.subject, strlen(out.subject))) ||
	    !utf8_valid(out.body, strlen(out.body)))
		report(c, 0, "%s: not UTF-8 (a file in Latin-1: iconv -f latin1 "
		    "-t utf-8)", out.path);
	if ((out.subject && strstr(out.subject, "{{")) ||
	    strstr(out.body, "{{"))
		report(c, 0, "%s: '{{' left in the text it makes (a plural "
		    "form or repeat string holding '{{'?)", out.path);
	template_out_release(&out);
}

int
template_check(const struct kith_config *cfg, const char *list,
    const char *list_lang, const struct template_schema *schema, size_t n,
    const struct tvars *common, struct template_check *c)
{
	char **codes = languages(cfg);
	int before = c->errors;

	if (list_lang == NULL || !i18n_code_valid(list_lang))
		list_lang = "en";
	for (size_t i = 0; i < n; i++) {
		struct tvars *tv = tv_new();
		char **names = NULL;
		size_t nnames = 0;

		template_sample(tv, schema[i].fields);
		tv_inherit(tv, common);
		if (strchr(schema[i].name, '*'))
			wildcard(cfg, list, codes, schema[i].name, &names,
			    &nnames);
		else
			seen_add(&names, &nnames, schema[i].name);
		for (size_t k = 0; k < nnames; k++) {
			char *key = xasprintf("name %s", names[k]);

			seen_add(&c->seen, &c->nseen, key);
			free(key);
			for (size_t j = 0; codes[j]; j++)
				check_one(cfg, list, list_lang, names[k],
				    codes[j], tv, c);
			free(names[k]);
		}
		free(names);
		tv_free(tv);
	}
	i18n_codes_free(codes);
	return c->errors - before;
}

static void
lang_report(void *arg, const char *line)
{
	report(arg, 0, "%s", line);
}

/*
 * report_missing - the texts not in language code, a warning in lines
 * short enough to read; one line when none is translated at all.
 */
static void
report_missing(struct template_check *c, const char *code)
{
	size_t len = strlen(code), count = 0, names = 0;
	struct buf b;

	for (size_t k = 0; k < c->nseen; k++)
		names += !strncmp(c->seen[k], "name ", 5);
	for (size_t k = 0; k < c->nmissing; k++)
		count += !strncmp(c->missing[k], code, len) &&
		    c->missing[k][len] == ' ';
	if (count == 0)
		return;
	if (count == names) {
		report(c, 1, "templates: no text is in '%s' yet; English is "
		    "sent instead", code);
		return;
	}
	buf_init(&b);
	for (size_t k = 0, first = 1; k < c->nmissing; k++) {
		if (strncmp(c->missing[k], code, len) ||
		    c->missing[k][len] != ' ')
			continue;
		if (b.len == 0 && first)
			buf_addf(&b, "templates: %zu %s not in '%s' yet, English "
			    "is sent instead:", count, count == 1 ? "text is" :
			    "texts are", code);
		else if (b.len == 0)
			buf_addf(&b, "templates: not in '%s' either:", code);
		first = 0;
		buf_addf(&b, " %s", c->missing[k] + len + 1);
		if (b.len > 400) {
			report(c, 1, "%s", b.data);
			buf_reset(&b);
		}
	}
	if (b.len)
		report(c, 1, "%s", b.data);
	buf_release(&b);
}

int
template_check_finish(const struct kith_config *cfg, struct template_check *c)
{
	char **codes = languages(cfg);
	int before = c->errors;

	for (size_t i = 0; codes[i]; i++) {
		char *dir = lang_dir(cfg->data_dir, codes[i]);

		if (dir)
			i18n_lang_check(dir, codes[i], lang_report, c);
		free(dir);
		if (in_use(c, codes[i]))
			report_missing(c, codes[i]);
	}
	i18n_codes_free(codes);
	return c->errors - before;
}

void
template_check_release(struct template_check *c)
{
	for (size_t i = 0; i < c->nseen; i++)
		free(c->seen[i]);
	for (size_t i = 0; i < c->nmissing; i++)
		free(c->missing[i]);
	for (size_t i = 0; i < c->nused; i++)
		free(c->used[i]);
	free(c->seen);
	free(c->missing);
	free(c->used);
	c->seen = c->missing = c->used = NULL;
	c->nseen = c->nmissing = c->nused = 0;
}
