/* reply - the first own line of a reply, its decision, its proven sender. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kith/message.h"
#include "kith/reply.h"
#include "kith/util.h"

/*
 * Reading replies.  The words are compared case-folded; each table is
 * one concern: what approves (or confirms), what refuses, what drops.
 */
static const char *const yes_words[] = {
	"approve", "approved", "yes", "y", "ok", "okay", "sure", "accept",
	"accepted", "confirm", "confirmed", "agree", "agreed", "gladly",
	"yep", "yeah", "fine",
	"ano", "jo", "schválit", "schvaluji", "schváleno", "souhlasím",
	"potvrzuji", "přijmout", "áno",
	"ja", "genehmigen", "genehmigt", "freigeben", "einverstanden",
	"bestätigen", "bestätigt",
	"oui", "approuver", "approuvé", "accepter", "d'accord",
	"sí", "si", "aprobar", "aprobado", "acepto", "sì", "approva", "tak",
	"네", "예", "승인", "승인합니다", "승인해요", "좋아요", "확인",
	"ναι", "εγκρίνω", "έγκριση", "εντάξει", "да", NULL
};
static const char *const no_words[] = {
	"reject", "rejected", "no", "n", "deny", "refuse", "decline", "nope",
	"ne", "zamítnout", "zamítám", "odmítnout", "odmítám", "nie",
	"nein", "ablehnen", "abgelehnt", "non", "rejeter", "refuser",
	"rechazar", "rifiuta",
	"아니요", "아니오", "아니", "거절", "거절합니다", "거부",
	"όχι", "απόρριψη", "απορρίπτω", "нет", NULL
};
static const char *const discard_words[] = {
	"discard", "drop", "delete", "spam", "trash",
	"zahodit", "smazat", "verwerfen", "löschen", "supprimer", "jeter",
	"descartar", "eliminar", "삭제", "폐기", "스팸", "διαγραφή", NULL
};
/*
 * The yes-words that name the decision itself (not "ok" or "sure", which
 * a reason may hold): after a no or a discard they make the line say two
 * things ("No problem, approve it", "Spam? No, approve"), and it is not
 * understood.
 */
static const char *const approve_words[] = {
	"approve", "approved", "accept", "accepted", "confirm", "confirmed",
	"schválit", "schvaluji", "schváleno", "potvrzuji", "přijmout",
	"genehmigen", "genehmigt", "freigeben", "bestätigen", "bestätigt",
	"approuver", "approuvé", "accepter", "aprobar", "aprobado", "acepto",
	"approva", "승인", "승인합니다", "승인해요", "εγκρίνω", "έγκριση", NULL
};
/* Courtesy around a decision; never a decision by itself. */
static const char *const courtesy_words[] = {
	"please", "pls", "thanks", "thank", "you", "it", "this", "one",
	"post", "prosím", "díky", "děkuji", "dík", "to", "bitte", "danke",
	"merci", "svp", "s'il", "vous", "plaît", "por", "favor", "gracias",
	"grazie", "감사합니다", "고맙습니다", "παρακαλώ", "ευχαριστώ", NULL
};

/* Next code point of UTF-8 s (advanced); U+FFFD for a stray byte. */
static uint32_t
next_cp(const char **s)
{
	uint32_t c;
	size_t n = utf8_next(*s, strnlen(*s, 4), &c);

	*s += n ? n : 1;
	return n ? c : 0xfffd;
}

