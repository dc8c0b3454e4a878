/* outbox - queue rows and their state machine (API-NOTES 3.5). */
#include "config.h"

#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kith/db.h"
#include "kith/journal.h"
#include "kith/log.h"
#include "kith/outbox.h"
#include "kith/util.h"

/* message_insert - one outbox_messages row; render "" when it has bytes. */
static int
message_insert(struct db *db, int64_t list_id, int64_t post_id,
    const char *kind, const char *bounce_local, const char *domain,
    const char *unsubscribe, const char *data, size_t len, const char *render,
    int64_t *id)
{
	struct db_stmt *st = db_cached(db, "INSERT INTO outbox_messages("
	    "list_id, post_id, kind, bounce_local, domain, data, created, "
	    "unsubscribe, render) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
	    "RETURNING id");
	int rc;

	if (st == NULL)
		return KITH_PERM;
	if (list_id)
		db_bind_int64(st, 1, list_id);
	if (post_id)
		db_bind_int64(st, 2, post_id);
	db_bind_text(st, 3, kind, -1);
	db_bind_text(st, 4, bounce_local, -1);
	db_bind_text(st, 5, domain, -1);
	db_bind_blob(st, 6, data, (int)len);
	db_bind_int64(st, 7, now_utc());
	db_bind_text(st, 8, unsubscribe ? unsubscribe : "", -1);
	db_bind_text(st, 9, render, -1);
	*id = 0;
	while ((rc = db_step(st)) == DB_ROW)
		*id = db_col_int64(st, 0);
	db_cached_done(st);
	if (rc != DB_DONE)
		return db_status(rc);
	return KITH_OK;
}

int
outbox_message_add(struct db *db, int64_t list_id, int64_t post_id,
    const char *kind, const char *bounce_local, const char *domain,
    const char *unsubscribe, const char *data, size_t len, int64_t *id)
{
	return message_insert(db, list_id, post_id, kind, bounce_local, domain,
	    unsubscribe, data, len, "", id);
}

int
outbox_fanout_members(struct db *db, int64_t msg_id, int64_t list_id,
    int64_t *count)
{
	int st;

	if (db_deferring(db)) {
		st = db_exec(db, "INSERT INTO outbox_fanout(message_id, list_id) "
		    "VALUES (?, ?)", "ii", msg_id, list_id);
		/* whether anyone gets it, not how many: a big list's count
		 * would cost what deferring saves */
		*count = st == KITH_OK ? db_int(db, 0, &st, "SELECT CASE WHEN "
		    "EXISTS (SELECT 1 FROM members WHERE list_id=? AND "
		    "mode='each' AND disabled=0) THEN 1 ELSE 0 END", "i",
		    list_id) : 0;
		return st;
	}
	st = db_exec(db, "INSERT INTO outbox(message_id, rcpt, member_id, "
	    "updated) SELECT ?, address, id, ? FROM members WHERE list_id=? "
	    "AND mode='each' AND disabled=0 ORDER BY id ON CONFLICT DO "
	    "NOTHING", "iii", msg_id,
	    now_utc(), list_id);

	*count = st == KITH_OK ? db_changes(db) : 0;
	return st;
}

int
outbox_fanout_catch_up(struct db *db, int64_t now)
{
	struct db_ids ids = { 0 };
	int st;

	/* sqlite's writer is alone in its transaction: every message at
	 * once, two statements for thousands (the loop below was 13% of a
	 * busy LMTP committer) */
	if (!strcmp(db_backend_name(db), "sqlite")) {
		st = db_exec(db, "INSERT INTO outbox(message_id, rcpt, "
		    "member_id, updated) SELECT f.message_id, m.address, m.id, "
		    "? FROM outbox_fanout f JOIN members m ON m.list_id="
		    "f.list_id WHERE m.mode='each' AND m.disabled=0 ORDER BY "
		    "f.message_id, m.id ON CONFLICT DO NOTHING", "i", now);
		return st == KITH_OK ? db_exec(db, "DELETE FROM outbox_fanout",
		    "") : st;
	}
	/* the messages by id, each removed as its rows are made: on
	 * PostgreSQL another writer's message may come in meanwhile */
	st = db_ids_select(db, &ids, "SELECT message_id FROM outbox_fanout "
	    "ORDER BY message_id", "");

	for (size_t i = 0; i < ids.n && st == KITH_OK; i++) {
		st = db_exec(db, "INSERT INTO outbox(message_id, rcpt, "
		    "member_id, updated) SELECT f.message_id, m.address, m.id, "
		    "? FROM outbox_fanout f JOIN members m ON m.list_id="
		    "f.list_id WHERE f.message_id=? AND m.mode='each' AND "
		    "m.disabled=0 ORDER BY m.id ON CONFLICT DO NOTHING", "ii",
		    now, ids.v[i]);
		if (st == KITH_OK)
			st = db_exec(db, "DELETE FROM outbox_fanout WHERE "
			    "message_id=?", "i", ids.v[i]);
	}
	db_ids_release(&ids);
	return st;
}

