/* cmd_event - kith event create|update|cancel|ls|show|attendees|feed|parse. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/db.h"
#include "kith/event.h"
#include "kith/ical.h"
#include "kith/timeutil.h"
#include "kith/util.h"

static void
event_usage(FILE *out)
{
	fprintf(out, "usage: kith event create LIST --title T --start \"YYYY-MM-DD "
	    "HH:MM\" [--tz ZONE]\n"
	    "                 (--end \"YYYY-MM-DD HH:MM\" | --duration 2h) "
	    "[--location L]\n"
	    "                 [--description FILE] [--rrule RULE] [--capacity N]\n"
	    "                 [--remind 24h,1h] [--rsvp-by DATE] [--json]\n"
	    "       kith event update ID [the same options]\n"
	    "       kith event cancel ID [--occurrence YYYY-MM-DD]\n"
	    "       kith event ls LIST [--json]\n"
	    "       kith event show ID [--occurrence YYYY-MM-DD] [--json]\n"
	    "       kith event attendees ID [--occurrence YYYY-MM-DD] [--csv|--json]\n"
	    "       kith event feed LIST > team.ics\n"
	    "       kith event parse FILE...   (how Kith reads a calendar or an "
	    "invitation mail)\n\n"
	    "Every member who gets mail is invited: a mail with the text, HTML "
	    "and\ntext/calendar (METHOD:REQUEST) their calendar app shows with "
	    "Accept/Decline,\nplus invite.ics.  Answers come back to "
	    "LIST-events@ (or 'rsvp yes ID' to\nLIST-request@).  'kith cron' "
	    "sends the reminders and the RSVP nudge.\n--tz defaults to the "
	    "list's timezone.\n");
}

static char *
read_file(const char *path)
{
	struct buf b;

	buf_init(&b);
	if (buf_read_file(&b, path) < 0)
		die(EX_NOINPUT_, "cannot read '%s': %s", path, strerror(errno));
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

struct spec_args {
	struct event_spec s;
	const char *end, *description_file, *occurrence, *list;
	int json, csv;
	char *description;
};

/*
 * parse_spec - the options of one event subcommand (argv[0]), those named
 * in allowed out of the ones create and update share; one positional,
 * left in argv[0].
 */
static void
parse_spec(const char *cmd, const char *usage, const char *allowed, int argc,
    char **argv, struct spec_args *a)
{
	const char *duration = NULL, *capacity = NULL;
	const struct cli_opt all[] = {
		{ "title", 0, OPT_VALUE, &a->s.title },
		{ "start", 0, OPT_VALUE, &a->s.start },
		{ "end", 0, OPT_VALUE, &a->end },
		{ "duration", 0, OPT_VALUE, &duration },
		{ "tz", 0, OPT_VALUE, &a->s.tz },
		{ "location", 0, OPT_VALUE, &a->s.location },
		{ "description", 0, OPT_VALUE, &a->description_file },
		{ "rrule", 0, OPT_VALUE, &a->s.rrule },
		{ "capacity", 0, OPT_VALUE, &capacity },
		{ "remind", 0, OPT_VALUE, &a->s.remind },
		{ "rsvp-by", 0, OPT_VALUE, &a->s.rsvp_by },
		{ "occurrence", 0, OPT_VALUE, &a->occurrence },
		{ "json", 0, OPT_FLAG, &a->json },
		{ "csv", 0, OPT_FLAG, &a->csv },
	};
	struct cli_opt opts[sizeof(all) / sizeof(all[0]) + 1];
	struct cli_sub sub = { cmd, usage, 1, 1, opts };
	size_t n = 0;

	memset(a, 0, sizeof(*a));
	a->s.capacity = -1;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const char *w = strstr(allowed, all[i].name);
		size_t len = strlen(all[i].name);

		if (w && (w == allowed || w[-1] == ' ') && (w[len] == ' ' ||
		    w[len] == '\0'))
			opts[n++] = all[i];
	}
	memset(&opts[n], 0, sizeof(opts[n]));
	cli_parse(&sub, argc, argv);
	if (duration) {
		a->s.duration = event_duration_parse(duration);
		if (a->s.duration <= 0)
			die(EX_DATAERR_, "'%s' is not a duration like 2h or 90m",
			    duration);
	}
	if (capacity)
		a->s.capacity = cli_number(cmd, "--capacity", capacity, 0,
		    1000000);
	if (a->description_file) {
		size_t len;

		a->description = read_file(a->description_file);
		/* the file's last line end is not part of the text */
		len = strlen(a->description);
		while (len > 0 && (a->description[len - 1] == '\n' ||
		    a->description[len - 1] == '\r'))
			a->description[--len] = '\0';
		a->s.description = a->description;
	}
}

