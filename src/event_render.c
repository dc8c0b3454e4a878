/* event_render - each member's copy of an invitation, the notices, the feed. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/compose.h"
#include "kith/db.h"
#include "kith/event_imip.h"
#include "kith/event_render.h"
#include "kith/i18n.h"
#include "kith/ical.h"
#include "kith/log.h"
#include "kith/mime.h"
#include "kith/notice.h"
#include "kith/template.h"
#include "kith/timeutil.h"
#include "kith/util.h"
#include "kith/weblinks.h"

/* event_notice - one notice about e in the reader's language (header). */
int
event_notice(const struct kith_config *cfg, struct db *db, const struct list *l,
    const struct event *e, int64_t occ, const char *to, const char *name,
    const char *tmpl, const char *lang)
{
	char own[NOTICE_LANG_LEN], *tz = list_setting(db, l->id, "timezone");
	struct tvars *tv = tv_new();
	int st;

	if (lang == NULL) {
		notice_lang(db, l, to, own);
		lang = own;
	}
	event_values(tv, e, occ, lang, to, name);
	event_deadline_values(tv, e, tz, lang);
	st = event_queue_notice(cfg, db, l, to, lang, tmpl, tv);
	free(tz);
	return st;
}

/*
 * organiser_language - the language of the organisers' own words (an
 * event's title, place and description): the list's language when the
 * list sets one; NULL when it does not (the default says nothing about
 * what its organisers write).  Caller frees.
 */
static char *
organiser_language(struct db *db, const struct list *l)
{
	struct db_stmt *st = db_prepare(db, "SELECT value FROM list_settings "
	    "WHERE list_id=? AND key='language'");
	char *lang = NULL;

	if (st == NULL)
		return NULL;
	db_bind(st, "i", l->id);
	if (db_step(st) == DB_ROW)
		lang = db_col_text(st, 0);
	db_finalize(st);
	if (lang && !i18n_code_valid(lang)) {
		free(lang);
		lang = NULL;
	}
	return lang;
}

/* The ical view of e (borrowed strings); language: its words', or NULL. */
static void
ical_view(const struct event *e, const struct list *l, const char *organizer,
    const char *language, struct ical_event *ie)
{
	memset(ie, 0, sizeof(*ie));
	ie->uid = e->uid;
	ie->sequence = e->sequence;
	ie->summary = e->title;
	ie->description = e->description;
	ie->location = e->location;
	ie->language = language;
	ie->tz = e->tz;
	ie->start = e->start;
	ie->duration = e->duration;
	ie->rrule = e->rrule;
	ie->exdates = e->exdates;
	ie->nexdates = e->nexdates;
	ie->cancelled = strcmp(e->state, "active") != 0;
	ie->organizer = organizer;
	ie->organizer_cn = *l->name ? l->name : l->address;
}

char *
event_feed(struct db *db, const struct list *l, int64_t now, char *err,
    size_t errlen)
{
	struct event evs[128];
	struct ical_event ies[128];
	size_t n = event_upcoming(db, l, now, evs, 128);
	char *org = xasprintf("%s-events@%s", l->local, l->domain), *out;
	char *lang = organiser_language(db, l);

	for (size_t i = 0; i < n; i++)
		ical_view(&evs[i], l, org, lang, &ies[i]);
	out = ical_calendar("PUBLISH", ies, n, NULL, now, err, errlen);
	for (size_t i = 0; i < n; i++)
		event_release(&evs[i]);
	free(org);
	free(lang);
	return out;
}

struct event_cache {
	struct db *db;
	struct db_stmt *member;
	char render[80];
	int loaded;
	struct event e;
	struct list l;
	char *language;		/* organiser_language(l), or NULL */
};

struct event_cache *
event_cache_new(struct db *db)
{
	struct event_cache *ec = xcalloc(1, sizeof(*ec));

	ec->db = db;
	ec->member = db_prepare(db, "SELECT name FROM members WHERE id=?");
	return ec;
}

void
event_cache_free(struct event_cache *ec)
{
	if (ec == NULL)
		return;
	db_finalize(ec->member);
	if (ec->loaded) {
		event_release(&ec->e);
		list_release(&ec->l);
		free(ec->language);
	}
	free(ec);
}

/* Load the event a render string names (once per outbox message). */
static int
cache_load(struct event_cache *ec, const char *render, long long id)
{
	if (ec->loaded && !strcmp(ec->render, render))
		return 0;
	if (ec->loaded) {
		event_release(&ec->e);
		list_release(&ec->l);
		free(ec->language);
		ec->language = NULL;
		ec->loaded = 0;
	}
	if (event_get(ec->db, id, &ec->e) != KITH_OK)
		return -1;
	if (list_find_id(ec->db, ec->e.list_id, &ec->l) != KITH_OK) {
		event_release(&ec->e);
		return -1;
	}
	snprintf(ec->render, sizeof(ec->render), "%s", render);
	ec->language = organiser_language(ec->db, &ec->l);
	ec->loaded = 1;
	return 0;
}

