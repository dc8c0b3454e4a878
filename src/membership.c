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
#include "kith/db.h"
#include "kith/log.h"
#include "kith/event.h"
#include "kith/members.h"
#include "kith/membership.h"
#include "kith/message.h"
#include "kith/notice.h"
#include "kith/poll.h"
#include "kith/privacy.h"
#include "kith/template.h"
#include "kith/util.h"

char *
confirm_address(const struct mail_ctx *c, const char *purpose,
    const char *payload, const char *address)
{
	return confirm_address_until(c, purpose, payload, address,
	    now_utc() + CONFIRM_TTL);
}

char *
confirm_address_until(const struct mail_ctx *c, const char *purpose,
    const char *payload, const char *address, int64_t expires)
{
	char *tok = token_make(c->key, purpose, c->l->address, address, payload,
	    expires), *a;

	if (tok == NULL)
		return NULL;
	a = xasprintf("%s-confirm%c%s@%s", c->l->local, *c->cfg->delimiter, tok,
	    c->l->domain);
	free(tok);
	return a;
}

int
confirms_today(const struct mail_ctx *c, const char *address)
{
	int st;

	return (int)db_int(c->db, 0, &st, "SELECT count(*) FROM confirm_log "
	    "WHERE list_id=? AND address=? AND sent>?", "iti", c->l->id, address,
	    now_utc() - 86400);
}

int
membership_is_moderator(sqlite3 *db, int64_t list_id, const char *address)
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
	return (int64_t)timegm(&tm);
}

static int64_t
pending_create(const struct mail_ctx *c, const char *kind,
    const char *address, const char *commands, int64_t ttl)
{
	int64_t now = now_utc();

	if (db_exec(c->db, "INSERT INTO pending(list_id, kind, address, "
	    "commands, created, expires) VALUES (?, ?, ?, ?, ?, ?)", "itttii",
	    c->l->id, kind, address, commands, now, now + ttl) != KITH_OK)
		return 0;
	return sqlite3_last_insert_rowid(c->db);
}

/* Send notice tmpl to one address, with the member variables. */
static int
notify(const struct mail_ctx *c, const char *to, const char *subject,
    const char *tmpl, const char *member, const char *name,
    const char *reply_to, const char *extra_name, const char *extra)
{
	struct template_var vars[] = {
		{ "member.address", member }, { "member.name", name },
		{ extra_name ? extra_name : "unused", extra ? extra : "" },
	};
	struct notice_opts o;

	memset(&o, 0, sizeof(o));
	o.to = to;
	o.subject = subject;
	o.tmpl = tmpl;
	o.vars = vars;
	o.nvars = 3;
	o.in_reply_to = c->in_reply_to;
	o.reply_to = reply_to;
	return notice_queue(c->db, c->cfg, c->l, &o);
}

int
membership_confirm_request(const struct mail_ctx *c, const char *address,
    const char *commands, const char *what, int mail_it, char **reply_to,
    struct buf *out)
{
	char payload[32], *confirm, *subject;
	int64_t id;
	int st = KITH_OK;

	if (reply_to)
		*reply_to = NULL;
	if (confirms_today(c, address) >= CONFIRMS_PER_DAY) {
		buf_addf(out, "    Not done: %d confirmations already went to %s "
		    "today. Try again tomorrow.\n", CONFIRMS_PER_DAY, address);
		log_info("membership: confirmation limit reached for '%s' on "
		    "'%s'", address, c->l->address);
		return KITH_PERM;
	}
	id = pending_create(c, "confirm", address, commands, CONFIRM_TTL);
	if (id == 0)
		return KITH_TEMP;
	snprintf(payload, sizeof(payload), "c.%lld", (long long)id);
	confirm = confirm_address(c, "confirm", payload, address);
	db_exec(c->db, "INSERT INTO confirm_log(list_id, address, sent) VALUES "
	    "(?, ?, ?)", "iti", c->l->id, address, now_utc());
	if (mail_it) {
		subject = xasprintf("Please confirm: %s", what);
		st = notify(c, address, subject, "confirm.txt", address, "",
		    confirm, "request", what);
		free(subject);
		free(confirm);
		buf_addf(out, "    A confirmation was sent to %s; nothing changes "
		    "until it is answered.\n", address);
	} else {
		*reply_to = confirm;
		buf_addf(out, "    To confirm, reply to this message and leave "
		    "your reply empty, or write yes on the first line (nothing "
		    "changes until you do).\n");
	}
	return st;
}

/* Tell the owners about a join or leave, as notify_owners says. */
static void
tell_owners(const struct mail_ctx *c, const char *address, const char *name,
    const char *event)
{
	char *how = list_setting(c->db, c->l->id, "notify_owners");
	int each = !strcmp(how, "each");
	sqlite3_stmt *st;

	db_exec(c->db, "INSERT INTO member_events(list_id, address, event, at, "
	    "reported) VALUES (?, ?, ?, ?, ?)", "ittiI", c->l->id, address,
	    event, now_utc(), strcmp(how, "daily") != 0);
	free(how);
	if (!each)
		return;
	st = db_prepare(c->db, "SELECT address FROM members WHERE list_id=? AND "
	    "role='owner'");
	if (st == NULL)
		return;
	db_bind(st, "i", c->l->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *owner = (const char *)sqlite3_column_text(st, 0);
		char *subject = xasprintf("%s %s %s", address, event, c->l->name);
		char *o = xstrdup(owner);

		notify(c, o, subject, !strcmp(event, "joined") ?
		    "owner-join.txt" : "owner-leave.txt", address, name, NULL,
		    NULL, NULL);
		free(subject);
		free(o);
	}
	sqlite3_finalize(st);
}

