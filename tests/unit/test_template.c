/*
 * test_template - the expander: one case per construct, every error with
 * its file and line, HTML escaping, the subject line, the limits, plural
 * forms and dates through the shipped LANGUAGE files, the search order
 * of languages and overrides, and kith check's findings.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kith/db.h"
#include "kith/lists.h"
#include "kith/notice.h"
#include "kith/template.h"
#include "kith/util.h"
#include "unit.h"

#define WHEN 1797357600LL	/* Tue 2026-12-15 18:00 UTC */

/* The values every case sees. */
static struct tvars *
values(void)
{
	struct tvars *tv = tv_new();
	struct tvlist *l;
	static const char *const subjects[] = { "a", "b", "c" };

	tv_str(tv, "member.name", "Hana");
	tv_str(tv, "name", "outer");
	tv_str(tv, "evil", "<script>alert(\"x\") & 'y'</script>");
	tv_str(tv, "brace", "{{member.name}} {{#if x}}");
	tv_str(tv, "crlf", "Line1\r\nBcc: x@example.org\ttab");
	tv_str(tv, "empty", "");
	tv_str(tv, "wide", "한국");
	tv_str(tv, "numstr", "21");
	tv_int(tv, "zero", 0);
	tv_int(tv, "one", 1);
	tv_int(tv, "two", 2);
	tv_int(tv, "five", 5);
	tv_int(tv, "n21", 21);
	tv_int(tv, "n22", 22);
	tv_int(tv, "n25", 25);
	tv_int(tv, "n111", 111);
	tv_int(tv, "many", 1001);
	tv_int(tv, "when", WHEN);
	tv_time(tv, "seoul", WHEN, "Asia/Seoul");
	tv_time(tv, "nozone", WHEN, "");
	tv_bool(tv, "yes", 1);
	tv_bool(tv, "no", 0);
	tv_html(tv, "frag", "<b>bold</b> &amp;");
	l = tv_list(tv, "posts");
	for (int i = 0; i < 3; i++) {
		struct tvars *it = tv_item(l);

		tv_str(it, "subject", subjects[i]);
		tv_int(it, "votes", i * 5);
		if (i == 1)
			tv_str(it, "name", "inner");
	}
	tv_list(tv, "none");
	return tv;
}

