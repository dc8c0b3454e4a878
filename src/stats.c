/* stats - the engagement report. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kith/compose.h"
#include "kith/db.h"
#include "kith/onboarding.h"
#include "kith/stats.h"
#include "kith/timeutil.h"
#include "kith/util.h"

#define DAY 86400
#define WEEK (7 * DAY)
#define TOP 5

struct week {
	int64_t start, posts, members;
};

struct contributor {
	char *address, *name;
	int64_t posts, replies, rsvps;
};

struct cohort {
	char month[8];
	int64_t joined, stayed30, measured30, stayed90, measured90;
};

struct event_rate {
	int64_t id, invited, answered, accepted;
	char *title;
};

struct campaign_rate {
	int64_t id, recipients, sent, failed, bounced;
	char *subject;
};

struct stats {
	char *address, *name;
	int64_t now, since, from;
	int64_t total, joined, left, modes[4];
	struct week *weeks;
	size_t nweeks;
	int64_t posts, posters, threads;
	double replies_per_thread;
	struct contributor top[TOP];
	size_t ntop;
	struct cohort *cohorts;
	size_t ncohorts;
	int64_t f_subscribed, f_confirmed, f_first_post, f_regular, f_lapsed;
	struct event_rate *events;
	size_t nevents;
	struct campaign_rate *campaigns;
	size_t ncampaigns;
	struct onboarding_funnel *onb;
	size_t nonb;
	int64_t onb_in, onb_done;
};

static const char *const mode_names[4] = { "each", "digest-daily",
	"digest-weekly", "nomail" };

void
stats_free(struct stats *s)
{
	if (s == NULL)
		return;
	free(s->address);
	free(s->name);
	free(s->weeks);
	for (size_t i = 0; i < s->ntop; i++) {
		free(s->top[i].address);
		free(s->top[i].name);
	}
	free(s->cohorts);
	for (size_t i = 0; i < s->nevents; i++)
		free(s->events[i].title);
	free(s->events);
	for (size_t i = 0; i < s->ncampaigns; i++)
		free(s->campaigns[i].subject);
	free(s->campaigns);
	free(s->onb);
	free(s);
}

/* Monday 00:00 UTC of the week holding t. */
static int64_t
week_start(int64_t t)
{
	int64_t days = t / DAY;

	/* 1970-01-01 was a Thursday: day 0 is 3 days after a Monday */
	return (days - ((days + 3) % 7)) * DAY;
}

/* window_query - sql prepared and bound: ?1 the list, ?2 and ?3 the window. */
static struct db_stmt *
window_query(struct db *db, int64_t list_id, const struct stats *s,
    const char *sql)
{
	struct db_stmt *st = db_prepare(db, sql);

	if (st)
		db_bind(st, "iii", list_id, s->from, s->now);
	return st;
}

/* window_count - the count sql (bound as window_query) reads, 0 on error. */
static int64_t
window_count(struct db *db, int64_t list_id, const struct stats *s,
    const char *sql)
{
	return db_int(db, 0, NULL, sql, "iii", list_id, s->from, s->now);
}

/* members_part - now, joined and left in the window, by mode. */
static int
members_part(struct db *db, int64_t list_id, struct stats *s)
{
	struct db_stmt *st;
	int rc;

	s->joined = window_count(db, list_id, s, "SELECT count(*) FROM "
	    "member_log WHERE list_id=? AND event='joined' AND at>=? AND "
	    "at<=?");
	s->left = window_count(db, list_id, s, "SELECT count(*) FROM "
	    "member_log WHERE list_id=? AND event='left' AND at>=? AND at<=?");
	/* one pass over the members for the total and every mode */
	st = db_prepare(db, "SELECT mode, count(*) FROM members WHERE list_id=? "
	    "GROUP BY mode");
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", list_id);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *mode = db_col_str(st, 0);
		int64_t n = db_col_int64(st, 1);

		s->total += n;
		for (int i = 0; i < 4; i++)
			if (!strcmp(mode, mode_names[i]))
				s->modes[i] = n;
	}
	db_finalize(st);
	return rc == DB_DONE ? KITH_OK : db_status(rc);
}

/*
 * weeks_start - the Monday the weekly figures start from: the window's
 * start, but never before the list existed (its creation, or its first
 * post when an archive older than the list was imported).
 */
static int64_t
weeks_start(struct db *db, int64_t list_id, const struct stats *s)
{
	int64_t created = db_int(db, s->from, NULL, "SELECT created FROM "
	    "lists WHERE id=?", "i", list_id);
	int64_t first_post = db_int(db, created, NULL, "SELECT min(received) "
	    "FROM posts WHERE list_id=?", "i", list_id);
	int64_t origin = first_post < created ? first_post : created;
	int64_t first = week_start(origin > s->from ? origin : s->from);

	return first > week_start(s->now) ? week_start(s->now) : first;
}

