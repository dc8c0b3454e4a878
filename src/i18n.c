/*
 * i18n - LANGUAGE files: CLDR plural rules, month and day names, date
 * formats.  Nothing here asks the C library for a locale.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kith/i18n.h"
#include "kith/timeutil.h"
#include "kith/util.h"

#define LANG_FILE_MAX (64 * 1024)
#define RULE_DIGITS_MAX 18		/* a value fits in int64 */
#define SAMPLE_RANGE_MAX 10000		/* "2~17": at most this many */
#define SAMPLES_MAX 100000		/* numbers tried per rule's samples */

enum { CAT_ZERO, CAT_ONE, CAT_TWO, CAT_FEW, CAT_MANY, CAT_OTHER, NCAT };
static const char *const cat_names[NCAT] = {
	"zero", "one", "two", "few", "many", "other"
};

enum { FMT_DATE, FMT_DATETIME, FMT_TIME, FMT_DATESHORT, FMT_MONTHYEAR, NFMT };
static const char *const fmt_names[NFMT] = {
	"date", "datetime", "time", "dateshort", "monthyear"
};

/* The command words a language may add to the English ones. */
static const char *const cmd_names[] = {
	"subscribe", "unsubscribe", "help", "set", "digest", "daily",
	"weekly", "off", "nomail", "language", "rsvp", "yes", "no", "maybe",
	"approve", "reject", "discard", "address", "always"
};
#define NCMD (sizeof(cmd_names) / sizeof(cmd_names[0]))
#define CMD_WORDS_MAX 32	/* words or phrases of one command */
#define CMD_WORD_MAX 64		/* bytes of one */

/* Every value of a LANGUAGE file has a slot; a key is a slot's name. */
enum {
	S_NAME, S_NAME_EN, S_CODE, S_FORMS,
	S_CMD,					/* + cmd_names index */
	S_PLURAL = S_CMD + NCMD,		/* + category */
	S_MONTH = S_PLURAL + NCAT,		/* + month - 1 */
	S_MONTH_GEN = S_MONTH + 12,
	S_MONTH_SHORT = S_MONTH_GEN + 12,
	S_DAY = S_MONTH_SHORT + 12,		/* + weekday, 0 = Sunday */
	S_DAY_SHORT = S_DAY + 7,
	S_MDAY = S_DAY_SHORT + 7,		/* + day of month - 1 */
	S_FORMAT = S_MDAY + 31,			/* + FMT_* */
	NSLOT = S_FORMAT + NFMT
};

static const struct {
	const char *name;
	int slot;
} single_keys[] = {
	{ "name", S_NAME }, { "name.en", S_NAME_EN }, { "code", S_CODE },
	{ "plural.forms", S_FORMS },
};

/* Numbered keys: "month.gen.12" is family "month.gen." index 12. */
static const struct family {
	const char *prefix;
	int base, lo, hi, required;
} families[] = {
	{ "month.", S_MONTH, 1, 12, 1 },
	{ "month.gen.", S_MONTH_GEN, 1, 12, 1 },
	{ "month.short.", S_MONTH_SHORT, 1, 12, 1 },
	{ "day.", S_DAY, 0, 6, 1 },
	{ "day.short.", S_DAY_SHORT, 0, 6, 1 },
	{ "mday.", S_MDAY, 1, 31, 0 },
};

/* The fields of a format pattern. */
enum {
	F_YYYY, F_M, F_MM, F_D, F_DD, F_H, F_HH, F_MIN, F_MONTH, F_MONTH_GEN,
	F_MONTH_SHORT, F_DAY, F_DAY_SHORT, F_ZONE, NFIELD
};
static const char *const field_names[NFIELD] = {
	"yyyy", "M", "MM", "d", "dd", "H", "HH", "mm", "month", "month.gen",
	"month.short", "day", "day.short", "zone"
};

/* A compiled CLDR condition: or-groups of and-ed relations. */
struct range {
	uint64_t lo, hi;
};

struct relation {
	char operand;		/* n i v w f t c e */
	uint64_t mod;		/* 0: no '%' */
	int negate;
	int or_before;		/* first relation of a new 'or' branch */
	size_t first, count;	/* its ranges in rule.rng */
};

struct rule {
	struct relation *rel;
	size_t nrel;
	struct range *rng;
	size_t nrng;
};

struct i18n_lang {
	char *val[NSLOT];
	int line[NSLOT];
	struct rule rule[NCAT];		/* CAT_OTHER stays empty */
	int form_cat[NCAT];		/* category of each written form */
	size_t nforms;
};

/* Where problems go: the first into err (load) or each to a callback. */
struct report {
	const char *path;
	void (*fn)(void *arg, const char *line);
	void *arg;
	int count;
};

struct first_err {
	char *buf;
	size_t len;
};

static void problem(struct report *r, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct report *r, int line, const char *fmt, ...)
{
	char msg[512], full[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%d: %s", r->path, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", r->path, msg);
	r->count++;
	if (r->fn)
		r->fn(r->arg, full);
}

static void
keep_first(void *arg, const char *line)
{
	struct first_err *e = arg;

	if (e->len && e->buf[0] == '\0')
		snprintf(e->buf, e->len, "%s", line);
}

int
i18n_code_valid(const char *code)
{
	size_t n = 0, sub;

	while (code[n] >= 'a' && code[n] <= 'z')
		n++;
	if (n < 2 || n > 3)
		return 0;
	/* up to two subtags: "pt-BR", "sr-Latn-RS" */
	for (int k = 0; code[n] && k < 2; k++) {
		if (code[n] != '-' && code[n] != '_')
			return 0;
		n++;
		for (sub = 0; isalnum((unsigned char)code[n]) &&
		    (code[n] & 0x80) == 0; sub++)
			n++;
		if (sub < 2 || sub > 8)
			return 0;
	}
	return code[n] == '\0';
}

