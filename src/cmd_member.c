/* cmd_member - kith member add|rm|ls|import|export. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "kith/address.h"
#include "kith/db.h"
#include "kith/bounce.h"
#include "kith/feature.h"
#include "kith/members.h"
#include "kith/newsletter.h"
#include "kith/membership.h"
#include "kith/notice.h"
#include "kith/privacy.h"
#include "kith/tokens.h"
#include "kith/util.h"

static void
member_usage(FILE *out)
{
	fprintf(out, "usage: kith member add LIST ADDRESS [--name NAME]\n"
	    "       kith member rm LIST ADDRESS\n"
	    "       kith member ls LIST [--tag TAG] [--json]\n"
	    "       kith member import LIST FILE   (CSV with a header naming an "
	    "e-mail column\n"
	    "                                     and a name, or first and last "
	    "name: from\n"
	    "                                     export or a spreadsheet; ',' "
	    "';' or tab;\n"
	    "                                     or one a line: 'addr', 'addr "
	    "Name',\n"
	    "                                     'Name <addr>'; - for stdin)\n"
	    "       kith member export LIST [--json]  (CSV: address,name)\n"
	    "       kith member role LIST ADDRESS owner|moderator|member\n"
	    "       kith member moderate LIST ADDRESS on|off   (hold every post)\n"
	    "       kith member set LIST ADDRESS mode=each|digest-daily|"
	    "digest-weekly|nomail\n"
	    "       kith member set LIST ADDRESS digest_format=mime|plain\n"
	    "       kith member set LIST ADDRESS language=CODE   (empty: the "
	    "list's)\n"
	    "       kith member set LIST ADDRESS thanks=on|off\n"
	    "       kith member set LIST ADDRESS address=NEW  (the member moves "
	    "to NEW,\n                                         with everything "
	    "it has; the old\n                                         address "
	    "is told)\n"
	    "       kith member invite LIST ADDRESS [--name NAME]  (a mail whose "
	    "reply joins)\n"
	    "       kith member tag LIST ADDRESS TAG    (newsletters can go to "
	    "a tag)\n"
	    "       kith member untag LIST ADDRESS TAG\n"
	    "       kith member enable LIST ADDRESS  (deliver again after "
	    "bounces disabled it)\n"
	    "       kith member accept LIST ADDRESS  (let in a confirmed request "
	    "on an\n                                         'approve' list; "
	    "see 'kith mod ls')\n"
	    "       kith member export-data ADDRESS [--json]  (everything held "
	    "about it,\n                                         on every list)\n"
	    "       kith member forget ADDRESS [--posts keep|anonymise|delete] "
	    "[--yes]\n                                        (erase it "
	    "everywhere; posts: keep)\n");
}

/* What member ls prints, and how far it has got. */
struct member_ls {
	struct db *db;
	const char *tag;	/* only the members with it; NULL: all */
	int json, n;
};

/* 1 when tag is one of tags ("a,b,c"). */
static int
has_tag(const char *tags, const char *tag)
{
	size_t n = strlen(tag);

	for (const char *p = tags; p && *p; p = strchr(p, ',') ?
	    strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, tag, n) && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

static int
print_member(const struct member *m, void *ctx)
{
	struct member_ls *ls = ctx;
	char *tags = ls->tag || ls->json ? member_tags(ls->db, m->id) : NULL;

	if (ls->tag && !has_tag(tags, ls->tag))
		;
	else if (ls->json) {
		printf("%s{\"address\": ", ls->n++ ? ",\n " : "");
		json_string(stdout, m->address);
		printf(", \"name\": ");
		json_string(stdout, m->name);
		printf(", \"role\": ");
		json_string(stdout, m->role);
		printf(", \"mode\": ");
		json_string(stdout, m->mode);
		printf(", \"joined\": %lld, \"disabled\": %s, \"tags\": [",
		    (long long)m->joined, m->disabled ? "true" : "false");
		for (char *t = *tags ? tags : NULL, *comma; t; t = comma ?
		    comma + 1 : NULL) {
			if ((comma = strchr(t, ',')) != NULL)
				*comma = '\0';
			printf("%s", t == tags ? "" : ", ");
			json_string(stdout, t);
		}
		printf("]}");
	} else
		cli_printf("%-40s %-9s %-13s %s%s\n", m->address, m->role,
		    m->mode, m->name, m->disabled ? " (disabled: bounces)" : "");
	free(tags);
	return 0;
}

static void
report_bad_line(int lineno, const char *text, const char *why, void *ctx)
{
	cli_warn("%s:%d: %s: '%s'", (const char *)ctx, lineno, why, text);
}

/* The work of member add/rm/invite/accept that is one transaction. */
struct member_tx {
	struct mail_ctx mc;
	struct member *m;
	const char *addr, *name;
	struct outcome *out;
	struct buf *note;
	int64_t now;
	int r;			/* member rm: a MEMBER_* result */
};

/* joined_tx - what the features owe a new member reaches them at once */
static int
joined_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct member_tx *x = ctx;

	(void)db, (void)err, (void)errlen;
	return features_joined(&x->mc, x->m, x->now, x->note);
}

