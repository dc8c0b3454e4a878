/* test_util - text for people: UTF-8, display width, cleaning, JSON,
 * sizes and plurals. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kith/rfc2047.h"
#include "kith/util.h"
#include "unit.h"

/* Columns on a terminal, as wcwidth(3) counts them in a UTF-8 locale. */
static const struct {
	const char *s;
	size_t want;
} widths[] = {
	{ "", 0 },
	{ "hana", 4 },
	{ "\xed\x95\x9c\xea\xb8\x80", 4 },		/* 한글: wide */
	{ "\xce\x95\xce\xbb\xce\xbb\xce\xac\xce\xb4\xce\xb1", 6 },	/* Ελλάδα */
	{ "Pa\xcc\x81lava", 6 },			/* a + combining acute */
	{ "P\xc3\xa1lava", 6 },				/* precomposed á */
	{ "\xef\xbc\xa1", 2 },				/* fullwidth A */
	{ "\xf0\x9f\x8e\x89", 2 },			/* 🎉 emoji */
	{ "\xe6\x9d\xb1\xe4\xba\xac", 4 },		/* 東京 */
	{ "a\xe2\x80\x8b" "b", 2 },			/* zero width space */
	{ "\xe1\x84\x80\xe1\x85\xa1", 2 },		/* conjoining jamo: wide + 0 */
	{ "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", 4 },	/* שלום: RTL, 1 each */
	{ "\xff" "ab", 3 },				/* a bad byte counts 1 */
};

START_TEST(test_width)
{
	size_t got = str_width(widths[_i].s);

	ck_assert_msg(got == widths[_i].want, "str_width(\"%s\"): got %zu, want "
	    "%zu", widths[_i].s, got, widths[_i].want);
}
END_TEST

/* What a terminal would act on becomes U+FFFD; the rest is kept. */
#define R "\xef\xbf\xbd"
static const struct {
	const char *in;
	int flags;
	const char *want;
} cleans[] = {
	{ "plain text", CLEAN_LINE, "plain text" },
	{ "\x1b[2J", CLEAN_LINE, R "[2J" },			/* ESC */
	{ "a\x07" "b\x7f" "c", CLEAN_LINE, "a" R "b" R "c" },	/* BEL, DEL */
	{ "\xc2\x9b" "31m", CLEAN_LINE, R "31m" },		/* C1 CSI */
	{ "\x9b" "31m", CLEAN_LINE, R "31m" },			/* 8-bit CSI */
	{ "evil\xe2\x80\xae" "gnp.exe", CLEAN_LINE, "evil" R "gnp.exe" },
	{ "\xe2\x81\xa6x\xe2\x81\xa9", CLEAN_LINE, R "x" R },	/* isolates */
	{ "\xe2\x80\x8f", CLEAN_LINE, "\xe2\x80\x8f" },		/* RLM is shown */
	{ "two\nlines", CLEAN_LINE, "two" R "lines" },
	{ "two\nlines", CLEAN_TEXT, "two\nlines" },
	{ "tab\there", CLEAN_LINE, "tab here" },
	{ "tab\there", CLEAN_TEXT, "tab\there" },
	{ "crlf\r\n", CLEAN_TEXT, "crlf\r\n" },
	{ "over\rwrite", CLEAN_TEXT, "over" R "write" },	/* lone CR */
	{ "over\rwrite", CLEAN_LINE, "over" R "write" },
	{ "\xed\x95\x9c\xea\xb8\x80 \xf0\x9f\x8e\x89", CLEAN_LINE,
	  "\xed\x95\x9c\xea\xb8\x80 \xf0\x9f\x8e\x89" },
	{ "\xc0\xaf", CLEAN_LINE, R R },			/* overlong '/' */
	{ "\xed\xa0\x80", CLEAN_LINE, R R R },			/* surrogate */
	{ "cut\xe2\x82", CLEAN_LINE, "cut" R R },		/* cut short */
	{ "\xf4\x90\x80\x80", CLEAN_LINE, R R R R },		/* > U+10FFFF */
};

