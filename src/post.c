/* post - archive and fan out an accepted post. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/arc.h"
#include "kith/archive.h"
#include "kith/compose.h"
#include "kith/db.h"
#include "kith/dmarc.h"
#include "kith/dns.h"
#include "kith/filter.h"
#include "kith/footer.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/outbox.h"
#include "kith/post.h"
#include "kith/util.h"
#include "kith/weblinks.h"

/*
 * rewrite_from - whether the copy must not go out From the author:
 * from_rewrite always or never, or (auto) the author's DMARC policy
 * (dmarc.h), logged with the Message-ID.
 */
static int
rewrite_from(struct dns *dns, const struct kith_config *cfg,
    const char *setting, const struct message *m, const char *msgid)
{
	const char *at = strrchr(m->from_addr, '@');
	struct dmarc_result r;

	if (strcmp(setting, "auto"))
		return !strcmp(setting, "always");
	if (at == NULL)
		return 0;
	dmarc_check(dns, at + 1, cfg->dkim_domain, now_utc(), &r);
	log_info("dmarc: '<%s>' from '%s': %s: From %s", msgid, m->from_addr,
	    r.temp ? "no DNS answer, the safe side" : r.why, r.rewrite ?
	    "rewritten" : "kept");
	return r.rewrite;
}

/*
 * post_copy - the list copy of m (the post as filtered, filter.h) with
 * the list's settings applied: From rewritten or the post wrapped for
 * DMARC (dmarc.h), the footer (footer.h), and the ARC stamp (arc.h) of
 * the post as received.  *per_member says each member's copy gets its
 * own footer at delivery.  Caller frees.
 */
static char *
post_copy(struct db *db, const struct kith_config *cfg, const struct list *l,
    const struct message *m, const struct message *received,
    const char *msgid, size_t *len, int *per_member)
{
	char *prefix = list_setting(db, l->id, "subject_prefix");
	char *reply_to = list_setting(db, l->id, "reply_to");
	char *archive_url = list_archive_url(db, cfg, l);
	char *rewrite = list_setting(db, l->id, "from_rewrite");
	char *action = list_setting(db, l->id, "dmarc_action");
	char *archive = list_setting(db, l->id, "archive");
	char *site_url = NULL, *copy, *wrapped = NULL, *archived_at = NULL;
	char err[256];
	struct dns *dns = dns_new(cfg, db);
	struct message wm;
	const struct message *src = m;
	struct list_copy_opts o;
	size_t wlen = 0;
	int wparsed = 0;

	/* kith serve's archive, once it has an address (web_archive.h) */
	if (strcmp(archive, "off") && *cfg->web_base_url) {
		if (*archive_url == '\0')
			site_url = weblink_archive(cfg, l->local);
		archived_at = weblink_archive_message(cfg, l->local, msgid);
	}
	memset(&o, 0, sizeof(o));
	o.list_address = l->address;
	o.list_local = l->local;
	o.list_domain = l->domain;
	o.list_name = l->name;
	o.subject_prefix = prefix;
	o.reply_to_list = !strcmp(reply_to, "list");
	o.archive_url = site_url ? site_url : archive_url;
	o.archived_at = archived_at;
	o.message_id = msgid;
	o.from_rewrite = rewrite_from(dns, cfg, rewrite, src, msgid);
	if (o.from_rewrite && !strcmp(action, "wrap") &&
	    (wrapped = dmarc_wrap(cfg, &o, src, &wlen)) != NULL &&
	    message_parse(&wm, wrapped, wlen, err, sizeof(err)) == 0) {
		/* the wrapper is From the list already */
		src = &wm, wparsed = 1;
		o.from_rewrite = 0;
	}
	copy = compose_list_copy(&o, src, len);
	/* a footer would break the signature members' servers check */
	if ((o.from_rewrite || wparsed || !footer_keeps_signature(received)) &&
	    footer_post(db, cfg, l, "footer", &copy, len) == 1)
		*per_member = 1;
	/* ARC: what was checked on arrival, sealed with the DKIM key */
	if (*cfg->dkim_domain) {
		enum arc_cv cv;
		char *aar = arc_stamp(dns, cfg->authserv_id, cfg->domain,
		    received->raw, received->len, m->eol, now_utc(), &cv);

		if (aar) {
			size_t n = strlen(aar);

			/* in place: a copy of a 10 MB post once is enough */
			copy = xrealloc(copy, *len + n + 1);
			memmove(copy + n, copy, *len + 1);
			memcpy(copy, aar, n);
			*len += n;
			free(aar);
		}
	}
	if (wparsed)
		message_release(&wm);
	dns_free(dns);
	free(wrapped);
	free(action);
	free(rewrite);
	free(prefix);
	free(reply_to);
	free(archive_url);
	free(site_url);
	free(archive);
	free(archived_at);
	return copy;
}

