/* archive_html - a post's text as safe HTML: escaped, links, quotes, sig. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kith/archive_html.h"
#include "kith/archive_search.h"
#include "kith/fts.h"
#include "kith/util.h"

#define SIG_MAX_LINES 15	/* a "-- " further up is text, not a sig */
#define MARK_OPEN 0x01
#define MARK_CLOSE 0x02

struct span_state {
	int hide;		/* addresses hidden */
	int linkify;		/* URLs become links */
	int marks;		/* MARK_OPEN / MARK_CLOSE become <mark> */
	int mark_open;
	int one_line;		/* white space runs: one space */
};

static void
add_escaped_char(struct buf *b, char c)
{
	switch (c) {
	case '&': buf_adds(b, "&amp;"); break;
	case '<': buf_adds(b, "&lt;"); break;
	case '>': buf_adds(b, "&gt;"); break;
	case '"': buf_adds(b, "&quot;"); break;
	case '\'': buf_adds(b, "&#39;"); break;
	default: buf_addc(b, c);
	}
}

static void
add_escaped(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		add_escaped_char(b, s[i]);
}

static int
local_char(unsigned char c)
{
	return isalnum(c) || (c && strchr("._%+-=!#$&'*/?^`{|}~", c));
}

static int
domain_char(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.';
}

static int
is_mark(const struct span_state *st, unsigned char c)
{
	return st->marks && (c == MARK_OPEN || c == MARK_CLOSE);
}

/*
 * addr_at - an e-mail address starting at s[i] (its local part begins
 * there): its length and the offset of its '@', else 0.  Marks inside
 * it are part of it.
 */
static size_t
addr_at(const struct span_state *st, const char *s, size_t n, size_t i,
    size_t *at)
{
	size_t k = i, dots = 0, last = 0;
	const unsigned char *u = (const unsigned char *)s;

	if (i > 0 && (local_char(u[i - 1]) || u[i - 1] == '@'))
		return 0;
	while (k < n && (local_char(u[k]) || is_mark(st, u[k])))
		k++;
	if (k == i || k >= n || s[k] != '@')
		return 0;
	*at = k++;
	/* a domain: labels separated by dots, at least two */
	while (k < n && (domain_char(u[k]) || is_mark(st, u[k]))) {
		if (s[k] == '.')
			dots++;
		else if (!is_mark(st, u[k]) && s[k] != '-')
			last = k + 1;
		k++;
	}
	if (dots == 0 || last == 0 || last <= *at + 1 || s[*at + 1] == '.')
		return 0;
	/* the address ends with its last letter or digit */
	for (size_t j = *at + 1; j < last; j++)
		if (s[j] == '.' && j + 1 < last && s[j + 1] != '.')
			return last - i;
	return 0;
}

static int
scheme_at(const char *s, size_t n, size_t i, size_t *len)
{
	static const char *const schemes[] = { "https://", "http://",
		"mailto:", NULL };

	for (int k = 0; schemes[k]; k++) {
		size_t m = strlen(schemes[k]);

		if (n - i > m && !strncasecmp(s + i, schemes[k], m)) {
			*len = m;
			return k;
		}
	}
	return -1;
}

/*
 * url_letter - whether non-ASCII cp may be part of a link written in
 * text: letters of alphabets, yes ("Pálava_(hills)"); spaces, quotes
 * and punctuation of any script, no; and no Chinese, Japanese or Korean,
 * which follow a link without a space ("https://example.org/meet에서").
 */
static int
url_letter(uint32_t cp)
{
	return !(cp == 0xA0 || cp == 0xAB || cp == 0xBB ||
	    (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) ||
	    (cp >= 0xFE30 && cp <= 0xFE6F) || (cp >= 0xFF00 && cp <= 0xFF65) ||
	    fts_is_cjk(cp) || char_unsafe(cp));
}

/*
 * url_at - a link starting at s[i]: http://, https:// or mailto: at a
 * word's start, up to white space, a quote, angle bracket or non-ASCII,
 * without trailing punctuation or an unbalanced closing bracket.  Its
 * length, or 0.
 */
static size_t
url_at(const char *s, size_t n, size_t i, int *mailto)
{
	size_t k, m, end, len;
	int kind;

	if (i > 0 && isalnum((unsigned char)s[i - 1]))
		return 0;
	if ((kind = scheme_at(s, n, i, &m)) < 0)
		return 0;
	for (k = i + m; k < n; k += len) {
		unsigned char c = (unsigned char)s[k];
		uint32_t cp;

		len = 1;
		if (c <= ' ' || c == 0x7f || strchr("\"<>`", c))
			break;
		if (c >= 0x80 && ((len = utf8_next(s + k, n - k, &cp)) == 0 ||
		    !url_letter(cp)))
			break;
	}
	end = k;
	while (end > i + m) {
		char c = s[end - 1], open = c == ')' ? '(' : '[';
		int balance = 0;

		if (strchr(".,;:!?'*", c)) {
			end--;
			continue;
		}
		if (c != ')' && c != ']')
			break;
		for (k = i + m; k < end; k++)
			balance += s[k] == open ? 1 : s[k] == c ? -1 : 0;
		if (balance >= 0)
			break;
		end--;		/* a closer the link did not open */
	}
	*mailto = kind == 2;
	return end > i + m ? end - i : 0;
}

