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
#include <stdio.h>
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
/*
 * xgrow - array p of *cap elements of size, with room for element n:
 * the capacity doubled (from 8) when n reaches it.  Use as
 * a = xgrow(a, n, &cap, sizeof(*a)); item = &a[n++];
 */
void *xgrow(void *p, size_t n, size_t *cap, size_t size);
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
/* The same for the span s[0..*n) without writing: returns its first
 * byte and shortens *n (white space in header tags, RFC 7489 and 8617). */
const char *str_trim_span(const char *s, size_t *n);
/*
 * web_url_ok - 1 when s is an http:// (unless https_only) or https://
 * address of at most 200 bytes that can stand in a header's <...> and an
 * HTML attribute as it is: a host, and no space, quote, angle bracket,
 * backslash or control character.  A "javascript:" link never is.
 */
int web_url_ok(const char *s, int https_only);
/* FNV-1a of s: a cache compares it before the string itself. */
unsigned long str_hash(const char *s);
int str_casestarts(const char *s, const char *prefix);
/* 1 when every byte of s is ASCII. */
int str_ascii(const char *s);
/* Case-insensitive search of needle in the first n bytes of hay. */
const char *mem_casestr(const char *hay, size_t n, const char *needle);

/*
 * Text for people.  Kith never hands a terminal the bytes a sender chose:
 * every printer cleans what it shows with buf_add_clean (directly, or
 * through fput_clean and the command line's cli_printf), and JSON escapes
 * the same characters with buf_add_json.  Widths count terminal columns,
 * not bytes, from Unicode tables (no locale is asked).
 */

/*
 * utf8_next - the length of the UTF-8 sequence at s (at most n bytes),
 * its code point in *cp; 0 when s does not start a valid sequence (a
 * stray byte, overlong, a surrogate, past U+10FFFF, or cut short).
 */
size_t utf8_next(const char *s, size_t n, uint32_t *cp);
/* How many bytes at the end of s[0..n) begin a sequence that is cut
 * short (0 to 3): a writer keeps them for the next chunk. */
size_t utf8_partial(const char *s, size_t n);
/*
 * char_fold - cp in lower case for Latin, Greek and Cyrillic (final
 * sigma as sigma, U+2019 as an apostrophe), else cp: how command words
 * and replies are compared whatever their case.
 */
uint32_t char_fold(uint32_t cp);
/*
 * char_unsafe - 1 for a character a terminal acts on instead of showing
 * it: C0 controls, DEL, C1 controls (U+0080-U+009F), and the bidi
 * embeddings, overrides and isolates U+202A-U+202E, U+2066-U+2069.
 */
int char_unsafe(uint32_t cp);
/* Terminal columns of cp: 0 for combining marks and zero-width
 * characters, 2 for East Asian Wide and Fullwidth, else 1. */
int char_width(uint32_t cp);
/* Columns of s as buf_add_clean shows it (each bad byte is one U+FFFD). */
size_t str_width(const char *s);

enum {
	CLEAN_LINE = 0,	/* one line: tab -> space, line breaks replaced */
	CLEAN_TEXT = 1	/* keep newlines, tabs and CR before LF */
};
/*
 * buf_add_clean - add n bytes of s to b with every unsafe character and
 * every byte that is not valid UTF-8 replaced by U+FFFD.
 */
void buf_add_clean(struct buf *b, const char *s, size_t n, int flags);
/* s cleaned as above (one line or text); caller frees. */
char *str_clean(const char *s, int flags);
/*
 * fput_clean - print s cleaned; with width > 0 padded with spaces to that
 * many columns (left-aligned), with width < 0 right-aligned to -width.
 * Wider text is not cut.
 */
void fput_clean(FILE *out, const char *s, int flags, int width);
/*
 * buf_add_json - s as a JSON string literal: quotes, backslashes, every
 * unsafe character (also DEL, C1 and bidi controls) as \u and four hex
 * digits, invalid UTF-8 as \ufffd, so that the output is valid UTF-8 JSON.
 */
void buf_add_json(struct buf *b, const char *s);

/* "1 byte", "512 bytes", "1.5 KB", "12 MB", "2.1 GB" (1 KB = 1024
 * bytes), in out; returns out. */
char *size_human(int64_t bytes, char *out, size_t n);
/* English count nouns: one when n is 1, else many ("1 member"). */
const char *plural(int64_t n, const char *one, const char *many);

/* Write all bytes, then fsync; 0 or -1. */
int write_all(int fd, const void *data, size_t n);
/* Write data to path atomically (tmp file, fsync, rename, fsync dir). */
int file_write_atomic(const char *path, const void *data, size_t n, int mode);
/* mkdir -p with mode; 0 or -1. */
int mkdir_p(const char *path, int mode);

/*
 * Listening sockets for kith serve and kith lmtp (spec as config_listen_parse
 * split it; spec itself is only for the error).  Blocking, close-on-exec.
 * listen_unix - a stream socket at path (a socket left there is replaced,
 * never another file); the descriptor, or -1 with err.
 * listen_tcp - host:port with SO_REUSEADDR; the descriptor and
 * "scheme://HOST:PORT" (the port bound) in address, or -1 with err.
 */
int listen_unix(const char *spec, const char *path, char *err,
    size_t errlen);
int listen_tcp(const char *spec, const char *host, int port,
    const char *scheme, char *address, size_t addrlen, char *err,
    size_t errlen);

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
/* Milliseconds of the monotonic clock: for intervals, never dates. */
int64_t mono_ms(void);

#endif
