/* requests - email commands and their one reply. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kith/address.h"
#include "kith/archive.h"
#include "kith/bans.h"
#include "kith/db.h"
#include "kith/feature.h"
#include "kith/i18n.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/notice.h"
#include "kith/reply.h"
#include "kith/privacy.h"
#include "kith/requests.h"
#include "kith/subject.h"
#include "kith/template.h"
#include "kith/util.h"

/* The core's words; the features add theirs (feature.h). */
static const char *const verbs[] = {
	"help", "subscribe", "join", "unsubscribe", "leave", "set", "info",
	"index", "get", "who", "end", "stop", "my", "remove", NULL
};

static int
known_verb(const char *w)
{
	for (int i = 0; verbs[i]; i++)
		if (!strcmp(verbs[i], w))
			return 1;
	return features_command(w) != NULL;
}

/*
 * word_at - the English word of the first of cmds (NULL-ended) that p
 * starts with: English itself (whole word, any case) or lang's words
 * (i18n_command_match); *len the bytes covered.  NULL when none.
 */
static const char *
word_at(const struct i18n_lang *const *langs, const char *const *cmds,
    const char *p, size_t *len)
{
	const char *best = NULL;

	*len = 0;
	for (size_t k = 0; cmds[k]; k++) {
		size_t n = i18n_match_phrase(p, cmds[k]);

		for (size_t i = 0; langs && langs[i]; i++) {
			size_t m = i18n_command_match(langs[i], cmds[k], p);

			if (m > n)
				n = m;
		}
		if (n > *len) {
			*len = n;
			best = cmds[k];
		}
	}
	return best;
}

/*
 * translate - line in the member's language as the English command it
 * is ("nastavit souhrn denně" is "set digest daily", "구독 취소" is
 * "unsubscribe"), into out; 0 when its first words are no translated
 * command (English ones are left as they are).  Only the words Kith
 * knows are replaced: the rest (a name, an ID, a date) stays as written.
 */
static int
translate(const struct i18n_lang *const *langs, const char *line, char *out,
    size_t outlen)
{
	static const char *const verbs_t[] = { "subscribe", "unsubscribe",
	    "help", "set", "rsvp", NULL };
	static const char *const set_t[] = { "digest", "nomail", "language",
	    "address", NULL };
	static const char *const digest_t[] = { "daily", "weekly", "off", NULL };
	static const char *const rsvp_t[] = { "yes", "no", "maybe", NULL };
	const char *p = line, *verb, *w;
	struct buf b;
	size_t n;
	int changed;

	if (langs == NULL || langs[0] == NULL ||
	    (verb = word_at(langs, verbs_t, p, &n)) == NULL)
		return 0;
	changed = i18n_match_phrase(p, verb) != n;
	buf_init(&b);
	buf_adds(&b, verb);
	p += n;
	p += strspn(p, " \t");
	/* "set" or "rsvp" alone, or with a word Kith does not know, is
	 * still that verb: its own handler tells the member how to ask */
	if (!strcmp(verb, "set") &&
	    (w = word_at(langs, set_t, p, &n)) != NULL) {
		changed |= i18n_match_phrase(p, w) != n;
		buf_addf(&b, " %s", w);
		p += n;
		p += strspn(p, " \t");
		if (!strcmp(w, "digest") &&
		    (w = word_at(langs, digest_t, p, &n)) != NULL) {
			changed |= i18n_match_phrase(p, w) != n;
			buf_addf(&b, " %s", w);
			p += n;
			p += strspn(p, " \t");
		}
	} else if (!strcmp(verb, "rsvp") &&
	    (w = word_at(langs, rsvp_t, p, &n)) != NULL) {
		changed |= i18n_match_phrase(p, w) != n;
		buf_addf(&b, " %s", w);
		p += n;
		p += strspn(p, " \t");
	}
	if (*p)
		buf_addf(&b, " %s", p);
	if (changed)
		snprintf(out, outlen, "%s", b.data);
	buf_release(&b);
	return changed;
}

/*
 * Fill cmd from line when its first word is a command (English, or in
 * one of langs, NULL-ended or NULL); 1 or 0.  cmd->line is the line as
 * written, verb and args the English command.
 */
