/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

const char *program_name = "wsldock-agent";

struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct verb verbs[] = {
	{ "report", verb_report, "show page cache, reportable free memory and the WSL environment" },
	{ "conflicts", verb_conflicts, "find native Docker installs that conflict with Docker Desktop" },
	{ "top", verb_top, "show who fills the page cache, per cgroup, class and file (eBPF)" },
	{ "run", verb_run, "the reclaim daemon: return a build's page cache when the build ends" },
	{ "reclaim", verb_reclaim, "decide once now, act, and print what came back" },
	{ "config", verb_config, "print the effective configuration and where each value came from" },
	{ "integration", verb_integration, "turn Docker Desktop's WSL integration on or off (via the bridge)" },
	{ "wslconfig", verb_wslconfig, "set a key of the host's .wslconfig (via the bridge)" },
	{ "enroll", verb_enroll, "store the key wsldock-bridge enroll sends (on standard input)" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s VERB [OPTIONS]\n"
		"       %s --help | --version\n"
		"\n"
		"Hands page cache left behind by Docker builds in WSL 2 back to Windows,\n"
		"shows who fills it (eBPF), and finds native Docker installs that\n"
		"conflict with Docker Desktop.\n"
		"\n"
		"Verbs:\n",
		program_name, program_name);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f,
		"\n"
		"Run '%s VERB --help' for a verb's options; see wsldock-agent(8).\n"
		"Exit status: 0 clean, 1 something flagged, 2 error.\n",
		program_name);
}

int cli_common_option(int c, const char *arg, struct cli_common *common)
{
	struct stat sb;

	switch (c) {
	case OPT_ROOT:
		/* A mistyped --root would otherwise read as a tree of missing
		 * files; say what is wrong with the argument instead. */
		if (stat(arg, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "%s: --root %s: %s\n", program_name, arg,
				stat(arg, &sb) < 0 ? strerror(errno) : "not a directory");
			return -1;
		}
		common->root = arg;
		return 1;
	case OPT_JSON:
		common->json = true;
		return 1;
	default:
		return 0;
	}
}

int cli_parse(const struct cli_verb *v, int argc, char **argv, struct cli_common *common,
	      void *u)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, v->shortopts, v->options, NULL)) != -1) {
		int r = common ? cli_common_option(c, optarg, common) : 0;

		if (r < 0)
			return -EINVAL;
		if (r > 0)
			continue;
		if (c == 'h') {
			v->usage(stdout);
			return 0;
		}
		if (c == '?' || c == ':' || !v->option) {
			v->usage(stderr);
			return -EINVAL;
		}
		if (v->option(c, optarg, u) < 0)
			return -EINVAL;
	}
	if (argc - optind > v->max_args) {
		cli_error(v->name, "unexpected argument '%s'", argv[optind + v->max_args]);
		return -EINVAL;
	}
	return 1;
}

void cli_error(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", program_name, verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_CLEAN;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("%s %s\n", program_name, PACKAGE_VERSION);
		return EXIT_CLEAN;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		char name[64];

		if (strcmp(argv[1], verbs[i].name))
			continue;
		/* getopt names argv[0] in its messages: "wsldock-agent top: ...". */
		snprintf(name, sizeof(name), "%s %s", program_name, verbs[i].name);
		argv[1] = name;
		return verbs[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "%s: unknown verb '%s' (try '%s --help')\n",
		program_name, argv[1], program_name);
	return EXIT_ERROR;
}
