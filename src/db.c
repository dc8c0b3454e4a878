/*
 * db - the storage layer's front: what is the same on every backend
 * (statement cache, transactions and group commits, binding by a type
 * string, ids) and the calls of kith/db.h handed to the connection's
 * backend (db_backend.h; sqlite: db_sqlite.c).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_backend.h"
#include "kith/log.h"
#include "kith/util.h"

/* The backends, asked in order which one a location is: the default
 * (sqlite, any path) last. */
static const struct db_ops *const backends[] = {
	&db_pg_ops,
	&db_sqlite_ops,
};

int
db_status(int rc)
{
	switch (rc & 0xff) {
	case DB_OK:
	case DB_DONE:
	case DB_ROW:
		return KITH_OK;
	case DB_BUSY:
	case DB_LOCKED:
	case DB_FULL:
	case DB_IOERR:
	case DB_NOMEM:
	case DB_CANTOPEN:
	case DB_PROTOCOL:
		return KITH_TEMP;
	default:
		return KITH_PERM;
	}
}

static const struct db_ops *
backend_of(const char *location)
{
	size_t n = sizeof(backends) / sizeof(backends[0]);

	for (size_t i = 0; i + 1 < n; i++)
		if (backends[i]->claims(location))
			return backends[i];
	return backends[n - 1];
}

int
db_open(const char *location, int create, int busy_ms,
    enum db_durability durability, struct db **out, char *err,
    size_t errlen)
{
	return backend_of(location)->open(location, create, busy_ms,
	    durability, DB_SCHEMA_VERSION, out, err, errlen);
}

int
db_open_at_version(const char *location, int target, struct db **out,
    char *err, size_t errlen)
{
	return backend_of(location)->open(location, 1, 1000, DB_FAST, target,
	    out, err, errlen);
}

int
db_migrate_to(struct db *db, int target, char *err, size_t errlen)
{
	return db->ops->migrate_to(db, target, err, errlen);
}

int
db_schema_version(struct db *db)
{
	return db->ops->schema_version(db);
}

int
db_file_schema_version(const char *path)
{
	/* a database file: sqlite's */
	return db_sqlite_ops.file_schema_version(path);
}

/* ---- the statement cache ---- */

struct db_stmt *
db_cached(struct db *db, const char *sql)
{
	struct db_cached_stmt *lru = NULL;
	unsigned long hash = str_hash(sql);
	struct db_stmt *st;

	for (int i = 0; i < DB_CACHED_MAX; i++) {
		struct db_cached_stmt *c = &db->c[i];

		if (c->sql && c->hash == hash && !strcmp(c->sql, sql)) {
			if (c->out)	/* a nested use: a fresh one */
				return db_prepare(db, sql);
			c->out = 1;
			c->used = ++db->clock;
			return c->st;
		}
		if (!c->out && (lru == NULL || c->used < lru->used))
			lru = c;
	}
	if ((st = db_prepare(db, sql)) == NULL || lru == NULL)
		return st;	/* all out: finalized when done */
	if (lru->st) {
		lru->st->kept = 0;
		db_finalize(lru->st);
	}
	free(lru->sql);
	lru->sql = xstrdup(sql);
	lru->hash = hash;
	lru->st = st;
	lru->out = 1;
	lru->used = ++db->clock;
	st->kept = 1;
	return st;
}

void
db_cached_done(struct db_stmt *st)
{
	struct db *db;

	if (st == NULL)
		return;
	if (!st->kept) {
		db_finalize(st);
		return;
	}
	db = st->db;
	db->ops->reset(st);
	db->ops->clear_bindings(st);
	for (int i = 0; i < DB_CACHED_MAX; i++)
		if (db->c[i].st == st) {
			db->c[i].out = 0;
			return;
		}
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	for (int i = 0; i < DB_CACHED_MAX; i++) {
		if (db->c[i].st) {
			db->c[i].st->kept = 0;
			db_finalize(db->c[i].st);
		}
		free(db->c[i].sql);
	}
	db->ops->close(db);
}

/* ---- transactions ---- */

