/* moderation - hold queue, decisions by reply and command line. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kith/bans.h"
#include "kith/db.h"
#include "kith/i18n.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/membership.h"
#include "kith/moderation.h"
#include "kith/notice.h"
#include "kith/post.h"
#include "kith/reply.h"
#include "kith/template.h"
#include "kith/util.h"
#include "kith/weblinks.h"

void
held_release(struct held *h)
{
	free(h->message_id);
	free(h->sender);
	free(h->subject);
	free(h->reason);
	memset(h, 0, sizeof(*h));
}

/*
 * The reasons policy.c holds a post for (held.reason, in logs and on
 * the command line) and the yes/no value that names each in held.txt
 * and held-moderator.txt, so that the words are the template's; any
 * other reason is why.other, shown as it is ({{reason}}).
 */
static const struct {
	const char *reason, *name;
} hold_reasons[] = {
	{ "not a member", "why.nonmember" },
	{ "the list is moderated", "why.moderated" },
	{ "the member is moderated", "why.member_moderated" },
	{ "first post of a new member", "why.first_post" },
	{ HOLD_MISDIRECTED, "why.request" },
};
#define NHOLD_REASONS (sizeof(hold_reasons) / sizeof(hold_reasons[0]))

/* reason_values - why.* for reason (see hold_reasons) into tv. */
static void
reason_values(struct tvars *tv, const char *reason)
{
	int known = 0;

	for (size_t i = 0; i < NHOLD_REASONS; i++) {
		int is = reason && !strcmp(reason, hold_reasons[i].reason);

		tv_bool(tv, hold_reasons[i].name, is);
		known |= is;
	}
	tv_bool(tv, "why.other", !known);
}

/* A notice about a held post to its poster. */
static int
tell_poster(const struct mail_ctx *c, const char *to, const char *tmpl,
    const char *subject_of_post, const char *reason)
{
	struct template_var vars[] = {
		{ "subject", subject_of_post }, { "reason", reason ? reason : "" },
	};
	struct tvars *tv = tv_new();
	struct notice_opts o = { .to = to, .tmpl = tmpl, .vars = vars,
		.nvars = 2, .tv = tv, .in_reply_to = c->in_reply_to };
	int st;

	reason_values(tv, reason);
	st = notice_queue(c->db, c->cfg, c->l, &o);
	tv_free(tv);
	return st;
}

/*
 * web_decision - with kith serve (web_base_url), the lines of the
 * moderator's notice that link to the held post's page (/m/TOKEN: the
 * same token as the reply address, so it is good as long as the post
 * waits); "" without.  Caller frees.
 */
static char *
web_decision(const struct mail_ctx *c, int64_t id, int64_t mod_id,
    const char *mod, int64_t expires)
{
	char *url = weblink_moderate(c->cfg, c->key, c->l->address, id, mod_id,
	    mod, expires), *text = NULL, lang[NOTICE_LANG_LEN];

	if (url) {
		/* in the moderator's language, as the notice around it */
		struct tvars *tv = tv_new();

		tv_str(tv, "url", url);
		notice_lang(c->db, c->l, mod, lang);
		text = notice_text(c->db, c->cfg, c->l, lang,
		    "held-moderator-web.txt", tv);	/* NULL: logged */
		tv_free(tv);
	}
	free(url);
	return text ? text : xstrdup("");
}

int
moderation_hold(const struct mail_ctx *c, const struct message *m,
    const char *envelope_from, const char *reason)
{
	return moderation_hold_as(c, m, envelope_from, reason, 1);
}

