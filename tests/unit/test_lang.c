/*
 * test_lang - who reads which language (notice_lang: the member's, else
 * the list's, else en), which languages may be chosen (notice_lang_ok),
 * and the list's `language` setting.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kith/config.h"
#include "kith/db.h"
#include "kith/i18n.h"
#include "kith/lists.h"
#include "kith/members.h"
#include "kith/notice.h"
#include "kith/template.h"
#include "kith/util.h"
#include "unit.h"

static sqlite3 *db;
static char dir[256];
static struct kith_config cfg;
static struct list team;

static void
setup(void)
{
	char err[256];

	db = unit_db(dir, sizeof(dir));
	ck_assert_ptr_nonnull(db);
	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = xstrdup(dir);
	ck_assert_int_eq(list_create(db, "team@example.org",
	    "alice@example.org", "Team", "", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &team, err, sizeof(err)),
	    KITH_OK);
	ck_assert_int_eq(member_add(db, team.id, "bob@example.org", "Bob"),
	    MEMBER_ADDED);
	ck_assert_int_eq(member_add(db, team.id, "eva@example.org", "Eva"),
	    MEMBER_ADDED);
	template_cache_clear();
}

static void
teardown(void)
{
	list_release(&team);
	free(cfg.data_dir);
	sqlite3_close(db);
	unit_rmdir(dir);
	template_cache_clear();
}

static const char *
lang_of(const char *address)
{
	static char lang[NOTICE_LANG_LEN];

	notice_lang(db, &team, address, lang);
	return lang;
}

START_TEST(test_lang_fallbacks)
{
	char err[256];

	setup();
	/* nothing chosen: English */
	ck_assert_str_eq(lang_of("bob@example.org"), "en");
	ck_assert_str_eq(lang_of(NULL), "en");
	/* the list's language for everyone who chose none */
	ck_assert_int_eq(list_setting_set(db, team.id, "language", "cs", err,
	    sizeof(err)), KITH_OK);
	ck_assert_str_eq(lang_of("bob@example.org"), "cs");
	ck_assert_str_eq(lang_of("stranger@example.net"), "cs");
	ck_assert_str_eq(lang_of(NULL), "cs");
	/* a member's own wins, for that member only */
	ck_assert_int_eq(member_set_lang(db, team.id, "Eva@Example.org", "el"),
	    KITH_OK);
	ck_assert_str_eq(lang_of("eva@example.org"), "el");
	ck_assert_str_eq(lang_of("bob@example.org"), "cs");
	ck_assert_str_eq(lang_of(NULL), "cs");
	{
		char *own = member_lang(db, team.id, "eva@example.org");

		ck_assert_str_eq(own, "el");
		free(own);
	}
	/* "" gives the member the list's again */
	ck_assert_int_eq(member_set_lang(db, team.id, "eva@example.org", ""),
	    KITH_OK);
	ck_assert_str_eq(lang_of("eva@example.org"), "cs");
	/* not a member, not a code */
	ck_assert_int_eq(member_set_lang(db, team.id, "nobody@example.org",
	    "cs"), KITH_PERM);
	ck_assert_int_eq(member_set_lang(db, team.id, "bob@example.org",
	    "../x"), KITH_PERM);
	ck_assert_int_eq(member_set_lang(db, team.id, "bob@example.org",
	    "cs'; DROP TABLE members; --"), KITH_PERM);
	ck_assert_str_eq(lang_of("bob@example.org"), "cs");
	teardown();
}
END_TEST

START_TEST(test_lang_setting)
{
	char err[256];
	char *v;

	setup();
	v = list_setting(db, team.id, "language");
	ck_assert_str_eq(v, "en");
	free(v);
	ck_assert_int_eq(list_setting_set(db, team.id, "language", "ko", err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_setting_set(db, team.id, "language", "Czech",
	    err, sizeof(err)), KITH_PERM);
	ck_assert_msg(strstr(err, "language code") != NULL, "%s", err);
	ck_assert_int_eq(list_setting_set(db, team.id, "language", "",
	    err, sizeof(err)), KITH_PERM);
	v = list_setting(db, team.id, "language");
	ck_assert_str_eq(v, "ko");
	free(v);
	teardown();
}
END_TEST

/* What may be chosen: a language with a LANGUAGE file, shipped or the site's. */
START_TEST(test_lang_ok)
{
	static const char *const shipped[] = { "cs", "de", "el", "en", "es",
	    "fr", "ko", "nb", "pl", "uk" };
	char err[512], *path;
	FILE *f;

	setup();
	for (size_t i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++)
		ck_assert_msg(notice_lang_ok(&cfg, shipped[i], err,
		    sizeof(err)) == 0, "%s: %s", shipped[i], err);
	ck_assert_int_eq(notice_lang_ok(&cfg, "sk", err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no language 'sk'") && strstr(err,
	    " cs ") && strstr(err, " uk"), "%s", err);
	ck_assert_int_eq(notice_lang_ok(&cfg, "../cs", err, sizeof(err)), -1);
	ck_assert_int_eq(notice_lang_ok(&cfg, "", err, sizeof(err)), -1);
	ck_assert_int_eq(notice_lang_ok(&cfg, NULL, err, sizeof(err)), -1);
	/* a site's own language: a LANGUAGE file copied under another code */
	path = xasprintf("%s/templates", dir);
	mkdir(path, 0700);
	free(path);
	path = xasprintf("%s/templates/sk", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	free(path);
	path = xasprintf("%s/templates/sk/LANGUAGE", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("name = slovenčina\nname.en = Slovak\ncode = sk\n", f);
	fclose(f);
	/* broken (no plural, months...): refused with the reason */
	ck_assert_int_eq(notice_lang_ok(&cfg, "sk", err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "LANGUAGE") != NULL, "%s", err);
	{
		char *src = xasprintf("sed -e 's/^code = cs/code = sk/' "
		    "'%s/cs/LANGUAGE' > '%s'", KITH_SOURCE_TEMPLATE_DIR, path);

		ck_assert_int_eq(system(src), 0);
		free(src);
	}
	template_cache_clear();
	ck_assert_msg(notice_lang_ok(&cfg, "sk", err, sizeof(err)) == 0, "%s",
	    err);
	free(path);
	teardown();
}
END_TEST

Suite *
lang_suite(void)
{
	Suite *s = suite_create("lang");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_lang_fallbacks);
	tcase_add_test(tc, test_lang_setting);
	tcase_add_test(tc, test_lang_ok);
	suite_add_tcase(s, tc);
	return s;
}
