/*
 * db_pg - the PostgreSQL storage backend, on libpq ([storage] backend =
 * postgresql in kith.conf; the location config_db_path gives is
 * "postgresql:" followed by a libpq connection string or URI).
 *
 * One libpq connection per struct db.  The schema is db_pg_schema.c's,
 * applied under the writers' lock and versioned in kith_schema.  Writers
 * go one at a time across every host (pg_begin_write); reads see one
 * snapshot between db_read_begin and db_read_end.  What sqlite keeps and
 * PostgreSQL has no use for (checkpoints, the FTS5 queue, erasure of
 * free pages, file backups) is left NULL in the table of operations.
 *
 * Statements are sent with PQexecParams at their first step, not
 * prepared on the server (PQprepare): a statement is one round trip
 * either way (Parse, Bind, Execute and Sync go together), the types of
 * the parameters are those of each run's bindings (an int64 as int8, a
 * blob as bytea, text left for the server to infer), and nothing is
 * left on the server for db_cached to name and drop.  The server
 * parses each run again, which Kith's short statements hardly notice.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "db_backend.h"
#include "db_pg_schema.h"
#include "kith/log.h"
#include "kith/util.h"

#define PG_PREFIX "postgresql:"

/* the type oids Kith reads and sends (pg_type.h, stable since 7.x) */
#define PG_BOOLOID	16
#define PG_BYTEAOID	17
#define PG_INT8OID	20
#define PG_INT2OID	21
#define PG_INT4OID	23
#define PG_OIDOID	26
#define PG_FLOAT4OID	700
#define PG_FLOAT8OID	701
#define PG_NUMERICOID	1700

/*
 * The key of the writers' transaction-scoped advisory lock ("kith"):
 * one constant for every host, so that each write transaction runs
 * alone, as under sqlite's BEGIN IMMEDIATE.
 */
#define PG_WRITE_LOCK 0x6b697468

/* a table's name, and whether it has a column id (pg_has_id) */
struct pg_table {
	char *name;
	int has_id;
};

struct pg {
	struct db base;
	PGconn *h;
	char err[512];		/* the last error, one line */
	int64_t changes, last_id;
	struct pg_table *tables;
	size_t ntables;
};

struct pg_param {
	const char *v;		/* NULL: SQL NULL */
	int len;		/* a blob's bytes */
	int binary;		/* a blob (bytea, sent as it is) */
	unsigned int oid;	/* 0: the server infers it (text) */
	char *own;		/* a copy v points into, or NULL */
	char num[24];		/* an int64 as text */
};

/* a bytea column of the current row, decoded */
struct pg_dec {
	unsigned char *p;	/* NUL-terminated, n bytes before it */
	size_t n;
};

struct pg_stmt {
	struct db_stmt base;
	char *sql;		/* with $N for ? and ?N */
	int nparams;
	struct pg_param *par;
	int returning_id;	/* " RETURNING id" added: its rows are last_id */
	PGresult *res;
	int row, nrows;
	int state;		/* PG_NEW, PG_ROWS, PG_DONE */
	struct pg_dec *dec;	/* PQnfields of them, or NULL */
};

enum { PG_NEW, PG_ROWS, PG_DONE };

#define P(db) ((struct pg *)(db))
#define ST(st) ((struct pg_stmt *)(st))

/* ---- errors ---- */

/*
 * pg_code - a failed result's SQLSTATE as db.h's code: what another
 * writer, a lost connection or a short resource caused is DB_BUSY (try
 * again: KITH_TEMP), a full disk DB_FULL, a refused key DB_CONSTRAINT,
 * anything else DB_ERROR (KITH_PERM).
 */
static int
pg_code(PGconn *h, const PGresult *r)
{
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	if (s == NULL || strlen(s) != 5)
		return PQstatus(h) == CONNECTION_BAD ? DB_BUSY : DB_ERROR;
	if (!strcmp(s, "40001") || !strcmp(s, "40P01") ||	/* serialization, deadlock */
	    !strcmp(s, "55P03") ||				/* lock not available */
	    !strcmp(s, "57P01") || !strcmp(s, "57P02") ||	/* shutdown */
	    !strcmp(s, "57P03") ||				/* cannot connect now */
	    !strncmp(s, "08", 2))				/* connection */
		return DB_BUSY;
	if (!strcmp(s, "53100"))				/* disk full */
		return DB_FULL;
	if (!strncmp(s, "53", 2))				/* out of resources */
		return DB_BUSY;
	/* unique, foreign key, not null, check: sqlite's CONSTRAINT too */
	if (!strncmp(s, "23", 2))
		return DB_CONSTRAINT;
	return DB_ERROR;
}

