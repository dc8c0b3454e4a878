/* privacy - export and erase a person's data; remove a post. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kith/address.h"
#include "kith/db.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/notice.h"
#include "kith/outcome.h"
#include "kith/privacy.h"
#include "kith/util.h"

/* Rows of a member: their ids on every list. */
#define MEMBER_IDS "(SELECT id FROM members WHERE address=?1)"
/* A whole mail (a BLOB) that names the address anywhere (case as
 * written): kith_mentions is each backend's own (db_sqlite.c,
 * db_pg_schema.c), the same answer on both. */
#define MENTIONS(col) "kith_mentions(" col ", ?1)"
/* The same for a text column, in SQL both databases take (instr() is
 * sqlite's alone; ?1, an address, is never empty). */
#define MENTIONS_TEXT(col) "replace(lower(" col "), ?1, '') <> lower(" col ")"
/* Rows that carry the address, deleted by forget. */
#define BY_ADDRESS(t, cols) { t, cols, "address=?1", NULL, \
	"DELETE FROM " t " WHERE address=?1", NULL }
/* A log of who did something: the row stays, by is blanked. */
#define BY_WHOM(t) { t, ",by,", "by=?1", NULL, \
	"UPDATE " t " SET by='' WHERE by=?1", NULL }
/* Rows of the member's own, which the database deletes with them. */
#define CASCADED(t) { t, ",member_id,", "member_id IN " MEMBER_IDS, NULL, \
	NULL, "removed with the member (ON DELETE CASCADE)" }

/*
 * The schema, table by table.  Order matters to forget: the special
 * steps (bans, posts, outbox_messages) run first, then these in order;
 * members before member_log, whose trigger logs the leave that
 * member_log's own step then erases.
 */
const struct privacy_table privacy_tables[] = {
	{ "lists", ",address,name,", NULL, NULL, NULL,
	    "the list's own address and name" },
	BY_ADDRESS("members", ",address,name,"),
	CASCADED("member_tags"),
	CASCADED("rsvps"),
	{ "event_invites", ",member_id,address,", "address=?1 OR member_id IN "
	    MEMBER_IDS, NULL, "DELETE FROM event_invites WHERE address=?1",
	    NULL },
	/* search: PostgreSQL's index of the words (db_pg_schema.c) */
	{ "posts", ",sender,sender_name,raw,", "sender=?1", ",raw,search,",
	    NULL,
	    "as --posts says (keep, anonymise, delete); other posts that quote "
	    "the address have it replaced unless keep" },
	BY_WHOM("posts_removed"),
	{ "outbox_messages", ",data,render,", "id IN (SELECT message_id FROM outbox "
	    "WHERE rcpt=?1)", ",data,", NULL, "every queued mail that names the "
	    "address is dropped (with keep: not copies of their posts)" },
	{ "outbox", ",rcpt,member_id,", "rcpt=?1", NULL,
	    "DELETE FROM outbox WHERE rcpt=?1", NULL },
	{ "quarantine", ",envelope_from,envelope_to,raw,", "envelope_from=?1 OR "
	    "envelope_to=?1 OR " MENTIONS("raw"), NULL, "DELETE FROM quarantine "
	    "WHERE envelope_from=?1 OR envelope_to=?1 OR " MENTIONS("raw"),
	    NULL },
	{ "bounces_in", ",raw,", MENTIONS("raw"), NULL,
	    "DELETE FROM bounces_in WHERE " MENTIONS("raw"), NULL },
	{ "bounces", ",address,member_id,", "address=?1 OR member_id IN "
	    MEMBER_IDS, NULL, "DELETE FROM bounces WHERE address=?1 OR "
	    "member_id IN " MEMBER_IDS, NULL },
	/* a move's row is the new address's, its commands the old one */
	{ "pending", ",address,name,commands,", "address=?1 OR (kind='move' "
	    "AND commands=?1)", NULL, "DELETE FROM pending WHERE address=?1 OR "
	    "(kind='move' AND commands=?1)", NULL },
	BY_ADDRESS("confirm_log", ",address,"),
	{ "held", ",sender,envelope_from,raw,", "sender=?1 OR envelope_from=?1 "
	    "OR " MENTIONS("raw"), NULL, "DELETE FROM held WHERE sender=?1 OR "
	    "envelope_from=?1 OR " MENTIONS("raw"), NULL },
	BY_WHOM("held_log"),
	{ "bans", ",pattern,", "lower(pattern)=?1", NULL, NULL,
	    "an exact ban is kept in the forgotten row (hashed), so it holds" },
	BY_ADDRESS("notice_log", ",address,"),
	BY_ADDRESS("member_events", ",address,"),
	{ "throttle", ",scope,", MENTIONS_TEXT("scope"), NULL,
	    "DELETE FROM throttle WHERE " MENTIONS_TEXT("scope"), NULL },
	{ "poll_votes", ",member_id,address,", "address=?1", NULL,
	    /* the vote still counts, by nobody: -id is nobody's id */
	    "UPDATE poll_votes SET address='', member_id=-id WHERE "
	    "address=?1", NULL },
	{ "poll_log", ",address,", "address=?1", NULL,
	    "UPDATE poll_log SET address='' WHERE address=?1", NULL },
	BY_ADDRESS("onboarding", ",address,"),
	BY_ADDRESS("member_log", ",address,"),
	{ "forgotten", ",hash,", NULL, NULL, NULL,
	    "an HMAC with the site secret, never the address" },
	{ "dns_cache", ",name,data,", NULL, NULL, NULL,
	    "DNS names and TXT records of author domains (no address), each "
	    "dropped after its TTL, at most a day (dns.h)" },
};
const size_t privacy_ntables = sizeof(privacy_tables) /
    sizeof(privacy_tables[0]);

