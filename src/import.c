/* import - the plan every importer fills, and carrying it out. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kith/address.h"
#include "kith/archive.h"
#include "kith/db.h"
#include "kith/import.h"
#include "kith/lists.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/privacy.h"
#include "kith/rfc2047.h"
#include "kith/util.h"

void
import_plan_init(struct import_plan *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->dropped);
}

void
import_plan_release(struct import_plan *p)
{
	for (size_t i = 0; i < p->nmembers; i++) {
		free(p->members[i].address);
		free(p->members[i].name);
	}
	for (size_t i = 0; i < p->nsettings; i++) {
		free(p->settings[i].key);
		free(p->settings[i].value);
		free(p->settings[i].from);
	}
	free(p->members);
	free(p->settings);
	free(p->list_address);
	free(p->name);
	free(p->description);
	free(p->archive_dir);
	free(p->mbox);
	buf_release(&p->dropped);
	memset(p, 0, sizeof(*p));
}

static int
role_rank(const char *role)
{
	return !strcmp(role, "owner") ? 2 : !strcmp(role, "moderator") ? 1 : 0;
}

int
import_plan_member(struct import_plan *p, const char *address,
    const char *name, const char *role, const char *mode)
{
	char *addr = address_normalize(address);
	struct import_member *m = NULL;

	if (addr == NULL)
		return -1;
	for (size_t i = 0; i < p->nmembers && !m; i++)
		if (!strcmp(p->members[i].address, addr))
			m = &p->members[i];
	if (m == NULL) {
		p->members = xrealloc(p->members, (p->nmembers + 1) *
		    sizeof(*p->members));
		m = &p->members[p->nmembers++];
		memset(m, 0, sizeof(*m));
		m->address = addr;
		m->name = xstrdup(name ? name : "");
		m->role = "member";
		m->mode = "each";
	} else {
		free(addr);
		if (name && *name && !*m->name) {
			free(m->name);
			m->name = xstrdup(name);
		}
	}
	if (role && role_rank(role) > role_rank(m->role))
		m->role = role_rank(role) == 2 ? "owner" : "moderator";
	if (mode)
		m->mode = mode;
	return 0;
}

void
import_plan_setting(struct import_plan *p, const char *key,
    const char *value, const char *from)
{
	for (size_t i = 0; i < p->nsettings; i++)
		if (!strcmp(p->settings[i].key, key)) {
			free(p->settings[i].value);
			free(p->settings[i].from);
			p->settings[i].value = xstrdup(value);
			p->settings[i].from = xstrdup(from);
			return;
		}
	p->settings = xrealloc(p->settings, (p->nsettings + 1) *
	    sizeof(*p->settings));
	p->settings[p->nsettings].key = xstrdup(key);
	p->settings[p->nsettings].value = xstrdup(value);
	p->settings[p->nsettings].from = xstrdup(from);
	p->nsettings++;
}

void
import_plan_drop(struct import_plan *p, const char *what, const char *why)
{
	buf_addf(&p->dropped, "%s: %s\n", what, why);
}

int
import_member_line(const char *line, char **addr, char **name)
{
	const char *lt = strrchr(line, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	char *a;

	*addr = *name = NULL;
	if (lt && gt) {
		char *raw = xstrndup(line, (size_t)(lt - line)), *n;
		size_t k;

		a = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		n = str_trim(raw);
		k = strlen(n);
		/* "Name" in quotes loses them */
		if (k >= 2 && n[0] == '"' && n[k - 1] == '"')
			*name = xstrndup(n + 1, k - 2);
		else if (strstr(n, "=?"))	/* as formataddr writes it */
			*name = rfc2047_decode(n, k);
		else
			*name = xstrdup(n);
		free(raw);
	} else {
		a = xstrdup(line);
		*name = xstrdup("");
	}
	*addr = address_normalize(str_trim(a));
	free(a);
	if (*addr == NULL) {
		free(*name);
		*name = NULL;
		return -1;
	}
	return 0;
}

/* ---- apply ---- */

static int
find_or_create(struct db *db, const struct import_plan *plan,
    const char *list_spec, struct list *l, struct import_result *r,
    char *err, size_t errlen)
{
	const char *owner = NULL;
	char *name, *desc;
	int st;

	if (list_spec)
		return list_find(db, list_spec, l, err, errlen);
	if (plan->list_address == NULL) {
		snprintf(err, errlen, "the old list's address is unknown; name a "
		    "Kith list to import into (--list)");
		return KITH_PERM;
	}
	if (list_find(db, plan->list_address, l, err, errlen) == KITH_OK)
		return KITH_OK;
	for (size_t i = 0; i < plan->nmembers && !owner; i++)
		if (!strcmp(plan->members[i].role, "owner"))
			owner = plan->members[i].address;
	if (owner == NULL) {
		snprintf(err, errlen, "the old list has no owner to create '%s' "
		    "with; create it first (kith list create) and give --list",
		    plan->list_address);
		return KITH_PERM;
	}
	/* an old list's words may be in another charset or carry control
	 * characters; mended, not refused */
	name = plan->name ? utf8_text_mend(plan->name, LIST_NAME_MAX, 0) :
	    NULL;
	desc = plan->description ? utf8_text_mend(plan->description,
	    LIST_DESCRIPTION_MAX, 1) : NULL;
	st = list_create(db, plan->list_address, owner, name, desc, err,
	    errlen);
	free(name);
	free(desc);
	if (st != KITH_OK)
		return st;
	r->list_created = 1;
	return list_find(db, plan->list_address, l, err, errlen);
}

