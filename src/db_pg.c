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

/*
 * The class of the delivery claimants' session-level advisory locks
 * (pg_claim_begin): key (PG_OWNER_LOCK, hashtext(claimant)), two int4
 * keys, which never meet the writers' single int8 key.
 */
#define PG_OWNER_LOCK 0x6b697468

struct pg {
	struct db base;
	PGconn *h;
	char err[512];		/* the last error, one line */
	int64_t changes;
	char *owner;		/* the claimant held for this session */
	int64_t clock;		/* the session's kith.now, 0: not set yet */
	int64_t dead_seen;	/* when pg_release_dead last looked, 0: never */
	char *session;		/* the session's settings (pg_open), again
				 * on a connection made again (pg_revive) */
	int in_tx;		/* a transaction was open when last seen */
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
	/* what pg_revive goes by once the connection is gone */
	switch (PQtransactionStatus(p->h)) {
	case PQTRANS_IDLE:
		p->in_tx = 0;
		break;
	case PQTRANS_INTRANS:
	case PQTRANS_INERROR:
		p->in_tx = 1;
		break;
	default:
		break;
	}
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

static void
pg_close(struct db *db)
{
	struct pg *p = P(db);

	PQfinish(p->h);
	free(p->owner);
	free(p->session);
	free(p);
}

/*
 * pg_revive - before a statement (sql: its text, NULL for one with
 * parameters): 0 to send it, 1 when it is the ROLLBACK of a transaction
 * the connection took with it (done), -1 when it cannot go (p->err).
 * A connection the server dropped (restarted, failed over to a standby
 * at the same address, a backend terminated) is made again, with the
 * session's settings, when no transaction was open on it: kith serve's
 * connections live for weeks, and every request after a restart of the
 * server failed until kith serve was restarted too.  The statement that
 * finds the connection gone fails (DB_BUSY: try again); the next one
 * goes.  A transaction open on it is lost with it: its statements fail
 * until the caller's ROLLBACK, never run outside it.
 */
static int
pg_revive(struct pg *p, const char *sql)
{
	PGresult *r;
	int rc;

	if (PQstatus(p->h) != CONNECTION_BAD)
		return 0;
	if (p->in_tx) {
		if (sql && !strcasecmp(sql, "ROLLBACK")) {
			p->in_tx = 0;
			return 1;
		}
		pg_set_err(p, "the connection to PostgreSQL was lost with the "
		    "transaction");
		return -1;
	}
	PQreset(p->h);
	if (PQstatus(p->h) != CONNECTION_OK) {
		pg_set_err(p, PQerrorMessage(p->h));
		return -1;
	}
	/* what the session held went with it */
	free(p->owner);
	p->owner = NULL;
	p->clock = 0;
	p->dead_seen = 0;
	r = PQexec(p->h, p->session);
	rc = pg_result(p, r);
	PQclear(r);
	if (rc != DB_OK)
		return -1;
	log_info("database: the connection to PostgreSQL was lost: made "
	    "again");
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
	int failed, rc;
	PGresult *r;

	if ((rc = pg_revive(p, sql)) != 0)
		return rc > 0 ? DB_OK : DB_BUSY;
	failed = PQtransactionStatus(p->h) == PQTRANS_INERROR;
	r = PQexec(p->h, sql);
	rc = pg_result(p, r);

	if (rc == DB_OK && failed && !strcmp(PQcmdStatus(r), "ROLLBACK") &&
	    strncasecmp(sql + strspn(sql, " \t\r\n"), "ROLLBACK", 8)) {
		pg_set_err(p, "the transaction had failed: rolled back, not "
		    "committed");
		rc = DB_ERROR;
	}
	PQclear(r);
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
		snprintf(err, errlen, "database: the dsn is not a PostgreSQL "
		    "connection string or URI libpq can read");
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
	p->session = xstrdup(set);
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
	/* gone with the connection: open until the caller's ROLLBACK */
	if (PQstatus(P(db)->h) == CONNECTION_BAD)
		return P(db)->in_tx;
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
 * delivery claims take rows with FOR UPDATE SKIP LOCKED instead,
 * pg_claim_begin, so that many hosts deliver at once.)
 */
/*
 * pg_undo_begin - after a begin (or a claim's first steps) that failed
 * with rc: the transaction rolled back, since no caller rolls back a
 * begin that failed, and the error kept for the caller.
 */
static void
pg_undo_begin(struct pg *p, int rc)
{
	char keep[sizeof(p->err)];

	if (rc == DB_OK || PQtransactionStatus(p->h) == PQTRANS_IDLE)
		return;
	memcpy(keep, p->err, sizeof(keep));
	PQclear(PQexec(p->h, "ROLLBACK"));
	p->in_tx = 0;	/* as pg_revive must see it */
	memcpy(p->err, keep, sizeof(keep));
}

static int
pg_begin_write(struct db *db)
{
	struct pg *p = P(db);
	char sql[160];
	int rc;

	/* kith.now for this transaction's triggers: see pg_clock_set */
	snprintf(sql, sizeof(sql), "BEGIN; SELECT pg_advisory_xact_lock(%d); "
	    "SELECT set_config('kith.now', '%lld', true)", PG_WRITE_LOCK,
	    (long long)now_utc());
	rc = pg_script(db, sql);
	pg_undo_begin(p, rc);
	return rc;
}

/* ---- the delivery queue's claim (db_claim_begin, db_claim_prepare) ---- */

/*
 * As sqlite's are, the rows of killed runs are found through their
 * lease, oldest first, retries and new rows in id order, each through
 * an index of the rows in that state only (schema 20).  Each is locked
 * as it is found; a row another claim holds is passed over, not waited
 * for (SKIP LOCKED), so that claims on any number of hosts run at once
 * and take disjoint rows.  Under READ COMMITTED a row another claim changed while this
 * one looked is read again before it is locked: one already 'sending'
 * is not taken twice.
 */
#define PG_CLAIM_SET "UPDATE outbox SET state='sending', " \
	"lease_until=?1 + ?2, attempts=attempts+1, updated=?1, " \
	"claimed_by=?4 WHERE id IN (SELECT id FROM outbox "
#define PG_CLAIM_END " LIMIT ?3 FOR UPDATE SKIP LOCKED) " \
	"RETURNING id, message_id, rcpt, attempts, coalesce(member_id, 0)"

static const char *const pg_claim_sql[] = {
	PG_CLAIM_SET "WHERE state='sending' AND lease_until<?1 "
	    "ORDER BY lease_until, id" PG_CLAIM_END,
	PG_CLAIM_SET "WHERE state='deferred' AND next_try<=?1 ORDER BY id"
	    PG_CLAIM_END,
	PG_CLAIM_SET "WHERE state='pending' AND next_try<=?1 ORDER BY id"
	    PG_CLAIM_END,
	NULL
};

/* one statement with text parameters: a DB_* code, the rows in *out
 * (NULL: cleared) */
static int
pg_exec_params(struct pg *p, const char *sql, int n, const char *const *v,
    PGresult **out)
{
	PGresult *r;
	int rc;

	if (pg_revive(p, NULL) != 0)
		return DB_BUSY;
	r = PQexecParams(p->h, sql, n, NULL, v, NULL, NULL, 0);
	rc = pg_result(p, r);
	if (out && rc == DB_OK)
		*out = r;
	else
		PQclear(r);
	return rc;
}

/*
 * pg_hold_owner - this session holds claimant's advisory lock until it
 * ends: while it is held no other session can take it, and when the
 * session ends (the process exits or is killed, its host dies and the
 * server drops the connection) the server releases it, which tells
 * every other host that the rows claimed in that name are nobody's.
 * Two claimants whose names hash alike cannot both hold it: the later
 * one does not claim (DB_BUSY) rather than have its rows look dead.
 */
static int
pg_hold_owner(struct pg *p, const char *claimant)
{
	char sql[128];
	const char *v[1] = { claimant };
	PGresult *r = NULL;
	int rc;

	if (p->owner && !strcmp(p->owner, claimant))
		return DB_OK;
	if (p->owner) {
		const char *old[1] = { p->owner };

		snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%d, "
		    "hashtext($1))", PG_OWNER_LOCK);
		if ((rc = pg_exec_params(p, sql, 1, old, NULL)) != DB_OK)
			return rc;
		free(p->owner);
		p->owner = NULL;
	}
	snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%d, "
	    "hashtext($1))", PG_OWNER_LOCK);
	if ((rc = pg_exec_params(p, sql, 1, v, &r)) != DB_OK)
		return rc;
	if (PQntuples(r) != 1 || *PQgetvalue(r, 0, 0) != 't') {
		PQclear(r);
		pg_set_err(p, "another delivery session holds the lock of "
		    "this claimant's name");
		return DB_BUSY;
	}
	PQclear(r);
	p->owner = xstrdup(claimant);
	return DB_OK;
}