static void
utf8_put(char *out, size_t *n, size_t max, uint32_t c)
{
	char b[4];
	size_t k;

	if (c < 0x80) {
		b[0] = (char)c;
		k = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		k = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12);
		b[1] = (char)(0x80 | (c >> 6 & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		k = 3;
	} else {
		b[0] = (char)(0xf0 | c >> 18);
		b[1] = (char)(0x80 | (c >> 12 & 0x3f));
		b[2] = (char)(0x80 | (c >> 6 & 0x3f));
		b[3] = (char)(0x80 | (c & 0x3f));
		k = 4;
	}
	if (*n + k < max) {
		memcpy(out + *n, b, k);
		*n += k;
	}
}

/* Letters, digits and the apostrophe of "d'accord"; not punctuation. */
static int
word_char(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '\'';
	return !(c <= 0xbf || c == 0xd7 || c == 0xf7 || c == 0xfffd ||
	    (c >= 0x2000 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) ||
	    (c >= 0xff00 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20) ||
	    c >= 0x1f000);
}

struct word {
	char text[64];		/* case-folded */
	size_t end;		/* offset just after it in the line */
};

/* Split line into case-folded words; how many (at most max). */
static int
split_words(const char *line, struct word *w, int max)
{
	const char *s = line;
	int n = 0;

	while (*s && n < max) {
		const char *start = s;
		uint32_t c = next_cp(&s);
		size_t len = 0;

		if (!word_char(c))
			continue;
		s = start;
		while (*s) {
			const char *here = s;

			c = next_cp(&s);
			if (!word_char(c)) {
				s = here;
				break;
			}
			utf8_put(w[n].text, &len, sizeof(w[n].text),
			    char_fold(c));
		}
		w[n].text[len] = '\0';
		w[n].end = (size_t)(s - line);
		n++;
	}
	return n;
}

static int
in_words(const char *const *table, const char *w)
{
	for (int i = 0; table[i]; i++)
		if (!strcmp(table[i], w))
			return 1;
	return 0;
}

/* A line that ends what the person wrote: a signature, a quoted original. */
static int
ends_own_text(const char *line, const char *t)
{
	static const char *const phones[] = { "Sent from my ",
		"Get Outlook for ", "Odesláno z ", "Gesendet von ",
		"Envoyé de mon ", NULL };

	if (!strcmp(t, "--") || !strncmp(line, "-- ", 3) ||
	    !strncmp(t, "-----", 5) || !strncmp(t, "_____", 5))
		return 1;
	for (int i = 0; phones[i]; i++)
		if (!strncmp(t, phones[i], strlen(phones[i])))
			return 1;
	return 0;
}

/* The trimmed line i of lines, or "" past the end (borrowed). */
static const char *
line_at(char **lines, size_t n, size_t i)
{
	return i < n ? lines[i] : "";
}

/* 1 when the first line after i that is not blank is quoted. */
static int
quote_follows(char **lines, size_t n, size_t i)
{
	for (i++; i < n && *lines[i] == '\0'; i++)
		;
	return *line_at(lines, n, i) == '>';
}

/* 1 when the first word of line (courtesy skipped) decides something. */
static int
starts_with_decision(const char *line)
{
	struct word w[4];
	int n = split_words(line, w, 4), i = 0;

	while (i < n && in_words(courtesy_words, w[i].text))
		i++;
	return i < n && (in_words(yes_words, w[i].text) ||
	    in_words(no_words, w[i].text) ||
	    in_words(discard_words, w[i].text));
}

/* "wrote:" and its translations, the end of an attribution line. */
static int
wrote_word(const char *t)
{
	static const char *const wrote[] = { "wrote:", "writes:",
		"schrieb:", "napsal:", "napsala:", "napsal(a):", "écrit :",
		"écrit:", "escribió:", "scrisse:", "έγραψε:", "작성:",
		"написал:", NULL };
	size_t len = strlen(t);

	for (int i = 0; wrote[i]; i++) {
		size_t k = strlen(wrote[i]);

		if (len >= k && !strcmp(t + len - k, wrote[i]))
			return 1;
	}
	return 0;
}

/*
 * attribution - how many lines from i introduce a quote ("On Tue, Team
 * <team@x> wrote:" above "> ...", perhaps wrapped before "wrote:"); 0
 * when line i is the person's own.  Strict on purpose: a skipped line
 * the person wrote could turn a refusal into an empty reply.
 */
static int
attribution(char **lines, size_t n, size_t i)
{
	const char *t = lines[i], *next = line_at(lines, n, i + 1);
	size_t len = strlen(t);

	if (starts_with_decision(t))
		return 0;
	if (len > 0 && t[len - 1] == ':' && (strchr(t, '@') || wrote_word(t)) &&
	    quote_follows(lines, n, i))
		return 1;
	if (len >= 20 && strchr(t, '@') && *next && !strchr(next, ' ') &&
	    wrote_word(next) && quote_follows(lines, n, i + 1))
		return 2;
	return 0;
}

char *
reply_line(const char *text)
{
	char *copy = xstrdup(text ? text : ""), *out = NULL;
	char **lines = NULL, **raw = NULL;
	size_t n = 0;
	int skip;

	/* split by hand: blank lines matter to the quote test */
	for (char *p = copy, *nl; p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		lines = xrealloc(lines, (n + 1) * sizeof(*lines));
		raw = xrealloc(raw, (n + 1) * sizeof(*raw));
		p[strcspn(p, "\r")] = '\0';
		raw[n] = p;
		lines[n++] = str_trim(p);
	}
	for (size_t i = 0; i < n && out == NULL; i++) {
		if (*lines[i] == '\0' || *lines[i] == '>')
			continue;
		if (ends_own_text(raw[i], lines[i]))
			break;
		if ((skip = attribution(lines, n, i)) > 0) {
			i += (size_t)skip - 1;
			continue;
		}
		out = xstrdup(lines[i]);
	}
	free(lines);
	free(raw);
	free(copy);
	return out ? out : xstrdup("");
}

/*
 * in_extra - w is one of the comma-separated words of list (a LANGUAGE
 * file's command.approve, say), compared case-folded as the tables are;
 * phrases of several words never match one word.
 */
static int
in_extra(const char *list, const char *w)
{
	const char *p = list;

	while (p && *p) {
		size_t n = strcspn(p, ",");
		char *item = xstrndup(p, n);
		struct word iw[2];
		int k = split_words(item, iw, 2);

		free(item);
		if (k == 1 && !strcmp(iw[0].text, w))
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int
is_yes(const struct reply_words *x, const char *w)
{
	return in_words(yes_words, w) || (x && in_extra(x->yes, w));
}

static int
is_no(const struct reply_words *x, const char *w)
{
	return in_words(no_words, w) || (x && in_extra(x->no, w));
}

static int
is_discard(const struct reply_words *x, const char *w)
{
	return in_words(discard_words, w) || (x && in_extra(x->discard, w));
}

int
reply_yes_and(const char *text, const struct reply_words *x,
    const char *more)
{
	char *line = reply_line(text);
	struct word w[16];
	int n = split_words(line, w, 16), i = 0, yes = 0, also = 0;

	while (i < n && in_words(courtesy_words, w[i].text))
		i++;
	if (i < n && n < 16 && is_yes(x, w[i].text)) {
		yes = 1;
		for (int k = i + 1; k < n && yes; k++)
			if (in_extra(more, w[k].text))
				also = 1;
			else if (!is_yes(x, w[k].text) &&
			    !in_words(courtesy_words, w[k].text))
				yes = 0;
	}
	free(line);
	return yes && also;
}

enum reply_answer
reply_answer(const char *text, char *reason, size_t reasonlen)
{
	return reply_answer_words(text, NULL, reason, reasonlen);
}

/* 1 when a word of w[from..n) names the approval (approve_words, or the
 * language's own command.approve). */
static int
approves_later(const struct reply_words *x, const struct word *w, int from,
    int n)
{
	for (int k = from; k < n; k++)
		if (in_words(approve_words, w[k].text) || (x && in_extra(x->yes,
		    w[k].text)))
			return 1;
	return 0;
}

enum reply_answer
reply_answer_words(const char *text, const struct reply_words *x,
    char *reason, size_t reasonlen)
{
	char *line = reply_line(text);
	struct word w[16];
	int n = split_words(line, w, 16), i = 0;
	enum reply_answer a = REPLY_UNCLEAR;

	if (reason && reasonlen)
		reason[0] = '\0';
	if (*line == '\0')
		a = REPLY_EMPTY;
	while (i < n && in_words(courtesy_words, w[i].text))
		i++;
	if (i >= n)
		;	/* nothing but courtesy (or punctuation): unclear */
	else if (is_yes(x, w[i].text)) {
		a = REPLY_YES;
		for (int k = i + 1; k < n && a == REPLY_YES; k++)
			if (!is_yes(x, w[k].text) &&
			    !in_words(courtesy_words, w[k].text))
				a = REPLY_UNCLEAR;
		/* more than 16 words is more than a yes */
		if (n == 16)
			a = REPLY_UNCLEAR;
	} else if (approves_later(x, w, i + 1, n))
		;	/* a no or a discard, then an approval: unclear */
	else if (is_no(x, w[i].text)) {
		const char *r = line + w[i].end;

		a = REPLY_NO;
		while (*r && strchr(" \t,.:;-!", *r))
			r++;
		if (reason && reasonlen)
			snprintf(reason, reasonlen, "%s", r);
	} else if (is_discard(x, w[i].text))
		a = REPLY_DISCARD;
	free(line);
	return a;
}

/*
 * Words that turn a choice around or set one aside: "not 2", "anything
 * but Beskydy", "2 nemůžu", "2번 말고".  A line with one of them does not
 * choose what it names.
 */
static const char *const negation_words[] = {
	"not", "no", "none", "never", "neither", "nor", "except", "without",
	"but", "cannot", "cant", "dont", "wont", "isnt", "doesnt", "didnt",
	"couldnt", "wouldnt", "arent", "aint", "instead",
	"ne", "nemůžu", "nemohu", "nechci", "nejde", "nevyhovuje", "nehodí",
	"nepůjdu", "nestihnu", "nemám", "nikdy", "kromě", "bez", "ani", "ale",
	"místo",
	"nicht", "kein", "keine", "keinen", "keiner", "nie", "niemals",
	"ohne", "außer", "nein", "aber", "statt", "anstatt",
	"pas", "non", "jamais", "sauf", "sans", "mais", "ni", "plutôt",
	"nunca", "sin", "excepto", "menos", "pero", "tampoco",
	"nigdy", "oprócz", "zamiast",
	"ikke", "ingen", "nei", "uten", "unntatt", "aldri", "men",
	"не", "ні", "без", "крім", "ніколи", "але", "замість",
	"όχι", "δεν", "μη", "μην", "χωρίς", "εκτός", "ποτέ", "αλλά",
	"안", "못", NULL
};
/* Korean negation is as often glued to its word: 아니에요, 빼고, 안돼요. */
static const char *const negation_parts[] = {
	"아니", "말고", "빼고", "대신", "없", "안돼", "안되", NULL
};

int
reply_negates(const char *line)
{
	struct word w[64];
	int n = split_words(line ? line : "", w, 64), neg = n == 64;

	for (int i = 0; i < n && !neg; i++) {
		size_t len = strlen(w[i].text);

		neg = in_words(negation_words, w[i].text) ||
		    (len > 3 && !strcmp(w[i].text + len - 3, "n't")) ||
		    !strncmp(w[i].text, "n'", 2);
		for (int k = 0; negation_parts[k] && !neg; k++)
			neg = strstr(w[i].text, negation_parts[k]) != NULL;
	}
	return neg;
}

/* The field value without comments, folding turned into spaces. */
static char *
ar_clean(const char *v, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t n = 0;
	int depth = 0, quoted = 0;

	for (size_t i = 0; i < len; i++) {
		char c = v[i] == '\r' || v[i] == '\n' || v[i] == '\t' ? ' ' :
		    v[i];

		if (c == '\\' && i + 1 < len && (quoted || depth)) {
			if (!depth) {
				out[n++] = c;
				out[n++] = v[i + 1];
			}
			i++;
		} else if (quoted) {
			out[n++] = c;
			quoted = c != '"';
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && depth) {
			if (--depth == 0)
				out[n++] = ' ';
		} else if (!depth) {
			out[n++] = c;
			quoted = c == '"';
		}
	}
	out[n] = '\0';
	return out;
}

/*
 * ar_next - the next token of s (advanced): a run up to white space or
 * ';' outside quotes, with the spaces RFC 8601 allows around '=' and '.'
 * removed; ';' is a token of its own.  0 at the end.
 */
static int
ar_next(const char **s, char *tok, size_t toklen)
{
	const char *p = *s;
	size_t n = 0;
	int quoted = 0;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 0;
	if (*p == ';') {
		snprintf(tok, toklen, ";");
		*s = p + 1;
		return 1;
	}
	while (*p && (quoted || (*p != ';' && *p != ' '))) {
		if (*p == '"')
			quoted = !quoted;
		else if (n + 1 < toklen)
			tok[n++] = *p;
		p++;
		if (!quoted && *p == ' ') {
			const char *q = p;

			while (*q == ' ')
				q++;
			if (*q == '=' || *q == '.' || (n > 0 && (tok[n - 1] ==
			    '=' || tok[n - 1] == '.')))
				p = q;
		}
	}
	tok[n] = '\0';
	*s = p;
	return 1;
}

/* 1 when DKIM domain d is aligned with the From domain (same or parent). */
static int
aligned(const char *d, const char *from_domain)
{
	size_t dl = strlen(d), fl = strlen(from_domain);

	if (dl == 0 || !strchr(d, '.'))
		return 0;
	if (!strcasecmp(d, from_domain))
		return 1;
	return fl > dl + 1 && from_domain[fl - dl - 1] == '.' &&
	    !strcasecmp(from_domain + fl - dl, d);
}

/*
 * ar_vouches - one Authentication-Results value: -1 when its authserv-id
 * is not ours, 1 when it has dkim=pass aligned with from_domain, else 0.
 */
static int
ar_vouches(const char *value, size_t len, const char *authserv_id,
    const char *from_domain)
{
	char *v = ar_clean(value, len), tok[512], d[512] = "", i[512] = "";
	const char *s = v;
	int r = -1, dkim_pass = 0, in_dkim = 0;

	if (!ar_next(&s, tok, sizeof(tok)) || strcasecmp(tok, authserv_id))
		goto done;
	r = 0;
	while (r == 0 && ar_next(&s, tok, sizeof(tok))) {
		if (!strcmp(tok, ";")) {
			/* one resinfo ends: judge it */
			if (dkim_pass && aligned(*d ? d : i, from_domain))
				r = 1;
			in_dkim = dkim_pass = 0;
			d[0] = i[0] = '\0';
		} else if (!strncasecmp(tok, "dkim=", 5)) {
			in_dkim = 1;
			dkim_pass = !strcasecmp(tok + 5, "pass");
		} else if (in_dkim && !strncasecmp(tok, "header.d=", 9))
			snprintf(d, sizeof(d), "%s", tok + 9);
		else if (in_dkim && !strncasecmp(tok, "header.i=", 9)) {
			const char *at = strrchr(tok + 9, '@');

			snprintf(i, sizeof(i), "%s", at ? at + 1 : tok + 9);
		}
	}
	if (r == 0 && dkim_pass && aligned(*d ? d : i, from_domain))
		r = 1;
done:
	free(v);
	return r;
}

int
reply_sender_proven(const char *authserv_id, const char *raw,
    size_t len, const char *from_addr)
{
	const char *at = from_addr ? strrchr(from_addr, '@') : NULL;
	struct header_iter it;
	struct header_field f;
	int ours = 0, r;

	if (authserv_id == NULL || *authserv_id == '\0' || at == NULL ||
	    at[1] == '\0')
		return 0;
	header_iter_init(&it, raw, len);
	while (header_next(&it, &f)) {
		if (header_is(&f, "Received")) {
			/* below our MTA's own fields: the sender's */
			if (ours)
				return 0;
			continue;
		}
		if (!header_is(&f, "Authentication-Results"))
			continue;
		r = ar_vouches(f.value, f.value_len, authserv_id, at + 1);
		if (r < 0)
			return 0;	/* another host's: ours are above it */
		if (r > 0)
			return 1;
		ours = 1;
	}
	return 0;
}