/* Posts per week: one grouped pass over the window's posts. */
static void
week_posts(struct db *db, int64_t list_id, struct stats *s)
{
	int64_t first = s->weeks[0].start;
	struct db_stmt *st = db_prepare(db, "SELECT (received - ?2) / ?4, "
	    "count(*) FROM posts WHERE list_id=?1 AND received>=?2 AND "
	    "received<?3 GROUP BY 1");

	if (st == NULL)
		return;
	db_bind(st, "iiii", list_id, first, first + (int64_t)s->nweeks * WEEK,
	    (int64_t)WEEK);
	while (db_step(st) == DB_ROW) {
		int64_t i = db_col_int64(st, 0);

		if (i >= 0 && (size_t)i < s->nweeks)
			s->weeks[i].posts = db_col_int64(st, 1);
	}
	db_finalize(st);
}

/*
 * week_members - members at the end of each week (or now, for this one):
 * the count before the first week, plus the window's joins less its
 * leaves, counted per week by two index-only passes (joins, all rows).
 */
static void
week_members(struct db *db, int64_t list_id, struct stats *s)
{
	int64_t first = s->weeks[0].start, base, total, *delta;
	struct db_stmt *st;

	/* +1 for a join, -1 for anything else: 2 * joins - all rows */
	base = 2 * db_int(db, 0, NULL, "SELECT count(*) FROM member_log WHERE "
	    "list_id=? AND event='joined' AND at<?", "ii", list_id, first) -
	    db_int(db, 0, NULL, "SELECT count(*) FROM member_log WHERE "
	    "list_id=? AND at<?", "ii", list_id, first);
	delta = xcalloc(s->nweeks, sizeof(*delta));
	for (int pass = 0; pass < 2; pass++) {
		/* the same per week: joins twice, then every row once less */
		st = db_prepare(db, pass == 0 ? "SELECT (at - ?2) / ?4, count(*) "
		    "FROM member_log WHERE list_id=?1 AND event='joined' AND "
		    "at>=?2 AND at<=?3 GROUP BY 1" : "SELECT (at - ?2) / ?4, "
		    "count(*) FROM member_log WHERE list_id=?1 AND at>=?2 AND "
		    "at<=?3 GROUP BY 1");
		if (st == NULL)
			break;
		db_bind(st, "iiii", list_id, first, s->now, (int64_t)WEEK);
		while (db_step(st) == DB_ROW) {
			int64_t i = db_col_int64(st, 0);

			if (i >= 0 && (size_t)i < s->nweeks)
				delta[i] += (pass == 0 ? 2 : -1) *
				    db_col_int64(st, 1);
		}
		db_finalize(st);
	}
	total = base;
	for (size_t i = 0; i < s->nweeks; i++)
		total += delta[i];
	for (size_t i = 0; i < s->nweeks; i++) {
		base += delta[i];
		/* a week that ends now or later counts every row up to now */
		s->weeks[i].members = s->weeks[i].start + WEEK >= s->now ? total :
		    base;
	}
	free(delta);
}

static void
weeks_part(struct db *db, int64_t list_id, struct stats *s)
{
	int64_t first = weeks_start(db, list_id, s), last = week_start(s->now);

	s->nweeks = (size_t)((last - first) / WEEK + 1);
	s->weeks = xcalloc(s->nweeks, sizeof(*s->weeks));
	for (size_t i = 0; i < s->nweeks; i++)
		s->weeks[i].start = first + (int64_t)i * WEEK;
	week_posts(db, list_id, s);
	week_members(db, list_id, s);
}

/*
 * top_part - the current members who posted most in the window, with
 * the replies their posts got in the window and their RSVPs.  Nobody
 * else is named: not a non-member whose held posts were approved, not a
 * former member (their posts count in the totals all the same).
 */
static void
top_part(struct db *db, int64_t list_id, struct stats *s)
{
	/* the window's posts counted per sender first (grouped by '+sender'
	 * so that the window is read, not the whole archive in sender
	 * order), then each sender looked up once among the members */
	struct db_stmt *st = window_query(db, list_id, s, "SELECT p.sender, "
	    "m.name, p.n, (SELECT count(*) FROM rsvps v WHERE v.member_id=m.id "
	    "AND v.updated>=?2 AND v.updated<=?3) FROM (SELECT sender||'' "
	    "AS sender, count(*) AS n FROM posts WHERE list_id=?1 AND "
	    "received>=?2 AND received<=?3 GROUP BY 1) p JOIN members m ON "
	    "m.list_id=?1 "
	    "AND m.address=p.sender ORDER BY p.n DESC, p.sender LIMIT 5");

	if (st == NULL)
		return;
	while (s->ntop < TOP && db_step(st) == DB_ROW) {
		struct contributor *c = &s->top[s->ntop++];

		c->address = db_col_text(st, 0);
		c->name = db_col_text(st, 1);
		c->posts = db_col_int64(st, 2);
		c->rsvps = db_col_int64(st, 3);
	}
	db_finalize(st);
	if (s->ntop == 0)
		return;
	/* Replies in the window, each to the post it answers: one pass. */
	st = window_query(db, list_id, s, "SELECT o.sender, count(*) FROM "
	    "posts r JOIN posts o ON o.list_id=r.list_id AND "
	    "o.message_id=r.in_reply_to WHERE r.list_id=?1 AND r.received>=?2 "
	    "AND r.received<=?3 AND o.sender IN (?4, ?5, ?6, ?7, ?8) GROUP BY "
	    "o.sender");
	if (st == NULL)
		return;
	for (size_t i = 0; i < s->ntop; i++)
		db_bind_text(st, 4 + (int)i, s->top[i].address, -1);
	while (db_step(st) == DB_ROW)
		for (size_t i = 0; i < s->ntop; i++)
			if (!strcmp(s->top[i].address,
			    db_col_str(st, 0)))
				s->top[i].replies = db_col_int64(st, 1);
	db_finalize(st);
}

