/* confirm - pending requests, their tokens and the daily limit. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/confirm.h"
#include "kith/db.h"
#include "kith/feature.h"
#include "kith/log.h"
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

/* How many confirmations went to address in the last 24 hours. */
static int
sent_today(const struct mail_ctx *c, const char *address)
{
	int st;

	return (int)db_int(c->db, 0, &st, "SELECT count(*) FROM confirm_log "
	    "WHERE list_id=? AND address=? AND sent>?", "iti", c->l->id, address,
	    now_utc() - 86400);
}

int64_t
confirm_pending_add(const struct mail_ctx *c, const char *kind,
    const char *address, const char *commands, int64_t ttl)
{
	int64_t now = now_utc(), id = 0;

	if (db_exec_id(c->db, &id, "INSERT INTO pending(list_id, kind, "
	    "address, commands, created, expires) VALUES (?, ?, ?, ?, ?, ?) "
	    "RETURNING id", "itttii", c->l->id, kind, address, commands, now,
	    now + ttl) != KITH_OK)
		return 0;
	return id;
}

/*
 * command_values - what confirm.txt shows of a single command line that
 * is a feature's (its confirm_values hook: "rsvp yes 3" names the event
 * and its time); *tz gets a zone for its times (caller frees).  1 when a
 * feature described it.  Every feature's values are set first, empty.
 */
static int
command_values(const struct mail_ctx *c, const char *commands,
    struct tvars *tv, char **tz)
{
	char word[32];
	size_t n = strcspn(commands, " ");
	const struct feature_command *k;

	/* every feature's values exist, empty, for the template's #if */
	for (const struct feature *const *f = features_table; *f; f++)
		for (k = (*f)->commands; k && k->word; k++)
			if (k->confirm_values)
				k->confirm_values(c, NULL, tv, tz);
	if (strchr(commands, '\n') || n == 0 || n >= sizeof(word))
		return 0;
	memcpy(word, commands, n);
	word[n] = '\0';
	str_lower(word);
	k = features_command(word);
	if (k == NULL || k->confirm_values == NULL)
		return 0;
	return k->confirm_values(c, commands + n + strspn(commands + n, " "),
	    tv, tz) == 1;
}

/*
 * mail_confirmation - confirm.txt to address: what it is asked to
 * confirm (join, leave, a feature's command such as an answer to an
 * invitation, or other commands, listed), answered at confirm.
 */
static int
mail_confirmation(const struct mail_ctx *c, const char *address,
    const char *commands, const char *move_from, const char *confirm)
{
	struct tvars *tv = tv_new();
	struct tvlist *lines = tv_list(tv, "commands");
	char *copy = xstrdup(commands), *save = NULL, *tz = NULL;
	int join = !strcmp(commands, "subscribe") ||
	    (!strncmp(commands, "subscribe ", 10) && !strchr(commands, '\n'));
	int leave = !strcmp(commands, "unsubscribe"), described, st;
	struct notice_opts o;

	tv_str(tv, "member.address", address);
	tv_str(tv, "member.name", "");
	tv_bool(tv, "join", join);
	tv_bool(tv, "leave", leave);
	tv_bool(tv, "move", move_from != NULL);
	tv_str(tv, "move.from", move_from ? move_from : "");
	described = command_values(c, join || leave || move_from ? "" :
	    commands, tv, &tz);
	tv_bool(tv, "other", !join && !leave && !move_from && !described);
	for (char *l = strtok_r(copy, "\n", &save); l;
	    l = strtok_r(NULL, "\n", &save))
		tv_str(tv_item(lines), "line", l);
	memset(&o, 0, sizeof(o));
	o.to = address;
	o.tmpl = "confirm.txt";
	o.tv = tv;
	o.tz = tz;	/* a feature's times in its own zone */
	o.in_reply_to = c->in_reply_to;
	o.reply_to = confirm;
	st = notice_queue(c->db, c->cfg, c->l, &o);
	free(copy);
	free(tz);
	tv_free(tv);
	return st;
}

