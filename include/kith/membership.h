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
 * The confirmations themselves (pending rows, their tokens, the daily
 * limit) are confirm.h's, which features use too; this module carries
 * out what is confirmed, runs the features' member hooks and command
 * words (feature.h), and so sits above the features.
 *
 * All functions work inside the caller's write transaction.
 */
#ifndef KITH_MEMBERSHIP_H
#define KITH_MEMBERSHIP_H

#include <stdint.h>

#include "kith/config.h"
#include "kith/confirm.h"
#include "kith/lists.h"
#include "kith/notice.h"
#include "kith/outcome.h"
#include "kith/tokens.h"
#include "kith/util.h"

struct db;
struct db_ids;
struct member;

#define APPROVE_TTL (30 * 86400)	/* a request to join an approve list */

/*
 * membership_apply - carry out one confirmed command line for address:
 * "subscribe NAME", "unsubscribe", "set ...", or a feature's command
 * ("rsvp yes 3", feature.h).  Echoes "> command" and one result line to
 * out.  membership_act does the same without the echo.
 */
int membership_apply(const struct mail_ctx *c, const char *address,
    const char *command, struct outcome *out);
int membership_act(const struct mail_ctx *c, const char *address,
    const char *command, struct outcome *out);

/*
 * membership_check - whether a feature's command could be carried out
 * for address now (its dry run: "rsvp" needs a member and an upcoming
 * event of the list, say).  KITH_OK, or KITH_PERM with the reason in
 * out.  Reads only; the core's commands are always KITH_OK.
 */
int membership_check(const struct mail_ctx *c, const char *address,
    const char *command, struct outcome *out);

/*
 * Join now (welcome, owners told) / leave now (goodbye, owners told).
 * A name "language=CODE NAME" (a subscribe request that asked for a
 * language Kith has) starts the member in that language, the welcome
 * included.
 */
int membership_join(const struct mail_ctx *c, const char *address,
    const char *name, struct outcome *out);
/*
 * membership_leave_member - leave now, for m as the caller has just read
 * it inside this same transaction (kith serve's one-click POST, whose
 * token was checked against that row): the same as membership_leave
 * without reading the member again.  out may be NULL: a page that shows
 * no result records.
 */
int membership_leave_member(const struct mail_ctx *c, const struct member *m,
    struct outcome *out);
int membership_leave(const struct mail_ctx *c, const char *address,
    struct outcome *out);

/*
 * membership_joins_lists, membership_joins_waiting - requests to join an
 * approve list that have waited for a moderator since since: the lists
 * that have some (appended to ids; KITH_OK or KITH_TEMP), and those of
 * c->l into tv's "joins" (address, name, asked, expires; how many, -1
 * on trouble), for the moderators' reminder (moderation_remind).
 */
int membership_joins_lists(struct db *db, int64_t since, struct db_ids *ids);
int membership_joins_waiting(const struct mail_ctx *c, int64_t since,
    struct tvars *tv);

/*
 * membership_move_request - member m asks to move to another address
 * (their own request, already proven: confirmed by mail, or the
 * preference page's token): to is sent a confirmation, and answering it
 * from there moves the membership (membership_move); a member's address
 * is told why it cannot (confirm_move).  The asker is told the same
 * whatever to is.  KITH_OK, KITH_PERM (not an address, in out),
 * KITH_TEMP.
 */
int membership_move_request(const struct mail_ctx *c, const struct member *m,
    const char *to, struct outcome *out);
/*
 * membership_move - member m is at to from now on: the row with all it
 * holds (settings, tags, answers, votes), its history, its onboarding
 * (each feature's on_move); the old address's bounces forgotten and
 * delivery on; the old address told (moved.txt; by_owner: an
 * organiser's command, else the member's confirmed request).  In the
 * caller's transaction.
 * KITH_OK ("moved" in out), KITH_PERM (to is no address, a member or
 * banned; in out), KITH_TEMP.
 */
int membership_move(const struct mail_ctx *c, const struct member *m,
    const char *to, int by_owner, struct outcome *out);

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
int membership_cron(const struct kith_config *cfg, struct db *db,
    const struct token_key *key, int64_t now);

/* 1 when address is an owner or moderator of the list. */
int membership_is_moderator(struct db *db, int64_t list_id, const char *address);

/* Parse "YYYY-MM-DD" as midnight UTC; -1 when not a date. */
int64_t parse_date(const char *s);


#endif
