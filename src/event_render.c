/* event_render - each member's copy of an invitation, the notices, the feed. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/compose.h"
#include "kith/db.h"
#include "kith/event_imip.h"
#include "kith/event_render.h"
#include "kith/ical.h"
#include "kith/log.h"
#include "kith/mime.h"
#include "kith/notice.h"
#include "kith/template.h"
#include "kith/timeutil.h"
#include "kith/util.h"
#include "kith/weblinks.h"

/*
 * event_notice - queue a notice about occurrence occ of e to one address
 * (templates/en/NAME); deadline, when not NULL, is {{event.deadline}}.
 */
int
event_notice(const struct kith_config *cfg, sqlite3 *db, const struct list *l,
    const struct event *e, int64_t occ, const char *to, const char *name,
    const char *tmpl, const char *subject_fmt, const char *deadline)
{
	char when[64], id[32], subject[300];
	struct template_var vars[7];
	struct notice_opts o;
	int n;

	event_when(e, occ ? occ : e->start, when, sizeof(when));
	snprintf(id, sizeof(id), "%lld", (long long)e->id);
	snprintf(subject, sizeof(subject), subject_fmt, e->title, when);
	n = event_vars(e, when, id, to, name, vars);
	if (deadline)
		vars[n++] = (struct template_var){ "event.deadline", deadline };
	memset(&o, 0, sizeof(o));
	o.to = to;
	o.subject = subject;
	o.tmpl = tmpl;
	o.vars = vars;
	o.nvars = n;
	return notice_queue(db, cfg, l, &o);
}

/* The ical view of e (borrowed strings). */
static void
ical_view(const struct event *e, const struct list *l, const char *organizer,
    struct ical_event *ie)
{
	memset(ie, 0, sizeof(*ie));
	ie->uid = e->uid;
	ie->sequence = e->sequence;
	ie->summary = e->title;
	ie->description = e->description;
	ie->location = e->location;
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
event_feed(sqlite3 *db, const struct list *l, int64_t now, char *err,
    size_t errlen)
{
	struct event evs[128];
	struct ical_event ies[128];
	size_t n = event_upcoming(db, l, now, evs, 128);
	char *org = xasprintf("%s-events@%s", l->local, l->domain), *out;

	for (size_t i = 0; i < n; i++)
		ical_view(&evs[i], l, org, &ies[i]);
	out = ical_calendar("PUBLISH", ies, n, NULL, now, err, errlen);
	for (size_t i = 0; i < n; i++)
		event_release(&evs[i]);
	free(org);
	return out;
}

struct event_cache {
	sqlite3 *db;
	sqlite3_stmt *member;
	char render[80];
	int loaded;
	struct event e;
	struct list l;
};

struct event_cache *
event_cache_new(sqlite3 *db)
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
	sqlite3_finalize(ec->member);
	if (ec->loaded) {
		event_release(&ec->e);
		list_release(&ec->l);
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
		ec->loaded = 0;
	}
	if (event_get(ec->db, id, &ec->e) != KITH_OK)
		return -1;
	if (list_find_id(ec->db, ec->e.list_id, &ec->l) != KITH_OK) {
		event_release(&ec->e);
		return -1;
	}
	snprintf(ec->render, sizeof(ec->render), "%s", render);
	ec->loaded = 1;
	return 0;
}

/*
 * web_answers - with kith serve (web_base_url), the invitation's answer
 * links (yes, no, maybe: /r/TOKEN?answer=...) as text lines and as HTML
 * buttons; both "" without.  Caller frees both.
 */
static void
web_answers(const char *const *links, char **text, char **html)
{
	static const char *const label[] = { "Yes", "No", "Maybe" };
	struct buf t, h;

	buf_init(&t);
	buf_init(&h);
	for (int i = 0; links && i < 3 && links[i]; i++) {
		char *url = html_escape(links[i]);

		if (i == 0) {
			buf_adds(&t, "\nOr answer on the web:\n");
			buf_adds(&h, "<p>");
		}
		buf_addf(&t, "  %-6s %s\n", label[i], links[i]);
		buf_addf(&h, "<a href=\"%s\" style=\"display:inline-block;"
		    "padding:10px 20px;margin:4px 8px 4px 0;border-radius:6px;"
		    "text-decoration:none;font-weight:bold;%s\">%s</a>", url,
		    i == 0 ? "background:#0b57a4;color:#ffffff" :
		    "background:#e9ecef;color:#1d2125", label[i]);
		free(url);
	}
	if (h.len)
		buf_adds(&h, "</p>\n");
	*text = t.data ? buf_detach(&t, NULL) : xstrdup("");
	*html = h.data ? buf_detach(&h, NULL) : xstrdup("");
}

/* The text/plain and text/html summary of an invitation or cancellation;
 * links: the web answers (yes, no, maybe), or NULL. */
