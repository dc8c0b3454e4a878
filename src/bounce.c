/* bounce - read delivery reports, score members, disable dead addresses. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kith/address.h"
#include "kith/bounce.h"
#include "kith/db.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/privacy.h"
#include "kith/message.h"
#include "kith/notice.h"
#include "kith/tokens.h"
#include "kith/util.h"

#define MAX_RCPTS 32
#define MAX_SENDERS 16
#define SEGMENT_LINES 8		/* lines after an address read as about it */
#define TEXT_MAX 8000		/* of the human-readable part, for phrases */
#define HUMAN_MAX 65536		/* of the text read at all: a report's own
				 * words are short, what follows is a copy */
#define COPY_MAX 262144		/* of the raw body searched for senders */
#define PARTS_MAX 1048576	/* of the report searched for its parts */
#define STAR_SPAN 80		/* what '*' in a phrase may stand for */

void
bounce_report_release(struct bounce_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->rcpts[i].address);
		free(r->rcpts[i].diagnostic);
	}
	free(r->rcpts);
	memset(r, 0, sizeof(*r));
}

/* How a phrase counts. */
enum kind {
	SOFT,		/* the address works; something else failed */
	HARD,		/* the address or its domain is dead */
	NO_USER,	/* "no such user": hard only when the address itself
			 * was refused (at RCPT TO); content filters and
			 * carriers give the same answer to refuse a message */
	GENERIC		/* soft, and only when no other phrase is there */
};

/*
 * Phrases that name a reason, lower-case, whitespace collapsed; '*'
 * stands for up to STAR_SPAN characters.  The one that starts first in
 * the text wins (the words nearest the address), on a tie the one first
 * here, so the soft ones that contain words of hard ones come first.
 * beats_code: the phrase names the reason even when the status code
 * says the address is bad (a full mailbox answered with 5.1.1).
 */
static const struct phrase {
	const char *text;
	const char *reason;
	enum kind kind;
	int beats_code;
} phrases[] = {
	/* about our sender address, not the member's */
	{ "sender address rejected", "rejected", SOFT, 1 },
	{ "domain of sender", "rejected", SOFT, 1 },
	{ "sender domain", "rejected", SOFT, 1 },
	{ "sender verify", "rejected", SOFT, 1 },
	{ "sender rejected", "rejected", SOFT, 1 },
	{ "invalid sender", "rejected", SOFT, 1 },
	{ "sender unknown", "rejected", SOFT, 1 },
	{ "mailbox full", "mailboxfull", SOFT, 1 },
	{ "mailbox is full", "mailboxfull", SOFT, 1 },
	{ "over quota", "mailboxfull", SOFT, 1 },
	{ "quota", "mailboxfull", SOFT, 1 },
	{ "insufficient system storage", "systemfull", SOFT, 0 },
	{ "exceeded storage", "mailboxfull", SOFT, 1 },
	{ "storage allocation", "mailboxfull", SOFT, 1 },
	{ "mailbox size limit", "mailboxfull", SOFT, 1 },
	{ "not enough disk space", "mailboxfull", SOFT, 1 },
	{ "is full", "mailboxfull", SOFT, 1 },
	{ "message length exceeds", "exceedlimit", SOFT, 0 },
	{ "too large", "mesgtoobig", SOFT, 0 },
	{ "too big", "mesgtoobig", SOFT, 0 },
	{ "size limit", "mesgtoobig", SOFT, 0 },
	{ "message size", "mesgtoobig", SOFT, 0 },
	{ "suspended", "suspend", SOFT, 0 },
	{ "disabled", "suspend", SOFT, 0 },
	{ "inactive", "suspend", SOFT, 0 },
	{ "deactivated", "suspend", SOFT, 0 },
	{ "relay access denied", "norelaying", SOFT, 1 },
	{ "relaying denied", "norelaying", SOFT, 1 },
	{ "no relaying", "norelaying", SOFT, 1 },
	{ "not permitted to relay", "norelaying", SOFT, 1 },
	{ "relay not permitted", "norelaying", SOFT, 1 },
	{ "unable to relay", "norelaying", SOFT, 1 },
	{ "relaying not allowed", "norelaying", SOFT, 1 },
	{ "temporarily", "onhold", SOFT, 0 },
	{ "try again later", "onhold", SOFT, 0 },
	{ "virus detected", "virusdetected", SOFT, 0 },
	{ "virus found", "virusdetected", SOFT, 0 },
	{ "contains a virus", "virusdetected", SOFT, 0 },
	{ "infected", "virusdetected", SOFT, 0 },
	{ "malware", "virusdetected", SOFT, 0 },
	{ "spamhaus", "blocked", SOFT, 1 },
	{ "spam", "spamdetected", SOFT, 0 },
	{ "blacklist", "blocked", SOFT, 1 },
	{ "blocklist", "blocked", SOFT, 1 },
	{ "block list", "blocked", SOFT, 1 },
	{ "black list", "blocked", SOFT, 1 },
	{ "blocked", "blocked", SOFT, 1 },
	{ "reputation", "badreputation", SOFT, 0 },
	{ "recipient preferences", "filtered", SOFT, 1 },
	{ "not have permission", "rejected", SOFT, 0 },
	{ "dmarc", "policyviolation", SOFT, 0 },
	{ "authentication checks failed", "authfailure", SOFT, 0 },
	{ "spf", "authfailure", SOFT, 0 },
	{ "dkim", "authfailure", SOFT, 0 },
	{ "reverse dns", "requireptr", SOFT, 0 },
	{ "ptr record", "requireptr", SOFT, 0 },
	{ "too many", "toomanyconn", SOFT, 1 },
	{ "rate limit", "speeding", SOFT, 0 },
	{ "policy", "policyviolation", SOFT, 0 },
	{ "content filter", "contenterror", SOFT, 0 },
	{ "content rejected", "contenterror", SOFT, 0 },
	{ "mailer error", "mailererror", SOFT, 0 },
	{ "system error", "systemerror", SOFT, 0 },
	{ "expired", "expired", SOFT, 0 },
	{ "retry timeout", "expired", SOFT, 0 },
	{ "retry time", "expired", SOFT, 0 },
	{ "timed out", "expired", SOFT, 0 },
	{ "could not be delivered for", "expired", SOFT, 0 },
	{ "connection refused", "networkerror", SOFT, 0 },
	{ "network is unreachable", "networkerror", SOFT, 0 },
	{ "no route to host", "networkerror", SOFT, 0 },
	{ "name service error", "networkerror", SOFT, 0 },
	{ "name server reply", "networkerror", SOFT, 0 },
	{ "host name lookup failure", "networkerror", SOFT, 0 },
	{ "connection reset", "networkerror", SOFT, 0 },
	/* the address or its domain */
	{ "has moved", "hasmoved", HARD, 0 },
	{ "moved to", "hasmoved", HARD, 0 },
	{ "no longer", "hasmoved", HARD, 0 },
	{ "does not accept mail", "notaccept", HARD, 0 },
	{ "accepts no mail", "notaccept", HARD, 0 },
	{ "null mx", "notaccept", HARD, 0 },
	{ "no smtp service", "notaccept", HARD, 0 },
	{ "no mx record", "notaccept", HARD, 0 },
	{ "host unknown", "hostunknown", HARD, 0 },
	{ "host not found", "hostunknown", HARD, 0 },
	{ "host * not found", "hostunknown", HARD, 0 },
	{ "unknown host", "hostunknown", HARD, 0 },
	{ "domain not found", "hostunknown", HARD, 0 },
	{ "domain name not found", "hostunknown", HARD, 0 },
	{ "no such domain", "hostunknown", HARD, 0 },
	{ "unknown domain", "hostunknown", HARD, 0 },
	{ "name or service not known", "hostunknown", HARD, 0 },
	{ "domain does not exist", "hostunknown", HARD, 0 },
	{ "domain is not reachable", "hostunknown", HARD, 0 },
	{ "unrouteable mail domain", "hostunknown", HARD, 0 },
	{ "host or domain name not found", "hostunknown", HARD, 0 },
	{ "nxdomain", "hostunknown", HARD, 0 },
	{ "unable to route", "hostunknown", HARD, 0 },
	/* no such user, in the many ways servers say it */
	{ "user unknown", "userunknown", NO_USER, 0 },
	{ "unknown user", "userunknown", NO_USER, 0 },
	{ "user not known", "userunknown", NO_USER, 0 },
	{ "no such user", "userunknown", NO_USER, 0 },
	{ "no such recipient", "userunknown", NO_USER, 0 },
	{ "no such mailbox", "userunknown", NO_USER, 0 },
	{ "no such account", "userunknown", NO_USER, 0 },
	{ "no such person", "userunknown", NO_USER, 0 },
	{ "no such address", "userunknown", NO_USER, 0 },
	{ "no mailbox here by that name", "userunknown", NO_USER, 0 },
	{ "unknown recipient", "userunknown", NO_USER, 0 },
	{ "recipient unknown", "userunknown", NO_USER, 0 },
	{ "unknown mailbox", "userunknown", NO_USER, 0 },
	{ "unknown address", "userunknown", NO_USER, 0 },
	{ "unknown account", "userunknown", NO_USER, 0 },
	{ "unknown local part", "userunknown", NO_USER, 0 },
	{ "unknown local-part", "userunknown", NO_USER, 0 },
	{ "addressee unknown", "userunknown", NO_USER, 0 },
	{ "alias unknown", "userunknown", NO_USER, 0 },
	{ "unknown or illegal alias", "userunknown", NO_USER, 0 },
	{ "invalid recipient", "userunknown", NO_USER, 0 },
	{ "invalid mailbox", "userunknown", NO_USER, 0 },
	{ "invalid address", "userunknown", NO_USER, 0 },
	{ "invalid user", "userunknown", NO_USER, 0 },
	{ "not a valid user", "userunknown", NO_USER, 0 },
	{ "not a valid mailbox", "userunknown", NO_USER, 0 },
	{ "not a valid recipient", "userunknown", NO_USER, 0 },
	{ "not a valid address", "userunknown", NO_USER, 0 },
	{ "not a known user", "userunknown", NO_USER, 0 },
	{ "not our customer", "userunknown", NO_USER, 0 },
	{ "recipient name is not recognized", "userunknown", NO_USER, 0 },
	{ "mailbox not found", "userunknown", NO_USER, 0 },
	{ "mailbox not present", "userunknown", NO_USER, 0 },
	{ "mailbox unavailable", "userunknown", NO_USER, 0 },
	{ "mailbox is unavailable", "userunknown", NO_USER, 0 },
	{ "account is unavailable", "userunknown", NO_USER, 0 },
	{ "user not found", "userunknown", NO_USER, 0 },
	{ "recipient not found", "userunknown", NO_USER, 0 },
	{ "address not found", "userunknown", NO_USER, 0 },
	{ "address couldn't be found", "userunknown", NO_USER, 0 },
	{ "address could not be found", "userunknown", NO_USER, 0 },
	{ "bad destination mailbox", "userunknown", NO_USER, 0 },
	{ "unrouteable address", "userunknown", NO_USER, 0 },
	{ "no valid recipients", "userunknown", NO_USER, 0 },
	{ "does not have an account", "userunknown", NO_USER, 0 },
	{ "doesn't have a", "userunknown", NO_USER, 0 },
	{ "no account", "userunknown", NO_USER, 0 },
	{ "no mailbox", "userunknown", NO_USER, 0 },
	{ "does not exist", "userunknown", NO_USER, 0 },
	{ "doesn't exist", "userunknown", NO_USER, 0 },
	{ "user not exist", "userunknown", NO_USER, 0 },
	{ "non-existent user", "userunknown", NO_USER, 0 },
	{ "nonexistent user", "userunknown", NO_USER, 0 },
	{ "unknown virtual user", "userunknown", NO_USER, 0 },
	{ "unknown email address", "userunknown", NO_USER, 0 },
	{ "unknown e-mail address", "userunknown", NO_USER, 0 },
	{ "no mailbox by that name", "userunknown", NO_USER, 0 },
	{ "address not present in directory", "userunknown", NO_USER, 0 },
	{ "invalid final delivery userid", "userunknown", NO_USER, 0 },
	/* the same in the languages of Kith's first communities and their
	 * neighbours */
	{ "utilisateur inconnu", "userunknown", NO_USER, 0 },
	{ "destinataire inconnu", "userunknown", NO_USER, 0 },
	{ "unbekannter empf", "userunknown", NO_USER, 0 },
	{ "usuario desconocido", "userunknown", NO_USER, 0 },
	{ "no existe dicha persona", "userunknown", NO_USER, 0 },
	{ "uživatel neexistuje", "userunknown", NO_USER, 0 },
	{ "schránka neexistuje", "userunknown", NO_USER, 0 },
	{ "존재하지 않는 사용자", "userunknown", NO_USER, 0 },	/* no such user */
	{ "존재하지 않는 주소", "userunknown", NO_USER, 0 },	/* no such address */
	{ "recipient address rejected: access denied", "userunknown",
	    NO_USER, 0 },
	{ "not listed", "userunknown", NO_USER, 0 },
	/* generic: only when nothing else is named */
	{ "rejected", "rejected", GENERIC, 0 },
	{ "denied", "rejected", GENERIC, 0 },
};

