/* test_html - HTML mail read as plain text. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kith/html.h"
#include "kith/message.h"
#include "kith/util.h"
#include "unit.h"

static const struct {
	const char *html, *want;
} cases[] = {
	/* inline elements do not split words */
	{ "<p>숙제<b>는</b> 내일</p>", "숙제는 내일" },
	{ "un<i>believ</i><span style=\"x\">able</span>", "unbelievable" },
	{ "<font color=red>Ahoj</font> <u>všichni</u>", "Ahoj všichni" },
	/* links keep their target, once */
	{ "<a href=\"https://example.org/hw\">여기</a>",
	  "여기 <https://example.org/hw>" },
	{ "see <a href='https://example.org/a?b=1&amp;c=2'>the map</a>.",
	  "see the map <https://example.org/a?b=1&c=2>." },
	{ "<a href=\"https://example.org/x\">https://example.org/x</a>",
	  "https://example.org/x" },
	{ "<a href=\"https://example.org/x/\">example.org/x</a>",
	  "example.org/x" },
	{ "<a href=\"mailto:hana@example.org\">hana@example.org</a>",
	  "hana@example.org" },
	{ "<a href=\"#top\">top</a> <a href=\"javascript:x()\">x</a>",
	  "top x" },
	{ "<a href=\"https://e.org/\n  long\">wrapped</a>",
	  "wrapped <https://e.org/long>" },
	{ "<a href=x>one</a><a href=y>two</a>", "one <x>two <y>" },
	{ "<a href=\"https://e.org/i\"><img src=\"cid:x\"></a>",
	  "<https://e.org/i>" },
	/* blocks, breaks and paragraphs */
	{ "<p>info</p><p>index</p><div>get 1</div>", "info\n\nindex\n\nget 1" },
	{ "<div>a</div><div>b</div>", "a\nb" },
	{ "<div>a</div><div><br></div><div>b</div>", "a\n\nb" },
	{ "a<br>b<br/><br />c", "a\nb\n\nc" },
	{ "<table><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr></table>",
	  "1 2\n3" },
	{ "<h1>Title</h1>text", "Title\n\ntext" },
	/* quotes */
	{ "<p>Yes.</p><blockquote><p>Who comes?</p></blockquote>",
	  "Yes.\n\n> Who comes?" },
	{ "<blockquote>a<blockquote>b</blockquote></blockquote>c",
	  "> a\n\n> > b\n\nc" },
	/* white space, pre */
	{ "  many \n\t spaces   here  ", "many spaces here" },
	{ "<pre>a  b\n  c</pre>", "a  b\n  c" },
	/* entities */
	{ "&lt;b&gt; &amp; &quot;q&quot; &#39;s&#x27; &euro;&nbsp;5",
	  "<b> & \"q\" 's' € 5" },
	{ "&#54620;&#xAE00; &#0; &#xD800; &bogus; & x", "한글 &bogus; & x" },
	/* what is not text */
	{ "<html><head><title>T</title><style>p{}</style></head>"
	  "<body><script>alert(1)</script>Hi<!-- c --> there</body></html>",
	  "Hi there" },
	{ "<!DOCTYPE html><?xml x?>ok", "ok" },
	{ "<script>never closed", "never closed" },
	{ "a < b and 3<4", "a < b and 3<4" },
	{ "<!-- unclosed comment", "" },
	{ "<a href=\"x", "" },
	{ "", "" },
};

START_TEST(test_html_table)
{
	struct buf b;
	const char *got;

	buf_init(&b);
	html_to_text(&b, cases[_i].html, strlen(cases[_i].html));
	got = b.data ? b.data : "";
	ck_assert_msg(!strcmp(got, cases[_i].want),
	    "case %d: got '%s', want '%s'", _i, got, cases[_i].want);
	buf_release(&b);
}
END_TEST

/* The same through message_parse(): an HTML-only post's text. */
START_TEST(test_html_message)
{
	const char *raw = "From: a@example.org\nSubject: x\nMIME-Version: 1.0\n"
	    "Content-Type: text/html; charset=utf-8\n\n"
	    "<p>숙제<b>는</b> <a href=\"https://example.org/hw\">여기</a></p>\n";
	struct message m;
	char err[128];

	ck_assert_int_eq(message_parse(&m, raw, strlen(raw), err, sizeof(err)),
	    0);
	ck_assert_msg(strstr(m.text, "숙제는 여기 <https://example.org/hw>"),
	    "got '%s'", m.text);
	message_release(&m);
}
END_TEST

/* Hostile shapes stay linear: unclosed tags and entities, empty lines. */
START_TEST(test_html_big)
{
	struct buf in, out;

	buf_init(&in);
	buf_init(&out);
	for (int i = 0; i < 100000; i++)
		buf_adds(&in, "<a href=\"&#x");
	for (int i = 0; i < 100000; i++)
		buf_adds(&in, "<script>&am<b");
	buf_adds(&in, "<pre>");
	for (int i = 0; i < 200000; i++)
		buf_adds(&in, "\n");
	html_to_text(&out, in.data, in.len);
	ck_assert_uint_le(out.len, in.len);
	buf_release(&in);
	buf_release(&out);
}
END_TEST

Suite *
html_suite(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_html_table, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_html_message);
	tcase_add_test(tc, test_html_big);
	suite_add_tcase(s, tc);
	return s;
}
