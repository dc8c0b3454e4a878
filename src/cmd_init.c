/* cmd_init - kith init, kith check. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "kith/address.h"
#include "kith/cron.h"
#include "kith/db.h"
#include "kith/dkim.h"
#include "kith/outbox.h"
#include "kith/template.h"
#include "kith/texts.h"
#include "kith/probe.h"
#include "kith/tokens.h"
#include "kith/transport.h"
#include "kith/util.h"
#include "kith/weblinks.h"

#define PROBE_MS 3000	/* how long kith check waits for the web */
/* kith cron runs every minute: this long without a run is a broken cron,
 * not a slow one (a long run of a big digest, a busy minute) */
#define CRON_LATE (15 * 60)
#define DEFERRED_LATE (10 * 60)

/*
 * share_data_dir - a group-writable data directory is shared (util.h):
 * make it set-group-ID, so that whatever any user creates in it has its
 * group, and give the group what was made before it was shared.  The
 * database and the secret are seen to by db_open and
 * token_secret_create.  Returns the group's name, or NULL when private.
 */
static const char *
share_data_dir(const struct kith_config *cfg)
{
	static const char *const files[] = { "cron.lock", "deliver.log" };
	struct stat st;
	struct group *g;
	char *p;
	gid_t gid;

	if (!dir_shared(cfg->data_dir, &gid))
		return NULL;
	if (stat(cfg->data_dir, &st) == 0 && st.st_uid == geteuid() &&
	    !(st.st_mode & S_ISGID) &&
	    chmod(cfg->data_dir, (st.st_mode & 07777) | S_ISGID) < 0)
		die(EX_CANTCREAT_, "cannot make '%s' set-group-ID: %s",
		    cfg->data_dir, strerror(errno));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		p = xasprintf("%s/%s", cfg->data_dir, files[i]);
		share_like_parent(p, 0660);
		free(p);
	}
	p = xasprintf("%s/journal", cfg->data_dir);
	share_like_parent(p, 02770);
	free(p);
	p = xasprintf("%s/dkim", cfg->data_dir);
	share_like_parent(p, 02770);
	free(p);
	if (*cfg->dkim_domain) {
		p = config_dkim_key_path(cfg);
		share_like_parent(p, 0640);
		free(p);
	}
	g = getgrgid(gid);
	return g ? g->gr_name : "?";
}

int
cmd_init(struct cli *c, int argc, char **argv)
{
	char err[512] = "", *db_path, *secret;
	const char *group;
	struct db *db;
	int st;

	cli_no_args("init", "usage: kith init\n\nCreate the data directory "
	    "(data_dir in kith.conf, $KITH_HOME, default ./var), the\n"
	    "database (or migrate it to this version) and the site "
	    "secret (mode 0600).\nWhen the data directory is "
	    "group-writable, it is shared by that group:\nthe "
	    "database is 0660, the secret 0640, the directory "
	    "set-group-ID, and\nwhat was made before is given to the "
	    "group.  Safe to run again.\n", argc, argv);
	cli_config(c);
	if (mkdir_p(c->cfg.data_dir, 0750) < 0)
		die(EX_CANTCREAT_, "cannot create '%s': %s", c->cfg.data_dir,
		    strerror(errno));
	group = share_data_dir(&c->cfg);
	db_path = config_db_path(&c->cfg);
	st = db_open(db_path, 1, c->cfg.busy_timeout_ms, DB_DURABLE, &db, err,
	    sizeof(err));
	if (st != KITH_OK)
		die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_CANTCREAT_, "%s", err);
	db_close(db);
	secret = config_secret_path(&c->cfg);
	if (token_secret_create(secret, err, sizeof(err)) < 0)
		die(EX_CANTCREAT_, "%s", err);
	free(db_path);
	db_path = config_db_label(&c->cfg);	/* no password shown */
	cli_printf("data directory: %s\ndatabase:       %s (schema %d)\n"
	    "site secret:    %s\ntransport:      %s\n", c->cfg.data_dir,
	    db_path, DB_SCHEMA_VERSION, secret, c->cfg.transport);
	if (group)
		printf("shared with:    group %s (the directory is "
		    "group-writable)\n", group);
	free(db_path);
	free(secret);
	cli_close(c);
	return 0;
}