/* Where text has pattern ('*' = up to STAR_SPAN characters); NULL if not. */
static const char *
phrase_at(const char *text, const char *pattern)
{
	const char *star = strchr(pattern, '*'), *p;
	size_t n;

	if (star == NULL)
		return strstr(text, pattern);
	n = (size_t)(star - pattern);
	for (p = text; *p; p++) {
		const char *hit;

		if (strncmp(p, pattern, n))
			continue;
		if ((hit = strstr(p + n, star + 1)) == NULL)
			return NULL;
		if (hit - (p + n) <= STAR_SPAN)
			return p;
	}
	return NULL;
}

/*
 * phrase_find - the phrase that starts first in text (lower-case,
 * collapsed), a GENERIC one only when there is no other; NULL if none.
 * *where gets its place.
 */
static const struct phrase *
phrase_find(const char *text, const char **where)
{
	const struct phrase *best = NULL;
	const char *at = NULL;

	for (int generic = 0; text && best == NULL && generic < 2; generic++)
		for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]);
		    i++) {
			const char *hit;

			if ((phrases[i].kind == GENERIC) != generic)
				continue;
			hit = phrase_at(text, phrases[i].text);
			if (hit && (at == NULL || hit < at)) {
				at = hit;
				best = &phrases[i];
			}
		}
	if (where)
		*where = at;
	return best;
}

/*
 * What a status code says (RFC 3463), by subject.detail.  ADDRESS codes
 * say the address is bad and decide unless the text names a reason that
 * beats them; STRONG ones decide the reason; WEAK ones (the "other"
 * codes, and 4.4 which servers use for any lookup trouble) only when the
 * text says nothing.
 */
enum strength { ADDRESS, STRONG, WEAK };

static const struct code {
	const char *code;
	const char *reason;
	int hard;
	enum strength strength;
} codes[] = {
	{ "1.1", "userunknown", 1, ADDRESS }, { "1.2", "hostunknown", 1, ADDRESS },
	{ "1.3", "userunknown", 1, ADDRESS }, { "1.6", "hasmoved", 1, ADDRESS },
	{ "1.10", "notaccept", 1, ADDRESS }, { "7.17", "hasmoved", 1, ADDRESS },
	{ "7.18", "hasmoved", 1, ADDRESS },
	{ "1.4", "filtered", 0, STRONG }, { "1.7", "rejected", 0, STRONG },
	{ "1.8", "rejected", 0, STRONG }, { "1.9", "systemerror", 0, STRONG },
	{ "2.1", "suspend", 0, STRONG }, { "2.2", "mailboxfull", 0, STRONG },
	{ "2.3", "exceedlimit", 0, STRONG }, { "2.4", "filtered", 0, STRONG },
	{ "3.1", "systemfull", 0, STRONG }, { "3.2", "notaccept", 1, STRONG },
	{ "3.3", "systemerror", 0, STRONG }, { "3.4", "mesgtoobig", 0, STRONG },
	{ "3.5", "systemerror", 0, STRONG },
	{ "4.2", "networkerror", 0, STRONG }, { "4.3", "systemerror", 0, STRONG },
	{ "4.5", "systemfull", 0, STRONG }, { "4.6", "networkerror", 0, STRONG },
	{ "4.7", "expired", 0, STRONG }, { "5.3", "toomanyconn", 0, STRONG },
	{ "7.1", "blocked", 0, STRONG }, { "7.13", "suspend", 0, STRONG },
	{ "7.20", "authfailure", 0, STRONG }, { "7.21", "authfailure", 0, STRONG },
	{ "7.22", "authfailure", 0, STRONG }, { "7.23", "authfailure", 0, STRONG },
	{ "7.24", "authfailure", 0, STRONG }, { "7.25", "requireptr", 0, STRONG },
	{ "7.26", "authfailure", 0, STRONG }, { "7.27", "rejected", 0, STRONG },
	{ "7.28", "spamdetected", 0, STRONG },
	{ "0.0", "undefined", 0, WEAK }, { "1.0", "userunknown", 1, WEAK },
	{ "2.0", "filtered", 0, WEAK }, { "3.0", "systemerror", 0, WEAK },
	{ "4.0", "networkerror", 0, WEAK }, { "4.4", "hostunknown", 1, WEAK },
	/* "no answer from host", also what Microsoft says for recipients
	 * its directory does not know */
	{ "4.1", "networkerror", 0, WEAK },
	{ "5.0", "syntaxerror", 0, WEAK }, { "6.0", "contenterror", 0, WEAK },
	{ "7.0", "securityerror", 0, WEAK },
	/* the rest of a subject, after the exact ones above */
	{ "5.", "syntaxerror", 0, STRONG }, { "6.", "contenterror", 0, STRONG },
	{ "7.", "securityerror", 0, STRONG },
};

/* What status ("5.1.1") says; NULL when nothing (or no status). */
static const struct code *
code_find(const char *status)
{
	const char *sd = status[0] && status[1] == '.' ? status + 2 : NULL;

	for (size_t i = 0; sd && i < sizeof(codes) / sizeof(codes[0]); i++) {
		size_t n = strlen(codes[i].code);

		if (codes[i].code[n - 1] == '.' ? !strncmp(sd, codes[i].code, n) :
		    !strcmp(sd, codes[i].code))
			return &codes[i];
	}
	return NULL;
}

/* How much a status code says: 2 with a detail, 1 a subject, 0 "x.0.0". */
static int
status_rank(const char *s)
{
	const char *dot = strchr(s, '.');

	if (*s == '\0' || dot == NULL)
		return -1;
	if (strcmp(strchr(dot + 1, '.') ? strchr(dot + 1, '.') + 1 : "0", "0"))
		return 2;
	return strncmp(dot + 1, "0.", 2) ? 1 : 0;
}

