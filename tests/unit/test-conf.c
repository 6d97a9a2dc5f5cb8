/* SPDX-License-Identifier: MIT */
/* The configuration file: values and where they came from, drop-in order,
 * one diagnostic per problem naming file, line and key, a failed load that
 * leaves the running configuration alone, the shipped template, and the
 * man page listing every key. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"

#include "config/conf.h"
#include "shared/util.h"
#include "testutil.h"

static const struct policy_key *key(const char *name, size_t *index)
{
	for (size_t i = 0; i < policy_keys_n; i++)
		if (!strcmp(policy_keys[i].name, name)) {
			if (index)
				*index = i;
			return &policy_keys[i];
		}
	fail_msg("no key %s", name);
	return NULL;
}

static void test_room_for_every_key(void **state)
{
	assert_true(policy_keys_n <= CONF_KEYS_MAX);
}

static void test_values_and_origins(void **state)
{
	struct agent_conf c;
	struct diag_list d = { 0 };
	struct policy_config def;
	char buf[PATH_MAX + 16];
	size_t floor_i, quiet_i;

	conf_default(&c);
	policy_config_default(&def);
	assert_int_equal(conf_parse_text("# comment\n[reclaim]\nfloor = 1G\n\nquiet_period=5s ; why\n",
					 "/etc/x.conf", &c, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(c.reclaim.floor, 1024ull * MIB);
	assert_int_equal(c.reclaim.quiet_period_ns, 5 * NSEC_PER_SEC);
	assert_int_equal(c.reclaim.episode_min, def.episode_min);
	key("floor", &floor_i);
	key("quiet_period", &quiet_i);
	assert_string_equal(conf_origin_string(&c.reclaim_origin[floor_i], buf, sizeof(buf)),
			    "/etc/x.conf:3");
	assert_string_equal(conf_origin_string(&c.reclaim_origin[quiet_i], buf, sizeof(buf)),
			    "/etc/x.conf:5");
	assert_string_equal(conf_origin_string(&c.reclaim_origin[0], buf, sizeof(buf)), "default");
}

static void test_errors_name_file_line_key(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "# F\n[reclaim]\nfloor = banana\n", "F.conf:3: floor: 'banana' is not bytes" },
		{ "[reclaim]\nflor = 1G\n", "F.conf:2: flor: unknown key in [reclaim]" },
		{ "[agent]\nfloor = 1G\n", "F.conf:2: floor: unknown section [agent]" },
		{ "[reclaim]\njunk\n", "F.conf:2: syntax error" },
		{ "[reclaim]\nmode = sometimes\n", "F.conf:2: mode: 'sometimes' is not auto, wsl-idle or off" },
		{ "[reclaim]\nfinish_share = 2\n", "F.conf:2: finish_share: '2' is not a share" },
		{ "[reclaim]\nquiet_period = 3\n", "F.conf:2: quiet_period: '3' is not a duration" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct agent_conf c;
		struct diag_list d = { 0 };

		conf_default(&c);
		assert_int_equal(conf_parse_text(cases[i].text, "F.conf", &c, &d), -EINVAL);
		assert_int_equal(d.n, 1);
		if (!strstr(d.items[0], cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, d.items[0], cases[i].want);
		diag_free(&d);
	}
}

static void test_long_line(void **state)
{
	char text[600];
	struct agent_conf c;
	struct diag_list d = { 0 };

	snprintf(text, sizeof(text), "[reclaim]\nfloor = 1G ;%0400d\n", 0);
	conf_default(&c);
	assert_int_equal(conf_parse_text(text, "L", &c, &d), -EINVAL);
	assert_true(d.n >= 1);
	assert_non_null(strstr(d.items[d.n - 1], "L:2: line longer than"));
	diag_free(&d);
}

/* conf_load: main file, then drop-ins in lexical order; a bad drop-in
 * makes the whole load fail and keeps the previous configuration. */
static void test_load_dropins_and_keep_on_error(void **state)
{
	char *root = strdup(tree_from_fixture("plain-linux"));
	struct agent_conf c, before;
	struct diag_list d = { 0 };
	char buf[PATH_MAX + 16];
	size_t floor_i;

	key("floor", &floor_i);
	tree_write_str(root, "etc/wsldock/agent.conf", "[reclaim]\nfloor = 512M\n");
	tree_write_str(root, "etc/wsldock/agent.conf.d/20-b.conf", "[reclaim]\nfloor = 2G\n");
	tree_write_str(root, "etc/wsldock/agent.conf.d/10-a.conf", "[reclaim]\nfloor = 1G\n");
	tree_write_str(root, "etc/wsldock/agent.conf.d/ignored.txt", "junk\n");
	conf_default(&c);
	assert_int_equal(conf_load(root, NULL, &c, &d), 0);
	assert_int_equal(d.n, 0);
	assert_true(c.main_found);
	assert_int_equal(c.dropins, 2);
	assert_int_equal(c.reclaim.floor, 2048ull * MIB);
	assert_string_equal(conf_origin_string(&c.reclaim_origin[floor_i], buf, sizeof(buf)),
			    "/etc/wsldock/agent.conf.d/20-b.conf:2");

	before = c;
	tree_write_str(root, "etc/wsldock/agent.conf.d/30-bad.conf", "[reclaim]\n\nfloor = banana\n");
	assert_int_equal(conf_load(root, NULL, &c, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.items[0], "/etc/wsldock/agent.conf.d/30-bad.conf:3: floor:"));
	assert_memory_equal(&c, &before, sizeof(c));
	diag_free(&d);
	tree_destroy(root);
	free(root);
}

