/*
 * db - the storage layer's front: what is the same on every backend
 * (statement cache, transactions and group commits, binding by a type
 * string, ids) and the calls of kith/db.h handed to the connection's
 * backend (db_backend.h; sqlite: db_sqlite.c).
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
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

int
db_file_integrity(const char *path, char *problem, size_t len)
{
	return db_sqlite_ops.file_integrity(path, problem, len);
}

/* ---- the statement cache ---- */

struct db_stmt *
db_cached(struct db *db, const char *sql)
{
	struct db_cached_stmt *lru = NULL;
	size_t slot = ((uintptr_t)sql >> 3) & (DB_HASHES - 1);
	unsigned long hash;
	struct db_stmt *st;

	if (db->hashes[slot].sql == sql)
		hash = db->hashes[slot].hash;
	else {
		hash = str_hash(sql);
		db->hashes[slot].sql = sql;
		db->hashes[slot].hash = hash;
	}

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
	db_memo_forget(db);
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

void
db_memo_forget(struct db *db)
{
	for (int i = 0; i < db->nmemo; i++) {
		free(db->memo[i].key);
		free(db->memo[i].value);
	}
	db->nmemo = 0;
}

const char *
db_memo_get(struct db *db, const char *key)
{
	if (db->nmemo == 0 || db != group_db)
		return NULL;
	for (int i = 0; i < db->nmemo; i++)
		if (!strcmp(db->memo[i].key, key))
			return db->memo[i].value;
	return NULL;
}

void
db_memo_put(struct db *db, const char *key, const char *value)
{
	if (db->nmemo == DB_MEMO_MAX || db != group_db)
		return;
	db->memo[db->nmemo].key = xstrdup(key);
	db->memo[db->nmemo].value = xstrdup(value);
	db->nmemo++;
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
db_claim_begin(struct db *db, const char *claimant)
{
	int rc;

	/* inside a group, a claim is one more savepoint of it */
	if (db == group_db || db->ops->claim_begin == NULL)
		return db_begin(db);
	rc = db->ops->claim_begin(db, claimant ? claimant : "");
	if (rc != DB_OK)
		log_warn("database: begin: %s", db_errmsg(db));
	return db_status(rc);
}

int
db_claim_release_dead(struct db *db, const char *claimant)
{
	int rc;

	if (db == group_db || db->ops->claim_release_dead == NULL)
		return KITH_OK;
	rc = db->ops->claim_release_dead(db, claimant ? claimant : "");
	if (rc != DB_OK)
		log_warn("database: claim: %s", db_errmsg(db));
	return db_status(rc);
}

struct db_stmt *
db_claim_prepare(struct db *db, int step, int *end)
{
	const char *const *sql = db->ops->claim_sql;

	*end = 1;
	if (step < 0)
		return NULL;
	/* the array ends with NULL: never read past it */
	for (int i = 0; i < step; i++)
		if (sql[i] == NULL)
			return NULL;
	if (sql[step] == NULL)
		return NULL;
	*end = 0;
	return db_prepare(db, sql[step]);
}

/* note_full - rc (a DB_* code) as it is; a full disk noted for db_take_full */
static int
note_full(struct db *db, int rc)
{
	if ((rc & 0xff) == DB_FULL)
		db->full = 1;
	return rc;
}

int
db_take_full(struct db *db)
{
	int full = db->full;

	db->full = 0;
	return full;
}

int
db_commit(struct db *db)
{
	int rc = note_full(db, db->ops->script(db, db == group_db ?
	    "RELEASE kith" : "COMMIT"));

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
	db_memo_forget(db);
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
	int st;

	group_db = NULL;
	/* the transaction may be gone already (an I/O error, a full disk) */
	if (!db_in_tx(db)) {
		db->defer = 0;
		db_memo_forget(db);
		return KITH_TEMP;
	}
	st = db->ops->group_close(db);
	db->defer = 0;
	db_memo_forget(db);
	if (st != KITH_OK) {
		db_rollback(db);
		return KITH_TEMP;
	}
	return db_commit(db);
}

void
db_group_rollback(struct db *db)
{
	group_db = NULL;
	db->defer = 0;
	db_memo_forget(db);
	db_rollback(db);
}

void
db_group_defer(struct db *db)
{
	db->defer = 1;
}

int
db_deferring(const struct db *db)
{
	return db->defer && db == group_db;
}

int
db_index_queued(struct db *db)
{
	/* a group's close, outside any group (defer unset): everything
	 * queued is indexed */
	return db->ops->group_close(db);
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

/*
 * exec_cached - sql from the connection's cache, bound, stepped to its
 * end; each row's first column into *id when id is not NULL (an
 * INSERT's RETURNING id).  Reset and unbound before this returns.
 */
static int
exec_cached(struct db *db, int64_t *id, const char *sql, const char *types,
    va_list ap)
{
	/* prepared once a connection: preparing was 43% of a one-click leave */
	struct db_stmt *st = db_cached(db, sql);
	int rc;

	if (st == NULL)
		return KITH_PERM;
	rc = db_vbind(st, 0, types, ap);
	if (rc == DB_OK) {
		while ((rc = db_step(st)) == DB_ROW)
			if (id)
				*id = db_col_int64(st, 0);
	}
	if (rc != DB_DONE && rc != DB_OK)
		log_warn("database: %s", db_errmsg(db));
	db_cached_done(st);
	return db_status(rc);
}

int
db_exec(struct db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	int st;

	va_start(ap, types);
	st = exec_cached(db, NULL, sql, types, ap);
	va_end(ap);
	return st;
}

/*
 * db_exec_id - the INSERT's one row of RETURNING id is the id; the
 * statement is stepped to its end like db_exec's.
 */
int
db_exec_id(struct db *db, int64_t *id, const char *sql, const char *types,
    ...)
{
	va_list ap;
	int st;

	va_start(ap, types);
	st = exec_cached(db, id, sql, types, ap);
	va_end(ap);
	return st;
}

int
db_script(struct db *db, const char *sql)
{
	int rc = note_full(db, db->ops->script(db, sql));

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
	return note_full(st->db, st->db->ops->step(st));
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
db_reserve_cache(const char *location)
{
	const struct db_ops *ops = backend_of(location);

	if (ops->reserve_cache)
		ops->reserve_cache();
}

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
db_checkpoint_step(struct db *db, int *done_to)
{
	*done_to = 0;
	return db->ops->checkpoint_step ? db->ops->checkpoint_step(db,
	    done_to) : 0;
}

int
db_sync_later(struct db *db)
{
	return db->ops->sync_later ? db->ops->sync_later(db) : -1;
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

/* ---- a site copied from one database to another (kith migrate) ---- */

const char *
db_backend_name(struct db *db)
{
	return db->ops->name;
}

/* 1 when s is a name that may go into SQL as it is: [a-z0-9_]+ */
static int
db_plain_name(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_'))
			return 0;
	return 1;
}

/* 1 when name is one of list's comma-separated names */
static int
db_name_in(const char *name, const char *list)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p; ) {
		size_t k = strcspn(p, ",");

		if (k == n && !strncmp(p, name, n))
			return 1;
		p += k + (p[k] == ',');
	}
	return 0;
}

/*
 * A table is copied in batches: many rows to an INSERT (a round trip to
 * a server is most of a row's cost; one at a time, a site of 200,000
 * rows took a hundred seconds), up to COPY_ROWS rows, COPY_PARAMS
 * parameters (sqlite takes 32,766, PostgreSQL 65,535) or COPY_BYTES of
 * values.  The values of a batch are copies: the source's row goes at
 * its next step.
 */
#define COPY_ROWS	500
#define COPY_PARAMS	30000
#define COPY_BYTES	(8 << 20)

struct copy_val {
	int type;		/* DB_NULL, DB_INTEGER, DB_TEXT or DB_BLOB */
	int64_t i;
	char *p;		/* text or bytes (malloc'd) */
	int n;
};

struct copy {
	struct db *to;
	const char *table;
	char *cols;		/* "\"a\", \"b\"" */
	int ncol, max_rows, idcol;
	struct copy_val *v;	/* max_rows rows of ncol values */
	int rows;		/* in the batch */
	size_t bytes;
	int64_t first_id, last_id;	/* the batch's, for an error */
	int64_t inserted;	/* rows the flushed batches inserted */
	struct db_stmt *full;	/* the INSERT of max_rows rows, kept */
};

/*
 * copy_start - the batch's columns from sel's first row (names quoted:
 * "by", "at" and "position" are words of SQL); KITH_PERM with a line in
 * err when a name cannot be written plainly.
 */
static int
copy_start(struct copy *c, struct db_stmt *sel, char *err, size_t errlen)
{
	struct buf cols;

	buf_init(&cols);
	c->ncol = db_col_count(sel);
	c->idcol = -1;
	for (int i = 0; i < c->ncol; i++) {
		const char *name = db_col_name(sel, i);

		if (!db_plain_name(name)) {
			snprintf(err, errlen, "table %s: a column named '%s' "
			    "cannot be copied", c->table, name ? name : "");
			buf_release(&cols);
			return KITH_PERM;
		}
		if (!strcmp(name, "id"))
			c->idcol = i;
		buf_addf(&cols, "%s\"%s\"", i ? ", " : "", name);
	}
	c->cols = buf_detach(&cols, NULL);
	c->max_rows = COPY_PARAMS / (c->ncol > 0 ? c->ncol : 1);
	if (c->max_rows > COPY_ROWS)
		c->max_rows = COPY_ROWS;
	c->v = xcalloc((size_t)c->max_rows * (size_t)c->ncol, sizeof(*c->v));
	return KITH_OK;
}

/* copy_insert - the INSERT of rows rows into the table, on c->to */
static struct db_stmt *
copy_insert(struct copy *c, int rows)
{
	struct buf b;
	struct db_stmt *st;
	int k = 0;

	buf_init(&b);
	buf_addf(&b, "INSERT INTO %s (%s) VALUES ", c->table, c->cols);
	for (int r = 0; r < rows; r++) {
		buf_adds(&b, r ? ", (" : "(");
		for (int i = 0; i < c->ncol; i++)
			buf_addf(&b, "%s?%d", i ? ", " : "", ++k);
		buf_addc(&b, ')');
	}
	st = db_prepare(c->to, b.data);
	buf_release(&b);
	return st;
}

/*
 * copy_value - column i of sel's row into v.  A blob column's value is
 * its bytes, whatever the source holds it as (an empty one stays bytes,
 * not NULL); text keeps its length, and is refused when it holds a NUL,
 * which a text column elsewhere would end at (PostgreSQL's cannot hold
 * one); a float goes as its text.  KITH_OK, or KITH_PERM with err set.
 */
static int
copy_value(struct copy *c, struct db_stmt *sel, int i, int blob,
    struct copy_val *v, char *err, size_t errlen)
{
	int type = db_col_type(sel, i);
	const void *p;

	v->type = type == DB_NULL ? DB_NULL : blob ? DB_BLOB : type;
	if (v->type == DB_NULL)
		return KITH_OK;
	if (v->type == DB_INTEGER) {
		v->i = db_col_int64(sel, i);
		return KITH_OK;
	}
	if (v->type == DB_FLOAT) {
		v->type = DB_TEXT;
		v->p = xasprintf("%.17g", db_col_double(sel, i));
		v->n = (int)strlen(v->p);
		return KITH_OK;
	}
	p = db_col_blob(sel, i);
	v->n = db_col_bytes(sel, i);
	if (v->type != DB_BLOB) {
		v->type = DB_TEXT;
		if (v->n > 0 && memchr(p, '\0', (size_t)v->n)) {
			snprintf(err, errlen, "table %s, column %s: text with a "
			    "NUL byte, which the target cannot hold", c->table,
			    db_col_name(sel, i));
			return KITH_PERM;
		}
	}
	v->p = xmalloc((size_t)v->n + 1);
	if (v->n > 0)
		memcpy(v->p, p, (size_t)v->n);
	v->p[v->n] = '\0';
	c->bytes += (size_t)v->n;
	return KITH_OK;
}

static void
copy_clear(struct copy *c)
{
	for (int k = 0; k < c->rows * c->ncol; k++) {
		free(c->v[k].p);
		memset(&c->v[k], 0, sizeof(c->v[k]));
	}
	c->rows = 0;
	c->bytes = 0;
}

/* copy_bind - the batch's values as st's parameters; a DB_* code */
static int
copy_bind(struct copy *c, struct db_stmt *st)
{
	const struct db_ops *o = c->to->ops;
	int rc = DB_OK;

	for (int k = 0; k < c->rows * c->ncol && rc == DB_OK; k++) {
		const struct copy_val *v = &c->v[k];

		switch (v->type) {
		case DB_NULL:
			rc = o->bind_null(st, k + 1);
			break;
		case DB_INTEGER:
			rc = o->bind_int64(st, k + 1, v->i);
			break;
		case DB_BLOB:
			rc = o->bind_blob(st, k + 1, v->p, v->n, 0);
			break;
		default:
			rc = o->bind_text(st, k + 1, v->p, v->n, 0);
		}
	}
	return rc;
}

/*
 * copy_flush - the batch's rows inserted with one statement; KITH_OK,
 * or the status with a line in err naming the table and the rows' ids.
 */
static int
copy_flush(struct copy *c, char *err, size_t errlen)
{
	struct db_stmt *st;
	int rc, full = c->rows == c->max_rows;

	if (c->rows == 0)
		return KITH_OK;
	if (full && c->full == NULL)
		c->full = copy_insert(c, c->rows);
	st = full ? c->full : copy_insert(c, c->rows);
	rc = st ? copy_bind(c, st) : DB_ERROR;
	if (rc == DB_OK)
		while ((rc = db_step(st)) == DB_ROW)
			;
	if (rc == DB_DONE)
		c->inserted += c->rows;
	else {
		char what[80] = "";

		if (c->idcol >= 0)
			snprintf(what, sizeof(what), ", rows with ids %lld to "
			    "%lld", (long long)c->first_id,
			    (long long)c->last_id);
		snprintf(err, errlen, "table %s%s: %s", c->table, what,
		    db_errmsg(c->to));
	}
	if (st && full) {
		db_reset(st);
		db_clear_bindings(st);
	} else
		db_finalize(st);
	copy_clear(c);
	return rc == DB_DONE ? KITH_OK : db_status(rc) == KITH_TEMP ?
	    KITH_TEMP : KITH_PERM;
}

/* copy_row - sel's row into the batch, flushed when it is full */
static int
copy_row(struct copy *c, struct db_stmt *sel, const char *blobs, char *err,
    size_t errlen)
{
	struct copy_val *row = &c->v[(size_t)c->rows * (size_t)c->ncol];
	int st = KITH_OK;

	for (int i = 0; i < c->ncol && st == KITH_OK; i++)
		st = copy_value(c, sel, i, db_name_in(db_col_name(sel, i),
		    blobs), &row[i], err, errlen);
	c->rows++;	/* cleared with the batch, even refused */
	if (st != KITH_OK)
		return st;
	if (c->idcol >= 0) {
		c->last_id = row[c->idcol].i;
		if (c->rows == 1)
			c->first_id = c->last_id;
	}
	if (c->rows == c->max_rows || c->bytes >= COPY_BYTES)
		return copy_flush(c, err, errlen);
	return KITH_OK;
}

int
db_copy_table(struct db *from, struct db *to, const char *table,
    const char *blobs, int64_t *rows, char *err, size_t errlen)
{
	struct copy c;
	struct db_stmt *sel;
	int rc = DB_DONE, st = KITH_OK;
	char *sql;

	*rows = 0;
	if (errlen)
		*err = '\0';
	if (!db_plain_name(table)) {
		snprintf(err, errlen, "'%s' is not a table's name", table);
		return KITH_PERM;
	}
	memset(&c, 0, sizeof(c));
	c.to = to;
	c.table = table;
	sql = xasprintf("SELECT * FROM %s", table);
	sel = db_prepare(from, sql);
	free(sql);
	if (sel == NULL) {
		snprintf(err, errlen, "table %s: %s", table, db_errmsg(from));
		return KITH_PERM;
	}
	while (st == KITH_OK && (rc = db_step(sel)) == DB_ROW) {
		if (c.v == NULL && (st = copy_start(&c, sel, err, errlen)) !=
		    KITH_OK)
			break;
		st = copy_row(&c, sel, blobs, err, errlen);
	}
	if (st == KITH_OK && rc != DB_DONE) {
		snprintf(err, errlen, "table %s: %s", table, db_errmsg(from));
		st = db_status(rc) == KITH_TEMP ? KITH_TEMP : KITH_PERM;
	}
	if (st == KITH_OK)
		st = copy_flush(&c, err, errlen);
	else
		copy_clear(&c);
	*rows = c.inserted;
	db_finalize(c.full);
	db_finalize(sel);
	free(c.v);
	free(c.cols);
	return st;
}

int64_t
db_id_high(struct db *db, const char *table)
{
	int64_t v;
	char *sql;
	int st;

	if (!db_plain_name(table))
		return -1;
	if (db->ops->id_high)
		return db->ops->id_high(db, table);
	sql = xasprintf("SELECT coalesce(max(id), 0) FROM %s", table);
	v = db_int(db, -1, &st, sql, "");
	free(sql);
	return st == KITH_OK ? v : -1;
}

int
db_id_follow(struct db *db, const char *table, int64_t high)
{
	if (!db_plain_name(table))
		return KITH_PERM;
	if (db->ops->id_follow == NULL)
		return KITH_OK;
	return db->ops->id_follow(db, table, high);
}
