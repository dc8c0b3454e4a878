/* inbound - route, decide, commit. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/address.h"
#include "kith/archive.h"
#include "kith/compose.h"
#include "kith/db.h"
#include "kith/inbound.h"
#include "kith/lists.h"
#include "kith/log.h"
#include "kith/message.h"
#include "kith/outbox.h"
#include "kith/policy.h"
#include "kith/template.h"
#include "kith/util.h"

#define MAX_CANDIDATES 4

struct inbound {
	const struct kith_config *cfg;
	sqlite3 *db;
	const char *raw;	/* what Kith reads: line ends normalised */
	size_t len;
	const char *received;	/* the bytes exactly as the MTA gave them */
	size_t received_len;
	const char *env_from;
	const char *env_to;
	struct inbound_result *res;
};

static void
result(struct inbound_result *r, int code, const char *what, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
result(struct inbound_result *r, int code, const char *what, const char *fmt,
    ...)
{
	va_list ap;

	r->exit_code = code;
	snprintf(r->what, sizeof(r->what), "%s", what);
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

/*
 * quarantine - keep what we cannot handle, byte for byte as received;
 * only a failure here makes the MTA retry.
 */
static void
quarantine(struct inbound *in, const char *reason)
{
	int st = db_begin(in->db);

	if (st == KITH_OK)
		st = db_exec(in->db, "INSERT INTO quarantine(received, "
		    "envelope_from, envelope_to, reason, raw) VALUES "
		    "(?, ?, ?, ?, ?)", "itttb", now_utc(), in->env_from,
		    in->env_to, reason, in->received, (int)in->received_len);
	if (st == KITH_OK)
		st = db_commit(in->db);
	else
		db_rollback(in->db);
	if (st == KITH_OK)
		result(in->res, 0, "quarantined", "inbound: quarantined "
		    "message to '%s' (id %lld): %s", in->env_to,
		    (long long)sqlite3_last_insert_rowid(in->db), reason);
	else
		result(in->res, EX_TEMPFAIL_, "deferred", "inbound: cannot "
		    "quarantine message to '%s' (%s): database unavailable",
		    in->env_to, reason);
}

/*
 * queue_notice - one automatic notice from the list to rcpt, from the
 * template name.  Never to automatic mail: callers check that first.
 */
static int
queue_notice(struct inbound *in, const struct list *l, const char *rcpt,
    const char *tmpl, const struct message *m, const char *subject,
    const char *size, const char *max_size)
{
	char *owner = xasprintf("%s-owner@%s", l->local, l->domain);
	char *sub = xasprintf("%s-subscribe@%s", l->local, l->domain);
	char *bounces = xasprintf("%s-bounces", l->local);
	char *list_id = xasprintf("<%s.%s>", l->local, l->domain);
	struct template_var vars[] = {
		{ "list.address", l->address }, { "list.name", l->name },
		{ "list.owner", owner }, { "list.subscribe", sub },
		{ "subject", m->subject }, { "size", size },
		{ "max_size", max_size }, { "to", in->env_to },
	};
	char *text = template_render(in->cfg, l->local, tmpl, vars,
	    (int)(sizeof(vars) / sizeof(vars[0])));
	char *mail = NULL;
	size_t mlen;
	int64_t msg_id;
	int st = KITH_PERM;

	if (text == NULL) {
		log_error("inbound: template '%s' is missing", tmpl);
		goto done;
	}
	mail = compose_notice(l->name, owner, rcpt, subject, m->message_id,
	    text, list_id, &mlen);
	st = outbox_message_add(in->db, l->id, 0, "notice", bounces, l->domain,
	    NULL, mail, mlen, &msg_id);
	if (st == KITH_OK)
		st = outbox_rcpt_add(in->db, msg_id, rcpt);
done:
	free(text);
	free(mail);
	free(owner);
	free(sub);
	free(bounces);
	free(list_id);
	return st;
}

/* Refuse a post with one notice to its sender, in one transaction. */
static void
refuse(struct inbound *in, const struct list *l, const struct message *m,
    const char *tmpl, const char *why)
{
	const char *to = *m->from_addr ? m->from_addr : in->env_from;
	char *rcpt = to ? address_normalize(to) : NULL;
	char size[32], max[32];
	char *subject = xasprintf("Your message to %s was not posted",
	    l->address);
	int st;

	snprintf(size, sizeof(size), "%zu", m->len);
	snprintf(max, sizeof(max), "%lld", (long long)list_setting_int(in->db,
	    l->id, "max_size", 0));
	if (rcpt == NULL) {
		result(in->res, 0, "refused", "inbound: refused '<%s>' to "
		    "'%s': %s; no address to notify", m->message_id,
		    l->address, why);
		goto done;
	}
	st = db_begin(in->db);
	if (st == KITH_OK)
		st = queue_notice(in, l, rcpt, tmpl, m, subject, size, max);
	if (st == KITH_OK)
		st = db_commit(in->db);
	else
		db_rollback(in->db);
	if (st == KITH_TEMP)
		result(in->res, EX_TEMPFAIL_, "deferred", "inbound: database "
		    "busy while refusing '<%s>'", m->message_id);
	else {
		result(in->res, 0, "refused", "inbound: refused '<%s>' from "
		    "'%s' to '%s': %s", m->message_id, rcpt, l->address, why);
		in->res->queued = st == KITH_OK;
	}
done:
	free(rcpt);
	free(subject);
}

/* Archive the post and queue the list copy for every member, atomically. */
static void
accept_post(struct inbound *in, const struct list *l, const struct message *m)
{
	char *prefix = list_setting(in->db, l->id, "subject_prefix");
	char *reply_to = list_setting(in->db, l->id, "reply_to");
	char *archive = list_setting(in->db, l->id, "archive");
	char *archive_url = list_setting(in->db, l->id, "archive_url");
	char *site_url = NULL, *gen_id = NULL, *copy = NULL;
	char *bounces = xasprintf("%s-bounces", l->local);
	const char *msgid = m->message_id;
	struct list_copy_opts o;
	int64_t post_id, msg_id, count = 0;
	size_t clen;
	int st;

	if (*msgid == '\0')
		msgid = gen_id = compose_message_id(l->domain);
	if (*archive_url == '\0' && *in->cfg->archive_url)
		site_url = xasprintf("%s/%s/", in->cfg->archive_url, l->local);
	memset(&o, 0, sizeof(o));
	o.list_address = l->address;
	o.list_local = l->local;
	o.list_domain = l->domain;
	o.list_name = l->name;
	o.subject_prefix = prefix;
	o.reply_to_list = !strcmp(reply_to, "list");
	o.archive_url = site_url ? site_url : archive_url;
	o.message_id = msgid;
	copy = compose_list_copy(&o, m, &clen);

	st = db_begin(in->db);
	if (st != KITH_OK)
		goto fail;
	/* Checked again under the write lock: two receives of one post. */
	if (archive_seen(in->db, l->id, msgid) == 1) {
		db_rollback(in->db);
		result(in->res, 0, "dropped", "inbound: dropped '<%s>' to "
		    "'%s': duplicate Message-ID", msgid, l->address);
		goto done;
	}
	if ((st = archive_store(in->db, l->id, m, msgid,
	    strcmp(archive, "off") != 0, &post_id)) != KITH_OK ||
	    (st = outbox_message_add(in->db, l->id, post_id, "post", bounces,
	    l->domain, l->address, copy, clen, &msg_id)) != KITH_OK ||
	    (st = outbox_fanout_members(in->db, msg_id, l->id, &count)) !=
	    KITH_OK) {
		db_rollback(in->db);
		goto fail;
	}
	if ((st = db_commit(in->db)) != KITH_OK)
		goto fail;
	in->res->queued = count > 0;
	result(in->res, 0, "accepted", "inbound: accepted '<%s>' from '%s' "
	    "to '%s' for %lld members", msgid, m->from_addr, l->address,
	    (long long)count);
	goto done;
fail:
	/* Even a permanent database fault must not bounce the post: the
	 * MTA keeps it and retries while the admin looks. */
	result(in->res, EX_TEMPFAIL_, "deferred", "inbound: cannot store "
	    "'<%s>' to '%s': %s", msgid, l->address, st == KITH_PERM ?
	    sqlite3_errmsg(in->db) : "database busy or disk full");
done:
	free(prefix);
	free(reply_to);
	free(archive);
	free(archive_url);
	free(site_url);
	free(gen_id);
	free(copy);
	free(bounces);
}

static void
handle_post(struct inbound *in, const struct list *l, const struct message *m)
{
	const char *autoreason;
	int seen;

	if (policy_is_loop(m, l)) {
		result(in->res, 0, "dropped", "inbound: dropped '<%s>' to '%s': "
		    "loop (our List-Id or X-Loop)", m->message_id, l->address);
		return;
	}
	if ((autoreason = policy_auto_reason(m, in->env_from))) {
		result(in->res, 0, "dropped", "inbound: dropped '<%s>' to '%s': "
		    "automatic mail (%s)", m->message_id, l->address,
		    autoreason);
		return;
	}
	seen = *m->message_id ? archive_seen(in->db, l->id, m->message_id) : 0;
	if (seen < 0) {
		result(in->res, EX_TEMPFAIL_, "deferred", "inbound: database "
		    "unavailable");
		return;
	}
	if (seen) {
		result(in->res, 0, "dropped", "inbound: dropped '<%s>' to '%s': "
		    "duplicate Message-ID", m->message_id, l->address);
		return;
	}
	switch (policy_may_post(in->db, l, m, in->env_from)) {
	case POST_ACCEPT:
		accept_post(in, l, m);
		break;
	case POST_NONMEMBER:
		refuse(in, l, m, "nonmember.txt", "not a member");
		break;
	case POST_NOT_ALLOWED:
		refuse(in, l, m, "announce-only.txt",
		    "announce list: not an owner or moderator");
		break;
	case POST_TOO_BIG:
		refuse(in, l, m, "too-big.txt", "larger than max_size");
		break;
	}
}

/* Mail to team-owner@ goes to every owner, unchanged. */
static void
handle_owner(struct inbound *in, const struct list *l, const struct message *m)
{
	char *bounces = xasprintf("%s-bounces", l->local);
	int64_t msg_id, count = 0;
	int st = db_begin(in->db);

	if (st == KITH_OK)
		st = outbox_message_add(in->db, l->id, 0, "owner", bounces,
		    l->domain, NULL, m->raw, m->len, &msg_id);
	if (st == KITH_OK)
		st = db_exec(in->db, "INSERT OR IGNORE INTO outbox(message_id, "
		    "rcpt, member_id, updated) SELECT ?, address, id, ? FROM "
		    "members WHERE list_id=? AND role='owner'", "iii", msg_id,
		    now_utc(), l->id);
	if (st == KITH_OK) {
		count = sqlite3_changes(in->db);
		st = db_commit(in->db);
	} else
		db_rollback(in->db);
	free(bounces);
	if (st != KITH_OK) {
		result(in->res, EX_TEMPFAIL_, "deferred", "inbound: cannot queue "
		    "owner mail '<%s>': database unavailable", m->message_id);
		return;
	}
	in->res->queued = count > 0;
	result(in->res, 0, "forwarded", "inbound: forwarded '<%s>' from '%s' "
	    "to %lld owners of '%s'", m->message_id, m->from_addr,
	    (long long)count, l->address);
}

/* Bounces are kept for the bounce processor (VERP token and raw DSN). */
static void
handle_bounce(struct inbound *in, const struct list *l, const char *token)
{
	int st = db_begin(in->db);

	if (st == KITH_OK)
		st = db_exec(in->db, "INSERT INTO bounces_in(list_id, token, "
		    "received, raw) VALUES (?, ?, ?, ?)", "itib", l->id, token,
		    now_utc(), in->raw, (int)in->len);
	if (st == KITH_OK)
		st = db_commit(in->db);
	else
		db_rollback(in->db);
	if (st != KITH_OK)
		result(in->res, EX_TEMPFAIL_, "deferred", "inbound: cannot store "
		    "bounce for '%s': database unavailable", l->address);
	else
		result(in->res, 0, "stored", "inbound: stored bounce for '%s'",
		    l->address);
}

/* Sub-addresses whose features come later: one polite answer, never to robots. */
static void
handle_unsupported(struct inbound *in, const struct list *l,
    const struct message *m)
{
	const char *autoreason = policy_auto_reason(m, in->env_from);

	if (autoreason || policy_is_loop(m, l)) {
		result(in->res, 0, "dropped", "inbound: dropped '<%s>' to '%s': "
		    "automatic mail", m->message_id, in->env_to);
		return;
	}
	refuse(in, l, m, "not-supported.txt", "this address is not supported yet");
	if (in->res->exit_code == 0)
		snprintf(in->res->what, sizeof(in->res->what), "unsupported");
}

/* Find the list the recipient belongs to, trying each reading of it. */
static int
route(struct inbound *in, struct list *l, struct recipient *rcpt)
{
	struct recipient c[MAX_CANDIDATES];
	int n = recipient_candidates(in->env_to, *in->cfg->delimiter, c,
	    MAX_CANDIDATES), found = -1;

	for (int i = 0; i < n; i++) {
		if (found < 0 && list_find_exact(in->db, c[i].local,
		    c[i].domain, l) == KITH_OK) {
			found = i;
			*rcpt = c[i];
			continue;
		}
		recipient_release(&c[i]);
	}
	return found >= 0 ? 0 : -1;
}

static void
dispatch(struct inbound *in, const struct list *l, const struct recipient *r)
{
	struct message m;
	char err[256];

	if (r->role == ROLE_BOUNCES) {
		handle_bounce(in, l, r->detail);
		return;
	}
	if (message_parse(&m, in->raw, in->len, err, sizeof(err)) < 0) {
		quarantine(in, err);
		return;
	}
	if (r->role == ROLE_POST && *r->detail == '\0')
		handle_post(in, l, &m);
	else if (r->role == ROLE_OWNER)
		handle_owner(in, l, &m);
	else
		handle_unsupported(in, l, &m);
	message_release(&m);
}

/* 1 when the first line ends in a CR that no LF follows. */
static int
cr_line_ends(const char *raw, size_t len)
{
	const char *cr = memchr(raw, '\r', len), *lf = memchr(raw, '\n', len);

	return cr && (lf == NULL || cr < lf) && (size_t)(cr - raw) + 1 < len &&
	    cr[1] != '\n';
}

/* A copy with every CR that no LF follows turned into LF; caller frees. */
static char *
cr_to_lf(const char *raw, size_t len)
{
	char *out = xmalloc(len + 1);

	for (size_t i = 0; i < len; i++)
		out[i] = raw[i] == '\r' && (i + 1 == len || raw[i + 1] != '\n') ?
		    '\n' : raw[i];
	out[len] = '\0';
	return out;
}

void
inbound_receive(const struct kith_config *cfg, const char *raw, size_t len,
    const char *envelope_from, const char *envelope_to,
    struct inbound_result *res)
{
	struct inbound in = { cfg, NULL, raw, len, raw, len, envelope_from,
		envelope_to, res };
	char *db_path = config_db_path(cfg), err[512];
	struct recipient r;
	struct list l;
	char *normalized = NULL;
	int st;

	memset(res, 0, sizeof(*res));
	/* Old Mac-style mail ends lines with a bare CR: read it as LF. */
	if (cr_line_ends(in.raw, in.len))
		in.raw = normalized = cr_to_lf(in.raw, in.len);
	/* Postfix pipe(8) with flag F and some MTAs start with an mbox line. */
	if (in.len > 5 && !strncmp(in.raw, "From ", 5)) {
		const char *nl = memchr(in.raw, '\n', in.len);

		if (nl) {
			in.len -= (size_t)(nl + 1 - in.raw);
			in.raw = nl + 1;
		}
	}
	st = db_open(db_path, 0, cfg->busy_timeout_ms, DB_DURABLE, &in.db, err,
	    sizeof(err));
	free(db_path);
	if (st != KITH_OK) {
		/* Even a missing database is the admin's to fix: keep the mail. */
		result(res, EX_TEMPFAIL_, "deferred", "inbound: %s", err);
		free(normalized);
		return;
	}
	if (route(&in, &l, &r) < 0)
		result(res, EX_NOUSER_, "unknown", "inbound: no list at '%s'",
		    envelope_to);
	else {
		dispatch(&in, &l, &r);
		recipient_release(&r);
		list_release(&l);
	}
	db_close(in.db);
	free(normalized);
}
