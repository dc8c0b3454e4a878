/* cmd_stats - kith stats LIST [--since 90d] [--json] [--html FILE]. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/event.h"
#include "kith/stats.h"
#include "kith/util.h"

int
cmd_stats(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	int64_t since = 90 * 86400;
	const char *html = NULL;
	int json = 0, ch;
	struct stats *s;
	struct list l;

	if (argc < 2 || wants_help(argc, argv)) {
		fprintf(argc < 2 ? stderr : stdout, "usage: kith stats LIST "
		    "[--since 90d] [--json] [--html report.html]\n\n"
		    "Members, posts per week, posters, replies per thread, top "
		    "contributors,\nretention by join month, the member funnel, "
		    "event RSVP rates, newsletter\ndelivery and bounce rates, the "
		    "onboarding funnel.  --html writes one\nself-contained page "
		    "with SVG charts.  See kith(1) for the definitions.\n");
		return argc < 2 ? EX_USAGE_ : 0;
	}
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			since = event_duration_parse(optarg);
			if (since <= 0)
				die(EX_DATAERR_, "'%s' is not a period like 90d",
				    optarg);
			break;
		case 'j': json = 1; break;
		case 'H': html = optarg; break;
		default: usage_error("stats", "bad option");
		}
	}
	if (optind + 1 != argc)
		usage_error("stats", "'stats' takes LIST");
	cli_open(c);
	cli_list(c, argv[optind], &l);
	s = stats_compute(c->db, &l, now_utc(), since);
	if (s == NULL)
		die(EX_TEMPFAIL_, "database busy");
	if (html) {
		FILE *f = fopen(html, "w");

		if (f == NULL)
			die(EX_CANTCREAT_, "cannot write '%s': %s", html,
			    strerror(errno));
		stats_write_html(s, f);
		if (fclose(f) != 0)
			die(EX_IOERR_, "cannot write '%s': %s", html, strerror(errno));
		printf("wrote %s\n", html);
	} else if (json)
		stats_write_json(s, stdout);
	else
		stats_write_text(s, stdout);
	stats_free(s);
	list_release(&l);
	return 0;
}
