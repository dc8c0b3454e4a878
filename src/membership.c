/* membership - subscribe, unsubscribe and settings by email, confirmed. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kith/address.h"
#include "kith/bans.h"
#include "kith/bounce.h"
#include "kith/confirm.h"
#include "kith/db.h"
#include "kith/feature.h"
#include "kith/i18n.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/membership.h"
#include "kith/message.h"
#include "kith/notice.h"
#include "kith/reply.h"
#include "kith/privacy.h"
#include "kith/template.h"
#include "kith/timeutil.h"
#include "kith/util.h"

int
membership_is_moderator(struct db *db, int64_t list_id, const char *address)
{
	int st;

	return db_int(db, 0, &st, "SELECT count(*) FROM members WHERE list_id=? "
	    "AND address=? AND role IN ('owner','moderator')", "it", list_id,
	    address) > 0;
}

int64_t
parse_date(const char *s)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end)
		return -1;
	/* strptime takes 2027-02-29 and timegm makes it March 1st */
	return utc_day(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* Send notice tmpl to one address, with the member variables. */
static int
notify(const struct mail_ctx *c, const char *to, const char *tmpl,
    const char *member, const char *name, const char *reply_to,
    const struct tvars *more)
{
	struct template_var vars[] = {
		{ "member.address", member }, { "member.name", name },
	};
	struct notice_opts o;

	memset(&o, 0, sizeof(o));
	o.to = to;
	o.tmpl = tmpl;
	o.vars = vars;
	o.nvars = 2;
	o.tv = more;
	o.in_reply_to = c->in_reply_to;
	o.reply_to = reply_to;
	o.key = c->key;
	return notice_queue(c->db, c->cfg, c->l, &o);
}

/*
 * Tell the owners about a join or leave, as notify_owners says.  A
 * leave's notices are rendered when they are delivered (notice.h): the
 * one-click POST of kith serve is a leave, and answers sooner for it.
 */
static void
tell_owners(const struct mail_ctx *c, const char *address, const char *name,
    const char *event)
{
	char *how = list_setting(c->db, c->l->id, "notify_owners");
	int each = !strcmp(how, "each");
	struct db_stmt *st;

	db_exec(c->db, "INSERT INTO member_events(list_id, address, event, at, "
	    "reported) VALUES (?, ?, ?, ?, ?)", "ittiI", c->l->id, address,
	    event, now_utc(), strcmp(how, "daily") != 0);
	free(how);
	if (!each)
		return;
	/* prepared once a connection: every join and leave asks it */
	st = db_cached(c->db, "SELECT address FROM members WHERE list_id=? AND "
	    "role='owner'");
	if (st == NULL)
		return;
	db_bind(st, "i", c->l->id);
	while (db_step(st) == DB_ROW) {
		char *o = xstrdup(db_col_str(st, 0));

		if (!strcmp(event, "joined"))
			notify(c, o, "owner-join.txt", address, name, NULL, NULL);
		else
			notice_queue_later(c->db, c->l, o, "owner-leave.txt",
			    NULL, address, name, c->in_reply_to);
		free(o);
	}
	db_cached_done(st);
}

/*
 * join_lang - "language=CODE NAME": the language a subscribe request
 * asked for (requests.c, from its Content-Language or Accept-Language),
 * carried through the confirmation with the name.  Into code ("" when
 * none, or one Kith does not have); returns the name after it.
 */
static const char *
join_lang(const struct mail_ctx *c, const char *name,
    char code[NOTICE_LANG_LEN])
{
	const char *p, *end;
	char err[256];
	size_t n;

	code[0] = '\0';
	if (name == NULL || strncmp(name, "language=", 9))
		return name;
	p = name + 9;
	end = p + strcspn(p, " ");
	n = (size_t)(end - p);
	if (n == 0 || n >= NOTICE_LANG_LEN)
		return name;
	memcpy(code, p, n);
	code[n] = '\0';
	if (notice_lang_ok(c->cfg, code, err, sizeof(err)) < 0) {
		code[0] = '\0';
		return name;	/* not ours: a name that looks like one */
	}
	while (*end == ' ')
		end++;
	return end;
}

/*
 * answer_in - what a reply to a confirmation decides, with the words of
 * the replier's language besides the ones every reply understands:
 * command.yes and command.no ("так", "ні"), or a moderator's
 * command.approve, reject and discard.
 */
static enum reply_answer
answer_in(const struct mail_ctx *c, const char *who, int moderator,
    const char *text)
{
	char code[NOTICE_LANG_LEN];
	const struct i18n_lang *lang;
	struct reply_words x;

	notice_lang(c->db, c->l, who, code);
	lang = template_lang(c->cfg, code, NULL, 0);
	x.yes = i18n_command_words(lang, moderator ? "approve" : "yes");
	x.no = i18n_command_words(lang, moderator ? "reject" : "no");
	x.discard = moderator ? i18n_command_words(lang, "discard") : NULL;
	return reply_answer_words(text, &x, NULL, 0);
}

/* 1 when address may not be a member: a ban, or one its forgetting kept */
static int
is_banned(const struct mail_ctx *c, const char *address)
{
	return ban_matches(c->db, c->l->id, address) ||
	    privacy_banned(c->db, c->key, c->l->id, address);
}

/* The same, said in out. */
static int
banned(const struct mail_ctx *c, const char *address, struct outcome *out)
{
	if (!is_banned(c, address))
		return 0;
	tv_str(outcome_add(out, "banned"), "address", address);
	return 1;
}

int
membership_join(const struct mail_ctx *c, const char *address,
    const char *name, struct outcome *out)
{
	char lang[NOTICE_LANG_LEN];

	name = join_lang(c, name, lang);
	/* forgotten while banned: the ban holds; else they came back by
	 * their own request and are not forgotten any more (privacy.h) */
	if (banned(c, address, out))
		return KITH_PERM;
	if (privacy_unforget(c->db, c->key, address) != KITH_OK)
		return KITH_TEMP;
	switch (member_add(c->db, c->l->id, address, name)) {
	case MEMBER_ADDED:
		break;
	case MEMBER_EXISTS:
		tv_str(outcome_add(out, "already_member"), "address", address);
		return KITH_OK;
	case MEMBER_INVALID:
		tv_str(outcome_add(out, "not_address"), "text", address);
		return KITH_PERM;
	default:
		return KITH_TEMP;
	}
	/* before the welcome, which is the first text in it */
	if (*lang && member_set_lang(c->db, c->l->id, address, lang) != KITH_OK)
		return KITH_TEMP;
	notify(c, address, "welcome.txt", address, name ? name : "", NULL,
	    NULL);
	tell_owners(c, address, name ? name : "", "joined");
	{
		/* What the features owe a new member, now (feature.h). */
		struct member m;
		int st;

		if (member_find(c->db, c->l->id, address, &m) == KITH_OK) {
			st = features_joined(c, &m, now_utc(), NULL);
			member_release(&m);
			if (st != KITH_OK)
				return KITH_TEMP;
		}
	}
	tv_str(outcome_add(out, "joined"), "address", address);
	log_info("membership: '%s' joined '%s'", address, c->l->address);
	return KITH_OK;
}

int
membership_leave_member(const struct mail_ctx *c, const struct member *m,
    struct outcome *out)
{
	const char *address = m->address;
	char lang[NOTICE_LANG_LEN];

	/* the goodbye speaks the member's language, which leaves with the
	 * member's row: taken before it goes */
	notice_lang(c->db, c->l, address, lang);
	/* What the member held goes on at once (feature.h). */
	if (member_remove(c->db, c->l->id, address) != MEMBER_REMOVED ||
	    features_left(c, m, now_utc()) != KITH_OK)
		return KITH_TEMP;
	if (notice_queue_later(c->db, c->l, address, "goodbye.txt", lang,
	    address, m->name, c->in_reply_to) != KITH_OK)
		return KITH_TEMP;
	tell_owners(c, address, m->name, "left");
	if (out)	/* a record of 60 values: the web shows none */
		tv_str(outcome_add(out, "left"), "address", address);
	log_info("membership: '%s' left '%s'", address, c->l->address);
	return KITH_OK;
}

int
membership_leave(const struct mail_ctx *c, const char *address,
    struct outcome *out)
{
	struct member m;
	int st;

	if (member_find(c->db, c->l->id, address, &m) != KITH_OK) {
		tv_str(outcome_add(out, "not_member"), "address", address);
		return KITH_OK;
	}
	st = membership_leave_member(c, &m, out);
	member_release(&m);
	return st;
}

enum move_target { MOVE_FREE, MOVE_TAKEN, MOVE_BANNED };

/*
 * move_target - what to (normalised into *addr, caller frees) is for a
 * membership moving there: free, a member's already, or banned; -1
 * (said in out) when it is no address.
 */
static int
move_target(const struct mail_ctx *c, const char *to, char **addr,
    struct outcome *out)
{
	struct member other;

	if ((*addr = address_normalize(to)) == NULL) {
		tv_str(outcome_add(out, "not_address"), "text", to);
		return -1;
	}
	if (member_find(c->db, c->l->id, *addr, &other) == KITH_OK) {
		member_release(&other);
		return MOVE_TAKEN;
	}
	return is_banned(c, *addr) ? MOVE_BANNED : MOVE_FREE;
}

/* move_to - to, normalised, when it may take a membership now; else
 * NULL, said in out.  Caller frees. */
static char *
move_to(const struct mail_ctx *c, const char *to, struct outcome *out)
{
	char *addr;
	int t = move_target(c, to, &addr, out);

	if (t == MOVE_FREE)
		return addr;
	if (t >= 0)
		tv_str(outcome_add(out, t == MOVE_TAKEN ? "already_member" :
		    "banned"), "address", addr);
	free(addr);
	return NULL;
}

int
membership_move_request(const struct mail_ctx *c, const struct member *m,
    const char *to, struct outcome *out)
{
	char *addr;
	int t = move_target(c, to, &addr, out), taken = t == MOVE_TAKEN, st;

	if (t < 0)
		return KITH_PERM;
	/* the asker is told the same whatever the address is: who is on
	 * the list or banned is not theirs to learn */
	if (t == MOVE_BANNED) {
		tv_str(outcome_add(out, "move_confirm_sent"), "address", addr);
		log_info("membership: '%s' on '%s' asked to move to '%s' "
		    "(banned: nothing sent)", m->address, c->l->address, addr);
		free(addr);
		return KITH_OK;
	}
	st = confirm_move(c, m->address, addr, taken, out);
	if (st == KITH_OK)
		log_info("membership: '%s' on '%s' asked to move to '%s'%s",
		    m->address, c->l->address, addr, taken ? " (a member "
		    "already: told so there)" : "");
	free(addr);
	return st;
}

int
membership_move(const struct mail_ctx *c, const struct member *m,
    const char *to, int by_owner, struct outcome *out)
{
	char *addr = move_to(c, to, out), lang[NOTICE_LANG_LEN];
	enum member_result r = addr ? member_move(c->db, c->l->id, m->id, addr) :
	    MEMBER_INVALID;
	struct member moved;
	struct tvars *tv;
	struct notice_opts o = { .to = m->address, .tmpl = "moved.txt",
	    .lang = lang, .key = c->key };
	int st;

	free(addr);
	if (r == MEMBER_INVALID)
		return KITH_PERM;	/* said by move_to */
	if (r == MEMBER_NOT_FOUND) {
		tv_str(outcome_add(out, "not_member"), "address", m->address);
		return KITH_PERM;
	}
	if (r != MEMBER_MOVED ||
	    member_find_id(c->db, c->l->id, m->id, &moved) != KITH_OK)
		return KITH_TEMP;
	/* what the features keep by address follows; the old address's
	 * bounces were not the new one's */
	st = features_moved(c, &moved, m->address, now_utc());
	if (st == KITH_OK)
		st = bounce_enable_member(c->db, m->id);
	/* the old address hears of it, in the member's language: a move
	 * nobody there asked for shows */
	tv = tv_new();
	tv_str(tv, "member.address", m->address);
	tv_str(tv, "member.name", *m->name ? m->name : m->address);
	tv_str(tv, "to", moved.address);
	tv_bool(tv, "by_owner", by_owner);
	o.tv = tv;
	notice_lang(c->db, c->l, moved.address, lang);
	if (st == KITH_OK)
		st = notice_queue(c->db, c->cfg, c->l, &o);
	tv_free(tv);
	if (st == KITH_OK) {
		struct tvars *line = outcome_add(out, "moved");

		tv_str(line, "address", moved.address);
		tv_str(line, "text", m->address);
		log_info("membership: '%s' on '%s' moved to '%s'", m->address,
		    c->l->address, moved.address);
	}
	member_release(&moved);
	return st == KITH_OK ? KITH_OK : KITH_TEMP;
}

int
membership_joins_lists(struct db *db, int64_t since, struct db_ids *ids)
{
	return db_ids_select(db, ids, "SELECT DISTINCT list_id FROM pending "
	    "WHERE kind='approve' AND created<=? ORDER BY 1", "i", since);
}

int
membership_joins_waiting(const struct mail_ctx *c, int64_t since,
    struct tvars *tv)
{
	struct db_stmt *st = db_prepare(c->db, "SELECT address, commands, "
	    "created, expires FROM pending WHERE list_id=? AND kind='approve' "
	    "AND created<=? ORDER BY created, id");
	struct tvlist *joins = tv_list(tv, "joins");
	char lang[NOTICE_LANG_LEN];
	int n = 0, rc;

	if (st == NULL)
		return -1;
	db_bind(st, "ii", c->l->id, since);
	while ((rc = db_step(st)) == DB_ROW) {
		struct tvars *j = tv_item(joins);

		tv_str(j, "address", db_col_str(st, 0));
		/* the name, after the language the request asked for */
		tv_str(j, "name", join_lang(c, db_col_str(st, 1), lang));
		tv_time(j, "asked", db_col_int64(st, 2), NULL);
		tv_time(j, "expires", db_col_int64(st, 3), NULL);
		n++;
	}
	db_finalize(st);
	return rc == DB_DONE ? n : -1;
}

/* A confirmed "subscribe": join, or wait for a moderator on approve lists. */
static int
apply_subscribe(const struct mail_ctx *c, const char *address,
    const char *name, struct outcome *out)
{
	char *policy = list_setting(c->db, c->l->id, "subscribe");
	int approve = !strcmp(policy, "approve"), st = KITH_OK;
	struct db_stmt *mods;
	int64_t id;

	free(policy);
	if (!approve)
		return membership_join(c, address, name, out);
	id = confirm_pending_add(c, "approve", address, name, APPROVE_TTL);
	if (id == 0)
		return KITH_TEMP;
	if ((mods = member_staff(c->db, c->l->id)) == NULL)
		return KITH_TEMP;
	while (st == KITH_OK && db_step(mods) == DB_ROW) {
		char payload[64], *confirm, *mod;

		snprintf(payload, sizeof(payload), "a.%lld.%lld", (long long)id,
		    (long long)db_col_int64(mods, 0));
		mod = xstrdup(db_col_str(mods, 1));
		/* a moderator may answer as long as the request waits */
		confirm = confirm_address_until(c, "approve", payload, mod,
		    now_utc() + APPROVE_TTL);
		st = notify(c, mod, "approve-subscription.txt", address, name,
		    confirm, NULL);
		free(confirm);
		free(mod);
	}
	db_finalize(mods);
	outcome_add(out, "join_waits");
	return st;
}

/* A feature's command for address (feature.h); dry: only whether it can. */
static int
act_for_member(const struct mail_ctx *c, const char *address,
    const struct feature_command *k, const char *args, int dry,
    struct outcome *out)
{
	while (*args == ' ')
		args++;
	return k->run(c, address, args, dry, out);
}

/* set_nomail - "set nomail [until YYYY-MM-DD]" (rest: "until ..." or NULL). */
static int
set_nomail(const struct mail_ctx *c, const char *address, const char *rest,
    struct outcome *out)
{
	int64_t until = 0;
	int st;

	if (rest && !strncmp(rest, "until ", 6))
		until = parse_date(rest + 6);
	st = member_set_mode(c->db, c->l->id, address, "nomail",
	    until > 0 ? until : 0);
	if (st != KITH_OK)
		tv_str(outcome_add(out, "set_not_member"), "address", address);
	else if (until > 0)
		tv_str(outcome_add(out, "nomail_until"), "day", rest + 6);
	else
		outcome_add(out, "nomail");
	return st;
}

/* set_digest - "set digest daily|weekly|off|plain|mime". */
static int
set_digest(const struct mail_ctx *c, const char *address, const char *rest,
    struct outcome *out)
{
	const char *mode = !strcmp(rest, "daily") ? "digest-daily" :
	    !strcmp(rest, "weekly") ? "digest-weekly" :
	    !strcmp(rest, "off") ? "each" : NULL;
	int st;

	if (!strcmp(rest, "plain") || !strcmp(rest, "mime")) {
		st = member_set_digest_format(c->db, c->l->id, address, rest);
		outcome_add(out, st != KITH_OK ? "not_done" : !strcmp(rest,
		    "plain") ? "digest_plain" : "digest_mime");
		return st;
	}
	st = mode ? member_set_mode(c->db, c->l->id, address, mode, 0) :
	    KITH_PERM;
	if (st == KITH_OK)
		tv_str(outcome_add(out, "delivery"), "mode", mode);
	else
		outcome_add(out, "not_done");
	return st;
}

/* set_language - "set language CODE" ("" or "default": the list's). */
static int
set_language(const struct mail_ctx *c, const char *address, const char *code,
    struct outcome *out)
{
	char err[256], name[128];
	int st;

	if (!strcmp(code, "default"))
		code = "";
	if (*code && notice_lang_ok(c->cfg, code, err, sizeof(err)) < 0) {
		outcome_add(out, "not_done");
		return KITH_PERM;
	}
	st = member_set_lang(c->db, c->l->id, address, code);
	if (st != KITH_OK) {
		tv_str(outcome_add(out, "set_not_member"), "address", address);
		return st;
	}
	notice_lang_name(c->cfg, c->db, c->l, address, name, sizeof(name));
	tv_str(outcome_add(out, "language_set"), "language", name);
	return KITH_OK;
}

/* set_address - "set address NEW", confirmed by the member: NEW is asked. */
static int
set_address(const struct mail_ctx *c, const char *address, const char *to,
    struct outcome *out)
{
	struct member m;
	int st;

	if (member_find(c->db, c->l->id, address, &m) != KITH_OK) {
		tv_str(outcome_add(out, "set_not_member"), "address", address);
		return KITH_PERM;
	}
	st = membership_move_request(c, &m, to, out);
	member_release(&m);
	return st;
}

/* apply_set - "set ARG [REST]": delivery, digests, the thank-you. */
static int
apply_set(const struct mail_ctx *c, const char *address, const char *arg,
    const char *rest, struct outcome *out)
{
	int st;

	if (arg && !strcmp(arg, "mail")) {
		st = member_set_mode(c->db, c->l->id, address, "each", 0);
		if (st == KITH_OK)
			outcome_add(out, "mail_on");
		else
			tv_str(outcome_add(out, "set_not_member"), "address",
			    address);
		return st;
	}
	if (arg && !strcmp(arg, "nomail"))
		return set_nomail(c, address, rest, out);
	if (arg && !strcmp(arg, "digest") && rest)
		return set_digest(c, address, rest, out);
	if (arg && !strcmp(arg, "language") && rest)
		return set_language(c, address, rest, out);
	if (arg && !strcmp(arg, "address") && rest)
		return set_address(c, address, rest, out);
	if (arg && !strcmp(arg, "thanks") && rest && (!strcmp(rest, "on") ||
	    !strcmp(rest, "off"))) {
		st = db_exec(c->db, "UPDATE members SET thanks=? WHERE list_id=? "
		    "AND address=?", "Iit", !strcmp(rest, "on"), c->l->id, address);
		outcome_add(out, !strcmp(rest, "on") ? "thanks_on" : "thanks_off");
		return st;
	}
	outcome_add(out, "unknown_setting");
	return KITH_PERM;
}

int
membership_act(const struct mail_ctx *c, const char *address,
    const char *command, struct outcome *out)
{
	char *copy = xstrdup(command), *save = NULL;
	char *verb = strtok_r(copy, " ", &save), *arg = strtok_r(NULL, " ", &save);
	char *rest = save && *save ? save : NULL;
	const struct feature_command *k;
	int st = KITH_OK;

	if (verb == NULL)
		verb = "";
	if ((k = features_command(verb)) != NULL)
		st = act_for_member(c, address, k, command + strlen(verb), 0,
		    out);
	else if (!strcmp(verb, "subscribe")) {
		/* the rest of the line is the name */
		const char *name = command + strlen("subscribe");

		while (*name == ' ')
			name++;
		st = apply_subscribe(c, address, name, out);
	} else if (!strcmp(verb, "unsubscribe"))
		st = membership_leave(c, address, out);
	else if (!strcmp(verb, "my") && arg && !strcmp(arg, "data"))
		st = privacy_mail_data(c, address, out);
	else if (!strcmp(verb, "remove") && arg)
		st = privacy_mail_remove(c, address, command + 7, out);
	else if (!strcmp(verb, "set"))
		st = apply_set(c, address, arg, rest, out);
	else {
		outcome_add(out, "unknown_setting");
		st = KITH_PERM;
	}
	free(copy);
	return st;
}

int
membership_apply(const struct mail_ctx *c, const char *address,
    const char *command, struct outcome *out)
{
	tv_str(outcome_add(out, "command"), "line", command);
	return membership_act(c, address, command, out);
}

int
membership_check(const struct mail_ctx *c, const char *address,
    const char *command, struct outcome *out)
{
	size_t n = strcspn(command, " ");
	char *verb = xstrndup(command, n);
	const struct feature_command *k = features_command(verb);

	free(verb);
	return k ? act_for_member(c, address, k, command + n, 1, out) : KITH_OK;
}

int
membership_accept(const struct mail_ctx *c, const char *address,
    struct outcome *out)
{
	struct db_stmt *st = db_prepare(c->db, "SELECT id, commands FROM pending "
	    "WHERE list_id=? AND kind='approve' AND address=? ORDER BY id "
	    "LIMIT 1");
	char *name = NULL;
	int64_t id = 0;
	int r;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "it", c->l->id, address);
	if (db_step(st) == DB_ROW) {
		id = db_col_int64(st, 0);
		name = db_col_text(st, 1);
	}
	db_finalize(st);
	if (id == 0)
		return KITH_PERM;
	db_exec(c->db, "DELETE FROM pending WHERE id=?", "i", id);
	r = membership_join(c, address, name, out);
	free(name);
	return r;
}