const char *const privacy_columns[] = {
	"address", "sender", "sender_name", "name", "rcpt", "member_id",
	"envelope_from", "envelope_to", "pattern", "by", "scope", "raw", "data",
	"hash", "commands", "render", NULL
};

int
privacy_posts_parse(const char *s, enum privacy_posts *out)
{
	if (!strcmp(s, "keep"))
		*out = PRIVACY_POSTS_KEEP;
	else if (!strcmp(s, "anonymise") || !strcmp(s, "anonymize"))
		*out = PRIVACY_POSTS_ANONYMISE;
	else if (!strcmp(s, "delete"))
		*out = PRIVACY_POSTS_DELETE;
	else
		return -1;
	return 0;
}

static char *
forgotten_hash(const struct token_key *key, const char *address)
{
	return token_digest(key, "forgotten", address);
}

int
privacy_forgotten(struct db *db, const struct token_key *key,
    const char *address, int64_t *at, char **banned)
{
	char *addr = address_normalize(address), *hash;
	struct db_stmt *st;
	int found = 0, rc;

	if (banned)
		*banned = NULL;
	if (addr == NULL || key == NULL) {
		free(addr);
		return 0;
	}
	hash = forgotten_hash(key, addr);
	free(addr);
	if (hash == NULL)
		return -1;
	st = db_prepare(db, "SELECT at, banned FROM forgotten WHERE hash=?");
	if (st == NULL) {
		free(hash);
		return -1;
	}
	db_bind(st, "t", hash);
	rc = db_step(st);
	if (rc == DB_ROW) {
		found = 1;
		if (at)
			*at = db_col_int64(st, 0);
		if (banned)
			*banned = db_col_text(st, 1);
	}
	db_finalize(st);
	free(hash);
	return rc == DB_ROW || rc == DB_DONE ? found : -1;
}

int
privacy_banned(struct db *db, const struct token_key *key, int64_t list_id,
    const char *address)
{
	char *banned = NULL, site[8], one[32];
	int hit;

	if (privacy_forgotten(db, key, address, NULL, &banned) != 1)
		return 0;
	snprintf(site, sizeof(site), ",0,");
	snprintf(one, sizeof(one), ",%lld,", (long long)list_id);
	hit = banned && (strstr(banned, site) || strstr(banned, one));
	free(banned);
	return hit;
}

int
privacy_unforget(struct db *db, const struct token_key *key,
    const char *address)
{
	char *addr = address_normalize(address), *hash;
	int st;

	if (addr == NULL || key == NULL) {
		free(addr);
		return KITH_OK;
	}
	hash = forgotten_hash(key, addr);
	free(addr);
	if (hash == NULL)
		return KITH_TEMP;
	/* a ban kept in the record still holds: the record stays for it */
	st = db_exec(db, "DELETE FROM forgotten WHERE hash=? AND banned=''",
	    "t", hash);
	free(hash);
	return st;
}

/* ---- export ---- */

