/* unit.h - the Check suites of Kith's unit tests, one per module. */
#ifndef KITH_UNIT_H
#define KITH_UNIT_H

#include <check.h>

struct db;

Suite *address_suite(void);
Suite *message_suite(void);
Suite *tokens_suite(void);
Suite *compose_suite(void);
Suite *policy_suite(void);
Suite *outbox_suite(void);
Suite *config_suite(void);
Suite *inbound_suite(void);
Suite *timeutil_suite(void);
Suite *requests_suite(void);
Suite *newsletter_suite(void);
Suite *subject_suite(void);
Suite *html_suite(void);
Suite *digest_suite(void);
Suite *event_suite(void);
Suite *membership_suite(void);
Suite *poll_suite(void);
Suite *bounce_suite(void);
Suite *util_suite(void);
Suite *i18n_suite(void);
Suite *deliver_suite(void);
Suite *mime_suite(void);
Suite *template_suite(void);
Suite *web_suite(void);
Suite *stats_suite(void);
Suite *deliverability_suite(void);
Suite *archive_search_suite(void);
Suite *archive_html_suite(void);
Suite *feature_suite(void);
Suite *texts_suite(void);
Suite *event_texts_suite(void);
Suite *privacy_suite(void);
Suite *import_suite(void);
Suite *lmtp_suite(void);
Suite *lang_suite(void);
Suite *moderation_suite(void);
Suite *db_pg_suite(void);
Suite *migrate_suite(void);
Suite *wal_suite(void);
Suite *pg_search_suite(void);

/* A fresh database in a temporary directory; caller closes and removes. */
struct db *unit_db(char *dir, size_t dirlen);
void unit_rmdir(const char *dir);

#endif
