/* members - subscriptions. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kith/address.h"
#include "kith/db.h"
#include "kith/members.h"
#include "kith/util.h"

void
member_release(struct member *m)
{
	free(m->address);
	free(m->name);
	free(m->role);
	free(m->mode);
	free(m->digest_format);
	memset(m, 0, sizeof(*m));
}

enum member_result
member_add(sqlite3 *db, int64_t list_id, const char *address,
    const char *name)
{
	char *addr = address_normalize(address);
	sqlite3_stmt *st;
	int rc;

	if (addr == NULL)
		return MEMBER_INVALID;
	st = db_prepare(db, "INSERT INTO members(list_id, address, name, "
	    "joined) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING");
	if (st == NULL) {
		free(addr);
		return MEMBER_ERROR;
	}
	db_bind(st, "itti", list_id, addr, name ? name : "", now_utc());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(addr);
	if (rc != SQLITE_DONE)
		return MEMBER_ERROR;
	return sqlite3_changes(db) ? MEMBER_ADDED : MEMBER_EXISTS;
}

enum member_result
member_remove(sqlite3 *db, int64_t list_id, const char *address)
{
	char *addr = address_normalize(address);
	int st;

	if (addr == NULL)
		return MEMBER_INVALID;
	st = db_exec(db, "DELETE FROM members WHERE list_id=? AND address=?",
	    "it", list_id, addr);
	free(addr);
	if (st != KITH_OK)
		return MEMBER_ERROR;
	return sqlite3_changes(db) ? MEMBER_REMOVED : MEMBER_NOT_FOUND;
}

static void
member_from_row(sqlite3_stmt *st, struct member *m)
{
	m->id = sqlite3_column_int64(st, 0);
	m->address = db_col_text(st, 1);
	m->name = db_col_text(st, 2);
	m->role = db_col_text(st, 3);
	m->mode = db_col_text(st, 4);
	m->joined = sqlite3_column_int64(st, 5);
	m->moderated = sqlite3_column_int(st, 6);
	m->posts = sqlite3_column_int64(st, 7);
	m->nomail_until = sqlite3_column_int64(st, 8);
	m->digest_format = db_col_text(st, 9);
	m->digest_since = sqlite3_column_int64(st, 10);
	m->disabled = sqlite3_column_int64(st, 11);
}

#define MEMBER_COLUMNS "SELECT id, address, name, role, mode, joined, " \
	"moderated, posts, nomail_until, digest_format, digest_since, disabled " \
	"FROM members "

int
member_find(sqlite3 *db, int64_t list_id, const char *address,
    struct member *m)
{
	char *addr = address_normalize(address);
	sqlite3_stmt *st;
	int found = 0;

	memset(m, 0, sizeof(*m));
	if (addr == NULL)
		return KITH_PERM;
	st = db_prepare(db, MEMBER_COLUMNS "WHERE list_id=? AND address=?");
	if (st) {
		db_bind(st, "it", list_id, addr);
		if (sqlite3_step(st) == SQLITE_ROW) {
			member_from_row(st, m);
			found = 1;
		}
		sqlite3_finalize(st);
	}
	free(addr);
	return found ? KITH_OK : KITH_PERM;
}

int
member_find_id(sqlite3 *db, int64_t list_id, int64_t id, struct member *m)
{
	sqlite3_stmt *st = db_prepare(db, MEMBER_COLUMNS
	    "WHERE list_id=? AND id=?");
	int found = 0;

	memset(m, 0, sizeof(*m));
	if (st == NULL)
		return KITH_PERM;
	db_bind(st, "ii", list_id, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		member_from_row(st, m);
		found = 1;
	}
	sqlite3_finalize(st);
	return found ? KITH_OK : KITH_PERM;
}

/* UPDATE members SET <column>=value for one member; KITH_PERM when none. */
static int
member_update(sqlite3 *db, int64_t list_id, const char *address,
    const char *column, const char *text, int64_t n, int is_text)
{
	char *addr = address_normalize(address), *sql;
	int st;

	if (addr == NULL)
		return KITH_PERM;
	/* column comes from this file, never from input */
	sql = xasprintf("UPDATE members SET %s=? WHERE list_id=? AND address=?",
	    column);
	st = is_text ? db_exec(db, sql, "tit", text, list_id, addr) :
	    db_exec(db, sql, "iit", n, list_id, addr);
	free(sql);
	free(addr);
	if (st != KITH_OK)
		return st;
	return sqlite3_changes(db) ? KITH_OK : KITH_PERM;
}

int
member_set_role(sqlite3 *db, int64_t list_id, const char *address,
    const char *role)
{
	if (strcmp(role, "owner") && strcmp(role, "moderator") &&
	    strcmp(role, "member"))
		return KITH_PERM;
	return member_update(db, list_id, address, "role", role, 0, 1);
}