static const struct {
	const char *what;
	const char *where;	/* file name: .html escapes; NULL none */
	const char *lang, *tz;
	const char *text;
	const char *body;	/* wanted, or NULL for an error */
	const char *subject;	/* wanted subject, or NULL for none */
	const char *err;	/* part of the error wanted */
} cases[] = {
	/* names */
	{ "variable", "t.txt", NULL, NULL, "Hi {{member.name}}!",
	    "Hi Hana!", NULL, NULL },
	{ "spaces inside", "t.txt", NULL, NULL, "Hi {{ member.name }}!",
	    "Hi Hana!", NULL, NULL },
	{ "integer", "t.txt", NULL, NULL, "{{five}} {{zero}}", "5 0", NULL,
	    NULL },
	{ "comment", "t.txt", NULL, NULL, "a{{! for translators }}b", "ab",
	    NULL, NULL },
	{ "a value's {{ is not expanded", "t.txt", NULL, NULL, "[{{brace}}]",
	    "[{{member.name}} {{#if x}}]", NULL, NULL },
	/* if, unless, else and what is true */
	{ "if true", "t.txt", NULL, NULL, "{{#if yes}}Y{{/if}}", "Y", NULL,
	    NULL },
	{ "if false else", "t.txt", NULL, NULL,
	    "{{#if no}}Y{{else}}N{{/if}}", "N", NULL, NULL },
	{ "if non-empty string", "t.txt", NULL, NULL,
	    "{{#if member.name}}Y{{/if}}{{#if empty}}E{{/if}}", "Y", NULL,
	    NULL },
	{ "if integer", "t.txt", NULL, NULL,
	    "{{#if zero}}0{{/if}}{{#if five}}5{{/if}}", "5", NULL, NULL },
	{ "if list", "t.txt", NULL, NULL,
	    "{{#if posts}}P{{/if}}{{#if none}}N{{/if}}", "P", NULL, NULL },
	{ "unless", "t.txt", NULL, NULL,
	    "{{#unless no}}U{{else}}X{{/unless}}", "U", NULL, NULL },
	/* each */
	{ "each with fields", "t.txt", NULL, NULL,
	    "{{#each posts}}[{{subject}}:{{votes}}]{{/each}}",
	    "[a:0][b:5][c:10]", NULL, NULL },
	{ "each: inner first, then outer", "t.txt", NULL, NULL,
	    "{{#each posts}}{{name}}/{{member.name}} {{/each}}",
	    "outer/Hana inner/Hana outer/Hana ", NULL, NULL },
	{ "each: @index", "t.txt", NULL, NULL,
	    "{{#each posts}}{{@index}}.{{subject}} {{/each}}",
	    "1.a 2.b 3.c ", NULL, NULL },
	{ "each: @first for separators", "t.txt", NULL, NULL,
	    "{{#each posts}}{{#unless @first}}, {{/unless}}{{subject}}"
	    "{{/each}}", "a, b, c", NULL, NULL },
	{ "each: @last", "t.txt", NULL, NULL,
	    "{{#each posts}}{{subject}}{{#if @last}}.{{else}}, {{/if}}"
	    "{{/each}}", "a, b, c.", NULL, NULL },
	{ "each: else for an empty list", "t.txt", NULL, NULL,
	    "{{#each none}}x{{else}}nothing{{/each}}", "nothing", NULL,
	    NULL },
	{ "each in each", "t.txt", NULL, NULL,
	    "{{#each posts}}{{#each posts}}{{@index}}{{/each}};{{/each}}",
	    "123;123;123;", NULL, NULL },
	{ "block tags alone on a line leave no line", "t.txt", NULL, NULL,
	    "Posts:\n{{#each posts}}\n  - {{subject}}\n{{/each}}\n"
	    "{{#if none}}\nnever\n{{/if}}\nEnd\n",
	    "Posts:\n  - a\n  - b\n  - c\nEnd\n", NULL, NULL },
	{ "an indented block tag line, CRLF", "t.txt", NULL, NULL,
	    "A\r\n  {{#if yes}}  \r\nB\r\n  {{/if}}\r\nC", "A\r\nB\r\nC",
	    NULL, NULL },
	{ "a block tag on the first and last line", "t.txt", NULL, NULL,
	    "{{#each posts}}\n{{subject}}\n{{/each}}", "a\nb\nc\n", NULL,
	    NULL },
	{ "a comment line leaves no line", "t.txt", NULL, NULL,
	    "a\n  {{! translators: keep it short }}\nb\n", "a\nb\n", NULL,
	    NULL },
	{ "inline block tags keep the line", "t.txt", NULL, NULL,
	    "a {{#if yes}}b{{/if}}\nc", "a b\nc", NULL, NULL },
	/* plural, through the shipped LANGUAGE files */
	{ "plural en one", "t.txt", "en", NULL,
	    "{{one}} {{plural one \"member\" \"members\"}}", "1 member", NULL,
	    NULL },
	{ "plural en other", "t.txt", "en", NULL,
	    "{{zero}} {{plural zero \"member\" \"members\"}}", "0 members",
	    NULL, NULL },
	{ "plural cs 1", "t.txt", "cs", NULL,
	    "{{one}} {{plural one \"člen\" \"členové\" \"členů\"}}",
	    "1 člen", NULL, NULL },
	{ "plural cs 2", "t.txt", "cs", NULL,
	    "{{two}} {{plural two \"člen\" \"členové\" \"členů\"}}",
	    "2 členové", NULL, NULL },
	{ "plural cs 5", "t.txt", "cs", NULL,
	    "{{five}} {{plural five \"člen\" \"členové\" \"členů\"}}",
	    "5 členů", NULL, NULL },
	{ "plural cs 21, 22, 25, 111: other (few is 2-4 only)", "t.txt",
	    "cs", NULL, "{{plural n21 \"a\" \"b\" \"c\"}}"
	    "{{plural n22 \"a\" \"b\" \"c\"}}"
	    "{{plural n25 \"a\" \"b\" \"c\"}}"
	    "{{plural n111 \"a\" \"b\" \"c\"}}", "cccc", NULL, NULL },
	{ "plural uk 21 one, 22 few, 25 and 111 many", "t.txt", "uk", NULL,
	    "{{plural n21 \"a\" \"b\" \"c\"}}"
	    "{{plural n22 \"a\" \"b\" \"c\"}}"
	    "{{plural n25 \"a\" \"b\" \"c\"}}"
	    "{{plural n111 \"a\" \"b\" \"c\"}}", "abcc", NULL, NULL },
	{ "plural pl 22 few, 25 many", "t.txt", "pl", NULL,
	    "{{plural n22 \"członek\" \"członkowie\" \"członków\"}} "
	    "{{plural n25 \"członek\" \"członkowie\" \"członków\"}}",
	    "członkowie członków", NULL, NULL },
	{ "plural ko: one form", "t.txt", "ko", NULL,
	    "회원 {{five}}{{plural five \"명\"}}", "회원 5명", NULL, NULL },
	{ "plural from a string holding a number", "t.txt", "uk", NULL,
	    "{{plural numstr \"a\" \"b\" \"c\"}}", "a", NULL, NULL },
	{ "plural form with a quote", "t.txt", "en", NULL,
	    "{{plural two \"\\\"one\\\"\" \"\\\"two\\\"\"}}", "\"two\"", NULL,
	    NULL },
	{ "plural: ko takes one form", "k.txt", "ko", NULL,
	    "{{plural five \"a\" \"b\"}}", NULL, NULL,
	    "k.txt:1: '{{plural five \"a\" \"b\"}}': 'ko' has 1 plural "
	    "forms, not 2" },
	{ "plural: cs takes three", "c.txt", "cs", NULL,
	    "\n{{plural five \"člen\" \"členů\"}}", NULL, NULL,
	    "c.txt:2: '{{plural five \"člen\" \"členů\"}}': 'cs' has 3" },
	{ "plural of a word", "t.txt", "en", NULL,
	    "{{plural member.name \"a\" \"b\"}}", NULL, NULL,
	    "'member.name' in '{{plural member.name \"a\" \"b\"}}' is not a "
	    "number" },
	{ "plural without forms", "t.txt", "en", NULL, "{{plural five}}",
	    NULL, NULL, "t.txt:1: '{{plural five}}' has no forms" },
	/* dates in two languages and zones */
	{ "date en Prague", "t.txt", "en", "Europe/Prague",
	    "{{date when \"datetime\"}}", "Tue 15 Dec 2026, 19:00 CET", NULL,
	    NULL },
	{ "date cs Seoul", "t.txt", "cs", "Asia/Seoul",
	    "{{date when \"datetime\"}}", "st 16. prosince 2026, 3:00 KST",
	    NULL, NULL },
	{ "date ko Seoul", "t.txt", "ko", "Asia/Seoul",
	    "{{date when \"date\"}}", "2026년 12월 16일 (수)", NULL, NULL },
	{ "date UTC by default", "t.txt", "en", NULL,
	    "{{date when \"time\"}}", "18:00 UTC", NULL, NULL },
	{ "date: a time with its own zone keeps it", "t.txt", "en",
	    "Europe/Prague", "{{date seoul \"datetime\"}} / "
	    "{{date when \"time\"}} / {{date nozone \"time\"}}",
	    "Wed 16 Dec 2026, 03:00 KST / 19:00 CET / 19:00 CET", NULL, NULL },
	{ "date: a zoned time prints as a number", "t.txt", NULL, NULL,
	    "{{seoul}}", "1797357600", NULL, NULL },
	{ "date: unknown style", "t.txt", "en", NULL,
	    "{{date when \"long\"}}", NULL, NULL,
	    "no date style 'long'" },
	{ "date: unknown zone", "t.txt", "en", "Mars/Olympus",
	    "{{date when \"date\"}}", NULL, NULL,
	    "unknown time zone 'Mars/Olympus'" },
	/* widths */
	{ "pad by display width", "t.txt", NULL, NULL,
	    "[{{pad member.name 6}}][{{pad wide 6}}]", "[Hana  ][한국  ]",
	    NULL, NULL },
	{ "padleft a number", "t.txt", NULL, NULL, "[{{padleft five 4}}]",
	    "[   5]", NULL, NULL },
	{ "pad never cuts", "t.txt", NULL, NULL, "[{{pad member.name 2}}]",
	    "[Hana]", NULL, NULL },
	{ "repeat", "t.txt", NULL, NULL, "[{{repeat five \"#\"}}]",
	    "[#####]", NULL, NULL },
	{ "a poll result line", "t.txt", "en", NULL,
	    "{{#each posts}}{{padleft @index 3}}. {{pad subject 4}}"
	    "{{padleft votes 3}} {{plural votes \"vote \" \"votes\"}} "
	    "{{repeat votes \"#\"}}\n{{/each}}",
	    "  1. a     0 votes \n  2. b     5 votes #####\n"
	    "  3. c    10 votes ##########\n", NULL, NULL },
	{ "pad: bad width", "t.txt", NULL, NULL, "{{pad five 0}}", NULL,
	    NULL, "the width is a number from 1 to 200" },
	{ "repeat: too many", "t.txt", NULL, NULL, "{{repeat many \"#\"}}",
	    NULL, NULL, "1001 is more than 1000" },
	/* escaping by output */
	{ "html escapes text", "t.html", NULL, NULL, "<p>{{evil}}</p>",
	    "<p>&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;"
	    "&lt;/script&gt;</p>", NULL, NULL },
	{ "html escapes attributes", "t.html", NULL, NULL,
	    "<a title=\"{{evil}}\">", "<a title=\"&lt;script&gt;alert("
	    "&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;\">", NULL,
	    NULL },
	{ "html inside each and pad", "t.html", NULL, NULL,
	    "{{#each posts}}{{#if @first}}{{pad evil 1}}{{/if}}{{/each}}",
	    "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;"
	    "&lt;/script&gt;", NULL, NULL },
	{ "html: tv_html is inserted as it is", "t.html", NULL, NULL,
	    "<p>{{frag}}</p>", "<p><b>bold</b> &amp;</p>", NULL, NULL },
	{ "text inserts as is", "t.txt", NULL, NULL, "{{evil}}",
	    "<script>alert(\"x\") & 'y'</script>", NULL, NULL },
	{ "text: HTML values refused", "t.txt", NULL, NULL, "{{frag}}",
	    NULL, NULL, "t.txt:1: 'frag' is HTML, for .html templates only" },
	{ "triple braces refused", "t.html", NULL, NULL, "{{{evil}}}", NULL,
	    NULL, "t.html:1: '{{{' is not offered" },
	/* the subject line */
	{ "subject apart", "t.txt", NULL, NULL,
	    "Subject: Hello {{member.name}}\n\nBody {{member.name}}\n",
	    "Body Hana\n", "Hello Hana", NULL },
	{ "subject: CR, LF, tab from a value", "t.txt", NULL, NULL,
	    "Subject: Re: {{crlf}}\nBody", "Body",
	    "Re: Line1 Bcc: x@example.org tab", NULL },
	{ "subject with a plural", "t.txt", "cs", NULL,
	    "Subject: {{five}} {{plural five \"člen\" \"členové\" "
	    "\"členů\"}}\n\nx", "x", "5 členů", NULL },
	{ "subject: blocks close on its line", "t.txt", NULL, NULL,
	    "Subject: {{#if yes}}a\nb{{/if}}", NULL, NULL,
	    "t.txt:1: '{{#if yes}}' is never closed" },
	{ "subject: lines counted after it", "t.txt", NULL, NULL,
	    "Subject: x\n\n\nbody {{nope}}", NULL, NULL,
	    "t.txt:4: unknown variable '{{nope}}'" },
	/* errors, with file and line */
	{ "unknown variable", "w.txt", NULL, NULL, "a\nb\nc {{nope}}", NULL,
	    NULL, "w.txt:3: unknown variable '{{nope}}'" },
	{ "unknown variable in if", "w.txt", NULL, NULL,
	    "{{#if nope}}x{{/if}}", NULL, NULL,
	    "w.txt:1: unknown variable 'nope' in '{{#if nope}}'" },
	{ "unknown construct", "w.txt", NULL, NULL, "{{foo bar}}", NULL,
	    NULL, "w.txt:1: unknown construct '{{foo bar}}'" },
	{ "unknown block", "w.txt", NULL, NULL, "{{#with x}}{{/with}}", NULL,
	    NULL, "w.txt:1: unknown construct '{{#with x}}'" },
	{ "bad name", "w.txt", NULL, NULL, "{{a/b}}", NULL, NULL,
	    "unknown construct '{{a/b}}'" },
	{ "empty tag", "w.txt", NULL, NULL, "x{{ }}", NULL, NULL,
	    "w.txt:1: empty '{{}}'" },
	{ "never closed", "w.txt", NULL, NULL, "\n{{#each posts}}x", NULL,
	    NULL, "w.txt:2: '{{#each posts}}' is never closed with "
	    "'{{/each}}'" },
	{ "closed by the wrong end", "w.txt", NULL, NULL,
	    "{{#if yes}}\nx{{/each}}", NULL, NULL,
	    "w.txt:2: '{{/each}}' closes '{{#if yes}}' of line 1" },
	{ "an end without a start", "w.txt", NULL, NULL, "x\n{{/if}}", NULL,
	    NULL, "w.txt:2: '{{/if}}' outside any block" },
	{ "else outside", "w.txt", NULL, NULL, "{{else}}", NULL, NULL,
	    "'{{else}}' outside any block" },
	{ "two else", "w.txt", NULL, NULL,
	    "{{#if yes}}a{{else}}b{{else}}c{{/if}}", NULL, NULL,
	    "a second '{{else}}'" },
	{ "braces never closed", "w.txt", NULL, NULL, "a {{member.name\n}}",
	    NULL, NULL, "w.txt:1: '{{' without '}}' on its line" },
	{ "string never closed", "w.txt", NULL, NULL,
	    "{{plural five \"a}}", NULL, NULL, "'{{' without '}}'" },
	{ "if takes one name", "w.txt", NULL, NULL, "{{#if}}x{{/if}}", NULL,
	    NULL, "'{{#if}}' takes one name" },
	{ "yes/no printed", "w.txt", NULL, NULL, "{{yes}}", NULL, NULL,
	    "'yes' is yes or no: use it in '{{#if yes}}'" },
	{ "list printed", "w.txt", NULL, NULL, "{{posts}}", NULL, NULL,
	    "'posts' is a list: use '{{#each posts}}'" },
	{ "each over a string", "w.txt", NULL, NULL,
	    "{{#each member.name}}x{{/each}}", NULL, NULL,
	    "'member.name' in '{{#each member.name}}' is not a list" },
	{ "@index outside each", "w.txt", NULL, NULL, "{{@index}}", NULL,
	    NULL, "'@index' outside '{{#each}}'" },
	{ "unknown @name", "w.txt", NULL, NULL,
	    "{{#each posts}}{{@key}}{{/each}}", NULL, NULL,
	    "unknown construct '{{@key}}'" },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

START_TEST(test_constructs)
{
	struct template_opts o = { NULL, cases[_i].lang, cases[_i].tz };
	struct tvars *tv = values();
	struct template_out out;
	char err[512] = "";
	int rc = template_string(cases[_i].text, cases[_i].where, &o, tv,
	    &out, err, sizeof(err));

	if (cases[_i].body) {
		ck_assert_msg(rc == 0, "%s: %s", cases[_i].what, err);
		ck_assert_msg(!strcmp(out.body, cases[_i].body),
		    "%s: got '%s', want '%s'", cases[_i].what, out.body,
		    cases[_i].body);
		if (cases[_i].subject)
			ck_assert_msg(out.subject && !strcmp(out.subject,
			    cases[_i].subject), "%s: subject '%s', want '%s'",
			    cases[_i].what, out.subject ? out.subject : "(none)",
			    cases[_i].subject);
		else
			ck_assert_msg(out.subject == NULL, "%s: a subject",
			    cases[_i].what);
		template_out_release(&out);
	} else {
		ck_assert_msg(rc < 0, "%s: no error, got '%s'", cases[_i].what,
		    rc == 0 ? out.body : "");
		ck_assert_msg(strstr(err, cases[_i].err) != NULL,
		    "%s: error '%s', want '%s'", cases[_i].what, err,
		    cases[_i].err);
	}
	tv_free(tv);
}
END_TEST

/* n blocks inside each other around one name. */
static char *
nested(int n)
{
	struct buf b;

	buf_init(&b);
	for (int i = 0; i < n; i++)
		buf_adds(&b, "{{#if yes}}");
	buf_adds(&b, "{{member.name}}");
	for (int i = 0; i < n; i++)
		buf_adds(&b, "{{/if}}");
	return buf_detach(&b, NULL);
}

START_TEST(test_limits)
{
	struct template_opts o = { NULL, "en", NULL };
	struct tvars *tv = values(), *item;
	struct tvlist *rows = tv_list(tv, "rows");
	struct template_out out;
	char err[512], *text, *blob = xmalloc((1 << 20) + 1);
	int rc;

	/* sixteen blocks deep is fine, seventeen is refused */
	text = nested(16);
	rc = template_string(text, "d.txt", &o, tv, &out, err, sizeof(err));
	ck_assert_msg(rc == 0 && !strcmp(out.body, "Hana"), "16 deep: %s",
	    err);
	template_out_release(&out);
	free(text);
	text = nested(17);
	rc = template_string(text, "d.txt", &o, tv, &out, err, sizeof(err));
	ck_assert_msg(rc < 0 && strstr(err, "d.txt:1: blocks nested more "
	    "than 16 deep"), "17 deep: %s", err);
	free(text);

	/* 1001 x 1001 loop turns stop at the step limit */
	for (int i = 0; i < 1001; i++)
		tv_int(tv_item(rows), "k", i);
	rc = template_string("{{#each rows}}{{#each rows}}{{k}}{{/each}}"
	    "{{/each}}", "l.txt", &o, tv, &out, err, sizeof(err));
	ck_assert_msg(rc < 0 && strstr(err, "more than 1000000 steps"),
	    "huge loop: %s", err);

	/* 40 copies of a 1 MiB value pass the 32 MiB output limit */
	memset(blob, 'x', 1 << 20);
	blob[1 << 20] = '\0';
	tv_str(tv, "blob", blob);
	rows = tv_list(tv, "rows");
	for (int i = 0; i < 40; i++)
		item = tv_item(rows), tv_int(item, "k", i);
	rc = template_string("{{#each rows}}{{blob}}{{/each}}", "o.txt", &o,
	    tv, &out, err, sizeof(err));
	ck_assert_msg(rc < 0 && strstr(err, "passes 32 MiB"), "big: %s", err);
	free(blob);
	tv_free(tv);
}
END_TEST

/*
 * Random templates from the pieces of the syntax: every one renders or
 * fails with a line, never crashes (the sanitizer run checks the rest).
 */
START_TEST(test_garbage)
{
	static const char *const pieces[] = {
		"{{", "}}", "{{{", "#if ", "#each ", "#unless ", "/if", "/each",
		"/unless", "else", "posts", "yes", "member.name", "@index",
		"@first", "plural ", "date ", "pad ", "padleft ", "repeat ",
		"\"", "\\", "\"a\" ", "3 ", "five ", "when ", "\n", "\r\n",
		"  ", "!", "x", "é", "한", "\xff", "Subject: ", "{{#if yes}}",
		"{{/if}}", "{{#each posts}}", "{{/each}}", "{{else}}",
		"{{subject}}", "{{@last}}", "{{plural five \"a\" \"b\"}}",
		"{{date when \"date\"}}", "{{pad subject 3}}",
	};
	struct template_opts o = { NULL, "cs", "Europe/Prague" };
	struct tvars *tv = values();
	unsigned seed = 12345;
	int ok = 0;

	for (int i = 0; i < 20000; i++) {
		struct template_out out;
		struct buf b;
		char err[512] = "";
		int n = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 24;

		buf_init(&b);
		buf_adds(&b, "");
		while (n-- > 0) {
			seed = seed * 1103515245 + 12345;
			buf_adds(&b, pieces[(seed >> 16) % (sizeof(pieces) /
			    sizeof(pieces[0]))]);
		}
		if (template_string(b.data, i % 2 ? "g.html" : "g.txt", &o, tv,
		    &out, err, sizeof(err)) == 0) {
			ck_assert_ptr_nonnull(out.body);
			template_out_release(&out);
			ok++;
		} else
			ck_assert_msg(!strncmp(err, "g.", 2), "'%s': %s", b.data,
			    err);
		buf_release(&b);
	}
	ck_assert_int_gt(ok, 100);	/* some of them are templates */
	tv_free(tv);
}
END_TEST

/* ---- files: the search order, the flat API, kith check ---- */

static char dir[256];
static struct kith_config cfg;

static void
put(const char *rel, const char *text)
{
	char *path = xasprintf("%s/templates/%s", dir, rel);
	char *slash = strrchr(path, '/');

	*slash = '\0';
	ck_assert_int_eq(mkdir_p(path, 0755), 0);
	*slash = '/';
	ck_assert_int_eq(file_write_atomic(path, text, strlen(text), 0644),
	    0);
	free(path);
}

static void
del(const char *rel)
{
	char *path = xasprintf("%s/templates/%s", dir, rel);

	ck_assert_int_eq(unlink(path), 0);
	free(path);
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "%s/kith-template.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = dir;
	cfg.web_base_url = "";
	template_cache_clear();
}

static void
teardown(void)
{
	template_keep_texts(0);
	unit_rmdir(dir);
	template_cache_clear();
}

/* The body NAME gives the member reading lang on list "team". */
static char *
body(const char *name, const char *lang, char *flang)
{
	struct template_opts o = { "team", lang, NULL };
	struct tvars *tv = values();
	struct template_out out;
	char err[512], *b;

	tv_int(tv, "n", 5);
	tv_str(tv, "member.address", "hana@example.org");
	tv_str(tv, "list.name", "Team");
	tv_str(tv, "list.address", "team@example.org");
	tv_str(tv, "list.description", "");
	tv_str(tv, "list.owner", "team-owner@example.org");
	tv_str(tv, "list.request", "team-request@example.org");
	tv_str(tv, "list.unsubscribe", "team-unsubscribe@example.org");
	if (template_mail(&cfg, &o, name, tv, &out, err, sizeof(err)) < 0) {
		tv_free(tv);
		return xasprintf("error: %s", err);
	}
	b = out.body;
	out.body = NULL;
	if (flang)
		strcpy(flang, out.lang);
	template_out_release(&out);
	tv_free(tv);
	return b;
}

#define BODY_IS(name, lang, want) do { \
	char *got_ = body(name, lang, NULL); \
	ck_assert_msg(!strcmp(got_, want), "%s in %s: got '%s', want '%s'", \
	    name, lang, got_, want); \
	free(got_); \
} while (0)