int64_t
outbox_fanout_waiting(struct db *db, int64_t *oldest)
{
	int st;
	int64_t n = db_int(db, 0, &st, "SELECT count(*) FROM outbox_fanout",
	    "");

	if (oldest)
		*oldest = n > 0 && st == KITH_OK ? db_int(db, 0, &st, "SELECT "
		    "min(m.created) FROM outbox_fanout f JOIN outbox_messages m "
		    "ON m.id=f.message_id", "") : 0;
	return st == KITH_OK ? n : -1;
}

int
outbox_fanout_mailable(struct db *db, int64_t msg_id, int64_t list_id,
    int64_t now, int64_t *count)
{
	int st = db_exec(db, "INSERT INTO outbox(message_id, rcpt, member_id, "
	    "updated) SELECT ?, address, id, ? FROM members WHERE list_id=? "
	    "AND mode!='nomail' AND disabled=0 ORDER BY id ON CONFLICT DO "
	    "NOTHING", "iii",
	    msg_id, now, list_id);

	*count = st == KITH_OK ? db_changes(db) : 0;
	return st;
}

int
outbox_render_add(struct db *db, int64_t list_id, const char *list_local,
    const char *domain, const char *kind, const char *render,
    int64_t *msg_id)
{
	char *bounce = xasprintf("%s-bounces", list_local);
	/* one INSERT: a leave queues two of these (notice.h) */
	int st = message_insert(db, list_id, 0, kind, bounce, domain, NULL, "",
	    0, render, msg_id);

	free(bounce);
	return st;
}

int
outbox_rcpt_add(struct db *db, int64_t msg_id, const char *rcpt)
{
	return db_exec(db, "INSERT INTO outbox(message_id, rcpt, updated) "
	    "VALUES (?, ?, ?) ON CONFLICT DO NOTHING", "iti", msg_id, rcpt,
	    now_utc());
}

static int
item_cmp(const void *a, const void *b)
{
	const struct outbox_item *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * claim_lock - this host's claims one at a time: an exclusive flock on
 * DIR.lock beside the journal directory DIR, held until claim_unlock.
 * The descriptor, -1 when there is no journal directory (nothing to
 * order), -2 on error (logged).
 */
static int
claim_lock(const char *journal_dir)
{
	char *path;
	int fd;

	if (journal_dir == NULL)
		return -1;
	path = xasprintf("%s.lock", journal_dir);
	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0660);
	if (fd < 0 && errno == ENOENT) {
		free(path);
		return -1;
	}
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		log_error("deliver: cannot lock '%s': %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		free(path);
		return -2;
	}
	free(path);
	return fd;
}

static void
claim_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* and its flock */
}

