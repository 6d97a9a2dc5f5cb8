/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "actions/action_json.h"
#include "cli/cli.h"
#include "daemon/daemon.h"
#include "daemon/observe.h"
#include "shared/json_util.h"

enum { OPT_DRY_RUN = OPT_COMMON_LAST, OPT_LEVER, OPT_DOCKER_ROOT, OPT_SET };

static void reclaim_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s reclaim [--dry-run] [--json] [--lever LEVER] [--set KEY=VALUE]...\n"
		"       [--docker-root DIR] [--root DIR]\n"
		"\n"
		"One decision now, outside the daemon: the page cache of Docker's cgroups\n"
		"(memory.stat) and Docker's data root are the episode; the levers are tried in\n"
		"order under the guardrails, then memory is compacted.  Prints each decision,\n"
		"what each lever did and what came back.\n"
		"\n"
		"  --dry-run           decide and measure; write nothing anywhere\n"
		"  --json              one JSON document (see wsldock-agent(8))\n"
		"  --lever LEVER       only this lever: memory.reclaim, force_empty, fadvise,\n"
		"                      drop_caches or compact\n"
		"  --set KEY=VALUE     override one policy setting (RECLAIM POLICY)\n"
		"  --docker-root DIR   Docker's data root (default /var/lib/docker)\n"
		"  --root DIR          read /proc and /sys under DIR\n"
		"  -h, --help          show this help\n"
		"\n"
		"Exit status: 0 done (or nothing to do), 1 a lever failed (its errno is\n"
		"printed), 2 usage error.\n",
		program_name);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static json_t *decision_json(const struct policy_decision *d)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:I}", "episode", (json_int_t)d->episode,
			 "lever", d->verdict == POLICY_ACT ? lever_name(d->lever) : "none",
			 "reason", d->reason, "detail", d->detail,
			 "bytes_targeted", (json_int_t)d->bytes_targeted,
			 "bytes_wanted", (json_int_t)d->bytes_wanted);
}

struct reclaim_args {
	struct cli_common common;
	bool dry_run;
	int lever;
	const char *docker_root;
	struct policy_config cfg;
};

static int parse_args(int argc, char **argv, struct reclaim_args *a)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "lever", required_argument, NULL, OPT_LEVER },
		{ "docker-root", required_argument, NULL, OPT_DOCKER_ROOT },
		{ "set", required_argument, NULL, OPT_SET },
		{ NULL, 0, NULL, 0 },
	};
	enum lever l;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		int handled = cli_common_option(c, optarg, &a->common);

		if (handled < 0)
			return -EINVAL;
		if (handled)
			continue;
		switch (c) {
		case 'h':
			reclaim_usage(stdout);
			return 0;
		case OPT_DRY_RUN:
			a->dry_run = true;
			break;
		case OPT_LEVER:
			if (lever_from_string(optarg, &l) < 0) {
				cli_error("reclaim", "--lever: unknown lever '%s' (memory.reclaim, "
					  "force_empty, fadvise, drop_caches, compact)", optarg);
				return -EINVAL;
			}
			a->lever = (int)l;
			break;
		case OPT_DOCKER_ROOT:
			a->docker_root = optarg;
			break;
		case OPT_SET:
			if (cli_policy_set("reclaim", &a->cfg, optarg) < 0)
				return -EINVAL;
			break;
		default:
			reclaim_usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		cli_error("reclaim", "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return 1;
}

int verb_reclaim(int argc, char **argv)
{
	struct reclaim_args a = { .lever = -1 };
	struct dlog log = { .foreground = true, .journal = true, .err = stdout, .verb = "reclaim" };
	struct observer ob;
	struct policy_history h;
	struct policy_obs obs = { .leader = true };
	uint64_t returned = 0;
	json_t *doc = NULL, *list = NULL;
	bool failed = false;
	int r;

	policy_config_default(&a.cfg);
	r = parse_args(argc, argv, &a);
	if (r <= 0)
		return r < 0 ? EXIT_ERROR : EXIT_CLEAN;
	if (a.common.json) {
		log.foreground = false;
		doc = json_object();
		list = json_array();
		if (!doc || !list || json_object_set_new(doc, "actions", list) < 0) {
			cli_error("reclaim", "out of memory");
			return EXIT_ERROR;
		}
	}
	if (observer_init(&ob, a.common.root, a.docker_root, NULL) < 0)
		cli_error("reclaim", "cannot read the cgroup layout: cgroup levers off");
	policy_init(&h);
	obs.now_ns = now_ns();
	observe_memory(&ob, false, &obs);
	if (observe_docker_cgroups(&ob, &obs) < 0 || policy_begin_manual(&h, &obs, a.lever) < 0) {
		cli_error("reclaim", "out of memory");
		r = EXIT_ERROR;
		goto out;
	}
	for (int round = 0; round <= _LEVER_MAX; round++) {
		struct policy_decision d;
		struct action_result res = { 0 };
		json_t *item;

		obs.now_ns = now_ns();
		if (policy_decide(&a.cfg, &h, &obs, &d) < 0) {
			cli_error("reclaim", "out of memory");
			failed = true;
			break;
		}
		if (!doc)
			dlog_decision(&log, &d, h.state, a.dry_run);
		if (d.verdict != POLICY_ACT) {
			if (doc)
				json_object_set_new(doc, "decision", decision_json(&d));
			policy_decision_free(&d);
			break;
		}
		d.req.dry_run = a.dry_run;
		d.req.root = a.common.root;
		action_run(&d.req, &res);
		if (res.error)
			failed = true;
		if (d.lever != LEVER_COMPACT)
			returned += res.bytes_returned;
		dlog_action(&log, &d, &res);
		if (doc) {
			item = decision_json(&d);
			if (item)
				json_object_set_new(item, "result", action_result_json(&res));
			json_array_append_new(list, item);
		}
		policy_record(&a.cfg, &h, &d, &res, now_ns());
		/* The cache the levers measured is what is left now. */
		observe_reset(&ob);
		observe_memory(&ob, false, &obs);
		observe_docker_cgroups(&ob, &obs);
		policy_decision_free(&d);
	}
	if (doc) {
		json_object_set_new(doc, "dry_run", json_boolean(a.dry_run));
		json_object_set_new(doc, "bytes_returned", json_integer((json_int_t)returned));
		json_print(doc);
	} else {
		printf("returned %llu bytes%s\n", (unsigned long long)returned,
		       a.dry_run ? " (dry run: nothing was written)" : "");
	}
	r = failed ? EXIT_FLAGGED : EXIT_CLEAN;
out:
	json_decref(doc);
	policy_history_free(&h);
	observer_free(&ob);
	return r;
}
