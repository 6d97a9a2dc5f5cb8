/* SPDX-License-Identifier: MIT */
/* Issue 17's sources: Docker Desktop's engine seen from a user distro
 * (sources/docker_desktop), WSL's cgroup layouts (cgroup_placement in
 * sources/cgroup_layout) and cgroup ancestors by id
 * (sources/cgroup_ancestry), plus the memory.reclaim lever reaching a
 * removed cgroup's nearest live ancestor.
 *
 * The ancestry and lever tests use the live cgroup2 hierarchy (test
 * cgroups made and removed under its mount; root only).  `--live` runs
 * only the topology check tests/vm/guest/dd-build.sh runs in the
 * Docker-Desktop-like guest's user distro, with
 * WSLDOCK_TEST_EXPECT_LAYOUT=flat|distro|distro-ns: the layout read from
 * this process's cgroup, and Docker Desktop's engine reached through the
 * proxied socket with its files out of reach. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"
#include "testutil.h"
#include "actions/actions.h"
#include "sources/cgroup_ancestry.h"
#include "sources/cgroup_layout.h"
#include "sources/docker_desktop.h"

#define INFO_OK                                                                            \
	"HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\nContent-Type: application/json\r\n\r\n"     \
	"{\"ID\":\"abc\",\"Name\":\"docker-desktop\",\"OperatingSystem\":\"Docker Desktop\"," \
	"\"DockerRootDir\":\"/var/lib/docker\",\"Driver\":\"overlay2\","                      \
	"\"CgroupDriver\":\"cgroupfs\",\"CgroupVersion\":\"2\",\"ServerVersion\":\"27.4.0\"," \
	"\"KernelVersion\":\"6.6.87.2-microsoft-standard-WSL2\",\"Plugins\":{}}\n"

static void test_info_parse(void **state)
{
	struct docker_engine_info i;
	char err[192] = "";

	(void)state;
	assert_int_equal(docker_info_parse(INFO_OK, strlen(INFO_OK), &i, err, sizeof(err)), 0);
	assert_string_equal(i.name, "docker-desktop");
	assert_string_equal(i.os, "Docker Desktop");
	assert_string_equal(i.data_root, "/var/lib/docker");
	assert_string_equal(i.driver, "overlay2");
	assert_string_equal(i.cgroup_driver, "cgroupfs");
	assert_string_equal(i.cgroup_version, "2");
	assert_string_equal(i.version, "27.4.0");
	assert_string_equal(i.kernel, "6.6.87.2-microsoft-standard-WSL2");
	assert_true(docker_info_is_desktop(&i, false));
}

static void expect_refused(const char *resp, const char *why)
{
	struct docker_engine_info i;
	char err[192] = "";

	assert_int_equal(docker_info_parse(resp, strlen(resp), &i, err, sizeof(err)), -EPROTO);
	if (!strstr(err, why))
		fail_msg("\"%s\" does not say \"%s\"", err, why);
	assert_string_equal(i.name, "");
}

static void test_info_refused(void **state)
{
	(void)state;
	expect_refused("HTTP/1.0 500 Internal Server Error\r\n\r\n{}", "not 200");
	expect_refused("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n", "no body");
	expect_refused("HTTP/1.0 200 OK\r\n\r\n[1,2]", "not a JSON object");
	expect_refused("HTTP/1.0 200 OK\r\n\r\n{\"Name\":7}", "Name is not a string");
	expect_refused("HTTP/1.0 200 OK\n\n{\"CgroupVersion\":\"123456789\"}", "CgroupVersion is too long");
	expect_refused("HTTP/1.0 200 OK\n\n{\"Name\":\"a\\u0000b\"}", "NUL");
	expect_refused("", "not 200");
}

static void test_info_desktop(void **state)
{
	struct docker_engine_info native = { .name = "box", .os = "Debian GNU/Linux 12 (bookworm)" };
	struct docker_engine_info unnamed = { 0 };
	struct docker_engine_info named = { .name = "docker-desktop", .os = "Ubuntu 24.04" };

	(void)state;
	assert_false(docker_info_is_desktop(&native, false));
	/* A native engine on the path Desktop's proxy would use is still native. */
	assert_false(docker_info_is_desktop(&native, true));
	assert_true(docker_info_is_desktop(&unnamed, true));
	assert_false(docker_info_is_desktop(&unnamed, false));
	assert_true(docker_info_is_desktop(&named, true));
}