struct check_state {
	struct cli *c;
	struct template_check tc;
	int lists;
};

static void
report_template(void *ctx, int warning, const char *line)
{
	(void)ctx;
	if (warning)
		cli_warn("warning: %s", line);
	else
		cli_warn("%s", line);
}

/* Every module's templates as list l gets them. */
static void
check_templates(struct check_state *s, const struct list *l)
{
	texts_check(&s->c->cfg, l, &s->tc);
}

static int
check_list_templates(const struct list *l, int64_t members, void *ctx)
{
	struct check_state *s = ctx;
	char *lang = list_setting(s->c->db, l->id, "language");

	(void)members;
	s->lists++;
	/* the languages in use: the list's, and its members' own */
	template_check_uses(&s->tc, lang);
	free(lang);
	{
		struct db_stmt *st = db_prepare(s->c->db, "SELECT DISTINCT lang "
		    "FROM members WHERE list_id=? AND lang!=''");

		if (st) {
			db_bind(st, "i", l->id);
			while (db_step(st) == DB_ROW)
				template_check_uses(&s->tc, (const char *)
				    db_col_str(st, 0));
			db_finalize(st);
		}
	}
	check_templates(s, l);
	return 0;
}

/*
 * check_owners - warn of each list without an owner (its only owner
 * left by mail, or was forgotten): nobody approves its joins, moderates
 * its held posts or hears of it.
 */
static void
check_owners(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "SELECT l.address, l.local FROM "
	    "lists l WHERE NOT EXISTS (SELECT 1 FROM members m WHERE "
	    "m.list_id=l.id AND m.role='owner') ORDER BY l.address");

	while (st && db_step(st) == DB_ROW)
		cli_warn("warning: %s has no owner: nobody approves its joins, "
		    "moderates its held posts or hears of it; give it one with "
		    "'kith member role %s ADDRESS owner'", db_col_str(st, 0),
		    db_col_str(st, 1));
	db_finalize(st);
}

/*
 * check_addresses - a member stored with a domain in Unicode (by a Kith
 * before domains were written in ASCII) no longer matches the mail they
 * send, and some MTAs refuse to deliver to it: say who, and what to do.
 */
static void
check_addresses(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "SELECT l.local, m.address FROM "
	    "members m JOIN lists l ON l.id=m.list_id ORDER BY l.local, "
	    "m.address");

	while (st && db_step(st) == DB_ROW) {
		const char *addr = db_col_str(st, 1), *at = strrchr(addr, '@');
		char *now = at && !str_ascii(at + 1) ? address_normalize(addr) :
		    NULL;

		if (now && strcmp(now, addr))
			cli_warn("warning: %s's member %s was stored with its "
			    "domain in Unicode, as %s is now written: "
			    "'kith member rm %s %s' and 'kith member add %s %s' "
			    "(their mail matches it again)", db_col_str(st, 0),
			    addr, now, db_col_str(st, 0), addr,
			    db_col_str(st, 0), now);
		free(now);
	}
	db_finalize(st);
}

/*
 * check_web - with web_base_url set, members' mail links there: warn
 * when nothing answers WEB_BASE_URL/healthz (through the proxy, TLS
 * checked), and say whether kith serve itself answers on [http] listen.
 */
static void
check_web(const struct kith_config *cfg)
{
	char *base = weblink_base(cfg), *url, err[256], lerr[256];

	if (base == NULL)
		return;
	url = xasprintf("%s/healthz", base);
	if (probe_get(url, "ok", PROBE_MS, err, sizeof(err)) == 0)
		printf("# web: %s answers\n", url);
	else if (probe_listen(cfg->http_listen, "/healthz", "ok", PROBE_MS,
	    lerr, sizeof(lerr)) == 0)
		fprintf(stderr, "kith: warning: nothing answers at %s (%s), "
		    "but kith serve answers on %s: check the reverse proxy\n",
		    url, err, cfg->http_listen);
	else
		fprintf(stderr, "kith: warning: nothing answers at %s (%s), "
		    "and kith serve does not answer on %s (%s): one-click "
		    "unsubscribe and the links in mail do not work; start "
		    "'kith serve' (kith-serve(8))\n", url, err,
		    cfg->http_listen, lerr);
	free(url);
	free(base);
}

