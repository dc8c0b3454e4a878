/* mime - the MIME builder: parts, encodings, parameters, header fields. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "kith/message.h"
#include "kith/mime.h"
#include "kith/rfc2047.h"
#include "kith/util.h"

#define FOLD_AT 78	/* RFC 5322 2.1.1: lines SHOULD be no longer */
#define BOUNDARY_PREFIX "=_kith_"

enum part_kind { PART_TEXT, PART_DATA, PART_MESSAGE, PART_MULTI, PART_RAW };

struct param {
	char *name, *value;
};

struct mime_part {
	enum part_kind kind;
	char *type;			/* "text/plain", "multipart/mixed" */
	struct param *params;
	size_t nparams;
	char *body;			/* text: CRLF lines */
	size_t len;
	int eightbit;			/* body holds a byte over 127 */
	int longline;			/* a line over 998 octets */
	enum mime_encoding enc;
	enum mime_disposition disp;
	char *filename, *content_id, *description;
	struct buf head;		/* header fields of the message */
	struct mime_part *kids, *last, *next;
	char boundary[48];		/* chosen by mime_write */
	int as_part;			/* mime_write_part: no MIME-Version */
};

static struct mime_part *
part_new(enum part_kind kind, const char *type)
{
	struct mime_part *p = xcalloc(1, sizeof(*p));

	p->kind = kind;
	p->type = xstrdup(type);
	buf_init(&p->head);
	return p;
}

/* The bytes of s[0..n) or-ed together, eight at a time. */
static unsigned char
or_bytes(const char *s, size_t n)
{
	uint64_t w = 0, x;
	unsigned char c = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, s + i, 8);
		w |= x;
	}
	for (; i < n; i++)
		c |= (unsigned char)s[i];
	for (int k = 0; k < 8; k++)
		c |= (unsigned char)(w >> (8 * k));
	return c;
}

/* Note 8-bit bytes and over-long lines in p's body. */
static void
scan_body(struct mime_part *p)
{
	const char *s = p->body, *end = s + p->len;
	unsigned char high = 0;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);

		high |= or_bytes(s, n);
		if (n - (n > 0 && s[n - 1] == '\r') > HEADER_LINE_MAX)
			p->longline = 1;
		s += n + 1;
	}
	p->eightbit = (high & 0x80) != 0;
}

/*
 * canonical - utf8 with every line ending in CRLF (RFC 2046 4.1.1) as
 * p's body: LF becomes CRLF, a CR not before LF goes.  Copies runs
 * between line ends whole: newsletters render thousands a second.
 */
static void
canonical(struct mime_part *p, const char *utf8)
{
	size_t lf = 0;
	const char *s;
	char *o;

	for (s = strchr(utf8, '\n'); s; s = strchr(s + 1, '\n'))
		lf++;
	o = p->body = xmalloc(strlen(utf8) + lf + 1);
	for (s = utf8;;) {
		size_t n = strcspn(s, "\r\n");

		memcpy(o, s, n);
		o += n;
		s += n;
		if (*s == '\0')
			break;
		if (*s == '\n') {
			*o++ = '\r';
			*o++ = '\n';
		}
		s++;
	}
	*o = '\0';
	p->len = (size_t)(o - p->body);
}

struct mime_part *
mime_text_new(const char *subtype, const char *utf8)
{
	char *type = xasprintf("text/%s", subtype);
	struct mime_part *p = part_new(PART_TEXT, type);

	free(type);
	canonical(p, utf8);
	scan_body(p);
	mime_part_param(p, "charset", "UTF-8");
	return p;
}

struct mime_part *
mime_data_new(const char *type, const void *data, size_t len)
{
	struct mime_part *p = part_new(PART_DATA, type);

	p->body = xmalloc(len + 1);
	memcpy(p->body, data, len);
	p->body[len] = '\0';
	p->len = len;
	return p;
}

struct mime_part *
mime_message_new(const char *raw, size_t len)
{
	struct mime_part *p = mime_data_new("message/rfc822", raw, len);

	p->kind = PART_MESSAGE;
	scan_body(p);
	return p;
}

struct mime_part *
mime_raw_new(const char *raw, size_t len)
{
	struct mime_part *p = mime_data_new("", raw, len);

	p->kind = PART_RAW;
	return p;
}

