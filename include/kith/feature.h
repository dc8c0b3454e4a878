/*
 * feature - the one shape every feature has, and the table of them.
 *
 * A feature (events, polls, newsletters, onboarding, the community notes)
 * is a file that fills one struct feature: what it answers and when it
 * runs.  The core loops over the table (src/features.c, the only place
 * that names every feature) and never names a feature itself:
 *
 *   kith cron         cron.c runs each feature's cron step
 *
 * A feature may use any core module; no core module includes a feature's
 * header.  docs/ARCHITECTURE.md has the checklist for adding one.
 */
#ifndef KITH_FEATURE_H
#define KITH_FEATURE_H

#include <stdint.h>
#include <sqlite3.h>

#include "kith/config.h"
#include "kith/tokens.h"

/* What a site-wide step is given: cron steps and renderers. */
struct site_ctx {
	const struct kith_config *cfg;
	sqlite3 *db;
	const struct token_key *key;	/* the site's token key */
};

struct feature {
	const char *name;	/* "event": one word, lower case */

	/*
	 * cron - whatever is due at now, in the feature's own
	 * transactions; safe to run twice at the same time.  KITH_OK,
	 * KITH_TEMP (try again next minute) or KITH_PERM, logged where it
	 * happened.  NULL: nothing to do on a schedule.
	 */
	int (*cron)(const struct site_ctx *c, int64_t now);
};

/* The table: every feature, in the order their steps run; NULL last. */
extern const struct feature *const features_table[];

#endif