#define SPEC_OPTS "title start end duration tz location description rrule " \
	"capacity remind rsvp-by"

/* --end given: the duration from start (or the stored start) in tz. */
static void
resolve_end(struct spec_args *a, const struct event *old)
{
	const char *tz = a->s.tz ? a->s.tz : old ? old->tz : NULL;
	int64_t start, end;
	char why[256];
	int rc;

	if (a->end == NULL)
		return;
	if (tz == NULL || !tz_valid(tz))
		die(EX_DATAERR_, "--end needs a valid --tz");
	if (a->s.start) {
		rc = local_time_parse(a->s.start, tz, &start);
		local_time_refusal(rc, a->s.start, tz, "2026-12-04 18:00", why,
		    sizeof(why));
		if (rc < 0)
			die(EX_DATAERR_, "%s", why);
	} else if (old)
		start = old->start;
	else
		die(EX_DATAERR_, "--end needs --start");
	if ((rc = local_time_parse(a->end, tz, &end)) == -2) {
		local_time_refusal(rc, a->end, tz, "", why, sizeof(why));
		die(EX_DATAERR_, "%s", why);
	}
	if (rc < 0 || end <= start)
		die(EX_DATAERR_, "'%s' is not a time after the start", a->end);
	a->s.duration = end - start;
}

static int
create_cmd(struct cli *c, int argc, char **argv)
{
	struct spec_args a;
	struct list l;
	char err[512] = "";
	int64_t id, invited;
	char *list_tz = NULL;
	int st;

	parse_spec("event create", "LIST --title T --start TIME [--tz ZONE] "
	    "(--end TIME | --duration D) [options]", SPEC_OPTS " json", argc,
	    argv, &a);
	cli_open(c);
	cli_list(c, argv[0], &l);
	if (a.s.tz == NULL)	/* the list's zone, as the help says */
		a.s.tz = list_tz = list_setting(c->db, l.id, "timezone");
	resolve_end(&a, NULL);
	st = event_create(&c->cfg, c->db, &l, &a.s, now_utc(), &id, &invited,
	    err, sizeof(err));
	cli_status(st, err);
	if (a.json)
		printf("{\"id\": %lld, \"invited\": %lld}\n", (long long)id,
		    (long long)invited);
	else
		printf("%lld\n", (long long)id);
	free(a.description);
	free(list_tz);
	list_release(&l);
	return 0;
}

/* The options of a subcommand on event ID, then the database: the ID. */
static int64_t
spec_by_id(struct cli *c, const char *cmd, const char *usage,
    const char *allowed, int argc, char **argv, struct spec_args *a)
{
	int64_t id;

	parse_spec(cmd, usage, allowed, argc, argv, a);
	id = cli_id(cmd, "an event id", argv[0]);
	cli_open(c);
	return id;
}

