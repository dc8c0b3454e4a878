/* lists - list records and the per-list settings table. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/address.h"
#include "kith/bans.h"
#include "kith/config.h"
#include "kith/db.h"
#include "kith/filter_rules.h"
#include "kith/i18n.h"
#include "kith/lists.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/rfc2047.h"
#include "kith/throttle.h"
#include "kith/timeutil.h"
#include "kith/util.h"

enum value_kind { V_ENUM, V_INT, V_TEXT, V_TZ, V_TIME, V_RATE, V_DURATION,
	V_SPEC, V_LANG, V_URL, V_TAGS, V_PATTERNS };	/* V_SPEC: checked by
						 * filter_setting_valid() */

struct list_setting_def {
	const char *key;
	enum value_kind kind;
	const char *allowed;	/* V_ENUM: "a|b|c"; V_INT: "MAX" or "MIN-MAX" */
	const char *def;
	const char *help;
};

/* The one table of per-list settings. */
static const struct list_setting_def list_settings[] = {
	{ "posting", V_ENUM, "members|moderated|announce|anyone", "members",
	  "who may post: members; every post held (moderated); only owners "
	  "and moderators (announce); anyone" },
	{ "accept_nonmembers", V_PATTERNS, NULL, "",
	  "non-members whose posts go out as a member's would: addresses or "
	  "patterns like *@venue.example, comma-separated (a treasurer's "
	  "work address, a partner's newsletter); empty for none" },
	{ "nonmember_action", V_ENUM, "hold|reject|discard", "hold",
	  "a non-member's post to a members list: held for the moderators, "
	  "refused with a notice, or dropped" },
	{ "moderate_first_post", V_ENUM, "on|off", "off",
	  "hold a new member's first post for the moderators" },
	{ "subscribe", V_ENUM, "confirm|open|approve|invite", "confirm",
	  "joining: confirm by reply; open (no confirmation when the MTA "
	  "vouches for the sender, see authserv_id); "
	  "approve (confirmed, then a moderator accepts); invite only" },
	{ "held_days", V_INT, "1-3660", "14",
	  "days a held post waits for a moderator before it expires" },
	{ "ban_notice", V_ENUM, "off|daily", "off",
	  "banned senders get no mail at all (off), or at most one notice a "
	  "day saying they may not post or join (daily)" },
	{ "notify_owners", V_ENUM, "each|daily|off", "each",
	  "tell the owners of joins and leaves: each one, a daily summary, "
	  "or not" },
	{ "timezone", V_TZ, NULL, "UTC",
	  "the list's time zone for digest times, e.g. Europe/Prague" },
	{ "language", V_LANG, NULL, "en",
	  "the language of the list's mail and pages for members who chose "
	  "none, e.g. cs; one Kith has (templates/LANG/LANGUAGE)" },
	{ "digest_time", V_TIME, NULL, "07:00",
	  "when digests go out, HH:MM in the list's time zone" },
	{ "digest_weekday", V_ENUM, "mon|tue|wed|thu|fri|sat|sun", "mon",
	  "the day weekly digests go out" },
	{ "digest_max_kb", V_INT, "1048576", "100",
	  "send a digest early once its posts reach this many KB; 0 never" },
	{ "subject_prefix", V_TEXT, NULL, "",
	  "text put before the subject, e.g. [team]; empty for none" },
	{ "reply_to", V_ENUM, "sender|list", "sender",
	  "where replies go: the author, or the list" },
	{ "from_rewrite", V_ENUM, "auto|never|always", "auto",
	  "posts go out From \"Name via List\" <list> with Reply-To the "
	  "author: auto when the author's domain publishes DMARC p=reject or "
	  "p=quarantine (or DNS cannot tell), always, or never" },
	{ "dmarc_action", V_ENUM, "rewrite|wrap", "rewrite",
	  "when From must not be the author's: rewrite From, or wrap the post "
	  "as an attachment in a message from the list" },
	{ "max_size", V_INT, "268435456", "10485760",
	  "largest message in bytes to any of the list's addresses: a post "
	  "over it gets a notice, other mail is bounced by the MTA; 0 for no "
	  "limit (256 MB)" },
	{ "archive", V_ENUM, "public|members|off", "members",
	  "who may read the archive (web pages, 'index' and 'get N' by "
	  "email): anyone; members only (on the web after logging in with "
	  "a link mailed to them); nobody (posts are kept only to spot "
	  "duplicates)" },
	{ "archive_addresses", V_ENUM, "hide|show", "hide",
	  "a public archive shows its senders' names but hides their "
	  "addresses (also in the text, and raw messages and mbox files are "
	  "for members), or shows them" },
	{ "archive_url", V_URL, NULL, "",
	  "web archive address for List-Archive; empty for none" },
	{ "rate", V_RATE, NULL, "0",
	  "most messages this list sends, e.g. 600/min (per s, min, h, day); "
	  "0 for no limit beyond the site's [delivery] rate" },
	{ "bounce_threshold", V_INT, "1000", "5",
	  "bounce score (hard 1, soft 0.5) at which a member's delivery is "
	  "disabled; 0 never disables" },
	{ "bounce_window_days", V_INT, "3660", "30",
	  "days a bounce counts towards the score" },
	{ "thanks", V_ENUM, "on|off", "off",
	  "the first digest of each month thanks last month's top contributors "
	  "by name (members can say 'set thanks off')" },
	{ "nudge_after", V_DURATION, NULL, "0",
	  "one friendly note to a member with neither a post nor an event "
	  "answer for this long (e.g. 60d), at most once per 90 days; 0 off" },
	{ "footer", V_ENUM, "off|on", "off",
	  "the list footer (template footer.txt) in each copy of a post and "
	  "in digests" },
	{ "footer_html", V_ENUM, "off|on", "off",
	  "the HTML footer (template footer.html) in HTML parts too, rather "
	  "than a text part beside them" },
	{ "newsletter_footer", V_ENUM, "on|off", "on",
	  "the list footer in newsletters" },
	{ "mime_filter", V_SPEC, NULL, "executables",
	  "attachments not passed on: MIME types (video/mp4, video/*) and "
	  "file name endings (.exe), comma-separated; 'executables' is "
	  "programs and scripts by type and name; 'none'" },
	{ "mime_filter_action", V_ENUM, "drop|reject|hold", "drop",
	  "a filtered attachment: dropped (a short note in its place), the "
	  "post refused with a notice, or held for the moderators" },
	{ "max_attachment_kb", V_INT, "1048576", "0",
	  "an attachment over this many KB is filtered as above; 0 no limit" },
	{ "html_only", V_ENUM, "pass|convert|reject", "pass",
	  "a post with HTML and no plain text: passed as it is, given a "
	  "plain-text version, or refused with a notice" },
	{ "spam_header", V_SPEC, NULL, "spamassassin, rspamd",
	  "the header field and values of the MTA's spam filter that mean "
	  "spam: spamassassin (X-Spam-Flag: YES), rspamd (X-Spam-Action: "
	  "reject or add header), 'Name: value|value', comma-separated; off" },
	{ "spam_action", V_ENUM, "hold|discard|pass", "hold",
	  "a post the spam filter marked: held for the moderators, dropped, "
	  "or passed on" },
	{ "topics", V_TAGS, "32", "",
	  "topics members may pick on their web preference page (kith serve), "
	  "comma-separated, e.g. 'events,news'; each is a member tag" },
};
#define NLIST_SETTINGS (sizeof(list_settings) / sizeof(list_settings[0]))

