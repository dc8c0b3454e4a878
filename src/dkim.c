/* dkim - relaxed/relaxed RSA-SHA256 signing. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "kith/dkim.h"
#include "kith/log.h"
#include "kith/message.h"
#include "kith/util.h"

#define SMTP_LINE_MAX 998

/* The headers we sign, in h= order (those present); From is oversigned. */
static const char *const signed_names[] = {
	"From", "To", "Subject", "Date", "Message-ID", "MIME-Version",
	"Content-Type", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
	NULL
};
#define NSIGNED 10

struct dkim_key {
	EVP_PKEY *pkey;
	char *domain, *selector;
};

struct dkim_msg {
	char bh[64];			/* base64 SHA-256 of the canonical body */
	char *canon[NSIGNED];		/* "name:value\r\n" from data, or NULL */
};

struct dkim_key *
dkim_key_load(const char *path, const char *domain, const char *selector,
    char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *pkey;
	struct dkim_key *k;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read DKIM key '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA ||
	    EVP_PKEY_get_bits(pkey) < 1024) {
		snprintf(err, errlen, "DKIM key '%s' is not an RSA key of 1024 "
		    "bits or more (RFC 8301)", path);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	k = xcalloc(1, sizeof(*k));
	k->pkey = pkey;
	k->domain = xstrdup(domain);
	k->selector = xstrdup(selector);
	return k;
}

void
dkim_key_free(struct dkim_key *k)
{
	if (k) {
		EVP_PKEY_free(k->pkey);
		free(k->domain);
		free(k->selector);
		free(k);
	}
}

/* Relaxed header canonicalisation (RFC 6376 3.4.2) of one field. */
static char *
canon_header(const struct header_field *f)
{
	struct buf b;
	int space = 0, started = 0;
	size_t i;

	buf_init(&b);
	for (i = 0; i < f->name_len; i++)
		buf_addc(&b, (char)(f->name[i] >= 'A' && f->name[i] <= 'Z' ?
		    f->name[i] + 32 : f->name[i]));
	buf_addc(&b, ':');
	/* unfold, collapse white space, trim both ends; only the white
	 * space after the name's colon goes, not that after a colon in the
	 * value ("Re: x" stays "Re: x") */
	for (i = 0; i < f->value_len; i++) {
		char c = f->value[i];

		if (c == '\r' || c == '\n')
			continue;
		if (c == ' ' || c == '\t') {
			space = 1;
			continue;
		}
		if (space && started)
			buf_addc(&b, ' ');
		started = 1;
		space = 0;
		buf_addc(&b, c);
	}
	buf_adds(&b, "\r\n");
	return buf_detach(&b, NULL);
}

char *
dkim_canon_field(const char *name, size_t name_len, const char *value,
    size_t value_len)
{
	struct header_field f;

	memset(&f, 0, sizeof(f));
	f.name = name;
	f.name_len = name_len;
	f.value = value;
	f.value_len = value_len;
	return canon_header(&f);
}

static int
signed_index(const struct header_field *f)
{
	for (int i = 0; signed_names[i]; i++)
		if (header_is(f, signed_names[i]))
			return i;
	return -1;
}

/* The last instance of each signed header in a header block. */
static void
collect(const char *raw, size_t len, char **canon)
{
	struct header_iter it;
	struct header_field f;

	header_iter_init(&it, raw, len);
	while (header_next(&it, &f)) {
		int i = signed_index(&f);

		if (i >= 0) {
			free(canon[i]);
			canon[i] = canon_header(&f);
		}
	}
}

/*
 * One body line, relaxed (RFC 6376 3.4.4): white space runs become one
 * space, trailing white space goes, and empty lines are held back so
 * that the ones at the end of the body are dropped.
 */
