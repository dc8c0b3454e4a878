/*
 * feature - the one shape every feature has, and the table of them.
 *
 * A feature (events, polls, newsletters, onboarding, the community notes)
 * is a file that fills one struct feature: what it answers and when it
 * runs.  The core loops over the table (src/features.c, the only place
 * that names every feature) and never names a feature itself:
 *
 *   kith receive      inbound.c hands mail to LIST-SUFFIX[+TOKEN]@ to
 *                     the feature that answers SUFFIX
 *   team-request@     requests.c runs a feature's command words; those
 *                     that act for a member only once the member is
 *                     proven or confirms (membership.c carries them out)
 *   kith cron         cron.c runs each feature's cron step
 *   digests           digest.c ends each issue with every feature's
 *                     section: values from the feature, words from its
 *                     template
 *   joins and leaves  membership.c (and kith member add / rm) call each
 *                     feature's member hooks as they happen
 *   delivery          deliver.c renders each copy of a message whose
 *                     render is "NAME:..." with that feature's renderer
 *
 * A feature may use any core module; no core module includes a feature's
 * header.  docs/ARCHITECTURE.md has the checklist for adding one.
 */
#ifndef KITH_FEATURE_H
#define KITH_FEATURE_H

#include <stddef.h>
#include <stdint.h>

#include "kith/config.h"
#include "kith/lists.h"
#include "kith/template.h"
#include "kith/tokens.h"

struct db;

struct buf;
struct mail_ctx;
struct member;
struct message;
struct outcome;

/* What a site-wide step is given: cron steps and renderers. */
struct site_ctx {
	const struct kith_config *cfg;
	struct db *db;
	const struct token_key *key;	/* the site's token key */
};

/*
 * A sub-address of every list that a feature answers: LIST-SUFFIX@ and
 * LIST-SUFFIX+TOKEN@ (the delimiter is the site's).
 */
struct feature_address {
	const char *suffix;	/* "-events"; NULL ends the array */
	int needs_token;	/* without a +TOKEN the address is answered
				 * as one that is not supported */
	const char *done;	/* what inbound's result says: "recorded" */
	/*
	 * inbound - mail m from sender (its From, else the envelope's,
	 * normalised) to the address, token its detail ("" when none),
	 * inside the caller's write transaction.  Mail from robots, mail
	 * that loops and mail without a sender never get here (inbound.c
	 * drops them).  One log line into line (n bytes; may stay "").
	 * KITH_OK, KITH_TEMP (rolled back; the MTA retries) or KITH_PERM
	 * (ignored on purpose, already logged; nothing to undo).
	 */
	int (*inbound)(const struct mail_ctx *c, const char *token,
	    const struct message *m, const char *sender, char *line, size_t n);
};

/* A word of the email command language (requests.h). */
struct feature_command {
	const char *word;	/* "rsvp", lower case; NULL ends the array */
	int for_member;		/* it acts for the sender, who must be
				 * proven (DKIM the MTA vouches for) or
				 * confirm first: requests.c decides that,
				 * the same way for every feature */
	/*
	 * run - carry out args (the rest of the line, leading spaces
	 * skipped) for address, whose own request it is; with dry, only
	 * say whether it could be done now, changing nothing.  What
	 * happened goes to out as result records (outcome.h; their words
	 * are results.txt's).  KITH_OK, KITH_PERM (not done: out says why)
	 * or KITH_TEMP.  Inside the caller's transaction.
	 */
	int (*run)(const struct mail_ctx *c, const char *address,
	    const char *args, int dry, struct outcome *out);
	/*
	 * confirm_values - what the confirmation of args (confirm.txt)
	 * shows of this command: its values into tv ("rsvp" and the
	 * event's title and time), *tz a zone for its times (caller frees)
	 * or left NULL for the list's.  1 when it set them, 0 when it could
	 * not (confirm.txt then lists the command as written).  With args
	 * NULL, it sets the same values empty (confirm.txt names them for
	 * every confirmation) and returns 0.  Reads only.  NULL: listed as
	 * written.
	 */
	int (*confirm_values)(const struct mail_ctx *c, const char *args,
	    struct tvars *tv, char **tz);
};

struct feature {
	const char *name;	/* "event": one word, lower case */
	const struct feature_address *addresses;	/* or NULL */
	const struct feature_command *commands;		/* or NULL */

