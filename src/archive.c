/* archive - store, thread, search, export. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "kith/archive.h"
#include "kith/db.h"
#include "kith/subject.h"
#include "kith/util.h"

void
post_release(struct post *p)
{
	free(p->message_id);
	free(p->sender);
	free(p->sender_name);
	free(p->subject);
	memset(p, 0, sizeof(*p));
}

int
archive_seen(sqlite3 *db, int64_t list_id, const char *message_id)
{
	int st;
	int64_t n = db_int(db, 0, &st, "SELECT count(*) FROM posts WHERE "
	    "list_id=? AND message_id=?", "it", list_id, message_id);

	return st != KITH_OK ? -1 : n > 0;
}

/* Thread of the nearest known ancestor, or 0. */
static int64_t
archive_parent_thread(sqlite3 *db, int64_t list_id, const struct message *m)
{
	char *refs = xasprintf("%s %s", m->in_reply_to, m->references);
	int64_t thread = 0;
	int st;
	char *save = NULL;

	/* In-Reply-To first, then References from the newest back. */
	for (char *id = strtok_r(refs, " ", &save); id && !thread;
	    id = strtok_r(NULL, " ", &save))
		thread = db_int(db, 0, &st, "SELECT thread_id FROM posts WHERE "
		    "list_id=? AND message_id=?", "it", list_id, id);
	free(refs);
	return thread;
}

int
archive_store(sqlite3 *db, int64_t list_id, const struct message *m,
    const char *message_id, int searchable, int64_t *post_id)
{
	return archive_store_at(db, list_id, m, message_id, searchable,
	    now_utc(), post_id);
}

/* The next free id of posts, or number in one list: a removed post's
 * (posts_removed) is never given again, its permalink stays its own. */
#define NEXT_ID "(SELECT max(coalesce((SELECT max(id) FROM posts), 0), " \
	"coalesce((SELECT max(id) FROM posts_removed), 0)) + 1)"
#define NEXT_NUM "(SELECT max(coalesce((SELECT max(num) FROM posts WHERE " \
	"list_id=?1), 0), coalesce((SELECT max(num) FROM posts_removed WHERE " \
	"list_id=?1), 0)) + 1)"

int
archive_store_at(sqlite3 *db, int64_t list_id, const struct message *m,
    const char *message_id, int searchable, int64_t received,
    int64_t *post_id)
{
	int64_t thread = archive_parent_thread(db, list_id, m);
	int st;

	/*
	 * The id is chosen here so that a new thread's id (its first
	 * post's) goes in with the row: updating it afterwards would read
	 * and write the whole raw message a second time.
	 */
	st = db_exec(db, "INSERT INTO posts(id, list_id, num, message_id, "
	    "in_reply_to, thread_id, sender, sender_name, subject, date, "
	    "received, size, archived, raw, body) VALUES (" NEXT_ID ", ?1, "
	    NEXT_NUM ", ?2, ?3, coalesce(nullif(?4, 0), " NEXT_ID "), ?5, ?6, "
	    "?7, ?8, ?9, ?10, ?11, ?12, ?13)", "ittitttiiiIbt",
	    list_id,
	    message_id, m->in_reply_to, thread, m->from_addr, m->from_name,
	    m->subject, m->date ? m->date : received, received,
	    (int64_t)m->len, searchable, m->raw, (int)m->len, m->text);
	if (st != KITH_OK)
		return st;
	*post_id = sqlite3_last_insert_rowid(db);
	return KITH_OK;
}

/* The list's subject prefix comes along: subjects are shown without it. */
#define POST_COLUMNS "SELECT p.id, p.num, p.thread_id, p.date, p.size, " \
	"p.message_id, p.sender, p.sender_name, p.subject, (SELECT s.value " \
	"FROM list_settings s WHERE s.list_id=p.list_id AND " \
	"s.key='subject_prefix') FROM posts p "

static void
post_from_row(sqlite3_stmt *st, struct post *p)
{
	const char *prefix = (const char *)sqlite3_column_text(st, 9);

	p->id = sqlite3_column_int64(st, 0);
	p->num = sqlite3_column_int64(st, 1);
	p->thread_id = sqlite3_column_int64(st, 2);
	p->date = sqlite3_column_int64(st, 3);
	p->size = sqlite3_column_int64(st, 4);
	p->message_id = db_col_text(st, 5);
	p->sender = db_col_text(st, 6);
	p->sender_name = db_col_text(st, 7);
	p->subject = subject_clean((const char *)sqlite3_column_text(st, 8),
	    prefix ? prefix : "");
}

static int
posts_run(sqlite3_stmt *st, int (*fn)(const struct post *, void *), void *ctx)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct post p;
		int stop;

		post_from_row(st, &p);
		stop = fn(&p, ctx);
		post_release(&p);
		if (stop)
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? KITH_OK : db_status(rc);
}

int
archive_foreach(sqlite3 *db, int64_t list_id,
    int (*fn)(const struct post *, void *), void *ctx)
{
	sqlite3_stmt *st = db_prepare(db, POST_COLUMNS
	    "WHERE p.list_id=? AND p.archived ORDER BY p.num");

	if (st == NULL)
		return KITH_PERM;
	db_bind(st, "i", list_id);
	return posts_run(st, fn, ctx);
}

