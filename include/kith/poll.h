/*
 * poll - quick polls answered by reply.  Each member's copy carries a
 * Reply-To team-poll+TOKEN@ whose token names the poll and that member,
 * so a plain reply "2" (or the option's text) votes, and nobody can vote
 * for another.  The `vote POLL N` command to team-request@ does the
 * same.  One vote per member: a new vote replaces the old one until the
 * poll closes (by `kith poll close` or by cron at its time), when the
 * results go to the list.  Every vote is acknowledged; refusals
 * (non-members, closed, no such option) are answered once a day with the
 * reason.  Functions work inside the caller's transaction unless noted.
 */
#ifndef KITH_POLL_H
#define KITH_POLL_H

#include <stddef.h>
#include <stdint.h>

#include "kith/config.h"
#include "kith/feature.h"
#include "kith/lists.h"
#include "kith/outcome.h"
#include "kith/template.h"
#include "kith/tokens.h"
#include "kith/util.h"

struct db;

#define POLL_MAX_OPTIONS 20

struct poll {
	int64_t id, list_id, closes, created, closed;
	char *question, *state;
	char *options[POLL_MAX_OPTIONS];
	size_t noptions;
	int multiple;
};

void poll_release(struct poll *p);
int poll_get(struct db *db, int64_t id, struct poll *p);

/*
 * poll_parse_choice - the options a line of a reply names: numbers
 * ("2", "1, 3", "1 and 3"), else an option's text (any case; the line
 * is it or starts with it, the longest wins), else the one number that
 * stands in the line ("1번이요!", "Actually 2 please").  Fills chosen[]
 * (0-based, ascending, no repeats) and returns how many; 0 when it names
 * none (or several numbers stand in a sentence), -1 when a number is out
 * of range, -2 for several options on a single-choice poll.  Unless
 * by_place (the command "vote ID N", whose N is a place), a number that
 * could be one option's place and stands in another's text ("3" to
 * "2 nights, 3 nights") is -3: the member is asked for the text.
 */
int poll_parse_choice(const char *line, const struct poll *p, int by_place,
    int *chosen);

/* Create and send to every member who gets mail (own transaction). */
int poll_create(struct db *db, const struct list *l, const char *question,
    char *const *options, size_t n, int multiple, int64_t closes,
    int64_t now, int64_t *id, int64_t *sent, char *err, size_t errlen);

/*
 * poll_vote - member votes with text (a reply's first own line, or the
 * arguments of "vote": by_place, see poll_parse_choice).  When answer is NULL the member is told by mail
 * (poll-voted.txt; poll-refused.txt with the reason of poll-reason.txt:
 * not a member, closed, not understood and how to vote, at most once a
 * day).  Otherwise no mail is sent and one line for the caller's own
 * reply goes to answer ("voted" or "vote_refused").  *line gets the log
 * line.  KITH_OK (recorded or refused), KITH_TEMP.
 */
int poll_vote(const struct kith_config *cfg, struct db *db,
    const struct list *l, int64_t poll_id, const char *address,
    const char *text, int by_place, int64_t now, struct outcome *answer,
    char *line, size_t n);

/*
 * poll_vote_check - 0 when address may vote text on poll_id of list l
 * now (poll_vote would record it); -1 with a "vote_refused" line in out
 * saying why.  Reads only.
 */
int poll_vote_check(const struct kith_config *cfg, struct db *db,
    const struct list *l, int64_t poll_id, const char *address,
    const char *text, int by_place, int64_t now, struct outcome *out);

/*
 * poll_handle_reply - a reply m from sender to team-poll+TOKEN@ (the
 * feature's inbound handler, feature.h): the token, made for the
 * member's address, names the poll; the first line they wrote is the
 * vote.  Caller's transaction.
 */
struct mail_ctx;
struct message;
int poll_handle_reply(const struct mail_ctx *c, const char *token,
    const struct message *m, const char *sender, char *line, size_t n);

/*
 * Close now and send the results to the list (own transaction):
 * poll-results.txt, one copy in the list's language.
 */
int poll_close(const struct kith_config *cfg, struct db *db, int64_t id,
    int64_t now, char *err, size_t errlen);

/* Close the polls whose time has come; KITH_OK or KITH_TEMP. */
int poll_cron(const struct site_ctx *c, int64_t now);

struct poll_tally {
	int64_t votes[POLL_MAX_OPTIONS];
	int64_t voters, members;
};
int poll_tally(struct db *db, const struct poll *p, struct poll_tally *t);

/* Members who get mail and have not voted, one per call of fn. */
int poll_nonvoters(struct db *db, const struct poll *p,
    int (*fn)(const char *address, void *), void *ctx);

/* Votes per day (UTC date, count), oldest first. */
int poll_timeline(struct db *db, const struct poll *p,
    int (*fn)(const char *day, int64_t votes, void *), void *ctx);

/*
 * Delivery: the copy an outbox row with render "poll:ID" stands for
 * (poll.txt in rcpt's language); NULL when it cannot be made.
 */
char *poll_personalise(struct db *db, const struct kith_config *cfg,
    const struct token_key *key, const char *render, int64_t member_id,
    const char *rcpt, size_t *len);

/* The feature's row in the table (feature.h). */
extern const struct feature poll_feature;

/* The texts poll renders and their values (kith check). */
extern const struct template_schema poll_schema[];
extern const size_t poll_nschema;

#endif
