/*
 * test_digest - digest rendering against golden files, and when an issue
 * is owed.
 *
 * Each tests/data/digest/posts/NN-name.eml is archived as a list's posts (plain,
 * HTML-only with Korean inline tags, multipart with an attachment, RFC
 * 2047 subjects in UTF-8, ISO-8859-2 and EUC-KR, replies with stacked
 * and foreign prefixes); a daily and a weekly issue are made at a pinned
 * time and rendered as MIME and as RFC 1153 plain text.  What is random
 * (boundaries, the Message-ID) is normalised; everything else must equal
 * tests/data/digest/NAME byte for byte, so that any change to what a
 * digest reader sees shows as a diff.  KITH_UPDATE_GOLDEN=1 rewrites the
 * golden files (then review them with git diff).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include "kith/archive.h"
#include "kith/config.h"
#include "kith/db.h"
#include "kith/digest.h"
#include "kith/lists.h"
#include "kith/members.h"
#include "kith/message.h"
#include "kith/util.h"
#include "unit.h"

#define DIGEST_DATA TEST_DATA_DIR "/digest"
#define T0 1780304400LL		/* 2026-06-01 09:00:00 UTC, a Monday */
#define ISSUED (T0 + 86400 - 5400)	/* 2026-06-02 07:30 UTC */

static struct db *db;
static char dir[256];
static struct list team;

