/* SPDX-License-Identifier: MIT */
/* The package database parsers and the rules table, on text in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit.h"

#include "conflicts/pkgdb.h"
#include "conflicts/rules.h"
#include "shared/util.h"

struct ctx {
	struct pkgdb db;
	struct diag_list d;
	char text[4096];
};

static int setup(void **state)
{
	static struct ctx c;

	memset(&c, 0, sizeof(c));
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	pkgdb_free(&c->db);
	diag_free(&c->d);
	return 0;
}

static bool diag_has(const struct diag_list *d, const char *s)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->items[i], s))
			return true;
	return false;
}

static void dpkg_parse(struct ctx *c, const char *text, bool replace)
{
	snprintf(c->text, sizeof(c->text), "%s", text);
	assert_int_equal(pkgdb_dpkg_parse(&c->db, "status", c->text, replace, &c->d), 0);
}

static void test_dpkg_states(void **state)
{
	struct ctx *c = *state;
	const struct pkg *p;

	pkgdb_init(&c->db, PKGDB_DPKG);
	dpkg_parse(c,
		   "Package: docker.io\nStatus: install ok installed\nDescription: engine\n"
		   " continuation: not a field\n .\nVersion: 20.10\n\n\n"
		   "package: containerd\nSTATUS: install ok unpacked\n\n"
		   "Package: runc\nStatus: deinstall ok config-files\n\n"
		   "Package: hello\nStatus: install reinstreq half-configured\n",
		   false);
	assert_int_equal(c->db.n, 4);
	assert_int_equal(c->db.dropped, 0);
	p = pkgdb_find(&c->db, "docker.io");
	assert_non_null(p);
	assert_int_equal(p->state, PKG_INSTALLED);
	assert_string_equal(p->version, "20.10");
	assert_int_equal(p->line, 1);
	assert_string_equal(c->db.files[p->file], "status");
	p = pkgdb_find(&c->db, "containerd");
	assert_int_equal(p->state, PKG_PARTIAL);
	assert_string_equal(p->state_word, "unpacked");
	assert_int_equal(p->line, 9);
	assert_int_equal(pkgdb_find(&c->db, "runc")->state, PKG_CONFIG_FILES);
	assert_int_equal(pkgdb_find(&c->db, "hello")->state, PKG_PARTIAL);
}

static void test_dpkg_updates_override(void **state)
{
	struct ctx *c = *state;

	pkgdb_init(&c->db, PKGDB_DPKG);
	dpkg_parse(c, "Package: docker.io\nStatus: install ok installed\n\nPackage: a\nStatus: install ok installed\n", false);
	dpkg_parse(c, "Package: docker.io\nStatus: deinstall ok not-installed\n", true);
	dpkg_parse(c, "Package: runc\nStatus: install ok installed\n", true);
	assert_int_equal(c->db.n, 3);
	assert_int_equal(pkgdb_find(&c->db, "docker.io")->state, PKG_NOT_INSTALLED);
	assert_int_equal(pkgdb_find(&c->db, "runc")->state, PKG_INSTALLED);
	assert_int_equal(c->db.nfiles, 3);
}

static void test_dpkg_malformed(void **state)
{
	struct ctx *c = *state;

	pkgdb_init(&c->db, PKGDB_DPKG);
	dpkg_parse(c,
		   "Package: a\nVersion: 1\n\n"            /* 1: no Status */
		   "Status: install ok installed\n\n"      /* 4: no Package */
		   "Package: b\nStatus: install ok\n\n"    /* 6: two words */
		   "Package: c\nStatus: install ok weird\n\n" /* 9: unknown state */
		   "Package: d\nno colon here\nStatus: install ok installed\n\n" /* 12 */
		   "Package: e\nStatus: install ok installed extra\n\n" /* 16: four words */
		   "Package: \nStatus: install ok installed\n\n" /* 19: empty name */
		   "Package: good\nStatus: install ok installed", /* 22, no newline */
		   false);
	assert_int_equal(c->db.n, 1);
	assert_non_null(pkgdb_find(&c->db, "good"));
	assert_int_equal(c->db.dropped, 7);
	assert_true(diag_has(&c->d, "status:1: stanza for a has no Status field"));
	assert_true(diag_has(&c->d, "status:4: stanza has no Package field"));
	assert_true(diag_has(&c->d, "status:7: Status is not"));
	assert_true(diag_has(&c->d, "status:10: Status is not"));
	assert_true(diag_has(&c->d, "status:13: line is not"));
	assert_true(diag_has(&c->d, "status:17: Status is not"));
	assert_true(diag_has(&c->d, "status:19: Package name is empty"));
}

