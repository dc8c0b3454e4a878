/* util - allocation, buffers, strings, files. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "kith/util.h"

struct width_range {
	uint32_t first, last;
};

#include "util_width.h"

static void
out_of_memory(void)
{
	static const char msg[] = "kith: out of memory\n";
	ssize_t r = write(2, msg, sizeof(msg) - 1);
	(void)r;
	_exit(EX_TEMPFAIL_);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		out_of_memory();
	return p;
}

void *
xgrow(void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 8;
	return xrealloc(p, *cap * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		out_of_memory();
	va_end(ap);
	return s;
}

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
buf_grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 256;
	while (b->cap < need)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
	/* Always a string, even before the first byte is added. */
	b->data[b->len] = '\0';
}

void
buf_add(struct buf *b, const void *data, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	/* Hot in encoders: one byte, usually with room already. */
	if (b->len + 2 > b->cap)
		buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p;

	buf_grow(b, 0);
	p = b->data;
	if (len)
		*len = b->len;
	buf_init(b);
	return p;
}

int
buf_read_fd(struct buf *b, int fd)
{
	return buf_read_fd_max(b, fd, (size_t)-1 / 2);
}

int
buf_read_fd_max(struct buf *b, int fd, size_t max)
{
	for (;;) {
		size_t want;
		ssize_t n;

		if (b->len > max) {
			errno = EFBIG;
			return -1;
		}
		buf_grow(b, 65536);
		/* Never more than one byte past max: a reader's memory stays
		 * bounded by max, whatever the input. */
		want = b->cap - b->len - 1;
		if (want > max - b->len + 1)
			want = max - b->len + 1;
		n = read(fd, b->data + b->len, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
	}
	return 0;
}

int
buf_read_file(struct buf *b, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r, saved;

	if (fd < 0)
		return -1;
	r = buf_read_fd(b, fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

char *
str_lower(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

char *
str_trim(char *s)
{
	char *end;

	while (*s && isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

int
web_url_ok(const char *s, int https_only)
{
	size_t skip = !strncmp(s, "https://", 8) ? 8 :
	    !https_only && !strncmp(s, "http://", 7) ? 7 : 0;

	if (skip == 0 || strlen(s) > 200 || s[skip] == '\0' ||
	    s[skip] == '/')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("<>\"'`\\{}|^", *p))
			return 0;
	return 1;
}

const char *
str_trim_span(const char *s, size_t *n)
{
	while (*n && isspace((unsigned char)*s)) {
		s++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)s[*n - 1]))
		(*n)--;
	return s;
}

unsigned long
str_hash(const char *s)
{
	unsigned long h = 2166136261UL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619UL;
	return h;
}

int
str_casestarts(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

int
str_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

const char *
mem_casestr(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);

	if (m == 0)
		return hay;
	for (size_t i = 0; i + m <= n; i++)
		if (strncasecmp(hay + i, needle, m) == 0)
			return hay + i;
	return NULL;
}

size_t
utf8_next(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t c;
	size_t len;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] < 0xC2 || s[0] > 0xF4)	/* stray continuation, overlong */
		return 0;
	len = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
	if (n < len)
		return 0;
	c = s[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3F);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 ||
	    c > 0x10FFFF)) || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

size_t
utf8_partial(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t k = 1; k <= 3 && k <= n; k++) {
		unsigned char c = s[n - k];
		size_t len;

		if ((c & 0xC0) == 0x80)
			continue;
		len = c > 0xF4 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 :
		    c >= 0xC2 ? 2 : 0;
		return len > k ? k : 0;
	}
	return 0;
}

uint32_t
char_fold(uint32_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7) ||
	    (c >= 0x391 && c <= 0x3ab && c != 0x3a2) ||
	    (c >= 0x410 && c <= 0x42f))
		return c + 0x20;
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177) ||
	    (c >= 0x460 && c <= 0x4bf && c != 0x482 && (c < 0x483 ||
	    c > 0x489)))
		return c | 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return c + (c & 1);
	if (c == 0x386)
		return 0x3ac;
	if (c >= 0x388 && c <= 0x38a)
		return c + 37;
	if (c == 0x38c)
		return 0x3cc;
	if (c == 0x38e || c == 0x38f)
		return c + 63;
	if (c == 0x3c2)
		return 0x3c3;	/* final sigma */
	if (c >= 0x400 && c <= 0x40f)
		return c + 0x50;
	if (c == 0x2019)
		return '\'';	/* a typographic apostrophe: s'abonner */
	return c;
}

