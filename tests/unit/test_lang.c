/*
 * test_lang - who reads which language (notice_lang: the member's, else
 * the list's, else en), which languages may be chosen (notice_lang_ok),
 * and the list's `language` setting.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kith/config.h"
#include "kith/db.h"
#include "kith/i18n.h"
#include "kith/lists.h"
#include "kith/members.h"
#include "kith/notice.h"
#include "kith/reply.h"
#include "kith/requests.h"
#include "kith/rfc2047.h"
#include "kith/template.h"
#include "kith/texts.h"
#include "kith/util.h"
#include "unit.h"

static struct db *db;
static char dir[256];
static struct kith_config cfg;
static struct list team;

static void
setup(void)
{
	char err[256];

	db = unit_db(dir, sizeof(dir));
	ck_assert_ptr_nonnull(db);
	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = xstrdup(dir);
	ck_assert_int_eq(list_create(db, "team@example.org",
	    "alice@example.org", "Team", "", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &team, err, sizeof(err)),
	    KITH_OK);
	ck_assert_int_eq(member_add(db, team.id, "bob@example.org", "Bob"),
	    MEMBER_ADDED);
	ck_assert_int_eq(member_add(db, team.id, "eva@example.org", "Eva"),
	    MEMBER_ADDED);
	template_cache_clear();
}

static void
teardown(void)
{
	list_release(&team);
	free(cfg.data_dir);
	db_close(db);
	unit_rmdir(dir);
	template_cache_clear();
}

static const char *
lang_of(const char *address)
{
	static char lang[NOTICE_LANG_LEN];

	notice_lang(db, &team, address, lang);
	return lang;
}

START_TEST(test_lang_fallbacks)
{
	char err[256];

	setup();
	/* nothing chosen: English */
	ck_assert_str_eq(lang_of("bob@example.org"), "en");
	ck_assert_str_eq(lang_of(NULL), "en");
	/* the list's language for everyone who chose none */
	ck_assert_int_eq(list_setting_set(db, team.id, "language", "cs", err,
	    sizeof(err)), KITH_OK);
	ck_assert_str_eq(lang_of("bob@example.org"), "cs");
	ck_assert_str_eq(lang_of("stranger@example.net"), "cs");
	ck_assert_str_eq(lang_of(NULL), "cs");
	/* a member's own wins, for that member only */
	ck_assert_int_eq(member_set_lang(db, team.id, "Eva@Example.org", "el"),
	    KITH_OK);
	ck_assert_str_eq(lang_of("eva@example.org"), "el");
	ck_assert_str_eq(lang_of("bob@example.org"), "cs");
	ck_assert_str_eq(lang_of(NULL), "cs");
	{
		char *own = member_lang(db, team.id, "eva@example.org");

		ck_assert_str_eq(own, "el");
		free(own);
	}
	/* "" gives the member the list's again */
	ck_assert_int_eq(member_set_lang(db, team.id, "eva@example.org", ""),
	    KITH_OK);
	ck_assert_str_eq(lang_of("eva@example.org"), "cs");
	/* not a member, not a code */
	ck_assert_int_eq(member_set_lang(db, team.id, "nobody@example.org",
	    "cs"), KITH_PERM);
	ck_assert_int_eq(member_set_lang(db, team.id, "bob@example.org",
	    "../x"), KITH_PERM);
	ck_assert_int_eq(member_set_lang(db, team.id, "bob@example.org",
	    "cs'; DROP TABLE members; --"), KITH_PERM);
	ck_assert_str_eq(lang_of("bob@example.org"), "cs");
	teardown();
}
END_TEST

