/* bounce - read delivery reports, score members, disable dead addresses. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/address.h"
#include "kith/bounce.h"
#include "kith/db.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/message.h"
#include "kith/notice.h"
#include "kith/tokens.h"
#include "kith/util.h"

#define MAX_RCPTS 32

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

/* Phrases that name a reason, most specific first; lower-case. */
static const struct {
	const char *phrase;
	const char *reason;
	int hard;
} reasons[] = {
	/* soft ones that contain words of hard ones come first */
	{ "sender address rejected", "rejected", 0 },
	{ "domain of sender", "rejected", 0 }, { "sender domain", "rejected", 0 },
	{ "sender verify", "rejected", 0 }, { "sender rejected", "rejected", 0 },
	{ "invalid sender", "rejected", 0 }, { "sender unknown", "rejected", 0 },
	{ "mailbox full", "mailboxfull", 0 }, { "mailbox is full", "mailboxfull", 0 },
	{ "quota", "mailboxfull", 0 }, { "over quota", "mailboxfull", 0 },
	{ "insufficient system storage", "systemfull", 0 },
	{ "exceeded storage", "mailboxfull", 0 }, { "storage allocation", "mailboxfull", 0 },
	{ "mailbox size limit", "mailboxfull", 0 }, { "is full", "mailboxfull", 0 },
	{ "too large", "mesgtoobig", 0 }, { "too big", "mesgtoobig", 0 },
	{ "size limit", "mesgtoobig", 0 }, { "message size", "mesgtoobig", 0 },
	{ "suspended", "suspend", 0 }, { "disabled", "suspend", 0 },
	{ "inactive", "suspend", 0 }, { "deactivated", "suspend", 0 },
	{ "temporarily", "onhold", 0 }, { "try again later", "onhold", 0 },
	{ "spam", "spamdetected", 0 }, { "blacklist", "blocked", 0 },
	{ "blocklist", "blocked", 0 }, { "block list", "blocked", 0 },
	{ "black list", "blocked", 0 }, { "blocked", "blocked", 0 },
	{ "rbl", "blocked", 0 }, { "spamhaus", "blocked", 0 },
	{ "reputation", "badreputation", 0 }, { "virus", "virusdetected", 0 },
	{ "dmarc", "policyviolation", 0 }, { "spf", "authfailure", 0 },
	{ "dkim", "authfailure", 0 }, { "reverse dns", "requireptr", 0 },
	{ "ptr record", "requireptr", 0 }, { "relay access denied", "norelaying", 0 },
	{ "relaying denied", "norelaying", 0 }, { "not permitted to relay", "norelaying", 0 },
	{ "relay not permitted", "norelaying", 0 },
	{ "too many", "toomanyconn", 0 }, { "rate limit", "speeding", 0 },
	{ "policy", "policyviolation", 0 }, { "content", "contenterror", 0 },
	{ "expired", "expired", 0 }, { "retry timeout", "expired", 0 },
	{ "timed out", "expired", 0 }, { "delayed", "expired", 0 },
	{ "could not be delivered for", "expired", 0 }, { "retry time", "expired", 0 },
	{ "connection refused", "networkerror", 0 },
	{ "network is unreachable", "networkerror", 0 },
	/* the address itself */
	{ "has moved", "hasmoved", 1 }, { "moved to", "hasmoved", 1 },
	{ "does not accept mail", "notaccept", 1 }, { "null mx", "notaccept", 1 },
	{ "host unknown", "hostunknown", 1 }, { "host not found", "hostunknown", 1 },
	{ "unknown host", "hostunknown", 1 }, { "domain not found", "hostunknown", 1 },
	{ "no such domain", "hostunknown", 1 }, { "unknown domain", "hostunknown", 1 },
	{ "name or service not known", "hostunknown", 1 },
	{ "domain does not exist", "hostunknown", 1 },
	{ "unrouteable mail domain", "hostunknown", 1 },
	{ "host or domain name not found", "hostunknown", 1 },
	{ "no mx", "hostunknown", 1 }, { "nxdomain", "hostunknown", 1 },
	{ "user unknown", "userunknown", 1 }, { "unknown user", "userunknown", 1 },
	{ "no such user", "userunknown", 1 }, { "no such recipient", "userunknown", 1 },
	{ "no such mailbox", "userunknown", 1 }, { "unknown recipient", "userunknown", 1 },
	{ "recipient unknown", "userunknown", 1 }, { "invalid recipient", "userunknown", 1 },
	{ "invalid mailbox", "userunknown", 1 }, { "mailbox not found", "userunknown", 1 },
	{ "mailbox unavailable", "userunknown", 1 },
	{ "does not exist", "userunknown", 1 }, { "doesn't exist", "userunknown", 1 },
	{ "not exist", "userunknown", 1 }, { "no mailbox", "userunknown", 1 },
	{ "unknown local part", "userunknown", 1 }, { "unrouteable address", "userunknown", 1 },
	{ "user not found", "userunknown", 1 }, { "recipient not found", "userunknown", 1 },
	{ "addressee unknown", "userunknown", 1 }, { "unknown address", "userunknown", 1 },
	{ "bad destination mailbox", "userunknown", 1 }, { "no account", "userunknown", 1 },
	{ "not a known user", "userunknown", 1 }, { "not our customer", "userunknown", 1 },
	{ "unknown or illegal alias", "userunknown", 1 }, { "alias unknown", "userunknown", 1 },
	{ "no longer", "userunknown", 1 }, { "invalid address", "userunknown", 1 },
	{ "address rejected", "userunknown", 1 }, { "not listed", "userunknown", 1 },
	{ "unknown mailbox", "userunknown", 1 }, { "no valid recipients", "userunknown", 1 },
	{ "mailbox does not", "userunknown", 1 }, { "account is unavailable", "userunknown", 1 },
	{ "no such person", "userunknown", 1 }, { "unknown account", "userunknown", 1 },
	{ "doesn't have a", "userunknown", 1 }, { "does not have an account", "userunknown", 1 },
	{ "unable to route", "hostunknown", 1 }, { "no route to host", "hostunknown", 1 },
	{ "rejected", "rejected", 0 }, { "denied", "rejected", 0 },
};