/*
 * best_status - the most specific status code "d.ddd.ddd" in s (class 4
 * or 5, and 2 too when with_success: a Status: field, where a version
 * number cannot be) copied into out; 0 when none.  "5.1.0 - Unknown
 * address error 550-'5.7.1 ...'" gives the remote server's 5.7.1.
 */
static int
best_status(const char *s, char *out, size_t n, int with_success)
{
	int found = 0;

	for (const char *p = s; *p; p++) {
		int a, b, len;
		char code[16];

		if ((*p != '4' && *p != '5' && (*p != '2' || !with_success)) ||
		    (p > s && (isdigit((unsigned char)p[-1]) || p[-1] == '.')) ||
		    p[1] != '.')
			continue;
		if (sscanf(p, "%*1d.%3d.%3d%n", &a, &b, &len) != 2 || len > 9 ||
		    isdigit((unsigned char)p[len]) || (p[len] == '.' &&
		    isdigit((unsigned char)p[len + 1])))
			continue;
		snprintf(code, sizeof(code), "%.*s", len, p);
		if (!found || status_rank(code) > status_rank(out)) {
			snprintf(out, n, "%s", code);
			found = 1;
		}
		p += len - 1;
	}
	return found;
}

/* An SMTP reply code (4xx or 5xx) standing alone in s; 0 when none. */
static int
find_smtp_code(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((*p == '4' || *p == '5') && isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2]) && (p == s ||
		    !isalnum((unsigned char)p[-1])) && (p[3] == ' ' ||
		    p[3] == '-' || p[3] == ':' || p[3] == '\0') && p[1] <= '5')
			return (p[0] - '0') * 100 + (p[1] - '0') * 10 + p[2] - '0';
	return 0;
}

/*
 * in_reply - are the words at at (in text) part of a server's reply, an
 * SMTP code standing shortly before them ("550 <x>: User unknown"), or
 * the reporting server's own words ("That's not a valid user here")?
 */
static int
in_reply(const char *text, const char *at)
{
	const char *from = at - text > 100 ? at - 100 : text;
	char *before = xstrndup(from, (size_t)(at - from));
	int code = find_smtp_code(before);

	free(before);
	return code != 0;
}

/* In which SMTP step the server refused (as the report tells it). */
enum phase { PHASE_NONE, PHASE_MAIL, PHASE_RCPT, PHASE_DATA };

/* The step named in text (lower-case, collapsed); the earliest wins. */
static enum phase
phase_in(const char *text)
{
	static const struct {
		const char *text;
		enum phase phase;
	} marks[] = {
		{ "in reply to mail from", PHASE_MAIL },
		{ "after mail from", PHASE_MAIL },
		{ "in reply to end of data", PHASE_DATA },
		{ "after end of data", PHASE_DATA },
		{ "in reply to data", PHASE_DATA }, { "after data", PHASE_DATA },
		{ "in reply to rcpt", PHASE_RCPT }, { "after rcpt", PHASE_RCPT },
		{ "did not like our rcpt", PHASE_RCPT },
		{ "rcpt to response", PHASE_RCPT },	/* qmail */
		{ "[rcpt_to]", PHASE_RCPT },		/* Yahoo */
		{ "smtp:rcpt", PHASE_RCPT },
		{ "does not like recipient", PHASE_RCPT },
	};
	const char *best = NULL;
	enum phase ph = PHASE_NONE;

	for (size_t i = 0; text && i < sizeof(marks) / sizeof(marks[0]); i++) {
		const char *hit = strstr(text, marks[i].text);

		if (hit && (best == NULL || hit < best)) {
			best = hit;
			ph = marks[i].phase;
		}
	}
	return ph;
}

/* Text lower-cased with every run of white space made one space. */
static char *
squash(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	int space = 1;

	for (size_t i = 0; i < n && s[i]; i++) {
		if (isspace((unsigned char)s[i])) {
			if (!space)
				*o++ = ' ';
			space = 1;
		} else {
			*o++ = (char)tolower((unsigned char)s[i]);
			space = 0;
		}
	}
	*o = '\0';
	return out;
}

/* All that is known about a report while it is read. */
struct reading {
	struct bounce_report *r;
	struct message m;
	const char *raw;	/* the report, LF line ends only */
	char *copy;		/* raw when it had to be copied */
	char *low;		/* its first PARTS_MAX bytes, lower-cased */
	size_t len, lowlen;
	size_t human;		/* length of the human-readable part of m.text */
	char *whole;		/* subject and human part, squashed */
	char *own[MAX_RCPTS];	/* per recipient: what the report says of it */
	int xunix[MAX_RCPTS];	/* per recipient: a local program failed */
	char *senders[MAX_SENDERS];	/* the sender's own addresses */
	size_t nsenders;
};

/*
 * lf_text - raw without an mbox "From " line and with every line end made
 * LF (CRLF and a lone CR alike): raw itself when it has no CR, else a
 * copy in *copy (NULL when none) that the caller frees.
 */
static const char *
lf_text(const char *raw, size_t len, size_t *outlen, char **copy)
{
	char *o;

	*copy = NULL;
	if (len > 5 && !memcmp(raw, "From ", 5)) {
		const char *nl = raw;

		while (nl < raw + len && *nl != '\n' && *nl != '\r')
			nl++;
		if (nl < raw + len) {
			nl += nl + 1 < raw + len && nl[0] == '\r' &&
			    nl[1] == '\n' ? 2 : 1;
			len -= (size_t)(nl - raw);
			raw = nl;
		}
	}
	*outlen = len;
	if (memchr(raw, '\r', len) == NULL)
		return raw;
	*copy = o = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\r') {
			*o++ = '\n';
			if (i + 1 < len && raw[i + 1] == '\n')
				i++;
		} else
			*o++ = raw[i];
	}
	*o = '\0';
	*outlen = (size_t)(o - *copy);
	return *copy;
}

/* The entry for addr (NULL: one that names nobody); NULL when full. */
static struct bounce_rcpt *
rcpt_add(struct bounce_report *r, const char *addr)
{
	char *norm = addr ? address_normalize(addr) : NULL;
	struct bounce_rcpt *rc;

	for (size_t i = 0; norm && i < r->n; i++)
		if (!strcmp(r->rcpts[i].address, norm)) {
			free(norm);
			return &r->rcpts[i];
		}
	if (r->n >= MAX_RCPTS) {
		free(norm);
		return NULL;
	}
	r->rcpts = xrealloc(r->rcpts, (r->n + 1) * sizeof(*r->rcpts));
	rc = &r->rcpts[r->n++];
	memset(rc, 0, sizeof(*rc));
	rc->address = norm ? norm : xstrdup("");
	rc->diagnostic = xstrdup("");
	rc->action = BOUNCE_FAILED;
	return rc;
}

/* Value after "rfc822;" (or any type;), trimmed. */
static char *
dsn_value(const char *v)
{
	const char *semi = strchr(v, ';');
	char *s = xstrdup(semi ? semi + 1 : v), *t = xstrdup(str_trim(s));

	free(s);
	return t;
}

/*
 * part_body - the body of the part whose Content-Type is type (lower
 * case): from after its header block to the next boundary line.  NULL if
 * none.  Searched in low, the report lower-cased (a fast memmem instead
 * of a case-blind search over what may be megabytes).
 */
static char *
part_body(const char *raw, const char *low, size_t len, const char *type)
{
	const char *end = low + len, *p = low, *hdr, *body, *stop;

	while ((hdr = memmem(p, (size_t)(end - p), type, strlen(type)))) {
		const char *line = hdr;

		while (line > low && line[-1] != '\n')
			line--;
		p = hdr + strlen(type);
		if (strncmp(line, "content-type:", 13) &&
		    !isspace((unsigned char)*line))
			continue;
		body = p;
		while (body + 1 < end && !(body[0] == '\n' && body[1] == '\n'))
			body++;
		if (body + 1 >= end)
			return NULL;
		body += 2;
		for (stop = body; stop < end; stop++)
			if (stop[0] == '-' && stop + 1 < end && stop[1] == '-' &&
			    (stop == low || stop[-1] == '\n'))
				break;
		return xstrndup(raw + (body - low), (size_t)(stop - body));
	}
	return NULL;
}

/* One recipient's fields in a delivery-status part, in any order. */
struct dsn_group {
	char *final, *original, *action, *status, *diag;
	char **last;		/* the field a folded line continues */
};

static enum bounce_action
dsn_action(const char *action, const char *status)
{
	if (action == NULL || *action == '\0')
		return *status == '2' ? BOUNCE_DELIVERED : BOUNCE_FAILED;
	if (str_casestarts(action, "delayed"))
		return BOUNCE_DELAYED;
	if (str_casestarts(action, "delivered") ||
	    str_casestarts(action, "relayed") ||
	    str_casestarts(action, "expanded") ||
	    str_casestarts(action, "deliverable"))	/* Postfix's verify */
		return BOUNCE_DELIVERED;
	return BOUNCE_FAILED;
}

