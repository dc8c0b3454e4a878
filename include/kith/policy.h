/*
 * policy - decisions about an inbound post that need no storage beyond
 * the membership: loops, automatic mail, who may post, size.
 */
#ifndef KITH_POLICY_H
#define KITH_POLICY_H

#include <stdint.h>

#include "kith/lists.h"
#include "kith/message.h"

struct db;

/* 1 when the message already went through this list (List-Id / X-Loop). */
int policy_is_loop(const struct message *m, const struct list *l);

/*
 * policy_auto_reason - why the message is automatic (RFC 3834
 * Auto-Submitted, Precedence bulk/junk/list, out-of-office markers, a
 * bounce's null or MAILER-DAEMON sender), or NULL for a person's mail.
 * Automatic mail is never posted and never answered.
 */
const char *policy_auto_reason(const struct message *m,
    const char *envelope_from);

enum post_verdict {
	POST_ACCEPT,
	POST_HOLD,		/* to the moderators; *reason says why */
	POST_NONMEMBER,		/* refused with a notice (nonmember_action reject) */
	POST_DISCARD,		/* dropped silently (nonmember_action discard) */
	POST_NOT_ALLOWED,	/* announce list, sender not owner/moderator */
	POST_TOO_BIG,
	POST_BANNED
};

/*
 * policy_may_post - the verdict for a post from m's From address (or the
 * envelope sender) under the list's posting, nonmember_action,
 * moderate_first_post and max_size settings, the member's moderation
 * flag and the bans.  *reason is a static string for logs and notices.
 */
enum post_verdict policy_may_post(struct db *db, const struct list *l,
    const struct message *m, const char *envelope_from, const char **reason);

#endif
