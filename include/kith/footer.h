/*
 * footer - the list's footer in the body of its mail: the links Gmail
 * asks to see besides the one-click header (unsubscribe, preferences,
 * the archive), from the templates footer.txt and, when the list's
 * footer_html is on, footer.html, per list and reader's language
 * (template.h, notice_lang()).
 *
 * It is added MIME-aware (footer_apply):
 *   text/plain                appended (the body decoded, the footer
 *                             added in its charset, encoded as before;
 *                             a new part when the charset cannot hold it)
 *   text/html                 the HTML footer before </body>, else the
 *                             message becomes multipart/mixed with a
 *                             text part after it
 *   multipart/alternative,    the footers into their text and HTML
 *   multipart/related         parts when there is an HTML footer, else
 *                             wrapped in multipart/mixed with a text part
 *   multipart/mixed           a new part at the end
 *   multipart/signed,         left alone: touching them breaks the
 *   multipart/encrypted,      signature or the encryption
 *   application/pkcs7-mime,
 *   application/pgp-encrypted
 *   anything else             wrapped in multipart/mixed
 *
 * Where: posts (`footer = on`, off by default), digests (the same
 * setting) and newsletters (`newsletter_footer`, on by default).  A
 * footer with no member's own value ({{unsubscribe}}, {{preferences}},
 * {{member.*}}) is put into the shared copy once, in the list's
 * language; otherwise the message is marked (footer_mark) and each copy
 * is made for its member at delivery by the feature table's renderer
 * "footer:MSGID" (footer_feature, feature.h), which costs a parse and,
 * with DKIM, its own signatures (docs/BENCHMARKS.md).
 */
#ifndef KITH_FOOTER_H
#define KITH_FOOTER_H

#include <stddef.h>
#include <stdint.h>

#include "kith/config.h"
#include "kith/lists.h"
#include "kith/message.h"
#include "kith/template.h"
#include "kith/tokens.h"

struct db;

/*
 * footer_apply - raw with the footer text (UTF-8) and html (UTF-8, NULL
 * for none) added as above; NULL when it is left alone, why saying so
 * (signed, encrypted, or too deep to read).  The same input gives the
 * same bytes (boundaries are drawn from a fixed seed and checked against
 * the content, mime.h).  Caller frees.
 */
char *footer_apply(const char *raw, size_t len, const char *text,
    const char *html, size_t *outlen, char *why, size_t whylen);

/*
 * footer_keeps_signature - 1 when the post carries a DKIM signature of
 * its author's domain (aligned with From) that members' servers check
 * for DMARC, i.e. when its From is kept; a footer would break it.
 */
int footer_keeps_signature(const struct message *m);

/*
 * footer_post - for a list copy of a post (or a digest): 0 when the
 * list's setting (e.g. "footer") is off; else the footer is added to
 * *copy (replaced, *len updated) when it is the same for every member,
 * and 1 returned when each member's copy needs their own (mark the
 * outbox message with footer_mark).  -1 when it cannot be rendered
 * (logged; the copy goes without).
 */
int footer_post(struct db *db, const struct kith_config *cfg,
    const struct list *l, const char *setting, char **copy, size_t *len);

/* footer_mark - outbox message msg_id gets each member's footer at
 * delivery (its render becomes "footer:MSGID"); inside the caller's
 * transaction. */
int footer_mark(struct db *db, int64_t msg_id);

/* footer_mark_if - footer_mark when the list's setting is on (digests:
 * their copies get the footer at delivery, shared or each member's). */
int footer_mark_if(struct db *db, const struct list *l, const char *setting,
    int64_t msg_id);

/*
 * footer_cache - what footer_copy keeps between the copies of one run
 * (the list, its templates); footer_cache_free(NULL) is a no-op.
 */
struct footer_cache;
struct footer_cache *footer_cache_new(struct db *db);
void footer_cache_free(struct footer_cache *fc);

/*
 * footer_copy - copy (len bytes, taken over) of list l for one member
 * with the footer when l's setting ("newsletter_footer") is on; HTML
 * parts get footer.html, or the text made HTML.  Returns what the
 * caller frees instead (copy itself when nothing was added).
 */
char *footer_copy(struct footer_cache *fc, const struct kith_config *cfg,
    const struct token_key *k, const struct list *l, const char *setting,
    int64_t member_id, const char *rcpt, char *copy, size_t *len);

/*
 * The feature table's row (features.c): the renderer of marked messages
 * and the texts footer.txt and footer.html for kith check.
 */
struct feature;
extern const struct feature footer_feature;

#endif
