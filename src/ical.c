/* ical - iTIP calendars in and out, recurrence (libical 3.0). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "kith/ical.h"
#include "kith/util.h"

#define MAX_ITERATIONS 5000	/* bound on rules without an end */

/* Once per process: TZIDs as plain Olson names, errors never fatal. */
static void
ical_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	icalerror_set_errors_are_fatal(0);
}

/*
 * plain_tzids - "TZID=Europe/Prague", not libical's
 * "/freeassociation.sourceforge.net/Europe/Prague" (an empty prefix means
 * its default): what Google and Outlook write and recognise.  Only
 * parameters and the VTIMEZONE's own TZID are touched; text values
 * cannot hold a raw ";TZID=" (libical escapes ';').
 */
static void
plain_tzids(char *s)
{
	static const char prefix[] = "/freeassociation.sourceforge.net/";
	static const char *const keys[] = { ";TZID=", "\nTZID:" };

	for (int k = 0; k < 2; k++) {
		char *p = s;

		while ((p = strstr(p, keys[k])) != NULL) {
			char *v = p + strlen(keys[k]);

			if (!strncmp(v, prefix, sizeof(prefix) - 1))
				memmove(v, v + sizeof(prefix) - 1,
				    strlen(v + sizeof(prefix) - 1) + 1);
			p = v;
		}
	}
}

int
ical_zone_valid(const char *tz)
{
	ical_init();
	return !strcmp(tz, "UTC") ||
	    icaltimezone_get_builtin_timezone(tz) != NULL;
}

static icaltimezone *
zone(const char *tz)
{
	ical_init();
	if (!strcmp(tz, "UTC"))
		return icaltimezone_get_utc_timezone();
	return icaltimezone_get_builtin_timezone(tz);
}

int
ical_rrule_valid(const char *rrule)
{
	struct icalrecurrencetype r;
	icalrecur_iterator *it;
	struct icaltimetype start = icaltime_from_timet_with_zone(0, 0,
	    icaltimezone_get_utc_timezone());

	ical_init();
	r = icalrecurrencetype_from_string(rrule);
	if (r.freq == ICAL_NO_RECURRENCE)
		return 0;
	it = icalrecur_iterator_new(r, start);
	if (it == NULL)
		return 0;
	icalrecur_iterator_free(it);
	return 1;
}

/*
 * fold - unfold libical's output and fold it again at 75 octets, never
 * inside a UTF-8 sequence (RFC 5545 3.1).  Caller frees.
 */