/* one line of s into p->err: the server's words, never over two lines */
static void
pg_set_err(struct pg *p, const char *s)
{
	size_t n;

	if (s == NULL || *s == '\0')
		s = "unknown PostgreSQL error";
	n = strcspn(s, "\r\n");
	if (n >= sizeof(p->err))
		n = sizeof(p->err) - 1;
	memcpy(p->err, s, n);
	p->err[n] = '\0';
}

/*
 * pg_fail - r failed (or is NULL: no memory, no connection): keep its
 * message and answer its code.
 */
static int
pg_fail(struct pg *p, const PGresult *r)
{
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;

	pg_set_err(p, msg ? msg : PQerrorMessage(p->h));
	return pg_code(p->h, r);
}

/* rows an INSERT, UPDATE, DELETE or MERGE changed: db_changes */
static void
pg_note(struct pg *p, const PGresult *r)
{
	const char *tag = PQcmdStatus((PGresult *)r);

	if (!strncmp(tag, "INSERT ", 7) || !strncmp(tag, "UPDATE ", 7) ||
	    !strncmp(tag, "DELETE ", 7) || !strncmp(tag, "MERGE ", 6))
		p->changes = strtoll(PQcmdTuples((PGresult *)r), NULL, 10);
}

/* a result's status as a code: DB_OK, or the failure's */
static int
pg_result(struct pg *p, const PGresult *r)
{
	switch (PQresultStatus(r)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		pg_note(p, r);
		return DB_OK;
	default:
		return pg_fail(p, r);
	}
}

/* notices (an IF NOT EXISTS that found it) go to the log, never stderr */
static void
pg_notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("database: %.*s", (int)strcspn(message, "\r\n"), message);
}

/* ---- connection ---- */

static int
pg_claims(const char *location)
{
	return !strncmp(location, PG_PREFIX, strlen(PG_PREFIX));
}

static void pg_forget_tables(struct pg *p);

static void
pg_close(struct db *db)
{
	struct pg *p = P(db);

	PQfinish(p->h);
	pg_forget_tables(p);
	free(p);
}

/* the words that start a script run for a transaction, not a change */
static int
pg_tx_word(const char *sql)
{
	static const char *const words[] = { "BEGIN", "COMMIT", "ROLLBACK",
		"SAVEPOINT", "RELEASE", "SET", "SELECT" };

	while (isspace((unsigned char)*sql))
		sql++;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);

		if (!strncasecmp(sql, words[i], n) &&
		    !isalnum((unsigned char)sql[n]) && sql[n] != '_')
			return 1;
	}
	return 0;
}

/*
 * pg_script - sql (';'-separated, no parameters) by the simple protocol.
 * A COMMIT of a transaction that had failed is answered "ROLLBACK" by
 * PostgreSQL, as a success: here it is the failure it is, so that
 * db_commit never tells a caller that what was undone was kept.
 */
static int
pg_script(struct db *db, const char *sql)
{
	struct pg *p = P(db);
	int failed = PQtransactionStatus(p->h) == PQTRANS_INERROR;
	PGresult *r = PQexec(p->h, sql);
	int rc = pg_result(p, r);

	if (rc == DB_OK && failed && !strcmp(PQcmdStatus(r), "ROLLBACK") &&
	    strncasecmp(sql + strspn(sql, " \t\r\n"), "ROLLBACK", 8)) {
		pg_set_err(p, "the transaction had failed: rolled back, not "
		    "committed");
		rc = DB_ERROR;
	}
	PQclear(r);
	/* tables made or changed: which have an id is asked again */
	if (!pg_tx_word(sql))
		pg_forget_tables(p);
	return rc;
}

/* the schema's version in kith_schema: 0 for none yet, -1 on error */
static int
pg_version(struct pg *p)
{
	PGresult *r = PQexec(p->h, "SELECT to_regclass('kith_schema') IS NOT "
	    "NULL");
	int v = -1;

	if (pg_result(p, r) == DB_OK && PQntuples(r) == 1) {
		if (*PQgetvalue(r, 0, 0) != 't')
			v = 0;
		else {
			PQclear(r);
			r = PQexec(p->h, "SELECT coalesce(max(version), 0) FROM "
			    "kith_schema");
			if (pg_result(p, r) == DB_OK && PQntuples(r) == 1)
				v = atoi(PQgetvalue(r, 0, 0));
		}
	}
	PQclear(r);
	return v;
}

static int
pg_schema_version(struct db *db)
{
	return pg_version(P(db));
}

/*
 * pg_migrate_to - apply db_pg_migrations up to schema target, all in one
 * transaction under the writers' lock: hosts that start at once wait
 * for the first, then find the schema made.  db_pg_migrations[0] makes
 * DB_PG_BASE_VERSION at once (sqlite's 1 to 18); [i] makes BASE + i.
 */