/* The recipient a group of fields describes, into the report. */
static void
group_flush(struct reading *rd, struct dsn_group *g)
{
	struct bounce_report *r = rd->r;
	char *a = NULL;
	struct bounce_rcpt *rc;

	/* The address as the sender wrote it (what Kith sent to), else
	 * where it failed (a forwarded address, an internal one). */
	for (int k = 0; k < 2 && a == NULL; k++) {
		const char *f = k == 0 ? g->original : g->final;
		char *v, *norm;

		if (f == NULL)
			continue;
		v = dsn_value(f);
		if ((norm = address_normalize(v)) != NULL && strchr(norm, '.'))
			a = v;
		else
			free(v);
		free(norm);
	}
	if (a == NULL && (g->final || g->original))
		a = dsn_value(g->final ? g->final : g->original);
	if (a && (rc = rcpt_add(r, a)) != NULL) {
		size_t i = (size_t)(rc - r->rcpts);

		if (g->status)
			best_status(g->status, rc->status, sizeof(rc->status), 1);
		rc->action = dsn_action(g->action, rc->status);
		if (g->diag) {
			free(rc->diagnostic);
			rc->diagnostic = dsn_value(g->diag);
			/* "x-unix; ...": a local delivery program failed */
			rd->xunix[i] = str_casestarts(g->diag, "x-unix");
		}
	}
	free(a);
	free(g->final);
	free(g->original);
	free(g->action);
	free(g->status);
	free(g->diag);
	memset(g, 0, sizeof(*g));
}

/*
 * parse_dsn - the recipients of a message/delivery-status part.  Each
 * recipient's fields form a group (RFC 3464: separated by blank lines,
 * in any order); reports that leave out the blank lines start a new
 * recipient at a second Final- or Original-Recipient.
 */
static void
parse_dsn(struct reading *rd, const char *ds)
{
	struct dsn_group g;
	char *copy = xstrdup(ds), *line = copy, *next;

	memset(&g, 0, sizeof(g));
	for (; line; line = next) {
		char *colon, *name, *v, **field = NULL;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*str_trim(line) == '\0') {
			group_flush(rd, &g);
			continue;
		}
		if ((*line == ' ' || *line == '\t') && g.last && *g.last) {
			char *more = xasprintf("%s %s", *g.last, str_trim(line));

			free(*g.last);
			*g.last = more;
			continue;
		}
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		name = str_trim(line);
		v = str_trim(colon + 1);
		if (!strcasecmp(name, "final-recipient"))
			field = &g.final;
		else if (!strcasecmp(name, "original-recipient"))
			field = &g.original;
		else if (!strcasecmp(name, "action"))
			field = &g.action;
		else if (!strcasecmp(name, "status"))
			field = &g.status;
		else if (!strcasecmp(name, "diagnostic-code"))
			field = &g.diag;
		if ((field == &g.final && g.final) || (field == &g.original &&
		    (g.original || (g.final && (g.action || g.status)))))
			group_flush(rd, &g);
		g.last = field;
		if (field && *field == NULL)
			*field = xstrdup(v);
	}
	group_flush(rd, &g);
	free(copy);
}

/*
 * json_string - the string value of "key" in the JSON text [p, e), with
 * \" \\ \/ undone; NULL when absent.  Enough for the flat objects of
 * a notification; no general JSON.
 */
static char *
json_string(const char *p, const char *e, const char *key)
{
	char *quoted = xasprintf("\"%s\"", key), *out;
	const char *k = mem_casestr(p, (size_t)(e - p), quoted), *v;
	size_t n = strlen(quoted);
	struct buf b;

	free(quoted);
	if (k == NULL)
		return NULL;
	for (v = k + n; v < e && (*v == ' ' || *v == ':'); v++)
		;
	if (v >= e || *v != '"')
		return NULL;
	buf_init(&b);
	for (v++; v < e && *v != '"'; v++) {
		if (*v == '\\' && v + 1 < e)
			v++;
		buf_addc(&b, *v);
	}
	buf_addc(&b, '\0');
	out = buf_detach(&b, NULL);
	return out;
}

/*
 * parse_ses - the recipients of an Amazon SES bounce notification (JSON
 * mailed through SNS, as it is or as the string "Message" of an SNS
 * notification): each of "bouncedRecipients" read as the fields of a
 * delivery-status part.
 */
static void
parse_ses(struct reading *rd)
{
	char *t, *type, *o;
	const char *e, *list, *obj, *end;

	if (strstr(rd->m.text, "notificationType") == NULL)
		return;
	t = o = xstrndup(rd->m.text, strnlen(rd->m.text, HUMAN_MAX));
	/* one level of JSON string escaping undone: \" is " */
	for (const char *p = t; *p; p++)
		if (!(p[0] == '\\' && p[1] == '"'))
			*o++ = *p;
	*o = '\0';
	e = t + strlen(t);
	type = json_string(t, e, "notificationType");
	if (type == NULL || strcasecmp(type, "Bounce") ||
	    (list = strstr(t, "\"bouncedRecipients\"")) == NULL) {
		free(type);
		free(t);
		return;
	}
	free(type);
	end = strchr(list, ']');
	for (obj = strchr(list, '{'); obj && end && obj < end;
	    obj = strchr(obj + 1, '{')) {
		const char *close = strchr(obj, '}');
		struct dsn_group g;

		if (close == NULL)
			break;
		memset(&g, 0, sizeof(g));
		g.final = json_string(obj, close, "emailAddress");
		g.action = json_string(obj, close, "action");
		g.status = json_string(obj, close, "status");
		g.diag = json_string(obj, close, "diagnosticCode");
		group_flush(rd, &g);
	}
	free(t);
}

static int
subject_has(const char *subject, const char *const *words)
{
	char *low = str_lower(xstrdup(subject));
	int hit = 0;

	for (int i = 0; words[i] && !hit; i++)
		hit = strstr(low, words[i]) != NULL;
	free(low);
	return hit;
}

static int
looks_automatic_reply(const struct message *m, const char *raw, size_t len)
{
	static const char *const words[] = { "out of office", "out of the office",
		"auto:", "automatic reply", "autoreply", "auto-reply",
		"auto reply", "vacation", "away from", "abwesenheit",
		"réponse automatique", "respuesta automática",
		"automatische antwort", "on leave", NULL };
	size_t hend = header_block_end(raw, len);

	return subject_has(m->subject, words) ||
	    mem_casestr(raw, hend, "\nx-autoreply:") ||
	    mem_casestr(raw, hend, "\nx-autorespond:") ||
	    mem_casestr(raw, hend, "\nprecedence: auto_reply");
}

/*
 * says_undelivered - the first lines of text (squashed) say that a
 * message was not delivered, as a mail system says it.  For reports
 * whose sender and subject say nothing (carriers' own notices, "You sent
 * mail to ...").
 */
static int
says_undelivered(const char *text)
{
	static const char *const words[] = { "could not be delivered to",
		"couldn't be delivered to", "was not delivered to",
		"wasn't delivered to", "has not been delivered to",
		"could not deliver your message", "unable to deliver your message",
		"delivery to the following recipient", "undeliverable",
		"not a valid user here", "no such user here", NULL };
	size_t n = strlen(text) > 1500 ? 1500 : strlen(text);

	for (int i = 0; words[i]; i++) {
		const char *hit = strstr(text, words[i]);

		if (hit && (size_t)(hit - text) < n)
			return 1;
	}
	return 0;
}

static int
looks_like_bounce(const struct message *m, const char *raw, size_t len)
{
	static const char *const words[] = { "undeliver", "delivery fail",
		"delivery status notification", "failure notice",
		"returned mail", "mail delivery failed", "delivery problem",
		"nondeliverable", "non-deliverable", "non delivery",
		"could not be delivered", "not delivered", "delivery failure",
		"permanent error", "permanent delivery", "mail system error",
		"warning: message", "delayed", "rejected", "bounce", "returned",
		"failed delivery", "delivery notification", "mail failure",
		"error sending", "unable to deliver", "message not delivered",
		"nicht zustellbar", "unzustellbar", "non remis", "non-delivery",
		"delivery warning", "error", "\xe3\x82\xa8\xe3\x83\xa9\xe3\x83\xbc",
		/* "エラー", error */ NULL };
	static const char *const senders[] = { "mailer-daemon", "postmaster",
		"mail-daemon", "mailerdaemon", "mdaemon", "mailer_daemon",
		"mail delivery", "maildelivery", "post_master", NULL };
	char *from = str_lower(xasprintf("%s %s", m->from_addr, m->from_name));
	size_t hend = header_block_end(raw, len);
	int hit = subject_has(m->subject, words) ||
	    mem_casestr(raw, hend, "\nx-failed-recipients:") != NULL ||
	    mem_casestr(raw, hend, "report-type=delivery-status") != NULL ||
	    mem_casestr(raw, hend, "report-type=\"delivery-status\"") != NULL;

	for (int i = 0; senders[i] && !hit; i++)
		hit = strstr(from, senders[i]) != NULL;
	free(from);
	return hit;
}

/*
 * looks_like_challenge - a challenge-response mail (Boxbe, TMDA, Spam
 * Arrest, Mailinblack ...): the recipient's filter holds the message
 * until the sender proves to be a person.  Not a failure: the address
 * works, and nobody may answer the challenge on the member's behalf.
 */
static int
looks_like_challenge(const struct reading *rd)
{
	static const char *const headers[] = { "\nx-boxbe", "\nx-challenge",
		"\nx-delivery-agent: tmda", "\nx-spamarrest", "\nx-mailinblack",
		NULL };
	static const char *const words[] = { "boxbe", "spam arrest",
		"spamarrest", "mailinblack", "tmda", "guest pass",
		"challenge-response", "challenge/response", "you are a human",
		"you're a human", "are a real person", "not a robot",
		"list of approved senders", "senders i have approved",
		"verify that you sent", "verify your message",
		"confirm your message", NULL };
	size_t hend = header_block_end(rd->raw, rd->len);

	for (int i = 0; headers[i]; i++)
		if (mem_casestr(rd->raw, hend, headers[i]))
			return 1;
	for (int i = 0; words[i]; i++)
		if (strstr(rd->whole, words[i]))
			return 1;
	return 0;
}