static int
invite_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct member_tx *x = ctx;

	(void)db, (void)err, (void)errlen;
	return membership_invite(&x->mc, x->addr, x->name);
}

static int
accept_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct member_tx *x = ctx;

	(void)db, (void)err, (void)errlen;
	return membership_accept(&x->mc, x->addr, x->out);
}

/* rm_tx - the member goes, and what they held goes on (a seat to the
 * first one waiting) in the same transaction */
static int
rm_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct member_tx *x = ctx;

	(void)err, (void)errlen;
	x->r = member_find(db, x->mc.l->id, x->addr, x->m) != KITH_OK ?
	    MEMBER_NOT_FOUND : member_remove(db, x->mc.l->id, x->addr);
	if (x->r != MEMBER_REMOVED)
		return x->r == MEMBER_ERROR ? KITH_TEMP : KITH_PERM;
	return features_left(&x->mc, x->m, x->now);
}

/*
 * pasted - an ADDRESS argument as a mail client writes it, "Milan
 * Kundera <milan@example.cz>" (read as member import reads a line): the
 * address into *arg, its name into *name when the caller has none (name
 * NULL: not wanted).  keep[2] gets what the caller frees.
 */
static void
pasted(char **arg, const char **name, char **keep)
{
	keep[0] = keep[1] = NULL;
	if (strchr(*arg, '<') == NULL || member_line(*arg, &keep[0],
	    &keep[1]) != NULL)
		return;
	*arg = keep[0];
	if (name && *name == NULL && *keep[1])
		*name = keep[1];
}

static int
member_add_cmd(struct cli *c, int argc, char **argv)
{
	const char *name = NULL;
	const struct cli_opt opts[] = {
		{ "name", 'n', OPT_VALUE, &name },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "member add", "LIST ADDRESS [--name NAME]",
	    2, 2, opts };
	struct list l;
	char *keep[2];

	cli_parse(&sub, argc, argv);
	pasted(&argv[1], &name, keep);
	cli_open(c);
	cli_list(c, argv[0], &l);
	{
		struct token_key *key = cli_key(c);
		int gone = privacy_forgotten(c->db, key, argv[1], NULL, NULL);

		token_key_free(key);
		if (gone == 1)
			die(EX_NOPERM_, "%s was forgotten at its own request; it "
			    "may join again by itself (mail to %s-subscribe@%s)",
			    argv[1], l.local, l.domain);
	}
	switch (member_add(c->db, l.id, argv[1], name)) {
	case MEMBER_ADDED: {
		struct member m = { 0 };
		struct buf note;
		struct member_tx x = { { &c->cfg, c->db, NULL, &l, NULL, NULL },
		    &m, NULL, NULL, NULL, &note, now_utc(), 0 };

		/* What the features owe a new member reaches them at once
		 * (upcoming events' invitations); the note says what. */
		buf_init(&note);
		if (member_find(c->db, l.id, argv[1], &m) == KITH_OK &&
		    db_tx(c->db, joined_tx, &x, NULL, 0) != KITH_OK) {
			buf_reset(&note);
			fprintf(stderr, "kith: added, but what a new member gets "
			    "at once (invitations to upcoming events) failed: "
			    DB_BUSY_TEXT "\n");
		}
		if (m.address)
			member_release(&m);
		cli_printf("added %s to %s", argv[1], l.address);
		if (note.len)
			cli_printf(" (%s)", note.data);
		printf("\n");
		buf_release(&note);
		break;
	}
	case MEMBER_EXISTS:
		cli_printf("%s is already a member of %s\n", argv[1], l.address);
		break;
	case MEMBER_INVALID:
		die(EX_DATAERR_, "'%s' is not a valid address", argv[1]);
	default:
		die(EX_TEMPFAIL_, "cannot add '%s': " DB_BUSY_TEXT, argv[1]);
	}
	list_release(&l);
	free(keep[0]);
	free(keep[1]);
	return 0;
}

