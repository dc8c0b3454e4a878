/*
 * moderation - the hold queue.  A held post waits in the database; every
 * owner and moderator gets it attached with a one-reply decision
 * (team-confirm+TOKEN@, the token bound to that moderator and that post):
 * "approve" or an empty reply approves, "reject REASON" refuses with the
 * reason sent to the poster, "discard" drops silently.  The same from the
 * command line.  Decisions from anyone who is not a moderator of the list,
 * or with another post's token, change nothing and are logged.
 */
#ifndef KITH_MODERATION_H
#define KITH_MODERATION_H

#include <stdint.h>
#include <stdio.h>

#include "kith/membership.h"
#include "kith/message.h"

struct db;

enum mod_action { MOD_APPROVE, MOD_REJECT, MOD_DISCARD };

struct held {
	int64_t id, list_id, created, expires;
	char *message_id, *sender, *subject, *reason;
};
void held_release(struct held *h);

/* The reason a post that asks to join or leave is held for (requests.h:
 * requests_misdirected); the texts say it as why.request. */
#define HOLD_MISDIRECTED "a request to join or leave, sent to the list"

/* Hold m (inside the caller's transaction): store, tell moderators and poster. */
int moderation_hold(const struct mail_ctx *c, const struct message *m,
    const char *envelope_from, const char *reason);
/* The same; tell 0 leaves the poster untold (spam: any notice would be
 * backscatter to a forged sender). */
int moderation_hold_as(const struct mail_ctx *c, const struct message *m,
    const char *envelope_from, const char *reason, int tell);

/*
 * moderation_decide - carry out a decision on held post id of list c->l
 * (its own transactions), logged as taken at now.  KITH_OK, KITH_PERM
 * when there is no such held post, KITH_TEMP on database trouble.
 * reason may be NULL.
 */
int moderation_decide(const struct mail_ctx *c, int64_t id,
    enum mod_action action, const char *reason, const char *who,
    int64_t now);

/*
 * moderation_accept_sender - the non-member who sent held post h posts
 * as a member from now on (added to the list's accept_nonmembers, its
 * own transaction): "approve, and always accept this sender".  KITH_OK
 * (added, or matched already); KITH_PERM with err when the sender is a
 * member (held for another reason) or no plain address; KITH_TEMP.
 */
int moderation_accept_sender(struct db *db, const struct held *h, char *err,
    size_t errlen);

/* A moderator's reply to team-confirm+h.ID.MID-...: KITH_OK / PERM / TEMP. */
int moderation_reply(const struct mail_ctx *c, const char *token,
    const char *sender, const struct message *reply);

/* Held posts of a list (list_id 0: all), oldest first. */
int moderation_foreach(struct db *db, int64_t list_id,
    int (*fn)(const struct held *, void *), void *ctx);
/* One held post with its raw bytes (caller frees *raw). */
int moderation_get(struct db *db, int64_t id, struct held *h, char **raw,
    size_t *len);

/*
 * moderation_token_fits - 1 when a moderation token (checked already)
 * was made for held post h, not for an older post with the same id.
 */
int moderation_token_fits(const char *token, const struct held *h);

/*
 * moderation_outcome - what became of held post id of list_id (approved,
 * rejected, discarded, expired), by whom and when: KITH_OK with *outcome
 * and *by (caller frees), KITH_PERM when nothing is known.
 */
int moderation_outcome(struct db *db, int64_t id, int64_t list_id,
    char **outcome, char **by, int64_t *at);

/*
 * moderation_remind - cron: each owner and moderator of a list with
 * posts held for a day or more gets, at most once a day, one reminder
 * of every post still waiting (held-reminder.txt, with each post's link
 * where kith serve answers).  KITH_OK or KITH_TEMP.
 */
int moderation_remind(const struct kith_config *cfg, struct db *db,
    const struct token_key *key, int64_t now);

/* Cron: expire held posts past their time, telling the posters. */
int moderation_expire(const struct kith_config *cfg, struct db *db,
    const struct token_key *key, int64_t now);

#endif
