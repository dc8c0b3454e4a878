/*
 * outcome - what a member is told their commands did, as values for
 * templates/LANG/results.txt: one record per line of the answer, in
 * order.  Each record names what happened with one yes/no value (its
 * kind: "joined", "not_member", "voted" ...; every other kind is no) and
 * carries the values its line shows (address, title, ...).  The words
 * are the template's, so an answer reads in the member's language; C
 * only says what happened.
 *
 * The request reply (requests.c), the answer to a confirmation
 * (inbound.c) and the web pages (web_answer.c) show the same lines.
 */
#ifndef KITH_OUTCOME_H
#define KITH_OUTCOME_H

#include <stdint.h>

#include "kith/config.h"
#include "kith/lists.h"
#include "kith/template.h"

struct db;

struct outcome {
	struct tvars *tv;	/* owns "results", the list of records */
	struct tvlist *results;
	uint64_t seen[2];	/* the kinds added, by their place in
				 * outcome_fields (OUTCOME_KINDS_MAX) */
};

/* outcome_init - empty; release with outcome_release. */
void outcome_init(struct outcome *o);
void outcome_release(struct outcome *o);
/* outcome_reset - empty again. */
void outcome_reset(struct outcome *o);

/*
 * outcome_add - a new line saying kind (one of outcome_fields' yes/no
 * names; another is a bug, logged); set its values in the record
 * returned (borrowed, valid until outcome_release).
 */
struct tvars *outcome_add(struct outcome *o, const char *kind);

#define OUTCOME_KINDS_MAX 128

/* outcome_any - 1 when any line was added. */
int outcome_any(const struct outcome *o);

/* outcome_has - 1 when a line of kind was added. */
int outcome_has(const struct outcome *o, const char *kind);

/*
 * outcome_text - the lines as results.txt words them for list l in
 * lang; caller frees.  NULL when the text is missing or wrong (logged).
 */
char *outcome_text(struct db *db, const struct kith_config *cfg,
    const struct list *l, const char *lang, const struct outcome *o);

/* What results.txt may use: the list "results" and its records' values. */
extern const struct template_field outcome_fields[];
/* results.txt with them (kith check). */
extern const struct template_schema outcome_schema[];
extern const size_t outcome_nschema;

#endif
