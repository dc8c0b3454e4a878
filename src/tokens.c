/* tokens - HMAC-SHA256 capability tokens (API-NOTES 4.1, 4.4). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "kith/tokens.h"
#include "kith/util.h"

#define MAC_CHARS 16

struct token_key {
	unsigned char secret[64];
	size_t len;
	/* HMAC-SHA256 keyed once; each token works on a copy (API-NOTES 4.1:
	 * fetching the algorithm per call costs more than the MAC). */
	EVP_MAC *mac;
	EVP_MAC_CTX *keyed;
};

struct token_key *
token_key_new(const unsigned char *secret, size_t len)
{
	struct token_key *k = xcalloc(1, sizeof(*k));
	OSSL_PARAM params[2];

	if (len > sizeof(k->secret))
		len = sizeof(k->secret);
	memcpy(k->secret, secret, len);
	k->len = len;
	params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	k->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	k->keyed = k->mac ? EVP_MAC_CTX_new(k->mac) : NULL;
	if (k->keyed && EVP_MAC_init(k->keyed, k->secret, k->len, params) != 1) {
		EVP_MAC_CTX_free(k->keyed);
		k->keyed = NULL;
	}
	return k;
}

void
token_key_free(struct token_key *k)
{
	if (k) {
		EVP_MAC_CTX_free(k->keyed);
		EVP_MAC_free(k->mac);
		OPENSSL_cleanse(k, sizeof(*k));
		free(k);
	}
}

struct token_key *
token_key_load(const char *path, char *err, size_t errlen)
{
	struct buf b;
	struct token_key *k;

	buf_init(&b);
	if (buf_read_file(&b, path) < 0) {
		snprintf(err, errlen, "cannot read site secret '%s': %s",
		    path, strerror(errno));
		buf_release(&b);
		return NULL;
	}
	if (b.len < 16) {
		snprintf(err, errlen, "site secret '%s' is too short", path);
		buf_release(&b);
		return NULL;
	}
	k = token_key_new((unsigned char *)b.data, b.len);
	OPENSSL_cleanse(b.data, b.len);
	buf_release(&b);
	return k;
}

/* All users of a shared data directory read the secret (util.h): 0640. */
static int
secret_share(const char *path, char *err, size_t errlen)
{
	if (share_like_parent(path, 0640) == 0)
		return 0;
	snprintf(err, errlen, "cannot give site secret '%s' to the data "
	    "directory's group: %s", path, strerror(errno));
	return -1;
}

int
token_secret_create(const char *path, char *err, size_t errlen)
{
	unsigned char raw[TOKEN_SECRET_LEN];
	int fd;

	if (access(path, F_OK) == 0)
		return secret_share(path, err, errlen);
	if (random_bytes(raw, sizeof(raw)) < 0) {
		snprintf(err, errlen, "no randomness for the site secret");
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, raw, sizeof(raw)) < 0 || fsync(fd) < 0) {
		snprintf(err, errlen, "cannot write site secret '%s': %s",
		    path, strerror(errno));
		if (fd >= 0)
			close(fd);
		OPENSSL_cleanse(raw, sizeof(raw));
		return -1;
	}
	close(fd);
	OPENSSL_cleanse(raw, sizeof(raw));
	return secret_share(path, err, errlen);
}

static void
to_base36(char *out, size_t outlen, uint64_t v)
{
	char tmp[16];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
		v /= 36;
	} while (v && n < 15);
	for (int i = 0; i < n && (size_t)i + 1 < outlen; i++)
		out[i] = tmp[n - 1 - i];
	out[(size_t)n < outlen ? n : (int)outlen - 1] = '\0';
}

