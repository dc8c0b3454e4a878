/* deliver - outbox to transport, in parallel workers. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kith/db.h"
#include "kith/deliver.h"
#include "kith/log.h"
#include "kith/outbox.h"
#include "kith/tokens.h"
#include "kith/transport.h"
#include "kith/util.h"

#define DEFAULT_COMMIT_EVERY 1
#define VERP_LIFETIME (90 * 86400)

char *
deliver_verp(const struct token_key *k, const char *bounce_local,
    char delimiter, const char *domain, int64_t row_id, const char *rcpt)
{
	char payload[32], *tok, *addr;

	snprintf(payload, sizeof(payload), "%lld", (long long)row_id);
	tok = token_make(k, "verp", bounce_local, rcpt, payload,
	    now_utc() + VERP_LIFETIME);
	if (tok == NULL)
		return xasprintf("%s@%s", bounce_local, domain);
	addr = xasprintf("%s%c%s@%s", bounce_local, delimiter, tok, domain);
	free(tok);
	return addr;
}

/* The message currently loaded, reused while rows share it. */
struct loaded {
	int64_t msg_id;
	char *data, *bounce_local, *domain;
	size_t len;
};

static void
loaded_release(struct loaded *l)
{
	free(l->data);
	free(l->bounce_local);
	free(l->domain);
	memset(l, 0, sizeof(*l));
}

struct worker {
	const struct kith_config *cfg;
	sqlite3 *db;
	struct token_key *key;
	struct transport *tr;
	struct retry_policy rp;
	int commit_every;
	struct deliver_stats stats;
};

/* Record results of txs[0..n) for items; retried on a busy database. */
static int
worker_record(struct worker *w, struct outbox_item *items, struct tx *txs,
    size_t n)
{
	int64_t now = now_utc();

	for (int tries = 0; tries < 5; tries++) {
		size_t i;

		if (db_begin(w->db) != KITH_OK)
			continue;
		for (i = 0; i < n; i++)
			if (outbox_mark(w->db, &items[i], txs[i].status,
			    txs[i].code, txs[i].text, now, &w->rp) == NULL)
				break;
		if (i == n && db_commit(w->db) == KITH_OK) {
			for (i = 0; i < n; i++) {
				if (txs[i].status == KITH_OK)
					w->stats.sent++;
				else if (txs[i].status == KITH_PERM ||
				    items[i].attempts >= w->rp.max_attempts) {
					w->stats.failed++;
					log_warn("deliver: failed '%s': %s",
					    items[i].rcpt, txs[i].text);
				} else {
					w->stats.deferred++;
					log_info("deliver: deferred '%s': %s",
					    items[i].rcpt, txs[i].text);
				}
			}
			return KITH_OK;
		}
		db_rollback(w->db);
	}
	/* The lease runs out and the rows are sent again: never lost. */
	log_error("deliver: cannot record results; they will be retried");
	return KITH_TEMP;
}

static int
worker_batch(struct worker *w, struct outbox_item *items, size_t n,
    struct loaded *cur)
{
	struct tx *txs = xcalloc((size_t)w->commit_every, sizeof(*txs));
	char **from = xcalloc((size_t)w->commit_every, sizeof(*from));
	size_t i = 0;
	int st = KITH_OK;

	while (i < n && st == KITH_OK) {
		size_t k = 0;

		while (k < (size_t)w->commit_every && i + k < n) {
			struct outbox_item *it = &items[i + k];

			if (cur->msg_id != it->msg_id) {
				if (k > 0)
					break;	/* send what uses the old one */
				loaded_release(cur);
				if (outbox_message_load(w->db, it->msg_id,
				    &cur->data, &cur->len, &cur->bounce_local,
				    &cur->domain) != KITH_OK) {
					st = KITH_TEMP;
					break;
				}
				cur->msg_id = it->msg_id;
			}
			from[k] = deliver_verp(w->key, cur->bounce_local,
			    *w->cfg->delimiter, cur->domain, it->id, it->rcpt);
			txs[k].from = from[k];
			txs[k].rcpt = it->rcpt;
			txs[k].data = cur->data;
			txs[k].len = cur->len;
			k++;
		}
		if (k == 0)
			break;
		transport_send(w->tr, txs, k);
		st = worker_record(w, items + i, txs, k);
		for (size_t j = 0; j < k; j++) {
			free(from[j]);
			from[j] = NULL;
		}
		i += k;
	}
	free(txs);
	free(from);
	return st;
}