START_TEST(test_clean)
{
	char *got = str_clean(cleans[_i].in, cleans[_i].flags);

	ck_assert_msg(strcmp(got, cleans[_i].want) == 0, "clean case %d: got "
	    "'%s', want '%s'", _i, got, cleans[_i].want);
	free(got);
}
END_TEST

static const struct {
	const char *in, *want;
} jsons[] = {
	{ "plain", "\"plain\"" },
	{ "q\"b\\", "\"q\\\"b\\\\\"" },
	{ "\x1b[2J\n\t\r", "\"\\u001b[2J\\n\\t\\r\"" },
	{ "\x7f\xc2\x85", "\"\\u007f\\u0085\"" },
	{ "\xe2\x80\xae" "x", "\"\\u202ex\"" },
	{ "\xe2\x80\xa8", "\"\\u2028\"" },
	{ "\xff" "a", "\"\\ufffda\"" },
	{ "\xed\x95\x9c", "\"\xed\x95\x9c\"" },
};

START_TEST(test_json)
{
	struct buf b;

	buf_init(&b);
	buf_add_json(&b, jsons[_i].in);
	ck_assert_msg(strcmp(b.data, jsons[_i].want) == 0, "json case %d: got "
	    "%s, want %s", _i, b.data, jsons[_i].want);
	buf_release(&b);
}
END_TEST

static const struct {
	int64_t bytes;
	const char *want;
} sizes[] = {
	{ 0, "0 bytes" }, { 1, "1 byte" }, { 1023, "1023 bytes" },
	{ 1024, "1 KB" }, { 1536, "1.5 KB" }, { 10 * 1024, "10 KB" },
	{ 1048575, "1 MB" }, { 10485760, "10 MB" }, { 1572864, "1.5 MB" },
	{ 3LL << 30, "3 GB" },
};

START_TEST(test_size)
{
	char got[32];

	size_human(sizes[_i].bytes, got, sizeof(got));
	ck_assert_msg(strcmp(got, sizes[_i].want) == 0, "size_human(%lld): "
	    "got '%s', want '%s'", (long long)sizes[_i].bytes, got,
	    sizes[_i].want);
}
END_TEST

START_TEST(test_plural)
{
	ck_assert_str_eq(plural(1, "member", "members"), "member");
	ck_assert_str_eq(plural(0, "member", "members"), "members");
	ck_assert_str_eq(plural(2, "member", "members"), "members");
}
END_TEST

/* char_fold: lower case for command words, one code point each. */
static const struct {
	uint32_t c, want;
} folds[] = {
	{ 'A', 'a' }, { 'z', 'z' }, { '1', '1' },
	{ 0xc9, 0xe9 },		/* É */
	{ 0xd7, 0xd7 },		/* × is no letter */
	{ 0x10c, 0x10d },	/* Č */
	{ 0x141, 0x142 },	/* Ł */
	{ 0x386, 0x3ac },	/* Ά */
	{ 0x38c, 0x3cc },	/* Ό */
	{ 0x38f, 0x3ce },	/* Ώ */
	{ 0x391, 0x3b1 },	/* Α */
	{ 0x3aa, 0x3ca },	/* Ϊ */
	{ 0x3c2, 0x3c3 },	/* final sigma */
	{ 0x401, 0x451 },	/* Ё */
	{ 0x41d, 0x43d },	/* Н */
	{ 0x462, 0x463 },	/* Ѣ */
	{ 0x2019, '\'' },	/* typographic apostrophe */
	{ 0xd55c, 0xd55c },	/* 한 has no case */
};

START_TEST(test_fold)
{
	uint32_t got = char_fold(folds[_i].c);

	ck_assert_msg(got == folds[_i].want, "char_fold(U+%04X): got U+%04X, "
	    "want U+%04X", folds[_i].c, got, folds[_i].want);
}
END_TEST