int
char_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
	    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static int
in_ranges(uint32_t cp, const struct width_range *r, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < r[mid].first)
			hi = mid;
		else if (cp > r[mid].last)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int
char_width(uint32_t cp)
{
	if (cp < 0x300)
		return 1;	/* ASCII, Latin-1: the common case */
	if (char_unsafe(cp))
		return 1;	/* shown as U+FFFD */
	if (in_ranges(cp, width_zero, sizeof(width_zero) /
	    sizeof(width_zero[0])))
		return 0;
	if (in_ranges(cp, width_wide, sizeof(width_wide) /
	    sizeof(width_wide[0])))
		return 2;
	return 1;
}

size_t
str_width(const char *s)
{
	size_t n = strlen(s), w = 0;

	for (size_t i = 0; i < n; ) {
		uint32_t cp;
		size_t len = utf8_next(s + i, n - i, &cp);

		if (len == 0) {
			w++;
			i++;
			continue;
		}
		w += (size_t)char_width(cp);
		i += len;
	}
	return w;
}

#define REPLACEMENT "\xEF\xBF\xBD"	/* U+FFFD */

void
buf_add_clean(struct buf *b, const char *s, size_t n, int flags)
{
	size_t run = 0;	/* start of the bytes that pass as they are */

	for (size_t i = 0; i < n; ) {
		uint32_t cp = 0;
		size_t len = utf8_next(s + i, n - i, &cp);
		const char *put;

		if (len != 0 && !char_unsafe(cp)) {
			i += len;
			continue;
		}
		if (len == 0)
			put = REPLACEMENT;
		else if (flags == CLEAN_TEXT && (cp == '\n' || cp == '\t' ||
		    (cp == '\r' && i + 1 < n && s[i + 1] == '\n')))
			put = NULL;	/* where they belong: kept */
		else if (cp == '\t')
			put = " ";
		else
			put = REPLACEMENT;
		if (len == 0)
			len = 1;
		if (put != NULL) {
			buf_add(b, s + run, i - run);
			buf_adds(b, put);
			run = i + len;
		}
		i += len;
	}
	buf_add(b, s + run, n - run);
}

char *
str_clean(const char *s, int flags)
{
	struct buf b;

	buf_init(&b);
	buf_add_clean(&b, s, strlen(s), flags);
	return buf_detach(&b, NULL);
}

void
fput_clean(FILE *out, const char *s, int flags, int width)
{
	struct buf b;
	size_t w, want = (size_t)(width < 0 ? -width : width);

	buf_init(&b);
	buf_add_clean(&b, s, strlen(s), flags);
	w = b.len ? str_width(b.data) : 0;
	if (width < 0)
		for (; w < want; w++)
			fputc(' ', out);
	if (b.len)
		fwrite(b.data, 1, b.len, out);
	for (; w < want; w++)
		fputc(' ', out);
	buf_release(&b);
}

void
buf_add_json(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	buf_addc(b, '"');
	for (size_t i = 0; i < n; ) {
		uint32_t cp = 0;
		size_t len = utf8_next(s + i, n - i, &cp);

		if (len == 0) {
			buf_adds(b, "\\ufffd");
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)cp);
		} else if (cp == '\n')
			buf_adds(b, "\\n");
		else if (cp == '\r')
			buf_adds(b, "\\r");
		else if (cp == '\t')
			buf_adds(b, "\\t");
		else if (char_unsafe(cp) || cp == 0x2028 || cp == 0x2029)
			buf_addf(b, "\\u%04x", (unsigned)cp);
		else
			buf_add(b, s + i, len);
		i += len;
	}
	buf_addc(b, '"');
}

