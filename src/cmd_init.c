/* cmd_init - kith init, kith check. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/db.h"
#include "kith/notice.h"
#include "kith/probe.h"
#include "kith/tokens.h"
#include "kith/util.h"
#include "kith/weblinks.h"

#define PROBE_MS 3000	/* how long kith check waits for the web */

int
cmd_init(struct cli *c, int argc, char **argv)
{
	char err[512], *db_path, *secret;
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

/*
 * check_web - with web_base_url set, members' mail links there: warn
 * when nothing answers WEB_BASE_URL/healthz (through the proxy, TLS
 * checked), and say whether kith serve itself answers on [http] listen.
 */
static void
check_web(const struct kith_config *cfg)
{
	char *base = weblink_base(cfg), *url, err[256], lerr[256];

	if (base == NULL)
		return;
	url = xasprintf("%s/healthz", base);
	if (probe_get(url, "ok", PROBE_MS, err, sizeof(err)) == 0)
		printf("# web: %s answers\n", url);
	else if (probe_listen(cfg->http_listen, "/healthz", "ok", PROBE_MS,
	    lerr, sizeof(lerr)) == 0)
		fprintf(stderr, "kith: warning: nothing answers at %s (%s), "
		    "but kith serve answers on %s: check the reverse proxy\n",
		    url, err, cfg->http_listen);
	else
		fprintf(stderr, "kith: warning: nothing answers at %s (%s), "
		    "and kith serve does not answer on %s (%s): one-click "
		    "unsubscribe and the links in mail do not work; start "
		    "'kith serve' (kith-serve(8))\n", url, err,
		    cfg->http_listen, lerr);
	free(url);
	free(base);
}

int
cmd_check(struct cli *c, int argc, char **argv)
{
	struct check_state s = { c, 0 };

	if (wants_help(argc, argv)) {
		printf("usage: kith check\n\nPrint every setting as Kith reads "
		    "it, open the database, and render\nevery mail template of "
		    "every list: a template naming an unknown\n{{variable}} is "
		    "an error (exit 78).  With web_base_url set, warn when\n"
		    "nothing answers at WEB_BASE_URL/healthz (kith serve behind "
		    "its proxy).\n");
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
	check_web(&c->cfg);
	cli_close(c);
	return 0;
}
