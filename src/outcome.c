/* outcome - what a member is told their commands did, for results.txt. */
#include "config.h"

#include <string.h>

#include "kith/log.h"
#include "kith/notice.h"
#include "kith/outcome.h"
#include "kith/util.h"

/*
 * Every kind of line (yes/no, in results.txt's order) and every value
 * a line may carry.  A new kind is a row here and a block in
 * templates/en/results.txt (test_texts checks that each has one).
 */
static const struct template_field item_fields[] = {
	TF_BOOL("command"), TF_BOOL("no_command"), TF_BOOL("help"),
	/* the archive: index, get */
	TF_BOOL("archive_empty"), TF_BOOL("post"), TF_BOOL("members_only"),
	TF_BOOL("get_usage"), TF_BOOL("no_post"), TF_BOOL("one_post"),
	TF_BOOL("attached"),
	/* who, info */
	TF_BOOL("who"), TF_BOOL("who_refused"), TF_BOOL("info"),
	/* joining and leaving */
	TF_BOOL("not_address"), TF_BOOL("banned"), TF_BOOL("already_member"),
	TF_BOOL("invite_only"), TF_BOOL("join_after_confirm"),
	TF_BOOL("not_member"), TF_BOOL("leave_after_confirm"),
	TF_BOOL("joined"), TF_BOOL("left"), TF_BOOL("join_waits"),
	/* confirmations */
	TF_BOOL("done_after_confirm"), TF_BOOL("confirm_limit"),
	TF_BOOL("confirm_sent"), TF_BOOL("confirm_by_reply"),
	TF_BOOL("approval_refused"), TF_BOOL("invitation_declined"),
	TF_BOOL("cancelled"),
	/* settings */
	TF_BOOL("you_not_member"), TF_BOOL("set_usage"), TF_BOOL("nomail_past"),
	TF_BOOL("confirm_stale"),
	TF_BOOL("mail_on"),
	TF_BOOL("set_not_member"), TF_BOOL("nomail_until"), TF_BOOL("nomail"),
	TF_BOOL("digest_plain"), TF_BOOL("digest_mime"), TF_BOOL("delivery"),
	TF_BOOL("thanks_on"), TF_BOOL("thanks_off"),
	TF_BOOL("unknown_setting"), TF_BOOL("not_done"),
	TF_BOOL("language_set"), TF_BOOL("language_usage"),
	TF_BOOL("move_after_confirm"), TF_BOOL("move_confirm_sent"),
	TF_BOOL("moved"),
	/* rsvp */
	TF_BOOL("rsvp_usage"), TF_BOOL("rsvp_answer"), TF_BOOL("no_event"),
	TF_BOOL("no_occurrence"), TF_BOOL("rsvp_accepted"),
	TF_BOOL("rsvp_declined"), TF_BOOL("rsvp_tentative"),
	TF_BOOL("rsvp_waitlisted"), TF_BOOL("rsvp_stale"),
	/* vote */
	TF_BOOL("vote_usage"), TF_BOOL("vote_refused"), TF_BOOL("voted"),
	/* privacy */
	TF_BOOL("data_after_confirm"), TF_BOOL("my_usage"), TF_BOOL("data_sent"),
	TF_BOOL("remove_owners_only"), TF_BOOL("remove_usage"),
	TF_BOOL("remove_no_post"), TF_BOOL("removed"), TF_BOOL("remove_failed"),
	/* the values */
	TF_STR("line"), TF_STR("text"), TF_STR("address"), TF_INT("num"),
	TF_INT("id"), TF_INT("count"), TF_TIME("date"), TF_STR("day"),
	TF_STR("sender"), TF_STR("subject"), TF_STR("role"), TF_STR("mode"),
	TF_STR("posting"), TF_STR("joining"), TF_STR("title"), TF_STR("why"),
	TF_STR("language"), TF_STR("languages"),
	TF_LIST("choices", TF_FIELDS(TF_INT("number"), TF_STR("option"))),
	TF_END
};

const struct template_field outcome_fields[] = {
	TF_LIST("results", item_fields),
	TF_END
};

const struct template_schema outcome_schema[] = {
	{ "results.txt", outcome_fields, 0 },
};
const size_t outcome_nschema = sizeof(outcome_schema) /
    sizeof(outcome_schema[0]);

void
outcome_init(struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->tv = tv_new();
	o->results = tv_list(o->tv, "results");
}

void
outcome_release(struct outcome *o)
{
	tv_free(o->tv);
	memset(o, 0, sizeof(*o));
}

void
outcome_reset(struct outcome *o)
{
	outcome_release(o);
	outcome_init(o);
}

/* The place of kind among the yes/no fields; -1 when it is none. */
static int
kind_index(const char *kind)
{
	for (int i = 0; item_fields[i].name &&
	    item_fields[i].type == TEMPLATE_BOOL; i++)
		if (!strcmp(item_fields[i].name, kind))
			return i;
	return -1;
}

struct tvars *
outcome_add(struct outcome *o, const char *kind)
{
	struct tvars *it = tv_item(o->results);
	int k = kind_index(kind);

	/*
	 * every kind is named in every record: the template tests each.
	 * The record is new and the names distinct (test_outcome checks):
	 * appended without a lookup, as a leave adds one on every request.
	 */
	for (int i = 0; item_fields[i].name &&
	    item_fields[i].type == TEMPLATE_BOOL; i++)
		tv_bool_new(it, item_fields[i].name, i == k);
	if (k < 0 || k >= OUTCOME_KINDS_MAX)
		log_error("outcome: '%s' is not a kind of results.txt", kind);
	else
		o->seen[k / 64] |= (uint64_t)1 << (k % 64);
	return it;
}

int
outcome_has(const struct outcome *o, const char *kind)
{
	int k = kind_index(kind);

	return k >= 0 && k < OUTCOME_KINDS_MAX &&
	    (o->seen[k / 64] >> (k % 64) & 1);
}

int
outcome_any(const struct outcome *o)
{
	for (size_t i = 0; i < sizeof(o->seen) / sizeof(o->seen[0]); i++)
		if (o->seen[i])
			return 1;
	return 0;
}

char *
outcome_text(struct db *db, const struct kith_config *cfg,
    const struct list *l, const char *lang, const struct outcome *o)
{
	return notice_text(db, cfg, l, lang, "results.txt", o->tv);
}
