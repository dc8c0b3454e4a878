/* web - the server object, routing to the pages, metrics, the log's paths. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/cron.h"
#include "kith/db.h"
#include "kith/html.h"
#include "kith/log.h"
#include "kith/notice.h"
#include "kith/outbox.h"
#include "kith/template.h"
#include "kith/weblinks.h"
#include "web_pages.h"

void
web_response_init(struct web_response *rs)
{
	memset(rs, 0, sizeof(*rs));
	buf_init(&rs->body);
	rs->status = 200;
	rs->content_type = "text/html; charset=utf-8";
}

void
web_response_release(struct web_response *rs)
{
	buf_release(&rs->body);
	free(rs->log);
	free(rs->disposition);
	free(rs->set_cookie);
	free(rs->location);
	memset(rs, 0, sizeof(*rs));
}

/* Open what a configuration names: the database and the secret. */
static int
web_open(const struct kith_config *cfg, struct db **db, struct token_key **key,
    char *err, size_t errlen)
{
	char *path = config_db_path(cfg);
	int st = db_open(path, 0, cfg->http_db_timeout_ms, DB_DURABLE, db, err,
	    errlen);

	free(path);
	if (st != KITH_OK)
		return -1;
	/* open as long as kith serve runs: checkpoints reuse the WAL */
	db_keep_wal(*db, cfg->http_db_timeout_ms);
	path = config_secret_path(cfg);
	*key = token_key_load(path, err, errlen);
	free(path);
	if (*key == NULL) {
		db_close(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}

struct web *
web_new(struct kith_config *cfg, char *err, size_t errlen)
{
	struct web *w = xcalloc(1, sizeof(*w));

	if (web_open(cfg, &w->db, &w->key, err, errlen) < 0) {
		free(w);
		return NULL;
	}
	w->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	snprintf(w->lang, sizeof(w->lang), "en");
	return w;
}

struct db *
web_writer(struct web *w)
{
	return w->db;
}

void
web_free(struct web *w)
{
	if (w == NULL)
		return;
free(w->tz);
	web_cache_clear(w);
	db_close(w->db);
	token_key_free(w->key);
	config_release(&w->cfg);
	free(w);
}

int
web_reload(struct web *w, struct kith_config *cfg, char *err, size_t errlen)
{
	struct db *db;
	struct token_key *key;

	if (web_open(cfg, &db, &key, err, errlen) < 0)
		return -1;
	web_cache_clear(w);
	db_close(w->db);
	token_key_free(w->key);
	config_release(&w->cfg);
	w->db = db;
	w->key = key;
	w->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	return 0;
}

/* A path segment that may be a token: letters, digits, '.', '-'. */
static int
token_shaped(const char *s, size_t n)
{
	if (n == 0 || n > WEB_TOKEN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

enum web_kind
web_kind(const struct web_request *rq)
{
	static const char *const writes[] = { "/u/", "/unsubscribe/", "/p/",
		"/l/", "/r/", "/v/", "/a/", NULL };

	if (strcmp(rq->method, "POST"))
		return WEB_READ;
	for (int i = 0; writes[i]; i++)
		if (!strncmp(rq->path, writes[i], strlen(writes[i])))
			return WEB_WRITE;
	if (!strncmp(rq->path, "/m/", 3))
		return WEB_WRITE_ALONE;
	return WEB_READ;
}

/* Split path into at most max segments (copies; caller frees each). */
static int
split_path(const char *path, char **seg, int max)
{
	int n = 0;

	if (*path != '/')
		return -1;
	while (*path == '/' && n < max) {
		const char *s = path + 1, *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);

		seg[n++] = xstrndup(s, len);
		path = s + len;
	}
	return *path ? -1 : n;
}

#define MAX_SEGMENTS 8

/* web_handle - route by method and path to the page handlers. */
void
web_handle(struct web *w, const struct web_request *rq,
    struct web_response *rs)
{
	char *seg[MAX_SEGMENTS] = { NULL };
	int n = split_path(rq->path, seg, MAX_SEGMENTS), bad = 0;
	int post = !strcmp(rq->method, "POST");

	/* the reader's language and zone, once the page knows who reads;
	 * until then a visitor's: the page varies with Accept-Language */
	w->accept = rq->accept_language;
	web_reader(w, NULL, NULL);
	rs->vary = "Accept-Language";
	/* the path comes as it was sent: each segment is decoded here */
	for (int i = 0; i < n; i++)
		if (weblink_unpct(seg[i]) < 0)
			bad = 1;
	if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD") && !post)
		web_error(w, rs, 405, rq->path);
	else if (bad)
		web_error(w, rs, 404, rq->path);
	else if (n >= 2 && !strcmp(seg[0], "a") && *seg[1])
		web_archive_page(w, rq, rs, seg + 1, n - 1);
	else if (n == 1 && !strcmp(seg[0], "metrics")) {
		if (post)
			web_error(w, rs, 405, rq->path);
		else
			web_metrics(w, rs);
	} else if (n == 2 && !strcmp(seg[0], "l") && *seg[1] &&
	    strlen(seg[1]) < 256)
		web_list_page(w, rq, rs, seg[1]);
	else if (n == 2 && strlen(seg[0]) == 1 && strchr("uprvm", *seg[0]) &&
	    token_shaped(seg[1], strlen(seg[1]))) {
		switch (*seg[0]) {
		case 'u':
			web_unsubscribe_page(w, rq, rs, seg[1], NULL);
			break;
		case 'p':
			web_prefs_page(w, rq, rs, seg[1]);
			break;
		case 'r':
			web_rsvp_page(w, rq, rs, seg[1]);
			break;
		case 'v':
			web_vote_page(w, rq, rs, seg[1]);
			break;
		default:
			web_moderate_page(w, rq, rs, seg[1]);
		}
	} else if (n == 3 && !strcmp(seg[0], "unsubscribe") && *seg[1] &&
	    token_shaped(seg[2], strlen(seg[2])))
		web_unsubscribe_page(w, rq, rs, seg[2], seg[1]);
	else
		web_error(w, rs, 404, rq->path);
	for (int i = 0; i < MAX_SEGMENTS; i++)
		free(seg[i]);
	w->accept = NULL;
	web_reader(w, NULL, NULL);
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void
label(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(b, '\\');
		if (*s == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *s);
	}
}

void
web_metrics(struct web *w, struct web_response *rs)
{
	struct outbox_counts oc;
	struct db_stmt *st;
	int s1, s2;
	int64_t held = db_int(w->db, 0, &s1, "SELECT count(*) FROM held", "");
	int64_t quarantined = db_int(w->db, 0, &s2, "SELECT count(*) FROM "
	    "quarantine", "");
	int64_t last_cron = cron_last_run(&w->cfg);

	buf_reset(&rs->body);
	rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
	if (outbox_count(w->db, &oc) != KITH_OK || s1 != KITH_OK ||
	    s2 != KITH_OK) {
		web_unavailable(w, rs);
		return;
	}
	buf_adds(&rs->body, "# HELP kith_posts_received_total Posts accepted "
	    "into each list's archive.\n# TYPE kith_posts_received_total "
	    "counter\n");
	st = db_prepare(w->db, "SELECT l.address, (SELECT count(*) FROM posts p "
	    "WHERE p.list_id=l.id) FROM lists l ORDER BY l.address");
	while (st && db_step(st) == DB_ROW) {
		buf_adds(&rs->body, "kith_posts_received_total{list=\"");
		label(&rs->body, db_col_str(st, 0));
		buf_addf(&rs->body, "\"} %lld\n",
		    (long long)db_col_int64(st, 1));
	}
	db_finalize(st);
	buf_addf(&rs->body, "# HELP kith_posts_held Posts waiting for a "
	    "moderator.\n# TYPE kith_posts_held gauge\nkith_posts_held %lld\n"
	    "# HELP kith_quarantined Messages kept because they could not be "
	    "handled.\n# TYPE kith_quarantined gauge\nkith_quarantined %lld\n",
	    (long long)held, (long long)quarantined);
	buf_addf(&rs->body, "# HELP kith_mails_sent_total Copies the next hop "
	    "accepted.\n# TYPE kith_mails_sent_total counter\n"
	    "kith_mails_sent_total %lld\n"
	    "# HELP kith_mails_failed_total Copies refused for good.\n"
	    "# TYPE kith_mails_failed_total counter\n"
	    "kith_mails_failed_total %lld\n"
	    "# HELP kith_mails_deferred Copies waiting to be tried again.\n"
	    "# TYPE kith_mails_deferred gauge\nkith_mails_deferred %lld\n"
	    "# HELP kith_queue_depth Copies not yet sent: pending, sending and "
	    "deferred.\n# TYPE kith_queue_depth gauge\nkith_queue_depth %lld\n",
	    (long long)oc.sent, (long long)oc.failed, (long long)oc.deferred,
	    (long long)(oc.pending + oc.sending + oc.deferred));
	/* an alert on time() - this catches a cron that stopped */
	buf_addf(&rs->body, "# HELP kith_cron_last_run_timestamp_seconds When "
	    "kith cron last ran with this data directory (0: never).\n"
	    "# TYPE kith_cron_last_run_timestamp_seconds gauge\n"
	    "kith_cron_last_run_timestamp_seconds %lld\n",
	    (long long)(last_cron > 0 ? last_cron : 0));
}

char *
web_stylesheet(const struct kith_config *cfg, size_t *len)
{
	char err[256], *css = template_load(cfg, "", "web/kith.css", NULL, err,
	    sizeof(err));

	if (css == NULL) {
		log_error("web: %s", err);
		return NULL;
	}
	*len = strlen(css);
	return css;
}

char *
web_log_path(const char *path)
{
	struct buf b;
	int i = 0, unsub = !strncmp(path, "/unsubscribe/", 13);
	const char *p = path;

	buf_init(&b);
	while (*p) {
		const char *e = strchr(p + 1, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		size_t k = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");

		if (k > n - 1)
			k = n - 1;
		/* the token places, and anything else shaped like a token
		 * (in a log line, the token ends where its characters do) */
		if (*p == '/' && k > 0 && ((i == 1 && !unsub && p[-2] == '/' &&
		    strchr("uprvm", p[-1])) || (i == 2 && unsub) ||
		    (memchr(p + 1, '-', k) && k > 20))) {
			buf_adds(&b, "/[token]");
			buf_add(&b, p + 1 + k, n - 1 - k);
		} else
			buf_add(&b, p, n);
		p += n;
		i++;
	}
	return b.data ? buf_detach(&b, NULL) : xstrdup(path);
}

/*
 * Every page template and the values the pages give it (kith check).
 * HTML values are fragments another web_render made.
 */
#define F TF_FIELDS
const struct template_schema web_schema[] = {
	{ "web/error-badlink.html", NULL, 0 },
	{ "web/error-badrequest.html", NULL, 0 },
	{ "web/error-busy.html", NULL, 0 },
	{ "web/error-csrf.html", NULL, 0 },
	{ "web/error-expired.html", NULL, 0 },
	{ "web/error-gone.html", NULL, 0 },
	{ "web/error-headers.html", NULL, 0 },
	{ "web/error-internal.html", NULL, 0 },
	{ "web/error-invite.html", NULL, 0 },
	{ "web/error-method.html", NULL, 0 },
	{ "web/error-noevent.html", NULL, 0 },
	{ "web/error-nolist.html", NULL, 0 },
	{ "web/error-nopoll.html", NULL, 0 },
	{ "web/error-notfound.html", NULL, 0 },
	{ "web/error-notmoderator.html", NULL, 0 },
	{ "web/error-oneclick.html", NULL, 0 },
	{ "web/error-pollclosed.html", NULL, 0 },
	{ "web/error-ratelimit.html", NULL, 0 },
	{ "web/error-toolarge.html", NULL, 0 },
	{ "web/error-type.html", NULL, 0 },
	{ "web/join-badaddress.html", NULL, 0 },
	{ "web/join-form.html", F(TF_HTML("note"), TF_STR("csrf"),
	    TF_STR("address"), TF_STR("name")), 0 },
	{ "web/join-invite.html", NULL, 0 },
	{ "web/join-sent.html", F(TF_STR("address"), TF_STR("list.name")), 0 },
	{ "web/layout.html", F(TF_STR("title"), TF_STR("root"),
	    TF_HTML("content")), 0 },
	{ "web/list-event.html", F(TF_STR("event.title"), TF_STR("event.when"),
	    TF_STR("event.where")), 0 },
	{ "web/list-events.html", F(TF_HTML("items")), 0 },
	{ "web/list-rules.html", F(TF_HTML("posting"), TF_HTML("joining"),
	    TF_STR("rules")), 0 },
	{ "web/list.html", F(TF_STR("list.name"), TF_STR("list.address"),
	    TF_STR("list.description"), TF_HTML("rules"), TF_HTML("events"),
	    TF_HTML("join")), 0 },
	{ "web/mod-decided.html", F(TF_STR("id"), TF_STR("list.name"),
	    TF_HTML("outcome"), TF_STR("by"), TF_TIME("at"),
	    TF_STR("when")), 0 },
	{ "web/mod-done-approved.html", F(TF_STR("list.name")), 0 },
	{ "web/mod-done-discarded.html", NULL, 0 },
	{ "web/mod-done-rejected.html", NULL, 0 },
	{ "web/mod-outcome-approved.html", NULL, 0 },
	{ "web/mod-outcome-discarded.html", NULL, 0 },
	{ "web/mod-outcome-expired.html", NULL, 0 },
	{ "web/mod-outcome-rejected.html", NULL, 0 },
	{ "web/mod-outcome-unknown.html", NULL, 0 },
	{ "web/mod.html", F(TF_STR("list.name"), TF_STR("from"),
	    TF_STR("subject"), TF_STR("reason"), TF_STR("text"), TF_STR("csrf"),
	    TF_STR("id"), TF_STR("list.address"), TF_STR("sender"),
	    TF_STR("nonmember")), 0 },
	{ "web/prefs-baddate.html", NULL, 0 },
	{ "web/prefs-move-bad.html", NULL, 0 },
	{ "web/prefs-move-sent.html", F(TF_STR("address")), 0 },
	{ "web/prefs-saved.html", NULL, 0 },
	{ "web/prefs-topic.html", F(TF_STR("field"), TF_STR("checked"),
	    TF_STR("topic")), 0 },
	{ "web/prefs-language.html", F(TF_STR("code"), TF_STR("name"),
	    TF_STR("selected")), 0 },
	{ "web/prefs.html", F(TF_STR("list.name"), TF_STR("member.address"),
	    TF_STR("list.address"), TF_HTML("note"), TF_STR("csrf"),
	    TF_STR("each"), TF_STR("daily"), TF_STR("weekly"), TF_STR("nomail"),
	    TF_STR("until"), TF_STR("until.date"), TF_STR("mime"),
	    TF_STR("plain"), TF_STR("thanks"), TF_HTML("topics"),
	    TF_STR("language.default"), TF_STR("language.list"),
	    TF_HTML("languages")), 0 },
	{ "web/rsvp-choose.html", F(TF_STR("csrf")), 0 },
	{ "web/rsvp-confirm.html", F(TF_STR("csrf"), TF_STR("answer"),
	    TF_HTML("label")), 0 },
	{ "web/rsvp-done-accepted.html", NULL, 0 },
	{ "web/rsvp-done-declined.html", NULL, 0 },
	{ "web/rsvp-done-none.html", NULL, 0 },
	{ "web/rsvp-done-tentative.html", NULL, 0 },
	{ "web/rsvp-done-waitlisted.html", NULL, 0 },
	{ "web/rsvp-label-maybe.html", NULL, 0 },
	{ "web/rsvp-label-no.html", NULL, 0 },
	{ "web/rsvp-label-yes.html", NULL, 0 },
	{ "web/rsvp-state-accepted.html", NULL, 0 },
	{ "web/rsvp-state-declined.html", NULL, 0 },
	{ "web/rsvp-state-none.html", NULL, 0 },
	{ "web/rsvp-state-tentative.html", NULL, 0 },
	{ "web/rsvp-state-waitlisted.html", NULL, 0 },
	{ "web/rsvp.html", F(TF_STR("event.title"), TF_STR("event.when"),
	    TF_STR("event.where"), TF_STR("event.description"),
	    TF_HTML("state"), TF_HTML("form"), TF_STR("member.address"),
	    TF_STR("list.name")), 0 },
	{ "web/rule-joining-approve.html", NULL, 0 },
	{ "web/rule-joining-confirm.html", NULL, 0 },
	{ "web/rule-joining-invite.html", NULL, 0 },
	{ "web/rule-joining-open.html", NULL, 0 },
	{ "web/rule-posting-announce.html", NULL, 0 },
	{ "web/rule-posting-anyone.html", NULL, 0 },
	{ "web/rule-posting-members.html", NULL, 0 },
	{ "web/rule-posting-moderated.html", NULL, 0 },
	{ "web/rules.txt", NULL, 0 },
	{ "web/unsubscribe.html", F(TF_STR("list.name"),
	    TF_STR("member.address"), TF_STR("list.address"), TF_STR("csrf"),
	    TF_STR("preferences")), 0 },
	{ "web/unsubscribed.html", F(TF_STR("list.name"),
	    TF_STR("member.address"), TF_STR("list.address")), 0 },
	{ "web/vote-check.html", F(TF_STR("field"), TF_STR("option")), 0 },
	{ "web/vote-choose.html", F(TF_STR("csrf"), TF_HTML("items")), 0 },
	{ "web/vote-confirm.html", F(TF_STR("csrf"), TF_STR("number"),
	    TF_STR("option")), 0 },
	{ "web/vote-done.html", NULL, 0 },
	{ "web/vote-none.html", F(TF_STR("poll.question"), TF_HTML("note"),
	    TF_HTML("form"), TF_STR("member.address"),
	    TF_STR("list.name")), 0 },
	{ "web/vote-radio.html", F(TF_STR("number"), TF_STR("option")), 0 },
	{ "web/vote-refused.html", F(TF_STR("why")), 0 },
	{ "web/vote.html", F(TF_STR("poll.question"), TF_HTML("note"),
	    TF_STR("vote"), TF_HTML("form"), TF_STR("member.address"),
	    TF_STR("list.name")), 0 },
};
const size_t web_nschema = sizeof(web_schema) / sizeof(web_schema[0]);