START_TEST(test_search_order)
{
	char lang[16], *b;

	put("team/cs/t.txt", "list cs {{plural n \"a\" \"b\" \"c\"}}");
	put("team/t.txt", "list");
	put("cs/t.txt", "site cs");
	put("t.txt", "site");
	BODY_IS("t.txt", "cs", "list cs c");	/* per list and language */
	BODY_IS("t.txt", "en", "list");		/* the list's, older layout */
	del("team/cs/t.txt");
	BODY_IS("t.txt", "cs", "list");
	del("team/t.txt");
	BODY_IS("t.txt", "cs", "site cs");
	BODY_IS("t.txt", "de", "site");
	del("cs/t.txt");
	BODY_IS("t.txt", "cs", "site");
	del("t.txt");

	/* shipped: no Welsh texts, so English it is */
	b = body("welcome.txt", "cy", lang);
	ck_assert_msg(!strncmp(b, "Welcome to", 10), "fallback: %s", b);
	ck_assert_str_eq(lang, "en");
	free(b);
	/* a site translation is read with its own language's rules */
	put("cs/welcome.txt", "{{n}} {{plural n \"člen\" \"členové\" "
	    "\"členů\"}}");
	b = body("welcome.txt", "cs", lang);
	ck_assert_str_eq(b, "5 členů");
	ck_assert_str_eq(lang, "cs");
	free(b);
	/* a bad language code is English; a name with .. is never found */
	b = body("welcome.txt", "../x", lang);
	ck_assert_msg(!strncmp(b, "Welcome to", 10), "bad code: %s", b);
	ck_assert_str_eq(lang, "en");
	free(b);
	BODY_IS("../kith.db", "en", "error: template '../kith.db' not found");
}
END_TEST