static void test_reach_files(void **state)
{
	const char *root = tree_from_fixture(NULL);
	struct engine_reach r = { .info = { .data_root = "/var/lib/docker", .driver = "overlay2" } };

	(void)state;
	engine_reach_files(root, &r);
	assert_false(r.files_reachable);
	assert_int_equal(r.files_err, -ENOENT);
	assert_string_equal(r.files_where, "/var/lib/docker/overlay2");
	/* A user distro's own empty directory is not the engine's data root. */
	tree_write_str(root, "var/lib/docker/overlay2/.keep", "");
	tree_remove(root, "var/lib/docker/overlay2/.keep");
	engine_reach_files(root, &r);
	assert_false(r.files_reachable);
	assert_int_equal(r.files_err, -ENOENT);
	tree_write_str(root, "var/lib/docker/overlay2/l/ABC", "x");
	engine_reach_files(root, &r);
	assert_true(r.files_reachable);
	assert_int_equal(r.files_err, 0);
	r.info.data_root[0] = '\0';
	engine_reach_files(root, &r);
	assert_false(r.files_reachable);
	assert_int_equal(r.files_err, -ENODATA);
	tree_destroy(root);
}

static void test_reach_tree(void **state)
{
	const char *root = tree_from_fixture(NULL);
	struct engine_reach r;

	(void)state;
	engine_reach_probe(root, NULL, 100, &r);
	assert_false(r.desktop_dir);
	assert_false(r.engine_known);
	assert_int_equal(r.engine_err, -EOPNOTSUPP);
	tree_write_str(root, "mnt/wsl/docker-desktop/cli-tools/.keep", "");
	engine_reach_probe(root, NULL, 100, &r);
	assert_true(r.desktop_dir);
	assert_false(r.proxy_socket);
	tree_destroy(root);
}

#define MI(root, mnt) "30 25 0:26 " root " " mnt " rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"

static void test_placement(void **state)
{
	struct cgroup_placement p;

	(void)state;
	/* (a) WSL before 2.9.8: the distro's init in the root cgroup. */
	cgroup_placement_parse("0::/\n", "22 1 8:1 / / rw - ext4 /dev/sdc rw\n" MI("/", "/sys/fs/cgroup"),
			       CGROUP_NS_INIT_INO, 0, &p);
	assert_int_equal(p.layout, WSL_CGROUP_FLAT);
	assert_string_equal(wsl_cgroup_layout_name(p.layout), "flat");
	assert_true(p.others_by_path);
	assert_string_equal(p.mount_point, "/sys/fs/cgroup");
	/* (b) 2.9.8: wsl-user/distro-<pid>, one namespace. */
	cgroup_placement_parse("0::/wsl-user/distro-412/init.scope\n", MI("/", "/sys/fs/cgroup"),
			       CGROUP_NS_INIT_INO, 0, &p);
	assert_int_equal(p.layout, WSL_CGROUP_DISTRO);
	assert_int_equal(p.distro_pid, 412);
	assert_true(p.others_by_path);
	assert_string_equal(p.self, "/wsl-user/distro-412/init.scope");
	/* (c) 2.9.13: a namespace rooted at distro-<pid>, cgroup2 mounted in it. */
	cgroup_placement_parse("0::/init.scope\n", MI("/", "/sys/fs/cgroup"), 4026532301ull, 1, &p);
	assert_int_equal(p.layout, WSL_CGROUP_DISTRO_NS);
	assert_int_equal(p.own_ns, 1);
	assert_false(p.others_by_path);
	assert_false(p.root_is_kernel_root);
	/* (c) told by the mount's root alone when the ns inode is unknown. */
	cgroup_placement_parse("0::/init.scope\n", MI("/", "/sys/fs/cgroup"), 0, 1, &p);
	assert_int_equal(p.layout, WSL_CGROUP_DISTRO_NS);
	/* A namespace whose mount was not made again (mount root "/.."). */
	cgroup_placement_parse("0::/\n", MI("/..", "/sys/fs/cgroup"), 4026532301ull, 0, &p);
	assert_int_equal(p.layout, WSL_CGROUP_DISTRO_NS);
	assert_false(p.others_by_path);
	/* "distro-12x" is not a distro's cgroup; a mount point escaped. */
	cgroup_placement_parse("0::/wsl-user/distro-12x\n", MI("/", "/sys/fs/my\\040cg"),
			       CGROUP_NS_INIT_INO, 0, &p);
	assert_int_equal(p.layout, WSL_CGROUP_FLAT);
	assert_int_equal(p.distro_pid, 0);
	assert_string_equal(p.mount_point, "/sys/fs/my cg");
	/* Nothing to tell by. */
	cgroup_placement_parse("", "22 1 8:1 / / rw - ext4 /dev/sdc rw\n", 0, -1, &p);
	assert_int_equal(p.layout, WSL_CGROUP_UNKNOWN);
	cgroup_placement_parse("0::/\n", "garbage\n30 25 0:26 / - cgroup2\n", 0, -1, &p);
	assert_int_equal(p.layout, WSL_CGROUP_UNKNOWN);
}