static int
member_invite_cmd(struct cli *c, int argc, char **argv)
{
	const char *name = NULL;
	const struct cli_opt opts[] = {
		{ "name", 'n', OPT_VALUE, &name },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "member invite", "LIST ADDRESS "
	    "[--name NAME]", 2, 2, opts };
	struct token_key *key;
	struct list l;
	char *addr, *keep[2];
	int st;

	cli_parse(&sub, argc, argv);
	pasted(&argv[1], &name, keep);
	cli_open(c);
	cli_list(c, argv[0], &l);
	addr = address_normalize(argv[1]);
	if (addr == NULL)
		die(EX_DATAERR_, "'%s' is not a valid address", argv[1]);
	key = cli_key(c);
	{
		struct member_tx x = { { &c->cfg, c->db, key, &l, NULL, NULL },
		    NULL, addr, name, NULL, NULL, 0, 0 };

		st = db_tx(c->db, invite_tx, &x, NULL, 0);
	}
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "invitation not sent: " DB_BUSY_TEXT);
	cli_printf("invited %s to %s; they join by replying\n", addr, l.address);
	token_key_free(key);
	free(addr);
	list_release(&l);
	free(keep[0]);
	free(keep[1]);
	return 0;
}

static int
member_accept_cmd(struct cli *c, int argc, char **argv)
{
	const struct cli_sub sub = { "member accept", "LIST ADDRESS", 2, 2,
	    NULL };
	struct token_key *key;
	struct outcome out;
	struct list l;
	char *addr, *text, lang[NOTICE_LANG_LEN];
	int st;

	cli_parse(&sub, argc, argv);
	addr = address_normalize(argv[1]);
	if (addr == NULL)
		die(EX_DATAERR_, "'%s' is not a valid address", argv[1]);
	cli_open(c);
	cli_list(c, argv[0], &l);
	key = cli_key(c);
	outcome_init(&out);
	{
		struct member_tx x = { { &c->cfg, c->db, key, &l, NULL, NULL },
		    NULL, addr, NULL, &out, NULL, 0, 0 };

		st = db_tx(c->db, accept_tx, &x, NULL, 0);
	}
	if (st == KITH_PERM)
		die(EX_NOUSER_, "no confirmed request from %s waits on %s", addr,
		    l.address);
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "nothing changed: " DB_BUSY_TEXT);
	/* what the member was told, as the list words it */
	notice_lang(c->db, &l, NULL, lang);
	text = outcome_text(c->db, &c->cfg, &l, lang, &out);
	cli_text(stdout, text ? text : "");
	free(text);
	outcome_release(&out);
	token_key_free(key);
	free(addr);
	list_release(&l);
	return 0;
}

/* A list keeps an owner: the only one is neither removed nor demoted. */
static void
keep_an_owner(struct cli *c, const struct list *l, const char *address)
{
	int sole = member_sole_owner(c->db, l->id, address);

	if (sole < 0)
		die(EX_TEMPFAIL_, "nothing was changed: " DB_BUSY_TEXT);
	if (sole)
		die(EX_DATAERR_, "%s is the only owner of %s; make another owner "
		    "first ('kith member role %s ADDRESS owner')", address,
		    l->address, l->local);
}

