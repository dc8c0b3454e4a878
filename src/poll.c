/* poll - polls answered by reply or command. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/compose.h"
#include "kith/db.h"
#include "kith/fts.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/message.h"
#include "kith/notice.h"
#include "kith/outcome.h"
#include "kith/outbox.h"
#include "kith/poll.h"
#include "kith/reply.h"
#include "kith/rfc2047.h"
#include "kith/timeutil.h"
#include "kith/tokens.h"
#include "kith/util.h"
#include "kith/weblinks.h"

void
poll_release(struct poll *p)
{
	free(p->question);
	free(p->state);
	for (size_t i = 0; i < p->noptions; i++)
		free(p->options[i]);
	memset(p, 0, sizeof(*p));
}

int
poll_get(struct db *db, int64_t id, struct poll *p)
{
	struct db_stmt *st = db_prepare(db, "SELECT id, list_id, question, "
	    "options, multiple, closes, state, created, closed FROM polls "
	    "WHERE id=?");
	int found = 0;

	memset(p, 0, sizeof(*p));
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", id);
	if (db_step(st) == DB_ROW) {
		char *opts = db_col_text(st, 3), *save = NULL;

		p->id = db_col_int64(st, 0);
		p->list_id = db_col_int64(st, 1);
		p->question = db_col_text(st, 2);
		for (char *o = strtok_r(opts, "\n", &save); o &&
		    p->noptions < POLL_MAX_OPTIONS; o = strtok_r(NULL, "\n", &save))
			p->options[p->noptions++] = xstrdup(o);
		free(opts);
		p->multiple = db_col_int(st, 4);
		p->closes = db_col_int64(st, 5);
		p->state = db_col_text(st, 6);
		p->created = db_col_int64(st, 7);
		p->closed = db_col_int64(st, 8);
		found = 1;
	}
	db_finalize(st);
	return found ? KITH_OK : KITH_PERM;
}

static int
add_choice(int *chosen, int n, int c)
{
	int i = n;

	for (int k = 0; k < n; k++)
		if (chosen[k] == c)
			return n;
	while (i > 0 && chosen[i - 1] > c) {
		chosen[i] = chosen[i - 1];
		i--;
	}
	chosen[i] = c;
	return n + 1;
}

/*
 * 1 when the number v, read as the option in place v, could mean another
 * option whose text holds v ("3" to "2 nights, 3 nights, 4 nights"):
 * such a reply is not understood, and the member is told how to answer.
 */
static int
number_clashes(long v, const struct poll *p)
{
	for (size_t i = 0; i < p->noptions; i++) {
		const char *s = p->options[i];

		if ((long)i + 1 == v)
			continue;
		for (; *s; s++)
			if (isdigit((unsigned char)*s) && (s == p->options[i] ||
			    !isdigit((unsigned char)s[-1])) &&
			    strtol(s, NULL, 10) == v)
				return 1;
	}
	return 0;
}

/* "1", "1, 3", "1 and 3", "#2": numbers and nothing else.  -1 out of range,
 * -3 for a number that could mean two options (number_clashes). */
static int
numbers_only(const char *line, const struct poll *p, int by_place,
    int *chosen)
{
	char *low = str_lower(xstrdup(line)), *t = str_trim(low), *save = NULL;
	int n = 0;

	for (char *w = strtok_r(t, " ,;/&+#.", &save); w;
	    w = strtok_r(NULL, " ,;/&+#.", &save)) {
		char *end;
		long v;

		if (!strcmp(w, "and") || !strcmp(w, "und") || !strcmp(w, "et"))
			continue;
		v = strtol(w, &end, 10);
		if (*end || end == w) {
			n = 0;
			break;
		}
		if (!by_place && number_clashes(v, p)) {
			n = -3;
			break;
		}
		if (v < 1 || v > (long)p->noptions) {
			n = -1;
			break;
		}
		n = add_choice(chosen, n, (int)v - 1);
	}
	free(low);
	return n;
}

/*
 * The option whose text the line is, or starts with (the longest), both
 * read as the archive's search reads them ("moravsky kras" is "Moravský
 * kras"); 0 or 1.  0 when the rest of the line sets it aside ("Pálava?
 * No way", "Beskydy nemůžu").
 */
static int
option_text(const char *line, const struct poll *p, int *chosen)
{
	char *l2 = fts_fold_text(line), *s = str_trim(l2);
	size_t best = 0;
	int n = 0;

	for (size_t i = 0; i < p->noptions; i++) {
		char *o = fts_fold_text(p->options[i]), *ot = str_trim(o);
		size_t ol = strlen(ot);

		if (ol > best && !strncmp(s, ot, ol) &&
		    !isalnum((unsigned char)s[ol])) {
			best = ol;
			chosen[0] = (int)i;
			n = 1;
		}
		free(o);
	}
	if (n && reply_negates(s + best))
		n = 0;
	free(l2);
	return n;
}