static int
pg_migrate_to(struct db *db, int target, char *err, size_t errlen)
{
	struct pg *p = P(db);
	int last = DB_PG_BASE_VERSION + db_pg_nmigrations - 1;
	int version = pg_version(p), st, rc = DB_OK;
	char sql[128];

	if (version < 0) {
		snprintf(err, errlen, "database: cannot read the schema "
		    "version: %s", p->err);
		return KITH_TEMP;
	}
	if (version > last) {
		snprintf(err, errlen, "database: schema version %d is newer "
		    "than this kith (%d); upgrade kith", version, last);
		return KITH_PERM;
	}
	if (target > last)
		target = last;
	if (version >= target)
		return KITH_OK;
	if (target < DB_PG_BASE_VERSION) {
		snprintf(err, errlen, "database: the PostgreSQL schema starts "
		    "at version %d, not %d", DB_PG_BASE_VERSION, target);
		return KITH_PERM;
	}
	if ((st = db_begin(db)) != KITH_OK) {
		snprintf(err, errlen, "database: busy, cannot migrate");
		return st;
	}
	/* another host may have migrated while this one waited */
	if ((rc = pg_script(db, "CREATE TABLE IF NOT EXISTS kith_schema ("
	    "version BIGINT NOT NULL)")) != DB_OK ||
	    (version = pg_version(p)) < 0) {
		snprintf(err, errlen, "database: cannot read the schema "
		    "version: %s", p->err);
		db_rollback(db);
		return rc == DB_OK ? KITH_TEMP : db_status(rc);
	}
	while (version < target) {
		int i = version == 0 ? 0 : version - DB_PG_BASE_VERSION + 1;

		if ((rc = pg_script(db, db_pg_migrations[i])) != DB_OK) {
			snprintf(err, errlen, "database: PostgreSQL migration "
			    "to %d: %s", DB_PG_BASE_VERSION + i, p->err);
			db_rollback(db);
			return db_status(rc);
		}
		version = DB_PG_BASE_VERSION + i;
	}
	snprintf(sql, sizeof(sql), "DELETE FROM kith_schema; INSERT INTO "
	    "kith_schema(version) VALUES (%d)", version);
	if ((rc = pg_script(db, sql)) != DB_OK) {
		snprintf(err, errlen, "database: cannot record the schema "
		    "version: %s", p->err);
		db_rollback(db);
		return db_status(rc);
	}
	if ((st = db_commit(db)) != KITH_OK)
		snprintf(err, errlen, "database: cannot commit the schema "
		    "migration: %s; try again", p->err);
	return st;
}

/*
 * pg_where - where a connection goes, for an error line: host, port,
 * database and user as libpq took them from the DSN (never its
 * password).
 */
static void
pg_where(PGconn *h, char *out, size_t outlen)
{
	const char *host = h ? PQhost(h) : NULL, *port = h ? PQport(h) : NULL;
	const char *dbname = h ? PQdb(h) : NULL, *user = h ? PQuser(h) : NULL;

	snprintf(out, outlen, "host=%s%s%s dbname=%s user=%s",
	    host && *host ? host : "(default)", port && *port ? " port=" : "",
	    port && *port ? port : "", dbname && *dbname ? dbname :
	    "(default)", user && *user ? user : "(default)");
}