int
membership_join(const struct mail_ctx *c, const char *address,
    const char *name, struct buf *out)
{
	char *subject;

	if (ban_matches(c->db, c->l->id, address)) {
		buf_addf(out, "    Not done: %s may not join this list.\n", address);
		return KITH_PERM;
	}
	/* forgotten while banned: the ban holds; else they came back by
	 * their own request and are not forgotten any more (privacy.h) */
	if (privacy_banned(c->db, c->key, c->l->id, address)) {
		buf_addf(out, "    Not done: %s may not join this list.\n", address);
		return KITH_PERM;
	}
	if (privacy_unforget(c->db, c->key, address) != KITH_OK)
		return KITH_TEMP;
	switch (member_add(c->db, c->l->id, address, name)) {
	case MEMBER_ADDED:
		break;
	case MEMBER_EXISTS:
		buf_addf(out, "    %s is already a member.\n", address);
		return KITH_OK;
	case MEMBER_INVALID:
		buf_addf(out, "    Not done: '%s' is not an address.\n", address);
		return KITH_PERM;
	default:
		return KITH_TEMP;
	}
	subject = xasprintf("Welcome to %s", c->l->name);
	notify(c, address, subject, "welcome.txt", address, name ? name : "",
	    NULL, NULL, NULL);
	free(subject);
	tell_owners(c, address, name ? name : "", "joined");
	{
		/* Upcoming events: invited now, not at the next one. */
		struct member m;

		if (member_find(c->db, c->l->id, address, &m) == KITH_OK) {
			if (event_invite_member(c->db, c->l, m.id, m.address,
			    now_utc()) < 0) {
				member_release(&m);
				return KITH_TEMP;
			}
			member_release(&m);
		}
	}
	buf_addf(out, "    %s is now a member of %s.\n", address, c->l->address);
	log_info("membership: '%s' joined '%s'", address, c->l->address);
	return KITH_OK;
}

int
membership_leave(const struct mail_ctx *c, const char *address,
    struct buf *out)
{
	struct member m;
	char *subject;

	if (member_find(c->db, c->l->id, address, &m) != KITH_OK) {
		buf_addf(out, "    %s is not a member.\n", address);
		return KITH_OK;
	}
	if (member_remove(c->db, c->l->id, address) != MEMBER_REMOVED) {
		member_release(&m);
		return KITH_TEMP;
	}
	subject = xasprintf("Goodbye from %s", c->l->name);
	notify(c, address, subject, "goodbye.txt", address, m.name, NULL, NULL,
	    NULL);
	free(subject);
	tell_owners(c, address, m.name, "left");
	buf_addf(out, "    %s has left %s.\n", address, c->l->address);
	log_info("membership: '%s' left '%s'", address, c->l->address);
	member_release(&m);
	return KITH_OK;
}

/* A confirmed "subscribe": join, or wait for a moderator on approve lists. */
static int
apply_subscribe(const struct mail_ctx *c, const char *address,
    const char *name, struct buf *out)
{
	char *policy = list_setting(c->db, c->l->id, "subscribe");
	int approve = !strcmp(policy, "approve"), st = KITH_OK;
	sqlite3_stmt *mods;
	int64_t id;

	free(policy);
	if (!approve)
		return membership_join(c, address, name, out);
	id = pending_create(c, "approve", address, name, APPROVE_TTL);
	if (id == 0)
		return KITH_TEMP;
	mods = db_prepare(c->db, "SELECT id, address FROM members WHERE "
	    "list_id=? AND role IN ('owner','moderator')");
	if (mods == NULL)
		return KITH_TEMP;
	db_bind(mods, "i", c->l->id);
	while (st == KITH_OK && sqlite3_step(mods) == SQLITE_ROW) {
		char payload[64], *confirm, *mod, *subject;

		snprintf(payload, sizeof(payload), "a.%lld.%lld", (long long)id,
		    (long long)sqlite3_column_int64(mods, 0));
		mod = xstrdup((const char *)sqlite3_column_text(mods, 1));
		/* a moderator may answer as long as the request waits */
		confirm = confirm_address_until(c, "approve", payload, mod,
		    now_utc() + APPROVE_TTL);
		subject = xasprintf("%s asks to join %s", address, c->l->name);
		st = notify(c, mod, subject, "approve-subscription.txt", address,
		    name, confirm, NULL, NULL);
		free(subject);
		free(confirm);
		free(mod);
	}
	sqlite3_finalize(mods);
	buf_addf(out, "    Your request to join %s now waits for a moderator.\n",
	    c->l->address);
	return st;
}

/*
 * rsvp - "rsvp yes|no|maybe ID [YYYY-MM-DD]" for address: the answer a
 * calendar's buttons would give, for the event or for its occurrence on
 * that local date.  dry: only whether it can be done (a line to out
 * when not).  The caller's reply is the one mail the member gets.
 */
