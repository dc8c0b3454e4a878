/* cmd_import - kith import mlmmj|mailman3|mailman2. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/db.h"
#include "kith/import.h"
#include "kith/import_mailman.h"
#include "kith/import_mlmmj.h"
#include "kith/tokens.h"
#include "kith/util.h"

static void
import_usage(FILE *out)
{
	fprintf(out, "usage: kith import mlmmj LISTDIR [--list LIST]\n"
	    "       kith import mailman3 DIR [--list LIST] [--mbox FILE]\n"
	    "       kith import mailman2 DIR [--list LIST] [--mbox FILE]\n\n"
	    "Members with their roles and delivery modes, the settings Kith "
	    "has (every other\none is printed), and the archive with its "
	    "dates; nothing is sent to anyone.\nThe list is created when "
	    "missing (its owners from the old list); --list imports\ninto an "
	    "existing Kith list.  Addresses forgotten at their own request "
	    "are left\nout.  Importing again adds only what is new.\n\n"
	    "A Mailman DIR holds what Mailman's commands write:\n"
	    "  members.txt       mailman members LIST       "
	    "(2: list_members -f LIST)\n"
	    "  digest.txt        mailman members -d any LIST  "
	    "(2: list_members -f -d LIST)\n"
	    "  digest-plain.txt  mailman members -d plaintext LIST "
	    "(2: list_members -f -d plain LIST)\n"
	    "  nomail.txt        mailman members -n any LIST  "
	    "(2: list_members -f -n LIST)\n"
	    "  owners.txt        mailman members -R owner LIST     (3 only)\n"
	    "  moderators.txt    mailman members -R moderator LIST (3 only)\n"
	    "  settings.json     the list's settings as JSON (3; README "
	    "'Moving to Kith')\n"
	    "  config.py         config_list -o config.py LIST (2)\n"
	    "  archive.mbox      the archive as an mbox (optional; or "
	    "--mbox FILE)\n");
}

static void
print_result(const struct import_plan *p, const struct import_result *r)
{
	cli_printf("%s %s: %d members added, %d already there, %d settings "
	    "carried over\n", r->list_created ? "created" : "imported into",
	    r->list, r->added, r->updated, r->settings);
	if (r->forgotten)
		cli_printf("%d left out: forgotten at their own request\n",
		    r->forgotten);
	if (r->invalid)
		cli_printf("%d left out: not valid addresses\n", r->invalid);
	cli_printf("archive: %d posts imported with their dates, %d already "
	    "there, %d unreadable\n", r->posts, r->duplicates, r->unreadable);
	if (p->dropped.len) {
		printf("not carried over (Kith has no such setting, or does it "
		    "its own way):\n");
		cli_text(stdout, "");
		{
			char *copy = xstrndup(p->dropped.data, p->dropped.len),
			    *save = NULL;

			for (char *l = strtok_r(copy, "\n", &save); l;
			    l = strtok_r(NULL, "\n", &save))
				cli_printf("  %s\n", l);
			free(copy);
		}
	}
}

int
cmd_import(struct cli *c, int argc, char **argv)
{
	const char *list = NULL, *mbox = NULL, *kind = argc > 1 ? argv[1] : "";
	const struct cli_opt opts[] = {
		{ "list", 0, OPT_VALUE, &list },
		{ "mbox", 0, OPT_VALUE, &mbox },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_opt mlmmj_opts[] = {
		{ "list", 0, OPT_VALUE, &list },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub subs[] = {
		{ "import mlmmj", "LISTDIR [--list LIST]", 1, 1, mlmmj_opts },
		{ "import mailman3", "DIR [--list LIST] [--mbox FILE]", 1, 1,
		    opts },
		{ "import mailman2", "DIR [--list LIST] [--mbox FILE]", 1, 1,
		    opts },
	};
	struct import_result r;
	struct import_plan p;
	struct token_key *key;
	char err[512] = "";
	int which, st;

	if (wants_help(argc, argv)) {
		import_usage(stdout);
		return 0;
	}
	if (argc < 2)
		usage_error("import", "import from what: mlmmj LISTDIR, mailman3 "
		    "DIR or mailman2 DIR");
	which = !strcmp(kind, "mlmmj") ? 0 : !strcmp(kind, "mailman3") ? 1 :
	    !strcmp(kind, "mailman2") ? 2 : -1;
	if (which < 0)
		usage_error("import", "'%s': import from mlmmj, mailman3 or "
		    "mailman2", kind);
	cli_parse(&subs[which], argc - 1, argv + 1);
	import_plan_init(&p);
	st = which == 0 ? import_mlmmj_read(argv[1], &p, err, sizeof(err)) :
	    import_mailman_read(which == 1 ? 3 : 2, argv[1], &p, err,
	    sizeof(err));
	if (st < 0)
		die(EX_DATAERR_, "%s", err);
	if (mbox) {
		free(p.mbox);
		p.mbox = xstrdup(mbox);
	}
	cli_open(c);
	key = cli_key(c);
	st = import_apply(c->db, key, &p, list, &r, err, sizeof(err));
	token_key_free(key);
	if (st == KITH_TEMP)
		die(EX_TEMPFAIL_, "%s", err);
	if (st != KITH_OK)
		die(EX_DATAERR_, "%s", err);
	print_result(&p, &r);
	free(r.list);
	import_plan_release(&p);
	return 0;
}
