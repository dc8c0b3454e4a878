/* cmd_bounce - kith bounce ls|parse. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "kith/bounce.h"
#include "kith/db.h"
#include "kith/util.h"

static void
bounce_usage(FILE *out)
{
	fprintf(out, "usage: kith bounce ls LIST [--json]\n"
	    "       kith bounce parse FILE...\n\n"
	    "'parse' shows how Kith reads each report, one tab-separated line "
	    "per file:\nfile, bounce|delay|not, hard|soft|-, reason (or why "
	    "not), status,\naddress/hard|soft/failed|delayed|delivered,...\n\n"
	    "Bounces come back to LIST-bounces+TOKEN@ and are scored: hard "
	    "(the address\nis bad) 1, soft 0.5, once a day at most (the day's hardest).\n"
	    "At the list's bounce_threshold "
	    "within bounce_window_days\na member's delivery is disabled; "
	    "'kith member enable LIST ADDRESS' turns it\nback on.\n");
}

static int
print_bounce(const struct bounce_row *b, void *ctx)
{
	int *json = ctx;
	time_t t = (time_t)b->at;
	char when[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	if (json[0]) {
		printf("%s{\"address\": ", json[1]++ ? ",\n " : "");
		json_string(stdout, b->address);
		printf(", \"at\": %lld, \"kind\": \"%s\", \"status\": ",
		    (long long)b->at, b->kind);
		json_string(stdout, b->status);
		printf(", \"diagnostic\": ");
		json_string(stdout, b->diagnostic);
		printf(", \"score\": %.1f, \"disabled\": %s}", b->score,
		    b->disabled ? "true" : "false");
	} else
		cli_printf("%s  %-32s %-4s %-7s score %.1f%s  %.60s\n", when,
		    b->address, b->kind, *b->status ? b->status : "-", b->score,
		    b->disabled ? " DISABLED" : "", b->diagnostic);
	return 0;
}

static const char *const actions[] = { "failed", "delayed", "delivered" };

/* One line: file, verdict, and the first failure (or why none). */
static void
print_report(const char *file, const struct bounce_report *r)
{
	const struct bounce_rcpt *f = bounce_failed(r, NULL);

	printf("%s\t%s\t%s\t%s\t%s\t", file, r->is_bounce ? "bounce" :
	    r->delay ? "delay" : "not", f ? (f->hard ? "hard" : "soft") : "-",
	    f ? f->reason : r->not_why, f ? f->status : "");
	for (size_t k = 0; k < r->n; k++)
		printf("%s%s/%s/%s", k ? "," : "", r->rcpts[k].address,
		    r->rcpts[k].hard ? "hard" : "soft",
		    actions[r->rcpts[k].action]);
	printf("\n");
}

static int
parse_files(int argc, char **argv)
{
	int bad = 0;

	for (int i = 0; i < argc; i++) {
		struct bounce_report r;
		struct buf b;

		buf_init(&b);
		if (buf_read_file(&b, argv[i]) < 0) {
			cli_warn("cannot read '%s': %s", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		bounce_parse(b.data ? b.data : "", b.len, &r);
		print_report(argv[i], &r);
		bounce_report_release(&r);
		buf_release(&b);
	}
	return bad ? EX_NOINPUT_ : 0;
}

int
cmd_bounce(struct cli *c, int argc, char **argv)
{
	int json[2] = { 0, 0 };
	const struct cli_sub parse = { "bounce parse", "FILE...", 1, -1, NULL };
	struct list l;
	int n;
	int help;

	if ((help = group_help(argc, argv, bounce_usage)) >= 0)
		return help;
	if (!strcmp(argv[1], "parse")) {
		n = cli_parse(&parse, argc - 1, argv + 1);
		return parse_files(n, argv + 1);
	}
	if (strcmp(argv[1], "ls"))
		usage_error("bounce", "'%s' is not a bounce command", argv[1]);
	cli_parse_json("bounce ls", "LIST [--json]", 1, 1, &json[0], argc - 1,
	    argv + 1);
	cli_open(c);
	cli_list(c, argv[1], &l);
	if (json[0])
		printf("[");
	if (bounce_foreach(c->db, l.id, now_utc(), print_bounce, json) !=
	    KITH_OK)
		die(EX_TEMPFAIL_, DB_BUSY_TEXT);
	if (json[0])
		printf("]\n");
	list_release(&l);
	return 0;
}
