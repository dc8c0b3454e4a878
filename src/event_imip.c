/* event_imip - calendar answers to team-events@, and their organizer tokens. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kith/confirm.h"
#include "kith/event_imip.h"
#include "kith/event_rsvp.h"
#include "kith/event_store.h"
#include "kith/ical.h"
#include "kith/log.h"
#include "kith/outcome.h"
#include "kith/members.h"
#include "kith/message.h"
#include "kith/notice.h"
#include "kith/reply.h"
#include "kith/timeutil.h"
#include "kith/tokens.h"
#include "kith/util.h"

/* Why a reply changed nothing: the kinds of event/reply-reason.txt. */
enum reason {
	NO_CALENDAR, NOT_REPLY, UNKNOWN_EVENT, CANCELLED, OTHER_EVENT,
	OTHER_MEMBER, NO_ATTENDEE, NOT_MEMBER, FORGED, NOT_OCCURRENCE,
	NREASONS
};
static const char *const reason_names[NREASONS] = {
	"no_calendar", "not_reply", "unknown_event", "cancelled", "other_event",
	"other_member", "no_attendee", "not_member", "forged", "not_occurrence"
};

/*
 * reason_text - why, as event/reply-reason.txt says it in lang: one or
 * two sentences.  Caller frees; NULL when the text is missing or wrong
 * (logged).
 */
static char *
reason_text(const struct kith_config *cfg, struct db *db, const struct list *l,
    const char *lang, enum reason why)
{
	struct tvars *tv = tv_new();
	char *text;
	size_t n;

	for (int i = 0; i < NREASONS; i++)
		tv_bool(tv, reason_names[i], i == (int)why);
	text = notice_text(db, cfg, l, lang, "event/reply-reason.txt", tv);
	tv_free(tv);
	for (n = text ? strlen(text) : 0; n > 0 && (text[n - 1] == '\n' ||
	    text[n - 1] == ' '); n--)
		text[n - 1] = '\0';
	return text;
}

/* A polite answer about a reply Kith could not use, at most once a day. */
static int
reply_problem(const struct kith_config *cfg, struct db *db,
    const struct list *l, const char *to, enum reason why)
{
	char lang[NOTICE_LANG_LEN], *reason;
	struct tvars *tv;
	int st;

	if (to == NULL || *to == '\0' || !notice_rate_ok(db, l->id, to,
	    "event-reply"))
		return KITH_OK;
	notice_lang(db, l, to, lang);
	if ((reason = reason_text(cfg, db, l, lang, why)) == NULL)
		return KITH_PERM;
	tv = tv_new();
	tv_str(tv, "reason", reason);
	st = event_queue_notice(cfg, db, l, to, lang, "event-reply-problem.txt",
	    tv);
	free(reason);
	return st;
}

static int
want_calendar(const char *name, const char *type, void *ctx)
{
	size_t n = strlen(name);

	(void)ctx;
	return !strcasecmp(type, "text/calendar") ||
	    !strcasecmp(type, "application/ics") ||
	    (n > 4 && !strcasecmp(name + n - 4, ".ics"));
}

char *
event_find_calendar(const char *raw, size_t len)
{
	size_t clen;

	return message_find_part(raw, len, want_calendar, NULL, &clen);
}

/*
 * reply_member - whose answer this is: the ATTENDEE that is a member; the
 * sender only when it is that same member, or when the one attendee is
 * not a member at all (an alias).  0 when nobody, or when the sender is
 * another member (nobody answers for someone else).
 */
static int64_t
reply_member(struct db *db, const struct list *l, const struct ical_info *in,
    const char *from, size_t *which)
{
	struct member m;
	int64_t from_id = 0, id = 0;

	if (from && *from && member_find(db, l->id, from, &m) == KITH_OK) {
		from_id = m.id;
		member_release(&m);
	}
	for (size_t i = 0; i < in->nattendees && id == 0; i++)
		if (member_find(db, l->id, in->attendee[i], &m) == KITH_OK) {
			id = m.id;
			*which = i;
			member_release(&m);
		}
	if (id && from_id && id != from_id)
		return 0;
	if (id == 0 && from_id && in->nattendees == 1) {
		*which = 0;
		return from_id;
	}
	return id;
}

