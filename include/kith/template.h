/*
 * template - mail texts from templates/, most specific first:
 * DATA/templates/LIST/NAME, DATA/templates/NAME, then the shipped
 * templates (installed pkgdatadir, or the source tree when run from a
 * checkout).  {{name}} is replaced by a value from vars; an unknown name
 * is left as it is so that a typo shows.
 */
#ifndef KITH_TEMPLATE_H
#define KITH_TEMPLATE_H

#include "kith/config.h"

struct template_var {
	const char *name;
	const char *value;
};

/* template_render - the expanded text, or NULL when no such template. Caller frees. */
char *template_render(const struct kith_config *cfg, const char *list_local,
    const char *name, const struct template_var *vars, int nvars);

/* Expand {{name}} in text; caller frees. */
char *template_expand(const char *text, const struct template_var *vars,
    int nvars);

#endif