int
membership_invite(const struct mail_ctx *c, const char *address,
    const char *name)
{
	char payload[32], *confirm;
	int64_t id = confirm_pending_add(c, "invite", address, name ? name : "",
	    CONFIRM_TTL);
	int st;

	if (id == 0)
		return KITH_TEMP;
	snprintf(payload, sizeof(payload), "i.%lld", (long long)id);
	confirm = confirm_address(c, "invite", payload, address);
	st = notify(c, address, "invite.txt", address, name ? name : "",
	    confirm, NULL);
	free(confirm);
	return st;
}

struct pending {
	int64_t id;
	char kind[16];
	char *address, *commands;
	int64_t expires;
};

static int
pending_load(const struct mail_ctx *c, int64_t id, struct pending *p)
{
	struct db_stmt *st = db_prepare(c->db, "SELECT kind, address, commands, "
	    "expires FROM pending WHERE id=? AND list_id=?");
	int found = 0;

	memset(p, 0, sizeof(*p));
	if (st == NULL)
		return 0;
	db_bind(st, "ii", id, c->l->id);
	if (db_step(st) == DB_ROW) {
		p->id = id;
		snprintf(p->kind, sizeof(p->kind), "%s", db_col_str(st, 0));
		p->address = db_col_text(st, 1);
		p->commands = db_col_text(st, 2);
		p->expires = db_col_int64(st, 3);
		found = 1;
	}
	db_finalize(st);
	return found;
}

