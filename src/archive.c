/* archive - store, thread, search, export. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/sha.h>

#include "kith/archive.h"
#include "kith/db.h"
#include "kith/log.h"
#include "kith/subject.h"
#include "kith/util.h"

void
post_release(struct post *p)
{
	free(p->message_id);
	free(p->sender);
	free(p->sender_name);
	free(p->subject);
	free(p->in_reply_to);
	memset(p, 0, sizeof(*p));
}

/* The next free id of posts, or number in one list: a removed post's
 * (posts_removed) is never given again, its permalink stays its own. */
#define NEXT_ID "(SELECT coalesce(max(n), 0) + 1 FROM (SELECT max(id) AS " \
	"n FROM posts UNION ALL SELECT max(id) FROM posts_removed) AS ids)"
#define NEXT_NUM "(SELECT coalesce(max(n), 0) + 1 FROM (SELECT max(num) " \
	"AS n FROM posts WHERE list_id=?1 UNION ALL SELECT max(num) FROM " \
	"posts_removed WHERE list_id=?1) AS nums)"

/*
 * The statements storing a post needs, kept prepared on the connection
 * (db_cached): preparing the insert compiles every trigger on posts, and
 * a post asked for a writer twice (archive_seen, archive_store); that
 * was half of the LMTP committer's instructions.
 */
struct archive_writer {
	struct db *db;
	struct db_stmt *seen, *parent, *insert;
	int threaded;		/* the last post stored joined a thread */
};

struct archive_writer *
archive_writer_new(struct db *db)
{
	struct archive_writer *w = xcalloc(1, sizeof(*w));

	w->db = db;
	w->seen = db_cached(db, "SELECT count(*) FROM posts WHERE list_id=? "
	    "AND message_id=?");
	w->parent = db_cached(db, "SELECT thread_id FROM posts WHERE "
	    "list_id=? AND message_id=?");
	/*
	 * The id is chosen here so that a new thread's id (its first
	 * post's) goes in with the row: updating it afterwards would read
	 * and write the whole raw message a second time.
	 */
	w->insert = db_cached(db, "INSERT INTO posts(id, list_id, num, "
	    "message_id, in_reply_to, thread_id, sender, sender_name, subject, "
	    "date, received, size, archived, raw, body, parts) VALUES ("
	    NEXT_ID ", ?1, " NEXT_NUM ", ?2, ?3, coalesce(nullif(?4, 0), "
	    NEXT_ID "), ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
	    "RETURNING id");
	if (w->seen == NULL || w->parent == NULL || w->insert == NULL) {
		archive_writer_free(w);
		return NULL;
	}
	return w;
}

void
archive_writer_free(struct archive_writer *w)
{
	if (w == NULL)
		return;
	db_cached_done(w->seen);
	db_cached_done(w->parent);
	db_cached_done(w->insert);
	free(w);
}

/* Step st once (bound): its first column, def without a row; reset. */
static int64_t
step_int(struct db_stmt *st, int64_t def, int *status)
{
	int rc = db_step(st);
	int64_t v = def;

	if (rc == DB_ROW && db_col_type(st, 0) != DB_NULL)
		v = db_col_int64(st, 0);
	*status = db_status(rc);
	db_reset(st);
	db_clear_bindings(st);
	return v;
}

int
archive_writer_seen(struct archive_writer *w, int64_t list_id,
    const char *message_id)
{
	int st;
	int64_t n;

	db_bind(w->seen, "it", list_id, message_id);
	n = step_int(w->seen, 0, &st);
	return st != KITH_OK ? -1 : n > 0;
}

int
archive_seen(struct db *db, int64_t list_id, const char *message_id)
{
	struct archive_writer *w = archive_writer_new(db);
	int r = w ? archive_writer_seen(w, list_id, message_id) : -1;

	archive_writer_free(w);
	return r;
}

