/* cmd_list - kith list create|ls|show|set|rm. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/db.h"
#include "kith/lists.h"
#include "kith/util.h"

static void
list_usage(FILE *out)
{
	fprintf(out, "usage: kith list create ADDRESS --owner ADDR [--name NAME] "
	    "[--description TEXT]\n"
	    "       kith list ls [--json]\n"
	    "       kith list show LIST\n"
	    "       kith list set LIST KEY VALUE\n"
	    "       kith list rm LIST\n\n"
	    "LIST is the list address or its bare name.  Settings:\n");
	list_settings_help(out);
}

static int
list_create_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "description", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	const char *owner = NULL, *name = NULL, *desc = NULL;
	char err[512] = "";
	int ch, st;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "o:n:d:", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': owner = optarg; break;
		case 'n': name = optarg; break;
		case 'd': desc = optarg; break;
		default: usage_error("list", "bad option for 'list create'");
		}
	}
	if (optind + 1 != argc)
		usage_error("list", "'list create' takes one list address");
	if (owner == NULL)
		usage_error("list", "'list create' needs --owner ADDRESS");
	cli_open(c);
	st = list_create(c->db, argv[optind], owner, name, desc, err,
	    sizeof(err));
	if (st != KITH_OK)
		die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_DATAERR_, "%s", err);
	printf("created list %s with owner %s\n", argv[optind], owner);
	return 0;
}

static int
print_list_line(const struct list *l, int64_t members, void *ctx)
{
	int *json = ctx;

	if (*json) {
		printf("%s{\"address\": ", json[1]++ ? ", " : "");
		json_string(stdout, l->address);
		printf(", \"name\": ");
		json_string(stdout, l->name);
		printf(", \"members\": %lld}", (long long)members);
	} else
		printf("%-40s %6lld members  %s\n", l->address,
		    (long long)members, l->name);
	return 0;
}

static int
list_show_cmd(struct cli *c, const char *spec)
{
	struct list l;
	int st;
	int64_t members, posts;

	cli_list(c, spec, &l);
	members = db_int(c->db, 0, &st, "SELECT count(*) FROM members WHERE "
	    "list_id=?", "i", l.id);
	posts = db_int(c->db, 0, &st, "SELECT count(*) FROM posts WHERE "
	    "list_id=?", "i", l.id);
	printf("address          %s\nname             %s\ndescription      %s\n"
	    "members          %lld\nposts            %lld\n", l.address, l.name,
	    l.description, (long long)members, (long long)posts);
	list_settings_print(c->db, l.id, stdout);
	list_release(&l);
	return 0;
}

int
cmd_list(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	struct list l;
	char err[512] = "";
	int st;

	if (argc < 2 || !strcmp(sub, "-h") || !strcmp(sub, "--help") ||
	    (argc == 3 && wants_help(argc, argv))) {
		list_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE_ : 0;
	}
	if (!strcmp(sub, "create"))
		return list_create_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "ls")) {
		int json[2] = { argc > 2 && !strcmp(argv[2], "--json"), 0 };

		cli_open(c);
		if (json[0])
			printf("[");
		list_foreach(c->db, print_list_line, json);
		if (json[0])
			printf("]\n");
		return 0;
	}
	if (!strcmp(sub, "show")) {
		if (argc != 3)
			usage_error("list", "'list show' takes one list");
		cli_open(c);
		return list_show_cmd(c, argv[2]);
	}
	if (!strcmp(sub, "set")) {
		if (argc != 5)
			usage_error("list", "'list set' takes LIST KEY VALUE");
		cli_open(c);
		cli_list(c, argv[2], &l);
		st = list_setting_set(c->db, l.id, argv[3], argv[4], err,
		    sizeof(err));
		if (st != KITH_OK)
			die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_DATAERR_, "%s",
			    err);
		printf("%s: %s = %s\n", l.address, argv[3], argv[4]);
		list_release(&l);
		return 0;
	}
	if (!strcmp(sub, "rm")) {
		if (argc != 3)
			usage_error("list", "'list rm' takes one list");
		cli_open(c);
		cli_list(c, argv[2], &l);
		if (list_remove(c->db, &l) != KITH_OK)
			die(EX_TEMPFAIL_, "cannot remove '%s': database busy",
			    l.address);
		printf("removed list %s\n", l.address);
		list_release(&l);
		return 0;
	}
	usage_error("list", "'%s' is not a list command", sub);
}