/*
 * one_number - "1번이요!", "Actually 2 please": the one run of digits in
 * the line, when there is exactly one and nothing in the line turns it
 * around ("not 2", "2 geht nicht").  0 for none, several or a negation,
 * -1 out of range, -3 when it could mean two options.
 */
static int
one_number(const char *line, const struct poll *p, int *chosen)
{
	const char *d = NULL;
	long v;
	int runs = 0;

	for (const char *s = line; *s; s++)
		if (isdigit((unsigned char)*s) && (s == line ||
		    !isdigit((unsigned char)s[-1]))) {
			runs++;
			d = s;
		}
	if (runs != 1 || reply_negates(line))
		return 0;
	v = strtol(d, NULL, 10);
	if (number_clashes(v, p))
		return -3;
	if (v < 1 || v > (long)p->noptions)
		return -1;
	chosen[0] = (int)v - 1;
	return 1;
}

int
poll_parse_choice(const char *line, const struct poll *p, int by_place,
    int *chosen)
{
	int n = numbers_only(line, p, by_place, chosen), clash = n == -3;

	/* "4 nights" is the option's text, though its 4 clashes */
	if (n == 0 || n == -3)
		n = option_text(line, p, chosen);
	if (n == 0)
		n = one_number(line, p, chosen);
	if (n == 0 && clash)
		n = -3;
	if (n > 1 && !p->multiple)
		return -2;
	return n;
}

/* A new poll and its copies, in one transaction. */
struct create_tx {
	const struct list *l;
	const char *question, *options;
	int multiple;
	int64_t closes, now, id, sent;
};

static int
create_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct create_tx *c = ctx;
	char render[32];
	int64_t msg_id;
	int st;

	(void)err;
	(void)errlen;
	c->id = 0;
	st = db_exec_id(db, &c->id, "INSERT INTO polls(list_id, question, "
	    "options, multiple, closes, created) VALUES (?, ?, ?, ?, ?, ?) "
	    "RETURNING id", "ittIii", c->l->id, c->question, c->options,
	    c->multiple, c->closes, c->now);
	snprintf(render, sizeof(render), "poll:%lld", (long long)c->id);
	if (st == KITH_OK)
		st = outbox_render_add(db, c->l->id, c->l->local, c->l->domain,
		    "poll", render, &msg_id);
	if (st == KITH_OK)
		st = outbox_fanout_mailable(db, msg_id, c->l->id, c->now,
		    &c->sent);
	return st;
}

/* 1 for "3" or " 12 ": digits and nothing else but spaces. */
static int
bare_number(const char *s)
{
	size_t digits = 0;

	for (; *s; s++)
		if (isdigit((unsigned char)*s))
			digits++;
		else if (*s != ' ')
			return 0;
	return digits > 0;
}

/*
 * options_alike - 1 (err says which) when two options read the same in a
 * reply, as option_text reads them ("Řež" and "Rez", or one written
 * twice): a reply naming one could as well name the other.
 */
static int
options_alike(char *const *options, size_t n, char *err, size_t errlen)
{
	char **folded = xcalloc(n, sizeof(*folded));
	int alike = 0;

	for (size_t i = 0; i < n; i++)
		folded[i] = fts_fold_text(options[i]);
	for (size_t i = 0; i < n && !alike; i++)
		for (size_t k = i + 1; k < n && !alike; k++)
			if (!strcmp(str_trim(folded[i]), str_trim(folded[k]))) {
				snprintf(err, errlen, "options %zu and %zu ('%s' and "
				    "'%s') read the same in a reply, which could "
				    "not tell them apart: make them differ", i + 1,
				    k + 1, options[i], options[k]);
				alike = 1;
			}
	for (size_t i = 0; i < n; i++)
		free(folded[i]);
	free(folded);
	return alike;
}

