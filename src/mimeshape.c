/* mimeshape - depth and width of a MIME structure, in one pass. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kith/mimeshape.h"
#include "kith/util.h"

/* One open container: a multipart (its boundary) or a nested message. */
struct level {
	const char *b;		/* NULL: a message/... part */
	size_t blen;
	int digest;		/* multipart/digest: parts are messages */
};

enum ctype { CT_LEAF, CT_MULTIPART, CT_MESSAGE, CT_UNREADABLE };

/* What the header of the entity being read says so far. */
struct entity {
	const char *ct;		/* Content-Type value, folding kept */
	size_t ctlen;
	int nct;		/* Content-Type fields seen */
	int in_ct;		/* the last field read was Content-Type */
	int digest_default;	/* a part of multipart/digest */
};

struct scan {
	struct level *lv;
	int n;			/* levels open */
	int max_depth;
	size_t max_parts;
	struct mimeshape *s;
};

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip white space and (comments) in v[*i..n). */
static void
skip_cfws(const char *v, size_t n, size_t *i)
{
	while (*i < n) {
		if (is_ws(v[*i]))
			(*i)++;
		else if (v[*i] == '(') {
			int depth = 0;

			do {
				if (v[*i] == '(')
					depth++;
				else if (v[*i] == ')')
					depth--;
				(*i)++;
			} while (*i < n && depth > 0);
		} else
			break;
	}
}

/* A token (RFC 2045) at v[*i]: its length; *i moves past it. */
static size_t
token(const char *v, size_t n, size_t *i)
{
	size_t start = *i;

	while (*i < n && !is_ws(v[*i]) && !strchr("()<>@,;:\\\"/[]?=", v[*i]))
		(*i)++;
	return *i - start;
}

/*
 * boundary_param - the boundary parameter in v[*i..n) (after the
 * subtype).  1 with *b, *blen set; 0 when there is none; -1 when it
 * cannot be read safely (RFC 2231 pieces, escapes, empty).
 */
static int
boundary_param(const char *v, size_t n, size_t i, const char **b,
    size_t *blen)
{
	int found = 0;

	for (;;) {
		size_t name, len;
		const char *nm;

		skip_cfws(v, n, &i);
		if (i >= n || v[i] != ';')
			return found;
		i++;
		skip_cfws(v, n, &i);
		nm = v + i;
		while (i < n && v[i] != '=' && v[i] != ';' && !is_ws(v[i]))
			i++;
		name = (size_t)(v + i - nm);
		skip_cfws(v, n, &i);
		if (i >= n || v[i] != '=')
			continue;
		i++;
		skip_cfws(v, n, &i);
		if (name > 8 && !strncasecmp(nm, "boundary", 8) && nm[8] == '*')
			return -1;
		if (i < n && v[i] == '"') {
			const char *start = v + ++i;

			while (i < n && v[i] != '"' && v[i] != '\\' &&
			    v[i] != '\r' && v[i] != '\n')
				i++;
			if (i >= n || v[i] != '"')
				return -1;
			len = (size_t)(v + i - start);
			i++;
			if (name == 8 && !strncasecmp(nm, "boundary", 8)) {
				*b = start;
				*blen = len;
				found++;
			}
		} else {
			const char *start = v + i;

			len = token(v, n, &i);
			if (name == 8 && !strncasecmp(nm, "boundary", 8)) {
				*b = start;
				*blen = len;
				found++;
			}
		}
		if (found && *blen == 0)
			return -1;
		if (found > 1)
			return -1;
	}
}

/* What kind of container the entity e is; *b, *blen for a multipart. */
static enum ctype
entity_type(const struct entity *e, const char **b, size_t *blen,
    int *digest)
{
	const char *v = e->ct;
	size_t n = e->ctlen, i = 0, tl, sl;
	const char *type, *sub;
	int r;

	*digest = 0;
	if (e->nct > 1)
		return CT_UNREADABLE;
	if (e->nct == 0)
		return e->digest_default ? CT_MESSAGE : CT_LEAF;
	skip_cfws(v, n, &i);
	type = v + i;
	tl = token(v, n, &i);
	skip_cfws(v, n, &i);
	if (i >= n || v[i] != '/')
		return CT_LEAF;	/* libetpan reads it as text/plain */
	i++;
	skip_cfws(v, n, &i);
	sub = v + i;
	sl = token(v, n, &i);
	if (tl == 7 && !strncasecmp(type, "message", 7))
		return CT_MESSAGE;
	if (tl != 9 || strncasecmp(type, "multipart", 9))
		return CT_LEAF;
	r = boundary_param(v, n, i, b, blen);
	if (r < 0)
		return CT_UNREADABLE;
	if (r == 0)
		return CT_LEAF;
	*digest = sl == 6 && !strncasecmp(sub, "digest", 6);
	return CT_MULTIPART;
}