static const struct list_setting_def *
setting_def(const char *key)
{
	/* a post asks twenty times: the first letter rules most out */
	for (size_t i = 0; i < NLIST_SETTINGS; i++)
		if (list_settings[i].key[0] == key[0] &&
		    !strcmp(list_settings[i].key, key))
			return &list_settings[i];
	return NULL;
}

void
list_release(struct list *l)
{
	free(l->address);
	free(l->local);
	free(l->domain);
	free(l->name);
	free(l->description);
	memset(l, 0, sizeof(*l));
}

struct create_ctx {
	char *addr;
	const char *owner, *name, *description;
	int64_t now;
};

/* create_tx - the list and its owner, or neither */
static int
create_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct create_ctx *x = ctx;
	char *at = strchr(x->addr, '@');
	int64_t list_id;
	int st;

	if (db_int(db, 0, &st, "SELECT count(*) FROM lists WHERE address=?",
	    "t", x->addr) > 0) {
		snprintf(err, errlen, "list '%s' already exists", x->addr);
		return KITH_PERM;
	}
	*at = '\0';
	list_id = 0;
	st = db_exec_id(db, &list_id, "INSERT INTO lists(address, local, "
	    "domain, name, description, created) VALUES (?||'@'||?, ?, ?, ?, "
	    "?, ?) RETURNING id", "tttttti",
	    x->addr, at + 1, x->addr, at + 1, x->name ? x->name : x->addr,
	    x->description ? x->description : "", x->now);
	*at = '@';
	if (st == KITH_OK) {
		st = db_exec(db, "INSERT INTO members(list_id, address, role, "
		    "joined) VALUES (?, ?, 'owner', ?)", "iti", list_id,
		    x->owner, x->now);
	}
	if (st != KITH_OK)
		snprintf(err, errlen, "cannot create list '%s': %s", x->addr,
		    db_errmsg(db));
	return st;
}

