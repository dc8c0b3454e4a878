/* event - the event feature: what an organiser does, its hooks, its row. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/db.h"
#include "kith/event.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/notice.h"
#include "kith/outcome.h"
#include "kith/outbox.h"
#include "kith/template.h"
#include "kith/timeutil.h"
#include "kith/util.h"

/* REQUEST to every member who gets mail; records the invitations. */
static int
invite_all(struct db *db, const struct list *l, const struct event *e,
    int64_t now, int64_t *invited)
{
	char render[64];
	int64_t msg_id;
	int st;

	snprintf(render, sizeof(render), "event:%lld:REQUEST", (long long)e->id);
	st = event_queue_render(db, l, render, &msg_id);
	if (st == KITH_OK)
		st = outbox_fanout_mailable(db, msg_id, l->id, now, invited);
	if (st == KITH_OK) {
		st = db_exec(db, "INSERT INTO event_invites(event_id, "
		    "member_id, address, sent) SELECT ?1, id, address, ?2 FROM "
		    "members WHERE list_id=?3 AND mode!='nomail' AND "
		    "disabled=0 ON CONFLICT DO NOTHING",
		    "iii", e->id, now, l->id);
	}
	return st;
}

/* One render ("event:ID:CANCEL" ...) to everyone invited who is a member. */
static int
send_to_invited(struct db *db, const struct list *l, const char *render,
    int64_t event_id, int64_t now, int64_t *count)
{
	int64_t msg_id;
	int st = event_queue_render(db, l, render, &msg_id);

	if (st == KITH_OK)
		st = db_exec(db, "INSERT INTO outbox(message_id, rcpt, "
		    "member_id, updated) SELECT ?1, m.address, m.id, ?2 FROM "
		    "event_invites i JOIN members m ON m.id=i.member_id WHERE "
		    "i.event_id=?3 AND m.disabled=0 ORDER BY m.id ON CONFLICT "
		    "DO NOTHING", "iii", msg_id,
		    now, event_id);
	*count = st == KITH_OK ? db_changes(db) : 0;
	return st;
}

/*
 * What one organiser's change writes in one transaction (db_tx): the
 * event, and the mail render (to everyone invited) with count of it.
 */
struct change {
	const struct list *l;
	struct event *e;
	const char *render;
	int64_t now, occ;	/* occ: the one occurrence cancelled, or 0 */
	int64_t *count;
};

static int
create_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct change *c = ctx;
	int st = event_save(db, c->e, 1);

	(void)err;
	(void)errlen;
	if (st == KITH_OK)
		st = invite_all(db, c->l, c->e, c->now, c->count);
	return st;
}

static int
update_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct change *c = ctx;
	int st = event_save(db, c->e, 0);

	(void)err;
	(void)errlen;
	if (st == KITH_OK)
		st = send_to_invited(db, c->l, c->render, c->e->id, c->now,
		    c->count);
	/* more seats (or none as a limit): the waitlist moves up */
	if (st == KITH_OK)
		st = event_fill_all(db, c->l, c->e, c->now);
	return st;
}

static int
cancel_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct change *c = ctx;
	int st = event_save(db, c->e, 0);

	(void)err;
	(void)errlen;
	if (st == KITH_OK && c->occ)
		st = db_exec(db, "INSERT INTO event_exdates(event_id, "
		    "occurrence) VALUES (?, ?) ON CONFLICT DO NOTHING", "ii",
		    c->e->id, c->occ);
	if (st == KITH_OK)
		st = send_to_invited(db, c->l, c->render, c->e->id, c->now,
		    c->count);
	return st;
}

/*
 * 0 when e has an occurrence that ends after now.  An invitation to an
 * event that is over (a year typed wrong, a series whose UNTIL is past)
 * would reach every member; the organiser is told instead.
 */
