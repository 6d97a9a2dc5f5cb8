/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/topology.h"
#include "cli/cli.h"
#include "outputs/top.h"
#include "shared/json_util.h"
#include "shared/util.h"
#include "sources/cgroup_layout.h"
#include "sources/meminfo.h"
#include "tracker/tracker.h"

#define NSEC 1000000000ull

enum { OPT_ONCE = OPT_COMMON_LAST, OPT_DURATION, OPT_INTERVAL, OPT_LIMIT };

struct top_args {
	struct cli_common common;
	bool once;
	double duration, interval;
	enum tracker_mode mode;
	const char *docker_root;
	size_t limit;
	bool verbose;
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	stop_requested = 1;
}

static void top_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s top [--interval SECONDS] [--limit N] [--bpf-mode MODE]\n"
		"       %s top --once [--duration SECONDS] [--json] ...\n"
		"\n"
		"Shows who fills the page cache: bytes added, removed and dirtied per cgroup\n"
		"and process class, and the files that gained the most, from eBPF.\n"
		"\n"
		"  --once              sample for --duration seconds, print once, exit\n"
		"  --duration SECONDS  how long --once samples (default 5)\n"
		"  --interval SECONDS  refresh period of the live view (default 1)\n"
		"  --json              with --once: one JSON document (see wsldock-agent(8))\n"
		"  --limit N           rows and files shown (default 20)\n"
		"  --bpf-mode MODE     auto (default), fentry, tp_btf or tracepoint\n"
		"  --docker-root DIR   Docker's data root, to name files (default /var/lib/docker)\n"
		"  --root DIR          read /proc, /sys and the data root under DIR (the\n"
		"                      programs still watch the running kernel)\n"
		"  -v, --verbose       on a verifier rejection, print the end of its log\n"
		"  -h, --help          show this help\n"
		"\n"
		"Exit status: 0 sampled, 1 BPF unavailable (the reason is printed),\n"
		"2 usage error.\n",
		program_name, program_name);
}

