/* backup - online backup to a .tar.gz, and restore. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "kith/backup.h"
#include "kith/db.h"
#include "kith/log.h"
#include "kith/util.h"

#define BLOCK 512
#define CHUNK 65536

/* ---- tar (ustar) ---- */

/* v in octal, zero-padded to width - 1 digits and a NUL (the ustar
 * way); the digits are written from the right, so nothing overflows. */
static void
octal(char *field, size_t width, uint64_t v)
{
	field[width - 1] = '\0';
	for (size_t i = width - 1; i > 0; i--) {
		field[i - 1] = (char)('0' + (v & 7));
		v >>= 3;
	}
}

static void
tar_header(unsigned char h[BLOCK], const char *name, uint64_t size,
    int mode, int64_t mtime)
{
	unsigned sum = 0;

	memset(h, 0, BLOCK);
	snprintf((char *)h, 100, "%s", name);
	octal((char *)h + 100, 8, (uint64_t)mode);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	octal((char *)h + 124, 12, size);
	octal((char *)h + 136, 12, (uint64_t)(mtime > 0 ? mtime : 0));
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

/* gzwrite all of it; 0 or -1. */
static int
gz_put(gzFile gz, const void *p, size_t n)
{
	while (n > 0) {
		unsigned k = n > CHUNK ? CHUNK : (unsigned)n;

		if (gzwrite(gz, p, k) != (int)k)
			return -1;
		p = (const char *)p + k;
		n -= k;
	}
	return 0;
}

static int
tar_pad(gzFile gz, uint64_t size)
{
	static const unsigned char zero[BLOCK];
	size_t pad = (size_t)((BLOCK - size % BLOCK) % BLOCK);

	return pad ? gz_put(gz, zero, pad) : 0;
}

static int
tar_add_mem(gzFile gz, const char *name, const void *data, size_t n,
    int64_t mtime)
{
	unsigned char h[BLOCK];

	tar_header(h, name, n, 0600, mtime);
	if (gz_put(gz, h, BLOCK) < 0 || gz_put(gz, data, n) < 0)
		return -1;
	return tar_pad(gz, n);
}

/* One file into the tar, its SHA-256 into sha (may be NULL). */
static int
tar_add_file(gzFile gz, const char *name, const char *path, int64_t mtime,
    EVP_MD_CTX *sha, int64_t *bytes)
{
	unsigned char h[BLOCK];
	char *chunk;
	struct stat st;
	uint64_t left;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	left = (uint64_t)st.st_size;
	if (bytes)
		*bytes = (int64_t)left;
	tar_header(h, name, left, 0600, mtime);
	if (gz_put(gz, h, BLOCK) < 0) {
		close(fd);
		return -1;
	}
	chunk = xmalloc(CHUNK);
	while (left > 0 && rc == 0) {
		ssize_t r = read(fd, chunk, left > CHUNK ? CHUNK : (size_t)left);

		if (r <= 0)
			rc = -1;
		else {
			if (sha)
				EVP_DigestUpdate(sha, chunk, (size_t)r);
			rc = gz_put(gz, chunk, (size_t)r);
			left -= (uint64_t)r;
		}
	}
	free(chunk);
	close(fd);
	return rc == 0 ? tar_pad(gz, (uint64_t)st.st_size) : -1;
}

static void
sha_hex(EVP_MD_CTX *sha, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_DigestFinal_ex(sha, md, &n);
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ---- names ---- */

/* The partial files of a backup to path: ".BASE.partial-PID" beside it. */
static char *
partial_name(const char *path, long pid, const char *suffix)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path) + 1 : 0;

	return xasprintf("%.*s.%s.partial-%ld%s", dirlen, path,
	    slash ? slash + 1 : path, pid, suffix);
}