struct mime_part *
mime_multipart_new(const char *subtype)
{
	char *type = xasprintf("multipart/%s", subtype);
	struct mime_part *p = part_new(PART_MULTI, type);

	free(type);
	return p;
}

void
mime_part_add(struct mime_part *parent, struct mime_part *child)
{
	if (parent->last)
		parent->last->next = child;
	else
		parent->kids = child;
	parent->last = child;
}

void
mime_part_free(struct mime_part *p)
{
	struct mime_part *k, *next;

	if (p == NULL)
		return;
	for (k = p->kids; k; k = next) {
		next = k->next;
		mime_part_free(k);
	}
	for (size_t i = 0; i < p->nparams; i++) {
		free(p->params[i].name);
		free(p->params[i].value);
	}
	free(p->params);
	free(p->type);
	free(p->body);
	free(p->filename);
	free(p->content_id);
	free(p->description);
	buf_release(&p->head);
	free(p);
}

void
mime_part_param(struct mime_part *p, const char *name, const char *value)
{
	p->params = xrealloc(p->params, (p->nparams + 1) * sizeof(*p->params));
	p->params[p->nparams].name = xstrdup(name);
	p->params[p->nparams].value = xstrdup(value);
	p->nparams++;
}

void
mime_part_encoding(struct mime_part *p, enum mime_encoding e)
{
	p->enc = e;
}

void
mime_part_disposition(struct mime_part *p, enum mime_disposition d,
    const char *filename)
{
	p->disp = d;
	free(p->filename);
	p->filename = filename ? xstrdup(filename) : NULL;
}

void
mime_part_content_id(struct mime_part *p, const char *id)
{
	free(p->content_id);
	p->content_id = xstrdup(id);
}

void
mime_part_description(struct mime_part *p, const char *utf8)
{
	free(p->description);
	p->description = xstrdup(utf8);
}

/* ---- header fields --------------------------------------------------- */

/* A header field being written: words folded before FOLD_AT columns. */
struct fold {
	struct buf *b;
	size_t col;		/* columns on the current line */
	int bare;		/* no word after "Name:" yet */
};

static void
fold_open(struct fold *f, struct buf *b, const char *name)
{
	f->b = b;
	buf_adds(b, name);
	buf_addc(b, ':');
	f->col = strlen(name) + 1;
	f->bare = 1;
}

/*
 * fold_word - " word", on a new line when it would pass FOLD_AT columns.
 * Never before the field's first word (no line holds only "Name:") or
 * one of white space alone (no line is blank).
 */
static void
fold_word(struct fold *f, const char *w, size_t n)
{
	int blank = n == 0 || w[n - 1] == ' ';

	if (!f->bare && !blank && f->col + 1 + n > FOLD_AT) {
		buf_adds(f->b, "\r\n");
		f->col = 0;
	}
	buf_addc(f->b, ' ');
	buf_add(f->b, w, n);
	f->col += 1 + n;
	if (!blank)
		f->bare = 0;
}

/*
 * fold_words - the words of s.  A word takes the spaces before it but
 * one, where a fold may go, so that runs of spaces survive unfolding.
 */
static void
fold_words(struct fold *f, const char *s)
{
	for (;;) {
		const char *e = s + strspn(s, " ");

		e += strcspn(e, " ");
		fold_word(f, s, (size_t)(e - s));
		if (*e == '\0')
			break;
		s = e + 1;
	}
}

static void
fold_close(struct fold *f)
{
	buf_adds(f->b, "\r\n");
}