static int
parse_line(const char *line, struct command *cmd,
    const struct i18n_lang *const *langs)
{
	char buf[256], english[256], *copy;
	size_t i = 0, n;

	snprintf(buf, sizeof(buf), "%s", line);
	copy = str_trim(buf);
	snprintf(cmd->line, sizeof(cmd->line), "%s", copy);
	if (translate(langs, copy, english, sizeof(english)))
		copy = english;
	for (n = 0; copy[n] && !isspace((unsigned char)copy[n]); n++)
		;
	if (n == 0 || n >= sizeof(cmd->verb))
		return 0;
	for (i = 0; i < n; i++)
		cmd->verb[i] = (char)tolower((unsigned char)copy[i]);
	cmd->verb[n] = '\0';
	if (!known_verb(cmd->verb))
		return 0;
	snprintf(cmd->args, sizeof(cmd->args), "%s", str_trim(copy + n));
	return 1;
}

/* Subject without "Re:" / "Fwd:" prefixes. */
static const char *
subject_core(const char *s)
{
	for (;;) {
		while (*s == ' ')
			s++;
		if (!strncasecmp(s, "re:", 3))
			s += 3;
		else if (!strncasecmp(s, "fwd:", 4))
			s += 4;
		else if (!strncasecmp(s, "fw:", 3))
			s += 3;
		else
			return s;
	}
}

/* s less a leading and a trailing word or phrase of words (any case) */
static void
strip_around(char *s, const char *const *lead, const char *const *tail)
{
	size_t n = strlen(s), k;

	for (size_t i = 0; lead[i]; i++)
		if ((k = i18n_match_phrase(s, lead[i])) > 0 && s[k] == ' ') {
			memmove(s, s + k + 1, n - k);
			n -= k + 1;
			break;
		}
	for (size_t i = 0; tail[i]; i++)
		if ((k = strlen(tail[i])) < n && s[n - k - 1] == ' ' &&
		    i18n_match_phrase(s + n - k, tail[i]) == k) {
			s[n -= k + 1] = '\0';
			break;
		}
}

/* How many words s has (runs of anything but blanks). */
static int
words_in(const char *s)
{
	int n = 0;

	for (s += strspn(s, " \t"); *s; s += strspn(s, " \t"), n++)
		s += strcspn(s, " \t");
	return n;
}

/*
 * request_line - 1 when line, all of it, asks to join or leave: the verb
 * alone, or with "please", "me" and "from this list" around it, in
 * English, or in the languages langs gives (asked for only when the line
 * is short enough to be a command: it costs the caller a lookup).  A line
 * that says anything more is a post.
 */
static int
request_line(const char *line, requests_langs_fn langs, void *ctx)
{
	static const char *const english[] = { "unsubscribe", "subscribe",
	    "remove", "leave", "signoff", "sign off", "opt out", NULL };
	static const char *const verbs_t[] = { "subscribe", "unsubscribe",
	    NULL };
	static const char *const lead[] = { "please", NULL };
	static const char *const tail[] = { "from this mailing list",
	    "from the mailing list", "from this list", "from the list",
	    "please", NULL };
	static const char *const me[] = { "me", NULL };
	static const char *const none[] = { NULL };
	const struct i18n_lang *const *l;
	char buf[256];
	size_t n;

	if (strlen(line) >= sizeof(buf))
		return 0;
	snprintf(buf, sizeof(buf), "%s", line);
	n = strlen(str_trim(buf));
	memmove(buf, str_trim(buf), n + 1);
	while (n > 0 && strchr(".!?", buf[n - 1]))
		buf[--n] = '\0';
	strip_around(buf, lead, tail);
	strip_around(buf, none, me);
	if ((n = strlen(buf)) == 0)
		return 0;
	for (size_t i = 0; english[i]; i++)
		if (i18n_match_phrase(buf, english[i]) == n)
			return 1;
	/* the languages' command words are three words at most */
	if (langs == NULL || words_in(buf) > 3 || (l = langs(ctx)) == NULL)
		return 0;
	for (size_t i = 0; l[i]; i++)
		for (size_t k = 0; verbs_t[k]; k++)
			if (i18n_command_match(l[i], verbs_t[k], buf) == n)
				return 1;
	return 0;
}

