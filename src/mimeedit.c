/* mimeedit - a received message as byte ranges: find parts, replace some. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "kith/message.h"
#include "kith/mimeedit.h"
#include "kith/mimeshape.h"
#include "kith/rfc2047.h"
#include "kith/util.h"

#define PARAMS_MAX 64
#define VALUE_MAX 1024

/* ---- Content-Type and Content-Disposition parameters ---- */

struct param {
	char name[48];		/* lower case, without *N and * */
	int section;		/* -1: not a continuation */
	int extended;		/* name*= or name*N*= (RFC 2231) */
	char *value;
};

struct params {
	struct param p[PARAMS_MAX];
	int n;
};

static void
params_release(struct params *ps)
{
	for (int i = 0; i < ps->n; i++)
		free(ps->p[i].value);
	ps->n = 0;
}

/* The value of a header field, unfolded; caller frees. */
static char *
unfolded(const struct header_field *f)
{
	char *s = xmalloc(f->value_len + 1);
	size_t j = 0;

	for (size_t i = 0; i < f->value_len; i++)
		if (f->value[i] != '\r' && f->value[i] != '\n')
			s[j++] = f->value[i];
	s[j] = '\0';
	return s;
}

static int
tspecial(char c)
{
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL || isspace((unsigned char)c)
	    || (unsigned char)c < 32;
}

/*
 * params_parse - the ';'-separated parameters after the first word of v
 * (the type, or the disposition) into ps; comments are not expected
 * there and end the parse.  The first word goes to word (lower case).
 */
static void
params_parse(const char *v, char *word, size_t wordlen, struct params *ps)
{
	const char *s = v;
	size_t n = 0;

	ps->n = 0;
	while (isspace((unsigned char)*s))
		s++;
	while (*s && *s != ';' && !isspace((unsigned char)*s) && *s != '(') {
		if (n + 1 < wordlen)
			word[n++] = (char)tolower((unsigned char)*s);
		s++;
	}
	word[n] = '\0';
	while (*s && ps->n < PARAMS_MAX) {
		struct param *p = &ps->p[ps->n];
		struct buf val;
		size_t k = 0;
		char *star;

		s = strchr(s, ';');
		if (s == NULL)
			break;
		s++;
		while (isspace((unsigned char)*s))
			s++;
		while (*s && !tspecial(*s) && k + 1 < sizeof(p->name))
			p->name[k++] = (char)tolower((unsigned char)*s++);
		p->name[k] = '\0';
		while (isspace((unsigned char)*s))
			s++;
		if (*s != '=' || k == 0)
			continue;
		s++;
		while (isspace((unsigned char)*s))
			s++;
		buf_init(&val);
		buf_adds(&val, "");
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && s[1])
					s++;
				if (val.len < VALUE_MAX)
					buf_addc(&val, *s);
			}
			if (*s == '"')
				s++;
		} else
			while (*s && *s != ';' && !isspace((unsigned char)*s)) {
				if (val.len < VALUE_MAX)
					buf_addc(&val, *s);
				s++;
			}
		p->value = buf_detach(&val, NULL);
		p->section = -1;
		p->extended = 0;
		k = strlen(p->name);
		if (k && p->name[k - 1] == '*') {
			p->extended = 1;
			p->name[--k] = '\0';
		}
		if ((star = strchr(p->name, '*')) != NULL) {
			p->section = atoi(star + 1);
			*star = '\0';
		}
		ps->n++;
	}
}

static int
hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' :
	    isxdigit((unsigned char)c) ? tolower((unsigned char)c) - 'a' + 10 :
	    -1;
}

