/* notice - templated automatic mail from a list. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kith/bans.h"
#include "kith/compose.h"
#include "kith/db.h"
#include "kith/i18n.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/notice.h"
#include "kith/outbox.h"
#include "kith/tokens.h"
#include "kith/util.h"
#include "kith/weblinks.h"

#define NLISTVARS 7

int
notice_list_vars(const struct list *l, struct template_var *vars,
    char **bufs)
{
	bufs[0] = xasprintf("%s-owner@%s", l->local, l->domain);
	bufs[1] = xasprintf("%s-request@%s", l->local, l->domain);
	bufs[2] = xasprintf("%s-subscribe@%s", l->local, l->domain);
	bufs[3] = xasprintf("%s-unsubscribe@%s", l->local, l->domain);
	bufs[4] = bufs[5] = bufs[6] = NULL;
	vars[0] = (struct template_var){ "list.address", l->address };
	vars[1] = (struct template_var){ "list.name", l->name };
	vars[2] = (struct template_var){ "list.description", l->description };
	vars[3] = (struct template_var){ "list.owner", bufs[0] };
	vars[4] = (struct template_var){ "list.request", bufs[1] };
	vars[5] = (struct template_var){ "list.subscribe", bufs[2] };
	vars[6] = (struct template_var){ "list.unsubscribe", bufs[3] };
	return NLISTVARS;
}

void
notice_list_tv(struct tvars *tv, const struct list *l)
{
	struct template_var vars[NLISTVARS];
	char *bufs[NLISTVARS];
	int n = notice_list_vars(l, vars, bufs);

	for (int i = 0; i < n; i++)
		tv_str(tv, vars[i].name, vars[i].value);
	for (int i = 0; i < n; i++)	/* after: vars point into bufs */
		free(bufs[i]);
}

void
notice_lang(struct db *db, const struct list *l, const char *address,
    char lang[NOTICE_LANG_LEN])
{
	/* written only once Kith had the language (notice_lang_ok); a
	 * language folder removed since falls back, text by text, to en
	 * (template.h) */
	char *own = address ? member_lang(db, l->id, address) : xstrdup("");
	char *list = *own ? NULL : list_setting(db, l->id, "language");
	const char *code = *own ? own : list;

	snprintf(lang, NOTICE_LANG_LEN, "%s", code && *code &&
	    i18n_code_valid(code) && strlen(code) < NOTICE_LANG_LEN ? code :
	    "en");
	free(own);
	free(list);
}

int
notice_lang_find(const struct kith_config *cfg, const char *word,
    char code[NOTICE_LANG_LEN])
{
	char **all = template_languages(cfg);
	int found = 0;

	code[0] = '\0';
	for (size_t i = 0; all && all[i] && !found; i++) {
		const struct i18n_lang *lang = template_lang(cfg, all[i], NULL,
		    0);

		if (lang == NULL || strlen(all[i]) >= NOTICE_LANG_LEN)
			continue;
		if (!strcasecmp(word, all[i]) ||
		    !strcasecmp(word, i18n_lang_name(lang)) ||
		    !strcasecmp(word, i18n_lang_name_en(lang))) {
			snprintf(code, NOTICE_LANG_LEN, "%s", all[i]);
			found = 1;
		}
	}
	i18n_codes_free(all);
	return found;
}

char *
notice_lang_list(const struct kith_config *cfg)
{
	char **all = template_languages(cfg);
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; all && all[i]; i++) {
		const struct i18n_lang *lang = template_lang(cfg, all[i], NULL,
		    0);

		if (lang)
			buf_addf(&b, "%s%s (%s)", b.len ? ", " : "", all[i],
			    i18n_lang_name(lang));
	}
	i18n_codes_free(all);
	return b.data ? buf_detach(&b, NULL) : xstrdup("en");
}

void
notice_lang_name(const struct kith_config *cfg, struct db *db,
    const struct list *l, const char *address, char *name, size_t len)
{
	char code[NOTICE_LANG_LEN];
	const struct i18n_lang *lang;

	notice_lang(db, l, address, code);
	lang = template_lang(cfg, code, NULL, 0);
	snprintf(name, len, "%s", lang ? i18n_lang_name(lang) : code);
}