/* Thread of the nearest known ancestor, or 0. */
static int64_t
parent_thread(struct archive_writer *w, int64_t list_id,
    const struct message *m)
{
	char *refs = xasprintf("%s %s", m->in_reply_to, m->references);
	int64_t thread = 0;
	int st;
	char *save = NULL;

	/* In-Reply-To first, then References from the newest back. */
	for (char *id = strtok_r(refs, " ", &save); id && !thread;
	    id = strtok_r(NULL, " ", &save)) {
		db_bind(w->parent, "it", list_id, id);
		thread = step_int(w->parent, 0, &st);
	}
	free(refs);
	return thread;
}

int
archive_writer_store(struct archive_writer *w, int64_t list_id,
    const struct message *m, const char *message_id, int searchable,
    int64_t received, int64_t *post_id)
{
	int64_t thread = parent_thread(w, list_id, m);
	/* made already when the message was parsed on another thread */
	char *own = m->parts ? NULL : archive_parts(m->raw, m->len);
	const char *parts = m->parts ? m->parts : own;
	int rc;

	w->threaded = thread != 0;
	/* raw and text are bound without a copy: they outlive the step */
	rc = db_bind_int64(w->insert, 1, list_id);
	if (rc == DB_OK)
		rc = db_bind_text(w->insert, 2, message_id, -1);
	if (rc == DB_OK) {
		db_bind_text(w->insert, 3, m->in_reply_to, -1);
		db_bind_int64(w->insert, 4, thread);
		db_bind_text(w->insert, 5, m->from_addr, -1);
		db_bind_text(w->insert, 6, m->from_name, -1);
		db_bind_text(w->insert, 7, m->subject, -1);
		db_bind_int64(w->insert, 8, m->date ? m->date : received);
		db_bind_int64(w->insert, 9, received);
		db_bind_int64(w->insert, 10, (int64_t)m->len);
		db_bind_int(w->insert, 11, searchable);
		db_bind_blob(w->insert, 12, m->raw, (int)m->len);
		db_bind_text(w->insert, 13, m->text, -1);
		rc = db_bind_text(w->insert, 14, parts, -1);
	}
	*post_id = 0;
	if (rc == DB_OK) {
		while ((rc = db_step(w->insert)) == DB_ROW)
			*post_id = db_col_int64(w->insert, 0);
	}
	if (rc != DB_DONE)
		log_warn("database: %s", db_errmsg(w->db));
	db_reset(w->insert);
	db_clear_bindings(w->insert);
	free(own);
	if (rc != DB_DONE)
		return db_status(rc) == KITH_OK ? KITH_PERM : db_status(rc);
	return KITH_OK;
}

int
archive_writer_threaded(const struct archive_writer *w)
{
	return w->threaded;
}

int
archive_store_at(struct db *db, int64_t list_id, const struct message *m,
    const char *message_id, int searchable, int64_t received,
    int64_t *post_id)
{
	struct archive_writer *w = archive_writer_new(db);
	int st = w ? archive_writer_store(w, list_id, m, message_id,
	    searchable, received, post_id) : KITH_PERM;

	archive_writer_free(w);
	return st;
}

int
archive_store(struct db *db, int64_t list_id, const struct message *m,
    const char *message_id, int searchable, int64_t *post_id)
{
	return archive_store_at(db, list_id, m, message_id, searchable,
	    now_utc(), post_id);
}

int
archive_thread_merge(struct db *db, int64_t list_id, int64_t from, int64_t into)
{
	int st = db_exec(db, "UPDATE posts SET thread_id=? WHERE thread_id=? "
	    "AND list_id=?", "iii", into, from, list_id);

	if (st == KITH_OK)
		st = db_exec(db, "DELETE FROM threads WHERE id IN (?, ?)", "ii",
		    from, into);
	if (st == KITH_OK)
		st = db_exec(db, "INSERT INTO threads(id, list_id, first_post, "
		    "posts, started, last) SELECT ?1, ?2, (SELECT q.id FROM "
		    "posts q WHERE q.thread_id=?1 AND q.archived<>0 ORDER BY "
		    "q.received, q.id LIMIT 1), count(*), min(received), "
		    "max(received) FROM posts WHERE thread_id=?1 AND "
		    "archived<>0 HAVING count(*) > 0", "ii", into, list_id);
	return st;
}