/*
 * pending_confirm - a pending row of kind (also its token's purpose) for
 * address with its commands, its token (payload "LETTER.ID") and its line
 * in the day's count: *confirm gets the address that answers it (caller
 * frees).  KITH_OK; KITH_PERM when the day's confirmations to address
 * are spent (said in out); KITH_TEMP.
 */
static int
pending_confirm(const struct mail_ctx *c, const char *kind, char letter,
    const char *address, const char *commands, struct outcome *out,
    char **confirm)
{
	char payload[32];
	int64_t id;

	*confirm = NULL;
	if (sent_today(c, address) >= CONFIRMS_PER_DAY) {
		struct tvars *r = out ? outcome_add(out, "confirm_limit") :
		    NULL;

		if (r) {
			tv_int(r, "count", CONFIRMS_PER_DAY);
			tv_str(r, "address", address);
		}
		log_info("confirm: confirmation limit reached for '%s' on "
		    "'%s'", address, c->l->address);
		return KITH_PERM;
	}
	id = confirm_pending_add(c, kind, address, commands, CONFIRM_TTL);
	if (id == 0)
		return KITH_TEMP;
	snprintf(payload, sizeof(payload), "%c.%lld", letter, (long long)id);
	*confirm = confirm_address(c, kind, payload, address);
	if (*confirm == NULL || db_exec(c->db, "INSERT INTO confirm_log(list_id, "
	    "address, sent) VALUES (?, ?, ?)", "iti", c->l->id, address,
	    now_utc()) != KITH_OK) {
		free(*confirm);
		*confirm = NULL;
		return KITH_TEMP;
	}
	return KITH_OK;
}

int
confirm_request(const struct mail_ctx *c, const char *address,
    const char *commands, int mail_it, char **reply_to, struct outcome *out)
{
	char *confirm;
	int st;

	if (reply_to)
		*reply_to = NULL;
	st = pending_confirm(c, "confirm", 'c', address, commands, out,
	    &confirm);
	if (st != KITH_OK)
		return st;
	if (mail_it) {
		st = mail_confirmation(c, address, commands, NULL, confirm);
		free(confirm);
		tv_str(outcome_add(out, "confirm_sent"), "address", address);
	} else {
		*reply_to = confirm;
		outcome_add(out, "confirm_by_reply");
	}
	return st;
}

/* move_taken - to is a member already: it is told why nothing can
 * move there (only its owner reads which lists it is on), within the
 * day's count of what Kith sends an address on a stranger's word. */
static int
move_taken(const struct mail_ctx *c, const char *from, const char *to)
{
	struct template_var vars[] = {
		{ "member.address", to }, { "move.from", from },
	};
	struct notice_opts o = { .to = to, .tmpl = "move-taken.txt",
	    .vars = vars, .nvars = 2, .key = c->key };

	if (sent_today(c, to) >= CONFIRMS_PER_DAY)
		return KITH_OK;
	if (db_exec(c->db, "INSERT INTO confirm_log(list_id, address, sent) "
	    "VALUES (?, ?, ?)", "iti", c->l->id, to, now_utc()) != KITH_OK)
		return KITH_TEMP;
	return notice_queue(c->db, c->cfg, c->l, &o);
}

int
confirm_move(const struct mail_ctx *c, const char *from, const char *to,
    int taken, struct outcome *out)
{
	char *confirm;
	int st;

	if (taken)
		st = move_taken(c, from, to);
	else {
		/* the request is the new address's to confirm: its row and
		 * token are the new address's, the member's present address
		 * the command */
		st = pending_confirm(c, "move", 'm', to, from, NULL, &confirm);
		if (st == KITH_OK) {
			st = mail_confirmation(c, to, "", from, confirm);
			free(confirm);
		}
	}
	/* the same words whatever happened: the daily limit, a member's
	 * address, a banned one (notice_queue sends it nothing) */
	if (st != KITH_TEMP)
		tv_str(outcome_add(out, "move_confirm_sent"), "address", to);
	return st == KITH_TEMP ? KITH_TEMP : KITH_OK;
}