/*
 * reply_unclear - a reply whose answer Kith does not understand (no
 * PARTSTAT, NEEDS-ACTION, DELEGATED, an X- value): one polite answer, at
 * most once a day per address, that names the answers understood.
 */
static int
reply_unclear(const struct kith_config *cfg, struct db *db,
    const struct list *l, const struct event *e, const char *to,
    const char *partstat)
{
	char lang[NOTICE_LANG_LEN], shown[16];
	struct tvars *tv;
	int64_t next = event_next_occurrence(e, now_utc());
	size_t k = 0;

	if (to == NULL || *to == '\0' || !notice_rate_ok(db, l->id, to,
	    "event-unclear"))
		return KITH_OK;
	/* what the calendar sent, shown as a word: nothing else gets in */
	for (const char *p = partstat; *p && k + 1 < sizeof(shown); p++)
		shown[k++] = isalnum((unsigned char)*p) || *p == '-' ? *p : '?';
	shown[k] = '\0';
	notice_lang(db, l, to, lang);
	tv = tv_new();
	event_values(tv, e, next, lang, to, NULL);
	tv_str(tv, "answer", shown);
	return event_queue_notice(cfg, db, l, to, lang,
	    "event-reply-unclear.txt", tv);
}

/* A calendar answer being read: what it says, and whose it is. */
struct reply {
	const struct mail_ctx *c;
	const struct message *msg;
	const char *from;	/* the sender, normalised ("" when none) */
	struct ical_info in;
	struct event e;
	struct member m;	/* whose answer it is, once known */
	int have_member;
	size_t which;		/* the ATTENDEE that answers */
	int by_token;		/* a token of m's invitation to e came with it */
	int64_t occ;		/* the occurrence answered, 0: the event */
	char *line;
	size_t n;
};

static void
reply_release(struct reply *r)
{
	event_release(&r->e);
	ical_info_release(&r->in);
	if (r->have_member)
		member_release(&r->m);
}

/* A reply that cannot be used: the log line, and the sender told once. */
static int
reply_refuse(struct reply *r, enum reason why)
{
	return reply_problem(r->c->cfg, r->c->db, r->c->l, r->from, why);
}

/*
 * reply_read - the calendar of the mail: a REPLY for an active event of
 * this list.  1 to go on; 0 when not (logged, told, *st set).
 */
static int
reply_read(struct reply *r, int *st)
{
	const struct list *l = r->c->l;
	char *cal = event_find_calendar(r->msg->raw, r->msg->len);
	int parsed = cal ? ical_parse(cal, &r->in) : -1;

	free(cal);
	if (parsed < 0) {
		snprintf(r->line, r->n, "event: mail to '%s-events' without a "
		    "calendar from '%s'", l->local, r->from);
		*st = reply_refuse(r, NO_CALENDAR);
		return 0;
	}
	if (strcasecmp(r->in.method, "REPLY")) {
		snprintf(r->line, r->n, "event: calendar '%s' (not REPLY) from "
		    "'%s' ignored", r->in.method, r->from);
		*st = reply_refuse(r, NOT_REPLY);
		return 0;
	}
	if (event_get_uid(r->c->db, r->in.uid, &r->e) != KITH_OK ||
	    r->e.list_id != l->id) {
		snprintf(r->line, r->n, "event: reply for unknown event '%s' from "
		    "'%s'", r->in.uid, r->from);
		*st = reply_refuse(r, UNKNOWN_EVENT);
		return 0;
	}
	if (strcmp(r->e.state, "active") || (r->in.recurrence_id &&
	    event_cancelled(&r->e, r->in.recurrence_id))) {
		snprintf(r->line, r->n, "event: reply for cancelled event %lld "
		    "from '%s'", (long long)r->e.id, r->from);
		*st = reply_refuse(r, CANCELLED);
		return 0;
	}
	return 1;
}