static int
rsvp(const struct mail_ctx *c, const char *address, const char *args,
    int dry, struct buf *out)
{
	char word[16], date[16] = "", extra[2];
	long long id;
	const char *partstat, *result = NULL;
	struct member m;
	struct event e;
	int64_t now = now_utc(), occ = 0;
	int st, k = sscanf(args, "%15s %lld %15s %1s", word, &id, date, extra);

	if (k != 2 && k != 3) {
		buf_adds(out, "    Not done: write 'rsvp yes ID', 'rsvp no ID' "
		    "or 'rsvp maybe ID'.\n");
		return KITH_PERM;
	}
	str_lower(word);
	partstat = !strcmp(word, "yes") ? "ACCEPTED" : !strcmp(word, "no") ?
	    "DECLINED" : !strcmp(word, "maybe") ? "TENTATIVE" : NULL;
	if (partstat == NULL) {
		buf_adds(out, "    Not done: the answer is yes, no or maybe.\n");
		return KITH_PERM;
	}
	if (member_find(c->db, c->l->id, address, &m) != KITH_OK) {
		buf_adds(out, "    Not done: you are not a member.\n");
		return KITH_PERM;
	}
	if (event_get(c->db, id, &e) != KITH_OK || e.list_id != c->l->id ||
	    strcmp(e.state, "active")) {
		buf_addf(out, "    Not done: there is no upcoming event %lld "
		    "on this list.\n", id);
		if (e.uid)
			event_release(&e);
		member_release(&m);
		return KITH_PERM;
	}
	/* one occurrence of a series; a single event's own date is the event */
	if (*date && ((occ = event_occurrence_on(&e, date)) == 0 ||
	    occ <= now)) {
		buf_addf(out, "    Not done: event %lld has no upcoming "
		    "occurrence on %s.\n", id, date);
		event_release(&e);
		member_release(&m);
		return KITH_PERM;
	}
	if (!*e.rrule)
		occ = 0;
	st = KITH_OK;
	if (!dry)
		st = event_rsvp(c->cfg, c->db, c->l, &e, m.id, occ, partstat,
		    e.sequence, now, now, &result);
	if (!dry && st == KITH_OK)
		buf_addf(out, "    %s%s%s%s.\n", !strcmp(result, "waitlisted") ?
		    "Done: the event is full; you are on the waitlist for " :
		    !strcmp(result, "accepted") ? "Done: you are coming to " :
		    !strcmp(result, "declined") ? "Done: you are not coming to " :
		    !strcmp(result, "tentative") ? "Done: maybe, for " :
		    "Not done: a newer answer is on file for ", e.title,
		    occ ? " on " : "", occ ? date : "");
	event_release(&e);
	member_release(&m);
	return st;
}

/* "vote POLL TEXT" for address; dry: only whether it can be done. */
static int
vote(const struct mail_ctx *c, const char *address, const char *args,
    int dry, struct buf *out)
{
	char *end, line[512], why[256];
	long long id = strtoll(args, &end, 10);
	int64_t now = now_utc();
	int st;

	if (end == args || *end != ' ' || end[strspn(end, " ")] == '\0') {
		buf_adds(out, "    Not done: write 'vote POLL N', e.g. "
		    "'vote 3 2'.\n");
		return KITH_PERM;
	}
	end += strspn(end, " ");
	if (dry) {
		if (poll_vote_check(c->db, c->l, id, address, end, now, why,
		    sizeof(why)) == 0)
			return KITH_OK;
		buf_addf(out, "    Not done: %s.\n", why);
		return KITH_PERM;
	}
	st = poll_vote(c->cfg, c->db, c->l, id, address, end, now, out, line,
	    sizeof(line));
	log_info("%s", line);
	return st;
}

/* rsvp and vote: commands that act for a member (see membership_check). */
static int
act_for_member(const struct mail_ctx *c, const char *address,
    const char *verb, const char *args, int dry, struct buf *out)
{
	while (*args == ' ')
		args++;
	return !strcmp(verb, "rsvp") ? rsvp(c, address, args, dry, out) :
	    vote(c, address, args, dry, out);
}

