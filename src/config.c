/* config - kith.conf reader driven by one typed table. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kith/config.h"
#include "kith/throttle.h"
#include "kith/util.h"

enum setting_type { T_STR, T_INT, T_BOOL };

struct setting {
	const char *section;
	const char *name;
	enum setting_type type;
	const char *def;
	long min, max;
	size_t offset;
};

#define S(sec, name, type, def, min, max) \
	{ sec, #name, type, def, min, max, offsetof(struct kith_config, name) }
#define DKIM(name, type, def) \
	{ "dkim", #name, type, def, 0, 0, offsetof(struct kith_config, dkim_##name) }
#define HTTP(name, type, def, min, max) \
	{ "http", #name, type, def, min, max, offsetof(struct kith_config, http_##name) }
#define LMTP(name, type, def, min, max) \
	{ "lmtp", #name, type, def, min, max, offsetof(struct kith_config, lmtp_##name) }
#define SMTP(name, type, def, min, max) \
	{ "smtp", #name, type, def, min, max, offsetof(struct kith_config, smtp_##name) }

/* The one table of settings: kith.conf(5) documents exactly these. */
static const struct setting settings[] = {
	S("site", domain, T_STR, "localhost", 0, 0),
	S("site", data_dir, T_STR, "./var", 0, 0),
	S("site", transport, T_STR, "", 0, 0),	/* "" = maildir:DATA/mail */
	S("site", secret_file, T_STR, "", 0, 0),	/* "" = DATA/secret */
	S("site", log_level, T_STR, "warn", 0, 0),
	S("site", delimiter, T_STR, "+", 0, 0),
	S("site", archive_url, T_STR, "", 0, 0),
	S("site", web_base_url, T_STR, "", 0, 0),
	S("site", deliver_on_receive, T_BOOL, "on", 0, 1),
	S("site", busy_timeout_ms, T_INT, "10000", 0, 600000),
	S("site", authserv_id, T_STR, "", 0, 0),	/* "" = trust no A-R */
	SMTP(connections, T_INT, "4", 1, 64),
	SMTP(helo, T_STR, "", 0, 0),
	SMTP(tls, T_STR, "auto", 0, 0),
	SMTP(tls_verify, T_BOOL, "on", 0, 1),
	SMTP(ca_file, T_STR, "", 0, 0),
	SMTP(user, T_STR, "", 0, 0),
	SMTP(password, T_STR, "", 0, 0),
	SMTP(timeout, T_INT, "60", 1, 3600),
	DKIM(domain, T_STR, ""),
	DKIM(selector, T_STR, "kith"),
	DKIM(key_file, T_STR, ""),
	S("delivery", batch_size, T_INT, "500", 1, 100000),
	S("delivery", max_attempts, T_INT, "10", 1, 1000),
	S("delivery", retry_base, T_INT, "300", 1, 86400),
	S("delivery", lease_seconds, T_INT, "600", 10, 86400),
	S("delivery", rate, T_STR, "", 0, 0),
	HTTP(listen, T_STR, "127.0.0.1:8025", 0, 0),
	HTTP(threads, T_INT, "2", 1, 64),
	HTTP(max_connections, T_INT, "2048", 1, 100000),
	HTTP(timeout, T_INT, "30", 1, 3600),
	HTTP(max_body, T_INT, "65536", 1024, 16777216),
	HTTP(max_headers, T_INT, "100", 10, 1000),
	HTTP(db_timeout_ms, T_INT, "1000", 0, 600000),
	HTTP(real_ip_header, T_STR, "", 0, 0),
	HTTP(join_rate, T_STR, "10/h", 0, 0),
	HTTP(join_rate_address, T_STR, "3/day", 0, 0),
	/* deliverability: DMARC lookups and ARC keys (dns.h) */
	{ "dns", "server", T_STR, "", 0, 0,
	  offsetof(struct kith_config, dns_server) },
	{ "dns", "timeout_ms", T_INT, "3000", 100, 60000,
	  offsetof(struct kith_config, dns_timeout_ms) },
	LMTP(listen, T_STR, "", 0, 0),	/* "" = no LMTP */
	LMTP(max_connections, T_INT, "64", 1, 10000),
	LMTP(timeout, T_INT, "300", 1, 3600),
	LMTP(max_size, T_INT, "33554432", 65536, 268435456),
	LMTP(max_recipients, T_INT, "100", 1, 10000),
	/* the database: sqlite in data_dir, or a PostgreSQL server's */
	{ "storage", "backend", T_STR, "sqlite", 0, 0,
	  offsetof(struct kith_config, storage_backend) },
	{ "storage", "dsn", T_STR, "", 0, 0,
	  offsetof(struct kith_config, storage_dsn) },
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static int
setting_apply(struct kith_config *cfg, const struct setting *s,
    const char *value, char *err, size_t errlen)
{
	char *field = (char *)cfg + s->offset;

	switch (s->type) {
	case T_STR:
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	case T_BOOL:
		if (!strcmp(value, "on") || !strcmp(value, "yes") ||
		    !strcmp(value, "true") || !strcmp(value, "1"))
			*(int *)field = 1;
		else if (!strcmp(value, "off") || !strcmp(value, "no") ||
		    !strcmp(value, "false") || !strcmp(value, "0"))
			*(int *)field = 0;
		else {
			snprintf(err, errlen, "[%s] %s: '%s' is not on or off",
			    s->section, s->name, value);
			return -1;
		}
		return 0;
	case T_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || end == value || *end || v < s->min || v > s->max) {
			snprintf(err, errlen, "[%s] %s: '%s' is not a number "
			    "from %ld to %ld", s->section, s->name, value,
			    s->min, s->max);
			return -1;
		}
		*(int *)field = (int)v;
		return 0;
	}
	}
	snprintf(err, errlen, "[%s] %s: unknown setting type", s->section,
	    s->name);
	return -1;
}