/* xgrow: room for element n, the capacity doubled from 8. */
START_TEST(test_grow)
{
	static const size_t want[] = { 8, 8, 16, 16, 32, 32, 64 };
	static const size_t at[] = { 0, 7, 8, 15, 16, 31, 32 };
	int *a = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		a = xgrow(a, at[i], &cap, sizeof(*a));
		ck_assert_msg(cap == want[i], "xgrow(n=%zu): cap %zu, want %zu",
		    at[i], cap, want[i]);
		a[at[i]] = (int)i;	/* the slot is there (ASan checks) */
	}
	free(a);
}
END_TEST

START_TEST(test_fput_clean)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	fput_clean(f, "\xed\x95\x9c\xea\xb8\x80", CLEAN_LINE, 6);
	fputc('|', f);
	fput_clean(f, "ab", CLEAN_LINE, -4);
	fputc('|', f);
	fput_clean(f, "toolong", CLEAN_LINE, 3);
	fclose(f);
	ck_assert_str_eq(mem, "\xed\x95\x9c\xea\xb8\x80  |  ab|toolong");
	free(mem);
}
END_TEST

START_TEST(test_partial)
{
	ck_assert_uint_eq(utf8_partial("ab", 2), 0);
	ck_assert_uint_eq(utf8_partial("a\xed", 2), 1);
	ck_assert_uint_eq(utf8_partial("a\xed\x95", 3), 2);
	ck_assert_uint_eq(utf8_partial("a\xed\x95\x9c", 4), 0);
	ck_assert_uint_eq(utf8_partial("\xf0\x9f\x8e", 3), 3);
	ck_assert_uint_eq(utf8_partial("\x80\x80", 2), 0);
}
END_TEST

