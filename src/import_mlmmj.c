/* import_mlmmj - an mlmmj list directory as an import plan. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kith/import_mlmmj.h"
#include "kith/util.h"

/* control/NAME: its whole text, or NULL when absent (caller frees). */
static char *
control(const char *dir, const char *name)
{
	char *p = xasprintf("%s/control/%s", dir, name);
	struct buf b;

	buf_init(&b);
	if (buf_read_file(&b, p) < 0) {
		free(p);
		buf_release(&b);
		return NULL;
	}
	free(p);
	buf_add(&b, "", 0);
	return buf_detach(&b, NULL);
}

/* Its first line, trimmed ("" for an empty file), or NULL. */
static char *
control_line(const char *dir, const char *name)
{
	char *t = control(dir, name), *line;

	if (t == NULL)
		return NULL;
	t[strcspn(t, "\r\n")] = '\0';
	line = xstrdup(str_trim(t));
	free(t);
	return line;
}

static int
present(const char *dir, const char *name)
{
	char *p = xasprintf("%s/control/%s", dir, name);
	int r = access(p, F_OK) == 0;

	free(p);
	return r;
}

/* Each address of a "list" control file or of a subscribers file. */
static void
add_lines(struct import_plan *p, const char *text, const char *role,
    const char *mode)
{
	char *copy = xstrdup(text), *save = NULL;

	for (char *l = strtok_r(copy, "\r\n", &save); l;
	    l = strtok_r(NULL, "\r\n", &save)) {
		char *a = str_trim(l);

		if (*a && *a != '#' && import_plan_member(p, a, "", role,
		    mode) < 0)
			import_plan_drop(p, "a subscriber line", "not an address");
	}
	free(copy);
}

/* Every file of subscribers.d/ (or digesters.d/, nomailsubs.d/). */
static void
add_dir(struct import_plan *p, const char *dir, const char *sub,
    const char *mode)
{
	char *path = xasprintf("%s/%s", dir, sub);
	DIR *d = opendir(path);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		char *f;
		struct buf b;

		if (e->d_name[0] == '.')
			continue;
		f = xasprintf("%s/%s", path, e->d_name);
		buf_init(&b);
		if (buf_read_file(&b, f) == 0) {
			buf_add(&b, "", 0);
			add_lines(p, b.data, NULL, mode);
		}
		buf_release(&b);
		free(f);
	}
	if (d)
		closedir(d);
	free(path);
}

/* Owners and moderators who were not subscribers get no list mail in
 * mlmmj: in Kith they are members with delivery off. */
static void
add_staff(struct import_plan *p, const char *dir, const char *file,
    const char *role)
{
	char *t = control(dir, file), *copy, *save = NULL;

	if (t == NULL)
		return;
	copy = t;
	for (char *l = strtok_r(copy, "\r\n", &save); l;
	    l = strtok_r(NULL, "\r\n", &save)) {
		char *a = str_trim(l);
		size_t before = p->nmembers;

		if (*a == '\0' || *a == '#')
			continue;
		if (import_plan_member(p, a, "", role, NULL) == 0 &&
		    p->nmembers > before)
			p->members[p->nmembers - 1].mode = "nomail";
	}
	free(t);
}

/* What each control file becomes; NULL key: handled in read_settings. */
static const struct {
	const char *file, *why;
} dropped_files[] = {
	{ "customheaders", "Kith adds no custom header fields" },
	{ "delheaders", "Kith keeps the header as it came (DKIM)" },
	{ "access", "Kith has no regular-expression access rules; use "
	    "'kith ban' and moderation" },
	{ "addtohdr", "Kith never adds a To: field" },
	{ "tocc", "Kith takes the list address in Cc: as well" },
	{ "relayhost", "the transport is site-wide ([site] transport)" },
	{ "smtpport", "the transport is site-wide ([site] transport)" },
	{ "smtphelo", "the transport is site-wide ([smtp] helo)" },
	{ "delimiter", "the recipient delimiter is site-wide ([site] "
	    "delimiter)" },
	{ "verp", "Kith always uses its own VERP addresses" },
	{ "maxverprecips", "Kith sends one copy per recipient" },
	{ "memorymailsize", "no such limit in Kith" },
	{ "bouncelife", "Kith scores bounces (bounce_threshold, "
	    "bounce_window_days)" },
	{ "digestmaxmails", "Kith's digests have a size, not a count "
	    "(digest_max_kb)" },
	{ "noget", "'get' stays available to members" },
	{ "notoccdenymails", "refusals are Kith's own notices" },
	{ "noaccessdenymails", "refusals are Kith's own notices" },
	{ "nosubonlydenymails", "refusals are Kith's own notices" },
	{ "nomodonlydenymails", "refusals are Kith's own notices" },
	{ "nosubmodmails", "refusals are Kith's own notices" },
	{ "nomaxmailsizedenymails", "refusals are Kith's own notices" },
	{ "nolistsubsemail", "'who' is for owners and moderators only" },
	{ "staticbounceaddr", "Kith's bounce addresses are its own" },
	{ "nodigesttext", "Kith's digests are templates" },
	{ "nodigestsub", "members may always choose digests" },
	{ "nonomailsub", "members may always choose nomail" },
	{ "ifmodsendonlymodmoderate", "held posts go to every owner and "
	    "moderator" },
	{ "notmetoo", "members get their own posts" },
	{ "footer", "Kith adds no free-text footer (its footer is the "
	    "web-footer.txt template)" },
	{ "notifymod", "moderators are always told of held posts" },
	{ "owner", NULL }, { "moderators", NULL }, { "listaddress", NULL },
	{ "prefix", NULL }, { "moderated", NULL }, { "modonlypost", NULL },
	{ "subonlypost", NULL }, { "modnonsubposts", NULL },
	{ "closedlist", NULL }, { "closedlistsub", NULL }, { "submod", NULL },
	{ "nosubconfirm", NULL }, { "noarchive", NULL },
	{ "maxmailsize", NULL }, { "notifysub", NULL }, { "modreqlife", NULL },
	{ "subonlyget", NULL }, { "digestinterval", NULL },
};