static void
posts_part(struct db *db, int64_t list_id, struct stats *s)
{
	struct db_stmt *st;

	s->posts = window_count(db, list_id, s, "SELECT count(*) FROM posts "
	    "WHERE list_id=? AND received>=? AND received<=?");
	s->posters = window_count(db, list_id, s, "SELECT count(DISTINCT "
	    "sender) FROM posts WHERE list_id=? AND received>=? AND "
	    "received<=?");
	/*
	 * Threads started in the window and the replies they got.  A thread
	 * that starts in the window has a post in it: only those threads are
	 * counted, through the thread index ('+list_id' keeps the planner
	 * off the list's whole archive).
	 */
	st = window_query(db, list_id, s, "SELECT count(*), "
	    "coalesce(sum(n - 1), 0) FROM (SELECT thread_id, count(*) AS n, "
	    "min(received) AS first FROM posts WHERE +list_id=?1 AND thread_id "
	    "IN (SELECT thread_id FROM posts WHERE list_id=?1 AND received>=?2 "
	    "AND received<=?3) GROUP BY thread_id) AS t WHERE first>=?2 AND "
	    "first<=?3");
	if (st) {
		if (db_step(st) == DB_ROW) {
			s->threads = db_col_int64(st, 0);
			s->replies_per_thread = s->threads ?
			    (double)db_col_int64(st, 1) / s->threads : 0;
		}
		db_finalize(st);
	}
	top_part(db, list_id, s);
}

/*
 * retention_part - per join month, who was still there 30 and 90 days
 * later: gone within 30 days is the first leave after the join within
 * 30.  That leave is found in one pass over the history since the
 * window began, address by address in time order (the window function),
 * not looked up join by join: leaves are not in member_log_joins, so
 * that a leave writes no entry at a random place of an index.
 */
static void
retention_part(struct db *db, int64_t list_id, struct stats *s)
{
	struct db_stmt *st = window_query(db, list_id, s, "SELECT at, gone "
	    "FROM (SELECT at, event, min(CASE WHEN event='left' THEN at END) "
	    "OVER (PARTITION BY address ORDER BY at RANGE BETWEEN 1 FOLLOWING "
	    "AND UNBOUNDED FOLLOWING) AS gone FROM member_log WHERE list_id=? "
	    "AND at>=?) h WHERE event='joined' AND at<=? ORDER BY at");
	size_t cap = 0;

	if (st == NULL)
		return;
	while (db_step(st) == DB_ROW) {
		int64_t at = db_col_int64(st, 0);
		int64_t gone = db_col_type(st, 1) == DB_NULL ? 0 :
		    db_col_int64(st, 1);
		char month[8];	/* the cohort: YYYY-MM of the join, UTC */
		struct cohort *c;

		utc_strftime(at, "%Y-%m", month, sizeof(month));
		if (s->ncohorts == 0 ||
		    strcmp(s->cohorts[s->ncohorts - 1].month, month)) {
			if (s->ncohorts == cap) {
				cap = cap ? cap * 2 : 8;
				s->cohorts = xrealloc(s->cohorts,
				    cap * sizeof(*s->cohorts));
			}
			c = &s->cohorts[s->ncohorts++];
			memset(c, 0, sizeof(*c));
			snprintf(c->month, sizeof(c->month), "%s", month);
		}
		c = &s->cohorts[s->ncohorts - 1];
		c->joined++;
		if (at + 30 * DAY <= s->now) {
			c->measured30++;
			c->stayed30 += gone == 0 || gone > at + 30 * DAY;
		}
		if (at + 90 * DAY <= s->now) {
			c->measured90++;
			c->stayed90 += gone == 0 || gone > at + 90 * DAY;
		}
	}
	db_finalize(st);
}