static int
over_already(const struct event *e, int64_t now, const char *nothing,
    char *err, size_t errlen)
{
	char end[32];

	if (event_next_occurrence(e, now - e->duration) != 0)
		return 0;
	if (*e->rrule) {
		snprintf(err, errlen, "the event would be over already: no "
		    "occurrence of the series ends after now; %s", nothing);
		return -1;
	}
	local_time_strftime(e->tz, e->start + e->duration, "%Y-%m-%d %H:%M",
	    end, sizeof(end));
	snprintf(err, errlen, "the event would be over already: it ended %s "
	    "(%s); %s", end, e->tz, nothing);
	return -1;
}

/*
 * 0 when e's answer deadline (if one was given) is ahead and not after
 * the event's next start: a deadline already past, or after the event,
 * would never bring the nudge it is set for.
 */
static int
deadline_unusable(const struct event *e, const struct event_spec *s,
    int64_t now, char *err, size_t errlen)
{
	int64_t next;
	char when[32];

	if (s->rsvp_by == NULL || *s->rsvp_by == '\0')
		return 0;
	local_time_strftime(e->tz, e->rsvp_by, "%Y-%m-%d %H:%M", when,
	    sizeof(when));
	next = event_next_occurrence(e, now);
	if (e->rsvp_by <= now)
		snprintf(err, errlen, "the answer deadline %s (%s) has passed",
		    when, e->tz);
	else if (next && e->rsvp_by > next)
		snprintf(err, errlen, "the answer deadline %s (%s) is after the "
		    "event starts", when, e->tz);
	else
		return 0;
	return -1;
}

int
event_create(const struct kith_config *cfg, struct db *db,
    const struct list *l, const struct event_spec *s, int64_t now,
    int64_t *id, int64_t *invited, char *err, size_t errlen)
{
	struct event e;
	char *hex;
	struct change c;
	int st;

	(void)cfg;
	memset(&e, 0, sizeof(e));
	e.list_id = l->id;
	e.tz = list_setting(db, l->id, "timezone");
	e.description = xstrdup("");
	e.location = xstrdup("");
	e.rrule = xstrdup("");
	e.state = xstrdup("active");
	e.created = now;
	if (event_apply_spec(&e, s, 1, err, errlen) < 0 ||
	    over_already(&e, now, "nobody was invited", err, errlen) < 0 ||
	    deadline_unusable(&e, s, now, err, errlen) < 0) {
		event_release(&e);
		return KITH_PERM;
	}
	hex = random_hex(12);
	e.uid = xasprintf("kith-%s@%s", hex, l->domain);
	free(hex);
	c = (struct change){ l, &e, NULL, now, 0, invited };
	/* whatever failed, the organiser is told the same */
	if ((st = db_tx(db, create_tx, &c, NULL, 0)) != KITH_OK)
		snprintf(err, errlen, "%s", DB_BUSY_TEXT);
	else {
		*id = e.id;
		log_info("event: '%s' (%lld) on '%s': %lld invited", e.title,
		    (long long)e.id, l->address, (long long)*invited);
	}
	event_release(&e);
	return st;
}

/* Load id and its list for a change; KITH_PERM with err when gone. */
static int
load_for_change(struct db *db, int64_t id, struct event *e, struct list *l,
    char *err, size_t errlen)
{
	if (event_get(db, id, e) != KITH_OK) {
		snprintf(err, errlen, "no event %lld; see 'kith event ls LIST'",
		    (long long)id);
		return KITH_PERM;
	}
	if (strcmp(e->state, "active")) {
		snprintf(err, errlen, "event %lld is %s", (long long)id, e->state);
		event_release(e);
		return KITH_PERM;
	}
	if (list_find_id(db, e->list_id, l) != KITH_OK) {
		snprintf(err, errlen, "event %lld has no list", (long long)id);
		event_release(e);
		return KITH_PERM;
	}
	return KITH_OK;
}

