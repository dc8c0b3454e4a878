/* dns - TXT lookups through libunbound, cached in the database. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unbound.h>

#include "kith/db.h"
#include "kith/dns.h"
#include "kith/log.h"
#include "kith/util.h"

#define RR_TXT 16
#define CLASS_IN 1
#define RCODE_NXDOMAIN 3

struct dns {
	const struct kith_config *cfg;
	struct db *db;
	struct ub_ctx *ub;
	int broken;		/* the context could not be made: all TEMP */
	char broken_why[96];
	unsigned queries;
	int memo_only;		/* never asks the network (dns_memo_only) */
	unsigned unasked;	/* names it would have asked */
};

/* What the callback hands back to the waiting lookup. */
struct answer {
	int done;
	int err;
	struct ub_result *res;
};

/* A name's answer in a memo (dns_memo_new), until expires. */
struct memo_entry {
	char *name;		/* NULL: free */
	enum dns_status status;
	char **rec;
	size_t n;
	char why[128];
	int64_t expires;
};

struct dns_memo {
	pthread_mutex_t lock;
	size_t next;		/* the slot to take when none is free */
	struct memo_entry e[DNS_MEMO_SIZE];
};

struct dns_memo *
dns_memo_new(void)
{
	struct dns_memo *m = xcalloc(1, sizeof(*m));

	pthread_mutex_init(&m->lock, NULL);
	return m;
}

static void
memo_entry_clear(struct memo_entry *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->rec[i]);
	free(e->rec);
	free(e->name);
	memset(e, 0, sizeof(*e));
}

void
dns_memo_free(struct dns_memo *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < DNS_MEMO_SIZE; i++)
		memo_entry_clear(&m->e[i]);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* records_dup - a copy of n records (NULL for none) */
static char **
records_dup(char *const *rec, size_t n)
{
	char **copy = n ? xcalloc(n, sizeof(*copy)) : NULL;

	for (size_t k = 0; k < n; k++)
		copy[k] = xstrdup(rec[k]);
	return copy;
}

/*
 * memo_get - name's answer in the memo, if it is fresh: its status, with
 * out filled (and *expires), or -1.
 */
static int
memo_get(struct dns_memo *m, const char *name, int64_t now,
    struct dns_txt *out, int64_t *expires)
{
	int found = -1;

	if (m == NULL)
		return -1;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < DNS_MEMO_SIZE && found < 0; i++) {
		struct memo_entry *e = &m->e[i];

		if (e->name == NULL || e->expires <= now || strcmp(e->name,
		    name))
			continue;
		found = (int)e->status;
		*expires = e->expires;
		snprintf(out->why, sizeof(out->why), "%s", e->why);
		out->rec = records_dup(e->rec, e->n);
		out->n = e->n;
	}
	pthread_mutex_unlock(&m->lock);
	return found;
}

/* memo_put - keep name's answer until expires: in its own slot, a free
 * or stale one, else the next in turn */
static void
memo_put(struct dns_memo *m, const char *name, enum dns_status status,
    const struct dns_txt *t, int64_t now, int64_t expires)
{
	struct memo_entry *e = NULL;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < DNS_MEMO_SIZE && e == NULL; i++)
		if (m->e[i].name && !strcmp(m->e[i].name, name))
			e = &m->e[i];
	for (size_t i = 0; i < DNS_MEMO_SIZE && e == NULL; i++)
		if (m->e[i].name == NULL || m->e[i].expires <= now)
			e = &m->e[i];
	if (e == NULL)
		e = &m->e[m->next++ % DNS_MEMO_SIZE];
	memo_entry_clear(e);
	e->name = xstrdup(name);
	e->status = status;
	e->expires = expires;
	snprintf(e->why, sizeof(e->why), "%s", t->why);
	e->rec = records_dup(t->rec, t->n);
	e->n = t->n;
	pthread_mutex_unlock(&m->lock);
}

struct dns *
dns_new(const struct kith_config *cfg, struct db *db)
{
	struct dns *d = xcalloc(1, sizeof(*d));

	d->cfg = cfg;
	d->db = db;
	return d;
}

void
dns_free(struct dns *d)
{
	if (d == NULL)
		return;
	if (d->ub)
		ub_ctx_delete(d->ub);
	free(d);
}

unsigned
dns_queries(const struct dns *d)
{
	return d ? d->queries : 0;
}

void
dns_memo_only(struct dns *d)
{
	d->memo_only = 1;
}

unsigned
dns_unasked(const struct dns *d)
{
	return d ? d->unasked : 0;
}

void
dns_txt_release(struct dns_txt *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->rec[i]);
	free(t->rec);
	t->rec = NULL;
	t->n = 0;
}

/*
 * set_servers - [dns] server: forwarders separated by commas or spaces,
 * "ADDR" or "ADDR@PORT"; empty means those of /etc/resolv.conf.
 */
