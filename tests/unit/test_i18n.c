/*
 * test_i18n - LANGUAGE files: CLDR plural categories of every shipped
 * language, the rule parser on good and malformed rules, dates per
 * language across zones and DST whatever the process's locale, and the
 * completeness check.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kith/i18n.h"
#include "kith/util.h"
#include "unit.h"

#define TEMPLATES KITH_SOURCE_TEMPLATE_DIR

static const char *const shipped[] = {
	"cs", "de", "el", "en", "es", "fr", "ko", "nb", "pl", "uk"
};
#define NSHIPPED (sizeof(shipped) / sizeof(shipped[0]))

static struct i18n_lang *
load_shipped(const char *code)
{
	char err[512];
	struct i18n_lang *l = i18n_lang_load(TEMPLATES, code, err,
	    sizeof(err));

	ck_assert_msg(l != NULL, "%s: %s", code, err);
	return l;
}

/*
 * The categories, from the @integer samples of CLDR's plurals.xml
 * (unicode-org/cldr common/supplemental/plurals.xml, CLDR 42+), for:
 *   0 1 2 3 4 5 11 12 14 21 22 25 101 102 111 112
 *   1000 1001 1002 1000000 1000001 2000000
 */
static const long long plural_n[] = {
	0, 1, 2, 3, 4, 5, 11, 12, 14, 21, 22, 25, 101, 102, 111, 112,
	1000, 1001, 1002, 1000000, 1000001, 2000000
};
#define NPLURAL_N (sizeof(plural_n) / sizeof(plural_n[0]))

static const struct {
	const char *code;
	const char *want;	/* one word per number above */
} plural_cases[] = {
	{ "en", "other one other other other other other other other other "
	    "other other other other other other other other other other "
	    "other other" },
	{ "de", "other one other other other other other other other other "
	    "other other other other other other other other other other "
	    "other other" },
	{ "nb", "other one other other other other other other other other "
	    "other other other other other other other other other other "
	    "other other" },
	{ "el", "other one other other other other other other other other "
	    "other other other other other other other other other other "
	    "other other" },
	{ "ko", "other other other other other other other other other other "
	    "other other other other other other other other other other "
	    "other other" },
	/* 0 is singular in French; exact millions are many ("de") */
	{ "fr", "one one other other other other other other other other "
	    "other other other other other other other other other many "
	    "other many" },
	{ "es", "other one other other other other other other other other "
	    "other other other other other other other other other many "
	    "other many" },
	/* cs many is for decimals (v != 0) only */
	{ "cs", "other one few few few other other other other other other "
	    "other other other other other other other other other other "
	    "other" },
	{ "pl", "many one few few few many many many many many few many "
	    "many few many many many many few many many many" },
	{ "uk", "many one few few few many many many many one few many one "
	    "few many many many one few many one many" },
};

START_TEST(test_plural_categories)
{
	struct i18n_lang *l = load_shipped(plural_cases[_i].code);
	char *want = xstrdup(plural_cases[_i].want), *w, *save = NULL;
	size_t k = 0;

	for (w = strtok_r(want, " ", &save); w; w = strtok_r(NULL, " ", &save),
	    k++) {
		const char *got;

		ck_assert_uint_lt(k, NPLURAL_N);
		got = i18n_plural_category(l, plural_n[k]);
		ck_assert_msg(!strcmp(got, w), "%s: %lld: got %s, want %s",
		    plural_cases[_i].code, plural_n[k], got, w);
	}
	ck_assert_uint_eq(k, NPLURAL_N);
	free(want);
	i18n_lang_free(l);
}
END_TEST

START_TEST(test_plural_forms)
{
	struct i18n_lang *cs = load_shipped("cs"), *pl = load_shipped("pl");
	struct i18n_lang *ko = load_shipped("ko"), *fr = load_shipped("fr");
	struct i18n_lang *en = load_shipped("en");
	const char *csf[] = { "člen", "členové", "členů" };
	const char *plf[] = { "członek", "członkowie", "członków" };
	const char *kof[] = { "명" };
	const char *frf[] = { "membre", "de membres", "membres" };

	ck_assert_uint_eq(i18n_plural_nforms(cs), 3);
	ck_assert_str_eq(i18n_plural_form(cs, 1, csf, 3), "člen");
	ck_assert_str_eq(i18n_plural_form(cs, 3, csf, 3), "členové");
	ck_assert_str_eq(i18n_plural_form(cs, 5, csf, 3), "členů");
	ck_assert_str_eq(i18n_plural_form(cs, 0, csf, 3), "členů");
	ck_assert_str_eq(i18n_plural_form(cs, 22, csf, 3), "členů");
	ck_assert_str_eq(i18n_plural_form(pl, 22, plf, 3), "członkowie");
	ck_assert_str_eq(i18n_plural_form(pl, 25, plf, 3), "członków");
	ck_assert_str_eq(i18n_plural_form(pl, -2, plf, 3), "członkowie");
	ck_assert_uint_eq(i18n_plural_nforms(ko), 1);
	ck_assert_str_eq(i18n_plural_form(ko, 1, kof, 1), "명");
	ck_assert_str_eq(i18n_plural_form(fr, 0, frf, 3), "membre");
	ck_assert_str_eq(i18n_plural_form(fr, 1000000, frf, 3), "de membres");
	ck_assert_str_eq(i18n_plural_form(fr, 7, frf, 3), "membres");
	ck_assert_str_eq(i18n_plural_category(en, -1), "one");
	ck_assert_str_eq(i18n_plural_category(en, -9223372036854775807LL - 1),
	    "other");
	/* a template with the wrong number of forms gets nothing */
	ck_assert_ptr_null(i18n_plural_form(cs, 1, csf, 2));
	ck_assert_ptr_null(i18n_plural_form(ko, 1, csf, 3));
	ck_assert_ptr_null(i18n_plural_form(en, 1, csf, 0));
	i18n_lang_free(cs);
	i18n_lang_free(pl);
	i18n_lang_free(ko);
	i18n_lang_free(fr);
	i18n_lang_free(en);
}
END_TEST