int
poll_create(struct db *db, const struct list *l, const char *question,
    char *const *options, size_t n, int multiple, int64_t closes,
    int64_t now, int64_t *id, int64_t *sent, char *err, size_t errlen)
{
	struct create_tx pc;
	struct buf opts;
	int st;

	/* what every member reads, in the subject too: refused, not mended */
	if (*question == '\0' || !utf8_text_ok(question, 500, 0)) {
		snprintf(err, errlen, "the question must be one line of UTF-8 "
		    "text (1 to 500 bytes, no control characters)");
		return KITH_PERM;
	}
	if (n < 2 || n > POLL_MAX_OPTIONS) {
		snprintf(err, errlen, "a poll needs 2 to %d options",
		    POLL_MAX_OPTIONS);
		return KITH_PERM;
	}
	buf_init(&opts);
	for (size_t i = 0; i < n; i++) {
		if (*options[i] == '\0' || !utf8_text_ok(options[i], 200, 0)) {
			snprintf(err, errlen, "option %zu must be one line of UTF-8 "
			    "text (1 to 200 bytes, no control characters)", i + 1);
			buf_release(&opts);
			return KITH_PERM;
		}
		/* a reply "1" names the first option: an option that is the
		 * bare number of another place could never be told apart */
		if (bare_number(options[i]) && strtol(options[i], NULL, 10) !=
		    (long)i + 1) {
			snprintf(err, errlen, "option %zu is the bare number '%s', "
			    "but a number in a reply names an option by its place: "
			    "give it a word ('%s nights') or list the numbers in "
			    "order from 1", i + 1, options[i], options[i]);
			buf_release(&opts);
			return KITH_PERM;
		}
		buf_addf(&opts, "%s%s", i ? "\n" : "", options[i]);
	}
	if (options_alike(options, n, err, errlen)) {
		buf_release(&opts);
		return KITH_PERM;
	}
	if (closes && closes <= now) {
		snprintf(err, errlen, "the closing time has passed");
		buf_release(&opts);
		return KITH_PERM;
	}
	pc = (struct create_tx){ l, question, opts.data, multiple, closes, now,
	    0, 0 };
	st = db_tx(db, create_tx, &pc, err, errlen);
	*id = pc.id;
	*sent = pc.sent;
	buf_release(&opts);
	return st;
}

