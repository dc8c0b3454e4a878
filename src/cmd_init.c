/* cmd_init - kith init, kith check. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/db.h"
#include "kith/notice.h"
#include "kith/tokens.h"
#include "kith/util.h"

int
cmd_init(struct cli *c, int argc, char **argv)
{
	char err[512] = "", *db_path, *secret;
	sqlite3 *db;
	int st;

	if (wants_help(argc, argv)) {
		printf("usage: kith init\n\nCreate the data directory "
		    "(data_dir in kith.conf, $KITH_HOME, default ./var), the\n"
		    "database (or migrate it to this version) and the site "
		    "secret (mode 0600).\nSafe to run again.\n");
		return 0;
	}
	if (argc > 1)
		usage_error("init", "'init' takes no arguments");
	cli_config(c);
	if (mkdir_p(c->cfg.data_dir, 0750) < 0)
		die(EX_CANTCREAT_, "cannot create '%s': %s", c->cfg.data_dir,
		    strerror(errno));
	db_path = config_db_path(&c->cfg);
	st = db_open(db_path, 1, c->cfg.busy_timeout_ms, DB_DURABLE, &db, err,
	    sizeof(err));
	if (st != KITH_OK)
		die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_CANTCREAT_, "%s", err);
	db_close(db);
	secret = config_secret_path(&c->cfg);
	if (token_secret_create(secret, err, sizeof(err)) < 0)
		die(EX_CANTCREAT_, "%s", err);
	printf("data directory: %s\ndatabase:       %s (schema %d)\n"
	    "site secret:    %s\ntransport:      %s\n", c->cfg.data_dir,
	    db_path, DB_SCHEMA_VERSION, secret, c->cfg.transport);
	free(db_path);
	free(secret);
	cli_close(c);
	return 0;
}

struct check_state {
	struct cli *c;
	int errors;
};

static void
report_template(const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "kith: %s\n", msg);
}

static int
check_list_templates(const struct list *l, int64_t members, void *ctx)
{
	struct check_state *s = ctx;

	(void)members;
	s->errors += notice_check_templates(&s->c->cfg, l, report_template,
	    NULL);
	return 0;
}

int
cmd_check(struct cli *c, int argc, char **argv)
{
	struct check_state s = { c, 0 };

	if (wants_help(argc, argv)) {
		printf("usage: kith check\n\nPrint every setting as Kith reads "
		    "it, open the database, and render\nevery mail template of "
		    "every list: a template naming an unknown\n{{variable}} is "
		    "an error (exit 78).\n");
		return 0;
	}
	cli_open(c);
	config_dump(&c->cfg, stdout);
	printf("# database: ok (schema %d)\n", DB_SCHEMA_VERSION);
	list_foreach(c->db, check_list_templates, &s);
	if (s.errors)
		die(EX_CONFIG_, "%d template problem%s", s.errors,
		    s.errors == 1 ? "" : "s");
	printf("# templates: ok\n");
	cli_close(c);
	return 0;
}