/*
 * template_keep_texts (kith serve): a text is read once, for its list and
 * language, and an edited or added file shows only after the next
 * template_keep_texts(1) (SIGHUP) or template_cache_clear(); off, every
 * render reads the disk again.
 */
START_TEST(test_kept_texts)
{
	char lang[16], *b;

	template_keep_texts(1);
	put("t.txt", "site one");
	put("cs/t.txt", "site cs {{plural n \"a\" \"b\" \"c\"}}");
	BODY_IS("t.txt", "en", "site one");
	BODY_IS("t.txt", "cs", "site cs c");
	/* kept: an edit and a more specific file are not seen yet */
	put("t.txt", "site two");
	put("team/t.txt", "list");
	put("cs/t.txt", "site cs edited");
	BODY_IS("t.txt", "en", "site one");
	b = body("t.txt", "cs", lang);
	ck_assert_str_eq(b, "site cs c");
	ck_assert_str_eq(lang, "cs");	/* with its language, as read */
	free(b);
	/* a language not asked for before is read now, as it is now */
	BODY_IS("t.txt", "de", "list");
	/* a removed file stays kept too, until told */
	del("team/t.txt");
	BODY_IS("t.txt", "de", "list");
	/* SIGHUP: kept again from what the disk has now */
	template_keep_texts(1);
	BODY_IS("t.txt", "en", "site two");
	BODY_IS("t.txt", "cs", "site cs edited");
	BODY_IS("t.txt", "de", "site two");
	put("t.txt", "site three");
	template_cache_clear();
	BODY_IS("t.txt", "en", "site three");
	/* off: each render reads the disk */
	template_keep_texts(0);
	put("t.txt", "site four");
	BODY_IS("t.txt", "en", "site four");
	put("t.txt", "site five");
	BODY_IS("t.txt", "en", "site five");
	/* shipped texts are kept as well, and a name with .. never is */
	template_keep_texts(1);
	b = body("welcome.txt", "en", lang);
	ck_assert_msg(!strncmp(b, "Welcome to", 10), "shipped: %s", b);
	free(b);
	b = body("welcome.txt", "en", lang);
	ck_assert_msg(!strncmp(b, "Welcome to", 10), "kept shipped: %s", b);
	free(b);
	BODY_IS("../kith.db", "en", "error: template '../kith.db' not found");
}
END_TEST