static char *
choices_text(const int *c, int n)
{
	struct buf b;

	buf_init(&b);
	for (int i = 0; i < n; i++)
		buf_addf(&b, "%s%d", i ? "," : "", c[i] + 1);
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

/* Why a vote is not counted; each is a block of poll-reason.txt. */
enum refusal {
	VOTE_OK, VOTE_NO_POLL, VOTE_NOT_MEMBER, VOTE_CLOSED, VOTE_ONE_ANSWER,
	VOTE_NOT_OPTION, VOTE_UNCLEAR, VOTE_AMBIGUOUS
};
static const char *const refusal_names[] = {
	"", "no_poll", "not_member", "closed", "one_answer", "not_option",
	"unclear", "ambiguous"
};
#define NREFUSALS (sizeof(refusal_names) / sizeof(refusal_names[0]))

/* The values every text about a vote on p gets (p NULL: no such poll). */
static void
poll_values(struct tvars *tv, const struct poll *p, int64_t id)
{
	tv_int(tv, "poll.id", p ? p->id : id);
	tv_str(tv, "poll.question", p ? p->question : "");
	tv_bool(tv, "poll.multiple", p && p->multiple);
}

/*
 * reason_text - why the vote is not counted, as poll-reason.txt says it
 * to address in its language: one phrase.  Caller frees.
 */
static char *
reason_text(const struct kith_config *cfg, struct db *db, const struct list *l,
    const char *address, const struct poll *p, int64_t id, enum refusal r)
{
	char lang[NOTICE_LANG_LEN], *text;
	struct tvars *tv = tv_new();
	size_t n;

	poll_values(tv, p, id);
	for (size_t i = 1; i < NREFUSALS; i++)
		tv_bool(tv, refusal_names[i], i == (size_t)r);
	notice_lang(db, l, address, lang);
	text = notice_text(db, cfg, l, lang, "poll-reason.txt", tv);
	tv_free(tv);
	if (text == NULL)
		return xstrdup(refusal_names[r]);
	for (n = strlen(text); n > 0 && (text[n - 1] == '\n' ||
	    text[n - 1] == ' '); n--)
		text[n - 1] = '\0';
	return text;
}

/* The options chosen, for the texts that show a vote. */
static void
choices_values(struct tvars *tv, const struct poll *p, const int *chosen,
    int k)
{
	struct tvlist *list = tv_list(tv, "choices");

	for (int i = 0; i < k; i++) {
		struct tvars *c = tv_item(list);

		tv_int(c, "number", chosen[i] + 1);
		tv_str(c, "option", p->options[chosen[i]]);
	}
}

/* A short mail to one voter: acknowledgement or refusal (tv: its values). */
static int
vote_notice(const struct kith_config *cfg, struct db *db, const struct list *l,
    const struct poll *p, const char *to, const char *tmpl,
    struct tvars *tv)
{
	struct notice_opts o;

	poll_values(tv, p, p->id);
	memset(&o, 0, sizeof(o));
	o.to = to;
	o.tmpl = tmpl;
	o.tv = tv;
	return notice_queue(db, cfg, l, &o);
}

/* vote_check - may address vote text on poll p now?  chosen[], *k. */
static enum refusal
vote_check(struct db *db, const struct list *l, const struct poll *p,
    const char *address, const char *text, int by_place, int64_t now,
    int *chosen, int *k)
{
	struct member m;

	*k = 0;
	if (member_find(db, l->id, address, &m) != KITH_OK)
		return VOTE_NOT_MEMBER;
	member_release(&m);
	if (strcmp(p->state, "open") || (p->closes && now >= p->closes))
		return VOTE_CLOSED;
	*k = poll_parse_choice(text, p, by_place, chosen);
	return *k == -3 ? VOTE_AMBIGUOUS : *k == -2 ? VOTE_ONE_ANSWER :
	    *k == -1 ? VOTE_NOT_OPTION : *k == 0 ? VOTE_UNCLEAR : VOTE_OK;
}

/* A "vote_refused" line in out: why, in the member's words. */
static void
refused_line(const struct kith_config *cfg, struct db *db, const struct list *l,
    const char *address, const struct poll *p, int64_t id, enum refusal r,
    struct outcome *out)
{
	char *why = reason_text(cfg, db, l, address, p, id, r);

	tv_str(outcome_add(out, "vote_refused"), "why", why);
	free(why);
}

int
poll_vote_check(const struct kith_config *cfg, struct db *db,
    const struct list *l, int64_t poll_id, const char *address,
    const char *text, int by_place, int64_t now, struct outcome *out)
{
	struct poll p;
	int chosen[POLL_MAX_OPTIONS], k;
	enum refusal r;

	if (poll_get(db, poll_id, &p) != KITH_OK || p.list_id != l->id) {
		poll_release(&p);
		refused_line(cfg, db, l, address, NULL, poll_id, VOTE_NO_POLL,
		    out);
		return -1;
	}
	r = vote_check(db, l, &p, address, text, by_place, now, chosen, &k);
	if (r != VOTE_OK)
		refused_line(cfg, db, l, address, &p, poll_id, r, out);
	poll_release(&p);
	return r == VOTE_OK ? 0 : -1;
}

/* Record the vote; the member's answer in what. */
static int
vote_record(struct db *db, const struct poll *p, const struct member *m,
    const int *chosen, int k, int64_t now, struct buf *what)
{
	char *choices = choices_text(chosen, k);
	int st = db_exec(db, "INSERT INTO poll_votes(poll_id, member_id, "
	    "address, choices, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(poll_id, "
	    "member_id) DO UPDATE SET choices=excluded.choices, at=excluded.at",
	    "iitti", p->id, m->id, m->address, choices, now);

	if (st == KITH_OK)
		st = db_exec(db, "INSERT INTO poll_log(poll_id, address, choices, "
		    "at) VALUES (?, ?, ?, ?)", "itti", p->id, m->address, choices,
		    now);
	for (int i = 0; i < k; i++)
		buf_addf(what, "%s%d. %s", i ? "; " : "", chosen[i] + 1,
		    p->options[chosen[i]]);
	free(choices);
	return st;
}

/* A refused vote: a line in answer, else (once a day) poll-refused.txt. */
static int
vote_refused(const struct kith_config *cfg, struct db *db, const struct list *l,
    const struct poll *p, const char *address, enum refusal r,
    struct outcome *answer)
{
	struct tvars *tv;
	char *why;
	int st;

	if (answer) {
		refused_line(cfg, db, l, address, p, p->id, r, answer);
		return KITH_OK;
	}
	if (!notice_rate_ok(db, l->id, address, "poll-refused"))
		return KITH_OK;
	why = reason_text(cfg, db, l, address, p, p->id, r);
	tv = tv_new();
	tv_str(tv, "why", why);
	tv_str(tv, "vote", why);	/* the name older texts use */
	st = vote_notice(cfg, db, l, p, address, "poll-refused.txt", tv);
	tv_free(tv);
	free(why);
	return st;
}

/* A counted vote: a line in answer, else poll-voted.txt. */
static int
vote_counted(const struct kith_config *cfg, struct db *db, const struct list *l,
    const struct poll *p, const char *address, const int *chosen, int k,
    const char *what, struct outcome *answer)
{
	struct tvars *tv;
	int st;

	if (answer) {
		tv = outcome_add(answer, "voted");
		tv_int(tv, "id", p->id);
		choices_values(tv, p, chosen, k);
		return KITH_OK;
	}
	tv = tv_new();
	choices_values(tv, p, chosen, k);
	tv_str(tv, "vote", what);	/* the name older texts use */
	st = vote_notice(cfg, db, l, p, address, "poll-voted.txt", tv);
	tv_free(tv);
	return st;
}

int
poll_vote(const struct kith_config *cfg, struct db *db, const struct list *l,
    int64_t poll_id, const char *address, const char *text, int by_place,
    int64_t now, struct outcome *answer, char *line, size_t n)
{
	struct poll p;
	struct member m;
	int chosen[POLL_MAX_OPTIONS], k, st;
	enum refusal r;
	struct buf what;

	if (poll_get(db, poll_id, &p) != KITH_OK || p.list_id != l->id) {
		poll_release(&p);
		snprintf(line, n, "poll: vote for unknown poll %lld by '%s'",
		    (long long)poll_id, address);
		if (answer)
			refused_line(cfg, db, l, address, NULL, poll_id,
			    VOTE_NO_POLL, answer);
		return KITH_OK;
	}
	if ((r = vote_check(db, l, &p, address, text, by_place, now, chosen,
	    &k)) != VOTE_OK) {
		snprintf(line, n, "poll: vote on %lld by '%s' refused: %s",
		    (long long)p.id, address, refusal_names[r]);
		st = vote_refused(cfg, db, l, &p, address, r, answer);
		poll_release(&p);
		return st;
	}
	if (member_find(db, l->id, address, &m) != KITH_OK) {
		poll_release(&p);
		return KITH_TEMP;	/* a member a moment ago */
	}
	buf_init(&what);
	st = vote_record(db, &p, &m, chosen, k, now, &what);
	if (st == KITH_OK)
		st = vote_counted(cfg, db, l, &p, m.address, chosen, k,
		    what.data, answer);
	snprintf(line, n, "poll: '%s' voted on %lld: %s", m.address,
	    (long long)p.id, what.data);
	buf_release(&what);
	member_release(&m);
	poll_release(&p);
	return st;
}

int
poll_handle_reply(const struct mail_ctx *c, const char *token,
    const struct message *m, const char *sender, char *line, size_t n)
{
	const struct list *l = c->l;
	char *payload = NULL, *end, *vote;
	long long id;
	int st;

	/* The token was made for this member's address: it is the proof. */
	if (sender == NULL || token_check(c->key, "poll", l->address, sender,
	    token, now_utc(), &payload) < 0) {
		snprintf(line, n, "poll: reply to '%s-poll' from '%s' with a "
		    "token not made for it; ignored", l->local,
		    sender ? sender : "");
		return KITH_OK;
	}
	id = strtoll(payload, &end, 10);
	free(payload);
	/* the first line the member wrote: quotes and signature skipped */
	vote = reply_line(m->text);
	st = poll_vote(c->cfg, c->db, l, id, sender, vote, 0, now_utc(), NULL,
	    line, n);
	free(vote);
	return st;
}

int
poll_tally(struct db *db, const struct poll *p, struct poll_tally *t)
{
	struct db_stmt *st = db_prepare(db, "SELECT choices FROM poll_votes WHERE "
	    "poll_id=?");

	memset(t, 0, sizeof(*t));
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", p->id);
	while (db_step(st) == DB_ROW) {
		const char *c = db_col_str(st, 0);

		t->voters++;
		while (*c) {
			char *e;
			long v = strtol(c, &e, 10);

			if (e == c)
				break;
			if (v >= 1 && v <= (long)p->noptions)
				t->votes[v - 1]++;
			c = *e == ',' ? e + 1 : e;
		}
	}
	db_finalize(st);
	t->members = db_int(db, 0, NULL, "SELECT count(*) FROM members WHERE "
	    "list_id=? AND mode!='nomail' AND disabled=0", "i", p->list_id);
	return KITH_OK;
}

int
poll_nonvoters(struct db *db, const struct poll *p,
    int (*fn)(const char *, void *), void *ctx)
{
	struct db_stmt *st = db_prepare(db, "SELECT address FROM members m WHERE "
	    "list_id=? AND mode!='nomail' AND disabled=0 AND NOT EXISTS "
	    "(SELECT 1 FROM poll_votes v WHERE v.poll_id=? AND "
	    "v.member_id=m.id) ORDER BY address");

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ii", p->list_id, p->id);
	while (db_step(st) == DB_ROW)
		if (fn(db_col_str(st, 0), ctx))
			break;
	db_finalize(st);
	return KITH_OK;
}

int
poll_timeline(struct db *db, const struct poll *p,
    int (*fn)(const char *, int64_t, void *), void *ctx)
{
	/* by UTC day: the day's number, its date made here */
	struct db_stmt *st = db_prepare(db, "SELECT at / 86400, count(*) FROM "
	    "poll_log WHERE poll_id=? GROUP BY 1 ORDER BY 1");
	char day[16];

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", p->id);
	while (db_step(st) == DB_ROW) {
		utc_strftime(db_col_int64(st, 0) * 86400, "%Y-%m-%d", day,
		    sizeof(day));
		if (fn(day, db_col_int64(st, 1), ctx))
			break;
	}
	db_finalize(st);
	return KITH_OK;
}

/* options_values - p's options as the list "options" (label), into tv. */
static void
options_values(struct tvars *tv, const struct poll *p)
{
	struct tvlist *list = tv_list(tv, "options");

	for (size_t i = 0; i < p->noptions; i++)
		tv_str(tv_item(list), "label", p->options[i]);
}

/*
 * results_values - the tally as poll-results.txt shows it: per option
 * its votes, its share of the voters in percent and a bar of one mark
 * per 5 %; voters and members.
 */
static void
results_values(struct tvars *tv, const struct poll *p,
    const struct poll_tally *t)
{
	struct tvlist *list = tv_list(tv, "options");

	poll_values(tv, p, p->id);
	for (size_t i = 0; i < p->noptions; i++) {
		struct tvars *o = tv_item(list);
		int pct = t->voters ? (int)(100 * t->votes[i] / t->voters) : 0;

		tv_str(o, "label", p->options[i]);
		tv_int(o, "votes", t->votes[i]);
		tv_int(o, "percent", pct);
		tv_int(o, "bar", pct / 5);
	}
	tv_int(tv, "voters", t->voters);
	tv_int(tv, "members", t->members);
}

/*
 * results_mail - the results of p as list l writes them, for everyone:
 * one copy in the list's language.  NULL when the text is wrong (logged).
 */
static char *
results_mail(const struct kith_config *cfg, struct db *db, const struct list *l,
    const struct poll *p, const struct poll_tally *t, size_t *len)
{
	char lang[NOTICE_LANG_LEN], *mail = NULL;
	struct tvars *tv = tv_new();
	struct template_out out;
	struct notice nt = { .to = l->address };

	results_values(tv, p, t);
	notice_lang(db, l, NULL, lang);
	if (notice_render(db, cfg, l, lang, "poll-results.txt", tv, &out) == 0) {
		nt.subject = out.subject ? out.subject : p->question;
		nt.text = out.body;
		mail = notice_compose(l, "request", &nt, len);
		template_out_release(&out);
	}
	tv_free(tv);
	return mail;
}

/* Closing a poll: the claim, the results and their copies, at once. */
struct close_tx {
	const struct kith_config *cfg;
	const struct list *l;
	struct poll *p;
	int64_t now;
};

static int
close_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct close_tx *c = ctx;
	struct poll_tally t;
	char *mail, *bounce;
	int64_t msg_id, count;
	size_t len;
	/* Only one closer wins: the UPDATE is the claim. */
	int st = db_exec(db, "UPDATE polls SET state='closed', closed=? WHERE "
	    "id=? AND state='open'", "ii", c->now, c->p->id);

	if (st == KITH_OK && db_changes(db) == 0) {
		snprintf(err, errlen, "poll %lld is closed already",
		    (long long)c->p->id);
		return KITH_PERM;
	}
	if (st != KITH_OK)
		return st;
	poll_tally(db, c->p, &t);
	if ((mail = results_mail(c->cfg, db, c->l, c->p, &t, &len)) == NULL) {
		snprintf(err, errlen, "the text poll-results.txt is missing or "
		    "wrong; see the log");
		return KITH_PERM;
	}
	bounce = xasprintf("%s-bounces", c->l->local);
	/* The results go to the list: everyone who gets mail. */
	st = outbox_message_add(db, c->l->id, 0, "poll-results", bounce,
	    c->l->domain, c->l->address, mail, len, &msg_id);
	if (st == KITH_OK)
		st = outbox_fanout_mailable(db, msg_id, c->l->id, c->now, &count);
	free(mail);
	free(bounce);
	return st;
}

