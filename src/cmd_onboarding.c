/* cmd_onboarding - kith onboarding add|ls|rm|progress. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/event.h"
#include "kith/onboarding.h"
#include "kith/util.h"

static void
onboarding_usage(FILE *out)
{
	fprintf(out, "usage: kith onboarding add LIST --after 3d --template NAME "
	    "[--unless posted|rsvped]\n"
	    "       kith onboarding ls LIST\n"
	    "       kith onboarding rm LIST STEP\n"
	    "       kith onboarding progress LIST [--json]\n\n"
	    "Steps go out from 'kith cron', each that long after the member "
	    "joined (the\nfirst) or after the previous step; --unless skips it "
	    "for members who have\nalready posted / answered an event.  "
	    "Templates: templates/onboarding/NAME.txt\n(DATA/templates/LIST/"
	    "onboarding/ overrides), shipped: intro-nudge,\nfirst-discussion, "
	    "first-meetup, help-organise.\n");
}

static int
print_step(const struct onboarding_step *s, void *ctx)
{
	(void)ctx;
	printf("%2lld. after %5.1f days  %-20s %s%s\n", (long long)s->position,
	    s->after / 86400.0, s->template_name, *s->unless ? "unless " : "",
	    s->unless);
	return 0;
}

struct prog_ctx {
	int json, n;
};

static int
print_funnel(const struct onboarding_funnel *f, void *ctx)
{
	struct prog_ctx *x = ctx;

	if (x->json)
		printf("%s{\"step\": %lld, \"template\": \"%s\", \"sent\": %lld, "
		    "\"skipped\": %lld, \"waiting\": %lld, \"left\": %lld, "
		    "\"median_days\": %.2f}", x->n++ ? ",\n  " : "",
		    (long long)f->step.position, f->step.template_name,
		    (long long)f->sent, (long long)f->skipped,
		    (long long)f->waiting, (long long)f->left, f->median_days);
	else
		printf("%2lld. %-20s %5lld sent %5lld skipped %5lld waiting "
		    "%5lld left   median %.1f days\n", (long long)f->step.position,
		    f->step.template_name, (long long)f->sent,
		    (long long)f->skipped, (long long)f->waiting,
		    (long long)f->left, f->median_days);
	return 0;
}

int
cmd_onboarding(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	struct list l;
	char err[512] = "";
	int st;

	if (argc < 3 || wants_help(argc, argv)) {
		onboarding_usage(argc < 3 && !wants_help(argc, argv) ? stderr :
		    stdout);
		return argc < 3 && !wants_help(argc, argv) ? EX_USAGE_ : 0;
	}
	if (!strcmp(sub, "add")) {
		static const struct option opts[] = {
			{ "after", required_argument, NULL, 'a' },
			{ "template", required_argument, NULL, 't' },
			{ "unless", required_argument, NULL, 'u' },
			{ NULL, 0, NULL, 0 }
		};
		const char *tmpl = NULL, *unless = "";
		int64_t after = -1, pos;
		int ch;

		optind = 0;
		while ((ch = getopt_long(argc - 1, argv + 1, "", opts, NULL)) !=
		    -1) {
			if (ch == 'a') {
				after = event_duration_parse(optarg);
				if (after <= 0)
					die(EX_DATAERR_, "'%s' is not a delay like 3d "
					    "or 12h", optarg);
			} else if (ch == 't')
				tmpl = optarg;
			else if (ch == 'u')
				unless = optarg;
			else
				usage_error("onboarding", "bad option");
		}
		if (optind + 2 != argc || tmpl == NULL || after < 0)
			usage_error("onboarding", "'onboarding add' takes LIST "
			    "--after D --template NAME");
		cli_open(c);
		cli_list(c, argv[optind + 1], &l);
		st = onboarding_add(&c->cfg, c->db, &l, after, tmpl, unless,
		    now_utc(), &pos, err, sizeof(err));
		if (st != KITH_OK)
			die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_DATAERR_, "%s", err);
		printf("step %lld: %s after %s%s%s\n", (long long)pos, tmpl,
		    argv[optind], *unless ? ", unless " : "", unless);
		list_release(&l);
		return 0;
	}
	cli_open(c);
	cli_list(c, argv[2], &l);
	if (!strcmp(sub, "ls"))
		onboarding_foreach(c->db, &l, print_step, NULL);
	else if (!strcmp(sub, "rm")) {
		char *end;
		long long pos = argc > 3 ? strtoll(argv[3], &end, 10) : 0;

		if (argc != 4 || *end || pos <= 0)
			usage_error("onboarding", "'onboarding rm' takes LIST STEP");
		st = onboarding_rm(c->db, &l, pos, err, sizeof(err));
		if (st != KITH_OK)
			die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_DATAERR_, "%s", err);
		printf("step %lld removed\n", pos);
	} else if (!strcmp(sub, "progress")) {
		struct prog_ctx x = { argc > 3 && !strcmp(argv[3], "--json"), 0 };
		int64_t in_seq, done;

		if (x.json)
			printf("{\"steps\": [");
		onboarding_progress(c->db, &l, print_funnel, &x, &in_seq, &done);
		if (x.json)
			printf("], \"in_sequence\": %lld, \"finished\": %lld}\n",
			    (long long)in_seq, (long long)done);
		else
			printf("%lld members in the sequence, %lld finished it\n",
			    (long long)in_seq, (long long)done);
	} else
		usage_error("onboarding", "'%s' is not an onboarding command", sub);
	list_release(&l);
	return 0;
}
