/* subject - reply and forward markers, the list prefix, one "Re:". */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kith/subject.h"
#include "kith/util.h"

/*
 * Reply markers as clients write them, matched ignoring ASCII case (the
 * non-ASCII ones are listed in the cases clients use).  "Vs" is the
 * Finnish reply; the Danish forward "VS:" is read as a reply too, which
 * only ever loses the word "forward".
 */
static const char *const reply_markers[] = {
	"re", "aw", "sv", "odp", "vs", "ref", "réf", "rÉf", "antw", "atb",
	"ats", "vá", "vÁ", "ynt", "yanıt", "yanit", "res", "rif", "odg",
	"απ", "ΑΠ", "Απ", "σχετ", "ΣΧΕΤ", "Σχετ", "отв", "ОТВ", "Отв",
	"回复", "回覆", "答复", "返信", "회신", "답장", NULL
};

/* Forward markers are kept as written (once): "WG: Zimmer" may be a flat. */
static const char *const forward_markers[] = {
	"fwd", "fw", "wg", "tr", "rv", "enc", "vb", "doorst", "转发", "轉寄",
	"転送", "전달", NULL
};

/*
 * marker_len - length of one marker of set at s, with what may follow it
 * before the colon ("Re :", "Re[2]:", "Re(2):", "Re^2:"), the colon
 * (ASCII or the full-width one CJK clients write) included; 0 when s
 * does not start with one.  *word gets the length of the marker's word.
 */
static size_t
marker_len(const char *s, const char *const *set, size_t *word)
{
	for (int i = 0; set[i]; i++) {
		size_t k = strlen(set[i]);

		*word = k;
		if (strncasecmp(s, set[i], k))
			continue;
		while (s[k] == ' ')
			k++;
		if (s[k] == '[' || s[k] == '(' || s[k] == '^') {
			char close = s[k] == '[' ? ']' : s[k] == '(' ? ')' : 0;
			size_t d = k + 1;

			while (isdigit((unsigned char)s[d]))
				d++;
			if (d > k + 1 && (close == 0 || s[d] == close))
				k = close ? d + 1 : d;
		}
		if (s[k] == ':')
			return k + 1;
		if (!strncmp(s + k, "\xef\xbc\x9a", 3))	/* U+FF1A */
			return k + 3;
	}
	return 0;
}

/* What the leading markers of a subject say. */
struct parsed {
	int reply, forward;	/* 0 absent, else 1 + the order seen */
	const char *fwd;	/* the first forward marker's word, borrowed */
	size_t fwdlen;
	const char *core;	/* the rest, borrowed */
};

static void
parse(const char *subject, const char *prefix, struct parsed *p)
{
	const char *s = subject ? subject : "";
	size_t plen = prefix ? strlen(prefix) : 0, n, word;
	int seen = 0;

	p->reply = p->forward = 0;
	p->fwd = NULL;
	p->fwdlen = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (plen && !strncasecmp(s, prefix, plen))
			s += plen;
		else if ((n = marker_len(s, reply_markers, &word)) > 0) {
			s += n;
			if (!p->reply)
				p->reply = ++seen;
		} else if ((n = marker_len(s, forward_markers, &word)) > 0) {
			if (!p->forward) {
				p->forward = ++seen;
				p->fwd = s;
				p->fwdlen = word;
			}
			s += n;
		} else
			break;
	}
	p->core = s;
}

/* text appended to b with each run of white space made one space. */
static void
add_squeezed(struct buf *b, const char *text)
{
	int space = 0;

	for (const char *c = text; *c; c++) {
		if (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n') {
			space = 1;
			continue;
		}
		if (space && b->len)
			buf_addc(b, ' ');
		space = 0;
		buf_addc(b, *c);
	}
}

/* The markers kept (reply and/or forward, in order) and the core. */
static char *
build(const char *lead, const struct parsed *p, int reply, int forward)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, lead);
	if (reply && (!forward || reply < forward))
		buf_adds(&b, "Re: ");
	if (forward) {
		buf_add(&b, p->fwd, p->fwdlen);
		buf_adds(&b, ": ");
	}
	if (reply && forward && reply > forward)
		buf_adds(&b, "Re: ");
	add_squeezed(&b, p->core);
	while (b.len && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

char *
subject_clean(const char *subject, const char *prefix)
{
	struct parsed p;

	parse(subject, prefix, &p);
	return build("", &p, p.reply, p.forward);
}

char *
subject_prefixed(const char *subject, const char *prefix)
{
	struct parsed p;
	char *lead, *out;

	if (prefix == NULL || *prefix == '\0')
		return subject_clean(subject, "");
	parse(subject, prefix, &p);
	lead = xasprintf("%s ", prefix);
	out = build(lead, &p, p.reply, p.forward);
	free(lead);
	return out;
}

char *
subject_reply(const char *subject, const char *prefix)
{
	struct parsed p;

	parse(subject, prefix, &p);
	/* the answer's own "Re:" comes first, whatever was forwarded */
	return build("Re: ", &p, 0, p.forward);
}
