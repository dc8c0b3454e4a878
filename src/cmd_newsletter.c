/* cmd_newsletter - kith newsletter create|ls|show|preview|schedule|send|
 * cancel|status. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "kith/address.h"
#include "kith/db.h"
#include "kith/deliver.h"
#include "kith/members.h"
#include "kith/membership.h"
#include "kith/newsletter.h"
#include "kith/outbox.h"
#include "kith/timeutil.h"
#include "kith/tokens.h"
#include "kith/util.h"

static void
newsletter_usage(FILE *out)
{
	fprintf(out, "usage: kith newsletter create LIST --subject S --text FILE "
	    "[--html FILE]\n"
	    "                 [--template NAME] [--tag TAG] [--json]\n"
	    "       kith newsletter ls LIST [--json]\n"
	    "       kith newsletter show ID [--json]\n"
	    "       kith newsletter preview ID --to ADDRESS\n"
	    "       kith newsletter schedule ID \"YYYY-MM-DD HH:MM\" [--tz ZONE]\n"
	    "       kith newsletter send ID\n"
	    "       kith newsletter cancel ID\n"
	    "       kith newsletter status ID [--json]\n\n"
	    "A draft is the text (and HTML) put into the template "
	    "newsletter/NAME.txt|.html\n(default 'default'; DATA/templates/LIST/"
	    "newsletter/ overrides).  Variables:\n{{member.name}}, "
	    "{{member.address}}, {{unsubscribe}}, {{subject}}, {{list.name}},\n"
	    "{{list.address}} ...  It goes to every member not in no-mail mode "
	    "(with --tag,\nthose tagged: 'kith member tag LIST ADDRESS TAG').  A "
	    "scheduled campaign goes\nout from 'kith cron' once its time has "
	    "come (the list's timezone unless --tz).\n'send' sends now and "
	    "waits, with a progress bar on a terminal; run it again\nto resume "
	    "an interrupted send.\n");
}

static char *
read_text_file(const char *path)
{
	struct buf b;

	buf_init(&b);
	if (buf_read_file(&b, path) < 0)
		die(EX_NOINPUT_, "cannot read '%s': %s", path, strerror(errno));
	if (memchr(b.data ? b.data : "", '\0', b.len))
		die(EX_DATAERR_, "'%s' is not text", path);
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

static int64_t
campaign_id_arg(const char *s)
{
	char *end;
	long long n = strtoll(s, &end, 10);

	if (*s == '\0' || *end || n <= 0)
		usage_error("newsletter", "'%s' is not a campaign id", s);
	return n;
}

static void
load_campaign(struct cli *c, int64_t id, struct campaign *cp)
{
	cli_open(c);
	if (newsletter_get(c->db, id, cp) != KITH_OK)
		die(EX_NOINPUT_, "no campaign %lld; see 'kith newsletter ls LIST'",
		    (long long)id);
}

static void
fmt_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0) {
		snprintf(buf, n, "-");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static int
create_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "subject", required_argument, NULL, 's' },
		{ "text", required_argument, NULL, 't' },
		{ "html", required_argument, NULL, 'H' },
		{ "template", required_argument, NULL, 'T' },
		{ "tag", required_argument, NULL, 'g' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct newsletter_draft d;
	const char *text_path = NULL, *html_path = NULL;
	char *text, *html = NULL, err[512] = "";
	int json = 0, ch, st;
	int64_t id;
	struct list l;

	memset(&d, 0, sizeof(d));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "s:t:H:T:g:j", opts, NULL)) != -1) {
		switch (ch) {
		case 's': d.subject = optarg; break;
		case 't': text_path = optarg; break;
		case 'H': html_path = optarg; break;
		case 'T': d.template_name = optarg; break;
		case 'g': d.tag = optarg; break;
		case 'j': json = 1; break;
		default: usage_error("newsletter", "bad option");
		}
	}
	if (optind + 1 != argc || d.subject == NULL || text_path == NULL)
		usage_error("newsletter", "'newsletter create' takes LIST "
		    "--subject S --text FILE");
	text = read_text_file(text_path);
	if (html_path)
		html = read_text_file(html_path);
	d.text = text;
	d.html = html;
	cli_open(c);
	cli_list(c, argv[optind], &l);
	st = newsletter_create(&c->cfg, c->db, &l, &d, &id, err, sizeof(err));
	if (st != KITH_OK)
		die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_DATAERR_, "%s", err);
	if (json)
		printf("{\"id\": %lld, \"list\": \"%s\", \"state\": \"draft\"}\n",
		    (long long)id, l.address);
	else
		printf("%lld\n", (long long)id);
	free(text);
	free(html);
	list_release(&l);
	return 0;
}

static int
print_campaign(const struct campaign *cp, void *ctx)
{
	int *json = ctx;
	char at[48];

	fmt_time(cp->send_at, at, sizeof(at));
	if (json[0]) {
		printf("%s{\"id\": %lld, \"subject\": ", json[1]++ ? ",\n " : "",
		    (long long)cp->id);
		json_string(stdout, cp->subject);
		printf(", \"state\": \"%s\", \"send_at\": %lld, \"tag\": ",
		    cp->state, (long long)cp->send_at);
		json_string(stdout, cp->tag);
		printf(", \"recipients\": %lld}", (long long)cp->recipients);
	} else {
		printf("%-5lld %-10s %-24s %6lld  %s", (long long)cp->id,
		    cp->state, cp->send_at ? at : "-", (long long)cp->recipients,
		    cp->subject);
		if (*cp->tag)
			printf("  (tag %s)", cp->tag);
		printf("\n");
	}
	return 0;
}

static void
status_print(const struct campaign *cp, const struct newsletter_status *s,
    int json)
{
	char started[48], finished[48];

	fmt_time(s->started, started, sizeof(started));
	fmt_time(s->finished, finished, sizeof(finished));
	if (json) {
		printf("{\"id\": %lld, \"state\": \"%s\", \"recipients\": %lld, "
		    "\"pending\": %lld, \"sent\": %lld, \"deferred\": %lld, "
		    "\"failed\": %lld, \"bounced\": %lld, \"started\": %lld, "
		    "\"finished\": %lld}\n", (long long)cp->id, cp->state,
		    (long long)s->total, (long long)s->pending,
		    (long long)s->sent, (long long)s->deferred,
		    (long long)s->failed, (long long)s->bounced,
		    (long long)s->started, (long long)s->finished);
		return;
	}
	printf("campaign %lld: %s\n  recipients %lld\n  pending    %lld\n"
	    "  sent       %lld\n  deferred   %lld\n  failed     %lld\n"
	    "  bounced    %lld\n  started    %s\n  finished   %s\n",
	    (long long)cp->id, cp->state, (long long)s->total,
	    (long long)s->pending, (long long)s->sent, (long long)s->deferred,
	    (long long)s->failed, (long long)s->bounced, started, finished);
}

static int
show_cmd(struct cli *c, int64_t id, int json)
{
	struct campaign cp;
	struct list l;
	char at[64] = "-";

	load_campaign(c, id, &cp);
	if (list_find_id(c->db, cp.list_id, &l) != KITH_OK)
		die(EX_NOINPUT_, "campaign %lld has no list", (long long)id);
	if (cp.send_at)
		local_time_format(*cp.tz ? cp.tz : "UTC", cp.send_at, at,
		    sizeof(at));
	if (json) {
		printf("{\"id\": %lld, \"list\": ", (long long)cp.id);
		json_string(stdout, l.address);
		printf(", \"subject\": ");
		json_string(stdout, cp.subject);
		printf(", \"state\": \"%s\", \"template\": ", cp.state);
		json_string(stdout, cp.template_name);
		printf(", \"tag\": ");
		json_string(stdout, cp.tag);
		printf(", \"send_at\": %lld, \"text\": ", (long long)cp.send_at);
		json_string(stdout, cp.text);
		printf(", \"html\": ");
		json_string(stdout, cp.html);
		printf("}\n");
	} else
		printf("campaign %lld on %s: %s\nsubject:  %s\ntemplate: %s\n"
		    "audience: %s%s\nsend at:  %s\n\n--- text ---\n%s\n%s%s",
		    (long long)cp.id, l.address, cp.state, cp.subject,
		    cp.template_name, *cp.tag ? "members tagged " : "every member",
		    cp.tag, at, cp.text, *cp.html ? "--- html ---\n" : "",
		    cp.html);
	campaign_release(&cp);
	list_release(&l);
	return 0;
}

/* One copy for address, queued as its own message and delivered now. */
static int
preview_cmd(struct cli *c, int64_t id, const char *to)
{
	struct campaign cp;
	struct newsletter_recipient r;
	struct member m;
	struct list l;
	struct token_key *key;
	struct deliver_opts o;
	struct deliver_stats s;
	char *addr = address_normalize(to), *data, *mailto = NULL, *url = NULL;
	char *bounce, err[512] = "";
	int64_t msg_id, member_id = 0;
	size_t len;
	int st;

	if (addr == NULL)
		die(EX_DATAERR_, "'%s' is not an address", to);
	load_campaign(c, id, &cp);
	if (list_find_id(c->db, cp.list_id, &l) != KITH_OK)
		die(EX_NOINPUT_, "campaign %lld has no list", (long long)id);
	key = cli_key(c);
	memset(&m, 0, sizeof(m));
	r.name = "";
	if (member_find(c->db, l.id, addr, &m) == KITH_OK) {
		r.name = m.name;
		member_id = m.id;
	}
	/* A non-member's preview shows the links a member would get. */
	membership_unsubscribe_links(&c->cfg, key, l.address,
	    member_id ? member_id : 0, addr, &mailto, &url);
	r.address = addr;
	r.unsub_mailto = mailto;
	r.unsub_url = url;
	data = newsletter_render(&cp, &l, &r, &len, err, sizeof(err));
	if (data == NULL)
		die(EX_DATAERR_, "campaign %lld: %s", (long long)id, err);
	bounce = xasprintf("%s-bounces", l.local);
	if ((st = db_begin(c->db)) == KITH_OK) {
		st = outbox_message_add(c->db, l.id, 0, "newsletter-preview",
		    bounce, l.domain, NULL, data, len, &msg_id);
		if (st == KITH_OK)
			st = outbox_rcpt_add(c->db, msg_id, addr);
		if (st == KITH_OK)
			st = db_commit(c->db);
		else
			db_rollback(c->db);
	}
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "database busy; no preview sent");
	memset(&o, 0, sizeof(o));
	o.workers = 1;
	if (deliver_run(&c->cfg, &o, &s, err, sizeof(err)) != KITH_OK)
		die(EX_TEMPFAIL_, "preview queued, not sent: %s", err);
	printf("preview of campaign %lld sent to %s\n", (long long)id, addr);
	free(bounce);
	free(data);
	free(mailto);
	free(url);
	free(addr);
	member_release(&m);
	token_key_free(key);
	campaign_release(&cp);
	list_release(&l);
	return 0;
}