START_TEST(test_flat_api)
{
	struct template_var vars[] = {
		{ "member.name", "Hana" }, { "member.name", "second" },
		{ "x", NULL },
	};
	char err[256] = "", *s, *where = NULL;

	s = template_expand("Hi {{member.name}}{{x}}!", vars, 3, err,
	    sizeof(err));
	ck_assert_str_eq(s, "Hi Hana!");	/* the first of a name wins */
	free(s);
	s = template_expand("Hi {{member.nmae}}", vars, 3, err, sizeof(err));
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "line 1: unknown variable '{{member.nmae}}'");
	/* a subject line comes back in front, one line */
	put("team/onboarding/s.txt", "Subject: Hello {{member.name}}\n\n\nBody");
	s = template_render(&cfg, "team", "onboarding/s.txt", vars, 3, err,
	    sizeof(err));
	ck_assert_str_eq(s, "Subject: Hello Hana\n\nBody");
	free(s);
	s = template_load(&cfg, "team", "onboarding/s.txt", &where, err,
	    sizeof(err));
	ck_assert_str_eq(s, "Subject: Hello {{member.name}}\n\n\nBody");
	ck_assert_ptr_nonnull(strstr(where, "/templates/team/onboarding/"));
	free(s);
	free(where);
	s = template_render(&cfg, "team", "none.txt", vars, 3, err,
	    sizeof(err));
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "template 'none.txt' not found");
	/* shipped newsletter and onboarding texts live under en/ */
	s = template_load(&cfg, "team", "newsletter/default.txt", &where, err,
	    sizeof(err));
	ck_assert_msg(s && strstr(where, "/en/newsletter/default.txt"), "%s",
	    err);
	free(s);
	free(where);
}
END_TEST