/* ---- edited copies of templates/en/LANGUAGE in a scratch folder ---- */

struct edit {
	const char *key;	/* the line "key = ..." to replace; */
	const char *line;	/* NULL deletes it; a new key is appended */
};

/*
 * write_edited - DIR/CODE/LANGUAGE = en's file with the edits applied;
 * the line number of the first edit's line (0 when deleted).
 */
static int
write_edited(const char *dir, const char *code, const struct edit *ed,
    size_t ned)
{
	struct buf in, out;
	char *path, *line, *next, *sub;
	size_t k;
	int lineno = 0, first = 0, done[6] = { 0 };

	ck_assert_uint_le(ned, 6);
	buf_init(&in);
	buf_init(&out);
	path = xasprintf("%s/en/LANGUAGE", TEMPLATES);
	ck_assert_int_eq(buf_read_file(&in, path), 0);
	free(path);
	for (line = in.data; line && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		for (k = 0; k < ned; k++) {
			size_t n = strlen(ed[k].key);

			if (!strncmp(line, ed[k].key, n) &&
			    !strncmp(line + n, " =", 2))
				break;
		}
		if (k == ned) {
			buf_addf(&out, "%s\n", line);
			lineno++;
			continue;
		}
		done[k] = 1;
		if (ed[k].line) {
			buf_addf(&out, "%s\n", ed[k].line);
			lineno++;
			if (k == 0)
				first = lineno;
		}
	}
	for (k = 0; k < ned; k++)
		if (!done[k] && ed[k].line) {
			buf_addf(&out, "%s\n", ed[k].line);
			lineno++;
			if (k == 0)
				first = lineno;
		}
	sub = xasprintf("%s/%s", dir, code);
	ck_assert_int_eq(mkdir_p(sub, 0755), 0);
	path = xasprintf("%s/LANGUAGE", sub);
	ck_assert_int_eq(file_write_atomic(path, out.data, out.len, 0644), 0);
	free(path);
	free(sub);
	buf_release(&in);
	buf_release(&out);
	return first;
}

struct lines {
	char *all;		/* every reported line, '\n' after each */
	int n;
};

static void
collect(void *arg, const char *line)
{
	struct lines *ls = arg;
	char *all = xasprintf("%s%s\n", ls->all ? ls->all : "", line);

	free(ls->all);
	ls->all = all;
	ls->n++;
}