/*
 * find_status - a status code "d.ddd.ddd" in s, copied into out: class
 * 4 or 5, and 2 too when with_success (a Status: field, where a
 * version number cannot be).
 */
static int
find_status(const char *s, char *out, size_t n, int with_success)
{
	for (const char *p = s; *p; p++) {
		int a, b, len;

		if ((*p != '4' && *p != '5' && (*p != '2' || !with_success)) ||
		    (p > s &&
		    (isdigit((unsigned char)p[-1]) || p[-1] == '.')))
			continue;
		if (sscanf(p, "%*1d.%3d.%3d%n", &a, &b, &len) == 2 && len <= 9 &&
		    !isdigit((unsigned char)p[len]) && p[len] != '.' &&
		    p[1] == '.') {
			snprintf(out, n, "%.*s", len, p);
			return 1;
		}
	}
	return 0;
}

/* An SMTP reply code (4xx or 5xx) standing alone in s; 0 when none. */
static int
find_smtp_code(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((*p == '4' || *p == '5') && isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2]) && (p == s ||
		    !isalnum((unsigned char)p[-1])) && (p[3] == ' ' ||
		    p[3] == '-') && p[1] <= '5')
			return (p[0] - '0') * 100 + (p[1] - '0') * 10 + p[2] - '0';
	return 0;
}

/* Status codes that name the reason exactly (RFC 3463). */
static const struct {
	const char *status;
	const char *reason;
	int hard;
} status_reasons[] = {
	{ "5.1.1", "userunknown", 1 }, { "5.1.2", "hostunknown", 1 },
	{ "5.1.6", "hasmoved", 1 }, { "5.1.10", "notaccept", 1 },
	{ "5.1.7", "rejected", 0 }, { "5.1.8", "rejected", 0 },
	{ "5.4.4", "hostunknown", 1 },
	{ "5.2.1", "suspend", 0 }, { "5.2.2", "mailboxfull", 0 },
	{ "5.2.3", "mesgtoobig", 0 }, { "5.3.4", "mesgtoobig", 0 },
	{ "5.7.1", "blocked", 0 }, { "5.7.26", "authfailure", 0 },
	{ "5.7.25", "requireptr", 0 }, { "5.7.23", "authfailure", 0 },
};

/*
 * classify - reason, hardness and permanence of one failure from its
 * status and texts.  Prose names the reason more precisely than codes
 * (servers answer "5.1.1" to a full mailbox and "5.0.0" to anything), so
 * a phrase wins; then an exact code; else the failure is soft: an
 * address is called dead only on evidence.
 */