static int
update_cmd(struct cli *c, int argc, char **argv)
{
	struct spec_args a;
	int64_t n, id = spec_by_id(c, "event update", "ID [the options of "
	    "create]", SPEC_OPTS, argc, argv, &a);
	struct event old;
	char err[512] = "";

	if (event_get(c->db, id, &old) != KITH_OK)
		die(EX_NOINPUT_, "no event %lld", (long long)id);
	resolve_end(&a, &old);
	event_release(&old);
	cli_status(event_update(&c->cfg, c->db, id, &a.s, now_utc(), &n, err,
	    sizeof(err)), err);
	printf("event %lld updated; the new version goes to %lld invited "
	    "%s\n", (long long)id, (long long)n, plural(n, "member",
	    "members"));
	free(a.description);
	return 0;
}

static int
cancel_cmd(struct cli *c, int argc, char **argv)
{
	struct spec_args a;
	int64_t n, id = spec_by_id(c, "event cancel", "ID [--occurrence "
	    "YYYY-MM-DD]", "occurrence", argc, argv, &a);
	char err[512] = "";

	cli_status(event_cancel(&c->cfg, c->db, id, a.occurrence, now_utc(), &n,
	    err, sizeof(err)), err);
	cli_printf("event %lld%s%s cancelled; %lld invited %s told\n",
	    (long long)id, a.occurrence ? " on " : "",
	    a.occurrence ? a.occurrence : "", (long long)n, plural(n,
	    "member is", "members are"));
	return 0;
}

struct ls_ctx {
	struct db *db;
	int json, n;
};

static int
print_event(const struct event *e, void *ctx)
{
	struct ls_ctx *x = ctx;
	struct event_counts cnt;
	int64_t next = event_next_occurrence(e, now_utc());
	char when[64] = "-";

	if (next)
		local_time_format(e->tz, next, when, sizeof(when));
	event_attendees(x->db, e, 0, NULL, NULL, &cnt);
	if (x->json) {
		printf("%s{\"id\": %lld, \"title\": ", x->n++ ? ",\n " : "",
		    (long long)e->id);
		json_string(stdout, e->title);
		printf(", \"state\": \"%s\", \"next\": %lld, \"accepted\": %lld, "
		    "\"waitlist\": %lld, \"capacity\": %lld}", e->state,
		    (long long)next, (long long)cnt.accepted,
		    (long long)cnt.waitlist, (long long)e->capacity);
	} else
		cli_printf("%-5lld %-9s %-24s %3lld yes %3lld maybe %3lld no  %s\n",
		    (long long)e->id, e->state, when, (long long)cnt.accepted,
		    (long long)cnt.tentative, (long long)cnt.declined, e->title);
	return 0;
}

struct show_ctx {
	int json, csv, n;
};

static int
print_attendee(const struct event_attendee *a, void *ctx)
{
	struct show_ctx *x = ctx;

	if (x->csv) {
		/* RFC 4180: quote every field, double the quotes */
		const char *f[3] = { a->address, a->name, a->answer };

		for (int i = 0; i < 3; i++) {
			putchar('"');
			for (const char *p = f[i]; *p; p++) {
				if (*p == '"')
					putchar('"');
				putchar(*p);
			}
			printf("\"%s", i < 2 ? "," : "\r\n");
		}
	} else if (x->json) {
		printf("%s{\"address\": ", x->n++ ? ", " : "");
		json_string(stdout, a->address);
		printf(", \"name\": ");
		json_string(stdout, a->name);
		printf(", \"answer\": \"%s\"}", a->answer);
	} else
		cli_printf("  %-10s %-36s %s\n", a->answer, a->address, a->name);
	return 0;
}

