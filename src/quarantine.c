/* quarantine - retry or forget the messages inbound.c kept (see
 * quarantine.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/config.h"
#include "kith/db.h"
#include "kith/inbound.h"
#include "kith/log.h"
#include "kith/quarantine.h"
#include "kith/util.h"

/* One kept message: its bytes and its envelope. */
struct kept {
	char *raw;
	size_t len;
	char *from, *to;
};

static void
kept_release(struct kept *k)
{
	free(k->raw);
	free(k->from);
	free(k->to);
	memset(k, 0, sizeof(*k));
}

/* Read message id into k: KITH_OK, KITH_PERM none, KITH_TEMP busy. */
static int
kept_read(struct db *db, int64_t id, struct kept *k)
{
	struct db_stmt *st = db_prepare(db, "SELECT raw, envelope_from, "
	    "envelope_to FROM quarantine WHERE id=?");
	int rc;

	memset(k, 0, sizeof(*k));
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", id);
	if ((rc = db_step(st)) == DB_ROW) {
		k->len = (size_t)db_col_bytes(st, 0);
		k->raw = xmalloc(k->len + 1);
		if (k->len)
			memcpy(k->raw, db_col_blob(st, 0), k->len);
		k->raw[k->len] = '\0';
		k->from = xstrdup(db_col_str(st, 1) ? db_col_str(st, 1) : "");
		k->to = xstrdup(db_col_str(st, 2) ? db_col_str(st, 2) : "");
	}
	db_finalize(st);
	if (rc == DB_ROW)
		return KITH_OK;
	return rc == DB_DONE ? KITH_PERM : db_status(rc);
}

int
quarantine_remove(struct db *db, int64_t id)
{
	int st = db_exec(db, "DELETE FROM quarantine WHERE id=?", "i", id);

	if (st != KITH_OK)
		return st;
	return db_changes(db) ? KITH_OK : KITH_PERM;
}

int
quarantine_retry(const struct kith_config *cfg, int64_t id,
    struct inbound_result *res, char *err, size_t errlen)
{
	char *path = config_db_path(cfg);
	struct db *db = NULL;
	struct kept k;
	int st;

	memset(res, 0, sizeof(*res));
	memset(&k, 0, sizeof(k));
	st = db_open(path, 0, cfg->busy_timeout_ms, DB_DURABLE, &db, err,
	    errlen);
	if (st == KITH_OK && (st = kept_read(db, id, &k)) == KITH_PERM)
		snprintf(err, errlen, "no quarantined message %lld",
		    (long long)id);
	else if (st == KITH_TEMP && !*err)
		snprintf(err, errlen, "%s", DB_BUSY_TEXT);
	if (st == KITH_OK) {
		/* its own connection and transaction, as from the MTA */
		inbound_receive(cfg, k.raw, k.len, k.from, k.to, res);
		/* handled, or kept again under a new ID: this one goes (a
		 * failure here leaves it to be retried or removed again) */
		if (res->exit_code == 0 && quarantine_remove(db, id) != KITH_OK)
			log_warn("quarantine: message %lld was %s but is still "
			    "listed: %s", (long long)id, res->what,
			    DB_BUSY_TEXT);
		log_info("quarantine: message %lld retried: %s", (long long)id,
		    res->reason);
	}
	kept_release(&k);
	db_close(db);
	free(path);
	return st;
}