static void
pending_release(struct pending *p)
{
	free(p->address);
	free(p->commands);
}

/* Apply each command line of a confirmed request. */
static int
apply_all(const struct mail_ctx *c, const char *address, const char *commands,
    struct outcome *out)
{
	char *copy = xstrdup(commands), *save = NULL;
	int st = KITH_OK;

	for (char *line = strtok_r(copy, "\n", &save); line && st != KITH_TEMP;
	    line = strtok_r(NULL, "\n", &save))
		st = membership_apply(c, address, line, out);
	free(copy);
	return st == KITH_TEMP ? KITH_TEMP : KITH_OK;
}

/* The new address confirmed a move: the member at from moves to to. */
static int
move_confirmed(const struct mail_ctx *c, const char *from, const char *to,
    struct outcome *out)
{
	struct member m;
	int st;

	if (member_find(c->db, c->l->id, from, &m) != KITH_OK) {
		/* left, or moved elsewhere, since */
		tv_str(outcome_add(out, "not_member"), "address", from);
		return KITH_PERM;
	}
	st = membership_move(c, &m, to, 0, out);
	member_release(&m);
	return st;
}

/* A reply to a confirmation said nothing clear: one answer with the words. */
static int
tell_unclear(const struct mail_ctx *c, const char *to, const char *text)
{
	char *line = reply_line(text);
	struct template_var vars[] = { { "line", line } };
	struct notice_opts o;
	int st;

	memset(&o, 0, sizeof(o));
	o.to = to;
	o.tmpl = "confirm-unclear.txt";
	o.vars = vars;
	o.nvars = 1;
	o.in_reply_to = c->in_reply_to;
	st = notice_queue(c->db, c->cfg, c->l, &o);
	log_info("membership: reply from '%s' to a confirmation on '%s' not "
	    "understood: nothing done", to, c->l->address);
	free(line);
	return st == KITH_TEMP ? st : KITH_OK;
}

