/*
 * test_feature - the feature table and the core's loops over it: the
 * table's shape, and an outbox written by the previous schema (a
 * newsletter's copies named by campaign_id) that still delivers every
 * copy after the upgrade.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/config.h"
#include "kith/db.h"
#include "kith/deliver.h"
#include "kith/digest.h"
#include "kith/event.h"
#include "kith/feature.h"
#include "kith/lists.h"
#include "kith/members.h"
#include "kith/newsletter.h"
#include "kith/onboarding.h"
#include "kith/poll.h"
#include "kith/tokens.h"
#include "kith/util.h"
#include "unit.h"

static char dir[256];
static struct kith_config cfg;
static struct db *db;
static struct list l;

#define NOW 1796083200LL		/* 2026-12-01 00:00 UTC */

static void
setup(void)
{
	char err[256], *secret;

	db = unit_db(dir, sizeof(dir));
	ck_assert_ptr_nonnull(db);
	setenv("KITH_HOME", dir, 1);
	ck_assert_int_eq(config_load(&cfg, "/dev/null", err, sizeof(err)), 0);
	unsetenv("KITH_HOME");
	free(cfg.transport);
	cfg.transport = xasprintf("maildir:%s/mail", dir);
	secret = config_secret_path(&cfg);
	ck_assert_int_eq(token_secret_create(secret, err, sizeof(err)), 0);
	free(secret);
	ck_assert_int_eq(list_create(db, "team@example.org", "alice@example.org",
	    "Team", NULL, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &l, err, sizeof(err)), KITH_OK);
	member_add(db, l.id, "bob@example.org", "Bob");
}

static void
teardown(void)
{
	list_release(&l);
	if (db)
		db_close(db);
	config_release(&cfg);
	unit_rmdir(dir);
}

/* ---- the table ---------------------------------------------------------- */

START_TEST(test_table)
{
	size_t n = 0;

	for (const struct feature *const *f = features_table; *f; f++, n++) {
		char render[64];

		ck_assert_msg((*f)->name && *(*f)->name, "row %zu has no name", n);
		for (const char *p = (*f)->name; *p; p++)
			ck_assert_msg(*p >= 'a' && *p <= 'z', "'%s': one lower-case "
			    "word", (*f)->name);
		for (const struct feature *const *g = features_table; g < f; g++)
			ck_assert_str_ne((*g)->name, (*f)->name);
		/* a renderer is found by the kind its rows name */
		snprintf(render, sizeof(render), "%s:1", (*f)->name);
		ck_assert_int_eq(features_renderer(render), (*f)->render ?
		    (int)n : -1);
	}
	ck_assert_int_ge((int)n, 1);
	/* each sub-address and each command word belongs to one feature */
	for (const struct feature *const *f = features_table; *f; f++) {
		for (const struct feature_address *a = (*f)->addresses;
		    a && a->suffix; a++) {
			ck_assert_msg(a->suffix[0] == '-' && a->inbound && a->done,
			    "'%s' of %s", a->suffix, (*f)->name);
			ck_assert_ptr_eq(features_address(a->suffix), a);
		}
		for (const struct feature_command *k = (*f)->commands;
		    k && k->word; k++) {
			ck_assert_msg(k->run != NULL, "'%s'", k->word);
			ck_assert_ptr_eq(features_command(k->word), k);
		}
	}
	ck_assert_ptr_null(features_address("-request"));
	ck_assert_ptr_null(features_command("subscribe"));
	ck_assert_int_eq(features_renderer("nosuch:1"), -1);
	ck_assert_int_eq(features_renderer("event"), -1);	/* no kind */
	ck_assert_int_eq(features_renderer(""), -1);
	ck_assert_int_eq(features_renderer(":1"), -1);
}
END_TEST

/* ---- an outbox of the previous schema ----------------------------------- */

