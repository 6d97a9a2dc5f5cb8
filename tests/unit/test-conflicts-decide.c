/* SPDX-License-Identifier: MIT */
/* conflicts_decide() and the --fix plan are pure functions of the facts:
 * table tests with hand-made facts, no root involved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit.h"

#include "conflicts/conflicts.h"
#include "conflicts/rules.h"

static struct conflict_facts *facts_new(unsigned os_families)
{
	struct conflict_facts *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	for (unsigned k = 0; k < _PKGDB_MAX; k++)
		pkgdb_init(&f->dbs[k], k);
	f->os_families = os_families;
	f->wslconf_systemd = -1;
	return f;
}

static void facts_free(struct conflict_facts *f)
{
	conflicts_facts_free(f);
	free(f);
}

static void add_pkg(struct conflict_facts *f, enum pkgdb_kind k, const char *name, enum pkg_state s)
{
	struct pkgdb *db = &f->dbs[k];
	struct pkg p = { .state = s, .line = 1 };

	db->present = true;
	db->st.state = SOURCE_OK;
	if (!db->nfiles)
		assert_int_equal(pkgdb_add_file(db, "/db", &p.file), 0);
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.state_word, sizeof(p.state_word), "%s", pkg_state_name(s));
	assert_int_equal(pkgdb_put(db, &p, false), 0);
}

static const struct finding *find(const struct finding_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i].id, id))
			return &l->items[i];
	return NULL;
}

/* One package in one database: is it flagged, how, with which remedy. */
static const struct {
	unsigned os;
	enum pkgdb_kind db;
	const char *name;
	enum pkg_state state;
	int severity;  /* -1: no finding */
	const char *remedy;
} pkg_rows[] = {
	{ FAM_UBUNTU, PKGDB_DPKG, "docker.io", PKG_INSTALLED, SEV_CONFLICT, "sudo apt remove docker.io" },
	{ FAM_UBUNTU, PKGDB_DPKG, "docker-compose-v2", PKG_INSTALLED, SEV_CONFLICT, "sudo apt remove docker-compose-v2" },
	{ FAM_DEBIAN, PKGDB_DPKG, "docker-compose-v2", PKG_INSTALLED, -1, NULL },
	{ FAM_DEBIAN, PKGDB_DPKG, "docker-cli", PKG_INSTALLED, SEV_CONFLICT, "sudo apt remove docker-cli" },
	{ 0, PKGDB_DPKG, "docker-compose-v2", PKG_INSTALLED, SEV_CONFLICT, "sudo apt remove docker-compose-v2" },
	{ FAM_DEBIAN, PKGDB_DPKG, "containerd", PKG_PARTIAL, SEV_CONFLICT, "sudo apt remove containerd" },
	{ FAM_DEBIAN, PKGDB_DPKG, "runc", PKG_CONFIG_FILES, SEV_INFO, "sudo apt purge runc" },
	{ FAM_DEBIAN, PKGDB_DPKG, "runc", PKG_NOT_INSTALLED, -1, NULL },
	{ FAM_DEBIAN, PKGDB_DPKG, "bash", PKG_INSTALLED, -1, NULL },
	{ FAM_DEBIAN, PKGDB_DPKG, "docker-ce", PKG_INSTALLED, SEV_CONFLICT, "sudo apt remove docker-ce" },
	{ FAM_FEDORA, PKGDB_RPM, "moby-engine", PKG_INSTALLED, SEV_CONFLICT, "sudo dnf remove moby-engine" },
	{ FAM_FEDORA, PKGDB_RPM, "podman", PKG_INSTALLED, -1, NULL },
	/* podman is not in Desktop's way; podman-docker (a docker command) is. */
	{ FAM_RHEL, PKGDB_RPM, "podman", PKG_INSTALLED, -1, NULL },
	{ FAM_RHEL, PKGDB_RPM, "podman-docker", PKG_INSTALLED, SEV_CONFLICT, "sudo dnf remove podman-docker" },
	{ FAM_CENTOS, PKGDB_RPM, "runc", PKG_INSTALLED, -1, NULL },
	{ FAM_SLES, PKGDB_RPM, "runc", PKG_INSTALLED, SEV_CONFLICT, "sudo zypper remove runc" },
	/* An Ubuntu ID with an rpm database: judge by what rpm distros ship. */
	{ FAM_UBUNTU, PKGDB_RPM, "docker-ce", PKG_INSTALLED, SEV_CONFLICT, "sudo dnf remove docker-ce" },
	{ FAM_ALPINE, PKGDB_APK, "docker-engine", PKG_INSTALLED, SEV_CONFLICT, "sudo apk del docker-engine" },
	{ FAM_ALPINE, PKGDB_APK, "containerd", PKG_INSTALLED, -1, NULL },
	{ FAM_ARCH, PKGDB_PACMAN, "docker", PKG_INSTALLED, SEV_CONFLICT, "sudo pacman -Rns docker" },
	{ FAM_UBUNTU, PKGDB_SNAP, "docker", PKG_INSTALLED, SEV_CONFLICT, "sudo snap remove docker" },
};

