/* texts - every template Kith renders, gathered for kith check. */
#include "config.h"

#include "kith/digest.h"
#include "kith/feature.h"
#include "kith/notice.h"
#include "kith/outcome.h"
#include "kith/texts.h"
#include "kith/web.h"

/* The core's tables; the features' come from their rows. */
static const struct {
	const char *module;
	const struct template_schema *schema;
	const size_t *n;
} core[] = {
	{ "notice", notice_schema, &notice_nschema },
	{ "outcome", outcome_schema, &outcome_nschema },
	{ "digest", digest_schema, &digest_nschema },
	{ "web", web_schema, &web_nschema },
};

size_t
texts_tables(struct texts_table *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(core) / sizeof(core[0]) && n < max; i++)
		out[n++] = (struct texts_table){ core[i].module, core[i].schema,
		    *core[i].n };
	for (const struct feature *const *f = features_table; *f; f++) {
		if ((*f)->texts && n < max)
			out[n++] = (struct texts_table){ (*f)->name, (*f)->texts,
			    (*f)->ntexts };
		if ((*f)->digest && n < max)
			out[n++] = (struct texts_table){ (*f)->name, (*f)->digest,
			    1 };
	}
	return n;
}

int
texts_check(const struct kith_config *cfg, const struct list *l,
    struct template_check *c)
{
	struct texts_table t[TEXTS_TABLES_MAX];
	size_t n = texts_tables(t, TEXTS_TABLES_MAX);
	struct tvars *common = tv_new();
	int errors = 0;

	notice_list_tv(common, l);
	for (size_t i = 0; i < n; i++)
		errors += template_check(cfg, l->local, NULL, t[i].schema,
		    t[i].n, common, c);
	tv_free(common);
	return errors;
}