int
outbox_claim(struct db *db, int64_t now, int lease, int limit,
    const char *journal_dir, const char *claimant, struct outbox_item **items,
    size_t *n)
{
	struct journal_recovery rec;
	struct db_stmt *st;
	size_t cap = 64;
	int rc, status, lock;

	*items = NULL;
	*n = 0;
	memset(&rec, 0, sizeof(rec));
	/*
	 * One claim at a time on this host (claim_lock), and this host's
	 * journals read before the rows of dead sessions are released: a
	 * journal names rows that were sent, and no worker here may take
	 * them back from a dead worker before they are recorded as such.
	 * (sqlite's claims are one at a time anyway; PostgreSQL's run side
	 * by side across hosts, whose journals no other host can read.)
	 */
	if ((lock = claim_lock(journal_dir)) == -2)
		return KITH_TEMP;
	if ((status = db_claim_begin(db, claimant)) != KITH_OK) {
		claim_unlock(lock);
		return status;
	}
	if (journal_dir && journal_recover(db, journal_dir, &rec) < 0) {
		db_rollback(db);
		journal_recovery_finish(&rec, 0);
		claim_unlock(lock);
		return KITH_TEMP;
	}
	if ((status = db_claim_release_dead(db, claimant)) != KITH_OK) {
		journal_recovery_finish(&rec, 0);
		claim_unlock(lock);
		return status;
	}
	/*
	 * Rows of killed runs first, then due retries, then new rows, each
	 * in id order through the (state, id) index: a claim costs the same
	 * at the end of a 100,000-row fan-out as at its start, and parallel
	 * senders take disjoint runs of one message.  The statements are
	 * the database's own (db_claim_prepare).
	 */
	*items = xmalloc(cap * sizeof(**items));
	rc = DB_DONE;
	for (int q = 0; rc == DB_DONE && *n < (size_t)limit; q++) {
		int end;

		if ((st = db_claim_prepare(db, q, &end)) == NULL) {
			if (!end)
				rc = DB_ERROR;
			break;
		}
		db_bind(st, "iiIt", now, (int64_t)lease, limit - (int)*n,
		    claimant ? claimant : "");
		while ((rc = db_step(st)) == DB_ROW) {
			struct outbox_item *it;

			*items = xgrow(*items, *n, &cap, sizeof(**items));
			it = &(*items)[(*n)++];
			it->id = db_col_int64(st, 0);
			it->msg_id = db_col_int64(st, 1);
			it->rcpt = db_col_text(st, 2);
			it->attempts = db_col_int(st, 3);
			it->member_id = db_col_int64(st, 4);
		}
		db_finalize(st);
	}
	if (rc != DB_DONE) {
		db_rollback(db);
		journal_recovery_finish(&rec, 0);
		claim_unlock(lock);
		outbox_items_free(*items, *n);
		*items = NULL;
		*n = 0;
		return db_status(rc);
	}
	/* RETURNING order is not promised: keep each message's rows together. */
	qsort(*items, *n, sizeof(**items), item_cmp);
	status = db_commit(db);
	journal_recovery_finish(&rec, status == KITH_OK);
	claim_unlock(lock);
	if (status != KITH_OK) {
		outbox_items_free(*items, *n);
		*items = NULL;
		*n = 0;
	}
	return status;
}

void
outbox_items_free(struct outbox_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i].rcpt);
	free(items);
}

int
outbox_message_load(struct db *db, int64_t msg_id, struct outbox_message *m)
{
	struct db_stmt *st = db_prepare(db, "SELECT data, bounce_local, domain, "
	    "unsubscribe, coalesce(list_id, 0), render FROM outbox_messages "
	    "WHERE id=?");
	int found = 0;

	memset(m, 0, sizeof(*m));
	if (st == NULL)
		return KITH_PERM;
	db_bind(st, "i", msg_id);
	if (db_step(st) == DB_ROW) {
		m->id = msg_id;
		m->len = (size_t)db_col_bytes(st, 0);
		m->data = xmalloc(m->len + 1);
		if (m->len)	/* a rendered message holds no bytes */
			memcpy(m->data, db_col_blob(st, 0), m->len);
		m->data[m->len] = '\0';
		m->bounce_local = db_col_text(st, 1);
		m->domain = db_col_text(st, 2);
		m->unsubscribe = db_col_text(st, 3);
		m->list_id = db_col_int64(st, 4);
		m->render = db_col_text(st, 5);
		found = 1;
	}
	db_finalize(st);
	return found ? KITH_OK : KITH_PERM;
}

void
outbox_message_release(struct outbox_message *m)
{
	free(m->data);
	free(m->bounce_local);
	free(m->domain);
	free(m->unsubscribe);
	free(m->render);
	memset(m, 0, sizeof(*m));
}

int
outbox_unclaim(struct db *db, const struct outbox_item *items, size_t n)
{
	int st;

	if (n == 0)
		return KITH_OK;
	if ((st = db_begin(db)) != KITH_OK)
		return st;
	for (size_t i = 0; i < n && st == KITH_OK; i++)
		st = db_exec(db, "UPDATE outbox SET lease_until=0, "
		    "claimed_by='', attempts=CASE WHEN attempts>0 THEN "
		    "attempts-1 ELSE 0 END WHERE id=? AND state='sending'",
		    "i", items[i].id);
	if (st == KITH_OK)
		return db_commit(db);
	db_rollback(db);
	return st;
}

struct outbox_marker {
	struct db_stmt *st;
	struct db_stmt *many;	/* OUTBOX_MARK_ROWS results at once */
};

