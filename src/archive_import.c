/* archive_import - mbox files and mlmmj archives into a list's archive. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kith/archive.h"
#include "kith/archive_import.h"
#include "kith/db.h"
#include "kith/log.h"
#include "kith/message.h"
#include "kith/util.h"

#define DEFAULT_BATCH 2000
#define DAY 86400
#define EARLIEST 315532800	/* 1980-01-01: older dates are misread */

/* A reply archived before what it answers: looked for again at the end. */
struct orphan {
	int64_t post_id;
	char *refs;		/* In-Reply-To and References */
};

struct importer {
	struct db *db;
	struct archive_writer *aw;
	int64_t list_id;
	const struct import_opts *o;
	struct import_counts *c;
	int in_tx, batch;
	struct orphan *orphans;
	size_t norphans, cap;
	char *err;
	size_t errlen;
	int64_t batch_before;	/* the list's newest post when it began */
};

int64_t
mbox_from_date(const char *line, size_t n)
{
	static const char *const days[] = { "Mon ", "Tue ", "Wed ", "Thu ",
		"Fri ", "Sat ", "Sun ", NULL };
	char buf[128], *end;
	struct tm tm;

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	/* the date follows the sender, which may hold spaces ("a at b") */
	for (char *p = buf + 5; *p; p++) {
		for (int d = 0; days[d]; d++) {
			if (strncmp(p, days[d], 4) || (p > buf && p[-1] != ' '))
				continue;
			memset(&tm, 0, sizeof(tm));
			end = strptime(p, "%a %b %d %H:%M:%S %Y", &tm);
			if (end == NULL) {
				/* "Tue Jan  1 10:00:00 +0100 2008" */
				memset(&tm, 0, sizeof(tm));
				end = strptime(p, "%a %b %d %H:%M:%S %z %Y", &tm);
			}
			if (end)
				return (int64_t)timegm(&tm);
		}
	}
	return 0;
}

/* When the list got it: the Date field unless the From_ line knows
 * better; now when neither has a date. */
static int64_t
received_at(const struct message *m, int64_t from_date, int64_t now)
{
	int64_t d = m->date;

	if (d >= EARLIEST && (from_date == 0 || d <= from_date + DAY))
		return d;
	if (from_date >= EARLIEST)
		return from_date;
	return d > 0 ? d : now;
}

static int
tx_begin(struct importer *im)
{
	int st;

	if (im->in_tx)
		return KITH_OK;
	if ((st = db_begin(im->db)) != KITH_OK) {
		snprintf(im->err, im->errlen, "run the import again to go on: "
		    DB_BUSY_TEXT);
		return st;
	}
	im->in_tx = 1;
	im->batch = 0;
	im->batch_before = db_int(im->db, 0, &st, "SELECT coalesce(max(id), 0) "
	    "FROM posts WHERE list_id=?", "i", im->list_id);
	if (st != KITH_OK) {
		db_rollback(im->db);
		im->in_tx = 0;
		snprintf(im->err, im->errlen, "run the import again to go on: "
		    DB_BUSY_TEXT);
	}
	return st;
}

/*
 * digest_skip - the posts this batch added are old: they stay out of the
 * next digest.  Each kind's digest moves past them when nothing else was
 * waiting for it (what arrived before the batch still goes out, and then
 * the batch with it).  The same rule as kith import's.
 */
static int
digest_skip(struct importer *im)
{
	static const char *const kinds[] = { "daily", "weekly" };
	int st = KITH_OK;

	for (int i = 0; i < 2 && st == KITH_OK; i++)
		st = db_exec(im->db, "INSERT INTO digest_state(list_id, kind, "
		    "last_post) VALUES (?1, ?2, (SELECT max(id) FROM posts "
		    "WHERE list_id=?1)) ON CONFLICT (list_id, kind) DO UPDATE "
		    "SET last_post=excluded.last_post WHERE "
		    "digest_state.last_post>=?3", "iti", im->list_id,
		    kinds[i], im->batch_before);
	return st;
}

static int
tx_commit(struct importer *im)
{
	if (!im->in_tx)
		return KITH_OK;
	if (im->batch > 0 && digest_skip(im) != KITH_OK) {
		db_rollback(im->db);
		im->in_tx = 0;
		snprintf(im->err, im->errlen, "run the import again to go on: "
		    DB_BUSY_TEXT);
		return KITH_TEMP;
	}
	im->in_tx = 0;
	if (db_commit(im->db) != KITH_OK) {
		snprintf(im->err, im->errlen, "cannot commit (disk full?); run "
		    "the import again to go on");
		return KITH_TEMP;
	}
	return KITH_OK;
}