/* The first line of text a reader sees (not blank, not quoted, before
 * the signature) into line, when text has at most max of them. */
static int
short_text(const char *text, int max, char *line, size_t len)
{
	int lines = 0;

	for (const char *p = text; p && *p && lines <= max; ) {
		size_t n = strcspn(p, "\n");
		const char *t = p;

		p = p[n] ? p + n + 1 : p + n;
		while (t < p && (*t == ' ' || *t == '\t'))
			t++;
		if (t == p || *t == '\n' || *t == '\r' || *t == '>')
			continue;	/* blank or quoted */
		if (!strncmp(t, "--", 2) && strspn(t + 2, " \t\r") ==
		    strcspn(t + 2, "\n"))
			break;		/* signature */
		if (lines++ == 0)
			snprintf(line, len, "%.*s", (int)strcspn(t, "\n"), t);
	}
	return lines > 0 && lines <= max;
}

int
requests_misdirected(const char *subject, const char *text,
    requests_langs_fn langs, void *ctx)
{
	const char *s = subject ? subject_core(subject) : "";
	char first[256];

	if (*s == '[' && strchr(s, ']'))	/* the list's tag */
		s = subject_core(strchr(s, ']') + 1);
	if (request_line(s, langs, ctx))
		return 1;
	return short_text(text, 3, first, sizeof(first)) &&
	    request_line(first, langs, ctx);
}

/* 1 when b asks for what a asks (verb and arguments, any case). */
static int
same_command(const struct command *a, const struct command *b)
{
	return !strcmp(a->verb, b->verb) && !strcasecmp(a->args, b->args);
}

/*
 * subject_repeated - the Subject's command is in the body too: the same
 * line, or its bare verb ("rsvp") that a body line completes ("rsvp yes
 * 3").  Then it runs once, as the body says.
 */
static int
subject_repeated(const struct command *subj, const struct command *body,
    int n)
{
	for (int i = 0; i < n; i++)
		if (same_command(subj, &body[i]) || (*subj->args == '\0' &&
		    !strcmp(subj->verb, body[i].verb)))
			return 1;
	return 0;
}

int
requests_parse(const char *subject, const char *text, struct command *out,
    int max)
{
	return requests_parse_in(subject, text, NULL, out, max);
}

int
requests_parse_in(const char *subject, const char *text,
    const struct i18n_lang *const *langs, struct command *out, int max)
{
	char *copy, *save = NULL;
	struct command subj;
	int n = 0, k, has_subj;

	has_subj = subject && max > 0 && parse_line(subject_core(subject),
	    &subj, langs);
	/* room for the Subject's command in front of the body's */
	k = has_subj ? 1 : 0;
	copy = xstrdup(text ? text : "");
	for (char *line = strtok_r(copy, "\n", &save); line && k + n < max;
	    line = strtok_r(NULL, "\n", &save)) {
		char *t = str_trim(line);
		int dup = 0;

		if (*t == '\0' || *t == '>')
			continue;	/* blank or quoted */
		if (!strcmp(t, "--") || !strncmp(line, "-- ", 3))
			break;		/* signature */
		if (!parse_line(t, &out[k + n], langs))
			break;		/* the first line that is no command */
		if (!strcmp(out[k + n].verb, "end") ||
		    !strcmp(out[k + n].verb, "stop"))
			break;
		for (int i = 0; i < n && !dup; i++)
			dup = same_command(&out[k + i], &out[k + n]);
		if (!dup)
			n++;	/* a command written twice runs once */
	}
	free(copy);
	if (has_subj && subject_repeated(&subj, out + k, n)) {
		memmove(out, out + 1, (size_t)n * sizeof(*out));
		has_subj = 0;
	}
	if (has_subj)
		out[0] = subj;
	return n + has_subj;
}