/*
 * says_delayed - the words of a warning (the server is still trying)
 * and none of a final failure, in text (squashed).
 */
static int
says_delayed(const char *text)
{
	static const char *const final[] = { "permanent error",
		"permanent failure", "permanent fatal", "permanently",
		"given up", "giving up", "gave up", "will not continue",
		"will not be retried", "will not retry", NULL };
	static const char *const still[] = { "warning only",
		"warning message only", "this is a warning",
		"do not need to resend", "do not need to re-send",
		"no action is required", "not yet been delivered",
		"will keep trying", "will continue trying",
		"will continue to try", "still trying", "still being retried",
		"will be retried", "will retry", "will try again",
		"attempts will continue", "temporary failure report",
		"has been delayed", "delayed mail", "delivery delayed",
		"warning: message", NULL };

	for (int i = 0; final[i]; i++)
		if (strstr(text, final[i]))
			return 0;
	for (int i = 0; still[i]; i++)
		if (strstr(text, still[i]))
			return 1;
	return 0;
}

/* Where the copy of the original starts in a report's text (at most max). */
static size_t
human_part_len(const char *text, size_t max)
{
	static const char *const marks[] = { "original message",
		"unsent message", "returned message", "message follows",
		"copy of the message", "copy of your message", "headers of",
		"below this line", "message header follows",
		"undelivered message", NULL };

	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		const char *t = line;

		if ((size_t)(line - text) >= max)
			return max;
		while (t < line + n && isspace((unsigned char)*t))
			t++;
		if (*t == '-' || *t == '=' || *t == '_' || *t == '*')
			for (int i = 0; marks[i]; i++)
				if (mem_casestr(line, n, marks[i]))
					return (size_t)(line - text);
		if (str_casestarts(t, "received: from") ||
		    str_casestarts(t, "return-path:"))
			return (size_t)(line - text);
		line += n + (nl ? 1 : 0);
	}
	return strnlen(text, max);
}

/* Call fn with every plausible address (normalised) in text[0..n). */
static void
each_address(const char *text, size_t n, void (*fn)(const char *, void *),
    void *ctx)
{
	const char *end = text + n;

	for (const char *p = text; p < end; p++) {
		const char *s, *e;
		char *cand, *norm;

		if (*p != '@')
			continue;
		/* Not ' = /: "smtp=user@x" and quoted 'user@x' are common. */
		for (s = p; s > text && (isalnum((unsigned char)s[-1]) ||
		    strchr(".-_+%!#$&*?^`{|}~", s[-1])); s--)
			;
		for (e = p + 1; e < end && (isalnum((unsigned char)*e) ||
		    *e == '.' || *e == '-'); e++)
			;
		while (e > p + 1 && e[-1] == '.')
			e--;
		if (s == p || e == p + 1 || !memchr(p, '.', (size_t)(e - p)))
			continue;
		cand = xstrndup(s, (size_t)(e - s));
		if ((norm = address_normalize(cand)) != NULL)
			fn(norm, ctx);
		free(norm);
		free(cand);
		p = e - 1;
	}
}

/* Is [p, e) only white space? */
static int
blank(const char *p, const char *e)
{
	while (p < e && isspace((unsigned char)*p))
		p++;
	return p == e;
}

static void
add_sender(const char *a, void *ctx)
{
	struct reading *rd = ctx;

	for (size_t i = 0; i < rd->nsenders; i++)
		if (!strcmp(rd->senders[i], a))
			return;
	if (rd->nsenders < MAX_SENDERS)
		rd->senders[rd->nsenders++] = xstrdup(a);
}

/* The first address in s into the sender's own. */
static void
first_sender(struct reading *rd, const char *s, size_t n)
{
	char *one = NULL;
	const char *at = memchr(s, '@', n);

	if (at == NULL)
		return;
	/* the word around the first '@' only */
	while (at < s + n && *at != ' ' && *at != '>' && *at != ',')
		at++;
	one = xstrndup(s, (size_t)(at - s));
	each_address(one, strlen(one), add_sender, rd);
	free(one);
}

/*
 * collect_senders - the sender's own addresses, which are never the
 * failed recipient: who sent the report and to whom (the envelope
 * sender of the original: for a list, its bounce address), and the
 * sender of the returned copy wherever the report shows it (Return-Path,
 * Sender, Errors-To, X-Postfix-Sender, MAIL FROM, Received
 * "envelope-from", From).  Only up to the end of the copy's own header
 * block: messages quoted in it have senders of their own.  (When a
 * member's own post bounces back to the list, the report then names
 * nobody, and the VERP token says who.)
 */
static void
collect_senders(struct reading *rd)
{
	static const char *const fields[] = { "return-path:", "sender:",
		"errors-to:", "x-postfix-sender:", NULL };
	static const char *const own[] = { "To", "Cc", NULL };
	const char *p = rd->raw + rd->m.body_off, *end = rd->raw + rd->len;
	struct buf from, to;

	if (end - p > COPY_MAX)
		end = p + COPY_MAX;
	int in_copy = 0;

	buf_init(&from);
	buf_init(&to);

	if (*rd->m.from_addr)
		add_sender(rd->m.from_addr, rd);
	for (int i = 0; own[i]; i++) {
		char *v = message_header(&rd->m, own[i]);

		if (v)
			each_address(v, strlen(v), add_sender, rd);
		free(v);
	}
	/* A list's bounce address (LIST-bounces+TOKEN@host) stands for the
	 * list, LIST@host, which reports name as the sender too. */
	for (size_t i = 0, n = rd->nsenders; i < n; i++) {
		const char *a = rd->senders[i], *b = strstr(a, "-bounces"),
		    *at = strchr(a, '@');

		if (b && at && b < at) {
			char *list = xasprintf("%.*s%s", (int)(b - a), a, at);

			add_sender(list, rd);
			free(list);
		}
	}
	for (const char *nl; p < end; p = nl + 1) {
		const char *t = p, *env;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		while (t < nl && (*t == ' ' || *t == '>'))
			t++;
		/* up to the end of the copy's header block: a copy may
		 * hold other messages, with senders of their own */
		if (in_copy && blank(t, nl))
			break;
		in_copy |= str_casestarts(t, "received:") ||
		    str_casestarts(t, "return-path:");
		for (int i = 0; fields[i]; i++)
			if (str_casestarts(t, fields[i]))
				first_sender(rd, t + strlen(fields[i]),
				    (size_t)(nl - t) - strlen(fields[i]));
		if ((env = mem_casestr(t, (size_t)(nl - t), "envelope-from")))
			first_sender(rd, env + 13, (size_t)(nl - env) - 13);
		/* "... after MAIL FROM:<sender> SIZE=1234:" */
		if ((env = mem_casestr(t, (size_t)(nl - t), "mail from:")))
			first_sender(rd, env + 10, (size_t)(nl - env) - 10);
		if (str_casestarts(t, "from:")) {
			buf_add(&from, t + 5, (size_t)(nl - t) - 5);
			buf_addc(&from, '\n');
		}
		if (str_casestarts(t, "to:") || str_casestarts(t, "cc:")) {
			buf_add(&to, t, (size_t)(nl - t));
			buf_addc(&to, '\n');
		}
		if (nl == end)
			break;
	}
	/* The copy's From, unless it is also its recipient: someone who
	 * wrote to themselves, a member whose own post came back. */
	buf_addc(&from, '\0');
	buf_addc(&to, '\0');
	str_lower(to.data);
	for (char *f = from.data, *nl2; f && *f; f = nl2 ? nl2 + 1 : NULL) {
		size_t before = rd->nsenders;

		if ((nl2 = strchr(f, '\n')) != NULL)
			*nl2 = '\0';
		first_sender(rd, f, strlen(f));
		if (rd->nsenders > before &&
		    strstr(to.data, rd->senders[rd->nsenders - 1]))
			free(rd->senders[--rd->nsenders]);
	}
	buf_release(&from);
	buf_release(&to);
}

/* Is a the sender's own address? */
static int
is_sender(const struct reading *rd, const char *a)
{
	if (strstr(a, "-bounces") || strstr(a, "-admin@") ||
	    strstr(a, "-owner@") || strstr(a, "-request@"))
		return 1;
	for (size_t i = 0; i < rd->nsenders; i++)
		if (!strcmp(rd->senders[i], a))
			return 1;
	return 0;
}

/* Mail system addresses: the failed one only when nobody else is named. */
static int
system_address(const char *a)
{
	static const char *const locals[] = { "postmaster@", "mailer-daemon@",
		"mail-daemon@", "mailerdaemon@", "mdaemon@", "root@",
		"abuse@", "noreply@", "no-reply@", "support@", "help@",
		"hostmaster@", "webmaster@", NULL };

	for (int i = 0; locals[i]; i++)
		if (!strncmp(a, locals[i], strlen(locals[i])))
			return 1;
	return 0;
}

/*
 * line_kind - what a line of the human-readable part is, for finding
 * recipients: 0 a statement; 1 a quoted header field of the original
 * ("To: ...", "From: ..."), whose addresses count only when the report
 * states none; 2 a field of message identifiers, which are no addresses.
 */