static void
classify(struct bounce_rcpt *rc, const char *text, int delayed)
{
	char *low = str_lower(xasprintf("%s %s", rc->diagnostic, text));
	char *own = str_lower(xstrdup(rc->diagnostic));
	int code = find_smtp_code(own);

	rc->reason = NULL;
	rc->hard = 0;
	if (code == 0)
		code = find_smtp_code(low);
	/* The recipient's own line first: a report may list several
	 * recipients, each with its own reason. */
	if (*rc->status == '\0' && !find_status(own, rc->status,
	    sizeof(rc->status), 0))
		find_status(low, rc->status, sizeof(rc->status), 0);
	/* A warning in prose: the server is still trying. */
	if (!delayed && rc->status[0] != '5' && (strstr(low, "delayed") ||
	    strstr(low, "will continue trying") || strstr(low, "still trying") ||
	    strstr(low, "will keep trying") || strstr(low, "will be retried") ||
	    strstr(low, "not yet been delivered") || strstr(low, "warning:")))
		delayed = 1;
	rc->permanent = !delayed && (rc->status[0] == '5' ||
	    (rc->status[0] != '4' && (code == 0 || code >= 500)));
	if (!rc->permanent) {
		rc->reason = delayed ? "expired" : "onhold";
		free(low);
		free(own);
		return;
	}
	/* About our sender address, not the member's. */
	if (!strcmp(rc->status, "5.1.7") || !strcmp(rc->status, "5.1.8"))
		rc->reason = "rejected";
	for (int pass = 0; pass < 2 && rc->reason == NULL; pass++)
		for (size_t i = 0; rc->reason == NULL &&
		    i < sizeof(reasons) / sizeof(reasons[0]); i++)
			if (strstr(pass ? low : own, reasons[i].phrase)) {
				rc->reason = reasons[i].reason;
				rc->hard = reasons[i].hard;
			}
	/* Refused after DATA: the server took the address at RCPT, so
	 * it was the content that was refused (a filter). */
	if (rc->hard && (strstr(low, "end of data") ||
	    strstr(low, "after data"))) {
		rc->reason = "filtered";
		rc->hard = 0;
	}
	for (size_t i = 0; rc->reason == NULL &&
	    i < sizeof(status_reasons) / sizeof(status_reasons[0]); i++)
		if (!strcmp(rc->status, status_reasons[i].status)) {
			rc->reason = status_reasons[i].reason;
			rc->hard = status_reasons[i].hard;
		}
	if (rc->reason == NULL)
		rc->reason = "undefined";
	free(low);
	free(own);
}

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
	return rc;
}

/* Value after "rfc822;" (or any type;), without <> and spaces. */
static char *
dsn_address(const char *v)
{
	const char *semi = strchr(v, ';');
	char *s = xstrdup(semi ? semi + 1 : v), *t = xstrdup(str_trim(s));

	free(s);
	return t;
}

/*
 * The body of the part whose Content-Type is type (case-insensitive):
 * from after its header block to the next boundary line.  NULL if none.
 */
static char *
part_body(const char *raw, size_t len, const char *type)
{
	const char *end = raw + len, *p = raw, *hdr, *body, *stop;

	while ((hdr = mem_casestr(p, (size_t)(end - p), type)) != NULL) {
		const char *line = hdr;

		while (line > raw && line[-1] != '\n')
			line--;
		p = hdr + strlen(type);
		if (!str_casestarts(line, "content-type:") &&
		    !isspace((unsigned char)*line))
			continue;
		body = p;
		while (body < end && !(body[0] == '\n' && (body + 1 < end &&
		    (body[1] == '\n' || (body[1] == '\r' && body + 2 < end &&
		    body[2] == '\n')))))
			body++;
		if (body >= end)
			return NULL;
		body += body[1] == '\n' ? 2 : 3;
		for (stop = body; stop < end; stop++)
			if (stop[0] == '-' && stop + 1 < end && stop[1] == '-' &&
			    (stop == raw || stop[-1] == '\n'))
				break;
		return xstrndup(body, (size_t)(stop - body));
	}
	return NULL;
}

