/* cmd_member - kith member add|rm|ls|import|export. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/address.h"
#include "kith/db.h"
#include "kith/bounce.h"
#include "kith/event.h"
#include "kith/members.h"
#include "kith/newsletter.h"
#include "kith/membership.h"
#include "kith/tokens.h"
#include "kith/util.h"

static void
member_usage(FILE *out)
{
	fprintf(out, "usage: kith member add LIST ADDRESS [--name NAME]\n"
	    "       kith member rm LIST ADDRESS\n"
	    "       kith member ls LIST [--json]\n"
	    "       kith member import LIST FILE   (one per line: 'addr', "
	    "'addr Name' or 'Name <addr>'; - for stdin)\n"
	    "       kith member export LIST        (the same format)\n"
	    "       kith member role LIST ADDRESS owner|moderator|member\n"
	    "       kith member moderate LIST ADDRESS on|off   (hold every post)\n"
	    "       kith member set LIST ADDRESS mode=each|digest-daily|"
	    "digest-weekly|nomail\n"
	    "       kith member set LIST ADDRESS digest_format=mime|plain\n"
	    "       kith member set LIST ADDRESS thanks=on|off\n"
	    "       kith member invite LIST ADDRESS [--name NAME]  (a mail whose "
	    "reply joins)\n"
	    "       kith member tag LIST ADDRESS TAG    (newsletters can go to "
	    "a tag)\n"
	    "       kith member untag LIST ADDRESS TAG\n"
	    "       kith member enable LIST ADDRESS  (deliver again after "
	    "bounces disabled it)\n"
	    "       kith member accept LIST ADDRESS  (let in a confirmed request "
	    "on an\n                                         'approve' list; "
	    "see 'kith mod ls')\n");
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
		printf(", \"joined\": %lld, \"disabled\": %s}",
		    (long long)m->joined, m->disabled ? "true" : "false");
	} else
		printf("%-40s %-9s %-6s %s%s\n", m->address, m->role,
		    m->mode, m->name, m->disabled ? " (disabled: bounces)" : "");
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
	case MEMBER_ADDED: {
		struct member m = { 0 };
		int n = 0;

		/* Upcoming events reach a new member at once. */
		if (member_find(c->db, l.id, argv[optind + 1], &m) == KITH_OK &&
		    db_begin(c->db) == KITH_OK) {
			n = event_invite_member(c->db, &l, m.id, m.address,
			    now_utc());
			if (n < 0 || db_commit(c->db) != KITH_OK) {
				db_rollback(c->db);
				n = 0;
				fprintf(stderr, "kith: added, but invitations to "
				    "upcoming events failed: database busy\n");
			}
		}
		if (m.address)
			member_release(&m);
		printf("added %s to %s", argv[optind + 1], l.address);
		if (n > 0)
			printf(" (invited to %d upcoming event%s)", n,
			    n == 1 ? "" : "s");
		printf("\n");
		break;
	}
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

static int
member_invite_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL;
	struct token_key *key;
	struct list l;
	char *addr;
	int ch, st;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (ch == 'n')
			name = optarg;
		else
			usage_error("member", "bad option for 'member invite'");
	}
	if (optind + 2 != argc)
		usage_error("member", "'member invite' takes LIST ADDRESS");
	cli_open(c);
	cli_list(c, argv[optind], &l);
	addr = address_normalize(argv[optind + 1]);
	if (addr == NULL)
		die(EX_DATAERR_, "'%s' is not a valid address", argv[optind + 1]);
	key = cli_key(c);
	{
		struct mail_ctx mc = { &c->cfg, c->db, key, &l, NULL, NULL };

		st = db_begin(c->db);
		if (st == KITH_OK)
			st = membership_invite(&mc, addr, name);
		if (st == KITH_OK)
			st = db_commit(c->db);
		else
			db_rollback(c->db);
	}
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "invitation not sent: database busy");
	printf("invited %s to %s; they join by replying\n", addr, l.address);
	token_key_free(key);
	free(addr);
	list_release(&l);
	return 0;
}