/* Everything one reply collects. */
struct reply {
	struct outcome out;	/* the lines of the answer (results.txt) */
	struct buf own;		/* commands the sender must confirm */
	char lang[NOTICE_LANG_LEN];	/* the sender's */
	char asked[NOTICE_LANG_LEN];	/* a stranger's Content-/Accept-
					 * Language, when Kith has it */
	int proven;		/* our MTA vouches for the From address */
	char *attach;		/* a post for "get" */
	size_t attach_len;
	int help;
	const char *parent;	/* the request's In-Reply-To: a post to remove */
};

/* The commands help.txt shows in the reader's words (words.NAME). */
static const char *const help_commands[] = {
	"subscribe", "unsubscribe", "help", "set", "digest", "daily", "weekly",
	"off", "nomail", "language", "address", "rsvp", "yes", "no", "maybe",
	NULL
};

/*
 * help_values - what help.txt shows besides the list's values: language
 * (its own name), own_words (whether it has command words of its own),
 * words.NAME for each command, its words in the reader's language
 * ("přihlásit, odebírat"), or the English word when it has none, and
 * word.NAME the first of them.
 */
static struct tvars *
help_values(const struct kith_config *cfg, const char *code)
{
	const struct i18n_lang *lang = template_lang(cfg, code, NULL, 0);
	struct tvars *tv = tv_new();
	int own = 0;

	tv_str(tv, "language", lang ? i18n_lang_name(lang) : code);
	for (size_t k = 0; help_commands[k]; k++) {
		const char *w = i18n_command_words(lang, help_commands[k]);
		char *name = xasprintf("words.%s", help_commands[k]);

		own |= w != NULL;
		tv_str(tv, name, w ? w : help_commands[k]);
		free(name);
		/* the first word, for the example lines */
		name = xasprintf("word.%s", help_commands[k]);
		if (w)
			tv_strf(tv, name, "%.*s", (int)strcspn(w, ","), w);
		else
			tv_str(tv, name, help_commands[k]);
		free(name);
	}
	tv_bool(tv, "own_words", own);
	return tv;
}

/* add_help - help.txt in the sender's language, once a reply. */
static void
add_help(const struct mail_ctx *c, struct reply *r)
{
	struct tvars *tv;
	char *text;

	if (r->help++)
		return;
	tv = help_values(c->cfg, r->lang);
	text = notice_text(c->db, c->cfg, c->l, r->lang, "help.txt", tv);
	tv_free(tv);
	if (text)
		tv_str(outcome_add(&r->out, "help"), "text", text);
	free(text);
}

static void
cmd_index(const struct mail_ctx *c, struct reply *r)
{
	struct db_stmt *st = db_prepare(c->db, "SELECT id FROM posts WHERE "
	    "list_id=? AND archived<>0 ORDER BY num DESC LIMIT 20");
	int64_t ids[20];
	int n = 0;

	if (st == NULL)
		return;
	db_bind(st, "i", c->l->id);
	while (n < 20 && db_step(st) == DB_ROW)
		ids[n++] = db_col_int64(st, 0);
	db_finalize(st);
	if (n == 0)
		outcome_add(&r->out, "archive_empty");
	while (n-- > 0) {
		struct post p;

		if (archive_get(c->db, ids[n], &p, NULL, NULL, NULL) == KITH_OK) {
			struct tvars *line = outcome_add(&r->out, "post");

			tv_int(line, "num", p.num);
			tv_int(line, "date", p.date);
			tv_str(line, "sender", p.sender);
			tv_str(line, "subject", p.subject);
			post_release(&p);
		}
	}
}