int
list_create(struct db *db, const char *address, const char *owner,
    const char *name, const char *description, char *err, size_t errlen)
{
	struct create_ctx x = { address_normalize(address), NULL, name,
	    description, now_utc() };
	char *own = NULL;
	int st = KITH_PERM;

	if (x.addr == NULL || strchr(x.addr, '+'))
		snprintf(err, errlen, "'%s' is not a valid list address", address);
	else if ((own = address_normalize(owner)) == NULL)
		snprintf(err, errlen, "'%s' is not a valid owner address", owner);
	else if (name && !utf8_text_ok(name, LIST_NAME_MAX, 0))
		snprintf(err, errlen, "a list's name is one line of UTF-8 text "
		    "without control characters, at most %d bytes",
		    LIST_NAME_MAX);
	else if (description && !utf8_text_ok(description,
	    LIST_DESCRIPTION_MAX, 1))
		snprintf(err, errlen, "a list's description is UTF-8 text "
		    "without control characters, at most %d bytes",
		    LIST_DESCRIPTION_MAX);
	else {
		x.owner = own;
		st = db_tx(db, create_tx, &x, err, errlen);
	}
	free(x.addr);
	free(own);
	return st;
}

/* The lookups by address, local part and id, kept prepared (routing
 * runs one for every recipient the MTA hands over). */
#define LIST_SQL(where) "SELECT id, address, local, domain, name, " \
	"description FROM lists " where " LIMIT 2"
static const char list_by_address[] = LIST_SQL("WHERE address=?");
static const char list_by_local[] = LIST_SQL("WHERE local=?");
static const char list_by_id[] = LIST_SQL("WHERE id=?");

static void
list_from_row(struct db_stmt *st, struct list *l)
{
	l->id = db_col_int64(st, 0);
	l->address = db_col_text(st, 1);
	l->local = db_col_text(st, 2);
	l->domain = db_col_text(st, 3);
	l->name = db_col_text(st, 4);
	l->description = db_col_text(st, 5);
}

/* Fill l from the first row of sql; returns the number of rows seen (0..2). */
static int
list_query(struct db *db, const char *sql, const char *arg, struct list *l)
{
	struct db_stmt *st = db_cached(db, sql);
	int rows = 0;

	if (st == NULL)
		return 0;
	db_bind(st, "t", arg);
	while (db_step(st) == DB_ROW) {
		if (rows++ == 0)
			list_from_row(st, l);
	}
	db_cached_done(st);
	return rows;
}

int
list_find(struct db *db, const char *spec, struct list *l, char *err,
    size_t errlen)
{
	char *lower = str_lower(xstrdup(spec));
	int rows;

	memset(l, 0, sizeof(*l));
	if (strchr(lower, '@'))
		rows = list_query(db, list_by_address, lower, l);
	else
		rows = list_query(db, list_by_local, lower, l);
	if (rows == 1) {
		free(lower);
		return KITH_OK;
	}
	if (rows > 1) {
		snprintf(err, errlen, "'%s' names more than one list; give the "
		    "full address", spec);
		list_release(l);
	} else
		snprintf(err, errlen, "list '%s' does not exist; see 'kith list "
		    "ls'", spec);
	free(lower);
	return KITH_PERM;
}

