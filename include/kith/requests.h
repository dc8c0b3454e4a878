/*
 * requests - the email command language of team-request@ (and the
 * one-step team-subscribe@ / team-unsubscribe@), answered with one reply
 * that lists each command with its result.
 *
 * Commands come from the Subject and then the body, one per line, until
 * the first line that is not a command or a signature ("-- "); quoted
 * lines ("> ...") are skipped.  Anything that changes a subscription or
 * settings only happens once the address concerned confirms it
 * (membership.h).
 */
#ifndef KITH_REQUESTS_H
#define KITH_REQUESTS_H

#include "kith/membership.h"
#include "kith/message.h"

#define REQUESTS_MAX 20

struct command {
	char verb[16];		/* lower-case */
	char args[240];		/* the rest of the line, trimmed */
	char line[256];		/* as written, for the reply */
};

/* Parse commands; returns how many (0..max).  Pure: no I/O. */
int requests_parse(const char *subject, const char *text,
    struct command *out, int max);

/*
 * requests_parse_in - the same, with the command words of langs too
 * (NULL-ended, may be NULL; i18n.h): "přihlásit se" is "subscribe",
 * "nastavit souhrn týdně" is "set digest weekly".  English words always
 * work; verb and args are the English command, line as written.
 */
struct i18n_lang;
int requests_parse_in(const char *subject, const char *text,
    const struct i18n_lang *const *langs, struct command *out, int max);

/*
 * requests_misdirected - 1 when a post to the list is really a request to
 * join or leave, sent to everyone: its Subject, or its text when that is
 * a line or three ("unsubscribe", "Please remove me from this list.",
 * "odhlásit", "구독 취소"), is the request and nothing else, in English or
 * the languages langs(ctx) returns (NULL-ended; asked only for a line
 * short enough to be a command, as finding them costs the caller a
 * lookup; langs may be NULL).  No I/O of its own.
 */
typedef const struct i18n_lang *const *(*requests_langs_fn)(void *ctx);
int requests_misdirected(const char *subject, const char *text,
    requests_langs_fn langs, void *ctx);

/* Which commands a request address implies. */
enum request_kind { REQUEST_COMMANDS, REQUEST_SUBSCRIBE, REQUEST_UNSUBSCRIBE };

/*
 * requests_handle - carry out the commands of m from sender (its From
 * address, normalised) and queue the reply, inside the caller's
 * transaction.  KITH_OK or KITH_TEMP.
 */
int requests_handle(const struct mail_ctx *c, const struct message *m,
    const char *sender, enum request_kind kind);

#endif