/*
 * How often a session looks for the rows of dead sessions, in seconds:
 * the look reads every 'sending' entry of the queue's index, the dead
 * ones of rows since sent included (8 ms a claim at the end of a
 * 100,000-row fan-out when every claim looked).  A killed host's rows
 * wait at most this long, not their lease.
 */
#define PG_DEAD_EVERY 2

/*
 * pg_release_dead - inside the claim's transaction: the rows still
 * 'sending' in the name of a claimant whose lock this session can take
 * belong to a session that is gone, and are claimable now (lease 0).
 * The lock taken to look is the transaction's (released at its end);
 * a claimant alive keeps its rows, as does one whose name is "".
 * A session's first claim looks, then one every PG_DEAD_EVERY seconds.
 */
static int
pg_release_dead(struct pg *p, const char *claimant)
{
	char sql[512];
	const char *v[1] = { claimant };
	int64_t now = now_utc();
	int rc;

	if (p->dead_seen && now >= p->dead_seen && now - p->dead_seen <
	    PG_DEAD_EVERY)
		return DB_OK;
	p->dead_seen = now;

	snprintf(sql, sizeof(sql), "UPDATE outbox SET lease_until=0, "
	    "claimed_by='' WHERE state='sending' AND claimed_by IN (SELECT c "
	    "FROM (SELECT DISTINCT claimed_by AS c FROM outbox WHERE "
	    "state='sending' AND claimed_by<>'' AND claimed_by<>$1) o WHERE "
	    "pg_try_advisory_xact_lock(%d, hashtext(c)))", PG_OWNER_LOCK);
	if ((rc = pg_exec_params(p, sql, 1, v, NULL)) != DB_OK)
		return rc;
	if (p->changes > 0)
		log_info("deliver: %lld messages claimed by a delivery run "
		    "whose database session is gone go back to the queue",
		    (long long)p->changes);
	return DB_OK;
}

