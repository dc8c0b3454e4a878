/* test_import - the readers of Mailman's files, table-driven; an
 * archive's undated message. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/archive_import.h"
#include "kith/db.h"
#include "kith/import.h"
#include "kith/lists.h"
#include "kith/import_mailman.h"
#include "kith/util.h"
#include "unit.h"

/* Every name=value seen, "name=value|..." (newlines in values as '/'). */
static void
collect(const char *name, const char *value, void *ctx)
{
	struct buf *b = ctx;

	buf_addf(b, "%s%s=", b->len ? "|" : "", name);
	for (const char *p = value; *p; p++)
		buf_addc(b, *p == '\n' ? '/' : *p);
}

static const struct {
	const char *in, *want;	/* want NULL: an error, whose text is err */
	const char *err;
} py[] = {
	{ "real_name = 'Team'\n", "real_name=Team", NULL },
	{ "# comment\n\nx = 1\ny = -2\nz = 5.0\n", "x=1|y=-2|z=5.0", NULL },
	{ "a = True\nb = False\nc = None\n", "a=1|b=0|c=", NULL },
	{ "d = 'Caf\\xc3\\xa9 \\'q\\' \\\\ \\n'\n", "d=Caf\xc3\xa9 'q' \\ /",
	    NULL },
	{ "u = u'Zo\\u00eb'\n", "u=Zo\xc3\xab", NULL },
	{ "m = \"\"\"two\nlines\"\"\"\nn = 1\n", "m=two/lines|n=1", NULL },
	{ "o = ['a@b', \"c@d\",\n     'e@f']\n", "o=a@b/c@d/e@f", NULL },
	{ "e = []\n", "e=", NULL },
	{ "t = [('Events', 'a|b', 'x', False)]\n", "t=Events/a|b/x/0", NULL },
	{ "h = {'k': 1}\n", "h=k/1", NULL },
	{ "owner = [\n", NULL, "line 2: a list is not closed" },
	{ "s = 'open\n", NULL, "line 1: a string runs past its line" },
	{ "just words\n", NULL, "line 1: not an assignment" },
	{ "x = \n", NULL, "line 1: not a value Kith can read" },
};

START_TEST(test_mailman2_config)
{
	char err[256] = "";
	struct buf b;
	int rc;

	buf_init(&b);
	rc = import_mailman2_config(py[_i].in, collect, &b, err, sizeof(err));
	buf_add(&b, "", 0);
	if (py[_i].want) {
		ck_assert_msg(rc == 0, "case %d: %s", _i, err);
		ck_assert_msg(!strcmp(b.data, py[_i].want), "case %d: got '%s', "
		    "want '%s'", _i, b.data, py[_i].want);
	} else {
		ck_assert_msg(rc < 0, "case %d parsed: '%s'", _i, b.data);
		ck_assert_msg(!strcmp(err, py[_i].err), "case %d: got '%s', want "
		    "'%s'", _i, err, py[_i].err);
	}
	buf_release(&b);
}
END_TEST

static const struct {
	const char *in, *want;	/* NULL: an error */
} js[] = {
	{ "{\"a\": \"x\", \"b\": 2, \"c\": true, \"d\": false, \"e\": null}",
	    "a=x|b=2|c=1|d=0|e=" },
	{ ">>> >>> {\"subject_prefix\": \"[Team] \"}\n>>> Welcome",
	    "subject_prefix=[Team] " },
	{ "{\"s\": \"q\\\"\\\\\\n\\u00eb\\ud83d\\ude00\"}",
	    "s=q\"\\/\xc3\xab\xf0\x9f\x98\x80" },
	{ "{\"l\": [1, {\"x\": 2}], \"o\": {\"p\": [\"q\"]}, \"k\": \"v\"}",
	    "k=v" },
	{ "{}", "" },
	{ "no object here", NULL },
	{ "{\"a\": }", NULL },
	{ "{\"a\" 1}", NULL },
	{ "{\"a\": \"unterminated}", NULL },
};

START_TEST(test_mailman3_settings)
{
	char err[256] = "";
	struct buf b;
	int rc;

	buf_init(&b);
	rc = import_mailman3_settings(js[_i].in, collect, &b, err, sizeof(err));
	buf_add(&b, "", 0);
	if (js[_i].want) {
		ck_assert_msg(rc == 0, "case %d: %s", _i, err);
		ck_assert_msg(!strcmp(b.data, js[_i].want), "case %d: got '%s', "
		    "want '%s'", _i, b.data, js[_i].want);
	} else
		ck_assert_msg(rc < 0 && *err, "case %d parsed: '%s'", _i, b.data);
	buf_release(&b);
}
END_TEST

