/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit.h"

#include "tracker/classify.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static enum tclass cls(const char *path, const char *comm, bool build)
{
	struct classify_input in = { .cgroup_path = path, .comm = comm, .build_container = build };

	return classify(&in);
}

static enum tclass cls_parent(const char *path, const char *comm, const char *parent)
{
	struct classify_input in = { .cgroup_path = path, .comm = comm, .parent_comm = parent };

	return classify(&in);
}

static void test_parent(void **state)
{
	/* dockerd re-executes itself to unpack layers: the child is "exe". */
	assert_int_equal(cls_parent("/", "exe", "dockerd"), TCLASS_DOCKER_DAEMON);
	assert_int_equal(cls_parent("/", "exe", "bash"), TCLASS_OTHER);
	assert_int_equal(cls_parent("/", "exe", ""), TCLASS_OTHER);
	/* A RUN step's process is the build's, whoever its parent is. */
	assert_int_equal(cls_parent("/buildkit/x", "sh", "dockerd"), TCLASS_DOCKER_BUILD);
}

static void test_processes(void **state)
{
	assert_int_equal(cls("/", "buildkitd", false), TCLASS_DOCKER_BUILD);
	assert_int_equal(cls("/x", "buildkit-runc", false), TCLASS_DOCKER_BUILD);
	assert_int_equal(cls("/", "dockerd", false), TCLASS_DOCKER_DAEMON);
	assert_int_equal(cls("/", "containerd", false), TCLASS_DOCKER_DAEMON);
	/* comm is cut at 15 characters: containerd-shim-runc-v2 arrives so. */
	assert_int_equal(cls("/", "containerd-shim", false), TCLASS_DOCKER_DAEMON);
	assert_int_equal(cls("/", "containerd-shi", false), TCLASS_OTHER);
	assert_int_equal(cls("/", "dockerd2", false), TCLASS_OTHER);
	/* A daemon in a container is a daemon; anything else there is the container's. */
	assert_int_equal(cls("/docker/" ID, "dockerd", false), TCLASS_DOCKER_DAEMON);
	assert_int_equal(cls("/docker/" ID, "dd", false), TCLASS_DOCKER_CONTAINER);
}

static void test_paths(void **state)
{
	assert_int_equal(cls("/docker/" ID, NULL, false), TCLASS_DOCKER_CONTAINER);
	assert_int_equal(cls("/system.slice/docker-" ID ".scope", NULL, false),
			 TCLASS_DOCKER_CONTAINER);
	assert_int_equal(cls("/docker/" ID, NULL, true), TCLASS_DOCKER_BUILD);
	assert_int_equal(cls("/buildkit/abc", NULL, false), TCLASS_DOCKER_BUILD);
	assert_int_equal(cls("/docker/buildkit/abc", "sh", false), TCLASS_DOCKER_BUILD);
	/* Near misses stay "other". */
	assert_int_equal(cls("/docker/0123", NULL, false), TCLASS_OTHER);
	assert_int_equal(cls("/docker/" ID "/sub", NULL, false), TCLASS_DOCKER_CONTAINER);
	assert_int_equal(cls("/dockerx/" ID, NULL, false), TCLASS_OTHER);
	assert_int_equal(cls("/system.slice/docker.service", "sh", false), TCLASS_OTHER);
	assert_int_equal(cls("/buildkitx/a", NULL, false), TCLASS_OTHER);
	assert_int_equal(cls("/user.slice", NULL, true), TCLASS_OTHER);
	assert_int_equal(cls(NULL, NULL, false), TCLASS_OTHER);
	assert_int_equal(cls("/", "", false), TCLASS_OTHER);
}

static void test_container_id(void **state)
{
	char id[65];

	assert_true(docker_container_id("/system.slice/docker-" ID ".scope", id));
	assert_string_equal(id, ID);
	assert_true(docker_container_id("/docker/" ID, id));
	assert_string_equal(id, ID);
	assert_false(docker_container_id("/docker/" ID "0", id));
	assert_false(docker_container_id("/docker-" ID ".scop", id));
	assert_false(docker_container_id("/docker/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", id));
}

static void test_table(void **state)
{
	/* Every class but "other" is reachable and every rule explains itself. */
	bool seen[_TCLASS_MAX] = { false };

	for (size_t i = 0; i < classify_rules_n; i++) {
		assert_non_null(classify_rules[i].why);
		seen[classify_rules[i].class] = true;
	}
	assert_true(seen[TCLASS_DOCKER_BUILD] && seen[TCLASS_DOCKER_CONTAINER] &&
		    seen[TCLASS_DOCKER_DAEMON]);
	assert_string_equal(tclass_name(TCLASS_DOCKER_BUILD), "docker-build");
	assert_string_equal(tclass_name(TCLASS_DOCKER_CONTAINER), "docker-container");
	assert_string_equal(tclass_name(TCLASS_DOCKER_DAEMON), "docker-daemon");
	assert_string_equal(tclass_name(TCLASS_OTHER), "other");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_processes),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_container_id),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_parent),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