int
event_update(const struct kith_config *cfg, struct db *db, int64_t id,
    const struct event_spec *s, int64_t now, int64_t *invited, char *err,
    size_t errlen)
{
	struct event e;
	struct list l;
	char render[64];
	struct change c;
	int st;

	(void)cfg;
	*invited = 0;
	if ((st = load_for_change(db, id, &e, &l, err, errlen)) != KITH_OK)
		return st;
	/* a new time must leave something ahead; a new text may not */
	if (event_apply_spec(&e, s, 0, err, errlen) < 0 ||
	    ((s->start || s->end || s->duration > 0 || s->rrule || s->tz) &&
	    over_already(&e, now, "nothing was changed", err, errlen) < 0) ||
	    deadline_unusable(&e, s, now, err, errlen) < 0) {
		event_release(&e);
		list_release(&l);
		return KITH_PERM;
	}
	e.sequence++;
	snprintf(render, sizeof(render), "event:%lld:REQUEST", (long long)id);
	c = (struct change){ &l, &e, render, now, 0, invited };
	if ((st = db_tx(db, update_tx, &c, NULL, 0)) != KITH_OK)
		snprintf(err, errlen, "%s", DB_BUSY_TEXT);
	event_release(&e);
	list_release(&l);
	return st;
}

int
event_cancel(const struct kith_config *cfg, struct db *db, int64_t id,
    const char *occurrence_date, int64_t now, int64_t *notified, char *err,
    size_t errlen)
{
	struct event e;
	struct list l;
	char render[80];
	int64_t occ = 0;
	struct change c;
	int st;

	(void)cfg;
	*notified = 0;
	if ((st = load_for_change(db, id, &e, &l, err, errlen)) != KITH_OK)
		return st;
	if (occurrence_date) {
		occ = event_occurrence_on(&e, occurrence_date);
		if (occ == 0) {
			snprintf(err, errlen, "event %lld has no occurrence on %s "
			    "(in %s)", (long long)id, occurrence_date, e.tz);
			event_release(&e);
			list_release(&l);
			return KITH_PERM;
		}
		snprintf(render, sizeof(render), "event:%lld:CANCEL:%lld",
		    (long long)id, (long long)occ);
	} else {
		snprintf(render, sizeof(render), "event:%lld:CANCEL",
		    (long long)id);
		free(e.state);
		e.state = xstrdup("cancelled");
	}
	e.sequence++;
	c = (struct change){ &l, &e, render, now, occ, notified };
	if ((st = db_tx(db, cancel_tx, &c, NULL, 0)) != KITH_OK)
		snprintf(err, errlen, "%s", DB_BUSY_TEXT);
	event_release(&e);
	list_release(&l);
	return st;
}

/*
 * invite_member - a member who just joined gets invitations to the list's
 * upcoming events.  Caller's transaction.  Returns how many, or -1.
 */
static int
invite_member(struct db *db, const struct list *l, int64_t member_id,
    const char *address, int64_t now)
{
	int64_t *ids;
	size_t n;
	int sent = 0;

	if (event_upcoming_ids(db, l, now, &ids, &n) != KITH_OK)
		return -1;
	for (size_t i = 0; i < n && sent >= 0; i++) {
		char render[64];
		int64_t msg_id;

		if (db_exec(db, "INSERT INTO event_invites(event_id, "
		    "member_id, address, sent) VALUES (?, ?, ?, ?) ON CONFLICT "
		    "DO NOTHING", "iiti",
		    ids[i], member_id, address, now) != KITH_OK) {
			sent = -1;
			break;
		}
		if (db_changes(db) == 0)
			continue;
		snprintf(render, sizeof(render), "event:%lld:REQUEST",
		    (long long)ids[i]);
		if (event_queue_render(db, l, render, &msg_id) != KITH_OK ||
		    db_exec(db, "INSERT INTO outbox(message_id, rcpt, member_id, "
		    "updated) VALUES (?, ?, ?, ?)", "itii", msg_id, address,
		    member_id, now) != KITH_OK)
			sent = -1;
		else
			sent++;
	}
	free(ids);
	return sent;
}