static int
line_kind(const char *t, const char *e)
{
	static const char *const quoted[] = { "to:", "cc:", "bcc:", "from:",
		"subject:", "date:", "sent:", "reply-to:", "sender:",
		"return-path:", NULL };
	static const char *const ids[] = { "message-id:", "in-reply-to:",
		"references:", "content-id:", NULL };

	while (t < e && (*t == ' ' || *t == '\t' || *t == '>'))
		t++;
	for (int i = 0; ids[i]; i++)
		if (str_casestarts(t, ids[i]))
			return 2;
	for (int i = 0; quoted[i]; i++)
		if (str_casestarts(t, quoted[i]))
			return 1;
	return 0;
}

struct scan {
	struct reading *rd;
	int fallback;		/* this pass takes quoted and system addresses */
};

static void
add_candidate(const char *a, void *ctx)
{
	struct scan *sc = ctx;

	if (!is_sender(sc->rd, a) && (sc->fallback || !system_address(a)))
		rcpt_add(sc->rd->r, a);
}

/* The addresses the human-readable part states, into the report. */
static void
scan_rcpts(struct reading *rd, int fallback)
{
	const char *p = rd->m.text, *end = p + rd->human, *nl;
	struct scan sc = { rd, fallback };

	for (; p < end; p = nl + 1) {
		int kind;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		kind = line_kind(p, nl);
		if (kind == 0 || (kind == 1 && fallback))
			each_address(p, (size_t)(nl - p), add_candidate, &sc);
		if (nl >= end)
			break;
	}
}

/*
 * read_plain - the recipients of a report that is no RFC 3464 one: the
 * X-Failed-Recipients field, else every address the human-readable part
 * states that is not the sender's own (quoted header fields and mail
 * system addresses only when it states none).
 */
static void
read_plain(struct reading *rd)
{
	char *hdr = message_header(&rd->m, "X-Failed-Recipients");
	int delayed;

	if (hdr) {
		char *save = NULL;

		for (char *a = strtok_r(hdr, ", \t", &save); a;
		    a = strtok_r(NULL, ", \t", &save))
			rcpt_add(rd->r, a);
		free(hdr);
	}
	scan_rcpts(rd, 0);
	if (rd->r->n == 0)
		scan_rcpts(rd, 1);
	if (rd->r->n == 0)
		rcpt_add(rd->r, NULL);	/* a bounce that names nobody */
	delayed = says_delayed(rd->whole);
	for (size_t i = 0; i < rd->r->n; i++)
		rd->r->rcpts[i].action = delayed ? BOUNCE_DELAYED :
		    BOUNCE_FAILED;
}

/* Does line[0..n) name another recipient of the report than address? */
static int
names_other(const struct bounce_report *r, const char *line, size_t n,
    const char *address)
{
	for (size_t i = 0; i < r->n; i++)
		if (*r->rcpts[i].address && strcmp(r->rcpts[i].address,
		    address) && mem_casestr(line, n, r->rcpts[i].address))
			return 1;
	return 0;
}

/*
 * text_about - what the human-readable part says of address: every line
 * that names it, with up to SEGMENT_LINES after it, until a blank line
 * (once something followed) or a line that names another recipient.
 */
static char *
text_about(const struct reading *rd, const char *address)
{
	const char *text = rd->m.text, *end = text + rd->human, *p, *nl;
	struct buf b;

	buf_init(&b);
	for (p = text; *address && p < end; p = nl + 1) {
		int lines = 0;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (!mem_casestr(p, (size_t)(nl - p), address))
			goto next;
		for (;;) {
			buf_add(&b, p, (size_t)(nl - p));
			buf_addc(&b, '\n');
			if (nl >= end || ++lines > SEGMENT_LINES)
				break;
			p = nl + 1;
			if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
				nl = end;
			if (blank(p, nl)) {
				if (lines >= 2)
					break;
				continue;
			}
			if (names_other(rd->r, p, (size_t)(nl - p), address))
				break;
		}
next:
		if (nl >= end)
			break;
	}
	buf_addc(&b, '\0');
	return buf_detach(&b, NULL);
}

/* The SMTP command of a transcript line (">>> RCPT To:<...>"). */
static enum phase
command_phase(const char *t, const char *e)
{
	while (t < e && (*t == '>' || *t == ' '))
		t++;
	if (str_casestarts(t, "mail"))
		return PHASE_MAIL;
	if (str_casestarts(t, "rcpt"))
		return PHASE_RCPT;
	if (str_casestarts(t, "data") || str_casestarts(t, "."))
		return PHASE_DATA;
	return PHASE_NONE;
}

/*
 * transcript_phase - in a session transcript (">>> DATA" then "<<< 550
 * ..."), the command the server answered when it refused address: the
 * last one sent before the first reply that names the address (any
 * reply, when the report names one recipient).  Only a reply, or the
 * line right after one, counts: the client's own summary lines further
 * on belong to no command.
 */
static enum phase
transcript_phase(const struct reading *rd, const char *address, int single)
{
	const char *p = rd->m.text, *end = p + rd->human, *nl;
	enum phase last = PHASE_NONE;
	int answer = 0;		/* this line answers the last command */

	for (; p < end; p = nl + 1) {
		const char *t = p;
		int gt = 0, names, reply;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		while (t < nl && (*t == ' ' || *t == '>')) {
			gt += *t == '>';
			t++;
		}
		names = *address && mem_casestr(p, (size_t)(nl - p), address);
		if (gt >= 3) {		/* ">>> RCPT To:<...>" */
			last = command_phase(t, nl);
			if (names)
				return last;
			answer = 1;
			continue;
		}
		/* "<<< 550 ...", and the line the client adds after it */
		reply = str_casestarts(t, "<<<");
		if (last != PHASE_NONE && (reply || answer) && (names ||
		    (single && reply)))
			return last;
		answer = reply;
		if (nl >= end)
			break;
	}
	return PHASE_NONE;
}

/*
 * classify - reason and hardness of one recipient's failure, from its
 * status, what the report says of it (own: lower-case, collapsed) and,
 * when it is the only one that failed, the whole report (whole, else
 * NULL).
 *
 * An address is called dead only on evidence: a status code that says
 * so (5.1.1, 5.1.2, 5.1.6, 5.1.10) unless its own line names another
 * reason (a full mailbox answered with 5.1.1), or words that say so.
 * "No such user" counts only when the server refused the address itself
 * (RCPT TO), or says it in its own words without a reply code: the same
 * reply after DATA, or from a server in an unknown step, is how content
 * filters and carriers refuse messages ("filtered", soft).  A refusal
 * of MAIL FROM is about our sender; a failed local program
 * (Diagnostic-Code: x-unix) about the receiving system.
 */
static void
classify(struct bounce_rcpt *rc, const char *own, const char *whole,
    enum phase phase, int xunix)
{
	const struct code *c;
	const struct phrase *p;
	const char *at;

	rc->hard = 0;
	rc->permanent = rc->action == BOUNCE_FAILED;
	if (rc->action != BOUNCE_FAILED) {
		rc->reason = rc->action == BOUNCE_DELAYED ? "delayed" :
		    "delivered";
		return;
	}
	if (phase == PHASE_MAIL) {
		rc->reason = "rejected";
		return;
	}
	if (xunix) {
		rc->reason = "mailererror";
		return;
	}
	c = code_find(rc->status);
	p = phrase_find(own, &at);
	if (c && c->strength == ADDRESS) {
		/* the words name the reason more exactly when they agree
		 * (Microsoft answers 5.1.10, "null MX", to unknown users) */
		rc->reason = p && (p->beats_code || p->kind == HARD ||
		    p->kind == NO_USER) ? p->reason : c->reason;
		rc->hard = !(p && p->beats_code);
		return;
	}
	/* "no such user" at RCPT TO, or with "other address status" */
	if (p && p->kind == NO_USER && (phase == PHASE_RCPT ||
	    !strcmp(rc->status + 1, ".1.0"))) {
		rc->reason = "userunknown";
		rc->hard = 1;
		return;
	}
	if (c && c->strength == STRONG) {
		rc->reason = c->reason;
		rc->hard = c->hard;
		return;
	}
	if (p == NULL && whole) {
		p = phrase_find(whole, &at);
		own = whole;
	}
	if (p && p->kind == NO_USER) {
		rc->hard = phase == PHASE_RCPT || (phase == PHASE_NONE &&
		    !in_reply(own, at));
		rc->reason = rc->hard ? "userunknown" : "filtered";
	} else if (p) {
		rc->reason = p->reason;
		rc->hard = p->kind == HARD;
	} else if (c) {
		rc->reason = c->reason;
		rc->hard = c->hard;
	} else
		rc->reason = "undefined";
	/* the server itself called it transient: only a code that names a
	 * bad address makes it hard */
	if (rc->status[0] == '4')
		rc->hard = 0;
}

/* One line (white space collapsed, case kept) of text, at most n bytes. */
static char *
one_line(const char *text, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	int space = 1;

	for (const char *p = text; *p && (size_t)(o - out) < n; p++) {
		if (isspace((unsigned char)*p)) {
			if (!space)
				*o++ = ' ';
			space = 1;
		} else {
			*o++ = *p;
			space = 0;
		}
	}
	while (o > out && o[-1] == ' ')
		o--;
	*o = '\0';
	return out;
}