int
member_set_mode(sqlite3 *db, int64_t list_id, const char *address,
    const char *mode, int64_t until)
{
	if (strcmp(mode, "each") && strcmp(mode, "digest-daily") &&
	    strcmp(mode, "digest-weekly") && strcmp(mode, "nomail"))
		return KITH_PERM;
	char *addr = address_normalize(address);
	int st;

	if (addr == NULL)
		return KITH_PERM;
	/* Entering a digest mode: the digest starts with posts from now on
	 * (the ones before went out one by one). */
	st = db_exec(db, "UPDATE members SET digest_since=CASE WHEN ?1 LIKE "
	    "'digest-%' AND mode NOT LIKE 'digest-%' THEN ?3 ELSE digest_since "
	    "END, mode=?1, nomail_until=?2 WHERE list_id=?4 AND address=?5",
	    "tiiit", mode, strcmp(mode, "nomail") ? (int64_t)0 : until,
	    now_utc(), list_id, addr);
	free(addr);
	if (st != KITH_OK)
		return st;
	return sqlite3_changes(db) ? KITH_OK : KITH_PERM;
}

int
member_set_digest_format(sqlite3 *db, int64_t list_id, const char *address,
    const char *format)
{
	if (strcmp(format, "mime") && strcmp(format, "plain"))
		return KITH_PERM;
	return member_update(db, list_id, address, "digest_format", format, 0, 1);
}

int
member_set_moderated(sqlite3 *db, int64_t list_id, const char *address,
    int on)
{
	return member_update(db, list_id, address, "moderated", NULL, on != 0, 0);
}

void
member_count_post(sqlite3 *db, int64_t list_id, const char *address)
{
	db_exec(db, "UPDATE members SET posts=posts+1 WHERE list_id=? AND "
	    "address=?", "it", list_id, address);
}

int
member_foreach(sqlite3 *db, int64_t list_id,
    int (*fn)(const struct member *, void *), void *ctx)
{
	sqlite3_stmt *st = db_prepare(db, MEMBER_COLUMNS
	    "WHERE list_id=? ORDER BY address");
	int rc;

	if (st == NULL)
		return KITH_PERM;
	db_bind(st, "i", list_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct member m;
		int stop;

		member_from_row(st, &m);
		stop = fn(&m, ctx);
		member_release(&m);
		if (stop)
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? KITH_OK : db_status(rc);
}

/* Split an import line into address and name; returns 0 or -1. */
static int
import_line_parse(char *line, char **addr, char **name)
{
	char *lt = strchr(line, '<'), *gt = lt ? strchr(lt, '>') : NULL;

	if (lt && gt) {
		/* "Name <addr>" */
		*gt = '\0';
		*lt = '\0';
		*addr = lt + 1;
		*name = str_trim(line);
		if (**name == '"') {
			size_t n = strlen(*name);

			(*name)++;
			if (n >= 2 && (*name)[n - 2] == '"')
				(*name)[n - 2] = '\0';
		}
	} else {
		char *sp = strpbrk(line, " \t,;");

		*addr = line;
		*name = "";
		if (sp) {
			*sp = '\0';
			*name = str_trim(sp + 1);
		}
	}
	return **addr ? 0 : -1;
}

int
member_import(sqlite3 *db, int64_t list_id, FILE *in,
    struct import_counts *c, void (*bad)(int, const char *, void *),
    void *ctx)
{
	char line[2048];
	int lineno = 0, st;

	memset(c, 0, sizeof(*c));
	if ((st = db_begin(db)) != KITH_OK)
		return st;
	while (fgets(line, sizeof(line), in)) {
		char *s = str_trim(line), *addr, *name, *copy;

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		copy = xstrdup(s);
		if (import_line_parse(s, &addr, &name) < 0) {
			c->invalid++;
			if (bad)
				bad(lineno, copy, ctx);
			free(copy);
			continue;
		}
		switch (member_add(db, list_id, addr, name)) {
		case MEMBER_ADDED:
			c->added++;
			break;
		case MEMBER_EXISTS:
			c->skipped++;
			break;
		case MEMBER_INVALID:
			c->invalid++;
			if (bad)
				bad(lineno, copy, ctx);
			break;
		default:
			free(copy);
			db_rollback(db);
			return KITH_TEMP;
		}
		free(copy);
	}
	return db_commit(db);
}

int
member_tag(sqlite3 *db, int64_t list_id, const char *address,
    const char *tag, int on)
{
	struct member m;
	int st;

	if ((st = member_find(db, list_id, address, &m)) != KITH_OK)
		return st;
	if (on)
		st = db_exec(db, "INSERT OR IGNORE INTO member_tags(member_id, "
		    "tag) VALUES (?, ?)", "it", m.id, tag);
	else
		st = db_exec(db, "DELETE FROM member_tags WHERE member_id=? AND "
		    "tag=?", "it", m.id, tag);
	member_release(&m);
	return st;
}

char *
member_tags(sqlite3 *db, int64_t member_id)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT tag FROM member_tags WHERE "
	    "member_id=? ORDER BY tag");
	struct buf b;

	buf_init(&b);
	if (st) {
		db_bind(st, "i", member_id);
		while (sqlite3_step(st) == SQLITE_ROW)
			buf_addf(&b, "%s%s", b.len ? "," : "",
			    (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}