int
moderation_hold_as(const struct mail_ctx *c, const struct message *m,
    const char *envelope_from, const char *reason, int tell)
{
	int64_t now = now_utc(), days = list_setting_int(c->db, c->l->id,
	    "held_days", 14), id;
	const char *poster = *m->from_addr ? m->from_addr : envelope_from;
	struct db_stmt *mods;
	int st = KITH_OK;

	/*
	 * The same post again (the MTA's retry after a lost reply, a second
	 * MX host, a resend after a decision): held once, its moderators
	 * asked once.  A post without a Message-ID cannot be told apart.
	 */
	if (*m->message_id && db_int(c->db, -1, &st, "SELECT (SELECT "
	    "count(*) FROM held WHERE list_id=?1 AND message_id=?2) + (SELECT "
	    "count(*) FROM held_log WHERE list_id=?1 AND message_id=?2)", "it",
	    c->l->id, m->message_id) != 0) {
		if (st != KITH_OK)
			return KITH_TEMP;
		log_info("moderation: '<%s>' to '%s' was held already: dropped",
		    m->message_id, c->l->address);
		return KITH_PERM;
	}
	st = db_exec_id(c->db, &id, "INSERT INTO held(list_id, message_id, "
	    "sender, envelope_from, subject, reason, raw, created, expires) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", "itttttbii",
	    c->l->id, m->message_id,
	    poster, envelope_from, m->subject, reason, m->raw, (int)m->len, now,
	    now + days * 86400);
	/* Not kept means not acknowledged: the MTA must try again. */
	if (st != KITH_OK)
		return KITH_TEMP;
	if ((mods = member_staff(c->db, c->l->id)) == NULL)
		return KITH_TEMP;
	while (st != KITH_TEMP && db_step(mods) == DB_ROW) {
		char payload[64], *mod = db_col_text(mods, 1), *confirm;
		char idtext[24], *web = web_decision(c, id,
		    db_col_int64(mods, 0), mod, now + days * 86400);
		struct template_var vars[] = {
			{ "sender", poster }, { "subject", m->subject },
			{ "reason", reason }, { "id", idtext }, { "web", web },
		};
		struct tvars *tv = tv_new();
		struct notice_opts o;

		reason_values(tv, reason);
		snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
		snprintf(payload, sizeof(payload), "h.%lld.%lld", (long long)id,
		    (long long)db_col_int64(mods, 0));
		/* good for as long as the post waits, no longer */
		confirm = confirm_address_until(c, "moderate", payload, mod,
		    now + days * 86400);
		o = (struct notice_opts){ .to = mod,
		    .tmpl = "held-moderator.txt", .vars = vars, .nvars = 5,
		    .tv = tv, .reply_to = confirm, .attach = m->raw,
		    .attach_len = m->len };
		st = notice_queue(c->db, c->cfg, c->l, &o);
		tv_free(tv);
		free(confirm);
		free(web);
		free(mod);
	}
	db_finalize(mods);
	if (st != KITH_TEMP && tell && poster && *poster)
		st = tell_poster(c, poster, "held.txt", m->subject, reason);
	log_info("moderation: held '<%s>' from '%s' to '%s': %s", m->message_id,
	    poster, c->l->address, reason);
	return st == KITH_TEMP ? st : KITH_OK;
}

static const char held_columns[] = "SELECT id, list_id, created, expires, "
    "message_id, sender, subject, reason FROM held ";

static void
held_from_row(struct db_stmt *st, struct held *h)
{
	h->id = db_col_int64(st, 0);
	h->list_id = db_col_int64(st, 1);
	h->created = db_col_int64(st, 2);
	h->expires = db_col_int64(st, 3);
	h->message_id = db_col_text(st, 4);
	h->sender = db_col_text(st, 5);
	h->subject = db_col_text(st, 6);
	h->reason = db_col_text(st, 7);
}

int
moderation_get(struct db *db, int64_t id, struct held *h, char **raw,
    size_t *len)
{
	char *sql = xasprintf("%sWHERE id=?", held_columns);
	struct db_stmt *st = db_prepare(db, sql);
	int found = 0;

	free(sql);
	memset(h, 0, sizeof(*h));
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", id);
	if (db_step(st) == DB_ROW) {
		held_from_row(st, h);
		found = 1;
	}
	db_finalize(st);
	if (!found)
		return KITH_PERM;
	if (raw) {
		st = db_prepare(db, "SELECT raw FROM held WHERE id=?");
		db_bind(st, "i", id);
		if (st && db_step(st) == DB_ROW) {
			*len = (size_t)db_col_bytes(st, 0);
			*raw = xmalloc(*len + 1);
			memcpy(*raw, db_col_blob(st, 0), *len);
			(*raw)[*len] = '\0';
		}
		db_finalize(st);
	}
	return KITH_OK;
}

int
moderation_foreach(struct db *db, int64_t list_id,
    int (*fn)(const struct held *, void *), void *ctx)
{
	char *sql = xasprintf("%sWHERE ?1=0 OR list_id=?1 ORDER BY id",
	    held_columns);
	struct db_stmt *st = db_prepare(db, sql);

	free(sql);
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", list_id);
	while (db_step(st) == DB_ROW) {
		struct held h;
		int stop;

		held_from_row(st, &h);
		stop = fn(&h, ctx);
		held_release(&h);
		if (stop)
			break;
	}
	db_finalize(st);
	return KITH_OK;
}

