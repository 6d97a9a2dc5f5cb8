/* SPDX-License-Identifier: MIT */
/* The levers' logic on fake trees (no root needed).  memory.reclaim cannot
 * run on the development machine (its memory controller is on cgroup v1),
 * so the kernel's answers a fake file cannot give - EINVAL for
 * "swappiness=0" before 6.7, EAGAIN once nothing is left, EBUSY, ETIME -
 * are played by a hook in place of the kernel write; everything else
 * (paths, memory.stat, cgroup.events, memory.swap.max, dry-run) is the
 * fake tree's.  The real lever runs in the QEMU guest (tests/vm). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "unit.h"

#include "actions/actions.h"
#include "actions/internal.h"
#include "shared/util.h"
#include "testutil.h"

#define MiB (1024ull * 1024)
#define MAX_WRITES 64

/* A played kernel: records every write; answers as configured. */
static char root[PATH_MAX];

struct kernel {
	bool has_swappiness_arg;   /* 6.7+ */
	uint64_t reclaimable;      /* bytes memory.reclaim can give, then EAGAIN */
	int fail_on_write;         /* 1-based index of a write answered with fail_err */
	int fail_err;
	uint64_t over;             /* extra bytes each step takes (6.1 over-reclaims) */
	uint64_t file;             /* c1's memory.stat file, kept up to date when over */
	unsigned n;
	char name[MAX_WRITES][64];
	char value[MAX_WRITES][64];
};

static int play(struct act_ctx *c, int dirfd, const char *name, const char *value)
{
	struct kernel *k = c->hook_data;
	uint64_t bytes;
	const char *end;

	(void)dirfd;
	assert_true(k->n < MAX_WRITES);
	snprintf(k->name[k->n], sizeof(k->name[0]), "%s", name);
	snprintf(k->value[k->n], sizeof(k->value[0]), "%s", value);
	k->n++;
	if (k->fail_on_write && (int)k->n == k->fail_on_write)
		return k->fail_err;
	if (strcmp(name, "memory.reclaim") != 0)
		return 0;
	assert_int_equal(parse_u64_prefix(value, &bytes, &end), 0);
	if (*end && !k->has_swappiness_arg)
		return -EINVAL;
	if (*end)
		assert_string_equal(end, " swappiness=0");
	if (k->reclaimable < bytes) {
		k->reclaimable = 0;
		return -EAGAIN;
	}
	k->reclaimable -= bytes;
	if (k->over) {
		char stat[64];

		k->file -= bytes + k->over;
		snprintf(stat, sizeof(stat), "file %llu\n", (unsigned long long)k->file);
		tree_write_str(root, "sys/fs/cgroup/docker/c1/memory.stat", stat);
	}
	return 0;
}

static int run_played(const struct action_request *q, struct action_result *r, struct kernel *k)
{
	const struct act_hooks h = { .kwrite = play, .data = k };

	return action_run_hooked(q, r, &h);
}

/* A WSL-like tree (cgroup2 with memory at /sys/fs/cgroup, 4 GiB swap) with
 * one docker cgroup holding 1 GiB of file cache. */
static int setup_v2(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "%s", tree_from_fixture("wsl2-6.6"));
	tree_write_str(root, "sys/fs/cgroup/docker/c1/memory.stat", "anon 4096\nfile 1073741824\n");
	tree_write_str(root, "sys/fs/cgroup/docker/c1/cgroup.events", "populated 1\nfrozen 0\n");
	tree_write_str(root, "sys/fs/cgroup/docker/c1/memory.swap.max", "max\n");
	tree_write_str(root, "sys/fs/cgroup/docker/c1/memory.reclaim", "");
	tree_write_str(root, "sys/fs/cgroup/docker/c2/memory.stat", "file 268435456\n");
	tree_write_str(root, "sys/fs/cgroup/docker/c2/cgroup.events", "populated 0\nfrozen 1\n");
	tree_write_str(root, "sys/fs/cgroup/docker/c2/memory.reclaim", "");
	tree_write_str(root, "sys/fs/cgroup/memory.stat", "file 2147483648\n");
	tree_write_str(root, "sys/fs/cgroup/memory.reclaim", "");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tree_destroy(root);
	return 0;
}

static struct action_request reclaim_req(const struct action_cgroup *cg, size_t n, uint64_t wanted)
{
	return (struct action_request){
		.lever = LEVER_MEMCG_RECLAIM, .root = root, .bytes_wanted = wanted,
		.step_bytes = 64 * MiB, .cgroups = cg, .ncgroups = n,
	};
}