/* prefetch - post_prefetch_dns; memo_only: the names it did not ask */
static unsigned
prefetch(const struct kith_config *cfg, const struct message *m, int memo_only)
{
	const char *at = strrchr(m->from_addr, '@');
	struct dmarc_result r;
	struct dns *dns;
	char why[256];
	unsigned unasked;
	int max = 0;

	if (cfg->dns_memo == NULL)
		return 0;
	dns = dns_new(cfg, NULL);
	if (memo_only)
		dns_memo_only(dns);
	/* as rewrite_from and arc_stamp ask, for the answers to be there */
	if (at && at[1])
		dmarc_check(dns, at + 1, cfg->dkim_domain, now_utc(), &r);
	if (*cfg->dkim_domain)
		(void)arc_verify(dns, m->raw, m->len, now_utc(), &max, why,
		    sizeof(why));
	unasked = dns_unasked(dns);
	dns_free(dns);
	return unasked;
}

void
post_prefetch_dns(const struct kith_config *cfg, const struct message *m)
{
	(void)prefetch(cfg, m, 0);
}

int
post_dns_known(const struct kith_config *cfg, const struct message *m)
{
	return prefetch(cfg, m, 1) == 0;
}

int
post_catch_up(struct db *db, int64_t now)
{
	int st = db_begin(db);

	if (st != KITH_OK)
		return KITH_TEMP;
	if ((st = db_index_queued(db)) != KITH_OK ||
	    (st = outbox_fanout_catch_up(db, now)) != KITH_OK) {
		log_warn("database: catching up with the posts stored under "
		    "load: %s", db_errmsg(db));
		db_rollback(db);
		return KITH_TEMP;
	}
	return db_commit(db) == KITH_OK ? KITH_OK : KITH_TEMP;
}

int
post_accept(struct db *db, const struct kith_config *cfg, const struct list *l,
    const struct message *m, struct post_outcome *o)
{
	char *archive = list_setting(db, l->id, "archive"), *gen = NULL;
	char *bounces = xasprintf("%s-bounces", l->local), *copy, *filtered;
	const char *msgid = m->message_id;
	const struct message *received = m;
	struct archive_writer *aw = NULL;
	struct message fm;
	int64_t msg_id;
	size_t clen, flen = 0;
	int st, per_member = 0, parsed = 0;
	char err[256];

	memset(o, 0, sizeof(*o));
	if (*msgid == '\0')
		msgid = gen = compose_message_id(l->domain);
	snprintf(o->message_id, sizeof(o->message_id), "%s", msgid);
	/* what the content filter drops or converts, nobody gets: not the
	 * members, not the archive, not the digests made from it */
	filtered = filter_apply(db, cfg, l, m, &flen);
	if (filtered && message_parse(&fm, filtered, flen, err,
	    sizeof(err)) == 0)
		m = &fm, parsed = 1;
	copy = post_copy(db, cfg, l, m, received, msgid, &clen, &per_member);
	if ((st = db_begin(db)) != KITH_OK) {
		snprintf(o->error, sizeof(o->error), "%s", DB_BUSY_TEXT);
		goto done;
	}
	/* one writer for the look and the row: its statements kept */
	if ((aw = archive_writer_new(db)) == NULL) {
		st = KITH_TEMP;
		snprintf(o->error, sizeof(o->error), "%s", DB_BUSY_TEXT);
		db_rollback(db);
		goto done;
	}
	/* Checked under the write lock: two receives of one post race here. */
	if (archive_writer_seen(aw, l->id, msgid) == 1) {
		db_rollback(db);
		o->duplicate = 1;
		goto done;
	}
	if ((st = archive_writer_store(aw, l->id, m, msgid, strcmp(archive,
	    "off") != 0, now_utc(), &o->post_id)) != KITH_OK ||
	    (st = outbox_message_add(db, l->id, o->post_id, "post", bounces,
	    l->domain, l->address, copy, clen, &msg_id)) != KITH_OK ||
	    (per_member && (st = footer_mark(db, msg_id)) != KITH_OK) ||
	    (st = outbox_fanout_members(db, msg_id, l->id, &o->recipients)) !=
	    KITH_OK) {
		snprintf(o->error, sizeof(o->error), "%s", st == KITH_PERM ?
		    db_errmsg(db) : DB_BUSY_TEXT);
		db_rollback(db);
		goto done;
	}
	o->deferred = db_deferring(db);
	if (*m->from_addr)
		member_count_post(db, l->id, m->from_addr);
	if ((st = db_commit(db)) != KITH_OK)
		snprintf(o->error, sizeof(o->error), "commit failed");
done:
	archive_writer_free(aw);
	if (parsed)
		message_release(&fm);
	free(filtered);
	free(archive);
	free(gen);
	free(bounces);
	free(copy);
	return st;
}