/*
 * The connection this thread holds in a group transaction (db_group_begin):
 * on it, db_begin, db_commit and db_rollback are savepoints inside it.
 */
static _Thread_local struct db *group_db;

int
db_in_tx(struct db *db)
{
	return db->ops->in_tx(db);
}

int
db_begin(struct db *db)
{
	int rc;

	if (db == group_db) {
		/* an I/O error or a full disk may have ended the group */
		if (!db_in_tx(db))
			return KITH_TEMP;
		return db_status(db->ops->script(db, "SAVEPOINT kith"));
	}
	rc = db->ops->begin_write(db);
	if (rc != DB_OK)
		log_warn("database: begin: %s", db_errmsg(db));
	return db_status(rc);
}

int
db_commit(struct db *db)
{
	int rc = db->ops->script(db, db == group_db ? "RELEASE kith" :
	    "COMMIT");

	if (rc != DB_OK) {
		log_warn("database: commit: %s", db_errmsg(db));
		db_rollback(db);
		/* A failed commit is never permanent for the caller: retry. */
		return KITH_TEMP;
	}
	return KITH_OK;
}

void
db_rollback(struct db *db)
{
	if (!db_in_tx(db))
		return;
	if (db == group_db) {
		if (db->ops->script(db, "ROLLBACK TO kith") == DB_OK)
			db->ops->script(db, "RELEASE kith");
		return;
	}
	db->ops->script(db, "ROLLBACK");
}

int
db_read_begin(struct db *db)
{
	return db_status(db->ops->read_begin(db));
}

void
db_read_end(struct db *db)
{
	db->ops->script(db, "COMMIT");
}

int
db_group_begin(struct db *db)
{
	int st;

	group_db = NULL;
	if ((st = db_begin(db)) != KITH_OK)
		return st;
	if ((st = db->ops->group_open(db)) != KITH_OK) {
		db_rollback(db);
		return st == KITH_PERM ? KITH_TEMP : st;
	}
	group_db = db;
	return KITH_OK;
}

int
db_group_commit(struct db *db)
{
	group_db = NULL;
	/* the transaction may be gone already (an I/O error, a full disk) */
	if (!db_in_tx(db))
		return KITH_TEMP;
	if (db->ops->group_close(db) != KITH_OK) {
		db_rollback(db);
		return KITH_TEMP;
	}
	return db_commit(db);
}

void
db_group_rollback(struct db *db)
{
	group_db = NULL;
	db_rollback(db);
}

int
db_tx(struct db *db, db_tx_fn fn, void *ctx, char *err, size_t errlen)
{
	int st;

	if (db_begin(db) != KITH_OK) {
		if (err && errlen)
			snprintf(err, errlen, "%s", DB_BUSY_TEXT);
		return KITH_TEMP;
	}
	if (err && errlen)
		*err = '\0';
	st = fn(db, ctx, err, errlen);
	if (st != KITH_OK) {
		db_rollback(db);
		/* fn words its refusals; a failure it did not word is ours */
		if (err && errlen && *err == '\0')
			snprintf(err, errlen, "%s", st == KITH_TEMP ? DB_BUSY_TEXT :
			    "database error; the log says which");
		return st;
	}
	if (db_commit(db) != KITH_OK) {
		if (err && errlen)
			snprintf(err, errlen, "%s", DB_BUSY_TEXT);
		return KITH_TEMP;
	}
	return KITH_OK;
}

/* ---- statements ---- */

/*
 * db_vbind - bind the arguments.  copy unless the caller's values
 * outlive every step of the statement (db_exec: no copy of a 10 MB post).
 */
