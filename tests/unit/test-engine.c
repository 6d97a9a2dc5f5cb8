/* SPDX-License-Identifier: MIT */
/* The engine end to end without BPF or root: a hand-made ledger (what the
 * tracker would fold in), a small tree standing for /proc and the cgroup2
 * hierarchy, the real observer and policy, and fake levers that record
 * what they were asked to do.  The levers are faked because a real
 * memory.reclaim needs root and a cgroup2 memory controller (the daemon's
 * script tests, tests/daemon/, run the real ones). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdbool.h>

#include <cmocka.h>
#include "unit.h"
#include "testutil.h"

#include "engine/engine.h"
#include "shared/util.h"
#include "tracker/classify.h"
#include "tracker/resolve.h"

#define S NSEC_PER_SEC
#define PAGE 4096ull
#define MAX_ACTIONS 16

/* Two BuildKit step cgroups (class docker-build by their path). */
#define CG1 101
#define CG2 102

static char root[4096];

struct fake {
	uint64_t now;                    /* CLOCK_MONOTONIC of the fake clock */
	bool grows[3];                   /* [1], [2]: CGn gained pages in the last sample */
	struct action_request asked[MAX_ACTIONS];
	char paths[MAX_ACTIONS][8][64];  /* the cgroups each action targeted */
	size_t nasked;
	const char *reasons[64];
	size_t nreasons;
	bool acted_on_growing;           /* an action reached a cgroup or file still growing */
};

static int setup(void **state)
{
	snprintf(root, sizeof(root), "%s", tree_from_fixture(NULL));
	tree_write_str(root, "/proc/self/mounts",
		       "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec 0 0\n");
	tree_write_str(root, "/sys/fs/cgroup/cgroup.controllers", "cpu io memory pids\n");
	tree_write_str(root, "/sys/fs/cgroup/buildkit/s1/memory.stat", "anon 0\nfile 419430400\n");
	tree_write_str(root, "/sys/fs/cgroup/buildkit/s2/memory.stat", "anon 0\nfile 419430400\n");
	tree_write_str(root, "/proc/meminfo",
		       "MemTotal: 16000000 kB\nMemFree: 8000000 kB\nCached: 4000000 kB\n"
		       "Active(file): 1000000 kB\nInactive(file): 3000000 kB\nDirty: 0 kB\n"
		       "Writeback: 0 kB\nShmem: 1000 kB\n");
	return 0;
}

static int teardown(void **state)
{
	tree_destroy(root);
	return 0;
}

static uint64_t fake_now(void *u, bool realtime)
{
	struct fake *f = u;

	return realtime ? 1700000000ull * S + f->now : f->now;
}

static void on_decision(void *u, const struct policy_decision *d, enum policy_state before)
{
	struct fake *f = u;

	if (f->nreasons < ELEMENTSOF(f->reasons))
		f->reasons[f->nreasons++] = d->reason;
}

/* The fake lever: takes what it was asked for and returns all of it. */
static int fake_act(void *u, const struct action_request *q, struct action_result *r)
{
	struct fake *f = u;
	size_t n = f->nasked;

	assert_true(n < MAX_ACTIONS);
	f->asked[n] = *q;
	for (size_t i = 0; i < q->ncgroups && i < 8; i++) {
		const char *p = q->cgroups[i].v2_path ? q->cgroups[i].v2_path : "";

		snprintf(f->paths[n][i], sizeof(f->paths[n][i]), "%s", p);
		if ((f->grows[1] && !strcmp(p, "/buildkit/s1")) ||
		    (f->grows[2] && !strcmp(p, "/buildkit/s2")))
			f->acted_on_growing = true;
	}
	for (size_t i = 0; i < q->nfiles; i++)
		if ((f->grows[1] && q->files[i].ino == CG1) || (f->grows[2] && q->files[i].ino == CG2))
			f->acted_on_growing = true;
	if (q->ndirs && (f->grows[1] || f->grows[2]))
		f->acted_on_growing = true;  /* the data root's walk reaches every build */
	f->nasked++;
	f->now += S / 2;  /* a lever takes time */
	r->lever = q->lever;
	r->dry_run = q->dry_run;
	r->bytes_targeted = q->bytes_wanted;
	r->bytes_returned = q->lever == LEVER_COMPACT ? 0 : q->bytes_wanted;
	return 0;
}

/* The tracker's snapshot: cumulative pages per cgroup and per file (one
 * file per cgroup, its inode = the cgroup's id), no task entries (the
 * path's class decides). */
/* What the BPF side vouches for (tracker/classify.h): root's processes in
 * root's cgroups, unless a test plays an unprivileged user. */