static int
pg_open(const char *location, int create, int busy_ms,
    enum db_durability durability, int target, struct db **out, char *err,
    size_t errlen)
{
	const char *dsn = location + strlen(PG_PREFIX);
	struct pg *p;
	PQconninfoOption *opts;
	char *perr = NULL, where[512], set[256];
	int st, version;

	*out = NULL;
	/* a DSN libpq cannot read is the configuration's fault: no retry
	 * (and its text, which may hold a password, is not repeated) */
	if ((opts = PQconninfoParse(dsn, &perr)) == NULL) {
		PQfreemem(perr);
		snprintf(err, errlen, "database: [storage] dsn is not a "
		    "PostgreSQL connection string or URI libpq can read");
		return KITH_PERM;
	}
	PQconninfoFree(opts);
	p = xcalloc(1, sizeof(*p));
	p->base.ops = &db_pg_ops;
	p->h = PQconnectdb(dsn);
	if (p->h == NULL || PQstatus(p->h) != CONNECTION_OK) {
		pg_where(p->h, where, sizeof(where));
		pg_set_err(p, p->h ? PQerrorMessage(p->h) : "out of memory");
		snprintf(err, errlen, "database: cannot connect to PostgreSQL "
		    "(%s): %s", where, p->err);
		pg_close(&p->base);
		return KITH_TEMP;
	}
	PQsetNoticeProcessor(p->h, pg_notice, NULL);
	/*
	 * Times are integer seconds computed in C, and UTC wherever the
	 * database reads one (archive months); lock waits end after
	 * busy_ms as sqlite's busy_timeout does (0 would be "for ever");
	 * DB_FAST commits without waiting for the server's disk, which
	 * survives a kill -9 of Kith and loses the last commits only if
	 * the server itself crashes (sqlite's synchronous=NORMAL).
	 */
	snprintf(set, sizeof(set), "SET client_min_messages=warning; "
	    "SET TimeZone='UTC'; SET bytea_output='hex'; "
	    "SET application_name='kith'; SET lock_timeout='%dms'%s",
	    busy_ms > 0 ? busy_ms : 1, durability == DB_FAST ?
	    "; SET synchronous_commit=off" : "");
	if (pg_script(&p->base, set) != DB_OK) {
		snprintf(err, errlen, "database: PostgreSQL: %s", p->err);
		pg_close(&p->base);
		return KITH_TEMP;
	}
	if (!create && (version = pg_version(p)) <= 0) {
		pg_where(p->h, where, sizeof(where));
		if (version == 0)
			snprintf(err, errlen, "no Kith schema in the PostgreSQL "
			    "database (%s); run 'kith init' first", where);
		else
			snprintf(err, errlen, "database: cannot read the "
			    "schema version: %s", p->err);
		pg_close(&p->base);
		return version == 0 ? KITH_PERM : KITH_TEMP;
	}
	if ((st = pg_migrate_to(&p->base, target, err, errlen)) != KITH_OK) {
		pg_close(&p->base);
		return st;
	}
	*out = &p->base;
	return KITH_OK;
}

static int
pg_in_tx(struct db *db)
{
	switch (PQtransactionStatus(P(db)->h)) {
	case PQTRANS_ACTIVE:
	case PQTRANS_INTRANS:
	case PQTRANS_INERROR:	/* failed: still to be rolled back */
		return 1;
	default:
		return 0;
	}
}

/*
 * pg_begin_write - BEGIN, then the writers' advisory lock: one write
 * transaction at a time across every host sharing the database, the
 * guarantee every module was written for under sqlite's BEGIN IMMEDIATE
 * (a read-then-write, a count checked before an insert, sees no other
 * writer in between).  The wait ends after busy_ms (lock_timeout:
 * 55P03, DB_BUSY).  It is released by COMMIT or ROLLBACK.  (The
 * delivery claims are to take rows with FOR UPDATE SKIP LOCKED instead,
 * so that many hosts deliver at once.)
 */
static int
pg_begin_write(struct db *db)
{
	struct pg *p = P(db);
	char sql[96], keep[sizeof(p->err)];
	int rc;

	snprintf(sql, sizeof(sql), "BEGIN; SELECT pg_advisory_xact_lock(%d)",
	    PG_WRITE_LOCK);
	rc = pg_script(db, sql);
	if (rc != DB_OK && PQtransactionStatus(p->h) != PQTRANS_IDLE) {
		/* no caller rolls back a begin that failed */
		memcpy(keep, p->err, sizeof(keep));
		PQclear(PQexec(p->h, "ROLLBACK"));
		memcpy(p->err, keep, sizeof(keep));
	}
	return rc;
}

/* one snapshot for every query until db_read_end, taken now */
static int
pg_read_begin(struct db *db)
{
	return pg_script(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
	    "SELECT 1");
}

/* the archive's search index is the schema's: nothing to queue */
static int
pg_group_open(struct db *db)
{
	(void)db;
	return KITH_OK;
}

static int
pg_group_close(struct db *db)
{
	(void)db;
	return KITH_OK;
}

static const char *
pg_errmsg(struct db *db)
{
	struct pg *p = P(db);

	return *p->err ? p->err : "not an error";
}

static int64_t
pg_changes(struct db *db)
{
	return P(db)->changes;
}

static int64_t
pg_last_id(struct db *db)
{
	return P(db)->last_id;
}

/* ---- which tables have an id (RETURNING id for db_last_id) ---- */

static void
pg_forget_tables(struct pg *p)
{
	for (size_t i = 0; i < p->ntables; i++)
		free(p->tables[i].name);
	free(p->tables);
	p->tables = NULL;
	p->ntables = 0;
}

