/*
 * subject - the one place that reads the markers at the start of a
 * decoded Subject: reply markers in the languages mail clients write
 * ("Re:", "RE:", "Aw:", "Sv:", "Odp:", "Vs:", "Réf.:", "Antw:", "回复：",
 * "Re[2]:" ...), forward markers ("Fwd:", "Fw:", "WG:", "TR:", "RV:" ...)
 * and the list's own subject prefix, however deeply they are stacked.
 * Reply markers all become "Re:"; a forward marker is kept as written.
 *
 * Every text that shows a post's subject (the list copy, the archive, the
 * index, digests, request replies) goes through here, so that a thread
 * reads "Re: Pálava" everywhere and never "Re: [Turisti] Re: Re: Pálava".
 * Input is UTF-8 (RFC 2047 already decoded by message_parse()).
 */
#ifndef KITH_SUBJECT_H
#define KITH_SUBJECT_H

/*
 * subject_clean - subject as people should see it: the list prefix
 * (matched ignoring ASCII case; "" for none) removed wherever it stands
 * among the leading markers, at most one "Re: " (whatever language it
 * was in) and one forward marker (as it was written: "Fwd: ", "WG: "),
 * in the order they first appear, white space runs made one space.  ""
 * when nothing is left.  Caller frees.
 */
char *subject_clean(const char *subject, const char *prefix);

/*
 * subject_prefixed - the list copy's subject: prefix (if any) put in
 * front exactly once, then subject_clean(): "Re: [team] Re: x" becomes
 * "[team] Re: x".  Caller frees.
 */
char *subject_prefixed(const char *subject, const char *prefix);

/*
 * subject_reply - the subject of an answer to a mail with this subject:
 * "Re: " and the subject without its own reply markers ("Re: Re: x" and
 * "AW: x" both give "Re: x"); prefix as in subject_clean.  Caller frees.
 */
char *subject_reply(const char *subject, const char *prefix);

#endif
