/* cmd_onboarding - kith onboarding add|ls|rm|progress. */
#include "config.h"

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
	    "       kith onboarding ls LIST [--json]\n"
	    "       kith onboarding rm LIST STEP\n"
	    "       kith onboarding progress LIST [--json]\n\n"
	    "Steps go out from 'kith cron', each that long after the member "
	    "joined (the\nfirst) or after the previous step; --unless skips it "
	    "for members who have\nalready posted / answered an event.  "
	    "Templates: templates/en/onboarding/NAME.txt\n(DATA/templates/LIST/"
	    "onboarding/ overrides), shipped: intro-nudge,\nfirst-discussion, "
	    "first-meetup, help-organise.\n");
}

struct prog_ctx {
	int json, n;
};

static int
print_step(const struct onboarding_step *s, void *ctx)
{
	struct prog_ctx *x = ctx;

	if (x->json) {
		printf("%s{\"step\": %lld, \"after\": %lld, \"template\": ",
		    x->n++ ? ",\n " : "", (long long)s->position,
		    (long long)s->after);
		json_string(stdout, s->template_name);
		printf(", \"unless\": ");
		json_string(stdout, s->unless);
		printf("}");
	} else
		cli_printf("%2lld. after %5.1f days  %-20s %s%s\n",
		    (long long)s->position, s->after / 86400.0, s->template_name,
		    *s->unless ? "unless " : "", s->unless);
	return 0;
}

static int
print_funnel(const struct onboarding_funnel *f, void *ctx)
{
	struct prog_ctx *x = ctx;

	if (x->json) {
		printf("%s{\"step\": %lld, \"template\": ", x->n++ ? ",\n  " : "",
		    (long long)f->step.position);
		json_string(stdout, f->step.template_name);
		printf(", \"sent\": %lld, \"skipped\": %lld, \"waiting\": %lld, "
		    "\"left\": %lld, \"median_days\": %.2f}", (long long)f->sent,
		    (long long)f->skipped, (long long)f->waiting,
		    (long long)f->left, f->median_days);
	} else
		cli_printf("%2lld. %-20s %5lld sent %5lld skipped %5lld waiting "
		    "%5lld left   median %.1f days\n", (long long)f->step.position,
		    f->step.template_name, (long long)f->sent,
		    (long long)f->skipped, (long long)f->waiting,
		    (long long)f->left, f->median_days);
	return 0;
}

static int
add_cmd(struct cli *c, int argc, char **argv)
{
	const char *tmpl = NULL, *unless = "", *after_s = NULL;
	const struct cli_opt opts[] = {
		{ "after", 0, OPT_VALUE, &after_s },
		{ "template", 0, OPT_VALUE, &tmpl },
		{ "unless", 0, OPT_VALUE, &unless },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "onboarding add", "LIST --after 3d "
	    "--template NAME [--unless posted|rsvped]", 1, 1, opts };
	int64_t after, pos;
	struct list l;
	char err[512] = "";
	int st;

	cli_parse(&sub, argc, argv);
	if (after_s == NULL || tmpl == NULL)
		usage_error("onboarding", "'onboarding add' needs --after D and "
		    "--template NAME");
	after = event_duration_parse(after_s);
	if (after <= 0)
		die(EX_DATAERR_, "'%s' is not a delay like 3d or 12h", after_s);
	cli_open(c);
	cli_list(c, argv[0], &l);
	st = onboarding_add(&c->cfg, c->db, &l, after, tmpl, unless, now_utc(),
	    &pos, err, sizeof(err));
	cli_status(st, err);
	{
		struct onboarding_step s = { 0, pos, after, 0, "", "" };
		char *what;

		snprintf(s.template_name, sizeof(s.template_name), "%s", tmpl);
		snprintf(s.unless, sizeof(s.unless), "%s", unless);
		what = onboarding_describe(&s);
		cli_printf("step %lld: %s\n", (long long)pos, what);
		free(what);
	}
	list_release(&l);
	return 0;
}

static int
list_cmd(struct cli *c, int argc, char **argv)
{
	struct prog_ctx x = { 0, 0 };
	int is_ls = !strcmp(argv[0], "ls");
	int64_t in_seq, done;
	struct list l;

	cli_parse_json(is_ls ? "onboarding ls" : "onboarding progress",
	    "LIST [--json]", 1, 1, &x.json, argc, argv);
	cli_open(c);
	cli_list(c, argv[0], &l);
	if (is_ls) {
		if (x.json)
			printf("[");
		onboarding_foreach(c->db, &l, print_step, &x);
		if (x.json)
			printf("]\n");
	} else {
		if (x.json)
			printf("{\"steps\": [");
		onboarding_progress(c->db, &l, print_funnel, &x, &in_seq, &done);
		if (x.json)
			printf("], \"in_sequence\": %lld, \"finished\": %lld}\n",
			    (long long)in_seq, (long long)done);
		else
			printf("%lld %s in the sequence, %lld finished it\n",
			    (long long)in_seq, plural(in_seq, "member",
			    "members"), (long long)done);
	}
	list_release(&l);
	return 0;
}

static int
rm_cmd(struct cli *c, int argc, char **argv)
{
	const struct cli_sub sub = { "onboarding rm", "LIST STEP", 2, 2, NULL };
	struct list l;
	char err[512];
	int64_t pos;
	int st;

	cli_parse(&sub, argc, argv);
	pos = cli_id("onboarding rm", "a step number", argv[1]);
	cli_open(c);
	cli_list(c, argv[0], &l);
	st = onboarding_rm(c->db, &l, pos, err, sizeof(err));
	cli_status(st, err);
	printf("step %lld removed\n", (long long)pos);
	list_release(&l);
	return 0;
}

int
cmd_onboarding(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	int help;

	if ((help = group_help(argc, argv, onboarding_usage)) >= 0)
		return help;
	if (!strcmp(sub, "add"))
		return add_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "ls") || !strcmp(sub, "progress"))
		return list_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "rm"))
		return rm_cmd(c, argc - 1, argv + 1);
	usage_error("onboarding", "'%s' is not an onboarding command", sub);
}