const char *
archive_safe_image(const char *type, const char *data, size_t len)
{
	const unsigned char *d = (const unsigned char *)data;

	if (!strcasecmp(type, "image/png") && len > 8 &&
	    !memcmp(d, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if ((!strcasecmp(type, "image/jpeg") || !strcasecmp(type,
	    "image/jpg")) && len > 3 && d[0] == 0xff && d[1] == 0xd8 &&
	    d[2] == 0xff)
		return "image/jpeg";
	if (!strcasecmp(type, "image/gif") && len > 6 && (!memcmp(d, "GIF87a",
	    6) || !memcmp(d, "GIF89a", 6)))
		return "image/gif";
	if (!strcasecmp(type, "image/webp") && len > 12 && !memcmp(d, "RIFF",
	    4) && !memcmp(d + 8, "WEBP", 4))
		return "image/webp";
	return NULL;
}

struct parts_walk {
	struct buf b;
	const char *raw;
	size_t len;
	int n;
};

static void
part_line(const char *name, const char *type, size_t size, void *ctx)
{
	struct parts_walk *w = ctx;
	char *pname = NULL, *ptype = NULL, *data = NULL;
	size_t dlen = 0;

	w->n++;
	/* a picture is recorded as one only when its bytes say so */
	if (!strncasecmp(type, "image/", 6)) {
		data = message_attachment(w->raw, w->len, w->n, &pname, &ptype,
		    &dlen);
		if (data == NULL || archive_safe_image(type, data, dlen) == NULL)
			type = "application/octet-stream";
	}
	buf_addf(&w->b, "%s\t%zu\t", type, size);
	for (const char *p = name; *p; p++)
		buf_addc(&w->b, *p == '\t' || *p == '\r' || *p == '\n' ? ' ' :
		    *p);
	buf_addc(&w->b, '\n');
	free(data);
	free(pname);
	free(ptype);
}

char *
archive_parts(const char *raw, size_t len)
{
	struct parts_walk w;

	memset(&w, 0, sizeof(w));
	buf_init(&w.b);
	w.raw = raw;
	w.len = len;
	message_attachments(raw, len, part_line, &w);
	return w.b.data ? buf_detach(&w.b, NULL) : xstrdup("");
}

/* The list's subject prefix comes along: subjects are shown without it. */
#define POST_FIELDS "p.id, p.num, p.thread_id, p.date, p.size, " \
	"p.message_id, p.sender, p.sender_name, p.subject, (SELECT s.value " \
	"FROM list_settings s WHERE s.list_id=p.list_id AND " \
	"s.key='subject_prefix'), p.received, p.in_reply_to"
#define NPOST_FIELDS 12
#define POST_COLUMNS "SELECT " POST_FIELDS " FROM posts p "

/* The POST_FIELDS of st from column at on into p. */
static void
post_from_row_at(struct db_stmt *st, int at, struct post *p)
{
	const char *prefix = db_col_str(st, at + 9);

	p->id = db_col_int64(st, at);
	p->num = db_col_int64(st, at + 1);
	p->thread_id = db_col_int64(st, at + 2);
	p->date = db_col_int64(st, at + 3);
	p->size = db_col_int64(st, at + 4);
	p->message_id = db_col_text(st, at + 5);
	p->sender = db_col_text(st, at + 6);
	p->sender_name = db_col_text(st, at + 7);
	p->subject = subject_clean(db_col_str(st,
	    at + 8), prefix ? prefix : "");
	p->received = db_col_int64(st, at + 10);
	p->in_reply_to = db_col_text(st, at + 11);
}

static void
post_from_row(struct db_stmt *st, struct post *p)
{
	post_from_row_at(st, 0, p);
}

static int
posts_run(struct db_stmt *st, int (*fn)(const struct post *, void *), void *ctx)
{
	int rc;

	while ((rc = db_step(st)) == DB_ROW) {
		struct post p;
		int stop;

		post_from_row(st, &p);
		stop = fn(&p, ctx);
		post_release(&p);
		if (stop)
			break;
	}
	db_finalize(st);
	return rc == DB_ROW || rc == DB_DONE ? KITH_OK : db_status(rc);
}

int
archive_foreach(struct db *db, int64_t list_id,
    int (*fn)(const struct post *, void *), void *ctx)
{
	struct db_stmt *st = db_prepare(db, POST_COLUMNS
	    "WHERE p.list_id=? AND p.archived<>0 ORDER BY p.num");

	if (st == NULL)
		return KITH_PERM;
	db_bind(st, "i", list_id);
	return posts_run(st, fn, ctx);
}

int
archive_get(struct db *db, int64_t id, struct post *p, char **raw,
    size_t *rawlen, char **text)
{
	struct db_stmt *st = db_prepare(db, POST_COLUMNS "WHERE "
	    "p.id=? AND p.archived<>0");
	struct db_stmt *body;
	int found = 0;

	memset(p, 0, sizeof(*p));
	if (st == NULL)
		return KITH_PERM;
	db_bind(st, "i", id);
	if (db_step(st) == DB_ROW) {
		post_from_row(st, p);
		found = 1;
	}
	db_finalize(st);
	if (!found)
		return KITH_PERM;
	body = db_prepare(db, "SELECT raw, body FROM posts WHERE id=?");
	if (body == NULL)
		return KITH_PERM;
	db_bind(body, "i", id);
	if (db_step(body) == DB_ROW) {
		if (raw) {
			*rawlen = (size_t)db_col_bytes(body, 0);
			*raw = xmalloc(*rawlen + 1);
			memcpy(*raw, db_col_blob(body, 0), *rawlen);
			(*raw)[*rawlen] = '\0';
		}
		if (text)
			*text = db_col_text(body, 1);
	}
	db_finalize(body);
	return KITH_OK;
}

/* mboxrd: ">*From " lines get one more '>'; CRLF becomes LF. */
static void
mboxrd_body(struct buf *out, const char *raw, size_t len)
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
			buf_addc(out, '>');
		buf_add(out, raw + i, n);
		buf_addc(out, '\n');
		i = end + 1;
	}
}