static void read_tree(const char *rel, char *buf, size_t size)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void test_names(void **state)
{
	enum lever l;

	(void)state;
	for (unsigned i = 0; i < _LEVER_MAX; i++) {
		assert_int_equal(lever_from_string(lever_name((enum lever)i), &l), 0);
		assert_int_equal(l, i);
	}
	assert_string_equal(lever_name(LEVER_MEMCG_RECLAIM), "memory.reclaim");
	assert_string_equal(lever_name(LEVER_FILE_EVICT), "fadvise");
	assert_int_equal(lever_from_string("drop-caches", &l), -EINVAL);
	assert_int_equal(lever_from_string(NULL, &l), -EINVAL);
	assert_string_equal(anon_guard_name(ANON_GUARD_SWAP_MAX), "swap.max=0");
	assert_string_equal(lever_name((enum lever)99), "unknown");
}

/* 6.7+: bounded steps with swappiness=0, stopping at bytes_wanted. */
static void test_reclaim_steps(void **state)
{
	struct action_cgroup cg[] = { { .v2_path = "docker/c1", .bytes = 900 * MiB } };
	struct action_request q = reclaim_req(cg, 1, 300 * MiB);
	struct kernel k = { .has_swappiness_arg = true, .reclaimable = 1024 * MiB };
	struct action_result r;

	(void)state;
	assert_int_equal(run_played(&q, &r, &k), 0);
	assert_int_equal(r.steps, 5);  /* 4 x 64 MiB + 44 MiB */
	assert_int_equal(k.n, 5);
	assert_string_equal(k.name[0], "memory.reclaim");
	assert_string_equal(k.value[0], "67108864 swappiness=0");
	assert_string_equal(k.value[4], "46137344 swappiness=0");
	assert_int_equal(r.bytes_targeted, 300 * MiB);
	assert_int_equal(r.before.targets_cache, 1024 * MiB);
	assert_int_equal(r.anon_guard, ANON_GUARD_SWAPPINESS_ARG);
	assert_int_equal(r.error, 0);
}

/* A kernel that reclaims more than asked (6.1): the measured drop counts,
 * so bytes_wanted is not overshot by the confirmed sum lagging behind. */
static void test_reclaim_over(void **state)
{
	struct action_cgroup cg[] = { { .v2_path = "docker/c1" } };
	struct action_request q = reclaim_req(cg, 1, 256 * MiB);
	struct kernel k = { .has_swappiness_arg = true, .reclaimable = 1024 * MiB,
			    .over = 64 * MiB, .file = 1024 * MiB };
	struct action_result r;

	(void)state;
	assert_int_equal(run_played(&q, &r, &k), 0);
	assert_int_equal(r.steps, 2);
	assert_int_equal(r.after.targets_cache, 768 * MiB);
	assert_int_equal(r.bytes_returned, 256 * MiB);
}

/* Before 6.7: EINVAL for swappiness=, then swap.max=0 around plain steps
 * and its old value back. */
static void test_reclaim_swap_max_fallback(void **state)
{
	struct action_cgroup cg[] = { { .v2_path = "docker/c1" } };
	struct action_request q = reclaim_req(cg, 1, 128 * MiB);
	struct kernel k = { .reclaimable = 1024 * MiB };
	struct action_result r;

	(void)state;
	assert_int_equal(run_played(&q, &r, &k), 0);
	assert_int_equal(k.n, 5);
	assert_string_equal(k.value[0], "67108864 swappiness=0");  /* EINVAL */
	assert_string_equal(k.name[1], "memory.swap.max");
	assert_string_equal(k.value[1], "0");
	assert_string_equal(k.value[2], "67108864");
	assert_string_equal(k.value[3], "67108864");
	assert_string_equal(k.name[4], "memory.swap.max");
	assert_string_equal(k.value[4], "max\n");
	assert_int_equal(r.anon_guard, ANON_GUARD_SWAP_MAX);
	assert_int_equal(r.steps, 2);
}

/* The swap limit is restored even when a step fails; the error names the
 * file. */
static void test_reclaim_restore_on_error(void **state)
{
	struct action_cgroup cg[] = { { .v2_path = "docker/c1" } };
	struct action_request q = reclaim_req(cg, 1, 512 * MiB);
	struct kernel k = { .reclaimable = 1024 * MiB, .fail_on_write = 4, .fail_err = -EBUSY };
	struct action_result r;

	(void)state;
	assert_int_equal(run_played(&q, &r, &k), -EBUSY);
	assert_int_equal(r.error, -EBUSY);
	assert_non_null(strstr(r.error_where, "/sys/fs/cgroup/docker/c1/memory.reclaim"));
	assert_string_equal(k.name[k.n - 1], "memory.swap.max");
	assert_string_equal(k.value[k.n - 1], "max\n");
}