/* Bytes of every file under DIR/mail/RCPT/new, one string; caller frees. */
static char *
mailbox(const char *rcpt, int *files)
{
	char *path = xasprintf("%s/mail/%s/new", dir, rcpt);
	DIR *d = opendir(path);
	struct dirent *e;
	struct buf all;

	buf_init(&all);
	*files = 0;
	while (d && (e = readdir(d)) != NULL) {
		char *f;

		if (e->d_name[0] == '.')
			continue;
		f = xasprintf("%s/%s", path, e->d_name);
		ck_assert_int_eq(buf_read_file(&all, f), 0);
		buf_adds(&all, "\n----\n");
		(*files)++;
		free(f);
	}
	if (d)
		closedir(d);
	free(path);
	return all.data ? buf_detach(&all, NULL) : xstrdup("");
}

static int64_t
column_count(const char *table, const char *column)
{
	return db_int(db, -1, NULL, "SELECT count(*) FROM pragma_table_info(?) "
	    "WHERE name=?", "tt", table, column);
}

/*
 * Schema 11 named a newsletter's renderer by a campaign_id column and the
 * others by a render string; schema 12 has the one render column.  A
 * queue written by 11 (a newsletter, an invitation and a poll, each for
 * both members) is migrated when it is opened and every copy goes out,
 * rendered for its member.
 */