int
list_find_exact(struct db *db, const char *local, const char *domain,
    struct list *l)
{
	char *addr = xasprintf("%s@%s", local, domain);
	int rows;

	memset(l, 0, sizeof(*l));
	rows = list_query(db, list_by_address, addr, l);
	free(addr);
	return rows == 1 ? KITH_OK : KITH_PERM;
}

int
list_find_id(struct db *db, int64_t id, struct list *l)
{
	char num[32];

	memset(l, 0, sizeof(*l));
	snprintf(num, sizeof(num), "%lld", (long long)id);
	/* INTEGER affinity makes the bound text compare as a number. */
	return list_query(db, list_by_id, num, l) == 1 ? KITH_OK : KITH_PERM;
}

static int
remove_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	const struct list *l = ctx;
	int st;

	(void)err, (void)errlen;
	/* Pending deliveries of this list go with it. */
	st = db_exec(db, "DELETE FROM outbox_messages WHERE list_id=?", "i",
	    l->id);
	return st == KITH_OK ? db_exec(db, "DELETE FROM lists WHERE id=?", "i",
	    l->id) : st;
}

int
list_remove(struct db *db, const struct list *l)
{
	return db_tx(db, remove_tx, (void *)l, NULL, 0);
}

int
list_foreach(struct db *db, int (*fn)(const struct list *, int64_t, void *),
    void *ctx)
{
	struct db_stmt *st = db_prepare(db, "SELECT id, address, local, domain, "
	    "name, description, (SELECT count(*) FROM members m WHERE "
	    "m.list_id=lists.id) FROM lists ORDER BY address");
	int rc;

	if (st == NULL)
		return KITH_PERM;
	while ((rc = db_step(st)) == DB_ROW) {
		struct list l;
		int stop;

		list_from_row(st, &l);
		stop = fn(&l, db_col_int64(st, 6), ctx);
		list_release(&l);
		if (stop)
			break;
	}
	db_finalize(st);
	return rc == DB_ROW || rc == DB_DONE ? KITH_OK : db_status(rc);
}

/*
 * memo_key - "KEY LIST_ID" for db_memo: the key first, so that the memo's
 * comparisons mostly stop at its first letter (and no snprintf: a post
 * asks twenty times)
 */
static void
memo_key(char *out, size_t size, const char *key, int64_t list_id)
{
	char digits[24];
	size_t k = strlen(key), n = 0;
	uint64_t v = list_id < 0 ? 0 : (uint64_t)list_id;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (k + 1 + n >= size)
		k = size - 2 - n;
	memcpy(out, key, k);
	out[k++] = ' ';
	while (n > 0)
		out[k++] = digits[--n];
	out[k] = '\0';
}

char *
list_setting(struct db *db, int64_t list_id, const char *key)
{
	const struct list_setting_def *d = setting_def(key);
	struct db_stmt *st;
	char *v = NULL, memo[96];
	const char *kept;

	if (d == NULL)
		return NULL;
	/* a post reads twenty: in LMTP's groups, each once a group */
	memo_key(memo, sizeof(memo), key, list_id);
	if ((kept = db_memo_get(db, memo)) != NULL)
		return xstrdup(kept);
	/* read on every page kith serve answers: kept prepared */
	st = db_cached(db, "SELECT value FROM list_settings WHERE list_id=? "
	    "AND key=?");
	if (st) {
		db_bind(st, "it", list_id, key);
		if (db_step(st) == DB_ROW)
			v = db_col_text(st, 0);
		db_cached_done(st);
	}
	if (v == NULL)
		v = xstrdup(d->def);
	db_memo_put(db, memo, v);
	return v;
}

