/*
 * test_lang - who reads which language (notice_lang: the member's, else
 * the list's, else en), which languages may be chosen (notice_lang_ok),
 * and the list's `language` setting.
 */
#include "config.h"

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
#include "kith/util.h"
#include "unit.h"

static sqlite3 *db;
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
	sqlite3_close(db);
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
	    "rsvp", "yes", "no", "maybe", "approve", "reject", "discard" };

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
	tcase_add_loop_test(tc, test_moderator_words, 0,
	    (int)(sizeof(mod_cases) / sizeof(mod_cases[0])));
	tcase_add_loop_test(tc, test_accept_language, 0,
	    (int)(sizeof(accept_cases) / sizeof(accept_cases[0])));
	tcase_add_test(tc, test_accept_language_bounded);
	tcase_add_loop_test(tc, test_decode_raw_utf8, 0,
	    (int)(sizeof(decode_cases) / sizeof(decode_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}
