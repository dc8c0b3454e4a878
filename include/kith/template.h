/*
 * template - every text a member reads, from files under templates/, in
 * the reader's language.  docs/TEMPLATES.md is the reference for the
 * constructs; this header is the C side.
 *
 * Where a text is found, most specific first (LANG is the language the
 * caller asks for, LIST the list's local part; DATA the data directory,
 * SHIPPED the installed templates, or the source tree's when run from a
 * checkout):
 *
 *   DATA/templates/LIST/LANG/NAME    the list's own, in that language
 *   DATA/templates/LIST/NAME         the list's own (older layout)
 *   DATA/templates/LANG/NAME         the site's, in that language
 *   DATA/templates/NAME              the site's (older layout)
 *   SHIPPED/LANG/NAME
 *   SHIPPED/en/NAME                  so that a missing translation never
 *                                    stops mail (kith check reports it)
 *
 * A file inside a language folder is read with that language's rules
 * (plural forms, dates); one outside any (the older layouts) with the
 * language asked for.  LANG's rules come from DATA/templates/LANG/LANGUAGE
 * or SHIPPED/LANG/LANGUAGE (see i18n.h); languages once loaded stay
 * cached for the life of the process.
 *
 * Values are a small tree built in C (struct tvars): strings, integers,
 * yes/no, HTML fragments and lists of records.  A value is never
 * expanded: "{{" in a member's name is printed as it is.  In a template
 * whose name ends in ".html" every value is escaped for HTML, except
 * those set with tv_html().  A first line "Subject: ..." is the mail's
 * subject, returned apart and always one line.  A name that no value
 * has is an error, so a typo never reaches a member as blank text.
 *
 * Not thread-safe (the language cache); Kith's processes are single
 * threaded.
 */
#ifndef KITH_TEMPLATE_H
#define KITH_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "kith/config.h"

/* ---- values ---- */

struct tvars;		/* a record: named values */
struct tvlist;		/* a list of records, owned by the record holding it */

/* tv_new - an empty record; caller frees with tv_free(). */
struct tvars *tv_new(void);
/* tv_free - the record, its lists and their items; NULL is a no-op. */
void tv_free(struct tvars *tv);

/*
 * Setters copy name and value; setting a name again replaces its value.
 * Names are letters, digits and "_.-" ("member.name"); a dot is part of
 * the name, not a path.  s NULL is the empty string.
 */