static int
member_accept_cmd(struct cli *c, const char *spec, const char *address)
{
	char *addr = address_normalize(address);
	struct token_key *key;
	struct buf out;
	struct list l;
	int st;

	if (addr == NULL)
		die(EX_DATAERR_, "'%s' is not a valid address", address);
	cli_open(c);
	cli_list(c, spec, &l);
	key = cli_key(c);
	buf_init(&out);
	{
		struct mail_ctx mc = { &c->cfg, c->db, key, &l, NULL, NULL };

		st = db_begin(c->db);
		if (st == KITH_OK)
			st = membership_accept(&mc, addr, &out);
		if (st == KITH_OK)
			st = db_commit(c->db);
		else
			db_rollback(c->db);
	}
	if (st == KITH_PERM)
		die(EX_NOUSER_, "no confirmed request from %s waits on %s", addr,
		    l.address);
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "database busy; nothing changed");
	printf("%s", out.data ? out.data : "");
	buf_release(&out);
	token_key_free(key);
	free(addr);
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
	} else if (!strcmp(sub, "role") || !strcmp(sub, "moderate") ||
	    !strcmp(sub, "set")) {
		int st;

		if (argc != 5)
			usage_error("member", "'member %s' takes LIST ADDRESS VALUE",
			    sub);
		cli_open(c);
		cli_list(c, argv[2], &l);
		if (!strcmp(sub, "role"))
			st = member_set_role(c->db, l.id, argv[3], argv[4]);
		else if (!strcmp(sub, "moderate"))
			st = strcmp(argv[4], "on") && strcmp(argv[4], "off") ?
			    KITH_PERM : member_set_moderated(c->db, l.id, argv[3],
			    !strcmp(argv[4], "on"));
		else if (!strcmp(argv[4], "thanks=on") ||
		    !strcmp(argv[4], "thanks=off"))
			st = db_exec(c->db, "UPDATE members SET thanks=? WHERE "
			    "list_id=? AND address=?", "Iit",
			    !strcmp(argv[4], "thanks=on"), l.id, argv[3]) ==
			    KITH_OK && sqlite3_changes(c->db) ? KITH_OK : KITH_PERM;
		else if (!strncmp(argv[4], "digest_format=", 14))
			st = member_set_digest_format(c->db, l.id, argv[3],
			    argv[4] + 14);
		else
			st = strncmp(argv[4], "mode=", 5) ? KITH_PERM :
			    member_set_mode(c->db, l.id, argv[3], argv[4] + 5, 0);
		if (st == KITH_TEMP)
			die(EX_TEMPFAIL_, "database busy");
		if (st != KITH_OK)
			die(EX_DATAERR_, "not changed: '%s' is not a member of %s, "
			    "or '%s' is not allowed; see 'kith member --help'",
			    argv[3], l.address, argv[4]);
		printf("%s: %s %s %s\n", l.address, argv[3], sub, argv[4]);
	} else if (!strcmp(sub, "tag") || !strcmp(sub, "untag")) {
		int st;

		if (argc != 5)
			usage_error("member", "'member %s' takes LIST ADDRESS TAG",
			    sub);
		if (!newsletter_tag_valid(argv[4]))
			die(EX_DATAERR_, "tag '%s': use letters, digits, '-' and "
			    "'_' (at most 40)", argv[4]);
		cli_open(c);
		cli_list(c, argv[2], &l);
		st = member_tag(c->db, l.id, argv[3], argv[4], !strcmp(sub, "tag"));
		if (st == KITH_TEMP)
			die(EX_TEMPFAIL_, "database busy");
		if (st != KITH_OK)
			die(EX_NOUSER_, "'%s' is not a member of %s", argv[3],
			    l.address);
		printf("%s: %s %s %s\n", l.address, argv[3],
		    !strcmp(sub, "tag") ? "tagged" : "untagged", argv[4]);
	} else if (!strcmp(sub, "enable")) {
		int st;

		if (argc != 4)
			usage_error("member", "'member enable' takes LIST ADDRESS");
		cli_open(c);
		cli_list(c, argv[2], &l);
		st = bounce_enable(c->db, l.id, argv[3]);
		if (st == KITH_TEMP)
			die(EX_TEMPFAIL_, "database busy");
		if (st != KITH_OK)
			die(EX_NOUSER_, "'%s' is not a member of %s", argv[3],
			    l.address);
		printf("%s: %s gets mail again; its bounce score starts at 0\n",
		    l.address, argv[3]);
	} else if (!strcmp(sub, "invite")) {
		return member_invite_cmd(c, argc - 1, argv + 1);
	} else if (!strcmp(sub, "accept")) {
		if (argc != 4)
			usage_error("member", "'member accept' takes LIST ADDRESS");
		return member_accept_cmd(c, argv[2], argv[3]);
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