int
notice_lang_ok(const struct kith_config *cfg, const char *code, char *err,
    size_t errlen)
{
	char why[256] = "";
	char **all;
	struct buf b;

	if (notice_lang_have((void *)cfg, code))
		return 0;
	if (code && strlen(code) < NOTICE_LANG_LEN)	/* why not */
		template_lang(cfg, code, why, sizeof(why));
	all = template_languages(cfg);
	buf_init(&b);
	for (size_t i = 0; all && all[i]; i++)
		buf_addf(&b, " %s", all[i]);
	snprintf(err, errlen, "Kith has no language '%.32s'%s%s; it has:%s",
	    code ? code : "", *why && strncmp(why, "no LANGUAGE", 11) ?
	    ": " : "", *why && strncmp(why, "no LANGUAGE", 11) ? why : "",
	    b.data ? b.data : " en");
	buf_release(&b);
	i18n_codes_free(all);
	return -1;
}

int
notice_lang_have(void *cfg, const char *code)
{
	/* no message: a header names languages Kith lacks all the time */
	return code && strlen(code) < NOTICE_LANG_LEN &&
	    template_lang(cfg, code, NULL, 0) != NULL;
}

int
notice_render(struct db *db, const struct kith_config *cfg,
    const struct list *l, const char *lang, const char *tmpl,
    const struct tvars *tv, struct template_out *out)
{
	char *tz = list_setting(db, l->id, "timezone"), err[512] = "";
	struct template_opts o = { l->local, lang, tz };
	struct tvars *top = tv_new();
	int rc;

	notice_list_tv(top, l);
	if (tv)
		tv_inherit(top, tv);
	rc = template_mail(cfg, &o, tmpl, top, out, err, sizeof(err));
	if (rc < 0)
		log_error("notice: %s", err);
	tv_free(top);
	free(tz);
	return rc;
}

char *
notice_text(struct db *db, const struct kith_config *cfg, const struct list *l,
    const char *lang, const char *tmpl, const struct tvars *tv)
{
	struct template_out out;
	char *body;

	if (notice_render(db, cfg, l, lang, tmpl, tv, &out) < 0)
		return NULL;
	body = out.body;
	out.body = NULL;
	template_out_release(&out);
	return body;
}

/*
 * member_values - the member's values as every template sees them:
 * member.name is never empty (a member without a name is called by the
 * address, so "Goodbye, {{member.name}}." never reads "Goodbye, ."), and
 * member is "Name <address>", or the address alone ("hana@example.org
 * left", not "hana@example.org () left").  Read from tv and what it
 * inherits; set in tv.
 */
static void
member_values(struct tvars *tv)
{
	const char *addr = tv_get_str(tv, "member.address");
	const char *name = tv_get_str(tv, "member.name");

	if (addr == NULL || *addr == '\0')
		return;
	if (name && *name)
		tv_strf(tv, "member", "%s <%s>", name, addr);
	else {
		tv_str(tv, "member", addr);
		if (name)
			tv_str(tv, "member.name", addr);
	}
}

/* Whether a notice answers a message from its recipient (RFC 3834). */
static int notice_is_reply(const struct notice_opts *o);

/*
 * banned_may_get - whether notice tmpl may go to address to as far as bans
 * go.  Mail to a banned sender is backscatter to a spammer, or to the
 * victim of a forged From: by default nothing goes to a banned address,
 * and the notice that says "you may not post" goes nowhere.  With the
 * list's ban_notice = daily, that notice (and only that one) goes out,
 * at most once a day per address whatever path asked for it.
 */
static int
banned_may_get(struct db *db, const struct list *l, const char *tmpl,
    const char *to)
{
	char *how;
	int ok;

	if (strcmp(tmpl, "banned.txt"))
		return !ban_matches(db, l->id, to);
	how = list_setting(db, l->id, "ban_notice");
	ok = how && !strcmp(how, "daily") && notice_rate_ok(db, l->id, to,
	    "banned");
	free(how);
	return ok;
}

/*
 * notice_values - what a notice's template sees: the list's values, the
 * caller's flat ones (the first of a name wins, as it always has), the
 * caller's record under them, and the member's.  Caller frees.
 */
static struct tvars *
notice_values(const struct list *l, const struct notice_opts *o)
{
	struct tvars *tv = tv_new();

	notice_list_tv(tv, l);
	for (int i = 0; i < o->nvars; i++)
		if (tv_get_str(tv, o->vars[i].name) == NULL)
			tv_str(tv, o->vars[i].name, o->vars[i].value);
	tv_inherit(tv, o->tv);
	member_values(tv);
	return tv;
}