static double
seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "[#####.....]  1200/2000  345/s  ETA 0:02" on stderr, in place. */
static void
progress_draw(int64_t done, int64_t total, double elapsed)
{
	int width = 30, fill = total ? (int)(done * width / total) : width;
	double rate = elapsed > 0 ? done / elapsed : 0;
	int64_t eta = rate > 0 ? (int64_t)((total - done) / rate) : 0;

	fprintf(stderr, "\r[");
	for (int i = 0; i < width; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %lld/%lld  %.0f/s  ETA %lld:%02lld ", (long long)done,
	    (long long)total, rate, (long long)(eta / 60),
	    (long long)(eta % 60));
	fflush(stderr);
}

/* Run the delivery engine in a child; watch the campaign from here. */
static int
send_and_watch(struct cli *c, int64_t id)
{
	int tty = isatty(2), status;
	double t0 = seconds_now();
	struct campaign cp;
	struct newsletter_status s;
	pid_t kid;

	db_close(c->db);	/* a connection never crosses fork() */
	c->db = NULL;
	fflush(NULL);
	kid = fork();
	if (kid < 0)
		die(EX_OSERR_, "fork: %s", strerror(errno));
	if (kid == 0) {
		struct deliver_opts o;
		struct deliver_stats ds;
		char err[512] = "";

		memset(&o, 0, sizeof(o));
		if (deliver_run(&c->cfg, &o, &ds, err, sizeof(err)) != KITH_OK) {
			fprintf(stderr, "kith: %s\n", err);
			_exit(EX_TEMPFAIL_);
		}
		_exit(0);
	}
	cli_open(c);
	for (;;) {
		pid_t done = waitpid(kid, &status, tty ? WNOHANG : 0);

		if (done < 0 && errno == EINTR)
			continue;
		if (done != 0)
			break;
		if (newsletter_get(c->db, id, &cp) == KITH_OK) {
			if (newsletter_status(c->db, &cp, &s) == KITH_OK)
				progress_draw(s.sent + s.failed, s.total,
				    seconds_now() - t0);
			campaign_release(&cp);
		}
		usleep(250000);
	}
	newsletter_mark_finished(c->db, now_utc());
	if (newsletter_get(c->db, id, &cp) != KITH_OK ||
	    newsletter_status(c->db, &cp, &s) != KITH_OK)
		die(EX_TEMPFAIL_, "database busy");
	if (tty) {
		progress_draw(s.sent + s.failed, s.total, seconds_now() - t0);
		fputc('\n', stderr);
	}
	printf("campaign %lld: %lld sent, %lld deferred, %lld failed, %lld "
	    "pending of %lld in %.1f s\n", (long long)id, (long long)s.sent,
	    (long long)s.deferred, (long long)s.failed, (long long)s.pending,
	    (long long)s.total, seconds_now() - t0);
	if (s.deferred)
		printf("deferred copies are retried by 'kith cron'\n");
	campaign_release(&cp);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : EX_TEMPFAIL_;
}