/*
 * What the digest's events section gives its template (kith check):
 * start is shown by {{date}} in the event's own zone; when is its text
 * in English, for lists' own texts older than {{date}}.
 */
static const struct template_schema digest_schema = {
	"digest/events.txt", TF_FIELDS(TF_LIST("events", TF_FIELDS(
	    TF_INT("id"), TF_STR("title"), TF_TIME("start"), TF_STR("when"),
	    TF_STR("where"),
	    TF_INT("coming"), TF_INT("maybe"), TF_INT("declined"),
	    TF_INT("unanswered"), TF_INT("capacity"), TF_INT("waiting")))), 0
};

/*
 * digest_section - the events of l still to come at now, each with its
 * next occurrence and the answers to it (feature.h).
 */
static int
digest_section(struct db *db, const struct list *l, int64_t now,
    struct tvars *tv)
{
	struct event evs[32];
	size_t n = event_upcoming(db, l, now, evs, 32);
	struct tvlist *list;

	if (n == 0)
		return 0;
	list = tv_list(tv, "events");
	for (size_t i = 0; i < n; i++) {
		struct tvars *it = tv_item(list);
		struct event_counts c;
		char when[64];
		int64_t next = event_next_occurrence(&evs[i], now);

		event_when(&evs[i], next, when, sizeof(when));
		event_attendees(db, &evs[i], next, NULL, NULL, &c);
		tv_int(it, "id", evs[i].id);
		tv_str(it, "title", evs[i].title);
		tv_time(it, "start", next, evs[i].tz);
		tv_str(it, "when", when);
		tv_str(it, "where", evs[i].location);
		tv_int(it, "coming", c.accepted);
		tv_int(it, "maybe", c.tentative);
		tv_int(it, "declined", c.declined);
		tv_int(it, "unanswered", c.none);
		tv_int(it, "capacity", evs[i].capacity);
		tv_int(it, "waiting", c.waitlist);
		event_release(&evs[i]);
	}
	return 1;
}

/*
 * cmd_rsvp - "rsvp yes|no|maybe ID [YYYY-MM-DD]" for address: the answer
 * a calendar's buttons would give, for the event or for its occurrence
 * on that local date.  dry: only whether it can be done (a line to out
 * when not).  The caller's reply is the one mail the member gets.
 */
static int
cmd_rsvp(const struct mail_ctx *c, const char *address, const char *args,
    int dry, struct outcome *out)
{
	char word[16], date[16] = "", extra[2];
	long long id;
	const char *partstat, *result = NULL;
	struct member m;
	struct event e;
	int64_t now = now_utc(), occ = 0;
	int st, k = sscanf(args, "%15s %lld %15s %1s", word, &id, date, extra);

	if (k != 2 && k != 3) {
		outcome_add(out, "rsvp_usage");
		return KITH_PERM;
	}
	str_lower(word);
	partstat = !strcmp(word, "yes") ? "ACCEPTED" : !strcmp(word, "no") ?
	    "DECLINED" : !strcmp(word, "maybe") ? "TENTATIVE" : NULL;
	if (partstat == NULL) {
		outcome_add(out, "rsvp_answer");
		return KITH_PERM;
	}
	if (member_find(c->db, c->l->id, address, &m) != KITH_OK) {
		outcome_add(out, "you_not_member");
		return KITH_PERM;
	}
	if (event_get(c->db, id, &e) != KITH_OK || e.list_id != c->l->id ||
	    strcmp(e.state, "active")) {
		tv_int(outcome_add(out, "no_event"), "id", id);
		if (e.uid)
			event_release(&e);
		member_release(&m);
		return KITH_PERM;
	}
	/* one occurrence of a series; a single event's own date is the event */
	if (*date && ((occ = event_occurrence_on(&e, date)) == 0 ||
	    occ <= now)) {
		struct tvars *r = outcome_add(out, "no_occurrence");

		tv_int(r, "id", id);
		tv_str(r, "day", date);
		event_release(&e);
		member_release(&m);
		return KITH_PERM;
	}
	if (!*e.rrule)
		occ = 0;
	st = KITH_OK;
	if (!dry)
		st = event_rsvp(c->cfg, c->db, c->l, &e, m.id, occ, partstat,
		    e.sequence, now, now, &result);
	if (!dry && st == KITH_OK) {
		struct tvars *r = outcome_add(out, !strcmp(result,
		    "waitlisted") ? "rsvp_waitlisted" : !strcmp(result,
		    "accepted") ? "rsvp_accepted" : !strcmp(result, "declined") ?
		    "rsvp_declined" : !strcmp(result, "tentative") ?
		    "rsvp_tentative" : "rsvp_stale");

		tv_str(r, "title", e.title);
		tv_str(r, "day", occ ? date : "");
	}
	event_release(&e);
	member_release(&m);
	return st;
}

