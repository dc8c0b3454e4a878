/*
 * weblinks - the web addresses Kith writes into mail, for `kith serve`:
 *
 *   BASE/u/TOKEN            one-click unsubscribe (RFC 8058)
 *   BASE/p/TOKEN            a member's preference page
 *   BASE/l/LIST             a list's page with its join form
 *   BASE/r/TOKEN?answer=A   an RSVP (yes, no, maybe)
 *   BASE/v/TOKEN?option=N   a poll vote
 *   BASE/m/TOKEN            a moderator's decision on a held post
 *
 * BASE is [site] web_base_url without its trailing slashes; every
 * function returns NULL when it is not set.  The tokens are tokens.h
 * tokens bound to the list and to the address the mail goes to; each
 * payload ends with the member's id (members.id is unique across lists),
 * which is how the server finds the list and address to check the MAC
 * against, so the URL need not name the list.  The purposes and payloads
 * are defined here once, for the mail side and the server side:
 *
 *   purpose       payload          expiry
 *   unsubscribe   MEMBER           never (the List-Unsubscribe token)
 *   prefs         MEMBER           never
 *   rsvp          EVENT.MEMBER     the end of a single event, else never
 *   vote          POLL.MEMBER      when the poll closes, else never
 *   moderate      h.HELD.MEMBER    when the held post expires (the
 *                                  token of the moderator's reply address)
 *
 * Every function returns a string the caller frees.
 */
#ifndef KITH_WEBLINKS_H
#define KITH_WEBLINKS_H

#include <stdint.h>

#include "kith/config.h"
#include "kith/tokens.h"

#define WEBLINK_UNSUBSCRIBE "unsubscribe"
#define WEBLINK_PREFS "prefs"
#define WEBLINK_RSVP "rsvp"
#define WEBLINK_VOTE "vote"
#define WEBLINK_MODERATE "moderate"

/* web_base_url without trailing slashes, or NULL when it is not set. */
char *weblink_base(const struct kith_config *cfg);

/* The token alone (for the server's own pages); NULL on error. */
char *weblink_token(const struct token_key *k, const char *purpose,
    const char *list_address, const char *rcpt, int64_t thing,
    int64_t member_id, int64_t expiry);

char *weblink_unsubscribe(const struct kith_config *cfg,
    const struct token_key *k, const char *list_address, int64_t member_id,
    const char *rcpt);
/*
 * weblink_list_unsubscribe - the one-step unsubscribe of one member
 * (member_id, address rcpt) from list_address, valid for nobody else,
 * as a member's copy names it in List-Unsubscribe: *mailto
 * "mailto:team-unsubscribe+TOKEN@domain", and *url BASE/u/TOKEN (NULL
 * when web_base_url is not set), with the same token.  Caller frees
 * both.  0, or -1 (nothing made).
 */
int weblink_list_unsubscribe(const struct kith_config *cfg,
    const struct token_key *k, const char *list_address, int64_t member_id,
    const char *rcpt, char **mailto, char **url);
char *weblink_prefs(const struct kith_config *cfg, const struct token_key *k,
    const char *list_address, int64_t member_id, const char *rcpt);
/* answer is "yes", "no" or "maybe". */
char *weblink_rsvp(const struct kith_config *cfg, const struct token_key *k,
    const char *list_address, int64_t event_id, int64_t member_id,
    const char *rcpt, int64_t expiry, const char *answer);
/* option counts from 1. */
char *weblink_vote(const struct kith_config *cfg, const struct token_key *k,
    const char *list_address, int64_t poll_id, int64_t member_id,
    const char *rcpt, int64_t expiry, int option);
char *weblink_moderate(const struct kith_config *cfg,
    const struct token_key *k, const char *list_address, int64_t held_id,
    int64_t moderator_id, const char *moderator, int64_t expiry);
char *weblink_list(const struct kith_config *cfg, const char *list_address);

/*
 * weblink_parse - the numbers of a token's payload: "M" gives *thing 0
 * and *member M; "T.M" gives T and M; "h.T.M" (moderate) gives T and M.
 * 0, or -1 when the token is not of that shape (nothing is verified).
 */
int weblink_parse(const char *token, int64_t *thing, int64_t *member);

#endif