static int
db_vbind(struct db_stmt *st, int copy, const char *types, va_list ap)
{
	const struct db_ops *o = st->db->ops;
	int rc = DB_OK;

	for (int i = 1; *types && rc == DB_OK; types++, i++) {
		switch (*types) {
		case 't': {
			const char *s = va_arg(ap, const char *);

			rc = s ? o->bind_text(st, i, s, -1, copy) :
			    o->bind_null(st, i);
			break;
		}
		case 'i':
			rc = o->bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'I':
			rc = o->bind_int64(st, i, va_arg(ap, int));
			break;
		case 'b': {
			const void *p = va_arg(ap, const void *);
			int n = va_arg(ap, int);

			rc = o->bind_blob(st, i, p, n, copy);
			break;
		}
		case 'n':
			rc = o->bind_null(st, i);
			break;
		default:
			return DB_MISUSE;
		}
	}
	return rc;
}

int
db_ids_select(struct db *db, struct db_ids *ids, const char *sql,
    const char *types, ...)
{
	struct db_stmt *st = db_prepare(db, sql);
	va_list ap;
	int rc;

	if (st == NULL)
		return KITH_TEMP;
	va_start(ap, types);
	rc = db_vbind(st, 1, types, ap);
	va_end(ap);
	while (rc == DB_OK && (rc = db_step(st)) == DB_ROW) {
		if (ids->n == ids->cap) {
			ids->cap = ids->cap ? ids->cap * 2 : 16;
			ids->v = xrealloc(ids->v, ids->cap * sizeof(*ids->v));
		}
		ids->v[ids->n++] = db_col_int64(st, 0);
		rc = DB_OK;
	}
	db_finalize(st);
	if (rc != DB_DONE) {
		log_warn("database: select ids: %s", db_errmsg(db));
		return KITH_TEMP;
	}
	return KITH_OK;
}

void
db_ids_release(struct db_ids *ids)
{
	free(ids->v);
	memset(ids, 0, sizeof(*ids));
}

struct db_stmt *
db_prepare(struct db *db, const char *sql)
{
	return db->ops->prepare(db, sql);
}

void
db_finalize(struct db_stmt *st)
{
	if (st == NULL)
		return;
	if (st->kept) {		/* db_cached's: it stays, reset */
		db_cached_done(st);
		return;
	}
	st->db->ops->finalize(st);
}

int
db_bind(struct db_stmt *st, const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = db_vbind(st, 1, types, ap);
	va_end(ap);
	return db_status(rc);
}

int
db_exec(struct db *db, const char *sql, const char *types, ...)
{
	/* prepared once a connection: preparing was 43% of a one-click leave */
	struct db_stmt *st = db_cached(db, sql);
	va_list ap;
	int rc;

	if (st == NULL)
		return KITH_PERM;
	va_start(ap, types);
	/* The statement is reset and unbound before this returns: no copies. */
	rc = db_vbind(st, 0, types, ap);
	va_end(ap);
	if (rc == DB_OK) {
		while ((rc = db_step(st)) == DB_ROW)
			;
	}
	if (rc != DB_DONE && rc != DB_OK)
		log_warn("database: %s", db_errmsg(db));
	db_cached_done(st);
	return db_status(rc);
}

int
db_script(struct db *db, const char *sql)
{
	int rc = db->ops->script(db, sql);

	if (rc != DB_OK)
		log_warn("database: %s", db_errmsg(db));
	return db_status(rc);
}

int64_t
db_int(struct db *db, int64_t def, int *status, const char *sql,
    const char *types, ...)
{
	struct db_stmt *st = db_cached(db, sql);
	int64_t v = def;
	va_list ap;
	int rc;

	if (st == NULL) {
		if (status)
			*status = KITH_PERM;
		return def;
	}
	va_start(ap, types);
	rc = db_vbind(st, 0, types, ap);
	va_end(ap);
	if (rc == DB_OK) {
		rc = db_step(st);
		if (rc == DB_ROW && db_col_type(st, 0) != DB_NULL)
			v = db_col_int64(st, 0);
	}
	if (status)
		*status = db_status(rc);
	db_cached_done(st);
	return v;
}

char *
db_col_text(struct db_stmt *st, int col)
{
	const char *s = db_col_str(st, col);

	return xstrdup(s ? s : "");
}

/* ---- handed to the backend ---- */

const char *
db_errmsg(struct db *db)
{
	return db->ops->errmsg(db);
}

int64_t
db_changes(struct db *db)
{
	return db->ops->changes(db);
}

