/* cmd_poll - kith poll create|ls|show|close. */
#include "config.h"

#include <getopt.h>
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
	    "       kith poll ls LIST\n"
	    "       kith poll show ID [--json]\n"
	    "       kith poll close ID\n\n"
	    "Members vote by replying with the number(s) or the option's text, "
	    "or with\n'vote ID N' to LIST-request@; a new vote replaces the old "
	    "one.  At closing\n(this command, or 'kith cron' at --closes) the "
	    "results go to the list.\n");
}

static int64_t
id_arg(const char *s)
{
	char *end;
	long long n = strtoll(s, &end, 10);

	if (*s == '\0' || *end || n <= 0)
		usage_error("poll", "'%s' is not a poll id", s);
	return n;
}

static int
create_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "question", required_argument, NULL, 'q' },
		{ "option", required_argument, NULL, 'o' },
		{ "multiple", no_argument, NULL, 'm' },
		{ "closes", required_argument, NULL, 'c' },
		{ "tz", required_argument, NULL, 'z' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char *question = NULL, *closes = NULL, *tz = NULL;
	char *options[POLL_MAX_OPTIONS], err[512] = "", *list_tz = NULL;
	size_t n = 0;
	int multiple = 0, json = 0, ch, st;
	int64_t id, sent, at = 0;
	struct list l;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'q': question = optarg; break;
		case 'o':
			if (n == POLL_MAX_OPTIONS)
				die(EX_DATAERR_, "at most %d options",
				    POLL_MAX_OPTIONS);
			options[n++] = optarg;
			break;
		case 'm': multiple = 1; break;
		case 'c': closes = optarg; break;
		case 'z': tz = optarg; break;
		case 'j': json = 1; break;
		default: usage_error("poll", "bad option");
		}
	}
	if (optind + 1 != argc || question == NULL)
		usage_error("poll", "'poll create' takes LIST --question Q "
		    "--option A --option B");
	cli_open(c);
	cli_list(c, argv[optind], &l);
	if (closes) {
		if (tz == NULL)
			tz = list_tz = list_setting(c->db, l.id, "timezone");
		if (!tz_valid(tz) || local_time_parse(closes, tz, &at) < 0)
			die(EX_DATAERR_, "'%s' in '%s' is not a time like "
			    "\"2026-12-10 18:00\"", closes, tz);
	}
	st = poll_create(c->db, &l, question, options, n, multiple, at,
	    now_utc(), &id, &sent, err, sizeof(err));
	if (st != KITH_OK)
		die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_DATAERR_, "%s", err);
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
		printf("  %s\n", address);
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
show_cmd(struct cli *c, int64_t id, int json)
{
	struct poll p;
	struct poll_tally t;
	struct nv_ctx x = { json, 0 };

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
		printf("poll %lld (%s%s): %s\n\n", (long long)p.id, p.state,
		    p.multiple ? ", several answers" : "", p.question);
		for (size_t i = 0; i < p.noptions; i++)
			printf("  %2zu. %-30s %4lld  %5.1f%%\n", i + 1, p.options[i],
			    (long long)t.votes[i], t.voters ?
			    100.0 * t.votes[i] / t.voters : 0.0);
		printf("\n%lld of %lld members voted. Not yet:\n",
		    (long long)t.voters, (long long)t.members);
		poll_nonvoters(c->db, &p, print_nonvoter, &x);
		printf("Votes by day:\n");
		poll_timeline(c->db, &p, print_day, &x);
	}
	poll_release(&p);
	return 0;
}

static int
ls_cmd(struct cli *c, const char *spec)
{
	struct list l;
	sqlite3_stmt *st;

	cli_open(c);
	cli_list(c, spec, &l);
	st = db_prepare(c->db, "SELECT id, state, question, (SELECT count(*) "
	    "FROM poll_votes v WHERE v.poll_id=polls.id) FROM polls WHERE "
	    "list_id=? ORDER BY id");
	if (st) {
		db_bind(st, "i", l.id);
		while (sqlite3_step(st) == SQLITE_ROW)
			printf("%-5lld %-7s %4lld votes  %s\n",
			    (long long)sqlite3_column_int64(st, 0),
			    sqlite3_column_text(st, 1),
			    (long long)sqlite3_column_int64(st, 3),
			    sqlite3_column_text(st, 2));
		sqlite3_finalize(st);
	}
	list_release(&l);
	return 0;
}

int
cmd_poll(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (argc < 3 || wants_help(argc, argv)) {
		poll_usage(argc < 3 && !wants_help(argc, argv) ? stderr : stdout);
		return argc < 3 && !wants_help(argc, argv) ? EX_USAGE_ : 0;
	}
	if (!strcmp(sub, "create"))
		return create_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "ls"))
		return ls_cmd(c, argv[2]);
	if (!strcmp(sub, "show"))
		return show_cmd(c, id_arg(argv[2]), argc > 3 &&
		    !strcmp(argv[3], "--json"));
	if (!strcmp(sub, "close")) {
		char err[512] = "";
		int64_t id = id_arg(argv[2]);
		int st;

		cli_open(c);
		st = poll_close(&c->cfg, c->db, id, now_utc(), err, sizeof(err));
		if (st != KITH_OK)
			die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_DATAERR_, "%s", err);
		printf("poll %lld closed; the results go to the list\n",
		    (long long)id);
		return 0;
	}
	usage_error("poll", "'%s' is not a poll command", sub);
}