/* The rows of MARK_MANY: (id, state, next_try, last_code, last_text). */
#define MARK_ROW "(?, ?, ?, ?, ?)"
/* typed: PostgreSQL gives each VALUES column the first row's type */
#define MARK_ROW1 "(CAST(? AS BIGINT), ?, CAST(? AS BIGINT), " \
	"CAST(? AS BIGINT), ?)"
#define MARK_ROWS3 MARK_ROW ", " MARK_ROW ", " MARK_ROW
#define MARK_ROWS4 MARK_ROW ", " MARK_ROW ", " MARK_ROW ", " MARK_ROW
#define MARK_ROWS16 MARK_ROWS4 ", " MARK_ROWS4 ", " MARK_ROWS4 ", " MARK_ROWS4
/*
 * One statement for OUTBOX_MARK_ROWS results (64 rows of VALUES, 321
 * parameters; the rows not used are NULL and match nothing).  Written
 * once, so that it is prepared once: UPDATE ... FROM (VALUES ...) is in
 * both sqlite (3.33) and PostgreSQL, whose VALUES columns are both
 * named column1 ...
 */
static const char mark_many_sql[] = "UPDATE outbox SET state=v.column2, "
    "next_try=v.column3, lease_until=0, claimed_by='', last_code=v.column4, "
    "last_text=v.column5, updated=? FROM (VALUES " MARK_ROW1 ", "
    MARK_ROWS3 ", " MARK_ROWS4 ", " MARK_ROWS4 ", " MARK_ROWS4 ", "
    MARK_ROWS16 ", " MARK_ROWS16 ", " MARK_ROWS16 ") AS v "
    "WHERE outbox.id=v.column1";

struct outbox_marker *
outbox_marker_new(struct db *db)
{
	struct outbox_marker *mk = xcalloc(1, sizeof(*mk));

	mk->st = db_prepare(db, "UPDATE outbox SET state=?, next_try=?, "
	    "lease_until=0, claimed_by='', last_code=?, last_text=?, updated=? "
	    "WHERE id=?");
	mk->many = db_prepare(db, mark_many_sql);
	if (mk->st == NULL || mk->many == NULL) {
		outbox_marker_free(mk);
		return NULL;
	}
	return mk;
}

void
outbox_marker_free(struct outbox_marker *mk)
{
	if (mk) {
		if (mk->st)
			db_finalize(mk->st);
		if (mk->many)
			db_finalize(mk->many);
		free(mk);
	}
}

/* mark_state - the state a result leaves its row in, *next its retry */
static const char *
mark_state(const struct outbox_item *it, int status, int64_t now,
    const struct retry_policy *rp, int64_t *next)
{
	int64_t delay = rp->base;

	*next = 0;
	if (status == KITH_OK)
		return "sent";
	if (status == KITH_PERM || it->attempts >= rp->max_attempts)
		return "failed";
	/* base, 2*base, 4*base ... capped at one day */
	for (int i = 1; i < it->attempts && delay < 86400; i++)
		delay *= 2;
	if (delay > 86400)
		delay = 86400;
	*next = now + delay;
	return "deferred";
}

const char *
outbox_mark(struct outbox_marker *mk, const struct outbox_item *it,
    int status, int code, const char *text, int64_t now,
    const struct retry_policy *rp)
{
	int64_t next;
	const char *state = mark_state(it, status, now, rp, &next);
	int rc;

	db_reset(mk->st);
	db_bind(mk->st, "tiItii", state, next, code, text ? text : "", now,
	    it->id);
	rc = db_step(mk->st);
	db_reset(mk->st);
	return rc == DB_DONE ? state : NULL;
}

int
outbox_mark_many(struct outbox_marker *mk, struct outbox_result *r,
    size_t n, int64_t now, const struct retry_policy *rp)
{
	struct db_stmt *st = mk->many;
	int rc = DB_DONE;

	for (size_t at = 0; at < n && rc == DB_DONE;
	    at += OUTBOX_MARK_ROWS) {
		size_t k = n - at < OUTBOX_MARK_ROWS ? n - at : OUTBOX_MARK_ROWS;

		db_reset(st);
		db_clear_bindings(st);
		db_bind_int64(st, 1, now);
		for (size_t i = 0; i < k; i++) {
			struct outbox_result *x = &r[at + i];
			int p = 2 + 5 * (int)i;
			int64_t next;

			x->state = mark_state(x->it, x->status, now, rp, &next);
			/* texts are the caller's: they outlive the step */
			db_bind_int64(st, p, x->it->id);
			db_bind_text(st, p + 1, x->state, -1);
			db_bind_int64(st, p + 2, next);
			db_bind_int(st, p + 3, x->code);
			db_bind_text(st, p + 4, x->text ? x->text : "", -1);
		}
		rc = db_step(st);
	}
	db_reset(st);
	db_clear_bindings(st);
	/* the caller words the database's error (db_errmsg) */
	if (rc == DB_DONE)
		return KITH_OK;
	return db_status(rc) == KITH_OK ? KITH_PERM : db_status(rc);
}

