/*
 * membership - joining and leaving by email, safely.
 *
 * Nothing changes for an address unless that address said so: every
 * request that changes a subscription or a member's settings creates a
 * pending confirmation and mails its token (team-confirm+TOKEN@, HMAC over
 * purpose, list, address, expiry) to the address it concerns; the change
 * happens when that mail is answered.  At most 3 confirmations a day go to
 * one address.  The List-Unsubscribe token in each member's copy is the
 * one exception: it leaves in one step, because only that member has it.
 *
 * All functions work inside the caller's write transaction.
 */
#ifndef KITH_MEMBERSHIP_H
#define KITH_MEMBERSHIP_H

#include <stdint.h>
#include <sqlite3.h>

#include "kith/config.h"
#include "kith/lists.h"
#include "kith/outcome.h"
#include "kith/tokens.h"
#include "kith/util.h"

#define CONFIRM_TTL (7 * 86400)
#define APPROVE_TTL (30 * 86400)	/* a request to join an approve list */
#define CONFIRMS_PER_DAY 3

/* What handlers share about the list and the mail being answered. */
struct mail_ctx {
	const struct kith_config *cfg;
	sqlite3 *db;
	const struct token_key *key;
	const struct list *l;
	const char *in_reply_to;	/* Message-ID answered, or NULL */
	const char *subject;		/* of the mail answered, or NULL */
};

/* "team-confirm+TOKEN@domain" for purpose and payload, bound to address. */
char *confirm_address(const struct mail_ctx *c, const char *purpose,
    const char *payload, const char *address);
/* The same, valid until expires (UTC) instead of CONFIRM_TTL from now. */
char *confirm_address_until(const struct mail_ctx *c, const char *purpose,
    const char *payload, const char *address, int64_t expires);

/* How many confirmations went to address in the last 24 hours. */
int confirms_today(const struct mail_ctx *c, const char *address);

/*
 * membership_confirm_ask - a pending confirmation that, once answered,
 * applies commands (one per line: "subscribe NAME", "unsubscribe",
 * "set digest daily" ...) for address.  When mail_it, a confirmation is
 * mailed to address (confirm.txt, which says what is asked from the
 * commands); otherwise *reply_to gets the confirm address for the
 * caller's own reply (caller frees).  Adds a line to out.  KITH_OK, or
 * KITH_PERM when the daily limit is reached (out says so).
 */
int membership_confirm_ask(const struct mail_ctx *c, const char *address,
    const char *commands, int mail_it, char **reply_to, struct outcome *out);

/*
 * membership_confirm_request - membership_confirm_ask for the callers of
 * before the texts moved into templates (event.c, until it is split):
 * what and out are not used.
 */
int membership_confirm_request(const struct mail_ctx *c, const char *address,
    const char *commands, const char *what, int mail_it, char **reply_to,
    struct buf *out);

/*
 * membership_apply - carry out one confirmed command line for address:
 * "subscribe NAME", "unsubscribe", "set ...", "rsvp yes|no|maybe ID",
 * "vote POLL TEXT".  Echoes "> command" and one result line to out.
 * membership_act does the same without the echo.
 */
int membership_apply(const struct mail_ctx *c, const char *address,
    const char *command, struct outcome *out);
int membership_act(const struct mail_ctx *c, const char *address,
    const char *command, struct outcome *out);

/*
 * membership_check - whether command could be carried out for address
 * now (rsvp: a member, an upcoming event of the list; vote: a member, an
 * open poll, an answer that names an option).  KITH_OK, or KITH_PERM
 * with the reason in out.  Reads only; other commands are always KITH_OK.
 */
int membership_check(const struct mail_ctx *c, const char *address,
    const char *command, struct outcome *out);

/* Join now (welcome, owners told) / leave now (goodbye, owners told). */
int membership_join(const struct mail_ctx *c, const char *address,
    const char *name, struct outcome *out);
int membership_leave(const struct mail_ctx *c, const char *address,
    struct outcome *out);

/*
 * membership_accept - a moderator (or the command line) accepts the
 * pending request of address to join an approve list.  KITH_OK, or
 * KITH_PERM when nothing is pending for address.
 */
int membership_accept(const struct mail_ctx *c, const char *address,
    struct outcome *out);