#define ROOT (CLASSIFY_TRUST_ROOT_PROCESS | CLASSIFY_TRUST_ROOT_CGROUP)
static uint32_t sample_trust = ROOT;

static void sample(struct ledger *l, uint64_t t, uint64_t pages1, uint64_t pages2)
{
	struct ledger_item cg[] = {
		{ .key = { CG1, 0 }, .pages = { pages1, 0, 0 }, .path_hint = "/buildkit/s1",
		  .trust = sample_trust },
		{ .key = { CG2, 0 }, .pages = { pages2, 0, 0 }, .path_hint = "/buildkit/s2",
		  .trust = sample_trust },
	};
	struct ledger_item files[] = {
		{ .key = { ledger_file_key_a(8, 1), CG1 }, .pages = { pages1, 0, 0 },
		  .comm = "sh", .parent_comm = "buildkit-runc", .owner_cgid = CG1,
		  .trust = sample_trust },
		{ .key = { ledger_file_key_a(8, 1), CG2 }, .pages = { pages2, 0, 0 },
		  .comm = "sh", .parent_comm = "buildkit-runc", .owner_cgid = CG2,
		  .trust = sample_trust },
	};
	struct ledger_snapshot s = { .items = { cg, NULL, files },
				     .n = { ELEMENTSOF(cg), 0, ELEMENTSOF(files) } };

	assert_int_equal(ledger_update(l, &s, t), 0);
}

struct run {
	struct engine e;
	struct policy_config cfg;
	struct policy_history h;
	struct ledger l;
	struct resolver *res;
	struct fake f;
	bool host_low;               /* the bridge says Windows is low on memory */
};

static void run_init(struct run *r)
{
	char err[128];

	memset(r, 0, sizeof(*r));
	policy_config_default(&r->cfg);
	/* The builds here are a few hundred MiB: drop-behind starts above
	 * 1 GiB unless a test says otherwise. */
	assert_int_equal(policy_config_set(&r->cfg, "drop_behind_min=1G", err, sizeof(err)), 0);
	policy_init(&r->h);
	ledger_init(&r->l, PAGE, 0);
	assert_int_equal(resolver_new(&(struct resolver_opts){ .root = root,
							      .cgroup2_mount = "/sys/fs/cgroup" },
				      &r->res),
			 0);
	r->e.hooks = (struct engine_hooks){ .on_decision = on_decision, .act = fake_act,
					    .now = fake_now, .ud = &r->f };
	assert_int_equal(engine_init(&r->e, root, NULL, r->res), 0);
	assert_int_equal(r->e.ob.cg.memcg, MEMCG_V2);
}

static void run_free(struct run *r)
{
	engine_free(&r->e);
	resolver_free(r->res);
	ledger_free(&r->l);
	policy_history_free(&r->h);
}

/* One sample as the daemon takes it: the ledger, the engine's one pass,
 * the policy folding it in, then decide -> act -> record -> observe. */
static void tick(struct run *r, unsigned t, uint64_t mib1, uint64_t mib2, bool build_running)
{
	static uint64_t last1, last2;
	struct policy_obs o = { .leader = true, .build_running = build_running,
				.host_low = r->host_low };

	if (t == 1)
		last1 = last2 = 0;
	r->f.grows[1] = mib1 > last1;
	r->f.grows[2] = mib2 > last2;
	last1 = mib1;
	last2 = mib2;
	r->f.now = (uint64_t)t * S;
	o.now_ns = fake_now(&r->f, false);
	o.realtime_ns = fake_now(&r->f, true);
	sample(&r->l, o.now_ns, mib1 * MIB / PAGE, mib2 * MIB / PAGE);
	resolver_tick(r->res);
	assert_int_equal(engine_observe(&r->e, &r->cfg, &r->h, &r->l, &o), 0);
	assert_int_equal(policy_observe(&r->cfg, &r->h, &o), 0);
	assert_int_equal(engine_run(&r->e, &r->cfg, &r->h, &r->l, &o), 0);
}

/* The engine's rows come from the ledger directly: the growth of the last
 * interval, the path and, in a sample that may act, the targets. */