static void test_describe(void **state)
{
	struct cgroup_placement p;
	struct engine_reach r = { 0 };
	char line[512];

	(void)state;
	cgroup_placement_parse("0::/init.scope\n", MI("/", "/sys/fs/cgroup"), 4026532301ull, 1, &p);
	p.by_id = 1;
	cgroup_placement_describe(&p, line, sizeof(line));
	assert_string_equal(line, "distro-ns: own cgroup namespace (at /init.scope); other distros' "
			    "cgroups: by id only; by id: yes");
	cgroup_placement_parse("0::/wsl-user/distro-9/init.scope\n", MI("/", "/sys/fs/cgroup"),
			       CGROUP_NS_INIT_INO, 0, &p);
	p.by_id = 0, p.by_id_err = -EPERM;
	cgroup_placement_describe(&p, line, sizeof(line));
	assert_string_equal(line, "distro: wsl-user/distro-N, one cgroup namespace (at "
			    "/wsl-user/distro-9/init.scope); other distros' cgroups: by path; by id: no (EPERM)");
	assert_int_equal(docker_info_parse(INFO_OK, strlen(INFO_OK), &r.info, line, sizeof(line)), 0);
	r.engine_known = r.desktop = true;
	snprintf(r.socket, sizeof(r.socket), "/var/run/docker.sock");
	snprintf(r.files_where, sizeof(r.files_where), "/var/lib/docker/overlay2");
	r.files_err = -ENOENT;
	engine_reach_describe(&r, line, sizeof(line));
	assert_string_equal(line, "Docker Desktop (docker-desktop 27.4.0, cgroupfs v2) via "
			    "/var/run/docker.sock; its files: out of reach (/var/lib/docker/overlay2: "
			    "ENOENT): cgroup levers only");
	r.files_err = 0, r.files_reachable = true, r.desktop = false;
	engine_reach_describe(&r, line, sizeof(line));
	assert_string_equal(line, "Docker Desktop (docker-desktop 27.4.0, cgroupfs v2) via "
			    "/var/run/docker.sock; its files: reachable under /var/lib/docker/overlay2");
	r.engine_known = false, r.proxy_socket = true;
	snprintf(r.engine_why, sizeof(r.engine_why), "/var/run/docker.sock: Connection refused");
	engine_reach_describe(&r, line, sizeof(line));
	assert_string_equal(line, "no engine answered (/var/run/docker.sock: Connection refused); "
			    "Docker Desktop's proxy socket is here");
	engine_reach_describe(&r, line, 8);  /* truncated, terminated */
	assert_int_equal(strlen(line), 7);
}

