/*
 * dkim - DKIM signatures (RFC 6376): RSA-SHA256, relaxed/relaxed, with
 * OpenSSL EVP (API-NOTES 4.2).
 *
 * A copy of a list message differs per recipient only in a few header
 * lines (List-Unsubscribe), so the body hash and the canonical form of
 * the shared headers are computed once per message (dkim_prepare) and
 * each recipient costs one RSA signature (dkim_sign).
 */
#ifndef KITH_DKIM_H
#define KITH_DKIM_H

#include <stddef.h>
#include <stdint.h>

struct dkim_key;
struct dkim_msg;

/* Load a PEM private key (RSA, >= 1024 bits); NULL with err. */
struct dkim_key *dkim_key_load(const char *path, const char *domain,
    const char *selector, char *err, size_t errlen);
void dkim_key_free(struct dkim_key *k);

/*
 * dkim_prepare - hash the body of data once and keep the canonical form
 * of its signed headers.  smtp_lines: the body will go out through our
 * SMTP client, which breaks lines longer than 998 octets; hash it as sent.
 */
struct dkim_msg *dkim_prepare(const char *data, size_t len, int smtp_lines);
void dkim_msg_free(struct dkim_msg *m);

/*
 * dkim_sign - "DKIM-Signature: ...\r\n" for the message made of the
 * header lines head (per recipient, may be NULL) followed by data.
 * Caller frees; NULL when signing failed (logged; the mail goes unsigned).
 */
char *dkim_sign(const struct dkim_key *k, const struct dkim_msg *m,
    const char *head, size_t head_len, int64_t now);

/*
 * The pieces ARC (arc.h) shares with DKIM: the same canonicalisation,
 * hash and RSA-SHA256, on other header fields.
 *
 * dkim_canon_field - "name:value\r\n" in relaxed form (RFC 6376 3.4.2);
 * caller frees.
 * dkim_body_hash - base64 SHA-256 of body in relaxed form (3.4.4), cut
 * as our SMTP client cuts lines when smtp_lines; out holds 64 bytes.
 * dkim_sign_data - base64 RSA-SHA256 signature of data; NULL on failure
 * (logged by the caller).  Caller frees.
 * dkim_verify_data - 1 when sig_b64 is a valid RSA-SHA256 signature of
 * data by the public key pubkey_b64 (a DKIM record's p=, DER
 * SubjectPublicKeyInfo), 0 when not, -1 when the key is unusable.
 */
char *dkim_canon_field(const char *name, size_t name_len, const char *value,
    size_t value_len);
void dkim_body_hash(const char *body, size_t len, int smtp_lines,
    char out[64]);
char *dkim_sign_data(const struct dkim_key *k, const void *data, size_t len);
int dkim_verify_data(const char *pubkey_b64, const void *data, size_t len,
    const char *sig_b64);
/* The d= and s= of a loaded key; borrowed, valid until dkim_key_free(). */
const char *dkim_key_domain(const struct dkim_key *k);
const char *dkim_key_selector(const struct dkim_key *k);

/*
 * dkim_keygen - a new 2048-bit RSA key written to path (mode 0600, not
 * overwriting); *txt gets the DNS record value for it (caller frees).
 */
int dkim_keygen(const char *path, char **txt, char *err, size_t errlen);

#endif