int
poll_close(const struct kith_config *cfg, struct db *db, int64_t id,
    int64_t now, char *err, size_t errlen)
{
	struct poll p;
	struct list l;
	struct close_tx c = { cfg, &l, &p, now };
	int st;

	if (poll_get(db, id, &p) != KITH_OK) {
		snprintf(err, errlen, "no poll %lld", (long long)id);
		return KITH_PERM;
	}
	if (strcmp(p.state, "open")) {
		snprintf(err, errlen, "poll %lld is closed already", (long long)id);
		poll_release(&p);
		return KITH_PERM;
	}
	if (list_find_id(db, p.list_id, &l) != KITH_OK) {
		poll_release(&p);
		snprintf(err, errlen, "poll %lld has no list", (long long)id);
		return KITH_PERM;
	}
	st = db_tx(db, close_tx, &c, err, errlen);
	list_release(&l);
	poll_release(&p);
	return st;
}

int
poll_cron(const struct site_ctx *c, int64_t now)
{
	struct db_ids ids = { NULL, 0, 0 };
	int status = db_ids_select(c->db, &ids, "SELECT id FROM polls WHERE "
	    "state='open' AND closes>0 AND closes<=?", "i", now);

	for (size_t i = 0; i < ids.n; i++) {
		char err[256] = "";
		int r = poll_close(c->cfg, c->db, ids.v[i], now, err, sizeof(err));

		if (r == KITH_TEMP)
			status = KITH_TEMP;
		else if (r == KITH_OK)
			log_info("poll: %lld closed by cron", (long long)ids.v[i]);
	}
	db_ids_release(&ids);
	return status;
}

