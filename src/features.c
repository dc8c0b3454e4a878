/*
 * features - the table of features: the one place that names them all.
 * Adding a feature is one file that fills a struct feature (feature.h)
 * and one row here.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "kith/community.h"
#include "kith/event.h"
#include "kith/feature.h"
#include "kith/newsletter.h"
#include "kith/onboarding.h"
#include "kith/poll.h"

/*
 * The order is the order of the cron steps (a newsletter that is due goes
 * out before the reminders of the same minute) and of the digest's
 * sections.
 */
const struct feature *const features_table[] = {
	&newsletter_feature,
	&event_feature,
	&poll_feature,
	&onboarding_feature,
	&community_feature,
	NULL
};

int
features_renderer(const char *render)
{
	size_t n = strcspn(render, ":");

	if (render[n] != ':')
		return -1;
	for (int i = 0; features_table[i]; i++)
		if (features_table[i]->render &&
		    strlen(features_table[i]->name) == n &&
		    !strncmp(features_table[i]->name, render, n))
			return i;
	return -1;
}
