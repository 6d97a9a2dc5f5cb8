/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit.h"

#include "tracker/classify.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

#define ROOT (CLASSIFY_TRUST_ROOT_PROCESS | CLASSIFY_TRUST_ROOT_CGROUP)

static enum tclass cls_trust(const char *path, const char *comm, bool build, unsigned trust)
{
	struct classify_input in = { .cgroup_path = path, .comm = comm, .build_container = build,
				     .trust = trust };

	return classify(&in);
}

/* Root's process in a root-owned cgroup. */
static enum tclass cls(const char *path, const char *comm, bool build)
{
	return cls_trust(path, comm, build, ROOT);
}

static enum tclass cls_parent(const char *path, const char *comm, const char *parent)
{
	struct classify_input in = { .cgroup_path = path, .comm = comm, .parent_comm = parent,
				     .trust = ROOT };

	return classify(&in);
}

/* Issue 19: names an unprivileged user chose count for nothing.  A
 * process of another user called "buildkitd" or "dockerd", a cgroup a user
 * made in a delegated subtree called "buildkit" or docker/<id>: "other". */
static void test_untrusted(void **state)
{
	const unsigned user_proc = CLASSIFY_TRUST_ROOT_CGROUP;  /* a user's process, root's cgroup */
	const unsigned user_cg = CLASSIFY_TRUST_ROOT_PROCESS;   /* root's process, a user's cgroup */
	struct classify_input in = { .cgroup_path = "/", .comm = "exe", .parent_comm = "dockerd",
				     .trust = user_proc };

	assert_int_equal(cls_trust("/", "buildkitd", false, user_proc), TCLASS_OTHER);
	assert_int_equal(cls_trust("/", "buildkit-runc", false, user_proc), TCLASS_OTHER);
	assert_int_equal(cls_trust("/", "dockerd", false, user_proc), TCLASS_OTHER);
	assert_int_equal(cls_trust("/", "containerd-shim", false, user_proc), TCLASS_OTHER);
	assert_int_equal(classify(&in), TCLASS_OTHER);
	assert_int_equal(cls_trust("/user.slice/user@1000.service/buildkit/x", "sh", false, user_cg),
			 TCLASS_OTHER);
	assert_int_equal(cls_trust("/docker/" ID, NULL, true, user_cg), TCLASS_OTHER);
	assert_int_equal(cls_trust("/docker/" ID, "dd", false, user_cg), TCLASS_OTHER);
	/* Unknown is untrusted. */
	assert_int_equal(cls_trust("/buildkit/x", "buildkitd", false, 0), TCLASS_OTHER);
	/* Root's daemon in a user's cgroup is still the daemon. */
	assert_int_equal(cls_trust("/user.slice/x", "dockerd", false, user_cg), TCLASS_DOCKER_DAEMON);
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
		cmocka_unit_test(test_untrusted),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