/* every table of the current schema, and whether it has a column id */
static void
pg_load_tables(struct pg *p)
{
	PGresult *r = PQexec(p->h, "SELECT c.relname, bool_or(a.attname="
	    "'id') FROM pg_class c JOIN pg_attribute a ON a.attrelid=c.oid "
	    "WHERE c.relnamespace=current_schema()::regnamespace AND "
	    "c.relkind IN ('r', 'p') AND a.attnum>0 AND NOT a.attisdropped "
	    "GROUP BY c.relname");

	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		pg_forget_tables(p);
		p->ntables = (size_t)PQntuples(r);
		p->tables = xcalloc(p->ntables ? p->ntables : 1,
		    sizeof(*p->tables));
		for (size_t i = 0; i < p->ntables; i++) {
			p->tables[i].name = xstrdup(PQgetvalue(r, (int)i, 0));
			p->tables[i].has_id = *PQgetvalue(r, (int)i, 1) == 't';
		}
	}
	PQclear(r);
}

/* 1 when table has a column id: 0 when not, or not known */
static int
pg_has_id(struct pg *p, const char *table)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < p->ntables; i++)
			if (!strcmp(p->tables[i].name, table))
				return p->tables[i].has_id;
		if (pass == 0)
			pg_load_tables(p);
	}
	return 0;
}

/*
 * pg_insert_table - the table sql inserts into ("INSERT INTO name"),
 * folded to lower case as PostgreSQL folds it; 0 when sql is no plain
 * INSERT.
 */
static int
pg_insert_table(const char *sql, char *out, size_t outlen)
{
	const char *s = sql + strspn(sql, " \t\r\n"), *e;
	size_t n = 0;

	if (strncasecmp(s, "INSERT", 6) || !isspace((unsigned char)s[6]))
		return 0;
	s += 6;
	s += strspn(s, " \t\r\n");
	if (strncasecmp(s, "INTO", 4) || !isspace((unsigned char)s[4]))
		return 0;
	s += 4;
	s += strspn(s, " \t\r\n");
	for (;;) {
		e = s;
		while (isalnum((unsigned char)*e) || *e == '_')
			e++;
		if (*e != '.')
			break;
		s = e + 1;	/* schema.table: the table */
	}
	if (e == s || (size_t)(e - s) >= outlen)
		return 0;
	for (; s < e; s++)
		out[n++] = (char)tolower((unsigned char)*s);
	out[n] = '\0';
	return 1;
}

/* ---- statements ---- */

/* the length of a dollar quote's tag at s ("$$", "$tag$"), or 0 */
static size_t
pg_dollar_tag(const char *s)
{
	size_t n = 1;

	if (s[1] == '$')
		return 2;
	if (!isalpha((unsigned char)s[1]) && s[1] != '_')
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return s[n] == '$' ? n + 1 : 0;
}

/*
 * pg_indexed_by - the length of sqlite's planner hint "INDEXED BY name"
 * at s, or 0.  The hint names the index sqlite is to walk (the delivery
 * claim's outbox_state_id); PostgreSQL's planner chooses its own and
 * has no such words, so the backend leaves them out.
 */
static size_t
pg_indexed_by(const char *s)
{
	const char *e = s + 7;

	if (strncasecmp(s, "INDEXED", 7) || !isspace((unsigned char)*e))
		return 0;
	e += strspn(e, " \t\r\n");
	if (strncasecmp(e, "BY", 2) || !isspace((unsigned char)e[2]))
		return 0;
	e += 2;
	e += strspn(e, " \t\r\n");
	if (!isalpha((unsigned char)*e) && *e != '_')
		return 0;
	while (isalnum((unsigned char)*e) || *e == '_')
		e++;
	return (size_t)(e - s);
}

/*
 * pg_rewrite - sql with sqlite's parameters, ? and ?N, written as
 * PostgreSQL's $N (a bare ? is one more than the largest before it, as
 * sqlite numbers it); string literals ('', E'' with its backslashes),
 * quoted identifiers, dollar quotes and comments are copied as they
 * are; sqlite's "INDEXED BY index" is left out.  *nparams: the largest number; *returning: the word RETURNING
 * was seen outside them.
 */
