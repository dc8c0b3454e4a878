/*
 * ical - the one module that calls libical (API-NOTES §2): build
 * iTIP calendars (REQUEST, CANCEL, PUBLISH) with VTIMEZONEs, read any
 * calendar a client sends (REPLY above all), and expand recurrence rules
 * into UTC instants.  libical's codes and types stop here, so a move to
 * libical 4 changes this file only.
 *
 * Output is folded by us at 75 octets, never inside a UTF-8 character,
 * with CRLF line ends; text values are escaped by libical (RFC 5545 3.3.11).
 * Not thread-safe (libical's zone cache and error state are global).
 */
#ifndef KITH_ICAL_H
#define KITH_ICAL_H

#include <stddef.h>
#include <stdint.h>

/* One event as Kith stores it. */
struct ical_event {
	const char *uid;
	int sequence;
	const char *summary, *description, *location;	/* UTF-8 */
	const char *language;	/* their words' language ("cs"): LANGUAGE on
				 * each (RFC 5545 3.2.10); NULL: unknown */
	const char *tz;		/* Olson name, e.g. Europe/Prague */
	int64_t start;		/* UTC seconds of the first occurrence */
	int64_t duration;	/* seconds */
	const char *rrule;	/* "" when it does not repeat */
	const int64_t *exdates;	/* UTC starts of cancelled occurrences */
	size_t nexdates;
	int cancelled;		/* STATUS:CANCELLED */
	int64_t recurrence_id;	/* 0, or the UTC start of the one occurrence meant */
	const char *organizer;	/* team-events@example.org */
	const char *organizer_cn;
};

struct ical_attendee {
	const char *address;
	const char *cn;		/* "" for none */
	const char *partstat;	/* NEEDS-ACTION, ACCEPTED ... */
	int rsvp;		/* RSVP=TRUE */
};

/*
 * ical_calendar - a VCALENDAR with METHOD method (REQUEST, CANCEL,
 * PUBLISH), the n events with one attendee each (att, or none when
 * NULL), DTSTAMP dtstamp and one VTIMEZONE per zone used.  NULL with a
 * line in err (unknown zone, bad rule).  Caller frees.
 */
char *ical_calendar(const char *method, const struct ical_event *evs,
    size_t n, const struct ical_attendee *att, int64_t dtstamp, char *err,
    size_t errlen);

/* What a received calendar says (its first VEVENT). */
struct ical_info {
	char method[16];	/* "" when none */
	char prodid[128];
	char *uid;		/* "" when none */
	int64_t sequence;	/* -1 when none */
	int64_t dtstamp;	/* UTC seconds, 0 when none */
	int64_t recurrence_id;	/* UTC seconds, 0 when none */
	char recurrence_text[40];	/* as written: "20251003T100000Z" */
	char *organizer;	/* address, "" when none */
	size_t nattendees;
	char **attendee;	/* addresses (lower-cased, no mailto:) */
	char (*partstat)[16];	/* per attendee; "" when unset */
	int errors;		/* lines libical could not read */
};

/* Parse text (NUL-terminated).  0, or -1 when it is no calendar at all
 * (info then holds nothing to release). */
int ical_parse(const char *text, struct ical_info *info);
void ical_info_release(struct ical_info *info);

/* 1 when libical knows zone tz / can iterate rule rrule. */
int ical_zone_valid(const char *tz);
int ical_rrule_valid(const char *rrule);

/*
 * ical_occurrences - the UTC starts of an event (tz, first start, rrule)
 * within [from, to], at most max of them, into out.  Returns how many
 * (a single event has one when it lies in the window).  Rules without an
 * end are cut at the window.
 */
size_t ical_occurrences(const char *tz, int64_t start, const char *rrule,
    int64_t from, int64_t to, int64_t *out, size_t max);

#endif