START_TEST(test_old_queue_delivers)
{
	struct newsletter_draft d = { "Winter news", "Snow at last.", NULL, NULL,
	    NULL };
	struct event_spec s;
	char err[256], *path = xasprintf("%s/kith.db", dir), *box;
	char *options[] = { "Friday", "Saturday" };
	int64_t campaign, n, event, poll, sent;
	struct deliver_stats ds;
	struct deliver_opts o = { 1, 0 };
	const char *who[] = { "alice@example.org", "bob@example.org" };
	int files;

	ck_assert_int_eq(newsletter_create(&cfg, db, &l, &d, NOW, &campaign,
	    err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(newsletter_start(db, campaign, NOW, &n, err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(n, 2);
	memset(&s, 0, sizeof(s));
	s.title = "Hike";
	s.start = "2026-12-20 10:00";
	s.duration = 3600;
	ck_assert_int_eq(event_create(&cfg, db, &l, &s, NOW, &event, &n, err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(poll_create(db, &l, "When?", options, 2, 0, 0, NOW,
	    &poll, &sent, err, sizeof(err)), KITH_OK);
	/* Back to what schema 11 wrote: the campaign in its own column. */
	ck_assert_int_eq(db_exec(db, "ALTER TABLE outbox_messages ADD COLUMN "
	    "campaign_id INTEGER", ""), KITH_OK);
	ck_assert_int_eq(db_exec(db, "UPDATE outbox_messages SET campaign_id=?, "
	    "render='' WHERE kind='newsletter'", "i", campaign), KITH_OK);
	ck_assert_int_eq(db_changes(db), 1);
	/* and without what the later steps add (19: ids of rsvps and
	 * votes, 16: languages, 14: the web archive's counts and parts, 13:
	 * privacy) */
	ck_assert_int_eq(db_exec(db, "DROP TRIGGER rsvps_id", ""), KITH_OK);
	ck_assert_int_eq(db_exec(db, "DROP TRIGGER poll_votes_id", ""),
	    KITH_OK);
	ck_assert_int_eq(db_exec(db, "ALTER TABLE rsvps DROP COLUMN id", ""),
	    KITH_OK);
	ck_assert_int_eq(db_exec(db, "ALTER TABLE poll_votes DROP COLUMN id",
	    ""), KITH_OK);
	ck_assert_int_eq(db_exec(db, "ALTER TABLE members DROP COLUMN lang", ""),
	    KITH_OK);
	ck_assert_int_eq(db_exec(db, "DROP TRIGGER posts_threads_ai", ""),
	    KITH_OK);
	ck_assert_int_eq(db_exec(db, "DROP TRIGGER posts_threads_ad", ""),
	    KITH_OK);
	ck_assert_int_eq(db_exec(db, "DROP TABLE threads", ""), KITH_OK);
	ck_assert_int_eq(db_exec(db, "DROP TABLE archive_months", ""), KITH_OK);
	ck_assert_int_eq(db_exec(db, "ALTER TABLE posts DROP COLUMN parts", ""),
	    KITH_OK);
	ck_assert_int_eq(db_exec(db, "DROP TRIGGER posts_au", ""), KITH_OK);
	ck_assert_int_eq(db_exec(db, "DROP TABLE forgotten", ""), KITH_OK);
	ck_assert_int_eq(db_exec(db, "DROP TABLE posts_removed", ""), KITH_OK);
	ck_assert_int_eq(db_exec(db, "PRAGMA user_version=11", ""), KITH_OK);
	db_close(db);
	db = NULL;

	ck_assert_int_eq(db_open(path, 0, 2000, DB_FAST, &db, err, sizeof(err)),
	    KITH_OK);
	ck_assert_int_eq(db_int(db, 0, NULL, "PRAGMA user_version", ""),
	    DB_SCHEMA_VERSION);
	ck_assert_int_eq(column_count("outbox_messages", "campaign_id"), 0);
	ck_assert_int_eq(db_int(db, 0, NULL, "SELECT count(*) FROM "
	    "outbox_messages WHERE render=printf('newsletter:%d', ?)", "i",
	    campaign), 1);

	ck_assert_msg(deliver_run(&cfg, &o, &ds, err, sizeof(err)) == KITH_OK,
	    "deliver: %s", err);
	ck_assert_int_eq(ds.sent, 6);
	ck_assert_int_eq(ds.deferred + ds.failed, 0);
	for (int i = 0; i < 2; i++) {
		box = mailbox(who[i], &files);
		ck_assert_int_eq(files, 3);
		ck_assert_msg(strstr(box, "Subject: Winter news") &&
		    strstr(box, "Snow at last.") && strstr(box,
		    "Subject: Invitation: Hike") && strstr(box,
		    "Subject: Poll: When?"), "%s got:\n%s", who[i], box);
		free(box);
	}
	free(path);
}
END_TEST

/* ---- digest sections --------------------------------------------------- */

/* Write text to DATA/templates/NAME (folders made). */
static void
site_template(const char *name, const char *text)
{
	char *path = xasprintf("%s/templates/%s", dir, name), *slash;
	FILE *f;

	slash = strrchr(path, '/');
	*slash = '\0';
	ck_assert_int_eq(mkdir_p(path, 0755), 0);
	*slash = '/';
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static void
count_report(void *ctx, int warning, const char *line)
{
	(void)line;
	if (!warning)
		(*(int *)ctx)++;
}

/*
 * A section's words are its template's: a list's own wording replaces the
 * shipped one in the digest, and kith check finds a typo in it.
 */
START_TEST(test_digest_section_template)
{
	struct event_spec s;
	struct template_check tc;
	char err[256], *got = NULL;
	size_t gotlen = 0;
	int64_t event, n;
	int reported = 0;
	FILE *out;

	memset(&s, 0, sizeof(s));
	s.title = "Hike";
	s.start = "2026-12-20 10:00";
	s.duration = 3600;
	ck_assert_int_eq(event_create(&cfg, db, &l, &s, NOW, &event, &n, err,
	    sizeof(err)), KITH_OK);
	out = open_memstream(&got, &gotlen);
	ck_assert_int_eq(digest_preview(&cfg, db, &l, DIGEST_DAILY, "plain", NOW,
	    out), KITH_OK);
	fclose(out);
	ck_assert_msg(strstr(got, "Upcoming events") &&
	    strstr(got, "#1 Hike"), "shipped section missing:\n%s", got);
	free(got);

	site_template("team/en/digest/events.txt", "{{#each events}}Come to "
	    "{{title}}!\n{{/each}}\n");
	out = open_memstream(&got, &gotlen);
	ck_assert_int_eq(digest_preview(&cfg, db, &l, DIGEST_DAILY, "plain", NOW,
	    out), KITH_OK);
	fclose(out);
	ck_assert_msg(strstr(got, "Come to Hike!") && !strstr(got,
	    "Upcoming events"), "the list's own section missing:\n%s", got);
	free(got);

	memset(&tc, 0, sizeof(tc));
	tc.report = count_report;
	tc.ctx = &reported;
	ck_assert_int_eq(digest_check_templates(&cfg, &l, &tc), 0);
	template_check_release(&tc);
	site_template("team/en/digest/events.txt", "{{#each events}}{{titel}}"
	    "{{/each}}\n");
	memset(&tc, 0, sizeof(tc));
	tc.report = count_report;
	tc.ctx = &reported;
	ck_assert_int_eq(digest_check_templates(&cfg, &l, &tc), 1);
	ck_assert_int_eq(reported, 1);
	template_check_release(&tc);
}
END_TEST

/*
 * The crons read every due row, however many: onboarding once stopped at
 * 256 lists and poll closing at 64 polls a run (fixed arrays), and the
 * rest waited, or never came.
 */
START_TEST(test_cron_reads_every_row)
{
	struct site_ctx c = { &cfg, db, NULL };
	char *options[] = { "yes", "no" };
	char err[256];
	int64_t later = now_utc() + 2 * 86400, pos, id, sent;

	for (int i = 0; i < 300; i++) {
		char addr[64], local[32];
		struct list li;

		snprintf(local, sizeof(local), "club%d", i);
		snprintf(addr, sizeof(addr), "%s@example.org", local);
		ck_assert_int_eq(list_create(db, addr, "alice@example.org",
		    "Club", NULL, err, sizeof(err)), KITH_OK);
		ck_assert_int_eq(list_find(db, local, &li, err, sizeof(err)),
		    KITH_OK);
		member_add(db, li.id, "bob@example.org", "Bob");
		list_release(&li);
	}
	for (int i = 0; i < 300; i++) {
		char local[32];
		struct list li;

		snprintf(local, sizeof(local), "club%d", i);
		ck_assert_int_eq(list_find(db, local, &li, err, sizeof(err)),
		    KITH_OK);
		ck_assert_int_eq(onboarding_add(&cfg, db, &li, 60,
		    "first-discussion", "", NOW, &pos, err, sizeof(err)), KITH_OK);
		if (i < 70)
			ck_assert_int_eq(poll_create(db, &li, "Again?", options, 2,
			    0, later - 60, now_utc(), &id, &sent, err, sizeof(err)),
			    KITH_OK);
		list_release(&li);
	}
	ck_assert_int_eq(onboarding_cron(&c, later), KITH_OK);
	ck_assert_int_eq(db_int(db, 0, NULL, "SELECT count(*) FROM onboarding "
	    "WHERE outcome='sent'", ""), 600);	/* owner and Bob */
	/* each copy is queued at the cron's now, not the machine's clock */
	ck_assert_int_eq(db_int(db, 0, NULL, "SELECT count(*) FROM outbox o "
	    "JOIN outbox_messages m ON m.id=o.message_id WHERE "
	    "m.kind='onboarding' AND o.updated=?", "i", later), 600);
	ck_assert_int_eq(poll_cron(&c, later), KITH_OK);
	ck_assert_int_eq(db_int(db, 0, NULL, "SELECT count(*) FROM polls WHERE "
	    "state='closed'", ""), 70);
}
END_TEST

Suite *
feature_suite(void)
{
	Suite *s = suite_create("feature");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_old_queue_delivers);
	tcase_add_test(tc, test_digest_section_template);
	tcase_add_test(tc, test_cron_reads_every_row);
	suite_add_tcase(s, tc);
	return s;
}
