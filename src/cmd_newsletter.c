/* cmd_newsletter - kith newsletter create|ls|show|preview|schedule|send|
 * cancel|status. */
#include "config.h"

#include <errno.h>
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
#include "kith/newsletter.h"
#include "kith/outbox.h"
#include "kith/timeutil.h"
#include "kith/tokens.h"
#include "kith/util.h"
#include "kith/weblinks.h"

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
	struct newsletter_draft d;
	const char *text_path = NULL, *html_path = NULL;
	int json = 0, st;
	const struct cli_opt opts[] = {
		{ "subject", 's', OPT_VALUE, &d.subject },
		{ "text", 't', OPT_VALUE, &text_path },
		{ "html", 'H', OPT_VALUE, &html_path },
		{ "template", 'T', OPT_VALUE, &d.template_name },
		{ "tag", 'g', OPT_VALUE, &d.tag },
		{ "json", 'j', OPT_FLAG, &json },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "newsletter create", "LIST --subject S "
	    "--text FILE [--html FILE] [--template NAME] [--tag TAG] [--json]",
	    1, 1, opts };
	char *text, *html = NULL, err[512] = "";
	int64_t id;
	struct list l;

	memset(&d, 0, sizeof(d));
	cli_parse(&sub, argc, argv);
	if (d.subject == NULL || text_path == NULL)
		usage_error("newsletter", "'newsletter create' needs --subject S "
		    "and --text FILE");
	text = read_text_file(text_path);
	if (html_path)
		html = read_text_file(html_path);
	d.text = text;
	d.html = html;
	cli_open(c);
	cli_list(c, argv[0], &l);
	st = newsletter_create(&c->cfg, c->db, &l, &d, now_utc(), &id, err,
	    sizeof(err));
	cli_status(st, err);
	/* a tag typed wrong ('Garden' for 'garden') would reach nobody */
	if (d.tag && *d.tag && member_tag_count(c->db, l.id, d.tag) == 0) {
		char *have = list_member_tags(c->db, l.id, 10);

		cli_warn("warning: no member of %s has the tag '%s' now: "
		    "campaign %lld would reach nobody (%s%s)", l.address, d.tag,
		    (long long)id, *have ? "the tags members have: " :
		    "no member has a tag", have);
		free(have);
	}
	if (json) {
		printf("{\"id\": %lld, \"list\": ", (long long)id);
		json_string(stdout, l.address);
		printf(", \"state\": \"draft\"}\n");
	} else
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
		cli_printf("%-5lld %-10s %-24s %6lld  %s", (long long)cp->id,
		    cp->state, cp->send_at ? at : "-", (long long)cp->recipients,
		    cp->subject);
		if (*cp->tag)
			cli_printf("  (tag %s)", cp->tag);
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
show_cmd(struct cli *c, int argc, char **argv)
{
	int json = 0;
	int64_t id;
	struct campaign cp;
	struct list l;
	char at[64] = "-";

	cli_parse_json("newsletter show", "ID [--json]", 1, 1,
	    &json, argc, argv);
	id = cli_id("newsletter show", "a campaign ID", argv[0]);
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
	} else {
		cli_printf("campaign %lld on %s: %s\nsubject:  %s\ntemplate: %s\n"
		    "audience: %s%s\nsend at:  %s\n\n--- text ---\n",
		    (long long)cp.id, l.address, cp.state, cp.subject,
		    cp.template_name, *cp.tag ? "members tagged " : "every member",
		    cp.tag, at);
		cli_text(stdout, cp.text);
		printf("\n");
		if (*cp.html) {
			printf("--- html ---\n");
			cli_text(stdout, cp.html);
		}
	}
	campaign_release(&cp);
	list_release(&l);
	return 0;
}

struct preview_copy {
	const struct list *l;
	const char *bounce, *addr, *data;
	size_t len;
};

/* preview_tx - the preview queued as its own message, for addr alone */
static int
preview_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	const struct preview_copy *pc = ctx;
	int64_t msg_id;
	int st;

	(void)err, (void)errlen;
	st = outbox_message_add(db, pc->l->id, 0, "newsletter-preview",
	    pc->bounce, pc->l->domain, NULL, pc->data, pc->len, &msg_id);
	return st == KITH_OK ? outbox_rcpt_add(db, msg_id, pc->addr) : st;
}