static int
member_rm_cmd(struct cli *c, int argc, char **argv)
{
	const struct cli_sub sub = { "member rm", "LIST ADDRESS", 2, 2, NULL };
	struct list l;
	struct member m = { 0 };
	struct member_tx x;
	char *keep[2];
	int r;

	cli_parse(&sub, argc, argv);
	pasted(&argv[1], NULL, keep);
	cli_open(c);
	cli_list(c, argv[0], &l);
	keep_an_owner(c, &l, argv[1]);
	x = (struct member_tx){ { &c->cfg, c->db, NULL, &l, NULL, NULL }, &m,
	    argv[1], NULL, NULL, NULL, now_utc(), MEMBER_ERROR };
	r = db_tx(c->db, rm_tx, &x, NULL, 0) == KITH_OK ? MEMBER_REMOVED :
	    x.r == MEMBER_REMOVED ? MEMBER_ERROR : x.r;
	member_release(&m);
	switch (r) {
	case MEMBER_REMOVED:
		cli_printf("removed %s from %s\n", argv[1], l.address);
		break;
	case MEMBER_NOT_FOUND:
	case MEMBER_INVALID:
		die(EX_NOUSER_, "'%s' is not a member of %s", argv[1], l.address);
	default:
		die(EX_TEMPFAIL_, "cannot remove: " DB_BUSY_TEXT);
	}
	list_release(&l);
	free(keep[0]);
	free(keep[1]);
	return 0;
}

static int
member_ls_cmd(struct cli *c, int argc, char **argv)
{
	struct member_ls ls = { NULL, NULL, 0, 0 };
	const struct cli_opt opts[] = {
		{ "tag", 0, OPT_VALUE, &ls.tag },
		{ "json", 0, OPT_FLAG, &ls.json },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "member ls", "LIST [--tag TAG] [--json]",
	    1, 1, opts };
	struct list l;

	cli_parse(&sub, argc, argv);
	if (ls.tag && !member_tag_valid(ls.tag))
		die(EX_DATAERR_, "tag '%s': use " MEMBER_TAG_RULE, ls.tag);
	cli_open(c);
	cli_list(c, argv[0], &l);
	ls.db = c->db;
	if (ls.json)
		printf("[");
	if (member_foreach(c->db, l.id, print_member, &ls) != KITH_OK)
		die(EX_TEMPFAIL_, DB_BUSY_TEXT);
	if (ls.json)
		printf("]\n");
	list_release(&l);
	return 0;
}

/* move_tx - member set ... address=NEW: the organiser's word suffices */
static int
move_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct member_tx *x = ctx;

	(void)err, (void)errlen;
	if (member_find(db, x->mc.l->id, x->addr, x->m) != KITH_OK) {
		x->r = MEMBER_NOT_FOUND;
		return KITH_PERM;
	}
	return membership_move(&x->mc, x->m, x->name, 1, x->out);
}

/* kith member set LIST ADDRESS address=NEW */
static void
member_move_cmd(struct cli *c, struct list *l, const char *addr,
    const char *to)
{
	struct member m = { 0 };
	struct outcome out;
	struct member_tx x = { { &c->cfg, c->db, NULL, l, NULL, NULL }, &m,
	    addr, to, &out, NULL, now_utc(), MEMBER_MOVED };
	char *moved;
	int st;

	outcome_init(&out);
	st = db_tx(c->db, move_tx, &x, NULL, 0);
	member_release(&m);
	if (st == KITH_TEMP)
		die(EX_TEMPFAIL_, DB_BUSY_TEXT);
	if (x.r == MEMBER_NOT_FOUND)
		die(EX_NOUSER_, "'%s' is not a member of %s", addr, l->address);
	if (outcome_has(&out, "already_member"))
		die(EX_DATAERR_, "not moved: '%s' is already a member of %s", to,
		    l->address);
	if (outcome_has(&out, "banned"))
		die(EX_DATAERR_, "not moved: '%s' is banned from %s", to,
		    l->address);
	if (st != KITH_OK)
		die(EX_DATAERR_, "not moved: '%s' is not an address", to);
	moved = address_normalize(to);
	cli_printf("%s: %s moved to %s\n", l->address, addr, moved);
	free(moved);
	outcome_release(&out);
}

