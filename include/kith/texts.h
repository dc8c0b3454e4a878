/*
 * texts - every template Kith renders, by the module that renders it,
 * and the values each gets: the one list `kith check` walks and the
 * tests read.  A module, or a feature's row, keeps its own table (struct template_schema,
 * next to the code that fills the values); this file only gathers them.
 * Nothing includes this header but the command line and the tests, so
 * no module depends on another through it.
 */
#ifndef KITH_TEXTS_H
#define KITH_TEXTS_H

#include <stddef.h>

#include "kith/config.h"
#include "kith/lists.h"
#include "kith/template.h"

struct texts_table {
	const char *module;
	const struct template_schema *schema;
	size_t n;
};

/*
 * texts_tables - every table into out (at most max): the core's, then
 * each feature's own texts and its digest section (feature.h); how many.
 */
size_t texts_tables(struct texts_table *out, size_t max);

#define TEXTS_TABLES_MAX 32

/*
 * texts_check - render every template of every table as list l would
 * get it, in every language, with sample values (template_check), so
 * that a typo is found by `kith check`, not by a member.  Returns the
 * errors found; they are reported through c.
 */
int texts_check(const struct kith_config *cfg, const struct list *l,
    struct template_check *c);

#endif