static void
mark(struct buf *out, struct span_state *st, int open)
{
	if (open && !st->mark_open)
		buf_adds(out, "<mark>");
	else if (!open && st->mark_open)
		buf_adds(out, "</mark>");
	st->mark_open = open;
}

/*
 * span - s[0..n) escaped into out with links, hidden addresses and
 * marks as st says; what a reader should not get is dropped.
 */
/*
 * plain_run - how many bytes from s[i] need nothing but copying: printable
 * ASCII that is not escaped, cannot start a link (when links are made)
 * and is not in an address (when addresses are hidden and the text has
 * an '@' at all).  Most of a post's text goes through here.
 */
static size_t
plain_run(const char *s, size_t n, size_t i, int links, int addrs,
    int one_line)
{
	size_t k = i;

	for (; k < n; k++) {
		unsigned char c = (unsigned char)s[k];

		if (c < 0x20 || c >= 0x7f || c == '&' || c == '<' || c == '>' ||
		    c == '"' || c == '\'' || (one_line && c == ' ') ||
		    (links && (c == 'h' || c == 'H' || c == 'm' || c == 'M')) ||
		    (addrs && local_char(c)))
			break;
	}
	return k - i;
}

static void
span(struct buf *out, const char *s, size_t n, struct span_state *st)
{
	size_t i = 0, len, at;
	int space = 0, mailto;
	/* what cannot be in this text is not looked for at every byte */
	int links = st->linkify && memchr(s, ':', n) != NULL;
	int addrs = st->hide && memchr(s, '@', n) != NULL;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;

		if ((len = plain_run(s, n, i, links, addrs, st->one_line)) > 0) {
			buf_add(out, s + i, len);
			i += len;
			space = 0;
			continue;
		}
		if (is_mark(st, c)) {
			mark(out, st, c == MARK_OPEN);
			i++;
			continue;
		}
		if (links && (len = url_at(s, n, i, &mailto)) > 0 &&
		    !(mailto && st->hide)) {
			buf_adds(out, "<a href=\"");
			add_escaped(out, s + i, len);
			buf_adds(out, "\" rel=\"nofollow noopener\">");
			add_escaped(out, s + i, len);
			buf_adds(out, "</a>");
			i += len;
			space = 0;
			continue;
		}
		if (addrs && (len = addr_at(st, s, n, i, &at)) > 0) {
			int after = st->mark_open;

			for (size_t k = i; k < at; k++)
				if (is_mark(st, (unsigned char)s[k]))
					mark(out, st, s[k] == MARK_OPEN);
				else
					add_escaped_char(out, s[k]);
			/* the domain's marks go with it; where they leave off
			 * holds after it */
			after = st->mark_open;
			for (size_t k = at; k < i + len; k++)
				if (is_mark(st, (unsigned char)s[k]))
					after = s[k] == MARK_OPEN;
			buf_adds(out, "@…");
			mark(out, st, after);
			i += len;
			space = 0;
			continue;
		}
		if ((len = utf8_next(s + i, n - i, &cp)) == 0) {
			buf_adds(out, "\xef\xbf\xbd");	/* U+FFFD */
			i++;
			continue;
		}
		if (st->one_line && (cp == ' ' || cp == '\t' || cp == '\n' ||
		    cp == '\r')) {
			if (!space)
				buf_addc(out, ' ');
			space = 1;
			i += len;
			continue;
		}
		space = 0;
		if (cp != '\t' && char_unsafe(cp)) {
			i += len;
			continue;
		}
		if (len == 1)
			add_escaped_char(out, (char)c);
		else
			buf_add(out, s + i, len);
		i += len;
	}
}

/* The lines of text, without their line ends. */
struct lines {
	const char **s;
	size_t *n;
	size_t count;
};

static void
split_lines(const char *text, struct lines *l)
{
	size_t cap = 16;
	const char *p = text;

	l->s = xmalloc(cap * sizeof(*l->s));
	l->n = xmalloc(cap * sizeof(*l->n));
	l->count = 0;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (l->count == cap) {
			cap *= 2;
			l->s = xrealloc(l->s, cap * sizeof(*l->s));
			l->n = xrealloc(l->n, cap * sizeof(*l->n));
		}
		l->s[l->count] = p;
		l->n[l->count++] = len > 0 && p[len - 1] == '\r' ? len - 1 : len;
		p += len + (e ? 1 : 0);
	}
}