static const char *const outcome_words[] = { "approved", "rejected",
	"discarded" };

/* What became of held post h, for late replies; caller's transaction. */
static int
held_log(struct db *db, const struct held *h, const char *outcome,
    const char *who, int64_t now)
{
	return db_exec(db, "INSERT INTO held_log(id, list_id, message_id, "
	    "subject, outcome, by, at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
	    "(id) DO UPDATE SET list_id=excluded.list_id, message_id="
	    "excluded.message_id, subject=excluded.subject, outcome="
	    "excluded.outcome, by=excluded.by, at=excluded.at",
	    "iitttti", h->id, h->list_id, h->message_id, h->subject, outcome,
	    who, now);
}

/* A decision on a held post, for its transaction. */
struct decision {
	const struct mail_ctx *c;
	const struct held *h;
	enum mod_action action;
	const char *reason, *who;
	int64_t now;
	int st;		/* KITH_PERM: a step failed (logged), kept anyway */
};

/* decision_tx - the held post goes, its outcome is logged, the poster of
 * a rejected post is told; another decision that came first told them
 * already (KITH_PERM, nothing changes). */
static int
decision_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct decision *x = ctx;
	const struct held *h = x->h;
	int st = db_exec(db, "DELETE FROM held WHERE id=?", "i", h->id);

	(void)err, (void)errlen;
	if (st == KITH_OK && db_changes(db) == 0)
		return KITH_PERM;
	if (st == KITH_OK)
		st = held_log(db, h, outcome_words[x->action], x->who,
		    x->now);
	/* a notice that cannot be rendered is logged, not fatal */
	if (st == KITH_OK && x->action == MOD_REJECT && *h->sender &&
	    tell_poster(x->c, h->sender, "rejected.txt", h->subject,
	    x->reason && *x->reason ? x->reason : "no reason given") ==
	    KITH_TEMP)
		st = KITH_TEMP;
	x->st = st;
	return st == KITH_TEMP ? st : KITH_OK;
}

int
moderation_decide(const struct mail_ctx *c, int64_t id,
    enum mod_action action, const char *reason, const char *who,
    int64_t now)
{
	struct held h;
	char *raw = NULL, err[256] = "";
	size_t len = 0;
	int st = moderation_get(c->db, id, &h, &raw, &len);

	if (st != KITH_OK || h.list_id != c->l->id) {
		if (st == KITH_OK)
			held_release(&h);
		free(raw);
		return st == KITH_TEMP ? st : KITH_PERM;
	}
	if (action == MOD_APPROVE) {
		struct message m;
		struct post_outcome o;

		/* It parsed when it was held; it parses now. */
		if (message_parse(&m, raw, len, err, sizeof(err)) < 0) {
			/* kept for 'kith mod show'; never dropped unseen */
			log_error("moderation: held post %lld no longer parses: "
			    "%s", (long long)id, err);
			st = KITH_PERM;
		} else {
			st = post_accept(c->db, c->cfg, c->l, &m, &o);
			message_release(&m);
		}
	}
	if (st == KITH_OK) {
		struct decision x = { c, &h, action, reason, who, now,
		    KITH_OK };

		st = db_tx(c->db, decision_tx, &x, NULL, 0);
		if (st == KITH_OK)
			st = x.st;
	}
	if (st == KITH_OK)
		log_info("moderation: %s '<%s>' on '%s' by '%s'",
		    outcome_words[action], h.message_id, c->l->address, who);
	held_release(&h);
	free(raw);
	return st;
}

/* One short mail to a moderator about their reply (own transaction). */
static int
tell_moderator(const struct mail_ctx *c, const char *to, const char *tmpl,
    const struct template_var *vars, int nvars, const struct tvars *tv)
{
	struct notice_opts o = { .to = to, .tmpl = tmpl, .vars = vars,
		.nvars = nvars, .tv = tv, .in_reply_to = c->in_reply_to };
	int st;

	if ((st = db_begin(c->db)) == KITH_OK) {
		st = notice_queue(c->db, c->cfg, c->l, &o);
		if (st == KITH_TEMP)
			db_rollback(c->db);
		else
			st = db_commit(c->db);
	}
	return st == KITH_TEMP ? st : KITH_OK;
}

