/* moderation - hold queue, decisions by reply and command line. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/db.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/moderation.h"
#include "kith/notice.h"
#include "kith/post.h"
#include "kith/util.h"

void
held_release(struct held *h)
{
	free(h->message_id);
	free(h->sender);
	free(h->subject);
	free(h->reason);
	memset(h, 0, sizeof(*h));
}

/* A notice about a held post to its poster. */
static int
tell_poster(const struct mail_ctx *c, const char *to, const char *tmpl,
    const char *subject_of_post, const char *reason)
{
	struct template_var vars[] = {
		{ "subject", subject_of_post }, { "reason", reason ? reason : "" },
	};
	char *subject = xasprintf("Your message to %s", c->l->address);
	struct notice_opts o;
	int st;

	memset(&o, 0, sizeof(o));
	o.to = to;
	o.subject = subject;
	o.tmpl = tmpl;
	o.vars = vars;
	o.nvars = 2;
	o.in_reply_to = c->in_reply_to;
	st = notice_queue(c->db, c->cfg, c->l, &o);
	free(subject);
	return st;
}

int
moderation_hold(const struct mail_ctx *c, const struct message *m,
    const char *envelope_from, const char *reason)
{
	int64_t now = now_utc(), days = list_setting_int(c->db, c->l->id,
	    "held_days", 14), id;
	const char *poster = *m->from_addr ? m->from_addr : envelope_from;
	sqlite3_stmt *mods;
	int st;

	st = db_exec(c->db, "INSERT INTO held(list_id, message_id, sender, "
	    "envelope_from, subject, reason, raw, created, expires) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?)", "itttttbii", c->l->id, m->message_id,
	    poster, envelope_from, m->subject, reason, m->raw, (int)m->len, now,
	    now + days * 86400);
	/* Not kept means not acknowledged: the MTA must try again. */
	if (st != KITH_OK)
		return KITH_TEMP;
	id = sqlite3_last_insert_rowid(c->db);
	mods = db_prepare(c->db, "SELECT id, address FROM members WHERE "
	    "list_id=? AND role IN ('owner','moderator')");
	if (mods == NULL)
		return KITH_TEMP;
	db_bind(mods, "i", c->l->id);
	while (st != KITH_TEMP && sqlite3_step(mods) == SQLITE_ROW) {
		char payload[64], *mod = db_col_text(mods, 1), *confirm, *subject;
		char idtext[24];
		struct template_var vars[] = {
			{ "sender", poster }, { "subject", m->subject },
			{ "reason", reason }, { "id", idtext },
		};
		struct notice_opts o;

		snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
		snprintf(payload, sizeof(payload), "h.%lld.%lld", (long long)id,
		    (long long)sqlite3_column_int64(mods, 0));
		confirm = confirm_address(c, "moderate", payload, mod);
		subject = xasprintf("Held for %s: %s", c->l->address, m->subject);
		memset(&o, 0, sizeof(o));
		o.to = mod;
		o.subject = subject;
		o.tmpl = "held-moderator.txt";
		o.vars = vars;
		o.nvars = 4;
		o.reply_to = confirm;
		o.attach = m->raw;
		o.attach_len = m->len;
		st = notice_queue(c->db, c->cfg, c->l, &o);
		free(subject);
		free(confirm);
		free(mod);
	}
	sqlite3_finalize(mods);
	if (st != KITH_TEMP && poster && *poster)
		st = tell_poster(c, poster, "held.txt", m->subject, reason);
	log_info("moderation: held '<%s>' from '%s' to '%s': %s", m->message_id,
	    poster, c->l->address, reason);
	return st == KITH_TEMP ? st : KITH_OK;
}

static const char held_columns[] = "SELECT id, list_id, created, expires, "
    "message_id, sender, subject, reason FROM held ";

static void
held_from_row(sqlite3_stmt *st, struct held *h)
{
	h->id = sqlite3_column_int64(st, 0);
	h->list_id = sqlite3_column_int64(st, 1);
	h->created = sqlite3_column_int64(st, 2);
	h->expires = sqlite3_column_int64(st, 3);
	h->message_id = db_col_text(st, 4);
	h->sender = db_col_text(st, 5);
	h->subject = db_col_text(st, 6);
	h->reason = db_col_text(st, 7);
}

int
moderation_get(sqlite3 *db, int64_t id, struct held *h, char **raw,
    size_t *len)
{
	char *sql = xasprintf("%sWHERE id=?", held_columns);
	sqlite3_stmt *st = db_prepare(db, sql);
	int found = 0;

	free(sql);
	memset(h, 0, sizeof(*h));
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		held_from_row(st, h);
		found = 1;
	}
	sqlite3_finalize(st);
	if (!found)
		return KITH_PERM;
	if (raw) {
		st = db_prepare(db, "SELECT raw FROM held WHERE id=?");
		db_bind(st, "i", id);
		if (st && sqlite3_step(st) == SQLITE_ROW) {
			*len = (size_t)sqlite3_column_bytes(st, 0);
			*raw = xmalloc(*len + 1);
			memcpy(*raw, sqlite3_column_blob(st, 0), *len);
			(*raw)[*len] = '\0';
		}
		sqlite3_finalize(st);
	}
	return KITH_OK;
}

