/* deliver - outbox to transport, in parallel workers. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kith/arc.h"
#include "kith/bounce.h"
#include "kith/db.h"
#include "kith/deliver.h"
#include "kith/dkim.h"
#include "kith/feature.h"
#include "kith/journal.h"
#include "kith/log.h"
#include "kith/lists.h"
#include "kith/notice.h"
#include "kith/outbox.h"
#include "kith/post.h"
#include "kith/throttle.h"
#include "kith/tokens.h"
#include "kith/transport.h"
#include "kith/util.h"
#include "kith/weblinks.h"

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
	struct db *db;
	struct token_key *key;
	struct transport *tr;
	struct outbox_marker *marker;
	struct dkim_key *dkim;		/* NULL: mail goes out unsigned */
	struct dkim_msg *dkim_msg;	/* body hash etc. of dkim_msg_id */
	int64_t dkim_msg_id;
	struct journal *journal;
	char *journal_dir;
	struct site_ctx site;		/* what renderers are given */
	void **caches;			/* each renderer's own, by the index
					 * of its feature in features_table */
	struct arc_cache *arc;		/* the shared copy's ARC set (arc.h) */
	/* rates of the current message (throttle.h) */
	int64_t rate_msg_id;
	int64_t site_interval;
	struct throttle_scope scopes[2];
	int nscopes;
	char list_scope[40];
	int keep_journal;	/* results it holds are not in the database */
	int journal_off;	/* a write failed: kept locked, not written */
	struct retry_policy rp;
	int commit_every;
	struct deliver_stats stats;
	char why[256];		/* why the run stopped, when it did */
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

/* Remember why the run stops; the first cause is the one reported. */
static void
worker_stop(struct worker *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
worker_stop(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (*w->why)
		return;
	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
}

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
	/* the site's trouble, said once a run where the organiser looks */
	if (t->relay_refused && w->stats.relay_refused++ == 0)
		log_warn("deliver: %s (%d); copies wait and are retried, and "
		    "no member is scored: check the relay's AUTH, TLS and "
		    "sender rules ([smtp] in kith.conf)", t->text, t->code);
}

/*
 * record_once - one transaction with every result waiting in f.  0, or -1
 * with the database's reason in cause (rolled back).
 */
static int
record_once(struct inflight *f, int64_t now, char *cause, size_t n)
{
	struct worker *w = f->w;
	struct outbox_result *r = xcalloc(f->ndone, sizeof(*r));
	int scored = 0, st;

	for (size_t i = 0; i < f->ndone; i++) {
		const struct tx *t = &f->txs[f->done[i]];

		r[i].it = &f->items[f->done[i]];
		r[i].status = t->status;
		r[i].code = t->code;
		r[i].text = t->text;
		scored |= t->status != KITH_OK && r[i].it->member_id > 0 &&
		    !t->relay_refused;
	}
	/*
	 * Results that change nothing but this worker's own rows are
	 * recorded as its claims are, without the writers' lock (on
	 * PostgreSQL the four workers of a host waited 0.4 s each for it in
	 * a 5 s fan-out); a refusal may be scored as a member's bounce,
	 * which reads and writes under it.
	 */
	st = scored ? db_begin(w->db) : db_claim_begin(w->db,
	    journal_name(w->journal));
	/* the results in a few statements: one round trip for 64 of them */
	if (st != KITH_OK ||
	    outbox_mark_many(w->marker, r, f->ndone, now, &w->rp) != KITH_OK)
		goto fail;
	for (size_t i = 0; i < f->ndone; i++) {
		/* A refusal at delivery is a bounce, too. */
		if (!strcmp(r[i].state, "failed") && r[i].it->member_id > 0 &&
		    !f->txs[f->done[i]].relay_refused &&
		    bounce_delivery_failed(w->cfg, w->db, r[i].it->id,
		    r[i].code, r[i].text, r[i].status != KITH_PERM, now) ==
		    KITH_TEMP)
			goto fail;
	}
	if (db_script(w->db, "COMMIT") == KITH_OK) {
		free(r);
		return 0;
	}
fail:
	free(r);
	snprintf(cause, n, "%s", db_errmsg(w->db));
	db_rollback(w->db);
	return -1;
}