/*
 * tell_too_late - the post of a reply is no longer held: say what
 * became of it (held_log), or that it is gone when nothing is known.
 */
static int
tell_too_late(const struct mail_ctx *c, const char *to, int64_t id)
{
	struct db_stmt *st = db_prepare(c->db, "SELECT subject, outcome, by, at "
	    "FROM held_log WHERE id=? AND list_id=?");
	char idtext[24], when[32] = "", *subject = NULL, *outcome = NULL,
	    *by = NULL;
	int64_t at = 0;
	const char *tmpl = "held-late-unknown.txt";
	int r;

	if (st == NULL)
		return KITH_TEMP;
	snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
	db_bind(st, "ii", id, c->l->id);
	if (db_step(st) == DB_ROW) {
		time_t t = (time_t)db_col_int64(st, 3);
		struct tm tm;

		at = db_col_int64(st, 3);
		subject = db_col_text(st, 0);
		outcome = db_col_text(st, 1);
		by = db_col_text(st, 2);
		/* {{when}}: what older texts print, in UTC */
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		tmpl = !strcmp(outcome, "expired") ? "held-late-expired.txt" :
		    "held-late-decided.txt";
	}
	db_finalize(st);
	{
		struct template_var vars[] = {
			{ "id", idtext }, { "subject", subject ? subject : "" },
			{ "outcome", outcome ? outcome : "" },
			{ "by", by ? by : "" }, { "when", when },
		};
		struct tvars *tv = tv_new();

		tv_int(tv, "at", at);
		tv_bool(tv, "approved", outcome && !strcmp(outcome, "approved"));
		tv_bool(tv, "rejected", outcome && !strcmp(outcome, "rejected"));
		tv_bool(tv, "discarded", outcome && !strcmp(outcome,
		    "discarded"));
		tv_bool(tv, "by_command_line", by && !strcmp(by,
		    "command line"));
		r = tell_moderator(c, to, tmpl, vars, 5, tv);
		tv_free(tv);
	}
	log_info("moderation: late reply from '%s' about held post %lld on "
	    "'%s': %s", to, (long long)id, c->l->address, outcome ? outcome :
	    "unknown");
	free(subject);
	free(outcome);
	free(by);
	return r;
}

/* The reply said nothing Kith understands: nothing changes; say which words. */
static int
tell_unclear(const struct mail_ctx *c, const char *to, const struct held *h,
    const char *text)
{
	char idtext[24], *line = reply_line(text);
	struct template_var vars[] = {
		{ "id", idtext }, { "subject", h->subject }, { "line", line },
	};
	int st;

	snprintf(idtext, sizeof(idtext), "%lld", (long long)h->id);
	st = tell_moderator(c, to, "held-unclear.txt", vars, 3, NULL);
	log_info("moderation: reply from '%s' about '<%s>' on '%s' not "
	    "understood: nothing done", to, h->message_id, c->l->address);
	free(line);
	return st;
}

/*
 * The decision a reply from moderator who states; -1 when it states
 * none.  Besides the words every reply understands, the moderator's
 * language's own (command.approve, reject, discard in its LANGUAGE).
 * *always: "approve always" (command.always too), approve and accept
 * the sender from now on.
 */
static int
reply_action(const struct mail_ctx *c, const char *who, const char *text,
    char *reason, size_t reasonlen, int *always)
{
	char code[NOTICE_LANG_LEN], *more;
	const struct i18n_lang *lang;
	struct reply_words x;
	const char *own;

	notice_lang(c->db, c->l, who, code);
	lang = template_lang(c->cfg, code, NULL, 0);
	x.yes = i18n_command_words(lang, "approve");
	x.no = i18n_command_words(lang, "reject");
	x.discard = i18n_command_words(lang, "discard");
	own = i18n_command_words(lang, "always");
	more = xasprintf("always%s%s", own ? ", " : "", own ? own : "");
	*always = reply_yes_and(text, &x, more);
	free(more);
	if (*always) {
		if (reasonlen)
			reason[0] = '\0';
		return MOD_APPROVE;
	}
	switch (reply_answer_words(text, &x, reason, reasonlen)) {
	case REPLY_EMPTY:
	case REPLY_YES:
		return MOD_APPROVE;
	case REPLY_NO:
		return MOD_REJECT;
	case REPLY_DISCARD:
		return MOD_DISCARD;
	default:
		return -1;
	}
}