static const struct setting *
setting_find(const char *section, const char *name)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (!strcmp(settings[i].section, section) &&
		    !strcmp(settings[i].name, name))
			return &settings[i];
	return NULL;
}

static int
config_parse_file(struct kith_config *cfg, const char *path, char *err,
    size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[4096], section[64] = "site";
	int lineno = 0;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = str_trim(line), *eq, *key, *val;
		const struct setting *st;
		char sub[1024];

		lineno++;
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');

			if (!close || close - s - 1 >= (long)sizeof(section)) {
				snprintf(err, errlen, "%s:%d: bad section line",
				    path, lineno);
				goto fail;
			}
			*close = '\0';
			snprintf(section, sizeof(section), "%s", str_trim(s + 1));
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%d: expected 'name = value'",
			    path, lineno);
			goto fail;
		}
		*eq = '\0';
		key = str_trim(s);
		val = str_trim(eq + 1);
		st = setting_find(section, key);
		if (st == NULL) {
			snprintf(err, errlen, "%s:%d: unknown setting '%s' in "
			    "[%s]", path, lineno, key, section);
			goto fail;
		}
		if (setting_apply(cfg, st, val, sub, sizeof(sub)) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, sub);
			goto fail;
		}
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	return -1;
}

/* Where `make install` put the sample (configure's sysconfdir). */
#ifndef KITH_SYSCONF_FILE
#define KITH_SYSCONF_FILE "/etc/kith/kith.conf"
#endif

/*
 * config_find_file - --config, $KITH_CONF, ./kith.conf, the installed
 * SYSCONFDIR/kith/kith.conf, then /etc/kith/kith.conf (a package's).
 */
static const char *
config_find_file(const char *explicit_path)
{
	const char *env = getenv("KITH_CONF");

	if (explicit_path)
		return explicit_path;
	if (env && *env)
		return env;
	if (access("./kith.conf", R_OK) == 0)
		return "./kith.conf";
	if (access(KITH_SYSCONF_FILE, R_OK) == 0)
		return KITH_SYSCONF_FILE;
	if (access("/etc/kith/kith.conf", R_OK) == 0)
		return "/etc/kith/kith.conf";
	return NULL;
}