/*
 * token_owner - the member a reply token names, and its event: 0 with *m
 * (member_release) and *event_id; -1 when the token is malformed, forged,
 * damaged, or names nobody who is still a member of the list.
 */
static int
token_owner(const struct mail_ctx *c, const char *token, struct member *m,
    int64_t *event_id)
{
	char *payload = token_payload(token), *verified = NULL, extra;
	long long ev = 0, mem = 0;
	int r = -1;

	if (payload && sscanf(payload, "%lld.%lld%c", &ev, &mem, &extra) == 2 &&
	    ev > 0 && mem > 0 && member_find_id(c->db, c->l->id, mem, m) ==
	    KITH_OK) {
		if (token_check(c->key, "event", c->l->address, m->address, token,
		    now_utc(), &verified) == 0) {
			*event_id = ev;
			r = 0;
		} else
			member_release(m);
	}
	free(verified);
	free(payload);
	return r;
}

/*
 * organizer_token - the token in the ORGANIZER a calendar echoes back
 * ("team-events+TOKEN@domain" of this list), for a reply that reached
 * the plain address; NULL when there is none.  Caller frees.
 */
static char *
organizer_token(const struct mail_ctx *c, const char *org)
{
	size_t n = strlen(c->l->local);
	const char *at = strrchr(org, '@'), *tok;

	if (at == NULL || strcmp(at + 1, c->l->domain) ||
	    strncmp(org, c->l->local, n) || strncmp(org + n, "-events", 7) ||
	    org[n + 7] != *c->cfg->delimiter)
		return NULL;
	tok = org + n + 8;
	return at > tok ? xstrndup(tok, (size_t)(at - tok)) : NULL;
}

/*
 * token_attendee - the ATTENDEE that answers for m in a reply its token
 * came with: the one that is m's address, else the only one when it is
 * no member (an alias of m: *alias set).  -1 when there is none, several,
 * or the one named is another member (a forwarded invitation, say:
 * nobody can tell who answered, so nobody does).
 */
static int
token_attendee(struct db *db, const struct list *l, const struct ical_info *in,
    const struct member *m, int *alias)
{
	struct member other;

	*alias = 0;
	for (size_t i = 0; i < in->nattendees; i++)
		if (!strcmp(in->attendee[i], m->address))
			return (int)i;
	if (in->nattendees != 1)
		return -1;
	if (member_find(db, l->id, in->attendee[0], &other) == KITH_OK) {
		member_release(&other);
		return -1;
	}
	*alias = 1;
	return 0;
}

/*
 * reply_by_token - whose answer a reply with a valid token is: the
 * member the token names, for the token's event only.  1 to go on, 0
 * when it changes nothing (logged, told, *st set), -1 when the token is
 * not valid (nothing said yet).
 */
static int
reply_by_token(struct reply *r, const char *token, int *st)
{
	int64_t ev = 0;
	int alias, i;

	if (token_owner(r->c, token, &r->m, &ev) < 0)
		return -1;
	r->have_member = 1;
	if (ev != r->e.id) {
		snprintf(r->line, r->n, "event: reply to %lld from '%s' came to "
		    "the address of an invitation to %lld: nothing changed",
		    (long long)r->e.id, r->from, (long long)ev);
		*st = reply_refuse(r, OTHER_EVENT);
		return 0;
	}
	i = r->in.nattendees ? token_attendee(r->c->db, r->c->l, &r->in, &r->m,
	    &alias) : -1;
	if (i < 0) {
		snprintf(r->line, r->n, "event: reply to %lld for '%s' names %s: "
		    "nothing changed", (long long)r->e.id, r->m.address,
		    r->in.nattendees ? "another member (or several attendees)" :
		    "no attendee");
		*st = reply_refuse(r, r->in.nattendees ? OTHER_MEMBER :
		    NO_ATTENDEE);
		return 0;
	}
	if (alias)
		log_info("event: reply to %lld for '%s' names '%s': taken as "
		    "the member's other address", (long long)r->e.id,
		    r->m.address, r->in.attendee[i]);
	r->which = (size_t)i;
	r->by_token = 1;
	return 1;
}