/* What the digest's polls section gives its template (kith check). */
static const struct template_schema digest_schema = {
	"digest/polls.txt", TF_FIELDS(TF_LIST("polls", TF_FIELDS(
	    TF_INT("id"), TF_STR("question"), TF_INT("voters"),
	    TF_LIST("options", TF_FIELDS(TF_STR("label")))))), 0
};

/* digest_section - the polls of l still open, with their votes so far. */
static int
digest_section(struct db *db, const struct list *l, int64_t now,
    struct tvars *tv)
{
	struct db_stmt *st = db_prepare(db, "SELECT id FROM polls WHERE "
	    "list_id=? AND state='open' ORDER BY id");
	struct tvlist *list = NULL;

	(void)now;
	if (st == NULL)
		return 0;
	db_bind(st, "i", l->id);
	while (db_step(st) == DB_ROW) {
		struct poll p;
		struct poll_tally t;
		struct tvars *it;

		if (poll_get(db, db_col_int64(st, 0), &p) != KITH_OK)
			continue;
		if (list == NULL)
			list = tv_list(tv, "polls");
		poll_tally(db, &p, &t);
		it = tv_item(list);
		tv_int(it, "id", p.id);
		tv_str(it, "question", p.question);
		tv_int(it, "voters", t.voters);
		options_values(it, &p);
		poll_release(&p);
	}
	db_finalize(st);
	return list != NULL;
}