static void test_package_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pkg_rows) / sizeof(pkg_rows[0]); i++) {
		struct conflict_facts *f = facts_new(pkg_rows[i].os);
		struct finding_list *l = calloc(1, sizeof(*l));
		const struct finding *x = NULL;

		add_pkg(f, pkg_rows[i].db, pkg_rows[i].name, pkg_rows[i].state);
		conflicts_decide(f, l);
		for (size_t j = 0; j < l->n; j++)
			if (l->items[j].kind == KIND_PACKAGE)
				x = &l->items[j];
		if (pkg_rows[i].severity < 0) {
			if (x)
				fail_msg("row %zu: %s flagged", i, pkg_rows[i].name);
			assert_int_equal(conflicts_count(l), 0);
		} else {
			if (!x)
				fail_msg("row %zu: %s not flagged", i, pkg_rows[i].name);
			assert_int_equal(x->severity, pkg_rows[i].severity);
			assert_string_equal(x->remedy, pkg_rows[i].remedy);
			assert_string_equal(x->name, pkg_rows[i].name);
			assert_string_equal(x->file, "/db:1");
		}
		facts_free(f);
		free(l);
	}
}

static void test_one_remedy_per_db(void **state)
{
	struct conflict_facts *f = facts_new(FAM_DEBIAN);
	struct finding_list *l = calloc(1, sizeof(*l));

	(void)state;
	add_pkg(f, PKGDB_DPKG, "docker.io", PKG_INSTALLED);
	add_pkg(f, PKGDB_DPKG, "containerd", PKG_INSTALLED);
	add_pkg(f, PKGDB_DPKG, "runc", PKG_INSTALLED);
	add_pkg(f, PKGDB_DPKG, "runc", PKG_INSTALLED);  /* second architecture */
	add_pkg(f, PKGDB_DPKG, "bash", PKG_INSTALLED);
	conflicts_decide(f, l);
	assert_int_equal(conflicts_count(l), 3);
	assert_string_equal(find(l, "package-dpkg-docker.io")->remedy,
			    "sudo apt remove docker.io containerd runc");
	assert_string_equal(find(l, "package-dpkg-runc")->remedy,
			    "sudo apt remove docker.io containerd runc");
	facts_free(f);
	free(l);
}

static void test_unreadable_and_malformed_db(void **state)
{
	struct conflict_facts *f = facts_new(0);
	struct finding_list *l = calloc(1, sizeof(*l));

	(void)state;
	f->dbs[PKGDB_RPM].present = true;
	source_fail(&f->dbs[PKGDB_RPM].st, SOURCE_UNREADABLE, "cannot read X");
	add_pkg(f, PKGDB_DPKG, "bash", PKG_INSTALLED);
	f->dbs[PKGDB_DPKG].dropped = 2;
	conflicts_decide(f, l);
	assert_int_equal(find(l, "pkgdb-unreadable-rpm")->severity, SEV_WARNING);
	assert_string_equal(find(l, "pkgdb-malformed-dpkg")->value, "2 records skipped");
	assert_int_equal(conflicts_count(l), 2);
	facts_free(f);
	free(l);
}