int
membership_act(const struct mail_ctx *c, const char *address,
    const char *command, struct buf *out)
{
	char *copy = xstrdup(command), *save = NULL;
	char *verb = strtok_r(copy, " ", &save), *arg = strtok_r(NULL, " ", &save);
	char *rest = save && *save ? save : NULL;
	int st = KITH_OK;

	if (verb == NULL)
		verb = "";
	if (!strcmp(verb, "rsvp") || !strcmp(verb, "vote"))
		st = act_for_member(c, address, verb, command + strlen(verb),
		    0, out);
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
	else if (!strcmp(verb, "set") && arg && !strcmp(arg, "mail")) {
		st = member_set_mode(c->db, c->l->id, address, "each", 0);
		buf_addf(out, st == KITH_OK ? "    You get each message again.\n" :
		    "    Not done: %s is not a member.\n", address);
	} else if (!strcmp(verb, "set") && arg && !strcmp(arg, "nomail")) {
		int64_t until = 0;

		if (rest && !strncmp(rest, "until ", 6))
			until = parse_date(rest + 6);
		st = member_set_mode(c->db, c->l->id, address, "nomail",
		    until > 0 ? until : 0);
		if (st != KITH_OK)
			buf_addf(out, "    Not done: %s is not a member.\n", address);
		else if (until > 0)
			buf_addf(out, "    No mail until %s; then each message "
			    "again.\n", rest + 6);
		else
			buf_addf(out, "    No mail from the list until you send "
			    "'set mail'.\n");
	} else if (!strcmp(verb, "set") && arg && !strcmp(arg, "digest") &&
	    rest) {
		const char *mode = !strcmp(rest, "daily") ? "digest-daily" :
		    !strcmp(rest, "weekly") ? "digest-weekly" :
		    !strcmp(rest, "off") ? "each" : NULL;

		if (!strcmp(rest, "plain") || !strcmp(rest, "mime")) {
			st = member_set_digest_format(c->db, c->l->id, address,
			    rest);
			buf_addf(out, st == KITH_OK ? "    Digests now come as "
			    "%s.\n" : "    Not done.\n", !strcmp(rest, "plain") ?
			    "plain text" : "MIME with each message attached");
		} else {
			st = mode ? member_set_mode(c->db, c->l->id, address, mode,
			    0) : KITH_PERM;
			buf_addf(out, st == KITH_OK ? "    Delivery is now: %s.\n" :
			    "    Not done.\n", mode ? mode : "");
		}
	} else if (!strcmp(verb, "set") && arg && !strcmp(arg, "thanks") &&
	    rest && (!strcmp(rest, "on") || !strcmp(rest, "off"))) {
		st = db_exec(c->db, "UPDATE members SET thanks=? WHERE list_id=? "
		    "AND address=?", "Iit", !strcmp(rest, "on"), c->l->id, address);
		buf_addf(out, "    %s\n", !strcmp(rest, "on") ? "You may be named "
		    "in the monthly thank-you." : "You will not be named in the "
		    "monthly thank-you.");
	} else {
		buf_addf(out, "    Not done: unknown setting.\n");
		st = KITH_PERM;
	}
	free(copy);
	return st;
}

int
membership_apply(const struct mail_ctx *c, const char *address,
    const char *command, struct buf *out)
{
	buf_addf(out, "> %s\n", command);
	return membership_act(c, address, command, out);
}

int
membership_check(const struct mail_ctx *c, const char *address,
    const char *command, struct buf *out)
{
	size_t n = strcspn(command, " ");

	if ((n == 4 && !strncmp(command, "rsvp", 4)) ||
	    (n == 4 && !strncmp(command, "vote", 4))) {
		char verb[8];

		snprintf(verb, sizeof(verb), "%.*s", (int)n, command);
		return act_for_member(c, address, verb, command + n, 1, out);
	}
	return KITH_OK;
}

int
membership_accept(const struct mail_ctx *c, const char *address,
    struct buf *out)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT id, commands FROM pending "
	    "WHERE list_id=? AND kind='approve' AND address=? ORDER BY id "
	    "LIMIT 1");
	char *name = NULL;
	int64_t id = 0;
	int r;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "it", c->l->id, address);
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		name = db_col_text(st, 1);
	}
	sqlite3_finalize(st);
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
	char payload[32], *confirm, *subject;
	int64_t id = pending_create(c, "invite", address, name ? name : "",
	    CONFIRM_TTL);
	int st;

	if (id == 0)
		return KITH_TEMP;
	snprintf(payload, sizeof(payload), "i.%lld", (long long)id);
	confirm = confirm_address(c, "invite", payload, address);
	subject = xasprintf("You are invited to join %s", c->l->name);
	st = notify(c, address, subject, "invite.txt", address, name ? name : "",
	    confirm, NULL, NULL);
	free(subject);
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
	sqlite3_stmt *st = db_prepare(c->db, "SELECT kind, address, commands, "
	    "expires FROM pending WHERE id=? AND list_id=?");
	int found = 0;

	memset(p, 0, sizeof(*p));
	if (st == NULL)
		return 0;
	db_bind(st, "ii", id, c->l->id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		p->id = id;
		snprintf(p->kind, sizeof(p->kind), "%s", sqlite3_column_text(st, 0));
		p->address = db_col_text(st, 1);
		p->commands = db_col_text(st, 2);
		p->expires = sqlite3_column_int64(st, 3);
		found = 1;
	}
	sqlite3_finalize(st);
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
    struct buf *out)
{
	char *copy = xstrdup(commands), *save = NULL;
	int st = KITH_OK;

	for (char *line = strtok_r(copy, "\n", &save); line && st != KITH_TEMP;
	    line = strtok_r(NULL, "\n", &save))
		st = membership_apply(c, address, line, out);
	free(copy);
	return st == KITH_TEMP ? KITH_TEMP : KITH_OK;
}

/* A reply to a confirmation said nothing clear: one answer with the words. */
static int
tell_unclear(const struct mail_ctx *c, const char *to, const char *text)
{
	char *line = membership_reply_line(text);
	char *subject = xasprintf("Your reply to %s", c->l->address);
	struct template_var vars[] = { { "line", line } };
	struct notice_opts o;
	int st;

	memset(&o, 0, sizeof(o));
	o.to = to;
	o.subject = subject;
	o.tmpl = "confirm-unclear.txt";
	o.vars = vars;
	o.nvars = 1;
	o.in_reply_to = c->in_reply_to;
	st = notice_queue(c->db, c->cfg, c->l, &o);
	log_info("membership: reply from '%s' to a confirmation on '%s' not "
	    "understood: nothing done", to, c->l->address);
	free(subject);
	free(line);
	return st == KITH_TEMP ? st : KITH_OK;
}