/* s as valid UTF-8 with every control a space; caller frees. */
static char *
clean_text(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	char *c;

	while (*u >= 0x20 && *u < 0x7f)	/* printable ASCII: as it is */
		u++;
	if (*u == '\0')
		return xstrdup(s);
	c = utf8_sanitize(s, strlen(s));

	for (char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return c;
}

/* utf8 (clean) as encoded-words, each fitting the line it starts. */
static void
fold_encoded(struct fold *f, const char *s)
{
	size_t len = strlen(s), i = 0;
	struct buf w;

	buf_init(&w);
	while (i < len) {
		/* The first word shares its line with "Name:". */
		size_t room = f->bare && f->col + 25 < FOLD_AT ?
		    FOLD_AT - f->col - 1 : 75;

		buf_reset(&w);
		i += rfc2047_word(&w, s + i, len - i, room);
		fold_word(f, w.data, w.len);
	}
	buf_release(&w);
}

/* A display name: a quoted-string when ASCII, else encoded-words. */
static void
fold_phrase(struct fold *f, const char *utf8)
{
	char *s = clean_text(utf8);
	struct buf q;

	if (rfc2047_needed(s)) {
		fold_encoded(f, s);
		free(s);
		return;
	}
	buf_init(&q);
	buf_addc(&q, '"');
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addc(&q, '\\');
		buf_addc(&q, *p);
	}
	buf_addc(&q, '"');
	/* folding white space may go inside a quoted-string (RFC 5322 3.2.4) */
	fold_words(f, q.data);
	buf_release(&q);
	free(s);
}

/* fold_text - utf8 (clean) as encoded-words when it needs them, else as
 * its words. */
static void
fold_text(struct fold *f, const char *utf8)
{
	if (rfc2047_needed(utf8))
		fold_encoded(f, utf8);
	else
		fold_words(f, utf8);
}

/* field_write - "name: value" and CRLF on b, value cleaned, folded by fill. */
static void
field_write(struct buf *b, const char *name, const char *value,
    void (*fill)(struct fold *, const char *))
{
	struct fold f;
	char *v = clean_text(value);

	fold_open(&f, b, name);
	fill(&f, v);
	fold_close(&f);
	free(v);
}

void
mime_field(struct buf *b, const char *name, const char *value)
{
	field_write(b, name, value, fold_words);
}

/* mime_field with the value formatted as printf does. */
static void
field_va(struct buf *b, const char *name, const char *fmt, va_list ap)
{
	va_list again;
	char *v;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	v = xmalloc(n > 0 ? (size_t)n + 1 : 1);
	*v = '\0';
	if (n > 0)
		vsnprintf(v, (size_t)n + 1, fmt, again);
	va_end(again);
	mime_field(b, name, v);
	free(v);
}

void
mime_fieldf(struct buf *b, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	field_va(b, name, fmt, ap);
	va_end(ap);
}

void
mime_headerf(struct mime_part *p, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	field_va(&p->head, name, fmt, ap);
	va_end(ap);
}

void
mime_field_text(struct buf *b, const char *name, const char *utf8)
{
	field_write(b, name, utf8, fold_text);
}

/* One "display <addr>" of an address field; last says no comma follows. */
static void
fold_addr(struct fold *f, const struct mime_addr *a, int last)
{
	char *addr = clean_text(a->addr), *w, *p, *q;

	/* An address never holds white space, <> or a comma: drop them. */
	for (p = q = addr; *p; p++)
		if (!strchr(" <>,", *p))
			*q++ = *p;
	*q = '\0';
	if (a->display && *a->display)
		fold_phrase(f, a->display);
	w = xasprintf("<%s>%s", addr, last ? "" : ",");
	fold_word(f, w, strlen(w));
	free(w);
	free(addr);
}

void
mime_field_addrs(struct buf *b, const char *name, const struct mime_addr *v,
    size_t n)
{
	struct fold f;

	fold_open(&f, b, name);
	for (size_t i = 0; i < n; i++)
		fold_addr(&f, &v[i], i + 1 == n);
	fold_close(&f);
}

void
mime_field_addr(struct buf *b, const char *name, const char *display,
    const char *addr)
{
	struct mime_addr a = { display, addr };

	mime_field_addrs(b, name, &a, 1);
}

struct buf *
mime_head(struct mime_part *p)
{
	return &p->head;
}

void
mime_header(struct mime_part *p, const char *name, const char *value)
{
	mime_field(&p->head, name, value);
}

void
mime_header_text(struct mime_part *p, const char *name, const char *utf8)
{
	mime_field_text(&p->head, name, utf8);
}

void
mime_header_addr(struct mime_part *p, const char *name, const char *display,
    const char *addr)
{
	mime_field_addr(&p->head, name, display, addr);
}

void
mime_header_addrs(struct mime_part *p, const char *name,
    const struct mime_addr *v, size_t n)
{
	mime_field_addrs(&p->head, name, v, n);
}