char *
list_archive_url(struct db *db, const struct kith_config *cfg,
    const struct list *l)
{
	char *url = list_setting(db, l->id, "archive_url");

	if (url == NULL)
		return xstrdup("");
	if (*url && web_url_ok(url, 0))
		return url;
	free(url);
	return *cfg->archive_url ? xasprintf("%s/%s/", cfg->archive_url,
	    l->local) : xstrdup("");
}

/* The bounds of a V_INT setting: "3660" is 0 to 3660, "1-3660" 1 to it. */
static void
int_bounds(const struct list_setting_def *d, int64_t *lo, int64_t *hi)
{
	const char *dash = strchr(d->allowed, '-');

	*lo = dash ? strtoll(d->allowed, NULL, 10) : 0;
	*hi = strtoll(dash ? dash + 1 : d->allowed, NULL, 10);
}

int64_t
list_setting_int(struct db *db, int64_t list_id, const char *key, int64_t def)
{
	const struct list_setting_def *d = setting_def(key);
	char *v = list_setting(db, list_id, key), *end;
	int64_t n;

	if (v == NULL)
		return def;
	n = strtoll(v, &end, 10);
	if (*v == '\0' || *end || n < 0)
		n = def;
	/* a value an older Kith stored past today's bounds is read as the
	 * bound (held_days 0 expired a post before anyone saw it) */
	if (d && d->kind == V_INT) {
		int64_t lo, hi;

		int_bounds(d, &lo, &hi);
		n = n < lo ? lo : n > hi ? hi : n;
	}
	free(v);
	return n;
}

/* value: at most max comma-separated member tags (blanks around each). */
static int
tags_valid(const char *value, int max)
{
	char *all = xstrdup(value), *save = NULL, *t;
	int n = 0, ok = 1;

	for (t = strtok_r(all, ",", &save); t && ok; t = strtok_r(NULL, ",",
	    &save)) {
		t = str_trim(t);
		ok = *t == '\0' || (member_tag_valid(t) && ++n <= max);
	}
	free(all);
	return ok;
}

static int
value_allowed(const struct list_setting_def *d, const char *value)
{
	const char *p;
	size_t n = strlen(value);
	char *end;

	switch (d->kind) {
	case V_ENUM:
		for (p = d->allowed; p; p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL)
			if (!strncmp(p, value, n) && (p[n] == '|' || p[n] == '\0'))
				return n > 0;
		return 0;
	case V_INT: {	/* bounded: days and sizes stay far from
			 * overflowing when multiplied into seconds or bytes */
		int64_t lo, hi, v;

		int_bounds(d, &lo, &hi);
		errno = 0;
		v = strtoll(value, &end, 10);
		return *value && isdigit((unsigned char)*value) && v >= lo &&
		    v <= hi && errno == 0 && *end == '\0';
	}
	case V_SPEC:	/* understood, and one line of text */
	case V_TEXT:	/* into every copy's Subject: UTF-8, as a name */
		if (d->kind == V_SPEC && !filter_setting_valid(d->key, value))
			return 0;
		return utf8_text_ok(value, 200, 0);
	case V_PATTERNS:	/* addresses and patterns, as bans take them */
		return utf8_text_ok(value, 2000, 0) && patterns_valid(value);
	case V_TAGS:	/* what a member picks is a tag, for newsletters */
		return utf8_text_ok(value, 200, 0) && tags_valid(value,
		    atoi(d->allowed));
	case V_URL:	/* into List-Archive <...> and the HTML footer's href */
		return *value == '\0' || web_url_ok(value, 0);
	case V_TZ:
		return tz_valid(value);
	case V_LANG:
		/* whether Kith has it is the caller's to check (template.h) */
		return i18n_code_valid(value);
	case V_DURATION:
		return !strcmp(value, "0") || duration_parse(value) > 0;
	case V_RATE: {
		int64_t interval;

		return throttle_parse(value, &interval) == 0;
	}
	case V_TIME: {
		int h, m;
		char extra;

		return sscanf(value, "%d:%d%c", &h, &m, &extra) == 2 &&
		    h >= 0 && h < 24 && m >= 0 && m < 60 && n == 5;
	}
	}
	return 0;
}

struct setting_row {
	int64_t list_id;
	const char *key, *value;
};