/* No swap at all: nothing to guard, plain steps after the EINVAL. */
static void test_reclaim_no_swap(void **state)
{
	struct action_cgroup cg[] = { { .v2_path = "docker/c1" } };
	struct action_request q = reclaim_req(cg, 1, 64 * MiB);
	struct kernel k = { .reclaimable = 1024 * MiB };
	struct action_result r;
	char meminfo[8192], *p;

	(void)state;
	read_tree("proc/meminfo", meminfo, sizeof(meminfo));
	p = strstr(meminfo, "SwapTotal:");
	assert_non_null(p);
	memcpy(p, "SwapTotal:             0 kB", 27);
	tree_write_str(root, "proc/meminfo", meminfo);
	assert_int_equal(run_played(&q, &r, &k), 0);
	assert_int_equal(k.n, 2);
	assert_string_equal(k.value[1], "67108864");
	assert_int_equal(r.anon_guard, ANON_GUARD_NO_SWAP);
}

/* EAGAIN ends that cgroup's steps, not the lever; a frozen cgroup is left
 * alone. */
static void test_reclaim_eagain_frozen_root(void **state)
{
	struct action_cgroup cg[] = {
		{ .v2_path = "docker/c1" }, { .v2_path = "docker/c2" }, { .v2_path = "" },
	};
	struct action_request q = reclaim_req(cg, 3, 0);
	struct kernel k = { .has_swappiness_arg = true, .reclaimable = 100 * MiB };
	struct action_result r;

	(void)state;
	assert_int_equal(run_played(&q, &r, &k), 0);
	assert_int_equal(r.skipped_frozen, 1);
	/* c1: 64 MiB, then EAGAIN; root: EAGAIN at once (nothing left). */
	assert_int_equal(r.steps, 3);
	assert_int_equal(k.n, 3);
	assert_int_equal(r.exhausted, 2);
	assert_int_equal(r.error, 0);

	/* Before 6.7 the root cgroup has no memory.swap.max: vm.swappiness=0
	 * for the call, restored; without that knob, refused. */
	k = (struct kernel){ .reclaimable = 100 * MiB };
	q.cgroups = &cg[2];
	q.ncgroups = 1;
	q.bytes_wanted = 64 * MiB;
	tree_write_str(root, "proc/sys/vm/swappiness", "60\n");
	assert_int_equal(run_played(&q, &r, &k), 0);
	assert_int_equal(k.n, 4);
	assert_string_equal(k.name[1], "swappiness");
	assert_string_equal(k.value[1], "0");
	assert_string_equal(k.value[2], "67108864");
	assert_string_equal(k.name[3], "swappiness");
	assert_string_equal(k.value[3], "60\n");
	assert_int_equal(r.anon_guard, ANON_GUARD_VM_SWAPPINESS);

	tree_remove(root, "proc/sys/vm/swappiness");
	k = (struct kernel){ .reclaimable = 100 * MiB };
	assert_int_equal(run_played(&q, &r, &k), -EOPNOTSUPP);
	assert_non_null(strstr(r.error_where, "memory.swap.max"));
	assert_int_equal(k.n, 1);  /* only the refused swappiness= probe */
}

/* Past the deadline a step comes back ETIME: the lever stops, the guard
 * is still restored. */
static void test_reclaim_deadline(void **state)
{
	struct action_cgroup cg[] = { { .v2_path = "docker/c1" }, { .v2_path = "docker/c1" } };
	struct action_request q = reclaim_req(cg, 2, 0);
	struct kernel k = { .reclaimable = 1024 * MiB, .fail_on_write = 3, .fail_err = -ETIME };
	struct action_result r;

	(void)state;
	assert_int_equal(run_played(&q, &r, &k), -ETIME);
	assert_int_equal(k.n, 4);  /* probe, swap.max=0, the step, swap.max back */
	assert_string_equal(k.value[3], "max\n");
}

/* A cgroup not visible by path and a fake tree (not kernfs) for its id:
 * unreachable, and with nothing reached that is the lever's error. */
