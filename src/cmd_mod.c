/* cmd_mod - kith mod (hold queue) and kith ban. */
#include "config.h"

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

struct held_ctx {
	int json, n;
};

static int
print_held(const struct held *h, void *ctx)
{
	struct held_ctx *x = ctx;
	time_t t = (time_t)h->created;
	char date[32];
	struct tm tm;

	if (x->json) {
		printf("%s{\"kind\": \"post\", \"id\": %lld, \"created\": %lld, "
		    "\"expires\": %lld, \"message_id\": ", x->n++ ? ",\n " : "",
		    (long long)h->id, (long long)h->created,
		    (long long)h->expires);
		json_string(stdout, h->message_id);
		printf(", \"sender\": ");
		json_string(stdout, h->sender);
		printf(", \"subject\": ");
		json_string(stdout, h->subject);
		printf(", \"reason\": ");
		json_string(stdout, h->reason);
		printf("}");
		return 0;
	}
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	cli_printf("%-5lld %s  %-30s %-40s (%s)\n", (long long)h->id, date,
	    h->sender, h->subject, h->reason);
	return 0;
}

static void
mod_usage(FILE *out)
{
	fprintf(out, "usage: kith mod ls LIST [--json]\n"
	    "       kith mod show ID\n"
	    "       kith mod approve ID [--always]   (always: and accept its "
	    "sender from now on)\n"
	    "       kith mod reject ID [--reason TEXT]\n"
	    "       kith mod discard ID\n\n"
	    "Posts held for the moderators.  approve posts it, reject "
	    "tells the author\n(with the reason), discard drops it "
	    "silently.  ls also shows the confirmed\nrequests to join an "
	    "'approve' list.\n");
}

/* kith mod approve ID [--always] | reject ID [--reason TEXT] | discard ID */
static int
mod_decide(struct cli *c, int argc, char **argv, enum mod_action action)
{
	const char *reason = NULL;
	int always = 0;
	const struct cli_opt opts[] = {
		{ "reason", 'r', OPT_VALUE, &reason },
		{ NULL, 0, 0, NULL }
	}, approve_opts[] = {
		{ "always", 'a', OPT_FLAG, &always },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { action == MOD_APPROVE ? "mod approve" :
	    action == MOD_REJECT ? "mod reject" : "mod discard",
	    action == MOD_REJECT ? "ID [--reason TEXT]" : action == MOD_APPROVE ?
	    "ID [--always]" : "ID", 1, 1, action == MOD_REJECT ? opts :
	    action == MOD_APPROVE ? approve_opts : NULL };
	struct held h;
	struct list l;
	struct token_key *key;
	char err[256] = "";
	int st;
	int64_t id;

	cli_parse(&sub, argc, argv);
	id = cli_id(sub.cmd, "a held post ID", argv[0]);
	cli_open(c);
	if (moderation_get(c->db, id, &h, NULL, NULL) != KITH_OK)
		die(EX_NOINPUT_, "no held post %lld; see 'kith mod ls LIST'",
		    (long long)id);
	{
		char *addr = NULL;
		struct db_stmt *st2 = db_prepare(c->db, "SELECT address FROM lists "
		    "WHERE id=?");

		if (st2 == NULL)
			die(EX_TEMPFAIL_, DB_BUSY_TEXT);
		db_bind(st2, "i", h.list_id);
		if (db_step(st2) == DB_ROW)
			addr = db_col_text(st2, 0);
		db_finalize(st2);
		if (addr == NULL || list_find(c->db, addr, &l, err,
		    sizeof(err)) != KITH_OK)
			die(EX_NOINPUT_, "the list of held post %lld is gone",
			    (long long)id);
		free(addr);
	}
	/* accepted first: a sender the list cannot accept leaves the post
	 * waiting, and the moderator is told why */
	if (always && (st = moderation_accept_sender(c->db, &h, err,
	    sizeof(err))) != KITH_OK) {
		if (st == KITH_TEMP)
			die(EX_TEMPFAIL_, "nothing changed: " DB_BUSY_TEXT);
		die(EX_DATAERR_, "nothing changed: %s", err);
	}
	key = cli_key(c);
	{
		struct mail_ctx mc = { &c->cfg, c->db, key, &l, h.message_id,
			h.subject };

		st = moderation_decide(&mc, id, action, reason, "command line",
		    now_utc());
	}
	if (st == KITH_PERM)
		die(EX_NOINPUT_, "held post %lld was decided meanwhile; nothing "
		    "changed", (long long)id);
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "nothing changed: " DB_BUSY_TEXT);
	cli_printf("%s held post %lld (%s)\n", action == MOD_APPROVE ?
	    "approved" : action == MOD_REJECT ? "rejected" : "discarded",
	    (long long)id, h.subject);
	if (always)
		cli_printf("%s: %s posts as a member would from now on "
		    "(accept_nonmembers)\n", l.address, h.sender);
	token_key_free(key);
	held_release(&h);
	list_release(&l);
	cli_close(c);
	return 0;
}

