/* cmd_mod - kith mod (hold queue) and kith ban. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "kith/bans.h"
#include "kith/db.h"
#include "kith/moderation.h"
#include "kith/tokens.h"
#include "kith/util.h"

static int
print_held(const struct held *h, void *ctx)
{
	time_t t = (time_t)h->created;
	char date[32];
	struct tm tm;

	(void)ctx;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	printf("%-5lld %s  %-30s %-40s (%s)\n", (long long)h->id, date,
	    h->sender, h->subject, h->reason);
	return 0;
}

static int64_t
parse_id(const char *s)
{
	char *end;
	long long id = strtoll(s, &end, 10);

	if (*s == '\0' || *end || id <= 0)
		usage_error("mod", "'%s' is not a held post ID", s);
	return id;
}

/* kith mod approve|reject|discard ID [--reason TEXT] */
static int
mod_decide(struct cli *c, int argc, char **argv, enum mod_action action)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const char *reason = NULL;
	struct held h;
	struct list l;
	struct token_key *key;
	char err[256] = "";
	int ch, st;
	int64_t id;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
		if (ch == 'r')
			reason = optarg;
		else
			usage_error("mod", "bad option");
	}
	if (optind + 1 != argc)
		usage_error("mod", "'mod %s' takes one held post ID", argv[0]);
	id = parse_id(argv[optind]);
	cli_open(c);
	if (moderation_get(c->db, id, &h, NULL, NULL) != KITH_OK)
		die(EX_NOINPUT_, "no held post %lld; see 'kith mod ls LIST'",
		    (long long)id);
	{
		char *addr = NULL;
		sqlite3_stmt *st2 = db_prepare(c->db, "SELECT address FROM lists "
		    "WHERE id=?");

		db_bind(st2, "i", h.list_id);
		if (sqlite3_step(st2) == SQLITE_ROW)
			addr = db_col_text(st2, 0);
		sqlite3_finalize(st2);
		if (addr == NULL || list_find(c->db, addr, &l, err,
		    sizeof(err)) != KITH_OK)
			die(EX_NOINPUT_, "the list of held post %lld is gone",
			    (long long)id);
		free(addr);
	}
	key = cli_key(c);
	{
		struct mail_ctx mc = { &c->cfg, c->db, key, &l, h.message_id,
			h.subject };

		st = moderation_decide(&mc, id, action, reason, "command line");
	}
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "database busy; nothing changed");
	printf("%s held post %lld (%s)\n", action == MOD_APPROVE ? "approved" :
	    action == MOD_REJECT ? "rejected" : "discarded", (long long)id,
	    h.subject);
	token_key_free(key);
	held_release(&h);
	list_release(&l);
	cli_close(c);
	return 0;
}

int
cmd_mod(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	struct list l;

	if (argc < 3 || wants_help(argc, argv)) {
		printf("usage: kith mod ls LIST\n"
		    "       kith mod show ID\n"
		    "       kith mod approve ID\n"
		    "       kith mod reject ID [--reason TEXT]\n"
		    "       kith mod discard ID\n\n"
		    "Posts held for the moderators.  approve posts it, reject "
		    "tells the author\n(with the reason), discard drops it "
		    "silently.\n");
		return argc < 3 && !wants_help(argc, argv) ? EX_USAGE_ : 0;
	}
	if (!strcmp(sub, "approve"))
		return mod_decide(c, argc - 1, argv + 1, MOD_APPROVE);
	if (!strcmp(sub, "reject"))
		return mod_decide(c, argc - 1, argv + 1, MOD_REJECT);
	if (!strcmp(sub, "discard"))
		return mod_decide(c, argc - 1, argv + 1, MOD_DISCARD);
	cli_open(c);
	if (!strcmp(sub, "ls")) {
		sqlite3_stmt *st;

		cli_list(c, argv[2], &l);
		moderation_foreach(c->db, l.id, print_held, NULL);
		/* confirmed requests to join an 'approve' list */
		st = db_prepare(c->db, "SELECT address, commands FROM pending "
		    "WHERE list_id=? AND kind='approve' ORDER BY id");
		db_bind(st, "i", l.id);
		while (st && sqlite3_step(st) == SQLITE_ROW)
			printf("join  %-30s %s  (kith member accept %s %s)\n",
			    sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
			    l.local, sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		list_release(&l);
	} else if (!strcmp(sub, "show")) {
		struct held h;
		char *raw = NULL;
		size_t len = 0;

		if (moderation_get(c->db, parse_id(argv[2]), &h, &raw, &len) !=
		    KITH_OK)
			die(EX_NOINPUT_, "no held post %s", argv[2]);
		printf("# held post %lld: %s\n", (long long)h.id, h.reason);
		fwrite(raw, 1, len, stdout);
		free(raw);
		held_release(&h);
	} else
		usage_error("mod", "'%s' is not a mod command", sub);
	cli_close(c);
	return 0;
}

static int
print_ban(const char *pattern, void *ctx)
{
	(void)ctx;
	printf("%s\n", pattern);
	return 0;
}

int
cmd_ban(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	int site = argc > 2 && !strcmp(argv[2], "--all");
	struct list l;
	int64_t list_id = 0;
	int r;

	if (argc < 2 || wants_help(argc, argv)) {
		printf("usage: kith ban add LIST|--all ADDRESS|PATTERN\n"
		    "       kith ban rm LIST|--all ADDRESS|PATTERN\n"
		    "       kith ban ls [LIST|--all]\n\n"
		    "A banned address can neither join nor post; it is told at "
		    "most once a day.\nPatterns are shell patterns: "
		    "'*@spam.example', 'bot-*@*'.  --all bans on every list.\n");
		return argc < 2 ? EX_USAGE_ : 0;
	}
	cli_open(c);
	memset(&l, 0, sizeof(l));
	if (argc > 2 && !site) {
		cli_list(c, argv[2], &l);
		list_id = l.id;
	}
	if (!strcmp(sub, "ls"))
		ban_foreach(c->db, list_id, print_ban, NULL);
	else if ((!strcmp(sub, "add") || !strcmp(sub, "rm")) && argc == 4) {
		if (!strcmp(sub, "add")) {
			r = ban_add(c->db, list_id, argv[3]);
			if (r == KITH_PERM)
				die(EX_DATAERR_, "'%s' is not an address or pattern",
				    argv[3]);
			if (r != KITH_OK)
				die(EX_TEMPFAIL_, "database busy");
			printf("banned %s on %s\n", argv[3], site ? "every list" :
			    l.address);
		} else {
			r = ban_remove(c->db, list_id, argv[3]);
			if (r == 0)
				die(EX_NOUSER_, "'%s' is not banned there", argv[3]);
			if (r < 0)
				die(EX_TEMPFAIL_, "database busy");
			printf("unbanned %s\n", argv[3]);
		}
	} else
		usage_error("ban", "'ban %s' takes LIST|--all and a pattern", sub);
	list_release(&l);
	cli_close(c);
	return 0;
}
