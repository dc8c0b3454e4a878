/* cmd_list - kith list create|ls|show|set|rm. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "kith/db.h"
#include "kith/lists.h"
#include "kith/notice.h"
#include "kith/util.h"

static void
list_usage(FILE *out)
{
	fprintf(out, "usage: kith list create ADDRESS --owner ADDR [--name NAME] "
	    "[--description TEXT]\n"
	    "       kith list ls [--json]\n"
	    "       kith list show LIST\n"
	    "       kith list set LIST KEY VALUE\n"
	    "       kith list rm LIST [--yes]   (asks on a terminal; scripts "
	    "give --yes)\n\n"
	    "LIST is the list address or its bare name.  Settings:\n");
	list_settings_help(out);
}

static int
list_create_cmd(struct cli *c, int argc, char **argv)
{
	const char *owner = NULL, *name = NULL, *desc = NULL;
	const struct cli_opt opts[] = {
		{ "owner", 'o', OPT_VALUE, &owner },
		{ "name", 'n', OPT_VALUE, &name },
		{ "description", 'd', OPT_VALUE, &desc },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "list create", "ADDRESS --owner ADDR "
	    "[--name NAME] [--description TEXT]", 1, 1, opts };
	char err[512] = "";
	int st;

	cli_parse(&sub, argc, argv);
	if (owner == NULL)
		usage_error("list", "'list create' needs --owner ADDRESS");
	cli_open(c);
	st = list_create(c->db, argv[0], owner, name, desc, err, sizeof(err));
	cli_status(st, err);
	cli_printf("created list %s with owner %s\n", argv[0], owner);
	return 0;
}

static int
print_list_line(const struct list *l, int64_t members, void *ctx)
{
	int *json = ctx;

	if (*json) {
		printf("%s{\"address\": ", json[1]++ ? ",\n " : "");
		json_string(stdout, l->address);
		printf(", \"name\": ");
		json_string(stdout, l->name);
		printf(", \"description\": ");
		json_string(stdout, l->description);
		printf(", \"members\": %lld}", (long long)members);
	} else
		cli_printf("%-40s %6lld %-7s  %s\n", l->address,
		    (long long)members, plural(members, "member", "members"),
		    l->name);
	return 0;
}

static int
list_ls_cmd(struct cli *c, int argc, char **argv)
{
	int json[2] = { 0, 0 };

	cli_parse_json("list ls", "[--json]", 0, 0, &json[0], argc, argv);
	cli_open(c);
	if (json[0])
		printf("[");
	list_foreach(c->db, print_list_line, json);
	if (json[0])
		printf("]\n");
	return 0;
}

/* How many members and archived posts list l has. */
static void
list_counts(struct cli *c, const struct list *l, int64_t *members,
    int64_t *posts)
{
	*members = db_int(c->db, 0, NULL, "SELECT count(*) FROM members WHERE "
	    "list_id=?", "i", l->id);
	*posts = db_int(c->db, 0, NULL, "SELECT count(*) FROM posts WHERE "
	    "list_id=?", "i", l->id);
}

static int
list_show_cmd(struct cli *c, int argc, char **argv)
{
	const struct cli_sub sub = { "list show", "LIST", 1, 1, NULL };
	struct list l;
	int64_t members, posts;

	cli_parse(&sub, argc, argv);
	cli_open(c);
	cli_list(c, argv[0], &l);
	list_counts(c, &l, &members, &posts);
	cli_printf("address          %s\nname             %s\n"
	    "description      %s\nmembers          %lld\nposts            %lld\n",
	    l.address, l.name, l.description, (long long)members,
	    (long long)posts);
	list_settings_print(c->db, l.id, stdout);
	list_release(&l);
	return 0;
}

static int
list_set_cmd(struct cli *c, int argc, char **argv)
{
	const struct cli_sub sub = { "list set", "LIST KEY VALUE | LIST KEY=VALUE",
	    2, 3, NULL };
	struct list l;
	char err[512], *key, *value;
	int st, n;

	n = cli_parse(&sub, argc, argv);
	if (n == 3) {
		key = xstrdup(argv[1]);
		value = xstrdup(argv[2]);
	} else if ((value = strchr(argv[1], '=')) != NULL) {
		key = xstrndup(argv[1], (size_t)(value - argv[1]));
		value = xstrdup(value + 1);
	} else
		die(EX_USAGE_, "list set: expected KEY VALUE or KEY=VALUE after "
		    "the list");
	cli_open(c);
	cli_list(c, argv[0], &l);
	/* only a language Kith has: its texts' plurals and dates need it */
	if (!strcmp(key, "language") &&
	    notice_lang_ok(&c->cfg, value, err, sizeof(err)) < 0)
		die(EX_DATAERR_, "%s", err);
	st = list_setting_set(c->db, l.id, key, value, err, sizeof(err));
	cli_status(st, err);
	cli_printf("%s: %s = %s\n", l.address, key, value);
	list_release(&l);
	free(key);
	free(value);
	return 0;
}

/*
 * list_rm_cmd - the list goes with its members and archive, for good:
 * only with --yes, or when the person at the terminal types its address.
 */
static int
list_rm_cmd(struct cli *c, int argc, char **argv)
{
	int yes = 0;
	const struct cli_opt opts[] = {
		{ "yes", 'y', OPT_FLAG, &yes },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "list rm", "LIST [--yes]", 1, 1, opts };
	int64_t members, posts;
	char *what;
	struct list l;

	cli_parse(&sub, argc, argv);
	cli_open(c);
	cli_list(c, argv[0], &l);
	list_counts(c, &l, &members, &posts);
	what = xasprintf("%s with its %lld %s and %lld archived %s",
	    l.address, (long long)members, plural(members, "member",
	    "members"), (long long)posts, plural(posts, "post", "posts"));
	if (!yes) {
		char *q;

		if (!isatty(0))
			die(EX_USAGE_, "'list rm' deletes %s for good; add --yes "
			    "to do it", what);
		q = xasprintf("This deletes %s for good.", what);
		if (!cli_confirm(q, l.address))
			die(EX_USAGE_, "%s not removed: the answer was not '%s'",
			    l.address, l.address);
		free(q);
	}
	if (list_remove(c->db, &l) != KITH_OK)
		die(EX_TEMPFAIL_, "cannot remove '%s': " DB_BUSY_TEXT, l.address);
	cli_printf("removed list %s\n", what);
	free(what);
	list_release(&l);
	return 0;
}

int
cmd_list(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	int help;

	if ((help = group_help(argc, argv, list_usage)) >= 0)
		return help;
	if (!strcmp(sub, "create"))
		return list_create_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "ls"))
		return list_ls_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "show"))
		return list_show_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "set"))
		return list_set_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "rm"))
		return list_rm_cmd(c, argc - 1, argv + 1);
	usage_error("list", "'%s' is not a list command", sub);
}
