/*
 * feature - the one shape every feature has, and the table of them.
 *
 * A feature (events, polls, newsletters, onboarding, the community notes)
 * is a file that fills one struct feature: what it answers and when it
 * runs.  The core loops over the table (src/features.c, the only place
 * that names every feature) and never names a feature itself:
 *
 *   kith cron         cron.c runs each feature's cron step
 *   delivery          deliver.c renders each copy of a message whose
 *                     render is "NAME:..." with that feature's renderer
 *
 * A feature may use any core module; no core module includes a feature's
 * header.  docs/ARCHITECTURE.md has the checklist for adding one.
 */
#ifndef KITH_FEATURE_H
#define KITH_FEATURE_H

#include <stddef.h>
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

	/*
	 * render - one recipient's copy of an outbox message the feature
	 * queued with outbox_render_add(): its render is "NAME:KEY", NAME
	 * this feature's name and KEY its own (outbox.h).  member_id is 0
	 * for a recipient who is no member.  The copy's bytes (caller
	 * frees; *len set), or NULL when it cannot be made (logged; the
	 * copy waits for a later run).  *cache is the feature's own: NULL
	 * at first, kept between the copies of one delivery run, and
	 * handed to render_free (which may be NULL) at its end.  NULL: the
	 * feature queues no such mail.
	 */
	char *(*render)(const struct site_ctx *c, void **cache,
	    const char *render, int64_t member_id, const char *rcpt,
	    size_t *len);
	void (*render_free)(void *cache);
};

/* The table: every feature, in the order their steps run; NULL last. */
extern const struct feature *const features_table[];

/*
 * features_renderer - the index in features_table of the feature whose
 * name is the kind of render ("NAME:..."), when it has a renderer; -1
 * when none has.
 */
int features_renderer(const char *render);

#endif