static char *
pg_rewrite(const char *sql, int *nparams, int *returning)
{
	struct buf b;
	const char *s = sql;
	int max = 0;

	buf_init(&b);
	*returning = 0;
	while (*s) {
		if (*s == '\'' || *s == '"') {
			char q = *s;
			int esc = q == '\'' && s > sql && (s[-1] == 'E' ||
			    s[-1] == 'e') && (s - 1 == sql ||
			    (!isalnum((unsigned char)s[-2]) && s[-2] != '_'));
			const char *e = s + 1;

			for (; *e; e++) {
				if (esc && *e == '\\' && e[1]) {
					e++;
					continue;
				}
				if (*e == q) {
					if (e[1] == q) {	/* '' inside */
						e++;
						continue;
					}
					break;
				}
			}
			if (*e)
				e++;
			buf_add(&b, s, (size_t)(e - s));
			s = e;
		} else if (s[0] == '-' && s[1] == '-') {
			size_t n = strcspn(s, "\n");

			buf_add(&b, s, n);
			s += n;
		} else if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");

			e = e ? e + 2 : s + strlen(s);
			buf_add(&b, s, (size_t)(e - s));
			s = e;
		} else if (*s == '$' && pg_dollar_tag(s)) {
			size_t tag = pg_dollar_tag(s);
			char *t = xstrndup(s, tag);
			const char *e = strstr(s + tag, t);

			e = e ? e + tag : s + strlen(s);
			free(t);
			buf_add(&b, s, (size_t)(e - s));
			s = e;
		} else if (*s == '?' || (*s == '$' &&
		    isdigit((unsigned char)s[1]))) {
			char *end;
			long n = strtol(s + 1, &end, 10);

			if (end == s + 1)	/* a bare ?: the next one */
				n = max + 1;
			if (n > max)
				max = (int)n;
			buf_addf(&b, "$%ld", n);
			s = end;
		} else if (isalpha((unsigned char)*s) || *s == '_') {
			const char *e = s;
			size_t hint;

			while (isalnum((unsigned char)*e) || *e == '_' ||
			    *e == '$')
				e++;
			if (e - s == 9 && !strncasecmp(s, "RETURNING", 9))
				*returning = 1;
			if (e - s == 7 && (hint = pg_indexed_by(s)) > 0) {
				s += hint;	/* sqlite's planner hint: none here */
				continue;
			}
			buf_add(&b, s, (size_t)(e - s));
			s = e;
		} else
			buf_addc(&b, *s++);
	}
	*nparams = max;
	return buf_detach(&b, NULL);
}

/*
 * pg_prepare - the statement, kept to be sent at its first step.  An
 * INSERT into a table with a column id, without a RETURNING of its own,
 * gets RETURNING id: db_last_id is the id of the row it inserted, as
 * sqlite's last_insert_rowid (the one given, or the identity's; none
 * for an ON CONFLICT that did nothing, the last of many; never a
 * trigger's), in the same round trip.  lastval() would need one more,
 * names the last sequence any trigger touched, and fails (ending the
 * transaction) where no sequence was used.
 */
static struct db_stmt *
pg_prepare(struct db *db, const char *sql)
{
	struct pg_stmt *st = xcalloc(1, sizeof(*st));
	char table[128];
	int returning;

	st->base.db = db;
	st->sql = pg_rewrite(sql, &st->nparams, &returning);
	if (st->nparams > 32767) {	/* PostgreSQL's limit */
		pg_set_err(P(db), "too many SQL parameters");
		log_error("database: prepare: %s", P(db)->err);
		free(st->sql);
		free(st);
		return NULL;
	}
	st->par = xcalloc((size_t)st->nparams + 1, sizeof(*st->par));
	st->row = -1;
	if (!returning && pg_insert_table(st->sql, table, sizeof(table)) &&
	    pg_has_id(P(db), table)) {
		size_t n = strlen(st->sql);

		while (n > 0 && (isspace((unsigned char)st->sql[n - 1]) ||
		    st->sql[n - 1] == ';'))
			n--;
		st->sql[n] = '\0';
		/* on a line of its own: after a -- comment too */
		st->sql = xrealloc(st->sql, n + sizeof("\nRETURNING id"));
		memcpy(st->sql + n, "\nRETURNING id", sizeof("\nRETURNING id"));
		st->returning_id = 1;
	}
	return &st->base;
}

/* the decoded bytea columns of the row go */
static void
pg_dec_free(struct pg_stmt *st)
{
	if (st->dec == NULL)
		return;
	for (int i = 0; st->res && i < PQnfields(st->res); i++)
		free(st->dec[i].p);
	free(st->dec);
	st->dec = NULL;
}

static int
pg_reset(struct db_stmt *sb)
{
	struct pg_stmt *st = ST(sb);

	pg_dec_free(st);
	PQclear(st->res);
	st->res = NULL;
	st->row = -1;
	st->nrows = 0;
	st->state = PG_NEW;
	return DB_OK;
}

static void
pg_param_clear(struct pg_param *par)
{
	free(par->own);
	memset(par, 0, sizeof(*par));
}

static void
pg_clear_bindings(struct db_stmt *sb)
{
	struct pg_stmt *st = ST(sb);

	for (int i = 0; i < st->nparams; i++)
		pg_param_clear(&st->par[i]);
}

static void
pg_finalize(struct db_stmt *sb)
{
	struct pg_stmt *st = ST(sb);

	pg_reset(sb);
	pg_clear_bindings(sb);
	free(st->par);
	free(st->sql);
	free(st);
}

