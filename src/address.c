/* address - syntax checks and recipient splitting. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "kith/address.h"
#include "kith/rfc2047.h"
#include "kith/util.h"

static const struct {
	enum list_role role;
	const char *suffix;
} suffixes[] = {
	{ ROLE_REQUEST, "-request" }, { ROLE_OWNER, "-owner" },
	{ ROLE_BOUNCES, "-bounces" }, { ROLE_CONFIRM, "-confirm" },
	{ ROLE_SUBSCRIBE, "-subscribe" }, { ROLE_UNSUBSCRIBE, "-unsubscribe" },
};
#define NSUFFIXES (sizeof(suffixes) / sizeof(suffixes[0]))

static int
local_char_ok(unsigned char c)
{
	/* RFC 5322 atext plus '.'; quoted local parts are not accepted. */
	return isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL ||
	    c >= 0x80;
}

static int
domain_ok(const char *d)
{
	size_t label = 0;

	if (*d == '\0' || *d == '.' || *d == '-')
		return 0;
	for (; *d; d++) {
		if (*d == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)*d) || *d == '-' ||
		    (unsigned char)*d >= 0x80)
			label++;
		else
			return 0;
	}
	return label > 0;
}

/*
 * domain_ascii - "local@domain", lower case, an internationalised domain
 * in its ASCII form (IDNA2008 with UTS #46's mapping, by libidn2):
 * karel@Příklad.cz and karel@xn--pklad-zsa96e.cz are one member, and
 * the form every MTA takes without SMTPUTF8.  NULL when the domain is
 * no valid one.
 */
static char *
domain_ascii(const char *local, const char *domain)
{
	char *ascii = NULL, *out;

	if (str_ascii(domain))
		return str_lower(xasprintf("%s@%s", local, domain));
	if (idn2_to_ascii_8z(domain, &ascii, IDN2_NONTRANSITIONAL |
	    IDN2_NFC_INPUT) != IDN2_OK)
		return NULL;
	out = str_lower(xasprintf("%s@%s", local, ascii));
	idn2_free(ascii);
	if (strlen(out) > 254) {
		free(out);
		return NULL;
	}
	return out;
}

/* in checked as an address: its "local@domain" in s (trimmed, no <>),
 * NULL when it is none.  The caller frees s. */
static char *
address_checked(const char *in, char **s)
{
	char *a = str_trim(*s = xstrdup(in)), *at;
	size_t n = strlen(a);

	if (n >= 2 && a[0] == '<' && a[n - 1] == '>') {
		a[n - 1] = '\0';
		a++;
	}
	at = strrchr(a, '@');
	if (at == NULL || at == a || strlen(a) > 254 || at - a > 64)
		return NULL;
	for (char *p = a; p < at; p++)
		if (!local_char_ok((unsigned char)*p))
			return NULL;
	if (a[0] == '.' || at[-1] == '.' || strstr(a, "..") ||
	    !domain_ok(at + 1) || !utf8_valid(a, (size_t)(at - a)))
		return NULL;
	return a;
}

char *
address_normalize(const char *in)
{
	char *s, *a = address_checked(in, &s), *at, *out = NULL;

	if (a) {
		at = strrchr(a, '@');
		*at = '\0';
		out = domain_ascii(a, at + 1);
	}
	free(s);
	return out;
}

char *
address_as_stored_before(const char *in)
{
	char *s, *a = address_checked(in, &s), *out = NULL;

	if (a && !str_ascii(strrchr(a, '@') + 1))
		out = str_lower(xstrdup(a));
	free(s);
	return out;
}

static void
recipient_fill(struct recipient *r, const char *local, size_t len,
    const char *domain, const char *detail, enum list_role role,
    const char *suffix)
{
	r->local = xstrndup(local, len);
	r->domain = xstrdup(domain);
	r->detail = xstrdup(detail);
	r->role = role;
	r->suffix = xstrdup(suffix);
}

/* A reading of local (len bytes) without suffix, when it ends with it. */
static int
try_suffix(struct recipient *out, const char *local, size_t len,
    const char *domain, const char *detail, enum list_role role,
    const char *suffix)
{
	size_t sl = strlen(suffix);

	if (len <= sl || strcmp(local + len - sl, suffix))
		return 0;
	recipient_fill(out, local, len - sl, domain, detail, role, suffix);
	return 1;
}

int
recipient_candidates(const char *rcpt, char delimiter,
    const char *const *more, struct recipient *out, int max)
{
	char *addr = address_normalize(rcpt), *at, *delim, *detail = "";
	size_t len;
	int n = 0;

	if (addr == NULL || max <= 0) {
		free(addr);
		return 0;
	}
	at = strrchr(addr, '@');
	*at = '\0';
	delim = strchr(addr, delimiter);
	if (delim) {
		*delim = '\0';
		detail = delim + 1;
	}
	len = strlen(addr);
	recipient_fill(&out[n++], addr, len, at + 1, detail, ROLE_POST, "");
	for (size_t i = 0; i < NSUFFIXES && n < max; i++)
		n += try_suffix(&out[n], addr, len, at + 1, detail,
		    suffixes[i].role, suffixes[i].suffix);
	for (size_t i = 0; more && more[i] && n < max; i++)
		n += try_suffix(&out[n], addr, len, at + 1, detail, ROLE_FEATURE,
		    more[i]);
	free(addr);
	return n;
}

void
recipient_release(struct recipient *r)
{
	free(r->local);
	free(r->domain);
	free(r->detail);
	free(r->suffix);
	memset(r, 0, sizeof(*r));
}