/* What one copy of an invitation says (the render string's method). */
enum copy_kind {
	COPY_INVITE,	/* REQUEST: invitation or update */
	COPY_CANCEL,	/* CANCEL */
	COPY_WAITLIST,	/* REQUEST, PARTSTAT=TENTATIVE: on the waitlist */
	COPY_SEAT	/* REQUEST, PARTSTAT=ACCEPTED: promoted */
};

static int
copy_kind(const char *method)
{
	static const char *const names[] = { "REQUEST", "CANCEL", "WAITLIST",
	    "SEAT" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(method, names[i]))
			return i;
	return -1;
}

/* The text/plain and text/html parts for text (a rendered template). */
static void
text_parts(struct mime_part *alt, const char *text)
{
	char *esc = html_escape(text), *h;

	mime_part_add(alt, mime_text_new("plain", text));
	h = xasprintf("<!DOCTYPE html>\n<html><body style=\"font-family:"
	    "Helvetica,Arial,sans-serif\">\n<p style=\"white-space:pre-wrap\">"
	    "%s</p>\n</body></html>\n", esc);
	mime_part_add(alt, mime_text_new("html", h));
	free(esc);
	free(h);
}

/* 1 when member waits for a seat at the whole series of the cached event. */
static int
copy_waitlisted(struct event_cache *ec, int64_t member_id)
{
	int st;

	return db_int(ec->db, 0, &st, "SELECT waitlisted FROM rsvps WHERE "
	    "event_id=? AND occurrence=0 AND member_id=? AND partstat="
	    "'ACCEPTED'", "ii", ec->e.id, member_id) == 1;
}

/*
 * copy_render - tmpl as the list writes it in lang, with tv.  A list's
 * or site's own text without a "Subject:" line (written before the
 * subjects moved into the texts) takes the shipped text's.  0, or -1
 * (logged) when the text is missing or wrong.
 */
static int
copy_render(struct event_cache *ec, const struct kith_config *cfg,
    const char *lang, const char *tmpl, const struct tvars *tv,
    struct template_out *out, int subject)
{
	struct kith_config shipped = *cfg;
	struct template_out s;

	if (notice_render(ec->db, cfg, &ec->l, lang, tmpl, tv, out) < 0)
		return -1;
	shipped.data_dir = NULL;
	if (out->subject == NULL && subject &&
	    notice_render(ec->db, &shipped, &ec->l, lang, tmpl, tv, &s) == 0) {
		out->subject = s.subject;
		s.subject = NULL;
		template_out_release(&s);
	}
	return 0;
}

/*
 * copy_values - what the texts of one copy of kind are given: the
 * event's values for the occurrence the copy is about, and for an
 * invitation its subject's time (the next occurrence), whether it is an
 * update, whether the member waits for a seat, and kith serve's answer
 * links (the token names this member and this event and ends with it;
 * a series': never).
 */
static struct tvars *
copy_values(struct event_cache *ec, const struct kith_config *cfg,
    const struct token_key *key, int kind, int64_t occ, int64_t member_id,
    const char *rcpt, const char *name, const char *lang, int waitlisted,
    int64_t now)
{
	static const char *const answers[] = { "yes", "no", "maybe" };
	const struct event *e = &ec->e;
	struct tvars *tv = tv_new();
	char *links[3] = { NULL, NULL, NULL };
	int64_t next = occ ? occ : event_next_occurrence(e, now);
	int64_t until = *e->rrule ? 0 : e->start + e->duration;

	event_values(tv, e, occ, lang, rcpt, name);
	tv_time(tv, "event.next", next ? next : e->start, e->tz);
	tv_bool(tv, "event.updated", e->sequence > 0);
	tv_bool(tv, "waitlisted", waitlisted);
	tv_bool(tv, "occurrence", occ != 0);
	for (int i = 0; i < 3 && member_id > 0 && kind == COPY_INVITE; i++)
		links[i] = weblink_rsvp(cfg, key, ec->l.address, e->id,
		    member_id, rcpt, until, answers[i]);
	for (int i = 0; i < 3; i++) {
		char name_i[16];

		snprintf(name_i, sizeof(name_i), "web.%s", answers[i]);
		tv_str(tv, name_i, links[0] && links[1] && links[2] ? links[i] :
		    "");
		free(links[i]);
	}
	return tv;
}

