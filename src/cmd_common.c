/* cmd_common - configuration, database and output helpers for cmd_*.c. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/db.h"
#include "kith/log.h"
#include "kith/tokens.h"
#include "kith/util.h"

void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("kith: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

void
usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("kith: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see 'kith %s --help'\n", cmd);
	exit(EX_USAGE_);
}

int
wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

void
cli_config(struct cli *c)
{
	char err[512] = "";
	int level;

	if (config_load(&c->cfg, c->config_path, err, sizeof(err)) < 0)
		die(EX_CONFIG_, "%s", err);
	level = log_level_parse(c->cfg.log_level);
	if (level < 0)
		die(EX_CONFIG_, "log_level '%s' is not error, warn, info or "
		    "debug", c->cfg.log_level);
	log_set_level(level);
}

void
cli_open(struct cli *c)
{
	char err[512] = "", *path;
	int st;

	cli_config(c);
	path = config_db_path(&c->cfg);
	st = db_open(path, 0, c->cfg.busy_timeout_ms, DB_DURABLE, &c->db, err,
	    sizeof(err));
	free(path);
	if (st != KITH_OK)
		die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_CONFIG_, "%s", err);
}

void
cli_close(struct cli *c)
{
	db_close(c->db);
	c->db = NULL;
	config_release(&c->cfg);
}

struct token_key *
cli_key(struct cli *c)
{
	char *path = config_secret_path(&c->cfg), err[512] = "";
	struct token_key *k = token_key_load(path, err, sizeof(err));

	free(path);
	if (k == NULL)
		die(EX_CONFIG_, "%s", err);
	return k;
}

void
cli_list(struct cli *c, const char *spec, struct list *l)
{
	char err[512] = "";

	if (list_find(c->db, spec, l, err, sizeof(err)) != KITH_OK)
		die(EX_NOUSER_, "%s", err);
}

void
json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}