/*
 * web_footer - with kith serve (web_base_url), a notice to a member ends
 * with the link to their own preference page (web-footer.txt, in the
 * notice's language); NULL when there is none.  Caller frees.
 */
static char *
web_footer(struct db *db, const struct kith_config *cfg, const struct list *l,
    const struct template_opts *to, const char *rcpt,
    const struct token_key *have)
{
	char *path, *url = NULL, *text = NULL, err[512] = "";
	struct token_key *key = NULL;
	struct template_out out;
	struct member m;

	if (!*cfg->web_base_url || member_find(db, l->id, rcpt, &m) != KITH_OK)
		return NULL;
	/* the caller's key when it has one: reading the secret file and
	 * setting up its HMAC for each notice was most of a footer */
	if (have == NULL) {
		path = config_secret_path(cfg);
		have = key = token_key_load(path, err, sizeof(err));
		free(path);
	}
	if (have)
		url = weblink_prefs(cfg, have, l->address, m.id, m.address);
	if (url) {
		struct tvars *tv = tv_new();

		notice_list_tv(tv, l);
		tv_str(tv, "preferences", url);
		if (template_mail(cfg, to, "web-footer.txt", tv, &out, err,
		    sizeof(err)) == 0) {
			text = out.body;
			out.body = NULL;
			template_out_release(&out);
		} else
			log_error("notice: %s", err);
		tv_free(tv);
	}
	token_key_free(key);
	member_release(&m);
	free(url);
	return text;
}

/*
 * shipped_subject - the subject of the shipped text tmpl in to's
 * language, for a list's or site's own text that has no "Subject:" line
 * (written before subjects moved into the texts); NULL when none.
 */
static char *
shipped_subject(const struct kith_config *cfg, const struct template_opts *to,
    const char *tmpl, const struct tvars *tv)
{
	struct kith_config shipped = *cfg;
	struct template_opts o = *to;
	struct template_out out;
	char err[512] = "", *subject = NULL;

	shipped.data_dir = NULL;
	o.list = NULL;
	if (template_mail(&shipped, &o, tmpl, tv, &out, err, sizeof(err)) == 0) {
		subject = out.subject;
		out.subject = NULL;
		template_out_release(&out);
	}
	return subject;
}

char *
notice_compose(const struct list *l, const char *role, struct notice *nt,
    size_t *len)
{
	char *from = xasprintf("%s-%s@%s", l->local, role, l->domain);
	char *list_id = xasprintf("<%s.%s>", l->local, l->domain);
	char *mail;

	nt->from_name = l->name;
	nt->from = from;
	nt->list_id = list_id;
	mail = compose_notice(nt, len);
	nt->from = nt->list_id = NULL;
	free(from);
	free(list_id);
	return mail;
}

/*
 * notice_make - notice o on list l rendered and composed: its bytes
 * (caller frees; *len set), or NULL when its text is missing or wrong
 * (logged).
 */
static char *
notice_make(struct db *db, const struct kith_config *cfg, const struct list *l,
    const struct notice_opts *o, size_t *len)
{
	struct template_opts to = { l->local, o->lang, o->tz };
	struct template_out out;
	struct tvars *tv;
	char *mail, *tz = NULL, err[512] = "";
	char lang[NOTICE_LANG_LEN];
	struct notice nt;
	int st;

	if (to.tz == NULL)
		to.tz = tz = list_setting(db, l->id, "timezone");
	if (to.lang == NULL) {
		notice_lang(db, l, o->to, lang);
		to.lang = lang;
	}
	tv = notice_values(l, o);
	st = template_mail(cfg, &to, o->tmpl, tv, &out, err, sizeof(err));
	if (st == 0 && out.subject == NULL)
		out.subject = shipped_subject(cfg, &to, o->tmpl, tv);
	tv_free(tv);
	free(tz);
	if (st < 0) {
		log_error("notice: %s", err);
		return NULL;
	}
	{
		char *footer = web_footer(db, cfg, l, &to, o->to, o->key);

		if (footer) {
			char *all = xasprintf("%s\n-- \n%s", out.body, footer);

			free(out.body);
			free(footer);
			out.body = all;
		}
	}
	memset(&nt, 0, sizeof(nt));
	nt.to = o->to;
	/* the text's own subject, in its language, before the caller's */
	nt.subject = out.subject ? out.subject : o->subject ? o->subject :
	    l->name;
	nt.in_reply_to = o->in_reply_to;
	nt.reply_to = o->reply_to;
	nt.text = out.body;
	nt.attach = o->attach;
	nt.attach_len = o->attach_len;
	nt.reply = notice_is_reply(o);
	nt.date = o->date;
	mail = notice_compose(l, "owner", &nt, len);
	template_out_release(&out);
	return mail;
}