static char *
fold(const char *in)
{
	struct buf b;
	const char *p = in;

	buf_init(&b);
	while (*p) {
		const char *eol = strstr(p, "\r\n");
		struct buf line;
		size_t col = 0;

		if (eol == NULL)
			eol = p + strlen(p);
		/* gather one logical line: continuation lines start with space */
		buf_init(&line);
		buf_add(&line, p, (size_t)(eol - p));
		p = *eol ? eol + 2 : eol;
		while (*p == ' ' || *p == '\t') {
			const char *e2 = strstr(p, "\r\n");

			if (e2 == NULL)
				e2 = p + strlen(p);
			buf_add(&line, p + 1, (size_t)(e2 - p - 1));
			p = *e2 ? e2 + 2 : e2;
		}
		for (size_t i = 0; i < line.len;) {
			size_t clen = 1;
			unsigned char c = (unsigned char)line.data[i];

			if (c >= 0xf0)
				clen = 4;
			else if (c >= 0xe0)
				clen = 3;
			else if (c >= 0xc0)
				clen = 2;
			if (i + clen > line.len)
				clen = line.len - i;
			if (col + clen > 75) {
				buf_adds(&b, "\r\n ");
				col = 1;
			}
			buf_add(&b, line.data + i, clen);
			col += clen;
			i += clen;
		}
		buf_adds(&b, "\r\n");
		buf_release(&line);
	}
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

static struct icaltimetype
local_time(int64_t t, icaltimezone *z)
{
	struct icaltimetype it = icaltime_from_timet_with_zone((time_t)t, 0, z);

	return icaltime_set_timezone(&it, z);
}

static icalproperty *
address_property(icalproperty *p, const char *cn)
{
	if (cn && *cn)
		icalproperty_add_parameter(p, icalparameter_new_cn(cn));
	return p;
}

/*
 * add_text - text property p (SUMMARY, LOCATION, DESCRIPTION) into ev,
 * with LANGUAGE=lang (RFC 5545 3.2.10) when the language of its words is
 * known.
 */
static void
add_text(icalcomponent *ev, icalproperty *p, const char *lang)
{
	if (lang && *lang)
		icalproperty_add_parameter(p, icalparameter_new_language(lang));
	icalcomponent_add_property(ev, p);
}

/* The VEVENT of e (with attendee att, or none). */
static icalcomponent *
vevent(const struct ical_event *e, icaltimezone *z,
    const struct ical_attendee *att, int64_t dtstamp)
{
	icalcomponent *ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	char *org = xasprintf("mailto:%s", e->organizer);

	icalcomponent_set_uid(ev, e->uid);
	icalcomponent_add_property(ev, icalproperty_new_sequence(e->sequence));
	icalcomponent_set_dtstamp(ev, icaltime_from_timet_with_zone(
	    (time_t)dtstamp, 0, icaltimezone_get_utc_timezone()));
	if (e->recurrence_id) {
		icalcomponent_set_recurrenceid(ev, local_time(e->recurrence_id, z));
		/* the TZID parameter, which the setter leaves out */
		if (z != icaltimezone_get_utc_timezone())
			icalproperty_add_parameter(icalcomponent_get_first_property(
			    ev, ICAL_RECURRENCEID_PROPERTY),
			    icalparameter_new_tzid(icaltimezone_get_tzid(z)));
		icalcomponent_set_dtstart(ev, local_time(e->recurrence_id, z));
		icalcomponent_set_dtend(ev, local_time(e->recurrence_id +
		    e->duration, z));
	} else {
		/* Component setters: they add TZID (API-NOTES 2.1). */
		icalcomponent_set_dtstart(ev, local_time(e->start, z));
		icalcomponent_set_dtend(ev, local_time(e->start + e->duration, z));
	}
	add_text(ev, icalproperty_new_summary(e->summary), e->language);
	if (e->location && *e->location)
		add_text(ev, icalproperty_new_location(e->location), e->language);
	if (e->description && *e->description)
		add_text(ev, icalproperty_new_description(e->description),
		    e->language);
	if (e->rrule && *e->rrule && !e->recurrence_id) {
		icalcomponent_add_property(ev, icalproperty_new_rrule(
		    icalrecurrencetype_from_string(e->rrule)));
		for (size_t i = 0; i < e->nexdates; i++) {
			icalproperty *ex = icalproperty_new_exdate(
			    local_time(e->exdates[i], z));

			if (z != icaltimezone_get_utc_timezone())
				icalproperty_add_parameter(ex, icalparameter_new_tzid(
				    icaltimezone_get_tzid(z)));
			icalcomponent_add_property(ev, ex);
		}
	}
	icalcomponent_set_status(ev, e->cancelled ? ICAL_STATUS_CANCELLED :
	    ICAL_STATUS_CONFIRMED);
	icalcomponent_add_property(ev, address_property(
	    icalproperty_new_organizer(org), e->organizer_cn));
	if (att) {
		char *a = xasprintf("mailto:%s", att->address);
		icalproperty *p = address_property(icalproperty_new_attendee(a),
		    att->cn);

		icalproperty_add_parameter(p, icalparameter_new_role(
		    ICAL_ROLE_REQPARTICIPANT));
		icalproperty_add_parameter(p, icalparameter_new_partstat(
		    icalparameter_string_to_enum(att->partstat) ?
		    (icalparameter_partstat)icalparameter_string_to_enum(
		    att->partstat) : ICAL_PARTSTAT_NEEDSACTION));
		if (att->rsvp)
			icalproperty_add_parameter(p, icalparameter_new_rsvp(
			    ICAL_RSVP_TRUE));
		icalcomponent_add_property(ev, p);
		free(a);
	}
	free(org);
	return ev;
}

char *
ical_calendar(const char *method, const struct ical_event *evs, size_t n,
    const struct ical_attendee *att, int64_t dtstamp, char *err,
    size_t errlen)
{
	icalcomponent *cal;
	icalproperty_method m = icalproperty_string_to_method(method);
	const char *zones[32];
	size_t nzones = 0;
	char *raw, *out;

	ical_init();
	if (m == ICAL_METHOD_NONE || m == ICAL_METHOD_X) {
		snprintf(err, errlen, "unknown METHOD '%s'", method);
		return NULL;
	}
	cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	icalcomponent_add_property(cal, icalproperty_new_prodid(
	    "-//Kith//Kith community mail server//EN"));
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
	icalcomponent_set_method(cal, m);
	for (size_t i = 0; i < n; i++) {
		icaltimezone *z = zone(evs[i].tz);
		size_t k;

		if (z == NULL) {
			snprintf(err, errlen, "unknown time zone '%s'", evs[i].tz);
			icalcomponent_free(cal);
			return NULL;
		}
		for (k = 0; k < nzones && strcmp(zones[k], evs[i].tz); k++)
			;
		if (k == nzones && nzones < 32 &&
		    z != icaltimezone_get_utc_timezone()) {
			icalcomponent *vtz = icalcomponent_new_clone(
			    icaltimezone_get_component(z));

			/* Only the rules from the event's year on. */
			icaltimezone_truncate_vtimezone(vtz, icaltime_from_timet_with_zone(
			    (time_t)(evs[i].start - 366 * 86400), 0,
			    icaltimezone_get_utc_timezone()), icaltime_null_time(), 1);
			icalcomponent_add_component(cal, vtz);
			zones[nzones++] = evs[i].tz;
		}
		icalcomponent_add_component(cal, vevent(&evs[i], z, att, dtstamp));
	}
	raw = icalcomponent_as_ical_string_r(cal);
	icalcomponent_free(cal);
	if (raw == NULL) {
		snprintf(err, errlen, "libical could not write the calendar");
		return NULL;
	}
	plain_tzids(raw);
	out = fold(raw);
	free(raw);
	return out;
}

/* "mailto:Bob@Example.org" -> "bob@example.org"; caller frees. */
static char *
address_of(const char *v)
{
	char *s;
	const char *m;

	if (v == NULL)
		return xstrdup("");
	/* also "CN=x:mailto:a@b", a parameter written into the value */
	for (m = v; *m; m++)
		if (!strncasecmp(m, "mailto:", 7)) {
			v = m + 7;
			break;
		}
	s = xstrdup(v);
	return str_lower(s);
}

int
ical_parse(const char *text, struct ical_info *info)
{
	icalcomponent *cal, *ev;
	icalproperty *p;
	size_t cap = 0;

	ical_init();
	memset(info, 0, sizeof(*info));
	info->sequence = -1;
	info->uid = xstrdup("");
	info->organizer = xstrdup("");
	cal = icalparser_parse_string(text);
	if (cal == NULL) {
		ical_info_release(info);
		return -1;
	}
	if (icalcomponent_isa(cal) != ICAL_VCALENDAR_COMPONENT &&
	    icalcomponent_isa(cal) != ICAL_XROOT_COMPONENT) {
		icalcomponent_free(cal);
		ical_info_release(info);
		return -1;
	}
	info->errors = icalcomponent_count_errors(cal);
	if (icalcomponent_isa(cal) == ICAL_XROOT_COMPONENT) {
		/* several calendars in one file: take the first */
		icalcomponent *first = icalcomponent_get_first_component(cal,
		    ICAL_VCALENDAR_COMPONENT);

		ev = first;
	} else
		ev = cal;
	if (ev && icalcomponent_get_first_property(ev, ICAL_METHOD_PROPERTY))
		snprintf(info->method, sizeof(info->method), "%s",
		    icalproperty_method_to_string(icalcomponent_get_method(ev)));
	if (ev && (p = icalcomponent_get_first_property(ev,
	    ICAL_PRODID_PROPERTY)))
		snprintf(info->prodid, sizeof(info->prodid), "%s",
		    icalproperty_get_prodid(p));
	ev = ev ? icalcomponent_get_first_component(ev, ICAL_VEVENT_COMPONENT) :
	    NULL;
	if (ev == NULL) {
		icalcomponent_free(cal);
		return 0;
	}
	if (icalcomponent_get_uid(ev)) {
		free(info->uid);
		info->uid = xstrdup(icalcomponent_get_uid(ev));
	}
	if (icalcomponent_get_first_property(ev, ICAL_SEQUENCE_PROPERTY)) {
		/* From the text: libical keeps an int, and some clients
		 * write numbers no int holds (a time in milliseconds). */
		const char *v = strstr(text, "BEGIN:VEVENT");

		v = v ? strstr(v, "\nSEQUENCE:") : NULL;
		info->sequence = v ? strtoll(v + 10, NULL, 10) :
		    icalcomponent_get_sequence(ev);
	}
	if (icalcomponent_get_first_property(ev, ICAL_DTSTAMP_PROPERTY))
		info->dtstamp = (int64_t)icaltime_as_timet_with_zone(
		    icalcomponent_get_dtstamp(ev), icaltimezone_get_utc_timezone());
	if ((p = icalcomponent_get_first_property(ev,
	    ICAL_RECURRENCEID_PROPERTY))) {
		struct icaltimetype r = icalproperty_get_recurrenceid(p);
		icalparameter *tzp = icalproperty_get_first_parameter(p,
		    ICAL_TZID_PARAMETER);
		icaltimezone *z = tzp ? zone(icalparameter_get_tzid(tzp)) : NULL;

		snprintf(info->recurrence_text, sizeof(info->recurrence_text),
		    "%s", icaltime_as_ical_string(r));
		info->recurrence_id = (int64_t)icaltime_as_timet_with_zone(r,
		    r.zone ? r.zone : z ? z : icaltimezone_get_utc_timezone());
	}
	if ((p = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY))) {
		free(info->organizer);
		info->organizer = address_of(icalproperty_get_organizer(p));
	}
	for (p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY); p;
	    p = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY)) {
		icalparameter *ps = icalproperty_get_first_parameter(p,
		    ICAL_PARTSTAT_PARAMETER);

		if (info->nattendees == cap) {
			cap = cap ? cap * 2 : 4;
			info->attendee = xrealloc(info->attendee,
			    cap * sizeof(*info->attendee));
			info->partstat = xrealloc(info->partstat,
			    cap * sizeof(*info->partstat));
		}
		info->attendee[info->nattendees] =
		    address_of(icalproperty_get_attendee(p));
		snprintf(info->partstat[info->nattendees], 16, "%s", ps ?
		    icalparameter_enum_to_string(icalparameter_get_partstat(ps)) :
		    "");
		if (ps && icalparameter_get_partstat(ps) == ICAL_PARTSTAT_X)
			snprintf(info->partstat[info->nattendees], 16, "%s",
			    icalparameter_get_xvalue(ps) ?
			    icalparameter_get_xvalue(ps) : "");
		info->nattendees++;
	}
	icalcomponent_free(cal);
	return 0;
}