/* Whose answer a reply without a valid token is (see reply_member). */
static int
reply_by_sender(struct reply *r, int *st)
{
	int64_t id = reply_member(r->c->db, r->c->l, &r->in, r->from,
	    &r->which);

	if (id && member_find_id(r->c->db, r->c->l->id, id, &r->m) == KITH_OK) {
		r->have_member = 1;
		return 1;
	}
	snprintf(r->line, r->n, "event: reply to %lld from '%s': not a member "
	    "(or answering for someone else)", (long long)r->e.id, r->from);
	*st = reply_refuse(r, NOT_MEMBER);
	return 0;
}

/*
 * reply_whose - the member the reply answers for: by the token of the
 * address, else by the token in the ORGANIZER it echoes, else by sender
 * and ATTENDEE.  1 to go on; 0 when nobody (logged, told, *st set).
 */
static int
reply_whose(struct reply *r, const char *token, int *st)
{
	char *org_token = NULL;
	int k;

	if (token && *token) {
		k = reply_by_token(r, token, st);
		if (k < 0) {
			snprintf(r->line, r->n, "event: reply to %lld from '%s' "
			    "came to a forged or damaged address: nothing "
			    "changed", (long long)r->e.id, r->from);
			*st = reply_refuse(r, FORGED);
			return 0;
		}
		return k;
	}
	/* a client that answers the plain address keeps the ORGANIZER */
	if ((org_token = organizer_token(r->c, r->in.organizer)) != NULL) {
		k = reply_by_token(r, org_token, st);
		free(org_token);
		if (k >= 0)
			return k;
	}
	return reply_by_sender(r, st);
}

/*
 * reply_understood - the answer is one Kith records (ACCEPTED, DECLINED,
 * TENTATIVE) for the event or one of its occurrences.  1 to go on; 0
 * when not (logged, told, *st set).
 */
static int
reply_understood(struct reply *r, int *st)
{
	const char *ps = r->in.partstat[r->which];

	if (strcmp(ps, "ACCEPTED") && strcmp(ps, "DECLINED") &&
	    strcmp(ps, "TENTATIVE")) {
		snprintf(r->line, r->n, "event: reply to %lld with PARTSTAT '%s' "
		    "ignored: not an answer Kith understands", (long long)r->e.id,
		    ps);
		*st = reply_unclear(r->c->cfg, r->c->db, r->c->l, &r->e, r->from,
		    ps);
		return 0;
	}
	/* one occurrence only of a series, and only one that exists */
	r->occ = *r->e.rrule ? r->in.recurrence_id : 0;
	if (r->occ && !event_is_occurrence(&r->e, r->occ)) {
		snprintf(r->line, r->n, "event: reply to %lld for '%s', not one of "
		    "its occurrences", (long long)r->e.id, r->in.recurrence_text);
		*st = reply_refuse(r, NOT_OCCURRENCE);
		return 0;
	}
	return 1;
}

/*
 * reply_proven - a reply without a token acts at once only when our MTA
 * vouches for its From and the From is the ATTENDEE or the member's own
 * address; anything else might be forged.
 */
static int
reply_proven(const struct reply *r)
{
	const struct message *m = r->msg;

	return *m->from_addr && !strcmp(m->from_addr, r->from) &&
	    (!strcmp(r->from, r->in.attendee[r->which]) ||
	    !strcmp(r->from, r->m.address)) &&
	    reply_sender_proven(r->c->cfg->authserv_id, m->raw, m->len,
	    m->from_addr);
}

/*
 * reply_confirm - an answer nobody vouches for: nothing changes yet; the
 * member is asked, at the member's own address, to confirm the command
 * the answer stands for ("rsvp yes ID [DATE]").  A forger gains nothing.
 */