/* Read what the report says of each recipient, and classify it. */
static void
read_rcpts(struct reading *rd)
{
	struct bounce_report *r = rd->r;
	size_t failed = 0;

	for (size_t i = 0; i < r->n; i++)
		failed += r->rcpts[i].action == BOUNCE_FAILED;
	for (size_t i = 0; i < r->n; i++) {
		struct bounce_rcpt *rc = &r->rcpts[i];
		char *about = text_about(rd, rc->address), *mix, better[16];
		const char *from;
		enum phase ph;

		mix = xasprintf("%s\n%s", rc->diagnostic, about);
		rd->own[i] = squash(mix, strlen(mix));
		free(mix);
		/* A more specific code than a report's "5.0.0": from its
		 * Diagnostic-Code, else from what the text says of it. */
		from = *rc->diagnostic ? rc->diagnostic : rd->own[i];
		if (status_rank(rc->status) < 2 && (best_status(from, better,
		    sizeof(better), 0) || (failed <= 1 && !*rc->diagnostic &&
		    best_status(rd->whole, better, sizeof(better), 0))) &&
		    status_rank(better) > status_rank(rc->status))
			snprintf(rc->status, sizeof(rc->status), "%s", better);
		if (*rc->diagnostic == '\0' && *about) {
			free(rc->diagnostic);
			rc->diagnostic = one_line(about, 300);
		}
		free(about);
		if ((ph = phase_in(rd->own[i])) == PHASE_NONE)
			ph = transcript_phase(rd, rc->address, failed <= 1);
		classify(rc, rd->own[i], failed <= 1 ? rd->whole : NULL, ph,
		    rd->xunix[i]);
	}
}

const struct bounce_rcpt *
bounce_failed(const struct bounce_report *r, const char *rcpt)
{
	if (!r->is_bounce)
		return NULL;
	for (size_t i = 0; rcpt && i < r->n; i++)
		if (!strcmp(r->rcpts[i].address, rcpt))
			return r->rcpts[i].action == BOUNCE_FAILED ?
			    &r->rcpts[i] : NULL;
	for (size_t i = 0; i < r->n; i++)
		if (r->rcpts[i].action == BOUNCE_FAILED)
			return &r->rcpts[i];
	return NULL;
}

/* The verdict on the whole report, from its recipients. */
static void
verdict(struct bounce_report *r)
{
	size_t failed = 0, delayed = 0;

	for (size_t i = 0; i < r->n; i++) {
		failed += r->rcpts[i].action == BOUNCE_FAILED;
		delayed += r->rcpts[i].action == BOUNCE_DELAYED;
	}
	r->is_bounce = failed > 0;
	if (failed == 0 && delayed > 0) {
		r->delay = 1;
		r->not_why = "delay notice (still trying; not a failure)";
	} else if (failed == 0)
		r->not_why = "delivery report: delivered";
}

void
bounce_parse(const char *raw, size_t len, struct bounce_report *r)
{
	struct reading rd;
	char err[128] = "", *ds, *t;
	int auto_reply;

	memset(r, 0, sizeof(*r));
	memset(&rd, 0, sizeof(rd));
	rd.r = r;
	rd.raw = lf_text(raw, len, &rd.len, &rd.copy);
	if (message_parse(&rd.m, rd.raw, rd.len, err, sizeof(err)) < 0) {
		r->not_why = "not a mail message";
		goto done;
	}
	rd.lowlen = rd.len > PARTS_MAX ? PARTS_MAX : rd.len;
	rd.low = xmalloc(rd.lowlen + 1);
	for (size_t i = 0; i < rd.lowlen; i++)
		rd.low[i] = (char)tolower((unsigned char)rd.raw[i]);
	rd.low[rd.lowlen] = '\0';
	if (memmem(rd.low, rd.lowlen, "report-type=feedback-report", 27) ||
	    memmem(rd.low, rd.lowlen, "report-type=\"feedback-report\"", 29) ||
	    memmem(rd.low, rd.lowlen, "message/feedback-report", 23)) {
		r->not_why = "feedback report (a complaint, not a bounce)";
		goto done;
	}
	rd.human = human_part_len(rd.m.text, HUMAN_MAX);
	t = xasprintf("%s\n%.*s", rd.m.subject, (int)(rd.human > TEXT_MAX ?
	    TEXT_MAX : rd.human), rd.m.text);
	rd.whole = squash(t, strlen(t));
	free(t);
	collect_senders(&rd);
	if ((ds = part_body(rd.raw, rd.low, rd.lowlen,
	    "message/delivery-status")) || (ds = part_body(rd.raw, rd.low,
	    rd.lowlen, "message/global-delivery-status"))) {
		parse_dsn(&rd, ds);
		free(ds);
	}
	if (r->n == 0)
		parse_ses(&rd);
	r->dsn = r->n > 0;
	if (!r->dsn) {
		if (looks_like_challenge(&rd)) {
			r->not_why = "challenge-response (asks the sender to "
			    "prove it is a person; not a failure)";
			goto done;
		}
		auto_reply = looks_automatic_reply(&rd.m, rd.raw, rd.len);
		if (!looks_like_bounce(&rd.m, rd.raw, rd.len) && (auto_reply ||
		    !says_undelivered(rd.whole))) {
			r->not_why = auto_reply ? "auto-reply" :
			    "not a delivery report";
			goto done;
		}
		read_plain(&rd);
	}
	read_rcpts(&rd);
	verdict(r);
done:
	for (size_t i = 0; i < MAX_RCPTS; i++)
		free(rd.own[i]);
	for (size_t i = 0; i < rd.nsenders; i++)
		free(rd.senders[i]);
	free(rd.whole);
	message_release(&rd.m);
	free(rd.copy);
	free(rd.low);
}

/* The outbox row a VERP token names and whom it went to; 0 when unknown. */
static int64_t
verp_row(struct db *db, const struct token_key *key, const struct list *l,
    const char *token, char **rcpt, int64_t *member_id, int64_t *msg_id)
{
	char *payload = token_payload(token), *end, *bounce_local, *verified;
	struct db_stmt *st;
	long long id;
	int64_t found = 0;

	*rcpt = NULL;
	*member_id = *msg_id = 0;
	if (payload == NULL)
		return 0;
	id = strtoll(payload, &end, 10);
	if (*end || end == payload) {
		free(payload);
		return 0;
	}
	free(payload);
	st = db_prepare(db, "SELECT rcpt, coalesce(member_id, 0), message_id "
	    "FROM outbox WHERE id=?");
	if (st == NULL)
		return 0;
	db_bind(st, "i", (int64_t)id);
	if (db_step(st) == DB_ROW) {
		*rcpt = db_col_text(st, 0);
		*member_id = db_col_int64(st, 1);
		*msg_id = db_col_int64(st, 2);
	}
	db_finalize(st);
	if (*rcpt == NULL)
		return 0;
	/* Only our own token for this very recipient counts: no forgery
	 * can score someone else. */
	bounce_local = xasprintf("%s-bounces", l->local);
	if (token_check(key, "verp", bounce_local, *rcpt, token, now_utc(),
	    &verified) == 0) {
		found = id;
		free(verified);
	}
	free(bounce_local);
	if (!found) {
		free(*rcpt);
		*rcpt = NULL;
	}
	return found;
}

/*
 * DAY_SCORES - the halves each member scored a day (UTC), from the rows
 * that WHERE keeps: one a day, the hardest.  As Mailman counts them: a
 * mailbox that refuses ten posts one afternoon is one bad day, not the
 * member's end (ten soft bounces, the threshold of 5 reached).
 */
#define DAY_SCORES(where) "(SELECT member_id, max(score) AS s FROM " \
	"bounces WHERE " where " AND cleared=0 GROUP BY member_id, " \
	"at / 86400) AS d"

/* The member's score now: bounces in the window since the last enable,
 * a day's counting once. */
static double
member_score(struct db *db, int64_t member_id, int64_t since)
{
	return (double)db_int(db, 0, NULL, "SELECT coalesce(sum(s), 0) FROM "
	    DAY_SCORES("member_id=?1 AND at>=?2"), "ii", member_id, since) /
	    2.0;
}

/* Stop mail to the member; tell them and the owners. */
static int
disable_member(const struct kith_config *cfg, struct db *db,
    const struct list *l, const struct member *m, double score,
    const struct bounce_rcpt *rc, int64_t now)
{
	char scoretxt[32];
	struct template_var vars[4];
	struct notice_opts o;
	struct db_stmt *owners;
	int st;

	st = db_exec(db, "UPDATE members SET disabled=? WHERE id=?", "ii", now,
	    m->id);
	if (st != KITH_OK)
		return st;
	snprintf(scoretxt, sizeof(scoretxt), "%.1f", score);
	vars[0].name = "member.address";
	vars[0].value = m->address;
	vars[1].name = "bounce.score";
	vars[1].value = scoretxt;
	vars[2].name = "bounce.status";
	vars[2].value = *rc->status ? rc->status : "-";
	vars[3].name = "bounce.diagnostic";
	vars[3].value = *rc->diagnostic ? rc->diagnostic : rc->reason;
	memset(&o, 0, sizeof(o));
	o.vars = vars;
	o.nvars = 4;
	/* It may well not arrive; when the trouble was passing, it does. */
	o.to = m->address;
	o.tmpl = "bounce-disabled.txt";
	if (notice_queue(db, cfg, l, &o) == KITH_TEMP)
		return KITH_TEMP;
	owners = db_prepare(db, "SELECT address FROM members WHERE list_id=? "
	    "AND role='owner'");
	if (owners == NULL)
		return KITH_TEMP;
	db_bind(owners, "i", l->id);
	o.tmpl = "bounce-owner.txt";
	while (st == KITH_OK && db_step(owners) == DB_ROW) {
		char *to = db_col_text(owners, 0);

		o.to = to;
		if (notice_queue(db, cfg, l, &o) == KITH_TEMP)
			st = KITH_TEMP;
		free(to);
	}
	db_finalize(owners);
	log_warn("bounce: delivery to '%s' on '%s' disabled (score %.1f)",
	    m->address, l->address, score);
	return st;
}