/*
 * copy_texts - the subject and the text and HTML parts of one copy, in
 * lang: the invitation or cancellation (event/invitation.txt and .html,
 * event/cancelled.txt and .html), or, for a waitlist or seat copy, the
 * text the notices use (event-waitlisted.txt, event-promoted.txt) and
 * the same words as HTML.  *subject is the caller's to free; NULL
 * (logged) when a text is missing or wrong.
 */
static int
copy_texts(struct event_cache *ec, const struct kith_config *cfg,
    const char *lang, int kind, const struct tvars *tv,
    struct mime_part *alt, char **subject)
{
	static const char *const names[][2] = {
		{ "event/invitation.txt", "event/invitation.html" },
		{ "event/cancelled.txt", "event/cancelled.html" },
		{ "event-waitlisted.txt", NULL },
		{ "event-promoted.txt", NULL },
	};
	struct template_out text, html;

	if (copy_render(ec, cfg, lang, names[kind][0], tv, &text, 1) < 0)
		return -1;
	if (names[kind][1] == NULL)
		text_parts(alt, text.body);
	else if (copy_render(ec, cfg, lang, names[kind][1], tv, &html,
	    0) < 0) {
		template_out_release(&text);
		return -1;
	} else {
		mime_part_add(alt, mime_text_new("plain", text.body));
		mime_part_add(alt, mime_text_new("html", html.body));
		template_out_release(&html);
	}
	*subject = text.subject ? text.subject : xstrdup(ec->e.title);
	text.subject = NULL;
	template_out_release(&text);
	return 0;
}

/*
 * copy_organizer - the organizer address of one copy: the member's own
 * (event_organizer), or the plain team-events@ for a copy to no member.
 * Caller frees.
 */
static char *
copy_organizer(struct event_cache *ec, const struct kith_config *cfg,
    const struct token_key *key, int64_t member_id, const char *rcpt)
{
	char *org = event_organizer(cfg, key, &ec->l, ec->e.id, member_id, rcpt);

	if (org == NULL && member_id > 0)
		log_warn("event: no reply token for member %lld of %lld; the "
		    "copy names the plain address", (long long)member_id,
		    (long long)ec->e.id);
	return org ? org : xasprintf("%s-events@%s", ec->l.local,
	    ec->l.domain);
}

/* The calendar of one copy: this member's ATTENDEE line tells their state. */
static char *
copy_calendar(struct event_cache *ec, const char *org, int kind, int64_t occ,
    const char *rcpt, const char *name, int waitlisted, int64_t now)
{
	struct ical_event ie;
	struct ical_attendee att;
	char *cal, err[256];

	ical_view(&ec->e, &ec->l, org, ec->language, &ie);
	if (kind == COPY_CANCEL)
		ie.cancelled = 1;
	ie.recurrence_id = kind == COPY_INVITE ? 0 : occ;
	att.address = rcpt;
	att.cn = name;
	att.partstat = kind == COPY_SEAT ? "ACCEPTED" : kind == COPY_WAITLIST ||
	    waitlisted ? "TENTATIVE" : "NEEDS-ACTION";
	att.rsvp = kind != COPY_CANCEL;
	cal = ical_calendar(kind == COPY_CANCEL ? "CANCEL" : "REQUEST", &ie, 1,
	    &att, now, err, sizeof(err));
	if (cal == NULL)
		log_error("event: %lld: %s", (long long)ec->e.id, err);
	return cal;
}

/*
 * copy_headers - From, Reply-To, To, Subject, Date, Message-ID, List-* of
 * one copy.  Reply-To is the copy's ORGANIZER, org: apps that answer the
 * mail rather than the calendar reach the member's token too.
 */
static void
copy_headers(struct mime_part *top, struct event_cache *ec,
    const struct kith_config *cfg, const struct token_key *key, int kind,
    const char *subj, int64_t member_id, const char *rcpt, const char *name,
    const char *org, int64_t now)
{
	char *hex, *v, *mailto = NULL, *url = NULL, date[64];
	const char *lname = *ec->l.name ? ec->l.name : ec->l.address;

	v = xasprintf("%s-events@%s", ec->l.local, ec->l.domain);
	mime_header_addr(top, "From", lname, v);
	free(v);
	mime_header_addr(top, "Reply-To", lname, org);
	mime_header_addr(top, "To", name, rcpt);
	mime_header_text(top, "Subject", subj);
	compose_date(now, date, sizeof(date));
	mime_header(top, "Date", date);
	hex = random_hex(8);
	mime_headerf(top, "Message-ID", "<ev%lld.%s@%s>", (long long)ec->e.id,
	    hex, ec->l.domain);
	free(hex);
	/* a promotion comes unasked; the waitlist copy answers a reply */
	if (kind == COPY_SEAT || kind == COPY_WAITLIST)
		mime_header(top, "Auto-Submitted", kind == COPY_SEAT ?
		    "auto-generated" : "auto-replied");
	v = xasprintf("%s.%s", ec->l.local, ec->l.domain);
	mime_header_addr(top, "List-Id", lname, v);
	free(v);
	if (member_id > 0 && weblink_list_unsubscribe(cfg, key,
	    ec->l.address, member_id, rcpt, &mailto, &url) == 0) {
		if (url) {
			mime_headerf(top, "List-Unsubscribe", "<%s>, <%s>", url,
			    mailto);
			mime_header(top, "List-Unsubscribe-Post",
			    "List-Unsubscribe=One-Click");
		} else
			mime_headerf(top, "List-Unsubscribe", "<%s>", mailto);
	}
	free(mailto);
	free(url);
}

