/* html - HTML to plain text: words whole, links kept, quotes marked. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kith/html.h"
#include "kith/util.h"

/* How an element shapes the text around it. */
enum shape { INLINE, CELL, LINE, PARAGRAPH };

static const struct {
	const char *name;
	enum shape shape;
} shapes[] = {
	{ "p", PARAGRAPH }, { "h1", PARAGRAPH }, { "h2", PARAGRAPH },
	{ "h3", PARAGRAPH }, { "h4", PARAGRAPH }, { "h5", PARAGRAPH },
	{ "h6", PARAGRAPH }, { "blockquote", PARAGRAPH }, { "ul", PARAGRAPH },
	{ "ol", PARAGRAPH }, { "dl", PARAGRAPH }, { "table", PARAGRAPH },
	{ "pre", PARAGRAPH }, { "hr", PARAGRAPH }, { "figure", PARAGRAPH },
	{ "form", PARAGRAPH }, { "fieldset", PARAGRAPH },
	{ "div", LINE }, { "li", LINE }, { "tr", LINE }, { "dt", LINE },
	{ "dd", LINE }, { "section", LINE }, { "article", LINE },
	{ "header", LINE }, { "footer", LINE }, { "nav", LINE },
	{ "aside", LINE }, { "main", LINE }, { "center", LINE },
	{ "caption", LINE }, { "address", LINE }, { "figcaption", LINE },
	{ "td", CELL }, { "th", CELL },
};

/* Elements whose content is not text for a reader. */
static const char *const hidden[] = { "script", "style", "title",
	"template", NULL };

static const struct {
	const char *name;
	const char *utf8;
} entities[] = {
	{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" },
	{ "apos", "'" }, { "nbsp", " " }, { "copy", "\xc2\xa9" },
	{ "reg", "\xc2\xae" }, { "trade", "\xe2\x84\xa2" },
	{ "hellip", "\xe2\x80\xa6" }, { "mdash", "\xe2\x80\x94" },
	{ "ndash", "\xe2\x80\x93" }, { "lsquo", "\xe2\x80\x98" },
	{ "rsquo", "\xe2\x80\x99" }, { "ldquo", "\xe2\x80\x9c" },
	{ "rdquo", "\xe2\x80\x9d" }, { "laquo", "\xc2\xab" },
	{ "raquo", "\xc2\xbb" }, { "bull", "\xe2\x80\xa2" },
	{ "middot", "\xc2\xb7" }, { "euro", "\xe2\x82\xac" },
	{ "deg", "\xc2\xb0" }, { "times", "\xc3\x97" },
	{ "shy", "" }, { "zwnj", "" }, { "zwj", "" },
};

/* The converter's state while it walks the HTML once. */
struct conv {
	struct buf *out;
	int nl;			/* line ends written last; -1: nothing yet */
	int owed;		/* line ends owed before the next text: 0..2 */
	int space;		/* a space owed before the next text */
	int quote;		/* <blockquote> depth */
	int pre;		/* inside <pre> */
	char *href;		/* the open link's target, or NULL */
	size_t link_start;	/* where its text begins in out */
};

static void
put_newline(struct conv *c)
{
	buf_addc(c->out, '\n');
	c->nl++;
}

static void
owe(struct conv *c, int lines)
{
	if (lines > c->owed)
		c->owed = lines;
}

/*
 * add_text - n bytes of text, after what is owed: line ends, then the
 * quote marks of a line's start, or the space between words.
 */
static void
add_text(struct conv *c, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (c->nl >= 0)
		while (c->nl < c->owed)
			put_newline(c);
	c->owed = 0;
	if (c->nl != 0) {	/* at the start of a line */
		for (int i = 0; i < c->quote; i++)
			buf_adds(c->out, "> ");
	} else if (c->space)
		buf_addc(c->out, ' ');
	c->space = 0;
	buf_add(c->out, s, n);
	c->nl = 0;
}

/*
 * line_break - a hard line end (<br>, or a line end inside <pre>): what
 * is owed first, then one more, so that "<div><br></div>" is the empty
 * line it shows as.
 */
static void
line_break(struct conv *c)
{
	if (c->nl < 0)
		return;		/* nothing above it to end */
	while (c->nl < c->owed)
		put_newline(c);
	put_newline(c);
	c->owed = 0;
	c->space = 0;
}

/* cp as UTF-8 in u; its length, 0 for controls and broken numbers. */
static size_t
utf8_encode(unsigned long cp, char *u)
{
	size_t n;

	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp < 0xe000))
		return 0;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return n;
}

/*
 * entity - the entity at s (s[0] == '&') decoded to UTF-8 in u (room for
 * 8; a no-break space is " "), its length in *ulen; returns the bytes it
 * took, or 0 when it is no entity (the '&' then stands for itself).
 */
