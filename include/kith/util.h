/*
 * util - allocation that never fails, a growable byte buffer, small string
 * helpers and the status codes shared by every module.
 *
 * Allocation failure is fatal (the process prints one line and exits 75 so
 * that the MTA retries).  Everything returned by x*() is freed with free().
 */
#ifndef KITH_UTIL_H
#define KITH_UTIL_H

#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>

/* Three-valued outcome of anything that touches delivery. */
enum kith_status {
	KITH_OK = 0,
	KITH_TEMP = 1,		/* try again later (4xx, busy, disk full) */
	KITH_PERM = 2		/* will never work (5xx, bad input) */
};

/* sysexits(3) codes, spelled out so that no module needs <sysexits.h>. */
enum {
	EX_OK_ = 0, EX_USAGE_ = 64, EX_DATAERR_ = 65, EX_NOINPUT_ = 66,
	EX_NOUSER_ = 67, EX_SOFTWARE_ = 70, EX_OSERR_ = 71, EX_CANTCREAT_ = 73,
	EX_IOERR_ = 74, EX_TEMPFAIL_ = 75, EX_NOPERM_ = 77, EX_CONFIG_ = 78
};

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer, always NUL-terminated. Embedded: buf_init/buf_release. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the bytes to the caller (free() them); b is empty afterwards. */
char *buf_detach(struct buf *b, size_t *len);

/* Read all of fd into b; 0 or -1 (errno set). */
int buf_read_fd(struct buf *b, int fd);
/* The same, but -1 with errno EFBIG once more than max bytes came
 * (then b holds max + 1 bytes; the rest is left unread in fd). */
int buf_read_fd_max(struct buf *b, int fd, size_t max);
/* Read a whole file; 0 or -1 (errno set). */
int buf_read_file(struct buf *b, const char *path);

/* Lower-case ASCII in place; returns s. */
char *str_lower(char *s);
/* Strip leading and trailing ASCII white space in place; returns s. */
char *str_trim(char *s);
int str_casestarts(const char *s, const char *prefix);
/* Case-insensitive search of needle in the first n bytes of hay. */
const char *mem_casestr(const char *hay, size_t n, const char *needle);

/* Write all bytes, then fsync; 0 or -1. */
int write_all(int fd, const void *data, size_t n);
/* Write data to path atomically (tmp file, fsync, rename, fsync dir). */
int file_write_atomic(const char *path, const void *data, size_t n, int mode);
/* mkdir -p with mode; 0 or -1. */
int mkdir_p(const char *path, int mode);

/*
 * Shared data directories.  A data directory that is group-writable is
 * shared by the users of its group (the MTA's pipe user and the cron
 * user, README): everything Kith makes in it must work for all of them.
 *
 * dir_shared - 1 when dir is a group-writable directory (*gid its group,
 * when gid is not NULL), else 0.
 */
int dir_shared(const char *dir, gid_t *gid);
/*
 * share_like_parent - when the directory holding path is shared and this
 * user owns path, give path that directory's group and mode (0660 data,
 * 0640 secrets, 02770 directories).  0 (also when there is nothing to
 * do), or -1 with errno when chown or chmod failed.
 */
int share_like_parent(const char *path, int mode);

/* Random bytes from the kernel (OpenSSL RAND_bytes); 0 or -1. */
int random_bytes(void *out, size_t n);
/* n random bytes as lower-case hex; caller frees. */
char *random_hex(size_t n);

/* Seconds since the epoch. */
int64_t now_utc(void);

#endif