/* One value of a row: JSON, or "  name: value" for people. */
static void
add_value(struct buf *b, struct db_stmt *st, int col, int json)
{
	int type = db_col_type(st, col);

	if (type == DB_INTEGER)
		buf_addf(b, "%lld", (long long)db_col_int64(st, col));
	else if (type == DB_FLOAT)
		buf_addf(b, "%g", db_col_double(st, col));
	else if (type == DB_NULL)
		buf_adds(b, json ? "null" : "");
	else {
		/* text and blobs (whole mails) alike: the bytes, as text */
		const char *s = (const char *)db_col_blob(st, col);
		size_t n = (size_t)db_col_bytes(st, col);
		char *copy = xstrndup(s ? s : "", n);

		if (json)
			buf_add_json(b, copy);
		else {
			/* a multi-line value starts on its own line */
			if (strchr(copy, '\n')) {
				buf_adds(b, "|\n");
				for (char *p = copy, *nl; *p; p = nl) {
					nl = strchr(p, '\n');
					nl = nl ? nl + 1 : p + strlen(p);
					buf_adds(b, "      ");
					buf_add(b, p, (size_t)(nl - p));
				}
				if (b->len && b->data[b->len - 1] != '\n')
					buf_addc(b, '\n');
				b->len--;	/* the caller ends the line */
			} else
				buf_adds(b, copy);
		}
		free(copy);
	}
}

static int
in_set(const char *set, const char *name)
{
	char key[80];

	if (set == NULL)
		return 0;
	snprintf(key, sizeof(key), ",%s,", name);
	return strstr(set, key) != NULL;
}

/* The rows of one table about addr, appended to b. */
static int
export_table(struct db *db, const struct privacy_table *t, const char *addr,
    int json, int bodies, struct buf *b, int *first_table)
{
	char *sql = xasprintf("SELECT * FROM %s WHERE %s", t->table, t->where);
	struct db_stmt *st = db_prepare(db, sql);
	int rc, rows = 0, ncol = 0;

	free(sql);
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "t", addr);
	while ((rc = db_step(st)) == DB_ROW) {
		int k = 0;

		if (rows++ == 0) {
			/* known once the statement has run (PostgreSQL) */
			ncol = db_col_count(st);
			if (json)
				buf_addf(b, "%s\n  \"%s\": [", (*first_table)++ ?
				    "," : "", t->table);
			else
				buf_addf(b, "\n== %s\n", t->table);
		}
		buf_adds(b, json ? (rows > 1 ? ",\n    {" : "\n    {") : "  -\n");
		for (int i = 0; i < ncol; i++) {
			const char *name = db_col_name(st, i);

			if (in_set(t->omit, name) || (!bodies &&
			    !strcmp(t->table, "posts") && !strcmp(name, "body")))
				continue;
			if (json) {
				buf_adds(b, k++ ? ", " : "");
				buf_add_json(b, name);
				buf_adds(b, ": ");
			} else
				buf_addf(b, "    %s: ", name);
			add_value(b, st, i, json);
			if (!json)
				buf_addc(b, '\n');
		}
		if (json)
			buf_addc(b, '}');
	}
	if (rows && json)
		buf_adds(b, "]");
	db_finalize(st);
	return rc == DB_DONE ? KITH_OK : db_status(rc);
}

/* The lists the person's rows refer to, by id (rows carry list_id). */
static void
export_lists(struct db *db, const char *addr, int json, struct buf *b)
{
	struct db_stmt *st = db_prepare(db, "SELECT id, address, name FROM lists "
	    "WHERE id IN (SELECT list_id FROM members WHERE address=?1 UNION "
	    "SELECT list_id FROM posts WHERE sender=?1 UNION SELECT list_id "
	    "FROM pending WHERE address=?1 UNION SELECT list_id FROM "
	    "member_log WHERE address=?1 UNION SELECT list_id FROM held WHERE "
	    "sender=?1) ORDER BY id");
	int n = 0;

	if (st == NULL)
		return;
	db_bind(st, "t", addr);
	buf_adds(b, json ? "  \"lists\": [" : "Lists (rows below name them by "
	    "list_id):\n");
	while (db_step(st) == DB_ROW) {
		if (json) {
			buf_addf(b, "%s{\"id\": %lld, \"address\": ", n++ ? ", " :
			    "", (long long)db_col_int64(st, 0));
			buf_add_json(b, db_col_str(st, 1));
			buf_adds(b, ", \"name\": ");
			buf_add_json(b, db_col_str(st, 2));
			buf_addc(b, '}');
		} else
			buf_addf(b, "  %lld: %s (%s)\n",
			    (long long)db_col_int64(st, 0),
			    db_col_str(st, 1), db_col_str(st, 2));
	}
	db_finalize(st);
	buf_adds(b, json ? "],\n" : "");
}

