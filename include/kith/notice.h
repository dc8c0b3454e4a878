/*
 * notice - automatic mail from a list to one person (confirmations,
 * replies to requests, welcome and goodbye, moderation), rendered from a
 * template and queued in the outbox inside the caller's transaction.
 *
 * Every template gets the list's variables: list.address, list.name,
 * list.description, list.owner, list.request, list.subscribe,
 * list.unsubscribe; callers add their own.
 *
 * struct mail_ctx is what every handler that answers mail works with
 * (requests, confirmations, moderation, the features' handlers): the
 * site, the database, the token key, the list, and the mail answered,
 * so that a notice can be a reply to it.
 */
#ifndef KITH_NOTICE_H
#define KITH_NOTICE_H

#include <stddef.h>
#include <stdint.h>

#include "kith/config.h"
#include "kith/lists.h"
#include "kith/template.h"
#include "kith/tokens.h"

struct db;

/* What handlers share about the list and the mail being answered. */
struct mail_ctx {
	const struct kith_config *cfg;
	struct db *db;
	const struct token_key *key;
	const struct list *l;
	const char *in_reply_to;	/* Message-ID answered, or NULL */
	const char *subject;		/* of the mail answered, or NULL */
};

struct notice_opts {
	const char *to;
	const char *subject;		/* NULL: every shipped text has its
					 * "Subject:" line, which wins */
	const char *tmpl;		/* templates/LANG/NAME */
	const struct template_schema *row;	/* tmpl's row in the table of
					 * the module that owns it (a
					 * feature's texts), for its
					 * NOTICE_REPLY flag; NULL:
					 * notice_schema's */
	const struct template_var *vars;	/* strings, or NULL */
	int nvars;
	const struct tvars *tv;		/* more values under vars, or NULL */
	const char *lang;		/* the reader's language; NULL:
					 * notice_lang() for to */
	const char *tz;			/* NULL: the list's timezone */
	const char *in_reply_to;	/* Message-ID without <>, or NULL */
	const char *reply_to;		/* e.g. team-confirm+TOKEN@, or NULL */
	const char *attach;		/* message attached, or NULL */
	size_t attach_len;
	const struct token_key *key;	/* the site's, when the caller has
					 * it loaded (the preference link of
					 * the footer); NULL: read from the
					 * secret file */
	int64_t date;			/* its Date:; 0: now */
};

/*
 * notice_queue - render and queue one notice.  Nothing goes to a banned
 * address (KITH_OK, logged), except banned.txt when the list's
 * ban_notice is daily, at most once a day per address.  KITH_OK,
 * KITH_TEMP (database), KITH_PERM (template missing or wrong; logged).
 */
int notice_queue(struct db *db, const struct kith_config *cfg,
    const struct list *l, const struct notice_opts *o);

/*
 * notice_queue_later - queue notice tmpl to `to` about a member (its
 * values member.address and member.name, besides the list's), answering
 * in_reply_to (or NULL), to be rendered when it is delivered
 * (notice_copy) rather than now: what a member's leave sends, so that
 * the one-click POST does not render mail.  The copy is made of the
 * same values in the same way as notice_queue would make it now, and is
 * dated now; lang is the reader's language, taken now by a caller
 * about to remove the reader (a goodbye), or NULL to look it up when the
 * copy is made, as its footer is.  Bans as notice_queue.  KITH_OK,
 * KITH_TEMP.
 */
int notice_queue_later(struct db *db, const struct list *l, const char *to,
    const char *tmpl, const char *lang, const char *member, const char *name,
    const char *in_reply_to);

/* The render of outbox messages notice_queue_later queued ("notice:..."). */
#define NOTICE_RENDER "notice:"

/*
 * notice_copy - the bytes of a notice notice_queue_later queued for
 * rcpt on list list_id, whose outbox render is render (caller frees,
 * *len set); NULL when it cannot be made (the list is gone, the text is
 * broken: logged).  At delivery, with its connection and the site's key.
 */