int
membership_confirm(const struct mail_ctx *c, const char *token,
    const char *sender, const char *text, struct buf *out)
{
	char *payload = token_payload(token), *verified = NULL;
	long long id = 0, mod_id = 0;
	char kind = payload ? payload[0] : '\0';
	struct pending p;
	struct member mod;
	const char *purpose = kind == 'c' ? "confirm" : kind == 'i' ? "invite" :
	    "approve";
	enum reply_answer answer;
	int st = KITH_PERM;

	if (payload == NULL || sscanf(payload + 1, ".%lld.%lld", &id, &mod_id) < 1
	    || !pending_load(c, id, &p)) {
		log_info("membership: confirmation for '%s' with an unknown "
		    "token: nothing done", c->l->address);
		free(payload);
		return KITH_PERM;
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
		goto done;
	}
	answer = membership_reply_answer(text, NULL, 0);
	if (answer == REPLY_UNCLEAR) {
		/* the pending request stays: a clear answer may follow */
		st = tell_unclear(c, sender, text);
		goto done;
	}
	db_exec(c->db, "DELETE FROM pending WHERE id=?", "i", (int64_t)id);
	if (answer == REPLY_NO || answer == REPLY_DISCARD) {
		buf_addf(out, kind == 'a' ? "    The request of %s to join was "
		    "refused; nothing changed.\n" : kind == 'i' ? "    You "
		    "declined the invitation for %s; nothing changed.\n" :
		    "    Cancelled for %s: nothing changed.\n", p.address);
		log_info("membership: '%s' on '%s' answered no: %s cancelled",
		    sender, c->l->address, p.kind);
		st = KITH_OK;
	} else if (kind == 'c')
		st = apply_all(c, p.address, p.commands, out);
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
    struct buf *out)
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
			st = membership_leave(c, m.address, out);
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
	sqlite3_stmt *ev = db_prepare(c->db, "SELECT address, event FROM "
	    "member_events WHERE list_id=? AND reported=0 ORDER BY at");
	sqlite3_stmt *owners = db_prepare(c->db, "SELECT address FROM members "
	    "WHERE list_id=? AND role='owner'");
	struct buf text;

	buf_init(&text);
	if (ev && owners) {
		db_bind(ev, "i", c->l->id);
		while (sqlite3_step(ev) == SQLITE_ROW)
			buf_addf(&text, "  %s %s\n", sqlite3_column_text(ev, 0),
			    sqlite3_column_text(ev, 1));
		db_bind(owners, "i", c->l->id);
		while (sqlite3_step(owners) == SQLITE_ROW) {
			char *o = db_col_text(owners, 0);
			char *subject = xasprintf("Joins and leaves on %s",
			    c->l->name);

			notify(c, o, subject, "owner-summary.txt", "", "", NULL,
			    "events", text.data ? text.data : "");
			free(subject);
			free(o);
		}
	}
	sqlite3_finalize(ev);
	sqlite3_finalize(owners);
	buf_release(&text);
	db_exec(c->db, "UPDATE member_events SET reported=1 WHERE list_id=?",
	    "i", c->l->id);
}

/* Lists with notify_owners = daily whose oldest unreported event is a day old. */
static void
owner_summaries(const struct kith_config *cfg, sqlite3 *db,
    const struct token_key *key, int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT DISTINCT l.address FROM "
	    "member_events e JOIN lists l ON l.id=e.list_id WHERE "
	    "e.reported=0 AND e.at<=?");
	char **due = NULL;
	size_t n = 0;

	if (st == NULL)
		return;
	db_bind(st, "i", now - 86400);
	while (sqlite3_step(st) == SQLITE_ROW) {
		due = xrealloc(due, (n + 1) * sizeof(*due));
		due[n++] = db_col_text(st, 0);
	}
	sqlite3_finalize(st);
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

int
membership_cron(const struct kith_config *cfg, sqlite3 *db,
    const struct token_key *key, int64_t now)
{
	int st = db_begin(db);

	if (st != KITH_OK)
		return st;
	db_exec(db, "DELETE FROM pending WHERE expires<?", "i", now);
	db_exec(db, "DELETE FROM confirm_log WHERE sent<?", "i", now - 86400);
	db_exec(db, "UPDATE members SET mode='each', nomail_until=0 WHERE "
	    "mode='nomail' AND nomail_until>0 AND nomail_until<=?", "i", now);
	owner_summaries(cfg, db, key, now);
	return db_commit(db);
}

int
membership_unsubscribe_links(const struct kith_config *cfg,
    const struct token_key *k, const char *list_address, int64_t member_id,
    const char *rcpt, char **mailto, char **url)
{
	const char *at = strchr(list_address, '@');
	char payload[32], *tok;

	*mailto = NULL;
	*url = NULL;
	snprintf(payload, sizeof(payload), "%lld", (long long)member_id);
	if (at == NULL || (tok = token_make(k, "unsubscribe", list_address,
	    rcpt, payload, 0)) == NULL)
		return -1;
	*mailto = xasprintf("mailto:%.*s-unsubscribe%c%s%s",
	    (int)(at - list_address), list_address, *cfg->delimiter, tok, at);
	if (*cfg->web_base_url) {
		size_t n = strlen(cfg->web_base_url);

		/* kith serve finds the list from the member id in the token;
		 * it still answers /unsubscribe/LIST/TOKEN of older mail */
		while (n > 0 && cfg->web_base_url[n - 1] == '/')
			n--;
		*url = xasprintf("%.*s/u/%s", (int)n, cfg->web_base_url, tok);
	}
	free(tok);
	return 0;
}

