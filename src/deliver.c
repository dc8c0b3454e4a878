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
#include "kith/dkim.h"
#include "kith/journal.h"
#include "kith/log.h"
#include "kith/outbox.h"
#include "kith/tokens.h"
#include "kith/transport.h"
#include "kith/util.h"

#define DEFAULT_COMMIT_EVERY 64
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

struct worker {
	const struct kith_config *cfg;
	sqlite3 *db;
	struct token_key *key;
	struct transport *tr;
	struct outbox_marker *marker;
	struct dkim_key *dkim;		/* NULL: mail goes out unsigned */
	struct dkim_msg *dkim_msg;	/* body hash etc. of dkim_msg_id */
	int64_t dkim_msg_id;
	struct journal *journal;
	char *journal_dir;
	int keep_journal;	/* results it holds are not in the database */
	struct retry_policy rp;
	int commit_every;
	struct deliver_stats stats;
};

/* A claimed batch in flight: results wait here until they are committed. */
struct inflight {
	struct worker *w;
	struct outbox_item *items;	/* aligned with txs */
	struct tx *txs;
	size_t *done;			/* indexes with a result, not yet recorded */
	size_t ndone;
	int st;				/* KITH_TEMP once recording failed */
};

static void
count_result(struct worker *w, const struct outbox_item *it,
    const struct tx *t)
{
	if (t->status == KITH_OK)
		w->stats.sent++;
	else if (t->status == KITH_PERM || it->attempts >= w->rp.max_attempts) {
		w->stats.failed++;
		log_warn("deliver: failed '%s': %s", it->rcpt, t->text);
	} else {
		w->stats.deferred++;
		log_info("deliver: deferred '%s': %s", it->rcpt, t->text);
	}
}

/* Commit the results waiting in f; retried while the database is busy. */
static void
inflight_record(struct inflight *f)
{
	struct worker *w = f->w;
	int64_t now = now_utc();

	if (f->ndone == 0)
		return;
	for (int tries = 0; tries < 5; tries++) {
		size_t i;

		if (db_begin(w->db) != KITH_OK)
			continue;
		for (i = 0; i < f->ndone; i++) {
			size_t k = f->done[i];

			if (outbox_mark(w->marker, &f->items[k], f->txs[k].status,
			    f->txs[k].code, f->txs[k].text, now, &w->rp) == NULL)
				break;
		}
		if (i == f->ndone && db_commit(w->db) == KITH_OK) {
			for (i = 0; i < f->ndone; i++)
				count_result(w, &f->items[f->done[i]],
				    &f->txs[f->done[i]]);
			f->ndone = 0;
			if (w->journal)
				journal_reset(w->journal);
			return;
		}
		db_rollback(w->db);
	}
	/* The journal keeps what was sent; the rest is sent again after
	 * the lease: never lost. */
	log_error("deliver: cannot record results; they will be retried");
	f->ndone = 0;
	f->st = KITH_TEMP;
	w->keep_journal = 1;
}

/* tx done callback: record as soon as commit_every results are in. */
static void
inflight_done(struct tx *t, void *ctx)
{
	struct inflight *f = ctx;
	size_t k = (size_t)(t - f->txs);

	/* Durable against kill -9 at once; the database hears in a moment. */
	f->done[f->ndone++] = k;
	if (t->status == KITH_OK && f->w->journal &&
	    journal_sent(f->w->journal, f->items[k].id) < 0) {
		/* Without the journal, commit each result at once; what it
		 * holds stays on disk until it is committed. */
		inflight_record(f);
		journal_abandon(f->w->journal);
		f->w->journal = NULL;
		f->w->commit_every = 1;
		return;
	}
	if (f->ndone >= (size_t)f->w->commit_every)
		inflight_record(f);
}

/* Load the bytes of msg_id into cur unless they are there already. */
static int
message_ensure(struct worker *w, struct outbox_message *cur, int64_t msg_id)
{
	if (cur->id == msg_id)
		return KITH_OK;
	outbox_message_release(cur);
	return outbox_message_load(w->db, msg_id, cur) == KITH_OK ? KITH_OK :
	    KITH_TEMP;
}

/*
 * unsubscribe_header - "List-Unsubscribe: <mailto:team-unsubscribe+TOKEN@
 * domain>" for one member: the token names the member and works for
 * nobody else, so a mail client's Unsubscribe button works in one step.
 */
static char *
unsubscribe_header(struct worker *w, const struct outbox_message *m,
    int64_t member_id, const char *rcpt)
{
	char payload[32], *tok, *h, *at = strchr(m->unsubscribe, '@');
	int local_len = at ? (int)(at - m->unsubscribe) : 0;

	snprintf(payload, sizeof(payload), "%lld", (long long)member_id);
	tok = token_make(w->key, "unsubscribe", m->unsubscribe, rcpt, payload, 0);
	if (tok == NULL || at == NULL) {
		free(tok);
		return NULL;
	}
	h = xasprintf("List-Unsubscribe: <mailto:%.*s-unsubscribe%c%s%s>\r\n",
	    local_len, m->unsubscribe, *w->cfg->delimiter, tok, at);
	free(tok);
	return h;
}