/* Held posts, then confirmed requests to join an 'approve' list. */
static int
mod_ls(struct cli *c, int argc, char **argv)
{
	struct held_ctx x = { 0, 0 };
	struct db_stmt *st;
	struct list l;

	cli_parse_json("mod ls", "LIST [--json]", 1, 1, &x.json, argc, argv);
	cli_open(c);
	cli_list(c, argv[0], &l);
	if (x.json)
		printf("[");
	if (moderation_foreach(c->db, l.id, print_held, &x) != KITH_OK)
		die(EX_TEMPFAIL_, DB_BUSY_TEXT);
	st = db_prepare(c->db, "SELECT address, commands FROM pending "
	    "WHERE list_id=? AND kind='approve' ORDER BY id");
	if (st == NULL)
		die(EX_TEMPFAIL_, DB_BUSY_TEXT);
	db_bind(st, "i", l.id);
	while (db_step(st) == DB_ROW) {
		const char *addr = db_col_str(st, 0);
		const char *cmds = db_col_str(st, 1);

		if (x.json) {
			printf("%s{\"kind\": \"join\", \"address\": ",
			    x.n++ ? ",\n " : "");
			json_string(stdout, addr ? addr : "");
			printf(", \"commands\": ");
			json_string(stdout, cmds ? cmds : "");
			printf("}");
		} else
			cli_printf("join  %-30s %s  (kith member accept %s %s)\n",
			    addr ? addr : "", cmds ? cmds : "", l.local,
			    addr ? addr : "");
	}
	db_finalize(st);
	if (x.json)
		printf("]\n");
	list_release(&l);
	cli_close(c);
	return 0;
}

static int
mod_show(struct cli *c, int argc, char **argv)
{
	const struct cli_sub sub = { "mod show", "ID", 1, 1, NULL };
	struct held h;
	char *raw = NULL;
	size_t len = 0;
	int64_t id;

	cli_parse(&sub, argc, argv);
	id = cli_id("mod show", "a held post ID", argv[0]);
	cli_open(c);
	if (moderation_get(c->db, id, &h, &raw, &len) != KITH_OK)
		die(EX_NOINPUT_, "no held post %lld; see 'kith mod ls LIST'",
		    (long long)id);
	cli_printf("# held post %lld: %s\n", (long long)h.id, h.reason);
	/* the message as it came, for a pipe; on a terminal the guard
	 * (cli_guard_terminal) cleans it */
	fwrite(raw, 1, len, stdout);
	free(raw);
	held_release(&h);
	cli_close(c);
	return 0;
}

int
cmd_mod(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	int help;

	if ((help = group_help(argc, argv, mod_usage)) >= 0)
		return help;
	if (!strcmp(sub, "approve"))
		return mod_decide(c, argc - 1, argv + 1, MOD_APPROVE);
	if (!strcmp(sub, "reject"))
		return mod_decide(c, argc - 1, argv + 1, MOD_REJECT);
	if (!strcmp(sub, "discard"))
		return mod_decide(c, argc - 1, argv + 1, MOD_DISCARD);
	if (!strcmp(sub, "ls"))
		return mod_ls(c, argc - 1, argv + 1);
	if (!strcmp(sub, "show"))
		return mod_show(c, argc - 1, argv + 1);
	usage_error("mod", "'%s' is not a mod command", sub);
}

