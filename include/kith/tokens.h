/*
 * tokens - HMAC-SHA256 tokens that put a capability into an address
 * (team-confirm+TOKEN@, team-bounces+TOKEN@, team-poll+TOKEN@,
 * team-events+TOKEN@).  Purposes: confirm, invite, approve, moderate,
 * unsubscribe, verp, poll, and event (a member's answer address for one
 * event: payload "EVENT.MEMBER", bound to the member's address, no
 * expiry, see event_organizer).
 *
 * A token is "PAYLOAD-EXPIRY-MAC": PAYLOAD is [a-z0-9.], EXPIRY is base-36
 * seconds since the epoch (0 = never), MAC is 16 base-32 characters
 * (80 bits) of HMAC-SHA256 over version, purpose, list, address, payload
 * and expiry with the site secret.  Everything is lower-case because
 * MTAs may fold the case of local parts.  A token made for one purpose,
 * list or address never checks for another; comparison is constant-time.
 */
#ifndef KITH_TOKENS_H
#define KITH_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_SECRET_LEN 32

struct token_key;

/* token_key_load - read the site secret file; NULL with err on failure. */
struct token_key *token_key_load(const char *path, char *err, size_t errlen);
/* token_key_new - a key from raw bytes (tests). */
struct token_key *token_key_new(const unsigned char *secret, size_t len);
void token_key_free(struct token_key *k);

/* Create a secret file (mode 0600) unless one exists; 0 or -1. */
int token_secret_create(const char *path, char *err, size_t errlen);

/* token_make - caller frees.  payload must match [a-z0-9.]+. */
char *token_make(const struct token_key *k, const char *purpose,
    const char *list, const char *address, const char *payload,
    int64_t expiry);

/*
 * token_check - 0 when token is valid for purpose, list and address at
 * time now; the payload is then copied into *payload (caller frees).
 * -1 when malformed, forged, for something else, or expired.
 */
int token_check(const struct token_key *k, const char *purpose,
    const char *list, const char *address, const char *token, int64_t now,
    char **payload);

/*
 * token_digest - HMAC-SHA256 with the site secret over purpose and data,
 * as 64 lower-case hex digits (caller frees); NULL on a crypto failure.
 * For what must be recognised later without being kept in the clear
 * (privacy.h: a forgotten address).
 */
char *token_digest(const struct token_key *k, const char *purpose,
    const char *data);

/* token_payload - the payload of a well-formed token, unverified; caller frees. */
char *token_payload(const char *token);

#endif