/* Parse the fields of a message/delivery-status part into r. */
static void
parse_dsn(struct bounce_report *r, const char *ds, int *failed, int *delayed,
    int *delivered)
{
	struct bounce_rcpt *cur = NULL;
	char *copy = xstrdup(ds), *save = NULL, *line;
	char *prev_field = NULL;

	for (line = strtok_r(copy, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		char *colon, *v;
		size_t n = strlen(line);

		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if ((*line == ' ' || *line == '\t') && cur && prev_field &&
		    !strcmp(prev_field, "diagnostic-code")) {
			char *more = xasprintf("%s %s", cur->diagnostic,
			    str_trim(line));	/* points into line */

			free(cur->diagnostic);
			cur->diagnostic = more;
			continue;
		}
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		line = str_lower(str_trim(line));	/* points into copy */
		v = str_trim(colon + 1);
		free(prev_field);
		prev_field = xstrdup(line);
		if (!strcmp(line, "final-recipient") ||
		    (!strcmp(line, "original-recipient") && (cur == NULL ||
		    *cur->address))) {
			char *a = dsn_address(v);

			cur = rcpt_add(r, a);
			free(a);
		} else if (cur == NULL)
			continue;
		else if (!strcmp(line, "original-recipient") && !*cur->address) {
			char *a = dsn_address(v), *norm = address_normalize(a);

			if (norm) {
				free(cur->address);
				cur->address = norm;
			}
			free(a);
		} else if (!strcmp(line, "action")) {
			str_lower(v);
			if (!strncmp(v, "failed", 6))
				(*failed)++;
			else if (!strncmp(v, "delayed", 7))
				(*delayed)++;
			else if (!strncmp(v, "delivered", 9) ||
			    !strncmp(v, "relayed", 7) || !strncmp(v, "expanded", 8))
				(*delivered)++;
		} else if (!strcmp(line, "status"))
			find_status(v, cur->status, sizeof(cur->status), 1);
		else if (!strcmp(line, "diagnostic-code")) {
			free(cur->diagnostic);
			cur->diagnostic = dsn_address(v);	/* after "smtp;" */
		}
	}
	free(prev_field);
	free(copy);
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
	    mem_casestr(raw, hend, "\nx-failed-recipients:") != NULL;

	for (int i = 0; senders[i] && !hit; i++)
		hit = strstr(from, senders[i]) != NULL;
	free(from);
	return hit;
}

/* Where the copy of the original message starts in a report's text. */
static size_t
human_part_len(const char *text)
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
	return strlen(text);
}

/* Addresses that are never the failed recipient. */
static int
system_address(const char *a, const struct message *m)
{
	static const char *const locals[] = { "postmaster@", "mailer-daemon@",
		"mail-daemon@", "mailerdaemon@", "mdaemon@", "root@",
		"abuse@", "noreply@", "no-reply@", NULL };

	for (int i = 0; locals[i]; i++)
		if (!strncmp(a, locals[i], strlen(locals[i])))
			return 1;
	return !strcmp(a, m->from_addr) || strstr(a, "-bounces") ||
	    strstr(a, "-admin@") || strstr(a, "-owner@") ||
	    strstr(a, "-request@");
}

/* Every plausible address in text (the human-readable part) into r. */
static void
scan_addresses(struct bounce_report *r, const char *text, size_t n,
    const struct message *m)
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
		norm = address_normalize(cand);
		if (norm && !system_address(norm, m)) {
			struct bounce_rcpt *rc = rcpt_add(r, norm);

			(void)rc;
		}
		free(norm);
		free(cand);
		p = e - 1;
	}
}

/* The line of text that mentions address (for its diagnostic), or "". */
static char *
line_about(const char *text, size_t n, const char *address)
{
	const char *hit = mem_casestr(text, n, address), *s, *e;

	if (hit == NULL)
		return xstrdup("");
	for (s = hit; s > text && s[-1] != '\n'; s--)
		;
	/* The reason is often on the next line (qmail, Postfix). */
	for (e = hit; e < text + n && *e != '\n'; e++)
		;
	if (e < text + n) {
		const char *e2 = e + 1;

		while (e2 < text + n && *e2 != '\n')
			e2++;
		e = e2;
	}
	return xstrndup(s, (size_t)(e - s));
}