static int
worker_run(struct worker *w, int batch_size)
{
	struct loaded cur;
	int st = KITH_OK;

	memset(&cur, 0, sizeof(cur));
	for (;;) {
		struct outbox_item *items;
		size_t n;

		st = outbox_claim(w->db, now_utc(), w->cfg->lease_seconds,
		    batch_size, &items, &n);
		if (st != KITH_OK || n == 0) {
			outbox_items_free(items, n);
			break;
		}
		st = worker_batch(w, items, n, &cur);
		outbox_items_free(items, n);
		if (st != KITH_OK)
			break;
	}
	loaded_release(&cur);
	return st;
}

static int
worker_init(struct worker *w, const struct kith_config *cfg, int commit_every,
    char *err, size_t errlen)
{
	char *db_path = config_db_path(cfg), *secret = config_secret_path(cfg);
	int st;

	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->commit_every = commit_every;
	w->rp.base = cfg->retry_base;
	w->rp.max_attempts = cfg->max_attempts;
	st = db_open(db_path, 0, cfg->busy_timeout_ms, DB_FAST, &w->db, err,
	    errlen);
	free(db_path);
	if (st == KITH_OK) {
		w->key = token_key_load(secret, err, errlen);
		if (w->key == NULL)
			st = KITH_PERM;
	}
	free(secret);
	if (st == KITH_OK) {
		w->tr = transport_open(cfg, err, errlen);
		if (w->tr == NULL)
			st = KITH_PERM;
	}
	return st;
}

static void
worker_release(struct worker *w)
{
	transport_close(w->tr);
	token_key_free(w->key);
	db_close(w->db);
}

/* How many rows are due now: decides whether more workers are worth it. */
static int64_t
due_rows(const struct kith_config *cfg)
{
	char *db_path = config_db_path(cfg), err[256];
	sqlite3 *db;
	int64_t n = 0;
	int st;

	if (db_open(db_path, 0, cfg->busy_timeout_ms, DB_FAST, &db, err,
	    sizeof(err)) == KITH_OK) {
		n = db_int(db, 0, &st, "SELECT count(*) FROM outbox WHERE "
		    "(state IN ('pending','deferred') AND next_try<=?1) OR "
		    "(state='sending' AND lease_until<?1)", "i", now_utc());
		db_close(db);
	}
	free(db_path);
	return n;
}

int
deliver_run(const struct kith_config *cfg, const struct deliver_opts *o,
    struct deliver_stats *stats, char *err, size_t errlen)
{
	int workers = o->workers, commit = o->commit_every, st, fds[2];
	int batch = cfg->batch_size;
	pid_t *kids;
	struct worker w;
	int64_t due;

	memset(stats, 0, sizeof(*stats));
	if (commit <= 0)
		commit = DEFAULT_COMMIT_EVERY;
	if (workers <= 0)
		workers = !strncmp(cfg->transport, "smtp://", 7) ?
		    cfg->smtp_connections : 1;
	due = due_rows(cfg);
	if (due == 0)
		workers = 1;
	else if (workers > 1) {
		/* Spread the queue: every worker gets a share of claims. */
		int64_t share = (due + workers - 1) / workers;

		if (share < batch)
			batch = share < 50 ? 50 : (int)share;
		if (due < 100)
			workers = 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (pipe(fds) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return KITH_TEMP;
	}
	kids = xcalloc((size_t)workers, sizeof(*kids));
	for (int i = 1; i < workers; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			char werr[512];

			close(fds[0]);
			st = worker_init(&w, cfg, commit, werr, sizeof(werr));
			if (st == KITH_OK)
				st = worker_run(&w, batch);
			else
				log_error("deliver: %s", werr);
			write_all(fds[1], &w.stats, sizeof(w.stats));
			worker_release(&w);
			_exit(st == KITH_OK ? 0 : EX_TEMPFAIL_);
		}
	}
	close(fds[1]);
	st = worker_init(&w, cfg, commit, err, errlen);
	if (st == KITH_OK)
		st = worker_run(&w, batch);
	*stats = w.stats;
	worker_release(&w);
	for (int i = 1; i < workers; i++) {
		struct deliver_stats ks;
		int status;

		if (kids[i] <= 0)
			continue;
		while (waitpid(kids[i], &status, 0) < 0 && errno == EINTR)
			;
		if (read(fds[0], &ks, sizeof(ks)) == (ssize_t)sizeof(ks)) {
			stats->sent += ks.sent;
			stats->deferred += ks.deferred;
			stats->failed += ks.failed;
		}
	}
	close(fds[0]);
	free(kids);
	return st;
}