static int
send_cmd(struct cli *c, int64_t id)
{
	char err[512] = "";
	int64_t n;
	int st;

	cli_open(c);
	st = newsletter_start(c->db, id, now_utc(), &n, err, sizeof(err));
	if (st != KITH_OK)
		die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_DATAERR_, "%s", err);
	if (n < 0)
		printf("campaign %lld is sending already; resuming\n",
		    (long long)id);
	return send_and_watch(c, id);
}

static int
schedule_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tz", required_argument, NULL, 'z' },
		{ NULL, 0, NULL, 0 }
	};
	const char *tz = NULL;
	char *list_tz = NULL, err[512] = "", shown[64];
	struct campaign cp;
	int64_t id, at;
	int ch, st;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "z:", opts, NULL)) != -1) {
		if (ch == 'z')
			tz = optarg;
		else
			usage_error("newsletter", "bad option");
	}
	if (optind + 2 != argc)
		usage_error("newsletter", "'newsletter schedule' takes ID "
		    "\"YYYY-MM-DD HH:MM\" [--tz ZONE]");
	id = campaign_id_arg(argv[optind]);
	load_campaign(c, id, &cp);
	if (tz == NULL)
		tz = list_tz = list_setting(c->db, cp.list_id, "timezone");
	if (!tz_valid(tz))
		die(EX_DATAERR_, "'%s' is not a time zone (e.g. Europe/Prague)",
		    tz);
	if (local_time_parse(argv[optind + 1], tz, &at) < 0)
		die(EX_DATAERR_, "'%s' is not a time like \"2026-12-01 09:00\"",
		    argv[optind + 1]);
	if (at < now_utc() - 60)
		die(EX_DATAERR_, "%s in %s has passed; use 'kith newsletter "
		    "send %lld' to send now", argv[optind + 1], tz,
		    (long long)id);
	st = newsletter_schedule(c->db, id, at, tz, err, sizeof(err));
	if (st != KITH_OK)
		die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_DATAERR_, "%s", err);
	local_time_format(tz, at, shown, sizeof(shown));
	printf("campaign %lld scheduled for %s (%lld UTC seconds); 'kith cron' "
	    "sends it\n", (long long)id, shown, (long long)at);
	free(list_tz);
	campaign_release(&cp);
	return 0;
}

