/* SPDX-License-Identifier: MIT */
/* The build-running signal (issue 18): the docker CLI's build processes
 * (a pure /proc/PID/cmdline parser) and populated build-step cgroups, read
 * from fixture trees (tests/fixtures/build-signal). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <cmocka.h>

#include "unit.h"
#include "testutil.h"

#include "shared/util.h"
#include "sources/build_signal.h"

/* argv as /proc/PID/cmdline has it: each argument NUL-terminated. */
static size_t cmdline(char *buf, size_t size, const char *const *argv)
{
	size_t n = 0;

	for (; *argv; argv++) {
		size_t l = strlen(*argv) + 1;

		assert_true(n + l <= size);
		memcpy(buf + n, *argv, l);
		n += l;
	}
	return n;
}

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_cmdline_builds(void **state)
{
	const struct {
		const char *const *argv;
		bool build;
	} cases[] = {
		{ ARGV("docker", "build", "."), true },
		{ ARGV("/usr/bin/docker", "build", "--network=none", "-t", "x", "."), true },
		{ ARGV("/mnt/wsl/docker-desktop/cli-tools/usr/bin/docker", "build", "."), true },
		{ ARGV("docker", "image", "build", "."), true },
		{ ARGV("docker", "builder", "build", "."), true },
		{ ARGV("docker", "buildx", "build", "."), true },
		{ ARGV("docker", "buildx", "b", "."), true },
		{ ARGV("docker", "buildx", "bake"), true },
		{ ARGV("docker", "buildx", "--builder", "desktop-linux", "build", "."), true },
		{ ARGV("docker", "compose", "build"), true },
		{ ARGV("docker", "compose", "-f", "a.yaml", "-p", "app", "build", "web"), true },
		{ ARGV("docker", "compose", "--file=a.yaml", "build"), true },
		{ ARGV("docker", "-H", "unix:///var/run/docker.sock", "build", "."), true },
		{ ARGV("docker", "--context", "desktop-linux", "--debug", "build", "."), true },
		{ ARGV("docker", "--context=desktop-linux", "build", "."), true },
		{ ARGV("docker", "-H", "build", "build", "."), true }, /* host named build */
		{ ARGV("docker", "--", "build"), true },
		/* The plugins, as the CLI runs them. */
		{ ARGV("/usr/libexec/docker/cli-plugins/docker-buildx", "buildx", "build", "."), true },
		{ ARGV("/usr/libexec/docker/cli-plugins/docker-buildx", "buildx", "bake"), true },
		{ ARGV("/usr/libexec/docker/cli-plugins/docker-compose", "compose", "build"), true },
		{ ARGV("docker-compose", "-f", "x.yml", "build"), true },
		{ ARGV("/usr/bin/python3", "/usr/bin/docker-compose", "build"), true },
		/* Not builds. */
		{ ARGV("docker", "ps"), false },
		{ ARGV("docker", "image", "ls"), false },
		{ ARGV("docker", "-H", "build"), false }, /* "build" is the host */
		{ ARGV("docker", "run", "--rm", "img", "docker", "build"), false },
		{ ARGV("docker", "compose", "up", "--build"), false },
		{ ARGV("docker", "buildx", "ls"), false },
		{ ARGV("docker", "buildx", "--builder", "build"), false },
		{ ARGV("docker", "images"), false },
		{ ARGV("docker"), false },
		{ ARGV("dockerd", "build"), false },
		{ ARGV("/usr/bin/mydocker", "build"), false },
		{ ARGV("docker-buildx", "build"), false }, /* the plugin's argv[1] is its name */
		{ ARGV("/usr/bin/python3", "/usr/bin/other", "build"), false },
		{ ARGV("make", "build"), false },
		{ ARGV("", "build"), false },
	};
	char buf[512];
	size_t i, n;

	for (i = 0; i < ELEMENTSOF(cases); i++) {
		n = cmdline(buf, sizeof(buf), cases[i].argv);
		if (build_cmdline_is_build(buf, n) != cases[i].build)
			fail_msg("case %zu (%s %s ...): want %s", i, cases[i].argv[0],
				 cases[i].argv[1] ? cases[i].argv[1] : "", cases[i].build ? "build" : "no build");
	}
}

static void test_cmdline_edges(void **state)
{
	char big[BUILD_CMDLINE_MAX];
	size_t i;

	assert_false(build_cmdline_is_build("", 0));
	assert_false(build_cmdline_is_build("\0\0\0", 3));
	/* The last argument without its NUL (a truncated read). */
	assert_true(build_cmdline_is_build("docker\0build", 12));
	/* Cut inside the subcommand: "buil" is not "build". */
	assert_false(build_cmdline_is_build("docker\0buil", 11));
	/* Only len bytes count: what follows is never read. */
	assert_false(build_cmdline_is_build("docker\0build", 7));
	/* A process that rewrote its argv into one string with spaces
	 * (setproctitle) is not recognised: no false hold from it. */
	assert_false(build_cmdline_is_build("docker build .", 14));
	/* Thousands of empty arguments and options: bounded, no build. */
	memset(big, 0, sizeof(big));
	memcpy(big, "docker", 6);
	assert_false(build_cmdline_is_build(big, sizeof(big)));
	for (i = 7; i + 3 < sizeof(big); i += 3)
		memcpy(big + i, "-D", 3);
	assert_false(build_cmdline_is_build(big, sizeof(big)));
}