char *
poll_personalise(struct db *db, const struct kith_config *cfg,
    const struct token_key *key, const char *render, int64_t member_id,
    const char *rcpt, size_t *len)
{
	long long id;
	struct poll p;
	struct list l;
	struct notice nt;
	struct tvars *tv;
	struct tvlist *links;
	struct template_out text;
	char payload[32], *tok, *reply_to, *out = NULL;
	char lang[NOTICE_LANG_LEN];

	if (sscanf(render, "poll:%lld", &id) != 1 ||
	    poll_get(db, id, &p) != KITH_OK)
		return NULL;
	if (list_find_id(db, p.list_id, &l) != KITH_OK) {
		poll_release(&p);
		return NULL;
	}
	tv = tv_new();
	poll_values(tv, &p, id);
	tv_int(tv, "poll.closes", p.closes);
	options_values(tv, &p);
	/* kith serve: one link per option, for this member only */
	links = tv_list(tv, "links");
	for (size_t i = 0; member_id > 0 && i < p.noptions; i++) {
		char *url = weblink_vote(cfg, key, l.address, id, member_id, rcpt,
		    p.closes, (int)i + 1);

		if (url == NULL)
			break;
		tv_str(tv_item(links), "url", url);
		free(url);
	}
	notice_lang(db, &l, rcpt, lang);
	if (notice_render(db, cfg, &l, lang, "poll.txt", tv, &text) == 0) {
		snprintf(payload, sizeof(payload), "%lld", id);
		tok = token_make(key, "poll", l.address, rcpt, payload, 0);
		reply_to = xasprintf("%s-poll%c%s@%s", l.local, *cfg->delimiter,
		    tok, l.domain);
		memset(&nt, 0, sizeof(nt));
		nt.to = rcpt;
		nt.subject = text.subject ? text.subject : p.question;
		nt.reply_to = reply_to;
		nt.text = text.body;
		out = notice_compose(&l, "request", &nt, len);
		free(tok);
		free(reply_to);
		template_out_release(&text);
	}
	tv_free(tv);
	list_release(&l);
	poll_release(&p);
	return out;
}

/* cmd_vote - "vote POLL TEXT" for address; dry: only whether it can be done. */
static int
cmd_vote(const struct mail_ctx *c, const char *address, const char *args,
    int dry, struct outcome *out)
{
	char *end, line[512];
	long long id = strtoll(args, &end, 10);
	int64_t now = now_utc();
	int st;

	if (end == args || *end != ' ' || end[strspn(end, " ")] == '\0') {
		outcome_add(out, "vote_usage");
		return KITH_PERM;
	}
	end += strspn(end, " ");
	if (dry)
		return poll_vote_check(c->cfg, c->db, c->l, id, address, end, 1,
		    now, out) == 0 ? KITH_OK : KITH_PERM;
	st = poll_vote(c->cfg, c->db, c->l, id, address, end, 1, now, out,
	    line, sizeof(line));
	log_info("%s", line);
	return st;
}