/*
 * delimiter - the outermost open level whose delimiter line s[0..n) is
 * (its parsing splits first, as in libetpan), or -1; *close set for
 * "--boundary--".
 */
static int
delimiter(const struct scan *sc, const char *s, size_t n, int *close)
{
	if (n < 3 || s[0] != '-' || s[1] != '-')
		return -1;
	for (int k = 0; k < sc->n; k++) {
		const struct level *l = &sc->lv[k];
		size_t j;

		if (l->b == NULL || n < 2 + l->blen ||
		    memcmp(s + 2, l->b, l->blen))
			continue;
		j = 2 + l->blen;
		if (n >= j + 2 && s[j] == '-' && s[j + 1] == '-') {
			*close = 1;
			return k;
		}
		while (j < n && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (j == n) {
			*close = 0;
			return k;
		}
	}
	return -1;
}

/* Open one more level; -1 past the limits. */
static int
push(struct scan *sc, const char *b, size_t blen, int digest)
{
	if (sc->n + 1 > sc->max_depth) {
		sc->s->depth = sc->n + 1;
		sc->s->why = "MIME nested too deep";
		return -1;
	}
	sc->lv[sc->n].b = b;
	sc->lv[sc->n].blen = blen;
	sc->lv[sc->n].digest = digest;
	sc->n++;
	if (sc->n > sc->s->depth)
		sc->s->depth = sc->n;
	return 0;
}

static int
count_part(struct scan *sc)
{
	if (++sc->s->parts > sc->max_parts) {
		sc->s->why = "too many MIME parts";
		return -1;
	}
	return 0;
}

/*
 * header_end - the entity's header is over: open what it declares.  1
 * when the next lines are another header (a nested message), 0 when
 * they are a body, -1 past the limits.
 */
static int
header_end(struct scan *sc, const struct entity *e)
{
	const char *b = NULL;
	size_t blen = 0;
	int digest;

	switch (entity_type(e, &b, &blen, &digest)) {
	case CT_MULTIPART:
		return push(sc, b, blen, digest) < 0 ? -1 : 0;
	case CT_MESSAGE:
		if (push(sc, NULL, 0, 0) < 0 || count_part(sc) < 0)
			return -1;
		return 1;
	case CT_UNREADABLE:
		sc->s->why = "a multipart boundary Kith cannot read";
		return -1;
	case CT_LEAF:
		break;
	}
	return 0;
}

/* One header line of the entity e: note its Content-Type. */
static void
header_line(struct entity *e, const char *s, size_t n)
{
	size_t i = 0;

	if (n && (s[0] == ' ' || s[0] == '\t')) {
		if (e->in_ct)
			e->ctlen = (size_t)(s + n - e->ct);
		return;
	}
	e->in_ct = 0;
	while (i < n && s[i] != ':' && s[i] != ' ' && s[i] != '\t')
		i++;
	if (i != 12 || strncasecmp(s, "Content-Type", 12))
		return;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i >= n || s[i] != ':')
		return;
	e->nct++;
	e->in_ct = 1;
	e->ct = s + i + 1;
	e->ctlen = n - i - 1;
}

int
mimeshape_check(const char *raw, size_t len, int max_depth,
    size_t max_parts, struct mimeshape *s)
{
	struct scan sc;
	struct entity e;
	size_t i = 0;
	int in_header = 1, r = 0;

	memset(s, 0, sizeof(*s));
	memset(&sc, 0, sizeof(sc));
	memset(&e, 0, sizeof(e));
	sc.lv = xcalloc((size_t)max_depth + 1, sizeof(*sc.lv));
	sc.max_depth = max_depth;
	sc.max_parts = max_parts;
	sc.s = s;
	while (i < len && r >= 0) {
		const char *line = raw + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;
		int k, close;

		i += nl ? n + 1 : n;
		if (n && line[n - 1] == '\r')
			n--;
		if ((k = delimiter(&sc, line, n, &close)) >= 0) {
			/* Whatever was open inside level k ends here. */
			sc.n = close ? k : k + 1;
			in_header = !close;
			if (!close) {
				memset(&e, 0, sizeof(e));
				e.digest_default = sc.lv[k].digest;
				r = count_part(&sc);
			}
			continue;
		}
		if (!in_header)
			continue;
		if (n > 0) {
			header_line(&e, line, n);
			continue;
		}
		r = header_end(&sc, &e);
		in_header = r == 1;
		memset(&e, 0, sizeof(e));
	}
	if (r >= 0 && in_header)
		r = header_end(&sc, &e);
	free(sc.lv);
	return r < 0 ? -1 : 0;
}