/* Partial files of killed backups to path go: nothing else reads them. */
static void
remove_stale(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path + 1)) :
	    xstrdup("./");
	char *prefix = xasprintf(".%s.partial-", slash ? slash + 1 : path);
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		long pid;

		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		pid = strtol(e->d_name + strlen(prefix), NULL, 10);
		if (pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) < 0 &&
		    errno == ESRCH) {
			char *p = xasprintf("%s%s", dir, e->d_name);

			unlink(p);
			free(p);
		}
	}
	if (d)
		closedir(d);
	free(prefix);
	free(dir);
}

static int
fsync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) |
	    O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* ---- backup ---- */

/* counts - what copy_db reads inside the copy's snapshot */
static void
counts(struct db *src, void *arg)
{
	struct backup_info *info = arg;

	info->posts = db_int(src, 0, NULL, "SELECT count(*) FROM posts", "");
	info->members = db_int(src, 0, NULL, "SELECT count(*) FROM members", "");
}

/*
 * copy_db - the online backup of src into a new database file at dst,
 * inside one read transaction of src: a fixed snapshot, never restarted,
 * while other processes write (WAL).
 */
static int
copy_db(struct db *src, const char *dst, const struct backup_opts *o,
    struct backup_info *info, char *err, size_t errlen)
{
	int st = db_copy_to(src, dst, o->pages, o->pause_ms, counts, info,
	    err, errlen);
	char problem[256];

	if (st == KITH_OK)
		info->schema = db_file_schema_version(dst);
	/*
	 * A copy of a damaged database would take a good backup's place in
	 * the rotation the organiser keeps; the damage was copied page by
	 * page, so the copy shows it.
	 */
	if (st == KITH_OK && db_file_integrity(dst, problem,
	    sizeof(problem)) == 0) {
		snprintf(err, errlen, "the database is damaged (%s): no backup "
		    "was written; keep the backups you have, the last good one "
		    "is what 'kith restore FILE --force' needs (\"WHEN "
		    "THE DATABASE IS DAMAGED\" in kith(1))", problem);
		info->damaged = 1;
		st = KITH_PERM;
	}
	return st;
}

/* The secret and DKIM keys into the tar; how many, or -1. */
static int
add_secrets(gzFile gz, const struct kith_config *cfg, int64_t now)
{
	char *secret = config_secret_path(cfg), *dkim = xasprintf("%s/dkim",
	    cfg->data_dir), *key = config_dkim_key_path(cfg);
	DIR *d;
	struct dirent *e;
	int n = 0;

	if (access(secret, R_OK) == 0) {
		if (tar_add_file(gz, "secret", secret, now, NULL, NULL) < 0)
			n = -1;
		else
			n++;
	}
	d = opendir(dkim);
	while (n >= 0 && d && (e = readdir(d)) != NULL) {
		char *p, *name;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dkim, e->d_name);
		name = xasprintf("dkim/%s", e->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			n = tar_add_file(gz, name, p, now, NULL, NULL) < 0 ? -1 :
			    n + 1;
		free(p);
		free(name);
	}
	if (d)
		closedir(d);
	/* a key kept outside the data directory comes along too */
	if (n >= 0 && *cfg->dkim_key_file && strncmp(key, dkim, strlen(dkim)) &&
	    access(key, R_OK) == 0) {
		const char *base = strrchr(key, '/');
		char *name = xasprintf("dkim/%s", base ? base + 1 : key);

		n = tar_add_file(gz, name, key, now, NULL, NULL) < 0 ? -1 : n + 1;
		free(name);
	}
	free(secret);
	free(dkim);
	free(key);
	return n;
}

/* write_archive - the tar.gz of the copied database (and secrets) at
 * partial; MANIFEST last, so that a cut file has none. */
static int
write_archive(const struct kith_config *cfg, const char *partial,
    const char *dbcopy, const struct backup_opts *o, int64_t now,
    struct backup_info *info, char *err, size_t errlen)
{
	static const unsigned char end[2 * BLOCK];
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	char hex[65] = "", *manifest;
	int fd, n = 0, rc;
	gzFile gz;

	fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (gz = gzdopen(fd, "wb6")) == NULL) {
		snprintf(err, errlen, "cannot create '%s': %s", partial,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		EVP_MD_CTX_free(sha);
		return KITH_PERM;
	}
	EVP_DigestInit_ex(sha, EVP_sha256(), NULL);
	rc = tar_add_file(gz, "kith.db", dbcopy, now, sha, &info->db_bytes);
	sha_hex(sha, hex);
	EVP_MD_CTX_free(sha);
	if (rc == 0 && o->with_secrets && (n = add_secrets(gz, cfg, now)) < 0)
		rc = -1;
	info->secrets = n;
	manifest = xasprintf("kith-backup %d\nschema: %d\ncreated: %lld\n"
	    "kith.db-bytes: %lld\nkith.db-sha256: %s\nsecrets: %d\nposts: "
	    "%lld\nmembers: %lld\n", BACKUP_FORMAT, info->schema,
	    (long long)now, (long long)info->db_bytes, hex, n,
	    (long long)info->posts, (long long)info->members);
	if (rc == 0)
		rc = tar_add_mem(gz, "MANIFEST", manifest, strlen(manifest), now);
	if (rc == 0)
		rc = gz_put(gz, end, sizeof(end));
	free(manifest);
	if (gzclose(gz) != Z_OK || rc < 0) {
		snprintf(err, errlen, "cannot write '%s' (disk full?)", partial);
		return KITH_TEMP;
	}
	return KITH_OK;
}

/*
 * target_problem - what is wrong with writing a backup to path: it is a
 * folder, or the site's own database (the backup took its name by
 * rename(2), and the site was gone); 0 when nothing is, else -1 and err.
 */
static int
target_problem(const struct kith_config *cfg, const char *path, char *err,
    size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	if (S_ISDIR(st.st_mode))
		snprintf(err, errlen, "'%s' is a folder; name the file to "
		    "write, e.g. '%s/kith-backup.tgz'", path, path);
	else if (config_site_file(cfg, path))
		snprintf(err, errlen, "'%s' is one of the site's own files "
		    "(the database, its WAL, the secret or the DKIM key), which "
		    "the backup would replace; name another file", path);
	else
		return 0;
	return -1;
}

int
backup_create(const struct kith_config *cfg, const char *path,
    const struct backup_opts *o, int64_t now, struct backup_info *info,
    char *err, size_t errlen)
{
	char *dbpath = config_db_path(cfg), *partial, *dbcopy, *dir, *slash;
	struct db *src = NULL;
	struct stat st;
	int status;

	memset(info, 0, sizeof(*info));
	info->created = now;
	if (target_problem(cfg, path, err, errlen) < 0) {
		free(dbpath);
		return KITH_PERM;
	}
	partial = partial_name(path, (long)getpid(), "");
	dbcopy = partial_name(path, (long)getpid(), ".db");
	remove_stale(path);
	status = db_open(dbpath, 0, cfg->busy_timeout_ms, DB_FAST, &src, err,
	    errlen);
	if (status == KITH_OK)
		status = copy_db(src, dbcopy, o, info, err, errlen);
	db_close(src);
	if (status == KITH_OK)
		status = write_archive(cfg, partial, dbcopy, o, now, info, err,
		    errlen);
	unlink(dbcopy);
	/* complete and on disk before it takes the name asked for */
	if (status == KITH_OK && (fsync_path(partial, 0) < 0 ||
	    rename(partial, path) < 0)) {
		snprintf(err, errlen, "cannot write '%s': %s", path,
		    strerror(errno));
		status = KITH_TEMP;
	}
	if (status != KITH_OK)
		unlink(partial);
	else {
		dir = xstrdup(path);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		fsync_path(slash ? (*dir ? dir : "/") : ".", 1);
		free(dir);
		if (stat(path, &st) == 0)
			info->file_bytes = (int64_t)st.st_size;
		log_info("backup: '%s' written (schema %d, %lld posts, %d "
		    "secret files)", path, info->schema, (long long)info->posts,
		    info->secrets);
	}
	free(partial);
	free(dbcopy);
	free(dbpath);
	return status;
}