static void test_binaries(void **state)
{
	struct conflict_facts *f = facts_new(FAM_DEBIAN);
	struct finding_list *l = calloc(1, sizeof(*l));

	(void)state;
	snprintf(f->bins[0].path, sizeof(f->bins[0].path), "/usr/bin/docker");
	snprintf(f->bins[0].target, sizeof(f->bins[0].target), "/mnt/wsl/docker-desktop/cli-tools/usr/bin/docker");
	f->bins[0].desktop = true;
	snprintf(f->bins[1].path, sizeof(f->bins[1].path), "/usr/local/bin/dockerd");
	f->nbins = 2;
	conflicts_decide(f, l);
	assert_null(find(l, "binary-/usr/bin/docker"));
	assert_string_equal(find(l, "binary-/usr/local/bin/dockerd")->remedy, "sudo rm /usr/local/bin/dockerd");
	/* With a conflicting package, removing the package is the remedy. */
	add_pkg(f, PKGDB_DPKG, "docker.io", PKG_INSTALLED);
	conflicts_decide(f, l);
	assert_string_equal(find(l, "binary-/usr/local/bin/dockerd")->remedy, "sudo apt remove docker.io");
	/* File lists read: owned goes with its package, unowned is a hand copy. */
	f->bins[1].owner_checked = true;
	conflicts_decide(f, l);
	assert_string_equal(find(l, "binary-/usr/local/bin/dockerd")->remedy, "sudo rm /usr/local/bin/dockerd");
	assert_non_null(strstr(find(l, "binary-/usr/local/bin/dockerd")->message, "(copied by hand)"));
	snprintf(f->bins[1].owner, sizeof(f->bins[1].owner), "docker.io");
	f->bins[1].owner_db = PKGDB_DPKG;
	conflicts_decide(f, l);
	assert_string_equal(find(l, "binary-/usr/local/bin/dockerd")->remedy, "sudo apt remove docker.io");
	assert_non_null(strstr(find(l, "binary-/usr/local/bin/dockerd")->message, "(installed by docker.io)"));
	facts_free(f);
	free(l);
}

static void test_units_socket_env(void **state)
{
	struct conflict_facts *f = facts_new(FAM_DEBIAN);
	struct finding_list *l = calloc(1, sizeof(*l));

	(void)state;
	f->sock = SOCKET_OTHER;
	snprintf(f->sock_path, sizeof(f->sock_path), "/var/run/docker.sock");
	snprintf(f->sock_pid, sizeof(f->sock_pid), "77");
	conflicts_decide(f, l);
	assert_string_equal(find(l, "socket-not-desktop")->remedy, "sudo kill 77");
	f->units[UNIT_DOCKER_SOCKET].enabled = true;
	f->units[UNIT_CONTAINERD_SERVICE].active = true;
	snprintf(f->docker_host, sizeof(f->docker_host), "unix:///tmp/x.sock");
	snprintf(f->docker_context, sizeof(f->docker_context), "default");
	snprintf(f->context, sizeof(f->context), "colima");
	conflicts_decide(f, l);
	assert_string_equal(find(l, "service-docker.socket")->remedy,
			    "sudo systemctl disable --now docker.socket containerd.service");
	assert_string_equal(find(l, "service-containerd.service")->message,
			    "containerd.service is active: a native engine starts in this distro");
	assert_null(find(l, "service-docker.service"));
	assert_string_equal(find(l, "socket-not-desktop")->remedy,
			    "sudo systemctl disable --now docker.socket containerd.service");
	assert_string_equal(find(l, "environment-docker-host")->value, "DOCKER_HOST=unix:///tmp/x.sock");
	assert_null(find(l, "environment-docker-context"));
	assert_string_equal(find(l, "context-not-default")->remedy, "docker context use default");
	assert_int_equal(conflicts_count(l), 5);
	f->sock = SOCKET_DESKTOP;
	f->units[UNIT_DOCKER_SOCKET].enabled = false;
	f->units[UNIT_CONTAINERD_SERVICE].active = false;
	f->docker_host[0] = f->context[0] = '\0';
	snprintf(f->context, sizeof(f->context), "default");
	conflicts_decide(f, l);
	assert_int_equal(conflicts_count(l), 0);
	facts_free(f);
	free(l);
}