static void
funnel_part(struct db *db, int64_t list_id, struct stats *s)
{
	/* Joined in the window: distinct addresses. */
	s->f_confirmed = window_count(db, list_id, s, "SELECT count(DISTINCT "
	    "address) FROM member_log WHERE list_id=? AND event='joined' AND "
	    "at>=? AND at<=?");
	/* ... plus requests to join that were never confirmed */
	s->f_subscribed = s->f_confirmed + window_count(db, list_id, s,
	    "SELECT count(DISTINCT p.address) FROM pending p WHERE "
	    "p.list_id=? AND p.kind='confirm' AND p.commands LIKE 'subscribe%' "
	    "AND p.created>=? AND p.created<=? AND NOT EXISTS (SELECT 1 FROM "
	    "member_log j WHERE j.list_id=p.list_id AND j.address=p.address AND "
	    "j.event='joined' AND j.at>=p.created)");
	/*
	 * Of those, who ever posted, and who posted 3+ times in the last 30
	 * days: driven from the posters (far fewer than the joins), each
	 * looking up its own join in the window.
	 */
	s->f_first_post = db_int(db, 0, NULL, "SELECT count(*) FROM (SELECT "
	    "DISTINCT sender FROM posts WHERE list_id=?1) p WHERE EXISTS (SELECT "
	    "1 FROM member_log j WHERE j.list_id=?1 AND j.address=p.sender AND "
	    "j.event='joined' AND j.at>=?2 AND j.at<=?3)", "iii", list_id,
	    s->from, s->now);
	s->f_regular = db_int(db, 0, NULL, "SELECT count(*) FROM (SELECT "
	    "sender||'' "
	    "AS sender FROM posts WHERE list_id=?1 AND received>?3-30*86400 "
	    "GROUP BY 1 HAVING count(*) >= 3) p WHERE EXISTS (SELECT 1 FROM "
	    "member_log j WHERE j.list_id=?1 AND j.address=p.sender AND "
	    "j.event='joined' AND j.at>=?2 AND j.at<=?3)", "iii", list_id,
	    s->from, s->now);
	/*
	 * Lapsed: members of 60+ days, less those who posted or answered an
	 * invitation in the last 60.  The two sets of the active are built
	 * once, not looked up once per member.
	 */
	s->f_lapsed = db_int(db, 0, NULL, "SELECT count(*) FROM members m WHERE "
	    "m.list_id=?1 AND m.joined<=?2-60*86400 AND m.address NOT IN (SELECT "
	    "p.sender FROM posts p WHERE p.list_id=?1 AND "
	    "p.received>?2-60*86400) AND m.id NOT IN (SELECT v.member_id FROM "
	    "rsvps v WHERE v.updated>?2-60*86400)", "ii", list_id, s->now);
}

static void
events_part(struct db *db, int64_t list_id, struct stats *s)
{
	struct db_stmt *st = window_query(db, list_id, s, "SELECT e.id, e.title, "
	    "(SELECT count(*) FROM event_invites i WHERE i.event_id=e.id), "
	    "(SELECT count(DISTINCT member_id) FROM rsvps r WHERE "
	    "r.event_id=e.id), (SELECT count(*) FROM rsvps r WHERE "
	    "r.event_id=e.id AND r.occurrence=0 AND r.partstat='ACCEPTED' AND "
	    "r.waitlisted=0) FROM events e WHERE e.list_id=? AND e.created>=? "
	    "AND e.created<=? ORDER BY e.start");
	size_t cap = 0;

	if (st == NULL)
		return;
	while (db_step(st) == DB_ROW) {
		struct event_rate *e;

		s->events = xgrow(s->events, s->nevents, &cap,
		    sizeof(*s->events));
		e = &s->events[s->nevents++];
		e->id = db_col_int64(st, 0);
		e->title = db_col_text(st, 1);
		e->invited = db_col_int64(st, 2);
		e->answered = db_col_int64(st, 3);
		e->accepted = db_col_int64(st, 4);
	}
	db_finalize(st);
}

static void
campaigns_part(struct db *db, int64_t list_id, struct stats *s)
{
	struct db_stmt *st = window_query(db, list_id, s, "SELECT c.id, "
	    "c.subject, c.recipients, c.message_id, (SELECT count(DISTINCT "
	    "member_id) FROM bounces b WHERE b.message_id=c.message_id) FROM "
	    "campaigns c WHERE c.list_id=? AND c.started>=? AND c.started<=? "
	    "ORDER BY c.started");
	/* each campaign's copies read once, counted by state */
	struct db_stmt *states = db_prepare(db, "SELECT state, count(*) FROM "
	    "outbox WHERE message_id=? GROUP BY state");
	size_t cap = 0;

	if (st == NULL || states == NULL) {
		db_finalize(st);
		db_finalize(states);
		return;
	}
	while (db_step(st) == DB_ROW) {
		struct campaign_rate *c;

		s->campaigns = xgrow(s->campaigns, s->ncampaigns, &cap,
		    sizeof(*s->campaigns));
		c = &s->campaigns[s->ncampaigns++];
		c->id = db_col_int64(st, 0);
		c->subject = db_col_text(st, 1);
		c->recipients = db_col_int64(st, 2);
		c->bounced = db_col_int64(st, 4);
		c->sent = c->failed = 0;
		if (db_col_type(st, 3) == DB_NULL)
			continue;	/* not queued yet: no copies */
		db_reset(states);
		db_bind(states, "i", db_col_int64(st, 3));
		while (db_step(states) == DB_ROW) {
			const char *state = (const char *)
			    db_col_str(states, 0);

			if (!strcmp(state, "sent"))
				c->sent = db_col_int64(states, 1);
			else if (!strcmp(state, "failed"))
				c->failed = db_col_int64(states, 1);
		}
	}
	db_finalize(st);
	db_finalize(states);
}

static int
collect_step(const struct onboarding_funnel *f, void *ctx)
{
	struct stats *s = ctx;

	s->onb = xrealloc(s->onb, (s->nonb + 1) * sizeof(*s->onb));
	s->onb[s->nonb++] = *f;
	return 0;
}