/* ---- restore ---- */

struct extracted {
	char *dir;		/* a temporary folder in the data directory */
	int has_db, has_manifest;
	char sha[65];		/* of kith.db as read */
	int64_t db_bytes;
	char *manifest;
	int secrets;
};

/* The folder entry of a tar name, or NULL when it is none we know:
 * nothing outside the temporary folder is ever written. */
static char *
entry_path(struct extracted *x, const char *name)
{
	if (!strcmp(name, "kith.db") || !strcmp(name, "MANIFEST") ||
	    !strcmp(name, "secret"))
		return xasprintf("%s/%s", x->dir, name);
	if (!strncmp(name, "dkim/", 5) && name[5] && name[5] != '.' &&
	    !strchr(name + 5, '/'))
		return xasprintf("%s/dkim-%s", x->dir, name + 5);
	return NULL;
}

static int
read_exact(gzFile gz, void *p, size_t n)
{
	while (n > 0) {
		unsigned k = n > CHUNK ? CHUNK : (unsigned)n;
		int r = gzread(gz, p, k);

		if (r <= 0)
			return -1;
		p = (char *)p + r;
		n -= (size_t)r;
	}
	return 0;
}

/* One tar member into its file; its SHA-256 when it is kith.db. */
static int
extract_one(gzFile gz, struct extracted *x, const char *name, uint64_t size)
{
	char *path = entry_path(x, name), *chunk;
	EVP_MD_CTX *sha = NULL;
	uint64_t left = size;
	int fd, rc = 0;

	if (path == NULL)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(path);
		return -1;
	}
	if (!strcmp(name, "kith.db")) {
		sha = EVP_MD_CTX_new();
		EVP_DigestInit_ex(sha, EVP_sha256(), NULL);
	}
	chunk = xmalloc(CHUNK);
	while (left > 0 && rc == 0) {
		size_t k = left > CHUNK ? CHUNK : (size_t)left;

		if (read_exact(gz, chunk, k) < 0 || write_all(fd, chunk, k) < 0)
			rc = -1;
		else if (sha)
			EVP_DigestUpdate(sha, chunk, k);
		left -= k;
	}
	if (rc == 0 && size % BLOCK)
		rc = read_exact(gz, chunk, (size_t)(BLOCK - size % BLOCK));
	free(chunk);
	if (close(fd) < 0)
		rc = -1;
	if (sha) {
		sha_hex(sha, x->sha);
		EVP_MD_CTX_free(sha);
		x->has_db = rc == 0;
		x->db_bytes = (int64_t)size;
	} else if (!strcmp(name, "MANIFEST") && rc == 0) {
		struct buf b;

		buf_init(&b);
		if (buf_read_file(&b, path) == 0) {
			buf_add(&b, "", 0);
			x->manifest = buf_detach(&b, NULL);
			x->has_manifest = 1;
		}
		buf_release(&b);
	} else if (rc == 0)
		x->secrets++;
	free(path);
	return rc;
}

/* extract - every member of the tar.gz at path; -1 unless the stream is
 * whole: the end blocks and then the gzip trailer (CRC and length). */