static void
cmd_get(const struct mail_ctx *c, struct reply *r, const char *args,
    int member)
{
	char *pub = list_setting(c->db, c->l->id, "archive"), *end;
	long long num;
	int st;
	int64_t id;

	/* "get 99999999999999999999" is no post number, not the largest */
	errno = 0;
	num = strtoll(args, &end, 10);
	if (!member && strcmp(pub, "public"))
		outcome_add(&r->out, "members_only");
	else if (*args == '\0' || *end || num <= 0 || errno == ERANGE)
		outcome_add(&r->out, "get_usage");
	else if ((id = db_int(c->db, 0, &st, "SELECT id FROM posts WHERE "
	    "list_id=? AND num=? AND archived<>0", "ii", c->l->id,
	    (int64_t)num)) == 0)
		tv_int(outcome_add(&r->out, "no_post"), "num", num);
	else if (r->attach)
		outcome_add(&r->out, "one_post");
	else {
		struct post p;

		if (archive_get(c->db, id, &p, &r->attach, &r->attach_len, NULL)
		    == KITH_OK) {
			tv_int(outcome_add(&r->out, "attached"), "num", num);
			post_release(&p);
		}
	}
	free(pub);
}

static int
who_line(const struct member *m, void *ctx)
{
	struct tvars *line = outcome_add(ctx, "who");

	tv_str(line, "address", m->address);
	tv_str(line, "role", m->role);
	tv_str(line, "mode", m->mode);
	return 0;
}

static void
cmd_info(const struct mail_ctx *c, struct reply *r)
{
	char *posting = list_setting(c->db, c->l->id, "posting");
	char *policy = list_setting(c->db, c->l->id, "subscribe");
	struct tvars *line = outcome_add(&r->out, "info");

	tv_str(line, "posting", posting);
	tv_str(line, "joining", policy);
	free(posting);
	free(policy);
}

/* subscribe [address] */
static int
cmd_subscribe(const struct mail_ctx *c, struct reply *r, const char *sender,
    const char *sender_name, const char *args)
{
	char *target = *args ? address_normalize(args) : xstrdup(sender);
	char *policy = list_setting(c->db, c->l->id, "subscribe"), *line;
	struct member m;
	int st = KITH_OK;

	if (target == NULL)
		tv_str(outcome_add(&r->out, "not_address"), "text", args);
	else if (ban_matches(c->db, c->l->id, target))
		tv_str(outcome_add(&r->out, "banned"), "address", target);
	else if (member_find(c->db, c->l->id, target, &m) == KITH_OK) {
		tv_str(outcome_add(&r->out, "already_member"), "address",
		    target);
		member_release(&m);
	} else if (!strcmp(policy, "invite"))
		outcome_add(&r->out, "invite_only");
	else if (!strcmp(policy, "open") && !strcmp(target, sender) &&
	    r->proven) {
		/* open: no confirmation when the mail proves its sender */
		line = *r->asked ? xasprintf("language=%s %s", r->asked,
		    sender_name) : xstrdup(sender_name);
		st = membership_join(c, target, line, &r->out);
		free(line);
	}
	else if (!strcmp(target, sender)) {
		/* Our reply to the sender is the confirmation; the language
		 * asked for goes with it (membership_join) */
		line = *r->asked ? xasprintf("subscribe language=%s %s",
		    r->asked, sender_name) : xasprintf("subscribe %s",
		    sender_name);
		buf_addf(&r->own, "%s\n", line);
		outcome_add(&r->out, "join_after_confirm");
		free(line);
	} else
		st = confirm_request(c, target, "subscribe", 1, NULL, &r->out);
	free(target);
	free(policy);
	return st == KITH_TEMP ? KITH_TEMP : KITH_OK;
}

/* unsubscribe [address] */
static int
cmd_unsubscribe(const struct mail_ctx *c, struct reply *r, const char *sender,
    const char *args)
{
	char *target = *args ? address_normalize(args) : xstrdup(sender);
	struct member m;
	int st = KITH_OK;

	if (target == NULL)
		tv_str(outcome_add(&r->out, "not_address"), "text", args);
	else if (member_find(c->db, c->l->id, target, &m) != KITH_OK)
		tv_str(outcome_add(&r->out, "not_member"), "address", target);
	else {
		member_release(&m);
		if (!strcmp(target, sender)) {
			buf_adds(&r->own, "unsubscribe\n");
			outcome_add(&r->out, "leave_after_confirm");
		} else
			st = confirm_request(c, target, "unsubscribe", 1, NULL,
			    &r->out);
	}
	free(target);
	return st == KITH_TEMP ? KITH_TEMP : KITH_OK;
}

