/* cmd_member - kith member add|rm|ls|import|export. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/members.h"
#include "kith/util.h"

static void
member_usage(FILE *out)
{
	fprintf(out, "usage: kith member add LIST ADDRESS [--name NAME]\n"
	    "       kith member rm LIST ADDRESS\n"
	    "       kith member ls LIST [--json]\n"
	    "       kith member import LIST FILE   (one per line: 'addr', "
	    "'addr Name' or 'Name <addr>'; - for stdin)\n"
	    "       kith member export LIST        (the same format)\n");
}

static int
print_member(const struct member *m, void *ctx)
{
	int *json = ctx;

	if (json[0]) {
		printf("%s{\"address\": ", json[1]++ ? ",\n " : "");
		json_string(stdout, m->address);
		printf(", \"name\": ");
		json_string(stdout, m->name);
		printf(", \"role\": ");
		json_string(stdout, m->role);
		printf(", \"mode\": ");
		json_string(stdout, m->mode);
		printf(", \"joined\": %lld}", (long long)m->joined);
	} else
		printf("%-40s %-9s %-6s %s\n", m->address, m->role, m->mode,
		    m->name);
	return 0;
}

static int
export_member(const struct member *m, void *ctx)
{
	(void)ctx;
	if (*m->name)
		printf("%s %s\n", m->address, m->name);
	else
		printf("%s\n", m->address);
	return 0;
}

static void
report_bad_line(int lineno, const char *line, void *ctx)
{
	fprintf(stderr, "kith: %s:%d: not an address: '%s'\n",
	    (const char *)ctx, lineno, line);
}

static int
member_add_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL;
	struct list l;
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (ch == 'n')
			name = optarg;
		else
			usage_error("member", "bad option for 'member add'");
	}
	if (optind + 2 != argc)
		usage_error("member", "'member add' takes LIST ADDRESS");
	cli_open(c);
	cli_list(c, argv[optind], &l);
	switch (member_add(c->db, l.id, argv[optind + 1], name)) {
	case MEMBER_ADDED:
		printf("added %s to %s\n", argv[optind + 1], l.address);
		break;
	case MEMBER_EXISTS:
		printf("%s is already a member of %s\n", argv[optind + 1],
		    l.address);
		break;
	case MEMBER_INVALID:
		die(EX_DATAERR_, "'%s' is not a valid address", argv[optind + 1]);
	default:
		die(EX_TEMPFAIL_, "cannot add '%s': database busy",
		    argv[optind + 1]);
	}
	list_release(&l);
	return 0;
}

int
cmd_member(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	struct list l;

	if (argc < 2 || wants_help(argc, argv)) {
		member_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE_ : 0;
	}
	if (!strcmp(sub, "add"))
		return member_add_cmd(c, argc - 1, argv + 1);
	if (argc < 3)
		usage_error("member", "'member %s' needs a list", sub);
	if (!strcmp(sub, "rm")) {
		if (argc != 4)
			usage_error("member", "'member rm' takes LIST ADDRESS");
		cli_open(c);
		cli_list(c, argv[2], &l);
		switch (member_remove(c->db, l.id, argv[3])) {
		case MEMBER_REMOVED:
			printf("removed %s from %s\n", argv[3], l.address);
			break;
		case MEMBER_NOT_FOUND:
		case MEMBER_INVALID:
			die(EX_NOUSER_, "'%s' is not a member of %s", argv[3],
			    l.address);
		default:
			die(EX_TEMPFAIL_, "cannot remove: database busy");
		}
	} else if (!strcmp(sub, "ls")) {
		int json[2] = { argc > 3 && !strcmp(argv[3], "--json"), 0 };

		cli_open(c);
		cli_list(c, argv[2], &l);
		if (json[0])
			printf("[");
		member_foreach(c->db, l.id, print_member, json);
		if (json[0])
			printf("]\n");
	} else if (!strcmp(sub, "export")) {
		cli_open(c);
		cli_list(c, argv[2], &l);
		member_foreach(c->db, l.id, export_member, NULL);
	} else if (!strcmp(sub, "import")) {
		struct import_counts n;
		FILE *in;

		if (argc != 4)
			usage_error("member", "'member import' takes LIST FILE");
		cli_open(c);
		cli_list(c, argv[2], &l);
		in = strcmp(argv[3], "-") ? fopen(argv[3], "r") : stdin;
		if (in == NULL)
			die(EX_NOINPUT_, "cannot read '%s': %s", argv[3],
			    strerror(errno));
		if (member_import(c->db, l.id, in, &n, report_bad_line,
		    argv[3]) != KITH_OK)
			die(EX_TEMPFAIL_, "import failed: database busy; nothing "
			    "was imported");
		if (in != stdin)
			fclose(in);
		printf("%d added, %d skipped (already members), %d invalid\n",
		    n.added, n.skipped, n.invalid);
	} else
		usage_error("member", "'%s' is not a member command", sub);
	list_release(&l);
	return 0;
}