/* One message of an mbox: the From_ line, the escaped bytes, a blank. */
static void
mbox_message(struct buf *out, struct db_stmt *st)
{
	const char *sender = db_col_str(st, 0);
	time_t t = (time_t)db_col_int64(st, 1);
	char date[64];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
	buf_addf(out, "From %s %s\n", sender && *sender ?
	    (const char *)sender : "MAILER-DAEMON", date);
	mboxrd_body(out, db_col_blob(st, 2),
	    (size_t)db_col_bytes(st, 2));
	buf_addc(out, '\n');
}

int
archive_export_mbox(struct db *db, int64_t list_id, FILE *out)
{
	struct db_stmt *st = db_prepare(db, "SELECT sender, received, raw FROM "
	    "posts WHERE list_id=? AND archived<>0 ORDER BY num");
	struct buf b;
	int rc;

	if (st == NULL)
		return KITH_PERM;
	buf_init(&b);
	db_bind(st, "i", list_id);
	while ((rc = db_step(st)) == DB_ROW) {
		buf_reset(&b);
		mbox_message(&b, st);
		fwrite(b.data, 1, b.len, out);
	}
	buf_release(&b);
	db_finalize(st);
	return rc == DB_DONE ? KITH_OK : db_status(rc);
}

/* Every row of st (bound) as mboxrd into out, at most max bytes. */
static int
mbox_rows(struct db_stmt *st, struct buf *out, size_t max)
{
	int rc;

	while ((rc = db_step(st)) == DB_ROW) {
		if (out->len + (size_t)db_col_bytes(st, 2) > max) {
			db_finalize(st);
			return KITH_PERM;
		}
		mbox_message(out, st);
	}
	db_finalize(st);
	return rc == DB_DONE ? KITH_OK : db_status(rc);
}