static int parse_seconds(const char *s, double *ret)
{
	double v;

	if (parse_double(s, &v) < 0 || v <= 0 || v > 86400)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int top_option(int c, const char *arg, void *u)
{
	struct top_args *a = u;
	uint64_t n;

	switch (c) {
	case OPT_ONCE:
		a->once = true;
		return 0;
	case 'v':
		a->verbose = true;
		return 0;
	case OPT_DURATION:
	case OPT_INTERVAL:
		if (parse_seconds(arg, c == OPT_DURATION ? &a->duration : &a->interval) < 0) {
			cli_error("top", "--%s: expected seconds in (0, 86400], got '%s'",
				  c == OPT_DURATION ? "duration" : "interval", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_BPF_MODE:
		return cli_bpf_mode("top", arg, &a->mode);
	case OPT_DOCKER_ROOT:
		a->docker_root = arg;
		return 0;
	case OPT_LIMIT:
		if (parse_u64(arg, &n) < 0 || !n || n > 100000) {
			cli_error("top", "--limit: expected 1..100000, got '%s'", arg);
			return -EINVAL;
		}
		a->limit = (size_t)n;
		return 0;
	default:
		top_usage(stderr);
		return -EINVAL;
	}
}

static int parse_args(int argc, char **argv, struct top_args *a)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS, CLI_OPT_BPF_MODE, CLI_OPT_DOCKER_ROOT,
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_verb verb = { "top", options, "hv", top_usage, top_option, 0 };
	int r = cli_parse(&verb, argc, argv, &a->common, a);

	if (r <= 0)
		return r;
	if (a->common.json && !a->once) {
		cli_error("top", "--json needs --once");
		return -EINVAL;
	}
	return 1;
}

/* Sleeps until deadline, handling the resolver's container events as they
 * come (a build step's container lives about a second). */
static void wait_until(uint64_t deadline, struct resolver *res)
{
	struct pollfd p = { .fd = res ? resolver_watch_fd(res) : -1, .events = POLLIN };

	while (!stop_requested) {
		uint64_t now = clock_now_ns(CLOCK_MONOTONIC);

		if (now >= deadline)
			return;
		if (poll(&p, 1, (int)((deadline - now + 999999) / 1000000)) > 0)
			resolver_process_events(res);
	}
}

static uint64_t page_cache_bytes(const char *root)
{
	struct kv_table t;
	struct source_status st = { 0 };
	struct diag_list d = { 0 };
	uint64_t v = 0;

	meminfo_init(&t);
	if (meminfo_read(root, &t, &st, &d) >= 0 && kv_has(&t, MI_CACHED))
		v = t.values[MI_CACHED];
	diag_free(&d);
	return v;
}

static int print_once(const struct top_view *v, struct top_meta *m, bool json)
{
	json_t *doc;
	int r;

	if (!json) {
		top_text(stdout, v, m);
		r = fflush(stdout) == EOF || ferror(stdout) ? -errno : 0;
	} else {
		doc = top_json(v, m);
		r = doc ? json_print(doc) : -ENOMEM;
		json_decref(doc);
	}
	if (r < 0)
		cli_error("top", "cannot write the view: %s", strerror(r == -EIO ? EIO : -r));
	return r;
}

/* The verifier states its reason at the end of the log. */
static void print_log_tail(const char *log, int lines)
{
	const char *p = log + strlen(log);

	while (p > log && p[-1] == '\n')
		p--;
	while (p > log && lines > 0)
		if (*--p == '\n')
			lines--;
	if (*p == '\n')
		p++;
	fprintf(stderr, "%s top: the verifier's log ends:\n%s", program_name, p);
	if (!*p || p[strlen(p) - 1] != '\n')
		fputc('\n', stderr);
}

/* Without BPF: say why once, then show what /proc has, never made-up rows. */
static int run_unavailable(const struct top_args *a, struct top_meta *m)
{
	uint64_t start = clock_now_ns(CLOCK_MONOTONIC);

	do {
		wait_until(clock_now_ns(CLOCK_MONOTONIC) + (uint64_t)((a->once ? a->duration : a->interval) * NSEC), NULL);
		m->duration_s = (double)(clock_now_ns(CLOCK_MONOTONIC) - start) / NSEC;
		m->page_cache_bytes = page_cache_bytes(a->common.root);
		if (!a->once && isatty(STDOUT_FILENO))
			fputs("\033[H\033[2J", stdout);
		if (print_once(NULL, m, a->common.json) < 0)
			return EXIT_ERROR;
	} while (!a->once && !stop_requested);
	return EXIT_FLAGGED;
}

static int run_tracker(const struct top_args *a, struct tracker *t, struct resolver *res,
		       struct top_meta *m)
{
	struct ledger l;
	struct top_view v;
	uint64_t start = clock_now_ns(CLOCK_MONOTONIC), next = start, end = start + (uint64_t)(a->duration * NSEC);
	uint64_t period = (uint64_t)((a->once ? 1.0 : a->interval) * NSEC);
	int r = EXIT_CLEAN, e;

	ledger_init(&l, (uint64_t)sysconf(_SC_PAGESIZE), start);
	for (;;) {
		next += period;
		if (a->once && next > end)
			next = end;
		wait_until(next, res);
		e = tracker_sample(t, &l, clock_now_ns(CLOCK_MONOTONIC));
		if (e < 0) {
			cli_error("top", "cannot read the BPF maps: %s", strerror(-e));
			r = EXIT_ERROR;
			break;
		}
		resolver_tick(res);
		/* Name what is there now: cgroups and containers may be gone later. */
		top_view_resolve(&l, res);
		if (a->once && clock_now_ns(CLOCK_MONOTONIC) < end && !stop_requested)
			continue;
		if (top_view_build(&l, res, a->limit, &v) < 0) {
			cli_error("top", "out of memory");
			r = EXIT_ERROR;
			break;
		}
		m->duration_s = (double)(clock_now_ns(CLOCK_MONOTONIC) - start) / NSEC;
		m->page_cache_bytes = page_cache_bytes(a->common.root);
		if (!a->once && isatty(STDOUT_FILENO))
			fputs("\033[H\033[2J", stdout);
		if (print_once(&v, m, a->common.json) < 0)
			r = EXIT_ERROR;
		top_view_free(&v);
		if (a->once || stop_requested || r != EXIT_CLEAN)
			break;
	}
	ledger_free(&l);
	return r;
}

int verb_top(int argc, char **argv)
{
	struct top_args a = { .duration = 5, .interval = 1, .limit = 20 };
	struct tracker_opts to = { 0 };
	struct top_meta m = { 0 };
	struct topology topo;
	char placement[PATH_MAX + 256], engine[PATH_MAX + 512];
	struct cgroup_layout cg;
	struct source_status st = { 0 };
	struct diag_list d = { 0 };
	struct tracker *t = NULL;
	struct resolver *res = NULL;
	struct sigaction sa = { .sa_handler = on_stop };
	char why[640], verifier_log[16384] = "";
	int r;

	r = parse_args(argc, argv, &a);
	if (r <= 0)
		return r < 0 ? EXIT_ERROR : EXIT_CLEAN;
	m.limit = a.limit;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (cgroup_layout_read(a.common.root, &cg, &st, &d) < 0 || !cg.unified_path[0]) {
		diag_print(&d, stderr, program_name);
		cli_error("top", "no cgroup2 mount found: cannot name cgroups");
	}
	diag_free(&d);
	m.cgroup2 = cg.unified_path[0] ? cg.unified_path : NULL;
	topology_read(a.common.root, a.common.root ? "none" : NULL, TOPOLOGY_ENGINE_TIMEOUT_MS, &topo);
	topology_placement_line(&topo, placement, sizeof(placement));
	topology_engine_line(&topo, engine, sizeof(engine));
	m.placement = placement;
	m.engine = engine;
	/* Hybrid: the v2 tree holds no processes worth naming; the programs
	 * key them by their v1 memory cgroup instead. */
	if (cg.memcg == MEMCG_V1 && cg.unified_path[0])
		m.note = "note: the memory controller is on cgroup v1 here and processes sit in the "
			 "cgroup v2 root, so rows are named by their v1 memory cgroup (memory:/...)";
	to.root = a.common.root;
	to.mode = a.mode;
	to.verifier_log = a.verbose ? verifier_log : NULL;
	to.verifier_log_size = sizeof(verifier_log);
	if (tracker_open(&to, &t, why, sizeof(why)) < 0) {
		cli_error("top", "BPF tracker unavailable, showing /proc figures only: %s", why);
		if (verifier_log[0])
			print_log_tail(verifier_log, 20);
		m.unavailable = why;
		return run_unavailable(&a, &m);
	}
	m.mode = tracker_mode_name(tracker_mode(t));
	m.probe_log = tracker_probe_log(t);
	fprintf(stderr, "%s top: bpf mode %s (%s)\n", program_name, m.mode, m.probe_log);
	r = resolver_new(&(struct resolver_opts){ .root = a.common.root,
						  .cgroup2_mount = cg.unified_path,
						  .memcg_v1_mount = cg.memcg == MEMCG_V1 ? cg.memcg_path : NULL,
						  .docker_root = a.docker_root },
			 &res);
	if (r < 0) {
		cli_error("top", "out of memory");
		r = EXIT_ERROR;
		goto out;
	}
	r = run_tracker(&a, t, res, &m);
out:
	resolver_free(res);
	tracker_close(t);
	return r;
}
