/* cmd_stats - kith stats LIST [--since 90d] [--json] [--html FILE]. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/db.h"
#include "kith/stats.h"
#include "kith/timeutil.h"
#include "kith/util.h"

int
cmd_stats(struct cli *c, int argc, char **argv)
{
	int64_t since = 90 * 86400;
	const char *html = NULL, *since_s = NULL;
	int json = 0;
	const struct cli_opt opts[] = {
		{ "since", 0, OPT_VALUE, &since_s },
		{ "json", 0, OPT_FLAG, &json },
		{ "html", 0, OPT_VALUE, &html },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "stats", "LIST [--since 90d] [--json] "
	    "[--html FILE]", 1, 1, opts };
	struct stats *s;
	struct list l;

	cli_parse_help(&sub, "usage: kith stats LIST "
	    "[--since 90d] [--json] [--html report.html]\n\n"
	    "Members, posts per week, posters, replies per thread, top "
	    "contributors,\nretention by join month, the member funnel, "
	    "event RSVP rates, newsletter\ndelivery and bounce rates, the "
	    "onboarding funnel.  --html writes one\nself-contained page "
	    "with SVG charts.  See kith(1) for the definitions.\n", argc, argv);
	/* a report's window, not an event's length: up to ten years */
	if (since_s) {
		since = duration_parse(since_s);
		if (since <= 0)
			die(EX_DATAERR_, "'%s' is not a period like 90d (at most "
			    "3660d)", since_s);
	}
	if (html && json)
		usage_error("stats", "--json and --html: one at a time");
	if (html && !*html)
		die(EX_CANTCREAT_, "--html needs a file name");
	cli_open(c);
	if (html && config_site_file(&c->cfg, html))
		die(EX_CANTCREAT_, "'%s' is one of the site's own files (the "
		    "database, its WAL, the secret or the DKIM key); name "
		    "another file for the report", html);
	cli_list(c, argv[0], &l);
	s = stats_compute(c->db, &l, now_utc(), since);
	if (s == NULL)
		die(EX_TEMPFAIL_, DB_BUSY_TEXT);
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