static int
setting_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	const struct setting_row *r = ctx;
	int st;

	db_memo_forget(db);
	st = db_exec(db, "INSERT INTO list_settings(list_id, key, value) "
	    "VALUES (?, ?, ?) ON CONFLICT(list_id, key) DO UPDATE SET "
	    "value=excluded.value", "itt", r->list_id, r->key, r->value);

	if (st != KITH_OK)
		snprintf(err, errlen, "cannot store setting: %s",
		    db_errmsg(db));
	return st;
}

int
list_setting_set(struct db *db, int64_t list_id, const char *key,
    const char *value, char *err, size_t errlen)
{
	const struct list_setting_def *d = setting_def(key);
	const char *typed = value;
	char hhmm[8];

	if (d == NULL) {
		snprintf(err, errlen, "unknown list setting '%s'; see 'kith "
		    "list set --help'", key);
		return KITH_PERM;
	}
	/* "7:00" is 07:00, as kith event create reads it */
	if (d->kind == V_TIME && strlen(value) == 4 && isdigit((unsigned
	    char)value[0]) && value[1] == ':') {
		snprintf(hhmm, sizeof(hhmm), "0%s", value);
		value = hhmm;
	}
	if (!value_allowed(d, value)) {
		char range[64];
		int64_t lo = 0, hi = 0;

		if (d->kind == V_INT)
			int_bounds(d, &lo, &hi);
		snprintf(range, sizeof(range), "a whole number from %lld to %lld",
		    (long long)lo, (long long)hi);
		snprintf(err, errlen, "'%s' is not allowed for %s (%s)", typed,
		    key, d->kind == V_ENUM ? d->allowed : d->kind == V_INT ?
		    range : d->kind == V_TZ ? "a time zone such as "
		    "Europe/Prague" : d->kind == V_TIME ? "HH:MM" :
		    d->kind == V_SPEC ? "see 'kith list set --help'" :
		    d->kind == V_LANG ? "a language code such as cs" :
		    d->kind == V_URL ? "an http:// or https:// address "
		    "without spaces or quotes, or empty" :
		    d->kind == V_RATE ? "a rate such as 600/min, per s, min, "
		    "h or day; 0 for none" :
		    d->kind == V_DURATION ? "a length of time such as 60d, 2h "
		    "or 1d12h; 0 for off" :
		    d->kind == V_TAGS ? "at most 32 tags, comma-separated: "
		    MEMBER_TAG_RULE " each" :
		    d->kind == V_PATTERNS ? "addresses or patterns like "
		    "*@venue.example, comma-separated; none that matches every "
		    "address (that is posting anyone)" :
		    "one line of UTF-8 text, at most 200 bytes");
		return KITH_PERM;
	}
	return db_tx(db, setting_tx, &(struct setting_row){ list_id, key,
	    value }, err, errlen);
}

void
list_settings_print(struct db *db, int64_t list_id, FILE *out)
{
	for (size_t i = 0; i < NLIST_SETTINGS; i++) {
		char *v = list_setting(db, list_id, list_settings[i].key);

		fprintf(out, "%-16s %s\n", list_settings[i].key, v);
		free(v);
	}
}

void
list_settings_help(FILE *out)
{
	for (size_t i = 0; i < NLIST_SETTINGS; i++) {
		const struct list_setting_def *d = &list_settings[i];

		if (d->kind == V_INT) {
			int64_t lo, hi;

			int_bounds(d, &lo, &hi);
			fprintf(out, "  %-20s %s (%lld to %lld; default '%s')\n",
			    d->key, d->help, (long long)lo, (long long)hi, d->def);
		}
		else
			fprintf(out, "  %-20s %s (%s; default '%s')\n", d->key,
			    d->help, d->kind == V_ENUM ? d->allowed : d->kind ==
			    V_TZ ? "time zone" : d->kind == V_TIME ? "HH:MM" :
			    d->kind == V_LANG ? "language" : d->kind == V_URL ?
			    "URL" : d->kind == V_TAGS ? "tags" : d->kind ==
			    V_PATTERNS ? "addresses" : "text",
			    d->def);
	}
}