/* member role|moderate|set LIST ADDRESS VALUE */
static int
member_change_cmd(struct cli *c, int argc, char **argv)
{
	char *cmd = xasprintf("member %s", argv[0]);
	const char *what = argv[0];
	const struct cli_sub sub = { cmd, "LIST ADDRESS VALUE", 3, 3, NULL };
	const char *addr, *v;
	struct list l;
	int st;

	cli_parse(&sub, argc, argv);
	addr = argv[1];
	v = argv[2];
	cli_open(c);
	cli_list(c, argv[0], &l);
	if (!strcmp(what, "set") && !strncmp(v, "address=", 8)) {
		member_move_cmd(c, &l, addr, v + 8);
		st = KITH_OK;
		v = NULL;
	} else if (!strcmp(what, "role")) {
		if (strcmp(v, "owner"))
			keep_an_owner(c, &l, addr);
		st = member_set_role(c->db, l.id, addr, v);
	}
	else if (!strcmp(what, "moderate"))
		st = strcmp(v, "on") && strcmp(v, "off") ? KITH_PERM :
		    member_set_moderated(c->db, l.id, addr, !strcmp(v, "on"));
	else if (!strcmp(v, "thanks=on") || !strcmp(v, "thanks=off"))
		st = member_set_thanks(c->db, l.id, addr, !strcmp(v,
		    "thanks=on"));
	else if (!strncmp(v, "digest_format=", 14))
		st = member_set_digest_format(c->db, l.id, addr, v + 14);
	else if (!strncmp(v, "language=", 9)) {
		char err[512];

		/* "" gives the member the list's language again */
		if (v[9] && notice_lang_ok(&c->cfg, v + 9, err, sizeof(err)) < 0)
			die(EX_DATAERR_, "%s", err);
		st = member_set_lang(c->db, l.id, addr, v + 9);
	}
	else
		st = strncmp(v, "mode=", 5) ? KITH_PERM :
		    member_set_mode(c->db, l.id, addr, v + 5, 0);
	if (st == KITH_TEMP)
		die(EX_TEMPFAIL_, DB_BUSY_TEXT);
	if (st != KITH_OK)
		die(EX_DATAERR_, "not changed: '%s' is not a member of %s, or "
		    "'%s' is not allowed; see 'kith member --help'", addr,
		    l.address, v);
	if (v)
		cli_printf("%s: %s %s %s\n", l.address, addr, what, v);
	list_release(&l);
	free(cmd);
	return 0;
}

static int
member_tag_cmd(struct cli *c, int argc, char **argv)
{
	int on = !strcmp(argv[0], "tag"), st;
	const struct cli_sub sub = { on ? "member tag" : "member untag",
	    "LIST ADDRESS TAG", 3, 3, NULL };
	struct list l;

	cli_parse(&sub, argc, argv);
	if (!member_tag_valid(argv[2]))
		die(EX_DATAERR_, "tag '%s': use " MEMBER_TAG_RULE, argv[2]);
	cli_open(c);
	cli_list(c, argv[0], &l);
	st = member_tag(c->db, l.id, argv[1], argv[2], on);
	if (st == KITH_TEMP)
		die(EX_TEMPFAIL_, DB_BUSY_TEXT);
	if (st != KITH_OK)
		die(EX_NOUSER_, "'%s' is not a member of %s", argv[1], l.address);
	/* the INSERT or DELETE was member_tag's last statement: say
	 * whether it changed anything ("untagged" a tag never there misled) */
	cli_printf("%s: %s %s %s\n", l.address, argv[1], db_changes(c->db) > 0 ?
	    (on ? "tagged" : "untagged") : (on ? "already had the tag" :
	    "had no tag"), argv[2]);
	list_release(&l);
	return 0;
}

