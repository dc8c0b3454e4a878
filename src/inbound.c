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
#include "kith/bans.h"
#include "kith/bounce.h"
#include "kith/feature.h"
#include "kith/filter.h"
#include "kith/membership.h"
#include "kith/moderation.h"
#include "kith/notice.h"
#include "kith/policy.h"
#include "kith/requests.h"
#include "kith/tokens.h"
#include "kith/post.h"
#include "kith/template.h"
#include "kith/util.h"

#define MAX_CANDIDATES 4

struct inbound {
	const struct kith_config *cfg;
	struct db *db;
	const char *raw;	/* what Kith reads: line ends normalised */
	size_t len;
	size_t size;		/* the whole message: > len when only its
				 * first len bytes were read (too big) */
	const char *received;	/* the bytes exactly as the MTA gave them */
	size_t received_len;
	const char *env_from;
	const char *env_to;
	struct inbound_result *res;
	const struct message *msg;	/* parsed, once dispatch has it */
	char *sender;			/* From (or envelope), normalised */
	const struct inbound_parsed *parsed;	/* parsed before, or NULL */
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
	int64_t id = 0;

	if (st == KITH_OK)
		st = db_exec_id(in->db, &id, "INSERT INTO quarantine(received, "
		    "envelope_from, envelope_to, reason, raw) VALUES "
		    "(?, ?, ?, ?, ?) RETURNING id", "itttb", now_utc(),
		    in->env_from, in->env_to, reason, in->received,
		    (int)in->received_len);
	if (st == KITH_OK)
		st = db_commit(in->db);
	else
		db_rollback(in->db);
	if (st == KITH_OK)
		result(in->res, 0, "quarantined", "inbound: quarantined "
		    "message to '%s' (id %lld): %s", in->env_to,
		    (long long)id, reason);
	else
		result(in->res, EX_TEMPFAIL_, "deferred", "inbound: cannot "
		    "quarantine message to '%s' (%s): database unavailable",
		    in->env_to, reason);
}

/* One automatic notice from the list, with the post's variables. */
static int
queue_notice(struct inbound *in, const struct list *l, const char *rcpt,
    const char *tmpl, const struct message *m, const char *size,
    const char *max_size)
{
	struct template_var vars[] = {
		{ "subject", m->subject }, { "size", size },
		{ "max_size", max_size }, { "to", in->env_to },
		{ "request", "" },
	};
	struct notice_opts o = { .to = rcpt, .tmpl = tmpl, .vars = vars,
		.nvars = 5, .in_reply_to = m->message_id };

	return notice_queue(in->db, in->cfg, l, &o);
}

/* Refuse a post with one notice to its sender, in one transaction. */
static void
refuse(struct inbound *in, const struct list *l, const struct message *m,
    const char *tmpl, const char *why, int once_a_day)
{
	const char *to = *m->from_addr ? m->from_addr : in->env_from;
	char *rcpt = to ? address_normalize(to) : NULL;
	char size[32], max[32];
	int st;

	/* for people: "2.3 MB", not bytes */
	size_human((int64_t)m->size, size, sizeof(size));
	size_human(list_setting_int(in->db, l->id, "max_size", 0), max,
	    sizeof(max));
	if (rcpt == NULL) {
		result(in->res, 0, "refused", "inbound: refused '<%s>' to "
		    "'%s': %s; no address to notify", m->message_id,
		    l->address, why);
		goto done;
	}
	st = db_begin(in->db);
	if (st == KITH_OK && (!once_a_day || notice_rate_ok(in->db, l->id,
	    rcpt, tmpl)))
		st = queue_notice(in, l, rcpt, tmpl, m, size, max);
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
}