static int
show_cmd(struct cli *c, int argc, char **argv, int attendees_only)
{
	struct spec_args a;
	struct show_ctx x;
	struct event e;
	struct event_counts cnt;
	int64_t id, occ = 0, next[5];
	char when[64];
	size_t nn = 0;

	if (attendees_only)
		parse_spec("event attendees", "ID [--occurrence YYYY-MM-DD] "
		    "[--csv|--json]", "occurrence csv json", argc, argv, &a);
	else
		parse_spec("event show", "ID [--occurrence YYYY-MM-DD] "
		    "[--json|--csv]", "occurrence json csv", argc, argv, &a);
	if (a.csv && a.json)
		usage_error("event", "give --csv or --json, not both");
	id = cli_id("event show", "an event id", argv[0]);
	cli_open(c);
	if (event_get(c->db, id, &e) != KITH_OK)
		die(EX_NOINPUT_, "no event %lld; see 'kith event ls LIST'",
		    (long long)id);
	if (a.occurrence) {
		int64_t day;

		if (local_time_parse(a.occurrence, e.tz, &day) < 0)
			die(EX_DATAERR_, "'%s' is not a date", a.occurrence);
		occ = event_next_occurrence(&e, day);
		if (occ == 0 || occ >= day + 86400 + 7200)
			die(EX_DATAERR_, "event %lld has no occurrence on %s",
			    (long long)id, a.occurrence);
	}
	memset(&x, 0, sizeof(x));
	x.json = a.json;
	x.csv = a.csv || (attendees_only && !a.json);
	if (attendees_only && x.json) {
		printf("[");
		event_attendees(c->db, &e, occ, print_attendee, &x, &cnt);
		printf("]\n");
		event_release(&e);
		return 0;
	}
	if (x.csv) {
		printf("\"address\",\"name\",\"answer\"\r\n");
		event_attendees(c->db, &e, occ, print_attendee, &x, &cnt);
		event_release(&e);
		return 0;
	}
	for (int64_t t = now_utc(); nn < 5 && (next[nn] =
	    event_next_occurrence(&e, t)) != 0; nn++)
		t = next[nn] + 1;
	if (x.json) {
		printf("{\"id\": %lld, \"uid\": ", (long long)e.id);
		json_string(stdout, e.uid);
		printf(", \"title\": ");
		json_string(stdout, e.title);
		printf(", \"state\": \"%s\", \"sequence\": %d, \"tz\": \"%s\", "
		    "\"start\": %lld, \"duration\": %lld, \"capacity\": %lld, "
		    "\"next\": [", e.state, e.sequence, e.tz, (long long)e.start,
		    (long long)e.duration, (long long)e.capacity);
		for (size_t i = 0; i < nn; i++)
			printf("%s%lld", i ? ", " : "", (long long)next[i]);
		printf("], \"attendees\": [");
		event_attendees(c->db, &e, occ, print_attendee, &x, &cnt);
		printf("], \"accepted\": %lld, \"tentative\": %lld, \"declined\": "
		    "%lld, \"waitlist\": %lld, \"none\": %lld}\n",
		    (long long)cnt.accepted, (long long)cnt.tentative,
		    (long long)cnt.declined, (long long)cnt.waitlist,
		    (long long)cnt.none);
	} else {
		local_time_format(e.tz, e.start, when, sizeof(when));
		cli_printf("event %lld: %s (%s, sequence %d)\nstarts:   %s%s%s\n"
		    "where:    %s\ncapacity: %lld\n", (long long)e.id, e.title,
		    e.state, e.sequence, when, *e.rrule ? "; repeats " : "",
		    e.rrule, *e.location ? e.location : "-",
		    (long long)e.capacity);
		for (size_t i = 0; i < nn; i++) {
			local_time_format(e.tz, next[i], when, sizeof(when));
			printf("%s%s\n", i ? "          " : "next:     ", when);
		}
		printf("\n");
		event_attendees(c->db, &e, occ, print_attendee, &x, &cnt);
		printf("\n%lld accepted, %lld tentative, %lld declined, %lld on "
		    "the waitlist, %lld no answer\n", (long long)cnt.accepted,
		    (long long)cnt.tentative, (long long)cnt.declined,
		    (long long)cnt.waitlist, (long long)cnt.none);
	}
	event_release(&e);
	return 0;
}

/* One line per file: method, uid, sequence, recurrence-id, organizer,
 * attendee=partstat... (tab-separated). */