/*
 * confirm_stale - a reply to a confirmation nothing waits for any more
 * (answered already, or expired): when the token is genuine and the
 * sender's own (its MAC checked, not its age), they are told so, with
 * how to go on, rather than hearing nothing; a forged token or someone
 * else's gets no answer.  KITH_OK with the line in out, else KITH_PERM.
 */
static int
confirm_stale(const struct mail_ctx *c, const char *purpose,
    const char *sender, const char *token, struct outcome *out)
{
	char *payload = NULL;
	int genuine = sender && token_check(c->key, purpose, c->l->address,
	    sender, token, 0, &payload) == 0;

	free(payload);
	if (!genuine)
		return KITH_PERM;
	outcome_add(out, "confirm_stale");
	return KITH_OK;
}

int
membership_confirm(const struct mail_ctx *c, const char *token,
    const char *sender, const char *text, struct outcome *out)
{
	char *payload = token_payload(token), *verified = NULL;
	long long id = 0, mod_id = 0;
	char kind = payload ? payload[0] : '\0';
	struct pending p;
	struct member mod;
	const char *purpose = kind == 'c' ? "confirm" : kind == 'i' ? "invite" :
	    kind == 'm' ? "move" : "approve";
	enum reply_answer answer;
	int st = KITH_PERM;

	if (payload == NULL || sscanf(payload + 1, ".%lld.%lld", &id, &mod_id) < 1
	    || !pending_load(c, id, &p)) {
		log_info("membership: confirmation for '%s' with an unknown "
		    "token: nothing done", c->l->address);
		free(payload);
		return kind == 'a' ? KITH_PERM : confirm_stale(c, purpose,
		    sender, token, out);
	}
	memset(&mod, 0, sizeof(mod));
	if (kind == 'a') {
		/* A moderator's token: bound to that moderator's address. */
		if (member_find_id(c->db, c->l->id, mod_id, &mod) != KITH_OK ||
		    token_check(c->key, purpose, c->l->address, mod.address, token,
		    now_utc(), &verified) < 0 || strcmp(p.kind, "approve") ||
		    !membership_is_moderator(c->db, c->l->id, sender)) {
			log_warn("membership: approval for '%s' on '%s' by '%s' "
			    "refused: not a moderator or not their token",
			    p.address, c->l->address, sender);
			goto done;
		}
	} else if (token_check(c->key, purpose, c->l->address, p.address, token,
	    now_utc(), &verified) < 0 || strcmp(p.kind, purpose) ||
	    p.expires < now_utc()) {
		log_warn("membership: confirmation for '%s' on '%s' refused: "
		    "forged, expired or for something else", p.address,
		    c->l->address);
		if (!strcmp(p.kind, purpose))
			st = confirm_stale(c, purpose, sender, token, out);
		goto done;
	}
	answer = answer_in(c, sender, kind == 'a', text);
	if (answer == REPLY_UNCLEAR) {
		/* the pending request stays: a clear answer may follow */
		st = tell_unclear(c, sender, text);
		goto done;
	}
	db_exec(c->db, "DELETE FROM pending WHERE id=?", "i", (int64_t)id);
	if (answer == REPLY_NO || answer == REPLY_DISCARD) {
		tv_str(outcome_add(out, kind == 'a' ? "approval_refused" :
		    kind == 'i' ? "invitation_declined" : "cancelled"), "address",
		    p.address);
		log_info("membership: '%s' on '%s' answered no: %s cancelled",
		    sender, c->l->address, p.kind);
		st = KITH_OK;
	} else if (kind == 'c')
		st = apply_all(c, p.address, p.commands, out);
	else if (kind == 'm')
		st = move_confirmed(c, p.commands, p.address, out);
	else	/* invitation accepted, or subscription approved */
		st = membership_join(c, p.address, p.commands, out);
	if (st == KITH_PERM)
		st = KITH_OK;	/* done, with the reason in out */
done:
	member_release(&mod);
	pending_release(&p);
	free(verified);
	free(payload);
	return st;
}