/* set digest daily|weekly|off, set nomail [until DATE], set mail */
static void
cmd_set(const struct mail_ctx *c, struct reply *r, const struct command *cmd,
    int member)
{
	const char *a = cmd->args;
	char code[NOTICE_LANG_LEN];
	int64_t until = strncmp(a, "nomail until ", 13) ? 0 : parse_date(a + 13);
	int ok = !strcmp(a, "mail") || !strcmp(a, "nomail") ||
	    !strcmp(a, "digest daily") || !strcmp(a, "digest weekly") ||
	    !strcmp(a, "digest off") || !strcmp(a, "digest plain") ||
	    !strcmp(a, "digest mime") || !strcmp(a, "thanks on") ||
	    !strcmp(a, "thanks off") || until > 0;

	if (!member)
		outcome_add(&r->out, "you_not_member");
	else if (!strncasecmp(a, "address ", 8)) {
		/* the member confirms here, then the new address there */
		char *to = address_normalize(a + 8 + strspn(a + 8, " "));

		if (to == NULL)
			tv_str(outcome_add(&r->out, "not_address"), "text",
			    a + 8 + strspn(a + 8, " "));
		else {
			buf_addf(&r->own, "set address %s\n", to);
			tv_str(outcome_add(&r->out, "move_after_confirm"),
			    "address", to);
		}
		free(to);
	} else if (!strncasecmp(a, "language", 8) && (a[8] == ' ' ||
	    a[8] == '\0')) {
		const char *want = a + 8 + strspn(a + 8, " ");

		if (!strcasecmp(want, "default"))
			snprintf(code, sizeof(code), "default");
		if (!strcasecmp(want, "default") ||
		    notice_lang_find(c->cfg, want, code)) {
			buf_addf(&r->own, "set language %s\n", code);
			outcome_add(&r->out, "done_after_confirm");
		} else {
			struct tvars *line = outcome_add(&r->out,
			    "language_usage");
			char *all = notice_lang_list(c->cfg);

			tv_str(line, "text", want);
			tv_str(line, "languages", all);
			free(all);
		}
	} else if (until > 0 && until <= now_utc())
		/* a year typed wrong: "until" a day gone changes nothing */
		tv_str(outcome_add(&r->out, "nomail_past"), "day", a + 13);
	else if (!ok)
		outcome_add(&r->out, "set_usage");
	else {
		buf_addf(&r->own, "set %s\n", a);
		outcome_add(&r->out, "done_after_confirm");
	}
}

/*
 * cmd_for_member - a feature's command that acts for the sender (an
 * answer to an invitation, a vote): the sender must prove who they are.
 * Done now when our MTA vouches for the From address (an aligned DKIM
 * pass), else once the sender confirms by replying to our answer, which
 * only the real address receives.  A forged From acts for nobody.
 */
static int
cmd_for_member(const struct mail_ctx *c, struct reply *r,
    const struct command *cmd, const char *sender)
{
	char line[sizeof(cmd->verb) + sizeof(cmd->args) + 2];

	snprintf(line, sizeof(line), "%s %s", cmd->verb, cmd->args);
	if (membership_check(c, sender, line, &r->out) != KITH_OK)
		return KITH_OK;
	if (r->proven)
		return membership_act(c, sender, line, &r->out) == KITH_TEMP ?
		    KITH_TEMP : KITH_OK;
	buf_addf(&r->own, "%s\n", line);
	outcome_add(&r->out, "done_after_confirm");
	return KITH_OK;
}

/* A feature's command: for the sender only once proven (cmd_for_member). */
static int
cmd_feature(const struct mail_ctx *c, struct reply *r,
    const struct command *cmd, const char *sender,
    const struct feature_command *k)
{
	if (k->for_member)
		return cmd_for_member(c, r, cmd, sender);
	return k->run(c, sender, cmd->args, 0, &r->out) == KITH_TEMP ?
	    KITH_TEMP : KITH_OK;
}

/* index: the archive's last posts, for members or a public archive. */
static void
cmd_index_if(const struct mail_ctx *c, struct reply *r, int member)
{
	char *pub = list_setting(c->db, c->l->id, "archive");

	if (member || !strcmp(pub, "public"))
		cmd_index(c, r);
	else
		outcome_add(&r->out, "members_only");
	free(pub);
}