/*
 * pg_claim_release_dead - inside the claim's transaction, after this
 * host's delivery journals were read (outbox_claim): the rows of dead
 * sessions released (pg_release_dead); rolled back on failure.
 */
static int
pg_claim_release_dead(struct db *db, const char *claimant)
{
	struct pg *p = P(db);
	int rc = pg_release_dead(p, claimant);

	pg_undo_begin(p, rc);
	p->changes = 0;
	return rc;
}

/*
 * pg_claim_begin - the claim's transaction: BEGIN without the writers'
 * lock (its rows are locked one by one), claimant held for the session
 * first; the rows of dead sessions are released after this host's
 * journals were read (pg_claim_release_dead).  What else the
 * writers' lock orders is untouched by a claim: it changes only outbox
 * rows that are due, and a writer that changes such rows (a post
 * removed, an address forgotten) waits for their row locks and reads
 * them again, as if it came after the claim.
 *
 * Sorting is off for the claim's statements: the rows are read in id
 * order through the index of their state and the first batch_size
 * taken.
 * The planner's statistics date from before the fan-out that queued
 * the rows (never, on a new site, or a table whose rows were all sent),
 * so it believed a few hundred were pending and, for each claim, read
 * all of them (51,500 in the middle of a 100,000-row fan-out) to sort
 * them by id: 20 ms of a 41 ms claim, a little more at each claim.
 */
static int
pg_claim_begin(struct db *db, const char *claimant)
{
	struct pg *p = P(db);
	int rc = DB_OK;

	if (*claimant)
		rc = pg_hold_owner(p, claimant);
	if (rc == DB_OK)
		rc = pg_script(db, "BEGIN; SET LOCAL enable_sort = off");
	pg_undo_begin(p, rc);
	p->changes = 0;
	return rc;
}

/*
 * pg_clock_set - Kith's clock into the session's setting kith.now, which
 * the triggers read for the times they write (members_left): times are
 * Kith's, computed in C, never the server's, whose clock another host
 * (or a test's) need not share.  A statement run outside a transaction
 * brings it up to date here when the second has changed; a write
 * transaction sets its own at BEGIN (pg_begin_write).
 */