static int
extract(const char *path, struct extracted *x, char *err, size_t errlen)
{
	unsigned char h[BLOCK];
	gzFile gz = gzopen(path, "rb");
	int rc = 0, ended = 0, zerr;

	if (gz == NULL) {
		snprintf(err, errlen, "cannot read '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	while (rc == 0 && !ended) {
		char name[101];
		uint64_t size;
		int zero = 1;

		if (read_exact(gz, h, BLOCK) < 0) {
			rc = -1;
			break;
		}
		for (int i = 0; i < BLOCK && zero; i++)
			zero = h[i] == 0;
		if (zero) {
			ended = read_exact(gz, h, BLOCK) == 0;
			rc = ended ? 0 : -1;
			break;
		}
		memcpy(name, h, 100);
		name[100] = '\0';
		h[135] = '\0';
		size = strtoull((char *)h + 124, NULL, 8);
		if (h[156] != '0' && h[156] != '\0')
			rc = -1;
		else
			rc = extract_one(gz, x, name, size);
	}
	/* only the zeros tar pads its last record with may follow, and the
	 * gzip trailer must check */
	while (rc == 0) {
		int r = gzread(gz, h, BLOCK);

		if (r < 0)
			rc = -1;
		if (r <= 0)
			break;
		for (int i = 0; i < r && rc == 0; i++)
			rc = h[i] ? -1 : 0;
	}
	if (rc == 0 && !gzeof(gz))
		rc = -1;
	gzerror(gz, &zerr);
	if (zerr != Z_OK && zerr != Z_STREAM_END)
		rc = -1;
	gzclose(gz);
	if (rc < 0)
		snprintf(err, errlen, "'%s' is not a whole Kith backup (cut "
		    "short, damaged, or another kind of file); nothing was "
		    "changed", path);
	return rc;
}

static const char *
manifest_value(const char *m, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = m; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') +
	    1 : NULL)
		if (!strncmp(p, key, n) && p[n] == ':' && p[n + 1] == ' ')
			return p + n + 2;
	return NULL;
}

/* check - the manifest names this kith.db, and its schema is one this
 * kith can open. */
static int
check(struct extracted *x, struct backup_info *info, char *err,
    size_t errlen)
{
	const char *sha, *bytes, *schema, *created;
	char *db, problem[256];
	int version, ok;

	if (!x->has_db || !x->has_manifest || strncmp(x->manifest,
	    "kith-backup ", 12) || atoi(x->manifest + 12) != BACKUP_FORMAT) {
		snprintf(err, errlen, "not a Kith backup of format %d; nothing "
		    "was changed", BACKUP_FORMAT);
		return KITH_PERM;
	}
	sha = manifest_value(x->manifest, "kith.db-sha256");
	bytes = manifest_value(x->manifest, "kith.db-bytes");
	schema = manifest_value(x->manifest, "schema");
	created = manifest_value(x->manifest, "created");
	if (!sha || strncmp(sha, x->sha, 64) || !bytes ||
	    strtoll(bytes, NULL, 10) != x->db_bytes) {
		snprintf(err, errlen, "the backup's database does not match its "
		    "manifest (damaged); nothing was changed");
		return KITH_PERM;
	}
	info->created = created ? strtoll(created, NULL, 10) : 0;
	db = xasprintf("%s/kith.db", x->dir);
	version = db_file_schema_version(db);
	ok = version >= 0 && schema && atoi(schema) == version;
	free(db);
	info->schema = version;
	if (!ok) {
		snprintf(err, errlen, "the backup's database cannot be read; "
		    "nothing was changed");
		return KITH_PERM;
	}
	if (version > DB_SCHEMA_VERSION) {
		snprintf(err, errlen, "the backup has schema %d, newer than this "
		    "kith's %d: restore it with a newer kith; nothing was "
		    "changed", version, DB_SCHEMA_VERSION);
		return KITH_PERM;
	}
	db = xasprintf("%s/kith.db", x->dir);
	ok = db_file_integrity(db, problem, sizeof(problem));
	free(db);
	if (ok != 1) {
		snprintf(err, errlen, "the backup's database is damaged (%s); "
		    "nothing was changed: restore an earlier backup", problem);
		return KITH_PERM;
	}
	return KITH_OK;
}

