/* test_subject - reply and forward markers, the list prefix, one "Re:". */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kith/subject.h"
#include "unit.h"

enum fn { CLEAN, PREFIXED, REPLY };

static const struct {
	enum fn fn;
	const char *subject, *prefix, *want;
} cases[] = {
	/* what archive, index and digests show */
	{ CLEAN, "Pálava", "[Turisti]", "Pálava" },
	{ CLEAN, "Re: [Turisti] Re: Pálava", "[Turisti]", "Re: Pálava" },
	{ CLEAN, "AW: [TURISTI] RE: Pálava", "[Turisti]", "Re: Pálava" },
	{ CLEAN, "Re: Re: Re: Pálava", "", "Re: Pálava" },
	{ CLEAN, "[Turisti] Re: Pálava", "[Turisti]", "Re: Pálava" },
	{ CLEAN, "Sv: Odp: Vs: Antw: x", "", "Re: x" },
	{ CLEAN, "Re[2]: Re(3): Re^4: x", "", "Re: x" },
	{ CLEAN, "RE : Réf : x", "", "Re: x" },
	{ CLEAN, "回复：[스터디] 숙제", "[스터디]", "Re: 숙제" },
	{ CLEAN, "답장: 회신: 숙제", "", "Re: 숙제" },
	{ CLEAN, "ΑΠ: Σχετ: Συνάντηση", "", "Re: Συνάντηση" },
	{ CLEAN, "Fwd: [team] x", "[team]", "Fwd: x" },
	{ CLEAN, "Fw: FWD: WG: x", "", "Fw: x" },
	{ CLEAN, "WG: Zimmer frei", "", "WG: Zimmer frei" },
	{ CLEAN, "TR : [team] RE: x", "[team]", "TR: Re: x" },
	{ CLEAN, "转发：回复：x", "", "转发: Re: x" },
	{ CLEAN, "Re: Fwd: Re: x", "", "Re: Fwd: x" },
	{ CLEAN, "Fwd: Re: x", "", "Fwd: Re: x" },
	{ CLEAN, "Regarding the plan", "", "Regarding the plan" },
	{ CLEAN, "Rest: stop", "", "Rest: stop" },
	{ CLEAN, "Trip: Sněžka", "", "Trip: Sněžka" },
	{ CLEAN, "  Re:\tmany   spaces\r\n here ", "", "Re: many spaces here" },
	{ CLEAN, "[team]", "[team]", "" },
	{ CLEAN, "", "[team]", "" },
	{ CLEAN, NULL, "", "" },
	/* the list copy */
	{ PREFIXED, "Hello", "[team]", "[team] Hello" },
	{ PREFIXED, "[team] Hello", "[team]", "[team] Hello" },
	{ PREFIXED, "Re: [team] Hello", "[team]", "[team] Re: Hello" },
	{ PREFIXED, "Re: [team] Re: [team] Hello", "[team]", "[team] Re: Hello" },
	{ PREFIXED, "RE: Re: re: Hello", "[team]", "[team] Re: Hello" },
	{ PREFIXED, "AW: [TEAM] Hallo", "[team]", "[team] Re: Hallo" },
	{ PREFIXED, "Re[2]: [team] x", "[team]", "[team] Re: x" },
	{ PREFIXED, "Fwd: [team] x", "[team]", "[team] Fwd: x" },
	{ PREFIXED, "[team]", "[team]", "[team]" },
	{ PREFIXED, "Re: Συνάντηση", "[ομάδα]", "[ομάδα] Re: Συνάντηση" },
	{ PREFIXED, "Re: Hello", "", "Re: Hello" },
	{ PREFIXED, "", "[team]", "[team]" },
	/* an answer */
	{ REPLY, "Re: Re: Re: Pálava", "", "Re: Pálava" },
	{ REPLY, "Pálava", "", "Re: Pálava" },
	{ REPLY, "AW: Sv: index", "", "Re: index" },
	{ REPLY, "Fwd: help", "", "Re: Fwd: help" },
	{ REPLY, "Re: [Turisti] Re: x", "[Turisti]", "Re: x" },
};

START_TEST(test_subject)
{
	char *got;

	switch (cases[_i].fn) {
	case CLEAN:
		got = subject_clean(cases[_i].subject, cases[_i].prefix);
		break;
	case PREFIXED:
		got = subject_prefixed(cases[_i].subject, cases[_i].prefix);
		break;
	default:
		got = subject_reply(cases[_i].subject, cases[_i].prefix);
		break;
	}
	ck_assert_msg(!strcmp(got, cases[_i].want),
	    "case %d '%s' with '%s': got '%s', want '%s'", _i,
	    cases[_i].subject ? cases[_i].subject : "(null)", cases[_i].prefix,
	    got, cases[_i].want);
	free(got);
}
END_TEST

Suite *
subject_suite(void)
{
	Suite *s = suite_create("subject");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_subject, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);
	return s;
}