int
notice_queue(struct db *db, const struct kith_config *cfg, const struct list *l,
    const struct notice_opts *o)
{
	char *mail, *bounces;
	int64_t msg_id;
	size_t len;
	int st;

	if (!banned_may_get(db, l, o->tmpl, o->to)) {
		log_info("notice: nothing sent to banned '%s' on '%s' (%s)",
		    o->to, l->address, o->tmpl);
		return KITH_OK;
	}
	if ((mail = notice_make(db, cfg, l, o, &len)) == NULL)
		return KITH_PERM;
	bounces = xasprintf("%s-bounces", l->local);
	st = outbox_message_add(db, l->id, 0, "notice", bounces, l->domain, NULL,
	    mail, len, &msg_id);
	if (st == KITH_OK)
		st = outbox_rcpt_add(db, msg_id, o->to);
	free(mail);
	free(bounces);
	return st;
}

/*
 * The render of a notice queued for later: NOTICE_RENDER, then the
 * text's name, the time it was queued, the reader's language ("": look
 * it up at delivery), the Message-ID it answers ("" for
 * none), the member's address and the member's name, each on a line of
 * its own; the name, last, may hold anything.  Addresses stay as they
 * are, so that forget finds the notices that name one (privacy.c).
 */
int
notice_queue_later(struct db *db, const struct list *l, const char *to,
    const char *tmpl, const char *lang, const char *member, const char *name,
    const char *in_reply_to)
{
	char *render;
	int64_t msg_id;
	int st;

	if (!banned_may_get(db, l, tmpl, to)) {
		log_info("notice: nothing sent to banned '%s' on '%s' (%s)",
		    to, l->address, tmpl);
		return KITH_OK;
	}
	/* one that could not be a header line never is one (compose.c) */
	if (in_reply_to == NULL || strpbrk(in_reply_to, "\r\n"))
		in_reply_to = "";
	/* a language is a code (i18n_code_valid): never a line break */
	if (lang == NULL || !i18n_code_valid(lang))
		lang = "";
	render = xasprintf(NOTICE_RENDER "%s\n%lld\n%s\n%s\n%s\n%s", tmpl,
	    (long long)now_utc(), lang, in_reply_to, member, name ? name : "");
	st = outbox_render_add(db, l->id, l->local, l->domain, "notice", render,
	    &msg_id);
	if (st == KITH_OK)
		st = outbox_rcpt_add(db, msg_id, to);
	free(render);
	return st;
}

/* 1 when tmpl is one of notice_schema's texts. */
static int
notice_known(const char *tmpl)
{
	for (size_t i = 0; i < notice_nschema; i++)
		if (!strcmp(notice_schema[i].name, tmpl))
			return 1;
	return 0;
}