void tv_str(struct tvars *tv, const char *name, const char *s);
void tv_strf(struct tvars *tv, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tv_int(struct tvars *tv, const char *name, long long n);
/*
 * tv_time - a time (epoch seconds) that {{date}} shows in zone tz rather
 * than the render's (template_opts.tz): an event's times in the event's
 * own zone, whatever list or digest shows them.  tz NULL or "": the
 * render's.  Otherwise it is an integer like tv_int's.
 */
void tv_time(struct tvars *tv, const char *name, int64_t t, const char *tz);
/* For {{#if}} only; printing one is an error. */
void tv_bool(struct tvars *tv, const char *name, int yes);
/* tv_bool_new - tv_bool for a name known not to be in tv yet (a record
 * filled from a table of distinct names): no lookup, so filling n names
 * costs n, not n * n / 2 comparisons. */
void tv_bool_new(struct tvars *tv, const char *name, int yes);
/*
 * tv_html - HTML that Kith made and escaped itself (never text from a
 * member): inserted as it is in .html templates; an error in text ones.
 */
void tv_html(struct tvars *tv, const char *name, const char *html);
/* tv_list - a new empty list named name; borrowed, owned by tv. */
struct tvlist *tv_list(struct tvars *tv, const char *name);
/* tv_item - a new record at the end of list; borrowed, owned by tv. */
struct tvars *tv_item(struct tvlist *list);
/*
 * tv_inherit - names tv does not have are looked up in outer (borrowed:
 * it must outlive every render of tv), so that a caller's values can sit
 * on top of a module's own.
 */
void tv_inherit(struct tvars *tv, const struct tvars *outer);

/*
 * tv_get_str - the string (or HTML) value of name in tv or what it
 * inherits; NULL when there is none or it is of another type.  Borrowed,
 * valid until that value is set again or freed.
 */
const char *tv_get_str(const struct tvars *tv, const char *name);

/* ---- rendering ---- */

struct template_opts {
	const char *list;	/* list's local part (its overrides), or NULL */
	const char *lang;	/* "cs"; NULL or "" means "en" */
	const char *tz;		/* zone of {{date}}: the list's; NULL = UTC */
};

struct template_out {
	char *subject;		/* the "Subject: " line expanded, one line
				 * (CR, LF and tabs from values become
				 * spaces); NULL when the text has none */
	char *body;		/* the rest, blank lines after the subject
				 * dropped */
	char *path;		/* the file used */
	char lang[16];		/* the language it was read in */
};

/*
 * template_mail - find NAME for o (see above) and expand it with tv.
 * 0 and out filled (release with template_out_release), or -1 with one
 * line in err naming the file and line: no such template, a syntax
 * error, an unknown name, a plural with the wrong number of forms, a
 * limit passed.
 */
int template_mail(const struct kith_config *cfg, const struct template_opts *o,
    const char *name, const struct tvars *tv, struct template_out *out,
    char *err, size_t errlen);
void template_out_release(struct template_out *out);

/*
 * template_string - expand text as template_mail would a file named
 * where ("FILE" in errors; ".html" at its end escapes values).  lang is
 * the language of the text.  0 or -1 as above.
 */
int template_string(const char *text, const char *where,
    const struct template_opts *o, const struct tvars *tv,
    struct template_out *out, char *err, size_t errlen);

/*
 * template_find - the file NAME resolves to for o: its path (caller
 * frees) and, in lang (16 bytes, may be NULL), its language; "" for a
 * file outside language folders.  NULL when there is none.
 */
char *template_find(const struct kith_config *cfg,
    const struct template_opts *o, const char *name, char *lang);

/*
 * template_lang - the rules of language code as the texts use them
 * (DATA/templates/CODE/LANGUAGE, else the shipped one), loaded once and
 * cached: borrowed, valid until template_cache_clear().  NULL with one
 * line in err (may be NULL) when Kith has no such language or its
 * LANGUAGE file is broken.  The test of whether a language may be
 * chosen (a list's setting, a member's language).
 */
struct i18n_lang;
const struct i18n_lang *template_lang(const struct kith_config *cfg,
    const char *code, char *err, size_t errlen);

/*
 * template_languages - the codes of every language present (a LANGUAGE
 * file in DATA/templates or the shipped folder), "en" always, sorted,
 * NULL-terminated; free with i18n_codes_free().
 */
char **template_languages(const struct kith_config *cfg);

/*
 * template_names - the names of the values text reads ({{x}}, {{#if x}},
 * {{plural x ...}}, ...; not @index and the like), sorted, each once,
 * NULL-terminated; free with i18n_codes_free().  NULL with a line in err
 * when text has a syntax error.  What a translation must keep of the
 * English text (kith check, test_lang).
 */
char **template_names(const char *text, const char *where, char *err,
    size_t errlen);

/*
 * Forget the cached languages (tests that rewrite LANGUAGE files) and
 * the kept texts (template_keep_texts): kith serve calls it on SIGHUP.
 */
void template_cache_clear(void);

/*
 * template_keep_texts - on: every text template_mail() reads (which
 * file a name is for a list and language, and its bytes) and where
 * each language's LANGUAGE file is are kept for the process, until the
 * next call or template_cache_clear(): an edited or added file shows
 * after that (kith serve calls it again on SIGHUP).  Off (the default,
 * and what the one-shot commands use): looked for and read on every
 * render.
 */
void template_keep_texts(int on);

/* ---- the flat API of earlier callers, in English ---- */

struct template_var {
	const char *name;
	const char *value;
};

/* tv_from_vars - a record of n string values, the first of a name
 * winning as it always has; caller frees (tv_free). */
struct tvars *tv_from_vars(const struct template_var *vars, int nvars);

/*
 * template_render - NAME in English expanded with string vars, as one
 * text: a subject line comes back as "Subject: ...\n\n" before the body.
 * NULL with a line in err as template_mail.  Caller frees.
 */
char *template_render(const struct kith_config *cfg, const char *list_local,
    const char *name, const struct template_var *vars, int nvars,
    char *err, size_t errlen);

/*
 * template_load - the text of NAME in English as it is, found as above;
 * *where (if given) gets the file it came from.  NULL with a line in err
 * when there is none.  Caller frees both.
 */
char *template_load(const struct kith_config *cfg, const char *list_local,
    const char *name, char **where, char *err, size_t errlen);

/* Expand text (no file, no escaping) with string vars; NULL with err. */
char *template_expand(const char *text, const struct template_var *vars,
    int nvars, char *err, size_t errlen);

/* ---- what a template may use, for kith check ---- */

enum template_type {
	TEMPLATE_STR = 0,	/* the default */
	TEMPLATE_INT,
	TEMPLATE_BOOL,
	TEMPLATE_TIME,		/* epoch seconds, for {{date}} */
	TEMPLATE_HTML,
	TEMPLATE_LIST
};

struct template_field {
	const char *name;	/* NULL ends an array */
	enum template_type type;
	const struct template_field *items;	/* a list's item fields */
};

/* A field in a table: TF_STR("member.name"), ..., TF_END last. */
#define TF_STR(n)	{ (n), TEMPLATE_STR, NULL }
#define TF_INT(n)	{ (n), TEMPLATE_INT, NULL }
#define TF_BOOL(n)	{ (n), TEMPLATE_BOOL, NULL }
#define TF_TIME(n)	{ (n), TEMPLATE_TIME, NULL }
#define TF_HTML(n)	{ (n), TEMPLATE_HTML, NULL }
#define TF_LIST(n, items)	{ (n), TEMPLATE_LIST, (items) }
#define TF_END		{ NULL, TEMPLATE_STR, NULL }
/* An array of fields in place: TF_FIELDS(TF_STR("a"), TF_INT("n")). */
#define TF_FIELDS(...) \
	((const struct template_field[]){ __VA_ARGS__, TF_END })

/*
 * One template a module renders and the values it gives it.  A module
 * keeps a table of these (notice.c: notice_schema); kith check renders
 * each with sample values.  name may end in "*.txt" (any file there,
 * as onboarding/ *.txt).  flags are the owning module's own.
 */
struct template_schema {
	const char *name;
	const struct template_field *fields;	/* NULL or { NULL }-ended */
	unsigned flags;
};

/*
 * template_sample - sample values for fields: strings "x", integers 2,
 * times 2026-12-15 18:00 UTC, two items in each list; added to tv.
 */
void template_sample(struct tvars *tv, const struct template_field *fields);

/*
 * A check in progress: what it found and where it reports.  Embedded:
 * zero it, set report and ctx, then template_check_release().
 */
struct template_check {
	/* line: "FILE:LINE: what", warning 1 for what does not fail */
	void (*report)(void *ctx, int warning, const char *line);
	void *ctx;
	int errors, warnings;
	char **seen;		/* internal: files already checked */
	size_t nseen;
	char **missing;		/* internal: "LANG NAME" not translated */
	size_t nmissing;
	char **used;		/* the languages the site uses (lists' and
				 * members'; template_check_uses); none:
				 * every language present */
	size_t nused;
};

/*
 * template_check_uses - the site uses language code (a list's setting,
 * a member's own): template_check_finish reports the texts it lacks,
 * and template_check the {{values}} its texts leave out that English
 * shows.  Languages nobody uses are still checked for errors.
 */
void template_check_uses(struct template_check *c, const char *code);

/*
 * template_check - render every template of schema (n entries) as list
 * would get it in every language present (shipped, site and the list's
 * folders holding a LANGUAGE file, or a text) with sample values over
 * common: syntax errors, unknown names, wrong plural form counts and a
 * "{{" left in the output are errors; a value the English text reads
 * that a translation never does is a warning (for the languages in use,
 * template_check_uses); a file outside language folders
 * is read in list_lang (NULL: en).  Each file is checked once per check.
 * A text missing in a language is remembered for template_check_finish.
 * Returns the errors found by this call.
 */
int template_check(const struct kith_config *cfg, const char *list,
    const char *list_lang, const struct template_schema *schema, size_t n,
    const struct tvars *common, struct template_check *c);

/*
 * template_check_finish - check every LANGUAGE file present (errors) and
 * report one warning a language in use (every language when none was
 * named) for its missing texts.  Returns the errors found.
 */
int template_check_finish(const struct kith_config *cfg,
    struct template_check *c);
void template_check_release(struct template_check *c);

#endif
