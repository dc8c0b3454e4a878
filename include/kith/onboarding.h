/*
 * onboarding - a list's ordered sequence of welcome steps.  Each step is
 * a template (templates/en/onboarding/NAME.txt, per list first; its first
 * line may be "Subject: ...") sent `after` seconds after the member
 * joined (first step) or after the previous step, unless the member has
 * already acted (--unless posted | rsvped: the step is skipped).
 *
 * kith cron sends every due step exactly once per member: the row that
 * records a step is inserted in the transaction that queues it.  One
 * step per member per run, and the next step's clock starts when the
 * previous one actually went, so a cron that was down sends no burst.
 * Members who joined before the sequence existed are not in it; members
 * who switch to no-mail leave it (recorded), members who leave the list
 * are counted where they left.  Everyone who joins after it exists is in
 * it, however they joined (by email, 'kith member add' or 'kith member
 * import'): the shipped texts therefore never say when or how the member
 * joined.
 */
#ifndef KITH_ONBOARDING_H
#define KITH_ONBOARDING_H

#include <stdint.h>
#include <stdio.h>

#include "kith/config.h"
#include "kith/feature.h"
#include "kith/lists.h"
#include "kith/template.h"

struct db;

struct onboarding_step {
	int64_t id, position, after, created;
	char template_name[64];
	char unless[16];
};

/* Append a step; KITH_PERM with err (no such template, bad unless). */
int onboarding_add(const struct kith_config *cfg, struct db *db,
    const struct list *l, int64_t after, const char *template_name,
    const char *unless, int64_t now, int64_t *position, char *err,
    size_t errlen);
/*
 * onboarding_describe - a step in words: "intro-nudge, 3 days after
 * joining, skipped for members who have posted".  Caller frees.
 */
char *onboarding_describe(const struct onboarding_step *s);
/* Remove the step at position; later steps move up. */
int onboarding_rm(struct db *db, const struct list *l, int64_t position,
    char *err, size_t errlen);
int onboarding_foreach(struct db *db, const struct list *l,
    int (*fn)(const struct onboarding_step *, void *), void *ctx);

/* Send what is due for every list (own transactions); KITH_OK or KITH_TEMP. */
int onboarding_cron(const struct site_ctx *c, int64_t now);

/* The feature's row in the table (feature.h). */
extern const struct feature onboarding_feature;

/* The funnel: per step, in order. */
struct onboarding_funnel {
	struct onboarding_step step;
	int64_t sent, skipped;
	int64_t waiting;	/* current members whose next step this is */
	int64_t left;		/* left the list (or went no-mail) waiting for it */
	double median_days;	/* from the previous step (or joining) to this one */
};

int onboarding_progress(struct db *db, const struct list *l,
    int (*fn)(const struct onboarding_funnel *, void *), void *ctx,
    int64_t *in_sequence, int64_t *finished);

struct template_check;
/* The templates onboarding renders and their values (kith check). */
extern const struct template_schema onboarding_schema[];
extern const size_t onboarding_nschema;

#endif