static void test_rows_from_ledger(void **state)
{
	struct run r;
	struct policy_obs o = { .leader = true };

	run_init(&r);
	sample(&r.l, 1 * S, 0, 0);
	sample(&r.l, 2 * S, 100 * MIB / PAGE, 0);
	/* Idle history: no targets, only the files that gained pages. */
	assert_int_equal(engine_observe(&r.e, &r.cfg, &r.h, &r.l, &o), 0);
	assert_true(o.tracker);
	assert_int_equal(o.interval_ns, S);
	assert_int_equal(o.ncgroups, 1);
	assert_int_equal(o.cgroups[0].cgid, CG1);
	assert_int_equal(o.cgroups[0].class, TCLASS_DOCKER_BUILD);
	assert_int_equal(o.cgroups[0].added_last, 100 * MIB);
	assert_null(o.cgroups[0].v2_target);
	assert_int_equal(o.nfiles, 1);
	assert_int_equal(o.files[0].class, TCLASS_DOCKER_BUILD);
	assert_false(o.psi_known);
	/* Nothing moved since: the same rows, no growth, no file. */
	sample(&r.l, 3 * S, 100 * MIB / PAGE, 0);
	assert_int_equal(engine_observe(&r.e, &r.cfg, &r.h, &r.l, &o), 0);
	assert_int_equal(o.ncgroups, 1);
	assert_int_equal(o.cgroups[0].added, 100 * MIB);
	assert_int_equal(o.cgroups[0].added_last, 0);
	assert_int_equal(o.nfiles, 0);
	/* A history with an episode: targets and every file, in the same pass. */
	r.h.state = PSTATE_GROWING;
	assert_int_equal(engine_observe(&r.e, &r.cfg, &r.h, &r.l, &o), 0);
	assert_string_equal(o.cgroups[0].path, "/buildkit/s1");
	assert_string_equal(o.cgroups[0].v2_target, "/buildkit/s1");
	assert_true(o.cgroups[0].target_cache_known);
	assert_int_equal(o.cgroups[0].target_cache, 400 * MIB);
	assert_int_equal(o.nfiles, 1);
	run_free(&r);
}

/* One build grows for 20 s: no lever runs while it does.  It stops: after
 * the quiet period, memory.reclaim on its cgroup, then compaction. */
static void test_never_acts_while_growing(void **state)
{
	struct run r;
	unsigned t;

	run_init(&r);
	for (t = 1; t <= 20; t++) {
		tick(&r, t, 20 * (t - 1), 0, false);
		assert_int_equal(r.f.nasked, 0);
	}
	assert_int_equal(r.h.state, PSTATE_GROWING);
	for (; t <= 23 && !r.f.nasked; t++)
		tick(&r, t, 380, 0, false);
	assert_int_equal(t - 1, 23);  /* 3 s of quiet */
	assert_int_equal(r.f.nasked, 2);
	assert_int_equal(r.f.asked[0].lever, LEVER_MEMCG_RECLAIM);
	assert_int_equal(r.f.asked[0].ncgroups, 1);
	assert_string_equal(r.f.paths[0][0], "/buildkit/s1");
	assert_int_equal(r.f.asked[0].bytes_wanted, 380 * MIB);
	assert_int_equal(r.f.asked[1].lever, LEVER_COMPACT);
	assert_false(r.f.acted_on_growing);
	assert_int_equal(r.h.state, PSTATE_IDLE);
	run_free(&r);
}

/* Two builds: s1 stops, s2 keeps growing.  s1 is reclaimed on its own;
 * s2 is never touched (nor its files, nor the data root) while it grows. */
static void test_partial_never_touches_growing(void **state)
{
	struct run r;
	unsigned t;

	run_init(&r);
	for (t = 1; t <= 30; t++) {
		uint64_t s1 = t < 5 ? 100 * (t - 1) : 400;

		tick(&r, t, s1, 10 * (t - 1), false);
		assert_false(r.f.acted_on_growing);
	}
	assert_true(r.f.nasked >= 1);
	assert_string_equal(r.f.paths[0][0], "/buildkit/s1");
	assert_int_equal(r.f.asked[0].ncgroups, 1);
	for (size_t i = 0; i < r.f.nasked; i++)
		assert_int_not_equal(r.f.asked[i].lever, LEVER_DROP_CACHES);
	run_free(&r);
}

/* The same names and paths from an unprivileged user's process in a cgroup
 * it made (delegation): nothing the engine hands the policy is a build, so
 * no episode opens and no lever runs (issue 19: comm alone steers nothing). */
static void test_untrusted_names_open_no_episode(void **state)
{
	struct run r;
	unsigned t;

	run_init(&r);
	sample_trust = 0;
	for (t = 1; t <= 30; t++)
		tick(&r, t, t < 10 ? 100 * (t - 1) : 800, 0, false);
	sample_trust = ROOT;
	assert_int_equal(r.f.nasked, 0);
	assert_int_equal(r.h.state, PSTATE_IDLE);
	run_free(&r);
}

/* A build is known to be running: quiet for a minute, no lever; once it is
 * not, the episode ends as usual. */