/* utf8_sanitize: valid runs kept whole, each bad byte one U+FFFD. */
#define FFFD "\xef\xbf\xbd"
static const struct {
	const char *in;
	size_t len;
	const char *out;
} sanitizes[] = {
	{ "", 0, "" },
	{ "plain ascii\r\n", 13, "plain ascii\r\n" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\x89", 15,
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\x89" },
	{ "\x80", 1, FFFD },
	{ "a\xff" "b", 3, "a" FFFD "b" },
	{ "\xc0\xafx", 3, FFFD FFFD "x" },		/* overlong */
	{ "x\xe2\x82", 3, "x" FFFD FFFD },		/* cut at the end */
	{ "\xe2\x82y\xe2\x82\xac", 6, FFFD FFFD "y\xe2\x82\xac" },
	{ "\xf5\x80\x80\x80", 4, FFFD FFFD FFFD FFFD },
	{ "\xc3", 1, FFFD },
	{ "a\xc3\xa9\xa9" "b", 5, "a\xc3\xa9" FFFD "b" },
};

START_TEST(test_sanitize)
{
	char *got = utf8_sanitize(sanitizes[_i].in, sanitizes[_i].len);

	ck_assert_str_eq(got, sanitizes[_i].out);
	free(got);
}
END_TEST

/* utf8_text_mend: what utf8_text_ok refuses, made into what it takes. */
static const struct {
	const char *in;
	size_t max;
	int multi;
	const char *out;
} mends[] = {
	{ "", 10, 0, "" },
	{ "Caf\xc3\xa9 team", 20, 0, "Caf\xc3\xa9 team" },
	{ "Caf\xe9\x07team", 20, 0, "Caf" FFFD " team" },
	{ "a\r\nb\tc\x7f", 20, 0, "a  b c " },
	{ "a\r\nb\tc\x7f", 20, 1, "a\r\nb\tc " },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9", 3, 0, "\xc3\xa9" },	/* cut on a start */
	{ "abcdef", 4, 0, "abcd" },
	{ "\xff", 2, 0, "" },		/* U+FFFD is 3 bytes: nothing fits */
};

START_TEST(test_text_mend)
{
	char *got = utf8_text_mend(mends[_i].in, mends[_i].max, mends[_i].multi);

	ck_assert_str_eq(got, mends[_i].out);
	/* what it makes passes the check; the check takes only what it
	 * would leave as it is */
	ck_assert(utf8_text_ok(got, mends[_i].max, mends[_i].multi));
	ck_assert_int_eq(utf8_text_ok(mends[_i].in, mends[_i].max,
	    mends[_i].multi), !strcmp(got, mends[_i].in));
	free(got);
}
END_TEST

/* web_url_ok: what may stand in List-Archive <...> and an href as it is. */
static const struct {
	const char *url;
	int https_only, ok;
} urls[] = {
	{ "https://lists.example.org/team/", 0, 1 },
	{ "http://lists.example.org/team/", 0, 1 },
	{ "http://lists.example.org/team/", 1, 0 },
	{ "https://lists.example.org/kith/?a=1&b=%20", 1, 1 },
	{ "javascript:alert(1)", 0, 0 },
	{ "https://", 0, 0 },
	{ "https:///path", 0, 0 },
	{ "https://x.example/a b", 0, 0 },
	{ "https://x.example/\"onmouseover=x", 0, 0 },
	{ "https://x.example/<script>", 0, 0 },
	{ "https://x.example/\x01", 0, 0 },
	{ "https://x.example/caf\xc3\xa9", 0, 0 },
	{ "ftp://x.example/", 0, 0 },
	{ "", 0, 0 },
};

START_TEST(test_web_url)
{
	ck_assert_msg(web_url_ok(urls[_i].url, urls[_i].https_only) ==
	    urls[_i].ok, "'%s' (https only %d): want %d", urls[_i].url,
	    urls[_i].https_only, urls[_i].ok);
}
END_TEST

/* A long body with bad bytes spread through it: the same as byte by byte. */
START_TEST(test_sanitize_long)
{
	size_t n = 70000;
	char *in = malloc(n), *got;
	struct buf want;

	buf_init(&want);
	for (size_t i = 0; i < n; i++) {
		in[i] = i % 977 == 5 ? '\xfe' : (char)('a' + i % 26);
		if (in[i] == '\xfe')
			buf_adds(&want, FFFD);
		else
			buf_addc(&want, in[i]);
	}
	got = utf8_sanitize(in, n);
	ck_assert_uint_eq(strlen(got), want.len);
	ck_assert(memcmp(got, want.data, want.len) == 0);
	free(got);
	free(in);
	buf_release(&want);
}
END_TEST

Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("text");

	tcase_add_loop_test(tc, test_width, 0, sizeof(widths) /
	    sizeof(widths[0]));
	tcase_add_loop_test(tc, test_clean, 0, sizeof(cleans) /
	    sizeof(cleans[0]));
	tcase_add_loop_test(tc, test_json, 0, sizeof(jsons) / sizeof(jsons[0]));
	tcase_add_loop_test(tc, test_size, 0, sizeof(sizes) / sizeof(sizes[0]));
	tcase_add_test(tc, test_plural);
	tcase_add_loop_test(tc, test_fold, 0, sizeof(folds) / sizeof(folds[0]));
	tcase_add_test(tc, test_grow);
	tcase_add_test(tc, test_fput_clean);
	tcase_add_test(tc, test_partial);
	tcase_add_loop_test(tc, test_sanitize, 0, sizeof(sanitizes) /
	    sizeof(sanitizes[0]));
	tcase_add_test(tc, test_sanitize_long);
	tcase_add_loop_test(tc, test_web_url, 0, sizeof(urls) / sizeof(urls[0]));
	tcase_add_loop_test(tc, test_text_mend, 0, sizeof(mends) /
	    sizeof(mends[0]));
	suite_add_tcase(s, tc);
	return s;
}