int
privacy_export(struct db *db, const struct token_key *key,
    const char *address, int json, int bodies, int64_t now, struct buf *out)
{
	char *addr = address_normalize(address), when[32];
	time_t t = (time_t)now;
	int64_t at = 0;
	int first = 0, st = KITH_OK, gone;
	struct tm tm;

	if (addr == NULL)
		return KITH_PERM;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	gone = key ? privacy_forgotten(db, key, addr, &at, NULL) : 0;
	if (json) {
		buf_adds(out, "{\"address\": ");
		buf_add_json(out, addr);
		buf_addf(out, ", \"generated\": %lld,\n  \"forgotten\": ",
		    (long long)now);
		if (gone == 1)
			buf_addf(out, "{\"at\": %lld},\n", (long long)at);
		else
			buf_adds(out, "null,\n");
	} else {
		buf_addf(out, "Everything Kith holds about %s, %s.\n\n", addr,
		    when);
		if (gone == 1)
			buf_addf(out, "This address was forgotten at its own "
			    "request (epoch %lld); only a keyed hash of it is "
			    "kept.\n\n", (long long)at);
	}
	export_lists(db, addr, json, out);
	if (json)
		buf_adds(out, "  \"tables\": {");
	for (size_t i = 0; i < privacy_ntables && st == KITH_OK; i++)
		if (privacy_tables[i].where)
			st = export_table(db, &privacy_tables[i], addr, json,
			    bodies, out, &first);
	if (json)
		buf_adds(out, "}\n}\n");
	else if (first == 0 && out->len < 400)
		buf_adds(out, "\nNothing else.\n");
	free(addr);
	return st;
}

/* ---- rewriting mails that name the address ---- */

/* s with every occurrence of needle (ASCII case ignored) replaced. */
static char *
replace_ci(const char *s, size_t len, const char *needle, const char *with,
    size_t *outlen, int *count)
{
	size_t nl = strlen(needle), i = 0;
	struct buf b;

	buf_init(&b);
	*count = 0;
	while (i < len) {
		const char *hit = nl ? mem_casestr(s + i, len - i, needle) : NULL;

		if (hit == NULL) {
			buf_add(&b, s + i, len - i);
			break;
		}
		buf_add(&b, s + i, (size_t)(hit - (s + i)));
		buf_adds(&b, with);
		i = (size_t)(hit - s) + nl;
		(*count)++;
	}
	buf_add(&b, "", 0);
	return buf_detach(&b, outlen);
}

/* raw with its From field (and its folded lines) replaced by the
 * anonymous author. */
static char *
rewrite_from(const char *raw, size_t len, size_t *outlen)
{
	struct buf b;
	size_t i = 0;
	int in_from = 0;

	buf_init(&b);
	while (i < len) {
		const char *nl = memchr(raw + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - raw) + 1 : len;
		const char *line = raw + i;
		size_t n = end - i;

		if (n <= 2 && (line[0] == '\n' || (line[0] == '\r' && n == 2))) {
			buf_add(&b, raw + i, len - i);	/* the body, as it is */
			break;
		}
		if (in_from && (line[0] == ' ' || line[0] == '\t')) {
			i = end;
			continue;	/* a folded line of the old From */
		}
		in_from = n >= 5 && !strncasecmp(line, "From:", 5);
		if (in_from)
			buf_addf(&b, "From: %s <%s>%s", PRIVACY_ANON_NAME,
			    PRIVACY_ANON_ADDRESS, n >= 2 && line[n - 2] == '\r' ?
			    "\r\n" : "\n");
		else
			buf_add(&b, line, n);
		i = end;
	}
	buf_add(&b, "", 0);
	return buf_detach(&b, outlen);
}

/* The ids a query on ?1 returns (caller frees *ids). */
static int
collect_ids(struct db *db, const char *sql, const char *addr, int64_t **ids,
    size_t *n)
{
	struct db_stmt *st = db_prepare(db, sql);
	size_t cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "t", addr);
	while ((rc = db_step(st)) == DB_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*ids = xrealloc(*ids, cap * sizeof(**ids));
		}
		(*ids)[(*n)++] = db_col_int64(st, 0);
	}
	db_finalize(st);
	return rc == DB_DONE ? KITH_OK : db_status(rc);
}