static void
pg_clock_set(struct pg *p)
{
	char sql[80];
	int64_t now = now_utc();

	if (now == p->clock || PQtransactionStatus(p->h) != PQTRANS_IDLE)
		return;
	snprintf(sql, sizeof(sql), "SELECT set_config('kith.now', '%lld', "
	    "false)", (long long)now);
	if (pg_script(&p->base, sql) == DB_OK)
		p->clock = now;
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
 * at s, or 0.  The hint names the index sqlite is to walk; PostgreSQL's
 * planner chooses its own and has no such words, so the backend leaves
 * them out.  (The delivery claim, which needs it on sqlite, is each
 * backend's own now: pg_claim_sql has none.)
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
 * are; sqlite's "INDEXED BY index" is left out.  *nparams: the largest
 * number.
 */
static char *
pg_rewrite(const char *sql, int *nparams)
{
	struct buf b;
	const char *s = sql;
	int max = 0;

	buf_init(&b);
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
 * pg_prepare - the statement, kept to be sent at its first step.  Only
 * what the SQL asks for comes back: an INSERT that wants its id says
 * RETURNING id (db_exec_id), and an INSERT ... SELECT of a fan-out,
 * which does not, brings no row over the wire.
 */
static struct db_stmt *
pg_prepare(struct db *db, const char *sql)
{
	struct pg_stmt *st = xcalloc(1, sizeof(*st));

	st->base.db = db;
	st->sql = pg_rewrite(sql, &st->nparams);
	if (st->nparams > 32767) {	/* PostgreSQL's limit */
		pg_set_err(P(db), "too many SQL parameters");
		log_error("database: prepare: %s", P(db)->err);
		free(st->sql);
		free(st);
		return NULL;
	}
	st->par = xcalloc((size_t)st->nparams + 1, sizeof(*st->par));
	st->row = -1;
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

/*
 * pg_text_valid - s (n bytes) as PostgreSQL's text takes it: NULL when
 * it is UTF-8 already, else a copy with each byte that starts no valid
 * sequence replaced by U+FFFD.  sqlite keeps any bytes in a TEXT; the
 * server refuses the whole statement (22021), which would turn a name
 * or Subject in another charset into an error retried for ever.  The
 * same bytes always give the same text, so what was stored that way is
 * found again by the same bytes.
 */
static char *
pg_text_valid(const char *s, size_t n)
{
	size_t i = 0, o = 0, len;
	uint32_t cp;
	char *out;

	while (i < n && (len = utf8_next(s + i, n - i, &cp)) > 0)
		i += len;
	if (i == n)
		return NULL;
	out = xmalloc(i + (n - i) * 3 + 1);
	memcpy(out, s, i);
	o = i;
	while (i < n) {
		if ((len = utf8_next(s + i, n - i, &cp)) > 0) {
			memcpy(out + o, s + i, len);
			o += len;
			i += len;
		} else {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

/* text goes as text, its type left to the server (a number written as
 * text still fills a BIGINT column), as UTF-8 (pg_text_valid); copied
 * unless it is the caller's NUL-terminated valid string, kept */
static int
pg_bind_text(struct db_stmt *sb, int idx, const char *s, int n, int copy)
{
	struct pg_param *par = pg_param(sb, idx);
	size_t len;

	if (par == NULL)
		return DB_MISUSE;
	if (s == NULL)
		return DB_OK;
	len = n < 0 ? strlen(s) : strnlen(s, (size_t)n);
	if ((par->own = pg_text_valid(s, len)) != NULL)
		par->v = par->own;
	else if (n < 0 && !copy)
		par->v = s;
	else
		par->v = par->own = xstrndup(s, len);
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
 * until reset.
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
	if (pg_revive(p, NULL) != 0)
		r = NULL;
	else {
		pg_clock_set(p);
		r = PQexecParams(p->h, st->sql, n, types, values, lengths,
		    formats, 0);
	}
	free(values);
	free(lengths);
	free(formats);
	free(types);
	st->state = PG_DONE;
	if (r == NULL && PQstatus(p->h) == CONNECTION_BAD)
		return DB_BUSY;		/* p->err: pg_revive's */
	if ((rc = pg_result(p, r)) != DB_OK) {
		PQclear(r);
		return rc;
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

/*
 * pg_id_follow - rows copied in with their ids (GENERATED BY DEFAULT
 * takes them) leave the identity's sequence where it was: moved past
 * high, the next INSERT that names no id gets high + 1.  A table whose
 * id is no identity (threads, held_log: ids given by their owners) has
 * no sequence, and nothing to do.
 */
static int
pg_id_follow(struct db *db, const char *table, int64_t high)
{
	struct db_stmt *st;
	int rc;

	if (high < 1)
		return KITH_OK;	/* a new sequence starts at 1 */
	st = pg_prepare(db, "SELECT setval(CAST(s AS regclass), ?2) FROM "
	    "(SELECT pg_get_serial_sequence(?1, 'id') AS s) q WHERE s IS NOT "
	    "NULL");
	if (st == NULL)
		return KITH_PERM;
	if ((rc = pg_bind_text(st, 1, table, -1, 1)) == DB_OK &&
	    (rc = pg_bind_int64(st, 2, high)) == DB_OK)
		while ((rc = pg_step(st)) == DB_ROW)
			;
	pg_finalize(st);
	return rc == DB_DONE ? KITH_OK : db_status(rc);
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
	.in_tx = pg_in_tx,
	.script = pg_script,
	.begin_write = pg_begin_write,
	.claim_sql = pg_claim_sql,
	.claim_begin = pg_claim_begin,
	.claim_release_dead = pg_claim_release_dead,
	.read_begin = pg_read_begin,
	.group_open = pg_group_open,
	.group_close = pg_group_close,
	.id_follow = pg_id_follow,
	.search_posts = db_pg_search_posts,
	/* checkpoints, erasure of free pages and file backups: PostgreSQL
	 * does its own (VACUUM, pg_dump, replication) */
};