int
moderation_foreach(sqlite3 *db, int64_t list_id,
    int (*fn)(const struct held *, void *), void *ctx)
{
	char *sql = xasprintf("%sWHERE ?1=0 OR list_id=?1 ORDER BY id",
	    held_columns);
	sqlite3_stmt *st = db_prepare(db, sql);

	free(sql);
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", list_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct held h;
		int stop;

		held_from_row(st, &h);
		stop = fn(&h, ctx);
		held_release(&h);
		if (stop)
			break;
	}
	sqlite3_finalize(st);
	return KITH_OK;
}

int
moderation_decide(const struct mail_ctx *c, int64_t id,
    enum mod_action action, const char *reason, const char *who)
{
	struct held h;
	char *raw = NULL;
	size_t len = 0;
	int st = moderation_get(c->db, id, &h, &raw, &len);

	if (st != KITH_OK || h.list_id != c->l->id) {
		if (st == KITH_OK)
			held_release(&h);
		free(raw);
		return KITH_PERM;
	}
	if (action == MOD_APPROVE) {
		struct message m;
		struct post_outcome o;
		char err[256] = "";

		/* It parsed when it was held; it parses now. */
		if (message_parse(&m, raw, len, err, sizeof(err)) == 0) {
			st = post_accept(c->db, c->cfg, c->l, &m, &o);
			message_release(&m);
		}
	}
	if (st == KITH_OK && (st = db_begin(c->db)) == KITH_OK) {
		db_exec(c->db, "DELETE FROM held WHERE id=?", "i", id);
		if (action == MOD_REJECT && *h.sender)
			tell_poster(c, h.sender, "rejected.txt", h.subject,
			    reason && *reason ? reason : "no reason given");
		st = db_commit(c->db);
	}
	if (st == KITH_OK)
		log_info("moderation: %s '<%s>' on '%s' by '%s'",
		    action == MOD_APPROVE ? "approved" : action == MOD_REJECT ?
		    "rejected" : "discarded", h.message_id, c->l->address, who);
	held_release(&h);
	free(raw);
	return st;
}

/* The decision in a moderator's reply: its first own (unquoted) line. */
static enum mod_action
reply_decision(const char *text, char *reason, size_t reasonlen)
{
	char *copy = xstrdup(text), *save = NULL;
	enum mod_action a = MOD_APPROVE;

	reason[0] = '\0';
	for (char *line = strtok_r(copy, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		char *t = str_trim(line);

		if (*t == '\0' || *t == '>')
			continue;
		if (!strncasecmp(t, "reject", 6)) {
			a = MOD_REJECT;
			snprintf(reason, reasonlen, "%s", str_trim(t + 6));
		} else if (!strncasecmp(t, "discard", 7))
			a = MOD_DISCARD;
		break;	/* "approve", or anything else: approve */
	}
	free(copy);
	return a;
}

int
moderation_reply(const struct mail_ctx *c, const char *token,
    const char *sender, const struct message *reply)
{
	char *payload = token_payload(token), *verified = NULL, reason[512];
	long long id = 0, mod_id = 0;
	struct member mod;
	int ok = 0;

	if (payload && sscanf(payload, "h.%lld.%lld", &id, &mod_id) == 2 &&
	    member_find_id(c->db, c->l->id, mod_id, &mod) == KITH_OK) {
		ok = token_check(c->key, "moderate", c->l->address, mod.address,
		    token, now_utc(), &verified) == 0 &&
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
	return moderation_decide(c, id, reply_decision(reply->text, reason,
	    sizeof(reason)), reason, sender);
}

int
moderation_expire(const struct kith_config *cfg, sqlite3 *db,
    const struct token_key *key, int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT h.id, l.address FROM held h "
	    "JOIN lists l ON l.id=h.list_id WHERE h.expires<=?");
	int64_t *ids = NULL;
	char **lists = NULL;
	size_t n = 0;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", now);
	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		lists = xrealloc(lists, (n + 1) * sizeof(*lists));
		ids[n] = sqlite3_column_int64(st, 0);
		lists[n++] = db_col_text(st, 1);
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		struct list l;
		struct held h;
		char err[256] = "";
		struct mail_ctx c = { cfg, db, key, &l, NULL, NULL };

		if (list_find(db, lists[i], &l, err, sizeof(err)) == KITH_OK &&
		    moderation_get(db, ids[i], &h, NULL, NULL) == KITH_OK) {
			if (db_begin(db) == KITH_OK) {
				db_exec(db, "DELETE FROM held WHERE id=?", "i",
				    ids[i]);
				if (*h.sender)
					tell_poster(&c, h.sender, "expired.txt",
					    h.subject, NULL);
				db_commit(db);
				log_info("moderation: held '<%s>' on '%s' "
				    "expired", h.message_id, l.address);
			}
			held_release(&h);
			list_release(&l);
		}
		free(lists[i]);
	}
	free(ids);
	free(lists);
	return KITH_OK;
}