void
bounce_parse(const char *raw, size_t len, struct bounce_report *r)
{
	struct message m;
	char err[128] = "", *ds, *hdr;
	int failed = 0, delayed = 0, delivered = 0;
	size_t human;

	memset(r, 0, sizeof(*r));
	if (len > 5 && !memcmp(raw, "From ", 5)) {
		/* an mbox separator line, as saved mail often has */
		const char *nl = memchr(raw, '\n', len);

		if (nl) {
			len -= (size_t)(nl + 1 - raw);
			raw = nl + 1;
		}
	}
	if (message_parse(&m, raw, len, err, sizeof(err)) < 0) {
		r->not_why = "not a mail message";
		return;
	}
	if (mem_casestr(raw, len, "report-type=feedback-report") ||
	    mem_casestr(raw, len, "message/feedback-report") ||
	    mem_casestr(raw, len, "report-type=\"feedback-report\"")) {
		r->not_why = "feedback report (a complaint, not a bounce)";
		goto done;
	}
	ds = part_body(raw, len, "message/delivery-status");
	if (ds == NULL)
		ds = part_body(raw, len, "message/global-delivery-status");
	if (ds) {
		parse_dsn(r, ds, &failed, &delayed, &delivered);
		free(ds);
		r->dsn = r->n > 0;
	}
	human = human_part_len(m.text);
	if (r->dsn && failed == 0 && delayed == 0 && delivered > 0) {
		r->is_bounce = 0;
		r->not_why = "delivery report: delivered";
		goto done;
	}
	if (!r->dsn) {
		if (!looks_like_bounce(&m, raw, len)) {
			r->not_why = looks_automatic_reply(&m, raw, len) ?
			    "auto-reply" : "not a delivery report";
			goto done;
		}
		hdr = message_header(&m, "X-Failed-Recipients");
		if (hdr) {
			char *save = NULL;

			for (char *a = strtok_r(hdr, ", \t", &save); a;
			    a = strtok_r(NULL, ", \t", &save))
				rcpt_add(r, a);
			free(hdr);
		}
		scan_addresses(r, m.text, human, &m);
		if (r->n == 0)
			rcpt_add(r, NULL);	/* a bounce that names nobody */
		for (size_t i = 0; i < r->n; i++) {
			free(r->rcpts[i].diagnostic);
			r->rcpts[i].diagnostic = *r->rcpts[i].address ?
			    line_about(m.text, human, r->rcpts[i].address) :
			    xstrdup("");
		}
	}
	r->is_bounce = 1;
	{
		char *text = xstrndup(m.text, human > 4000 ? 4000 : human);
		const char *subj = m.subject;
		char *all = xasprintf("%s %s", subj, text);

		for (size_t i = 0; i < r->n; i++)
			classify(&r->rcpts[i], r->dsn && *r->rcpts[i].diagnostic ?
			    "" : all, delayed > 0 && failed == 0);
		free(all);
		free(text);
	}
done:
	message_release(&m);
}

/* The outbox row a VERP token names and whom it went to; 0 when unknown. */
static int64_t
verp_row(sqlite3 *db, const struct token_key *key, const struct list *l,
    const char *token, char **rcpt, int64_t *member_id, int64_t *msg_id)
{
	char *payload = token_payload(token), *end, *bounce_local, *verified;
	sqlite3_stmt *st;
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
	if (sqlite3_step(st) == SQLITE_ROW) {
		*rcpt = db_col_text(st, 0);
		*member_id = sqlite3_column_int64(st, 1);
		*msg_id = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
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

/* The member's score now: bounces in the window since the last enable. */
static double
member_score(sqlite3 *db, int64_t member_id, int64_t since)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT coalesce(sum(score), 0) / 2.0 "
	    "FROM bounces WHERE member_id=? AND at>=? AND cleared=0");
	double s = 0;

	if (st == NULL)
		return 0;
	db_bind(st, "ii", member_id, since);
	if (sqlite3_step(st) == SQLITE_ROW)
		s = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return s;
}

/* Stop mail to the member; tell them and the owners. */
static int
disable_member(const struct kith_config *cfg, sqlite3 *db,
    const struct list *l, const struct member *m, double score,
    const struct bounce_rcpt *rc, int64_t now)
{
	char scoretxt[32];
	struct template_var vars[4];
	struct notice_opts o;
	sqlite3_stmt *owners;
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
	o.subject = "Your mail from the list has been paused";
	o.tmpl = "bounce-disabled.txt";
	if (notice_queue(db, cfg, l, &o) == KITH_TEMP)
		return KITH_TEMP;
	owners = db_prepare(db, "SELECT address FROM members WHERE list_id=? "
	    "AND role='owner'");
	if (owners == NULL)
		return KITH_TEMP;
	db_bind(owners, "i", l->id);
	o.subject = "A member's delivery was disabled (bounces)";
	o.tmpl = "bounce-owner.txt";
	while (st == KITH_OK && sqlite3_step(owners) == SQLITE_ROW) {
		char *to = db_col_text(owners, 0);

		o.to = to;
		if (notice_queue(db, cfg, l, &o) == KITH_TEMP)
			st = KITH_TEMP;
		free(to);
	}
	sqlite3_finalize(owners);
	log_warn("bounce: delivery to '%s' on '%s' disabled (score %.1f)",
	    m->address, l->address, score);
	return st;
}

