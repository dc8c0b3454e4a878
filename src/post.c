/* post - archive and fan out an accepted post. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/archive.h"
#include "kith/compose.h"
#include "kith/db.h"
#include "kith/members.h"
#include "kith/outbox.h"
#include "kith/post.h"
#include "kith/util.h"
#include "kith/weblinks.h"

/* The list copy of m with the list's settings applied; caller frees. */
static char *
post_copy(sqlite3 *db, const struct kith_config *cfg, const struct list *l,
    const struct message *m, const char *msgid, size_t *len)
{
	char *prefix = list_setting(db, l->id, "subject_prefix");
	char *reply_to = list_setting(db, l->id, "reply_to");
	char *archive_url = list_setting(db, l->id, "archive_url");
	char *rewrite = list_setting(db, l->id, "from_rewrite");
	char *archive = list_setting(db, l->id, "archive");
	char *site_url = NULL, *copy, *archived_at = NULL;
	struct list_copy_opts o;

	if (*archive_url == '\0' && *cfg->archive_url)
		site_url = xasprintf("%s/%s/", cfg->archive_url, l->local);
	/* kith serve's archive, once it has an address (web_archive.h) */
	if (strcmp(archive, "off") && *cfg->web_base_url) {
		if (*archive_url == '\0' && site_url == NULL)
			site_url = weblink_archive(cfg, l->local);
		archived_at = weblink_archive_message(cfg, l->local, msgid);
	}
	memset(&o, 0, sizeof(o));
	o.list_address = l->address;
	o.list_local = l->local;
	o.list_domain = l->domain;
	o.list_name = l->name;
	o.subject_prefix = prefix;
	o.reply_to_list = !strcmp(reply_to, "list");
	o.archive_url = site_url ? site_url : archive_url;
	o.archived_at = archived_at;
	o.message_id = msgid;
	o.from_rewrite = !strcmp(rewrite, "always");
	copy = compose_list_copy(&o, m, len);
	free(rewrite);
	free(prefix);
	free(reply_to);
	free(archive_url);
	free(site_url);
	free(archive);
	free(archived_at);
	return copy;
}

int
post_accept(sqlite3 *db, const struct kith_config *cfg, const struct list *l,
    const struct message *m, struct post_outcome *o)
{
	char *archive = list_setting(db, l->id, "archive"), *gen = NULL;
	char *bounces = xasprintf("%s-bounces", l->local), *copy;
	const char *msgid = m->message_id;
	int64_t msg_id;
	size_t clen;
	int st;

	memset(o, 0, sizeof(*o));
	if (*msgid == '\0')
		msgid = gen = compose_message_id(l->domain);
	snprintf(o->message_id, sizeof(o->message_id), "%s", msgid);
	copy = post_copy(db, cfg, l, m, msgid, &clen);
	if ((st = db_begin(db)) != KITH_OK) {
		snprintf(o->error, sizeof(o->error), "database busy");
		goto done;
	}
	/* Checked under the write lock: two receives of one post race here. */
	if (archive_seen(db, l->id, msgid) == 1) {
		db_rollback(db);
		o->duplicate = 1;
		goto done;
	}
	if ((st = archive_store(db, l->id, m, msgid, strcmp(archive, "off") != 0,
	    &o->post_id)) != KITH_OK ||
	    (st = outbox_message_add(db, l->id, o->post_id, "post", bounces,
	    l->domain, l->address, copy, clen, &msg_id)) != KITH_OK ||
	    (st = outbox_fanout_members(db, msg_id, l->id, &o->recipients)) !=
	    KITH_OK) {
		snprintf(o->error, sizeof(o->error), "%s", st == KITH_PERM ?
		    sqlite3_errmsg(db) : "database busy or disk full");
		db_rollback(db);
		goto done;
	}
	if (*m->from_addr)
		member_count_post(db, l->id, m->from_addr);
	if ((st = db_commit(db)) != KITH_OK)
		snprintf(o->error, sizeof(o->error), "commit failed");
done:
	free(archive);
	free(gen);
	free(bounces);
	free(copy);
	return st;
}