/* s in charset as UTF-8 (invalid bytes replaced); caller frees. */
static char *
to_utf8(const char *s, size_t n, const char *charset)
{
	char *conv = NULL, *out;
	size_t convlen = 0;

	if (*charset == '\0' || !strcasecmp(charset, "utf-8") ||
	    !strcasecmp(charset, "us-ascii") ||
	    charconv_buffer("utf-8", charset, s, n, &conv, &convlen) !=
	    MAIL_CHARCONV_NO_ERROR)
		return utf8_sanitize(s, n);
	out = utf8_sanitize(conv, convlen);
	charconv_buffer_free(conv);
	return out;
}

/*
 * param_get - parameter name of ps, put together from RFC 2231 pieces
 * and decoded to UTF-8 (RFC 2231 charsets, RFC 2047 words in a plain
 * value); NULL when absent.  Caller frees.
 */
static char *
param_get(const struct params *ps, const char *name)
{
	struct buf raw;
	char charset[48] = "", *out;
	int any = 0, ext = 0;

	/* RFC 2231 sections 0, 1, ... in order; then a single name*= */
	buf_init(&raw);
	buf_adds(&raw, "");
	for (int sec = 0; sec < PARAMS_MAX; sec++) {
		int found = 0;

		for (int i = 0; i < ps->n; i++) {
			const struct param *p = &ps->p[i];
			const char *v = p->value;

			if (strcmp(p->name, name) || p->section != sec)
				continue;
			found = any = 1;
			if (sec == 0 && p->extended) {
				const char *q1 = strchr(v, '\''), *q2;

				ext = 1;
				if (q1 && (q2 = strchr(q1 + 1, '\'')) != NULL) {
					snprintf(charset, sizeof(charset), "%.*s",
					    (int)(q1 - v), v);
					v = q2 + 1;
				}
			}
			for (; *v; v++)
				if (p->extended && *v == '%' && hexval(v[1]) >= 0 &&
				    hexval(v[2]) >= 0) {
					buf_addc(&raw, (char)(hexval(v[1]) * 16 +
					    hexval(v[2])));
					v += 2;
				} else
					buf_addc(&raw, *v);
			break;
		}
		if (!found)
			break;
	}
	for (int i = 0; !any && i < ps->n; i++) {
		const struct param *p = &ps->p[i];
		const char *v = p->value, *q1, *q2;

		if (strcmp(p->name, name) || p->section != -1 || !p->extended)
			continue;
		any = ext = 1;
		if ((q1 = strchr(v, '\'')) && (q2 = strchr(q1 + 1, '\''))) {
			snprintf(charset, sizeof(charset), "%.*s", (int)(q1 - v),
			    v);
			v = q2 + 1;
		}
		for (; *v; v++)
			if (*v == '%' && hexval(v[1]) >= 0 && hexval(v[2]) >= 0) {
				buf_addc(&raw, (char)(hexval(v[1]) * 16 +
				    hexval(v[2])));
				v += 2;
			} else
				buf_addc(&raw, *v);
	}
	for (int i = 0; !any && i < ps->n; i++)
		if (!strcmp(ps->p[i].name, name) && ps->p[i].section == -1) {
			any = 1;
			buf_adds(&raw, ps->p[i].value);
		}
	if (!any) {
		buf_release(&raw);
		return NULL;
	}
	out = ext ? to_utf8(raw.data, raw.len, charset) :
	    rfc2047_decode(raw.data, raw.len);
	buf_release(&raw);
	return out;
}

static void
copy_lower(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
	str_lower(dst);
}

