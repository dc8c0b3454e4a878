/*
 * web - the pages of `kith serve`: what each request means and the page
 * that answers it, without HTTP.  http.c parses requests (libmicrohttpd)
 * and hands them here; tests call web_handle() directly.
 *
 *   /u/TOKEN, /unsubscribe/LIST/TOKEN   one-click unsubscribe (RFC 8058)
 *   /p/TOKEN    preferences            /l/LIST     list page, join form
 *   /r/TOKEN    RSVP                   /v/TOKEN    poll vote
 *   /m/TOKEN    moderation             /metrics    Prometheus text
 *   /a/LIST/    the list's web archive (web_archive.c)
 *
 * Every change goes through the function the email path uses
 * (membership_act, membership_unsubscribe_token, membership_confirm_request,
 * moderation_decide), so the web and a mail give the same database state.
 * A GET never changes anything.  Pages are templates/LANG/web/NAME.html with
 * every value HTML-escaped.
 *
 * A struct web owns one database connection, the token key and the
 * configuration, and is used by one thread at a time.  Writes that
 * come together may share one transaction (web_batch_begin/commit: a
 * group commit, one fsync for many requests); each runs in a savepoint,
 * so one that fails leaves no trace and the others stand.  A busy
 * database answers 503 with Retry-After and changes nothing.
 */
#ifndef KITH_WEB_H
#define KITH_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "kith/config.h"
#include "kith/template.h"
#include "kith/util.h"

struct db;

struct web_field {
	char *name;
	char *value;
};

struct web_request {
	const char *method;	/* "GET", "HEAD" or "POST" */
	const char *path;	/* without the query */
	const char *client;	/* the client's address, for rate limits */
	const struct web_field *query;
	size_t nquery;
	const struct web_field *form;	/* a POST's fields */
	size_t nform;
	const char *cookie;	/* the Cookie header field, or NULL */
	const char *accept_language;	/* the header, or NULL */
};

struct web_response {
	int status;
	const char *content_type;	/* static string */
	struct buf body;
	int retry_after;	/* seconds, 0 for none */
	const char *allow;	/* for 405 */
	char *log;		/* what changed (no tokens), or NULL */
	int uncommitted;	/* changed inside a batch not yet committed */
	int mail;		/* mail was queued: deliver soon */
	/* more header fields, each NULL for none (strings owned) */
	char *disposition;	/* Content-Disposition */
	char *set_cookie;	/* Set-Cookie */
	char *location;		/* Location (a redirect) */
	const char *csp;	/* Content-Security-Policy instead of the
				 * pages' (static string) */
	const char *vary;	/* Vary (static string) */
};

void web_response_init(struct web_response *rs);
void web_response_release(struct web_response *rs);

/*
 * web_new - take over cfg (moved: the caller's struct is emptied), open
 * the database and read the site secret.  NULL with a line in err.
 */
struct web *web_new(struct kith_config *cfg, char *err, size_t errlen);
void web_free(struct web *w);
/* web_writer - the connection the pages write through (kith serve's
 * syncer and checkpointer watch it: walsync.h) */
struct db *web_writer(struct web *w);

/* web_reload - the same with a new configuration; on failure the old one
 * stays and err says why (-1). */
int web_reload(struct web *w, struct kith_config *cfg, char *err,
    size_t errlen);

enum web_kind {
	WEB_READ,		/* changes nothing */
	WEB_WRITE,		/* may change something; may share a batch */
	WEB_WRITE_ALONE		/* opens its own transactions (moderation) */
};
enum web_kind web_kind(const struct web_request *rq);

/*
 * web_handle - answer rq into rs (initialised by the caller).  Always
 * fills rs, also on errors (a page that says what went wrong).
 */
void web_handle(struct web *w, const struct web_request *rq,
    struct web_response *rs);

/* Group commit for WEB_WRITE requests: begin; web_handle each; commit.
 * KITH_OK or KITH_TEMP (busy: nothing changed). */
int web_batch_begin(struct web *w);
int web_batch_commit(struct web *w);

/* WEB_READ requests that come together read one snapshot: one read
 * transaction (and one set of locks) for all of them. */
int web_read_begin(struct web *w);
void web_read_end(struct web *w);

/* Replace rs with the "busy, try again" page (503, Retry-After). */
void web_unavailable(struct web *w, struct web_response *rs);

/* The error page for status (404, 405, 413, 415, 431, 400 ...) of a
 * request for path (for the way back to the stylesheet; may be NULL). */
void web_error(struct web *w, struct web_response *rs, int status,
    const char *path);

/*
 * web_metrics - Prometheus text from the database (posts received,
 * mails sent / deferred / failed, queue depth) into rs; the caller
 * appends its request counters.
 */
void web_metrics(struct web *w, struct web_response *rs);

/* The stylesheet (templates/web/kith.css); caller frees; NULL if none. */
char *web_stylesheet(const struct kith_config *cfg, size_t *len);

/* path with every token replaced by "[token]", for logs; caller frees. */
char *web_log_path(const char *path);

/* Every page template and its values (kith check). */
extern const struct template_schema web_schema[];
extern const size_t web_nschema;

#endif