static void
canon_line(EVP_MD_CTX *ctx, struct buf *line, size_t *blank, const char *s,
    size_t n)
{
	int space = 0;

	buf_reset(line);
	for (size_t k = 0; k < n; k++) {
		if (s[k] == ' ' || s[k] == '\t') {
			space = 1;
			continue;
		}
		if (space)
			buf_addc(line, ' ');
		space = 0;
		buf_addc(line, s[k]);
	}
	if (line->len == 0) {
		(*blank)++;
		return;
	}
	for (; *blank > 0; (*blank)--)
		EVP_DigestUpdate(ctx, "\r\n", 2);
	EVP_DigestUpdate(ctx, line->data, line->len);
	EVP_DigestUpdate(ctx, "\r\n", 2);
}

/* SHA-256 of the relaxed body, base64; lines cut as our SMTP client cuts them. */
void
dkim_body_hash(const char *body, size_t len, int smtp_lines, char out[64])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct buf line;
	size_t blank = 0, i = 0;

	buf_init(&line);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while (i < len) {
		const char *nl = memchr(body + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - body) : len, n = end - i;

		if (n && body[i + n - 1] == '\r')
			n--;
		while (smtp_lines && n > SMTP_LINE_MAX) {
			canon_line(ctx, &line, &blank, body + i, SMTP_LINE_MAX);
			i += SMTP_LINE_MAX;
			n -= SMTP_LINE_MAX;
		}
		canon_line(ctx, &line, &blank, body + i, n);
		i = end + 1;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
	buf_release(&line);
}

struct dkim_msg *
dkim_prepare(const char *data, size_t len, int smtp_lines)
{
	struct dkim_msg *m = xcalloc(1, sizeof(*m));
	size_t body = header_block_end(data, len);

	collect(data, body, m->canon);
	dkim_body_hash(data + body, len - body, smtp_lines, m->bh);
	return m;
}

void
dkim_msg_free(struct dkim_msg *m)
{
	if (m) {
		for (int i = 0; i < NSIGNED; i++)
			free(m->canon[i]);
		free(m);
	}
}

char *
dkim_sign(const struct dkim_key *k, const struct dkim_msg *m,
    const char *head, size_t head_len, int64_t now)
{
	char *canon[NSIGNED] = { NULL }, *sig_b64 = NULL, *out = NULL;
	struct buf hdr, input;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	struct header_field f;

	if (head && head_len)
		collect(head, head_len, canon);
	buf_init(&hdr);
	buf_init(&input);
	buf_addf(&hdr, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; "
	    "d=%s; s=%s; t=%lld; h=", k->domain, k->selector, (long long)now);
	for (int i = 0; i < NSIGNED; i++) {
		const char *c = canon[i] ? canon[i] : m->canon[i];

		if (c == NULL)
			continue;
		buf_addf(&hdr, "%s%s", input.len ? ":" : "", signed_names[i]);
		buf_adds(&input, c);
	}
	/* From once more: nobody can add a second From after us. */
	buf_adds(&hdr, ":From");
	buf_addf(&hdr, "; bh=%s; b=", m->bh);
	/* the signature header itself, relaxed, without its CRLF */
	memset(&f, 0, sizeof(f));
	f.name = hdr.data;
	f.name_len = 14;
	f.value = hdr.data + 15;
	f.value_len = hdr.len - 15;
	{
		char *c = canon_header(&f);

		buf_add(&input, c, strlen(c) - 2);
		free(c);
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    k->pkey) != 1 || EVP_DigestSignUpdate(ctx, input.data, input.len)
	    != 1 || EVP_DigestSignFinal(ctx, NULL, &siglen) != 1)
		goto fail;
	sig = xmalloc(siglen);
	/* the length may shrink on the second call (Exim's note, API-NOTES) */
	if (EVP_DigestSignFinal(ctx, sig, &siglen) != 1)
		goto fail;
	sig_b64 = xmalloc(4 * ((siglen + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)sig_b64, sig, (int)siglen);
	out = xasprintf("%s%s\r\n", hdr.data, sig_b64);
	goto done;
fail:
	log_error("dkim: signing failed; the message goes out unsigned");
done:
	EVP_MD_CTX_free(ctx);
	free(sig);
	free(sig_b64);
	for (int i = 0; i < NSIGNED; i++)
		free(canon[i]);
	buf_release(&hdr);
	buf_release(&input);
	return out;
}

