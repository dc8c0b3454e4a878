/* cmd_dkim - kith dkim keygen. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/dkim.h"
#include "kith/util.h"

/* DNS TXT strings hold 255 characters each: quote the value in pieces. */
static void
print_txt(const char *name, const char *value)
{
	size_t n = strlen(value);

	printf("%s IN TXT (", name);
	for (size_t i = 0; i < n; i += 250)
		printf(" \"%.*s\"", (int)(n - i < 250 ? n - i : 250), value + i);
	printf(" )\n");
}

int
cmd_dkim(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "selector", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	const char *selector = "kith", *out = NULL, *domain;
	char *path, *dir, *txt, *name, err[512] = "";
	int ch;

	if (argc < 2 || wants_help(argc, argv) || strcmp(argv[1], "keygen")) {
		printf("usage: kith dkim keygen DOMAIN [--selector S] [--out FILE]"
		    "\n\nWrite a new 2048-bit RSA key (PEM, mode 0600, 0640 in "
		    "a shared data\ndirectory; by default "
		    "DATA/dkim/S.DOMAIN.pem)\nand print the DNS TXT record to "
		    "publish.  Then set [dkim] domain, selector\n(and key_file "
		    "when not the default) in kith.conf: every mail Kith sends\n"
		    "is signed.\n");
		return argc < 2 ? EX_USAGE_ : 0;
	}
	optind = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "s:o:", opts, NULL)) != -1) {
		if (ch == 's')
			selector = optarg;
		else if (ch == 'o')
			out = optarg;
		else
			usage_error("dkim", "bad option");
	}
	if (optind + 2 != argc)
		usage_error("dkim", "'dkim keygen' takes one DOMAIN");
	domain = argv[optind + 1];
	if (strchr(domain, '/') || strchr(selector, '/') || !*selector)
		usage_error("dkim", "bad domain or selector");
	cli_config(c);
	dir = xasprintf("%s/dkim", c->cfg.data_dir);
	path = out ? xstrdup(out) : xasprintf("%s/%s.%s.pem", dir, selector,
	    domain);
	/* In a shared data directory (util.h) every delivering user signs:
	 * the key is the group's to read (0640), in a directory of its. */
	if (!out && (mkdir_p(dir, 0700) < 0 || share_like_parent(dir, 02770) <
	    0))
		die(EX_CANTCREAT_, "cannot create '%s': %s", dir, strerror(errno));
	if (dkim_keygen(path, &txt, err, sizeof(err)) < 0)
		die(EX_CANTCREAT_, "%s", err);
	if (share_like_parent(path, 0640) < 0)
		die(EX_CANTCREAT_, "cannot give '%s' to the group: %s", path,
		    strerror(errno));
	name = xasprintf("%s._domainkey.%s.", selector, domain);
	printf("private key: %s\n", path);
	print_txt(name, txt);
	printf("\nThen in kith.conf:\n[dkim]\ndomain = %s\nselector = %s\n%s%s%s",
	    domain, selector, out ? "key_file = " : "", out ? out : "",
	    out ? "\n" : "");
	free(name);
	free(txt);
	free(path);
	free(dir);
	config_release(&c->cfg);
	return 0;
}