static void test_reclaim_unreachable(void **state)
{
	struct action_cgroup cg[] = { { .cgid = 12345, .v2_path = "not/here" } };
	struct action_request q = reclaim_req(cg, 1, 0);
	struct kernel k = { .has_swappiness_arg = true };
	struct action_result r;

	(void)state;
	assert_true(run_played(&q, &r, &k) < 0);
	assert_int_equal(r.unreachable, 1);
	assert_non_null(strstr(r.error_where, "cgroup id 12345"));
	assert_int_equal(k.n, 0);
}

/* Dry-run: targets measured, nothing written - neither through the hook
 * nor, without it, into the fake knob. */
static void test_reclaim_dry_run(void **state)
{
	struct action_cgroup cg[] = { { .v2_path = "docker/c1", .bytes = 900 * MiB } };
	struct action_request q = reclaim_req(cg, 1, 0);
	struct kernel k = { .has_swappiness_arg = true, .reclaimable = 1024 * MiB };
	struct action_result r;
	char buf[256];

	(void)state;
	q.dry_run = true;
	assert_int_equal(run_played(&q, &r, &k), 0);
	assert_int_equal(k.n, 0);
	assert_int_equal(r.bytes_targeted, 900 * MiB);
	assert_int_equal(r.steps, 0);
	assert_int_equal(r.bytes_returned, 0);
	assert_int_equal(action_run(&q, &r), 0);
	read_tree("sys/fs/cgroup/docker/c1/memory.reclaim", buf, sizeof(buf));
	assert_string_equal(buf, "");
}

/* Without the hook the real write reaches the fake knob: the path is the
 * one under --root. */
static void test_reclaim_real_write_path(void **state)
{
	struct action_cgroup cg[] = { { .v2_path = "docker/c1" } };
	struct action_request q = reclaim_req(cg, 1, 64 * MiB);
	struct action_result r;
	char buf[256];

	(void)state;
	assert_int_equal(action_run(&q, &r), 0);
	assert_int_equal(r.steps, 1);
	read_tree("sys/fs/cgroup/docker/c1/memory.reclaim", buf, sizeof(buf));
	assert_string_equal(buf, "67108864 swappiness=0");
}

/* v1: force_empty with the cgroup's swappiness at 0 for the call. */
static int setup_v1(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "%s", tree_from_fixture("debian12-hybrid"));
	tree_write_str(root, "sys/fs/cgroup/memory/docker/memory.stat",
		       "cache 0\nrss 0\ntotal_cache 536870912\n");
	tree_write_str(root, "sys/fs/cgroup/memory/docker/memory.swappiness", "60\n");
	tree_write_str(root, "sys/fs/cgroup/memory/docker/memory.force_empty", "");
	return 0;
}

static void test_force_empty_guard(void **state)
{
	struct action_cgroup cg[] = { { .v1_path = "docker" }, { .v1_path = "/" } };
	struct action_request q = { .lever = LEVER_MEMCG_FORCE_EMPTY, .root = root,
				    .cgroups = cg, .ncgroups = 2 };
	struct kernel k = { 0 };
	struct action_result r;
	char meminfo[8192], *p;

	(void)state;
	/* This fixture has no swap: no guard needed. */
	assert_int_equal(run_played(&q, &r, &k), -EINVAL);
	assert_int_equal(k.n, 1);
	assert_string_equal(k.name[0], "memory.force_empty");
	assert_int_equal(r.anon_guard, ANON_GUARD_NO_SWAP);
	assert_non_null(strstr(r.error_where, "root memory cgroup"));
	assert_int_equal(r.bytes_targeted, 512 * MiB);

	read_tree("proc/meminfo", meminfo, sizeof(meminfo));
	p = strstr(meminfo, "SwapTotal:             0 kB");
	assert_non_null(p);
	memcpy(p, "SwapTotal:       1048576 kB", 27);
	tree_write_str(root, "proc/meminfo", meminfo);
	k = (struct kernel){ 0 };
	q.ncgroups = 1;
	assert_int_equal(run_played(&q, &r, &k), 0);
	assert_int_equal(k.n, 3);
	assert_string_equal(k.name[0], "memory.swappiness");
	assert_string_equal(k.value[0], "0");
	assert_string_equal(k.name[1], "memory.force_empty");
	assert_string_equal(k.value[2], "60");
	assert_int_equal(r.anon_guard, ANON_GUARD_V1_SWAPPINESS);

	/* force_empty failing: the swappiness still comes back. */
	k = (struct kernel){ .fail_on_write = 2, .fail_err = -EBUSY };
	assert_int_equal(run_played(&q, &r, &k), -EBUSY);
	assert_string_equal(k.value[2], "60");
	assert_non_null(strstr(r.error_where, "docker/memory.force_empty"));
}