static int
parse_cmd(int argc, char **argv)
{
	int bad = 0;

	for (int i = 0; i < argc; i++) {
		struct ical_info in;
		struct buf b;
		char *cal;

		buf_init(&b);
		if (buf_read_file(&b, argv[i]) < 0) {
			cli_warn("cannot read '%s': %s", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		{
			/* saved mail may start with blank lines or an mbox
			 * "From " line */
			const char *d = b.data ? b.data : "";
			size_t len = b.len;

			while (len) {
				const char *nl = memchr(d, '\n', len);
				size_t k = 0;

				while (k < len && (d[k] == ' ' || d[k] == '\t' ||
				    d[k] == '\r'))
					k++;
				if (nl == NULL || (d + k != nl &&
				    strncmp(d, "From ", 5)))
					break;
				len -= (size_t)(nl + 1 - d);
				d = nl + 1;
			}
			if (len >= 15 && !strncmp(d, "BEGIN:VCALENDAR", 15))
				cal = xstrdup(d);
			else
				cal = event_find_calendar(d, len);
		}
		if (cal == NULL || ical_parse(cal, &in) < 0) {
			printf("%s\t-\n", argv[i]);
			free(cal);
			buf_release(&b);
			continue;
		}
		printf("%s\t%s\t%s\t%lld\t%s\t%s\t", argv[i], *in.method ?
		    in.method : "(none)", in.uid, (long long)in.sequence,
		    in.recurrence_text,
		    *in.organizer ? in.organizer : "(none)");
		for (size_t k = 0; k < in.nattendees; k++)
			printf("%s%s=%s", k ? "," : "", in.attendee[k],
			    *in.partstat[k] ? in.partstat[k] : "(unset)");
		printf("\n");
		ical_info_release(&in);
		free(cal);
		buf_release(&b);
	}
	return bad ? EX_NOINPUT_ : 0;
}

int
cmd_event(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	int help;

	if ((help = group_help(argc, argv, event_usage)) >= 0)
		return help;
	if (!strcmp(sub, "create"))
		return create_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "update"))
		return update_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "cancel"))
		return cancel_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "show"))
		return show_cmd(c, argc - 1, argv + 1, 0);
	if (!strcmp(sub, "attendees"))
		return show_cmd(c, argc - 1, argv + 1, 1);
	if (!strcmp(sub, "parse")) {
		const struct cli_sub ps = { "event parse", "FILE...", 1, -1, NULL };

		return parse_cmd(cli_parse(&ps, argc - 1, argv + 1), argv + 1);
	}
	if (!strcmp(sub, "ls")) {
		struct ls_ctx x = { NULL, 0, 0 };
		const struct cli_opt opts[] = {
			{ "json", 0, OPT_FLAG, &x.json },
			{ NULL, 0, 0, NULL }
		};
		const struct cli_sub ls = { "event ls", "LIST [--json]", 1, 1,
		    opts };
		struct list l;

		cli_parse(&ls, argc - 1, argv + 1);
		cli_open(c);
		cli_list(c, argv[1], &l);
		x.db = c->db;
		if (x.json)
			printf("[");
		event_foreach(c->db, l.id, print_event, &x);
		if (x.json)
			printf("]\n");
		list_release(&l);
		return 0;
	}
	if (!strcmp(sub, "feed")) {
		const struct cli_sub fs = { "event feed", "LIST", 1, 1, NULL };
		struct list l;
		char err[512] = "", *cal;

		cli_parse(&fs, argc - 1, argv + 1);
		cli_open(c);
		cli_list(c, argv[1], &l);
		cal = event_feed(c->db, &l, now_utc(), err, sizeof(err));
		if (cal == NULL)
			die(EX_SOFTWARE_, "%s", err);
		fputs(cal, stdout);
		free(cal);
		list_release(&l);
		return 0;
	}
	usage_error("event", "'%s' is not an event command", sub);
}