static int
member_enable_cmd(struct cli *c, int argc, char **argv)
{
	const struct cli_sub sub = { "member enable", "LIST ADDRESS", 2, 2,
	    NULL };
	struct list l;
	int st;

	cli_parse(&sub, argc, argv);
	cli_open(c);
	cli_list(c, argv[0], &l);
	st = bounce_enable(c->db, l.id, argv[1]);
	if (st == KITH_TEMP)
		die(EX_TEMPFAIL_, DB_BUSY_TEXT);
	if (st != KITH_OK)
		die(EX_NOUSER_, "'%s' is not a member of %s", argv[1], l.address);
	cli_printf("%s: %s gets mail again; its bounce score starts at 0\n",
	    l.address, argv[1]);
	list_release(&l);
	return 0;
}

static int
member_export_cmd(struct cli *c, int argc, char **argv)
{
	int json = 0;
	struct list l;

	cli_parse_json("member export", "LIST [--json]", 1, 1,
	    &json, argc, argv);
	cli_open(c);
	cli_list(c, argv[0], &l);
	if (member_export(c->db, l.id, json, stdout) != KITH_OK)
		die(EX_TEMPFAIL_, "export incomplete: " DB_BUSY_TEXT);
	list_release(&l);
	return 0;
}

struct forgotten_ctx {
	struct db *db;
	struct token_key *key;
};

/* An import leaves out the addresses erased by 'member forget'. */
static int
is_forgotten(const char *address, void *ctx)
{
	struct forgotten_ctx *fc = ctx;

	return privacy_forgotten(fc->db, fc->key, address, NULL, NULL) == 1;
}

static int
member_import_cmd(struct cli *c, int argc, char **argv)
{
	const struct cli_sub sub = { "member import", "LIST FILE", 2, 2, NULL };
	struct forgotten_ctx fc;
	struct import_skip skip = { is_forgotten, NULL };
	struct import_counts n;
	struct list l;
	FILE *in;
	int st;

	cli_parse(&sub, argc, argv);
	cli_open(c);
	cli_list(c, argv[0], &l);
	in = strcmp(argv[1], "-") ? fopen(argv[1], "r") : stdin;
	if (in == NULL)
		die(EX_NOINPUT_, "cannot read '%s': %s", argv[1], strerror(errno));
	skip.ctx = &fc;
	fc.db = c->db;
	fc.key = cli_key(c);
	st = member_import_skip(c->db, l.id, in, &n, report_bad_line, argv[1],
	    &skip);
	token_key_free(fc.key);
	if (st == KITH_PERM)
		die(EX_IOERR_, "cannot read '%s'; nothing was imported", argv[1]);
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "nothing was imported: "
		    DB_BUSY_TEXT);
	if (in != stdin)
		fclose(in);
	printf("%d added, %d skipped (already members), %d invalid\n",
	    n.added, n.skipped, n.invalid);
	if (n.forgotten)
		printf("%d left out: forgotten at their own request (they may "
		    "join again by themselves)\n", n.forgotten);
	/* a file Kith could not read at all is an error, not "0 added" */
	if (n.invalid > 0 && n.added + n.skipped + n.forgotten == 0)
		die(EX_DATAERR_, "nothing was imported from '%s': no line has an "
		    "address Kith can read (a CSV needs a header naming its "
		    "e-mail column; see 'kith member --help')", argv[1]);
	list_release(&l);
	return 0;
}

static int
member_export_data_cmd(struct cli *c, int argc, char **argv)
{
	int json = 0, st;
	struct token_key *key;
	struct buf out;

	cli_parse_json("member export-data", "ADDRESS [--json]", 1, 1,
	    &json, argc, argv);
	cli_open(c);
	key = cli_key(c);
	buf_init(&out);
	st = privacy_export(c->db, key, argv[0], json, 1, now_utc(), &out);
	if (st == KITH_PERM)
		die(EX_DATAERR_, "'%s' is not a valid address", argv[0]);
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "export incomplete: " DB_BUSY_TEXT);
	if (json)
		fwrite(out.data, 1, out.len, stdout);
	else
		cli_text(stdout, out.data ? out.data : "");
	buf_release(&out);
	token_key_free(key);
	return 0;
}