/* scrub_post - one post: own (the author's) gets the anonymous author;
 * the address is replaced in its bytes and its text.  The posts_au
 * trigger re-indexes the text. */
static int
scrub_post(struct db *db, int64_t id, const char *addr, int own)
{
	struct db_stmt *sel = db_prepare(db, "SELECT raw, body FROM posts WHERE "
	    "id=?");
	char *from, *r2 = NULL, *b2 = NULL;
	size_t l1, l2, lb, rawlen;
	const char *raw, *body;
	int st, n;

	if (sel == NULL)
		return KITH_TEMP;
	db_bind(sel, "i", id);
	if (db_step(sel) != DB_ROW) {
		db_finalize(sel);
		return KITH_OK;
	}
	raw = db_col_blob(sel, 0);
	rawlen = (size_t)db_col_bytes(sel, 0);
	body = db_col_str(sel, 1);
	if (own)
		from = rewrite_from(raw ? raw : "", rawlen, &l1);
	else {
		from = xstrndup(raw ? raw : "", rawlen);
		l1 = rawlen;
	}
	r2 = replace_ci(from, l1, addr, PRIVACY_ANON_ADDRESS, &l2, &n);
	b2 = replace_ci(body ? body : "", body ? strlen(body) : 0, addr,
	    PRIVACY_ANON_ADDRESS, &lb, &n);
	db_finalize(sel);
	if (own)
		st = db_exec(db, "UPDATE posts SET sender=?1, sender_name=?2, "
		    "raw=?3, size=?4, body=?5 WHERE id=?6", "ttbiti",
		    PRIVACY_ANON_ADDRESS, PRIVACY_ANON_NAME, r2, (int)l2,
		    (int64_t)l2, b2, id);
	else
		st = db_exec(db, "UPDATE posts SET raw=?1, size=?2, body=?3 "
		    "WHERE id=?4", "biti", r2, (int)l2, (int64_t)l2, b2, id);
	free(from);
	free(r2);
	free(b2);
	return st;
}

/* ---- removing posts ---- */

int
privacy_remove_post(struct db *db, int64_t id, const char *reason,
    const char *by, int64_t now, char *err, size_t errlen)
{
	int st, found;

	found = (int)db_int(db, 0, &st, "SELECT count(*) FROM posts WHERE "
	    "id=?", "i", id);
	if (st != KITH_OK)
		return st;
	if (!found) {
		int64_t when = db_int(db, 0, &st, "SELECT removed FROM "
		    "posts_removed WHERE id=?", "i", id);

		snprintf(err, errlen, when ? "post %lld was already removed" :
		    "no post with ID %lld", (long long)id);
		return KITH_PERM;
	}
	/* the stand-in first: its id and number stay taken */
	st = db_exec(db, "INSERT INTO posts_removed(id, list_id, num, "
	    "message_id, thread_id, date, removed, reason, by) SELECT id, "
	    "list_id, num, message_id, thread_id, date, ?2, ?3, ?4 FROM posts "
	    "WHERE id=?1", "iitt", id, now, reason, by ? by : "");
	/* its copies go too: those not yet delivered are not sent, and the
	 * delivered ones' record no longer keeps its bytes; so do the
	 * digests that hold it (each names it "<Message-ID>"), sent or not */
	if (st == KITH_OK)
		st = db_exec(db, "DELETE FROM outbox_messages WHERE post_id=?",
		    "i", id);
	if (st == KITH_OK)
		st = db_exec(db, "DELETE FROM outbox_messages WHERE kind='digest' "
		    "AND list_id=(SELECT list_id FROM posts WHERE id=?1) AND "
		    "kith_mentions(data, (SELECT lower('<' || message_id || '>') "
		    "FROM posts WHERE id=?1))", "i", id);
	/* the posts_ad trigger takes its terms out of the search index */
	if (st == KITH_OK)
		st = db_exec(db, "DELETE FROM posts WHERE id=?", "i", id);
	if (st == KITH_OK)
		log_info("privacy: post %lld removed from the archive%s%s: '%s'",
		    (long long)id, by && *by ? " by " : "", by ? by : "", reason);
	return st;
}

