/* weblinks - the web addresses written into mail, and their tokens. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/util.h"
#include "kith/weblinks.h"

char *
weblink_base(const struct kith_config *cfg)
{
	size_t n = strlen(cfg->web_base_url);

	while (n > 0 && cfg->web_base_url[n - 1] == '/')
		n--;
	return n ? xstrndup(cfg->web_base_url, n) : NULL;
}

char *
weblink_token(const struct token_key *k, const char *purpose,
    const char *list_address, const char *rcpt, int64_t thing,
    int64_t member_id, int64_t expiry)
{
	char payload[64];

	if (!strcmp(purpose, WEBLINK_MODERATE))
		snprintf(payload, sizeof(payload), "h.%lld.%lld",
		    (long long)thing, (long long)member_id);
	else if (thing > 0)
		snprintf(payload, sizeof(payload), "%lld.%lld",
		    (long long)thing, (long long)member_id);
	else
		snprintf(payload, sizeof(payload), "%lld", (long long)member_id);
	return token_make(k, purpose, list_address, rcpt, payload, expiry);
}

/* BASE/KIND/TOKEN[SUFFIX], or NULL without a base. */
static char *
make_url(const struct kith_config *cfg, const char *kind, char *token,
    const char *suffix)
{
	char *base = weblink_base(cfg), *url = NULL;

	if (base && token)
		url = xasprintf("%s/%s/%s%s", base, kind, token, suffix);
	free(base);
	free(token);
	return url;
}

/* make_url for a new token; without a base none is made. */
static char *
token_url(const struct kith_config *cfg, const char *kind, const char *suffix,
    const struct token_key *k, const char *purpose, const char *list_address,
    const char *rcpt, int64_t thing, int64_t member_id, int64_t expiry)
{
	if (!*cfg->web_base_url)
		return NULL;
	return make_url(cfg, kind, weblink_token(k, purpose, list_address, rcpt,
	    thing, member_id, expiry), suffix);
}

char *
weblink_unsubscribe(const struct kith_config *cfg, const struct token_key *k,
    const char *list_address, int64_t member_id, const char *rcpt)
{
	return token_url(cfg, "u", "", k, WEBLINK_UNSUBSCRIBE, list_address,
	    rcpt, 0, member_id, 0);
}

int
weblink_list_unsubscribe(const struct kith_config *cfg,
    const struct token_key *k, const char *list_address, int64_t member_id,
    const char *rcpt, char **mailto, char **url)
{
	const char *at = strchr(list_address, '@');
	char *tok;

	*mailto = NULL;
	*url = NULL;
	if (at == NULL || (tok = weblink_token(k, WEBLINK_UNSUBSCRIBE,
	    list_address, rcpt, 0, member_id, 0)) == NULL)
		return -1;
	*mailto = xasprintf("mailto:%.*s-unsubscribe%c%s%s",
	    (int)(at - list_address), list_address, *cfg->delimiter, tok, at);
	/* kith serve finds the list from the member id in the token; it
	 * still answers /unsubscribe/LIST/TOKEN of older mail */
	*url = make_url(cfg, "u", tok, "");
	return 0;
}

char *
weblink_prefs(const struct kith_config *cfg, const struct token_key *k,
    const char *list_address, int64_t member_id, const char *rcpt)
{
	return token_url(cfg, "p", "", k, WEBLINK_PREFS, list_address, rcpt, 0,
	    member_id, 0);
}

char *
weblink_rsvp(const struct kith_config *cfg, const struct token_key *k,
    const char *list_address, int64_t event_id, int64_t member_id,
    const char *rcpt, int64_t expiry, const char *answer)
{
	char suffix[32];

	snprintf(suffix, sizeof(suffix), "?answer=%s", answer);
	return token_url(cfg, "r", suffix, k, WEBLINK_RSVP, list_address, rcpt,
	    event_id, member_id, expiry);
}

char *
weblink_vote(const struct kith_config *cfg, const struct token_key *k,
    const char *list_address, int64_t poll_id, int64_t member_id,
    const char *rcpt, int64_t expiry, int option)
{
	char suffix[32];

	snprintf(suffix, sizeof(suffix), "?option=%d", option);
	return token_url(cfg, "v", suffix, k, WEBLINK_VOTE, list_address, rcpt,
	    poll_id, member_id, expiry);
}