char *notice_copy(struct db *db, const struct kith_config *cfg,
    const struct token_key *key, int64_t list_id, const char *render,
    const char *rcpt, size_t *len);

/*
 * notice_rate_ok - 1 when a notice of kind may go to address now: at
 * most one a day per list, address and kind (bans, refusals); records
 * the sending.  0 when one went out in the last 24 hours.
 */
int notice_rate_ok(struct db *db, int64_t list_id, const char *address,
    const char *kind);

/* The list's variables for templates: fills vars (room for 7), returns 7.
 * The strings live in bufs (7 pointers, caller frees each). */
int notice_list_vars(const struct list *l, struct template_var *vars,
    char **bufs);

/* The list's values for templates (as notice_list_vars) into tv. */
void notice_list_tv(struct tvars *tv, const struct list *l);

/* Room for a language code ("en", "cs", "zh-Hant"), as template_out.lang. */
#define NOTICE_LANG_LEN 16

/*
 * notice_lang - the language every text to address on list l is written
 * in: the member's, else the list's, else "en".  address NULL (or not a
 * member) asks for the list's, as a copy for everyone is.  The ONE place
 * that decides a reader's language: every member-facing text asks here.
 * The member's is members.lang (member_set_lang), the list's its
 * setting `language`.
 */
void notice_lang(struct db *db, const struct list *l, const char *address,
    char lang[NOTICE_LANG_LEN]);

/*
 * notice_lang_find - the language a member names ("cs", "čeština",
 * "Czech", any case of ASCII letters) among those Kith has; 1 with its
 * code, else 0.
 */
int notice_lang_find(const struct kith_config *cfg, const char *word,
    char code[NOTICE_LANG_LEN]);

/* notice_lang_list - "cs (čeština), de (Deutsch), ...": what may be
 * chosen; caller frees. */
char *notice_lang_list(const struct kith_config *cfg);

/* notice_lang_name - notice_lang's language by its own name ("čeština"). */
void notice_lang_name(const struct kith_config *cfg, struct db *db,
    const struct list *l, const char *address, char *name, size_t len);

/*
 * notice_lang_ok - 0 when Kith has language code (a LANGUAGE file in
 * DATA/templates/CODE or the shipped templates, and it loads), so that a
 * list or a member may choose it; else -1 with one line in err naming
 * the languages there are.
 */
int notice_lang_ok(const struct kith_config *cfg, const char *code,
    char *err, size_t errlen);
/*
 * notice_lang_have - 1 when Kith has language code (notice_lang_ok
 * without its message; cfg a struct kith_config): i18n_accept_pick's
 * test, asked of every language a header names.
 */
int notice_lang_have(void *cfg, const char *code);

struct notice;

/*
 * notice_compose - nt as a mail from list l (compose_notice), its
 * from_name, from (LOCAL-role@DOMAIN) and list_id filled here from l;
 * caller frees.
 */
char *notice_compose(const struct list *l, const char *role,
    struct notice *nt, size_t *len);

/*
 * notice_render - the text tmpl as list l writes it in lang, in the
 * list's time zone: the list's values over tv (which may be NULL).  0
 * and out filled (template_out_release), or -1 logged once with the
 * file and line.
 */
int notice_render(struct db *db, const struct kith_config *cfg,
    const struct list *l, const char *lang, const char *tmpl,
    const struct tvars *tv, struct template_out *out);

/*
 * notice_text - notice_render's body alone, the subject dropped;
 * caller frees.  NULL when the text is missing or wrong (logged).
 */
char *notice_text(struct db *db, const struct kith_config *cfg,
    const struct list *l, const char *lang, const char *tmpl,
    const struct tvars *tv);

/*
 * The flag of a notice's row (struct template_schema) that says it
 * answers a message from its recipient: Auto-Submitted: auto-replied
 * (RFC 3834); without it, auto-generated.
 */
#define NOTICE_REPLY 1u

/* Every notice template and the values it is given (kith check). */
extern const struct template_schema notice_schema[];
extern const size_t notice_nschema;

#endif