/* ---- parameters (RFC 2045 5.1, RFC 2231) ------------------------------ */

/* Characters an RFC 2231 ext-value keeps as they are (attribute-char). */
static int
attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$&+-.^_`|~", c) != NULL;
}

/* 1 when v can go as a quoted-string (printable ASCII). */
static int
quotable(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return 1;
}

/* The longest word a parameter may be: " word;" within FOLD_AT. */
#define PARAM_MAX (FOLD_AT - 2)

/* ";" ending the word before the next parameter. */
static void
fold_semi(struct fold *f)
{
	buf_addc(f->b, ';');
	f->col++;
}

/* name=value as a token (letters, digits, '-') or a quoted-string. */
static void
param_plain(struct buf *w, const char *name, const char *value)
{
	int token = *value != '\0';

	for (const char *p = value; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-')
			token = 0;
	if (token) {
		buf_addf(w, "%s=%s", name, value);
		return;
	}
	buf_addf(w, "%s=\"", name);
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addc(w, '\\');
		buf_addc(w, *p);
	}
	buf_addc(w, '"');
}

/* The RFC 2231 form of the character at v (n bytes) appended to w. */
static void
param_char(struct buf *w, const unsigned char *v, size_t n)
{
	for (size_t k = 0; k < n; k++)
		buf_addf(w, attr_char(v[k]) ? "%c" : "%%%02X", v[k]);
}

/* Length of the UTF-8 sequence at v[0..len) (a stray byte is one). */
static size_t
char_len(const unsigned char *v, size_t len)
{
	size_t n = 1;

	if (v[0] >= 0xc0)
		while (n < len && n < 4 && (v[n] & 0xc0) == 0x80)
			n++;
	return n;
}

/*
 * fold_param - name=value as one word when it fits (param_plain);
 * otherwise RFC 2231: name*=UTF-8''%XX... when that fits, else pieces
 * name*0*=UTF-8''..., name*1*=..., each fitting a line, none splitting a
 * character or a %XX.
 */
static void
fold_param(struct fold *f, const char *name, const char *value)
{
	const unsigned char *v = (const unsigned char *)value;
	size_t len = strlen(value), i = 0;
	struct buf w;
	int n = 0;

	buf_init(&w);
	if (quotable(value)) {
		param_plain(&w, name, value);
		if (w.len <= PARAM_MAX)
			goto out;
	}
	buf_reset(&w);
	buf_addf(&w, "%s*=UTF-8''", name);
	param_char(&w, v, len);
	if (w.len <= PARAM_MAX)
		goto out;
	while (i < len) {
		if (n > 0) {
			fold_word(f, w.data, w.len);
			fold_semi(f);
		}
		buf_reset(&w);
		buf_addf(&w, n == 0 ? "%s*%d*=UTF-8''" : "%s*%d*=", name, n);
		n++;
		do {
			size_t cl = char_len(v + i, len - i), el = 0;

			for (size_t k = 0; k < cl; k++)
				el += attr_char(v[i + k]) ? 1 : 3;
			/* a piece holds at least one character */
			if (w.len + el > PARAM_MAX && w.data[w.len - 1] !=
			    '=' && w.data[w.len - 1] != '\'')
				break;
			param_char(&w, v + i, cl);
			i += cl;
		} while (i < len);
	}
out:
	fold_word(f, w.data, w.len);
	buf_release(&w);
}

/* ---- writing ----------------------------------------------------------- */

/* How a body is written. */
enum written { W_7BIT, W_8BIT, W_QP, W_BASE64 };

static const char *const written_names[] = { "7bit", "8bit",
	"quoted-printable", "base64" };

/* written - the encoding p's body goes in (see mime.h). */
static enum written
written(const struct mime_part *p)
{
	switch (p->kind) {
	case PART_MESSAGE:	/* RFC 2046 5.2.1: never encoded */
		return p->eightbit ? W_8BIT : W_7BIT;
	case PART_MULTI:
	case PART_RAW:		/* written as it came */
		return W_7BIT;
	default:
		break;
	}
	switch (p->enc) {
	case MIME_8BIT:
		return W_8BIT;
	case MIME_QP:
		return W_QP;
	case MIME_BASE64:
		return W_BASE64;
	default:
		if (p->kind == PART_DATA)
			return W_BASE64;
		return p->eightbit || p->longline ? W_QP : W_7BIT;
	}
}

/* One QP-encoded line (without its line end), soft-broken at 76 columns. */
static void
qp_line(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char out[80];
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		/* Trailing white space would be stripped in transit. */
		int literal = (c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && i + 1 < n);
		size_t w = literal ? 1 : 3;

		if (col + w > 75) {
			out[col++] = '=';
			out[col++] = '\r';
			out[col++] = '\n';
			buf_add(b, out, col);
			col = 0;
		}
		if (literal)
			out[col++] = (char)c;
		else {
			out[col++] = '=';
			out[col++] = hex[c >> 4];
			out[col++] = hex[c & 15];
		}
	}
	buf_add(b, out, col);
}

/*
 * qp_encode - s[0..len) as quoted-printable (RFC 2045 6.7), a line at a
 * time; LF or CRLF end a line, and a last line without one stays so.
 * Its output never holds "=_" ('=' is always "=XX" or a soft break).
 */
static void
qp_encode(struct buf *b, const char *s, size_t len)
{
	const char *end = s + len;

	buf_grow(b, len + len / 8);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);

		qp_line(b, s, n > 0 && s[n - 1] == '\r' ? n - 1 : n);
		if (nl == NULL)
			break;
		buf_adds(b, "\r\n");
		s = nl + 1;
	}
}

/* data as base64 in CRLF lines of 76 characters (RFC 2045 6.8). */
static void
base64_encode(struct buf *b, const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned char out[80];

	buf_grow(b, len / 57 * 78 + 80);
	for (size_t off = 0; off < len; off += 57) {
		size_t n = len - off < 57 ? len - off : 57;
		int w = EVP_EncodeBlock(out, p + off, (int)n);

		buf_add(b, out, (size_t)w);
		buf_adds(b, "\r\n");
	}
}

/* The Content-* fields of p, a child of parent (NULL at the top). */
static void
content_fields(struct buf *b, const struct mime_part *p,
    const struct mime_part *parent)
{
	enum written w = written(p);
	struct fold f;

	/* In a digest, message/rfc822 is the default (RFC 2046 5.1.5). */
	if (p->kind != PART_MESSAGE || parent == NULL ||
	    strcmp(parent->type, "multipart/digest")) {
		fold_open(&f, b, "Content-Type");
		fold_word(&f, p->type, strlen(p->type));
		for (size_t i = 0; i < p->nparams; i++) {
			fold_semi(&f);
			fold_param(&f, p->params[i].name, p->params[i].value);
		}
		if (p->kind == PART_MULTI) {
			fold_semi(&f);
			fold_param(&f, "boundary", p->boundary);
		}
		fold_close(&f);
	}
	if (p->kind == PART_TEXT || p->kind == PART_DATA || w == W_8BIT)
		buf_addf(b, "Content-Transfer-Encoding: %s\r\n",
		    written_names[w]);
	if (p->disp != MIME_DISP_NONE) {
		fold_open(&f, b, "Content-Disposition");
		fold_words(&f, p->disp == MIME_INLINE ? "inline" :
		    "attachment");
		if (p->filename) {
			fold_semi(&f);
			fold_param(&f, "filename", p->filename);
		}
		fold_close(&f);
	}
	if (p->content_id) {
		char *id = xasprintf("<%s>", p->content_id);

		mime_field(b, "Content-ID", id);
		free(id);
	}
	if (p->description)
		mime_field_text(b, "Content-Description", p->description);
}

/* write_part - p (a child of parent, NULL at the top) appended to b. */
static void
write_part(struct buf *b, const struct mime_part *p,
    const struct mime_part *parent)
{
	if (p->kind == PART_RAW) {
		buf_add(b, p->body, p->len);
		return;
	}
	buf_add(b, p->head.data, p->head.len);
	if (parent == NULL && !p->as_part)
		buf_adds(b, "MIME-Version: 1.0\r\n");
	content_fields(b, p, parent);
	buf_adds(b, "\r\n");
	switch (written(p)) {
	case W_QP:
		qp_encode(b, p->body, p->len);
		return;
	case W_BASE64:
		base64_encode(b, p->body, p->len);
		return;
	default:
		if (p->kind != PART_MULTI) {
			buf_add(b, p->body, p->len);
			return;
		}
	}
	/* The CRLF before each delimiter belongs to it (RFC 2046 5.1.1):
	 * every part keeps its last line end. */
	for (const struct mime_part *k = p->kids; k; k = k->next) {
		buf_addf(b, "%s--%s\r\n", k == p->kids ? "" : "\r\n",
		    p->boundary);
		write_part(b, k, p);
	}
	buf_addf(b, "\r\n--%s--\r\n", p->boundary);
}

/* Where boundaries come from: random, or a seed and a counter. */
struct draw {
	const char *seed;
	unsigned n;
};

static void
draw_boundary(struct draw *d, char *out, size_t outlen)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[25], *in, *rnd;

	if (d->seed) {
		in = xasprintf("%s/%u", d->seed, d->n++);
		EVP_Digest(in, strlen(in), md, NULL, EVP_sha256(), NULL);
		free(in);
		for (int i = 0; i < 12; i++) {
			hex[2 * i] = digits[md[i] >> 4];
			hex[2 * i + 1] = digits[md[i] & 15];
		}
		hex[24] = '\0';
		snprintf(out, outlen, BOUNDARY_PREFIX "%s", hex);
		return;
	}
	rnd = random_hex(12);
	snprintf(out, outlen, BOUNDARY_PREFIX "%s", rnd);
	free(rnd);
}

static int
holds(const char *s, const char *needle)
{
	return s && strstr(s, needle);
}

/*
 * occurs - 1 when bnd could appear in what p and its children write,
 * their boundaries apart: in a body written as it is, or in a header
 * value.  Quoted-printable and base64 bodies cannot hold "=_".
 */
static int
occurs(const struct mime_part *p, const char *bnd)
{
	enum written w = written(p);

	if (holds(p->head.data, bnd) || holds(p->filename, bnd) ||
	    holds(p->content_id, bnd) || holds(p->description, bnd))
		return 1;
	for (size_t i = 0; i < p->nparams; i++)
		if (holds(p->params[i].value, bnd))
			return 1;
	if (p->kind != PART_MULTI)
		return (w == W_7BIT || w == W_8BIT) && p->len &&
		    memmem(p->body, p->len, bnd, strlen(bnd)) != NULL;
	for (const struct mime_part *k = p->kids; k; k = k->next)
		if (occurs(k, bnd))
			return 1;
	return 0;
}

/* 1 when a multipart of tree other than self has boundary bnd. */
static int
taken(const struct mime_part *tree, const struct mime_part *self,
    const char *bnd)
{
	if (tree != self && tree->kind == PART_MULTI &&
	    !strcmp(tree->boundary, bnd))
		return 1;
	for (const struct mime_part *k = tree->kids; k; k = k->next)
		if (taken(k, self, bnd))
			return 1;
	return 0;
}

static void
clear_boundaries(struct mime_part *p)
{
	p->boundary[0] = '\0';
	for (struct mime_part *k = p->kids; k; k = k->next)
		clear_boundaries(k);
}

/* A boundary for every multipart under p, outermost first. */
static void
assign_boundaries(struct mime_part *tree, struct mime_part *p,
    struct draw *d)
{
	if (p->kind != PART_MULTI)
		return;
	do
		draw_boundary(d, p->boundary, sizeof(p->boundary));
	while (occurs(p, p->boundary) || taken(tree, p, p->boundary));
	for (struct mime_part *k = p->kids; k; k = k->next)
		assign_boundaries(tree, k, d);
}

void
mime_write(struct mime_part *p, const char *seed, struct buf *out)
{
	struct draw d = { seed, 0 };

	clear_boundaries(p);
	assign_boundaries(p, p, &d);
	write_part(out, p, NULL);
	/* SMTP ends the message with a line end */
	if (out->len && out->data[out->len - 1] != '\n')
		buf_adds(out, "\r\n");
}

void
mime_write_part(struct mime_part *p, const char *seed, struct buf *out)
{
	p->as_part = 1;
	mime_write(p, seed, out);
	p->as_part = 0;
}

char *
mime_detach(struct mime_part *p, const char *seed, size_t *len)
{
	struct buf b;

	buf_init(&b);
	mime_write(p, seed, &b);
	return buf_detach(&b, len);
}