static size_t
entity(const char *s, size_t n, char *u, size_t *ulen)
{
	size_t k;

	*ulen = 0;
	if (n > 2 && s[1] == '#') {
		int hex = s[2] == 'x' || s[2] == 'X';
		unsigned long cp = 0;
		size_t d;

		k = hex ? 3 : 2;
		for (d = k; d < n && d < k + 8 && (hex ?
		    isxdigit((unsigned char)s[d]) : isdigit((unsigned char)s[d]));
		    d++)
			cp = cp * (hex ? 16 : 10) + (unsigned long)(isdigit(
			    (unsigned char)s[d]) ? s[d] - '0' :
			    (tolower((unsigned char)s[d]) - 'a' + 10));
		if (d == k)
			return 0;
		if (d < n && s[d] == ';')
			d++;
		if (cp == 0xa0 || cp == '\t' || cp == '\n' || cp == '\r')
			cp = ' ';
		*ulen = utf8_encode(cp, u);
		return d;
	}
	for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++) {
		size_t len = strlen(entities[i].name);

		if (n > len && !strncmp(s + 1, entities[i].name, len) &&
		    (n == len + 1 || !isalnum((unsigned char)s[len + 1]))) {
			k = len + 1 + (n > len + 1 && s[len + 1] == ';');
			*ulen = strlen(entities[i].utf8);
			memcpy(u, entities[i].utf8, *ulen);
			return k;
		}
	}
	return 0;
}

/* The value of attribute name in the tag text t..end, entities decoded. */
static char *
attribute(const char *t, const char *end, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = t;

	while (p < end) {
		const char *a, *v, *vend;

		while (p < end && !isspace((unsigned char)*p))
			p++;	/* the tag name, or the previous value */
		while (p < end && isspace((unsigned char)*p))
			p++;
		a = p;
		while (p < end && *p != '=' && !isspace((unsigned char)*p) &&
		    *p != '>')
			p++;
		if (p < end && *p != '=') {
			while (p < end && isspace((unsigned char)*p))
				p++;
			if (p >= end || *p != '=')
				continue;	/* an attribute without a value */
		}
		if (p >= end)
			break;
		p++;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p < end && (*p == '"' || *p == '\'')) {
			char q = *p++;

			v = p;
			while (p < end && *p != q)
				p++;
			vend = p;
			if (p < end)
				p++;
		} else {
			v = p;
			while (p < end && !isspace((unsigned char)*p) && *p != '>')
				p++;
			vend = p;
		}
		if ((size_t)(v - a) >= nlen + 1 && !strncasecmp(a, name, nlen) &&
		    (a[nlen] == '=' || isspace((unsigned char)a[nlen]))) {
			struct buf b;

			buf_init(&b);
			for (const char *s = v; s < vend; ) {
				char u[8];
				size_t ulen, k = *s == '&' ? entity(s,
				    (size_t)(vend - s), u, &ulen) : 0;

				if (k) {
					buf_add(&b, u, ulen);
					s += k;
				} else if ((unsigned char)*s > ' ')
					buf_addc(&b, *s++);
				else
					s++;	/* a wrapped URL: no spaces */
			}
			return b.data ? buf_detach(&b, NULL) : xstrdup("");
		}
	}
	return NULL;
}

/* The text the link's words should be compared with: no scheme, no "/". */
static int
same_as_text(const char *href, const char *text, size_t n)
{
	size_t hl = strlen(href);

	if (!strncasecmp(href, "mailto:", 7)) {
		href += 7;
		hl -= 7;
	}
	while (hl && href[hl - 1] == '/')
		hl--;
	while (n && text[n - 1] == '/')
		n--;
	if (hl == n && !strncasecmp(href, text, n))
		return 1;
	/* "example.org/x" written for "https://example.org/x" */
	for (const char *s = href; (size_t)(s - href) + 3 <= hl; s++)
		if (!strncmp(s, "://", 3)) {
			size_t rest = hl - (size_t)(s + 3 - href);

			return rest == n && !strncasecmp(s + 3, text, n);
		}
	return 0;
}

/* </a>, or a new <a>: the target after the text, unless it is the text. */
static void
link_end(struct conv *c)
{
	const char *h = c->href;
	size_t a = c->link_start, z = c->out->len;

	if (h == NULL)
		return;
	while (a < z && (c->out->data[a] == ' ' || c->out->data[a] == '\n'))
		a++;
	while (z > a && (c->out->data[z - 1] == ' ' ||
	    c->out->data[z - 1] == '\n'))
		z--;
	if (*h && *h != '#' && strncasecmp(h, "javascript:", 11) &&
	    !same_as_text(h, c->out->data ? c->out->data + a : "", z - a)) {
		if (z > a)
			c->space = 1;
		add_text(c, "<", 1);
		buf_adds(c->out, h);
		buf_addc(c->out, '>');
	}
	free(c->href);
	c->href = NULL;
}