int
archive_mbox_thread(struct db *db, int64_t list_id, int64_t thread_id,
    struct buf *out, size_t max)
{
	/* "+": by the thread's index, never by walking the whole list's */
	struct db_stmt *st = db_prepare(db, "SELECT sender, received, raw FROM "
	    "posts WHERE thread_id=? AND +list_id=? AND archived<>0 ORDER BY "
	    "received, id");

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ii", thread_id, list_id);
	return mbox_rows(st, out, max);
}

int
archive_mbox_range(struct db *db, int64_t list_id, int64_t from, int64_t to,
    struct buf *out, size_t max)
{
	struct db_stmt *st = db_prepare(db, "SELECT sender, received, raw FROM "
	    "posts WHERE list_id=? AND received>=? AND received<? AND "
	    "archived<>0 ORDER BY received, id");

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "iii", list_id, from, to);
	return mbox_rows(st, out, max);
}

/* ---- the web archive's reads ---- */

void
thread_info_release(struct thread_info *t)
{
	post_release(&t->first);
	memset(t, 0, sizeof(*t));
}

#define THREAD_COLUMNS "SELECT t.id, t.posts, t.started, t.last, " \
	POST_FIELDS " FROM threads t JOIN posts p ON p.id=t.first_post "

static void
thread_from_row(struct db_stmt *st, struct thread_info *t)
{
	memset(t, 0, sizeof(*t));
	t->id = db_col_int64(st, 0);
	t->posts = db_col_int64(st, 1);
	t->started = db_col_int64(st, 2);
	t->last = db_col_int64(st, 3);
	post_from_row_at(st, 4, &t->first);
}

int
archive_threads(struct db *db, int64_t list_id, int by_start, int limit,
    int offset, int (*fn)(const struct thread_info *, void *), void *ctx)
{
	struct db_stmt *st = db_cached(db, by_start ? THREAD_COLUMNS
	    "WHERE t.list_id=? ORDER BY t.started DESC, t.id DESC LIMIT ? "
	    "OFFSET ?" : THREAD_COLUMNS "WHERE t.list_id=? ORDER BY t.last "
	    "DESC, t.id DESC LIMIT ? OFFSET ?");
	int rc;

	if (st == NULL)
		return KITH_TEMP;
	/* all of them: a bound as large as can be (sqlite's LIMIT -1 is an
	 * error in PostgreSQL) */
	db_bind(st, "iiI", list_id, limit < 0 ? INT64_MAX : (int64_t)limit,
	    offset);
	while ((rc = db_step(st)) == DB_ROW) {
		struct thread_info t;
		int stop;

		thread_from_row(st, &t);
		stop = fn(&t, ctx);
		thread_info_release(&t);
		if (stop)
			break;
	}
	db_cached_done(st);
	return rc == DB_ROW || rc == DB_DONE ? KITH_OK : db_status(rc);
}

int64_t
archive_thread_count(struct db *db, int64_t list_id)
{
	int st;
	int64_t n = db_int(db, 0, &st, "SELECT count(*) FROM threads WHERE "
	    "list_id=?", "i", list_id);

	return st == KITH_OK ? n : -1;
}

int
archive_thread_get(struct db *db, int64_t list_id, int64_t thread_id,
    struct thread_info *t)
{
	struct db_stmt *st = db_cached(db, THREAD_COLUMNS "WHERE t.id=? AND "
	    "t.list_id=?");
	int rc;

	memset(t, 0, sizeof(*t));
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ii", thread_id, list_id);
	rc = db_step(st);
	if (rc == DB_ROW)
		thread_from_row(st, t);
	db_cached_done(st);
	return rc == DB_ROW ? KITH_OK : rc == DB_DONE ? KITH_PERM :
	    db_status(rc);
}

int
archive_months(struct db *db, int64_t list_id,
    int (*fn)(int month, int64_t posts, void *), void *ctx)
{
	struct db_stmt *st = db_cached(db, "SELECT month, posts FROM "
	    "archive_months WHERE list_id=? AND posts>0 ORDER BY month DESC");
	int rc;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", list_id);
	while ((rc = db_step(st)) == DB_ROW)
		if (fn((int)db_col_int64(st, 0),
		    db_col_int64(st, 1), ctx))
			break;
	db_cached_done(st);
	return rc == DB_ROW || rc == DB_DONE ? KITH_OK : db_status(rc);
}