/*
 * stats_compute - every figure from one snapshot: one read transaction,
 * so that a post or a join arriving meanwhile cannot make two figures
 * disagree.
 */
struct stats *
stats_compute(struct db *db, const struct list *l, int64_t now, int64_t since)
{
	struct stats *s = xcalloc(1, sizeof(*s));
	int st;

	s->address = xstrdup(l->address);
	s->name = xstrdup(*l->name ? l->name : l->address);
	s->now = now;
	s->since = since;
	s->from = now - since;
	if ((st = db_read_begin(db)) != KITH_OK) {
		stats_free(s);
		return NULL;
	}
	st = members_part(db, l->id, s);
	if (st == KITH_OK) {
		weeks_part(db, l->id, s);
		posts_part(db, l->id, s);
		retention_part(db, l->id, s);
		funnel_part(db, l->id, s);
		events_part(db, l->id, s);
		campaigns_part(db, l->id, s);
		st = onboarding_progress(db, l, collect_step, s, &s->onb_in,
		    &s->onb_done);
	}
	db_read_end(db);
	if (st != KITH_OK) {
		stats_free(s);
		return NULL;
	}
	return s;
}

static void
date_of(int64_t t, char *buf, size_t n)
{
	utc_strftime(t, "%Y-%m-%d", buf, n);
}

static double
pct(int64_t a, int64_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

/*
 * term_puts - v for a terminal: control characters (C0, DEL, and C1 as
 * UTF-8) become '?', so a name or subject cannot move the cursor or
 * clear the screen.
 */
static void
term_puts(FILE *out, const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			fputc('?', out);
			p++;
		} else
			fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
	}
}

void
stats_write_text(const struct stats *s, FILE *out)
{
	char d[16];

	date_of(s->from, d, sizeof(d));
	fprintf(out, "%s since %s\n\nmembers   %lld now, %lld joined, %lld left "
	    "(each %lld, daily %lld, weekly %lld, no mail %lld)\n", s->address, d,
	    (long long)s->total, (long long)s->joined, (long long)s->left,
	    (long long)s->modes[0], (long long)s->modes[1],
	    (long long)s->modes[2], (long long)s->modes[3]);
	fprintf(out, "posts     %lld by %lld people; %.2f replies per thread "
	    "(%lld threads)\n\nposts per week:\n", (long long)s->posts,
	    (long long)s->posters, s->replies_per_thread, (long long)s->threads);
	for (size_t i = 0; i < s->nweeks; i++) {
		date_of(s->weeks[i].start, d, sizeof(d));
		fprintf(out, "  %s  %4lld posts  %5lld members\n", d,
		    (long long)s->weeks[i].posts, (long long)s->weeks[i].members);
	}
	fprintf(out, "\ntop contributors (posts, replies received, RSVPs):\n");
	for (size_t i = 0; i < s->ntop; i++) {
		/* by display width: an address in any script (RFC 6531)
		 * keeps the numbers in their columns */
		fputs("  ", out);
		fput_clean(out, s->top[i].address, CLEAN_LINE, 36);
		fprintf(out, " %4lld %4lld %4lld  ", (long long)s->top[i].posts,
		    (long long)s->top[i].replies, (long long)s->top[i].rsvps);
		term_puts(out, s->top[i].name);
		fputc('\n', out);
	}
	fprintf(out, "\nretention (joined; still there after 30 / 90 days):\n");
	for (size_t i = 0; i < s->ncohorts; i++) {
		const struct cohort *c = &s->cohorts[i];

		fprintf(out, "  %s  %4lld joined  ", c->month, (long long)c->joined);
		if (c->measured30)
			fprintf(out, "%5.1f%%  ", pct(c->stayed30, c->measured30));
		else
			fprintf(out, "   -    ");
		if (c->measured90)
			fprintf(out, "%5.1f%%\n", pct(c->stayed90, c->measured90));
		else
			fprintf(out, "   -\n");
	}
	fprintf(out, "\nfunnel: %lld subscribed -> %lld confirmed -> %lld first "
	    "post -> %lld regular posters; %lld lapsed\n",
	    (long long)s->f_subscribed, (long long)s->f_confirmed,
	    (long long)s->f_first_post, (long long)s->f_regular,
	    (long long)s->f_lapsed);
	for (size_t i = 0; i < s->nevents; i++) {
		fprintf(out, "event %lld ", (long long)s->events[i].id);
		term_puts(out, s->events[i].title);
		fprintf(out, ": %lld invited, %lld answered (%.0f%%), %lld "
		    "coming\n", (long long)s->events[i].invited,
		    (long long)s->events[i].answered,
		    pct(s->events[i].answered, s->events[i].invited),
		    (long long)s->events[i].accepted);
	}
	for (size_t i = 0; i < s->ncampaigns; i++) {
		fprintf(out, "newsletter %lld ", (long long)s->campaigns[i].id);
		term_puts(out, s->campaigns[i].subject);
		fprintf(out, ": %lld sent of %lld (%.1f%%), %lld bounced "
		    "(%.1f%%)\n", (long long)s->campaigns[i].sent,
		    (long long)s->campaigns[i].recipients,
		    pct(s->campaigns[i].sent, s->campaigns[i].recipients),
		    (long long)s->campaigns[i].bounced,
		    pct(s->campaigns[i].bounced, s->campaigns[i].sent));
	}
}