	/*
	 * cron - whatever is due at now, in the feature's own
	 * transactions; safe to run twice at the same time.  KITH_OK,
	 * KITH_TEMP (try again next minute) or KITH_PERM, logged where it
	 * happened.  NULL: nothing to do on a schedule.
	 */
	int (*cron)(const struct site_ctx *c, int64_t now);

	/*
	 * render - one recipient's copy of an outbox message the feature
	 * queued with outbox_render_add(): its render is "NAME:KEY", NAME
	 * this feature's name and KEY its own (outbox.h).  member_id is 0
	 * for a recipient who is no member.  The copy's bytes (caller
	 * frees; *len set), or NULL when it cannot be made (logged; the
	 * copy waits for a later run).  *cache is the feature's own: NULL
	 * at first, kept between the copies of one delivery run, and
	 * handed to render_free (which may be NULL) at its end.  NULL: the
	 * feature queues no such mail.
	 */
	char *(*render)(const struct site_ctx *c, void **cache,
	    const char *render, int64_t member_id, const char *rcpt,
	    size_t *len);
	void (*render_free)(void *cache);

	/*
	 * digest_section - the feature's part of the end of a digest of
	 * list l made at now: its values into tv, which holds the list's
	 * already (notice.h).  1 when there is something to show, and
	 * digest.c renders digest->name with tv; 0 when there is nothing.
	 * Reads only.  digest names the template and the values it is
	 * given (kith check renders it with samples).  NULL: no section.
	 */
	int (*digest_section)(struct db *db, const struct list *l, int64_t now,
	    struct tvars *tv);
	const struct template_schema *digest;

	/*
	 * on_join - m has just joined c->l: what a new member is owed
	 * now rather than at the next cron (events: invitations to those
	 * still to come).  A few words on what was done ("invited to 2
	 * upcoming events") may go to note, for an organiser's command
	 * line; note may be NULL.  on_leave - m has just left c->l (the
	 * member's row is gone, and with it what cascades): what the
	 * member held goes on at once (events: a seat to the first one
	 * waiting).  Both run inside the caller's transaction, c->key may
	 * be NULL; KITH_OK or KITH_TEMP (the caller rolls back).  NULL:
	 * nothing to do.
	 */
	int (*on_join)(const struct mail_ctx *c, const struct member *m,
	    int64_t now, struct buf *note);
	int (*on_leave)(const struct mail_ctx *c, const struct member *m,
	    int64_t now);
	/*
	 * on_move - m (its row already at its new address) was at from:
	 * what the feature keeps under the address follows the member
	 * (onboarding: the steps already sent), and what the old address
	 * holds that answers for the member goes again to the new one
	 * (events: the invitations, whose tokens name the address).  In
	 * the caller's transaction; KITH_OK or KITH_TEMP.  NULL: nothing
	 * keyed so.
	 */
	int (*on_move)(const struct mail_ctx *c, const struct member *m,
	    const char *from, int64_t now);

	/*
	 * texts - the templates the feature renders itself (its mails and
	 * notices, not its digest section) and the values each gets, for
	 * kith check and the tests (texts.h).  NULL: none.
	 */
	const struct template_schema *texts;
	size_t ntexts;
};

/* The table: every feature, in the order their steps run; NULL last. */
extern const struct feature *const features_table[];

/* The feature address that answers suffix ("-events"), or NULL. */
const struct feature_address *features_address(const char *suffix);

/*
 * features_suffixes - every suffix the features answer, NULL last: the
 * array is the caller's to free, the strings are the table's.
 */
const char **features_suffixes(void);

/* The command word (lower case) of a feature, or NULL. */
const struct feature_command *features_command(const char *word);

/*
 * features_joined, features_left - every feature's on_join / on_leave
 * hook for m, in table order, until one fails; its status.  The notes
 * of on_join go to note (may be NULL), joined by "; ".
 */
int features_joined(const struct mail_ctx *c, const struct member *m,
    int64_t now, struct buf *note);
int features_left(const struct mail_ctx *c, const struct member *m,
    int64_t now);
/* features_moved - every feature's on_move hook, until one fails. */
int features_moved(const struct mail_ctx *c, const struct member *m,
    const char *from, int64_t now);

/*
 * features_renderer - the index in features_table of the feature whose
 * name is the kind of render ("NAME:..."), when it has a renderer; -1
 * when none has.
 */
int features_renderer(const char *render);

#endif