/* Each row of st (POST_FIELDS, then body and parts) to fn; rows seen. */
static int
text_rows(struct db_stmt *st, int (*fn)(const struct post_text *, void *),
    void *ctx, int *rows)
{
	int rc;

	*rows = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		struct post_text t;
		int stop;

		post_from_row(st, &t.p);
		t.body = db_col_str(st, NPOST_FIELDS);
		t.parts = db_col_str(st,
		    NPOST_FIELDS + 1);
		if (t.body == NULL)
			t.body = "";
		(*rows)++;
		stop = fn(&t, ctx);
		post_release(&t.p);
		if (stop)
			break;
	}
	db_cached_done(st);
	return rc == DB_ROW || rc == DB_DONE ? KITH_OK : db_status(rc);
}

int
archive_thread_posts(struct db *db, int64_t list_id, int64_t thread_id,
    int (*fn)(const struct post_text *, void *), void *ctx)
{
	/* "+": by the thread's index, never by walking the whole list's */
	struct db_stmt *st = db_cached(db, "SELECT " POST_FIELDS ", p.body, "
	    "p.parts FROM posts p WHERE p.thread_id=? AND +p.list_id=? AND "
	    "p.archived<>0 ORDER BY p.received, p.id");
	int rows;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ii", thread_id, list_id);
	return text_rows(st, fn, ctx, &rows);
}

int
archive_range_posts(struct db *db, int64_t list_id, int64_t from, int64_t to,
    int text, int (*fn)(const struct post_text *, void *), void *ctx)
{
	struct db_stmt *st = db_cached(db, text ? "SELECT " POST_FIELDS ", "
	    "p.body, p.parts FROM posts p WHERE p.list_id=? AND "
	    "p.received>=? AND p.received<? AND p.archived<>0 ORDER BY "
	    "p.received, p.id" : "SELECT " POST_FIELDS ", '', p.parts FROM "
	    "posts p WHERE p.list_id=? AND p.received>=? AND p.received<? "
	    "AND p.archived<>0 ORDER BY p.received, p.id");
	int rows;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "iii", list_id, from, to);
	return text_rows(st, fn, ctx, &rows);
}

int
archive_find(struct db *db, int64_t list_id, const char *message_id,
    int (*fn)(const struct post_text *, void *), void *ctx)
{
	struct db_stmt *st = db_cached(db, "SELECT " POST_FIELDS ", p.body, "
	    "p.parts FROM posts p WHERE p.list_id=? AND p.message_id=? AND "
	    "p.archived<>0");
	int rows, rc;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "it", list_id, message_id);
	rc = text_rows(st, fn, ctx, &rows);
	return rc == KITH_OK && rows == 0 ? KITH_PERM : rc;
}

int
archive_raw(struct db *db, int64_t id, struct buf *out)
{
	struct db_stmt *st = db_cached(db, "SELECT raw FROM posts WHERE id=? "
	    "AND archived<>0");
	int rc;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", id);
	rc = db_step(st);
	if (rc == DB_ROW)
		buf_add(out, db_col_blob(st, 0),
		    (size_t)db_col_bytes(st, 0));
	db_cached_done(st);
	return rc == DB_ROW ? KITH_OK : rc == DB_DONE ? KITH_PERM :
	    db_status(rc);
}

char *
archive_import_message_id(const char *raw, size_t len)
{
	unsigned char md[32];
	char hex[33];

	SHA256((const unsigned char *)raw, len, md);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return xasprintf("kith-import-%s@invalid", hex);
}

enum archive_add
archive_add_old(struct db *db, int64_t list_id, const char *raw, size_t len,
    int64_t fallback_date, int64_t *post_id)
{
	struct message m;
	char err[256];
	char *mid;
	int seen, st;

	if (message_parse(&m, raw, len, err, sizeof(err)) != 0)
		return ARCHIVE_UNREADABLE;
	mid = *m.message_id ? xstrdup(m.message_id) :
	    archive_import_message_id(raw, len);
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
