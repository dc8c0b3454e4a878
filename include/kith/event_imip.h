/*
 * event_imip - calendar answers (iTIP REPLY, RFC 5546, sent by iMIP,
 * RFC 6047) to team-events@ and team-events+TOKEN@, and the per-member
 * organizer addresses they come back to.  Part of the event feature
 * (event.h).
 *
 * Each member's invitations name their own organizer address,
 * team-events+TOKEN@ (event_organizer): the calendar's answer comes back
 * to it, and the token, not the From, says whose answer it is.
 */
#ifndef KITH_EVENT_IMIP_H
#define KITH_EVENT_IMIP_H

#include <stddef.h>
#include <stdint.h>

#include "kith/config.h"
#include "kith/lists.h"
#include "kith/tokens.h"

struct mail_ctx;
struct message;

/*
 * event_organizer - the address a member's invitations to an event name
 * as ORGANIZER and Reply-To: "team-events+TOKEN@domain", TOKEN an HMAC
 * token (purpose "event", list, member address; payload "EVENT.MEMBER",
 * no expiry).  The same for every copy of the event to that member, so
 * that calendar apps match updates and cancellations.  NULL when no
 * token can be made.  Caller frees.
 */
char *event_organizer(const struct kith_config *cfg,
    const struct token_key *key, const struct list *l, int64_t event_id,
    int64_t member_id, const char *address);

/*
 * event_handle_reply - mail to team-events@ or team-events+TOKEN@ (the
 * feature's inbound handler, feature.h): find the calendar (the
 * text/calendar part or an .ics attachment), require METHOD:REPLY, match
 * the event by UID, record the answer.  Whose answer it is:
 *  - token (the address's detail, else the one in the ORGANIZER the
 *    calendar echoes): the member the token names, for its event only.
 *    The ATTENDEE must be that member, or one address that is no member
 *    (an alias, logged); one that names another member changes nothing.
 *    A forged or damaged token, or one for another event: nothing.
 *  - no token: the ATTENDEE that is a member (or the sender, when it is a
 *    member and the one ATTENDEE is not).  Recorded at once only when
 *    the MTA vouches for the From (reply_sender_proven) and the
 *    From is that ATTENDEE or the member's own address; otherwise the
 *    member is asked to confirm "rsvp yes|no|maybe ID [DATE]" at the
 *    member's own address (confirm_request).
 * Only ACCEPTED, DECLINED and TENTATIVE count; any other answer changes
 * nothing and the sender is told which ones are understood.  Problems
 * are answered politely, at most once a day per address.  One log line
 * in line.  KITH_OK, or KITH_TEMP on database trouble.  Caller's
 * transaction; c->key is required.
 */
int event_handle_reply(const struct mail_ctx *c, const char *token,
    const struct message *m, const char *from, char *line, size_t n);

/*
 * event_find_calendar - the calendar in a mail: the text/calendar part or
 * an .ics attachment, decoded.  NULL when there is none.  Caller frees.
 */
char *event_find_calendar(const char *raw, size_t len);

#endif
