/* weblinks - the web addresses written into mail, and their tokens. */
#include "config.h"

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

char *
weblink_unsubscribe(const struct kith_config *cfg, const struct token_key *k,
    const char *list_address, int64_t member_id, const char *rcpt)
{
	if (!*cfg->web_base_url)
		return NULL;
	return make_url(cfg, "u", weblink_token(k, WEBLINK_UNSUBSCRIBE,
	    list_address, rcpt, 0, member_id, 0), "");
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
	if (!*cfg->web_base_url)
		return NULL;
	return make_url(cfg, "p", weblink_token(k, WEBLINK_PREFS, list_address,
	    rcpt, 0, member_id, 0), "");
}

char *
weblink_rsvp(const struct kith_config *cfg, const struct token_key *k,
    const char *list_address, int64_t event_id, int64_t member_id,
    const char *rcpt, int64_t expiry, const char *answer)
{
	char suffix[32];

	if (!*cfg->web_base_url)
		return NULL;
	snprintf(suffix, sizeof(suffix), "?answer=%s", answer);
	return make_url(cfg, "r", weblink_token(k, WEBLINK_RSVP, list_address,
	    rcpt, event_id, member_id, expiry), suffix);
}

char *
weblink_vote(const struct kith_config *cfg, const struct token_key *k,
    const char *list_address, int64_t poll_id, int64_t member_id,
    const char *rcpt, int64_t expiry, int option)
{
	char suffix[32];

	if (!*cfg->web_base_url)
		return NULL;
	snprintf(suffix, sizeof(suffix), "?option=%d", option);
	return make_url(cfg, "v", weblink_token(k, WEBLINK_VOTE, list_address,
	    rcpt, poll_id, member_id, expiry), suffix);
}

char *
weblink_moderate(const struct kith_config *cfg, const struct token_key *k,
    const char *list_address, int64_t held_id, int64_t moderator_id,
    const char *moderator, int64_t expiry)
{
	if (!*cfg->web_base_url)
		return NULL;
	return make_url(cfg, "m", weblink_token(k, WEBLINK_MODERATE, list_address,
	    moderator, held_id, moderator_id, expiry), "");
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