static int
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
quoted(const char *s, size_t n)
{
	return n > 0 && s[0] == '>';
}

/* The first line of the signature, or count when there is none. */
static size_t
sig_start(const struct lines *l)
{
	for (size_t i = l->count; i-- > 0 && l->count - i <= SIG_MAX_LINES;)
		if ((l->n[i] == 3 && !memcmp(l->s[i], "-- ", 3)) ||
		    (l->n[i] == 2 && !memcmp(l->s[i], "--", 2)))
			return i;
	return l->count;
}

/* Lines [from, to) escaped, one per line, blank ones at the ends gone. */
static void
block(struct buf *out, const struct lines *l, size_t from, size_t to,
    struct span_state *st)
{
	while (from < to && blank(l->s[from], l->n[from]))
		from++;
	while (to > from && blank(l->s[to - 1], l->n[to - 1]))
		to--;
	for (size_t i = from; i < to; i++) {
		if (i > from)
			buf_addc(out, '\n');
		span(out, l->s[i], l->n[i], st);
	}
}

static void
quote(struct buf *out, const struct lines *l, size_t from, size_t to,
    struct span_state *st, const struct ahtml_opts *o)
{
	int n = (int)(to - from);

	if (n < ARCHIVE_QUOTE_FOLD) {
		buf_adds(out, "<blockquote class=\"quote\">");
		block(out, l, from, to, st);
		buf_adds(out, "</blockquote>");
		return;
	}
	buf_adds(out, "<details class=\"quote\"><summary>");
	if (o && o->quote_summary) {
		char *s = o->quote_summary(n, o->ctx);

		buf_adds(out, s ? s : "");
		free(s);
	} else
		buf_addf(out, "&gt; %d", n);
	buf_adds(out, "</summary><blockquote>");
	block(out, l, from, to, st);
	buf_adds(out, "</blockquote></details>");
}

/* Whether lines [from, to) hold anything but white space. */
static int
any_text(const struct lines *l, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (!blank(l->s[i], l->n[i]))
			return 1;
	return 0;
}

void
archive_html_text(struct buf *out, const char *text,
    const struct ahtml_opts *o)
{
	struct span_state st = { o && o->hide_addresses, 1, 0, 0, 0 };
	struct lines l;
	size_t sig, i = 0;

	split_lines(text ? text : "", &l);
	sig = sig_start(&l);
	while (i < sig) {
		size_t j = i;

		if (quoted(l.s[i], l.n[i])) {
			while (j < sig && quoted(l.s[j], l.n[j]))
				j++;
			quote(out, &l, i, j, &st, o);
		} else {
			while (j < sig && !quoted(l.s[j], l.n[j]))
				j++;
			if (any_text(&l, i, j)) {
				buf_adds(out, "<div class=\"t\">");
				block(out, &l, i, j, &st);
				buf_adds(out, "</div>");
			}
		}
		i = j;
	}
	if (sig < l.count && any_text(&l, sig + 1, l.count)) {
		buf_adds(out, "<div class=\"sig\">-- \n");
		block(out, &l, sig + 1, l.count, &st);
		buf_adds(out, "</div>");
	}
	free(l.s);
	free(l.n);
}

void
archive_html_marked(struct buf *out, const char *marked, int hide_addresses)
{
	struct span_state st = { hide_addresses, 0, 1, 0, 1 };

	span(out, marked ? marked : "", marked ? strlen(marked) : 0, &st);
	mark(out, &st, 0);
}

char *
archive_html_plain(const char *s, int hide_addresses)
{
	struct buf esc, out;
	struct span_state st = { hide_addresses, 0, 0, 0, 1 };
	size_t i = 0;

	/* span escapes: render, then take the entities back */
	buf_init(&esc);
	buf_init(&out);
	span(&esc, s ? s : "", s ? strlen(s) : 0, &st);
	while (i < esc.len) {
		static const struct { const char *e; char c; } ents[] = {
			{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
			{ "&quot;", '"' }, { "&#39;", '\'' },
		};
		size_t k;

		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
			if (!strncmp(esc.data + i, ents[k].e, strlen(ents[k].e)))
				break;
		if (k < sizeof(ents) / sizeof(ents[0])) {
			buf_addc(&out, ents[k].c);
			i += strlen(ents[k].e);
		} else
			buf_addc(&out, esc.data[i++]);
	}
	buf_release(&esc);
	if (out.data == NULL)
		return xstrdup("");
	{
		char *t = xstrdup(str_trim(out.data));

		buf_release(&out);
		return t;
	}
}