/* The expiry a token carries ("PAYLOAD-EXPIRY-MAC", base 36); 0 if none. */
static int64_t
token_expiry(const char *token)
{
	const char *d = strchr(token, '-');

	return d ? (int64_t)strtoll(d + 1, NULL, 36) : 0;
}

/*
 * made_for - 1 when a moderation token was made for held post h: its
 * expiry is the post's (or, for a token from before migration 8, seven
 * days after the post was held).  Guards ids that an older Kith reused.
 */
static int
made_for(const char *token, const struct held *h)
{
	int64_t exp = token_expiry(token), old = h->created + CONFIRM_TTL;

	/* the old token was made a moment after the row: same second or next */
	return exp == h->expires || exp == old || exp == old + 1;
}

int
moderation_token_fits(const char *token, const struct held *h)
{
	return made_for(token, h);
}

int
moderation_outcome(struct db *db, int64_t id, int64_t list_id, char **outcome,
    char **by, int64_t *at)
{
	struct db_stmt *st = db_prepare(db, "SELECT outcome, by, at FROM held_log "
	    "WHERE id=? AND list_id=?");
	int r = KITH_PERM;

	*outcome = *by = NULL;
	*at = 0;
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ii", id, list_id);
	if (db_step(st) == DB_ROW) {
		*outcome = db_col_text(st, 0);
		*by = db_col_text(st, 1);
		*at = db_col_int64(st, 2);
		r = KITH_OK;
	}
	db_finalize(st);
	return r;
}

int
moderation_reply(const struct mail_ctx *c, const char *token,
    const char *sender, const struct message *reply)
{
	char *payload = token_payload(token), *verified = NULL, reason[512];
	long long id = 0, mod_id = 0;
	int64_t now = now_utc();
	struct member mod;
	struct held h, h2;
	int ok = 0, late = 0, action, always, st;

	if (payload && sscanf(payload, "h.%lld.%lld", &id, &mod_id) == 2 &&
	    member_find_id(c->db, c->l->id, mod_id, &mod) == KITH_OK) {
		ok = token_check(c->key, "moderate", c->l->address, mod.address,
		    token, now, &verified) == 0;
		/* genuine, but past the post's time: only to say so */
		if (!ok) {
			late = token_check(c->key, "moderate", c->l->address,
			    mod.address, token, 0, &verified) == 0;
		}
		ok = (ok || late) &&
		    membership_is_moderator(c->db, c->l->id, mod.address) &&
		    membership_is_moderator(c->db, c->l->id, sender);
		member_release(&mod);
	}
	free(payload);
	free(verified);
	if (!ok) {
		log_warn("moderation: decision on '%s' from '%s' ignored: not a "
		    "moderator, or a token for something else", c->l->address,
		    sender);
		return KITH_PERM;
	}
	st = moderation_get(c->db, id, &h, NULL, NULL);
	if (st == KITH_TEMP)
		return st;
	if (st != KITH_OK || h.list_id != c->l->id || late ||
	    !made_for(token, &h)) {
		if (st == KITH_OK)
			held_release(&h);
		return tell_too_late(c, sender, id);
	}
	if ((action = reply_action(c, sender, reply->text, reason,
	    sizeof(reason), &always)) < 0)
		st = tell_unclear(c, sender, &h, reply->text);
	else if (always && (st = moderation_accept_sender(c->db, &h, reason,
	    sizeof(reason))) != KITH_OK) {
		/* a member's post: "always" cannot be done, and the reply
		 * said no more than that; nothing changes */
		if (st == KITH_PERM) {
			log_info("moderation: '%s' on held post %lld: %s",
			    sender, id, reason);
			st = tell_unclear(c, sender, &h, reply->text);
		}
	} else {
		st = moderation_decide(c, id, (enum mod_action)action, reason,
		    sender, now);
		/* decided by someone else a moment ago (else: logged) */
		if (st == KITH_PERM && moderation_get(c->db, id, &h2, NULL,
		    NULL) == KITH_PERM)
			st = tell_too_late(c, sender, id);
		else if (st == KITH_PERM)
			held_release(&h2);
	}
	held_release(&h);
	return st;
}

