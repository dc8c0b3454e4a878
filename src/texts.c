/* texts - every template Kith renders, gathered for kith check. */
#include "config.h"

#include "kith/community.h"
#include "kith/digest.h"
#include "kith/newsletter.h"
#include "kith/notice.h"
#include "kith/onboarding.h"
#include "kith/outcome.h"
#include "kith/poll.h"
#include "kith/texts.h"
#include "kith/web.h"

const struct texts_table texts_tables[] = {
	{ "notice", notice_schema, &notice_nschema },
	{ "outcome", outcome_schema, &outcome_nschema },
	{ "poll", poll_schema, &poll_nschema },
	{ "digest", digest_schema, &digest_nschema },
	{ "community", community_schema, &community_nschema },
	{ "onboarding", onboarding_schema, &onboarding_nschema },
	{ "newsletter", newsletter_schema, &newsletter_nschema },
	{ "web", web_schema, &web_nschema },
	{ NULL, NULL, NULL }
};

int
texts_check(const struct kith_config *cfg, const struct list *l,
    struct template_check *c)
{
	struct tvars *common = tv_new();
	int errors = 0;

	notice_list_tv(common, l);
	for (const struct texts_table *t = texts_tables; t->module; t++)
		errors += template_check(cfg, l->local, NULL, t->schema, *t->n,
		    common, c);
	tv_free(common);
	return errors;
}