static void test_dpkg_empty(void **state)
{
	struct ctx *c = *state;

	pkgdb_init(&c->db, PKGDB_DPKG);
	dpkg_parse(c, "", false);
	dpkg_parse(c, "\n\n  \n", false);
	assert_int_equal(c->db.n, 0);
	assert_int_equal(c->db.dropped, 0);
}

static void test_apk(void **state)
{
	struct ctx *c = *state;

	pkgdb_init(&c->db, PKGDB_APK);
	snprintf(c->text, sizeof(c->text),
		 "C:Q1x=\nP:docker\nV:25.0.5-r0\nA:x86_64\n\nV:1\n\nP:docker-cli\nV:25.0.5-r0\nbad\n\n"
		 "P:\n\nP:busybox\r\nV:1.36\r\n");
	assert_int_equal(pkgdb_apk_parse(&c->db, "installed", c->text, &c->d), 0);
	assert_int_equal(c->db.n, 2);
	assert_string_equal(pkgdb_find(&c->db, "docker")->version, "25.0.5-r0");
	assert_int_equal(pkgdb_find(&c->db, "docker")->line, 1);
	assert_string_equal(pkgdb_find(&c->db, "busybox")->version, "1.36");
	assert_int_equal(c->db.dropped, 3);
	assert_true(diag_has(&c->d, "installed:6: stanza has no P:"));
	assert_true(diag_has(&c->d, "installed:10: line is not"));
	assert_true(diag_has(&c->d, "installed:12: package name is empty"));
}

static void test_pacman(void **state)
{
	struct ctx *c = *state;

	pkgdb_init(&c->db, PKGDB_PACMAN);
	snprintf(c->text, sizeof(c->text),
		 "%%NAME%%\ndocker\n\n%%VERSION%%\n1:24.0.7-1\n\n%%DEPENDS%%\ncontainerd\nrunc\n");
	assert_int_equal(pkgdb_pacman_parse_desc(&c->db, "a/desc", c->text, &c->d), 0);
	snprintf(c->text, sizeof(c->text), "%%VERSION%%\n1\n");
	assert_int_equal(pkgdb_pacman_parse_desc(&c->db, "b/desc", c->text, &c->d), 0);
	snprintf(c->text, sizeof(c->text), "stray\n%%NAME%%\nx\n");
	assert_int_equal(pkgdb_pacman_parse_desc(&c->db, "c/desc", c->text, &c->d), 0);
	assert_int_equal(c->db.n, 1);
	assert_string_equal(c->db.pkgs[0].name, "docker");
	assert_string_equal(c->db.pkgs[0].version, "1:24.0.7-1");
	assert_int_equal(c->db.pkgs[0].line, 2);
	assert_int_equal(c->db.dropped, 2);
	assert_true(diag_has(&c->d, "b/desc: no %NAME% section"));
	assert_true(diag_has(&c->d, "c/desc:1: value outside"));
}