static void test_ancestry_table(void **state)
{
	struct cgroup_ancestry *a = calloc(1, sizeof(*a));
	uint64_t up[CGROUP_ANCESTRY_DEPTH], chain[12] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0 };

	(void)state;
	assert_non_null(a);
	assert_int_equal(cgroup_ancestry_get(a, 42, up, 8), 0);
	cgroup_ancestry_record(a, 42, chain, 3);
	assert_int_equal(cgroup_ancestry_get(a, 42, up, 8), 3);
	assert_int_equal(up[0], 9);
	assert_int_equal(up[2], 7);
	assert_int_equal(cgroup_ancestry_get(a, 42, up, 1), 1);
	cgroup_ancestry_record(a, 43, chain, 12);  /* kept to the depth */
	assert_int_equal(cgroup_ancestry_get(a, 43, up, 8), CGROUP_ANCESTRY_DEPTH);
	cgroup_ancestry_record(a, 42, chain + 1, 1);  /* replaced, not added */
	assert_int_equal(cgroup_ancestry_get(a, 42, up, 8), 1);
	assert_int_equal(up[0], 8);
	assert_int_equal(a->n, 2);
	/* Full: the oldest is forgotten. */
	for (uint64_t id = 100; id < 100 + CGROUP_ANCESTRY_MAX - 2; id++)
		cgroup_ancestry_record(a, id, chain, 1);
	assert_int_equal(a->n, CGROUP_ANCESTRY_MAX);
	cgroup_ancestry_record(a, 5000, chain, 2);
	assert_int_equal(cgroup_ancestry_get(a, 42, up, 8), 0);
	assert_int_equal(cgroup_ancestry_get(a, 43, up, 8), CGROUP_ANCESTRY_DEPTH);
	assert_int_equal(cgroup_ancestry_get(a, 5000, up, 8), 2);
	free(a);
}

/* The live cgroup2 mount (the first in /proc/self/mounts). */
static bool cgroup2_mount(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char dev[256], mnt[4096], type[64];
	bool found = false;

	if (!f)
		return false;
	while (!found && fscanf(f, "%255s %4095s %63s %*[^\n]", dev, mnt, type) == 3)
		if (!strcmp(type, "cgroup2")) {
			snprintf(buf, size, "%s", mnt);
			found = true;
		}
	fclose(f);
	return found;
}

static uint64_t id_of(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	uint64_t id = 0;

	assert_true(fd >= 0);
	assert_int_equal(cgroup_id_of_fd(fd, &id), 0);
	close(fd);
	return id;
}

struct live { char mnt[4096], top[4200], mid[4300], leaf[4400]; };

static int live_setup(void **state)
{
	static struct live l;

	if (geteuid() != 0 || !cgroup2_mount(l.mnt, sizeof(l.mnt))) {
		*state = NULL;
		return 0;
	}
	snprintf(l.top, sizeof(l.top), "%s/wsldock-test-anc.%d", l.mnt, (int)getpid());
	snprintf(l.mid, sizeof(l.mid), "%s/buildkit", l.top);
	snprintf(l.leaf, sizeof(l.leaf), "%s/step", l.mid);
	if (mkdir(l.top, 0755) || mkdir(l.mid, 0755) || mkdir(l.leaf, 0755))
		return -1;
	*state = &l;
	return 0;
}

static int live_teardown(void **state)
{
	struct live *l = *state;

	if (l) {
		rmdir(l->leaf);
		rmdir(l->mid);
		rmdir(l->top);
	}
	return 0;
}