struct ban_ctx {
	const char *scope;
	int json, n;
};

static int
print_ban(const char *pattern, void *ctx)
{
	struct ban_ctx *x = ctx;

	if (x->json) {
		printf("%s{\"pattern\": ", x->n++ ? ",\n " : "");
		json_string(stdout, pattern);
		printf(", \"list\": ");
		if (x->scope)
			json_string(stdout, x->scope);
		else
			printf("null");	/* every list */
		printf("}");
	} else
		cli_printf("%s\n", pattern);
	return 0;
}

static void
ban_usage(FILE *out)
{
	fprintf(out, "usage: kith ban add LIST|--all ADDRESS|PATTERN\n"
	    "       kith ban rm LIST|--all ADDRESS|PATTERN\n"
	    "       kith ban ls [LIST|--all] [--json]\n\n"
	    "A banned address can neither join nor post; it is told at "
	    "most once a day.\nPatterns are shell patterns: "
	    "'*@spam.example', 'bot-*@*'.  --all bans on every list\n"
	    "(ls without a list shows those).\n");
}

int
cmd_ban(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	struct ban_ctx x = { NULL, 0, 0 };
	int site = 0, n, r, is_ls = !strcmp(sub, "ls");
	const struct cli_opt ls_opts[] = {
		{ "all", 0, OPT_FLAG, &site },
		{ "json", 0, OPT_FLAG, &x.json },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_opt change_opts[] = {
		{ "all", 0, OPT_FLAG, &site },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub subs[] = {
		{ "ban ls", "[LIST|--all] [--json]", 0, 1, ls_opts },
		{ "ban add", "LIST|--all ADDRESS|PATTERN", 1, 2, change_opts },
		{ "ban rm", "LIST|--all ADDRESS|PATTERN", 1, 2, change_opts },
	};
	const struct cli_sub *s;
	struct list l;
	int64_t list_id = 0;
	const char *why;
	int help;

	if ((help = group_help(argc, argv, ban_usage)) >= 0)
		return help;
	if (is_ls)
		s = &subs[0];
	else if (!strcmp(sub, "add"))
		s = &subs[1];
	else if (!strcmp(sub, "rm"))
		s = &subs[2];
	else
		usage_error("ban", "'%s' is not a ban command", sub);
	n = cli_parse(s, argc - 1, argv + 1);
	argv += 1;
	/* LIST or --all, not both; add and rm then take the pattern */
	if ((is_ls && site && n > 0) || (!is_ls && n != (site ? 1 : 2)))
		usage_error("ban", "usage: kith %s %s", s->cmd, s->usage);
	cli_open(c);
	memset(&l, 0, sizeof(l));
	if (!site && (!is_ls || n == 1)) {
		cli_list(c, argv[0], &l);
		list_id = l.id;
		x.scope = l.address;
	}
	if (is_ls) {
		if (x.json)
			printf("[");
		if (ban_foreach(c->db, list_id, print_ban, &x) != KITH_OK)
			die(EX_TEMPFAIL_, DB_BUSY_TEXT);
		if (x.json)
			printf("]\n");
	} else if (s == &subs[1]) {
		if ((why = ban_pattern_problem(argv[n - 1])) != NULL)
			die(EX_DATAERR_, "'%s' %s", argv[n - 1], why);
		r = ban_add(c->db, list_id, argv[n - 1], now_utc());
		if (r != KITH_OK)
			die(EX_TEMPFAIL_, DB_BUSY_TEXT);
		cli_printf("banned %s on %s\n", argv[n - 1], site ? "every list" :
		    l.address);
	} else {
		r = ban_remove(c->db, list_id, argv[n - 1]);
		if (r == 0)
			die(EX_NOUSER_, "'%s' is not banned there", argv[n - 1]);
		if (r < 0)
			die(EX_TEMPFAIL_, DB_BUSY_TEXT);
		cli_printf("unbanned %s\n", argv[n - 1]);
	}
	list_release(&l);
	cli_close(c);
	return 0;
}