static void test_never_ends_while_build_running(void **state)
{
	struct run r;
	unsigned t;

	run_init(&r);
	for (t = 1; t <= 60; t++) {
		tick(&r, t, t < 5 ? 100 * (t - 1) : 300, 0, true);
		assert_int_equal(r.f.nasked, 0);
		if (t >= 2)
			assert_int_equal(r.h.state, PSTATE_GROWING);
	}
	tick(&r, t, 300, 0, false);
	assert_int_equal(r.f.nasked, 2);
	assert_int_equal(r.f.asked[0].lever, LEVER_MEMCG_RECLAIM);
	run_free(&r);
}

/* Drop-behind: a build that outgrows drop_behind_min while it runs gets
 * memory.reclaim on its own cgroup, the rest it holds beyond what it keeps,
 * in the same pass as the sample; the other build, below it, is left
 * alone. */
static void test_drop_behind_while_growing(void **state)
{
	struct run r;
	char err[128];
	unsigned t;

	run_init(&r);
	assert_int_equal(policy_config_set(&r.cfg, "drop_behind=yes", err, sizeof(err)), 0);
	assert_int_equal(policy_config_set(&r.cfg, "drop_behind_min=200M", err, sizeof(err)), 0);
	for (t = 1; t <= 12 && !r.f.nasked; t++)
		tick(&r, t, 40 * (t - 1), 0, true);
	assert_int_equal(r.f.nasked, 1);
	assert_int_equal(r.f.asked[0].lever, LEVER_MEMCG_RECLAIM);
	assert_int_equal(r.f.asked[0].ncgroups, 1);
	assert_string_equal(r.f.paths[0][0], "/buildkit/s1");
	/* Held at the first step over 200 MiB + lever_min: 240 MiB. */
	assert_int_equal(t - 1, 7);
	assert_int_equal(r.f.asked[0].bytes_wanted, 40 * MIB);
	assert_int_equal(r.h.state, PSTATE_GROWING);
	run_free(&r);
}

/* drop_behind=auto, the default: a growing build is left alone while
 * Windows has memory, and given back in steps once the bridge says it is
 * low.  On 88ca800 nothing was given back while a build ran. */
static void test_drop_behind_auto_on_host_low(void **state)
{
	struct run r;
	char err[128];
	unsigned t;

	run_init(&r);
	assert_int_equal(policy_config_set(&r.cfg, "drop_behind_min=200M", err, sizeof(err)), 0);
	for (t = 1; t <= 12; t++)
		tick(&r, t, 40 * (t - 1), 0, true);
	assert_int_equal(r.f.nasked, 0);
	assert_int_equal(r.h.state, PSTATE_GROWING);
	r.host_low = true;
	tick(&r, 13, 480, 0, true);
	assert_int_equal(r.f.nasked, 1);
	assert_int_equal(r.f.asked[0].lever, LEVER_MEMCG_RECLAIM);
	assert_string_equal(r.f.paths[0][0], "/buildkit/s1");
	assert_int_equal(r.f.asked[0].bytes_wanted, 280 * MIB);
	assert_int_equal(r.h.state, PSTATE_GROWING);  /* not host pressure's steps */
	run_free(&r);
}

/* Windows is low on memory: one bounded step, then the interval.  The
 * levers take time (the fake one half a second): the decision after a
 * lever is taken on what the engine observed after it, at that time, not
 * on the sample's (which took the step again at once, as often as there
 * were levers). */
static void test_host_step_once_per_interval(void **state)
{
	struct run r;

	run_init(&r);
	tick(&r, 1, 400, 0, false);  /* a build's cache from before the agent */
	r.host_low = true;
	tick(&r, 2, 400, 0, false);
	assert_int_equal(r.h.state, PSTATE_HOST);
	assert_int_equal(r.f.nasked, 1);
	assert_int_equal(r.f.asked[0].lever, LEVER_MEMCG_RECLAIM);
	assert_string_equal(r.f.paths[0][0], "/buildkit/s1");
	assert_int_equal(r.f.asked[0].bytes_wanted, r.cfg.host_step);
	assert_string_equal(r.f.reasons[r.f.nreasons - 1], "host-wait");
	tick(&r, 3, 400, 0, false);
	assert_int_equal(r.f.nasked, 1);  /* host_interval (2 s) is not over */
	tick(&r, 5, 400, 0, false);
	assert_int_equal(r.f.nasked, 2);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_from_ledger),
		cmocka_unit_test(test_never_acts_while_growing),
		cmocka_unit_test(test_partial_never_touches_growing),
		cmocka_unit_test(test_never_ends_while_build_running),
		cmocka_unit_test(test_drop_behind_while_growing),
		cmocka_unit_test(test_drop_behind_auto_on_host_low),
		cmocka_unit_test(test_untrusted_names_open_no_episode),
		cmocka_unit_test(test_host_step_once_per_interval),
	};

	return unit_status(cmocka_run_group_tests(tests, setup, teardown));
}