/* kith member invite: a mail whose reply joins. */
int membership_invite(const struct mail_ctx *c, const char *address,
    const char *name);

/*
 * membership_confirm - a reply to team-confirm+TOKEN@ with a payload of
 * kind c (confirmation), i (invitation) or a (a moderator accepting a
 * subscription), from sender, whose own text is text.  Only an empty
 * reply or a yes-word goes ahead; a no-word cancels the request; anything
 * else changes nothing (the request still waits) and sender is told the
 * words (a notice; out stays empty).  Returns KITH_OK with a line in out
 * when something was done or cancelled, KITH_PERM when the token is not
 * good for it (logged, nothing changed), KITH_TEMP on database trouble.
 */
int membership_confirm(const struct mail_ctx *c, const char *token,
    const char *sender, const char *text, struct outcome *out);

/* team-unsubscribe+TOKEN@: the member named by the token leaves. */
int membership_unsubscribe_token(const struct mail_ctx *c, const char *token,
    struct outcome *out);

/* Cron: expire pending confirmations, end nomail periods, daily owner summaries. */
int membership_cron(const struct kith_config *cfg, sqlite3 *db,
    const struct token_key *key, int64_t now);

/* 1 when address is an owner or moderator of the list. */
int membership_is_moderator(sqlite3 *db, int64_t list_id, const char *address);

/*
 * Reading a reply.  Only an explicit answer decides anything: the first
 * line the person wrote themselves (membership_reply_line) must be empty
 * or start with one of the words below; anything else changes nothing
 * and the person is told which words Kith understands.
 */
enum reply_answer {
	REPLY_EMPTY,	/* nothing of their own: an empty reply */
	REPLY_YES,	/* approve, yes, ok, ano, ja, oui, 네 ... and nothing else */
	REPLY_NO,	/* reject, no, ne, nein, non, 아니요 ... then a reason */
	REPLY_DISCARD,	/* discard, spam, zahodit, löschen, 삭제 ... */
	REPLY_UNCLEAR	/* anything else */
};

/*
 * membership_reply_line - the first line of text the person wrote: blank
 * lines, quoted lines ("> "), the attribution above a quote ("On ...
 * wrote:") are skipped; a signature ("-- "), a quoted original
 * ("-----Original Message-----", "____") or a phone's "Sent from my"
 * ends the search.  Trimmed; "" when there is none.  Caller frees.
 */
char *membership_reply_line(const char *text);

/*
 * membership_reply_answer - what the first own line of text decides.
 * Leading courtesy words ("please", "prosím", "bitte") are skipped; a
 * yes-word approves only when the rest of the line is courtesy or other
 * yes-words ("yes please", "Approve!"; not "yes, but not this one").  For
 * REPLY_NO, reason (size reasonlen, may be NULL) gets the rest of the
 * line ("Ne, tohle je spam." gives "tohle je spam."); else "".
 */
enum reply_answer membership_reply_answer(const char *text, char *reason,
    size_t reasonlen);

/*
 * membership_sender_proven - 1 when the receiving MTA vouches for the
 * From address of raw: an Authentication-Results field whose authserv-id
 * is authserv_id reports dkim=pass for a domain aligned with from_addr's
 * (the same domain, or a parent of it: header.d, else header.i).  Only
 * the MTA's own fields count: the Authentication-Results at the top of
 * the header, above the first Received field that follows one of ours
 * and above any field with another authserv-id (a sender can write such
 * fields into the mail it sends).  0 when authserv_id is "" or NULL.
 */
int membership_sender_proven(const char *authserv_id, const char *raw,
    size_t len, const char *from_addr);

/* Parse "YYYY-MM-DD" as midnight UTC; -1 when not a date. */
int64_t parse_date(const char *s);

/*
 * membership_unsubscribe_links - the one-step unsubscribe of one member
 * (member_id, address rcpt) from list_address, valid for nobody else:
 * *mailto "mailto:team-unsubscribe+TOKEN@domain", and *url
 * "WEB_BASE_URL/u/TOKEN" (weblinks.h) when [site] web_base_url is set
 * (else NULL).  Caller frees both.  0, or -1 (nothing made).
 */
int membership_unsubscribe_links(const struct kith_config *cfg,
    const struct token_key *k, const char *list_address, int64_t member_id,
    const char *rcpt, char **mailto, char **url);

#endif