/*
 * Reading replies.  The words are compared case-folded; each table is
 * one concern: what approves (or confirms), what refuses, what drops.
 */
static const char *const yes_words[] = {
	"approve", "approved", "yes", "y", "ok", "okay", "sure", "accept",
	"accepted", "confirm", "confirmed", "agree", "agreed", "gladly",
	"yep", "yeah", "fine",
	"ano", "jo", "schválit", "schvaluji", "schváleno", "souhlasím",
	"potvrzuji", "přijmout", "áno",
	"ja", "genehmigen", "genehmigt", "freigeben", "einverstanden",
	"bestätigen", "bestätigt",
	"oui", "approuver", "approuvé", "accepter", "d'accord",
	"sí", "si", "aprobar", "aprobado", "acepto", "sì", "approva", "tak",
	"네", "예", "승인", "승인합니다", "승인해요", "좋아요", "확인",
	"ναι", "εγκρίνω", "έγκριση", "εντάξει", "да", NULL
};
static const char *const no_words[] = {
	"reject", "rejected", "no", "n", "deny", "refuse", "decline", "nope",
	"ne", "zamítnout", "zamítám", "odmítnout", "odmítám", "nie",
	"nein", "ablehnen", "abgelehnt", "non", "rejeter", "refuser",
	"rechazar", "rifiuta",
	"아니요", "아니오", "아니", "거절", "거절합니다", "거부",
	"όχι", "απόρριψη", "απορρίπτω", "нет", NULL
};
static const char *const discard_words[] = {
	"discard", "drop", "delete", "spam", "trash",
	"zahodit", "smazat", "verwerfen", "löschen", "supprimer", "jeter",
	"descartar", "eliminar", "삭제", "폐기", "스팸", "διαγραφή", NULL
};
/* Courtesy around a decision; never a decision by itself. */
static const char *const courtesy_words[] = {
	"please", "pls", "thanks", "thank", "you", "it", "this", "one",
	"post", "prosím", "díky", "děkuji", "dík", "to", "bitte", "danke",
	"merci", "svp", "s'il", "vous", "plaît", "por", "favor", "gracias",
	"grazie", "감사합니다", "고맙습니다", "παρακαλώ", "ευχαριστώ", NULL
};

/* Next code point of UTF-8 s (advanced); U+FFFD for a stray byte. */
static uint32_t
next_cp(const char **s)
{
	uint32_t c;
	size_t n = utf8_next(*s, strnlen(*s, 4), &c);

	*s += n ? n : 1;
	return n ? c : 0xfffd;
}

static void
utf8_put(char *out, size_t *n, size_t max, uint32_t c)
{
	char b[4];
	size_t k;

	if (c < 0x80) {
		b[0] = (char)c;
		k = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		k = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12);
		b[1] = (char)(0x80 | (c >> 6 & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		k = 3;
	} else {
		b[0] = (char)(0xf0 | c >> 18);
		b[1] = (char)(0x80 | (c >> 12 & 0x3f));
		b[2] = (char)(0x80 | (c >> 6 & 0x3f));
		b[3] = (char)(0x80 | (c & 0x3f));
		k = 4;
	}
	if (*n + k < max) {
		memcpy(out + *n, b, k);
		*n += k;
	}
}

/* Lower case for the scripts the word tables use (Latin, Greek, Cyrillic). */
static uint32_t
fold(uint32_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7) ||
	    (c >= 0x391 && c <= 0x3a9) || (c >= 0x410 && c <= 0x42f))
		return c + 0x20;
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
		return c | 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return c + (c & 1);
	if (c == 0x386)
		return 0x3ac;
	if (c >= 0x388 && c <= 0x38a)
		return c + 37;
	if (c == 0x38c || c == 0x38e || c == 0x38f)
		return c + (c == 0x38c ? 64 : 63);
	if (c >= 0x400 && c <= 0x40f)
		return c + 0x50;
	return c;
}

/* Letters, digits and the apostrophe of "d'accord"; not punctuation. */
static int
word_char(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '\'';
	return !(c <= 0xbf || c == 0xd7 || c == 0xf7 || c == 0xfffd ||
	    (c >= 0x2000 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) ||
	    (c >= 0xff00 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20) ||
	    c >= 0x1f000);
}

struct word {
	char text[64];		/* case-folded */
	size_t end;		/* offset just after it in the line */
};

/* Split line into case-folded words; how many (at most max). */
static int
split_words(const char *line, struct word *w, int max)
{
	const char *s = line;
	int n = 0;

	while (*s && n < max) {
		const char *start = s;
		uint32_t c = next_cp(&s);
		size_t len = 0;

		if (!word_char(c))
			continue;
		s = start;
		while (*s) {
			const char *here = s;

			c = next_cp(&s);
			if (!word_char(c)) {
				s = here;
				break;
			}
			utf8_put(w[n].text, &len, sizeof(w[n].text), fold(c));
		}
		w[n].text[len] = '\0';
		w[n].end = (size_t)(s - line);
		n++;
	}
	return n;
}

