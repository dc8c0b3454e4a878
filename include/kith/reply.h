/*
 * reply - reading what a person wrote back: a confirmation, a moderator's
 * decision, a vote, an answer to an invitation.
 *
 * Only an explicit answer decides anything: the first line the person
 * wrote themselves (reply_line) must be empty or start with one of the
 * words reply_answer knows; anything else changes nothing and the person
 * is told which words Kith understands.  Whether a mail may act at once
 * for its From at all is reply_sender_proven's to say: only when the
 * receiving MTA vouches for that address.
 *
 * Pure functions: no I/O, no state.
 */
#ifndef KITH_REPLY_H
#define KITH_REPLY_H

#include <stddef.h>

enum reply_answer {
	REPLY_EMPTY,	/* nothing of their own: an empty reply */
	REPLY_YES,	/* approve, yes, ok, ano, ja, oui, 네 ... and nothing else */
	REPLY_NO,	/* reject, no, ne, nein, non, 아니요 ... then a reason */
	REPLY_DISCARD,	/* discard, spam, zahodit, löschen, 삭제 ... */
	REPLY_UNCLEAR	/* anything else */
};

/*
 * reply_line - the first line of text the person wrote: blank lines,
 * quoted lines ("> "), the attribution above a quote ("On ... wrote:")
 * are skipped; a signature ("-- "), a quoted original
 * ("-----Original Message-----", "____") or a phone's "Sent from my"
 * ends the search.  Trimmed; "" when there is none.  Caller frees.
 */
char *reply_line(const char *text);

/*
 * reply_answer - what the first own line of text decides.  Leading
 * courtesy words ("please", "prosím", "bitte") are skipped; a yes-word
 * approves only when the rest of the line is courtesy or other yes-words
 * ("yes please", "Approve!"; not "yes, but not this one"); a no-word or
 * a discard-word followed by a word that names the approval ("No
 * problem, approve it") is unclear.  For
 * REPLY_NO, reason (size reasonlen, may be NULL) gets the rest of the
 * line ("Ne, tohle je spam." gives "tohle je spam."); else "".
 */
enum reply_answer reply_answer(const char *text, char *reason,
    size_t reasonlen);

/*
 * reply_answer_words - reply_answer with more words: a language's own
 * (its LANGUAGE file's command.approve, command.reject, command.discard;
 * i18n.h), each comma-separated and NULL for none, besides the tables'.
 * x NULL is reply_answer.
 */
struct reply_words {
	const char *yes, *no, *discard;
};
enum reply_answer reply_answer_words(const char *text,
    const struct reply_words *x, char *reason, size_t reasonlen);
/*
 * reply_yes_and - 1 when the person's first line is a yes (as x reads
 * it) with one of more's words (comma-separated, as a LANGUAGE file's)
 * and nothing else but courtesy: a moderator's "approve always".
 */
int reply_yes_and(const char *text, const struct reply_words *x,
    const char *more);

/*
 * reply_negates - 1 when line holds a word that turns a choice around or
 * sets one aside ("not", "but", "can't", "nicht", "nemůžu", "pas", "말고"
 * ... in the languages Kith speaks), or is more than 63 words: "not 2"
 * does not choose 2.
 */
int reply_negates(const char *line);

/*
 * reply_sender_proven - 1 when the receiving MTA vouches for the From
 * address of raw: an Authentication-Results field whose authserv-id is
 * authserv_id reports dkim=pass for a domain aligned with from_addr's
 * (the same domain, or a parent of it: header.d, else header.i).  Only
 * the MTA's own fields count: the Authentication-Results at the top of
 * the header, above the first Received field that follows one of ours
 * and above any field with another authserv-id (a sender can write such
 * fields into the mail it sends).  0 when authserv_id is "" or NULL.
 */
int reply_sender_proven(const char *authserv_id, const char *raw,
    size_t len, const char *from_addr);

#endif