static int
set_servers(struct dns *d, struct ub_ctx *ub)
{
	char *list = xstrdup(d->cfg->dns_server), *save = NULL, *tok;
	int rc = 0, any = 0;

	for (tok = strtok_r(list, ", \t", &save); tok && rc == 0;
	    tok = strtok_r(NULL, ", \t", &save)) {
		rc = ub_ctx_set_fwd(ub, tok);
		any = 1;
	}
	free(list);
	if (rc == 0 && !any)
		rc = ub_ctx_resolvconf(ub, NULL);
	if (rc != 0)
		snprintf(d->broken_why, sizeof(d->broken_why), "%s",
		    ub_strerror(rc));
	return rc;
}

/* The libunbound context, made once; NULL (and broken) when it cannot be. */
static struct ub_ctx *
context(struct dns *d)
{
	struct ub_ctx *ub;

	if (d->ub || d->broken)
		return d->ub;
	ub = ub_ctx_create();
	if (ub == NULL) {
		snprintf(d->broken_why, sizeof(d->broken_why), "cannot create "
		    "a resolver");
		d->broken = 1;
		return NULL;
	}
	/* A forwarder on this machine (a local unbound, systemd-resolved,
	 * the tests' server) is the common case, not a mistake. */
	if (ub_ctx_set_option(ub, "do-not-query-localhost:", "no") != 0 ||
	    ub_ctx_set_option(ub, "verbosity:", "0") != 0 ||
	    ub_ctx_async(ub, 1) != 0 || set_servers(d, ub) != 0) {
		if (!*d->broken_why)
			snprintf(d->broken_why, sizeof(d->broken_why),
			    "cannot configure the resolver");
		log_error("dns: [dns] server '%s': %s", d->cfg->dns_server,
		    d->broken_why);
		ub_ctx_delete(ub);
		d->broken = 1;
		return NULL;
	}
	d->ub = ub;
	return ub;
}

static void
on_answer(void *arg, int err, struct ub_result *res)
{
	struct answer *a = arg;

	a->done = 1;
	a->err = err;
	a->res = res;
}

/*
 * ask - one question to the network, waited for until [dns] timeout_ms.
 * 0 with *res (caller frees with ub_resolve_free), or -1 with why.
 */
static int
ask(struct dns *d, const char *name, struct ub_result **res, char *why,
    size_t whylen)
{
	struct ub_ctx *ub = context(d);
	struct answer a = { 0, 0, NULL };
	int64_t deadline = mono_ms() + d->cfg->dns_timeout_ms;
	int id = 0, rc;

	if (ub == NULL) {
		snprintf(why, whylen, "%s", d->broken_why);
		return -1;
	}
	d->queries++;
	rc = ub_resolve_async(ub, name, RR_TXT, CLASS_IN, &a, on_answer, &id);
	if (rc != 0) {
		snprintf(why, whylen, "%s", ub_strerror(rc));
		return -1;
	}
	while (!a.done) {
		struct pollfd p = { ub_fd(ub), POLLIN, 0 };
		int64_t left = deadline - mono_ms();

		if (left <= 0) {
			ub_cancel(ub, id);
			snprintf(why, whylen, "no answer in %d ms",
			    d->cfg->dns_timeout_ms);
			return -1;
		}
		rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno != EINTR) {
			ub_cancel(ub, id);
			snprintf(why, whylen, "poll: %s", strerror(errno));
			return -1;
		}
		if (rc > 0 && (rc = ub_process(ub)) != 0) {
			snprintf(why, whylen, "%s", ub_strerror(rc));
			return -1;
		}
	}
	if (a.err != 0 || a.res == NULL) {
		snprintf(why, whylen, "%s", ub_strerror(a.err));
		ub_resolve_free(a.res);
		return -1;
	}
	*res = a.res;
	return 0;
}

/*
 * txt_rdata - one TXT record's character-strings joined; NULL when it is
 * malformed or holds a NUL (no DMARC or DKIM record can).
 */
static char *
txt_rdata(const unsigned char *p, int len)
{
	struct buf b;
	int i = 0;

	buf_init(&b);
	buf_adds(&b, "");
	while (i < len) {
		int n = p[i++];

		if (i + n > len || memchr(p + i, '\0', (size_t)n)) {
			buf_release(&b);
			return NULL;
		}
		buf_add(&b, p + i, (size_t)n);
		i += n;
	}
	return buf_detach(&b, NULL);
}

static int64_t
clamp_ttl(int64_t ttl)
{
	return ttl < DNS_MIN_TTL ? DNS_MIN_TTL : ttl > DNS_MAX_TTL ?
	    DNS_MAX_TTL : ttl;
}

