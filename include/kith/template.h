/*
 * template - mail texts from templates/, most specific first:
 * DATA/templates/LIST/NAME, DATA/templates/NAME, then the shipped
 * templates (installed pkgdatadir, or the source tree when run from a
 * checkout).  {{name}} is replaced by a value from vars; a name that is
 * not there is an error, so that a typo never reaches a member's inbox
 * as blank text.
 */
#ifndef KITH_TEMPLATE_H
#define KITH_TEMPLATE_H

#include "kith/config.h"

struct template_var {
	const char *name;
	const char *value;
};

/*
 * template_render - the expanded text; NULL with a line in err when there
 * is no such template or it names an unknown variable.  Caller frees.
 */
char *template_render(const struct kith_config *cfg, const char *list_local,
    const char *name, const struct template_var *vars, int nvars,
    char *err, size_t errlen);

/*
 * template_load - the text of template name as it is, found as above;
 * *where (if given) gets the file it came from.  NULL with a line in err
 * when there is none.  Caller frees both.
 */
char *template_load(const struct kith_config *cfg, const char *list_local,
    const char *name, char **where, char *err, size_t errlen);

/* Expand {{name}} in text; NULL with err naming the first unknown one. */
char *template_expand(const char *text, const struct template_var *vars,
    int nvars, char *err, size_t errlen);

#endif