START_TEST(test_lang_setting)
{
	char err[256];
	char *v;

	setup();
	v = list_setting(db, team.id, "language");
	ck_assert_str_eq(v, "en");
	free(v);
	ck_assert_int_eq(list_setting_set(db, team.id, "language", "ko", err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_setting_set(db, team.id, "language", "Czech",
	    err, sizeof(err)), KITH_PERM);
	ck_assert_msg(strstr(err, "language code") != NULL, "%s", err);
	ck_assert_int_eq(list_setting_set(db, team.id, "language", "",
	    err, sizeof(err)), KITH_PERM);
	v = list_setting(db, team.id, "language");
	ck_assert_str_eq(v, "ko");
	free(v);
	teardown();
}
END_TEST

/* What may be chosen: a language with a LANGUAGE file, shipped or the site's. */
START_TEST(test_lang_ok)
{
	static const char *const shipped[] = { "cs", "de", "el", "en", "es",
	    "fr", "ko", "nb", "pl", "uk" };
	char err[512], *path;
	FILE *f;

	setup();
	for (size_t i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++)
		ck_assert_msg(notice_lang_ok(&cfg, shipped[i], err,
		    sizeof(err)) == 0, "%s: %s", shipped[i], err);
	ck_assert_int_eq(notice_lang_ok(&cfg, "sk", err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no language 'sk'") && strstr(err,
	    " cs ") && strstr(err, " uk"), "%s", err);
	ck_assert_int_eq(notice_lang_ok(&cfg, "../cs", err, sizeof(err)), -1);
	ck_assert_int_eq(notice_lang_ok(&cfg, "", err, sizeof(err)), -1);
	ck_assert_int_eq(notice_lang_ok(&cfg, NULL, err, sizeof(err)), -1);
	/* a site's own language: a LANGUAGE file copied under another code */
	path = xasprintf("%s/templates", dir);
	mkdir(path, 0700);
	free(path);
	path = xasprintf("%s/templates/sk", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	free(path);
	path = xasprintf("%s/templates/sk/LANGUAGE", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("name = slovenčina\nname.en = Slovak\ncode = sk\n", f);
	fclose(f);
	/* broken (no plural, months...): refused with the reason */
	ck_assert_int_eq(notice_lang_ok(&cfg, "sk", err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "LANGUAGE") != NULL, "%s", err);
	{
		char *src = xasprintf("sed -e 's/^code = cs/code = sk/' "
		    "'%s/cs/LANGUAGE' > '%s'", KITH_SOURCE_TEMPLATE_DIR, path);

		ck_assert_int_eq(system(src), 0);
		free(src);
	}
	template_cache_clear();
	ck_assert_msg(notice_lang_ok(&cfg, "sk", err, sizeof(err)) == 0, "%s",
	    err);
	free(path);
	teardown();
}
END_TEST


/* ---- commands in the member's language ---- */

/*
 * Per language: lines a member would write, and the English command
 * each is ("verb:args"; "" when it is no command).  English always works.
 */
static const struct {
	const char *code, *line, *want;
} words_cases[] = {
	{ "cs", "přihlásit se", "subscribe:" },
	{ "cs", "Prihlasit", "subscribe:" },
	{ "cs", "odhlásit se", "unsubscribe:" },
	{ "cs", "nápověda", "help:" },
	{ "cs", "napoveda", "help:" },
	{ "cs", "nastavit souhrn denně", "set:digest daily" },
	{ "cs", "nastavit souhrn tydne", "set:digest weekly" },
	{ "cs", "nastavit souhrn vypnout", "set:digest off" },
	{ "cs", "nastavit bez pošty", "set:nomail" },
	{ "cs", "nastavit jazyk el", "set:language el" },
	{ "cs", "účast ano 3", "rsvp:yes 3" },
	{ "cs", "ucast ne 3", "rsvp:no 3" },
	{ "cs", "účast možná 3", "rsvp:maybe 3" },
	{ "cs", "set digest daily", "set:digest daily" },
	{ "cs", "subscribe", "subscribe:" },
	{ "cs", "přihlášky jsou kde?", "" },
	{ "pl", "zapisz mnie", "subscribe:" },
	{ "pl", "wypisz się", "unsubscribe:" },
	{ "pl", "pomoc", "help:" },
	{ "pl", "ustaw podsumowanie codziennie", "set:digest daily" },
	{ "pl", "ustaw podsumowanie co tydzień", "set:digest weekly" },
	{ "pl", "ustaw podsumowanie wyłącz", "set:digest off" },
	{ "pl", "ustaw bez poczty", "set:nomail" },
	{ "pl", "udział tak 4", "rsvp:yes 4" },
	{ "pl", "udzial nie 4", "rsvp:no 4" },
	{ "pl", "udział może 4", "rsvp:maybe 4" },
	{ "uk", "підписатися", "subscribe:" },
	{ "uk", "Відписатися", "unsubscribe:" },
	{ "uk", "допомога", "help:" },
	{ "uk", "встановити дайджест щодня", "set:digest daily" },
	{ "uk", "встановити дайджест щотижня", "set:digest weekly" },
	{ "uk", "встановити дайджест вимкнути", "set:digest off" },
	{ "uk", "встановити без пошти", "set:nomail" },
	{ "uk", "участь так 2", "rsvp:yes 2" },
	{ "uk", "участь ні 2", "rsvp:no 2" },
	{ "uk", "участь можливо 2", "rsvp:maybe 2" },
	{ "ko", "구독", "subscribe:" },
	{ "ko", "구독 신청", "subscribe:" },
	{ "ko", "구독 취소", "unsubscribe:" },
	{ "ko", "구독취소", "unsubscribe:" },
	{ "ko", "도움말", "help:" },
	{ "ko", "설정 모아보기 매일", "set:digest daily" },
	{ "ko", "설정 모아보기 매주", "set:digest weekly" },
	{ "ko", "설정 모아보기 끄기", "set:digest off" },
	{ "ko", "설정 메일 중지", "set:nomail" },
	{ "ko", "참석 예 7", "rsvp:yes 7" },
	{ "ko", "참석 아니요 7", "rsvp:no 7" },
	{ "ko", "참석 미정 7", "rsvp:maybe 7" },
	{ "el", "εγγραφή", "subscribe:" },
	{ "el", "ΕΓΓΡΑΦΗ", "subscribe:" },
	{ "el", "απεγγραφή", "unsubscribe:" },
	{ "el", "βοήθεια", "help:" },
	{ "el", "ρύθμιση σύνοψη ημερήσια", "set:digest daily" },
	{ "el", "ρυθμιση συνοψη εβδομαδιαια", "set:digest weekly" },
	{ "el", "ρύθμιση σύνοψη απενεργοποίηση", "set:digest off" },
	{ "el", "ρύθμιση παύση", "set:nomail" },
	{ "el", "συμμετοχή ναι 5", "rsvp:yes 5" },
	{ "el", "συμμετοχή όχι 5", "rsvp:no 5" },
	{ "el", "συμμετοχή ίσως 5", "rsvp:maybe 5" },
	{ "nb", "meld meg på", "subscribe:" },
	{ "nb", "meld meg av", "unsubscribe:" },
	{ "nb", "hjelp", "help:" },
	{ "nb", "sett sammendrag daglig", "set:digest daily" },
	{ "nb", "sett sammendrag ukentlig", "set:digest weekly" },
	{ "nb", "sett sammendrag av", "set:digest off" },
	{ "nb", "sett pause", "set:nomail" },
	{ "nb", "svar ja 1", "rsvp:yes 1" },
	{ "nb", "svar nei 1", "rsvp:no 1" },
	{ "nb", "svar kanskje 1", "rsvp:maybe 1" },
	{ "de", "abonnieren", "subscribe:" },
	{ "de", "abmelden", "unsubscribe:" },
	{ "de", "Hilfe", "help:" },
	{ "de", "einstellen zusammenfassung täglich", "set:digest daily" },
	{ "de", "einstellen zusammenfassung woechentlich", "set:digest weekly" },
	{ "de", "einstellen zusammenfassung aus", "set:digest off" },
	{ "de", "einstellen pause", "set:nomail" },
	{ "de", "teilnahme ja 9", "rsvp:yes 9" },
	{ "de", "teilnahme nein 9", "rsvp:no 9" },
	{ "de", "teilnahme vielleicht 9", "rsvp:maybe 9" },
	{ "fr", "s'abonner", "subscribe:" },
	{ "fr", "s\xe2\x80\x99" "abonner", "subscribe:" },
	{ "fr", "se désabonner", "unsubscribe:" },
	{ "fr", "aide", "help:" },
	{ "fr", "régler résumé quotidien", "set:digest daily" },
	{ "fr", "regler resume hebdomadaire", "set:digest weekly" },
	{ "fr", "régler résumé désactiver", "set:digest off" },
	{ "fr", "régler pause", "set:nomail" },
	{ "fr", "participation oui 3", "rsvp:yes 3" },
	{ "fr", "participation non 3", "rsvp:no 3" },
	{ "fr", "participation peut-être 3", "rsvp:maybe 3" },
	{ "es", "suscribirme", "subscribe:" },
	{ "es", "darme de baja", "unsubscribe:" },
	{ "es", "ayuda", "help:" },
	{ "es", "configurar resumen diario", "set:digest daily" },
	{ "es", "configurar resumen semanal", "set:digest weekly" },
	{ "es", "configurar resumen desactivar", "set:digest off" },
	{ "es", "configurar sin correo", "set:nomail" },
	{ "es", "asistencia sí 3", "rsvp:yes 3" },
	{ "es", "asistencia no 3", "rsvp:no 3" },
	{ "es", "asistencia tal vez 3", "rsvp:maybe 3" },
	/* English words in every language, and no language at all */
	{ "ko", "set digest weekly", "set:digest weekly" },
	{ "en", "subscribe Jana", "subscribe:Jana" },
	{ "en", "přihlásit se", "" },
	/* a verb alone, or with a word that is no setting or answer: the
	 * verb all the same (its handler says how to ask), never a crash
	 * (kith receive died on "set" and "set foo", and with it kith
	 * serve when they came over LMTP) */
	{ "en", "set", "set:" },
	{ "en", "set foo", "set:foo" },
	{ "en", "rsvp", "rsvp:" },
	{ "en", "rsvp 3 perhaps", "rsvp:3 perhaps" },
	{ "cs", "nastavit", "set:" },
	{ "cs", "nastavit něco", "set:něco" },
	{ "de", "einstellen zusammenfassung nie", "set:digest nie" },
	{ "de", "teilnahme", "rsvp:" },
};

static struct i18n_lang *
load_lang(const char *code)
{
	char err[512];
	struct i18n_lang *l = i18n_lang_load(KITH_SOURCE_TEMPLATE_DIR, code,
	    err, sizeof(err));

	ck_assert_msg(l != NULL, "%s: %s", code, err);
	return l;
}

START_TEST(test_command_words)
{
	struct i18n_lang *l = load_lang(words_cases[_i].code);
	const struct i18n_lang *langs[2] = { l, NULL };
	struct command cmds[REQUESTS_MAX];
	char got[600] = "";
	int n = requests_parse_in("", words_cases[_i].line, langs, cmds,
	    REQUESTS_MAX);

	if (n > 0)
		snprintf(got, sizeof(got), "%s:%s", cmds[0].verb, cmds[0].args);
	ck_assert_msg(!strcmp(got, words_cases[_i].want), "%s '%s': got '%s', "
	    "want '%s'", words_cases[_i].code, words_cases[_i].line, got,
	    words_cases[_i].want);
	/* the reply shows the line as written */
	if (n > 0)
		ck_assert_str_eq(cmds[0].line, words_cases[_i].line);
	/* and the same line in the Subject */
	n = requests_parse_in(words_cases[_i].line, "", langs, cmds,
	    REQUESTS_MAX);
	ck_assert_int_eq(n, *words_cases[_i].want != '\0');
	i18n_lang_free(l);
}
END_TEST

/* Every language but English has words for every command. */
START_TEST(test_command_words_complete)
{
	static const char *const codes[] = { "cs", "de", "el", "es", "fr", "ko",
	    "nb", "pl", "uk" };
	static const char *const cmd[] = { "subscribe", "unsubscribe", "help",
	    "set", "digest", "daily", "weekly", "off", "nomail", "language",
	    "rsvp", "yes", "no", "maybe", "approve", "reject", "discard",
	    "address", "always" };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		struct i18n_lang *l = load_lang(codes[i]);

		for (size_t k = 0; k < sizeof(cmd) / sizeof(cmd[0]); k++) {
			const char *w = i18n_command_words(l, cmd[k]);

			ck_assert_msg(w && *w, "%s has no command.%s", codes[i],
			    cmd[k]);
			/* each of its words is understood */
			ck_assert_msg(i18n_command_match(l, cmd[k], w) > 0,
			    "%s command.%s", codes[i], cmd[k]);
		}
		i18n_lang_free(l);
	}
}
END_TEST

/* A moderator's answer in their language's words. */
static const struct {
	const char *code, *text;
	enum reply_answer want;
} mod_cases[] = {
	{ "pl", "Zatwierdzam\n", REPLY_YES },
	{ "pl", "odrzucam, to spam\n", REPLY_NO },
	{ "pl", "usuń\n", REPLY_DISCARD },
	{ "uk", "схвалюю\n", REPLY_YES },
	{ "uk", "відхилити: не по темі\n", REPLY_NO },
	{ "uk", "видалити\n", REPLY_DISCARD },
	{ "nb", "godkjenn\n", REPLY_YES },
	{ "nb", "avvis\n", REPLY_NO },
	{ "nb", "forkast\n", REPLY_DISCARD },
	{ "cs", "schvaluji\n", REPLY_YES },
	{ "cs", "zamítám, mimo téma\n", REPLY_NO },
	{ "cs", "zahodit\n", REPLY_DISCARD },
	{ "ko", "승인\n", REPLY_YES },
	{ "ko", "거절\n", REPLY_NO },
	{ "ko", "폐기\n", REPLY_DISCARD },
	{ "el", "εγκρίνω\n", REPLY_YES },
	{ "el", "απορρίπτω\n", REPLY_NO },
	{ "el", "σκουπίδια\n", REPLY_DISCARD },
	{ "de", "freigeben\n", REPLY_YES },
	{ "fr", "valider\n", REPLY_YES },
	{ "es", "descartar\n", REPLY_DISCARD },
	/* still an explicit answer only */
	{ "pl", "zatwierdzam, ale nie ten\n", REPLY_UNCLEAR },
	{ "pl", "może jutro\n", REPLY_UNCLEAR },
};

START_TEST(test_moderator_words)
{
	struct i18n_lang *l = load_lang(mod_cases[_i].code);
	struct reply_words x = { i18n_command_words(l, "approve"),
	    i18n_command_words(l, "reject"), i18n_command_words(l, "discard") };

	ck_assert_msg(reply_answer_words(mod_cases[_i].text, &x, NULL, 0) ==
	    mod_cases[_i].want, "%s '%s'", mod_cases[_i].code,
	    mod_cases[_i].text);
	i18n_lang_free(l);
}
END_TEST

/* "approve always", in English or the moderator's words; nothing else. */
static const struct {
	const char *code, *text;
	int want;
} always_cases[] = {
	{ "cs", "approve always\n", 1 },
	{ "cs", "Approve always, thanks!\n", 1 },
	{ "cs", "schvaluji vždy\n", 1 },
	{ "de", "freigeben, immer\n", 1 },
	{ "ko", "승인 항상\n", 1 },
	{ "uk", "схвалюю завжди\n", 1 },
	{ "cs", "approve\n", 0 },
	{ "cs", "always\n", 0 },
	{ "cs", "always approve\n", 0 },
	{ "cs", "approve always but not now\n", 0 },
	{ "cs", "reject always\n", 0 },
	{ "de", "immer freigeben? nein\n", 0 },
};

START_TEST(test_moderator_always)
{
	struct i18n_lang *l = load_lang(always_cases[_i].code);
	struct reply_words x = { i18n_command_words(l, "approve"),
	    i18n_command_words(l, "reject"), i18n_command_words(l, "discard") };
	char *more = xasprintf("always, %s", i18n_command_words(l, "always"));

	ck_assert_msg(reply_yes_and(always_cases[_i].text, &x, more) ==
	    always_cases[_i].want, "%s '%s'", always_cases[_i].code,
	    always_cases[_i].text);
	free(more);
	i18n_lang_free(l);
}
END_TEST

/* ---- Content-Language, Accept-Language ---- */

static int
have_some(void *arg, const char *code)
{
	(void)arg;
	return !strcmp(code, "cs") || !strcmp(code, "en") ||
	    !strcmp(code, "nb") || !strcmp(code, "ko") || !strcmp(code, "pt-br");
}

static const struct {
	const char *header, *want;
} accept_cases[] = {
	{ "cs", "cs" },
	{ "cs-CZ", "cs" },
	{ "CS-cz, en;q=0.5", "cs" },
	{ "en;q=0.5, cs;q=0.9", "cs" },
	{ "de-DE, de;q=0.9, cs;q=0.8, en;q=0.7", "cs" },
	{ "de, fr", "" },
	{ "cs;q=0, en", "en" },
	{ "no", "nb" },
	{ "nn-NO", "nb" },
	{ "ko-KR,ko;q=0.9", "ko" },
	{ "pt-BR", "pt-br" },
	{ "*", "" },
	{ "", "" },
	{ ";;;,,,=", "" },
	{ "cs;q=abc, en;q=0.1", "en" },
	{ "cs;q=1.5", "" },
	{ "en;q=0.100, cs;q=0.1000", "en" },
	{ "x-klingon-with-a-very-long-tag-that-goes-on-and-on, ko", "ko" },
	{ "../../etc, ko;q=0.2", "ko" },
};

START_TEST(test_accept_language)
{
	char out[16];
	int got = i18n_accept_pick(accept_cases[_i].header, have_some, NULL,
	    out, sizeof(out));

	ck_assert_msg(!strcmp(out, accept_cases[_i].want), "'%s': got '%s', "
	    "want '%s'", accept_cases[_i].header, out, accept_cases[_i].want);
	ck_assert_int_eq(got, *accept_cases[_i].want != '\0');
}
END_TEST

/* Bounded: a huge header is read only so far, quickly. */
START_TEST(test_accept_language_bounded)
{
	struct buf b;
	char out[16];

	buf_init(&b);
	for (int i = 0; i < 100000; i++)
		buf_adds(&b, "de;q=0.5, ");
	buf_adds(&b, "cs");
	ck_assert_int_eq(i18n_accept_pick(b.data, have_some, NULL, out,
	    sizeof(out)), 0);
	ck_assert_int_eq(i18n_accept_pick(NULL, have_some, NULL, out,
	    sizeof(out)), 0);
	buf_release(&b);
}
END_TEST

/* ---- multilingual mail: headers in, headers out ---- */

static const struct {
	const char *raw, *want;
} decode_cases[] = {
	/* raw UTF-8 (RFC 6532), as mail programs in any script send it */
	{ "Re: p\xc5\x99ihl\xc3\xa1sit se", "Re: přihlásit se" },
	{ "\xea\xb5\xac\xeb\x8f\x85 \xec\xb7\xa8\xec\x86\x8c", "구독 취소" },
	{ "\xce\xb2\xce\xbf\xce\xae\xce\xb8\xce\xb5\xce\xb9\xce\xb1", "βοήθεια" },
	/* encoded-words, and raw UTF-8 next to them */
	{ "=?UTF-8?B?7ZmU7JqU7J28?= \xeb\xaa\xa8\xec\x9e\x84", "화요일 모임" },
	{ "=?ISO-8859-2?Q?P=F8ihl=E1sit?=", "Přihlásit" },
	/* bytes that are not UTF-8 stay Latin-1, as before */
	{ "caf\xe9", "café" },
};

START_TEST(test_decode_raw_utf8)
{
	char *got = rfc2047_decode(decode_cases[_i].raw,
	    strlen(decode_cases[_i].raw));

	ck_assert_str_eq(got, decode_cases[_i].want);
	free(got);
}
END_TEST

/* ---- every translation against English ---- */

/* What the check of one language found. */
struct tr_report {
	const char *code;
	int translated, missing, broken;
	struct buf why;		/* one line per problem */
	struct buf errors;	/* kith check's errors, every language */
};

static void
collect_errors(void *ctx, int warning, const char *line)
{
	if (!warning)
		buf_addf(ctx, "%s\n", line);
}

/*
 * strip_line - a line as a reader sees its words: no {{tags}}, no <html>,
 * no URLs, spaces collapsed; into out.  The number of words (runs of
 * two or more letters).
 */
static int
strip_line(const char *in, char *out, size_t outlen)
{
	size_t n = 0;
	int words = 0, letters = 0;

	while (*in && n + 1 < outlen) {
		if (!strncmp(in, "{{", 2)) {
			const char *e = strstr(in, "}}");

			in = e ? e + 2 : in + strlen(in);
			continue;
		}
		if (*in == '<') {
			const char *e = strchr(in, '>');

			in = e ? e + 1 : in + strlen(in);
			continue;
		}
		if (!strncmp(in, "http://", 7) || !strncmp(in, "https://", 8)) {
			while (*in && *in != ' ')
				in++;
			continue;
		}
		if (*in == ' ' || *in == '\t') {
			if (n > 0 && out[n - 1] != ' ')
				out[n++] = ' ';
			words += letters >= 2;
			letters = 0;
			in++;
			continue;
		}
		letters += ((*in | 0x20) >= 'a' && (*in | 0x20) <= 'z') ||
		    (*in & 0x80);
		out[n++] = *in++;
	}
	words += letters >= 2;
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return words;
}

/* english_lines - lines of 4+ words of tr that are lines of en as well. */
static void
english_lines(const char *en, const char *tr, const char *path,
    struct tr_report *r)
{
	char *encopy = xstrdup(en), *trcopy = xstrdup(tr), *save = NULL, *ln;
	char **lines = NULL, a[1024];
	size_t n = 0;

	for (ln = strtok_r(encopy, "\n", &save); ln;
	    ln = strtok_r(NULL, "\n", &save))
		if (strip_line(ln, a, sizeof(a)) >= 4) {
			lines = xrealloc(lines, (n + 1) * sizeof(*lines));
			lines[n++] = xstrdup(a);
		}
	save = NULL;
	for (ln = strtok_r(trcopy, "\n", &save); ln;
	    ln = strtok_r(NULL, "\n", &save)) {
		if (strip_line(ln, a, sizeof(a)) < 4 ||
		    !strncmp(str_trim(ln), "{{!", 3))
			continue;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(lines[i], a)) {
				buf_addf(&r->why, "%s: an English line: \"%s\"\n",
				    path, a);
				r->broken++;
				break;
			}
	}
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	free(encopy);
	free(trcopy);
}

/* names_kept - tr reads every value en reads. */
static void
names_kept(const char *en, const char *tr, const char *path,
    struct tr_report *r)
{
	char err[512];
	char **want = template_names(en, "en", err, sizeof(err));
	char **have = template_names(tr, path, err, sizeof(err));

	if (have == NULL) {
		buf_addf(&r->why, "%s\n", err);
		r->broken++;
	}
	for (size_t i = 0; want && have && want[i]; i++) {
		size_t k;

		for (k = 0; have[k] && strcmp(have[k], want[i]); k++)
			;
		if (have[k] == NULL) {
			buf_addf(&r->why, "%s: {{%s}} is missing (the English "
			    "text has it)\n", path, want[i]);
			r->broken++;
		}
	}
	i18n_codes_free(want);
	i18n_codes_free(have);
}

/*
 * check_tree - every text under en_root/en/REL against tr_root/CODE/REL:
 * missing ones counted; present ones must render (errors from kith
 * check's renders, r->errors), keep English's values and hold no
 * English line.
 */
static void
check_tree(const char *en_root, const char *tr_root, const char *rel,
    struct tr_report *r)
{
	char *folder = xasprintf("%s/en%s%s", en_root, *rel ? "/" : "", rel);
	DIR *d = opendir(folder);
	struct dirent *e;

	ck_assert_msg(d != NULL, "cannot open %s", folder);
	while ((e = readdir(d)) != NULL) {
		char *name, *enpath, *trpath, *en, *tr;
		struct stat st;
		struct buf b;

		if (e->d_name[0] == '.')
			continue;
		name = *rel ? xasprintf("%s/%s", rel, e->d_name) :
		    xstrdup(e->d_name);
		enpath = xasprintf("%s/en/%s", en_root, name);
		trpath = xasprintf("%s/%s/%s", tr_root, r->code, name);
		ck_assert_int_eq(stat(enpath, &st), 0);
		if (S_ISDIR(st.st_mode))
			check_tree(en_root, tr_root, name, r);
		else if (!strcmp(name, "LANGUAGE") ||
		    !strcmp(name, "web/kith.css"))
			;
		else if (stat(trpath, &st) < 0)
			r->missing++;
		else {
			r->translated++;
			buf_init(&b);
			ck_assert_int_eq(buf_read_file(&b, enpath), 0);
			en = buf_detach(&b, NULL);
			ck_assert_int_eq(buf_read_file(&b, trpath), 0);
			tr = b.data ? buf_detach(&b, NULL) : xstrdup("");
			english_lines(en, tr, trpath, r);
			names_kept(en, tr, trpath, r);
			/* kith check's render of it: syntax, unknown names (not
			 * in en's schema), plural forms, a "{{" left */
			for (const char *p = r->errors.data; p &&
			    (p = strstr(p, trpath)) != NULL; p++) {
				const char *eol = strchr(p, '\n');

				buf_addf(&r->why, "%.*s\n", (int)(eol ? eol - p :
				    (long)strlen(p)), p);
				r->broken++;
				if (eol == NULL)
					break;
				p = eol;
			}
			free(en);
			free(tr);
		}
		free(name);
		free(enpath);
		free(trpath);
	}
	closedir(d);
	free(folder);
}

/* check_language - code's texts in tr_root against the shipped English. */
static void
check_language(const char *tr_root, const char *code, struct tr_report *r)
{
	struct template_check c;

	memset(r, 0, sizeof(*r));
	r->code = code;
	buf_init(&r->why);
	buf_init(&r->errors);
	memset(&c, 0, sizeof(c));
	c.report = collect_errors;
	c.ctx = &r->errors;
	texts_check(&cfg, &team, &c);
	template_check_release(&c);
	check_tree(KITH_SOURCE_TEMPLATE_DIR, tr_root, "", r);
}

static void
tr_release(struct tr_report *r)
{
	buf_release(&r->why);
	buf_release(&r->errors);
}

/*
 * Every shipped language: what it translates must render, keep the
 * English text's values and hold no English line (a sentence left
 * untranslated); what it does not translate falls back to English and
 * is only counted, unless KITH_REQUIRE_TRANSLATIONS=1.
 */
START_TEST(test_translations)
{
	char **codes = i18n_lang_codes(KITH_SOURCE_TEMPLATE_DIR);
	const char *require = getenv("KITH_REQUIRE_TRANSLATIONS");
	struct buf fail;
	int nlang = 0;

	setup();
	buf_init(&fail);
	ck_assert_ptr_nonnull(codes);
	for (size_t i = 0; codes[i]; i++) {
		struct tr_report r;

		if (!strcmp(codes[i], "en"))
			continue;
		nlang++;
		check_language(KITH_SOURCE_TEMPLATE_DIR, codes[i], &r);
		fprintf(stderr, "test_lang: %s: %d of %d texts translated%s%s\n",
		    codes[i], r.translated, r.translated + r.missing,
		    r.missing ? ", the others are sent in English" : "",
		    r.broken ? ", BROKEN" : "");
		if (r.broken)
			buf_addf(&fail, "%s", r.why.data);
		if (r.missing && require && !strcmp(require, "1"))
			buf_addf(&fail, "%s: %d texts not translated "
			    "(KITH_REQUIRE_TRANSLATIONS=1)\n", codes[i],
			    r.missing);
		tr_release(&r);
	}
	ck_assert_int_ge(nlang, 9);
	/* every problem to stderr; Check's message holds only so much */
	if (fail.len)
		fprintf(stderr, "test_lang: translations:\n%s", fail.data);
	ck_assert_msg(fail.len == 0, "translations (all of them above):\n%.2000s",
	    fail.data);
	buf_release(&fail);
	i18n_codes_free(codes);
	teardown();
}
END_TEST

/* write - a file under dir, its folders made. */
static void
write_file(const char *top, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", top, name), *slash;
	FILE *f;

	for (slash = strchr(path + strlen(top) + 1, '/'); slash;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

/*
 * The check itself: a made-up language "xx" (the Czech rules) with one
 * good text and one of each fault is judged text by text.
 */
START_TEST(test_translation_check_finds)
{
	struct tr_report r;
	char *root, *cmd;

	setup();
	root = xasprintf("%s/templates", dir);
	mkdir(root, 0700);
	cmd = xasprintf("%s/xx", root);
	mkdir(cmd, 0700);
	free(cmd);
	cmd = xasprintf("sed -e 's/^code = cs/code = xx/' '%s/cs/LANGUAGE' > "
	    "'%s/xx/LANGUAGE'", KITH_SOURCE_TEMPLATE_DIR, root);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	template_cache_clear();
	/* good */
	write_file(root, "xx/goodbye.txt", "Subject: Sbohem ze {{list.name}}\n\n"
	    "Na shledanou, {{member.name}}.\n\n{{member.address}} už není na "
	    "{{list.address}}.\nZpátky: {{list.subscribe}}\n");
	/* an English sentence left */
	write_file(root, "xx/welcome.txt", "Subject: Vítejte v {{list.name}}\n\n"
	    "Vítejte, {{member.name}}! {{member.address}} {{list.address}} "
	    "{{list.owner}} {{list.unsubscribe}} {{list.request}}\n"
	    "{{list.description}}\n"
	    "or use your <b>mail program's</b> Unsubscribe button.\n");
	/* a value English shows, left out */
	write_file(root, "xx/owner-join.txt", "Subject: Nový člen\n\n"
	    "Přihlásil se nový člen.\n");
	/* a value no schema has */
	write_file(root, "xx/owner-leave.txt", "Subject: Odešel {{member}}\n\n"
	    "{{member.address}} {{member.name}} odešel, {{nmae}}.\n");
	/* a plural with two forms, where xx writes three */
	write_file(root, "xx/digest/subject.txt", "Subject: {{list.name}} "
	    "souhrn {{volume}}/{{issue}}, {{plural issue \"díl\" \"dílů\"}}\n");
	check_language(root, "xx", &r);
	ck_assert_int_eq(r.translated, 5);
	ck_assert_int_gt(r.missing, 100);
	ck_assert_msg(strstr(r.why.data, "xx/welcome.txt: an English line: "
	    "\"or use your mail program's Unsubscribe button.\""), "%s",
	    r.why.data);
	ck_assert_msg(strstr(r.why.data, "welcome.txt: {{") == NULL, "%s",
	    r.why.data);
	ck_assert_msg(strstr(r.why.data, "xx/owner-join.txt: {{member}} is "
	    "missing"), "%s", r.why.data);
	ck_assert_msg(strstr(r.why.data, "xx/owner-leave.txt:4: unknown "
	    "variable '{{nmae}}'") || strstr(r.why.data, "unknown variable "
	    "'{{nmae}}'"), "%s", r.why.data);
	ck_assert_msg(strstr(r.why.data, "xx/digest/subject.txt"), "%s",
	    r.why.data);
	ck_assert_msg(strstr(r.why.data, "goodbye") == NULL, "%s", r.why.data);
	tr_release(&r);
	free(root);
	teardown();
}
END_TEST

/* ---- plural forms as a template writes them, per language ---- */

/*
 * For n = 0 1 2 5 21 22 25 101 111, the form CLDR's rules pick
 * (unicode-org/cldr plurals.xml), written out by hand, rendered through
 * {{plural}} as a translation would use it.
 */
static const struct {
	const char *code, *text, *want;
} plural_cases[] = {
	{ "en", "{{n}} {{plural n \"member\" \"members\"}}",
	  "0 members|1 member|2 members|5 members|21 members|22 members|"
	  "25 members|101 members|111 members" },
	{ "cs", "{{n}} {{plural n \"člen\" \"členové\" \"členů\"}}",
	  "0 členů|1 člen|2 členové|5 členů|21 členů|22 členů|25 členů|"
	  "101 členů|111 členů" },
	{ "pl", "{{n}} {{plural n \"członek\" \"członkowie\" \"członków\"}}",
	  "0 członków|1 członek|2 członkowie|5 członków|21 członków|"
	  "22 członkowie|25 członków|101 członków|111 członków" },
	{ "uk", "{{n}} {{plural n \"учасник\" \"учасники\" \"учасників\"}}",
	  "0 учасників|1 учасник|2 учасники|5 учасників|21 учасник|"
	  "22 учасники|25 учасників|101 учасник|111 учасників" },
	{ "ko", "회원 {{n}}{{plural n \"명\"}}",
	  "회원 0명|회원 1명|회원 2명|회원 5명|회원 21명|회원 22명|회원 25명|"
	  "회원 101명|회원 111명" },
	{ "el", "{{n}} {{plural n \"μέλος\" \"μέλη\"}}",
	  "0 μέλη|1 μέλος|2 μέλη|5 μέλη|21 μέλη|22 μέλη|25 μέλη|101 μέλη|"
	  "111 μέλη" },
	{ "nb", "{{n}} {{plural n \"medlem\" \"medlemmer\"}}",
	  "0 medlemmer|1 medlem|2 medlemmer|5 medlemmer|21 medlemmer|"
	  "22 medlemmer|25 medlemmer|101 medlemmer|111 medlemmer" },
	{ "de", "{{n}} {{plural n \"Mitglied\" \"Mitglieder\"}}",
	  "0 Mitglieder|1 Mitglied|2 Mitglieder|5 Mitglieder|21 Mitglieder|"
	  "22 Mitglieder|25 Mitglieder|101 Mitglieder|111 Mitglieder" },
	/* French: 0 is singular */
	{ "fr", "{{n}} {{plural n \"membre\" \"de membres\" \"membres\"}}",
	  "0 membre|1 membre|2 membres|5 membres|21 membres|22 membres|"
	  "25 membres|101 membres|111 membres" },
	{ "es", "{{n}} {{plural n \"miembro\" \"de miembros\" \"miembros\"}}",
	  "0 miembros|1 miembro|2 miembros|5 miembros|21 miembros|"
	  "22 miembros|25 miembros|101 miembros|111 miembros" },
};

START_TEST(test_plural_rendered)
{
	static const long long ns[] = { 0, 1, 2, 5, 21, 22, 25, 101, 111 };
	struct template_opts o = { NULL, plural_cases[_i].code, NULL };
	struct buf got;

	template_cache_clear();
	buf_init(&got);
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		struct tvars *tv = tv_new();
		struct template_out out;
		char err[256];

		tv_int(tv, "n", ns[k]);
		ck_assert_msg(template_string(plural_cases[_i].text, "t.txt", &o,
		    tv, &out, err, sizeof(err)) == 0, "%s", err);
		buf_addf(&got, "%s%s", k ? "|" : "", out.body);
		template_out_release(&out);
		tv_free(tv);
	}
	ck_assert_msg(!strcmp(got.data, plural_cases[_i].want), "%s: got %s",
	    plural_cases[_i].code, got.data);
	buf_release(&got);
}
END_TEST

Suite *
lang_suite(void)
{
	Suite *s = suite_create("lang");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_lang_fallbacks);
	tcase_add_test(tc, test_lang_setting);
	tcase_add_test(tc, test_lang_ok);
	tcase_add_loop_test(tc, test_command_words, 0,
	    (int)(sizeof(words_cases) / sizeof(words_cases[0])));
	tcase_add_test(tc, test_command_words_complete);
	tcase_add_loop_test(tc, test_moderator_always, 0,
	    sizeof(always_cases) / sizeof(always_cases[0]));
	tcase_add_loop_test(tc, test_moderator_words, 0,
	    (int)(sizeof(mod_cases) / sizeof(mod_cases[0])));
	tcase_add_loop_test(tc, test_accept_language, 0,
	    (int)(sizeof(accept_cases) / sizeof(accept_cases[0])));
	tcase_add_test(tc, test_accept_language_bounded);
	tcase_add_loop_test(tc, test_plural_rendered, 0,
	    (int)(sizeof(plural_cases) / sizeof(plural_cases[0])));
	tcase_add_loop_test(tc, test_decode_raw_utf8, 0,
	    (int)(sizeof(decode_cases) / sizeof(decode_cases[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("translations");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_translations);
	tcase_add_test(tc, test_translation_check_finds);
	suite_add_tcase(s, tc);
	return s;
}
