/*
 * test_archive_html - a post's text as HTML, against golden files, and
 * the one-line renderers (search snippets, names and subjects).
 *
 * Each tests/data/archive_html/NAME.txt is rendered twice: addresses
 * shown (NAME.html) and hidden (NAME.hide.html); the output must equal
 * the file byte for byte.  KITH_UPDATE_GOLDEN=1 rewrites the golden
 * files (then review them with git diff).  Beyond the bytes, every
 * output is checked for what must never be in it: a tag Kith did not
 * write, a link that is not http, https or mailto, a control character.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/archive_html.h"
#include "kith/util.h"
#include "unit.h"

#define DATA TEST_DATA_DIR "/archive_html"

static char *
summary(int lines, void *ctx)
{
	(void)ctx;
	return xasprintf("%d quoted lines", lines);
}

/* Every tag in html is one the renderer writes. */
static int
only_our_tags(const char *html)
{
	static const char *const ok[] = { "<div class=\"t\">", "</div>",
		"<div class=\"sig\">", "<details class=\"quote\">", "</details>",
		"<summary>", "</summary>", "<blockquote>",
		"<blockquote class=\"quote\">", "</blockquote>", "</a>",
		"<a href=\"http://", "<a href=\"https://", "<a href=\"mailto:",
		"<a href=\"HTTP", "<mark>", "</mark>", NULL };

	for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
		int found = 0;

		for (int i = 0; ok[i] && !found; i++)
			found = !strncmp(p, ok[i], strlen(ok[i]));
		if (!found)
			return 0;
	}
	for (const unsigned char *p = (const unsigned char *)html; *p; p++)
		if (*p < 0x20 && *p != '\n' && *p != '\t')
			return 0;
	return strstr(html, "\xe2\x80\xae") == NULL;	/* U+202E */
}

static void
check_one(const char *name, int hide)
{
	char *in = xasprintf("%s/%s.txt", DATA, name);
	char *want_path = xasprintf("%s/%s%s.html", DATA, name, hide ?
	    ".hide" : "");
	struct ahtml_opts o = { hide, summary, NULL };
	struct buf text, got, want;

	buf_init(&text);
	buf_init(&got);
	buf_init(&want);
	ck_assert_int_eq(buf_read_file(&text, in), 0);
	archive_html_text(&got, text.data ? text.data : "", &o);
	buf_addc(&got, '\n');
	ck_assert_msg(only_our_tags(got.data), "%s: a tag or character that "
	    "must not be there:\n%s", want_path, got.data);
	if (getenv("KITH_UPDATE_GOLDEN")) {
		FILE *f = fopen(want_path, "w");

		ck_assert_ptr_nonnull(f);
		fwrite(got.data, 1, got.len, f);
		fclose(f);
	}
	ck_assert_msg(buf_read_file(&want, want_path) == 0, "no %s",
	    want_path);
	ck_assert_msg(got.len == want.len && !memcmp(got.data, want.data,
	    got.len), "%s differs:\n--- got\n%s--- want\n%s", want_path,
	    got.data, want.data);
	buf_release(&text);
	buf_release(&got);
	buf_release(&want);
	free(in);
	free(want_path);
}

START_TEST(test_golden)
{
	DIR *d = opendir(DATA);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *name;

		if (len < 5 || strcmp(e->d_name + len - 4, ".txt"))
			continue;
		name = xstrndup(e->d_name, len - 4);
		check_one(name, 0);
		check_one(name, 1);
		free(name);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 9);
}
END_TEST

static const struct {
	const char *in;
	int hide;
	const char *want;
} marked_cases[] = {
	{ "the \x01picnic\x02 is on", 0, "the <mark>picnic</mark> is on" },
	{ "\x01open never closed", 0, "<mark>open never closed</mark>" },
	{ "closed\x02 never opened \x02\x02", 0, "closed never opened " },
	{ "\x01\x01twice\x02\x02", 0, "<mark>twice</mark>" },
	{ "<script>\x01x\x02</script>", 0,
	  "&lt;script&gt;<mark>x</mark>&lt;/script&gt;" },
	{ "lines\n\n  and\ttabs", 0, "lines and tabs" },
	{ "ask \x01" "alice\x02@example.org now", 1,
	  "ask <mark>alice</mark>@… now" },
	{ "ask alice@\x01" "example\x02.org now", 1, "ask alice@… now" },
	{ "ask alice@\x01" "example.org now", 1, "ask alice@…<mark> now</mark>" },
	{ "ask alice@example.org now", 0, "ask alice@example.org now" },
	{ "esc \x1b[2J bidi \xe2\x80\xae" "x", 0, "esc [2J bidi x" },
	{ "https://example.org/x", 0, "https://example.org/x" },
	{ "", 0, "" },
};

START_TEST(test_marked)
{
	struct buf b;

	buf_init(&b);
	archive_html_marked(&b, marked_cases[_i].in, marked_cases[_i].hide);
	ck_assert_msg(!strcmp(b.data ? b.data : "", marked_cases[_i].want),
	    "case %d: got '%s', want '%s'", _i, b.data ? b.data : "",
	    marked_cases[_i].want);
	buf_release(&b);
}
END_TEST

static const struct {
	const char *in;
	int hide;
	const char *want;
} plain_cases[] = {
	{ "Alice <alice@example.org>", 1, "Alice <alice@…>" },
	{ "Alice <alice@example.org>", 0, "Alice <alice@example.org>" },
	{ "  Re:\tmany\r\n lines  ", 0, "Re: many lines" },
	{ "<script>x & y</script>", 0, "<script>x & y</script>" },
	{ "\xe2\x80\xae" "gpj.exe", 0, "gpj.exe" },
	{ "\x1b]0;title\x07 x", 0, "]0;title x" },
	{ "김민지", 1, "김민지" },
	{ NULL, 0, "" },
};

START_TEST(test_plain)
{
	char *got = archive_html_plain(plain_cases[_i].in, plain_cases[_i].hide);

	ck_assert_msg(!strcmp(got, plain_cases[_i].want), "case %d: got '%s', "
	    "want '%s'", _i, got, plain_cases[_i].want);
	free(got);
}
END_TEST

Suite *
archive_html_suite(void)
{
	Suite *s = suite_create("archive_html");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_golden);
	tcase_add_loop_test(tc, test_marked, 0,
	    (int)(sizeof(marked_cases) / sizeof(marked_cases[0])));
	tcase_add_loop_test(tc, test_plain, 0,
	    (int)(sizeof(plain_cases) / sizeof(plain_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}