/* Malformed files: the problem, with its line where it has one. */
static const struct {
	struct edit ed[2];
	const char *want;	/* "%d" is the first edit's line */
} bad_cases[] = {
	/* the rule parser */
	{ { { "plural.one", "plural.one = i = " } },
	  ":%d: plural.one: expected a number at the end" },
	{ { { "plural.one", "plural.one = i = 1 and" } },
	  ":%d: plural.one: expected an operand (n i v w f t c e) at the end" },
	{ { { "plural.one", "plural.one = i % 0 = 1" } },
	  ":%d: plural.one: '%% 0' divides by zero at '= 1'" },
	{ { { "plural.one", "plural.one = x = 1" } },
	  ":%d: plural.one: expected an operand (n i v w f t c e) at 'x = 1'" },
	{ { { "plural.one", "plural.one = ii = 1" } },
	  ":%d: plural.one: expected an operand (n i v w f t c e) at 'ii = 1'" },
	{ { { "plural.one", "plural.one = i = 4..2" } },
	  ":%d: plural.one: range runs backwards at the end" },
	{ { { "plural.one", "plural.one = i = 1 or or i = 2" } },
	  ":%d: plural.one: expected an operand (n i v w f t c e) at 'or i = 2'" },
	{ { { "plural.one", "plural.one = i == 1" } },
	  ":%d: plural.one: expected a number at '= 1'" },
	{ { { "plural.one", "plural.one = i = 1.5" } },
	  ":%d: plural.one: expected a whole number at '.5'" },
	{ { { "plural.one", "plural.one = i = 1234567890123456789" } },
	  ":%d: plural.one: number too long at '9'" },
	{ { { "plural.one", "plural.one = i = 1 i = 2" } },
	  ":%d: plural.one: expected 'and' or 'or' at 'i = 2'" },
	{ { { "plural.one", "plural.one = n is 1..2" } },
	  ":%d: plural.one: expected 'and' or 'or' at '..2'" },
	{ { { "plural.one", "plural.one = i = 1; rm -rf /" } },
	  ":%d: plural.one: expected 'and' or 'or' at '; rm -rf /'" },
	{ { { "plural.one", "plural.one = i is not" } },
	  ":%d: plural.one: expected a number at the end" },
	{ { { "plural.one", "plural.one = i mod = 1" } },
	  ":%d: plural.one: expected a number at '= 1'" },
	{ { { "plural.one", "plural.one = n not 1" } },
	  ":%d: plural.one: expected '=', '!=', 'is', 'in' or 'within' at '1'" },
	{ { { "plural.one", "plural.one = @integer 1" } },
	  ":%d: plural.one has no condition" },
	{ { { "plural.one", "plural.one = i = 1 @integer 1, 2" } },
	  ":%d: plural.one: the sample 2 is 'other' by these rules" },
	{ { { "plural.one", "plural.one = i = 1 @integer 1x" } },
	  ":%d: plural.one: bad sample '1x'" },
	{ { { "plural.one", "plural.one = i = 1 @float 1" } },
	  ":%d: plural.one: expected '@integer' or '@decimal' samples" },
	{ { { "plural.other", "plural.other = n = 1" } },
	  ":%d: plural.other takes no condition: it is what no rule matches" },
	{ { { "plural.other", "plural.other = @integer 0, 2~10002, 2~10002, "
	    "2~10002, 2~10002, 2~10002, 2~10002, 2~10002, 2~10002, 2~10002, "
	    "2~10002" } },
	  ":%d: plural.other: more than 100000 samples" },
	{ { { "plural.other", "plural.other = @integer 0, 2~20000" } },
	  ":%d: plural.other: bad sample '2~20000'" },
	{ { { "plural.other", "plural.other = @integer 0, 5~2" } },
	  ":%d: plural.other: bad sample '5~2'" },
	{ { { "plural.other", "plural.other = @integer 0, 1, 2" } },
	  ":%d: plural.other: the sample 1 is 'one' by these rules" },
	{ { { "plural.few", "plural.few = i = 1..4" },
	    { "plural.other", "plural.other =" } },
	  ":%d: plural.one and plural.few both match 1" },
	/* plural.forms */
	{ { { "plural.forms", "plural.forms = one few other" } },
	  ":%d: plural.forms: 'few' has no plural.few rule" },
	{ { { "plural.forms", "plural.forms = one one other" } },
	  ":%d: plural.forms: 'one' given twice" },
	{ { { "plural.forms", "plural.forms = one other lots" } },
	  ":%d: plural.forms: 'lots' is not a CLDR category" },
	{ { { "plural.forms", "plural.forms = one" } },
	  ":%d: plural.forms: 0 is 'other', which plural.forms does not list" },
	{ { { "plural.forms", "plural.forms = " } },
	  ":%d: 'plural.forms' has no value" },
	{ { { "plural.forms", "plural.forms = one many other" },
	    { "plural.many", "plural.many = v != 0" } },
	  ":%d: plural.forms: no whole number is 'many'" },
	/* keys */
	{ { { "month.12", NULL } }, "/en/LANGUAGE: missing month.12" },
	{ { { "day.short.6", NULL } }, "/en/LANGUAGE: missing day.short.6" },
	{ { { "format.monthyear", NULL } },
	  "/en/LANGUAGE: missing format.monthyear" },
	{ { { "mnth.1", "mnth.1 = January" } }, ":%d: unknown key 'mnth.1'" },
	{ { { "month.13", "month.13 = Smarch" } },
	  ":%d: unknown key 'month.13'" },
	{ { { "month.01", "month.01 = January" } },
	  ":%d: unknown key 'month.01'" },
	{ { { "day.7", "day.7 = Funday" } }, ":%d: unknown key 'day.7'" },
	{ { { "format.long", "format.long = {d}" } },
	  ":%d: unknown key 'format.long'" },
	{ { { "x.month.1", "month.1 = Jan" } },
	  ":%d: 'month.1' given twice (first on line" },
	{ { { "code", "code = eng" } },
	  ":%d: code is 'eng' but the folder is 'en'" },
	{ { { "name", "name" } }, ":%d: expected 'key = value'" },
	{ { { "name.en", "name.en =" } }, ":%d: 'name.en' has no value" },
	{ { { "name", "name = \xff" } }, ":%d: not UTF-8" },
	{ { { "name", "name = \xc0\xaf" } }, ":%d: not UTF-8" },
	/* formats */
	{ { { "format.date", "format.date = {day.short} {d} {mnth} {yyyy}" } },
	  ":%d: format.date: unknown field '{mnth}'" },
	{ { { "format.datetime", "format.datetime = {d} {month}, {HH}:{mm}" } },
	  ":%d: format.datetime must show the time zone: add {zone}" },
	{ { { "format.time", "format.time = {HH}:{mm}" } },
	  ":%d: format.time must show the time zone: add {zone}" },
	{ { { "format.date", "format.date = {d {month}" } },
	  ":%d: format.date: a '{' without '}'" },
	{ { { "format.date", "format.date = d} {month}" } },
	  ":%d: format.date: a '}' without '{'" },
};

