/*
 * web_pages - what the page files (web_member.c, web_list.c,
 * web_answer.c, web_mod.c) and web.c share: the struct web, rendering,
 * CSRF, token resolution and transactions (web_pages.c).  Private to the
 * web module: web.c routes to the pages, the pages use these, and these
 * use neither.
 */
#ifndef KITH_WEB_PAGES_H
#define KITH_WEB_PAGES_H


#include "kith/config.h"
#include "kith/lists.h"
#include "kith/members.h"
#include "kith/membership.h"
#include "kith/notice.h"
#include "kith/tokens.h"
#include "kith/web.h"

struct db;

#define WEB_TOKEN_MAX 200	/* the longest token a URL or form may hold */
#define WEB_ACCEPT_MEMO 16	/* Accept-Language values remembered */

struct tmpl_cache;

struct web {
	struct kith_config cfg;
	struct db *db;
	struct token_key *key;
	struct tmpl_cache *cache;	/* web templates read so far */
	int in_batch;			/* inside web_batch_begin/commit */
	int static_site;		/* rendering files (kith archive html):
					 * no search, no logging in */
	int static_members;		/* ... as members see the archive */
	char lang[NOTICE_LANG_LEN];	/* this request's reader's language */
	const char *accept;		/* this request's Accept-Language, or
					 * NULL (web_handle sets it) */
	struct {
		char *header;			/* an Accept-Language seen */
		char lang[NOTICE_LANG_LEN];	/* what it picked, "" none */
	} accept_memo[WEB_ACCEPT_MEMO];	/* (web_reader) until the texts
					 * are read again */
	unsigned accept_next;		/* the entry to fill next */
	char *tz;			/* and the list's zone, or NULL */
};

/* Forget the templates read so far (a new configuration reads again). */
void web_cache_clear(struct web *w);

/* A template value: escaped unless raw (a fragment web_render made). */
struct web_var {
	const char *name;
	const char *value;
	int raw;
};

/* The value of field name in f (n of them), or NULL. */
const char *web_field_get(const struct web_field *f, size_t n,
    const char *name);
/* A form field of rq, else a query argument; NULL when neither. */
const char *web_arg(const struct web_request *rq, const char *name);

/*
 * web_render - templates/LANG/web/NAME as found for list_local ("" for
 * none) in the reader's language (web_reader), with every non-raw value
 * HTML-escaped.  NULL (logged) when the template is missing or names an
 * unknown variable.  Caller frees.
 */
char *web_render(struct web *w, const char *list_local, const char *name,
    const struct web_var *vars, int n);

/*
 * web_render_tv - templates/LANG/web/NAME with the values of tv (every
 * string escaped in an .html template, tv_html values as they are),
 * dates in zone tz (NULL: UTC).  NULL (logged) on a template error.
 * Caller frees.
 */
struct tvars;
char *web_render_tv(struct web *w, const char *list_local, const char *name,
    const struct tvars *tv, const char *tz);

/*
 * web_page - rs gets status and the whole page: layout.html around
 * content (a web_render result, taken over and freed).  root is the way
 * from the page's path back to the site root ("../"), for the
 * stylesheet and links.  When content is NULL the page is a 500.
 */
void web_page(struct web *w, struct web_response *rs, int status,
    const char *list_local, const char *root, const char *title,
    char *content);

/* The error page NAME (web/error-NAME.html) with status. */
void web_fail(struct web *w, struct web_response *rs, int status,
    const char *root, const char *name);

/* "../" once per directory level of path ("/u/x" gives "../"). */
char *web_root(const char *path);

/*
 * CSRF: a token for the forms of a page, bound to the page's kind
 * ("u", "p", "l" ...) and to what it acts on (the page's token, or the
 * list's address), valid for a day.  web_csrf_ok checks the "csrf"
 * field of rq.
 */
char *web_csrf(struct web *w, const char *kind, const char *bound);
int web_csrf_ok(struct web *w, const struct web_request *rq,
    const char *kind, const char *bound);

/* What a token in a URL turned out to be. */
enum web_token {
	WT_OK,		/* genuine, in time */
	WT_BAD,		/* malformed or forged */
	WT_GONE,	/* its member is no longer there */
	WT_EXPIRED	/* genuine but past its time */
};

struct web_target {
	struct list l;
	struct member m;
	int64_t thing;		/* event, poll or held post id; 0 for none */
};

/*
 * web_resolve - check token (lower-cased in place) for purpose: find its
 * member by the id in the payload, then verify the MAC against that
 * member's list and address.  On WT_OK and WT_EXPIRED t is filled
 * (release with web_target_release).
 */
enum web_token web_resolve(struct web *w, const char *purpose, char *token,
    struct web_target *t);
void web_target_release(struct web_target *t);

/*
 * web_reader - who reads this request's pages: the member address of
 * list l, for their language and the list's zone (notice_lang).
 * address NULL: a visitor Kith does not know, who reads the first
 * language of the browser's Accept-Language (w->accept) that Kith has,
 * else the list's; l NULL too: that, else English, and UTC.
 * web_resolve sets it for its member; the list page and the archive
 * for their list.
 */
void web_reader(struct web *w, const struct list *l, const char *address);

/* The mail context of list l, for the membership and moderation calls. */
struct mail_ctx web_mail_ctx(struct web *w, const struct list *l);

/*
 * A change: web_tx_begin, then the module calls, then web_tx_end with
 * ok = 1 to keep them (commit, or the batch's savepoint released) or 0 to
 * undo them.  Both return KITH_OK or KITH_TEMP (busy: caller answers
 * with web_unavailable).  Inside a batch rs->uncommitted is set.
 */
int web_tx_begin(struct web *w);
int web_tx_end(struct web *w, struct web_response *rs, int ok);

/*
 * web_mail_limits - the limits on forms that mail an address someone
 * typed (the join form, the preference page's move): [http] join_rate
 * per client and join_rate_address per address, kept in the database so
 * that they hold across restarts.  KITH_OK with *wait_us 0 when allowed,
 * else the wait; in the caller's transaction.
 */
int web_mail_limits(struct web *w, const char *client, const char *address,
    int64_t *wait_us);

/* The page handlers. */
void web_unsubscribe_page(struct web *w, const struct web_request *rq,
    struct web_response *rs, char *token, const char *list);
void web_prefs_page(struct web *w, const struct web_request *rq,
    struct web_response *rs, char *token);
void web_list_page(struct web *w, const struct web_request *rq,
    struct web_response *rs, const char *list);
void web_rsvp_page(struct web *w, const struct web_request *rq,
    struct web_response *rs, char *token);
void web_vote_page(struct web *w, const struct web_request *rq,
    struct web_response *rs, char *token);
void web_moderate_page(struct web *w, const struct web_request *rq,
    struct web_response *rs, char *token);
/* /a/LIST/...: seg are the decoded path segments after "a", n of them. */
void web_archive_page(struct web *w, const struct web_request *rq,
    struct web_response *rs, char **seg, int n);

/* "Fri 4 Dec 2026, 18:00 - 20:00 CET": an occurrence in zone tz. */
void web_event_when(const char *tz, int64_t start, int64_t duration,
    char *buf, size_t n);

#endif