int
privacy_removed(struct db *db, int64_t id, int64_t *removed, char **reason,
    int64_t *list_id)
{
	struct db_stmt *st = db_prepare(db, "SELECT removed, reason, list_id "
	    "FROM posts_removed WHERE id=?");
	int found = 0;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", id);
	if (db_step(st) == DB_ROW) {
		found = 1;
		if (removed)
			*removed = db_col_int64(st, 0);
		if (reason)
			*reason = db_col_text(st, 1);
		if (list_id)
			*list_id = db_col_int64(st, 2);
	}
	db_finalize(st);
	return found ? KITH_OK : KITH_PERM;
}

int
privacy_scrub(struct db *db)
{
	return db_scrub(db);
}

/* ---- forget ---- */

/* Exact bans of addr: removed, their lists kept (",0,3,") for the record. */
static int
forget_bans(struct db *db, const char *addr, struct buf *banned)
{
	struct db_stmt *st = db_prepare(db, "SELECT coalesce(list_id, 0) FROM bans "
	    "WHERE lower(pattern)=?1");

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "t", addr);
	while (db_step(st) == DB_ROW)
		buf_addf(banned, "%s%lld,", banned->len ? "" : ",",
		    (long long)db_col_int64(st, 0));
	db_finalize(st);
	return db_exec(db, "DELETE FROM bans WHERE lower(pattern)=?1", "t", addr);
}

static void
report_line(struct buf *report, const char *table, const char *what, int64_t n)
{
	if (n > 0)
		buf_addf(report, "%-16s %lld %s\n", table, (long long)n, what);
}

/* forget_posts - the author's posts as mode says; other posts' quotes of
 * the address too, unless keep. */
static int
forget_posts(struct db *db, const char *addr, enum privacy_posts mode,
    int64_t now, struct buf *report)
{
	int64_t *ids = NULL;
	size_t n = 0;
	int st;
	char err[256];

	if (mode == PRIVACY_POSTS_KEEP)
		return KITH_OK;
	st = collect_ids(db, "SELECT id FROM posts WHERE sender=?1", addr, &ids,
	    &n);
	for (size_t i = 0; i < n && st == KITH_OK; i++)
		st = mode == PRIVACY_POSTS_DELETE ? privacy_remove_post(db,
		    ids[i], "removed at the author's request", "", now, err,
		    sizeof(err)) : scrub_post(db, ids[i], addr, 1);
	free(ids);
	if (st != KITH_OK)
		return st;
	report_line(report, "posts", mode == PRIVACY_POSTS_DELETE ? "removed" :
	    "anonymised", (int64_t)n);
	/* a Message-ID that happens to hold the address is not kept either */
	st = db_exec(db, "UPDATE posts_removed SET message_id='' WHERE "
	    MENTIONS_TEXT("message_id"), "t", addr);
	if (st != KITH_OK)
		return st;
	st = collect_ids(db, "SELECT id FROM posts WHERE " MENTIONS("raw") " OR "
	    MENTIONS("body"), addr, &ids, &n);
	for (size_t i = 0; i < n && st == KITH_OK; i++)
		st = scrub_post(db, ids[i], addr, 0);
	free(ids);
	if (st == KITH_OK)
		report_line(report, "posts", "of others quoting the address: "
		    "address replaced", (int64_t)n);
	return st;
}

/* Queued and sent mail that names the address (notices to them, their
 * posts' copies and digests unless keep, owner forwards). */
static int
forget_outbox(struct db *db, const char *addr, enum privacy_posts mode,
    struct buf *report)
{
	int st = db_exec(db, "DELETE FROM outbox_messages WHERE (id IN (SELECT "
	    "message_id FROM outbox WHERE rcpt=?1) OR " MENTIONS("data") " OR "
	    MENTIONS_TEXT("render") ") AND "
	    "(?2<>0 OR kind NOT IN ('post', 'digest'))", "tI", addr,
	    mode != PRIVACY_POSTS_KEEP);

	if (st == KITH_OK)
		report_line(report, "outbox_messages", "removed",
		    db_changes(db));
	return st;
}

static int
forget_tables(struct db *db, const char *addr, struct buf *report)
{
	int st = KITH_OK;

	for (size_t i = 0; i < privacy_ntables && st == KITH_OK; i++) {
		const struct privacy_table *t = &privacy_tables[i];

		if (t->forget == NULL)
			continue;
		st = db_exec(db, t->forget, "t", addr);
		if (st == KITH_OK)
			report_line(report, t->table, strncmp(t->forget,
			    "UPDATE", 6) ? "removed" : "made anonymous",
			    db_changes(db));
	}
	return st;
}