static int
reply_confirm(struct reply *r)
{
	const char *ps = r->in.partstat[r->which];
	const char *word = !strcmp(ps, "ACCEPTED") ? "yes" :
	    !strcmp(ps, "DECLINED") ? "no" : "maybe";
	char cmd[96], date[16] = "";
	struct mail_ctx c = *r->c;
	struct outcome out;
	int st;

	if (r->occ)
		local_time_strftime(r->e.tz, r->occ, "%Y-%m-%d", date,
		    sizeof(date));
	snprintf(cmd, sizeof(cmd), "rsvp %s %lld%s%s", word, (long long)r->e.id,
	    *date ? " " : "", date);
	/* the member may never have seen the mail that came in */
	c.in_reply_to = NULL;
	c.subject = NULL;
	outcome_init(&out);	/* confirm.txt says what; nobody reads out */
	st = confirm_request(&c, r->m.address, cmd, 1, NULL, &out);
	snprintf(r->line, r->n, "event: %s for '%s' to %lld from '%s': %s", ps,
	    r->m.address, (long long)r->e.id, r->from, st == KITH_PERM ?
	    "unproven, and the day's confirmations are used up: nothing "
	    "changed" : "unproven sender: nothing changed until the member "
	    "confirms");
	outcome_release(&out);
	return st == KITH_PERM ? KITH_OK : st;
}

/* reply_record - record the answer of r->m; the calendar is corrected. */
static int
reply_record(struct reply *r)
{
	const struct mail_ctx *c = r->c;
	const char *ps = r->in.partstat[r->which], *result = NULL;
	int64_t now = now_utc();
	int st;

	st = event_rsvp(c->cfg, c->db, c->l, &r->e, r->m.id, r->occ, ps,
	    r->in.sequence < 0 ? 0 : r->in.sequence > 1000000 ? 1000000 :
	    (int)r->in.sequence, r->in.dtstamp ? r->in.dtstamp : now, now,
	    &result);
	/* The calendar now shows "Accepted": correct it (B11). */
	if (st == KITH_OK && !strcmp(result, "waitlisted"))
		st = event_tell_waitlisted(c->db, c->l, &r->e, r->m.id, r->occ, now);
	snprintf(r->line, r->n, "event: %s from '%s' for %lld%s (%s): %s", ps,
	    r->in.attendee[r->which], (long long)r->e.id, r->occ ?
	    " (one occurrence)" : "", r->by_token ? "token of the member's "
	    "invitation" : "sender proven", result ? result : "-");
	return st;
}

int
event_handle_reply(const struct mail_ctx *c, const char *token,
    const struct message *msg, const char *from, char *line, size_t n)
{
	struct reply r;
	int st = KITH_OK;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.msg = msg;
	r.from = from ? from : "";
	r.line = line;
	r.n = n;
	if (reply_read(&r, &st) && reply_whose(&r, token, &st) &&
	    reply_understood(&r, &st))
		st = r.by_token || reply_proven(&r) ? reply_record(&r) :
		    reply_confirm(&r);
	reply_release(&r);
	return st;
}

char *
event_organizer(const struct kith_config *cfg, const struct token_key *key,
    const struct list *l, int64_t event_id, int64_t member_id,
    const char *address)
{
	char payload[48], *tok, *org;

	if (key == NULL || member_id <= 0 || event_id <= 0)
		return NULL;
	snprintf(payload, sizeof(payload), "%lld.%lld", (long long)event_id,
	    (long long)member_id);
	/* No expiry: the address must stay the same for every update of a
	 * series, however long it runs; a reply for a cancelled or unknown
	 * event changes nothing anyway. */
	tok = token_make(key, "event", l->address, address, payload, 0);
	if (tok == NULL)
		return NULL;
	org = xasprintf("%s-events%c%s@%s", l->local, *cfg->delimiter, tok,
	    l->domain);
	free(tok);
	return org;
}
