/* template - lookup and {{variable}} expansion. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/template.h"
#include "kith/util.h"

#ifndef KITH_TEMPLATE_DIR
#define KITH_TEMPLATE_DIR "/usr/local/share/kith/templates"
#endif
#ifndef KITH_SOURCE_TEMPLATE_DIR
#define KITH_SOURCE_TEMPLATE_DIR KITH_TEMPLATE_DIR
#endif

char *
template_expand(const char *text, const struct template_var *vars, int nvars,
    char *err, size_t errlen)
{
	struct buf b;
	const char *p = text;

	buf_init(&b);
	while (*p) {
		const char *open = strstr(p, "{{"), *close;
		int i;

		if (open == NULL || (close = strstr(open + 2, "}}")) == NULL) {
			buf_adds(&b, p);
			break;
		}
		buf_add(&b, p, (size_t)(open - p));
		for (i = 0; i < nvars; i++) {
			size_t n = strlen(vars[i].name);

			if ((size_t)(close - open - 2) == n &&
			    !strncmp(open + 2, vars[i].name, n))
				break;
		}
		if (i == nvars) {
			snprintf(err, errlen, "unknown variable '%.*s'",
			    (int)(close + 2 - open), open);
			buf_release(&b);
			return NULL;
		}
		buf_adds(&b, vars[i].value ? vars[i].value : "");
		p = close + 2;
	}
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

char *
template_load(const struct kith_config *cfg, const char *list_local,
    const char *name, char **where, char *err, size_t errlen)
{
	char *paths[6];
	struct buf b;
	char *out = NULL;

	/* name comes from our code, never from mail: no path games. */
	paths[0] = xasprintf("%s/templates/%s/%s", cfg->data_dir, list_local,
	    name);
	paths[1] = xasprintf("%s/templates/%s", cfg->data_dir, name);
	paths[2] = xasprintf("%s/en/%s", KITH_TEMPLATE_DIR, name);
	paths[3] = xasprintf("%s/en/%s", KITH_SOURCE_TEMPLATE_DIR, name);
	/* language-neutral ones (newsletter/...) */
	paths[4] = xasprintf("%s/%s", KITH_TEMPLATE_DIR, name);
	paths[5] = xasprintf("%s/%s", KITH_SOURCE_TEMPLATE_DIR, name);
	buf_init(&b);
	for (int i = 0; i < 6 && out == NULL; i++) {
		buf_reset(&b);
		if (buf_read_file(&b, paths[i]) == 0) {
			out = b.data ? buf_detach(&b, NULL) : xstrdup("");
			if (where)
				*where = xstrdup(paths[i]);
		}
	}
	if (out == NULL)
		snprintf(err, errlen, "template '%s' not found", name);
	buf_release(&b);
	for (int i = 0; i < 6; i++)
		free(paths[i]);
	return out;
}

char *
template_render(const struct kith_config *cfg, const char *list_local,
    const char *name, const struct template_var *vars, int nvars,
    char *err, size_t errlen)
{
	char sub[256], *where = NULL, *out = NULL;
	char *text = template_load(cfg, list_local, name, &where, err, errlen);

	if (text == NULL)
		return NULL;
	out = template_expand(text, vars, nvars, sub, sizeof(sub));
	if (out == NULL)
		snprintf(err, errlen, "template '%s': %s", where, sub);
	free(text);
	free(where);
	return out;
}