static void
summary_parts(struct mime_part *alt, const struct event *e,
    const struct list *l, const char *name, int64_t occ, int cancel,
    int waitlisted, const char *const *links)
{
	static const char wait_line[] = "The event is full, so you are on the "
	    "waitlist. When a seat frees up, the first one waiting gets it and "
	    "is told by mail.";
	char when[64], until[16], id[32], *t, *h, *web_text, *web_html;
	const char *verb = cancel ? (occ ? "This occurrence is cancelled" :
	    "This event is cancelled") : "You are invited";
	struct buf txt;
	char *esc[5];

	web_answers(cancel ? NULL : links, &web_text, &web_html);

	event_when(e, occ ? occ : e->start, when, sizeof(when));
	local_time_strftime(e->tz, (occ ? occ : e->start) + e->duration,
	    "%H:%M", until, sizeof(until));
	snprintf(id, sizeof(id), "%lld", (long long)e->id);
	buf_init(&txt);
	buf_addf(&txt, "%s, %s.\n\n%s\n\nWhen:  %s - %s", verb, name, e->title,
	    when, until);
	if (*e->rrule && !occ)
		buf_addf(&txt, " (repeats: %s)", e->rrule);
	buf_addf(&txt, "\n");
	if (*e->location)
		buf_addf(&txt, "Where: %s\n", e->location);
	if (*e->description)
		buf_addf(&txt, "\n%s\n", e->description);
	if (waitlisted)
		buf_addf(&txt, "\n%s\n", wait_line);
	if (!cancel)
		buf_addf(&txt, "\nAnswer with your calendar's Yes / No / Maybe, or "
		    "send\n'rsvp yes %s' (or no, maybe) to %s-request@%s.\n%s", id,
		    l->local, l->domain, web_text);
	t = buf_detach(&txt, NULL);
	mime_part_add(alt, mime_text_new("plain", t));
	esc[0] = html_escape(name);
	esc[1] = html_escape(e->title);
	esc[2] = html_escape(when);
	esc[3] = html_escape(e->location);
	esc[4] = html_escape(e->description);
	h = xasprintf("<!DOCTYPE html>\n<html><body style=\"font-family:"
	    "Helvetica,Arial,sans-serif\">\n<p>%s, %s.</p>\n<h2>%s</h2>\n"
	    "<p><b>When:</b> %s - %s</p>\n%s%s%s<p style=\"white-space:"
	    "pre-wrap\">%s</p>\n%s%s%s%s%s%s%s%s%s%s</body></html>\n", verb,
	    esc[0], esc[1], esc[2], until, *e->location ? "<p><b>Where:</b> " :
	    "", esc[3], *e->location ? "</p>\n" : "", esc[4],
	    waitlisted ? "<p><b>" : "", waitlisted ? wait_line : "",
	    waitlisted ? "</b></p>\n" : "",
	    cancel ? "" : "<p>Answer with your calendar's Yes / No / Maybe, or "
	    "send <code>rsvp yes ", cancel ? "" : id,
	    cancel ? "" : "</code> to ", cancel ? "" : l->local,
	    cancel ? "" : "-request@", cancel ? "" : l->domain, web_html);
	mime_part_add(alt, mime_text_new("html", h));
	for (int i = 0; i < 5; i++)
		free(esc[i]);
	free(web_text);
	free(web_html);
	free(t);
	free(h);
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

/*
 * copy_template - the text of a waitlist or seat copy, from the same
 * templates the notices use (event-waitlisted.txt, event-promoted.txt).
 * NULL (logged) when the template is missing or wrong.
 */
static char *
copy_template(const struct kith_config *cfg, const struct list *l,
    const struct event *e, int kind, int64_t occ, const char *rcpt,
    const char *name)
{
	struct template_var vars[16];
	char *bufs[7], when[64], id[32], err[512], *text;
	int n = notice_list_vars(l, vars, bufs);

	event_when(e, occ ? occ : e->start, when, sizeof(when));
	snprintf(id, sizeof(id), "%lld", (long long)e->id);
	n += event_vars(e, when, id, rcpt, name, vars + n);
	text = template_render(cfg, l->local, kind == COPY_SEAT ?
	    "event-promoted.txt" : "event-waitlisted.txt", vars, n, err,
	    sizeof(err));
	if (text == NULL)
		log_error("event: %s", err);
	for (int i = 0; i < 7; i++)
		free(bufs[i]);
	return text;
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

/* The Subject of a copy of kind. */
static char *
copy_subject(const struct event *e, int kind, int64_t occ, int64_t now)
{
	char when[64];
	int64_t t = occ ? occ : event_next_occurrence(e, now);

	event_when(e, kind == COPY_WAITLIST || kind == COPY_SEAT ?
	    (occ ? occ : e->start) : t ? t : e->start, when, sizeof(when));
	switch (kind) {
	case COPY_CANCEL:
		return xasprintf(occ ? "Cancelled: %s, %s" : "Cancelled: %s",
		    e->title, when);
	case COPY_WAITLIST:
		return xasprintf("On the waitlist: %s, %s", e->title, when);
	case COPY_SEAT:
		return xasprintf("A seat is yours: %s, %s", e->title, when);
	default:
		return xasprintf("%s: %s, %s", e->sequence ?
		    "Updated invitation" : "Invitation", e->title, when);
	}
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

	ical_view(&ec->e, &ec->l, org, &ie);
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
 * event_personalise - one member's copy of "event:ID:KIND[:OCC]": the
 * text, the HTML and the calendar, whose ATTENDEE line is theirs and
 * tells their state: NEEDS-ACTION for an invitation, TENTATIVE while
 * they wait for a seat, ACCEPTED once a seat is theirs; its ORGANIZER
 * and Reply-To are the member's own address for the event
 * (event_organizer), the same in every copy.
 */
char *
event_personalise(struct event_cache *ec, const struct kith_config *cfg,
    const struct token_key *key, const char *render, int64_t member_id,
    const char *rcpt, size_t *len)
{
	long long id = 0, occ = 0;
	char method[16] = "", *name = NULL, *cal, *subj, *text = NULL, *org;
	char *out;
	int64_t now = now_utc();
	int kind, waitlisted = 0;
	struct mime_part *top, *alt, *p;

	if (sscanf(render, "event:%lld:%15[A-Z]:%lld", &id, method, &occ) < 2 ||
	    (kind = copy_kind(method)) < 0 || cache_load(ec, render, id) < 0)
		return NULL;
	if (ec->member) {
		sqlite3_reset(ec->member);
		db_bind(ec->member, "i", member_id);
		if (sqlite3_step(ec->member) == SQLITE_ROW)
			name = db_col_text(ec->member, 0);
		sqlite3_reset(ec->member);
	}
	if (name == NULL)
		name = xstrdup("");
	if (kind == COPY_INVITE && member_id > 0)
		waitlisted = copy_waitlisted(ec, member_id);
	if ((kind == COPY_WAITLIST || kind == COPY_SEAT) && (text =
	    copy_template(cfg, &ec->l, &ec->e, kind, occ, rcpt, name)) == NULL) {
		free(name);
		return NULL;
	}
	org = copy_organizer(ec, cfg, key, member_id, rcpt);
	cal = copy_calendar(ec, org, kind, occ, rcpt, name, waitlisted, now);
	if (cal == NULL) {
		free(org);
		free(text);
		free(name);
		return NULL;
	}
	subj = copy_subject(&ec->e, kind, occ, now);
	/* The shape Google Calendar and Outlook send, so that clients
	 * show Accept / Decline (RFC 6047): mixed [ alternative (text,
	 * HTML, calendar), invite.ics ]. */
	top = mime_multipart_new("mixed");
	alt = mime_multipart_new("alternative");
	if (text)
		text_parts(alt, text);
	else {
		/* kith serve's answer links: the token names this member and
		 * this event and ends with it (a series: never) */
		static const char *const answers[] = { "yes", "no", "maybe" };
		char *links[3] = { NULL, NULL, NULL };
		int64_t until = *ec->e.rrule ? 0 : ec->e.start + ec->e.duration;

		for (int i = 0; i < 3 && member_id > 0 && kind == COPY_INVITE;
		    i++)
			links[i] = weblink_rsvp(cfg, key, ec->l.address, ec->e.id,
			    member_id, rcpt, until, answers[i]);
		summary_parts(alt, &ec->e, &ec->l, *name ? name : rcpt, occ,
		    kind == COPY_CANCEL, waitlisted,
		    (const char *const *)links);
		for (int i = 0; i < 3; i++)
			free(links[i]);
	}
	p = mime_text_new("calendar", cal);
	mime_part_param(p, "method", kind == COPY_CANCEL ? "CANCEL" :
	    "REQUEST");
	mime_part_encoding(p, MIME_BASE64);	/* as clients send it */
	mime_part_add(alt, p);
	mime_part_add(top, alt);
	p = mime_data_new("application/ics", cal, strlen(cal));
	mime_part_param(p, "name", "invite.ics");
	mime_part_disposition(p, MIME_ATTACHMENT, "invite.ics");
	mime_part_add(top, p);
	copy_headers(top, ec, cfg, key, kind, subj, member_id, rcpt, name, org,
	    now);
	out = mime_detach(top, NULL, len);
	mime_part_free(top);
	free(org);
	free(subj);
	free(cal);
	free(text);
	free(name);
	return out;
}