void
ical_info_release(struct ical_info *info)
{
	for (size_t i = 0; i < info->nattendees; i++)
		free(info->attendee[i]);
	free(info->attendee);
	free(info->partstat);
	free(info->uid);
	free(info->organizer);
	memset(info, 0, sizeof(*info));
}

size_t
ical_occurrences(const char *tz, int64_t start, const char *rrule,
    int64_t from, int64_t to, int64_t *out, size_t max)
{
	icaltimezone *z = zone(tz);
	struct icalrecurrencetype r;
	icalrecur_iterator *it;
	struct icaltimetype t;
	size_t n = 0;

	if (z == NULL || max == 0)
		return 0;
	if (rrule == NULL || *rrule == '\0') {
		if (start >= from && start <= to)
			out[n++] = start;
		return n;
	}
	r = icalrecurrencetype_from_string(rrule);
	if (r.freq == ICAL_NO_RECURRENCE ||
	    (it = icalrecur_iterator_new(r, local_time(start, z))) == NULL)
		return 0;
	for (int i = 0; i < MAX_ITERATIONS && n < max; i++) {
		int64_t u;

		t = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(t))
			break;
		u = (int64_t)icaltime_as_timet_with_zone(t, z);
		if (u > to)
			break;
		if (u >= from)
			out[n++] = u;
	}
	icalrecur_iterator_free(it);
	return n;
}