/* Read p's Content-* fields. */
static void
read_fields(struct medit_part *p, int digest_kid)
{
	struct header_iter it;
	struct header_field f;
	int have_type = 0;

	snprintf(p->type, sizeof(p->type), "%s", digest_kid ?
	    "message/rfc822" : "text/plain");
	snprintf(p->cte, sizeof(p->cte), "7bit");
	header_iter_init(&it, p->start, p->body);
	while (header_next(&it, &f)) {
		struct params ps;
		char word[96], *v, *x;

		if (header_is(&f, "Content-Type") && !have_type) {
			have_type = 1;
			v = unfolded(&f);
			params_parse(v, word, sizeof(word), &ps);
			if (strchr(word, '/'))
				snprintf(p->type, sizeof(p->type), "%s", word);
			copy_lower(p->charset, sizeof(p->charset),
			    x = param_get(&ps, "charset"));
			free(x);
			copy_lower(p->format, sizeof(p->format),
			    x = param_get(&ps, "format"));
			free(x);
			copy_lower(p->delsp, sizeof(p->delsp),
			    x = param_get(&ps, "delsp"));
			free(x);
			if (*p->filename == '\0' && (x = param_get(&ps,
			    "name")) != NULL) {
				snprintf(p->filename, sizeof(p->filename), "%s",
				    x);
				free(x);
			}
			params_release(&ps);
			free(v);
		} else if (header_is(&f, "Content-Disposition")) {
			v = unfolded(&f);
			params_parse(v, word, sizeof(word), &ps);
			p->attachment = !strcmp(word, "attachment");
			if ((x = param_get(&ps, "filename")) != NULL) {
				snprintf(p->filename, sizeof(p->filename), "%s",
				    x);
				free(x);
			}
			params_release(&ps);
			free(v);
		} else if (header_is(&f, "Content-Transfer-Encoding")) {
			v = unfolded(&f);
			copy_lower(p->cte, sizeof(p->cte), str_trim(v));
			free(v);
		}
	}
}

/* The boundary of multipart p, or NULL; caller frees. */
char *
medit_boundary(const struct medit_part *p)
{
	struct header_iter it;
	struct header_field f;
	char *b = NULL;

	header_iter_init(&it, p->start, p->body);
	while (b == NULL && header_next(&it, &f))
		if (header_is(&f, "Content-Type")) {
			struct params ps;
			char word[96], *v = unfolded(&f);

			params_parse(v, word, sizeof(word), &ps);
			b = param_get(&ps, "boundary");
			params_release(&ps);
			free(v);
			break;
		}
	if (b && (*b == '\0' || strlen(b) > 200)) {
		free(b);
		b = NULL;
	}
	return b;
}

/*
 * delimiter - 1 when the line at s (to end) is "--bnd" or "--bnd--"
 * followed only by white space; *close says which.
 */
static int
delimiter(const char *s, const char *end, const char *bnd, size_t bl,
    int *close)
{
	const char *p = s + 2 + bl;

	if ((size_t)(end - s) < 2 + bl || s[0] != '-' || s[1] != '-' ||
	    memcmp(s + 2, bnd, bl))
		return 0;
	*close = end - p >= 2 && p[0] == '-' && p[1] == '-';
	if (*close)
		p += 2;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p == end || *p == '\n';
}

struct walk {
	size_t parts;
	int over;
};

static void parse_part(struct medit_part *p, struct walk *w, int depth,
    int digest_kid);

static void
add_kid(struct medit_part *p, const char *start, size_t len)
{
	p->kids = xrealloc(p->kids, (p->nkids + 1) * sizeof(*p->kids));
	memset(&p->kids[p->nkids], 0, sizeof(*p->kids));
	p->kids[p->nkids].start = start;
	p->kids[p->nkids].len = len;
	p->nkids++;
}

/* The kids of multipart p: the parts between its delimiter lines. */
static void
split_multipart(struct medit_part *p, struct walk *w, int depth)
{
	char *bnd = medit_boundary(p);
	const char *s = p->start + p->body, *end = p->start + p->len;
	const char *kid = NULL;
	size_t bl;
	int digest = !strcmp(p->type, "multipart/digest");

	if (bnd == NULL)
		return;		/* no boundary: a leaf as far as we go */
	bl = strlen(bnd);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *next = nl ? nl + 1 : end;
		int close = 0;

		if (delimiter(s, nl ? nl : end, bnd, bl, &close)) {
			if (kid) {
				/* the line end before the delimiter is its own */
				const char *kend = s;

				if (kend > kid && kend[-1] == '\n')
					kend--;
				if (kend > kid && kend[-1] == '\r')
					kend--;
				add_kid(p, kid, (size_t)(kend - kid));
			}
			kid = close ? NULL : next;
			if (close)
				break;
		}
		s = next;
	}
	if (kid)	/* no closing delimiter: the last part runs to the end */
		add_kid(p, kid, (size_t)(end - kid));
	free(bnd);
	for (size_t i = 0; i < p->nkids && !w->over; i++)
		parse_part(&p->kids[i], w, depth + 1, digest);
}

