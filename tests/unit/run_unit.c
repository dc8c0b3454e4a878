/* run_unit - runs every unit suite; Check prints the totals. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kith/db.h"
#include "kith/util.h"
#include "unit.h"

struct db *
unit_db(char *dir, size_t dirlen)
{
	char err[256], *path;
	struct db *db = NULL;

	snprintf(dir, dirlen, "%s/kith-unit.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return NULL;
	path = xasprintf("%s/kith.db", dir);
	if (db_open(path, 1, 2000, DB_FAST, &db, err, sizeof(err)) != KITH_OK)
		fprintf(stderr, "unit_db: %s\n", err);
	free(path);
	return db;
}

void
unit_rmdir(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int r = system(cmd);

	(void)r;
	free(cmd);
}

int
main(void)
{
	SRunner *sr = srunner_create(address_suite());
	int failed;

	srunner_add_suite(sr, message_suite());
	srunner_add_suite(sr, tokens_suite());
	srunner_add_suite(sr, compose_suite());
	srunner_add_suite(sr, policy_suite());
	srunner_add_suite(sr, outbox_suite());
	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, inbound_suite());
	srunner_add_suite(sr, timeutil_suite());
	srunner_add_suite(sr, requests_suite());
	srunner_add_suite(sr, newsletter_suite());
	srunner_add_suite(sr, subject_suite());
	srunner_add_suite(sr, html_suite());
	srunner_add_suite(sr, digest_suite());
	srunner_add_suite(sr, event_suite());
	srunner_add_suite(sr, membership_suite());
	srunner_add_suite(sr, privacy_suite());
	srunner_add_suite(sr, import_suite());
	srunner_add_suite(sr, poll_suite());
	srunner_add_suite(sr, bounce_suite());
	srunner_add_suite(sr, util_suite());
	srunner_add_suite(sr, i18n_suite());
	srunner_add_suite(sr, deliver_suite());
	srunner_add_suite(sr, mime_suite());
	srunner_add_suite(sr, template_suite());
	srunner_add_suite(sr, web_suite());
	srunner_add_suite(sr, stats_suite());
	srunner_add_suite(sr, deliverability_suite());
	srunner_add_suite(sr, archive_search_suite());
	srunner_add_suite(sr, archive_html_suite());
	srunner_add_suite(sr, feature_suite());
	srunner_add_suite(sr, texts_suite());
	srunner_add_suite(sr, event_texts_suite());
	srunner_add_suite(sr, lmtp_suite());
	srunner_add_suite(sr, lang_suite());
	srunner_add_suite(sr, moderation_suite());
	srunner_add_suite(sr, db_pg_suite());
	srunner_add_suite(sr, migrate_suite());
	srunner_add_suite(sr, wal_suite());
	srunner_add_suite(sr, pg_search_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