/* Record one failure of a member's address and act on the score. */
static int
score_member(const struct kith_config *cfg, sqlite3 *db, const struct list *l,
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
		st = db_exec(db, "UPDATE bounces SET score=max(score, ?), kind=?, "
		    "status=?, diagnostic=?, at=? WHERE outbox_id=?", "Itttii",
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
bounce_handle(const struct kith_config *cfg, sqlite3 *db,
    const struct token_key *key, const struct list *l, const char *token,
    const char *raw, size_t len, char *line, size_t n)
{
	struct bounce_report r;
	struct bounce_rcpt *rc = NULL;
	char *rcpt = NULL;
	int64_t member_id, msg_id, row, now = now_utc();
	struct member m;
	int st = KITH_OK;

	bounce_parse(raw, len, &r);
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
	for (size_t i = 0; i < r.n && rc == NULL; i++)
		if (!strcmp(r.rcpts[i].address, rcpt))
			rc = &r.rcpts[i];
	if (rc == NULL && r.n > 0)
		rc = &r.rcpts[0];
	if (member_find(db, l->id, rcpt, &m) != KITH_OK) {
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
bounce_delivery_failed(const struct kith_config *cfg, sqlite3 *db,
    int64_t outbox_id, int code, const char *text, int gave_up, int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT coalesce(o.member_id, 0), "
	    "o.message_id, coalesce(m.list_id, 0) FROM outbox o JOIN "
	    "outbox_messages m ON m.id=o.message_id WHERE o.id=?");
	int64_t member_id = 0, msg_id = 0, list_id = 0;
	struct bounce_rcpt rc;
	struct member mb;
	struct list l;
	char diag[300];
	int status = KITH_OK;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", outbox_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		member_id = sqlite3_column_int64(st, 0);
		msg_id = sqlite3_column_int64(st, 1);
		list_id = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
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
	/* gave_up: 4xx until max_attempts, a soft failure */
	classify(&rc, "", gave_up);
	status = score_member(cfg, db, &l, &mb, &rc, outbox_id, msg_id, now);
	log_info("bounce: %s failure (%s) for '%s' on '%s' at delivery",
	    rc.hard ? "hard" : "soft", rc.reason, mb.address, l.address);
	member_release(&mb);
	list_release(&l);
	return status;
}

int
bounce_enable(sqlite3 *db, int64_t list_id, const char *address)
{
	struct member m;
	int st;

	if ((st = member_find(db, list_id, address, &m)) != KITH_OK)
		return st;
	if ((st = db_begin(db)) == KITH_OK) {
		st = db_exec(db, "UPDATE members SET disabled=0 WHERE id=?", "i",
		    m.id);
		if (st == KITH_OK)
			st = db_exec(db, "UPDATE bounces SET cleared=1 WHERE "
			    "member_id=?", "i", m.id);
		if (st == KITH_OK)
			st = db_commit(db);
		else
			db_rollback(db);
	}
	member_release(&m);
	return st;
}

int
bounce_foreach(sqlite3 *db, int64_t list_id, int64_t now,
    int (*fn)(const struct bounce_row *, void *), void *ctx)
{
	int64_t window = list_setting_int(db, list_id, "bounce_window_days", 30);
	sqlite3_stmt *st = db_prepare(db, "SELECT b.address, b.at, b.kind, "
	    "b.status, b.diagnostic, coalesce((SELECT sum(score) / 2.0 FROM bounces "
	    "c WHERE c.member_id=b.member_id AND c.at>=?2 AND c.cleared=0), 0), "
	    "coalesce(m.disabled, 0) FROM bounces b LEFT JOIN members m ON "
	    "m.id=b.member_id WHERE b.list_id=?1 AND b.at>=?2 ORDER BY b.at "
	    "DESC, b.id DESC");

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ii", list_id, now - window * 86400);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct bounce_row b;

		b.address = (const char *)sqlite3_column_text(st, 0);
		b.at = sqlite3_column_int64(st, 1);
		b.kind = (const char *)sqlite3_column_text(st, 2);
		b.status = (const char *)sqlite3_column_text(st, 3);
		b.diagnostic = (const char *)sqlite3_column_text(st, 4);
		b.score = sqlite3_column_double(st, 5);
		b.disabled = sqlite3_column_int64(st, 6) != 0;
		if (fn(&b, ctx))
			break;
	}
	sqlite3_finalize(st);
	return KITH_OK;
}
