/* confirm - pending requests, their tokens and the daily limit. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/confirm.h"
#include "kith/db.h"
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
	int64_t now = now_utc();

	if (db_exec(c->db, "INSERT INTO pending(list_id, kind, address, "
	    "commands, created, expires) VALUES (?, ?, ?, ?, ?, ?)", "itttii",
	    c->l->id, kind, address, commands, now, now + ttl) != KITH_OK)
		return 0;
	return sqlite3_last_insert_rowid(c->db);
}

/* confirm.txt to address: what is asked, answered at confirm. */
static int
mail_confirmation(const struct mail_ctx *c, const char *address,
    const char *what, const char *confirm)
{
	struct template_var vars[] = {
		{ "member.address", address }, { "member.name", "" },
		{ "request", what },
	};
	char *subject = xasprintf("Please confirm: %s", what);
	struct notice_opts o;
	int st;

	memset(&o, 0, sizeof(o));
	o.to = address;
	o.subject = subject;
	o.tmpl = "confirm.txt";
	o.vars = vars;
	o.nvars = 3;
	o.in_reply_to = c->in_reply_to;
	o.reply_to = confirm;
	st = notice_queue(c->db, c->cfg, c->l, &o);
	free(subject);
	return st;
}

int
confirm_request(const struct mail_ctx *c, const char *address,
    const char *commands, const char *what, int mail_it, char **reply_to,
    struct buf *out)
{
	char payload[32], *confirm;
	int64_t id;
	int st = KITH_OK;

	if (reply_to)
		*reply_to = NULL;
	if (sent_today(c, address) >= CONFIRMS_PER_DAY) {
		buf_addf(out, "    Not done: %d confirmations already went to %s "
		    "today. Try again tomorrow.\n", CONFIRMS_PER_DAY, address);
		log_info("confirm: confirmation limit reached for '%s' on "
		    "'%s'", address, c->l->address);
		return KITH_PERM;
	}
	id = confirm_pending_add(c, "confirm", address, commands, CONFIRM_TTL);
	if (id == 0)
		return KITH_TEMP;
	snprintf(payload, sizeof(payload), "c.%lld", (long long)id);
	confirm = confirm_address(c, "confirm", payload, address);
	db_exec(c->db, "INSERT INTO confirm_log(list_id, address, sent) VALUES "
	    "(?, ?, ?)", "iti", c->l->id, address, now_utc());
	if (mail_it) {
		st = mail_confirmation(c, address, what, confirm);
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