/*
 * event_personalise - one member's copy of "event:ID:KIND[:OCC]", in
 * the member's language (notice_lang): see event_personalise_in.
 */
char *
event_personalise(struct event_cache *ec, const struct kith_config *cfg,
    const struct token_key *key, const char *render, int64_t member_id,
    const char *rcpt, size_t *len)
{
	return event_personalise_in(ec, cfg, key, render, member_id, rcpt,
	    NULL, len);
}

/* The member's name (caller frees; "" when none or no member). */
static char *
copy_name(struct event_cache *ec, int64_t member_id)
{
	char *name = NULL;

	if (ec->member) {
		db_reset(ec->member);
		db_bind(ec->member, "i", member_id);
		if (db_step(ec->member) == DB_ROW)
			name = db_col_text(ec->member, 0);
		db_reset(ec->member);
	}
	return name ? name : xstrdup("");
}

/*
 * event_personalise_in - one member's copy in lang (NULL: the member's,
 * notice_lang): the text, the HTML and the calendar, whose ATTENDEE line
 * is theirs and tells their state: NEEDS-ACTION for an invitation,
 * TENTATIVE while they wait for a seat, ACCEPTED once a seat is theirs;
 * its ORGANIZER and Reply-To are the member's own address for the event
 * (event_organizer), the same in every copy.
 */
char *
event_personalise_in(struct event_cache *ec, const struct kith_config *cfg,
    const struct token_key *key, const char *render, int64_t member_id,
    const char *rcpt, const char *lang, size_t *len)
{
	long long id = 0, occ = 0;
	char method[16] = "", own[NOTICE_LANG_LEN], *name, *cal, *subj = NULL;
	char *org, *out = NULL;
	int64_t now = now_utc();
	int kind, waitlisted = 0;
	struct mime_part *top, *alt, *p;
	struct tvars *tv;

	if (sscanf(render, "event:%lld:%15[A-Z]:%lld", &id, method, &occ) < 2 ||
	    (kind = copy_kind(method)) < 0 || cache_load(ec, render, id) < 0)
		return NULL;
	if (lang == NULL) {
		notice_lang(ec->db, &ec->l, rcpt, own);
		lang = own;
	}
	name = copy_name(ec, member_id);
	if (kind == COPY_INVITE && member_id > 0)
		waitlisted = copy_waitlisted(ec, member_id);
	org = copy_organizer(ec, cfg, key, member_id, rcpt);
	cal = copy_calendar(ec, org, kind, occ, rcpt, name, waitlisted, now);
	tv = copy_values(ec, cfg, key, kind, occ, member_id, rcpt, name, lang,
	    waitlisted, now);
	/* The shape Google Calendar and Outlook send, so that clients
	 * show Accept / Decline (RFC 6047): mixed [ alternative (text,
	 * HTML, calendar), invite.ics ]. */
	top = mime_multipart_new("mixed");
	alt = mime_multipart_new("alternative");
	mime_part_add(top, alt);
	if (cal && copy_texts(ec, cfg, lang, kind, tv, alt, &subj) == 0) {
		p = mime_text_new("calendar", cal);
		mime_part_param(p, "method", kind == COPY_CANCEL ? "CANCEL" :
		    "REQUEST");
		mime_part_encoding(p, MIME_BASE64);	/* as clients send it */
		mime_part_add(alt, p);
		p = mime_data_new("application/ics", cal, strlen(cal));
		mime_part_param(p, "name", "invite.ics");
		mime_part_disposition(p, MIME_ATTACHMENT, "invite.ics");
		mime_part_add(top, p);
		copy_headers(top, ec, cfg, key, kind, subj, member_id, rcpt, name,
		    org, now);
		out = mime_detach(top, NULL, len);
	}
	mime_part_free(top);
	tv_free(tv);
	free(org);
	free(subj);
	free(cal);
	free(name);
	return out;
}
