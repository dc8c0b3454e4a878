/* cmd_poll - kith poll create|ls|show|close. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/db.h"
#include "kith/poll.h"
#include "kith/timeutil.h"
#include "kith/util.h"

static void
poll_usage(FILE *out)
{
	fprintf(out, "usage: kith poll create LIST --question Q --option A "
	    "--option B [--option ...]\n"
	    "                 [--multiple] [--closes \"YYYY-MM-DD HH:MM\"] "
	    "[--tz ZONE] [--json]\n"
	    "       kith poll ls LIST [--json]\n"
	    "       kith poll show ID [--json]\n"
	    "       kith poll close ID\n\n"
	    "Members vote by replying with the number(s) or the option's text, "
	    "or with\n'vote ID N' to LIST-request@; a new vote replaces the old "
	    "one.  At closing\n(this command, or 'kith cron' at --closes) the "
	    "results go to the list.\n");
}

static int
create_cmd(struct cli *c, int argc, char **argv)
{
	const char *question = NULL, *closes = NULL, *tz = NULL;
	const char *options[POLL_MAX_OPTIONS];
	struct cli_multi optv = { options, 0, POLL_MAX_OPTIONS };
	int multiple = 0, json = 0, st;
	const struct cli_opt opts[] = {
		{ "question", 0, OPT_VALUE, &question },
		{ "option", 0, OPT_MULTI, &optv },
		{ "multiple", 0, OPT_FLAG, &multiple },
		{ "closes", 0, OPT_VALUE, &closes },
		{ "tz", 0, OPT_VALUE, &tz },
		{ "json", 0, OPT_FLAG, &json },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "poll create", "LIST --question Q --option "
	    "A --option B [--option ...] [--multiple] [--closes TIME] [--tz ZONE] "
	    "[--json]", 1, 1, opts };
	char err[512] = "", *list_tz = NULL;
	int64_t id, sent, at = 0;
	struct list l;

	cli_parse(&sub, argc, argv);
	if (question == NULL)
		usage_error("poll", "'poll create' needs --question Q");
	if (tz && !closes)
		usage_error("poll", "--tz goes with --closes");
	if (tz && !tz_valid(tz))
		die(EX_DATAERR_, "'%s' is not a time zone (e.g. Europe/Prague)",
		    tz);
	cli_open(c);
	cli_list(c, argv[0], &l);
	if (closes) {
		if (tz == NULL)
			tz = list_tz = list_setting(c->db, l.id, "timezone");
		if (tz == NULL || !tz_valid(tz))
			die(EX_CONFIG_, "the list's timezone '%s' is not valid; "
			    "give --tz", tz ? tz : "");
		if ((st = local_time_parse(closes, tz, &at)) == -2) {
			local_time_refusal(st, closes, tz, "", err,
			    sizeof(err));
			die(EX_DATAERR_, "%s", err);
		}
		if (st < 0)
			die(EX_DATAERR_, "'%s' in '%s' is not a time like "
			    "\"2026-12-10 18:00\"", closes, tz);
	}
	st = poll_create(c->db, &l, question, (char *const *)options, optv.n,
	    multiple, at, now_utc(), &id, &sent, err, sizeof(err));
	cli_status(st, err);
	if (json)
		printf("{\"id\": %lld, \"sent\": %lld}\n", (long long)id,
		    (long long)sent);
	else
		printf("%lld\n", (long long)id);
	free(list_tz);
	list_release(&l);
	return 0;
}

struct nv_ctx {
	int json, n;
};

static int
print_nonvoter(const char *address, void *ctx)
{
	struct nv_ctx *x = ctx;

	if (x->json) {
		printf("%s", x->n++ ? ", " : "");
		json_string(stdout, address);
	} else
		cli_printf("  %s\n", address);
	return 0;
}

static int
print_day(const char *day, int64_t votes, void *ctx)
{
	struct nv_ctx *x = ctx;

	if (x->json)
		printf("%s{\"day\": \"%s\", \"votes\": %lld}", x->n++ ? ", " : "",
		    day, (long long)votes);
	else
		printf("  %s  %lld\n", day, (long long)votes);
	return 0;
}

static int
show_cmd(struct cli *c, int argc, char **argv)
{
	int json = 0;
	struct poll p;
	struct poll_tally t;
	struct nv_ctx x;
	int64_t id;

	cli_parse_json("poll show", "ID [--json]", 1, 1, &json, argc, argv);
	id = cli_id("poll show", "a poll ID", argv[0]);
	x.json = json;
	x.n = 0;
	cli_open(c);
	if (poll_get(c->db, id, &p) != KITH_OK)
		die(EX_NOINPUT_, "no poll %lld; see 'kith poll ls LIST'",
		    (long long)id);
	poll_tally(c->db, &p, &t);
	if (json) {
		printf("{\"id\": %lld, \"question\": ", (long long)p.id);
		json_string(stdout, p.question);
		printf(", \"state\": \"%s\", \"multiple\": %s, \"closes\": %lld, "
		    "\"voters\": %lld, \"members\": %lld, \"options\": [",
		    p.state, p.multiple ? "true" : "false", (long long)p.closes,
		    (long long)t.voters, (long long)t.members);
		for (size_t i = 0; i < p.noptions; i++) {
			printf("%s{\"option\": ", i ? ", " : "");
			json_string(stdout, p.options[i]);
			printf(", \"votes\": %lld, \"percent\": %.1f}",
			    (long long)t.votes[i], t.voters ?
			    100.0 * t.votes[i] / t.voters : 0.0);
		}
		printf("], \"not_voted\": [");
		poll_nonvoters(c->db, &p, print_nonvoter, &x);
		x.n = 0;
		printf("], \"timeline\": [");
		poll_timeline(c->db, &p, print_day, &x);
		printf("]}\n");
	} else {
		cli_printf("poll %lld (%s%s): %s\n\n", (long long)p.id, p.state,
		    p.multiple ? ", several answers" : "", p.question);
		for (size_t i = 0; i < p.noptions; i++)
			cli_printf("  %2zu. %-30s %4lld %-5s  %5.1f%%\n", i + 1,
			    p.options[i], (long long)t.votes[i],
			    plural(t.votes[i], "vote", "votes"), t.voters ?
			    100.0 * t.votes[i] / t.voters : 0.0);
		cli_printf("\n%lld of %lld %s voted. Not yet:\n",
		    (long long)t.voters, (long long)t.members,
		    plural(t.members, "member", "members"));
		poll_nonvoters(c->db, &p, print_nonvoter, &x);
		printf("Votes by day:\n");
		poll_timeline(c->db, &p, print_day, &x);
	}
	poll_release(&p);
	return 0;
}

static int
ls_cmd(struct cli *c, int argc, char **argv)
{
	int json = 0, n = 0;
	struct list l;
	struct db_stmt *st;

	cli_parse_json("poll ls", "LIST [--json]", 1, 1, &json, argc, argv);
	cli_open(c);
	cli_list(c, argv[0], &l);
	st = db_prepare(c->db, "SELECT id, state, question, (SELECT count(*) "
	    "FROM poll_votes v WHERE v.poll_id=polls.id), closes, multiple "
	    "FROM polls WHERE list_id=? ORDER BY id");
	if (st == NULL)
		die(EX_TEMPFAIL_, DB_BUSY_TEXT);
	db_bind(st, "i", l.id);
	if (json)
		printf("[");
	while (db_step(st) == DB_ROW) {
		const char *state = db_col_str(st, 1);
		const char *q = db_col_str(st, 2);
		int64_t voters = db_col_int64(st, 3);

		if (json) {
			printf("%s{\"id\": %lld, \"state\": ", n++ ? ",\n " : "",
			    (long long)db_col_int64(st, 0));
			json_string(stdout, state ? state : "");
			printf(", \"question\": ");
			json_string(stdout, q ? q : "");
			printf(", \"voters\": %lld, \"closes\": %lld, "
			    "\"multiple\": %s}", (long long)voters,
			    (long long)db_col_int64(st, 4),
			    db_col_int(st, 5) ? "true" : "false");
		} else
			cli_printf("%-5lld %-7s %4lld %-6s  %s\n",
			    (long long)db_col_int64(st, 0),
			    state ? state : "", (long long)voters,
			    plural(voters, "voter", "voters"), q ? q : "");
	}
	db_finalize(st);
	if (json)
		printf("]\n");
	list_release(&l);
	return 0;
}

static int
close_cmd(struct cli *c, int argc, char **argv)
{
	const struct cli_sub sub = { "poll close", "ID", 1, 1, NULL };
	char err[512];
	int64_t id;
	int st;

	cli_parse(&sub, argc, argv);
	id = cli_id("poll close", "a poll ID", argv[0]);
	cli_open(c);
	st = poll_close(&c->cfg, c->db, id, now_utc(), err, sizeof(err));
	cli_status(st, err);
	printf("poll %lld closed; the results go to the list\n", (long long)id);
	return 0;
}

int
cmd_poll(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	int help;

	if ((help = group_help(argc, argv, poll_usage)) >= 0)
		return help;
	if (!strcmp(sub, "create"))
		return create_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "ls"))
		return ls_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "show"))
		return show_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "close"))
		return close_cmd(c, argc - 1, argv + 1);
	usage_error("poll", "'%s' is not a poll command", sub);
}