static void test_read_fixture(void **state)
{
	struct build_signal s;

	assert_int_equal(build_signal_read(fixture_path("build-signal"), &s), 0);
	assert_int_equal(s.proc_st.state, SOURCE_OK);
	assert_int_equal(s.cgroup_st.state, SOURCE_OK);
	/* docker build, docker compose build; not docker ps, dockerd, a
	 * kernel thread, nor `docker run ... docker build`. */
	assert_int_equal(s.cli_builds, 2);
	/* docker/buildkit/<id> and wsl-user/distro-7/docker/buildkit/<id>
	 * populated; the ended step, and one deeper than the walk, not. */
	assert_int_equal(s.populated_step_cgroups, 2);
	/* docker/<64 hex> populated; the stopped one and
	 * docker/not-a-container-id not. */
	assert_int_equal(s.populated_container_cgroups, 1);
	assert_true(s.cgroups_seen);
	assert_false(s.cgroup_walk_truncated);
	assert_true(build_signal_running(&s, NULL));
}

static void test_read_v1_and_hostile(void **state)
{
	const char *root = tree_from_fixture(NULL);
	const char *id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char rel[256], path[PATH_MAX];
	struct build_signal s;

	/* cgroup v1 only: populated is a non-empty cgroup.procs. */
	tree_write_str(root, "proc/self/mounts",
		       "cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,noexec,memory 0 0\n");
	snprintf(rel, sizeof(rel), "sys/fs/cgroup/memory/docker/%s/cgroup.procs", id);
	tree_write_str(root, rel, "4242\n");
	snprintf(rel, sizeof(rel), "sys/fs/cgroup/memory/docker/%.63s0/cgroup.procs", id);
	tree_write_str(root, rel, "");
	tree_write_str(root, "sys/fs/cgroup/memory/docker/buildkit/abc/cgroup.procs", "17\n");
	/* A FIFO where a cmdline should be never blocks the reader. */
	tree_write(root, "proc/7/cmdline", "docker\0build", 12);
	snprintf(path, sizeof(path), "%s/proc/8", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/8/cmdline", root);
	assert_int_equal(mkfifo(path, 0644), 0);
	/* Junk names under /proc are not processes. */
	tree_write(root, "proc/12ab/cmdline", "docker\0build\0", 13);

	assert_int_equal(build_signal_read(root, &s), 0);
	assert_int_equal(s.cli_builds, 1);
	assert_int_equal(s.populated_container_cgroups, 1);
	assert_int_equal(s.populated_step_cgroups, 1);
	tree_destroy(root);
}

static void test_read_absent(void **state)
{
	const char *root = tree_from_fixture(NULL);
	struct build_signal s;

	assert_true(build_signal_read(root, &s) < 0);
	assert_int_equal(s.proc_st.state, SOURCE_ABSENT);
	assert_int_not_equal(s.cgroup_st.state, SOURCE_OK);
	assert_false(s.cgroups_seen);
	assert_false(build_signal_running(&s, NULL));
	/* Processes without cgroups: the CLI alone still counts. */
	tree_write(root, "proc/5/cmdline", "docker\0compose\0build\0", 21);
	assert_int_equal(build_signal_read(root, &s), 0);
	assert_int_equal(s.cli_builds, 1);
	assert_false(s.cgroups_seen);
	assert_true(build_signal_running(&s, NULL));
	tree_destroy(root);
}

static void test_walk_bounded(void **state)
{
	const char *root = tree_from_fixture(NULL);
	char rel[128];
	struct build_signal s;
	unsigned i;

	tree_write_str(root, "proc/self/mounts", "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n");
	for (i = 0; i < BUILD_CGROUP_DIRS_MAX + 10; i++) {
		snprintf(rel, sizeof(rel), "sys/fs/cgroup/s%u/cgroup.events", i);
		tree_write_str(root, rel, "populated 1\n");
	}
	assert_int_equal(build_signal_read(root, &s), 0);
	assert_true(s.cgroup_walk_truncated);
	assert_int_equal(s.populated_step_cgroups, 0);
	tree_destroy(root);
}

static void test_running(void **state)
{
	struct build_signal start = { .populated_container_cgroups = 2 };
	struct build_signal s = { 0 };

	assert_false(build_signal_running(&s, NULL));
	s.populated_container_cgroups = 2;
	/* Two service containers ran before the episode: no build. */
	assert_false(build_signal_running(&s, &start));
	assert_true(build_signal_running(&s, NULL));
	/* A third (a legacy RUN step) started since. */
	s.populated_container_cgroups = 3;
	assert_true(build_signal_running(&s, &start));
	s.populated_container_cgroups = 1;
	assert_false(build_signal_running(&s, &start));
	s.populated_step_cgroups = 1;
	assert_true(build_signal_running(&s, &start));
	s.populated_step_cgroups = 0;
	s.cli_builds = 1;
	assert_true(build_signal_running(&s, &start));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline_builds),
		cmocka_unit_test(test_cmdline_edges),
		cmocka_unit_test(test_read_fixture),
		cmocka_unit_test(test_read_v1_and_hostile),
		cmocka_unit_test(test_read_absent),
		cmocka_unit_test(test_walk_bounded),
		cmocka_unit_test(test_running),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
