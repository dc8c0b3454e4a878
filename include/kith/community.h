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

#include "kith/config.h"
#include "kith/feature.h"
#include "kith/lists.h"
#include "kith/template.h"
#include "kith/util.h"

/* Re-engagement notes that are due (own transactions); KITH_OK or KITH_TEMP. */
int community_cron(const struct site_ctx *c, int64_t now);

/* The feature's row in the table (feature.h). */
extern const struct feature community_feature;

#endif
