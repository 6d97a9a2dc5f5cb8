/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "model/topology.h"
#include "cli/cli.h"
#include "cli/daemon_link.h"
#include "daemon/daemon.h"
#include "daemon/manual.h"
#include "shared/json_util.h"

enum { OPT_LEVER = OPT_COMMON_LAST, OPT_STANDALONE };

static void reclaim_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s reclaim [--dry-run] [--json] [--lever LEVER] [--set KEY=VALUE]...\n"
		"       [--docker-root DIR] [--root DIR] [--standalone]\n"
		"\n"
		"One decision now: the page cache of Docker's cgroups (memory.stat) and\n"
		"Docker's data root are the episode; the levers are tried in order under the\n"
		"guardrails, then memory is compacted.  Prints each decision, what each lever\n"
		"did and what came back.  When the daemon runs, it is asked to do this\n"
		"(reclaim-now on its control socket) and its history and totals count it;\n"
		"otherwise, or with --set, --docker-root, --root or --standalone, this\n"
		"process does it alone.  The first line says which.\n"
		"\n"
		"  --dry-run           decide and measure; write nothing anywhere\n"
		"  --json              one JSON document (see wsldock-agent(8))\n"
		"  --lever LEVER       only this lever: %s\n"
		"  --set KEY=VALUE     override one policy setting (wsldock-agent.conf(5))\n"
		"  --docker-root DIR   Docker's data root (default /var/lib/docker)\n"
		"  --root DIR          read /proc and /sys under DIR\n"
		"  --standalone        do not ask the daemon\n"
		"  -h, --help          show this help\n"
		"\n"
		"Exit status: 0 done (or nothing to do), 1 a lever failed (its errno is\n"
		"printed) or the daemon refused, 2 usage error.\n",
		program_name, lever_names_list());
}

struct reclaim_args {
	struct cli_common common;
	bool dry_run;
	int lever;
	const char *docker_root;
	struct policy_config cfg;
	bool set_given, standalone;
};

static int reclaim_option(int c, const char *arg, void *u)
{
	struct reclaim_args *a = u;
	enum lever l;

	switch (c) {
	case OPT_DRY_RUN:
		a->dry_run = true;
		return 0;
	case OPT_LEVER:
		if (lever_from_string(arg, &l) < 0) {
			cli_error("reclaim", "--lever: unknown lever '%s' (%s)", arg, lever_names_list());
			return -EINVAL;
		}
		a->lever = (int)l;
		return 0;
	case OPT_DOCKER_ROOT:
		a->docker_root = arg;
		return 0;
	case OPT_SET:
		if (cli_policy_set("reclaim", &a->cfg, arg) < 0)
			return -EINVAL;
		a->set_given = true;
		return 0;
	case OPT_STANDALONE:
		a->standalone = true;
		return 0;
	default:
		reclaim_usage(stderr);
		return -EINVAL;
	}
}

static int parse_args(int argc, char **argv, struct reclaim_args *a)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS, CLI_OPT_DRY_RUN, CLI_OPT_DOCKER_ROOT, CLI_OPT_SET,
		{ "lever", required_argument, NULL, OPT_LEVER },
		{ "standalone", no_argument, NULL, OPT_STANDALONE },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_verb verb = { "reclaim", options, "h", reclaim_usage, reclaim_option, 0 };

	return cli_parse(&verb, argc, argv, &a->common, a);
}

static void print_result(const json_t *result, bool dry_run)
{
	const json_t *actions = json_object_get(result, "actions"), *item, *decision;
	size_t i;

	json_array_foreach(actions, i, item) {
		const json_t *res = json_object_get(item, "result");

		printf("action lever=%s reason=%s targeted_bytes=%lld returned_bytes=%lld errno=%s "
		       "duration_ms=%lld\n",
		       json_string_value(json_object_get(item, "lever")) ?: "?",
		       json_string_value(json_object_get(item, "reason")) ?: "-",
		       json_integer_value(json_object_get(res, "targeted_bytes")),
		       json_integer_value(json_object_get(res, "returned_bytes")),
		       json_string_value(json_object_get(res, "errno")) ?: "-",
		       json_integer_value(json_object_get(res, "duration_ms")));
	}
	decision = json_object_get(result, "decision");
	if (decision) {
		const char *detail = json_string_value(json_object_get(decision, "detail"));

		printf("decision lever=none reason=%s%s%s\n",
		       json_string_value(json_object_get(decision, "reason")) ?: "?",
		       detail && *detail ? " detail=" : "", detail && *detail ? detail : "");
	}
	printf("returned %lld bytes%s\n", json_integer_value(json_object_get(result, "returned_bytes")),
	       dry_run ? " (dry run: nothing was written)" : "");
}