/* import_members - add or update each member of the plan. */
static int
import_members(struct db *db, const struct token_key *key,
    const struct import_plan *plan, const struct list *l,
    struct import_result *r)
{
	int st = KITH_OK;

	for (size_t i = 0; i < plan->nmembers && st == KITH_OK; i++) {
		const struct import_member *m = &plan->members[i];

		if (key && privacy_forgotten(db, key, m->address, NULL,
		    NULL) == 1) {
			r->forgotten++;
			continue;
		}
		switch (member_add(db, l->id, m->address, m->name)) {
		case MEMBER_ADDED:
			r->added++;
			break;
		case MEMBER_EXISTS:
			r->updated++;
			break;
		case MEMBER_INVALID:
			r->invalid++;
			continue;
		default:
			st = KITH_TEMP;
			continue;
		}
		if (strcmp(m->role, "member"))
			st = member_set_role(db, l->id, m->address, m->role);
		if (st == KITH_OK && strcmp(m->mode, "each"))
			st = member_set_mode(db, l->id, m->address, m->mode, 0);
		if (st == KITH_OK && m->digest_format)
			st = member_set_digest_format(db, l->id, m->address,
			    m->digest_format);
	}
	return st;
}

static int
import_settings(struct db *db, const struct import_plan *plan,
    const struct list *l, struct import_result *r, struct buf *dropped)
{
	int st = KITH_OK;

	for (size_t i = 0; i < plan->nsettings && st == KITH_OK; i++) {
		const struct import_setting *s = &plan->settings[i];
		char err[256] = "";

		st = list_setting_set(db, l->id, s->key, s->value, err,
		    sizeof(err));
		if (st == KITH_PERM) {
			buf_addf(dropped, "%s: %s\n", s->from, err);
			st = KITH_OK;
		} else if (st == KITH_OK)
			r->settings++;
	}
	if (st == KITH_OK && plan->description && *plan->description) {
		char *desc = utf8_text_mend(plan->description,
		    LIST_DESCRIPTION_MAX, 1);

		st = db_exec(db, "UPDATE lists SET description=? WHERE id=? AND "
		    "description=''", "ti", desc, l->id);
		free(desc);
	}
	return st;
}

/* One old message into the archive. */
static int
add_message(struct db *db, const struct list *l, const char *raw, size_t len,
    int64_t fallback, struct import_result *r)
{
	int64_t id;

	switch (archive_add_old(db, l->id, raw, len, fallback, &id)) {
	case ARCHIVE_ADDED:
		r->posts++;
		return KITH_OK;
	case ARCHIVE_DUPLICATE:
		r->duplicates++;
		return KITH_OK;
	case ARCHIVE_UNREADABLE:
		r->unreadable++;
		return KITH_OK;
	default:
		return KITH_TEMP;
	}
}

static int
by_number(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* mlmmj's archive/: files named 1, 2, 3 ..., in that order. */
static int
import_dir(struct db *db, const struct list *l, const char *dir,
    struct import_result *r)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long *nums = NULL;
	size_t n = 0;
	int st = KITH_OK;

	if (d == NULL)
		return KITH_OK;	/* no archive: nothing to bring */
	while ((e = readdir(d)) != NULL) {
		char *end;
		long v = strtol(e->d_name, &end, 10);

		if (*e->d_name && *end == '\0' && v > 0) {
			nums = xrealloc(nums, (n + 1) * sizeof(*nums));
			nums[n++] = v;
		}
	}
	closedir(d);
	qsort(nums, n, sizeof(*nums), by_number);
	for (size_t i = 0; i < n && st == KITH_OK; i++) {
		char *p = xasprintf("%s/%ld", dir, nums[i]);
		struct stat sb;
		struct buf b;

		buf_init(&b);
		if (stat(p, &sb) == 0 && buf_read_file(&b, p) == 0)
			st = add_message(db, l, b.data ? b.data : "", b.len,
			    (int64_t)sb.st_mtime, r);
		else
			r->unreadable++;
		buf_release(&b);
		free(p);
	}
	free(nums);
	return st;
}

/* One message of an mboxrd/mboxo file: ">From " lines lose one '>'. */
static int
mbox_flush(struct db *db, const struct list *l, struct buf *msg,
    struct import_result *r)
{
	int st = KITH_OK;

