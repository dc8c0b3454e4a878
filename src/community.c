/* community - monthly thanks and re-engagement notes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kith/community.h"
#include "kith/db.h"
#include "kith/log.h"
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
digest_section(sqlite3 *db, const struct list *l, int64_t now,
    struct tvars *tv)
{
	char *on = list_setting(db, l->id, "thanks");
	int64_t this_month, last_month;
	struct tvlist *list = NULL;
	sqlite3_stmt *st;

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
	st = db_prepare(db, "SELECT m.address, m.name, "
	    "(SELECT count(*) FROM posts p WHERE p.list_id=m.list_id AND "
	    "p.sender=m.address AND p.received>=?2 AND p.received<?3) AS posts, "
	    "(SELECT count(*) FROM rsvps r WHERE r.member_id=m.id AND "
	    "r.updated>=?2 AND r.updated<?3) AS answers FROM members m WHERE "
	    "m.list_id=?1 AND m.thanks=1 AND posts + answers > 0 ORDER BY "
	    "posts + answers DESC, m.address LIMIT 3");
	if (st == NULL)
		return 0;
	db_bind(st, "iii", l->id, last_month, this_month);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		struct tvars *it;

		if (list == NULL)
			list = tv_list(tv, "members");
		it = tv_item(list);
		tv_str(it, "name", *name ? name :
		    (const char *)sqlite3_column_text(st, 0));
		tv_int(it, "posts", sqlite3_column_int64(st, 2));
		tv_int(it, "answers", sqlite3_column_int64(st, 3));
	}
	sqlite3_finalize(st);
	/* mid-month: the same month in every zone */
	tv_int(tv, "month", last_month + 15 * 86400);
	return list != NULL;
}

static int
nudge_list(const struct kith_config *cfg, sqlite3 *db, const struct list *l,
    int64_t after, int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT m.id, m.address, m.name FROM "
	    "members m WHERE m.list_id=?1 AND m.mode!='nomail' AND m.disabled=0 "
	    "AND m.joined<=?2-?3 AND m.nudged<=?2-?4 AND NOT EXISTS (SELECT 1 "
	    "FROM posts p WHERE p.list_id=m.list_id AND p.sender=m.address AND "
	    "p.received>?2-?3) AND NOT EXISTS (SELECT 1 FROM rsvps r WHERE "
	    "r.member_id=m.id AND r.updated>?2-?3) ORDER BY m.id LIMIT 500");
	int64_t ids[500];
	char *addr[500], *name[500];
	int n = 0, sent = 0, status = KITH_OK;

	if (st == NULL)
		return -1;
	db_bind(st, "iiii", l->id, now, after, NUDGE_GAP);
	while (n < 500 && sqlite3_step(st) == SQLITE_ROW) {
		ids[n] = sqlite3_column_int64(st, 0);
		addr[n] = db_col_text(st, 1);
		name[n++] = db_col_text(st, 2);
	}
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++) {
		if (status == KITH_OK && (status = db_begin(db)) == KITH_OK) {
			/* the UPDATE is the claim: a racing cron finds it done */
			status = db_exec(db, "UPDATE members SET nudged=? WHERE id=? "
			    "AND nudged<=?", "iii", now, ids[i], now - NUDGE_GAP);
			if (status == KITH_OK && sqlite3_changes(db) == 1) {
				struct template_var vars[2] = {
					{ "member.address", addr[i] },
					{ "member.name", *name[i] ? name[i] : addr[i] } };
				struct notice_opts o;

				memset(&o, 0, sizeof(o));
				o.to = addr[i];
				o.tmpl = "reengage.txt";
				o.vars = vars;
				o.nvars = 2;
				status = notice_queue(db, cfg, l, &o);
				sent += status == KITH_OK;
			}
			if (status == KITH_OK)
				status = db_commit(db);
			else
				db_rollback(db);
		}
		free(addr[i]);
		free(name[i]);
	}
	return status == KITH_OK ? sent : -1;
}

int
community_cron(const struct site_ctx *c, int64_t now)
{
	sqlite3 *db = c->db;
	sqlite3_stmt *st = db_prepare(db, "SELECT list_id, value FROM "
	    "list_settings WHERE key='nudge_after' AND value!='0'");
	int64_t ids[256], after[256];
	int n = 0, status = KITH_OK;

	if (st == NULL)
		return KITH_TEMP;
	while (n < 256 && sqlite3_step(st) == SQLITE_ROW) {
		ids[n] = sqlite3_column_int64(st, 0);
		after[n] = duration_parse((const char *)sqlite3_column_text(st, 1));
		if (after[n] > 0)
			n++;
	}
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++) {
		struct list l;
		int k;

		if (list_find_id(db, ids[i], &l) != KITH_OK)
			continue;
		k = nudge_list(c->cfg, db, &l, after[i], now);
		if (k < 0)
			status = KITH_TEMP;
		list_release(&l);
	}
	return status;
}

/* The feature's row (feature.h). */
const struct feature community_feature = {
	.name = "community",
	.cron = community_cron,
	.digest_section = digest_section,
	.digest = &digest_schema,
};
