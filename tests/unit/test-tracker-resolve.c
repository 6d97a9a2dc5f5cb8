/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"

#include "tracker/resolve.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID3 "2123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char root[256];

static void mkpath(const char *rel)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s%s'", root, rel);
	assert_int_equal(system(cmd), 0);
}

static void put(const char *rel, const char *text)
{
	char p[1024];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct stat st_of(const char *rel)
{
	char p[1024];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	assert_int_equal(stat(p, &st), 0);
	return st;
}

static int setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/wsldock-resolve-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	mkpath("/sys/fs/cgroup/unified/system.slice/docker-" ID ".scope");
	mkpath("/sys/fs/cgroup/unified/user.slice");
	mkpath("/var/lib/docker/overlay2/abc/diff/usr/lib");
	put("/var/lib/docker/overlay2/abc/diff/usr/lib/big.so", "x");
	mkpath("/var/lib/docker/containers/" ID);
	put("/var/lib/docker/containers/" ID "/config.v2.json",
	    "{\"Config\":{\"Image\":\"sha256:feed\",\"Healthcheck\":{\"Test\":[\"NONE\"]}}}");
	mkpath("/var/lib/docker/containers/" ID2);
	put("/var/lib/docker/containers/" ID2 "/config.v2.json",
	    "{\"Config\":{\"Image\":\"busybox\",\"Healthcheck\":{\"Test\":[\"NONE\"]}}}");
	mkpath("/var/lib/docker/containers/" ID3);
	put("/var/lib/docker/containers/" ID3 "/config.v2.json",
	    "{\"Config\":{\"Image\":\"sha256:feed\",\"Entrypoint\":null}}");
	mkpath("/proc");
	return 0;
}

static int teardown(void **state)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static struct resolver *new_resolver(void)
{
	struct resolver *r;

	assert_int_equal(resolver_new(&(struct resolver_opts){ .root = root,
							      .cgroup2_mount = "/sys/fs/cgroup/unified" },
				      &r),
			 0);
	return r;
}

static void test_cgroups(void **state)
{
	struct resolver *r = new_resolver();
	struct stat top = st_of("/sys/fs/cgroup/unified");
	struct stat scope = st_of("/sys/fs/cgroup/unified/system.slice/docker-" ID ".scope");

	assert_string_equal(resolver_cgroup_path(r, scope.st_ino),
			    "/system.slice/docker-" ID ".scope");
	assert_string_equal(resolver_cgroup_path(r, top.st_ino), "/");
	/* A miss scans once per generation, then again after a tick. */
	mkpath("/sys/fs/cgroup/unified/late");
	assert_null(resolver_cgroup_path(r, 1));
	assert_null(resolver_cgroup_path(r, st_of("/sys/fs/cgroup/unified/late").st_ino));
	resolver_tick(r);
	assert_string_equal(resolver_cgroup_path(r, st_of("/sys/fs/cgroup/unified/late").st_ino),
			    "/late");
	resolver_free(r);
}

static void test_files(void **state)
{
	struct resolver *r = new_resolver();
	struct stat so = st_of("/var/lib/docker/overlay2/abc/diff/usr/lib/big.so");
	struct file_id ids[] = { { so.st_dev, so.st_ino }, { so.st_dev, 999999999 } };

	resolver_lookup_files(r, ids, 2);
	/* The path is the system's, without the root prefix. */
	assert_string_equal(resolver_file_path(r, so.st_dev, so.st_ino),
			    "/var/lib/docker/overlay2/abc/diff/usr/lib/big.so");
	assert_null(resolver_file_path(r, so.st_dev, 999999999));
	assert_null(resolver_file_path(r, so.st_dev + 1, so.st_ino));
	resolver_free(r);
}

/* A file not found (deleted build-step files are the normal case) costs
 * one data-root walk, on its first lookup only; later lookups retry the
 * open files in /proc, backing off 1, 2, 4 ... generations. */
static void test_file_misses_back_off(void **state)
{
	char abs[1024], in_root[1024], fd[1024];
	struct resolver *r = new_resolver();
	struct stat x;
	struct file_id id;

	mkpath("/elsewhere");
	put("/elsewhere/x", "x");
	x = st_of("/elsewhere/x");
	id = (struct file_id){ x.st_dev, x.st_ino };
	resolver_lookup_files(r, &id, 1);
	assert_null(resolver_file_path(r, id.dev, id.ino));
	/* Now under the data root: no walk finds it, a walk ran already. */
	snprintf(abs, sizeof(abs), "%s/elsewhere/x", root);
	snprintf(in_root, sizeof(in_root), "%s/var/lib/docker/overlay2/abc/diff/x", root);
	assert_int_equal(link(abs, in_root), 0);
	resolver_tick(r);  /* generation 2: due (back-off 1), /proc only */
	resolver_lookup_files(r, &id, 1);
	assert_null(resolver_file_path(r, id.dev, id.ino));
	/* Open by a process: found, but only once the back-off (2) ran out. */
	mkpath("/proc/1/fd");
	snprintf(fd, sizeof(fd), "%s/proc/1/fd/3", root);
	assert_int_equal(symlink(abs, fd), 0);
	resolver_tick(r);  /* 3: not due */
	resolver_lookup_files(r, &id, 1);
	assert_null(resolver_file_path(r, id.dev, id.ino));
	resolver_tick(r);  /* 4: due */
	resolver_lookup_files(r, &id, 1);
	assert_string_equal(resolver_file_path(r, id.dev, id.ino), abs);
	unlink(fd);
	unlink(in_root);
	resolver_free(r);
}

static void test_build_container(void **state)
{
	struct resolver *r = new_resolver();

	assert_true(resolver_build_container(r, "/system.slice/docker-" ID ".scope"));
	assert_true(resolver_build_container(r, "/docker/" ID));
	assert_false(resolver_build_container(r, "/docker/" ID2));
	assert_false(resolver_build_container(r, "/docker/" ID3));
	assert_false(resolver_build_container(r, "/user.slice"));
	assert_false(resolver_build_container(r, NULL));
	resolver_free(r);
}

static void test_dev(void **state)
{
	assert_int_equal(kernel_dev_to_user(254u << 20 | 1), makedev(254, 1));
	assert_int_equal(kernel_dev_to_user(8u << 20 | 300), makedev(8, 300));
	assert_int_equal(kernel_dev_to_user(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroups),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_file_misses_back_off),
		cmocka_unit_test(test_build_container),
		cmocka_unit_test(test_dev),
	};

	return unit_status(cmocka_run_group_tests(tests, setup, teardown));
}