/* One message: archived unless it was already. */
static int
import_one(struct importer *im, const char *raw, size_t len,
    int64_t from_date)
{
	struct message m;
	char err[256], *gen = NULL;
	const char *msgid;
	int64_t id;
	int st, seen;

	im->c->messages++;
	if (message_parse(&m, raw, len, err, sizeof(err)) < 0) {
		log_info("archive: import: message %ld skipped: %s",
		    im->c->messages, err);
		im->c->unreadable++;
		return KITH_OK;
	}
	msgid = *m.message_id ? m.message_id : (gen =
	    archive_import_message_id(raw, len));
	if ((st = tx_begin(im)) != KITH_OK)
		goto done;
	seen = archive_writer_seen(im->aw, im->list_id, msgid);
	if (seen < 0) {
		st = KITH_TEMP;
		goto done;
	}
	if (seen) {
		im->c->duplicates++;
		goto done;
	}
	st = archive_writer_store(im->aw, im->list_id, &m, msgid,
	    im->o->searchable, received_at(&m, from_date, im->o->now), &id);
	if (st != KITH_OK) {
		snprintf(im->err, im->errlen, "message %ld: %s", im->c->messages,
		    db_errmsg(im->db));
		goto done;
	}
	im->c->imported++;
	/* a reply that started a thread of its own: its parent may come */
	if ((*m.in_reply_to || *m.references) && !archive_writer_threaded(
	    im->aw)) {
		if (im->norphans == im->cap) {
			im->cap = im->cap ? im->cap * 2 : 64;
			im->orphans = xrealloc(im->orphans, im->cap *
			    sizeof(*im->orphans));
		}
		im->orphans[im->norphans].post_id = id;
		im->orphans[im->norphans++].refs = xasprintf("%s %s",
		    m.in_reply_to, m.references);
	}
	if (++im->batch >= (im->o->batch > 0 ? im->o->batch : DEFAULT_BATCH))
		st = tx_commit(im);
done:
	free(gen);
	message_release(&m);
	return st;
}

/* The thread of the nearest archived ancestor named in refs, or 0. */
static int64_t
ancestor_thread(struct importer *im, const char *refs, int64_t self)
{
	char *copy = xstrdup(refs), *save = NULL;
	int64_t t = 0;

	for (char *id = strtok_r(copy, " ", &save); id && !t;
	    id = strtok_r(NULL, " ", &save))
		t = db_int(im->db, 0, NULL, "SELECT thread_id FROM posts WHERE "
		    "list_id=? AND message_id=? AND thread_id!=?", "iti",
		    im->list_id, id, self);
	free(copy);
	return t;
}

/* The replies that came before what they answer join its thread. */
static int
rethread(struct importer *im)
{
	int st = KITH_OK;

	for (size_t i = 0; i < im->norphans && st == KITH_OK; i++) {
		int64_t self = im->orphans[i].post_id;
		int64_t into = ancestor_thread(im, im->orphans[i].refs, self);

		if (into == 0)
			continue;
		if ((st = tx_begin(im)) == KITH_OK &&
		    (st = archive_thread_merge(im->db, im->list_id, self,
		    into)) == KITH_OK)
			im->c->rethreaded++;
	}
	if (st == KITH_OK)
		st = tx_commit(im);
	return st;
}

/* importer_init - an importer into list_id, with c zeroed. */
static void
importer_init(struct importer *im, struct db *db, int64_t list_id,
    const struct import_opts *o, struct import_counts *c, char *err,
    size_t errlen)
{
	*im = (struct importer){ .db = db, .list_id = list_id, .o = o, .c = c,
		.err = err, .errlen = errlen };
	memset(c, 0, sizeof(*c));
}

static void
importer_release(struct importer *im)
{
	if (im->in_tx)
		db_rollback(im->db);
	for (size_t i = 0; i < im->norphans; i++)
		free(im->orphans[i].refs);
	free(im->orphans);
	archive_writer_free(im->aw);
}

/* The end: the last batch, the threads, a compact index. */
static int
finish(struct importer *im, int st)
{
	if (st == KITH_OK)
		st = tx_commit(im);
	if (st == KITH_OK)
		st = rethread(im);
	/* one index b-tree instead of one segment per batch: searches read
	 * less; worth it after a large import */
	if (st == KITH_OK && im->c->imported >= 1000 &&
	    db_purge_index(im->db) < 0)
		log_warn("archive: import: the search index was not compacted");
	importer_release(im);
	return st;
}