static int
run_command(const struct mail_ctx *c, struct reply *r,
    const struct command *cmd, const char *sender, const char *sender_name)
{
	const struct feature_command *k = features_command(cmd->verb);
	struct member m;
	int member = member_find(c->db, c->l->id, sender, &m) == KITH_OK;
	int moderator = member && (!strcmp(m.role, "owner") ||
	    !strcmp(m.role, "moderator"));
	int st = KITH_OK;

	if (member)
		member_release(&m);
	tv_str(outcome_add(&r->out, "command"), "line", cmd->line);
	if (!strcmp(cmd->verb, "help"))
		add_help(c, r);
	else if (!strcmp(cmd->verb, "subscribe") || !strcmp(cmd->verb, "join"))
		st = cmd_subscribe(c, r, sender, sender_name, cmd->args);
	else if (!strcmp(cmd->verb, "unsubscribe") ||
	    !strcmp(cmd->verb, "leave"))
		st = cmd_unsubscribe(c, r, sender, cmd->args);
	else if (!strcmp(cmd->verb, "set"))
		cmd_set(c, r, cmd, member);
	else if (!strcmp(cmd->verb, "info"))
		cmd_info(c, r);
	else if (!strcmp(cmd->verb, "index"))
		cmd_index_if(c, r, member);
	else if (!strcmp(cmd->verb, "get"))
		cmd_get(c, r, cmd->args, member);
	else if (k)
		st = cmd_feature(c, r, cmd, sender, k);
	else if (!strcmp(cmd->verb, "my") && !strcasecmp(cmd->args, "data")) {
		/* privacy.h: only ever to the address, after it confirms */
		buf_adds(&r->own, "my data\n");
		outcome_add(&r->out, "data_after_confirm");
	} else if (!strcmp(cmd->verb, "my"))
		outcome_add(&r->out, "my_usage");
	else if (!strcmp(cmd->verb, "remove")) {
		/* an owner, proven, or confirming (privacy_mail_remove) */
		char *line = privacy_remove_line(c, sender, cmd->args, r->parent,
		    &r->out);

		if (line && r->proven)
			st = privacy_mail_remove(c, sender, line + 7, &r->out) ==
			    KITH_TEMP ? KITH_TEMP : KITH_OK;
		else if (line) {
			buf_addf(&r->own, "%s\n", line);
			outcome_add(&r->out, "done_after_confirm");
		}
		free(line);
	} else if (!strcmp(cmd->verb, "who")) {
		if (moderator)
			member_foreach(c->db, c->l->id, who_line, &r->out);
		else {
			outcome_add(&r->out, "who_refused");
			log_info("requests: 'who' on '%s' by '%s' refused",
			    c->l->address, sender);
		}
	}
	return st;
}

static int
is_member(const struct mail_ctx *c, const char *address)
{
	struct member m;

	if (member_find(c->db, c->l->id, address, &m) != KITH_OK)
		return 0;
	member_release(&m);
	return 1;
}

/* Queue the one reply; its Reply-To confirms the sender's own commands. */
static int
send_reply(const struct mail_ctx *c, struct reply *r, const char *sender)
{
	char *confirm = NULL, *subject, *results;
	struct tvars *tv;
	struct notice_opts o;
	int st = KITH_OK;

	if (r->own.len > 0) {
		/* the sender's changes wait for the sender's confirmation */
		r->own.data[--r->own.len] = '\0';
		st = confirm_request(c, sender, r->own.data, 0, &confirm, &r->out);
		if (st == KITH_PERM && !is_member(c, sender))
			return KITH_OK;	/* no more mail to a stranger today */
		if (st == KITH_TEMP)
			return st;
	}
	results = outcome_text(c->db, c->cfg, c->l, r->lang, &r->out);
	if (results == NULL) {
		free(confirm);
		return KITH_OK;	/* logged: a broken text sends nothing */
	}
	/* "Re: " and the request's subject, as mail programs answer */
	subject = c->subject && *c->subject ? subject_reply(c->subject, "") :
	    xstrdup("");
	tv = tv_new();
	tv_str(tv, "results", results);
	tv_str(tv, "reply_subject", subject);
	tv_bool(tv, "confirmation", 0);
	o = (struct notice_opts){ .to = sender, .tmpl = "request-reply.txt",
	    .tv = tv, .lang = r->lang, .in_reply_to = c->in_reply_to,
	    .reply_to = confirm, .attach = r->attach,
	    .attach_len = r->attach_len };
	st = notice_queue(c->db, c->cfg, c->l, &o);
	tv_free(tv);
	free(results);
	free(subject);
	free(confirm);
	return st == KITH_PERM ? KITH_OK : st;
}