/* reclaim-now on the daemon's socket: 0 done, 1 failed or refused, -ENOENT
 * no daemon (then this process does it), 2 it could not be asked. */
static int via_daemon(const struct reclaim_args *a, char *why, size_t whylen)
{
	char request[160];
	const char *req = request;
	json_t *reply, *daemon;
	bool dry_run;
	int r;

	snprintf(request, sizeof(request), "{\"request\":\"reclaim-now\",\"dry_run\":%s%s%s%s}",
		 a->dry_run ? "true" : "false", a->lever >= 0 ? ",\"lever\":\"" : "",
		 a->lever >= 0 ? lever_name((enum lever)a->lever) : "", a->lever >= 0 ? "\"" : "");
	r = daemon_link_call(&req, 1, &reply, why, whylen);
	if (r == -ENOENT)
		return r;
	if (r < 0) {
		cli_error("reclaim", "the daemon %s: try --standalone", why);
		return EXIT_ERROR;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		cli_error("reclaim", "the daemon refused: %s",
			  json_string_value(json_object_get(reply, "error")) ?: "?");
		json_decref(reply);
		return EXIT_FLAGGED;
	}
	daemon = json_object_get(reply, "daemon");
	dry_run = json_is_true(json_object_get(reply, "dry_run"));
	r = json_is_true(json_object_get(reply, "failed")) ? EXIT_FLAGGED : EXIT_CLEAN;
	if (a->common.json) {
		json_object_del(reply, "ok");
		json_object_del(reply, "request");
		json_object_del(reply, "failed");
		json_print(reply);
	} else {
		daemon_link_line(stdout, daemon, NULL);
		print_result(reply, dry_run);
	}
	json_decref(reply);
	return r;
}

int verb_reclaim(int argc, char **argv)
{
	struct reclaim_args a = { .lever = -1 };
	struct dlog log = { .foreground = true, .journal = true, .err = stdout, .verb = "reclaim" };
	struct manual_reclaim m = { .log = &log };
	struct engine eng = { 0 };
	struct topology topo;
	char reach_why[PATH_MAX + 160];
	char why[160] = "not asked (--root, --set, --docker-root or --standalone)";
	int r;

	policy_config_default(&a.cfg);
	r = parse_args(argc, argv, &a);
	if (r <= 0)
		return r < 0 ? EXIT_ERROR : EXIT_CLEAN;
	if (!a.standalone && !a.common.root && !a.set_given && !a.docker_root) {
		r = via_daemon(&a, why, sizeof(why));
		if (r != -ENOENT)
			return r;
	}
	m.cfg = &a.cfg;
	m.root = a.common.root;
	m.dry_run = a.dry_run;
	m.lever = a.lever;
	m.log_decisions = !a.common.json;
	log.foreground = !a.common.json;
	if (!a.common.json)
		daemon_link_line(stdout, NULL, why);
	if (engine_init(&eng, a.common.root, a.docker_root, NULL) < 0)
		cli_error("reclaim", "cannot read the cgroup layout: cgroup levers off");
	/* Whether per-file eviction can open the engine's files from here,
	 * known before planning. */
	topology_read(a.common.root, NULL, TOPOLOGY_ENGINE_TIMEOUT_MS, &topo);
	eng.files_out_of_reach = topology_files_out_of_reach(&topo, reach_why, sizeof(reach_why));
	eng.root_by_id = topology_root_by_id(&topo);
	r = manual_reclaim_run(&m, &eng);
	engine_free(&eng);
	if (r < 0 || !m.doc) {
		cli_error("reclaim", "out of memory");
		json_decref(m.doc);
		return EXIT_ERROR;
	}
	if (a.common.json) {
		json_object_set_new(m.doc, "daemon", daemon_link_absent(why));
		json_print(m.doc);
	} else {
		printf("returned %llu bytes%s\n", (unsigned long long)m.returned,
		       a.dry_run ? " (dry run: nothing was written)" : "");
	}
	json_decref(m.doc);
	return m.failed ? EXIT_FLAGGED : EXIT_CLEAN;
}