int
cmd_newsletter(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	int json = 0;

	if (argc < 3 || wants_help(argc, argv)) {
		newsletter_usage(argc < 3 && !wants_help(argc, argv) ? stderr :
		    stdout);
		return argc < 3 && !wants_help(argc, argv) ? EX_USAGE_ : 0;
	}
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--json"))
			json = 1;
	if (!strcmp(sub, "create"))
		return create_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "schedule"))
		return schedule_cmd(c, argc - 1, argv + 1);
	if (!strcmp(sub, "ls")) {
		int js[2] = { json, 0 };
		struct list l;

		cli_open(c);
		cli_list(c, argv[2], &l);
		if (json)
			printf("[");
		else
			printf("%-5s %-10s %-24s %6s  %s\n", "ID", "STATE",
			    "SEND AT", "RCPTS", "SUBJECT");
		newsletter_foreach(c->db, l.id, print_campaign, js);
		if (json)
			printf("]\n");
		list_release(&l);
		return 0;
	}
	if (!strcmp(sub, "show"))
		return show_cmd(c, campaign_id_arg(argv[2]), json);
	if (!strcmp(sub, "preview")) {
		if (argc != 5 || strcmp(argv[3], "--to"))
			usage_error("newsletter", "'newsletter preview' takes ID "
			    "--to ADDRESS");
		return preview_cmd(c, campaign_id_arg(argv[2]), argv[4]);
	}
	if (!strcmp(sub, "send"))
		return send_cmd(c, campaign_id_arg(argv[2]));
	if (!strcmp(sub, "cancel")) {
		int64_t id = campaign_id_arg(argv[2]), dropped;
		char err[512] = "";
		int st;

		cli_open(c);
		st = newsletter_cancel(c->db, id, &dropped, err, sizeof(err));
		if (st != KITH_OK)
			die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_DATAERR_, "%s", err);
		printf("campaign %lld cancelled", (long long)id);
		if (dropped)
			printf("; %lld copies not yet sent were dropped",
			    (long long)dropped);
		printf("\n");
		return 0;
	}
	if (!strcmp(sub, "status")) {
		struct campaign cp;
		struct newsletter_status s;

		cli_open(c);
		newsletter_mark_finished(c->db, now_utc());
		db_close(c->db);
		load_campaign(c, campaign_id_arg(argv[2]), &cp);
		if (newsletter_status(c->db, &cp, &s) != KITH_OK)
			die(EX_TEMPFAIL_, "database busy");
		status_print(&cp, &s, json);
		campaign_release(&cp);
		return 0;
	}
	usage_error("newsletter", "'%s' is not a newsletter command", sub);
}