/* control/ files that are not settings Kith carries go to dropped. */
static void
drop_unknown(struct import_plan *p, const char *dir)
{
	char *path = xasprintf("%s/control", dir);
	DIR *d = opendir(path);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		const char *why = "not a setting Kith knows";
		int known = 0;
		char *what;

		if (e->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < sizeof(dropped_files) /
		    sizeof(dropped_files[0]) && !known; i++)
			if (!strcmp(dropped_files[i].file, e->d_name)) {
				known = dropped_files[i].why == NULL;
				why = dropped_files[i].why;
			}
		if (known)
			continue;
		what = xasprintf("control/%s", e->d_name);
		import_plan_drop(p, what, why ? why : "not a setting Kith knows");
		free(what);
	}
	if (d)
		closedir(d);
	free(path);
}

/* read_settings - the control files Kith has a setting for. */
static void
read_settings(struct import_plan *p, const char *dir)
{
	char *v;
	int subonly = present(dir, "subonlypost");

	if ((v = control_line(dir, "prefix")) != NULL) {
		import_plan_setting(p, "subject_prefix", v, "control/prefix");
		free(v);
	}
	if (present(dir, "modonlypost"))
		import_plan_setting(p, "posting", "announce",
		    "control/modonlypost");
	else if (present(dir, "moderated"))
		import_plan_setting(p, "posting", "moderated",
		    "control/moderated");
	else
		/* without subonlypost mlmmj takes posts from anyone */
		import_plan_setting(p, "posting", subonly ? "members" : "anyone",
		    subonly ? "control/subonlypost" : "no control/subonlypost");
	if (subonly || present(dir, "modonlypost"))
		import_plan_setting(p, "nonmember_action", present(dir,
		    "modnonsubposts") ? "hold" : "reject", present(dir,
		    "modnonsubposts") ? "control/modnonsubposts" :
		    "no control/modnonsubposts");
	if (present(dir, "closedlist") || present(dir, "closedlistsub")) {
		import_plan_setting(p, "subscribe", "invite", present(dir,
		    "closedlist") ? "control/closedlist" : "control/closedlistsub");
		if (present(dir, "closedlist"))
			import_plan_drop(p, "control/closedlist (leaving)", "in "
			    "Kith a member can always leave by mail");
	} else if (present(dir, "submod")) {
		char *who = control(dir, "submod");

		import_plan_setting(p, "subscribe", "approve", "control/submod");
		if (who && *str_trim(who))
			import_plan_drop(p, "control/submod (its addresses)", "in "
			    "Kith owners and moderators approve requests");
		free(who);
	} else if (present(dir, "nosubconfirm"))
		import_plan_setting(p, "subscribe", "open", "control/nosubconfirm");
	if (present(dir, "noarchive"))
		import_plan_setting(p, "archive", "off", "control/noarchive");
	if (present(dir, "subonlyget"))
		import_plan_setting(p, "archive_public", "off",
		    "control/subonlyget");
	if ((v = control_line(dir, "maxmailsize")) != NULL) {
		if (atol(v) > 0)
			import_plan_setting(p, "max_size", v,
			    "control/maxmailsize");
		free(v);
	}
	import_plan_setting(p, "notify_owners", present(dir, "notifysub") ?
	    "each" : "off", present(dir, "notifysub") ? "control/notifysub" :
	    "no control/notifysub");
	if ((v = control_line(dir, "modreqlife")) != NULL) {
		char days[32];

		/* seconds in mlmmj, whole days (at least one) in Kith */
		snprintf(days, sizeof(days), "%ld", atol(v) / 86400 > 0 ?
		    atol(v) / 86400 : 1L);
		import_plan_setting(p, "held_days", days, "control/modreqlife");
		free(v);
	}
}

int
import_mlmmj_read(const char *dir, struct import_plan *p, char *err,
    size_t errlen)
{
	char *addr = control_line(dir, "listaddress"), *v, *at;
	const char *digest = "digest-weekly";

	if (addr == NULL || strchr(addr, '@') == NULL) {
		snprintf(err, errlen, "'%s' is not an mlmmj list directory (no "
		    "control/listaddress)", dir);
		free(addr);
		return -1;
	}
	p->list_address = addr;
	at = strchr(addr, '@');
	p->name = xstrndup(addr, (size_t)(at - addr));
	/* mlmmj's digests come every digestinterval seconds (7 days) */
	if ((v = control_line(dir, "digestinterval")) != NULL) {
		if (atol(v) > 0 && atol(v) <= 2 * 86400)
			digest = "digest-daily";
		free(v);
	}
	add_dir(p, dir, "subscribers.d", "each");
	add_dir(p, dir, "digesters.d", digest);
	add_dir(p, dir, "nomailsubs.d", "nomail");
	add_staff(p, dir, "owner", "owner");
	add_staff(p, dir, "moderators", "moderator");
	read_settings(p, dir);
	drop_unknown(p, dir);
	p->archive_dir = xasprintf("%s/archive", dir);
	return 0;
}