static void
parse_part(struct medit_part *p, struct walk *w, int depth, int digest_kid)
{
	if (depth > MIME_DEPTH_MAX || ++w->parts > MIME_PARTS_MAX) {
		w->over = 1;
		return;
	}
	p->body = header_block_end(p->start, p->len);
	read_fields(p, digest_kid);
	if (!strncmp(p->type, "multipart/", 10))
		split_multipart(p, w, depth);
	else if (!strcmp(p->type, "message/rfc822") && p->body < p->len) {
		add_kid(p, p->start + p->body, p->len - p->body);
		parse_part(&p->kids[0], w, depth + 1, 0);
	}
}

static void
free_kids(struct medit_part *p)
{
	for (size_t i = 0; i < p->nkids; i++)
		free_kids(&p->kids[i]);
	free(p->kids);
}

void
medit_free(struct medit_part *top)
{
	if (top) {
		free_kids(top);
		free(top);
	}
}

struct medit_part *
medit_parse(const char *raw, size_t len)
{
	struct medit_part *top = xcalloc(1, sizeof(*top));
	struct walk w = { 0, 0 };

	top->start = raw;
	top->len = len;
	parse_part(top, &w, 0, 0);
	if (w.over) {
		medit_free(top);
		return NULL;
	}
	return top;
}

int
medit_is(const struct medit_part *p, const char *type)
{
	size_t n = strlen(type);

	if (n && type[n - 1] == '/')
		return !strncmp(p->type, type, n);
	return !strcmp(p->type, type);
}

char *
medit_decode(const struct medit_part *p, size_t *n)
{
	const char *body = p->start + p->body;
	size_t len = p->len - p->body, idx = 0, declen = 0;
	int enc = !strcmp(p->cte, "base64") ? MAILMIME_MECHANISM_BASE64 :
	    !strcmp(p->cte, "quoted-printable") ?
	    MAILMIME_MECHANISM_QUOTED_PRINTABLE : -1;
	char *dec = NULL, *out;

	if (enc < 0 || mailmime_part_parse(body, len, &idx, enc, &dec,
	    &declen) != MAILIMF_NO_ERROR) {
		out = xmalloc(len + 1);
		memcpy(out, body, len);
		out[len] = '\0';
		*n = len;
		return out;
	}
	out = xmalloc(declen + 1);
	memcpy(out, dec, declen);
	out[declen] = '\0';
	*n = declen;
	mmap_string_unref(dec);
	return out;
}

char *
medit_utf8(const struct medit_part *p)
{
	size_t n;
	char *dec = medit_decode(p, &n), *conv = NULL, *out;
	size_t convlen = 0;

	if (*p->charset == '\0' || !strcmp(p->charset, "utf-8") ||
	    !strcmp(p->charset, "us-ascii")) {
		out = utf8_sanitize(dec, n);
		free(dec);
		return out;
	}
	if (charconv_buffer("utf-8", p->charset, dec, n, &conv, &convlen) !=
	    MAIL_CHARCONV_NO_ERROR) {
		free(dec);
		return NULL;
	}
	out = utf8_sanitize(conv, convlen);
	charconv_buffer_free(conv);
	free(dec);
	return out;
}