/*
 * check_transport - whether kith deliver's transport takes mail now
 * (smtp: the session it would open, QUIT at once; a reply waited for
 * 10 s at most).  Not taking it is a warning: deliver keeps the mail
 * and retries; a transport that is no transport is an error.  Not a
 * maildir: opening one makes its folder, and kith check run by root
 * would leave it root's, where kith deliver could not write.
 */
static void
check_transport(const struct kith_config *cfg)
{
	struct kith_config quick = *cfg;	/* shares the strings */
	struct transport *t;
	char err[512] = "";

	if (!strncmp(cfg->transport, "maildir:", 8))
		return;
	if (quick.smtp_timeout > 10)
		quick.smtp_timeout = 10;
	if ((t = transport_open(&quick, err, sizeof(err))) == NULL)
		die(EX_CONFIG_, "transport: %s", err);
	if (transport_probe(t, err, sizeof(err)) == 0)
		printf("# transport: %s takes mail\n", cfg->transport);
	else
		cli_warn("warning: the transport %s does not take mail now "
		    "(%s): kith deliver keeps what it cannot send and retries",
		    cfg->transport, err);
	transport_close(t);
}

/*
 * check_dkim - with [dkim] domain set, kith deliver signs every mail
 * with the key, and without it sends nothing (exit 78): the key is
 * read here as deliver reads it, and kith check exits 78 when it
 * cannot be.
 */
static void
check_dkim(const struct kith_config *cfg)
{
	char *path, err[512] = "";
	struct dkim_key *k;

	if (!*cfg->dkim_domain)
		return;
	path = config_dkim_key_path(cfg);
	k = dkim_key_load(path, cfg->dkim_domain, cfg->dkim_selector, err,
	    sizeof(err));
	if (k)
		printf("# dkim: %s signs as d=%s s=%s\n", path,
		    cfg->dkim_domain, cfg->dkim_selector);
	else
		die(EX_CONFIG_, "dkim: %s: kith deliver sends nothing until it "
		    "can sign; make a key with 'kith dkim keygen %s --selector "
		    "%s' or set [dkim] key_file", err, cfg->dkim_domain,
		    cfg->dkim_selector);
	dkim_key_free(k);
	free(path);
}

/*
 * check_outbox - copies the relay has not taken yet: a line saying how
 * many and since when; a warning, with the relay's last words, once the
 * oldest has waited an hour (a relay down or refusing Kith, at 2 a.m.).
 */
static void
check_outbox(struct db *db)
{
	int64_t n, oldest, waited;
	char *last;

	if (outbox_waiting(db, &n, &oldest, &last) != KITH_OK || n == 0) {
		free(last);
		return;
	}
	waited = now_utc() - oldest;
	if (waited < 3600)
		printf("# outbox: %lld deferred, the oldest for %lld min\n",
		    (long long)n, (long long)(waited / 60));
	else
		cli_warn("warning: %lld %s in the outbox, the oldest for %lld h; "
		    "the relay last said: %s ('kith queue ls' shows them, "
		    "'kith queue retry' sends them at the next run)",
		    (long long)n, n == 1 ? "copy waits" : "copies wait",
		    (long long)(waited / 3600), *last ? last : "(nothing)");
	free(last);
}

/*
 * check_deferred - posts stored under load whose copies to the members
 * are not made yet (post.h): kith serve makes them within a second, kith
 * deliver and kith cron whenever they run; ten minutes means none of
 * them runs, and the members get nothing.
 */
static void
check_deferred(struct db *db)
{
	int64_t since, n = outbox_fanout_waiting(db, &since), ago;

	if (n <= 0)
		return;
	ago = now_utc() - since;
	if (ago < DEFERRED_LATE)
		printf("# posts stored under load: %lld wait for their copies "
		    "to the members\n", (long long)n);
	else
		cli_warn("warning: %lld %s stored under load %s %lld min for "
		    "%s copies to the members: 'kith cron' or 'kith "
		    "deliver' makes them", (long long)n, n == 1 ? "post" :
		    "posts", n == 1 ? "has waited" : "have waited",
		    (long long)(ago / 60), n == 1 ? "its" : "their");
}

/*
 * check_cron - kith cron runs (cron_last_run).  Without it nothing that is
 * due goes: no digest, no retry, no reminder, no expiry, and nothing
 * else says so.
 */