/* parameter idx (from 1), cleared for a new value; NULL out of range */
static struct pg_param *
pg_param(struct db_stmt *sb, int idx)
{
	struct pg_stmt *st = ST(sb);

	if (idx < 1 || idx > st->nparams) {
		pg_set_err(P(sb->db), "SQL parameter index out of range");
		return NULL;
	}
	pg_param_clear(&st->par[idx - 1]);
	return &st->par[idx - 1];
}

static int
pg_bind_null(struct db_stmt *sb, int idx)
{
	return pg_param(sb, idx) ? DB_OK : DB_MISUSE;
}

/* text goes as text, its type left to the server (a number written as
 * text still fills a BIGINT column); copied unless it is the caller's
 * NUL-terminated string, kept */
static int
pg_bind_text(struct db_stmt *sb, int idx, const char *s, int n, int copy)
{
	struct pg_param *par = pg_param(sb, idx);

	if (par == NULL)
		return DB_MISUSE;
	if (s == NULL)
		return DB_OK;
	if (n < 0 && !copy)
		par->v = s;
	else
		par->v = par->own = xstrndup(s, n < 0 ? strlen(s) : (size_t)n);
	return DB_OK;
}

static int
pg_bind_blob(struct db_stmt *sb, int idx, const void *p, int n, int copy)
{
	struct pg_param *par = pg_param(sb, idx);

	if (par == NULL || n < 0)
		return DB_MISUSE;
	if (p == NULL)
		return DB_OK;	/* NULL, as sqlite binds it */
	if (copy) {
		par->own = xmalloc((size_t)n + 1);
		memcpy(par->own, p, (size_t)n);
		par->v = par->own;
	} else
		par->v = p;
	par->len = n;
	par->binary = 1;
	par->oid = PG_BYTEAOID;
	return DB_OK;
}

static int
pg_bind_int64(struct db_stmt *sb, int idx, int64_t v)
{
	struct pg_param *par = pg_param(sb, idx);

	if (par == NULL)
		return DB_MISUSE;
	snprintf(par->num, sizeof(par->num), "%lld", (long long)v);
	par->v = par->num;
	par->oid = PG_INT8OID;
	return DB_OK;
}

/*
 * pg_run - send the statement with its bindings; its rows are kept
 * until reset.  An added RETURNING id's rows are db_last_id's, not the
 * caller's: the statement is done.
 */
static int
pg_run(struct pg_stmt *st)
{
	struct pg *p = P(st->base.db);
	int n = st->nparams, rc;
	const char **values = xcalloc((size_t)n + 1, sizeof(*values));
	int *lengths = xcalloc((size_t)n + 1, sizeof(*lengths));
	int *formats = xcalloc((size_t)n + 1, sizeof(*formats));
	Oid *types = xcalloc((size_t)n + 1, sizeof(*types));
	PGresult *r;

	for (int i = 0; i < n; i++) {
		values[i] = st->par[i].v;
		lengths[i] = st->par[i].len;
		formats[i] = st->par[i].binary;
		types[i] = st->par[i].oid;
	}
	r = PQexecParams(p->h, st->sql, n, types, values, lengths, formats, 0);
	free(values);
	free(lengths);
	free(formats);
	free(types);
	st->state = PG_DONE;
	if ((rc = pg_result(p, r)) != DB_OK) {
		PQclear(r);
		return rc;
	}
	if (st->returning_id) {
		int rows = PQntuples(r);

		if (rows > 0)
			p->last_id = strtoll(PQgetvalue(r, rows - 1, 0), NULL,
			    10);
		PQclear(r);
		return DB_DONE;
	}
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return DB_DONE;
	}
	st->res = r;	/* kept, with no rows too: col_count, col_name */
	st->nrows = PQntuples(r);
	st->row = 0;
	if (st->nrows == 0)
		return DB_DONE;
	st->state = PG_ROWS;
	return DB_ROW;
}

static int
pg_step(struct db_stmt *sb)
{
	struct pg_stmt *st = ST(sb);

	if (st->state == PG_DONE)	/* run again, as sqlite does */
		pg_reset(sb);
	if (st->state == PG_NEW)
		return pg_run(st);
	pg_dec_free(st);
	if (++st->row < st->nrows)
		return DB_ROW;
	st->state = PG_DONE;
	return DB_DONE;
}

/* ---- columns ---- */

/* 1 when col of the current row is there (and not NULL) */
static int
pg_has(struct pg_stmt *st, int col)
{
	return st->res && st->state == PG_ROWS && col >= 0 &&
	    col < PQnfields(st->res) && st->row < st->nrows &&
	    !PQgetisnull(st->res, st->row, col);
}

