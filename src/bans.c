/* bans - banned addresses and patterns. */
#include "config.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "kith/bans.h"
#include "kith/db.h"
#include "kith/util.h"

/*
 * Addresses unlike each other in every part a pattern could name.  A
 * pattern that matches all of them ('*', '*@*', '*@*.*') would ban
 * every member, the owners too: a slip, never what an organiser means.
 */
static const char *const unlike[] = { "a@b.c", "zz9+tag@mail.example.org",
    "first.last@sub.example-mail.net", "q@x.io" };

/* 0 a pattern that names some addresses, -1 none at all (not an
 * address or pattern), 1 every address (see unlike). */
static int
pattern_kind(const char *pattern)
{
	if (*pattern == '\0' || strlen(pattern) > 254)
		return -1;
	for (const char *p = pattern; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '/')
			return -1;
	for (size_t i = 0; i < sizeof(unlike) / sizeof(unlike[0]); i++)
		if (fnmatch(pattern, unlike[i], FNM_CASEFOLD) != 0)
			return 0;
	return 1;
}

const char *
ban_pattern_problem(const char *pattern)
{
	int k = pattern_kind(pattern);

	return k < 0 ? "is not an address or pattern" : k > 0 ? "would ban "
	    "every address; name one, or a pattern like '*@spam.example'" :
	    NULL;
}

int
patterns_valid(const char *patterns)
{
	char *all = xstrdup(patterns), *save = NULL, *t;
	int ok = 1;

	for (t = strtok_r(all, ",", &save); t && ok; t = strtok_r(NULL, ",",
	    &save)) {
		t = str_trim(t);
		ok = *t == '\0' || pattern_kind(t) == 0;
	}
	free(all);
	return ok;
}

int
patterns_match(const char *patterns, const char *address)
{
	char *all = xstrdup(patterns), *save = NULL, *t;
	int hit = 0;

	for (t = strtok_r(all, ",", &save); t && !hit; t = strtok_r(NULL, ",",
	    &save)) {
		t = str_trim(t);
		hit = *t && fnmatch(t, address, FNM_CASEFOLD) == 0;
	}
	free(all);
	return hit;
}

int
ban_add(struct db *db, int64_t list_id, const char *pattern, int64_t now)
{
	char *p = str_lower(xstrdup(pattern));
	int st = KITH_PERM;

	if (ban_pattern_problem(p) == NULL)
		st = db_exec(db, "INSERT INTO bans(list_id, pattern, created) "
		    "VALUES (nullif(?, 0), ?, ?) ON CONFLICT DO NOTHING", "iti",
		    list_id, p, now);
	free(p);
	return st;
}

int
ban_remove(struct db *db, int64_t list_id, const char *pattern)
{
	char *p = str_lower(xstrdup(pattern));
	int st = db_exec(db, "DELETE FROM bans WHERE coalesce(list_id, 0)=? "
	    "AND pattern=?", "it", list_id, p);

	free(p);
	return st != KITH_OK ? -1 : db_changes(db) > 0;
}

int
ban_matches(struct db *db, int64_t list_id, const char *address)
{
	struct db_stmt *st = db_cached(db, "SELECT pattern FROM bans "
	    "WHERE list_id=? OR list_id IS NULL");
	int hit = 0;

	if (st == NULL)
		return 0;
	db_bind(st, "i", list_id);
	while (!hit && db_step(st) == DB_ROW)
		hit = fnmatch(db_col_str(st, 0), address,
		    FNM_CASEFOLD) == 0;
	db_cached_done(st);
	return hit;
}

int
ban_foreach(struct db *db, int64_t list_id,
    int (*fn)(const char *pattern, void *ctx), void *ctx)
{
	struct db_stmt *st = db_prepare(db, "SELECT pattern FROM bans WHERE "
	    "coalesce(list_id, 0)=? ORDER BY pattern");

	if (st == NULL)
		return KITH_PERM;
	db_bind(st, "i", list_id);
	while (db_step(st) == DB_ROW)
		if (fn(db_col_str(st, 0), ctx))
			break;
	db_finalize(st);
	return KITH_OK;
}