/* The MAC as MAC_CHARS base-32 characters (5 bits each). */
static int
token_mac(const struct token_key *k, const char *purpose, const char *list,
    const char *address, const char *payload, const char *expiry,
    char out[MAC_CHARS + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;
	struct buf in;
	int ok;

	buf_init(&in);
	/* NUL separators: no field can run into the next. */
	buf_add(&in, "kith-token-v1", 14);
	buf_add(&in, purpose, strlen(purpose) + 1);
	buf_add(&in, list, strlen(list) + 1);
	buf_add(&in, address, strlen(address) + 1);
	buf_add(&in, payload, strlen(payload) + 1);
	buf_add(&in, expiry, strlen(expiry) + 1);
	if (k->keyed) {
		EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(k->keyed);

		ok = ctx && EVP_MAC_update(ctx, (unsigned char *)in.data,
		    in.len) == 1 && EVP_MAC_final(ctx, md, &mdlen,
		    sizeof(md)) == 1;
		EVP_MAC_CTX_free(ctx);
	} else
		ok = EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->secret,
		    k->len, (unsigned char *)in.data, in.len, md, sizeof(md),
		    &mdlen) != NULL;
	buf_release(&in);
	if (!ok || mdlen < 10)
		return -1;
	for (int i = 0; i < MAC_CHARS; i++) {
		int bit = i * 5, byte = bit / 8, shift = bit % 8;
		unsigned v = ((unsigned)md[byte] << 8 | md[byte + 1]) >>
		    (11 - shift);

		out[i] = "abcdefghijklmnopqrstuvwxyz234567"[v & 31];
	}
	out[MAC_CHARS] = '\0';
	return 0;
}

static int
payload_ok(const char *p)
{
	if (*p == '\0')
		return 0;
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '.'))
			return 0;
	return 1;
}

char *
token_make(const struct token_key *k, const char *purpose, const char *list,
    const char *address, const char *payload, int64_t expiry)
{
	char exp[16], mac[MAC_CHARS + 1];

	if (!payload_ok(payload))
		return NULL;
	to_base36(exp, sizeof(exp), expiry > 0 ? (uint64_t)expiry : 0);
	if (token_mac(k, purpose, list, address, payload, exp, mac) < 0)
		return NULL;
	return xasprintf("%s-%s-%s", payload, exp, mac);
}

char *
token_payload(const char *token)
{
	const char *d1 = strchr(token, '-');

	if (d1 == NULL || d1 == token)
		return NULL;
	return xstrndup(token, (size_t)(d1 - token));
}

int
token_check(const struct token_key *k, const char *purpose, const char *list,
    const char *address, const char *token, int64_t now, char **payload)
{
	char *t = str_lower(xstrdup(token)), *d1, *d2, *end;
	char mac[MAC_CHARS + 1];
	unsigned long long exp;
	int r = -1;

	*payload = NULL;
	d1 = strchr(t, '-');
	d2 = d1 ? strchr(d1 + 1, '-') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '-') || strlen(d2 + 1) != MAC_CHARS)
		goto done;
	*d1 = *d2 = '\0';
	if (!payload_ok(t) || d2 == d1 + 1)
		goto done;
	exp = strtoull(d1 + 1, &end, 36);
	if (*end)
		goto done;
	if (token_mac(k, purpose, list, address, t, d1 + 1, mac) < 0)
		goto done;
	if (CRYPTO_memcmp(mac, d2 + 1, MAC_CHARS) != 0)
		goto done;
	if (exp != 0 && (int64_t)exp < now)
		goto done;
	*payload = xstrdup(t);
	r = 0;
done:
	free(t);
	return r;
}

char *
token_digest(const struct token_key *k, const char *purpose, const char *data)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;
	struct buf in;
	char *hex;

	buf_init(&in);
	/* NUL separators and a label of its own: never equal to a token's
	 * MAC input, whatever the data. */
	buf_add(&in, "kith-digest-v1", 15);
	buf_add(&in, purpose, strlen(purpose) + 1);
	buf_adds(&in, data);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->secret, k->len,
	    (unsigned char *)in.data, in.len, md, sizeof(md), &mdlen) == NULL) {
		buf_release(&in);
		return NULL;
	}
	buf_release(&in);
	hex = xmalloc(mdlen * 2 + 1);
	for (size_t i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return hex;
}
