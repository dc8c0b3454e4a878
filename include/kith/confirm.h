/*
 * confirm - confirmations: a request that waits until the address it
 * concerns answers.
 *
 * A request is a pending row (its kind, the address, what it carries
 * out) and a token bound to that address (team-confirm+TOKEN@, HMAC over
 * purpose, list, address, payload and expiry, tokens.h); the change
 * happens only when that mail is answered (membership_confirm carries it
 * out).  At most CONFIRMS_PER_DAY confirmations a day go to one address,
 * so that nobody can use a list to mail a stranger.
 *
 * Features use it too: an answer to an invitation that nobody vouches
 * for waits for the member's confirmation.  Functions work inside the
 * caller's write transaction.
 */
#ifndef KITH_CONFIRM_H
#define KITH_CONFIRM_H

#include <stdint.h>

#include "kith/notice.h"
#include "kith/outcome.h"
#include "kith/util.h"

#define CONFIRM_TTL (7 * 86400)
#define CONFIRMS_PER_DAY 3

/* "team-confirm+TOKEN@domain" for purpose and payload, bound to address. */
char *confirm_address(const struct mail_ctx *c, const char *purpose,
    const char *payload, const char *address);
/* The same, valid until expires (UTC) instead of CONFIRM_TTL from now. */
char *confirm_address_until(const struct mail_ctx *c, const char *purpose,
    const char *payload, const char *address, int64_t expires);

/*
 * confirm_pending_add - a pending row of kind ("confirm", "approve",
 * "invite") for address, carrying commands, expiring ttl seconds from
 * now; its id, or 0 on database trouble.
 */
int64_t confirm_pending_add(const struct mail_ctx *c, const char *kind,
    const char *address, const char *commands, int64_t ttl);

/*
 * confirm_move - the member at from asked to move to to: to is sent a
 * confirmation (confirm.txt, "move"), which moves the membership when
 * answered from there (membership_confirm); when taken (to is a member
 * already) a note why it cannot (move-taken.txt) instead.  Within the
 * day's limit of mail to to.  The caller checked that from asked it.
 * The same "move_confirm_sent" line in out whatever was sent, so that
 * the asker learns nothing of to; KITH_OK or KITH_TEMP.
 */
int confirm_move(const struct mail_ctx *c, const char *from, const char *to,
    int taken, struct outcome *out);

/*
 * confirm_request - a pending confirmation that, once answered, applies
 * commands (one per line: "subscribe NAME", "unsubscribe", "set digest
 * daily", a feature's "rsvp yes 3" ...) for address.  When mail_it, a
 * confirmation is mailed to address (confirm.txt, which says what is
 * asked from the commands); otherwise *reply_to gets the confirm address
 * for the caller's own reply (caller frees).  Adds a line to out.
 * KITH_OK, KITH_TEMP, or KITH_PERM when the daily limit is reached (out
 * says so).
 */
int confirm_request(const struct mail_ctx *c, const char *address,
    const char *commands, int mail_it, char **reply_to, struct outcome *out);

#endif