int
config_load(struct kith_config *cfg, const char *explicit_path, char *err,
    size_t errlen)
{
	const char *path, *home;
	char sub[256];
	int64_t interval;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NSETTINGS; i++)
		if (setting_apply(cfg, &settings[i], settings[i].def, sub,
		    sizeof(sub)) < 0) {
			snprintf(err, errlen, "bad default: %s", sub);
			return -1;
		}
	path = config_find_file(explicit_path);
	if (path) {
		cfg->path = xstrdup(path);
		if (config_parse_file(cfg, path, err, errlen) < 0)
			return -1;
	}
	home = getenv("KITH_HOME");
	if (home && *home) {
		free(cfg->data_dir);
		cfg->data_dir = xstrdup(home);
	}
	if (*cfg->transport == '\0') {
		free(cfg->transport);
		cfg->transport = xasprintf("maildir:%s/mail", cfg->data_dir);
	}
	if (strlen(cfg->delimiter) != 1) {
		snprintf(err, errlen, "[site] delimiter must be one character");
		return -1;
	}
	if (strcmp(cfg->smtp_tls, "auto") && strcmp(cfg->smtp_tls, "require")
	    && strcmp(cfg->smtp_tls, "off")) {
		snprintf(err, errlen, "[smtp] tls must be auto, require or off");
		return -1;
	}
	if (throttle_parse(cfg->rate, &interval) < 0) {
		snprintf(err, errlen, "[delivery] rate must look like 600/min "
		    "(per s, min, h or day), or 0 for no limit");
		return -1;
	}
	if (strpbrk(cfg->authserv_id, " \t;()\"")) {
		snprintf(err, errlen, "[site] authserv_id must be one word, "
		    "as your MTA writes it in Authentication-Results");
		return -1;
	}
	if (throttle_parse(cfg->http_join_rate, &interval) < 0 ||
	    throttle_parse(cfg->http_join_rate_address, &interval) < 0) {
		snprintf(err, errlen, "[http] join_rate and join_rate_address "
		    "must look like 10/h (per s, min, h or day), or 0 for no "
		    "limit");
		return -1;
	}
	if (config_listen_parse(cfg->http_listen, NULL, 0, NULL) < 0) {
		snprintf(err, errlen, "[http] listen must be HOST:PORT, "
		    "[IPV6]:PORT or unix:/PATH, not '%s'", cfg->http_listen);
		return -1;
	}
	if (*cfg->lmtp_listen &&
	    config_listen_parse(cfg->lmtp_listen, NULL, 0, NULL) < 0) {
		snprintf(err, errlen, "[lmtp] listen must be HOST:PORT, "
		    "[IPV6]:PORT or unix:/PATH, not '%s'", cfg->lmtp_listen);
		return -1;
	}
	if (strcmp(cfg->storage_backend, "sqlite") &&
	    strcmp(cfg->storage_backend, "postgresql")) {
		snprintf(err, errlen, "[storage] backend must be sqlite or "
		    "postgresql, not '%s'", cfg->storage_backend);
		return -1;
	}
	if (!strcmp(cfg->storage_backend, "postgresql") && !*cfg->storage_dsn) {
		snprintf(err, errlen, "[storage] backend = postgresql needs "
		    "dsn = a PostgreSQL connection string, such as "
		    "'host=/run/postgresql dbname=kith'");
		return -1;
	}
	if (*cfg->web_base_url && !web_url_ok(cfg->web_base_url, 1)) {
		snprintf(err, errlen, "[site] web_base_url must be an https:// "
		    "address without spaces or quotes (one-click unsubscribe "
		    "needs HTTPS)");
		return -1;
	}
	if (*cfg->archive_url && !web_url_ok(cfg->archive_url, 0)) {
		snprintf(err, errlen, "[site] archive_url must be an http:// or "
		    "https:// address without spaces or quotes");
		return -1;
	}
	return 0;
}

void
config_release(struct kith_config *cfg)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (settings[i].type == T_STR)
			free(*(char **)((char *)cfg + settings[i].offset));
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

char *
config_dkim_key_path(const struct kith_config *cfg)
{
	if (*cfg->dkim_key_file)
		return xstrdup(cfg->dkim_key_file);
	return xasprintf("%s/dkim/%s.%s.pem", cfg->data_dir, cfg->dkim_selector,
	    *cfg->dkim_domain ? cfg->dkim_domain : cfg->domain);
}

int
config_listen_parse(const char *spec, char *host, size_t hostlen, int *port)
{
	const char *colon, *h = spec;
	size_t n;
	char *end;
	long p;

	if (!strncmp(spec, "unix:", 5)) {
		if (spec[5] != '/' || strlen(spec + 5) >= 108)
			return -1;
		if (host)
			snprintf(host, hostlen, "%s", spec + 5);
		if (port)
			*port = 0;
		return 1;
	}
	if (*spec == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		h = spec + 1;
		n = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL || memchr(spec, ':', (size_t)(colon - spec)))
			return -1;
		n = (size_t)(colon - spec);
	}
	p = strtol(colon + 1, &end, 10);
	if (n == 0 || *end || end == colon + 1 || p < 0 || p > 65535)
		return -1;
	if (host) {
		if (n >= hostlen)
			return -1;
		memcpy(host, h, n);
		host[n] = '\0';
	}
	if (port)
		*port = (int)p;
	return 0;
}

char *
config_db_path(const struct kith_config *cfg)
{
	if (!strcmp(cfg->storage_backend, "postgresql"))
		return xasprintf("postgresql:%s", cfg->storage_dsn);
	return xasprintf("%s/kith.db", cfg->data_dir);
}