static void
json_str(FILE *out, const char *v)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void
stats_write_json(const struct stats *s, FILE *out)
{
	char d[16];

	fprintf(out, "{\"list\": ");
	json_str(out, s->address);
	fprintf(out, ", \"from\": %lld, \"now\": %lld,\n \"members\": {\"total\": "
	    "%lld, \"joined\": %lld, \"left\": %lld, \"each\": %lld, "
	    "\"digest_daily\": %lld, \"digest_weekly\": %lld, \"nomail\": "
	    "%lld},\n", (long long)s->from, (long long)s->now,
	    (long long)s->total, (long long)s->joined, (long long)s->left,
	    (long long)s->modes[0], (long long)s->modes[1],
	    (long long)s->modes[2], (long long)s->modes[3]);
	fprintf(out, " \"posts\": %lld, \"posters\": %lld, \"threads\": %lld, "
	    "\"replies_per_thread\": %.2f,\n \"weeks\": [", (long long)s->posts,
	    (long long)s->posters, (long long)s->threads, s->replies_per_thread);
	for (size_t i = 0; i < s->nweeks; i++) {
		date_of(s->weeks[i].start, d, sizeof(d));
		fprintf(out, "%s{\"week\": \"%s\", \"posts\": %lld, \"members\": "
		    "%lld}", i ? ", " : "", d, (long long)s->weeks[i].posts,
		    (long long)s->weeks[i].members);
	}
	fprintf(out, "],\n \"top\": [");
	for (size_t i = 0; i < s->ntop; i++) {
		fprintf(out, "%s{\"address\": ", i ? ", " : "");
		json_str(out, s->top[i].address);
		fprintf(out, ", \"name\": ");
		json_str(out, s->top[i].name);
		fprintf(out, ", \"posts\": %lld, \"replies\": %lld, \"rsvps\": "
		    "%lld}", (long long)s->top[i].posts,
		    (long long)s->top[i].replies, (long long)s->top[i].rsvps);
	}
	fprintf(out, "],\n \"retention\": [");
	for (size_t i = 0; i < s->ncohorts; i++) {
		const struct cohort *c = &s->cohorts[i];

		fprintf(out, "%s{\"month\": \"%s\", \"joined\": %lld, \"after_30\": ",
		    i ? ", " : "", c->month, (long long)c->joined);
		if (c->measured30)
			fprintf(out, "%.1f", pct(c->stayed30, c->measured30));
		else
			fprintf(out, "null");
		fprintf(out, ", \"after_90\": ");
		if (c->measured90)
			fprintf(out, "%.1f}", pct(c->stayed90, c->measured90));
		else
			fprintf(out, "null}");
	}
	fprintf(out, "],\n \"funnel\": {\"subscribed\": %lld, \"confirmed\": %lld, "
	    "\"first_post\": %lld, \"regular\": %lld, \"lapsed\": %lld},\n",
	    (long long)s->f_subscribed, (long long)s->f_confirmed,
	    (long long)s->f_first_post, (long long)s->f_regular,
	    (long long)s->f_lapsed);
	fprintf(out, " \"events\": [");
	for (size_t i = 0; i < s->nevents; i++) {
		fprintf(out, "%s{\"id\": %lld, \"title\": ", i ? ", " : "",
		    (long long)s->events[i].id);
		json_str(out, s->events[i].title);
		fprintf(out, ", \"invited\": %lld, \"answered\": %lld, \"accepted\": "
		    "%lld, \"rsvp_rate\": %.1f}", (long long)s->events[i].invited,
		    (long long)s->events[i].answered,
		    (long long)s->events[i].accepted,
		    pct(s->events[i].answered, s->events[i].invited));
	}
	fprintf(out, "],\n \"newsletters\": [");
	for (size_t i = 0; i < s->ncampaigns; i++) {
		const struct campaign_rate *c = &s->campaigns[i];

		fprintf(out, "%s{\"id\": %lld, \"subject\": ", i ? ", " : "",
		    (long long)c->id);
		json_str(out, c->subject);
		fprintf(out, ", \"recipients\": %lld, \"sent\": %lld, \"failed\": "
		    "%lld, \"bounced\": %lld, \"delivery_rate\": %.1f, "
		    "\"bounce_rate\": %.1f}", (long long)c->recipients,
		    (long long)c->sent, (long long)c->failed, (long long)c->bounced,
		    pct(c->sent, c->recipients), pct(c->bounced, c->sent));
	}
	fprintf(out, "],\n \"onboarding\": {\"in_sequence\": %lld, \"finished\": "
	    "%lld, \"steps\": [", (long long)s->onb_in, (long long)s->onb_done);
	for (size_t i = 0; i < s->nonb; i++)
		fprintf(out, "%s{\"step\": %lld, \"template\": \"%s\", \"sent\": "
		    "%lld, \"skipped\": %lld, \"waiting\": %lld, \"left\": %lld}",
		    i ? ", " : "", (long long)s->onb[i].step.position,
		    s->onb[i].step.template_name, (long long)s->onb[i].sent,
		    (long long)s->onb[i].skipped, (long long)s->onb[i].waiting,
		    (long long)s->onb[i].left);
	fprintf(out, "]}}\n");
}

