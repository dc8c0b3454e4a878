/*
 * i18n - the languages Kith speaks: plural rules, month and day names and
 * date formats, read from templates/LANG/LANGUAGE.
 *
 * A language is a folder templates/LANG/ with a LANGUAGE file: UTF-8,
 * one "key = value" a line, '#' starts a comment line.  The keys:
 *
 *   name = čeština             the language's own name
 *   name.en = Czech            its English name
 *   code = cs                  the folder's name
 *   plural.one = i = 1 and v = 0 @integer 1
 *   plural.few = i = 2..4 and v = 0 @integer 2~4
 *   plural.other = @integer 0, 5~19, 100, 1000, …
 *                              CLDR's rules (plurals.xml) as CLDR writes
 *                              them, for zero one two few many; other is
 *                              what no rule matches.  @integer samples are
 *                              optional and checked; @decimal samples are
 *                              ignored (Kith counts whole things only).
 *   plural.forms = one few other
 *                              the forms a template writes, in this order:
 *                              {{plural n "člen" "členové" "členů"}}.
 *                              Exactly the categories a whole number can
 *                              fall into (cs many is for decimals only).
 *   month.1 .. month.12        nominative ("prosinec")
 *   month.gen.1 .. 12          the form used in a date ("15. prosince");
 *                              the nominative again where a language has
 *                              no such form
 *   month.short.1 .. 12
 *   day.0 .. day.6, day.short.0 .. 6     0 = Sunday
 *   mday.1 .. mday.31          optional: how {d} shows that day ("1er")
 *   command.subscribe = přihlásit, přihlásit se, prihlasit
 *                              optional: the words (or phrases) of the
 *                              email commands in this language, comma-
 *                              separated, besides the English ones that
 *                              always work.  The commands: subscribe
 *                              unsubscribe help set rsvp; after set:
 *                              digest nomail language; after set digest:
 *                              daily weekly off; after rsvp: yes no
 *                              maybe; a moderator's answer to a held
 *                              post: approve reject discard.  Compared
 *                              in any case, a space matching any run of
 *                              spaces; write the forms with and without
 *                              diacritics when people type both.
 *   format.date, format.datetime, format.time, format.dateshort,
 *   format.monthyear           patterns of literal text and the fields
 *                              {yyyy} {M} {MM} {d} {dd} {H} {HH} {mm}
 *                              {month} {month.gen} {month.short} {day}
 *                              {day.short} {zone}; datetime and time show
 *                              {zone}.
 *
 * Nothing here depends on the machine's locales: names come from the
 * LANGUAGE file, zone conversion from timeutil.  The zone is the tz
 * database's abbreviation ("CET", "KST"); where that is numeric ("+05")
 * it is shown as "UTC+05".
 *
 * A loaded language is read-only and may be shared; i18n_format_time
 * switches TZ for a moment (timeutil), like every zone computation here.
 */
#ifndef KITH_I18N_H
#define KITH_I18N_H

#include <stddef.h>
#include <stdint.h>

struct i18n_lang;

/* 1 when code looks like a language code ("cs", "nb", "pt-BR"). */
int i18n_code_valid(const char *code);

/*
 * i18n_lang_load - read DIR/CODE/LANGUAGE.  NULL with one line in err
 * ("DIR/cs/LANGUAGE:12: plural.few: ...") when it is missing, malformed
 * or incomplete.  Caller frees with i18n_lang_free().
 */
struct i18n_lang *i18n_lang_load(const char *dir, const char *code,
    char *err, size_t errlen);
void i18n_lang_free(struct i18n_lang *lang);

/*
 * i18n_lang_check - every problem of DIR/CODE/LANGUAGE, one line each to
 * report (missing keys, malformed rules, a sample the rules contradict,
 * plural.forms not matching what the rules give whole numbers, unknown
 * fields in formats).  Returns the number of problems, 0 when complete.
 */
int i18n_lang_check(const char *dir, const char *code,
    void (*report)(void *arg, const char *line), void *arg);

/*
 * i18n_lang_codes - the languages shipped in dir (folders holding a
 * LANGUAGE file), sorted, NULL-terminated; NULL when dir cannot be read.
 * Caller frees with i18n_codes_free().
 */
char **i18n_lang_codes(const char *dir);
void i18n_codes_free(char **codes);

/* Borrowed, valid until i18n_lang_free(lang). */
const char *i18n_lang_code(const struct i18n_lang *lang);
const char *i18n_lang_name(const struct i18n_lang *lang);
const char *i18n_lang_name_en(const struct i18n_lang *lang);

/* CLDR category of the whole number n: "zero" .. "other"; static. */
const char *i18n_plural_category(const struct i18n_lang *lang, long long n);

/* How many forms a template writes for a plural in this language. */
size_t i18n_plural_nforms(const struct i18n_lang *lang);

/*
 * i18n_plural_form - which of the written forms fits n, in plural.forms
 * order; NULL when nforms is not i18n_plural_nforms() (the template is
 * wrong).  Borrowed from forms.
 */
const char *i18n_plural_form(const struct i18n_lang *lang, long long n,
    const char *const *forms, size_t nforms);

/*
 * i18n_format_time - t (UTC seconds) in zone tz with the language's
 * format.STYLE ("date", "datetime", "time", "dateshort", "monthyear").
 * NULL for an unknown style or zone.  Caller frees.
 */
char *i18n_format_time(const struct i18n_lang *lang, const char *style,
    int64_t t, const char *tz);

/*
 * i18n_command_words - command.NAME as written ("přihlásit, odebírat"),
 * or NULL when the language has none (English, or not translated).
 */
const char *i18n_command_words(const struct i18n_lang *lang,
    const char *command);

/*
 * i18n_command_match - how many bytes of text the longest of command's
 * words in lang covers, as a whole word at the start of text (any case,
 * a space matching any run of blanks); 0 when none does.
 */
size_t i18n_command_match(const struct i18n_lang *lang, const char *command,
    const char *text);

/* i18n_match_phrase - the same for one word or phrase. */
size_t i18n_match_phrase(const char *text, const char *phrase);

/*
 * i18n_accept_pick - the language a Content-Language or Accept-Language
 * value asks for that have() (arg, code) accepts: the elements by q
 * ("cs-CZ, cs;q=0.9, en;q=0.5"), highest first and in the order written
 * among equals, q=0 never; each as written in lower case, then its
 * primary subtag ("cs" of "cs-CZ"; "no" and "nn" as "nb").  At most the
 * first 1024 bytes and 32 elements are read; malformed elements are
 * skipped.  1 with the code in out, else 0 and out "".
 */
int i18n_accept_pick(const char *header, int (*have)(void *, const char *),
    void *arg, char *out, size_t outlen);

#endif