static int
in_words(const char *const *table, const char *w)
{
	for (int i = 0; table[i]; i++)
		if (!strcmp(table[i], w))
			return 1;
	return 0;
}

/* A line that ends what the person wrote: a signature, a quoted original. */
static int
ends_own_text(const char *line, const char *t)
{
	static const char *const phones[] = { "Sent from my ",
		"Get Outlook for ", "Odesláno z ", "Gesendet von ",
		"Envoyé de mon ", NULL };

	if (!strcmp(t, "--") || !strncmp(line, "-- ", 3) ||
	    !strncmp(t, "-----", 5) || !strncmp(t, "_____", 5))
		return 1;
	for (int i = 0; phones[i]; i++)
		if (!strncmp(t, phones[i], strlen(phones[i])))
			return 1;
	return 0;
}

/* The trimmed line i of lines, or "" past the end (borrowed). */
static const char *
line_at(char **lines, size_t n, size_t i)
{
	return i < n ? lines[i] : "";
}

/* 1 when the first line after i that is not blank is quoted. */
static int
quote_follows(char **lines, size_t n, size_t i)
{
	for (i++; i < n && *lines[i] == '\0'; i++)
		;
	return *line_at(lines, n, i) == '>';
}

/* 1 when the first word of line (courtesy skipped) decides something. */
static int
starts_with_decision(const char *line)
{
	struct word w[4];
	int n = split_words(line, w, 4), i = 0;

	while (i < n && in_words(courtesy_words, w[i].text))
		i++;
	return i < n && (in_words(yes_words, w[i].text) ||
	    in_words(no_words, w[i].text) ||
	    in_words(discard_words, w[i].text));
}

/* "wrote:" and its translations, the end of an attribution line. */
static int
wrote_word(const char *t)
{
	static const char *const wrote[] = { "wrote:", "writes:",
		"schrieb:", "napsal:", "napsala:", "napsal(a):", "écrit :",
		"écrit:", "escribió:", "scrisse:", "έγραψε:", "작성:",
		"написал:", NULL };
	size_t len = strlen(t);

	for (int i = 0; wrote[i]; i++) {
		size_t k = strlen(wrote[i]);

		if (len >= k && !strcmp(t + len - k, wrote[i]))
			return 1;
	}
	return 0;
}

/*
 * attribution - how many lines from i introduce a quote ("On Tue, Team
 * <team@x> wrote:" above "> ...", perhaps wrapped before "wrote:"); 0
 * when line i is the person's own.  Strict on purpose: a skipped line
 * the person wrote could turn a refusal into an empty reply.
 */
static int
attribution(char **lines, size_t n, size_t i)
{
	const char *t = lines[i], *next = line_at(lines, n, i + 1);
	size_t len = strlen(t);

	if (starts_with_decision(t))
		return 0;
	if (len > 0 && t[len - 1] == ':' && (strchr(t, '@') || wrote_word(t)) &&
	    quote_follows(lines, n, i))
		return 1;
	if (len >= 20 && strchr(t, '@') && *next && !strchr(next, ' ') &&
	    wrote_word(next) && quote_follows(lines, n, i + 1))
		return 2;
	return 0;
}

char *
membership_reply_line(const char *text)
{
	char *copy = xstrdup(text ? text : ""), *out = NULL;
	char **lines = NULL, **raw = NULL;
	size_t n = 0;
	int skip;

	/* split by hand: blank lines matter to the quote test */
	for (char *p = copy, *nl; p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		lines = xrealloc(lines, (n + 1) * sizeof(*lines));
		raw = xrealloc(raw, (n + 1) * sizeof(*raw));
		p[strcspn(p, "\r")] = '\0';
		raw[n] = p;
		lines[n++] = str_trim(p);
	}
	for (size_t i = 0; i < n && out == NULL; i++) {
		if (*lines[i] == '\0' || *lines[i] == '>')
			continue;
		if (ends_own_text(raw[i], lines[i]))
			break;
		if ((skip = attribution(lines, n, i)) > 0) {
			i += (size_t)skip - 1;
			continue;
		}
		out = xstrdup(lines[i]);
	}
	free(lines);
	free(raw);
	free(copy);
	return out ? out : xstrdup("");
}

enum reply_answer
membership_reply_answer(const char *text, char *reason, size_t reasonlen)
{
	char *line = membership_reply_line(text);
	struct word w[16];
	int n = split_words(line, w, 16), i = 0;
	enum reply_answer a = REPLY_UNCLEAR;

	if (reason && reasonlen)
		reason[0] = '\0';
	if (*line == '\0')
		a = REPLY_EMPTY;
	while (i < n && in_words(courtesy_words, w[i].text))
		i++;
	if (i >= n)
		;	/* nothing but courtesy (or punctuation): unclear */
	else if (in_words(yes_words, w[i].text)) {
		a = REPLY_YES;
		for (int k = i + 1; k < n && a == REPLY_YES; k++)
			if (!in_words(yes_words, w[k].text) &&
			    !in_words(courtesy_words, w[k].text))
				a = REPLY_UNCLEAR;
		/* more than 16 words is more than a yes */
		if (n == 16)
			a = REPLY_UNCLEAR;
	} else if (in_words(no_words, w[i].text)) {
		const char *r = line + w[i].end;

		a = REPLY_NO;
		while (*r && strchr(" \t,.:;-!", *r))
			r++;
		if (reason && reasonlen)
			snprintf(reason, reasonlen, "%s", r);
	} else if (in_words(discard_words, w[i].text))
		a = REPLY_DISCARD;
	free(line);
	return a;
}