/*
 * expire_tx - held post x->h goes unseen, its poster told; a step that
 * fails is logged and the rest still stand.  The post was found due
 * before this transaction: another cron (another host's, or one run
 * twice) or a moderator may have dealt with it since, and then it is
 * theirs (KITH_PERM, nothing changes): the DELETE is the claim.
 */
static int
expire_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct decision *x = ctx;
	const struct held *h = x->h;
	int st = db_exec(db, "DELETE FROM held WHERE id=?", "i", h->id);

	(void)err, (void)errlen;
	if (st != KITH_OK)
		return st;
	if (db_changes(db) == 0)
		return KITH_PERM;
	held_log(db, h, "expired", "", x->now);
	if (*h->sender)
		tell_poster(x->c, h->sender, "expired.txt", h->subject, NULL);
	return KITH_OK;
}

int
moderation_expire(const struct kith_config *cfg, struct db *db,
    const struct token_key *key, int64_t now)
{
	struct db_stmt *st = db_prepare(db, "SELECT h.id, l.address FROM held h "
	    "JOIN lists l ON l.id=h.list_id WHERE h.expires<=?");
	int64_t *ids = NULL;
	char **lists = NULL;
	size_t n = 0;
	int rc, worst;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", now);
	while ((rc = db_step(st)) == DB_ROW) {
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		lists = xrealloc(lists, (n + 1) * sizeof(*lists));
		ids[n] = db_col_int64(st, 0);
		lists[n++] = db_col_text(st, 1);
	}
	db_finalize(st);
	/* what could not be done is said (kith cron's exit), not lost */
	worst = rc == DB_DONE ? KITH_OK : db_status(rc);
	for (size_t i = 0; i < n; i++) {
		struct list l;
		struct held h;
		char err[256] = "";
		struct mail_ctx c = { cfg, db, key, &l, NULL, NULL };

		if (list_find(db, lists[i], &l, err, sizeof(err)) == KITH_OK &&
		    moderation_get(db, ids[i], &h, NULL, NULL) == KITH_OK) {
			struct decision x = { &c, &h, MOD_DISCARD, NULL, "", now,
			    KITH_OK };

			int done = db_tx(db, expire_tx, &x, NULL, 0);

			/* PERM: decided or expired by another cron or
			 * host meanwhile, which is no failure */
			if (done == KITH_OK)
				log_info("moderation: held '<%s>' on '%s' "
				    "expired", h.message_id, l.address);
			else if (done == KITH_TEMP)
				worst = KITH_TEMP;
			held_release(&h);
			list_release(&l);
		}
		free(lists[i]);
	}
	free(ids);
	free(lists);
	/* late replies come within days; a season is plenty */
	rc = db_exec(db, "DELETE FROM held_log WHERE at<?", "i",
	    now - 90 * 86400);
	return rc > worst ? rc : worst;
}

/*
 * A held post waits this long before its moderators hear of it again:
 * the notice that came with it may be lost in a busy mailbox, and
 * unseen the post expires (held_days) and its author is told no.
 */
#define REMIND_AFTER 86400

/* held_waiting - the posts of c->l held before since, into tv's "posts"
 * (each with its link for moderator mod_id at mod, with kith serve);
 * how many, -1 on trouble. */
static int
held_waiting(const struct mail_ctx *c, int64_t mod_id, const char *mod,
    int64_t since, struct tvars *tv)
{
	char *sql = xasprintf("%sWHERE list_id=? AND created<=? ORDER BY "
	    "created, id", held_columns);
	struct db_stmt *st = db_prepare(c->db, sql);
	struct tvlist *posts = tv_list(tv, "posts");
	int n = 0, web = 0, rc;

	free(sql);
	if (st == NULL)
		return -1;
	db_bind(st, "ii", c->l->id, since);
	while ((rc = db_step(st)) == DB_ROW) {
		struct tvars *p = tv_item(posts);
		struct held h;
		char *url;

		held_from_row(st, &h);
		url = weblink_moderate(c->cfg, c->key, c->l->address, h.id,
		    mod_id, mod, h.expires);
		tv_int(p, "id", h.id);
		tv_str(p, "sender", h.sender);
		tv_str(p, "subject", h.subject);
		tv_str(p, "reason", h.reason);
		reason_values(p, h.reason);
		tv_time(p, "held", h.created, NULL);
		tv_time(p, "expires", h.expires, NULL);
		tv_str(p, "url", url ? url : "");
		web |= url != NULL;
		free(url);
		held_release(&h);
		n++;
	}
	db_finalize(st);
	tv_bool(tv, "web", web);
	return rc == DB_DONE ? n : -1;
}