char *
notice_copy(struct db *db, const struct kith_config *cfg,
    const struct token_key *key, int64_t list_id, const char *render,
    const char *rcpt, size_t *len)
{
	size_t pre = strlen(NOTICE_RENDER);
	char *copy, *f[6], *p, *mail = NULL;
	struct template_var vars[2];
	struct notice_opts o;
	struct list l;
	int i;

	if (strncmp(render, NOTICE_RENDER, pre))
		return NULL;
	p = copy = xstrdup(render + pre);
	for (i = 0; i < 5 && p; i++) {
		f[i] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	f[5] = p;
	if (p == NULL || !notice_known(f[0])) {
		log_error("notice: an outbox notice that is not one of Kith's");
		free(copy);
		return NULL;
	}
	if (list_find_id(db, list_id, &l) != KITH_OK) {
		log_warn("notice: %s to '%s': its list is gone", f[0], rcpt);
		free(copy);
		return NULL;
	}
	vars[0] = (struct template_var){ "member.address", f[4] };
	vars[1] = (struct template_var){ "member.name", f[5] };
	memset(&o, 0, sizeof(o));
	o.to = rcpt;
	o.tmpl = f[0];
	o.vars = vars;
	o.nvars = 2;
	o.lang = *f[2] ? f[2] : NULL;
	o.in_reply_to = *f[3] ? f[3] : NULL;
	o.key = key;
	o.date = strtoll(f[1], NULL, 10);
	mail = notice_make(db, cfg, &l, &o, len);
	list_release(&l);
	free(copy);
	return mail;
}

int
notice_rate_ok(struct db *db, int64_t list_id, const char *address,
    const char *kind)
{
	int64_t now = now_utc();
	int st;
	int64_t last = db_int(db, 0, &st, "SELECT sent FROM notice_log WHERE "
	    "list_id=? AND address=? AND kind=?", "itt", list_id, address, kind);

	if (last > now - 86400)
		return 0;
	db_exec(db, "INSERT INTO notice_log(list_id, address, kind, sent) "
	    "VALUES (?, ?, ?, ?) ON CONFLICT (list_id, address, kind) DO "
	    "UPDATE SET sent=excluded.sent",
	    "itti", list_id, address, kind, now);
	return 1;
}

/*
 * Every notice template and the values its callers give it, besides the
 * list's (notice_list_tv); "member" is made from member.address and
 * member.name.  flags: whether it answers a message from its recipient
 * (REPLY: Auto-Submitted: auto-replied, RFC 3834) or is made by Kith on
 * its own or on someone else's act (GENERATED: auto-generated).  A
 * template not listed is generated.
 */
#define REPLY NOTICE_REPLY
#define GENERATED 0u
#define F TF_FIELDS
#define POST TF_STR("subject"), TF_STR("size"), TF_STR("max_size"), TF_STR("to")
#define MEMBER TF_STR("member.address"), TF_STR("member.name"), TF_STR("member")
#define LATE TF_STR("id"), TF_STR("subject"), TF_STR("outcome"), TF_STR("by"), \
	TF_STR("when"), TF_TIME("at"), TF_BOOL("approved"), TF_BOOL("rejected"), \
	TF_BOOL("discarded"), TF_BOOL("by_command_line")
#define BOUNCE TF_STR("member.address"), TF_STR("member"), TF_STR("bounce.score"), \
	TF_STR("bounce.status"), TF_STR("bounce.diagnostic")
#define WHY TF_BOOL("why.nonmember"), TF_BOOL("why.moderated"), \
	TF_BOOL("why.member_moderated"), TF_BOOL("why.first_post"), \
	TF_BOOL("why.request"), TF_BOOL("why.other")
#define POLL TF_STR("poll.question"), TF_INT("poll.id"), \
	TF_BOOL("poll.multiple"), TF_STR("vote")
#define HELP_WORDS TF_STR("words.subscribe"), TF_STR("word.subscribe"), \
	TF_STR("words.unsubscribe"), TF_STR("word.unsubscribe"), \
	TF_STR("words.help"), TF_STR("word.help"), \
	TF_STR("words.set"), TF_STR("word.set"), \
	TF_STR("words.digest"), TF_STR("word.digest"), \
	TF_STR("words.daily"), TF_STR("word.daily"), \
	TF_STR("words.weekly"), TF_STR("word.weekly"), \
	TF_STR("words.off"), TF_STR("word.off"), \
	TF_STR("words.nomail"), TF_STR("word.nomail"), \
	TF_STR("words.language"), TF_STR("word.language"), \
	TF_STR("words.address"), TF_STR("word.address"), \
	TF_STR("words.rsvp"), TF_STR("word.rsvp"), \
	TF_STR("words.yes"), TF_STR("word.yes"), \
	TF_STR("words.no"), TF_STR("word.no"), \
	TF_STR("words.maybe"), TF_STR("word.maybe")
const struct template_schema notice_schema[] = {
	{ "nonmember.txt", F(POST), REPLY },
	{ "announce-only.txt", F(POST), REPLY },
	{ "too-big.txt", F(POST), REPLY },
	{ "not-supported.txt", F(POST), REPLY },
	{ "filtered.txt", F(POST), REPLY },	/* issue 17: filter.h */
	{ "html-only.txt", F(POST), REPLY },
	{ "banned.txt", F(POST, TF_STR("request")), REPLY },
	{ "confirm.txt", F(MEMBER, TF_BOOL("join"), TF_BOOL("leave"),
	    TF_BOOL("move"), TF_STR("move.from"), TF_BOOL("rsvp"),
	    TF_BOOL("other"), TF_BOOL("rsvp.yes"),
	    TF_BOOL("rsvp.no"), TF_BOOL("rsvp.maybe"), TF_STR("event.title"),
	    TF_TIME("event.time"), TF_BOOL("event.series"),
	    TF_LIST("commands", F(TF_STR("line")))), REPLY },
	{ "confirm-unclear.txt", F(TF_STR("line")), REPLY },
	{ "welcome.txt", F(MEMBER), GENERATED },
	{ "goodbye.txt", F(MEMBER), GENERATED },
	{ "moved.txt", F(MEMBER, TF_STR("to"), TF_BOOL("by_owner")), GENERATED },
	{ "move-taken.txt", F(MEMBER, TF_STR("move.from")), GENERATED },
	{ "owner-join.txt", F(MEMBER), GENERATED },
	{ "owner-leave.txt", F(MEMBER), GENERATED },
	{ "owner-summary.txt", F(MEMBER, TF_STR("events"), TF_LIST("joins",
	    F(TF_STR("address"), TF_BOOL("joined"), TF_BOOL("left")))),
	    GENERATED },
	{ "approve-subscription.txt", F(MEMBER), GENERATED },
	{ "invite.txt", F(MEMBER), GENERATED },
	{ "archive-login.txt", F(MEMBER, TF_STR("link")), GENERATED },
	{ "help.txt", F(TF_STR("language"), TF_BOOL("own_words"), HELP_WORDS),
	    REPLY },
	{ "request-reply.txt", F(TF_STR("results"), TF_STR("reply_subject"),
	    TF_BOOL("confirmation")), REPLY },
	{ "held.txt", F(TF_STR("subject"), TF_STR("reason"), WHY), REPLY },
	{ "rejected.txt", F(TF_STR("subject"), TF_STR("reason"), WHY), GENERATED },
	{ "expired.txt", F(TF_STR("subject"), TF_STR("reason"), WHY), GENERATED },
	{ "my-data.txt", F(TF_STR("data")), REPLY },
	{ "held-moderator.txt", F(TF_STR("sender"), TF_STR("subject"), TF_STR("reason"),
	    TF_STR("id"), TF_STR("web"), WHY), GENERATED },
	{ "held-moderator-web.txt", F(TF_STR("url")), GENERATED },
	{ "held-reminder.txt", F(TF_INT("count"), TF_BOOL("web"),
	    TF_LIST("posts",
	    F(TF_INT("id"), TF_STR("sender"), TF_STR("subject"),
	    TF_STR("reason"), TF_TIME("held"), TF_TIME("expires"),
	    TF_STR("url"), WHY)), TF_LIST("joins", F(TF_STR("address"),
	    TF_STR("name"), TF_TIME("asked"), TF_TIME("expires")))),
	    GENERATED },
	{ "held-unclear.txt", F(TF_STR("id"), TF_STR("subject"), TF_STR("line")), REPLY },
	{ "held-late-decided.txt", F(LATE), REPLY },
	{ "held-late-expired.txt", F(LATE), REPLY },
	{ "held-late-unknown.txt", F(LATE), REPLY },
	{ "bounce-disabled.txt", F(BOUNCE), GENERATED },
	{ "bounce-owner.txt", F(BOUNCE), GENERATED },
	{ "reengage.txt", F(MEMBER), GENERATED },
	{ "poll-voted.txt", F(POLL, TF_LIST("choices", F(TF_INT("number"),
	    TF_STR("option")))), REPLY },
	{ "poll-refused.txt", F(POLL, TF_STR("why")), REPLY },
	{ "web-footer.txt", F(TF_STR("preferences")), GENERATED },
};
const size_t notice_nschema = sizeof(notice_schema) /
    sizeof(notice_schema[0]);

static int
notice_is_reply(const struct notice_opts *o)
{
	if (o->row)
		return (o->row->flags & REPLY) != 0;
	for (size_t i = 0; i < notice_nschema; i++)
		if (!strcmp(notice_schema[i].name, o->tmpl))
			return notice_schema[i].flags & REPLY;
	return 0;
}