int
membership_unsubscribe_token(const struct mail_ctx *c, const char *token,
    struct outcome *out)
{
	char *payload = token_payload(token), *verified = NULL, *end;
	struct member m;
	long long id;
	int st = KITH_PERM;

	if (payload == NULL)
		return KITH_PERM;
	id = strtoll(payload, &end, 10);
	if (*end == '\0' && member_find_id(c->db, c->l->id, id, &m) == KITH_OK) {
		if (token_check(c->key, "unsubscribe", c->l->address, m.address,
		    token, now_utc(), &verified) == 0)
			st = membership_leave_member(c, &m, out);
		member_release(&m);
	}
	if (st == KITH_PERM)
		log_warn("membership: unsubscribe token for '%s' refused",
		    c->l->address);
	free(verified);
	free(payload);
	return st;
}

/* One owner summary of the unreported joins and leaves of list l. */
static void
owner_summary(const struct mail_ctx *c)
{
	struct db_stmt *ev = db_prepare(c->db, "SELECT address, event FROM "
	    "member_events WHERE list_id=? AND reported=0 ORDER BY at");
	struct db_stmt *owners = db_prepare(c->db, "SELECT address FROM members "
	    "WHERE list_id=? AND role='owner'");
	struct tvars *tv = tv_new();
	struct tvlist *events = tv_list(tv, "joins");
	struct buf text;

	buf_init(&text);
	if (ev && owners) {
		db_bind(ev, "i", c->l->id);
		while (db_step(ev) == DB_ROW) {
			const char *addr = db_col_str(ev, 0);
			const char *what = db_col_str(ev, 1);
			struct tvars *e = tv_item(events);

			tv_str(e, "address", addr);
			tv_bool(e, "joined", !strcmp(what, "joined"));
			tv_bool(e, "left", !strcmp(what, "left"));
			/* {{events}}: the older texts' lines, as they were */
			buf_addf(&text, "  %s %s\n", addr, what);
		}
		tv_str(tv, "events", text.data ? text.data : "");
		db_bind(owners, "i", c->l->id);
		while (db_step(owners) == DB_ROW) {
			char *o = db_col_text(owners, 0);

			notify(c, o, "owner-summary.txt", "", "", NULL, tv);
			free(o);
		}
	}
	db_finalize(ev);
	db_finalize(owners);
	buf_release(&text);
	tv_free(tv);
	db_exec(c->db, "UPDATE member_events SET reported=1 WHERE list_id=?",
	    "i", c->l->id);
}

