/*
 * filter - what a list lets through: the MTA's spam verdict and the
 * list's content filter, per list (lists.c settings):
 *
 *   spam_header         the header field and values that mean spam:
 *                       presets spamassassin (X-Spam-Flag: YES) and
 *                       rspamd (X-Spam-Action: reject | add header), or
 *                       "Name: value|value"; several comma-separated;
 *                       off for none
 *   spam_action         hold | discard | pass
 *   mime_filter         MIME types ("application/x-msdownload",
 *                       "video/" followed by "*") and file name endings (".exe") that
 *                       are not passed on; "executables" stands for
 *                       programs and scripts by type and by name; none
 *   mime_filter_action  drop (the part, leaving a short note) | reject
 *                       (the post, with a notice) | hold
 *   max_attachment_kb   a larger attachment is treated the same; 0 off
 *   html_only           a post with HTML and no plain text: pass |
 *                       convert (gains a plain-text alternative made by
 *                       html.c) | reject (with a notice)
 *
 * The spam verdict is taken first, before who may post is decided, so
 * that no notice ever answers spam.  The content filter refuses or
 * holds after the post is otherwise accepted (filter_content); what it
 * drops and converts is done to the copy members get (filter_apply),
 * also for a post a moderator approves.  Every decision is logged with
 * the Message-ID.
 */
#ifndef KITH_FILTER_H
#define KITH_FILTER_H

#include <stddef.h>

#include "kith/config.h"
#include "kith/lists.h"
#include "kith/message.h"
#include "kith/template.h"

struct db;

enum filter_verdict {
	FILTER_PASS,
	FILTER_HOLD,
	FILTER_DISCARD,
	FILTER_REJECT
};

/*
 * filter_spam - the list's spam_header against m: FILTER_PASS (not
 * spam, or spam_action pass), FILTER_HOLD or FILTER_DISCARD, with why.
 */
enum filter_verdict filter_spam(struct db *db, const struct list *l,
    const struct message *m, char *why, size_t whylen);

/*
 * filter_content - FILTER_REJECT (*tmpl: the notice to the sender),
 * FILTER_HOLD, or FILTER_PASS (parts to drop and HTML to convert are
 * left to filter_apply), with why.
 */
enum filter_verdict filter_content(struct db *db, const struct list *l,
    const struct message *m, const char **tmpl, char *why, size_t whylen);

/*
 * filter_apply - m as members get it: each part the filter drops
 * replaced by a note (template part-removed.txt), an HTML-only post
 * given its plain text (html_only = convert).  NULL when nothing
 * changes; else the new message (caller frees).
 */
char *filter_apply(struct db *db, const struct kith_config *cfg,
    const struct list *l, const struct message *m, size_t *len);

/* The note filter_apply renders (part-removed.txt) and its values, for
 * kith check (texts.c). */
extern const struct template_schema filter_schema[];
extern const size_t filter_nschema;

#endif