static enum shape
shape_of(const char *name)
{
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		if (!strcasecmp(shapes[i].name, name))
			return shapes[i].shape;
	return INLINE;
}

/* One tag: what it does to the text.  t..end is inside < and >. */
static void
tag(struct conv *c, const char *name, int closing, const char *t,
    const char *end)
{
	enum shape sh = shape_of(name);

	if (!strcasecmp(name, "br")) {
		line_break(c);
		return;
	}
	if (!strcasecmp(name, "a")) {
		link_end(c);
		if (!closing) {
			c->href = attribute(t, end, "href");
			c->link_start = c->out->len;
		}
		return;
	}
	if (!strcasecmp(name, "blockquote"))
		c->quote += closing ? (c->quote > 0 ? -1 : 0) : 1;
	if (!strcasecmp(name, "pre"))
		c->pre += closing ? (c->pre > 0 ? -1 : 0) : 1;
	if (sh == PARAGRAPH)
		owe(c, 2);
	else if (sh == LINE)
		owe(c, 1);
	else if (sh == CELL && !closing)
		c->space = 1;
}

/* Past the end of the element name opened at s (s after "</" or "<"). */
static size_t
name_len(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && (isalnum((unsigned char)s[k]) || s[k] == '-' ||
	    s[k] == ':'))
		k++;
	return k;
}

/* The '>' that ends the tag at s, quotes respected; NULL when none. */
static const char *
tag_end(const char *s, const char *end)
{
	char q = 0;

	for (; s < end; s++) {
		if (q) {
			if (*s == q)
				q = 0;
		} else if (*s == '"' || *s == '\'')
			q = *s;
		else if (*s == '>')
			return s;
	}
	return NULL;
}

void
html_to_text(struct buf *out, const char *s, size_t n)
{
	struct conv c = { out, -1, 0, 0, 0, 0, NULL, 0 };
	const char *end = s + n, *p = s;
	unsigned unclosed = 0;	/* hidden elements with no end tag left */

	while (p < end) {
		if (end - p >= 4 && !strncmp(p, "<!--", 4)) {
			const char *close = mem_casestr(p + 4,
			    (size_t)(end - p - 4), "-->");

			p = close ? close + 3 : end;
		} else if (*p == '<' && p + 1 < end && (p[1] == '!' ||
		    p[1] == '?')) {
			const char *close = tag_end(p, end);

			p = close ? close + 1 : end;
		} else if (*p == '<' && p + 1 < end && (isalpha((unsigned char)
		    p[1]) || (p[1] == '/' && p + 2 < end &&
		    isalpha((unsigned char)p[2])))) {
			int closing = p[1] == '/';
			const char *nm = p + 1 + closing, *close = tag_end(p, end);
			size_t nl = name_len(nm, (size_t)(end - nm));
			char name[16];

			snprintf(name, sizeof(name), "%.*s", (int)(nl < 15 ? nl :
			    15), nm);
			p = close ? close + 1 : end;
			if (!closing) {
				int h = -1;

				for (int i = 0; hidden[i]; i++)
					if (!strcasecmp(name, hidden[i]))
						h = i;
				/* unclosed: read on rather than lose the rest (and
				 * look for its end tag once, not at every one) */
				if (h >= 0 && close && close[-1] != '/' &&
				    !(unclosed & (1u << h))) {
					char want[24];
					const char *e, *e2;

					snprintf(want, sizeof(want), "</%s", name);
					e = mem_casestr(p, (size_t)(end - p), want);
					e2 = e ? tag_end(e, end) : NULL;
					if (e2)
						p = e2 + 1;
					else
						unclosed |= 1u << h;
					continue;
				}
			}
			if (close)	/* a tag that never ends is no tag */
				tag(&c, name, closing, nm, close);
		} else if (*p == '&') {
			char u[8];
			size_t ulen, k = entity(p, (size_t)(end - p), u, &ulen);

			if (k == 0)
				add_text(&c, p, 1);
			else if (ulen == 1 && u[0] == ' ')
				c.space = 1;
			else
				add_text(&c, u, ulen);
			p += k ? k : 1;
		} else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' ||
		    *p == '\f') {
			if (c.pre && *p == '\n')
				line_break(&c);
			else if (c.pre && *p != '\r')
				add_text(&c, p, 1);
			else
				c.space = 1;
			p++;
		} else {
			const char *q = p + 1;	/* a '<' that opens no tag too */

			while (q < end && *q != '<' && *q != '&' && *q != ' ' &&
			    *q != '\t' && *q != '\r' && *q != '\n' && *q != '\f')
				q++;
			add_text(&c, p, (size_t)(q - p));
			p = q;
		}
	}
	link_end(&c);
	free(c.href);
}
