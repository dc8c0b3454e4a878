/* journal - per-worker append-only records of accepted deliveries. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "kith/db.h"
#include "kith/journal.h"
#include "kith/log.h"
#include "kith/util.h"

struct journal {
	int fd;
	char *path;
	const char *name;	/* the base name, in path */
	off_t reserved;		/* bytes journal_reserve took, from 0 */
};

/* The longest line journal_sent writes: an int64's digits, '-', '\n'. */
#define LINE_MAX_BYTES 21

struct journal *
journal_open(const char *dir)
{
	char *hex = random_hex(4), *path, *tmp;
	struct journal *j;
	int fd;

	/* In a shared data directory every delivering user recovers every
	 * other's journals: the directory and the files are the group's. */
	if (mkdir_p(dir, 0750) < 0 || share_like_parent(dir, 02770) < 0) {
		log_error("journal: cannot create '%s': %s", dir, strerror(errno));
		free(hex);
		return NULL;
	}
	path = xasprintf("%s/deliver.%ld.%s", dir, (long)getpid(), hex);
	tmp = xasprintf("%s/new.%ld.%s", dir, (long)getpid(), hex);
	free(hex);
	/*
	 * Locked before it gets its name: journal_recover() only looks at
	 * "deliver.*", so it never mistakes a journal being born for one
	 * whose worker died.
	 */
	fd = open(tmp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 ||
	    share_like_parent(tmp, 0640) < 0 || rename(tmp, path) < 0) {
		log_error("journal: cannot open '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		free(tmp);
		free(path);
		return NULL;
	}
	free(tmp);
	j = xcalloc(1, sizeof(*j));
	j->fd = fd;
	j->path = path;
	j->name = strrchr(path, '/') + 1;
	return j;
}

const char *
journal_name(const struct journal *j)
{
	return j ? j->name : "";
}

int
journal_sent(struct journal *j, int64_t row_id)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%lld\n", (long long)row_id);

	/* One write: a reader never sees half a line of a finished write. */
	return write(j->fd, line, (size_t)n) == n ? 0 : -1;
}

/*
 * reserve - the file's blocks for bytes from at taken now, its size
 * unchanged (a reader sees only the lines written).  A file system that
 * cannot reserve counts as room: journal_sent's own failure is the
 * fallback there.
 */
static int
reserve(int fd, off_t at, off_t bytes)
{
#ifdef FALLOC_FL_KEEP_SIZE
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, at, bytes) < 0 &&
	    errno != EOPNOTSUPP && errno != ENOSYS)
		return -1;
#else
	(void)fd;
	(void)at;
	(void)bytes;
#endif
	return 0;
}

int
journal_reserve(struct journal *j, size_t rows)
{
	off_t at = lseek(j->fd, 0, SEEK_END);

	if (at < 0)
		return -1;
	j->reserved = at + (off_t)rows * LINE_MAX_BYTES;
	return reserve(j->fd, at, (off_t)rows * LINE_MAX_BYTES);
}

void
journal_reset(struct journal *j)
{
	/* emptied, the file keeps its room for the rest of the batch */
	if (ftruncate(j->fd, 0) < 0 ||
	    (j->reserved && reserve(j->fd, 0, j->reserved) < 0))
		log_warn("journal: cannot empty '%s': %s", j->path,
		    strerror(errno));
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	unlink(j->path);
	close(j->fd);
	free(j->path);
	free(j);
}

void
journal_abandon(struct journal *j)
{
	if (j == NULL)
		return;
	close(j->fd);
	free(j->path);
	free(j);
}

/* Mark the rows listed in one dead worker's journal as sent. */
static int
recover_file(struct db *db, const char *path, int fd)
{
	struct db_stmt *st = db_prepare(db, "UPDATE outbox SET state='sent', "
	    "lease_until=0, last_code=250, last_text='accepted (recovered "
	    "from a delivery journal)', updated=? WHERE id=? AND "
	    "state='sending'");
	struct buf b;
	char *line, *save = NULL;
	int n = 0;

	if (st == NULL)
		return -1;
	buf_init(&b);
	if (buf_read_fd(&b, fd) < 0) {
		log_warn("journal: cannot read '%s': %s", path, strerror(errno));
		db_finalize(st);
		buf_release(&b);
		return 0;
	}
	/* A last line without its "\n" is a torn write: "12" of "123". */
	while (b.len > 0 && b.data[b.len - 1] != '\n')
		b.data[--b.len] = '\0';
	for (line = b.len ? strtok_r(b.data, "\n", &save) : NULL; line;
	    line = strtok_r(NULL, "\n", &save)) {
		char *end;
		long long id = strtoll(line, &end, 10);

		if (*end != '\0' || id <= 0)
			continue;	/* a torn last line */
		db_reset(st);
		db_bind(st, "ii", now_utc(), (int64_t)id);
		if (db_step(st) != DB_DONE) {
			n = -1;
			break;
		}
		n += db_changes(db);
	}
	db_finalize(st);
	buf_release(&b);
	return n;
}

/*
 * release_claims - the rows the dead worker name still held go back to
 * the queue now rather than when their lease runs out.  The count, or -1.
 */
static int
release_claims(struct db *db, const char *name)
{
	if (db_exec(db, "UPDATE outbox SET lease_until=0, claimed_by='' WHERE "
	    "state='sending' AND claimed_by=?", "t", name) != KITH_OK)
		return -1;
	return db_changes(db);
}

int
journal_recover(struct db *db, const char *dir, struct journal_recovery *rec)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int total = 0;

	memset(rec, 0, sizeof(*rec));
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char *path;
		int fd, n, released;

		if (strncmp(e->d_name, "deliver.", 8))
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		/* A lock we can take belongs to nobody: its worker is gone. */
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (fd >= 0)
				close(fd);
			free(path);
			continue;
		}
		rec->paths = xrealloc(rec->paths, (rec->n + 1) * sizeof(char *));
		rec->fds = xrealloc(rec->fds, (rec->n + 1) * sizeof(int));
		rec->paths[rec->n] = path;
		rec->fds[rec->n++] = fd;
		n = recover_file(db, path, fd);
		released = n < 0 ? -1 : release_claims(db, e->d_name);
		if (n < 0 || released < 0) {
			total = -1;
			break;
		}
		if (n > 0)
			log_info("journal: %d deliveries of a stopped run "
			    "recorded as sent", n);
		if (released > 0)
			log_info("journal: %d messages a stopped run held go "
			    "back to the queue", released);
		total += n;
	}
	closedir(d);
	return total;
}

void
journal_recovery_finish(struct journal_recovery *rec, int committed)
{
	for (size_t i = 0; i < rec->n; i++) {
		if (committed)
			unlink(rec->paths[i]);
		close(rec->fds[i]);
		free(rec->paths[i]);
	}
	free(rec->paths);
	free(rec->fds);
	memset(rec, 0, sizeof(*rec));
}