/* mboxrd: one '>' less before ">From " (mboxo: only before ">From "). */
static void
unquote_line(struct buf *b, const char *line, size_t n, int mboxo)
{
	size_t k = 0;

	while (k < n && line[k] == '>')
		k++;
	if (k > 0 && n - k >= 5 && !strncmp(line + k, "From ", 5) &&
	    (!mboxo || k == 1))
		buf_add(b, line + 1, n - 1);
	else
		buf_add(b, line, n);
}

static int
is_from_line(const char *p, size_t n)
{
	return n >= 5 && !memcmp(p, "From ", 5);
}

int
archive_import_mbox(struct db *db, int64_t list_id, const char *path,
    const struct import_opts *o, struct import_counts *c, char *err,
    size_t errlen)
{
	struct importer im;
	struct stat sb;
	struct buf msg;
	const char *data, *p, *end;
	int64_t from_date = 0;
	int fd, st = KITH_OK, in_msg = 0, blank = 1;

	importer_init(&im, db, list_id, o, c, err, errlen);
	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &sb) < 0) {
		snprintf(err, errlen, "cannot read '%s': %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return KITH_PERM;
	}
	if (sb.st_size == 0) {
		close(fd);
		return KITH_OK;
	}
	data = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED) {
		snprintf(err, errlen, "cannot read '%s': %s", path,
		    strerror(errno));
		return KITH_PERM;
	}
	if (!is_from_line(data, (size_t)sb.st_size)) {
		munmap((void *)data, (size_t)sb.st_size);
		snprintf(err, errlen, "'%s' is not an mbox file (it does not "
		    "start with a \"From \" line)", path);
		return KITH_PERM;
	}
	if ((im.aw = archive_writer_new(db)) == NULL) {
		munmap((void *)data, (size_t)sb.st_size);
		snprintf(err, errlen, "%s", DB_BUSY_TEXT);
		return KITH_TEMP;
	}
	buf_init(&msg);
	end = data + sb.st_size;
	for (p = data; p < end && st == KITH_OK;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t k = n > 0 && p[n - 1] == '\r' ? n - 1 : n;

		/* a message starts at a From_ line after a blank one */
		if (blank && is_from_line(p, k)) {
			if (in_msg)
				st = import_one(&im, msg.data ? msg.data : "",
				    msg.len > 0 ? msg.len - 1 : 0, from_date);
			buf_reset(&msg);
			from_date = mbox_from_date(p, k);
			in_msg = 1;
		} else if (in_msg) {
			unquote_line(&msg, p, k, o->mboxo);
			buf_addc(&msg, '\n');
		}
		blank = k == 0;
		p += n + (nl ? 1 : 0);
	}
	/* the blank line before each From_ line is the mbox's, not the
	 * message's: dropped above (len - 1), and at the very end */
	if (st == KITH_OK && in_msg) {
		size_t len = msg.len;

		while (len >= 2 && msg.data[len - 1] == '\n' &&
		    msg.data[len - 2] == '\n')
			len--;
		st = import_one(&im, msg.data ? msg.data : "", len, from_date);
	}
	buf_release(&msg);
	munmap((void *)data, (size_t)sb.st_size);
	return finish(&im, st);
}

static int
by_number(const struct dirent **a, const struct dirent **b)
{
	long x = atol((*a)->d_name), y = atol((*b)->d_name);

	return x < y ? -1 : x > y;
}

static int
numbered(const struct dirent *e)
{
	const char *p = e->d_name;

	if (!*p)
		return 0;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return 1;
}

int
archive_import_mlmmj(struct db *db, int64_t list_id, const char *dir,
    const struct import_opts *o, struct import_counts *c, char *err,
    size_t errlen)
{
	struct importer im;
	struct dirent **names = NULL;
	int n = scandir(dir, &names, numbered, by_number), st = KITH_OK;

	importer_init(&im, db, list_id, o, c, err, errlen);
	if (n < 0) {
		snprintf(err, errlen, "cannot read the directory '%s': %s", dir,
		    strerror(errno));
		return KITH_PERM;
	}
	if ((im.aw = archive_writer_new(db)) == NULL) {
		snprintf(err, errlen, "%s", DB_BUSY_TEXT);
		st = KITH_TEMP;
	}
	for (int i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]->d_name);
		struct buf b;

		buf_init(&b);
		if (st == KITH_OK && buf_read_file(&b, path) == 0)
			st = import_one(&im, b.data ? b.data : "", b.len, 0);
		else if (st == KITH_OK)
			log_warn("archive: import: cannot read '%s': %s", path,
			    strerror(errno));
		buf_release(&b);
		free(path);
		free(names[i]);
	}
	free(names);
	return finish(&im, st);
}