char *
size_human(int64_t bytes, char *out, size_t n)
{
	static const char *const units[] = { "KB", "MB", "GB", "TB" };
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(out, n, "%lld %s", (long long)bytes,
		    plural(bytes, "byte", "bytes"));
		return out;
	}
	v /= 1024;
	/* 1023.96 KB rounds to "1024 KB": show it as 1.0 MB instead */
	while (u + 1 < sizeof(units) / sizeof(units[0]) && v >= 1023.95) {
		v /= 1024;
		u++;
	}
	if (v < 9.95 && (int64_t)(v * 10 + 0.5) % 10 != 0)
		snprintf(out, n, "%.1f %s", v, units[u]);
	else
		snprintf(out, n, "%.0f %s", v, units[u]);
	return out;
}

const char *
plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

int
write_all(int fd, const void *data, size_t n)
{
	const char *p = data;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
fsync_dir_of(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int fd, r;

	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

int
file_write_atomic(const char *path, const void *data, size_t n, int mode)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd, saved;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		goto fail_tmp;
	if (write_all(fd, data, n) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		goto fail_tmp;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		goto fail_tmp;
	}
	free(tmp);
	return fsync_dir_of(path);
fail_tmp:
	free(tmp);
	return -1;
}

int
mkdir_p(const char *path, int mode)
{
	char *p = xstrdup(path);
	int r = 0;

	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
				r = -1;
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return r;
}

int
listen_unix(const char *spec, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat sb;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path '%s' is too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* a socket left by an earlier run; never any other file */
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, 511) < 0) {
		snprintf(err, errlen, "cannot listen on '%s': %s", spec,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int
listen_tcp(const char *spec, const char *host, int port, const char *scheme,
    char *address, size_t addrlen, char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char portstr[16], name[INET6_ADDRSTRLEN];
	int fd, rc, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if ((rc = getaddrinfo(host, portstr, &hints, &ai)) != 0) {
		snprintf(err, errlen, "cannot listen on '%s': %s", spec,
		    gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, 511) < 0 || getsockname(fd, (struct sockaddr *)&ss,
	    &sl) < 0) {
		snprintf(err, errlen, "cannot listen on '%s': %s", spec,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, name, sizeof(name));
		snprintf(address, addrlen, "%s://[%s]:%d", scheme, name,
		    ntohs(a->sin6_port));
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, name, sizeof(name));
		snprintf(address, addrlen, "%s://%s:%d", scheme, name,
		    ntohs(a->sin_port));
	}
	return fd;
}

int
dir_shared(const char *dir, gid_t *gid)
{
	struct stat st;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    !(st.st_mode & S_IWGRP))
		return 0;
	if (gid)
		*gid = st.st_gid;
	return 1;
}

int
share_like_parent(const char *path, int mode)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	struct stat st;
	gid_t gid;
	int r = 0;

	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if (dir_shared(dir, &gid) && stat(path, &st) == 0 &&
	    st.st_uid == geteuid()) {
		/* The group first: chown may clear a set-group-ID bit. */
		if (st.st_gid != gid && chown(path, (uid_t)-1, gid) < 0)
			r = -1;
		if (r == 0 && ((st.st_mode & 07777) != (mode_t)mode ||
		    st.st_gid != gid) && chmod(path, (mode_t)mode) < 0)
			r = -1;
	}
	free(dir);
	return r;
}

int
random_bytes(void *out, size_t n)
{
	return RAND_bytes(out, (int)n) == 1 ? 0 : -1;
}

char *
random_hex(size_t n)
{
	unsigned char *raw = xmalloc(n);
	char *hex = xmalloc(2 * n + 1);
	static const char digits[] = "0123456789abcdef";

	if (random_bytes(raw, n) < 0) {
		/* RAND_bytes only fails when the kernel has no entropy at all. */
		for (size_t i = 0; i < n; i++)
			raw[i] = (unsigned char)(rand() ^ (int)time(NULL));
	}
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[raw[i] >> 4];
		hex[2 * i + 1] = digits[raw[i] & 15];
	}
	hex[2 * n] = '\0';
	free(raw);
	return hex;
}

int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
now_utc(void)
{
	/* Tests shift the clock with faketime(1), which intercepts time(2). */
	return (int64_t)time(NULL);
}