static void test_rules(void **state)
{
	(void)state;
	assert_int_equal(family_from_os_id("ubuntu"), FAM_UBUNTU);
	assert_int_equal(family_from_os_id("rocky"), FAM_RHEL);
	assert_int_equal(family_from_os_id("gentoo"), 0);
	assert_non_null(conflict_rule_find("docker.io", FAM_DEBIAN));
	assert_null(conflict_rule_find("docker.io", FAM_FEDORA));
	assert_non_null(conflict_rule_find("docker-compose-v2", FAM_UBUNTU));
	assert_null(conflict_rule_find("docker-compose-v2", FAM_DEBIAN));
	assert_null(conflict_rule_find("podman", FAM_RHEL | FAM_FEDORA | FAM_CENTOS));
	assert_non_null(conflict_rule_find("podman-docker", FAM_RHEL));
	assert_non_null(conflict_rule_find("runc", FAM_SLES));
	assert_null(conflict_rule_find("runc", FAM_CENTOS | FAM_FEDORA));
	assert_non_null(conflict_rule_find("moby-engine", FAM_FEDORA));
	assert_non_null(conflict_rule_find("docker-ce", FAM_CENTOS));
	assert_null(conflict_rule_find("docker-ce", FAM_ARCH));
	assert_non_null(conflict_rule_find("docker", FAM_SNAP));
	assert_string_equal(remedy_remove_command(PKGDB_DPKG, FAM_UBUNTU, false), "sudo apt remove");
	assert_string_equal(remedy_remove_command(PKGDB_DPKG, FAM_UBUNTU, true), "sudo apt purge");
	assert_string_equal(remedy_remove_command(PKGDB_RPM, FAM_SLES, false), "sudo zypper remove");
	assert_string_equal(remedy_remove_command(PKGDB_RPM, FAM_FEDORA, false), "sudo dnf remove");
	assert_string_equal(remedy_remove_command(PKGDB_PACMAN, FAM_ARCH, false), "sudo pacman -Rns");
	/* Every name in the table is unique within a family, so a finding's
	 * rule is never ambiguous. */
	for (size_t i = 0; i < conflict_rules_n; i++)
		for (size_t j = i + 1; j < conflict_rules_n; j++)
			assert_true(strcmp(conflict_rules[i].name, conflict_rules[j].name) ||
				    !(conflict_rules[i].families & conflict_rules[j].families));
}

/* The man page's CONFLICT RULES list and rules.c are one table: every
 * family's line names exactly the table's names for that family. */
static void test_man_page_matches_table(void **state)
{
	static const struct { const char *label; unsigned fam; } fams[] = {
		{ "Ubuntu", FAM_UBUNTU }, { "Debian", FAM_DEBIAN }, { "Fedora", FAM_FEDORA },
		{ "RHEL", FAM_RHEL }, { "CentOS", FAM_CENTOS }, { "SLES", FAM_SLES },
		{ "Alpine", FAM_ALPINE }, { "Arch", FAM_ARCH }, { "Snap", FAM_SNAP },
	};
	const char *srcdir = getenv("top_srcdir");
	char path[4096], *text = NULL, *cursor, *line, *label = NULL;
	unsigned lineno = 0, seen = 0;
	bool in_section = false, after_tp = false;

	(void)state;
	if (!srcdir)
		unit_skip("top_srcdir is not set: the man page cannot be found");
	snprintf(path, sizeof(path), "%s/man/wsldock-agent.8", srcdir);
	assert_int_equal(read_text_file(path, 1u << 20, &text, NULL), 0);
	for (cursor = text; (line = next_line(&cursor, &lineno));) {
		if (!strncmp(line, ".SH ", 4)) {
			in_section = !strcmp(line, ".SH CONFLICT RULES");
			continue;
		}
		if (!in_section)
			continue;
		if (!strncmp(line, ".B ", 3) && after_tp) {
			label = line + 3;
			after_tp = false;
			continue;
		}
		after_tp = !strcmp(line, ".TP");
		if (!label || line[0] == '.') {
			label = NULL;
			continue;
		}
		unsigned fam = 0, n = 0, want = 0;
		char *save = NULL, *w, *o;

		for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++)
			if (!strncmp(label, fams[i].label, strlen(fams[i].label)))
				fam = fams[i].fam;
		if (!fam)
			fail_msg("man page line %u: unknown family '%s'", lineno, label);
		for (w = o = line; *w; w++)  /* "\-" is roff for "-" */
			if (!(w[0] == '\\' && w[1] == '-'))
				*o++ = *w;
		*o = '\0';
		for (w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save), n++)
			if (!conflict_rule_find(w, fam))
				fail_msg("man page: %s listed for %s but not in rules.c", w, label);
		for (size_t i = 0; i < conflict_rules_n; i++)
			want += !!(conflict_rules[i].families & fam);
		if (n != want)
			fail_msg("man page: %u names for %s, rules.c has %u", n, label, want);
		seen |= fam;
		label = NULL;
	}
	free(text);
	assert_int_equal(seen, (1u << (sizeof(fams) / sizeof(fams[0]))) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dpkg_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dpkg_updates_override, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dpkg_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dpkg_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pacman, setup, teardown),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_man_page_matches_table),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