int
outbox_foreach(struct db *db, const char *state, int64_t list_id,
    int (*fn)(const struct outbox_row *, void *), void *ctx)
{
	struct db_stmt *st = db_prepare(db, "SELECT o.id, o.attempts, "
	    "o.next_try, o.updated, o.last_code, coalesce(l.address, ''), "
	    "o.rcpt, o.state, o.last_text FROM outbox o JOIN outbox_messages "
	    "m ON m.id=o.message_id LEFT JOIN lists l ON l.id=m.list_id "
	    "WHERE (o.state=?1 OR (?1='' AND o.state!='sent')) AND (?2=0 OR "
	    "m.list_id=?2) ORDER BY o.id");

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ti", state ? state : "", list_id);
	while (db_step(st) == DB_ROW) {
		struct outbox_row r;

		r.id = db_col_int64(st, 0);
		r.attempts = db_col_int64(st, 1);
		r.next_try = db_col_int64(st, 2);
		r.updated = db_col_int64(st, 3);
		r.last_code = db_col_int(st, 4);
		r.list = db_col_str(st, 5);
		r.rcpt = db_col_str(st, 6);
		r.state = db_col_str(st, 7);
		r.last_text = db_col_str(st, 8);
		if (fn(&r, ctx))
			break;
	}
	db_finalize(st);
	return KITH_OK;
}

int
outbox_waiting(struct db *db, int64_t *n, int64_t *oldest, char **last)
{
	struct db_stmt *st = db_prepare(db, "SELECT count(*), "
	    "coalesce(min(m.created), 0), coalesce((SELECT last_text FROM "
	    "outbox WHERE state='deferred' ORDER BY updated DESC, id DESC "
	    "LIMIT 1), '') FROM outbox o JOIN outbox_messages m ON "
	    "m.id=o.message_id WHERE o.state='deferred'");

	*n = *oldest = 0;
	*last = NULL;
	if (st == NULL)
		return KITH_TEMP;
	if (db_step(st) == DB_ROW) {
		*n = db_col_int64(st, 0);
		*oldest = db_col_int64(st, 1);
		*last = db_col_text(st, 2);
	}
	db_finalize(st);
	if (*last == NULL)
		*last = xstrdup("");
	return KITH_OK;
}

struct retry_now {
	int64_t list_id, now, n;
};

static int
retry_now_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct retry_now *r = ctx;
	int st = db_exec(db, "UPDATE outbox SET next_try=?1 WHERE "
	    "state='deferred' AND next_try>?1 AND (?2=0 OR message_id IN "
	    "(SELECT id FROM outbox_messages WHERE list_id=?2))", "ii",
	    r->now, r->list_id);

	(void)err, (void)errlen;
	r->n = st == KITH_OK ? db_changes(db) : 0;
	return st;
}

int
outbox_retry_now(struct db *db, int64_t list_id, int64_t now, int64_t *n)
{
	struct retry_now r = { list_id, now, 0 };
	int st = db_tx(db, retry_now_tx, &r, NULL, 0);

	*n = st == KITH_OK ? r.n : 0;
	return st;
}

int
outbox_count(struct db *db, struct outbox_counts *c)
{
	struct db_stmt *st = db_prepare(db, "SELECT state, count(*) FROM outbox "
	    "GROUP BY state");

	memset(c, 0, sizeof(*c));
	if (st == NULL)
		return KITH_PERM;
	while (db_step(st) == DB_ROW) {
		const char *s = db_col_str(st, 0);
		int64_t v = db_col_int64(st, 1);

		if (!strcmp(s, "pending"))
			c->pending = v;
		else if (!strcmp(s, "sending"))
			c->sending = v;
		else if (!strcmp(s, "sent"))
			c->sent = v;
		else if (!strcmp(s, "deferred"))
			c->deferred = v;
		else if (!strcmp(s, "failed"))
			c->failed = v;
	}
	db_finalize(st);
	return KITH_OK;
}
