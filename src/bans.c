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

const char *
ban_pattern_problem(const char *pattern)
{
	size_t i;

	if (*pattern == '\0' || strlen(pattern) > 254)
		return "is not an address or pattern";
	for (const char *p = pattern; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '/')
			return "is not an address or pattern";
	for (i = 0; i < sizeof(unlike) / sizeof(unlike[0]); i++)
		if (fnmatch(pattern, unlike[i], FNM_CASEFOLD) != 0)
			return NULL;
	return "would ban every address; name one, or a pattern like "
	    "'*@spam.example'";
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