/* One copy for address, queued as its own message and delivered now. */
static int
preview_cmd(struct cli *c, int argc, char **argv)
{
	const char *to = NULL;
	const struct cli_opt opts[] = {
		{ "to", 0, OPT_VALUE, &to },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "newsletter preview", "ID --to ADDRESS", 1,
	    1, opts };
	int64_t id;
	struct campaign cp;
	struct newsletter_recipient r;
	struct member m;
	struct list l;
	struct token_key *key;
	struct deliver_opts o;
	struct deliver_stats s;
	char *addr, *data, *mailto = NULL, *url = NULL;
	char *bounce, err[512] = "";
	int64_t member_id = 0;
	size_t len;
	int st;

	cli_parse(&sub, argc, argv);
	id = cli_id("newsletter preview", "a campaign ID", argv[0]);
	if (to == NULL)
		usage_error("newsletter", "'newsletter preview' needs --to "
		    "ADDRESS");
	addr = address_normalize(to);
	if (addr == NULL)
		die(EX_DATAERR_, "'%s' is not an address", to);
	load_campaign(c, id, &cp);
	if (list_find_id(c->db, cp.list_id, &l) != KITH_OK)
		die(EX_NOINPUT_, "campaign %lld has no list", (long long)id);
	key = cli_key(c);
	memset(&m, 0, sizeof(m));
	memset(&r, 0, sizeof(r));
	r.name = "";
	if (member_find(c->db, l.id, addr, &m) == KITH_OK) {
		r.name = m.name;
		member_id = m.id;
	}
	/* A non-member's preview shows the links a member would get. */
	weblink_list_unsubscribe(&c->cfg, key, l.address,
	    member_id ? member_id : 0, addr, &mailto, &url);
	r.address = addr;
	r.unsub_mailto = mailto;
	r.unsub_url = url;
	data = newsletter_render(&cp, &l, &r, &len, err, sizeof(err));
	if (data == NULL)
		die(EX_DATAERR_, "campaign %lld: %s", (long long)id, err);
	bounce = xasprintf("%s-bounces", l.local);
	{
		struct preview_copy pc = { &l, bounce, addr, data, len };

		st = db_tx(c->db, preview_tx, &pc, NULL, 0);
	}
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "no preview sent: " DB_BUSY_TEXT);
	memset(&o, 0, sizeof(o));
	o.workers = 1;
	if (deliver_run(&c->cfg, &o, &s, err, sizeof(err)) != KITH_OK)
		die(EX_TEMPFAIL_, "preview queued, not sent: %s", err);
	cli_printf("preview of campaign %lld sent to %s\n", (long long)id, addr);
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

	FILE *tty = cli_raw_stderr();	/* its \r redraws the line */

	fprintf(tty, "\r[");
	for (int i = 0; i < width; i++)
		fputc(i < fill ? '#' : '.', tty);
	fprintf(tty, "] %lld/%lld  %.0f/s  ETA %lld:%02lld ", (long long)done,
	    (long long)total, rate, (long long)(eta / 60),
	    (long long)(eta % 60));
	fflush(tty);
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
			cli_warn("%s", err);
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
		die(EX_TEMPFAIL_, DB_BUSY_TEXT);
	if (tty) {
		progress_draw(s.sent + s.failed, s.total, seconds_now() - t0);
		fputc('\n', cli_raw_stderr());
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
send_cmd(struct cli *c, int argc, char **argv)
{
	const struct cli_sub sub = { "newsletter send", "ID", 1, 1, NULL };
	char err[512] = "";
	int64_t n, id;
	int st;

	cli_parse(&sub, argc, argv);
	id = cli_id("newsletter send", "a campaign ID", argv[0]);
	cli_open(c);
	st = newsletter_start(c->db, id, now_utc(), &n, err, sizeof(err));
	cli_status(st, err);
	if (n < 0)
		printf("campaign %lld is sending already; resuming\n",
		    (long long)id);
	return send_and_watch(c, id);
}

static int
schedule_cmd(struct cli *c, int argc, char **argv)
{
	const char *tz = NULL;
	const struct cli_opt opts[] = {
		{ "tz", 'z', OPT_VALUE, &tz },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "newsletter schedule", "ID \"YYYY-MM-DD "
	    "HH:MM\" [--tz ZONE]", 2, 2, opts };
	char *list_tz = NULL, err[512] = "", shown[64];
	struct campaign cp;
	int64_t id, at;
	int st;

	cli_parse(&sub, argc, argv);
	id = cli_id("newsletter schedule", "a campaign ID", argv[0]);
	if (tz && !tz_valid(tz))
		die(EX_DATAERR_, "'%s' is not a time zone (e.g. Europe/Prague)",
		    tz);
	load_campaign(c, id, &cp);
	if (tz == NULL)
		tz = list_tz = list_setting(c->db, cp.list_id, "timezone");
	if (tz == NULL || !tz_valid(tz))
		die(EX_CONFIG_, "the list's timezone '%s' is not valid; give --tz",
		    tz ? tz : "");
	if ((st = local_time_parse(argv[1], tz, &at)) < 0) {
		local_time_refusal(st, argv[1], tz, "2026-12-01 09:00", err,
		    sizeof(err));
		die(EX_DATAERR_, "%s", err);
	}
	if (at < now_utc() - 60)
		die(EX_DATAERR_, "%s in %s has passed; use 'kith newsletter "
		    "send %lld' to send now", argv[1], tz, (long long)id);
	st = newsletter_schedule(c->db, id, at, tz, err, sizeof(err));
	cli_status(st, err);
	local_time_format(tz, at, shown, sizeof(shown));
	printf("campaign %lld scheduled for %s (%lld UTC seconds); 'kith cron' "
	    "sends it\n", (long long)id, shown, (long long)at);
	free(list_tz);
	campaign_release(&cp);
	return 0;
}

/* newsletter cancel ID */
static int
cancel_cmd(struct cli *c, int argc, char **argv)
{
	const struct cli_sub sub = { "newsletter cancel", "ID", 1, 1, NULL };
	int64_t id, dropped;
	char err[512];
	int st;

	cli_parse(&sub, argc, argv);
	id = cli_id("newsletter cancel", "a campaign ID", argv[0]);
	cli_open(c);
	st = newsletter_cancel(c->db, id, now_utc(), &dropped, err,
	    sizeof(err));
	cli_status(st, err);
	printf("campaign %lld cancelled", (long long)id);
	if (dropped)
		printf("; %lld %s not yet sent %s dropped", (long long)dropped,
		    plural(dropped, "copy", "copies"), plural(dropped, "was",
		    "were"));
	printf("\n");
	return 0;
}

/* newsletter status ID [--json] */
static int
status_cmd(struct cli *c, int argc, char **argv)
{
	int json = 0;
	struct campaign cp;
	struct newsletter_status s;
	int64_t id;

	cli_parse_json("newsletter status", "ID [--json]", 1, 1,
	    &json, argc, argv);
	id = cli_id("newsletter status", "a campaign ID", argv[0]);
	cli_open(c);
	newsletter_mark_finished(c->db, now_utc());
	db_close(c->db);
	load_campaign(c, id, &cp);
	if (newsletter_status(c->db, &cp, &s) != KITH_OK)
		die(EX_TEMPFAIL_, DB_BUSY_TEXT);
	status_print(&cp, &s, json);
	campaign_release(&cp);
	return 0;
}

/* newsletter ls LIST [--json] */
static int
ls_cmd(struct cli *c, int argc, char **argv)
{
	int js[2] = { 0, 0 };
	struct list l;

	cli_parse_json("newsletter ls", "LIST [--json]", 1, 1,
	    &js[0], argc, argv);
	cli_open(c);
	cli_list(c, argv[0], &l);
	if (js[0])
		printf("[");
	else
		printf("%-5s %-10s %-24s %6s  %s\n", "ID", "STATE", "SEND AT",
		    "RCPTS", "SUBJECT");
	if (newsletter_foreach(c->db, l.id, print_campaign, js) != KITH_OK)
		die(EX_TEMPFAIL_, DB_BUSY_TEXT);
	if (js[0])
		printf("]\n");
	list_release(&l);
	return 0;
}

int
cmd_newsletter(struct cli *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli *, int, char **);
	} subs[] = {
		{ "create", create_cmd }, { "ls", ls_cmd }, { "show", show_cmd },
		{ "preview", preview_cmd }, { "schedule", schedule_cmd },
		{ "send", send_cmd }, { "cancel", cancel_cmd },
		{ "status", status_cmd },
	};
	int help;

	if ((help = group_help(argc, argv, newsletter_usage)) >= 0)
		return help;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(c, argc - 1, argv + 1);
	usage_error("newsletter", "'%s' is not a newsletter command", argv[1]);
}
