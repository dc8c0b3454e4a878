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
#include "kith/footer.h"
#include "kith/newsletter.h"
#include "kith/onboarding.h"
#include "kith/poll.h"
#include "kith/util.h"

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
	&footer_feature,	/* renders copies with a member's own footer */
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

const struct feature_address *
features_address(const char *suffix)
{
	for (const struct feature *const *f = features_table; *f; f++)
		for (const struct feature_address *a = (*f)->addresses;
		    a && a->suffix; a++)
			if (!strcmp(a->suffix, suffix))
				return a;
	return NULL;
}

const char **
features_suffixes(void)
{
	const char **out = NULL;
	size_t n = 0;

	for (const struct feature *const *f = features_table; *f; f++)
		for (const struct feature_address *a = (*f)->addresses;
		    a && a->suffix; a++) {
			out = xrealloc(out, (n + 2) * sizeof(*out));
			out[n++] = a->suffix;
		}
	if (out == NULL)
		out = xmalloc(sizeof(*out));
	out[n] = NULL;
	return out;
}

const struct feature_command *
features_command(const char *word)
{
	for (const struct feature *const *f = features_table; *f; f++)
		for (const struct feature_command *k = (*f)->commands;
		    k && k->word; k++)
			if (!strcmp(k->word, word))
				return k;
	return NULL;
}

int
features_joined(const struct mail_ctx *c, const struct member *m,
    int64_t now, struct buf *note)
{
	int st = KITH_OK;

	for (const struct feature *const *f = features_table;
	    *f && st == KITH_OK; f++) {
		struct buf own;

		if ((*f)->on_join == NULL)
			continue;
		buf_init(&own);
		st = (*f)->on_join(c, m, now, note ? &own : NULL);
		if (note && own.len)
			buf_addf(note, "%s%s", note->len ? "; " : "", own.data);
		buf_release(&own);
	}
	return st;
}

int
features_left(const struct mail_ctx *c, const struct member *m, int64_t now)
{
	int st = KITH_OK;

	for (const struct feature *const *f = features_table;
	    *f && st == KITH_OK; f++)
		if ((*f)->on_leave)
			st = (*f)->on_leave(c, m, now);
	return st;
}

int
features_moved(const struct mail_ctx *c, const struct member *m,
    const char *from, int64_t now)
{
	int st = KITH_OK;

	for (const struct feature *const *f = features_table;
	    *f && st == KITH_OK; f++)
		if ((*f)->on_move)
			st = (*f)->on_move(c, m, from, now);
	return st;
}