static void test_ancestry_live(void **state)
{
	struct live *l = *state;
	struct cgroup_ancestry *a;
	uint64_t up[CGROUP_ANCESTRY_DEPTH], leaf, mid, top;
	int mfd, n;

	if (!l) {
		unit_skip("needs root and a cgroup2 mount");
		return;
	}
	a = calloc(1, sizeof(*a));
	assert_non_null(a);
	leaf = id_of(l->leaf), mid = id_of(l->mid), top = id_of(l->top);
	mfd = open(l->mnt, O_RDONLY | O_DIRECTORY);
	assert_true(mfd >= 0);
	n = cgroup_ancestry_note(a, mfd, leaf);
	assert_true(n >= 2);
	assert_int_equal(cgroup_ancestry_get(a, leaf, up, CGROUP_ANCESTRY_DEPTH), (size_t)n);
	assert_int_equal(up[0], mid);
	assert_int_equal(up[1], top);
	/* The kernel's root cgroup is never listed. */
	assert_int_equal(n, 2);
	assert_int_equal(rmdir(l->leaf), 0);
	assert_int_equal(cgroup_ancestry_note(a, mfd, leaf), n);  /* known: not walked again */
	free(a);
	a = calloc(1, sizeof(*a));
	assert_int_equal(cgroup_ancestry_note(a, mfd, leaf), -ESTALE);
	free(a);
	close(mfd);
}

#define FILL_BYTES (16u << 20)

/* A process in cgroup dir writes FILL_BYTES to a file on disk (its page
 * cache charged there), then leaves; *path is the file's name. */