/* ---- keys ---- */

/* key_index - "12" within lo..hi, no sign, no leading zero; else -1. */
static int
key_index(const char *s, int lo, int hi)
{
	int v = 0;

	if (!isdigit((unsigned char)s[0]) || (s[0] == '0' && s[1]) ||
	    strlen(s) > 2)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v >= lo && v <= hi ? v : -1;
}

/* key_slot - the slot a key names, or -1 for an unknown key. */
static int
key_slot(const char *key)
{
	size_t k;

	for (k = 0; k < sizeof(single_keys) / sizeof(single_keys[0]); k++)
		if (!strcmp(key, single_keys[k].name))
			return single_keys[k].slot;
	if (!strncmp(key, "command.", 8))
		for (k = 0; k < NCMD; k++)
			if (!strcmp(key + 8, cmd_names[k]))
				return S_CMD + (int)k;
	if (!strncmp(key, "plural.", 7))
		for (k = 0; k < NCAT; k++)
			if (!strcmp(key + 7, cat_names[k]))
				return S_PLURAL + (int)k;
	if (!strncmp(key, "format.", 7))
		for (k = 0; k < NFMT; k++)
			if (!strcmp(key + 7, fmt_names[k]))
				return S_FORMAT + (int)k;
	for (k = 0; k < sizeof(families) / sizeof(families[0]); k++) {
		const struct family *f = &families[k];
		size_t n = strlen(f->prefix);
		int i;

		if (strncmp(key, f->prefix, n))
			continue;
		if ((i = key_index(key + n, f->lo, f->hi)) >= 0)
			return f->base + i - f->lo;
	}
	return -1;
}

/* slot_name - the key of a slot, into buf. */
static const char *
slot_name(int slot, char *buf, size_t n)
{
	size_t k;

	for (k = 0; k < sizeof(single_keys) / sizeof(single_keys[0]); k++)
		if (single_keys[k].slot == slot)
			return single_keys[k].name;
	if (slot >= S_CMD && slot < S_CMD + (int)NCMD)
		snprintf(buf, n, "command.%s", cmd_names[slot - S_CMD]);
	else if (slot >= S_PLURAL && slot < S_PLURAL + NCAT)
		snprintf(buf, n, "plural.%s", cat_names[slot - S_PLURAL]);
	else if (slot >= S_FORMAT && slot < S_FORMAT + NFMT)
		snprintf(buf, n, "format.%s", fmt_names[slot - S_FORMAT]);
	else
		for (k = 0; k < sizeof(families) / sizeof(families[0]); k++) {
			const struct family *f = &families[k];

			if (slot >= f->base && slot <= f->base + f->hi - f->lo)
				snprintf(buf, n, "%s%d", f->prefix,
				    slot - f->base + f->lo);
		}
	return buf;
}

static int
slot_required(int slot)
{
	size_t k;

	if (slot < S_CMD)
		return 1;
	if (slot < S_PLURAL)
		return 0;	/* English's words always work */
	if (slot < S_PLURAL + NCAT)
		return 0;	/* the rules a language needs vary */
	if (slot >= S_FORMAT)
		return 1;
	for (k = 0; k < sizeof(families) / sizeof(families[0]); k++)
		if (slot >= families[k].base &&
		    slot <= families[k].base + families[k].hi - families[k].lo)
			return families[k].required;
	return 0;
}

/* ---- the file ---- */

/* utf8_bad - offset of the first byte that is not well-formed UTF-8, or -1. */
static long
utf8_bad(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t len;
		unsigned cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return (long)i;
		if (i + len > n)
			return (long)i;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (long)i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* overlong, surrogate, beyond U+10FFFF */
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return (long)i;
		i += len;
	}
	return -1;
}

/*
 * lang_lines - the key = value lines of text into l->val; every malformed,
 * unknown or repeated line is a problem.
 */
static void
lang_lines(struct i18n_lang *l, char *text, struct report *r)
{
	char *line = text, *next, *eq, *key, *value;
	int lineno = 0, slot;

	if (!strncmp(line, "\xef\xbb\xbf", 3))
		line += 3;	/* a byte-order mark some editors add */
	for (; line; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = str_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			problem(r, lineno, "expected 'key = value'");
			continue;
		}
		*eq = '\0';
		key = str_trim(line);
		value = str_trim(eq + 1);
		if ((slot = key_slot(key)) < 0) {
			problem(r, lineno, "unknown key '%s'", key);
			continue;
		}
		if (l->line[slot]) {
			problem(r, lineno, "'%s' given twice (first on line "
			    "%d)", key, l->line[slot]);
			continue;
		}
		if (*value == '\0' && slot != S_PLURAL + CAT_OTHER) {
			problem(r, lineno, "'%s' has no value", key);
			l->line[slot] = lineno;	/* not "missing" as well */
			continue;
		}
		l->val[slot] = xstrdup(value);
		l->line[slot] = lineno;
	}
}

/* ---- CLDR plural rules ---- */

struct rparse {
	const char *p;
	struct rule *r;
	char err[160];
};

static int
rp_fail(struct rparse *rp, const char *what)
{
	while (*rp->p == ' ' || *rp->p == '\t')
		rp->p++;
	if (*rp->p)
		snprintf(rp->err, sizeof(rp->err), "%s at '%.24s'", what,
		    rp->p);
	else
		snprintf(rp->err, sizeof(rp->err), "%s at the end", what);
	return -1;
}