static void test_distro(void **state)
{
	struct conflict_facts *f = facts_new(0);
	struct finding_list *l = calloc(1, sizeof(*l));

	(void)state;
	conflicts_decide(f, l);
	assert_int_equal(conflicts_count(l), 0);
	assert_string_equal(find(l, "desktop-integration")->message,
			    "Docker Desktop integration is not present (no docker link into /mnt/wsl/docker-desktop/)");
	f->env.desktop_integration = true;
	snprintf(f->env.desktop_evidence, sizeof(f->env.desktop_evidence), "/usr/bin/docker -> x");
	f->wslconf_systemd = 1;
	f->wslconf_line = 3;
	snprintf(f->wslconf_file, sizeof(f->wslconf_file), "/etc/wsl.conf");
	conflicts_decide(f, l);
	assert_int_equal(conflicts_count(l), 0);
	assert_string_equal(find(l, "desktop-integration")->value, "/usr/bin/docker -> x");
	assert_string_equal(find(l, "wslconf-systemd")->file, "/etc/wsl.conf:3");
	f->env.desktop_distro = DESKTOP_DISTRO_DOCKER_DESKTOP_DATA;
	conflicts_decide(f, l);
	assert_int_equal(conflicts_count(l), 1);
	assert_string_equal(find(l, "desktop-internal-distro")->name, "docker-desktop-data");
	facts_free(f);
	free(l);
}

static char *joined(const struct fix_step *s, char *buf, size_t size)
{
	buf[0] = '\0';
	for (char *const *a = s->argv; *a; a++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? " " : "", *a);
	return buf;
}

static void test_fix_plan(void **state)
{
	struct conflict_facts *f = facts_new(FAM_UBUNTU);
	struct finding_list *l = calloc(1, sizeof(*l));
	struct fix_plan *p = calloc(1, sizeof(*p));
	char buf[512];

	(void)state;
	add_pkg(f, PKGDB_DPKG, "docker.io", PKG_INSTALLED);
	add_pkg(f, PKGDB_DPKG, "runc", PKG_CONFIG_FILES);
	add_pkg(f, PKGDB_SNAP, "docker", PKG_INSTALLED);
	f->units[UNIT_DOCKER_SERVICE].enabled = true;
	snprintf(f->docker_host, sizeof(f->docker_host), "tcp://x");
	conflicts_decide(f, l);

	fix_plan_build(f, l, true, p);
	assert_int_equal(p->n, 3);
	assert_string_equal(joined(&p->steps[0], buf, sizeof(buf)), "systemctl disable --now docker.service");
	assert_string_equal(joined(&p->steps[1], buf, sizeof(buf)), "apt-get remove -y docker.io");
	assert_string_equal(joined(&p->steps[2], buf, sizeof(buf)), "snap remove docker");
	assert_int_equal(p->skipped, 1);  /* DOCKER_HOST is the user's shell */

	fix_plan_build(f, l, false, p);
	assert_string_equal(joined(&p->steps[1], buf, sizeof(buf)), "apt-get remove docker.io");
	/* Each removal is explained in the plan. */
	assert_non_null(strstr(p->steps[1].why, "docker.io: Debian/Ubuntu Docker engine"));
	assert_non_null(strstr(p->steps[0].why, "docker.service: a native engine service"));

	snprintf(f->root, sizeof(f->root), "/srv/distro");
	fix_plan_build(f, l, true, p);
	assert_int_equal(p->n, 2);
	assert_string_equal(joined(&p->steps[0], buf, sizeof(buf)), "systemctl --root=/srv/distro disable docker.service");
	assert_string_equal(joined(&p->steps[1], buf, sizeof(buf)), "dpkg --root=/srv/distro --remove docker.io");
	assert_int_equal(p->skipped, 2);  /* + snap, which cannot act on a root */

	/* Nothing conflicting: nothing to run. */
	facts_free(f);
	f = facts_new(FAM_UBUNTU);
	conflicts_decide(f, l);
	fix_plan_build(f, l, true, p);
	assert_int_equal(p->n, 0);
	assert_int_equal(p->skipped, 0);
	facts_free(f);
	free(l);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_package_table),
		cmocka_unit_test(test_one_remedy_per_db),
		cmocka_unit_test(test_unreadable_and_malformed_db),
		cmocka_unit_test(test_binaries),
		cmocka_unit_test(test_units_socket_env),
		cmocka_unit_test(test_distro),
		cmocka_unit_test(test_fix_plan),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