/* HTML-escaped s to out. */
static void
h(FILE *out, const char *s)
{
	char *e = html_escape(s);

	fputs(e, out);
	free(e);
}

/* A bar chart: n bars with labels, in an SVG of width 640. */
static void
svg_bars(FILE *out, const char *title, const char *const *labels,
    const int64_t *values, size_t n, int horizontal)
{
	int64_t max = 1;
	int w = 640, bh = 22, height = horizontal ? 30 + (int)n * (bh + 6) : 220;

	for (size_t i = 0; i < n; i++)
		if (values[i] > max)
			max = values[i];
	fprintf(out, "<figure><figcaption>");
	h(out, title);
	fprintf(out, "</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n",
	    w, height, w, height);
	for (size_t i = 0; i < n; i++) {
		if (horizontal) {
			int y = 10 + (int)i * (bh + 6);
			int len = (int)(values[i] * 380 / max);

			fprintf(out, "<text x=\"0\" y=\"%d\" font-size=\"12\">", y + 15);
			h(out, labels[i]);
			fprintf(out, "</text><rect x=\"200\" y=\"%d\" width=\"%d\" "
			    "height=\"%d\" fill=\"#3b7dd8\"/><text x=\"%d\" y=\"%d\" "
			    "font-size=\"12\">%lld</text>\n", y, len > 0 ? len : 1, bh,
			    205 + len, y + 15, (long long)values[i]);
		} else {
			int slot = (w - 40) / (int)(n ? n : 1);
			int x = 30 + (int)i * slot;
			int len = (int)(values[i] * 160 / max);

			fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
			    "fill=\"#3b7dd8\"/><text x=\"%d\" y=\"%d\" font-size=\"10\" "
			    "text-anchor=\"middle\">%lld</text>\n", x, 180 - len,
			    slot > 4 ? slot - 3 : 2, len > 0 ? len : 1, x + slot / 2,
			    176 - len, (long long)values[i]);
			if (n <= 16 || i % (n / 8 + 1) == 0) {
				fprintf(out, "<text x=\"%d\" y=\"200\" font-size=\"10\">",
				    x);
				h(out, labels[i]);
				fprintf(out, "</text>\n");
			}
		}
	}
	fprintf(out, "</svg></figure>\n");
}

/* Members over time: a line through the weekly counts. */
static void
svg_line(FILE *out, const struct stats *s)
{
	int64_t max = 1;
	int w = 640, hgt = 220;

	for (size_t i = 0; i < s->nweeks; i++)
		if (s->weeks[i].members > max)
			max = s->weeks[i].members;
	fprintf(out, "<figure><figcaption>Members over time</figcaption>\n<svg "
	    "xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	    "width=\"%d\" height=\"%d\" role=\"img\">\n<polyline fill=\"none\" "
	    "stroke=\"#2a9d5c\" stroke-width=\"3\" points=\"", w, hgt, w, hgt);
	for (size_t i = 0; i < s->nweeks; i++) {
		int x = 30 + (int)(i * (size_t)(w - 60) /
		    (s->nweeks > 1 ? s->nweeks - 1 : 1));
		int y = 190 - (int)(s->weeks[i].members * 160 / max);

		fprintf(out, "%s%d,%d", i ? " " : "", x, y);
	}
	fprintf(out, "\"/>\n<text x=\"30\" y=\"212\" font-size=\"11\">%lld "
	    "members at the start, %lld now</text>\n</svg></figure>\n",
	    (long long)(s->nweeks ? s->weeks[0].members : 0),
	    (long long)s->total);
}

