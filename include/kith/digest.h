/*
 * digest - daily and weekly digests: decide when one is due, collect the
 * posts, render MIME (multipart/digest of the archived posts, each an
 * intact message/rfc822) or RFC 1153 plain text, each issue ending with
 * the features' sections (feature.h), and queue one copy per digest
 * member in the outbox.
 *
 * Exactly once: an issue is created, numbered and queued in the same
 * BEGIN IMMEDIATE transaction that moves the list's digest state on, so
 * racing crons make one issue; a cron that missed days makes one issue
 * with everything; a crash mid-delivery is resumed by the outbox.  Each
 * member gets the posts received since they switched to digests.  What is
 * owed counts from the first post a digest member of the kind would get,
 * so a list whose cron first runs late still sends the slots it missed.
 *
 * Numbering: daily and weekly issues each have their own "Vol V, Issue N"
 * (a volume a year, counted from the year the list was created; issues
 * from 1 in each volume).  The digests.number column is only a serial
 * over all the list's issues.
 */
#ifndef KITH_DIGEST_H
#define KITH_DIGEST_H

#include <stdint.h>
#include <stdio.h>

#include "kith/config.h"
#include "kith/lists.h"
#include "kith/template.h"

struct db;

enum digest_kind { DIGEST_DAILY, DIGEST_WEEKLY };

struct digest_issue {
	int64_t id, volume;
	int64_t number;		/* the issue in its kind and volume */
	int64_t first_post, last_post, posts, recipients, created;
	char kind[8];
};

/* "daily"/"weekly" -> kind; -1 otherwise. */
int digest_kind_parse(const char *s);

/*
 * digest_run - for list l and kind: if an issue is due at now (its
 * scheduled time has passed since the last one, or the waiting posts
 * reached digest_max_kb) or force, create and queue it.  *issue gets its
 * issue number (0 when nothing was sent: not due, or no posts).  Own
 * transaction.
 */
int digest_run(const struct kith_config *cfg, struct db *db,
    const struct list *l, enum digest_kind kind, int64_t now, int force,
    int64_t *issue);

/* digest_run for every list and both kinds; returns issues sent, or -1. */
int digest_cron(const struct kith_config *cfg, struct db *db, int64_t now);

/* Issues of a list, both kinds, newest last. */
int digest_foreach(struct db *db, int64_t list_id,
    int (*fn)(const struct digest_issue *, void *), void *ctx);

/*
 * digest_render_issue - issue of kind in volume (0: the newest volume
 * that has it) as the full list of its posts would get it (format "mime"
 * or "plain"), dated when it was made, in the list's language, written
 * to out.  KITH_PERM when there is no such issue, or a text of
 * templates/LANG/digest/ is missing or wrong (logged).
 */
int digest_render_issue(const struct kith_config *cfg, struct db *db,
    const struct list *l, enum digest_kind kind, int64_t volume,
    int64_t issue, const char *format, FILE *out);

/*
 * digest_check_templates - render the template of every feature's digest
 * section (feature.h) as list l would get it, with sample values
 * (template_check), for kith check.  Returns the errors found.
 */
struct template_check;
int digest_check_templates(const struct kith_config *cfg,
    const struct list *l, struct template_check *c);

/* What the next issue of kind would hold, rendered, without sending. */
int digest_preview(const struct kith_config *cfg, struct db *db,
    const struct list *l, enum digest_kind kind, const char *format,
    int64_t now, FILE *out);

/* The texts of a digest and their values (kith check). */
extern const struct template_schema digest_schema[];
extern const size_t digest_nschema;

#endif