/*
 * rsvp_confirm_values - what confirm.txt shows of "rsvp WORD ID [DATE]"
 * (feature.h): the answer, the event's title and time (the occurrence
 * asked about, else the next one; event.series when the answer is for
 * all of them), in the event's zone.  With args NULL, only the values'
 * empty defaults.
 */
static int
rsvp_confirm_values(const struct mail_ctx *c, const char *args,
    struct tvars *tv, char **tz)
{
	char word[16] = "", date[16] = "", extra[2];
	long long id = 0;
	int k;
	int64_t occ, t;
	struct event e;

	/* the values confirm.txt may name, before any is known */
	tv_bool(tv, "rsvp", 0);
	tv_str(tv, "event.title", "");
	tv_int(tv, "event.time", 0);
	tv_bool(tv, "event.series", 0);
	tv_bool(tv, "rsvp.yes", 0);
	tv_bool(tv, "rsvp.no", 0);
	tv_bool(tv, "rsvp.maybe", 0);
	if (args == NULL || (k = sscanf(args, "%15s %lld %15s %1s", word, &id,
	    date, extra)) < 2 || k > 3)
		return 0;
	str_lower(word);
	if (event_get(c->db, id, &e) != KITH_OK || e.list_id != c->l->id) {
		if (e.uid)
			event_release(&e);
		return 0;
	}
	occ = *date ? event_occurrence_on(&e, date) : 0;
	t = occ ? occ : event_next_occurrence(&e, now_utc());
	tv_bool(tv, "rsvp", 1);
	tv_str(tv, "event.title", e.title);
	tv_int(tv, "event.time", t ? t : e.start);
	tv_bool(tv, "event.series", !*date && *e.rrule);
	tv_bool(tv, "rsvp.yes", !strcmp(word, "yes"));
	tv_bool(tv, "rsvp.no", !strcmp(word, "no"));
	tv_bool(tv, "rsvp.maybe", !strcmp(word, "maybe"));
	*tz = xstrdup(e.tz);
	event_release(&e);
	return 1;
}

static const struct feature_command commands[] = {
	{ "rsvp", 1, cmd_rsvp, rsvp_confirm_values },
	{ NULL, 0, NULL, NULL }
};

/* Calendar answers to team-events@ and team-events+TOKEN@ (feature.h). */
static const struct feature_address addresses[] = {
	{ "-events", 0, "recorded", event_handle_reply },
	{ NULL, 0, NULL, NULL }
};

/* on_join (feature.h): a new member is invited to what is still to come. */
static int
member_joined(const struct mail_ctx *c, const struct member *m, int64_t now,
    struct buf *note)
{
	int n = invite_member(c->db, c->l, m->id, m->address, now);