/* Each word of the user's query as an FTS5 string: no query syntax leaks. */
static char *
fts_query(const char *query)
{
	char *copy = xstrdup(query), *save = NULL;
	struct buf b;

	buf_init(&b);
	for (char *w = strtok_r(copy, " \t\r\n", &save); w;
	    w = strtok_r(NULL, " \t\r\n", &save)) {
		if (b.len)
			buf_addc(&b, ' ');
		buf_addc(&b, '"');
		for (char *p = w; *p; p++) {
			if (*p == '"')
				buf_addc(&b, '"');
			buf_addc(&b, *p);
		}
		buf_addc(&b, '"');
	}
	free(copy);
	return b.data ? buf_detach(&b, NULL) : NULL;
}

int
archive_search(sqlite3 *db, int64_t list_id, const char *query,
    int (*fn)(const struct post *, void *), void *ctx)
{
	char *q = fts_query(query);
	sqlite3_stmt *st;

	if (q == NULL)
		return KITH_OK;
	st = db_prepare(db, POST_COLUMNS "JOIN posts_fts f ON f.rowid=p.id "
	    "WHERE p.list_id=? AND p.archived AND posts_fts MATCH ? "
	    "ORDER BY rank");
	if (st == NULL) {
		free(q);
		return KITH_PERM;
	}
	db_bind(st, "it", list_id, q);
	free(q);
	return posts_run(st, fn, ctx);
}

int
archive_get(sqlite3 *db, int64_t id, struct post *p, char **raw,
    size_t *rawlen, char **text)
{
	sqlite3_stmt *st = db_prepare(db, POST_COLUMNS "WHERE "
	    "p.id=? AND p.archived");
	sqlite3_stmt *body;
	int found = 0;

	memset(p, 0, sizeof(*p));
	if (st == NULL)
		return KITH_PERM;
	db_bind(st, "i", id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		post_from_row(st, p);
		found = 1;
	}
	sqlite3_finalize(st);
	if (!found)
		return KITH_PERM;
	body = db_prepare(db, "SELECT raw, body FROM posts WHERE id=?");
	if (body == NULL)
		return KITH_PERM;
	db_bind(body, "i", id);
	if (sqlite3_step(body) == SQLITE_ROW) {
		if (raw) {
			*rawlen = (size_t)sqlite3_column_bytes(body, 0);
			*raw = xmalloc(*rawlen + 1);
			memcpy(*raw, sqlite3_column_blob(body, 0), *rawlen);
			(*raw)[*rawlen] = '\0';
		}
		if (text)
			*text = db_col_text(body, 1);
	}
	sqlite3_finalize(body);
	return KITH_OK;
}

/* mboxrd: ">*From " lines get one more '>'; CRLF becomes LF. */
static void
mboxrd_body(FILE *out, const char *raw, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(raw + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - raw) : len, n = end - i, k = 0;

		if (n && raw[end - 1] == '\r')
			n--;
		while (k < n && raw[i + k] == '>')
			k++;
		if (n - k >= 5 && !strncmp(raw + i + k, "From ", 5))
			fputc('>', out);
		fwrite(raw + i, 1, n, out);
		fputc('\n', out);
		i = end + 1;
	}
}

int
archive_export_mbox(sqlite3 *db, int64_t list_id, FILE *out)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT sender, received, raw FROM "
	    "posts WHERE list_id=? AND archived ORDER BY num");
	int rc;

	if (st == NULL)
		return KITH_PERM;
	db_bind(st, "i", list_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *sender = sqlite3_column_text(st, 0);
		time_t t = (time_t)sqlite3_column_int64(st, 1);
		char date[64];
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
		fprintf(out, "From %s %s\n", sender && *sender ?
		    (const char *)sender : "MAILER-DAEMON", date);
		mboxrd_body(out, sqlite3_column_blob(st, 2),
		    (size_t)sqlite3_column_bytes(st, 2));
		fputc('\n', out);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? KITH_OK : db_status(rc);
}

/* A Message-ID for a message that has none: the same bytes, the same id,
 * so that importing twice stores it once. */
static char *
import_message_id(const char *raw, size_t len)
{
	unsigned char md[32];
	char hex[33];

	SHA256((const unsigned char *)raw, len, md);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return xasprintf("kith-import-%s@invalid", hex);
}

enum archive_add
archive_add_old(sqlite3 *db, int64_t list_id, const char *raw, size_t len,
    int64_t fallback_date, int64_t *post_id)
{
	struct message m;
	char err[256];
	char *mid;
	int seen, st;

	if (message_parse(&m, raw, len, err, sizeof(err)) != 0)
		return ARCHIVE_UNREADABLE;
	mid = *m.message_id ? xstrdup(m.message_id) :
	    import_message_id(raw, len);
	seen = archive_seen(db, list_id, mid);
	if (seen != 0) {
		free(mid);
		message_release(&m);
		return seen > 0 ? ARCHIVE_DUPLICATE : ARCHIVE_ERROR;
	}
	st = archive_store_at(db, list_id, &m, mid, 1, m.date ? m.date :
	    fallback_date, post_id);
	free(mid);
	message_release(&m);
	return st == KITH_OK ? ARCHIVE_ADDED : ARCHIVE_ERROR;
}