char *
weblink_moderate(const struct kith_config *cfg, const struct token_key *k,
    const char *list_address, int64_t held_id, int64_t moderator_id,
    const char *moderator, int64_t expiry)
{
	return token_url(cfg, "m", "", k, WEBLINK_MODERATE, list_address,
	    moderator, held_id, moderator_id, expiry);
}

char *
weblink_list(const struct kith_config *cfg, const char *list_address)
{
	char *base = weblink_base(cfg), *url;

	if (base == NULL)
		return NULL;
	url = xasprintf("%s/l/%s", base, list_address);
	free(base);
	return url;
}

int
weblink_parse(const char *token, int64_t *thing, int64_t *member)
{
	char *payload = token_payload(token), *p, *end;
	long long a, b;
	int r = -1;

	*thing = *member = 0;
	if (payload == NULL)
		return -1;
	p = payload;
	if (!strncmp(p, "h.", 2))
		p += 2;
	a = strtoll(p, &end, 10);
	if (end == p || a <= 0)
		goto done;
	if (*end == '\0') {
		*member = a;
		r = p == payload ? 0 : -1;
		goto done;
	}
	if (*end != '.')
		goto done;
	p = end + 1;
	b = strtoll(p, &end, 10);
	if (end == p || *end || b <= 0)
		goto done;
	*thing = a;
	*member = b;
	r = 0;
done:
	free(payload);
	return r;
}

void
weblink_pct(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((isalnum(*p) || strchr("-._~!$+,;=:@", *p)) &&
		    !(*p == '.' && p == (const unsigned char *)s))
			buf_addc(b, (char)*p);
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[*p >> 4]);
			buf_addc(b, hex[*p & 15]);
		}
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
weblink_unpct(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (*s == '%') {
			int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);

			if (lo < 0 || (hi == 0 && lo == 0))
				return -1;
			*out++ = (char)(hi << 4 | lo);
			s += 2;
		} else
			*out++ = *s;
	}
	*out = '\0';
	return 0;
}

/* BASE/a/LIST/REST (REST already encoded), or NULL without a base. */
static char *
archive_url(const struct kith_config *cfg, const char *list_local,
    const char *rest)
{
	char *base = weblink_base(cfg);
	struct buf b;

	if (base == NULL)
		return NULL;
	buf_init(&b);
	buf_addf(&b, "%s/a/", base);
	weblink_pct(&b, list_local);
	buf_addf(&b, "/%s", rest);
	free(base);
	return buf_detach(&b, NULL);
}

char *
weblink_archive(const struct kith_config *cfg, const char *list_local)
{
	return archive_url(cfg, list_local, "");
}

char *
weblink_archive_message(const struct kith_config *cfg, const char *list_local,
    const char *message_id)
{
	struct buf rest;
	char *url;

	buf_init(&rest);
	buf_adds(&rest, "m/");
	weblink_pct(&rest, message_id);
	buf_addc(&rest, '/');
	url = archive_url(cfg, list_local, rest.data);
	buf_release(&rest);
	return url;
}

char *
weblink_newsletter(const struct kith_config *cfg, const char *list_local,
    int64_t campaign_id)
{
	char rest[48];

	snprintf(rest, sizeof(rest), "n/%lld/", (long long)campaign_id);
	return archive_url(cfg, list_local, rest);
}

char *
weblink_archive_login(const struct kith_config *cfg, const struct token_key *k,
    const struct list_ref *l, int64_t member_id, const char *rcpt,
    int64_t expiry)
{
	char *token, *rest, *url;

	if (!*cfg->web_base_url)
		return NULL;
	token = weblink_token(k, WEBLINK_ARCHIVE_LOGIN, l->address, rcpt, 0,
	    member_id, expiry);
	if (token == NULL)
		return NULL;
	rest = xasprintf("login/%s", token);
	url = archive_url(cfg, l->local, rest);
	free(rest);
	free(token);
	return url;
}