static int
forget_all(struct db *db, const struct token_key *key, const char *addr,
    enum privacy_posts mode, int64_t now, struct buf *report)
{
	static const char *const modes[] = { "keep", "anonymise", "delete" };
	struct buf banned;
	char *hash = forgotten_hash(key, addr);
	int st;

	if (hash == NULL)
		return KITH_TEMP;
	buf_init(&banned);
	st = forget_bans(db, addr, &banned);
	if (st == KITH_OK)
		report_line(report, "bans", "kept as a hash", db_changes(db));
	if (st == KITH_OK)
		st = forget_posts(db, addr, mode, now, report);
	if (st == KITH_OK)
		st = forget_outbox(db, addr, mode, report);
	if (st == KITH_OK)
		st = forget_tables(db, addr, report);
	if (st == KITH_OK)
		st = db_exec(db, "INSERT INTO forgotten(hash, at, posts, banned) "
		    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (hash) DO UPDATE SET "
		    "at=excluded.at, posts=excluded.posts, banned=CASE WHEN "
		    "excluded.banned='' THEN forgotten.banned ELSE "
		    "excluded.banned END",
		    "titt", hash, now, modes[mode], banned.data ? banned.data :
		    "");
	buf_release(&banned);
	free(hash);
	return st;
}

struct forget_ctx {
	const struct token_key *key;
	const char *addr;
	enum privacy_posts mode;
	int64_t now;
	struct buf *report;
};

static int
forget_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct forget_ctx *x = ctx;

	(void)err, (void)errlen;
	return forget_all(db, x->key, x->addr, x->mode, x->now, x->report);
}

int
privacy_forget(struct db *db, const struct token_key *key,
    const char *address, enum privacy_posts mode, int64_t now,
    struct buf *report, int *checkpointed, char *err, size_t errlen)
{
	char *addr = address_normalize(address);
	int st, old;

	*checkpointed = 0;
	if (addr == NULL) {
		snprintf(err, errlen, "'%s' is not an address", address);
		return KITH_PERM;
	}
	/* deleted bytes are overwritten, in the tables and the free pages */
	old = db_secure_delete(db, 1);
	{
		struct forget_ctx x = { key, addr, mode, now, report };

		st = db_tx(db, forget_tx, &x, NULL, 0);
	}
	if (st == KITH_OK) {
		int r = privacy_scrub(db);

		*checkpointed = r == 1;
		log_info("privacy: an address was forgotten (posts: %s)%s",
		    mode == PRIVACY_POSTS_KEEP ? "kept" : mode ==
		    PRIVACY_POSTS_DELETE ? "deleted" : "anonymised", r == 1 ?
		    "" : "; the WAL is truncated at the next checkpoint");
	} else
		snprintf(err, errlen, "nothing was changed: %s", DB_BUSY_TEXT);
	db_secure_delete(db, old);
	free(addr);
	return st;
}

/* ---- by mail ---- */

/* Bigger than this, the mail of "my data" lists posts without their text. */
#define MAIL_DATA_MAX (4 * 1024 * 1024)

int
privacy_mail_data(const struct mail_ctx *c, const char *address,
    struct outcome *out)
{
	struct template_var vars[1];
	struct notice_opts o;
	struct buf data;
	int st;

	buf_init(&data);
	st = privacy_export(c->db, c->key, address, 0, 1, now_utc(), &data);
	if (st == KITH_OK && data.len > MAIL_DATA_MAX) {
		buf_reset(&data);
		st = privacy_export(c->db, c->key, address, 0, 0, now_utc(),
		    &data);
		buf_adds(&data, "\n(The text of your posts was left out: it is "
		    "too much for one mail. Send 'get NUMBER' for a post.)\n");
	}
	if (st != KITH_OK) {
		buf_release(&data);
		return st;
	}
	buf_add(&data, "", 0);
	vars[0] = (struct template_var){ "data", data.data };
	memset(&o, 0, sizeof(o));
	o.to = address;		/* the confirmed address, never another */
	o.tmpl = "my-data.txt";
	o.vars = vars;
	o.nvars = 1;
	o.in_reply_to = c->in_reply_to;
	st = notice_queue(c->db, c->cfg, c->l, &o);
	if (st == KITH_OK)
		tv_str(outcome_add(out, "data_sent"), "address", address);
	log_info("privacy: data export mailed on '%s'", c->l->address);
	buf_release(&data);
	return st == KITH_PERM ? KITH_OK : st;
}