/* The cached answer for name, if one is fresh: DNS_FOUND/NONE, or -1. */
static int
cache_get(struct dns *d, const char *name, int64_t now, struct dns_txt *out)
{
	struct db_stmt *st;
	int found = -1;

	/* kept prepared (db_cached): a post's DMARC lookup asks it each time */
	if (d->db == NULL || (st = db_cached(d->db, "SELECT status, data "
	    "FROM dns_cache WHERE name=? AND rrtype=? AND expires>?")) == NULL)
		return -1;
	db_bind(st, "tIi", name, RR_TXT, now);
	if (db_step(st) == DB_ROW) {
		const char *status = db_col_str(st, 0);
		const char *data = db_col_blob(st, 1);
		int len = db_col_bytes(st, 1);

		found = status && !strcmp(status, "found") ? DNS_FOUND :
		    DNS_NONE;
		/* records are stored one after the other, NUL-terminated */
		for (int i = 0; found == DNS_FOUND && i < len;) {
			size_t n = strnlen(data + i, (size_t)(len - i));

			out->rec = xrealloc(out->rec, (out->n + 1) *
			    sizeof(*out->rec));
			out->rec[out->n++] = xstrndup(data + i, n);
			i += (int)n + 1;
		}
		if (found == DNS_FOUND && out->n == 0)
			found = DNS_NONE;
		out->cached = 1;
	}
	db_cached_done(st);
	return found;
}

/*
 * cache_put - keep an answer for its TTL; a busy database only costs a
 * lookup later.  Answers past their TTL go first: without that, every
 * author domain ever seen would stay (a list of who posted, and a table
 * that only grows); it runs once per question sent, not per post.
 */
static void
cache_put(struct dns *d, const char *name, int status,
    const struct dns_txt *t, int64_t now, int64_t ttl)
{
	struct buf b;

	if (d->db == NULL)
		return;
	if (db_exec(d->db, "DELETE FROM dns_cache WHERE expires<=?", "i",
	    now) != KITH_OK)
		log_debug("dns: cannot drop expired answers");
	buf_init(&b);
	for (size_t i = 0; i < t->n; i++)
		buf_add(&b, t->rec[i], strlen(t->rec[i]) + 1);
	if (db_exec(d->db, "INSERT INTO dns_cache(name, rrtype, status, data, "
	    "fetched, expires) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name, "
	    "rrtype) DO UPDATE SET status=excluded.status, data=excluded.data, "
	    "fetched=excluded.fetched, expires=excluded.expires",
	    "tItbii", name, RR_TXT, status == DNS_FOUND ? "found" : "none",
	    b.data ? b.data : "", (int)b.len, now, now + clamp_ttl(ttl)) !=
	    KITH_OK)
		log_debug("dns: cannot cache the answer for '%s'", name);
	buf_release(&b);
}

enum dns_status
dns_txt(struct dns *d, const char *name, int64_t now, struct dns_txt *out)
{
	struct ub_result *res = NULL;
	int64_t expires = 0;
	int st;

	memset(out, 0, sizeof(*out));
	if ((st = cache_get(d, name, now, out)) >= 0)
		return (enum dns_status)st;
	/* what another thread of kith serve asked a moment ago */
	if ((st = memo_get(d->cfg->dns_memo, name, now, out, &expires)) >= 0) {
		if (st != DNS_TEMP)
			cache_put(d, name, st, out, now, expires - now);
		return (enum dns_status)st;
	}
	if (d->memo_only) {
		d->unasked++;
		snprintf(out->why, sizeof(out->why), "not asked");
		return DNS_TEMP;
	}
	if (ask(d, name, &res, out->why, sizeof(out->why)) < 0) {
		log_info("dns: no answer for '%s': %s", name, out->why);
		memo_put(d->cfg->dns_memo, name, DNS_TEMP, out, now, now +
		    DNS_MEMO_TEMP_TTL);
		return DNS_TEMP;
	}
	if (res->rcode != 0 && res->rcode != RCODE_NXDOMAIN) {
		snprintf(out->why, sizeof(out->why), "rcode %d%s", res->rcode,
		    res->rcode == 2 ? " (SERVFAIL)" : "");
		log_info("dns: no answer for '%s': %s", name, out->why);
		memo_put(d->cfg->dns_memo, name, DNS_TEMP, out, now, now +
		    DNS_MEMO_TEMP_TTL);
		ub_resolve_free(res);
		return DNS_TEMP;
	}
	for (int i = 0; res->havedata && res->data[i]; i++) {
		char *r = txt_rdata((const unsigned char *)res->data[i],
		    res->len[i]);

		if (r == NULL)
			continue;
		out->rec = xrealloc(out->rec, (out->n + 1) * sizeof(*out->rec));
		out->rec[out->n++] = r;
	}
	st = out->n ? DNS_FOUND : DNS_NONE;
	cache_put(d, name, st, out, now, res->ttl);
	memo_put(d->cfg->dns_memo, name, (enum dns_status)st, out, now, now +
	    clamp_ttl(res->ttl));
	log_debug("dns: '%s': %zu TXT record(s), ttl %d", name, out->n,
	    res->ttl);
	ub_resolve_free(res);
	return (enum dns_status)st;
}