/*
 * dsn_masked - dsn with its password, if any, as "(set)": the value of
 * a password keyword (password=x, password = 'x y'), and in a URI the
 * one after user: in postgresql://user:x@host and ?password=x.
 */
static char *
dsn_masked(const char *dsn)
{
	struct buf b;
	const char *s = dsn, *at;

	buf_init(&b);
	if (!strncmp(s, "postgresql://", 13) || !strncmp(s, "postgres://", 11)) {
		const char *auth = strstr(s, "://") + 3;
		size_t n = strcspn(auth, "/?");
		const char *colon;

		at = memchr(auth, '@', n);
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			buf_add(&b, s, (size_t)(colon + 1 - s));
			buf_adds(&b, "(set)");
			s = at;
		}
	}
	while (*s) {
		const char *key = strcasestr(s, "password"), *v;

		if (key == NULL || (key > dsn && (isalnum((unsigned char)key[-1]) ||
		    key[-1] == '_'))) {
			size_t n = key ? (size_t)(key - s) + 8 : strlen(s);

			buf_add(&b, s, n);
			s += n;
			continue;
		}
		v = key + 8;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v != '=') {
			buf_add(&b, s, (size_t)(v - s));
			s = v;
			continue;
		}
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		buf_add(&b, s, (size_t)(v - s));
		buf_adds(&b, "(set)");
		if (*v == '\'') {	/* 'quoted', \' inside */
			for (v++; *v && *v != '\''; v++)
				if (*v == '\\' && v[1])
					v++;
			if (*v)
				v++;
		} else
			v += strcspn(v, " \t&");
		s = v;
	}
	return buf_detach(&b, NULL);
}

char *
config_db_label(const struct kith_config *cfg)
{
	char *dsn, *label;

	if (strcmp(cfg->storage_backend, "postgresql"))
		return config_db_path(cfg);
	dsn = dsn_masked(cfg->storage_dsn);
	label = xasprintf("postgresql:%s", dsn);
	free(dsn);
	return label;
}

char *
config_secret_path(const struct kith_config *cfg)
{
	if (*cfg->secret_file)
		return xstrdup(cfg->secret_file);
	return xasprintf("%s/secret", cfg->data_dir);
}

int
config_site_file(const struct kith_config *cfg, const char *path)
{
	struct stat target, st;
	char *db, *own[5];
	int same = 0;

	if (stat(path, &target) < 0)
		return 0;	/* nothing there to replace */
	db = config_db_path(cfg);
	own[0] = xstrdup(db);
	own[1] = xasprintf("%s-wal", db);
	own[2] = xasprintf("%s-shm", db);
	own[3] = config_secret_path(cfg);
	own[4] = config_dkim_key_path(cfg);
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		same |= stat(own[i], &st) == 0 && st.st_dev == target.st_dev &&
		    st.st_ino == target.st_ino;
		free(own[i]);
	}
	free(db);
	return same;
}

void
config_dump(const struct kith_config *cfg, FILE *out)
{
	const char *section = "";

	if (cfg->path)
		fprintf(out, "# configuration file: %s\n", cfg->path);
	else if (strcmp(KITH_SYSCONF_FILE, "/etc/kith/kith.conf"))
		fprintf(out, "# configuration file: none (not in ./kith.conf, "
		    "%s or /etc/kith/kith.conf): the defaults\n",
		    KITH_SYSCONF_FILE);
	else
		fprintf(out, "# configuration file: none (not in ./kith.conf "
		    "or /etc/kith/kith.conf): the defaults\n");
	for (size_t i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &settings[i];
		const char *field = (const char *)cfg + s->offset;

		if (strcmp(section, s->section)) {
			section = s->section;
			fprintf(out, "[%s]\n", section);
		}
		if (s->type == T_STR && s->offset == offsetof(struct kith_config,
		    storage_dsn)) {
			char *dsn = dsn_masked(cfg->storage_dsn);

			fprintf(out, "%s = %s\n", s->name, dsn);
			free(dsn);
		} else if (s->type == T_STR)
			fprintf(out, "%s = %s\n", s->name,
			    strstr(s->name, "password") && **(char **)field ?
			    "(set)" : *(char *const *)field);
		else if (s->type == T_BOOL)
			fprintf(out, "%s = %s\n", s->name,
			    *(const int *)field ? "on" : "off");
		else
			fprintf(out, "%s = %d\n", s->name, *(const int *)field);
	}
}