/* The other knobs in dry-run on the fake tree: measured, unwritten. */
static void test_knobs_dry_run(void **state)
{
	enum lever levers[] = { LEVER_DROP_CACHES, LEVER_COMPACT, LEVER_MEMCG_FORCE_EMPTY };
	struct action_cgroup cg[] = { { .v1_path = "docker" } };

	(void)state;
	tree_write_str(root, "proc/sys/vm/drop_caches", "");
	tree_write_str(root, "proc/sys/vm/compact_memory", "");
	for (size_t i = 0; i < ELEMENTSOF(levers); i++) {
		struct action_request q = { .lever = levers[i], .root = root, .dry_run = true,
					    .cgroups = cg, .ncgroups = 1 };
		struct kernel k = { 0 };
		struct action_result r;

		assert_int_equal(run_played(&q, &r, &k), 0);
		assert_int_equal(k.n, 0);
		assert_true(r.dry_run);
		assert_int_equal(r.steps, 0);
	}
}

/* fadvise under --root: a file named by identity only is looked up in the
 * tree's mountinfo; junk lines there are skipped, a device it does not
 * list is unreachable (ENODEV), nothing is advised. */
static void test_fadvise_mountinfo(void **state)
{
	struct action_file f[] = { { .dev = 0xfe02, .ino = 12, .gen = 3 },
				   { .path = "/data/missing" } };
	struct action_request q = { .lever = LEVER_FILE_EVICT, .root = root, .files = f,
				    .nfiles = 2 };
	struct action_result r;
	char dir[PATH_MAX];

	(void)state;
	tree_write_str(root, "proc/self/mountinfo",
		       "garbage\n1 2 x:y / /a rw - ext4 /dev/x rw\n"
		       "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n\n  \n"
		       "23 22 254:1 /sub /with\\040space rw - ext4 /dev/vdb rw\n");
	assert_true(action_run(&q, &r) < 0);
	assert_int_equal(r.unreachable, 2);
	assert_int_equal(r.steps, 0);
	assert_int_equal(r.error, -ENODEV);
	assert_non_null(strstr(r.error_where, "ino 12"));

	/* 254:1 is listed, at "/with space" (\040 undone): found there,
	 * then refused by the file system (a fake tree holds no such inode). */
	snprintf(dir, sizeof(dir), "%s/with space", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	f[0].dev = 0xfe01;
	q.nfiles = 1;
	assert_true(action_run(&q, &r) < 0);
	assert_int_equal(r.unreachable, 1);
	assert_int_not_equal(r.error, -ENODEV);
	assert_int_not_equal(r.error, -ENOENT);
}

/* A clock that moves 1 ms each time it is read. */
static uint64_t ticking(void *data)
{
	uint64_t *t = data;

	return *t += 1000000;
}

/* max_duration ends a directory walk: 50 cached files, a 20 ms bound, a
 * clock read once per entry. */
static void test_fadvise_walk_deadline(void **state)
{
	const char *dirs[1];
	char dir[PATH_MAX];
	struct action_request q = { .lever = LEVER_FILE_EVICT, .dry_run = true, .dirs = dirs,
				    .ndirs = 1, .max_duration_ns = 20 * 1000000ull };
	struct action_result r;
	uint64_t t = 0;
	const struct act_hooks h = { .now_ns = ticking, .data = &t };

	(void)state;
	for (int i = 0; i < 50; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "walk/f%02d", i);
		tree_write_str(root, rel, "cached\n");
	}
	snprintf(dir, sizeof(dir), "%s/walk", root);
	dirs[0] = dir;
	assert_int_equal(action_run_hooked(&q, &r, &h), -ETIME);
	assert_true(r.files_walked > 0);
	assert_true(r.files_walked < 50);
	assert_string_equal(r.error_where, "fadvise");

	/* Unbounded, the same walk visits them all. */
	q.max_duration_ns = 0;
	assert_int_equal(action_run_hooked(&q, &r, &h), 0);
	assert_int_equal(r.files_walked, 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_reclaim_steps, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_over, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_swap_max_fallback, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_restore_on_error, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_no_swap, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_eagain_frozen_root, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_deadline, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_unreachable, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_dry_run, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_real_write_path, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_force_empty_guard, setup_v1, teardown),
		cmocka_unit_test_setup_teardown(test_knobs_dry_run, setup_v1, teardown),
		cmocka_unit_test_setup_teardown(test_fadvise_mountinfo, setup_v1, teardown),
		cmocka_unit_test_setup_teardown(test_fadvise_walk_deadline, setup_v1, teardown),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
