/*
 * lists - mailing lists and their per-list settings.
 *
 * Settings are declared once in the table in lists.c (key, default,
 * allowed values, help); list_setting_set() validates against it and
 * `kith list show` and kith(1) follow it.  Unset keys read as defaults.
 */
#ifndef KITH_LISTS_H
#define KITH_LISTS_H

#include <stdint.h>
#include <stdio.h>

struct db;

struct list {
	int64_t id;
	char *address;		/* team@example.org */
	char *local;		/* team */
	char *domain;		/* example.org */
	char *name;		/* display name, UTF-8 */
	char *description;
};

void list_release(struct list *l);

/* A list's name is one line, its description may have several
 * (utf8_text_ok); both go into pages and mail headers. */
#define LIST_NAME_MAX 200
#define LIST_DESCRIPTION_MAX 4000

/*
 * list_create - a new list with its first owner.  KITH_OK, or KITH_PERM
 * with a line in err (bad address, name or description, exists),
 * KITH_TEMP when busy.
 */
int list_create(struct db *db, const char *address, const char *owner,
    const char *name, const char *description, char *err, size_t errlen);

/*
 * list_find - by full address or bare name (unique local part).
 * KITH_OK and *l filled; KITH_PERM with err when no such list.
 */
int list_find(struct db *db, const char *spec, struct list *l, char *err,
    size_t errlen);
/* By local part and domain, as inbound sees it; KITH_OK or KITH_PERM. */
int list_find_exact(struct db *db, const char *local, const char *domain,
    struct list *l);

/* By id; KITH_OK or KITH_PERM. */
int list_find_id(struct db *db, int64_t id, struct list *l);

int list_remove(struct db *db, const struct list *l);

/* Call fn for each list, ordered by address; stops when fn returns non-zero. */
int list_foreach(struct db *db, int (*fn)(const struct list *, int64_t members,
    void *), void *ctx);

/* Value of a setting (stored or default); caller frees.  NULL for unknown keys. */
char *list_setting(struct db *db, int64_t list_id, const char *key);
/* Integer setting; def when unknown or not a number. */
/*
 * list_archive_url - the archive's address for l (List-Archive, the
 * footer): its archive_url when that is a web address (web_url_ok: a
 * value an older Kith took, such as "javascript:...", is not), else the
 * site's archive_url followed by LIST/, else "".  Caller frees.
 */
struct kith_config;
char *list_archive_url(struct db *db, const struct kith_config *cfg,
    const struct list *l);
int64_t list_setting_int(struct db *db, int64_t list_id, const char *key,
    int64_t def);
/* Validate and store; KITH_PERM with err when key or value is not allowed. */
int list_setting_set(struct db *db, int64_t list_id, const char *key,
    const char *value, char *err, size_t errlen);
/* Print "key = value" for every setting. */
void list_settings_print(struct db *db, int64_t list_id, FILE *out);
/* Print the settings table: key, allowed values, default, help. */
void list_settings_help(FILE *out);

#endif
