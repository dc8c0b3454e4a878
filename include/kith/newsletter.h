/*
 * newsletter - campaigns: a draft (subject, text, optional HTML, wrapped
 * in a template), scheduled or sent now to the list's members (or those
 * with a tag), personalised per recipient at delivery time.
 *
 * Life cycle: draft -> scheduled -> sending -> sent, or cancelled.  A
 * campaign is queued (one outbox row per recipient) in the same write
 * transaction that moves it to 'sending', so racing crons queue it once
 * and a cron that was down at the time queues it when it next runs.
 *
 * The outbox row of a campaign holds no bytes: the delivery engine asks
 * newsletter_personalise() for each recipient's copy, so that a 100,000
 * member send stores one draft, not 100,000 messages.
 */
#ifndef KITH_NEWSLETTER_H
#define KITH_NEWSLETTER_H

#include <stddef.h>
#include <stdint.h>

#include "kith/config.h"
#include "kith/feature.h"
#include "kith/lists.h"
#include "kith/template.h"
#include "kith/tokens.h"

struct db;

struct campaign {
	int64_t id, list_id;
	char *subject;		/* UTF-8, may hold {{variables}} */
	char *text;		/* template and body merged */
	char *html;		/* "" for text only */
	char *template_name;
	char *tag;		/* "" = every member */
	char *state;		/* draft|scheduled|sending|sent|cancelled */
	char *tz;		/* zone send_at was given in */
	int64_t send_at, message_id, recipients, created, started, finished;
};

void campaign_release(struct campaign *c);

/* The largest text or HTML of a campaign. */
#define NEWSLETTER_MAX_BYTES 4194304

struct newsletter_draft {
	const char *subject;
	const char *text;
	const char *html;		/* NULL: text only */
	const char *template_name;	/* NULL: "default" */
	const char *tag;		/* NULL: every member */
};

/*
 * newsletter_create - store a draft for list l: the body is put into the
 * template (newsletter/NAME.txt and .html, per list first) and every
 * {{variable}} checked.  KITH_OK and *id; KITH_PERM with err (missing
 * template, unknown variable, bad tag); KITH_TEMP when busy.  now is
 * when it was created.
 */
int newsletter_create(const struct kith_config *cfg, struct db *db,
    const struct list *l, const struct newsletter_draft *d, int64_t now,
    int64_t *id, char *err, size_t errlen);

/* KITH_OK and *c (campaign_release), or KITH_PERM when no such campaign. */
int newsletter_get(struct db *db, int64_t id, struct campaign *c);

/* Campaigns of a list, oldest first; stops when fn returns non-zero. */
int newsletter_foreach(struct db *db, int64_t list_id,
    int (*fn)(const struct campaign *, void *), void *ctx);

/* Draft or scheduled -> scheduled at (UTC seconds); KITH_PERM with err. */
int newsletter_schedule(struct db *db, int64_t id, int64_t at, const char *tz,
    char *err, size_t errlen);

/*
 * newsletter_cancel - a draft or scheduled campaign is never sent; one
 * that is sending stops: copies not yet handed over are dropped
 * (*dropped counts them), finished at now.  KITH_PERM with err once sent
 * or cancelled.
 */
int newsletter_cancel(struct db *db, int64_t id, int64_t now, int64_t *dropped,
    char *err, size_t errlen);

/*
 * newsletter_start - queue campaign id now (draft or scheduled): one
 * outbox row per recipient.  *recipients gets their number, -1 when it
 * was already sending (nothing done, not an error).  KITH_PERM with err
 * when sent or cancelled.
 */
int newsletter_start(struct db *db, int64_t id, int64_t now,
    int64_t *recipients, char *err, size_t errlen);

/*
 * newsletter_cron - start every scheduled campaign whose time has come,
 * and mark finished ones sent.  KITH_OK or KITH_TEMP (feature.h).
 */
int newsletter_cron(const struct site_ctx *c, int64_t now);

/* The feature's row in the table (feature.h). */
extern const struct feature newsletter_feature;

/* Sending campaigns with no copy left to send become 'sent'. */
int newsletter_mark_finished(struct db *db, int64_t now);

struct newsletter_status {
	int64_t total, pending, sent, deferred, failed, bounced;
	int64_t started, finished;	/* 0 = not yet */
};
int newsletter_status(struct db *db, const struct campaign *c,
    struct newsletter_status *s);

/* One recipient's data for newsletter_render. */
struct newsletter_recipient {
	const char *address;
	const char *name;		/* "" when unknown */
	const char *unsub_mailto;	/* mailto:team-unsubscribe+TOKEN@ */
	const char *unsub_url;		/* https://..., or NULL */
	/* "view it in a browser" (newsletter-web.txt and .html) put at the
	 * top of each part; NULL for none */
	const char *web_text, *web_html;
};

/*
 * newsletter_render - the whole message for one recipient: every
 * variable HTML-escaped in the HTML part, RFC 2047 encoded in headers;
 * multipart/alternative when there is HTML.  NULL with err when a
 * variable is unknown (a draft made before a template changed).  Caller
 * frees.
 */
char *newsletter_render(const struct campaign *c, const struct list *l,
    const struct newsletter_recipient *r, size_t *len, char *err,
    size_t errlen);

/*
 * newsletter_view - the text of campaign c as r would read it (its
 * subject into *subject), for the web archive's page; NULL with err on a
 * template error.  Caller frees both.
 */
char *newsletter_view(const struct campaign *c, const struct list *l,
    const struct newsletter_recipient *r, char **subject, char *err,
    size_t errlen);

/*
 * newsletter_cache - what the feature's renderer keeps between the
 * recipients of one campaign during a delivery run (the campaign, its
 * list, a prepared member lookup).
 */
struct newsletter_cache;
struct newsletter_cache *newsletter_cache_new(struct db *db);
void newsletter_cache_free(struct newsletter_cache *nc);

/*
 * newsletter_personalise - the copy of campaign_id for member_id (address
 * rcpt), with the member's own unsubscribe links.  NULL when the
 * campaign is gone or cannot be rendered (logged).  Caller frees.
 */
char *newsletter_personalise(struct newsletter_cache *nc,
    const struct kith_config *cfg, const struct token_key *key,
    int64_t campaign_id, int64_t member_id, const char *rcpt, size_t *len);

/*
 * Every newsletter/NAME.txt and .html a list could use, and the values a
 * copy gives them (kith check).
 */
extern const struct template_schema newsletter_schema[];
extern const size_t newsletter_nschema;

#endif
