/* cmd_digest - kith digest ls|show|preview|send. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "kith/db.h"
#include "kith/digest.h"
#include "kith/util.h"

struct issue_ctx {
	int json, n;
};

static int
print_issue(const struct digest_issue *d, void *ctx)
{
	struct issue_ctx *x = ctx;
	time_t t = (time_t)d->created;
	char date[32];
	struct tm tm;

	if (x->json) {
		printf("%s{\"volume\": %lld, \"issue\": %lld, \"kind\": ",
		    x->n++ ? ",\n " : "", (long long)d->volume,
		    (long long)d->number);
		json_string(stdout, d->kind);
		printf(", \"created\": %lld, \"posts\": %lld, \"recipients\": "
		    "%lld}", (long long)d->created, (long long)d->posts,
		    (long long)d->recipients);
		return 0;
	}
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	cli_printf("Vol %lld, Issue %-4lld %-6s %s UTC  %lld %s, %lld %s\n",
	    (long long)d->volume, (long long)d->number, d->kind, date,
	    (long long)d->posts, plural(d->posts, "post", "posts"),
	    (long long)d->recipients, plural(d->recipients, "member",
	    "members"));
	return 0;
}

static void
digest_usage(FILE *out)
{
	fprintf(out, "usage: kith digest ls LIST [--json]\n"
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
	int plain = 0, weekly = 0, force = 0;
	const char *volume_s = NULL;
	int64_t volume = 0;
	struct issue_ctx x = { 0, 0 };
	const struct cli_opt ls_opts[] = {
		{ "json", 0, OPT_FLAG, &x.json },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_opt show_opts[] = {
		{ "plain", 'p', OPT_FLAG, &plain },
		{ "weekly", 'w', OPT_FLAG, &weekly },
		{ "volume", 0, OPT_VALUE, &volume_s },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_opt preview_opts[] = {
		{ "plain", 'p', OPT_FLAG, &plain },
		{ "weekly", 'w', OPT_FLAG, &weekly },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_opt send_opts[] = {
		{ "weekly", 'w', OPT_FLAG, &weekly },
		{ "force", 'f', OPT_FLAG, &force },
		{ NULL, 0, 0, NULL }
	};
	static const char *const names[] = { "ls", "show", "preview", "send" };
	const struct cli_sub subs[] = {
		{ "digest ls", "LIST [--json]", 1, 1, ls_opts },
		{ "digest show", "LIST ISSUE [--weekly] [--volume N] [--plain]",
		  2, 2, show_opts },
		{ "digest preview", "LIST [--weekly] [--plain]", 1, 1,
		  preview_opts },
		{ "digest send", "LIST [--weekly] [--force]", 1, 1, send_opts },
	};
	enum digest_kind kind;
	const char *format;
	struct list l;
	int k;
	int help;

	if ((help = group_help(argc, argv, digest_usage)) >= 0)
		return help;
	for (k = 0; k < 4 && strcmp(argv[1], names[k]); k++)
		;
	if (k == 4)
		usage_error("digest", "'%s' is not a digest command", argv[1]);
	argc--;
	argv++;
	cli_parse(&subs[k], argc, argv);
	kind = weekly ? DIGEST_WEEKLY : DIGEST_DAILY;
	format = plain ? "plain" : "mime";
	cli_open(c);
	cli_list(c, argv[0], &l);
	if (k == 0) {
		if (x.json)
			printf("[");
		if (digest_foreach(c->db, l.id, print_issue, &x) != KITH_OK)
			die(EX_TEMPFAIL_, DB_BUSY_TEXT);
		if (x.json)
			printf("]\n");
	} else if (k == 1) {
		int64_t n = cli_id("digest show", "an issue number", argv[1]);

		if (volume_s)
			volume = cli_id("digest show", "a volume number", volume_s);
		if (digest_render_issue(&c->cfg, c->db, &l, kind, volume, n,
		    format, stdout) != KITH_OK)
			die(EX_NOINPUT_, "no %s issue %lld of %s; see 'kith digest "
			    "ls'", kind == DIGEST_WEEKLY ? "weekly" : "daily",
			    (long long)n, l.address);
	} else if (k == 2) {
		if (digest_preview(&c->cfg, c->db, &l, kind, format, now_utc(),
		    stdout) != KITH_OK)
			die(EX_CONFIG_, "a digest text is missing or wrong; see "
			    "'kith check'");
	} else {
		int64_t issue;

		if (digest_run(&c->cfg, c->db, &l, kind, now_utc(), force, &issue)
		    != KITH_OK)
			die(EX_TEMPFAIL_, "no digest sent: " DB_BUSY_TEXT);
		if (issue)
			printf("queued %s issue %lld; 'kith deliver' or cron sends "
			    "it\n", kind == DIGEST_WEEKLY ? "weekly" : "daily",
			    (long long)issue);
		else
			printf("no digest: %s\n", force ? "no new posts" :
			    "not due (use --force)");
	}
	list_release(&l);
	cli_close(c);
	return 0;
}
