/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "conflicts/conflicts.h"
#include "shared/json_util.h"

enum { OPT_FIX = OPT_COMMON_LAST, OPT_YES };

static void conflicts_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s conflicts [--json] [--root DIR] [--fix [--yes]]\n"
		"\n"
		"Finds Docker Engine and CLI installed directly in this distro, which Docker\n"
		"Desktop's WSL integration requires removed: packages, binaries, services,\n"
		"the docker socket, DOCKER_HOST and docker contexts.\n"
		"\n"
		"  --json       print one JSON document (schema in wsldock-agent(8))\n"
		"  --root DIR   examine the distro tree under DIR instead of /\n"
		"  --fix        show the removal plan, ask, then run the package manager and\n"
		"               systemctl (with --root, acting on DIR only)\n"
		"  --yes        do not ask (for scripts)\n"
		"  -h, --help   show this help\n"
		"\n"
		"Without --fix nothing is changed.  Exit status: 0 nothing conflicts,\n"
		"1 something conflicts (or could not be checked), 2 error.\n",
		program_name);
}

static bool ask(void)
{
	char line[16];

	fprintf(stderr, "Run these commands? [y/N] ");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

static int fix(const struct conflict_facts *f, const struct finding_list *l, bool yes)
{
	struct fix_plan *p = calloc(1, sizeof(*p));
	int r = EXIT_ERROR;

	if (!p) {
		cli_error("conflicts", "out of memory");
		return EXIT_ERROR;
	}
	fix_plan_build(f, l, yes, p);
	fprintf(stderr, "\nPlan:\n");
	fix_plan_print(stderr, p);
	if (!p->n) {
		r = conflicts_count(l) ? EXIT_FLAGGED : EXIT_CLEAN;
		goto out;
	}
	if (!yes && !isatty(STDIN_FILENO)) {
		cli_error("conflicts", "--fix asks before changing anything: run it on a terminal, or add --yes");
		goto out;
	}
	if (!yes && !ask()) {
		fprintf(stderr, "Nothing changed.\n");
		r = EXIT_FLAGGED;
		goto out;
	}
	r = fix_plan_run(p, stderr) < 0 ? EXIT_ERROR : EXIT_CLEAN;
	/* What the commands could not remove still conflicts. */
	if (r == EXIT_CLEAN && p->skipped)
		r = EXIT_FLAGGED;
out:
	free(p);
	return r;
}

struct conflicts_args {
	bool fix, yes;
};

static int conflicts_option(int c, const char *arg, void *u)
{
	struct conflicts_args *a = u;

	switch (c) {
	case OPT_FIX:
		a->fix = true;
		return 0;
	case OPT_YES:
		a->yes = true;
		return 0;
	default:
		conflicts_usage(stderr);
		return -EINVAL;
	}
}

int verb_conflicts(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{ "fix", no_argument, NULL, OPT_FIX },
		{ "yes", no_argument, NULL, OPT_YES },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common common = { 0 };
	struct conflicts_snapshot *snap = NULL;
	bool do_fix = false, yes = false;
	int c, r = EXIT_ERROR;

	const struct cli_verb verb = { "conflicts", options, "h", conflicts_usage,
				       conflicts_option, 0 };
	struct conflicts_args a = { 0 };

	c = cli_parse(&verb, argc, argv, &common, &a);
	if (c <= 0)
		return c < 0 ? EXIT_ERROR : EXIT_CLEAN;
	do_fix = a.fix;
	yes = a.yes;
	if (yes && !do_fix) {
		cli_error("conflicts", "--yes only makes sense with --fix");
		return EXIT_ERROR;
	}
	snap = conflicts_snapshot_collect(common.root);
	if (!snap) {
		cli_error("conflicts", "out of memory");
		return EXIT_ERROR;
	}
	if (common.json) {
		json_t *doc = conflicts_json(&snap->facts, &snap->findings, &snap->diags);

		if (!doc || json_print(doc) < 0) {
			cli_error("conflicts", "cannot write the JSON document");
			json_decref(doc);
			goto out;
		}
		json_decref(doc);
	} else {
		conflicts_text(stdout, &snap->facts, &snap->findings);
		if (fflush(stdout) == EOF || ferror(stdout)) {
			cli_error("conflicts", "cannot write the findings: %s", strerror(errno));
			goto out;
		}
	}
	diag_print(&snap->diags, stderr, program_name);
	r = conflicts_count(&snap->findings) ? EXIT_FLAGGED : EXIT_CLEAN;
	if (do_fix)
		r = fix(&snap->facts, &snap->findings, yes);
out:
	conflicts_snapshot_free(snap);
	return r;
}
