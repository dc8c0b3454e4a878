/* cmd_migrate - kith migrate sqlite-to-postgresql --dsn DSN [--json]. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/db.h"
#include "kith/migrate.h"
#include "kith/util.h"

static const char migrate_help[] =
    "usage: kith migrate sqlite-to-postgresql --dsn DSN [--json]\n\n"
    "Copies every table of the site's sqlite database (kith.conf's "
    "data_dir)\ninto the PostgreSQL database DSN names (a libpq "
    "connection string or URI;\nleave the password to ~/.pgpass or "
    "PGPASSWORD), making Kith's schema there\nat the same version.  "
    "The database must hold no Kith data: a second run is\nrefused.  "
    "One PostgreSQL transaction, all of it or nothing; the counts of\n"
    "every table are compared and printed.  While it copies, the site's "
    "writers\nwait (kith receive answers 75: the MTA keeps the mail "
    "and tries again).\nStop kith serve and kith cron first, and switch "
    "kith.conf to the two lines\nit prints before you start them again: "
    "kith.conf is never changed here.\n";

/* the DSN for people: a password in it shown as "(set)" */
static char *
dsn_label(const struct kith_config *cfg, const char *dsn)
{
	struct kith_config pg = *cfg;
	char *label;

	pg.storage_backend = (char *)"postgresql";
	pg.storage_dsn = (char *)dsn;
	label = config_db_label(&pg);
	/* "postgresql:" dropped: the dsn as kith.conf takes it */
	memmove(label, label + 11, strlen(label + 11) + 1);
	return label;
}

static void
print_json(const struct migrate_result *r, const char *from, const char *to)
{
	printf("{\"from\": ");
	json_string(stdout, from);
	printf(", \"to\": ");
	json_string(stdout, to);
	printf(", \"schema\": %d, \"rows\": %lld, \"tables\": [", r->schema,
	    (long long)r->rows);
	for (size_t i = 0; i < r->ntables; i++) {
		printf("%s{\"table\": ", i ? ",\n  " : "\n  ");
		json_string(stdout, r->counts[i].table);
		printf(", \"sqlite\": %lld, \"postgresql\": %lld}",
		    (long long)r->counts[i].from, (long long)r->counts[i].to);
	}
	printf("],\n \"counts_match\": %s,\n \"storage\": {\"backend\": "
	    "\"postgresql\", \"dsn\": ", r->differ ? "false" : "true");
	json_string(stdout, to);
	printf("}}\n");
}

static void
print_text(const struct migrate_result *r, const char *from, const char *to)
{
	cli_printf("sqlite %s -> PostgreSQL %s, schema %d\n", from, to,
	    r->schema);
	cli_printf("%-18s %10s %10s\n", "table", "sqlite", "postgresql");
	for (size_t i = 0; i < r->ntables; i++) {
		const struct migrate_count *k = &r->counts[i];

		cli_printf("%-18s %10lld %10lld%s\n", k->table,
		    (long long)k->from, (long long)k->to, k->from != k->to ?
		    "  DIFFERS" : "");
	}
	if (r->differ)
		return;
	cli_printf("%zu tables, %lld rows copied; every count matches.\n",
	    r->ntables, (long long)r->rows);
}

int
cmd_migrate(struct cli *c, int argc, char **argv)
{
	const char *dsn = NULL;
	int json = 0, st;
	const struct cli_opt opts[] = {
		{ "dsn", 0, OPT_VALUE, &dsn },
		{ "json", 0, OPT_FLAG, &json },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "migrate", "sqlite-to-postgresql --dsn "
	    "DSN [--json]", 1, 1, opts };
	struct migrate_result r;
	char err[768] = "", *location, *from, *to;

	if (argc < 2) {
		fputs(migrate_help, stderr);
		return EX_USAGE_;
	}
	cli_parse_help(&sub, migrate_help, argc, argv);
	if (strcmp(argv[0], "sqlite-to-postgresql"))
		usage_error("migrate", "'%s' is not a migration (there is "
		    "sqlite-to-postgresql)", argv[0]);
	if (dsn == NULL || *dsn == '\0')
		usage_error("migrate", "--dsn names the PostgreSQL database");
	cli_open(c);
	location = xasprintf("postgresql:%s", dsn);
	from = config_db_label(&c->cfg);
	to = dsn_label(&c->cfg, dsn);
	st = migrate_sqlite_to_pg(c->db, location, c->cfg.busy_timeout_ms, &r,
	    err, sizeof(err));
	free(location);
	if (st == KITH_OK || r.committed) {
		if (json)
			print_json(&r, from, to);
		else if (r.ntables > 0)
			print_text(&r, from, to);
	}
	if (st == KITH_TEMP)
		die(EX_TEMPFAIL_, "%s", err);
	if (st != KITH_OK)
		die(r.refusal == MIGRATE_COUNTS ? EX_SOFTWARE_ :
		    r.refusal == MIGRATE_VERSION || r.refusal == MIGRATE_ROW ?
		    EX_DATAERR_ : EX_CONFIG_, "%s", err);
	if (!json)
		cli_printf("\nKith still runs on sqlite.  To run it on "
		    "PostgreSQL, put these two lines in\nkith.conf (%s), "
		    "section [storage], then start kith serve and cron:\n\n"
		    "[storage]\nbackend = postgresql\ndsn = %s\n%s",
		    c->cfg.path ? c->cfg.path : "none read: make one",
		    to, strcmp(to, dsn) ? "(with your password where "
		    "it says (set), or in ~/.pgpass)\n" : "");
	free(from);
	free(to);
	cli_close(c);
	return 0;
}