/* Lists with notify_owners = daily whose oldest unreported event is a day old. */
static void
owner_summaries(const struct kith_config *cfg, struct db *db,
    const struct token_key *key, int64_t now)
{
	struct db_stmt *st = db_prepare(db, "SELECT DISTINCT l.address FROM "
	    "member_events e JOIN lists l ON l.id=e.list_id WHERE "
	    "e.reported=0 AND e.at<=?");
	char **due = NULL;
	size_t n = 0;

	if (st == NULL)
		return;
	db_bind(st, "i", now - 86400);
	while (db_step(st) == DB_ROW) {
		due = xrealloc(due, (n + 1) * sizeof(*due));
		due[n++] = db_col_text(st, 0);
	}
	db_finalize(st);
	for (size_t i = 0; i < n; i++) {
		struct list l;
		char err[256] = "";
		struct mail_ctx c = { cfg, db, key, &l, NULL, NULL };

		if (list_find(db, due[i], &l, err, sizeof(err)) == KITH_OK) {
			owner_summary(&c);
			list_release(&l);
		}
		free(due[i]);
	}
	free(due);
}

struct cron_ctx {
	const struct kith_config *cfg;
	const struct token_key *key;
	int64_t now;
};

/* cron_tx - what expired goes, nomail periods end, owners hear the day;
 * a step that fails is logged and the others still stand */
static int
cron_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	const struct cron_ctx *x = ctx;
	int64_t now = x->now;

	(void)err, (void)errlen;
	db_exec(db, "DELETE FROM pending WHERE expires<?", "i", now);
	db_exec(db, "DELETE FROM confirm_log WHERE sent<?", "i", now - 86400);
	db_exec(db, "UPDATE members SET mode='each', nomail_until=0 WHERE "
	    "mode='nomail' AND nomail_until>0 AND nomail_until<=?", "i", now);
	owner_summaries(x->cfg, db, x->key, now);
	return KITH_OK;
}

int
membership_cron(const struct kith_config *cfg, struct db *db,
    const struct token_key *key, int64_t now)
{
	struct cron_ctx x = { cfg, key, now };

	return db_tx(db, cron_tx, &x, NULL, 0);
}