struct remind {
	const struct mail_ctx *c;
	int64_t now;
};

/* remind_tx - each moderator of list x->c->l who was not reminded in the
 * last day gets one reminder of the posts still waiting */
static int
remind_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	const struct remind *x = ctx;
	const struct mail_ctx *c = x->c;
	int64_t now = x->now;
	struct db_stmt *mods = member_staff(db, c->l->id);
	int st = KITH_OK;

	(void)err, (void)errlen;
	if (mods == NULL)
		return KITH_TEMP;
	while (st == KITH_OK && db_step(mods) == DB_ROW) {
		char *mod = db_col_text(mods, 1);
		struct tvars *tv = tv_new();
		struct notice_opts o = { .to = mod, .tmpl = "held-reminder.txt",
		    .tv = tv, .key = c->key };
		int n = held_waiting(c, db_col_int64(mods, 0), mod,
		    now - REMIND_AFTER, tv), joins = n < 0 ? -1 :
		    membership_joins_waiting(c, now - REMIND_AFTER, tv);

		n = joins < 0 ? -1 : n + joins;
		tv_int(tv, "count", n);
		if (n < 0)
			st = KITH_TEMP;
		else if (n > 0 && notice_rate_ok(db, c->l->id, mod,
		    "held-reminder")) {
			/* a text that cannot be made is logged there; the
			 * other moderators are still reminded */
			if ((st = notice_queue(db, c->cfg, c->l, &o)) ==
			    KITH_PERM)
				st = KITH_OK;
			log_info("moderation: '%s' reminded of %d held "
			    "posts and requests to join on '%s'", mod, n,
			    c->l->address);
		}
		tv_free(tv);
		free(mod);
	}
	db_finalize(mods);
	return st;
}

int
moderation_remind(const struct kith_config *cfg, struct db *db,
    const struct token_key *key, int64_t now)
{
	struct db_ids ids = { 0 };
	int worst = db_ids_select(db, &ids, "SELECT DISTINCT list_id FROM held "
	    "WHERE created<=? ORDER BY 1", "i", now - REMIND_AFTER);

	if (worst == KITH_OK)
		worst = membership_joins_lists(db, now - REMIND_AFTER, &ids);
	for (size_t i = 0; worst != KITH_TEMP && i < ids.n; i++) {
		struct list l;
		struct mail_ctx c = { cfg, db, key, &l, NULL, NULL };
		struct remind x = { &c, now };
		size_t seen = 0;

		while (seen < i && ids.v[seen] != ids.v[i])
			seen++;
		/* a list with both waits once */
		if (seen < i || list_find_id(db, ids.v[i], &l) != KITH_OK)
			continue;
		if (db_tx(db, remind_tx, &x, NULL, 0) == KITH_TEMP)
			worst = KITH_TEMP;
		list_release(&l);
	}
	db_ids_release(&ids);
	return worst;
}

int
moderation_accept_sender(struct db *db, const struct held *h, char *err,
    size_t errlen)
{
	char *now_accepted = list_setting(db, h->list_id, "accept_nonmembers");
	char *value = NULL;
	struct member m;
	int st = KITH_OK;

	if (member_find(db, h->list_id, h->sender, &m) == KITH_OK) {
		/* held for being moderated, or the list's posting rule */
		member_release(&m);
		snprintf(err, errlen, "%s is a member: see 'kith member moderate' "
		    "and the list's posting setting", h->sender);
		st = KITH_PERM;
	} else if (!*h->sender || strpbrk(h->sender, "*?[,")) {
		snprintf(err, errlen, "'%s' cannot be accepted by name",
		    h->sender);
		st = KITH_PERM;
	} else if (!patterns_match(now_accepted, h->sender)) {
		value = *now_accepted ? xasprintf("%s, %s", now_accepted,
		    h->sender) : xstrdup(h->sender);
		st = list_setting_set(db, h->list_id, "accept_nonmembers", value,
		    err, errlen);
		if (st == KITH_OK)
			log_info("moderation: '%s' accepted from now on (held post "
			    "%lld)", h->sender, (long long)h->id);
	}
	free(value);
	free(now_accepted);
	return st;
}