/* Record one failure of a member's address and act on the score. */
static int
score_member(const struct kith_config *cfg, struct db *db, const struct list *l,
    const struct member *m, const struct bounce_rcpt *rc, int64_t outbox_id,
    int64_t msg_id, int64_t now)
{
	int64_t window = list_setting_int(db, l->id, "bounce_window_days", 30);
	int64_t threshold = list_setting_int(db, l->id, "bounce_threshold", 5);
	double score;
	int st;

	/* One copy bouncing twice (a delay warning, then the failure)
	 * counts once, with the harder verdict. */
	if (outbox_id > 0 && db_int(db, 0, NULL, "SELECT count(*) FROM bounces "
	    "WHERE outbox_id=?", "i", outbox_id) > 0)
		st = db_exec(db, "UPDATE bounces SET score=CASE WHEN score>?1 "
		    "THEN score ELSE ?1 END, kind=?2, status=?3, diagnostic=?4, "
		    "at=?5 WHERE outbox_id=?6", "Itttii",
		    rc->hard ? 2 : 1, rc->hard ? "hard" : "soft", rc->status,
		    rc->diagnostic, now, outbox_id);
	else
		st = db_exec(db, "INSERT INTO bounces(list_id, member_id, "
		    "address, outbox_id, message_id, at, kind, status, "
		    "diagnostic, score) VALUES (?, ?, ?, nullif(?, 0), "
		    "nullif(?, 0), ?, ?, ?, ?, ?)", "iitiiitttI", l->id, m->id,
		    m->address, outbox_id, msg_id, now, rc->hard ? "hard" :
		    "soft", rc->status, rc->diagnostic, rc->hard ? 2 : 1);
	if (st != KITH_OK)
		return st;
	score = member_score(db, m->id, now - window * 86400);
	if (threshold > 0 && score >= (double)threshold && m->disabled == 0)
		return disable_member(cfg, db, l, m, score, rc, now);
	return KITH_OK;
}

int
bounce_handle(const struct kith_config *cfg, struct db *db,
    const struct token_key *key, const struct list *l, const char *token,
    const char *raw, size_t len, char *line, size_t n)
{
	struct bounce_report r;
	const struct bounce_rcpt *rc;
	char *rcpt = NULL;
	int64_t member_id, msg_id, row, now = now_utc();
	struct member m;
	int st = KITH_OK;

	bounce_parse(raw, len, &r);
	for (size_t i = 0; i < r.n; i++)
		if (*r.rcpts[i].address && privacy_forgotten(db, key,
		    r.rcpts[i].address, NULL, NULL) == 1) {
			/* privacy.h: a forgotten address comes back through no
			 * report: the copy inbound kept goes too */
			st = db_exec(db, "DELETE FROM bounces_in WHERE list_id=? AND "
			    "token=? AND raw=?", "itb", l->id, token, raw,
			    (int)len);
			snprintf(line, n, "bounce: report about a forgotten address "
			    "on '%s'; not kept", l->address);
			bounce_report_release(&r);
			return st;
		}
	if (!r.is_bounce) {
		snprintf(line, n, "bounce: not a bounce for '%s': %s", l->address,
		    r.not_why);
		bounce_report_release(&r);
		return KITH_OK;
	}
	row = *token ? verp_row(db, key, l, token, &rcpt, &member_id, &msg_id) : 0;
	if (row == 0) {
		/* Without our token nobody is scored: anyone can write a
		 * report naming a member. */
		snprintf(line, n, "bounce: report for '%s' without a valid VERP "
		    "token; kept, nobody scored", l->address);
		bounce_report_release(&r);
		return KITH_OK;
	}
	/* The token says whom the copy went to; the report says why. */
	if ((rc = bounce_failed(&r, rcpt)) == NULL) {
		/* a report about several recipients, in which this one was
		 * delivered or is still being tried */
		snprintf(line, n, "bounce: report for '%s' on '%s' says it was "
		    "not a failure; nobody scored", rcpt, l->address);
	} else if (member_find(db, l->id, rcpt, &m) != KITH_OK) {
		snprintf(line, n, "bounce: '%s' is no longer a member of '%s'",
		    rcpt, l->address);
	} else {
		st = score_member(cfg, db, l, &m, rc, row, msg_id, now);
		snprintf(line, n, "bounce: %s bounce (%s%s%s) for '%s' on '%s'",
		    rc->hard ? "hard" : "soft", rc->reason, *rc->status ? " " :
		    "", rc->status, rcpt, l->address);
		member_release(&m);
	}
	free(rcpt);
	bounce_report_release(&r);
	return st;
}

int
bounce_delivery_failed(const struct kith_config *cfg, struct db *db,
    int64_t outbox_id, int code, const char *text, int gave_up, int64_t now)
{
	struct db_stmt *st = db_prepare(db, "SELECT coalesce(o.member_id, 0), "
	    "o.message_id, coalesce(m.list_id, 0) FROM outbox o JOIN "
	    "outbox_messages m ON m.id=o.message_id WHERE o.id=?");
	int64_t member_id = 0, msg_id = 0, list_id = 0;
	struct bounce_rcpt rc;
	struct member mb;
	struct list l;
	char diag[300], *low;
	int status = KITH_OK;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", outbox_id);
	if (db_step(st) == DB_ROW) {
		member_id = db_col_int64(st, 0);
		msg_id = db_col_int64(st, 1);
		list_id = db_col_int64(st, 2);
	}
	db_finalize(st);
	if (member_id == 0 || list_id == 0)
		return KITH_OK;		/* not list mail to a member */
	if (member_find_id(db, list_id, member_id, &mb) != KITH_OK)
		return KITH_OK;
	if (list_find_id(db, list_id, &l) != KITH_OK) {
		member_release(&mb);
		return KITH_OK;
	}
	memset(&rc, 0, sizeof(rc));
	snprintf(diag, sizeof(diag), "%d %s", code, text ? text : "");
	rc.address = mb.address;
	rc.diagnostic = diag;
	rc.action = BOUNCE_FAILED;
	low = squash(diag, strlen(diag));
	best_status(low, rc.status, sizeof(rc.status), 0);
	classify(&rc, low, NULL, phase_in(low), 0);
	free(low);
	if (gave_up) {
		/* 4xx until max_attempts: the address was never refused */
		rc.reason = "expired";
		rc.hard = 0;
	}
	status = score_member(cfg, db, &l, &mb, &rc, outbox_id, msg_id, now);
	log_info("bounce: %s failure (%s) for '%s' on '%s' at delivery",
	    rc.hard ? "hard" : "soft", rc.reason, mb.address, l.address);
	member_release(&mb);
	list_release(&l);
	return status;
}

int
bounce_enable_member(struct db *db, int64_t member_id)
{
	int st = db_exec(db, "UPDATE members SET disabled=0 WHERE id=?", "i",
	    member_id);

	return st == KITH_OK ? db_exec(db, "UPDATE bounces SET cleared=1 WHERE "
	    "member_id=?", "i", member_id) : st;
}

/* enable_tx - member *ctx gets mail again, its bounces forgotten */
static int
enable_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	return bounce_enable_member(db, *(const int64_t *)ctx);
}

int
bounce_enable(struct db *db, int64_t list_id, const char *address)
{
	struct member m;
	int st;

	if ((st = member_find(db, list_id, address, &m)) != KITH_OK)
		return st;
	st = db_tx(db, enable_tx, &m.id, NULL, 0);
	member_release(&m);
	return st;
}

int
bounce_foreach(struct db *db, int64_t list_id, int64_t now,
    int (*fn)(const struct bounce_row *, void *), void *ctx)
{
	int64_t window = list_setting_int(db, list_id, "bounce_window_days", 30);
	struct db_stmt *st = db_prepare(db, "SELECT b.address, b.at, b.kind, "
	    "b.status, b.diagnostic, coalesce(sc.score, 0), "
	    "coalesce(m.disabled, 0) FROM bounces b LEFT JOIN members m ON "
	    "m.id=b.member_id LEFT JOIN (SELECT member_id, sum(s) / 2.0 AS "
	    "score FROM " DAY_SCORES("list_id=?1 AND at>=?2") " GROUP BY "
	    "member_id) AS sc ON sc.member_id=b.member_id WHERE b.list_id=?1 "
	    "AND b.at>=?2 ORDER BY b.at DESC, b.id DESC");

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ii", list_id, now - window * 86400);
	while (db_step(st) == DB_ROW) {
		struct bounce_row b;

		b.address = db_col_str(st, 0);
		b.at = db_col_int64(st, 1);
		b.kind = db_col_str(st, 2);
		b.status = db_col_str(st, 3);
		b.diagnostic = db_col_str(st, 4);
		b.score = db_col_double(st, 5);
		b.disabled = db_col_int64(st, 6) != 0;
		if (fn(&b, ctx))
			break;
	}
	db_finalize(st);
	return KITH_OK;
}