/* The Message-ID of the post spec names in list_id ("#12", "12",
 * "<id@x>"); *rest is what follows it.  NULL when spec names none. */
static char *
post_spec(struct db *db, int64_t list_id, const char *spec, const char *parent,
    const char **rest)
{
	struct db_stmt *st;
	char *mid = NULL;

	while (*spec == ' ')
		spec++;
	*rest = spec;
	if (*spec == '#' || isdigit((unsigned char)*spec)) {
		char *end;
		long long num = strtoll(spec + (*spec == '#'), &end, 10);

		if (end == spec + (*spec == '#') || (*end && *end != ' '))
			return NULL;
		*rest = end;
		st = db_prepare(db, "SELECT message_id FROM posts WHERE "
		    "list_id=? AND num=?");
		if (st == NULL)
			return NULL;
		db_bind(st, "ii", list_id, (int64_t)num);
		if (db_step(st) == DB_ROW)
			mid = db_col_text(st, 0);
		db_finalize(st);
		return mid ? mid : xstrdup("");
	}
	if (*spec == '<') {
		const char *gt = strchr(spec, '>');

		if (gt == NULL)
			return NULL;
		*rest = gt + 1;
		return xstrndup(spec + 1, (size_t)(gt - spec - 1));
	}
	if (parent && *parent) {
		size_t n = strlen(parent);

		if (*parent == '<' && n > 1 && parent[n - 1] == '>')
			return xstrndup(parent + 1, n - 2);
		return xstrdup(parent);
	}
	return NULL;
}

static int64_t
post_id_of(struct db *db, int64_t list_id, const char *mid)
{
	return db_int(db, 0, NULL, "SELECT id FROM posts WHERE list_id=? AND "
	    "message_id=?", "it", list_id, mid);
}

/* 1 when address is an owner of the list. */
static int
is_owner(const struct mail_ctx *c, const char *address)
{
	struct member m;
	int owner = 0;

	if (member_find(c->db, c->l->id, address, &m) == KITH_OK) {
		owner = !strcmp(m.role, "owner");
		member_release(&m);
	}
	return owner;
}

char *
privacy_remove_line(const struct mail_ctx *c, const char *sender,
    const char *args, const char *parent, struct outcome *out)
{
	const char *rest;
	char *mid, *reason, *line, *copy;

	/* "remove me" from a member means leaving: say how */
	if (!is_owner(c, sender)) {
		outcome_add(out, "remove_owners_only");
		return NULL;
	}
	mid = post_spec(c->db, c->l->id, args, parent, &rest);
	if (mid == NULL) {
		outcome_add(out, "remove_usage");
		return NULL;
	}
	if (*mid == '\0' || post_id_of(c->db, c->l->id, mid) == 0) {
		outcome_add(out, "remove_no_post");
		free(mid);
		return NULL;
	}
	copy = xstrdup(rest);
	reason = str_trim(copy);
	line = xasprintf("remove <%s> %s", mid, *reason ? reason :
	    "no reason given");
	free(copy);
	free(mid);
	return line;
}

int
privacy_mail_remove(const struct mail_ctx *c, const char *address,
    const char *args, struct outcome *out)
{
	const char *rest;
	char *mid, *reason, *copy, err[256] = "";
	int st;
	int64_t id, num;

	if (!is_owner(c, address)) {
		outcome_add(out, "remove_owners_only");
		log_warn("privacy: 'remove' on '%s' by '%s' refused: not an owner",
		    c->l->address, address);
		return KITH_PERM;
	}
	mid = post_spec(c->db, c->l->id, args, NULL, &rest);
	id = mid ? post_id_of(c->db, c->l->id, mid) : 0;
	free(mid);
	if (id == 0) {
		outcome_add(out, "remove_no_post");
		return KITH_PERM;
	}
	num = db_int(c->db, 0, NULL, "SELECT num FROM posts WHERE id=?", "i", id);
	copy = xstrdup(rest);
	reason = str_trim(copy);
	st = privacy_remove_post(c->db, id, *reason ? reason : "no reason given",
	    address, now_utc(), err, sizeof(err));
	if (st == KITH_OK && db_purge_index(c->db) < 0)
		st = KITH_TEMP;
	if (st == KITH_OK)
		tv_int(outcome_add(out, "removed"), "num", num);
	else if (st == KITH_PERM)
		tv_str(outcome_add(out, "remove_failed"), "why", err);
	free(copy);
	return st;
}