/* rp_sym - consume the symbol s (after blanks) when it is next. */
static int
rp_sym(struct rparse *rp, const char *s)
{
	size_t n = strlen(s);

	while (*rp->p == ' ' || *rp->p == '\t')
		rp->p++;
	if (strncmp(rp->p, s, n))
		return 0;
	rp->p += n;
	return 1;
}

/* rp_word - consume the word w when it is next as a whole word. */
static int
rp_word(struct rparse *rp, const char *w)
{
	size_t n = strlen(w);

	while (*rp->p == ' ' || *rp->p == '\t')
		rp->p++;
	if (strncmp(rp->p, w, n) || isalpha((unsigned char)rp->p[n]))
		return 0;
	rp->p += n;
	return 1;
}

static int
rp_number(struct rparse *rp, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;

	while (*rp->p == ' ' || *rp->p == '\t')
		rp->p++;
	while (isdigit((unsigned char)*rp->p)) {
		if (++digits > RULE_DIGITS_MAX)
			return rp_fail(rp, "number too long");
		v = v * 10 + (uint64_t)(*rp->p++ - '0');
	}
	if (digits == 0)
		return rp_fail(rp, "expected a number");
	if (isalpha((unsigned char)*rp->p) ||
	    (*rp->p == '.' && rp->p[1] != '.'))
		return rp_fail(rp, "expected a whole number");
	*out = v;
	return 0;
}

static void
rule_add_range(struct rule *r, uint64_t lo, uint64_t hi)
{
	r->rng = xrealloc(r->rng, (r->nrng + 1) * sizeof(*r->rng));
	r->rng[r->nrng].lo = lo;
	r->rng[r->nrng].hi = hi;
	r->nrng++;
}

/* rp_range_list - "2..4,9" or, when single, one value ("is 1"). */
static int
rp_range_list(struct rparse *rp, struct relation *rel, int single)
{
	uint64_t lo, hi;

	rel->first = rp->r->nrng;
	do {
		if (rp_number(rp, &lo) < 0)
			return -1;
		hi = lo;
		if (!single && rp_sym(rp, "..")) {
			if (rp_number(rp, &hi) < 0)
				return -1;
			if (hi < lo)
				return rp_fail(rp, "range runs backwards");
		}
		rule_add_range(rp->r, lo, hi);
	} while (!single && rp_sym(rp, ","));
	rel->count = rp->r->nrng - rel->first;
	return 0;
}

/*
 * rp_relation - operand [% value] then is [not] v | [not] in/within list |
 * = list | != list.
 */
static int
rp_relation(struct rparse *rp, int or_before)
{
	struct relation rel;
	const char *ops = "nivwftce";

	memset(&rel, 0, sizeof(rel));
	rel.or_before = or_before;
	while (*rp->p == ' ' || *rp->p == '\t')
		rp->p++;
	if (*rp->p == '\0' || !strchr(ops, *rp->p) ||
	    isalpha((unsigned char)rp->p[1]))
		return rp_fail(rp, "expected an operand (n i v w f t c e)");
	rel.operand = *rp->p++;
	if (rp_sym(rp, "%") || rp_word(rp, "mod")) {
		if (rp_number(rp, &rel.mod) < 0)
			return -1;
		if (rel.mod == 0)
			return rp_fail(rp, "'% 0' divides by zero");
	}
	if (rp_word(rp, "is")) {
		rel.negate = rp_word(rp, "not");
		if (rp_range_list(rp, &rel, 1) < 0)
			return -1;
	} else if (rp_sym(rp, "!=")) {
		rel.negate = 1;
		if (rp_range_list(rp, &rel, 0) < 0)
			return -1;
	} else if (rp_sym(rp, "=")) {
		if (rp_range_list(rp, &rel, 0) < 0)
			return -1;
	} else {
		rel.negate = rp_word(rp, "not");
		/* whole numbers: "within" and "in" agree */
		if (!rp_word(rp, "in") && !rp_word(rp, "within"))
			return rp_fail(rp, "expected '=', '!=', 'is', 'in' or "
			    "'within'");
		if (rp_range_list(rp, &rel, 0) < 0)
			return -1;
	}
	rp->r->rel = xrealloc(rp->r->rel, (rp->r->nrel + 1) *
	    sizeof(*rp->r->rel));
	rp->r->rel[rp->r->nrel++] = rel;
	return 0;
}

static void
rule_release(struct rule *r)
{
	free(r->rel);
	free(r->rng);
	memset(r, 0, sizeof(*r));
}

/*
 * rule_compile - condition (the part before any '@') into r; 'and' binds
 * tighter than 'or'.  0, or -1 with the reason in err.
 */
