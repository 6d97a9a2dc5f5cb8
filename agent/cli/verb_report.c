/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "model/topology.h"
#include "cli/cli.h"
#include "cli/daemon_link.h"
#include "model/mem_state.h"
#include "outputs/report.h"
#include "shared/json_util.h"

static void report_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s report [--json] [--root DIR]\n"
		"\n"
		"Shows how much memory this kernel holds in page cache and how much of it\n"
		"the hypervisor could take back now.  When the daemon runs, its state, last\n"
		"actions and bridge connection follow, asked over its control socket\n"
		"($WSLDOCK_CONTROL_SOCKET or /run/wsldock/agent.sock); otherwise it says\n"
		"\"daemon: not running\".\n"
		"\n"
		"  --json       print one JSON document (schema in wsldock-agent(8))\n"
		"  --root DIR   read /proc, /sys, /etc and /mnt under DIR instead of /\n"
		"  -h, --help   show this help\n"
		"\n"
		"Exit status: 0 all sources read, 1 a source was missing or malformed\n"
		"(the rest is still reported), 2 usage error.\n",
		program_name);
}

int verb_report(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common common = { 0 };
	struct diag_list diags = { 0 };
	struct conflicts_snapshot *conflicts = NULL;
	struct mem_state *s = NULL;
	struct topology topo;
	json_t *daemon = NULL;
	char why[160] = "not asked (--root)";
	int c, r = EXIT_ERROR;

	const struct cli_verb verb = { "report", options, "h", report_usage, NULL, 0 };

	c = cli_parse(&verb, argc, argv, &common, NULL);
	if (c <= 0)
		return c < 0 ? EXIT_ERROR : EXIT_CLEAN;
	s = calloc(1, sizeof(*s));
	if (!s) {
		cli_error("report", "out of memory");
		return EXIT_ERROR;
	}
	mem_state_collect(s, common.root, (unsigned)sysconf(_SC_PAGESIZE), &diags);
	topology_read(common.root, common.root ? "none" : NULL, TOPOLOGY_ENGINE_TIMEOUT_MS, &topo);
	s->topology = &topo;
	/* Out of memory here only leaves the conflicts section out. */
	conflicts = conflicts_snapshot_collect(common.root);
	/* The running daemon's state (its bridge connection in it) and
	 * history, over its control socket. */
	if (!common.root)
		daemon = daemon_link_report(why, sizeof(why));
	if (common.json) {
		json_t *doc = report_json(s, conflicts, &diags);

		if (doc)
			json_object_set_new(doc, "daemon", daemon ? json_incref(daemon) :
					    daemon_link_absent(why));
		if (!doc || json_print(doc) < 0) {
			cli_error("report", "cannot write the JSON report");
			json_decref(doc);
			goto out;
		}
		json_decref(doc);
	} else {
		report_text(stdout, s, conflicts, &diags);
		daemon_link_report_text(stdout, daemon, why);
		if (fflush(stdout) == EOF || ferror(stdout)) {
			cli_error("report", "cannot write the report: %s", strerror(errno));
			goto out;
		}
	}
	diag_print(&diags, stderr, program_name);
	r = mem_state_degraded(s) ? EXIT_FLAGGED : EXIT_CLEAN;
out:
	json_decref(daemon);
	conflicts_snapshot_free(conflicts);
	diag_free(&diags);
	free(s);
	return r;
}