int64_t
db_last_id(struct db *db)
{
	return db->ops->last_id(db);
}

int
db_bind_text(struct db_stmt *st, int idx, const char *s, int n)
{
	return st->db->ops->bind_text(st, idx, s, n, 0);
}

int
db_bind_blob(struct db_stmt *st, int idx, const void *p, int n)
{
	return st->db->ops->bind_blob(st, idx, p, n, 0);
}

int
db_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
	return st->db->ops->bind_int64(st, idx, v);
}

int
db_bind_int(struct db_stmt *st, int idx, int v)
{
	return st->db->ops->bind_int64(st, idx, v);
}

int
db_bind_null(struct db_stmt *st, int idx)
{
	return st->db->ops->bind_null(st, idx);
}

int
db_step(struct db_stmt *st)
{
	return st->db->ops->step(st);
}

int
db_reset(struct db_stmt *st)
{
	return st->db->ops->reset(st);
}

void
db_clear_bindings(struct db_stmt *st)
{
	st->db->ops->clear_bindings(st);
}

int64_t
db_col_int64(struct db_stmt *st, int col)
{
	return st->db->ops->col_int64(st, col);
}

int
db_col_int(struct db_stmt *st, int col)
{
	return (int)st->db->ops->col_int64(st, col);
}

double
db_col_double(struct db_stmt *st, int col)
{
	return st->db->ops->col_double(st, col);
}

const char *
db_col_str(struct db_stmt *st, int col)
{
	return st->db->ops->col_str(st, col);
}

const void *
db_col_blob(struct db_stmt *st, int col)
{
	return st->db->ops->col_blob(st, col);
}

int
db_col_bytes(struct db_stmt *st, int col)
{
	return st->db->ops->col_bytes(st, col);
}

int
db_col_type(struct db_stmt *st, int col)
{
	return st->db->ops->col_type(st, col);
}

int
db_col_count(struct db_stmt *st)
{
	return st->db->ops->col_count(st);
}

const char *
db_col_name(struct db_stmt *st, int col)
{
	return st->db->ops->col_name(st, col);
}

/* ---- what only some backends have ---- */

void
db_keep_wal(struct db *db, int busy_ms)
{
	if (db->ops->keep_wal)
		db->ops->keep_wal(db, busy_ms);
}

void
db_scrub_later(struct db *db)
{
	if (db->ops->scrub_later)
		db->ops->scrub_later(db);
}

void
db_checkpoint(struct db *db)
{
	if (db->ops->checkpoint)
		db->ops->checkpoint(db);
}

void
db_checkpoint_hook(struct db *db, void (*fn)(void *ctx, int pages),
    void *ctx)
{
	if (db->ops->checkpoint_hook)
		db->ops->checkpoint_hook(db, fn, ctx);
}

int
db_checkpoint_step(struct db *db)
{
	return db->ops->checkpoint_step ? db->ops->checkpoint_step(db) : 0;
}

int
db_secure_delete(struct db *db, int on)
{
	return db->ops->secure_delete ? db->ops->secure_delete(db, on) : 0;
}

int
db_scrub(struct db *db)
{
	return db->ops->scrub ? db->ops->scrub(db) : 1;
}

int
db_search_posts(struct db *db, const struct db_search *q,
    int (*fn)(const struct db_search_hit *, void *), void *ctx)
{
	return db->ops->search_posts(db, q, fn, ctx);
}

int
db_purge_index(struct db *db)
{
	return db->ops->purge_index ? db->ops->purge_index(db) : 0;
}

int
db_copy_to(struct db *db, const char *dst, int pages, int pause_ms,
    void (*in_snapshot)(struct db *, void *), void *ctx, char *err,
    size_t errlen)
{
	if (db->ops->copy_to == NULL) {
		snprintf(err, errlen, "the %s backend is backed up with its "
		    "own tools, not kith backup", db->ops->name);
		return KITH_PERM;
	}
	return db->ops->copy_to(db, dst, pages, pause_ms, in_snapshot, ctx,
	    err, errlen);
}