const char *
dkim_key_domain(const struct dkim_key *k)
{
	return k->domain;
}

const char *
dkim_key_selector(const struct dkim_key *k)
{
	return k->selector;
}

char *
dkim_sign_data(const struct dkim_key *k, const void *data, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	char *b64 = NULL;
	size_t siglen = 0;

	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    k->pkey) != 1 || EVP_DigestSignUpdate(ctx, data, len) != 1 ||
	    EVP_DigestSignFinal(ctx, NULL, &siglen) != 1)
		goto done;
	sig = xmalloc(siglen);
	if (EVP_DigestSignFinal(ctx, sig, &siglen) != 1)
		goto done;
	b64 = xmalloc(4 * ((siglen + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
done:
	EVP_MD_CTX_free(ctx);
	free(sig);
	return b64;
}

/* base64 without the white space DNS records and header fields fold in */
static unsigned char *
b64_decode(const char *s, size_t *outlen)
{
	size_t n = strlen(s), k = 0;
	char *clean = xmalloc(n + 1);
	unsigned char *out;
	int len;

	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			clean[k++] = s[i];
	clean[k] = '\0';
	if (k == 0 || k % 4) {
		free(clean);
		return NULL;
	}
	out = xmalloc(k / 4 * 3 + 1);
	len = EVP_DecodeBlock(out, (unsigned char *)clean, (int)k);
	if (len < 0) {
		free(clean);
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as data */
	if (k >= 1 && clean[k - 1] == '=')
		len--;
	if (k >= 2 && clean[k - 2] == '=')
		len--;
	free(clean);
	*outlen = (size_t)len;
	return out;
}

int
dkim_verify_data(const char *pubkey_b64, const void *data, size_t len,
    const char *sig_b64)
{
	size_t keylen = 0, siglen = 0;
	unsigned char *key = b64_decode(pubkey_b64, &keylen);
	unsigned char *sig = b64_decode(sig_b64, &siglen);
	const unsigned char *p = key;
	EVP_PKEY *pkey = key ? d2i_PUBKEY(NULL, &p, (long)keylen) : NULL;
	EVP_MD_CTX *ctx = NULL;
	int r = -1;

	if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
		goto done;
	r = 0;
	ctx = EVP_MD_CTX_new();
	if (sig && ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
	    pkey) == 1 && EVP_DigestVerify(ctx, sig, siglen, data, len) == 1)
		r = 1;
done:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	free(key);
	free(sig);
	return r;
}

int
dkim_keygen(const char *path, char **txt, char *err, size_t errlen)
{
	EVP_PKEY *pkey = EVP_RSA_gen(2048);
	unsigned char *der = NULL;
	char *b64;
	FILE *f;
	int fd, n;

	*txt = NULL;
	if (pkey == NULL) {
		snprintf(err, errlen, "cannot generate an RSA key");
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "cannot create '%s': %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		EVP_PKEY_free(pkey);
		return -1;
	}
	if (PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fclose(f) != 0) {
		snprintf(err, errlen, "cannot write '%s'", path);
		EVP_PKEY_free(pkey);
		return -1;
	}
	n = i2d_PUBKEY(pkey, &der);
	EVP_PKEY_free(pkey);
	if (n <= 0) {
		snprintf(err, errlen, "cannot encode the public key");
		return -1;
	}
	b64 = xmalloc(4 * (((size_t)n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)b64, der, n);
	OPENSSL_free(der);
	*txt = xasprintf("v=DKIM1; k=rsa; p=%s", b64);
	free(b64);
	return 0;
}