/* A list in UTC with a prefix, one daily and one weekly member. */
static void
setup_list(void)
{
	struct kith_config cfg;
	char err[256];

	memset(&cfg, 0, sizeof(cfg));
	db = unit_db(dir, sizeof(dir));
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(list_create(db, "turisti@example.org",
	    "olga@example.org", "Turisti", "", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "turisti@example.org", &team, err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_setting_set(db, team.id, "subject_prefix",
	    "[Turisti]", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(member_add(db, team.id, "dana@example.org", "Dana"),
	    MEMBER_ADDED);
	ck_assert_int_eq(member_add(db, team.id, "wim@example.org", ""),
	    MEMBER_ADDED);
	ck_assert_int_eq(db_exec(db, "UPDATE lists SET created=?", "i", T0),
	    KITH_OK);
	ck_assert_int_eq(db_exec(db, "UPDATE members SET joined=?1, "
	    "digest_since=?1, mode=CASE address WHEN 'dana@example.org' THEN "
	    "'digest-daily' WHEN 'wim@example.org' THEN 'digest-weekly' ELSE "
	    "mode END", "i", T0), KITH_OK);
}

static void
teardown_list(void)
{
	list_release(&team);
	db_close(db);
	unit_rmdir(dir);
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Archive every posts/NN-name.eml in name order, received at T0 + 1 h. */
static void
archive_posts(void)
{
	struct dirent **ents;
	int n = scandir(DIGEST_DATA "/posts", &ents, NULL, by_name);

	ck_assert_int_gt(n, 0);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(ents[i]->d_name);

		if (len > 4 && !strcmp(ents[i]->d_name + len - 4, ".eml")) {
			char *path = xasprintf("%s/posts/%s", DIGEST_DATA,
			    ents[i]->d_name), err[256];
			struct message m;
			struct buf raw;
			int64_t id;

			buf_init(&raw);
			ck_assert_int_eq(buf_read_file(&raw, path), 0);
			ck_assert_int_eq(message_parse(&m, raw.data, raw.len, err,
			    sizeof(err)), 0);
			ck_assert_int_eq(archive_store(db, team.id, &m,
			    m.message_id, 1, &id), KITH_OK);
			message_release(&m);
			buf_release(&raw);
			free(path);
		}
		free(ents[i]);
	}
	free(ents);
	ck_assert_int_eq(db_exec(db, "UPDATE posts SET received=?", "i",
	    T0 + 3600), KITH_OK);
}

/* Random parts of a digest made constant: boundaries, the Message-ID. */
static void
normalise(char *s)
{
	static const char *const marks[] = { "=_kith_dd_", "=_kith_d_",
		"Message-ID: <kith.", NULL };

	for (int k = 0; marks[k]; k++) {
		size_t ml = strlen(marks[k]);

		for (char *p = strstr(s, marks[k]); p; p = strstr(p, marks[k])) {
			char *q = p + ml, *r = q;

			while ((*r >= '0' && *r <= '9') || (*r >= 'a' && *r <= 'f') ||
			    *r == '.')
				r++;
			if (r > q) {
				*q = 'X';
				memmove(q + 1, r, strlen(r) + 1);
			}
			p = q;
		}
	}
}

/* The first line where got and want differ, for the failure message. */
static char *
first_difference(const char *got, const char *want)
{
	int line = 1;
	const char *g = got, *w = want;

	while (*g && *g == *w) {
		if (*g == '\n')
			line++;
		g++;
		w++;
	}
	while (g > got && g[-1] != '\n')
		g--;
	while (w > want && w[-1] != '\n')
		w--;
	return xasprintf("line %d:\n got: %.*s\nwant: %.*s", line,
	    (int)strcspn(g, "\n"), g, (int)strcspn(w, "\n"), w);
}

static const struct {
	enum digest_kind kind;
	const char *format, *golden;
} renders[] = {
	{ DIGEST_DAILY, "mime", "daily-mime.eml" },
	{ DIGEST_DAILY, "plain", "daily-plain.eml" },
	{ DIGEST_WEEKLY, "mime", "weekly-mime.eml" },
	{ DIGEST_WEEKLY, "plain", "weekly-plain.eml" },
};

START_TEST(test_digest_golden)
{
	struct kith_config cfg;
	int64_t issue;
	char *got = NULL, *path;
	size_t gotlen = 0;
	struct buf want;
	FILE *out;

	memset(&cfg, 0, sizeof(cfg));
	setup_list();
	archive_posts();
	/* both kinds: the weekly issue is its own number 1 */
	ck_assert_int_eq(digest_run(&cfg, db, &team, DIGEST_DAILY, ISSUED, 1,
	    &issue), KITH_OK);
	ck_assert_int_eq(issue, 1);
	ck_assert_int_eq(digest_run(&cfg, db, &team, DIGEST_WEEKLY, ISSUED, 1,
	    &issue), KITH_OK);
	ck_assert_int_eq(issue, 1);
	/* every copy is queued at the run's now, not the machine's clock */
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM outbox "
	    "WHERE updated!=?", "i", (int64_t)ISSUED), 0);
	ck_assert_int_gt(db_int(db, 0, NULL, "SELECT count(*) FROM outbox", ""),
	    0);
	out = open_memstream(&got, &gotlen);
	ck_assert_int_eq(digest_render_issue(&cfg, db, &team, renders[_i].kind,
	    0, 1, renders[_i].format, out), KITH_OK);
	fclose(out);
	normalise(got);
	path = xasprintf("%s/%s", DIGEST_DATA, renders[_i].golden);
	if (getenv("KITH_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "wb");

		ck_assert_ptr_nonnull(f);
		fputs(got, f);
		fclose(f);
	}
	buf_init(&want);
	ck_assert_msg(buf_read_file(&want, path) == 0, "no golden file %s "
	    "(KITH_UPDATE_GOLDEN=1 writes it)", path);
	if (strcmp(got, want.data ? want.data : "")) {
		char *d = first_difference(got, want.data ? want.data : "");

		ck_abort_msg("%s differs from what is rendered, %s", path, d);
		free(d);
	}
	buf_release(&want);
	free(path);
	free(got);
	teardown_list();
}
END_TEST

/*
 * When an issue is owed on a list's first look (issue 11, A14): the
 * member switched to digests at T0, a post came at `received`, and cron
 * first looks at `now`.  The slot is 07:00 UTC every day (Mondays for
 * weekly ones).
 */
static const struct {
	enum digest_kind kind;
	int64_t received, now, want;
	const char *what;
} owed[] = {
	{ DIGEST_DAILY, T0 + 3600, T0 + 86400 - 3600, 1,
	  "first look after the slot that followed the post: owed" },
	{ DIGEST_DAILY, T0 + 3600, T0 + 3 * 86400, 1,
	  "first look three days late: one issue" },
	{ DIGEST_DAILY, T0 + 3600, T0 + 7200, 0,
	  "first look before the next slot: not yet" },
	{ DIGEST_DAILY, T0 + 86400 - 5400, T0 + 86400 - 3600, 0,
	  "the post came after the last slot: not yet" },
	{ DIGEST_WEEKLY, T0 + 3600, T0 + 7 * 86400 - 3600, 1,
	  "weekly: first look after the next Monday's slot: owed" },
	{ DIGEST_WEEKLY, T0 + 3600, T0 + 6 * 86400, 0,
	  "weekly: Sunday, the slot has not come" },
};

START_TEST(test_digest_owed)
{
	struct kith_config cfg;
	int64_t issue = -1;

	memset(&cfg, 0, sizeof(cfg));
	setup_list();
	archive_posts();
	ck_assert_int_eq(db_exec(db, "UPDATE posts SET received=?", "i",
	    owed[_i].received), KITH_OK);
	ck_assert_int_eq(digest_run(&cfg, db, &team, owed[_i].kind,
	    owed[_i].now, 0, &issue), KITH_OK);
	ck_assert_msg(issue == owed[_i].want, "%s: issue %lld, want %lld",
	    owed[_i].what, (long long)issue, (long long)owed[_i].want);
	teardown_list();
}
END_TEST

Suite *
digest_suite(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_digest_golden, 0,
	    (int)(sizeof(renders) / sizeof(renders[0])));
	tcase_add_loop_test(tc, test_digest_owed, 0,
	    (int)(sizeof(owed) / sizeof(owed[0])));
	suite_add_tcase(s, tc);
	return s;
}