static void
check_cron(const struct kith_config *cfg, int lists)
{
	int64_t last = lists ? cron_last_run(cfg) : 0, ago;
	char when[32];
	struct tm tm;
	time_t t = (time_t)last;

	if (lists == 0)
		return;
	if (last < 0) {
		cli_warn("warning: kith cron has never run here: digests, "
		    "retries, reminders and expiries wait for it; run it every "
		    "minute (contrib/kith.crontab or kith-cron.timer)");
		return;
	}
	ago = now_utc() - (int64_t)t;
	if (ago < CRON_LATE) {
		printf("# cron: ran %lld min ago\n", (long long)(ago > 0 ?
		    ago / 60 : 0));
		return;
	}
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	cli_warn("warning: kith cron has not run since %s (%lld h %lld min "
	    "ago): digests, retries, reminders and expiries wait for it; run "
	    "it every minute (contrib/kith.crontab or kith-cron.timer)", when,
	    (long long)(ago / 3600), (long long)(ago % 3600 / 60));
}

/* The database opens; on sqlite, every page of its file is whole. */
static void
check_database(struct cli *c)
{
	char problem[256], *path;
	int whole = 1;

	if (!strcmp(c->cfg.storage_backend, "sqlite")) {
		path = config_db_path(&c->cfg);
		whole = db_file_integrity(path, problem, sizeof(problem));
		if (whole == 0)
			die(EX_DATAERR_, "database '%s' is damaged (%s): see "
			    "\"WHEN THE DATABASE IS DAMAGED\" in kith(1)", path,
			    problem);
		free(path);
	}
	printf("# database: ok (%s, schema %d%s)\n", c->cfg.storage_backend,
	    db_schema_version(c->db), whole == 1 &&
	    !strcmp(c->cfg.storage_backend, "sqlite") ? ", every page whole" :
	    "");
}

int
cmd_check(struct cli *c, int argc, char **argv)
{
	struct check_state s;

	cli_no_args("check",
	    "usage: kith check\n\nPrint every setting as Kith reads "
	    "it, open the database, and render\nevery mail template of "
	    "every list in every language with sample values:\na "
	    "syntax error, an unknown {{variable}}, a plural with the "
	    "wrong number\nof forms, a text not in UTF-8 or a broken "
	    "LANGUAGE file is an\nerror (exit 78); a text not yet "
	    "translated, or a {{value}} a translation\nleaves out, is a "
	    "warning for the languages the site uses (lists' and\n"
	    "members').  With web_base_url set, warn when nothing answers at\n"
	    "WEB_BASE_URL/healthz (kith serve behind its proxy).  Warn when "
	    "the\ntransport does not take mail now, when copies have waited "
	    "in the outbox\nfor an hour, when posts stored under load have "
	    "waited 10 minutes for\ntheir copies to the members, and when "
	    "kith cron has not run for 15\nminutes.  A damaged database "
	    "(sqlite's quick_check of every page) is an\nerror (exit 65).  "
	    "With [dkim] domain set, its key must be readable:\nkith "
	    "deliver sends nothing unsigned (exit 78 otherwise).\n",
	    argc, argv);
	memset(&s, 0, sizeof(s));
	s.c = c;
	cli_open(c);
	config_dump(&c->cfg, stdout);
	check_database(c);
	s.tc.report = report_template;
	list_foreach(c->db, check_list_templates, &s);
	if (s.lists == 0) {
		/* no list yet: the site's and shipped texts all the same */
		struct list none = { 0, "list@example.org", "", "example.org",
			"List", "" };

		check_templates(&s, &none);
	}
	template_check_finish(&c->cfg, &s.tc);
	template_check_release(&s.tc);
	if (s.tc.errors)
		die(EX_CONFIG_, "%d template %s", s.tc.errors,
		    plural(s.tc.errors, "problem", "problems"));
	printf("# templates: ok\n");
	check_owners(c->db);
	check_addresses(c->db);
	check_web(&c->cfg);
	check_transport(&c->cfg);
	check_outbox(c->db);
	check_deferred(c->db);
	check_cron(&c->cfg, s.lists);
	check_dkim(&c->cfg);
	cli_close(c);
	return 0;
}