struct seen {
	struct buf lines;
};

static void
collect(void *ctx, int warning, const char *line)
{
	struct seen *s = ctx;

	buf_addf(&s->lines, "%s%s\n", warning ? "warning: " : "", line);
}

static const struct template_field item_fields[] = {
	TF_STR("subject"), TF_INT("votes"), TF_END
};
static const struct template_schema schema[] = {
	{ "a.txt", TF_FIELDS(TF_STR("who"), TF_INT("n"), TF_TIME("when"),
	    TF_LIST("posts", item_fields)), 0 },
	{ "b/*.txt", TF_FIELDS(TF_STR("who")), 0 },
};

START_TEST(test_check)
{
	struct template_check c;
	struct seen s;
	struct tvars *common = tv_new();
	int errors;

	memset(&c, 0, sizeof(c));
	buf_init(&s.lines);
	buf_adds(&s.lines, "");
	c.report = collect;
	c.ctx = &s;
	tv_str(common, "list.name", "Team");
	/* every branch is taken: the typo in the else part is found */
	put("en/a.txt", "Subject: {{who}}\n\n{{#if n}}{{n}} {{plural n "
	    "\"post\" \"posts\"}}{{else}}{{lsit.name}}{{/if}}\n"
	    "{{#each posts}}{{subject}} {{votes}} {{date when \"date\"}}"
	    "{{/each}}\n");
	put("cs/a.txt", "{{plural n \"a\" \"b\"}}");
	put("team/b/x.txt", "{{who}} {{list.name}}");
	put("en/b/y.txt", "{{plural who \"{{x\" \"y\"}}");
	put("team/b/z.txt", "{{#each who}}{{/each}}");
	errors = template_check(&cfg, "team", NULL, schema, 2, common, &c);
	errors += template_check_finish(&cfg, &c);
	ck_assert_msg(strstr(s.lines.data, "/templates/en/a.txt:3: unknown "
	    "variable '{{lsit.name}}'"), "%s", s.lines.data);
	ck_assert_msg(strstr(s.lines.data, "/templates/cs/a.txt:1: '{{plural "
	    "n \"a\" \"b\"}}': 'cs' has 3 plural forms, not 2"), "%s",
	    s.lines.data);
	ck_assert_msg(strstr(s.lines.data, "/templates/en/b/y.txt:1: 'who' "
	    "in '{{plural who"), "%s", s.lines.data);
	ck_assert_msg(strstr(s.lines.data, "/templates/team/b/z.txt:1: 'who' "
	    "in '{{#each who}}' is not a list"), "%s", s.lines.data);
	/*
	 * b/x.txt is fine.  The list's b/x and b/z (outside language
	 * folders) serve every language; a.txt is in cs, b/y.txt is not.
	 */
	ck_assert_msg(!strstr(s.lines.data, "b/x.txt:"), "%s", s.lines.data);
	ck_assert_msg(strstr(s.lines.data, "warning: templates: 1 text is "
	    "not in 'cs' yet, English is sent instead: b/y.txt\n"), "%s",
	    s.lines.data);
	ck_assert_msg(strstr(s.lines.data, "warning: templates: 2 texts are "
	    "not in 'ko' yet, English is sent instead: a.txt b/y.txt\n"),
	    "%s", s.lines.data);
	ck_assert_int_eq(errors, 4);
	ck_assert_int_eq(c.errors, 4);
	template_check_release(&c);

	/* a '{{' a plural form leaves behind; a broken LANGUAGE file */
	memset(&c, 0, sizeof(c));
	buf_reset(&s.lines);
	c.report = collect;
	c.ctx = &s;
	del("en/b/y.txt");
	del("team/b/z.txt");
	del("cs/a.txt");
	put("en/a.txt", "{{plural n \"{{n}} post\" \"{{n}} posts\"}}");
	put("xx/LANGUAGE", "name = X\n");
	template_check(&cfg, "team", NULL, schema, 2, common, &c);
	template_check_finish(&cfg, &c);
	ck_assert_msg(strstr(s.lines.data, "/templates/en/a.txt: '{{' left in "
	    "the text"), "%s", s.lines.data);
	ck_assert_msg(strstr(s.lines.data, "xx/LANGUAGE"), "%s",
	    s.lines.data);
	template_check_release(&c);
	buf_release(&s.lines);
	tv_free(common);
}
END_TEST

