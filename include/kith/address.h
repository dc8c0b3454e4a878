/*
 * address - email address syntax: validate, normalise, split a recipient
 * into list name, role suffix and detail (team-confirm+TOKEN@domain).
 * Addresses are stored lower-case; comparison is therefore plain strcmp.
 */
#ifndef KITH_ADDRESS_H
#define KITH_ADDRESS_H

/*
 * address_normalize - trim, drop <>, lower-case, an internationalised
 * domain in its ASCII form (xn--...; libidn2), the local part whole
 * UTF-8; NULL when invalid.  Caller frees.
 */
char *address_normalize(const char *in);
/*
 * address_as_stored_before - in as Kith stored it before domains were
 * written in ASCII (lower-case ASCII letters, the domain in Unicode as
 * typed), when its domain is not ASCII; else NULL.  member_find falls
 * back on it, so a member stored so is still found.  Caller frees.
 */
char *address_as_stored_before(const char *in);

/*
 * Sub-addresses of a list, in the order they are tried: the core's, then
 * those the features answer (ROLE_FEATURE; the suffix says which).
 */
enum list_role {
	ROLE_POST = 0, ROLE_REQUEST, ROLE_OWNER, ROLE_BOUNCES, ROLE_CONFIRM,
	ROLE_SUBSCRIBE, ROLE_UNSUBSCRIBE, ROLE_FEATURE
};

struct recipient {
	char *local;	/* list part, e.g. "team" */
	char *domain;
	char *detail;	/* after the delimiter, "" when none */
	enum list_role role;
	char *suffix;	/* "-request" etc., "" for posts */
};

/*
 * recipient_candidates - the ways rcpt can be read: first the whole local
 * part as a list name, then with each core suffix removed, then with each
 * of more (a NULL-ended list, or NULL: the suffixes the features answer,
 * read as ROLE_FEATURE).  Fills up to max entries, returns how many (0
 * when rcpt is not an address).  Release each with recipient_release().
 */
int recipient_candidates(const char *rcpt, char delimiter,
    const char *const *more, struct recipient *out, int max);
void recipient_release(struct recipient *r);

#endif