/* a bytea column decoded (kept until the next step, reset or finalize) */
static struct pg_dec *
pg_bytea(struct pg_stmt *st, int col)
{
	struct pg_dec *d;
	unsigned char *raw;
	size_t n = 0;

	if (st->dec == NULL)
		st->dec = xcalloc((size_t)PQnfields(st->res), sizeof(*st->dec));
	d = &st->dec[col];
	if (d->p)
		return d;
	raw = PQunescapeBytea((const unsigned char *)PQgetvalue(st->res,
	    st->row, col), &n);
	d->p = xmalloc(n + 1);
	if (raw)
		memcpy(d->p, raw, n);
	else
		n = 0;	/* no memory: libpq's malloc failed */
	d->p[n] = '\0';
	d->n = n;
	PQfreemem(raw);
	return d;
}

static int
pg_col_type(struct db_stmt *sb, int col)
{
	struct pg_stmt *st = ST(sb);

	if (!pg_has(st, col))
		return DB_NULL;
	switch (PQftype(st->res, col)) {
	case PG_INT2OID:
	case PG_INT4OID:
	case PG_INT8OID:
	case PG_OIDOID:
	case PG_BOOLOID:	/* sqlite has none: its booleans are 0 and 1 */
		return DB_INTEGER;
	case PG_FLOAT4OID:
	case PG_FLOAT8OID:
	case PG_NUMERICOID:
		return DB_FLOAT;
	case PG_BYTEAOID:
		return DB_BLOB;
	default:
		return DB_TEXT;
	}
}

static const char *
pg_col_str(struct db_stmt *sb, int col)
{
	struct pg_stmt *st = ST(sb);

	if (!pg_has(st, col))
		return NULL;
	if (PQftype(st->res, col) == PG_BYTEAOID)
		return (const char *)pg_bytea(st, col)->p;
	return PQgetvalue(st->res, st->row, col);
}

static const void *
pg_col_blob(struct db_stmt *sb, int col)
{
	return pg_col_str(sb, col);
}

static int
pg_col_bytes(struct db_stmt *sb, int col)
{
	struct pg_stmt *st = ST(sb);

	if (!pg_has(st, col))
		return 0;
	if (PQftype(st->res, col) == PG_BYTEAOID)
		return (int)pg_bytea(st, col)->n;
	return PQgetlength(st->res, st->row, col);
}

static double
pg_col_double(struct db_stmt *sb, int col)
{
	const char *s = pg_col_str(sb, col);

	if (s == NULL)
		return 0;
	if (PQftype(ST(sb)->res, col) == PG_BOOLOID)
		return *s == 't';
	return strtod(s, NULL);
}

static int64_t
pg_col_int64(struct db_stmt *sb, int col)
{
	const char *s = pg_col_str(sb, col);

	if (s == NULL)
		return 0;
	switch (PQftype(ST(sb)->res, col)) {
	case PG_BOOLOID:
		return *s == 't';
	case PG_FLOAT4OID:
	case PG_FLOAT8OID:
	case PG_NUMERICOID:
		return (int64_t)strtod(s, NULL);	/* sqlite truncates */
	default:
		return strtoll(s, NULL, 10);
	}
}

static int
pg_col_count(struct db_stmt *sb)
{
	return ST(sb)->res ? PQnfields(ST(sb)->res) : 0;
}

static const char *
pg_col_name(struct db_stmt *sb, int col)
{
	struct pg_stmt *st = ST(sb);

	if (st->res == NULL || col < 0 || col >= PQnfields(st->res))
		return NULL;
	return PQfname(st->res, col);
}

const struct db_ops db_pg_ops = {
	.name = "postgresql",
	.claims = pg_claims,
	.open = pg_open,
	.close = pg_close,
	.migrate_to = pg_migrate_to,
	.schema_version = pg_schema_version,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_int64 = pg_bind_int64,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.reset = pg_reset,
	.clear_bindings = pg_clear_bindings,
	.col_int64 = pg_col_int64,
	.col_double = pg_col_double,
	.col_str = pg_col_str,
	.col_blob = pg_col_blob,
	.col_bytes = pg_col_bytes,
	.col_type = pg_col_type,
	.col_count = pg_col_count,
	.col_name = pg_col_name,
	.errmsg = pg_errmsg,
	.changes = pg_changes,
	.last_id = pg_last_id,
	.in_tx = pg_in_tx,
	.script = pg_script,
	.begin_write = pg_begin_write,
	.read_begin = pg_read_begin,
	.group_open = pg_group_open,
	.group_close = pg_group_close,
	.search_posts = db_pg_search_posts,
	/* checkpoints, erasure of free pages and file backups: PostgreSQL
	 * does its own (VACUUM, pg_dump, replication) */
};