/* Commit the results waiting in f; retried while the database is busy. */
static void
inflight_record(struct inflight *f)
{
	struct worker *w = f->w;
	int64_t now = now_utc();
	char cause[160] = "";

	if (f->ndone == 0)
		return;
	for (int tries = 0; tries < 5; tries++) {
		if (record_once(f, now, cause, sizeof(cause)) < 0)
			continue;
		for (size_t i = 0; i < f->ndone; i++)
			count_result(w, &f->items[f->done[i]],
			    &f->txs[f->done[i]]);
		f->ndone = 0;
		if (w->journal)
			journal_reset(w->journal);
		return;
	}
	/* The journal keeps what was sent; the rest is sent again after
	 * the lease: never lost. */
	worker_stop(w, "cannot record delivery results: %s; what was sent "
	    "is in the journal, the rest is sent again later", cause);
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
	if (t->status == KITH_OK && f->w->journal && !f->w->journal_off &&
	    journal_sent(f->w->journal, f->items[k].id) < 0) {
		/* Without the journal, commit each result at once.  The file
		 * stays open and locked: the rows claimed in its name are
		 * still ours, and what it holds stays until it is committed. */
		f->w->journal_off = 1;
		f->w->commit_every = 1;
		inflight_record(f);
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
 * unsubscribe_header - List-Unsubscribe for one member: the mailto whose
 * token names the member and works for nobody else, so that a mail
 * client's Unsubscribe button works in one step; with web_base_url also
 * the https link and RFC 8058's List-Unsubscribe-Post for one-click.
 */
static char *
unsubscribe_header(struct worker *w, const char *list_address,
    int64_t member_id, const char *rcpt)
{
	char *mailto, *url, *h;

	if (weblink_list_unsubscribe(w->cfg, w->key, list_address,
	    member_id, rcpt, &mailto, &url) < 0)
		return NULL;
	if (url)
		h = xasprintf("List-Unsubscribe: <%s>,\r\n <%s>\r\n"
		    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
		    url, mailto);
	else
		h = xasprintf("List-Unsubscribe: <%s>\r\n", mailto);
	free(mailto);
	free(url);
	return h;
}

/*
 * recipient_head - the header lines only this recipient's copy has: its
 * List-Unsubscribe, and the DKIM signature over the whole copy.  own is
 * the copy's own bytes when a renderer made them, else NULL: the shared
 * message is prepared for signing once.  NULL when there are none.
 */
static char *
recipient_head(struct worker *w, const struct outbox_message *m,
    const struct outbox_item *it, const char *own, size_t own_len)
{
	char *unsub = NULL, *sig, *all;
	struct dkim_msg *dm;
	int smtp = !strncmp(w->cfg->transport, "smtp://", 7);

	if (own == NULL && *m->unsubscribe && it->member_id > 0)
		unsub = unsubscribe_header(w, m->unsubscribe, it->member_id,
		    it->rcpt);
	if (w->dkim == NULL)
		return unsub;
	if (own) {
		/* Each copy's body differs: hash it once, for this copy. */
		dm = dkim_prepare(own, own_len, smtp);
		sig = dkim_sign(w->dkim, dm, NULL, 0, now_utc());
		dkim_msg_free(dm);
		return sig;
	}
	if (w->dkim_msg_id != m->id) {
		dkim_msg_free(w->dkim_msg);
		w->dkim_msg = dkim_prepare(m->data, m->len, smtp);
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

/* The rates that apply to m: the site's and its list's; 0 when none. */
static int
message_rates(struct worker *w, const struct outbox_message *m)
{
	if (w->rate_msg_id == m->id)
		return w->nscopes;
	w->rate_msg_id = m->id;
	w->nscopes = 0;
	if (w->site_interval > 0) {
		w->scopes[w->nscopes].name = "site";
		w->scopes[w->nscopes++].interval_us = w->site_interval;
	}
	if (m->list_id > 0) {
		char *spec = list_setting(w->db, m->list_id, "rate");
		int64_t interval = 0;

		if (spec && throttle_parse(spec, &interval) == 0 && interval > 0) {
			snprintf(w->list_scope, sizeof(w->list_scope), "list:%lld",
			    (long long)m->list_id);
			w->scopes[w->nscopes].name = w->list_scope;
			w->scopes[w->nscopes++].interval_us = interval;
		}
		free(spec);
	}
	return w->nscopes;
}

/*
 * throttle_wait - block until the rates allow one more send.  -1 when
 * that would be after deadline (the rows go back to the queue instead of
 * outliving their lease) or the database stays busy.
 */
static int
throttle_wait(struct worker *w, int64_t deadline_us)
{
	for (int busy = 0; busy < 50;) {
		int64_t now = throttle_now_us(), wait;

		if (now >= deadline_us)
			return -1;
		if (throttle_take(w->db, w->scopes, w->nscopes, now, &wait) !=
		    KITH_OK) {
			busy++;
			usleep(100000);
			continue;
		}
		if (wait == 0)
			return 0;
		if (now + wait >= deadline_us)
			return -1;
		usleep((useconds_t)(wait > 1000000 ? 1000000 : wait));
	}
	return -1;
}

/* 1 when each copy of m is rendered for its recipient at delivery. */
static int
message_rendered(const struct outbox_message *m)
{
	return m->render && *m->render;
}

/*
 * render_copy - the copy of m for it, made by the renderer of the
 * feature its render names; NULL when there is none or it fails.
 */
static char *
render_copy(struct worker *w, const struct outbox_message *m,
    const struct outbox_item *it, size_t *len)
{
	int k;

	if (!strncmp(m->render, NOTICE_RENDER, strlen(NOTICE_RENDER)))
		return notice_copy(w->db, w->cfg, w->key, m->list_id, m->render,
		    it->rcpt, len);
	if ((k = features_renderer(m->render)) < 0) {
		log_warn("deliver: message %lld: no renderer for '%s'",
		    (long long)m->id, m->render);
		return NULL;
	}
	return features_table[k]->render(&w->site, &w->caches[k], m->render,
	    it->member_id, it->rcpt, len);
}

/* Fill tx t for item it of message m; own gets a rendered copy. */
static void
tx_prepare(struct worker *w, const struct outbox_message *m,
    const struct outbox_item *it, struct tx *t, char **from, char **head,
    char **own, void *ctx)
{
	size_t own_len = 0;

	*from = deliver_verp(w->key, m->bounce_local, *w->cfg->delimiter,
	    m->domain, it->id, it->rcpt);
	t->from = *from;
	t->rcpt = it->rcpt;
	t->done = inflight_done;
	t->ctx = ctx;
	t->status = -1;
	t->data = m->data;
	t->len = m->len;
	if (message_rendered(m)) {
		*own = render_copy(w, m, it, &own_len);
		if (*own == NULL)
			return;
		t->data = *own;
		t->len = own_len;
	}
	*head = recipient_head(w, m, it, *own, own_len);
	/* issue 17: ARC (RFC 8617) for list copies, above the DKIM signature */
	if (w->dkim && *m->unsubscribe)
		*head = arc_head(&w->arc, w->dkim, m->id, m->data, m->len, *own,
		    own_len, !strncmp(w->cfg->transport, "smtp://", 7),
		    now_utc(), *head);
	if (*head) {
		t->head = *head;
		t->head_len = strlen(*head);
	}
}

/*
 * send_run - hand txs[i, i+k) of one message to the transport: all at
 * once (pipelined), or one at a time at the pace its rates allow.  Txs
 * that already have a result are skipped.  -1 when the rates ran past
 * deadline; the txs not sent then still have status -1.
 */
static int
send_run(struct worker *w, struct inflight *f, size_t i, size_t k,
    int64_t deadline)
{
	int rated = w->nscopes;
	size_t j = 0;

	while (j < k) {
		size_t run = 0;

		if (f->txs[i + j].status >= 0) {
			j++;
			continue;
		}
		if (rated) {
			if (throttle_wait(w, deadline) < 0)
				return -1;
			run = 1;
		} else
			while (j + run < k && f->txs[i + j + run].status < 0)
				run++;
		transport_send(w->tr, f->txs + i + j, run);
		j += run;
	}
	return 0;
}

/*
 * worker_batch - send claimed rows, one transport call per run of rows
 * that share a message (claims are ordered by message); one at a time,
 * at the allowed pace, when a rate applies.
 */
static int
worker_batch(struct worker *w, struct outbox_item *items, size_t n,
    struct outbox_message *cur)
{
	struct inflight f;
	char **from = xcalloc(n, sizeof(*from));
	char **head = xcalloc(n, sizeof(*head));
	char **own = xcalloc(n, sizeof(*own));
	int64_t deadline = throttle_now_us() +
	    (int64_t)w->cfg->lease_seconds * 500000;	/* half the lease */
	size_t i = 0;

	memset(&f, 0, sizeof(f));
	f.w = w;
	f.items = items;
	f.txs = xcalloc(n, sizeof(*f.txs));
	f.done = xcalloc(n, sizeof(*f.done));
	f.st = KITH_OK;
	while (i < n && f.st == KITH_OK) {
		size_t k = 0;

		if (message_ensure(w, cur, items[i].msg_id) != KITH_OK) {
			worker_stop(w, "cannot load queued message %lld: %s",
			    (long long)items[i].msg_id, db_errmsg(w->db));
			f.st = KITH_TEMP;
			break;
		}
		for (; i + k < n && items[i + k].msg_id == cur->id; k++)
			tx_prepare(w, cur, &items[i + k], &f.txs[i + k],
			    &from[i + k], &head[i + k], &own[i + k], &f);
		for (size_t j = 0; j < k; j++)
			if (message_rendered(cur) && own[i + j] == NULL)
				tx_set_result(&f.txs[i + j], KITH_TEMP, 0,
				    "the copy could not be rendered");
		message_rates(w, cur);
		if (send_run(w, &f, i, k, deadline) < 0) {
			/* Out of time for the rate: the rest is claimed again. */
			struct outbox_item *back = xcalloc(n, sizeof(*back));
			size_t nback = 0;

			for (size_t j = i; j < n; j++)
				if (j >= i + k || f.txs[j].status < 0)
					back[nback++] = items[j];
			outbox_unclaim(w->db, back, nback);
			free(back);
			inflight_record(&f);
			break;
		}
		inflight_record(&f);
		i += k;
	}
	for (size_t j = 0; j < n; j++) {
		free(from[j]);
		free(head[j]);
		free(own[j]);
	}
	free(from);
	free(head);
	free(own);
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
		    batch_size, w->journal_dir, journal_name(w->journal),
		    &items, &n);
		if (st != KITH_OK)
			worker_stop(w, "cannot claim outbox rows: %s",
			    db_errmsg(w->db));
		if (st != KITH_OK || n == 0) {
			outbox_items_free(items, n);
			break;
		}
		if (w->journal && !w->journal_off &&
		    journal_reserve(w->journal, n) < 0) {
			/* a full disk: what was sent could not be journalled,
			 * and the next run would send it again.  The journal is
			 * kept, so that the next run hands the rows back. */
			worker_stop(w, "journal: no room for %zu deliveries: %s;"
			    " none sent, they go back to the queue", n,
			    strerror(errno));
			w->keep_journal = 1;
			outbox_items_free(items, n);
			st = KITH_TEMP;
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
	throttle_parse(cfg->rate, &w->site_interval);	/* checked at load */
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
	if (st == KITH_OK) {
		size_t n = 0;

		while (features_table[n])
			n++;
		w->site = (struct site_ctx){ cfg, w->db, w->key };
		w->caches = xcalloc(n + 1, sizeof(*w->caches));
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
	for (int i = 0; w->caches && features_table[i]; i++)
		if (w->caches[i] && features_table[i]->render_free)
			features_table[i]->render_free(w->caches[i]);
	free(w->caches);
	arc_cache_free(w->arc);
	token_key_free(w->key);
	db_close(w->db);
}

/*
 * worker_main - set up and run one worker; on failure err says why, in
 * every case (release w afterwards either way).
 */
static int
worker_main(struct worker *w, const struct kith_config *cfg, int commit,
    int batch, char *err, size_t errlen)
{
	int st;

	snprintf(err, errlen, "cannot start delivery");
	st = worker_init(w, cfg, commit, err, errlen);
	if (st != KITH_OK)
		return st;
	st = worker_run(w, batch);
	if (st != KITH_OK)
		snprintf(err, errlen, "%s", *w->why ? w->why :
		    "delivery stopped early; cron retries");
	return st;
}

/*
 * How many rows are due now: decides whether more workers are worth it.
 * The copies of posts stored under load (post.h) are made first: they
 * are due too.
 */
static int64_t
due_rows(const struct kith_config *cfg)
{
	char *db_path = config_db_path(cfg), err[256] = "";
	struct db *db;
	int64_t n = 0;
	int st;

	if (db_open(db_path, 0, cfg->busy_timeout_ms, DB_FAST, &db, err,
	    sizeof(err)) == KITH_OK) {
		if (outbox_fanout_waiting(db, NULL) > 0)
			(void)post_catch_up(db, now_utc());
		/* three counts, each through its own index (schema 20) */
		n = db_int(db, 0, &st, "SELECT (SELECT count(*) FROM outbox "
		    "WHERE state='pending' AND next_try<=?1) + (SELECT "
		    "count(*) FROM outbox WHERE state='deferred' AND "
		    "next_try<=?1) + (SELECT count(*) FROM outbox WHERE "
		    "state='sending' AND lease_until<?1)", "i", now_utc());
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
			char werr[512] = "";

			close(fds[0]);
			st = worker_main(&w, cfg, commit, batch, werr,
			    sizeof(werr));
			if (st != KITH_OK)
				log_error("deliver: %s", werr);
			write_all(fds[1], &w.stats, sizeof(w.stats));
			worker_release(&w);
			_exit(st == KITH_OK ? 0 : EX_TEMPFAIL_);
		}
	}
	close(fds[1]);
	st = worker_main(&w, cfg, commit, batch, err, errlen);
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
			stats->relay_refused += ks.relay_refused;
		}
	}
	close(fds[0]);
	free(kids);
	return st;
}
