/*
 * filter_rules - the content filter's settings read into rules
 * (filter.h applies them).  mime_filter: MIME types ("type/sub",
 * "type/", "*"), file name endings (".ext") and "executables";
 * spam_header: "Field: value|value" entries.
 */
#ifndef KITH_FILTER_RULES_H
#define KITH_FILTER_RULES_H

#define RULES_MAX 64

struct rules {
	char *entry[RULES_MAX];	/* "type/sub", "type/" and "*", or ".ext" */
	int n;
	int executables;
};

/* One spam_header entry: a field and the values that mean spam. */
struct spam_rule {
	char name[64];
	char values[256];	/* '|'-separated, lower case */
};

/* The entries of a mime_filter value; -1 when one is not understood. */
int filter_rules_parse(const char *value, struct rules *r);
void filter_rules_release(struct rules *r);

/* The entries of a spam_header value into rules (n); -1 when not understood. */
int filter_spam_parse(const char *value, struct spam_rule *rules, int max,
    int *n);

/* 1 when value may be stored for setting key (mime_filter, spam_header). */
int filter_setting_valid(const char *key, const char *value);

#endif
