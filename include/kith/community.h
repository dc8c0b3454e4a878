/*
 * community - recognition and re-engagement: the thank-you that ends the
 * first digest of each month (lists with `thanks on`), naming last
 * month's top contributors who have not said `set thanks off`, and one
 * friendly note to members who have neither posted nor answered an event
 * for the list's `nudge_after` (at most once per 90 days, never to
 * no-mail members).
 */
#ifndef KITH_COMMUNITY_H
#define KITH_COMMUNITY_H

#include <stdint.h>
#include <sqlite3.h>

#include "kith/config.h"
#include "kith/lists.h"
#include "kith/template.h"
#include "kith/util.h"

/*
 * community_thanks_lines - the thank-you section for a digest made at
 * now (digest/thanks.txt in lang), when the list has `thanks on` and no
 * digest went out earlier this month; nothing otherwise.
 */
void community_thanks_lines(const struct kith_config *cfg, sqlite3 *db,
    const struct list *l, int64_t now, const char *lang, struct buf *out);

/* Re-engagement notes that are due (own transactions); how many, or -1. */
int community_cron(const struct kith_config *cfg, sqlite3 *db, int64_t now);

/* The texts community renders and their values (kith check). */
extern const struct template_schema community_schema[];
extern const size_t community_nschema;

#endif