static void
remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		char *p;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* place - the checked files where cfg keeps them. */
static int
place(const struct kith_config *cfg, struct extracted *x, int force,
    struct backup_info *info, char *err, size_t errlen)
{
	char *db = config_db_path(cfg), *from = xasprintf("%s/kith.db", x->dir);
	char *wal = xasprintf("%s-wal", db), *shm = xasprintf("%s-shm", db);
	char *secret = config_secret_path(cfg), *src, *dkim;
	DIR *d;
	struct dirent *e;
	int st = KITH_OK;

	/* a -wal of the database replaced belongs to it, not to this one */
	unlink(wal);
	unlink(shm);
	if (rename(from, db) < 0) {
		snprintf(err, errlen, "cannot put the database at '%s': %s", db,
		    strerror(errno));
		st = KITH_TEMP;
	}
	info->secrets = 0;
	src = xasprintf("%s/secret", x->dir);
	if (st == KITH_OK && access(src, R_OK) == 0 && (force ||
	    access(secret, F_OK) < 0)) {
		if (rename(src, secret) == 0)
			info->secrets++;
	}
	free(src);
	dkim = xasprintf("%s/dkim", cfg->data_dir);
	d = opendir(x->dir);
	while (st == KITH_OK && d && (e = readdir(d)) != NULL) {
		char *to, *p;

		if (strncmp(e->d_name, "dkim-", 5))
			continue;
		mkdir_p(dkim, 0700);
		p = xasprintf("%s/%s", x->dir, e->d_name);
		to = xasprintf("%s/%s", dkim, e->d_name + 5);
		if ((force || access(to, F_OK) < 0) && rename(p, to) == 0)
			info->secrets++;
		free(p);
		free(to);
	}
	if (d)
		closedir(d);
	free(dkim);
	free(secret);
	free(wal);
	free(shm);
	free(from);
	free(db);
	return st;
}

int
backup_restore(const struct kith_config *cfg, const char *path,
    const struct backup_opts *o, struct backup_info *info, char *err,
    size_t errlen)
{
	char *db = config_db_path(cfg);
	struct extracted x;
	struct db *s = NULL;
	int st;

	memset(info, 0, sizeof(*info));
	memset(&x, 0, sizeof(x));
	if (mkdir_p(cfg->data_dir, 0750) < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", cfg->data_dir,
		    strerror(errno));
		free(db);
		return KITH_PERM;
	}
	x.dir = xasprintf("%s/.restore-%ld", cfg->data_dir, (long)getpid());
	remove_dir(x.dir);
	if (mkdir(x.dir, 0700) < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", x.dir,
		    strerror(errno));
		st = KITH_PERM;
	} else if (extract(path, &x, err, errlen) < 0)
		st = KITH_PERM;
	else
		st = check(&x, info, err, errlen);
	/* the file judged first: a damaged one is not worth a --force */
	if (st == KITH_OK && access(db, F_OK) == 0 && !o->force) {
		snprintf(err, errlen, "a database is already at '%s'; add --force "
		    "to replace it (stop kith serve, cron and the MTA's "
		    "deliveries first)", db);
		st = KITH_PERM;
	}
	if (st == KITH_OK)
		st = place(cfg, &x, o->force, info, err, errlen);
	remove_dir(x.dir);
	/* migrated forward now, not by whichever command comes first */
	if (st == KITH_OK && (st = db_open(db, 0, cfg->busy_timeout_ms,
	    DB_DURABLE, &s, err, errlen)) == KITH_OK) {
		info->migrated_to = db_schema_version(s);
		info->posts = db_int(s, 0, NULL, "SELECT count(*) FROM posts", "");
		info->members = db_int(s, 0, NULL, "SELECT count(*) FROM members",
		    "");
		info->db_bytes = x.db_bytes;
		db_close(s);
		log_info("backup: '%s' restored (schema %d, now %d)", path,
		    info->schema, info->migrated_to);
	}
	free(x.manifest);
	free(x.dir);
	free(db);
	return st;
}
