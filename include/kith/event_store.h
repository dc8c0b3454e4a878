/*
 * event_store - events as rows: reading them, checking and writing what
 * an organiser gives, their occurrences (a series is expanded with
 * libical, ical.h; cancelled ones are skipped), the outbox messages
 * their copies are rendered from, and the values every text about an
 * event gets.  Part of the event feature (event.h).
 *
 * Times are UTC; a series' occurrences are looked at up to three years
 * ahead.  Functions taking a db work inside the caller's transaction.
 */
#ifndef KITH_EVENT_STORE_H
#define KITH_EVENT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "kith/lists.h"
#include "kith/template.h"

struct db;

#define EVENT_MAX_REMINDERS 4

struct event {
	int64_t id, list_id;
	char *uid, *title, *description, *location, *tz, *rrule, *state;
	int64_t start, duration, capacity, rsvp_by, created;
	int64_t remind[EVENT_MAX_REMINDERS];	/* seconds before; 0 = unused */
	int sequence;
	int64_t *exdates;	/* cancelled occurrences (UTC starts) */
	size_t nexdates;
};

void event_release(struct event *e);

/*
 * What the organiser gives; NULL fields stay as they are on update.  On
 * create, tz defaults to the list's "timezone" setting.
 */
struct event_spec {
	const char *title;
	const char *start;	/* "YYYY-MM-DD HH:MM" in tz */
	const char *end;	/* the same, instead of duration */
	const char *tz;
	int64_t duration;	/* seconds; 0 = unchanged (create: required) */
	const char *location;
	const char *description;
	const char *rrule;
	int64_t capacity;	/* -1 unchanged, 0 none */
	const char *remind;	/* "24h,1h" */
	const char *rsvp_by;	/* "YYYY-MM-DD" in tz */
};

/* "2h", "90m", "1d", "45s" -> seconds; -1 when malformed. */
int64_t event_duration_parse(const char *s);

/*
 * event_apply_spec - check spec and apply it onto e: 0, or -1 with the
 * reason in err (e half changed: release it).  Creating, e->tz already
 * holds the list's zone, and the title, the start and a length are
 * required.
 */
int event_apply_spec(struct event *e, const struct event_spec *s,
    int creating, char *err, size_t errlen);

/* event_save - insert e (creating: e->id set) or update its row. */
int event_save(struct db *db, struct event *e, int creating);

/* KITH_OK and *e (event_release), or KITH_PERM when none. */
int event_get(struct db *db, int64_t id, struct event *e);
/* By UID; KITH_PERM when none. */
int event_get_uid(struct db *db, const char *uid, struct event *e);
int event_foreach(struct db *db, int64_t list_id,
    int (*fn)(const struct event *, void *), void *ctx);

/*
 * event_upcoming - up to max events of l still to come at now (active,
 * with an occurrence after now), by start, into out (event_release
 * each); how many.
 */
size_t event_upcoming(struct db *db, const struct list *l, int64_t now,
    struct event *out, size_t max);

/*
 * event_upcoming_ids - the ids of the same events, by id: *ids (caller
 * frees) and *n.  KITH_OK or KITH_TEMP.
 */
int event_upcoming_ids(struct db *db, const struct list *l, int64_t now,
    int64_t **ids, size_t *n);

/* The next start at or after t (UTC), skipping cancelled ones; 0 if none. */
int64_t event_next_occurrence(const struct event *e, int64_t t);

/*
 * event_occurrence_on - the start of e's occurrence (not cancelled) on
 * local date "YYYY-MM-DD" in its zone; 0 when there is none.
 */
int64_t event_occurrence_on(const struct event *e, const char *date);

/* Occurrences of e in [from, to] that are not cancelled, into out. */
size_t event_occurrences(const struct event *e, int64_t from, int64_t to,
    int64_t *out, size_t max);
/* 1 when occ is the start of one of e's occurrences (cancelled or not). */
int event_is_occurrence(const struct event *e, int64_t occ);
/* 1 when occ is a cancelled occurrence of e. */
int event_cancelled(const struct event *e, int64_t occ);

/* "Fri 4 Dec 2026, 18:00 CET" for t in the event's zone. */
void event_when(const struct event *e, int64_t t, char *buf, size_t n);

/*
 * event_values - the values every text about occurrence occ of e (0:
 * the event from its first start) gets, for a reader of lang (to, and
 * name or "": the member it goes to): event.id, .title, .time and .end
 * (shown by {{date}} in the event's zone), .until ("13:00"), .location
 * and .description ("" when none), .where (the location, "-" when
 * none), .repeats (the RRULE when occ is 0, else ""), member.name (the
 * address when there is no name) and member.address; event.when is
 * {{date event.time "datetime"}} in lang, for texts older than {{date}}.
 */
void event_values(struct tvars *tv, const struct event *e, int64_t occ,
    const char *lang, const char *to, const char *name);

/*
 * event_deadline_values - event.rsvp_by, the answer deadline, shown in
 * the list's zone list_tz (the event's when it is not valid), and
 * event.deadline, its text in lang for older texts.
 */
void event_deadline_values(struct tvars *tv, const struct event *e,
    const char *list_tz, const char *lang);

/*
 * The templates the event feature renders and the values each gets
 * (kith check; its row's .texts, EVENT_NTEXTS of them); flags:
 * NOTICE_REPLY (notice.h).
 * event_text - name's row, or NULL.
 */
#define EVENT_NTEXTS 11
extern const struct template_schema event_schema[EVENT_NTEXTS];
const struct template_schema *event_text(const char *name);

/*
 * event_queue_render - an outbox message of list l whose every copy the
 * event feature renders at delivery from render ("event:ID:KIND[:OCC]",
 * event_render.h): *msg_id.  Its recipients are the caller's to add.
 */
int event_queue_render(struct db *db, const struct list *l,
    const char *render, int64_t *msg_id);

/*
 * event_queue_notice - queue the notice tmpl (a row of event_text) to
 * one address in lang, filled from tv, which it frees (notice_queue).
 */
struct kith_config;
int event_queue_notice(const struct kith_config *cfg, struct db *db,
    const struct list *l, const char *to, const char *lang, const char *tmpl,
    struct tvars *tv);

#endif