static void fill_and_leave(const char *dir, char **path)
{
	static char name[64];
	char procs[4500];
	pid_t pid;
	int st;

	snprintf(name, sizeof(name), "/var/tmp/wsldock-test-anc.%d.dat", (int)getpid());
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	*path = name;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static char buf[1 << 20];
		FILE *f = fopen(procs, "w");
		int fd;

		if (!f || fprintf(f, "0\n") < 0 || fclose(f))
			_exit(1);
		fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			_exit(2);
		memset(buf, 'x', sizeof(buf));
		for (unsigned i = 0; i < FILL_BYTES / sizeof(buf); i++)
			if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				_exit(3);
		_exit(fsync(fd) || close(fd) ? 4 : 0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* memory.reclaim on a removed cgroup's id goes to its nearest live
 * ancestor noted while it lived.  Where the memory controller is not
 * enabled (this development machine's cgroup2) the ancestor's
 * memory.stat is missing, which the result names; where it is (the
 * tests/vm guests, which run this test too) the removed cgroup's page
 * cache comes back through the ancestor. */
static void test_lever_ancestor(void **state)
{
	struct live *l = *state;
	struct action_cgroup g = { .bytes = FILL_BYTES };
	struct action_request q = { .lever = LEVER_MEMCG_RECLAIM, .cgroups = &g, .ncgroups = 1,
				    .max_duration_ns = 5000000000ull };
	struct action_result r;
	char want[128], *data = NULL;
	uint64_t mid;
	int mfd;

	if (!l) {
		unit_skip("needs root and a cgroup2 mount");
		return;
	}
	if (access(l->leaf, F_OK) != 0)
		assert_int_equal(mkdir(l->leaf, 0755), 0);
	g.cgid = id_of(l->leaf);
	mid = id_of(l->mid);
	mfd = open(l->mnt, O_RDONLY | O_DIRECTORY);
	assert_true(mfd >= 0);
	assert_true(cgroup_ancestry_note(cgroup_ancestry_global(), mfd, g.cgid) >= 2);
	close(mfd);
	fill_and_leave(l->leaf, &data);
	assert_int_equal(rmdir(l->leaf), 0);
	action_run(&q, &r);
	snprintf(want, sizeof(want), "cgroup id %" PRIu64 " (removed) at its ancestor id %" PRIu64,
		 g.cgid, mid);
	if (access(l->mid, F_OK) == 0 && r.error == -ENOENT) {
		/* No memory controller here: memory.stat of the ancestor. */
		if (!strstr(r.error_where, want))
			fail_msg("error_where \"%s\" does not name the ancestor (\"%s\")", r.error_where, want);
	} else {
		/* The removed cgroup's cache, charged to it still, came back
		 * through its parent. */
		if (r.error != 0 || r.unreachable != 0)
			fail_msg("the ancestor was not reached: %s %s", strerror(-r.error), r.error_where);
		if (r.bytes_returned < FILL_BYTES / 2)
			fail_msg("%" PRIu64 " bytes came back of the %u the removed cgroup held",
				 r.bytes_returned, FILL_BYTES);
	}
	unlink(data);
	/* Named by path only (layouts a and b): the nearest parent directory. */
	{
		struct action_cgroup gp = { .v2_path = l->leaf + strlen(l->mnt) + 1 };
		struct action_request qp = q;

		qp.cgroups = &gp;
		action_run(&qp, &r);
		snprintf(want, sizeof(want), "(removed) at its ancestor %s", l->mid);
		if (!strstr(r.error_where, want) && !(r.error == 0 && r.unreachable == 0))
			fail_msg("by path: %s / %s", strerror(-r.error), r.error_where);
	}
	/* Its ancestors gone too: the lever says so. */
	assert_int_equal(rmdir(l->mid), 0);
	assert_int_equal(rmdir(l->top), 0);
	action_run(&q, &r);
	if (r.error != -ESTALE || !strstr(r.error_where, "removed, and its"))
		fail_msg("%s / %s", strerror(-r.error), r.error_where);
}

/* In the Docker-Desktop-like guest's user distro (tests/vm/guest/dd-build.sh). */
static void test_live_topology(void **state)
{
	const char *want = getenv("WSLDOCK_TEST_EXPECT_LAYOUT");
	struct cgroup_placement p;
	struct engine_reach r;
	char line[1024];

	(void)state;
	if (!want) {
		unit_skip("WSLDOCK_TEST_EXPECT_LAYOUT is not set (the tests/vm Docker Desktop guest sets it)");
		return;
	}
	assert_int_equal(cgroup_placement_read(NULL, &p), 0);
	printf("layout %s: self %s, mount %s root %s, own ns %d, distro %llu, others by path %d, "
	       "by id %d (%s)\n", wsl_cgroup_layout_name(p.layout), p.self, p.mount_point,
	       p.mount_root, p.own_ns, p.distro_pid, p.others_by_path, p.by_id,
	       p.by_id_err ? strerror(-p.by_id_err) : "-");
	cgroup_placement_describe(&p, line, sizeof(line));
	printf("cgroups: %s\n", line);
	assert_string_equal(wsl_cgroup_layout_name(p.layout), want);
	assert_int_equal(p.by_id, 1);
	engine_reach_probe(NULL, NULL, 5000, &r);
	printf("engine: known %d (%s) socket %s, desktop dir %d proxy %d desktop %d, name %s os %s "
	       "root %s driver %s cgroup %s v%s version %s; files reachable %d (%s: %s)\n",
	       r.engine_known, r.engine_why, r.socket, r.desktop_dir, r.proxy_socket, r.desktop,
	       r.info.name, r.info.os, r.info.data_root, r.info.driver, r.info.cgroup_driver,
	       r.info.cgroup_version, r.info.version, r.files_reachable, r.files_where,
	       r.files_err ? strerror(-r.files_err) : "-");
	engine_reach_describe(&r, line, sizeof(line));
	printf("engine: %s\n", line);
	assert_true(r.engine_known);
	assert_true(r.desktop_dir);
	assert_true(r.proxy_socket);
	assert_true(r.desktop);
	assert_string_equal(r.info.data_root, "/var/lib/docker");
	assert_false(r.files_reachable);
	assert_int_equal(r.files_err, -ENOENT);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest live[] = {
		cmocka_unit_test(test_live_topology),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_parse),
		cmocka_unit_test(test_info_refused),
		cmocka_unit_test(test_info_desktop),
		cmocka_unit_test(test_reach_files),
		cmocka_unit_test(test_reach_tree),
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_ancestry_table),
		cmocka_unit_test_setup_teardown(test_ancestry_live, live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_lever_ancestor, live_setup, live_teardown),
	};

	if (argc > 1 && !strcmp(argv[1], "--live"))
		return unit_status(cmocka_run_group_tests(live, NULL, NULL));
	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