/* Archive and queue a post; the result line says what happened. */
static void
accept_post(struct inbound *in, const struct list *l, const struct message *m)
{
	struct post_outcome o;
	int st = post_accept(in->db, in->cfg, l, m, &o);

	if (st != KITH_OK) {
		/* Even a permanent database fault must not bounce the post:
		 * the MTA keeps it and retries while the admin looks. */
		result(in->res, EX_TEMPFAIL_, "deferred", "inbound: cannot "
		    "store '<%s>' to '%s': %s", o.message_id, l->address,
		    o.error);
		return;
	}
	if (o.duplicate) {
		result(in->res, 0, "dropped", "inbound: dropped '<%s>' to '%s': "
		    "duplicate Message-ID", o.message_id, l->address);
		return;
	}
	in->res->queued = o.recipients > 0;
	if (o.deferred)
		result(in->res, 0, "accepted", "inbound: accepted '<%s>' from "
		    "'%s' to '%s' for its members (the copies made after, "
		    "under load)", o.message_id, m->from_addr, l->address);
	else
		result(in->res, 0, "accepted", "inbound: accepted '<%s>' from "
		    "'%s' to '%s' for %lld members", o.message_id,
		    m->from_addr, l->address, (long long)o.recipients);
}

/* The key for tokens; NULL with the result set when the secret is unreadable. */
static struct token_key *
inbound_key(struct inbound *in)
{
	char *path = config_secret_path(in->cfg), err[512] = "";
	struct token_key *k = token_key_load(path, err, sizeof(err));

	free(path);
	if (k == NULL)
		result(in->res, EX_TEMPFAIL_, "deferred", "inbound: %s", err);
	return k;
}

/*
 * in_transaction - run fn inside one write transaction; the result says
 * what happened, 75 when the database could not take it.
 */
static void
in_transaction(struct inbound *in, const char *what,
    int (*fn)(struct inbound *, const struct mail_ctx *, const void *),
    const struct list *l, const struct message *m, const void *arg)
{
	struct token_key *key = inbound_key(in);
	struct mail_ctx c = { in->cfg, in->db, key, l, m->message_id,
		m->subject };
	int st, ignored = 0;

	if (key == NULL)
		return;
	st = db_begin(in->db);
	if (st == KITH_OK) {
		st = fn(in, &c, arg);
		/* KITH_PERM: refused on purpose (logged); nothing to undo. */
		ignored = st == KITH_PERM;
		if (st == KITH_TEMP)
			db_rollback(in->db);
		else
			st = db_commit(in->db);
	}
	token_key_free(key);
	if (st == KITH_TEMP)
		result(in->res, EX_TEMPFAIL_, "deferred", "inbound: database busy "
		    "while handling '<%s>' to '%s'", m->message_id, in->env_to);
	else {
		in->res->queued = !ignored;
		result(in->res, 0, ignored ? "ignored" : what, "inbound: %s "
		    "'<%s>' from '%s' to '%s'", ignored ? "ignored" : what,
		    m->message_id, m->from_addr, in->env_to);
	}
}

static int
do_hold(struct inbound *in, const struct mail_ctx *c, const void *why)
{
	return moderation_hold(c, in->msg, in->env_from, why);
}

/* issue 17: spam is held without a word to its (likely forged) sender */
static int
do_hold_spam(struct inbound *in, const struct mail_ctx *c, const void *why)
{
	return moderation_hold_as(c, in->msg, in->env_from, why, 0);
}

static void
hold_post(struct inbound *in, const struct list *l, const struct message *m,
    const char *why, int spam)
{
	in->msg = m;
	in_transaction(in, "held", spam ? do_hold_spam : do_hold, l, m, why);
	if (in->res->exit_code == 0)
		snprintf(in->res->reason, sizeof(in->res->reason), "inbound: held "
		    "'<%s>' from '%s' to '%s': %s", m->message_id, m->from_addr,
		    l->address, why);
}

/* The languages a post is read in besides English: the sender's and the
 * list's, looked up once and only when asked (requests_misdirected). */
struct post_langs {
	struct inbound *in;
	const struct list *l;
	int looked;
	const struct i18n_lang *langs[3];
};

static const struct i18n_lang *const *
post_langs(void *ctx)
{
	struct post_langs *pl = ctx;
	char mine[NOTICE_LANG_LEN], list[NOTICE_LANG_LEN];
	int k = 0;

	if (pl->looked++)
		return pl->langs;
	notice_lang(pl->in->db, pl->l, pl->in->sender, mine);
	notice_lang(pl->in->db, pl->l, NULL, list);
	if ((pl->langs[k] = template_lang(pl->in->cfg, mine, NULL, 0)) != NULL)
		k++;
	if (strcmp(mine, list))
		pl->langs[k] = template_lang(pl->in->cfg, list, NULL, 0);
	return pl->langs;
}