/* The mail notice_queue stored last. */
static char *
last_mail(struct db *db)
{
	struct db_stmt *st;
	char *mail = NULL;

	st = db_prepare(db, "SELECT data FROM outbox_messages ORDER BY id "
	    "DESC LIMIT 1");
	ck_assert_ptr_nonnull(st);
	if (db_step(st) == DB_ROW)
		mail = xstrndup(db_col_blob(st, 0),
		    (size_t)db_col_bytes(st, 0));
	db_finalize(st);
	ck_assert_ptr_nonnull(mail);
	return mail;
}

/* The header of mail ended with a NUL; the body follows it. */
static char *
headers(char *mail)
{
	char *end = strstr(mail, "\r\n\r\n");

	ck_assert_ptr_nonnull(end);
	end[2] = '\0';
	return mail;
}

/*
 * notice_queue: the template's Subject: line, in the reader's language
 * and with the caller's structured values, wins over the caller's
 * subject; a CR/LF in a value never makes a header line.  Without a
 * Subject: line the caller's subject stays.
 */
START_TEST(test_notice_subject)
{
	struct template_var vars[] = {
		{ "member.address", "hana@example.org" },
		{ "member.name", "Hana\r\nBcc: eve@example.org" },
	};
	struct tvars *tv = tv_new();
	struct notice_opts o;
	struct list l;
	char err[256], dbdir[256], *mail;
	struct db *db = unit_db(dbdir, sizeof(dbdir));

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(list_create(db, "team@example.org", "o@example.org",
	    "Team", "", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &l, err, sizeof(err)),
	    KITH_OK);
	put("team/cs/welcome.txt", "Subject: Vítej, {{member.name}}\n\n"
	    "{{count}} {{plural count \"člen\" \"členové\" \"členů\"}}, "
	    "{{member}}\n");
	tv_int(tv, "count", 3);
	memset(&o, 0, sizeof(o));
	o.to = "hana@example.org";
	o.subject = "Welcome to Team";
	o.tmpl = "welcome.txt";
	o.vars = vars;
	o.nvars = 2;
	o.tv = tv;
	o.lang = "cs";
	ck_assert_int_eq(notice_queue(db, &cfg, &l, &o), KITH_OK);
	mail = headers(last_mail(db));
	/* "Vítej, Hana Bcc: eve@example.org", RFC 2047 encoded */
	ck_assert_msg(strstr(mail, "\nSubject: =?UTF-8?") != NULL, "%s", mail);
	ck_assert_msg(strstr(mail, "Welcome to Team") == NULL, "%s", mail);
	ck_assert_msg(strstr(mail, "\nBcc:") == NULL, "%s", mail);
	ck_assert_msg(strstr(mail + strlen(mail) + 1, "3 členové, Hana") ||
	    strstr(mail + strlen(mail) + 1, "3 =C4=8Dlenov=C3=A9, Hana"),
	    "%s", mail + strlen(mail) + 1);
	free(mail);

	/* English (the shipped welcome.txt has no Subject: line) */
	o.lang = NULL;
	ck_assert_int_eq(notice_queue(db, &cfg, &l, &o), KITH_OK);
	mail = headers(last_mail(db));
	ck_assert_msg(strstr(mail, "\nSubject: Welcome to Team\r\n"), "%s",
	    mail);
	ck_assert_msg(strstr(mail, "\nBcc:") == NULL, "%s", mail);
	free(mail);
	list_release(&l);
	db_close(db);
	unit_rmdir(dbdir);
	tv_free(tv);
}
END_TEST

