/*
 * filter_rules - reading the filter's settings (mime_filter, spam_header):
 * what the content filter applies and what kith list set checks before
 * it stores a value.  Depends on nothing but util, so that the settings
 * module can check a value without depending on the filter.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/filter_rules.h"
#include "kith/util.h"

void
filter_rules_release(struct rules *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->entry[i]);
	r->n = 0;
}

/* The entries of a mime_filter value; -1 when one is not understood. */
int
filter_rules_parse(const char *value, struct rules *r)
{
	char *v = str_lower(xstrdup(value)), *save = NULL, *tok;
	int bad = 0;

	memset(r, 0, sizeof(*r));
	for (tok = strtok_r(v, ", \t", &save); tok;
	    tok = strtok_r(NULL, ", \t", &save)) {
		const char *slash = strchr(tok, '/');

		if (!strcmp(tok, "none"))
			continue;
		if (!strcmp(tok, "executables")) {
			r->executables = 1;
			continue;
		}
		if ((tok[0] == '.' && tok[1] && !strchr(tok + 1, '.') &&
		    !slash) || (slash && slash > tok && slash[1] &&
		    !strchr(slash + 1, '/'))) {
			if (r->n < RULES_MAX)
				r->entry[r->n++] = xstrdup(tok);
			continue;
		}
		bad = 1;
	}
	free(v);
	return bad ? -1 : 0;
}

/* The entries of a spam_header value into rules (n); -1 when not understood. */
int
filter_spam_parse(const char *value, struct spam_rule *rules, int max, int *n)
{
	char *v = xstrdup(value), *save = NULL, *tok;
	int bad = 0;

	*n = 0;
	for (tok = strtok_r(v, ",", &save); tok && !bad;
	    tok = strtok_r(NULL, ",", &save)) {
		struct spam_rule *r = &rules[*n];
		char *colon;

		tok = str_trim(tok);
		if (*tok == '\0' || !strcasecmp(tok, "off"))
			continue;
		if (*n == max) {
			bad = 1;
			break;
		}
		if (!strcasecmp(tok, "spamassassin")) {
			snprintf(r->name, sizeof(r->name), "X-Spam-Flag");
			snprintf(r->values, sizeof(r->values), "yes");
		} else if (!strcasecmp(tok, "rspamd")) {
			snprintf(r->name, sizeof(r->name), "X-Spam-Action");
			snprintf(r->values, sizeof(r->values),
			    "reject|add header");
		} else if ((colon = strchr(tok, ':')) != NULL) {
			*colon = '\0';
			tok = str_trim(tok);
			for (char *p = tok; *p; p++)
				if ((unsigned char)*p <= 32 || *p == 127)
					bad = 1;
			if (*tok == '\0' || strlen(tok) >= sizeof(r->name) ||
			    *str_trim(colon + 1) == '\0')
				bad = 1;
			snprintf(r->name, sizeof(r->name), "%s", tok);
			snprintf(r->values, sizeof(r->values), "%s",
			    str_lower(str_trim(colon + 1)));
		} else
			bad = 1;
		(*n)++;
	}
	free(v);
	return bad ? -1 : 0;
}

int
filter_setting_valid(const char *key, const char *value)
{
	if (!strcmp(key, "mime_filter")) {
		struct rules r;
		int ok = filter_rules_parse(value, &r) == 0;

		filter_rules_release(&r);
		return ok;
	}
	if (!strcmp(key, "spam_header")) {
		struct spam_rule rules[8];
		int n;

		return filter_spam_parse(value, rules, 8, &n) == 0;
	}
	return 0;
}