static void test_missing_default_is_fine_explicit_is_not(void **state)
{
	char *root = strdup(tree_from_fixture("plain-linux"));
	struct agent_conf c;
	struct diag_list d = { 0 };
	char path[PATH_MAX];

	conf_default(&c);
	assert_int_equal(conf_load(root, NULL, &c, &d), 0);
	assert_false(c.main_found);
	snprintf(path, sizeof(path), "%s/nonexistent.conf", root);
	assert_int_equal(conf_load(root, path, &c, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.items[0], "nonexistent.conf: cannot read"));
	diag_free(&d);
	tree_destroy(root);
	free(root);
}

/* The default file and its drop-ins are read through the root: a drop-in
 * directory or file that links out of the tree is resolved inside it (an
 * absolute link as the root's own "/", ".." stopping at the root), never
 * followed to the host's files; a FIFO drop-in is refused, not waited on. */
static void test_load_stays_in_root(void **state)
{
	char *root = strdup(tree_from_fixture("plain-linux"));
	char *outside = strdup(tree_from_fixture(NULL));
	char link[PATH_MAX * 2], target[PATH_MAX * 2], buf[PATH_MAX + 16];
	struct agent_conf c;
	struct diag_list d = { 0 };
	size_t floor_i;

	key("floor", &floor_i);
	tree_write_str(outside, "evil.d/50-evil.conf", "[reclaim]\nfloor = 9G\n");
	tree_write_str(outside, "evil.conf", "[reclaim]\nfloor = 9G\n");
	tree_write_str(root, "etc/wsldock/agent.conf", "[reclaim]\nfloor = 512M\n");
	/* An absolute link to the host's directory: inside the root it names
	 * ROOT/tmp/..., which does not exist: no drop-ins. */
	snprintf(link, sizeof(link), "%s/etc/wsldock/agent.conf.d", root);
	snprintf(target, sizeof(target), "%s/evil.d", outside);
	assert_int_equal(symlink(target, link), 0);
	conf_default(&c);
	assert_int_equal(conf_load(root, NULL, &c, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(c.dropins, 0);
	assert_int_equal(c.reclaim.floor, 512ull * MIB);

	/* A relative link climbing out: ".." stops at the root. */
	assert_int_equal(unlink(link), 0);
	snprintf(target, sizeof(target), "../../../../../../../..%s/evil.d", outside);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(conf_load(root, NULL, &c, &d), 0);
	assert_int_equal(c.dropins, 0);
	assert_int_equal(c.reclaim.floor, 512ull * MIB);

	/* The root's own absolute link is followed as the root sees it. */
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink("/etc/wsldock/real.d", link), 0);
	tree_write_str(root, "etc/wsldock/real.d/10-a.conf", "[reclaim]\nfloor = 1G\n");
	assert_int_equal(conf_load(root, NULL, &c, &d), 0);
	assert_int_equal(c.dropins, 1);
	assert_int_equal(c.reclaim.floor, 1024ull * MIB);
	assert_string_equal(conf_origin_string(&c.reclaim_origin[floor_i], buf, sizeof(buf)),
			    "/etc/wsldock/agent.conf.d/10-a.conf:2");

	/* A drop-in file linking to the host's file: not read, said so. */
	snprintf(link, sizeof(link), "%s/etc/wsldock/real.d/20-evil.conf", root);
	snprintf(target, sizeof(target), "%s/evil.conf", outside);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(conf_load(root, NULL, &c, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.items[0], "/etc/wsldock/agent.conf.d/20-evil.conf: cannot read: "));
	assert_int_equal(c.reclaim.floor, 1024ull * MIB);
	diag_free(&d);

	/* A FIFO drop-in: refused at once, named. */
	assert_int_equal(unlink(link), 0);
	assert_int_equal(mkfifo(link, 0644), 0);
	assert_int_equal(conf_load(root, NULL, &c, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.items[0], "20-evil.conf: cannot read: not a regular file"));
	diag_free(&d);
	tree_destroy(outside);
	tree_destroy(root);
	free(outside);
	free(root);
}

/* Every key in the man page's KEYS list with its default, and every listed
 * key exists.  (wsldock-agent(8) points there rather than list them again.) */
static void test_man_page_lists_every_key(void **state)
{
	_cleanup_free_ char *man = NULL;
	char path[PATH_MAX], needle[160], def[64];
	struct policy_config c;

	snprintf(path, sizeof(path), "%s/../../man/wsldock-agent.conf.5", FIXTURES_DIR);
	assert_int_equal(read_text_file(path, 1 << 20, &man, NULL), 0);
	policy_config_default(&c);
	for (size_t i = 0; i < policy_keys_n; i++) {
		policy_config_format(&c, &policy_keys[i], def, sizeof(def));
		snprintf(needle, sizeof(needle), "\n.IP \"\\fB%s\\fR = \\fI%s\\fR ",
			 policy_keys[i].name, def);
		if (!strstr(man, needle))
			fail_msg("wsldock-agent.conf(5) does not list key %s with its default %s",
				 policy_keys[i].name, def);
	}
	for (const char *p = man; (p = strstr(p, "\n.IP \"\\fB")); p++) {
		char name[64];

		if (sscanf(p, "\n.IP \"\\fB%63[a-z0-9_]", name) != 1)
			continue;
		key(name, NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_room_for_every_key),
		cmocka_unit_test(test_values_and_origins),
		cmocka_unit_test(test_errors_name_file_line_key),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_load_dropins_and_keep_on_error),
		cmocka_unit_test(test_missing_default_is_fine_explicit_is_not),
		cmocka_unit_test(test_load_stays_in_root),
		cmocka_unit_test(test_man_page_lists_every_key),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