/*
 * asked_lang - the language a request's Content-Language (what it is
 * written in), else its Accept-Language asks for, when Kith has it.
 */
static int
asked_lang(const struct mail_ctx *c, const struct message *m,
    char code[NOTICE_LANG_LEN])
{
	static const char *const fields[] = { "Content-Language",
	    "Accept-Language" };
	int found = 0;

	for (size_t i = 0; i < 2 && !found; i++) {
		char *v = message_header(m, fields[i]);

		found = v && i18n_accept_pick(v, notice_lang_have,
		    (void *)c->cfg, code, NOTICE_LANG_LEN);
		free(v);
	}
	return found;
}

int
requests_handle(const struct mail_ctx *c, const struct message *m,
    const char *sender, enum request_kind kind)
{
	struct command cmds[REQUESTS_MAX];
	struct reply r;
	int n, st = KITH_OK;

	memset(&r, 0, sizeof(r));
	outcome_init(&r.out);
	buf_init(&r.own);
	notice_lang(c->db, c->l, sender, r.lang);
	if (!is_member(c, sender) && asked_lang(c, m, r.asked)) {
		char list[NOTICE_LANG_LEN];

		/* the answer in it too; the same as the list's: nothing to
		 * keep, so that the member follows the list's setting */
		snprintf(r.lang, sizeof(r.lang), "%s", r.asked);
		notice_lang(c->db, c->l, NULL, list);
		if (!strcmp(list, r.asked))
			r.asked[0] = '\0';
	}
	if (kind == REQUEST_SUBSCRIBE) {
		n = 1;
		parse_line("subscribe", &cmds[0], NULL);
	} else if (kind == REQUEST_UNSUBSCRIBE) {
		n = 1;
		parse_line("unsubscribe", &cmds[0], NULL);
	} else {
		/* the reader's words, and the list's when they differ */
		const struct i18n_lang *langs[3] = { NULL, NULL, NULL };
		char list[NOTICE_LANG_LEN];
		int k = 0;

		notice_lang(c->db, c->l, NULL, list);
		if ((langs[k] = template_lang(c->cfg, r.lang, NULL, 0)) != NULL)
			k++;
		if (strcmp(list, r.lang))
			langs[k] = template_lang(c->cfg, list, NULL, 0);
		n = requests_parse_in(m->subject, m->text, langs, cmds,
		    REQUESTS_MAX);
	}
	r.parent = m->in_reply_to;
	r.proven = *m->from_addr && !strcmp(m->from_addr, sender) &&
	    reply_sender_proven(c->cfg->authserv_id, m->raw, m->len,
	    m->from_addr);
	if (n == 0) {
		outcome_add(&r.out, "no_command");
		add_help(c, &r);
	}
	for (int i = 0; i < n && st == KITH_OK; i++)
		st = run_command(c, &r, &cmds[i], sender, m->from_name);
	/* A one-step join or leave is answered by its welcome or goodbye. */
	if (st == KITH_OK && !(kind != REQUEST_COMMANDS && r.own.len == 0 &&
	    (outcome_has(&r.out, "joined") || outcome_has(&r.out, "left"))))
		st = send_reply(c, &r, sender);
	log_info("requests: %d commands from '%s' to '%s'", n, sender,
	    c->l->address);
	outcome_release(&r.out);
	buf_release(&r.own);
	free(r.attach);
	return st;
}