START_TEST(test_bad_files)
{
	char dir[256], err[512], want[256];
	struct lines ls = { NULL, 0 };
	struct i18n_lang *l;
	int line, n;

	snprintf(dir, sizeof(dir), "%s/kith-i18n.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	line = write_edited(dir, "en", bad_cases[_i].ed,
	    bad_cases[_i].ed[1].key ? 2 : 1);
	snprintf(want, sizeof(want), bad_cases[_i].want, line);

	n = i18n_lang_check(dir, "en", collect, &ls);
	ck_assert_msg(n >= 1 && n == ls.n, "check: %d problems, %d lines", n,
	    ls.n);
	ck_assert_msg(strstr(ls.all, want) != NULL, "want '%s' among:\n%s",
	    want, ls.all);
	/* load refuses it, naming the first problem */
	l = i18n_lang_load(dir, "en", err, sizeof(err));
	ck_assert_ptr_null(l);
	ck_assert_msg(!strncmp(ls.all, err, strlen(err)) && err[0] &&
	    ls.all[strlen(err)] == '\n', "load: '%s', check: '%s'", err,
	    ls.all);
	free(ls.all);
	unit_rmdir(dir);
}
END_TEST

/* Rules as CLDR allows them: the parser's precedence and operators. */
static const struct {
	const char *rule;
	long long n;
	const char *want;
} rule_cases[] = {
	/* 'and' binds tighter than 'or' */
	{ "i = 1 or i = 5 and i = 6", 1, "one" },
	{ "i = 1 or i = 5 and i = 6", 5, "other" },
	{ "i = 1 or i = 5 and i = 6", 6, "other" },
	{ "i = 5 and i = 6 or i = 1", 1, "one" },
	{ "n is not 1", 0, "one" },
	{ "n is not 1", 1, "other" },
	{ "n mod 10 in 2..4 and n mod 100 not in 12..14", 22, "one" },
	{ "n mod 10 in 2..4 and n mod 100 not in 12..14", 112, "other" },
	{ "n % 10 = 2..4 and n % 100 != 12..14", 1004, "one" },
	{ "n within 0..1", 0, "one" },
	{ "n not within 0..1", 0, "other" },
	{ "i = 0,1 or n = 11..13,20", 12, "one" },
	{ "i = 0,1 or n = 11..13,20", 20, "one" },
	{ "i = 0,1 or n = 11..13,20", 14, "other" },
	{ "n % 1000000 = 0 and n != 0", 0, "other" },
	{ "n % 1000000 = 0 and n != 0", 3000000, "one" },
	/* whole numbers: v w f t c e are 0 */
	{ "v = 0 and w = 0 and f = 0 and t = 0 and c = 0 and e = 0 and i = 7",
	  7, "one" },
	{ "e != 0..5 or i = 7", 7, "one" },
	{ "e != 0..5 or i = 7", 8, "other" },
	{ "\ti\t=\t1", 1, "one" },
};