static int
rule_compile(const char *cond, struct rule *r, char *err, size_t errlen)
{
	struct rparse rp;
	int or_before = 0;

	memset(&rp, 0, sizeof(rp));
	rp.p = cond;
	rp.r = r;
	do {
		do {
			if (rp_relation(&rp, or_before) < 0)
				goto fail;
			or_before = 0;
		} while (rp_word(&rp, "and"));
		or_before = 1;
	} while (rp_word(&rp, "or"));
	if (rp.p[strspn(rp.p, " \t")] != '\0') {
		rp_fail(&rp, "expected 'and' or 'or'");
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s", rp.err);
	rule_release(r);
	return -1;
}

/* relation_match - the relation for the whole number x (v = f = t = 0). */
static int
relation_match(const struct rule *r, const struct relation *rel, uint64_t x)
{
	uint64_t v = (rel->operand == 'n' || rel->operand == 'i') ? x : 0;
	int in = 0;

	if (rel->mod)
		v %= rel->mod;
	for (size_t k = rel->first; k < rel->first + rel->count && !in; k++)
		in = v >= r->rng[k].lo && v <= r->rng[k].hi;
	return in != rel->negate;
}

static int
rule_match(const struct rule *r, uint64_t x)
{
	int branch = 1;

	if (r->nrel == 0)
		return 0;
	for (size_t k = 0; k < r->nrel; k++) {
		if (r->rel[k].or_before) {
			if (branch)
				return 1;
			branch = 1;
		}
		if (branch && !relation_match(r, &r->rel[k], x))
			branch = 0;
	}
	return branch;
}

/* category - the first rule (CLDR order) that x matches; else other. */
static int
category(const struct i18n_lang *l, uint64_t x)
{
	for (int c = 0; c < CAT_OTHER; c++)
		if (rule_match(&l->rule[c], x))
			return c;
	return CAT_OTHER;
}

static uint64_t
magnitude(long long n)
{
	return n < 0 ? (uint64_t)(-(n + 1)) + 1 : (uint64_t)n;
}

/*
 * probes - whole numbers to try the rules on: 0..2999, then around every
 * power of ten up to 10^18 (where "% 1000000" rules change their answer).
 */
static size_t
probes(uint64_t **out)
{
	static const uint64_t off[] = { 0, 1, 2, 3, 4, 5, 11, 12, 14, 21, 22,
	    25, 101, 111, 1000 };
	size_t n = 0, cap = 3000 + 16 * (sizeof(off) / sizeof(off[0]) + 2);
	uint64_t *v = xmalloc(cap * sizeof(*v));

	for (uint64_t x = 0; x < 3000; x++)
		v[n++] = x;
	for (uint64_t p = 10000; p <= 1000000000000000000ULL; p *= 10) {
		for (size_t k = 0; k < sizeof(off) / sizeof(off[0]); k++)
			v[n++] = p + off[k];
		v[n++] = 2 * p;
		v[n++] = 5 * p;
	}
	*out = v;
	return n;
}

/*
 * samples_check - CLDR's "@integer 1, 21, 2~4, …" after a rule: each
 * sample must fall in category cat.  "@decimal" lists and compact
 * samples ("1c6") are skipped: Kith counts whole things.
 */
static void
samples_check(const struct i18n_lang *l, int cat, const char *text,
    struct report *r, int line)
{
	char *copy = xstrdup(text), *sec, *save = NULL;
	unsigned long tried = 0;

	for (sec = strtok_r(copy, "@", &save); sec;
	    sec = strtok_r(NULL, "@", &save)) {
		char *item, *isave = NULL;

		if (!strncmp(sec, "decimal", 7) &&
		    !isalpha((unsigned char)sec[7]))
			continue;
		if (strncmp(sec, "integer", 7) ||
		    isalpha((unsigned char)sec[7])) {
			problem(r, line, "plural.%s: expected '@integer' or "
			    "'@decimal' samples", cat_names[cat]);
			break;
		}
		for (item = strtok_r(sec + 7, ",", &isave); item;
		    item = strtok_r(NULL, ",", &isave)) {
			unsigned long long lo, hi;
			char *end;

			item = str_trim(item);
			if (!strcmp(item, "\xe2\x80\xa6") || !strcmp(item,
			    "...") || strpbrk(item, "ce"))
				continue;
			lo = strtoull(item, &end, 10);
			hi = lo;
			if (*end == '~')
				hi = strtoull(end + 1, &end, 10);
			if (!isdigit((unsigned char)item[0]) || *end ||
			    hi < lo || hi - lo > SAMPLE_RANGE_MAX) {
				problem(r, line, "plural.%s: bad sample '%s'",
				    cat_names[cat], item);
				goto done;
			}
			if ((tried += hi - lo + 1) > SAMPLES_MAX) {
				problem(r, line, "plural.%s: more than %d "
				    "samples", cat_names[cat], SAMPLES_MAX);
				goto done;
			}
			for (unsigned long long x = lo; x <= hi; x++) {
				int got = category(l, x);

				if (got != cat) {
					problem(r, line, "plural.%s: the "
					    "sample %llu is '%s' by these "
					    "rules", cat_names[cat], x,
					    cat_names[got]);
					goto done;
				}
			}
		}
	}
done:
	free(copy);
}

/* plural_compile - every plural.CAT rule into l->rule. 0 or -1. */
static int
plural_compile(struct i18n_lang *l, struct report *r)
{
	int bad = 0;

	for (int c = 0; c < NCAT; c++) {
		const char *v = l->val[S_PLURAL + c];
		char *copy, *cond, err[200];

		if (v == NULL)
			continue;
		copy = xstrndup(v, strcspn(v, "@"));
		cond = str_trim(copy);
		if (c == CAT_OTHER && *cond) {
			problem(r, l->line[S_PLURAL + c], "plural.other takes "
			    "no condition: it is what no rule matches");
			bad = 1;
		} else if (c != CAT_OTHER && *cond == '\0') {
			problem(r, l->line[S_PLURAL + c], "plural.%s has no "
			    "condition", cat_names[c]);
			bad = 1;
		} else if (c != CAT_OTHER &&
		    rule_compile(cond, &l->rule[c], err, sizeof(err)) < 0) {
			problem(r, l->line[S_PLURAL + c], "plural.%s: %s",
			    cat_names[c], err);
			bad = 1;
		}
		free(copy);
	}
	return bad ? -1 : 0;
}

/* forms_parse - plural.forms into l->form_cat. 0 or -1. */
static int
forms_parse(struct i18n_lang *l, struct report *r)
{
	char *copy, *w, *save = NULL;
	int line = l->line[S_FORMS], bad = 0, seen[NCAT] = { 0 };

	if (l->val[S_FORMS] == NULL)
		return -1;
	copy = xstrdup(l->val[S_FORMS]);
	for (w = strtok_r(copy, " \t,", &save); w;
	    w = strtok_r(NULL, " \t,", &save)) {
		int c;

		for (c = 0; c < NCAT && strcmp(w, cat_names[c]); c++)
			;
		if (c == NCAT) {
			problem(r, line, "plural.forms: '%s' is not a CLDR "
			    "category (zero one two few many other)", w);
			bad = 1;
		} else if (seen[c]++) {
			problem(r, line, "plural.forms: '%s' given twice", w);
			bad = 1;
		} else if (c != CAT_OTHER && l->val[S_PLURAL + c] == NULL) {
			problem(r, line, "plural.forms: '%s' has no plural.%s "
			    "rule", w, w);
			bad = 1;
		} else
			l->form_cat[l->nforms++] = c;
	}
	free(copy);
	if (!bad && l->nforms == 0) {
		problem(r, line, "plural.forms lists no form");
		bad = 1;
	}
	return bad ? -1 : 0;
}

/*
 * plural_verify - the samples hold, no two rules claim one number, and
 * plural.forms lists exactly the categories whole numbers fall into.
 */
static void
plural_verify(struct i18n_lang *l, int forms_ok, struct report *r)
{
	uint64_t *v, example[NCAT] = { 0 };
	size_t n = probes(&v);
	int reached[NCAT] = { 0 }, overlap_told[NCAT][NCAT];

	memset(overlap_told, 0, sizeof(overlap_told));
	for (int c = 0; c < NCAT; c++) {
		const char *s = l->val[S_PLURAL + c];

		if (s && strchr(s, '@'))
			samples_check(l, c, strchr(s, '@'), r,
			    l->line[S_PLURAL + c]);
	}
	for (size_t k = 0; k < n; k++) {
		int c = category(l, v[k]);

		if (!reached[c]++)
			example[c] = v[k];
		for (int d = c + 1; d < CAT_OTHER; d++)
			if (rule_match(&l->rule[d], v[k]) &&
			    !overlap_told[c][d]++)
				problem(r, l->line[S_PLURAL + d], "plural.%s "
				    "and plural.%s both match %llu",
				    cat_names[c], cat_names[d],
				    (unsigned long long)v[k]);
	}
	free(v);
	if (!forms_ok)
		return;
	for (int c = 0; c < NCAT; c++) {
		size_t k;

		for (k = 0; k < l->nforms && l->form_cat[k] != c; k++)
			;
		if (reached[c] && k == l->nforms)
			problem(r, l->line[S_FORMS], "plural.forms: %llu is "
			    "'%s', which plural.forms does not list",
			    (unsigned long long)example[c], cat_names[c]);
		else if (!reached[c] && k < l->nforms)
			problem(r, l->line[S_FORMS], "plural.forms: no whole "
			    "number is '%s'; list only the forms templates "
			    "need", cat_names[c]);
	}
}

/* ---- formats ---- */

/* field_at - the field named by p[0..n), or -1. */
static int
field_at(const char *p, size_t n)
{
	for (int f = 0; f < NFIELD; f++)
		if (strlen(field_names[f]) == n && !strncmp(p, field_names[f], n))
			return f;
	return -1;
}

/*
 * format_check - every {field} of pattern is known and braces pair up;
 * *zone tells whether {zone} appears.  0, or -1 with err.
 */
static int
format_check(const char *pattern, int *zone, char *err, size_t errlen)
{
	const char *p = pattern, *close;
	int f;

	*zone = 0;
	for (; *p; p++) {
		if (*p == '}') {
			snprintf(err, errlen, "a '}' without '{'");
			return -1;
		}
		if (*p != '{')
			continue;
		if ((close = strchr(p, '}')) == NULL ||
		    memchr(p + 1, '{', (size_t)(close - p - 1))) {
			snprintf(err, errlen, "a '{' without '}'");
			return -1;
		}
		if ((f = field_at(p + 1, (size_t)(close - p - 1))) < 0) {
			snprintf(err, errlen, "unknown field '%.*s'",
			    (int)(close - p + 1), p);
			return -1;
		}
		*zone |= f == F_ZONE;
		p = close;
	}
	return 0;
}

static void
formats_verify(const struct i18n_lang *l, struct report *r)
{
	for (int f = 0; f < NFMT; f++) {
		const char *v = l->val[S_FORMAT + f];
		char err[160];
		int zone;

		if (v == NULL)
			continue;
		if (format_check(v, &zone, err, sizeof(err)) < 0)
			problem(r, l->line[S_FORMAT + f], "format.%s: %s",
			    fmt_names[f], err);
		else if (!zone && (f == FMT_DATETIME || f == FMT_TIME))
			problem(r, l->line[S_FORMAT + f], "format.%s must "
			    "show the time zone: add {zone}", fmt_names[f]);
	}
}

/* ---- command words ---- */

static int
is_blank(uint32_t c)
{
	return c == ' ' || c == '\t' || c == 0xa0;
}

/* Letters and digits go on a word: a match ends before neither. */
static int
word_cont(uint32_t c)
{
	if (c < 0x80)
		return isalnum((int)c) || c == '\'' || c == '-';
	return !(c == 0xa0 || c == 0xd7 || c == 0xf7 || c == 0xfffd ||
	    (c >= 0x2000 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) ||
	    (c >= 0xff00 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20));
}

size_t
i18n_match_phrase(const char *text, const char *phrase)
{
	const char *t = text, *p = phrase;
	size_t tn = strlen(text), pn = strlen(phrase);

	while (*p) {
		uint32_t tc, pc;
		size_t tl, pl = utf8_next(p, pn - (size_t)(p - phrase), &pc);

		if (pl == 0)
			return 0;
		if (is_blank(pc)) {
			/* a space in the phrase: one or more in the text */
			size_t k = 0;

			while (*t && (tl = utf8_next(t, tn - (size_t)(t -
			    text), &tc)) > 0 && is_blank(tc)) {
				t += tl;
				k++;
			}
			if (k == 0)
				return 0;
			p += pl;
			while (*p == ' ')
				p++;
			continue;
		}
		tl = utf8_next(t, tn - (size_t)(t - text), &tc);
		if (tl == 0 || char_fold(tc) != char_fold(pc))
			return 0;
		t += tl;
		p += pl;
	}
	/* a whole word: "ano" is not the start of "anonymous" */
	if (*t) {
		uint32_t tc;

		if (utf8_next(t, tn - (size_t)(t - text), &tc) > 0 &&
		    word_cont(tc))
			return 0;
	}
	return (size_t)(t - text);
}

/* cmd_index - the index of command name in cmd_names, or -1. */
static int
cmd_index(const char *name)
{
	for (size_t k = 0; k < NCMD; k++)
		if (!strcmp(name, cmd_names[k]))
			return (int)k;
	return -1;
}

const char *
i18n_command_words(const struct i18n_lang *l, const char *command)
{
	int k = cmd_index(command);

	return l && k >= 0 ? l->val[S_CMD + k] : NULL;
}

size_t
i18n_command_match(const struct i18n_lang *l, const char *command,
    const char *text)
{
	const char *v = i18n_command_words(l, command), *p;
	size_t best = 0;

	for (p = v; p && *p; ) {
		size_t n = strcspn(p, ","), got;
		char word[CMD_WORD_MAX];

		if (n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = '\0';
			if (*str_trim(word) &&
			    (got = i18n_match_phrase(text, str_trim(word))) > best)
				best = got;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return best;
}

/*
 * commands_verify - each command.* value is a list of words or phrases:
 * not empty, none too long, not too many, and no word given to two of
 * the commands a line could start with (subscribe, unsubscribe, help,
 * set, rsvp), nor to two of the values that follow one verb.
 */
static void
commands_verify(const struct i18n_lang *l, struct report *r)
{
	static const char *const groups[][6] = {
		{ "subscribe", "unsubscribe", "help", "set", "rsvp", NULL },
		{ "digest", "nomail", "language", NULL },
		{ "daily", "weekly", "off", NULL },
		{ "yes", "no", "maybe", NULL },
		{ "approve", "reject", "discard", NULL },
	};

	for (size_t k = 0; k < NCMD; k++) {
		const char *v = l->val[S_CMD + k], *p;
		int n = 0;

		for (p = v; p && *p; n++) {
			size_t len = strcspn(p, ",");
			char *w = xstrndup(p, len);

			if (*str_trim(w) == '\0' || len >= CMD_WORD_MAX)
				problem(r, l->line[S_CMD + k], "command.%s: %s",
				    cmd_names[k], len >= CMD_WORD_MAX ?
				    "a word over 63 bytes" : "an empty word "
				    "between commas");
			free(w);
			p += len;
			if (*p == ',')
				p++;
		}
		if (n > CMD_WORDS_MAX)
			problem(r, l->line[S_CMD + k], "command.%s: more than "
			    "%d words", cmd_names[k], CMD_WORDS_MAX);
	}
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (size_t a = 0; groups[g][a]; a++)
			for (size_t b = a + 1; groups[g][b]; b++) {
				int ka = cmd_index(groups[g][a]);
				int kb = cmd_index(groups[g][b]);
				const char *v = l->val[S_CMD + kb], *p;

				for (p = v; p && *p; ) {
					size_t len = strcspn(p, ",");
					char *w = xstrndup(p, len), *t = str_trim(w);

					if (*t && i18n_command_match(l,
					    groups[g][a], t) == strlen(t))
						problem(r, l->line[S_CMD + kb],
						    "command.%s: '%s' is also "
						    "in command.%s", groups[g][b],
						    t, groups[g][a]);
					free(w);
					p += len;
					if (*p == ',')
						p++;
				}
				(void)ka;
			}
}

/* ---- loading ---- */

void
i18n_lang_free(struct i18n_lang *l)
{
	if (l == NULL)
		return;
	for (int s = 0; s < NSLOT; s++)
		free(l->val[s]);
	for (int c = 0; c < NCAT; c++)
		rule_release(&l->rule[c]);
	free(l);
}

/*
 * lang_read - DIR/CODE/LANGUAGE into a new language, every problem to r.
 * NULL only when there is no file to read.
 */
static struct i18n_lang *
lang_read(const char *path, const char *code, struct report *r)
{
	struct i18n_lang *l;
	struct stat st;
	struct buf b;
	long bad;
	int forms_ok, plural_ok;

	if (stat(path, &st) < 0) {
		problem(r, 0, "cannot read the file");
		return NULL;
	}
	/* checked before reading: a FIFO or a huge file is not a language */
	if (!S_ISREG(st.st_mode) || st.st_size > LANG_FILE_MAX) {
		problem(r, 0, "not a LANGUAGE file (not a plain file, or over "
		    "64 KiB)");
		return NULL;
	}
	buf_init(&b);
	if (buf_read_file(&b, path) < 0) {
		problem(r, 0, "cannot read the file");
		buf_release(&b);
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	if (b.len > LANG_FILE_MAX || strlen(b.data) != b.len) {
		problem(r, 0, "not a LANGUAGE file (over 64 KiB or binary)");
		goto out;
	}
	if ((bad = utf8_bad((const unsigned char *)b.data, b.len)) >= 0) {
		int line = 1;

		for (long k = 0; k < bad; k++)
			line += b.data[k] == '\n';
		problem(r, line, "not UTF-8");
		goto out;
	}
	lang_lines(l, b.data, r);
	for (int s = 0; s < NSLOT; s++) {
		char name[32];

		if (l->val[s] == NULL && l->line[s] == 0 && slot_required(s))
			problem(r, 0, "missing %s",
			    slot_name(s, name, sizeof(name)));
	}
	if (l->val[S_CODE] && strcmp(l->val[S_CODE], code))
		problem(r, l->line[S_CODE], "code is '%s' but the folder is "
		    "'%s'", l->val[S_CODE], code);
	plural_ok = plural_compile(l, r) == 0;
	forms_ok = forms_parse(l, r) == 0;
	if (plural_ok)
		plural_verify(l, forms_ok, r);
	formats_verify(l, r);
	commands_verify(l, r);
out:
	buf_release(&b);
	return l;
}

/* lang_open - validate code, build the path, read; problems to r. */
static struct i18n_lang *
lang_open(const char *dir, const char *code, struct report *r, char **path)
{
	if (!i18n_code_valid(code)) {
		*path = xstrdup(dir);
		r->path = *path;
		problem(r, 0, "'%s' is not a language code", code);
		return NULL;
	}
	*path = xasprintf("%s/%s/LANGUAGE", dir, code);
	r->path = *path;
	return lang_read(*path, code, r);
}

struct i18n_lang *
i18n_lang_load(const char *dir, const char *code, char *err, size_t errlen)
{
	struct first_err fe = { err, errlen };
	struct report r = { NULL, keep_first, &fe, 0 };
	struct i18n_lang *l;
	char *path;

	if (errlen)
		err[0] = '\0';
	l = lang_open(dir, code, &r, &path);
	free(path);
	if (r.count) {
		i18n_lang_free(l);
		return NULL;
	}
	return l;
}

int
i18n_lang_check(const char *dir, const char *code,
    void (*report)(void *arg, const char *line), void *arg)
{
	struct report r = { NULL, report, arg, 0 };
	char *path;

	i18n_lang_free(lang_open(dir, code, &r, &path));
	free(path);
	return r.count;
}

static int
code_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
i18n_lang_codes(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **codes;
	size_t n = 0;

	if (d == NULL)
		return NULL;
	codes = xcalloc(1, sizeof(*codes));
	while ((e = readdir(d)) != NULL) {
		char *path;
		struct stat st;
		int ok;

		if (!i18n_code_valid(e->d_name))
			continue;
		path = xasprintf("%s/%s/LANGUAGE", dir, e->d_name);
		ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
		free(path);
		if (!ok)
			continue;
		codes = xrealloc(codes, (n + 2) * sizeof(*codes));
		codes[n++] = xstrdup(e->d_name);
		codes[n] = NULL;
	}
	closedir(d);
	qsort(codes, n, sizeof(*codes), code_cmp);
	return codes;
}

void
i18n_codes_free(char **codes)
{
	if (codes == NULL)
		return;
	for (size_t k = 0; codes[k]; k++)
		free(codes[k]);
	free(codes);
}

const char *
i18n_lang_code(const struct i18n_lang *l)
{
	return l->val[S_CODE];
}

const char *
i18n_lang_name(const struct i18n_lang *l)
{
	return l->val[S_NAME];
}

const char *
i18n_lang_name_en(const struct i18n_lang *l)
{
	return l->val[S_NAME_EN];
}

/* ---- plurals ---- */

const char *
i18n_plural_category(const struct i18n_lang *l, long long n)
{
	return cat_names[category(l, magnitude(n))];
}

size_t
i18n_plural_nforms(const struct i18n_lang *l)
{
	return l->nforms;
}

const char *
i18n_plural_form(const struct i18n_lang *l, long long n,
    const char *const *forms, size_t nforms)
{
	int c = category(l, magnitude(n));
	size_t k;

	if (nforms != l->nforms || nforms == 0)
		return NULL;
	for (k = 0; k < nforms; k++)
		if (l->form_cat[k] == c)
			return forms[k];
	/* beyond what the check probed: CLDR's fallback is other */
	for (k = 0; k < nforms; k++)
		if (l->form_cat[k] == CAT_OTHER)
			return forms[k];
	return forms[nforms - 1];
}

/* ---- dates ---- */

/* zone_add - the tz abbreviation; a numeric one ("+0530") as "UTC+05:30". */
static void
zone_add(struct buf *b, const char *abbr)
{
	size_t n = strlen(abbr);

	if ((abbr[0] == '+' || abbr[0] == '-') && n >= 3 &&
	    strspn(abbr + 1, "0123456789") == n - 1) {
		buf_adds(b, "UTC");
		buf_add(b, abbr, 3);
		if (n >= 5)
			buf_addf(b, ":%.2s", abbr + 3);
		return;
	}
	buf_adds(b, abbr);
}

char *
i18n_format_time(const struct i18n_lang *l, const char *style, int64_t t,
    const char *tz)
{
	const char *pattern = NULL, *p, *close;
	char tmp[96], zone[32];
	int y, mo, d, h, mi, wd, f;
	struct buf b;

	for (f = 0; f < NFMT; f++)
		if (!strcmp(style, fmt_names[f]))
			pattern = l->val[S_FORMAT + f];
	if (pattern == NULL || tz == NULL || !tz_valid(tz))
		return NULL;
	/* only digits and the zone's abbreviation: no locale can change them */
	local_time_strftime(tz, t, "%Y %m %d %H %M %w %Z", tmp, sizeof(tmp));
	if (sscanf(tmp, "%d %d %d %d %d %d %31s", &y, &mo, &d, &h, &mi, &wd,
	    zone) != 7 || mo < 1 || mo > 12 || d < 1 || d > 31 || wd < 0 ||
	    wd > 6)
		return NULL;
	buf_init(&b);
	for (p = pattern; *p; p++) {
		if (*p != '{' || (close = strchr(p, '}')) == NULL) {
			buf_addc(&b, *p);
			continue;
		}
		switch (field_at(p + 1, (size_t)(close - p - 1))) {
		case F_YYYY: buf_addf(&b, "%d", y); break;
		case F_M: buf_addf(&b, "%d", mo); break;
		case F_MM: buf_addf(&b, "%02d", mo); break;
		case F_D:
			if (l->val[S_MDAY + d - 1])
				buf_adds(&b, l->val[S_MDAY + d - 1]);
			else
				buf_addf(&b, "%d", d);
			break;
		case F_DD: buf_addf(&b, "%02d", d); break;
		case F_H: buf_addf(&b, "%d", h); break;
		case F_HH: buf_addf(&b, "%02d", h); break;
		case F_MIN: buf_addf(&b, "%02d", mi); break;
		case F_MONTH: buf_adds(&b, l->val[S_MONTH + mo - 1]); break;
		case F_MONTH_GEN:
			buf_adds(&b, l->val[S_MONTH_GEN + mo - 1]);
			break;
		case F_MONTH_SHORT:
			buf_adds(&b, l->val[S_MONTH_SHORT + mo - 1]);
			break;
		case F_DAY: buf_adds(&b, l->val[S_DAY + wd]); break;
		case F_DAY_SHORT: buf_adds(&b, l->val[S_DAY_SHORT + wd]); break;
		case F_ZONE: zone_add(&b, zone); break;
		default:	/* format_check refused it at load */
			buf_add(&b, p, (size_t)(close - p + 1));
			break;
		}
		p = close;
	}
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

/* ---- Accept-Language, Content-Language ---- */

#define ACCEPT_MAX_BYTES 1024	/* of a header read; the rest ignored */
#define ACCEPT_MAX_TAGS 32

/*
 * accept_weight - the q of one "cs-CZ;q=0.8" element's parameters, in
 * thousandths (RFC 9110 12.4.2: at most three decimals); 1000 when none,
 * -1 when malformed.
 */
static int
accept_weight(const char *params)
{
	const char *p = params;
	int w = 0, digits = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 1000;
	if (*p != ';')
		return -1;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if ((p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
		return -1;
	p += 2;
	if (*p == '1') {
		p++;
		if (*p == '.')
			for (p++; *p == '0' && digits < 3; p++, digits++)
				;
		w = 1000;
	} else if (*p == '0') {
		p++;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p) && digits < 3;
			    p++, digits++)
				w += (*p - '0') * (digits == 0 ? 100 :
				    digits == 1 ? 10 : 1);
	} else
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0' ? w : -1;
}

/*
 * accept_try - the code Kith would use for a tag: the tag itself
 * ("pt-br"), its primary subtag ("cs" of "cs-CZ"), Norwegian "no" and
 * "nn" as Bokmål; 1 with out filled when have() takes one.
 */
static int
accept_try(const char *tag, int (*have)(void *, const char *), void *arg,
    char *out, size_t outlen)
{
	char t[36], primary[8];
	size_t n = strlen(tag), k;

	if (n == 0 || n >= sizeof(t) || !strcmp(tag, "*"))
		return 0;
	for (k = 0; k < n; k++)
		t[k] = (char)tolower((unsigned char)(tag[k] == '_' ? '-' :
		    tag[k]));
	t[n] = '\0';
	if (i18n_code_valid(t) && have(arg, t)) {
		snprintf(out, outlen, "%s", t);
		return 1;
	}
	k = strcspn(t, "-");
	if (k >= sizeof(primary))
		return 0;
	memcpy(primary, t, k);
	primary[k] = '\0';
	if (!strcmp(primary, "no") || !strcmp(primary, "nn"))
		snprintf(primary, sizeof(primary), "nb");
	if (i18n_code_valid(primary) && have(arg, primary)) {
		snprintf(out, outlen, "%s", primary);
		return 1;
	}
	return 0;
}

int
i18n_accept_pick(const char *header, int (*have)(void *, const char *),
    void *arg, char *out, size_t outlen)
{
	char *copy, *elem, *save = NULL;
	char tags[ACCEPT_MAX_TAGS][36];
	int weight[ACCEPT_MAX_TAGS], ntags = 0, found = 0;

	if (outlen)
		out[0] = '\0';
	if (header == NULL)
		return 0;
	copy = xstrndup(header, strnlen(header, ACCEPT_MAX_BYTES));
	for (elem = strtok_r(copy, ",", &save); elem && ntags < ACCEPT_MAX_TAGS;
	    elem = strtok_r(NULL, ",", &save)) {
		char *t = str_trim(elem), *semi = strchr(t, ';');
		size_t n = semi ? (size_t)(semi - t) : strlen(t);
		int w = accept_weight(semi ? semi : "");

		while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
			n--;
		/* q=0 is "not acceptable"; a malformed element is skipped */
		if (w <= 0 || n == 0 || n >= sizeof(tags[0]))
			continue;
		memcpy(tags[ntags], t, n);
		tags[ntags][n] = '\0';
		weight[ntags++] = w;
	}
	free(copy);
	/* the highest q first; equal ones in the order written */
	for (int best = 1000; best > 0 && !found; best--)
		for (int i = 0; i < ntags && !found; i++)
			if (weight[i] == best)
				found = accept_try(tags[i], have, arg, out,
				    outlen);
	return found;
}