	if (msg->len > 0)
		st = add_message(db, l, msg->data, msg->len, 0, r);
	buf_reset(msg);
	return st;
}

static int
import_mbox(struct db *db, const struct list *l, const char *path,
    struct import_result *r, char *err, size_t errlen)
{
	FILE *in = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct buf msg;
	int st = KITH_OK, prev_blank = 1;

	if (in == NULL) {
		snprintf(err, errlen, "cannot read '%s': %s", path,
		    strerror(errno));
		return KITH_PERM;
	}
	buf_init(&msg);
	while (st == KITH_OK && (n = getline(&line, &cap, in)) > 0) {
		const char *p = line;

		if (prev_blank && !strncmp(line, "From ", 5)) {
			/* the blank line before "From " belongs to mbox */
			if (msg.len && msg.data[msg.len - 1] == '\n')
				msg.len--;
			st = mbox_flush(db, l, &msg, r);
			prev_blank = 0;
			continue;
		}
		prev_blank = line[0] == '\n' || (line[0] == '\r' &&
		    line[1] == '\n');
		if (*p == '>') {
			const char *q = p;

			while (*q == '>')
				q++;
			if (!strncmp(q, "From ", 5))
				p++;
		}
		buf_add(&msg, p, (size_t)(n - (p - line)));
	}
	if (st == KITH_OK)
		st = mbox_flush(db, l, &msg, r);
	free(line);
	buf_release(&msg);
	fclose(in);
	return st;
}

/* What import_apply hands to its transactions. */
struct import_tx {
	const struct token_key *key;
	const struct import_plan *plan;
	const struct list *l;
	struct import_result *r;
	int64_t before;
};

static int
members_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct import_tx *x = ctx;

	(void)err, (void)errlen;
	return import_members(db, x->key, x->plan, x->l, x->r);
}

/*
 * archive_tx - the old messages.  Posts that were never in a digest here
 * stay out of the next one: the digest state moves past them when nothing
 * else was waiting for it.
 */
static int
archive_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct import_tx *x = ctx;
	const struct import_plan *plan = x->plan;
	const struct list *l = x->l;
	struct import_result *r = x->r;
	int64_t before = x->before;
	int st = KITH_OK;

	if (plan->archive_dir)
		st = import_dir(db, l, plan->archive_dir, r);
	if (st == KITH_OK && plan->mbox)
		st = import_mbox(db, l, plan->mbox, r, err, errlen);
	if (st == KITH_OK && r->posts > 0) {
		static const char *const kinds[] = { "daily", "weekly" };

		for (int i = 0; i < 2 && st == KITH_OK; i++)
			st = db_exec(db, "INSERT INTO digest_state(list_id, kind, "
			    "last_post) VALUES (?1, ?2, (SELECT max(id) FROM "
			    "posts)) ON CONFLICT (list_id, kind) DO UPDATE SET "
			    "last_post=excluded.last_post WHERE "
			    "digest_state.last_post>=?3", "iti", l->id,
			    kinds[i], before);
	}
	return st;
}

/* import_archive - the old messages, all or none of them. */
static int
import_archive(struct db *db, struct import_tx *x, char *err, size_t errlen)
{
	int st;

	x->before = db_int(db, 0, NULL, "SELECT coalesce(max(id), 0) FROM "
	    "posts WHERE list_id=?", "i", x->l->id);
	st = db_tx(db, archive_tx, x, err, errlen);
	if (st == KITH_TEMP)
		snprintf(err, errlen, "nothing of the archive was imported: "
		    DB_BUSY_TEXT);
	return st;
}

int
import_apply(struct db *db, const struct token_key *key,
    struct import_plan *plan, const char *list_spec,
    struct import_result *r, char *err, size_t errlen)
{
	struct import_tx x;
	struct buf dropped;
	struct list l;
	int st;

	memset(r, 0, sizeof(*r));
	/* list_create keeps its own transaction */
	st = find_or_create(db, plan, list_spec, &l, r, err, errlen);
	if (st != KITH_OK)
		return st;
	buf_init(&dropped);
	x = (struct import_tx){ key, plan, &l, r, 0 };
	st = db_tx(db, members_tx, &x, NULL, 0);
	/* list_setting_set keeps its own transaction, one per setting */
	if (st == KITH_OK)
		st = import_settings(db, plan, &l, r, &dropped);
	if (st == KITH_OK)
		st = import_archive(db, &x, err, errlen);
	else
		snprintf(err, errlen, "no member or setting was imported: "
		    DB_BUSY_TEXT);
	if (st == KITH_OK)
		r->list = xstrdup(l.address);
	list_release(&l);
	/* settings Kith refused join the plan's own list of drops */
	if (dropped.len)
		buf_add(&plan->dropped, dropped.data, dropped.len);
	buf_release(&dropped);
	if (st == KITH_OK)
		log_info("import: %s: %d members added, %d settings, %d posts",
		    r->list, r->added, r->settings, r->posts);
	return st;
}
