/* cmd_digest - kith digest ls|show|preview|send. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "kith/digest.h"
#include "kith/util.h"

static int
print_issue(const struct digest_issue *d, void *ctx)
{
	time_t t = (time_t)d->created;
	char date[32];
	struct tm tm;

	(void)ctx;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	printf("Vol %lld, Issue %-4lld %-6s %s UTC  %lld posts, %lld members\n",
	    (long long)d->volume, (long long)d->number, d->kind, date,
	    (long long)d->posts, (long long)d->recipients);
	return 0;
}

static void
digest_usage(FILE *out)
{
	fprintf(out, "usage: kith digest ls LIST\n"
	    "       kith digest show LIST ISSUE [--weekly] [--volume N] "
	    "[--plain]\n"
	    "       kith digest preview LIST [--weekly] [--plain]\n"
	    "       kith digest send LIST [--weekly] [--force]\n\n"
	    "Digests go out from 'kith cron' at the list's digest_time (and "
	    "digest_weekday\nfor weekly ones) in its timezone, or early once "
	    "digest_max_kb is reached.\n'send' sends the next issue now if "
	    "it is due; with --force even if it is\nnot (when there are posts "
	    "to send).  Daily and weekly issues are numbered apart,\nfrom 1 in "
	    "each volume (a year); 'show' takes the daily issue unless\n"
	    "--weekly, in the newest volume that has it unless --volume.\n");
}

int
cmd_digest(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "plain", no_argument, NULL, 'p' },
		{ "weekly", no_argument, NULL, 'w' },
		{ "force", no_argument, NULL, 'f' },
		{ "volume", required_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *format = "mime";
	enum digest_kind kind = DIGEST_DAILY;
	long long volume = 0;
	int force = 0, ch;
	char *end;
	struct list l;
	char *sub;

	if (argc < 3 || wants_help(argc, argv)) {
		digest_usage(argc < 3 && !wants_help(argc, argv) ? stderr : stdout);
		return argc < 3 && !wants_help(argc, argv) ? EX_USAGE_ : 0;
	}
	sub = argv[1];
	optind = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "pwf", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': format = "plain"; break;
		case 'w': kind = DIGEST_WEEKLY; break;
		case 'f': force = 1; break;
		case 'V':
			volume = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end || volume <= 0)
				usage_error("digest", "--volume takes a number");
			break;
		default: usage_error("digest", "bad option");
		}
	}
	argv += optind + 1;
	argc -= optind + 1;
	if (argc < 1)
		usage_error("digest", "'digest %s' needs a list", sub);
	cli_open(c);
	cli_list(c, argv[0], &l);
	if (!strcmp(sub, "ls"))
		digest_foreach(c->db, l.id, print_issue, NULL);
	else if (!strcmp(sub, "show")) {
		long long n = argc > 1 ? strtoll(argv[1], &end, 10) : 0;

		if (argc < 2 || *end || n <= 0)
			usage_error("digest", "'digest show' takes LIST ISSUE");
		if (digest_render_issue(c->db, &l, kind, volume, n, format,
		    stdout) != KITH_OK)
			die(EX_NOINPUT_, "no %s issue %lld of %s; see 'kith digest "
			    "ls'", kind == DIGEST_WEEKLY ? "weekly" : "daily", n,
			    l.address);
	} else if (!strcmp(sub, "preview"))
		digest_preview(c->db, &l, kind, format, now_utc(), stdout);
	else if (!strcmp(sub, "send")) {
		int64_t issue;

		if (digest_run(&c->cfg, c->db, &l, kind, now_utc(), force, &issue)
		    != KITH_OK)
			die(EX_TEMPFAIL_, "database busy; no digest sent");
		if (issue)
			printf("queued %s issue %lld; 'kith deliver' or cron sends "
			    "it\n", kind == DIGEST_WEEKLY ? "weekly" : "daily",
			    (long long)issue);
		else
			printf("no digest: %s\n", force ? "no new posts" :
			    "not due (use --force)");
	} else
		usage_error("digest", "'%s' is not a digest command", sub);
	list_release(&l);
	cli_close(c);
	return 0;
}
