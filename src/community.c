/* community - monthly thanks and re-engagement notes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kith/community.h"
#include "kith/db.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/notice.h"
#include "kith/timeutil.h"
#include "kith/util.h"

#define NUDGE_GAP (90LL * 86400)

/* UTC start of the month holding t, and of the month before. */
static void
month_bounds(int64_t t, int64_t *this_month, int64_t *last_month)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	*this_month = (int64_t)timegm(&tm);
	tm.tm_mon -= 1;
	*last_month = (int64_t)timegm(&tm);
}

/* What the digest's thank-you gives its template (kith check). */
static const struct template_schema digest_schema = {
	"digest/thanks.txt", TF_FIELDS(TF_TIME("month"), TF_LIST("members",
	    TF_FIELDS(TF_STR("name"), TF_INT("posts"), TF_INT("answers")))), 0
};

/*
 * digest_section - the thank-you for a digest made at now, when the list
 * has `thanks on` and no digest went out earlier this month: last
 * month's three top contributors who have not said `set thanks off`.
 */
static int
digest_section(struct db *db, const struct list *l, int64_t now,
    struct tvars *tv)
{
	char *on = list_setting(db, l->id, "thanks");
	int64_t this_month, last_month;
	struct tvlist *list = NULL;
	struct db_stmt *st;

	if (on == NULL || strcmp(on, "on")) {
		free(on);
		return 0;
	}
	free(on);
	month_bounds(now, &this_month, &last_month);
	/* Only the first digest of the month carries it. */
	if (db_int(db, 0, NULL, "SELECT count(*) FROM digests WHERE list_id=? "
	    "AND created>=? AND created<?", "iii", l->id, this_month, now) > 0)
		return 0;
	st = db_prepare(db, "SELECT address, name, posts, answers FROM "
	    "(SELECT m.address, m.name, "
	    "(SELECT count(*) FROM posts p WHERE p.list_id=m.list_id AND "
	    "p.sender=m.address AND p.received>=?2 AND p.received<?3) AS posts, "
	    "(SELECT count(*) FROM rsvps r WHERE r.member_id=m.id AND "
	    "r.updated>=?2 AND r.updated<?3) AS answers FROM members m WHERE "
	    "m.list_id=?1 AND m.thanks=1) AS t WHERE posts + answers > 0 "
	    "ORDER BY posts + answers DESC, address LIMIT 3");
	if (st == NULL)
		return 0;
	db_bind(st, "iii", l->id, last_month, this_month);
	while (db_step(st) == DB_ROW) {
		const char *name = db_col_str(st, 1);
		struct tvars *it;

		if (list == NULL)
			list = tv_list(tv, "members");
		it = tv_item(list);
		tv_str(it, "name", *name ? name :
		    db_col_str(st, 0));
		tv_int(it, "posts", db_col_int64(st, 2));
		tv_int(it, "answers", db_col_int64(st, 3));
	}
	db_finalize(st);
	/* mid-month: the same month in every zone */
	tv_int(tv, "month", last_month + 15 * 86400);
	return list != NULL;
}

/* One member's re-engagement note: the claim and the mail, at once. */
struct nudge_tx {
	const struct kith_config *cfg;
	const struct list *l;
	int64_t member_id, now;
	int sent;
};

static int
nudge_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct nudge_tx *n = ctx;
	struct member m;
	struct template_var vars[2];
	struct notice_opts o;
	/* the UPDATE is the claim: a racing cron finds it done */
	int st = db_exec(db, "UPDATE members SET nudged=? WHERE id=? AND "
	    "nudged<=?", "iii", n->now, n->member_id, n->now - NUDGE_GAP);

	(void)err;
	(void)errlen;
	if (st != KITH_OK || db_changes(db) != 1)
		return st;
	if (member_find_id(db, n->l->id, n->member_id, &m) != KITH_OK)
		return KITH_OK;		/* gone meanwhile */
	vars[0].name = "member.address";
	vars[0].value = m.address;
	vars[1].name = "member.name";
	vars[1].value = *m.name ? m.name : m.address;
	memset(&o, 0, sizeof(o));
	o.to = m.address;
	o.tmpl = "reengage.txt";
	o.vars = vars;
	o.nvars = 2;
	st = notice_queue(db, n->cfg, n->l, &o);
	n->sent += st == KITH_OK;
	member_release(&m);
	return st;
}

static int
nudge_list(const struct kith_config *cfg, struct db *db, const struct list *l,
    int64_t after, int64_t now)
{
	struct db_ids ids = { NULL, 0, 0 };
	struct nudge_tx n = { cfg, l, 0, now, 0 };
	int status = db_ids_select(db, &ids, "SELECT m.id FROM members m WHERE "
	    "m.list_id=?1 AND m.mode!='nomail' AND m.disabled=0 AND "
	    "m.joined<=CAST(?2 AS BIGINT)-?3 AND "
	    "m.nudged<=CAST(?2 AS BIGINT)-?4 AND NOT EXISTS (SELECT 1 FROM "
	    "posts p WHERE p.list_id=m.list_id AND p.sender=m.address AND "
	    "p.received>CAST(?2 AS BIGINT)-?3) AND NOT EXISTS (SELECT 1 FROM "
	    "rsvps r WHERE "
	    "r.member_id=m.id AND r.updated>?2-?3) ORDER BY m.id LIMIT 500",
	    "iiii", l->id, now, after, (int64_t)NUDGE_GAP);

	for (size_t i = 0; i < ids.n && status == KITH_OK; i++) {
		n.member_id = ids.v[i];
		status = db_tx(db, nudge_tx, &n, NULL, 0);
	}
	db_ids_release(&ids);
	return status == KITH_OK ? n.sent : -1;
}

int
community_cron(const struct site_ctx *c, int64_t now)
{
	struct db_ids ids = { NULL, 0, 0 };
	int status = db_ids_select(c->db, &ids, "SELECT list_id FROM "
	    "list_settings WHERE key='nudge_after' AND value!='0'", "");

	for (size_t i = 0; i < ids.n; i++) {
		char *v = list_setting(c->db, ids.v[i], "nudge_after");
		int64_t after = duration_parse(v);
		struct list l;

		free(v);
		if (after <= 0 || list_find_id(c->db, ids.v[i], &l) != KITH_OK)
			continue;
		if (nudge_list(c->cfg, c->db, &l, after, now) < 0)
			status = KITH_TEMP;
		list_release(&l);
	}
	db_ids_release(&ids);
	return status;
}

/* The feature's row (feature.h). */
const struct feature community_feature = {
	.name = "community",
	.cron = community_cron,
	.digest_section = digest_section,
	.digest = &digest_schema,
};
