/* cmd_backup - kith backup FILE, kith restore FILE. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "kith/backup.h"
#include "kith/db.h"
#include "kith/util.h"

int
cmd_backup(struct cli *c, int argc, char **argv)
{
	const char *pages = NULL, *pause = NULL;
	struct backup_opts o = { 0, 0, 0, 0 };
	const struct cli_opt opts[] = {
		{ "with-secrets", 0, OPT_FLAG, &o.with_secrets },
		{ "pages", 0, OPT_VALUE, &pages },
		{ "pause", 0, OPT_VALUE, &pause },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "backup", "FILE [--with-secrets] "
	    "[--pages N] [--pause MS]", 1, 1, opts };
	struct backup_info info;
	char err[512] = "", size[32];
	int st;

	cli_parse_help(&sub,
	    "usage: kith backup FILE [--with-secrets] [--pages N] "
	    "[--pause MS]\n\nA consistent copy of the database while "
	    "Kith runs (sqlite's online backup),\ngzip-compressed tar; "
	    "the site secret and DKIM keys only with --with-secrets.\n"
	    "--pages: database pages per step (1024); --pause: "
	    "milliseconds between steps.\n", argc, argv);
	if (pages)
		o.pages = (int)cli_number("backup", "--pages", pages, 1, 1 << 20);
	if (pause)
		o.pause_ms = (int)cli_number("backup", "--pause", pause, 0, 60000);
	cli_config(c);
	st = backup_create(&c->cfg, argv[0], &o, now_utc(), &info, err,
	    sizeof(err));
	if (st != KITH_OK)
		die(st == KITH_TEMP ? EX_TEMPFAIL_ : info.damaged ? EX_DATAERR_ :
		    EX_CANTCREAT_, "%s", err);
	cli_printf("backup %s: schema %d, %lld posts, %lld members, %s%s\n",
	    argv[0], info.schema, (long long)info.posts,
	    (long long)info.members, size_human(info.file_bytes, size,
	    sizeof(size)), info.secrets > 0 ? "; with the secret and keys "
	    "(keep it safe)" : "; no secrets (--with-secrets adds them)");
	return 0;
}

int
cmd_restore(struct cli *c, int argc, char **argv)
{
	struct backup_opts o = { 0, 0, 0, 0 };
	const struct cli_opt opts[] = {
		{ "force", 0, OPT_FLAG, &o.force },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "restore", "FILE [--force]", 1, 1, opts };
	struct backup_info info;
	char err[512] = "";
	int st;

	cli_parse_help(&sub,
	    "usage: kith restore FILE [--force]\n\nPut a backup in "
	    "place; --force replaces a database that is there (stop\n"
	    "kith serve, cron and the MTA's deliveries first).  An older "
	    "schema is\nmigrated forward; a newer one is refused.\n",
	    argc, argv);
	cli_config(c);
	if (access(argv[0], R_OK) < 0)	/* as member import: 66 */
		die(EX_NOINPUT_, "cannot read '%s': %s", argv[0],
		    strerror(errno));
	st = backup_restore(&c->cfg, argv[0], &o, &info, err, sizeof(err));
	if (st == KITH_PERM && strstr(err, "already"))
		die(EX_CANTCREAT_, "%s", err);
	if (st == KITH_PERM)
		die(EX_DATAERR_, "%s", err);
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "%s", err);
	cli_printf("restored %s: schema %d%s, %lld posts, %lld members%s\n",
	    argv[0], info.schema, info.migrated_to != info.schema ?
	    " (migrated)" : "", (long long)info.posts, (long long)info.members,
	    info.secrets > 0 ? ", secrets written" : "");
	return 0;
}
