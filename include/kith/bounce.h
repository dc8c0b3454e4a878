/*
 * bounce - what comes back to team-bounces+TOKEN@: read the report
 * (RFC 3464 delivery status notifications, Amazon SES notifications and
 * the common non-standard ones of qmail, Exim, old Sendmail, Exchange,
 * Yahoo ...), tell bounces from auto-replies, challenge-response mails,
 * delay notices and feedback reports, score the member the VERP token
 * names, and stop mail to addresses that keep failing.
 *
 * Only a recipient whose delivery failed is scored: one the report calls
 * delivered or delayed is not.  Hard means the address itself is bad
 * (unknown user or domain, moved, accepts no mail): it will never work.
 * Everything else that failed is soft (a full mailbox, a spam filter, a
 * policy block), even with a 5.x.x code: a 5.7.1 block says something
 * about the sender, not about the member.  A status code that names the
 * reason decides before words; "no such user" counts as hard only when
 * the server refused the address itself (at RCPT TO) or said so in its
 * own words, not in a reply after DATA or in an unknown step, which is
 * how content filters answer too ("filtered").  Hard scores 1, soft
 * 0.5, a member once a day at most (the hardest); a member whose score within the list's window reaches its
 * threshold gets no more mail until `kith member enable`, and member and
 * owners are told.  docs/BOUNCES.md has the rules and how well they do.
 */
#ifndef KITH_BOUNCE_H
#define KITH_BOUNCE_H

#include <stddef.h>
#include <stdint.h>

#include "kith/config.h"
#include "kith/lists.h"
#include "kith/tokens.h"

struct db;

/* What a report says happened to one recipient (RFC 3464 Action). */
enum bounce_action {
	BOUNCE_FAILED,		/* failed: the only kind that is scored */
	BOUNCE_DELAYED,		/* still trying: a warning, not a failure */
	BOUNCE_DELIVERED	/* delivered, relayed or expanded */
};

struct bounce_rcpt {
	char *address;		/* normalised; "" when the report names none */
	char status[16];	/* "5.1.1", "" when none */
	char *diagnostic;	/* one line, "" when none */
	const char *reason;	/* static: "userunknown", "mailboxfull", ... */
	int hard;		/* the address is bad */
	int permanent;		/* failed for good (action == BOUNCE_FAILED) */
	enum bounce_action action;
};

struct bounce_report {
	int is_bounce;		/* at least one recipient failed */
	const char *not_why;	/* static, when not: "auto-reply", ... */
	int dsn;		/* an RFC 3464 report */
	int delay;		/* a delay notice: delayed, nothing failed */
	struct bounce_rcpt *rcpts;
	size_t n;
};

/*
 * bounce_parse - read raw (any line ends: LF, CRLF or CR).  Never fails;
 * release with bounce_report_release.  Not a bounce (is_bounce 0, with
 * not_why): no report at all, auto-replies, challenge-response mails,
 * feedback reports, and reports in which nothing failed (delay notices,
 * delivered).
 */
void bounce_parse(const char *raw, size_t len, struct bounce_report *r);
void bounce_report_release(struct bounce_report *r);

/*
 * bounce_failed - the failure r reports for rcpt (normalised): its own
 * entry; or, when r does not name rcpt (a forwarded address is reported
 * under the address it was forwarded to), the first recipient that
 * failed.  NULL when r names rcpt as delivered or delayed, or nobody
 * failed.
 */
const struct bounce_rcpt *bounce_failed(const struct bounce_report *r,
    const char *rcpt);

/*
 * bounce_handle - a report that came to list l's bounce address with
 * VERP token (may be ""): recorded and scored inside the caller's
 * transaction; *line gets one log line (static buffer of the caller,
 * size n).  KITH_OK (also when it was no bounce or named no member),
 * KITH_TEMP on database trouble.
 */
int bounce_handle(const struct kith_config *cfg, struct db *db,
    const struct token_key *key, const struct list *l, const char *token,
    const char *raw, size_t len, char *line, size_t n);

/*
 * bounce_delivery_failed - the next hop refused a member's copy for good
 * (5xx at delivery, or retries ran out): scored like a report, inside
 * the caller's transaction.  No-op for mail that is not a member's.
 */
int bounce_delivery_failed(const struct kith_config *cfg, struct db *db,
    int64_t outbox_id, int code, const char *text, int gave_up, int64_t now);

/* Delivery on again for a member, with a clean score; KITH_PERM when none. */
int bounce_enable(struct db *db, int64_t list_id, const char *address);
/* The same for member id, in the caller's transaction (a member who
 * moved to another address: what the old one bounced is not theirs). */
int bounce_enable_member(struct db *db, int64_t member_id);

struct bounce_row {
	const char *address;
	int64_t at;
	const char *kind, *status, *diagnostic;
	double score;		/* member's current score */
	int disabled;
};

/* Recent bounces of a list, newest first; stops when fn returns non-zero. */
int bounce_foreach(struct db *db, int64_t list_id, int64_t now,
    int (*fn)(const struct bounce_row *, void *), void *ctx);

#endif