	if (n < 0)
		return KITH_TEMP;
	if (n > 0 && note)
		buf_addf(note, "invited to %d upcoming %s", n, plural(n, "event",
		    "events"));
	return KITH_OK;
}

/*
 * member_left - on_leave (feature.h): the member's answers went with
 * their row; in every event of the list where someone waits, the seats
 * that freed go to the first ones waiting, now rather than at the next
 * cron.
 */
static int
member_left(const struct mail_ctx *c, const struct member *m, int64_t now)
{
	/* prepared once a connection: every leave asks it */
	struct db_stmt *st = db_cached(c->db, "SELECT DISTINCT e.id FROM events "
	    "e JOIN rsvps r ON r.event_id=e.id WHERE e.list_id=? AND "
	    "e.state='active' AND r.waitlisted=1 ORDER BY e.id");
	int64_t *ids = NULL;
	size_t n = 0;
	int status = KITH_OK;

	(void)m;
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", c->l->id);
	while (db_step(st) == DB_ROW) {
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = db_col_int64(st, 0);
	}
	db_cached_done(st);
	for (size_t i = 0; i < n && status == KITH_OK; i++) {
		struct event e;

		if (event_get(c->db, ids[i], &e) != KITH_OK)
			continue;
		status = event_fill_all(c->db, c->l, &e, now);
		event_release(&e);
	}
	free(ids);
	return status;
}

/*
 * member_moved - on_move (feature.h): the invitations name the address
 * they went to (forgetting an address looks them up by it, privacy.c),
 * and the tokens of those the old address got name it, so that its
 * calendar's answers are no longer the member's: each invitation to
 * what is still to come goes again, to the new address.
 */
static int
member_moved(const struct mail_ctx *c, const struct member *m,
    const char *from, int64_t now)
{
	int64_t *ids = NULL;
	size_t n = 0;
	int st = db_exec(c->db, "UPDATE event_invites SET address=?, sent=? "
	    "WHERE member_id=?", "tii", m->address, now, m->id);

	(void)from;
	if (st == KITH_OK)
		st = event_upcoming_ids(c->db, c->l, now, &ids, &n);
	for (size_t i = 0; st == KITH_OK && i < n; i++) {
		char render[64];
		int64_t msg_id;
		int invited = (int)db_int(c->db, 0, &st, "SELECT count(*) FROM "
		    "event_invites WHERE event_id=? AND member_id=?", "ii",
		    ids[i], m->id);

		if (st != KITH_OK || !invited)
			continue;
		snprintf(render, sizeof(render), "event:%lld:REQUEST",
		    (long long)ids[i]);
		st = event_queue_render(c->db, c->l, render, &msg_id);
		if (st == KITH_OK)
			st = db_exec(c->db, "INSERT INTO outbox(message_id, rcpt, "
			    "member_id, updated) VALUES (?, ?, ?, ?)", "itii",
			    msg_id, m->address, m->id, now);
	}
	free(ids);
	return st == KITH_OK ? KITH_OK : KITH_TEMP;
}

/* Delivery: each copy of "event:..." (feature.h), one cache a run. */
static char *
render_copy(const struct site_ctx *c, void **cache, const char *render,
    int64_t member_id, const char *rcpt, size_t *len)
{
	if (*cache == NULL)
		*cache = event_cache_new(c->db);
	return event_personalise(*cache, c->cfg, c->key, render, member_id,
	    rcpt, len);
}

static void
render_free(void *cache)
{
	event_cache_free(cache);
}

/* The feature's row (feature.h). */
const struct feature event_feature = {
	.name = "event",
	.addresses = addresses,
	.commands = commands,
	.cron = event_cron,
	.render = render_copy,
	.render_free = render_free,
	.digest_section = digest_section,
	.digest = &digest_schema,
	.on_join = member_joined,
	.on_leave = member_left,
	.on_move = member_moved,
	.texts = event_schema,
	.ntexts = EVENT_NTEXTS,
};