START_TEST(test_rules)
{
	char dir[256], err[512], *line;
	struct edit ed[2];
	struct i18n_lang *l;

	snprintf(dir, sizeof(dir), "%s/kith-i18n.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	line = xasprintf("plural.one = %s", rule_cases[_i].rule);
	ed[0].key = "plural.one";
	ed[0].line = line;
	ed[1].key = "plural.other";	/* en's samples are for en's rule */
	ed[1].line = "plural.other =";
	write_edited(dir, "en", ed, 2);
	l = i18n_lang_load(dir, "en", err, sizeof(err));
	ck_assert_msg(l != NULL, "'%s': %s", rule_cases[_i].rule, err);
	ck_assert_msg(!strcmp(i18n_plural_category(l, rule_cases[_i].n),
	    rule_cases[_i].want), "'%s' for %lld: got %s, want %s",
	    rule_cases[_i].rule, rule_cases[_i].n,
	    i18n_plural_category(l, rule_cases[_i].n), rule_cases[_i].want);
	i18n_lang_free(l);
	free(line);
	unit_rmdir(dir);
}
END_TEST

/* ---- dates ---- */

#define WINTER 1797357600	/* Tue 2026-12-15 18:00Z */
#define SUMMER 1782925200	/* Wed 2026-07-01 17:00Z */
#define EU_SPRING_BEFORE 1774745940	/* 2026-03-29 00:59Z */
#define EU_SPRING_AFTER 1774746000	/* 2026-03-29 01:00Z */
#define EU_FALL_BEFORE 1792888200	/* 2026-10-25 00:30Z */
#define EU_FALL_AFTER 1792891800	/* 2026-10-25 01:30Z */
#define US_SPRING_BEFORE 1772953140	/* 2026-03-08 06:59Z */
#define US_SPRING_AFTER 1772953200	/* 2026-03-08 07:00Z */
#define US_FALL_BEFORE 1793511000	/* 2026-11-01 05:30Z */
#define US_FALL_AFTER 1793514600	/* 2026-11-01 06:30Z */
#define NEW_YEAR 1798729200		/* 2026-12-31 15:00Z */
#define JAN_3 1798963500		/* Sun 2027-01-03 08:05Z */

static const struct {
	const char *code, *tz, *style;
	int64_t t;
	const char *want;
} date_cases[] = {
	{ "en", "Europe/Prague", "datetime", WINTER, "Tue 15 Dec 2026, 19:00 CET" },
	{ "en", "America/New_York", "datetime", WINTER,
	  "Tue 15 Dec 2026, 13:00 EST" },
	{ "en", "Asia/Seoul", "datetime", WINTER, "Wed 16 Dec 2026, 03:00 KST" },
	{ "en", "Europe/Prague", "date", WINTER, "Tue 15 Dec 2026" },
	{ "en", "Europe/Prague", "time", WINTER, "19:00 CET" },
	{ "en", "Europe/Prague", "dateshort", WINTER, "2026-12-15" },
	{ "en", "Europe/Prague", "monthyear", WINTER, "December 2026" },
	{ "en", "America/New_York", "datetime", SUMMER,
	  "Wed 1 Jul 2026, 13:00 EDT" },
	{ "en", "Europe/Prague", "datetime", EU_FALL_BEFORE,
	  "Sun 25 Oct 2026, 02:30 CEST" },
	{ "en", "Europe/Prague", "datetime", EU_FALL_AFTER,
	  "Sun 25 Oct 2026, 02:30 CET" },
	{ "en", "America/New_York", "datetime", US_SPRING_BEFORE,
	  "Sun 8 Mar 2026, 01:59 EST" },
	{ "en", "America/New_York", "datetime", US_SPRING_AFTER,
	  "Sun 8 Mar 2026, 03:00 EDT" },
	/* numeric tz abbreviations read as UTC offsets */
	{ "en", "Asia/Tashkent", "datetime", WINTER,
	  "Tue 15 Dec 2026, 23:00 UTC+05" },
	{ "en", "Asia/Kathmandu", "time", WINTER, "23:45 UTC+05:45" },
	{ "en", "UTC", "datetime", WINTER, "Tue 15 Dec 2026, 18:00 UTC" },

	{ "cs", "Europe/Prague", "datetime", WINTER,
	  "út 15. prosince 2026, 19:00 CET" },
	{ "cs", "Europe/Prague", "date", WINTER, "út 15. prosince 2026" },
	{ "cs", "Europe/Prague", "time", WINTER, "19:00 CET" },
	{ "cs", "Europe/Prague", "dateshort", WINTER, "15. 12. 2026" },
	{ "cs", "Europe/Prague", "monthyear", WINTER, "prosinec 2026" },
	{ "cs", "Europe/Prague", "datetime", SUMMER,
	  "st 1. července 2026, 19:00 CEST" },
	{ "cs", "Europe/Prague", "datetime", EU_SPRING_BEFORE,
	  "ne 29. března 2026, 1:59 CET" },
	{ "cs", "Europe/Prague", "datetime", EU_SPRING_AFTER,
	  "ne 29. března 2026, 3:00 CEST" },
	{ "cs", "Asia/Seoul", "datetime", WINTER,
	  "st 16. prosince 2026, 3:00 KST" },

	{ "ko", "Asia/Seoul", "datetime", WINTER,
	  "2026년 12월 16일 (수) 03:00 KST" },
	{ "ko", "Asia/Seoul", "date", WINTER, "2026년 12월 16일 (수)" },
	{ "ko", "Asia/Seoul", "dateshort", WINTER, "2026. 12. 16." },
	{ "ko", "Asia/Seoul", "monthyear", WINTER, "2026년 12월" },
	{ "ko", "Asia/Seoul", "datetime", SUMMER,
	  "2026년 7월 2일 (목) 02:00 KST" },
	{ "ko", "Asia/Seoul", "datetime", NEW_YEAR,
	  "2027년 1월 1일 (금) 00:00 KST" },
	{ "ko", "Asia/Seoul", "datetime", JAN_3,
	  "2027년 1월 3일 (일) 17:05 KST" },
	{ "ko", "America/New_York", "datetime", SUMMER,
	  "2026년 7월 1일 (수) 13:00 EDT" },

	{ "nb", "Europe/Oslo", "datetime", WINTER,
	  "tir. 15. desember 2026 kl. 19:00 CET" },
	{ "nb", "Europe/Oslo", "datetime", SUMMER,
	  "ons. 1. juli 2026 kl. 19:00 CEST" },
	{ "nb", "Europe/Oslo", "datetime", EU_SPRING_AFTER,
	  "søn. 29. mars 2026 kl. 03:00 CEST" },
	{ "nb", "Europe/Oslo", "dateshort", WINTER, "15.12.2026" },
	{ "nb", "Europe/Oslo", "monthyear", WINTER, "desember 2026" },

	{ "pl", "Europe/Prague", "datetime", WINTER,
	  "wt., 15 grudnia 2026, 19:00 CET" },
	{ "pl", "Europe/Prague", "datetime", SUMMER,
	  "śr., 1 lipca 2026, 19:00 CEST" },
	{ "pl", "Europe/Prague", "datetime", JAN_3,
	  "niedz., 3 stycznia 2027, 09:05 CET" },
	{ "pl", "Europe/Prague", "monthyear", WINTER, "grudzień 2026" },

	{ "el", "Europe/Athens", "datetime", WINTER,
	  "Τρί 15 Δεκεμβρίου 2026, 20:00 EET" },
	{ "el", "Europe/Athens", "datetime", SUMMER,
	  "Τετ 1 Ιουλίου 2026, 20:00 EEST" },
	{ "el", "Europe/Athens", "datetime", EU_SPRING_BEFORE,
	  "Κυρ 29 Μαρτίου 2026, 02:59 EET" },
	{ "el", "Europe/Athens", "datetime", EU_SPRING_AFTER,
	  "Κυρ 29 Μαρτίου 2026, 04:00 EEST" },
	{ "el", "Europe/Athens", "dateshort", WINTER, "15/12/2026" },
	{ "el", "Europe/Athens", "monthyear", WINTER, "Δεκέμβριος 2026" },

	{ "de", "Europe/Prague", "datetime", WINTER,
	  "Di., 15. Dezember 2026, 19:00 CET" },
	{ "de", "Europe/Oslo", "datetime", SUMMER,
	  "Mi., 1. Juli 2026, 19:00 CEST" },
	{ "de", "Europe/Prague", "dateshort", SUMMER, "01.07.2026" },

	{ "fr", "Europe/Prague", "datetime", WINTER,
	  "mardi 15 décembre 2026 à 19:00 CET" },
	{ "fr", "Europe/Prague", "datetime", SUMMER,
	  "mercredi 1er juillet 2026 à 19:00 CEST" },
	{ "fr", "Asia/Seoul", "date", NEW_YEAR, "vendredi 1er janvier 2027" },
	{ "fr", "Europe/Prague", "dateshort", SUMMER, "01/07/2026" },

	{ "es", "America/New_York", "datetime", WINTER,
	  "martes, 15 de diciembre de 2026, 13:00 EST" },
	{ "es", "America/New_York", "datetime", US_FALL_BEFORE,
	  "domingo, 1 de noviembre de 2026, 1:30 EDT" },
	{ "es", "America/New_York", "datetime", US_FALL_AFTER,
	  "domingo, 1 de noviembre de 2026, 1:30 EST" },
	{ "es", "Europe/Prague", "date", SUMMER, "miércoles, 1 de julio de 2026" },
	{ "es", "Europe/Prague", "dateshort", SUMMER, "1/7/2026" },
	{ "es", "Europe/Prague", "monthyear", WINTER, "diciembre de 2026" },

	{ "uk", "Europe/Athens", "datetime", WINTER,
	  "вт, 15 грудня 2026 р. о 20:00 EET" },
	{ "uk", "Europe/Athens", "datetime", SUMMER,
	  "ср, 1 липня 2026 р. о 20:00 EEST" },
	{ "uk", "Europe/Athens", "dateshort", WINTER, "15.12.2026" },
	{ "uk", "Europe/Athens", "monthyear", WINTER, "грудень 2026 р." },
};
#define NDATE (sizeof(date_cases) / sizeof(date_cases[0]))

/* dates_match - every date case; the first mismatch into why. */
static int
dates_match(char *why, size_t n)
{
	for (size_t k = 0; k < NDATE; k++) {
		struct i18n_lang *l = load_shipped(date_cases[k].code);
		char *got = i18n_format_time(l, date_cases[k].style,
		    date_cases[k].t, date_cases[k].tz);
		int ok = got && !strcmp(got, date_cases[k].want);

		if (!ok)
			snprintf(why, n, "%s %s %s %lld: got '%s', want '%s'",
			    date_cases[k].code, date_cases[k].tz,
			    date_cases[k].style, (long long)date_cases[k].t,
			    got ? got : "(null)", date_cases[k].want);
		free(got);
		i18n_lang_free(l);
		if (!ok)
			return 0;
	}
	return 1;
}

/*
 * Names never come from the machine's locales: the same strings in the
 * C locale and with LC_ALL naming a locale that does not exist ...
 */
static const char *const locales[] = {
	"C", "POSIX", "C.UTF-8", "xx_NOWHERE.UTF-8"
};

START_TEST(test_dates_any_locale)
{
	char why[512];

	setenv("LC_ALL", locales[_i], 1);
	setenv("LANG", locales[_i], 1);
	setlocale(LC_ALL, "");	/* fails for a locale that is not there */
	ck_assert_msg(dates_match(why, sizeof(why)), "LC_ALL=%s: %s",
	    locales[_i], why);
	setlocale(LC_ALL, "C");
}
END_TEST

/*
 * ... and in a real Czech or German locale, where strftime's %a is not
 * English.  Minimal machines have none installed: then one is built
 * with localedef into a scratch LOCPATH when the locale sources are there.
 */
START_TEST(test_dates_real_locale)
{
	static const char *const real[] = { "cs_CZ.UTF-8", "de_DE.UTF-8" };
	char dir[256], why[512], abday[32], *cmd;
	const char *in = NULL;
	struct tm tue = { .tm_wday = 2, .tm_mday = 15, .tm_mon = 11,
	    .tm_year = 126 };
	size_t k;
	int r;

	dir[0] = '\0';
	for (k = 0; k < 2 && in == NULL; k++)
		if (setlocale(LC_ALL, real[k]))
			in = real[k];
	if (in == NULL && access("/usr/share/i18n/locales/cs_CZ", R_OK) == 0) {
		snprintf(dir, sizeof(dir), "%s/kith-i18n.XXXXXX",
		    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		ck_assert_ptr_nonnull(mkdtemp(dir));
		cmd = xasprintf("localedef -i cs_CZ -f UTF-8 '%s/cs_CZ.UTF-8' "
		    ">/dev/null 2>&1", dir);
		r = system(cmd);
		free(cmd);
		setenv("LOCPATH", dir, 1);
		if (r == 0 && setlocale(LC_ALL, "cs_CZ.UTF-8"))
			in = "cs_CZ.UTF-8 (built)";
	}
	if (in == NULL) {
		fprintf(stderr, "test_i18n: no cs_CZ or de_DE locale and no "
		    "localedef: the real-locale case was not run\n");
	} else {
		/* the locale is live: libc's own names are not English */
		strftime(abday, sizeof(abday), "%a", &tue);
		ck_assert_msg(strcmp(abday, "Tue") != 0, "%s: %%a is '%s'",
		    in, abday);
		ck_assert_msg(dates_match(why, sizeof(why)), "LC_ALL=%s: %s",
		    in, why);
	}
	setlocale(LC_ALL, "C");
	unsetenv("LOCPATH");
	if (dir[0])
		unit_rmdir(dir);
}
END_TEST

START_TEST(test_dates_refused)
{
	struct i18n_lang *l = load_shipped("cs");

	ck_assert_ptr_null(i18n_format_time(l, "datetime", WINTER,
	    "Mars/Olympus"));
	ck_assert_ptr_null(i18n_format_time(l, "datetime", WINTER,
	    "../../etc/passwd"));
	ck_assert_ptr_null(i18n_format_time(l, "datetime", WINTER, NULL));
	ck_assert_ptr_null(i18n_format_time(l, "long", WINTER, "UTC"));
	ck_assert_ptr_null(i18n_format_time(l, "", WINTER, "UTC"));
	i18n_lang_free(l);
}
END_TEST

/* ---- the completeness check and the list of languages ---- */

START_TEST(test_shipped_complete)
{
	for (size_t k = 0; k < NSHIPPED; k++) {
		struct lines ls = { NULL, 0 };
		struct i18n_lang *l;
		int n = i18n_lang_check(TEMPLATES, shipped[k], collect, &ls);

		ck_assert_msg(n == 0, "%s: %d problems:\n%s", shipped[k], n,
		    ls.all ? ls.all : "");
		l = load_shipped(shipped[k]);
		ck_assert_str_eq(i18n_lang_code(l), shipped[k]);
		ck_assert(i18n_lang_name(l)[0] != '\0');
		ck_assert(i18n_lang_name_en(l)[0] != '\0');
		i18n_lang_free(l);
	}
}
END_TEST

START_TEST(test_names)
{
	struct i18n_lang *cs = load_shipped("cs"), *ko = load_shipped("ko");

	ck_assert_str_eq(i18n_lang_name(cs), "čeština");
	ck_assert_str_eq(i18n_lang_name_en(cs), "Czech");
	ck_assert_str_eq(i18n_lang_name(ko), "한국어");
	i18n_lang_free(cs);
	i18n_lang_free(ko);
}
END_TEST

START_TEST(test_codes)
{
	char **codes = i18n_lang_codes(TEMPLATES), dir[256], *p, err[512];
	struct edit none = { "-", NULL };
	struct lines ls = { NULL, 0 };
	size_t k;

	/* newsletter/ and onboarding/ hold texts, not languages */
	ck_assert_ptr_nonnull(codes);
	for (k = 0; codes[k]; k++) {
		ck_assert_uint_lt(k, NSHIPPED);
		ck_assert_str_eq(codes[k], shipped[k]);
	}
	ck_assert_uint_eq(k, NSHIPPED);
	i18n_codes_free(codes);

	snprintf(dir, sizeof(dir), "%s/kith-i18n.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_edited(dir, "en", &none, 1);
	write_edited(dir, "Bad", &none, 1);	/* not a language code */
	p = xasprintf("%s/cs", dir);		/* a folder without LANGUAGE */
	ck_assert_int_eq(mkdir_p(p, 0755), 0);
	free(p);
	codes = i18n_lang_codes(dir);
	ck_assert_ptr_nonnull(codes);
	ck_assert_str_eq(codes[0], "en");
	ck_assert_ptr_null(codes[1]);
	i18n_codes_free(codes);

	ck_assert_ptr_null(i18n_lang_load(dir, "cs", err, sizeof(err)));
	ck_assert_msg(strstr(err, "/cs/LANGUAGE: cannot read the file") != NULL,
	    "%s", err);
	ck_assert_ptr_null(i18n_lang_load(dir, "../en", err, sizeof(err)));
	ck_assert_msg(strstr(err, "'../en' is not a language code") != NULL,
	    "%s", err);
	ck_assert_int_eq(i18n_lang_check(dir, "Bad", collect, &ls), 1);
	free(ls.all);
	p = xasprintf("%s/nowhere", dir);
	ck_assert_ptr_null(i18n_lang_codes(p));
	free(p);
	unit_rmdir(dir);
}
END_TEST

/* Files that are no LANGUAGE file at all are refused before reading. */
START_TEST(test_odd_files)
{
	char dir[256], err[512], *p, *big;
	static const char nul[] = "name = a\0b\n";

	snprintf(dir, sizeof(dir), "%s/kith-i18n.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	p = xasprintf("%s/en/LANGUAGE", dir);	/* a folder */
	ck_assert_int_eq(mkdir_p(p, 0755), 0);
	ck_assert_ptr_null(i18n_lang_load(dir, "en", err, sizeof(err)));
	ck_assert_msg(strstr(err, "/en/LANGUAGE: not a LANGUAGE file") != NULL,
	    "%s", err);
	free(p);
	p = xasprintf("%s/de/LANGUAGE", dir);	/* 70 KiB */
	big = xmalloc(70 * 1024);
	memset(big, '#', 70 * 1024);
	write_edited(dir, "de", NULL, 0);
	ck_assert_int_eq(file_write_atomic(p, big, 70 * 1024, 0644), 0);
	ck_assert_ptr_null(i18n_lang_load(dir, "de", err, sizeof(err)));
	ck_assert_msg(strstr(err, "/de/LANGUAGE: not a LANGUAGE file") != NULL,
	    "%s", err);
	free(big);
	free(p);
	p = xasprintf("%s/fr/LANGUAGE", dir);	/* a NUL byte */
	write_edited(dir, "fr", NULL, 0);
	ck_assert_int_eq(file_write_atomic(p, nul, sizeof(nul) - 1, 0644), 0);
	ck_assert_ptr_null(i18n_lang_load(dir, "fr", err, sizeof(err)));
	ck_assert_msg(strstr(err, "/fr/LANGUAGE: not a LANGUAGE file") != NULL,
	    "%s", err);
	free(p);
	ck_assert_ptr_null(i18n_lang_load(dir, "../en", err, sizeof(err)));
	ck_assert_msg(!strcmp(err + strlen(dir), ": '../en' is not a language "
	    "code"), "%s", err);
	unit_rmdir(dir);
}
END_TEST

/* Every problem of a file is reported, not only the first. */
START_TEST(test_check_reports_all)
{
	static const struct edit ed[] = {
		{ "month.3", NULL },
		{ "day.6", NULL },
		{ "format.time", "format.time = {HH}:{mm}" },
		{ "plural.one", "plural.one = i = 1 or" },
		{ "name.en", "name.en =" },	/* not "missing" as well */
	};
	struct lines ls = { NULL, 0 };
	char dir[256];
	int n;

	snprintf(dir, sizeof(dir), "%s/kith-i18n.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_edited(dir, "en", ed, 5);
	n = i18n_lang_check(dir, "en", collect, &ls);
	ck_assert_msg(n == 5 && ls.n == 5, "%d problems:\n%s", n, ls.all);
	ck_assert(strstr(ls.all, "'name.en' has no value\n") != NULL);
	ck_assert(strstr(ls.all, "missing month.3\n") != NULL);
	ck_assert(strstr(ls.all, "missing day.6\n") != NULL);
	ck_assert(strstr(ls.all, "format.time must show the time zone") != NULL);
	ck_assert(strstr(ls.all, "plural.one: expected an operand") != NULL);
	free(ls.all);
	ck_assert_int_eq(i18n_code_valid("cs"), 1);
	ck_assert_int_eq(i18n_code_valid("pt-BR"), 1);
	ck_assert_int_eq(i18n_code_valid("sr_Latn"), 1);
	ck_assert_int_eq(i18n_code_valid("c"), 0);
	ck_assert_int_eq(i18n_code_valid("ces1"), 0);
	ck_assert_int_eq(i18n_code_valid("CS"), 0);
	ck_assert_int_eq(i18n_code_valid("cs/"), 0);
	ck_assert_int_eq(i18n_code_valid("cs-"), 0);
	ck_assert_int_eq(i18n_code_valid(".."), 0);
	ck_assert_int_eq(i18n_code_valid(""), 0);
	unit_rmdir(dir);
}
END_TEST

Suite *
i18n_suite(void)
{
	Suite *s = suite_create("i18n");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_plural_categories, 0,
	    (int)(sizeof(plural_cases) / sizeof(plural_cases[0])));
	tcase_add_test(tc, test_plural_forms);
	tcase_add_loop_test(tc, test_bad_files, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_loop_test(tc, test_rules, 0,
	    (int)(sizeof(rule_cases) / sizeof(rule_cases[0])));
	tcase_add_loop_test(tc, test_dates_any_locale, 0,
	    (int)(sizeof(locales) / sizeof(locales[0])));
	tcase_add_test(tc, test_dates_real_locale);
	tcase_add_test(tc, test_dates_refused);
	tcase_add_test(tc, test_shipped_complete);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_codes);
	tcase_add_test(tc, test_odd_files);
	tcase_add_test(tc, test_check_reports_all);
	suite_add_tcase(s, tc);
	return s;
}
