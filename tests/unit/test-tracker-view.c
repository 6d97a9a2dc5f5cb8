/* SPDX-License-Identifier: MIT */
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

#include "shared/util.h"
#include "tracker/view.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define PAGE 4096
#define S 1000000000ull

static char root[256];

static uint64_t ino_of(const char *rel, uint64_t *dev)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	assert_int_equal(stat(p, &st), 0);
	if (dev)
		*dev = st.st_dev;
	return st.st_ino;
}

static int setup(void **state)
{
	char cmd[1024];

	snprintf(root, sizeof(root), "/tmp/wsldock-view-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %1$s/sys/fs/cgroup/unified/docker/" ID " %1$s/proc "
		 "%1$s/var/lib/docker/overlay2/l/diff && echo x >%1$s/var/lib/docker/overlay2/l/diff/lib.so",
		 root);
	return system(cmd);
}

static int teardown(void **state)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

/* Root's processes in root's cgroups, as the BPF side vouches for them. */
#define ROOT (CLASSIFY_TRUST_ROOT_PROCESS | CLASSIFY_TRUST_ROOT_CGROUP)

static struct ledger_item task(uint64_t cgid, uint32_t tgid, const char *comm, const char *parent,
			       uint64_t added)
{
	struct ledger_item it = { .key = { cgid, tgid }, .pages = { added, 0, 0 }, .ns_tgid = tgid,
				  .trust = ROOT };

	snprintf(it.comm, sizeof(it.comm), "%s", comm);
	snprintf(it.parent_comm, sizeof(it.parent_comm), "%s", parent);
	return it;
}

static const struct top_row *row(const struct top_view *v, const char *path, enum tclass c)
{
	for (size_t i = 0; i < v->nrows; i++)
		if (v->rows[i].path && !strcmp(v->rows[i].path, path) && v->rows[i].class == c)
			return &v->rows[i];
	return NULL;
}

static void test_rows_and_files(void **state)
{
	uint64_t top = ino_of("/sys/fs/cgroup/unified", NULL);
	uint64_t ctr = ino_of("/sys/fs/cgroup/unified/docker/" ID, NULL);
	uint64_t dev, so = ino_of("/var/lib/docker/overlay2/l/diff/lib.so", &dev);
	uint64_t gone = 999999999;
	struct ledger_item cg[] = {
		{ .key = { top, 0 }, .pages = { 100, 0, 0 }, .trust = ROOT },
		{ .key = { ctr, 0 }, .pages = { 50, 0, 0 }, .trust = ROOT },
		/* A build step's cgroup, removed before the sample: named by the kernel. */
		{ .key = { gone, 0 }, .pages = { 30, 0, 0 }, .path_hint = "/docker/" ID2,
		  .trust = ROOT },
	};
	struct ledger_item tasks[] = {
		task(top, 10, "dockerd", "init", 60),
		task(top, 11, "exe", "dockerd", 20),
		task(top, 12, "bash", "sshd", 10),
		task(ctr, 20, "dd", "sh", 50),
		task(gone, 30, "sh", "containerd-shim", 30),
	};
	struct ledger_item files[] = {
		{ .key = { dev, so }, .pages = { 40, 8, 0 }, .comm = "dockerd", .owner_cgid = top,
		  .owner_tgid = 10, .owner_ns_tgid = 10, .trust = ROOT },
		{ .key = { dev, 123456789 }, .pages = { 5, 0, 0 }, .comm = "dd", .owner_cgid = ctr,
		  .owner_tgid = 20, .owner_ns_tgid = 20, .trust = ROOT },
	};
	struct ledger_snapshot s = {
		.items = { cg, tasks, files },
		.n = { ELEMENTSOF(cg), ELEMENTSOF(tasks), ELEMENTSOF(files) },
	};
	struct resolver *r;
	struct top_view v;
	struct ledger l;
	const struct top_row *x;

	assert_int_equal(resolver_new(&(struct resolver_opts){ .root = root,
							      .cgroup2_mount = "/sys/fs/cgroup/unified" },
				      &r),
			 0);
	ledger_init(&l, PAGE, 0);
	assert_int_equal(ledger_update(&l, &s, S), 0);
	assert_int_equal(top_view_build(&l, r, 10, &v), 0);

	/* "/" splits by process class; what no process accounts for (10 pages)
	 * keeps the class of the path. */
	assert_int_equal(v.nrows, 4);
	x = row(&v, "/", TCLASS_DOCKER_DAEMON);
	assert_non_null(x);
	assert_int_equal(x->bytes.added, 80 * PAGE);
	assert_string_equal(x->procs[0].comm, "dockerd");
	assert_int_equal(x->procs[1].tgid, 11);
	assert_int_equal(row(&v, "/", TCLASS_OTHER)->bytes.added, 20 * PAGE);
	assert_int_equal(row(&v, "/docker/" ID, TCLASS_DOCKER_CONTAINER)->bytes.added, 50 * PAGE);
	assert_int_equal(row(&v, "/docker/" ID2, TCLASS_DOCKER_CONTAINER)->bytes.added, 30 * PAGE);
	/* Sorted by bytes added. */
	assert_ptr_equal(&v.rows[0], row(&v, "/", TCLASS_DOCKER_DAEMON));
	assert_ptr_equal(&v.rows[3], row(&v, "/", TCLASS_OTHER));

	assert_int_equal(v.nfiles, 2);
	assert_int_equal(v.files[0].ino, so);
	assert_int_equal(v.files[0].class, TCLASS_DOCKER_DAEMON);
	assert_int_equal(v.files[0].bytes.removed, 8 * PAGE);
	assert_string_equal(v.files[0].path, "/var/lib/docker/overlay2/l/diff/lib.so");
	assert_null(v.files[1].path);
	assert_int_equal(v.files[1].class, TCLASS_DOCKER_CONTAINER);
	top_view_free(&v);

	/* The file list is cut at max_files. */
	assert_int_equal(top_view_build(&l, r, 1, &v), 0);
	assert_int_equal(v.nfiles, 1);
	top_view_free(&v);
	ledger_free(&l);
	resolver_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_and_files),
	};

	return unit_status(cmocka_run_group_tests(tests, setup, teardown));
}