void
stats_write_html(const struct stats *s, FILE *out)
{
	char d[16], from[16], (*wl)[16] = xcalloc(s->nweeks + 1, 16);
	size_t slots = s->nweeks + s->nonb + 8;
	const char **labels = xcalloc(slots, sizeof(char *));
	int64_t *vals = xcalloc(slots, sizeof(int64_t));
	static const char *const funnel_labels[5] = { "subscribed", "confirmed",
		"first post", "regular poster", "lapsed" };
	char (*onb_labels)[80] = xcalloc(s->nonb + 1, 80);

	date_of(s->from, from, sizeof(from));
	date_of(s->now, d, sizeof(d));
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	    "charset=\"utf-8\"><title>");
	h(out, s->name);
	fprintf(out, " - engagement report</title>\n<style>body{font-family:"
	    "sans-serif;max-width:760px;margin:2em auto;color:#222}table{"
	    "border-collapse:collapse}td,th{border-bottom:1px solid #ddd;"
	    "padding:4px 10px;text-align:left}figure{margin:1.5em 0}"
	    "figcaption{font-weight:bold;margin-bottom:.4em}</style></head>\n"
	    "<body>\n<h1>");
	h(out, s->name);
	fprintf(out, "</h1>\n<p>Engagement report for ");
	h(out, s->address);
	fprintf(out, ", %s to %s.</p>\n", from, d);
	fprintf(out, "<h2>Members</h2>\n<table><tr><th>now</th><th>joined</th>"
	    "<th>left</th><th>each message</th><th>daily digest</th><th>weekly "
	    "digest</th><th>no mail</th></tr><tr><td>%lld</td><td>%lld</td><td>"
	    "%lld</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td></tr>"
	    "</table>\n", (long long)s->total, (long long)s->joined,
	    (long long)s->left, (long long)s->modes[0], (long long)s->modes[1],
	    (long long)s->modes[2], (long long)s->modes[3]);
	svg_line(out, s);
	fprintf(out, "<h2>Posts</h2>\n<p>%lld posts by %lld people; %.2f replies "
	    "per thread over %lld threads.</p>\n", (long long)s->posts,
	    (long long)s->posters, s->replies_per_thread, (long long)s->threads);
	for (size_t i = 0; i < s->nweeks; i++) {
		date_of(s->weeks[i].start, wl[i], 16);
		labels[i] = wl[i] + 5;	/* MM-DD */
		vals[i] = s->weeks[i].posts;
	}
	svg_bars(out, "Posts per week", labels, vals, s->nweeks, 0);
	fprintf(out, "<h2>Top contributors</h2>\n<table><tr><th>name</th><th>"
	    "address</th><th>posts</th><th>replies received</th><th>RSVPs</th>"
	    "</tr>\n");
	for (size_t i = 0; i < s->ntop; i++) {
		fprintf(out, "<tr><td>");
		h(out, s->top[i].name);
		fprintf(out, "</td><td>");
		h(out, s->top[i].address);
		fprintf(out, "</td><td>%lld</td><td>%lld</td><td>%lld</td></tr>\n",
		    (long long)s->top[i].posts, (long long)s->top[i].replies,
		    (long long)s->top[i].rsvps);
	}
	fprintf(out, "</table>\n<h2>Member funnel</h2>\n");
	vals[0] = s->f_subscribed;
	vals[1] = s->f_confirmed;
	vals[2] = s->f_first_post;
	vals[3] = s->f_regular;
	vals[4] = s->f_lapsed;
	svg_bars(out, "Subscribed, confirmed, first post, regular, lapsed",
	    funnel_labels, vals, 5, 1);
	fprintf(out, "<h2>Retention</h2>\n<table><tr><th>joined in</th><th>"
	    "members</th><th>still there after 30 days</th><th>after 90 days"
	    "</th></tr>\n");
	for (size_t i = 0; i < s->ncohorts; i++) {
		const struct cohort *c = &s->cohorts[i];

		fprintf(out, "<tr><td>%s</td><td>%lld</td>", c->month,
		    (long long)c->joined);
		if (c->measured30)
			fprintf(out, "<td>%.1f%%</td>", pct(c->stayed30, c->measured30));
		else
			fprintf(out, "<td>-</td>");
		if (c->measured90)
			fprintf(out, "<td>%.1f%%</td></tr>\n",
			    pct(c->stayed90, c->measured90));
		else
			fprintf(out, "<td>-</td></tr>\n");
	}
	fprintf(out, "</table>\n<h2>Onboarding</h2>\n<p>%lld members in the "
	    "sequence, %lld finished it.</p>\n", (long long)s->onb_in,
	    (long long)s->onb_done);
	for (size_t i = 0; i < s->nonb; i++) {
		snprintf(onb_labels[i], 80, "%lld. %s", (long long)
		    s->onb[i].step.position, s->onb[i].step.template_name);
		labels[i] = onb_labels[i];
		vals[i] = s->onb[i].sent + s->onb[i].skipped;
	}
	if (s->nonb)
		svg_bars(out, "Onboarding funnel (members who reached each step)",
		    labels, vals, s->nonb, 1);
	fprintf(out, "<h2>Events</h2>\n<table><tr><th>event</th><th>invited</th>"
	    "<th>answered</th><th>RSVP rate</th><th>coming</th></tr>\n");
	for (size_t i = 0; i < s->nevents; i++) {
		fprintf(out, "<tr><td>");
		h(out, s->events[i].title);
		fprintf(out, "</td><td>%lld</td><td>%lld</td><td>%.0f%%</td><td>%lld"
		    "</td></tr>\n", (long long)s->events[i].invited,
		    (long long)s->events[i].answered,
		    pct(s->events[i].answered, s->events[i].invited),
		    (long long)s->events[i].accepted);
	}
	fprintf(out, "</table>\n<h2>Newsletters</h2>\n<table><tr><th>newsletter"
	    "</th><th>recipients</th><th>delivered</th><th>bounced</th></tr>\n");
	for (size_t i = 0; i < s->ncampaigns; i++) {
		const struct campaign_rate *c = &s->campaigns[i];

		fprintf(out, "<tr><td>");
		h(out, c->subject);
		fprintf(out, "</td><td>%lld</td><td>%.1f%%</td><td>%.1f%%</td></tr>"
		    "\n", (long long)c->recipients, pct(c->sent, c->recipients),
		    pct(c->bounced, c->sent));
	}
	fprintf(out, "</table>\n<p>Made by Kith.</p>\n</body></html>\n");
	free(wl);
	free(labels);
	free(vals);
	free(onb_labels);
}