/*
 * recipient_head - the header lines only this recipient's copy has: its
 * List-Unsubscribe, and the DKIM signature over the whole copy.  NULL
 * when there are none.
 */
static char *
recipient_head(struct worker *w, const struct outbox_message *m,
    const struct outbox_item *it)
{
	char *unsub = NULL, *sig, *all;

	if (*m->unsubscribe && it->member_id > 0)
		unsub = unsubscribe_header(w, m, it->member_id, it->rcpt);
	if (w->dkim == NULL)
		return unsub;
	if (w->dkim_msg_id != m->id) {
		dkim_msg_free(w->dkim_msg);
		w->dkim_msg = dkim_prepare(m->data, m->len,
		    !strncmp(w->cfg->transport, "smtp://", 7));
		w->dkim_msg_id = m->id;
	}
	sig = dkim_sign(w->dkim, w->dkim_msg, unsub, unsub ? strlen(unsub) : 0,
	    now_utc());
	if (sig == NULL)
		return unsub;
	all = xasprintf("%s%s", sig, unsub ? unsub : "");
	free(sig);
	free(unsub);
	return all;
}

/*
 * worker_batch - send claimed rows, one transport call per run of rows
 * that share a message (claims are ordered by message).
 */
static int
worker_batch(struct worker *w, struct outbox_item *items, size_t n,
    struct outbox_message *cur)
{
	struct inflight f;
	char **from = xcalloc(n, sizeof(*from));
	char **head = xcalloc(n, sizeof(*head));
	size_t i = 0;

	memset(&f, 0, sizeof(f));
	f.w = w;
	f.txs = xcalloc(n, sizeof(*f.txs));
	f.done = xcalloc(n, sizeof(*f.done));
	f.st = KITH_OK;
	while (i < n && f.st == KITH_OK) {
		size_t k = 0;

		if (message_ensure(w, cur, items[i].msg_id) != KITH_OK) {
			f.st = KITH_TEMP;
			break;
		}
		while (i + k < n && items[i + k].msg_id == cur->id) {
			struct outbox_item *it = &items[i + k];
			struct tx *t = &f.txs[i + k];

			from[i + k] = deliver_verp(w->key, cur->bounce_local,
			    *w->cfg->delimiter, cur->domain, it->id, it->rcpt);
			t->from = from[i + k];
			t->rcpt = it->rcpt;
			head[i + k] = recipient_head(w, cur, it);
			if (head[i + k]) {
				t->head = head[i + k];
				t->head_len = strlen(head[i + k]);
			}
			t->data = cur->data;
			t->len = cur->len;
			t->done = inflight_done;
			t->ctx = &f;
			k++;
		}
		f.items = items;
		transport_send(w->tr, f.txs + i, k);
		inflight_record(&f);
		i += k;
	}
	for (size_t j = 0; j < n; j++) {
		free(from[j]);
		free(head[j]);
	}
	free(from);
	free(head);
	free(f.txs);
	free(f.done);
	return f.st;
}

static int
worker_run(struct worker *w, int batch_size)
{
	struct outbox_message cur;
	int st = KITH_OK;

	memset(&cur, 0, sizeof(cur));
	for (;;) {
		struct outbox_item *items;
		size_t n;

		st = outbox_claim(w->db, now_utc(), w->cfg->lease_seconds,
		    batch_size, w->journal_dir, &items, &n);
		if (st != KITH_OK || n == 0) {
			outbox_items_free(items, n);
			break;
		}
		st = worker_batch(w, items, n, &cur);
		outbox_items_free(items, n);
		if (st != KITH_OK)
			break;
	}
	outbox_message_release(&cur);
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
	if (st == KITH_OK && *cfg->dkim_domain) {
		char *path = config_dkim_key_path(cfg);

		/* Configured but unusable: stop rather than send unsigned. */
		w->dkim = dkim_key_load(path, cfg->dkim_domain,
		    cfg->dkim_selector, err, errlen);
		free(path);
		if (w->dkim == NULL)
			st = KITH_PERM;
	}
	if (st == KITH_OK && (w->marker = outbox_marker_new(w->db)) == NULL) {
		snprintf(err, errlen, "database: cannot prepare statements");
		st = KITH_PERM;
	}
	if (st == KITH_OK) {
		w->journal_dir = xasprintf("%s/journal", cfg->data_dir);
		w->journal = journal_open(w->journal_dir);
		if (w->journal == NULL)
			w->commit_every = 1;
	}
	return st;
}

static void
worker_release(struct worker *w)
{
	transport_close(w->tr);
	if (w->keep_journal)
		journal_abandon(w->journal);
	else
		journal_close(w->journal);
	free(w->journal_dir);
	outbox_marker_free(w->marker);
	dkim_key_free(w->dkim);
	dkim_msg_free(w->dkim_msg);
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