/*
 * misdirected - m is a request to join or leave sent to everyone
 * ("unsubscribe"), read in English and the sender's and list's languages:
 * held, as Mailman holds administrivia, and the sender told how to ask.
 */
static int
misdirected(struct inbound *in, const struct list *l, const struct message *m)
{
	struct post_langs pl = { in, l, 0, { NULL, NULL, NULL } };

	return requests_misdirected(m->subject, m->text, post_langs, &pl);
}

static void
handle_post(struct inbound *in, const struct list *l, const struct message *m)
{
	const char *autoreason, *why, *ftmpl;
	char fwhy[512];
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
	/* issue 17: the MTA's spam verdict, before any notice could go */
	switch (filter_spam(in->db, l, m, fwhy, sizeof(fwhy))) {
	case FILTER_HOLD:
		hold_post(in, l, m, fwhy, 1);
		return;
	case FILTER_DISCARD:
		result(in->res, 0, "dropped", "inbound: discarded '<%s>' from "
		    "'%s' to '%s': %s", m->message_id, m->from_addr, l->address,
		    fwhy);
		return;
	default:
		break;
	}
	switch (policy_may_post(in->db, l, m, in->env_from, &why)) {
	case POST_ACCEPT:
		if (misdirected(in, l, m)) {
			hold_post(in, l, m, HOLD_MISDIRECTED, 0);
			break;
		}
		/* issue 17: the list's content filter may refuse or hold it */
		switch (filter_content(in->db, l, m, &ftmpl, fwhy,
		    sizeof(fwhy))) {
		case FILTER_REJECT:
			refuse(in, l, m, ftmpl, fwhy, 0);
			break;
		case FILTER_HOLD:
			hold_post(in, l, m, fwhy, 0);
			break;
		default:
			accept_post(in, l, m);
		}
		break;
	case POST_HOLD:
		/* a stranger's "subscribe" is told where to send it, too */
		hold_post(in, l, m, misdirected(in, l, m) ? HOLD_MISDIRECTED :
		    why, 0);
		break;
	case POST_DISCARD:
		result(in->res, 0, "dropped", "inbound: discarded '<%s>' from "
		    "'%s' to '%s': %s", m->message_id, m->from_addr, l->address,
		    why);
		break;
	case POST_NONMEMBER:
		refuse(in, l, m, "nonmember.txt", why, 0);
		break;
	case POST_NOT_ALLOWED:
		refuse(in, l, m, "announce-only.txt", why, 0);
		break;
	case POST_TOO_BIG:
		refuse(in, l, m, "too-big.txt", why, 0);
		break;
	case POST_BANNED:
		refuse(in, l, m, "banned.txt", why, 0);	/* notice.c limits it */
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
		st = db_exec(in->db, "INSERT INTO outbox(message_id, rcpt, "
		    "member_id, updated) SELECT ?, address, id, ? FROM members "
		    "WHERE list_id=? AND role='owner' ON CONFLICT DO NOTHING",
		    "iii", msg_id,
		    now_utc(), l->id);
	if (st == KITH_OK) {
		count = db_changes(in->db);
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

/*
 * handle_bounce - a report to team-bounces+TOKEN@: kept as it came (for
 * `kith bounce`'s misses and for audits) and scored in one transaction.
 */
static void
handle_bounce(struct inbound *in, const struct list *l, const char *token)
{
	struct token_key *key = inbound_key(in);
	char line[512] = "";
	int st;

	if (key == NULL)
		return;
	st = db_begin(in->db);
	if (st == KITH_OK)
		st = db_exec(in->db, "INSERT INTO bounces_in(list_id, token, "
		    "received, raw) VALUES (?, ?, ?, ?)", "itib", l->id, token,
		    now_utc(), in->raw, (int)in->len);
	if (st == KITH_OK)
		st = bounce_handle(in->cfg, in->db, key, l, token, in->raw,
		    in->len, line, sizeof(line));
	if (st == KITH_OK)
		st = db_commit(in->db);
	else
		db_rollback(in->db);
	token_key_free(key);
	if (st != KITH_OK)
		result(in->res, EX_TEMPFAIL_, "deferred", "inbound: cannot store "
		    "bounce for '%s': database unavailable", l->address);
	else
		result(in->res, 0, "stored", "%s", line);
}

/* Sub-addresses whose features come later: one polite answer, never to robots. */
static void
handle_unsupported(struct inbound *in, const struct list *l,
    const struct message *m)
{
	refuse(in, l, m, "not-supported.txt", "this address is not supported yet",
	    1);
	if (in->res->exit_code == 0)
		snprintf(in->res->what, sizeof(in->res->what), "unsupported");
}

static int
do_requests(struct inbound *in, const struct mail_ctx *c, const void *kind)
{
	if (ban_matches(c->db, c->l->id, in->sender)) {
		struct template_var vars[] = { { "request", "yes" } };
		struct notice_opts o;
		int st = KITH_OK;

		memset(&o, 0, sizeof(o));
		o.to = in->sender;
		o.tmpl = "banned.txt";
		o.vars = vars;
		o.nvars = 1;
		o.in_reply_to = c->in_reply_to;
		st = notice_queue(c->db, c->cfg, c->l, &o);	/* or not: bans */
		log_info("requests: '%s' is banned from '%s'", in->sender,
		    c->l->address);
		return st == KITH_TEMP ? st : KITH_OK;
	}
	return requests_handle(c, in->msg, in->sender,
	    *(const enum request_kind *)kind);
}

static int
do_unsubscribe_token(struct inbound *in, const struct mail_ctx *c,
    const void *token)
{
	struct outcome out;
	int st;

	(void)in;
	outcome_init(&out);
	st = membership_unsubscribe_token(c, token, &out);
	outcome_release(&out);
	return st;
}

/* tell_results - request-reply.txt with out's lines, to a confirmation. */
static int
tell_results(const struct mail_ctx *c, const char *to,
    const struct outcome *out)
{
	char lang[NOTICE_LANG_LEN], *results;
	struct tvars *tv;
	struct notice_opts o;
	int st;

	notice_lang(c->db, c->l, to, lang);
	if ((results = outcome_text(c->db, c->cfg, c->l, lang, out)) == NULL)
		return KITH_OK;		/* logged: a broken text sends nothing */
	tv = tv_new();
	tv_str(tv, "results", results);
	tv_str(tv, "reply_subject", "");
	tv_bool(tv, "confirmation", 1);
	memset(&o, 0, sizeof(o));
	o.to = to;
	o.tmpl = "request-reply.txt";
	o.tv = tv;
	o.lang = lang;
	o.in_reply_to = c->in_reply_to;
	st = notice_queue(c->db, c->cfg, c->l, &o);
	tv_free(tv);
	free(results);
	return st == KITH_TEMP ? KITH_TEMP : KITH_OK;
}

/* A reply to a confirmation: carry it out; tell the results of settings. */
static int
do_confirm(struct inbound *in, const struct mail_ctx *c, const void *token)
{
	struct outcome out;
	int st;

	outcome_init(&out);
	st = membership_confirm(c, token, in->sender, in->msg->text, &out);
	/* Joining and leaving answer with welcome and goodbye; the rest here. */
	if (st == KITH_OK && outcome_any(&out) && !outcome_has(&out, "joined") &&
	    !outcome_has(&out, "left"))
		st = tell_results(c, in->sender, &out);
	outcome_release(&out);
	return st;
}

/* A moderator's decision: moderation keeps its own transactions. */
static void
handle_moderation(struct inbound *in, const struct list *l,
    const struct message *m, const char *token)
{
	struct token_key *key = inbound_key(in);
	struct mail_ctx c = { in->cfg, in->db, key, l, m->message_id,
		m->subject };
	int st;

	if (key == NULL)
		return;
	st = moderation_reply(&c, token, in->sender, m);
	token_key_free(key);
	if (st == KITH_TEMP)
		result(in->res, EX_TEMPFAIL_, "deferred", "inbound: database busy "
		    "while moderating on '%s'", l->address);
	else
		result(in->res, 0, st == KITH_OK ? "moderated" : "ignored",
		    "inbound: moderation reply from '%s' on '%s': %s", in->sender,
		    l->address, st == KITH_OK ? "done" : "ignored");
	in->res->queued = st == KITH_OK;
}

/* Mail to the request, subscribe, unsubscribe and confirm addresses. */
static void
handle_membership(struct inbound *in, const struct list *l,
    const struct message *m, const struct recipient *r)
{
	static const enum request_kind kinds[] = { REQUEST_COMMANDS,
		REQUEST_SUBSCRIBE, REQUEST_UNSUBSCRIBE };
	const char *autoreason = policy_auto_reason(m, in->env_from);

	/* The member's Unsubscribe button: the token is the proof. */
	if (r->role == ROLE_UNSUBSCRIBE && *r->detail) {
		in_transaction(in, "unsubscribed", do_unsubscribe_token, l, m,
		    r->detail);
		return;
	}
	if (autoreason || policy_is_loop(m, l)) {
		result(in->res, 0, "dropped", "inbound: dropped '<%s>' to '%s': "
		    "automatic mail (%s)", m->message_id, in->env_to,
		    autoreason ? autoreason : "loop");
		return;
	}
	if (in->sender == NULL) {
		result(in->res, 0, "dropped", "inbound: dropped '<%s>' to '%s': "
		    "no sender address to answer", m->message_id, in->env_to);
		return;
	}
	if (r->role == ROLE_CONFIRM) {
		if (r->detail[0] == 'h')
			handle_moderation(in, l, m, r->detail);
		else
			in_transaction(in, "confirmed", do_confirm, l, m,
			    r->detail);
		return;
	}
	in_transaction(in, "answered", do_requests, l, m,
	    &kinds[r->role == ROLE_SUBSCRIBE ? 1 :
	    r->role == ROLE_UNSUBSCRIBE ? 2 : 0]);
}

/* A feature's sub-address (arg: the recipient): its handler answers. */
static int
do_feature(struct inbound *in, const struct mail_ctx *c, const void *arg)
{
	const struct recipient *r = arg;
	const struct feature_address *a = features_address(r->suffix);
	char line[512] = "";
	int st = a->inbound(c, r->detail, in->msg, in->sender, line,
	    sizeof(line));

	if (*line)
		log_info("%s", line);
	return st;
}

/*
 * handle_feature - mail to LIST-SUFFIX[+TOKEN]@ of a feature: robots,
 * loops and mail without a sender are dropped; an address that needs a
 * token and has none gets the polite "not supported" answer.
 */
static void
handle_feature(struct inbound *in, const struct list *l,
    const struct message *m, const struct recipient *r)
{
	const struct feature_address *a = features_address(r->suffix);
	const char *autoreason;

	if (a == NULL || (a->needs_token && *r->detail == '\0')) {
		handle_unsupported(in, l, m);
		return;
	}
	autoreason = policy_auto_reason(m, in->env_from);
	if (autoreason || policy_is_loop(m, l) || in->sender == NULL) {
		result(in->res, 0, "dropped", "inbound: dropped '<%s>' to '%s': "
		    "%s", m->message_id, in->env_to, autoreason ? autoreason :
		    in->sender ? "loop" : "no sender");
		return;
	}
	in_transaction(in, a->done, do_feature, l, m, r);
}

/* Find the list the recipient belongs to, trying each reading of it. */
static int
route(struct inbound *in, struct list *l, struct recipient *rcpt)
{
	struct recipient c[MAX_CANDIDATES];
	const char **more = features_suffixes();
	int n = recipient_candidates(in->env_to, *in->cfg->delimiter, more, c,
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
	free(more);
	return found >= 0 ? 0 : -1;
}

/*
 * handle_too_big - only the head of the message was read.  A post gets
 * the list's too-big notice (its header is all that needs reading);
 * anything else to the list is refused for the MTA to bounce.
 */
static void
handle_too_big(struct inbound *in, const struct list *l,
    const struct recipient *r)
{
	int64_t max = list_setting_int(in->db, l->id, "max_size", 0);
	struct message m;
	char err[256] = "";

	if (r->role != ROLE_POST || *r->detail || max <= 0 ||
	    message_parse(&m, in->raw, header_block_end(in->raw, in->len), err,
	    sizeof(err)) < 0) {
		result(in->res, EX_DATAERR_, "refused", "inbound: message to "
		    "'%s' is larger than %lld bytes; not accepted", in->env_to,
		    max > 0 ? (long long)max : (long long)INBOUND_MAX);
		return;
	}
	m.size = in->size;
	in->msg = &m;
	in->sender = address_normalize(*m.from_addr ? m.from_addr :
	    in->env_from);
	handle_post(in, l, &m);
	free(in->sender);
	in->sender = NULL;
	message_release(&m);
}

/* handle_parsed - the message m, parsed, to the handler of its role. */
static void
handle_parsed(struct inbound *in, const struct list *l,
    const struct recipient *r, const struct message *m)
{
	char err[256] = "";

	/* What goes on to members and owners must keep its header whole. */
	if ((r->role == ROLE_POST || r->role == ROLE_OWNER) &&
	    message_header_foldable(m, err, sizeof(err)) < 0) {
		quarantine(in, err);
		return;
	}
	in->msg = m;
	in->sender = address_normalize(*m->from_addr ? m->from_addr :
	    in->env_from);
	if (r->role == ROLE_POST && *r->detail == '\0')
		handle_post(in, l, m);
	else if (r->role == ROLE_OWNER)
		handle_owner(in, l, m);
	else if (r->role == ROLE_REQUEST || r->role == ROLE_SUBSCRIBE ||
	    r->role == ROLE_UNSUBSCRIBE || r->role == ROLE_CONFIRM)
		handle_membership(in, l, m, r);
	else if (r->role == ROLE_FEATURE)
		handle_feature(in, l, m, r);
	else
		handle_unsupported(in, l, m);
	free(in->sender);
	in->sender = NULL;
	in->msg = NULL;
}

static void
dispatch(struct inbound *in, const struct list *l, const struct recipient *r)
{
	struct message m;
	char err[256] = "";

	if (r->role == ROLE_BOUNCES) {
		/* A report's machine-readable part comes first: a head of
		 * it, when it was too big, is enough. */
		handle_bounce(in, l, r->detail);
		return;
	}
	if (in->size > in->len) {
		handle_too_big(in, l, r);
		return;
	}
	if (in->parsed) {
		/* parsed before the LMTP committer had it, the same way */
		if (in->parsed->rc < 0) {
			quarantine(in, in->parsed->err);
			return;
		}
		handle_parsed(in, l, r, &in->parsed->m);
		return;
	}
	if (message_parse(&m, in->raw, in->len, err, sizeof(err)) < 0) {
		quarantine(in, err);
		return;
	}
	handle_parsed(in, l, r, &m);
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

size_t
inbound_size_limit(const struct kith_config *cfg, const char *envelope_to)
{
	char *db_path = config_db_path(cfg), err[512] = "";
	struct db *db;
	size_t limit = INBOUND_HEAD_MIN;

	if (db_open(db_path, 0, cfg->busy_timeout_ms, DB_FAST, &db, err,
	    sizeof(err)) == KITH_OK) {
		limit = inbound_size_limit_db(cfg, db, envelope_to);
		db_close(db);
	}
	free(db_path);
	return limit;
}

size_t
inbound_size_limit_db(const struct kith_config *cfg, struct db *db,
    const char *envelope_to)
{
	struct inbound in = { cfg, db, "", 0, 0, "", 0, "", envelope_to,
		NULL, NULL, NULL, NULL };
	struct recipient r;
	struct list l;
	size_t limit = INBOUND_HEAD_MIN;

	if (route(&in, &l, &r) == 0) {
		int64_t max = list_setting_int(in.db, l.id, "max_size", 0);

		limit = max <= 0 || (uint64_t)max > INBOUND_MAX ?
		    INBOUND_MAX : (size_t)max;
		if (limit < INBOUND_HEAD_MIN)
			limit = INBOUND_HEAD_MIN;
		recipient_release(&r);
		list_release(&l);
	}
	return limit;
}

void
inbound_receive(const struct kith_config *cfg, const char *raw, size_t len,
    const char *envelope_from, const char *envelope_to,
    struct inbound_result *res)
{
	inbound_receive_sized(cfg, raw, len, len, envelope_from, envelope_to,
	    res);
}

void
inbound_receive_sized(const struct kith_config *cfg, const char *raw,
    size_t len, size_t size, const char *envelope_from,
    const char *envelope_to, struct inbound_result *res)
{
	char *db_path = config_db_path(cfg), err[512] = "";
	struct db *db;
	int st;

	memset(res, 0, sizeof(*res));
	st = db_open(db_path, 0, cfg->busy_timeout_ms, DB_DURABLE, &db, err,
	    sizeof(err));
	free(db_path);
	if (st != KITH_OK) {
		/* Even a missing database is the admin's to fix: keep the mail. */
		result(res, EX_TEMPFAIL_, "deferred", "inbound: %s", err);
		return;
	}
	inbound_receive_db(cfg, db, raw, len, size, envelope_from, envelope_to,
	    res);
	/* the admin's first question, on stderr and in the MTA's log */
	if (res->exit_code == EX_TEMPFAIL_ && db_take_full(db)) {
		size_t k = strlen(res->reason);

		snprintf(res->reason + k, sizeof(res->reason) - k,
		    " (the disk is full)");
		snprintf(res->what, sizeof(res->what), "disk full");
	}
	db_close(db);
}

/*
 * normalize - the bytes Kith reads of raw: bare-CR line ends made LF
 * (*copy, the caller frees), an mbox "From " line skipped; *len and
 * *size lose what was skipped.
 */
static const char *
normalize(const char *raw, size_t *len, size_t *size, char **copy)
{
	*copy = NULL;
	/* Old Mac-style mail ends lines with a bare CR: read it as LF. */
	if (cr_line_ends(raw, *len))
		raw = *copy = cr_to_lf(raw, *len);
	/* Postfix pipe(8) with flag F and some MTAs start with an mbox line. */
	if (*len > 5 && !strncmp(raw, "From ", 5)) {
		const char *nl = memchr(raw, '\n', *len);

		if (nl) {
			*len -= (size_t)(nl + 1 - raw);
			*size -= (size_t)(nl + 1 - raw);
			raw = nl + 1;
		}
	}
	return raw;
}

/* receive - route in's message and hand it to its handler. */
static void
receive(struct inbound *in)
{
	struct recipient r;
	struct list l;

	if (route(in, &l, &r) < 0)
		result(in->res, EX_NOUSER_, "unknown", "inbound: no list at '%s'",
		    in->env_to);
	else {
		dispatch(in, &l, &r);
		recipient_release(&r);
		list_release(&l);
	}
}

void
inbound_receive_db(const struct kith_config *cfg, struct db *db,
    const char *raw, size_t len, size_t size, const char *envelope_from,
    const char *envelope_to, struct inbound_result *res)
{
	struct inbound in = { cfg, db, raw, len, size, raw, len,
		envelope_from, envelope_to, res, NULL, NULL, NULL };
	char *normalized;

	memset(res, 0, sizeof(*res));
	in.raw = normalize(raw, &in.len, &in.size, &normalized);
	receive(&in);
	free(normalized);
}

void
inbound_parse(struct inbound_parsed *p, const char *raw, size_t len)
{
	size_t size = len;

	memset(p, 0, sizeof(*p));
	p->received = raw;
	p->received_len = len;
	p->len = len;
	p->raw = normalize(raw, &p->len, &size, &p->normalized);
	p->rc = message_parse(&p->m, p->raw, p->len, p->err, sizeof(p->err));
	/* the attachment list too, from the parse this thread keeps */
	if (p->rc == 0)
		p->m.parts = archive_parts(p->m.raw, p->m.len);
}

void
inbound_parsed_release(struct inbound_parsed *p)
{
	if (p->rc == 0)
		message_release(&p->m);
	free(p->normalized);
	memset(p, 0, sizeof(*p));
	p->rc = -1;
}

void
inbound_receive_parsed(const struct kith_config *cfg, struct db *db,
    const struct inbound_parsed *p, const char *envelope_from,
    const char *envelope_to, struct inbound_result *res)
{
	struct inbound in = { cfg, db, p->raw, p->len, p->len, p->received,
		p->received_len, envelope_from, envelope_to, res, NULL, NULL,
		p };

	memset(res, 0, sizeof(*res));
	receive(&in);
}