/* 1 for a Content-* field (those that describe the part, RFC 2045). */
static int
content_field(const struct header_field *f)
{
	return f->name_len > 8 && !strncasecmp(f->name, "Content-", 8);
}

char *
medit_as_body(const struct medit_part *p, const char *eol, size_t *n)
{
	struct header_iter it;
	struct header_field f;
	struct buf b;

	buf_init(&b);
	header_iter_init(&it, p->start, p->body);
	while (header_next(&it, &f))
		if (content_field(&f)) {
			buf_add(&b, f.start, f.len);
			if (f.len == 0 || f.start[f.len - 1] != '\n')
				buf_adds(&b, eol);
		}
	buf_adds(&b, eol);
	if (p->body < p->len)
		buf_add(&b, p->start + p->body, p->len - p->body);
	return buf_detach(&b, n);
}

/* content with CRLF lines given LF ones when eol is LF. */
static void
add_eol(struct buf *b, const char *s, size_t n, const char *eol)
{
	const char *end = s + n, *cr;

	if (!strcmp(eol, "\r\n")) {
		buf_add(b, s, n);
		return;
	}
	/* runs between CRLFs copied whole: a copy per member goes through */
	buf_grow(b, n);
	while ((cr = memchr(s, '\r', (size_t)(end - s))) != NULL) {
		buf_add(b, s, (size_t)(cr - s));
		if (cr + 1 == end || cr[1] != '\n')
			buf_addc(b, '\r');
		s = cr + 1;
	}
	buf_add(b, s, (size_t)(end - s));
}

static const struct medit_edit *
edit_of(const struct medit_part *p, const struct medit_edit *e, size_t ne)
{
	for (size_t i = 0; i < ne; i++)
		if (e[i].part == p)
			return &e[i];
	return NULL;
}

/* Write p into b, edits applied. */
static void
write_part(struct buf *b, const struct medit_part *p, int top,
    const struct medit_edit *e, size_t ne, const char *eol)
{
	const struct medit_edit *ed = edit_of(p, e, ne);
	const char *at;
	size_t n;

	if (ed) {
		struct header_iter it;
		struct header_field f;
		int mime_version = 0;

		header_iter_init(&it, p->start, p->body);
		if (ed->append)
			goto keep;
		while (header_next(&it, &f)) {
			if (header_is(&f, "MIME-Version"))
				mime_version = 1;
			/* the new content says what it is; the rest stays */
			if (header_is(&f, "Content-Type") ||
			    header_is(&f, "Content-Transfer-Encoding") ||
			    (ed->whole && content_field(&f)))
				continue;
			buf_add(b, f.start, f.len);
			if (f.len == 0 || f.start[f.len - 1] != '\n')
				buf_adds(b, eol);
		}
		if (top && !mime_version) {
			buf_adds(b, "MIME-Version: 1.0");
			buf_adds(b, eol);
		}
		n = ed->content_len;
		/* inside a multipart the last line end is the delimiter's */
		if (!top && n && ed->content[n - 1] == '\n')
			n -= n > 1 && ed->content[n - 2] == '\r' ? 2 : 1;
		add_eol(b, ed->content, n, eol);
		return;
	}
keep:
	at = p->start;
	for (size_t i = 0; i < p->nkids; i++) {
		const struct medit_part *k = &p->kids[i];

		buf_add(b, at, (size_t)(k->start - at));
		write_part(b, k, 0, e, ne, eol);
		at = k->start + k->len;
	}
	buf_add(b, at, (size_t)(p->start + p->len - at));
	if (ed)		/* append: after the part, before what follows it */
		add_eol(b, ed->content, ed->content_len, eol);
}

char *
medit_rebuild(const struct medit_part *top, const struct medit_edit *e,
    size_t ne, const char *eol, size_t *n)
{
	struct buf b;

	buf_init(&b);
	buf_grow(&b, top->len + 4096);
	write_part(&b, top, 1, e, ne, eol);
	return buf_detach(&b, n);
}