/*
 * Each thread keeps the texts it parsed (kith serve renders the same
 * pages for every request): the same text again gives the same result
 * from the kept nodes, and another text from the same place, or one
 * that does not parse, is never answered with what was kept.
 */
START_TEST(test_parsed_kept)
{
	struct template_opts o = { NULL, NULL, NULL };
	struct tvars *tv = values();
	struct template_out out;
	char err[512], *first[NCASES];
	static const struct {
		const char *text, *body;	/* body NULL: an error */
	} seq[] = {
		{ "A {{kept.name}}", "A Hana" },
		{ "B {{kept.name}}", "B Hana" },
		{ "A {{kept.name}}", "A Hana" },
		{ "", "" },
		{ "{{#if}}x{{/if}}", NULL },
		{ "{{#if}}x{{/if}}", NULL },
		{ "A {{kept.name}}", "A Hana" },
	};

	tv_str(tv, "kept.name", "Hana");
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		int rc = template_string(seq[i].text, "k.txt", &o, tv, &out, err,
		    sizeof(err));

		if (seq[i].body == NULL) {
			ck_assert_msg(rc < 0 && strstr(err, "takes one name"),
			    "step %zu: %s", i, rc < 0 ? err : out.body);
			continue;
		}
		ck_assert_msg(rc == 0 && !strcmp(out.body, seq[i].body),
		    "step %zu: '%s'", i, rc == 0 ? out.body : err);
		template_out_release(&out);
	}
	/* every construct twice in one thread: the second time from the kept
	 * nodes, the same bytes */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < NCASES; i++) {
			struct template_opts co = { NULL, cases[i].lang,
			    cases[i].tz };
			struct tvars *cv = values();
			int rc = template_string(cases[i].text, cases[i].where,
			    &co, cv, &out, err, sizeof(err));
			char *got = rc == 0 ? xasprintf("%s|%s", out.subject ?
			    out.subject : "", out.body) : xasprintf("E %s", err);

			if (rc == 0)
				template_out_release(&out);
			if (pass == 0)
				first[i] = got;
			else {
				ck_assert_msg(!strcmp(first[i], got), "%s: '%s' "
				    "then '%s'", cases[i].what, first[i], got);
				free(first[i]);
				free(got);
			}
			tv_free(cv);
		}
	tv_free(tv);
}
END_TEST

Suite *
template_suite(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("expand");
	TCase *files = tcase_create("files");

	tcase_add_loop_test(tc, test_constructs, 0, NCASES);
	tcase_add_test(tc, test_parsed_kept);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_garbage);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(files, setup, teardown);
	tcase_add_test(files, test_search_order);
	tcase_add_test(files, test_kept_texts);
	tcase_add_test(files, test_flat_api);
	tcase_add_test(files, test_check);
	tcase_add_test(files, test_notice_subject);
	suite_add_tcase(s, files);
	return s;
}