/* The field value without comments, folding turned into spaces. */
static char *
ar_clean(const char *v, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t n = 0;
	int depth = 0, quoted = 0;

	for (size_t i = 0; i < len; i++) {
		char c = v[i] == '\r' || v[i] == '\n' || v[i] == '\t' ? ' ' :
		    v[i];

		if (c == '\\' && i + 1 < len && (quoted || depth)) {
			if (!depth) {
				out[n++] = c;
				out[n++] = v[i + 1];
			}
			i++;
		} else if (quoted) {
			out[n++] = c;
			quoted = c != '"';
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && depth) {
			if (--depth == 0)
				out[n++] = ' ';
		} else if (!depth) {
			out[n++] = c;
			quoted = c == '"';
		}
	}
	out[n] = '\0';
	return out;
}

/*
 * ar_next - the next token of s (advanced): a run up to white space or
 * ';' outside quotes, with the spaces RFC 8601 allows around '=' and '.'
 * removed; ';' is a token of its own.  0 at the end.
 */
static int
ar_next(const char **s, char *tok, size_t toklen)
{
	const char *p = *s;
	size_t n = 0;
	int quoted = 0;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 0;
	if (*p == ';') {
		snprintf(tok, toklen, ";");
		*s = p + 1;
		return 1;
	}
	while (*p && (quoted || (*p != ';' && *p != ' '))) {
		if (*p == '"')
			quoted = !quoted;
		else if (n + 1 < toklen)
			tok[n++] = *p;
		p++;
		if (!quoted && *p == ' ') {
			const char *q = p;

			while (*q == ' ')
				q++;
			if (*q == '=' || *q == '.' || (n > 0 && (tok[n - 1] ==
			    '=' || tok[n - 1] == '.')))
				p = q;
		}
	}
	tok[n] = '\0';
	*s = p;
	return 1;
}

/* 1 when DKIM domain d is aligned with the From domain (same or parent). */
static int
aligned(const char *d, const char *from_domain)
{
	size_t dl = strlen(d), fl = strlen(from_domain);

	if (dl == 0 || !strchr(d, '.'))
		return 0;
	if (!strcasecmp(d, from_domain))
		return 1;
	return fl > dl + 1 && from_domain[fl - dl - 1] == '.' &&
	    !strcasecmp(from_domain + fl - dl, d);
}

/*
 * ar_vouches - one Authentication-Results value: -1 when its authserv-id
 * is not ours, 1 when it has dkim=pass aligned with from_domain, else 0.
 */
static int
ar_vouches(const char *value, size_t len, const char *authserv_id,
    const char *from_domain)
{
	char *v = ar_clean(value, len), tok[512], d[512] = "", i[512] = "";
	const char *s = v;
	int r = -1, dkim_pass = 0, in_dkim = 0;

	if (!ar_next(&s, tok, sizeof(tok)) || strcasecmp(tok, authserv_id))
		goto done;
	r = 0;
	while (r == 0 && ar_next(&s, tok, sizeof(tok))) {
		if (!strcmp(tok, ";")) {
			/* one resinfo ends: judge it */
			if (dkim_pass && aligned(*d ? d : i, from_domain))
				r = 1;
			in_dkim = dkim_pass = 0;
			d[0] = i[0] = '\0';
		} else if (!strncasecmp(tok, "dkim=", 5)) {
			in_dkim = 1;
			dkim_pass = !strcasecmp(tok + 5, "pass");
		} else if (in_dkim && !strncasecmp(tok, "header.d=", 9))
			snprintf(d, sizeof(d), "%s", tok + 9);
		else if (in_dkim && !strncasecmp(tok, "header.i=", 9)) {
			const char *at = strrchr(tok + 9, '@');

			snprintf(i, sizeof(i), "%s", at ? at + 1 : tok + 9);
		}
	}
	if (r == 0 && dkim_pass && aligned(*d ? d : i, from_domain))
		r = 1;
done:
	free(v);
	return r;
}

int
membership_sender_proven(const char *authserv_id, const char *raw,
    size_t len, const char *from_addr)
{
	const char *at = from_addr ? strrchr(from_addr, '@') : NULL;
	struct header_iter it;
	struct header_field f;
	int ours = 0, r;

	if (authserv_id == NULL || *authserv_id == '\0' || at == NULL ||
	    at[1] == '\0')
		return 0;
	header_iter_init(&it, raw, len);
	while (header_next(&it, &f)) {
		if (header_is(&f, "Received")) {
			/* below our MTA's own fields: the sender's */
			if (ours)
				return 0;
			continue;
		}
		if (!header_is(&f, "Authentication-Results"))
			continue;
		r = ar_vouches(f.value, f.value_len, authserv_id, at + 1);
		if (r < 0)
			return 0;	/* another host's: ours are above it */
		if (r > 0)
			return 1;
		ours = 1;
	}
	return 0;
}