/* The lists whose only owner address is, one a line ("" for none). */
static char *
lists_only_owned_by(struct db *db, const char *address)
{
	struct db_stmt *st = db_prepare(db, "SELECT l.address FROM lists l JOIN "
	    "members m ON m.list_id=l.id AND m.role='owner' GROUP BY l.id "
	    "HAVING count(*)=1 AND max(m.address)=? ORDER BY l.address");
	struct buf b;

	buf_init(&b);
	if (st) {
		db_bind(st, "t", address);
		while (db_step(st) == DB_ROW)
			buf_addf(&b, "%s\n", db_col_str(st, 0));
		db_finalize(st);
	}
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

/*
 * member forget - erase an address everywhere (privacy.h).  Like list rm
 * it cannot be undone: --yes, or the address typed at the terminal.
 */
static int
member_forget_cmd(struct cli *c, int argc, char **argv)
{
	const char *posts = "keep";
	int yes = 0, checkpointed, st;
	const struct cli_opt opts[] = {
		{ "posts", 0, OPT_VALUE, &posts },
		{ "yes", 'y', OPT_FLAG, &yes },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "member forget", "ADDRESS [--posts "
	    "keep|anonymise|delete] [--yes]", 1, 1, opts };
	enum privacy_posts mode;
	struct token_key *key;
	char err[512] = "", *addr, *orphans;
	struct buf report;

	cli_parse(&sub, argc, argv);
	if (privacy_posts_parse(posts, &mode) < 0)
		usage_error("member", "--posts is keep, anonymise or delete, not "
		    "'%s'", posts);
	addr = address_normalize(argv[0]);
	if (addr == NULL)
		die(EX_DATAERR_, "'%s' is not a valid address", argv[0]);
	if (!yes) {
		char *q = xasprintf("This erases %s from every list for good "
		    "(posts: %s).\nType the address to go ahead: ", addr, posts);

		if (!isatty(0))
			die(EX_USAGE_, "'member forget' erases %s for good; add "
			    "--yes", addr);
		if (!cli_confirm(q, addr))
			die(EX_USAGE_, "nothing was changed");
		free(q);
	}
	cli_open(c);
	key = cli_key(c);
	buf_init(&report);
	orphans = lists_only_owned_by(c->db, addr);
	st = privacy_forget(c->db, key, addr, mode, now_utc(), &report,
	    &checkpointed, err, sizeof(err));
	if (st == KITH_PERM)
		die(EX_DATAERR_, "%s", err);
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "%s", err);
	cli_text(stdout, report.data ? report.data : "");
	cli_printf("forgot %s (posts: %s); a keyed hash of it is kept so that "
	    "no import or bounce brings it back\n", addr, posts);
	if (!checkpointed)
		cli_warn("a reader kept the write-ahead log open: the erased "
		    "bytes leave it at the next checkpoint");
	for (char *l = orphans, *next; l && *l; l = next) {
		next = strchr(l, '\n');
		*next++ = '\0';
		cli_warn("%s has no owner now; give it one with 'kith member "
		    "role %s ADDRESS owner'", l, l);
	}
	free(orphans);
	buf_release(&report);
	token_key_free(key);
	free(addr);
	return 0;
}

int
cmd_member(struct cli *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli *, int, char **);
	} subs[] = {
		{ "add", member_add_cmd }, { "rm", member_rm_cmd },
		{ "ls", member_ls_cmd }, { "import", member_import_cmd },
		{ "export", member_export_cmd }, { "role", member_change_cmd },
		{ "moderate", member_change_cmd }, { "set", member_change_cmd },
		{ "invite", member_invite_cmd }, { "tag", member_tag_cmd },
		{ "untag", member_tag_cmd }, { "enable", member_enable_cmd },
		{ "accept", member_accept_cmd },
		{ "export-data", member_export_data_cmd },
		{ "forget", member_forget_cmd },
	};
	int help;

	if ((help = group_help(argc, argv, member_usage)) >= 0)
		return help;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(c, argc - 1, argv + 1);
	usage_error("member", "'%s' is not a member command", argv[1]);
}