static const struct feature_command commands[] = {
	{ "vote", 1, cmd_vote, NULL },
	{ NULL, 0, NULL, NULL }
};

/* Votes by reply to team-poll+TOKEN@ (feature.h). */
static const struct feature_address addresses[] = {
	{ "-poll", 1, "voted", poll_handle_reply },
	{ NULL, 0, NULL, NULL }
};

/* Delivery: each member's copy of "poll:ID" (feature.h). */
static char *
render_copy(const struct site_ctx *c, void **cache, const char *render,
    int64_t member_id, const char *rcpt, size_t *len)
{
	(void)cache;
	return poll_personalise(c->db, c->cfg, c->key, render, member_id, rcpt,
	    len);
}


/* The texts poll renders and their values, besides the list's. */
#define POLL_FIELDS TF_INT("poll.id"), TF_STR("poll.question"), \
	TF_BOOL("poll.multiple")
#define F TF_FIELDS
const struct template_schema poll_schema[] = {
	{ "poll.txt", F(POLL_FIELDS, TF_TIME("poll.closes"),
	    TF_LIST("options", F(TF_STR("label"))),
	    TF_LIST("links", F(TF_STR("url")))), 0 },
	{ "poll-results.txt", F(POLL_FIELDS, TF_INT("voters"),
	    TF_INT("members"), TF_LIST("options", F(TF_STR("label"),
	    TF_INT("votes"), TF_INT("percent"), TF_INT("bar")))), 0 },
	{ "poll-reason.txt", F(POLL_FIELDS, TF_BOOL("no_poll"),
	    TF_BOOL("not_member"), TF_BOOL("closed"), TF_BOOL("one_answer"),
	    TF_BOOL("not_option"), TF_BOOL("unclear"), TF_BOOL("ambiguous")),
	    0 },
};
const size_t poll_nschema = sizeof(poll_schema) / sizeof(poll_schema[0]);

/*
 * member_moved - on_move (feature.h): the member's votes and their log
 * follow the address, which "my data" and forgetting (privacy.c) look
 * them up by; an open poll the member has not voted in goes again to
 * the new address, since the reply token of the old copy names the old.
 */
static int
member_moved(const struct mail_ctx *c, const struct member *m,
    const char *from, int64_t now)
{
	struct db_ids open = { 0 };
	int st = db_exec(c->db, "UPDATE poll_votes SET address=? WHERE "
	    "member_id=? AND poll_id IN (SELECT id FROM polls WHERE list_id=?)",
	    "tii", m->address, m->id, c->l->id);

	if (st == KITH_OK)
		st = db_exec(c->db, "UPDATE poll_log SET address=? WHERE "
		    "address=? AND poll_id IN (SELECT id FROM polls WHERE "
		    "list_id=?)", "tti", m->address, from, c->l->id);
	if (st == KITH_OK)
		st = db_ids_select(c->db, &open, "SELECT id FROM polls p WHERE "
		    "list_id=? AND state='open' AND NOT EXISTS (SELECT 1 FROM "
		    "poll_votes v WHERE v.poll_id=p.id AND v.member_id=?) ORDER "
		    "BY id", "ii", c->l->id, m->id);
	for (size_t i = 0; st == KITH_OK && i < open.n; i++) {
		char render[32];
		int64_t msg_id;

		snprintf(render, sizeof(render), "poll:%lld",
		    (long long)open.v[i]);
		st = outbox_render_add(c->db, c->l->id, c->l->local,
		    c->l->domain, "poll", render, &msg_id);
		if (st == KITH_OK)
			st = db_exec(c->db, "INSERT INTO outbox(message_id, rcpt, "
			    "member_id, updated) VALUES (?, ?, ?, ?)", "itii",
			    msg_id, m->address, m->id, now);
	}
	db_ids_release(&open);
	return st == KITH_OK ? KITH_OK : KITH_TEMP;
}

/* The feature's row (feature.h). */
const struct feature poll_feature = {
	.name = "poll",
	.addresses = addresses,
	.commands = commands,
	.cron = poll_cron,
	.render = render_copy,
	.digest_section = digest_section,
	.digest = &digest_schema,
	.on_move = member_moved,
	.texts = poll_schema,
	.ntexts = sizeof(poll_schema) / sizeof(poll_schema[0]),
};