static const struct {
	const char *in, *addr, *name;	/* addr NULL: refused */
} lines[] = {
	{ "bob@example.org", "bob@example.org", "" },
	{ "Bob Builder <Bob@Example.ORG>", "bob@example.org", "Bob Builder" },
	{ "\"Builder, Dan\" <dan@example.org>", "dan@example.org",
	    "Builder, Dan" },
	{ "=?utf-8?q?Zo=C3=AB?= <zoe@example.org>", "zoe@example.org",
	    "Zo\xc3\xab" },
	{ "Zo\xc3\xab \xc3\x9cnicode <zoe@example.org>", "zoe@example.org",
	    "Zo\xc3\xab \xc3\x9cnicode" },
	{ "not-an-address", NULL, NULL },
	{ "Name <>", NULL, NULL },
};

START_TEST(test_member_line)
{
	char *addr = NULL, *name = NULL;
	int rc = import_member_line(lines[_i].in, &addr, &name);

	if (lines[_i].addr == NULL) {
		ck_assert_msg(rc < 0 && addr == NULL && name == NULL, "case %d", _i);
		return;
	}
	ck_assert_msg(rc == 0, "case %d refused", _i);
	ck_assert_str_eq(addr, lines[_i].addr);
	ck_assert_str_eq(name, lines[_i].name);
	free(addr);
	free(name);
}
END_TEST

/* The plan keeps one row per address: the stronger role, the last mode. */
START_TEST(test_plan_member)
{
	struct import_plan p;

	import_plan_init(&p);
	ck_assert_int_eq(import_plan_member(&p, "A@x.org", "Ann", NULL, NULL), 0);
	ck_assert_int_eq(import_plan_member(&p, "a@x.org", "", "owner",
	    "digest-daily"), 0);
	ck_assert_int_eq(import_plan_member(&p, "a@x.org", "Other", "moderator",
	    NULL), 0);
	ck_assert_int_eq(import_plan_member(&p, "nope", "", NULL, NULL), -1);
	ck_assert_uint_eq(p.nmembers, 1);
	ck_assert_str_eq(p.members[0].role, "owner");
	ck_assert_str_eq(p.members[0].mode, "digest-daily");
	ck_assert_str_eq(p.members[0].name, "Ann");
	import_plan_release(&p);
}
END_TEST

/*
 * A message of an imported archive with no date (neither a Date field
 * nor one on its From_ line) was received when its caller says: the
 * import's now, not the machine's clock.
 */
START_TEST(test_archive_undated)
{
	const int64_t t = 1796083200LL;	/* 2026-12-01 00:00 UTC */
	struct import_opts o = { 0, 0, 1, t };
	struct import_counts n;
	struct list l;
	char dir[256], err[256], *path;
	struct db *db = unit_db(dir, sizeof(dir));
	FILE *f;

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(list_create(db, "team@example.org", "alice@example.org",
	    "Team", NULL, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &l, err, sizeof(err)), KITH_OK);
	path = xasprintf("%s/undated.mbox", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("From bob@example.org\nFrom: bob@example.org\nSubject: "
	    "undated\nMessage-ID: <undated@example.org>\n\nno date\n", f);
	fclose(f);
	ck_assert_int_eq(archive_import_mbox(db, l.id, path, &o, &n, err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(n.imported, 1);
	ck_assert_int_eq(db_int(db, 0, NULL, "SELECT received FROM posts WHERE "
	    "message_id='undated@example.org'", ""), t);
	free(path);
	list_release(&l);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

Suite *
import_suite(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_mailman2_config, 0,
	    (int)(sizeof(py) / sizeof(py[0])));
	tcase_add_loop_test(tc, test_mailman3_settings, 0,
	    (int)(sizeof(js) / sizeof(js[0])));
	tcase_add_loop_test(tc, test_member_line, 0,
	    (int)(sizeof(lines) / sizeof(lines[0])));
	tcase_add_test(tc, test_plan_member);
	tcase_add_test(tc, test_archive_undated);
	suite_add_tcase(s, tc);
	return s;
}
