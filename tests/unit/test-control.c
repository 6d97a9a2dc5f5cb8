/* SPDX-License-Identifier: MIT */
/* The control socket's protocol: every request and field it accepts, every
 * way a line is refused (with a phrase saying what is allowed), who may ask
 * what, and --set values on top of the configuration file with their origin. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "unit.h"

#include "daemon/control_proto.h"
#include "daemon/service.h"
#include "testutil.h"

static int parse(const char *line, struct control_request *req, char *err)
{
	err[0] = '\0';
	return control_parse_request(line, strlen(line), req, err, 320);
}

static void test_good_requests(void **state)
{
	struct control_request r;
	char err[320];

	assert_int_equal(parse("{\"request\":\"status\"}", &r, err), 0);
	assert_int_equal(r.verb, CONTROL_STATUS);
	assert_int_equal(r.limit, CONTROL_HISTORY_MAX);
	assert_int_equal(parse(" { \"request\" : \"history\", \"limit\": 3 } ", &r, err), 0);
	assert_int_equal(r.verb, CONTROL_HISTORY);
	assert_int_equal(r.limit, 3);
	assert_int_equal(parse("{\"request\":\"reclaim-now\"}", &r, err), 0);
	assert_int_equal(r.verb, CONTROL_RECLAIM_NOW);
	assert_false(r.dry_run);
	assert_string_equal(r.lever, "");
	assert_int_equal(parse("{\"lever\":\"fadvise\",\"dry_run\":true,\"request\":\"reclaim-now\"}",
			       &r, err), 0);
	assert_true(r.dry_run);
	assert_string_equal(r.lever, "fadvise");
	assert_int_equal(parse("{\"request\":\"reload\"}", &r, err), 0);
	assert_int_equal(r.verb, CONTROL_RELOAD);
	assert_int_equal(parse("{\"request\":\"change\",\"change\":\"integration\","
			       "\"action\":\"enable\"}", &r, err), 0);
	assert_int_equal(r.verb, CONTROL_CHANGE);
	assert_int_equal(r.change, CONTROL_CHANGE_INTEGRATION);
	assert_true(r.enable);
	assert_int_equal(parse("{\"action\":\"disable\",\"change\":\"integration\","
			       "\"request\":\"change\"}", &r, err), 0);
	assert_false(r.enable);
	assert_int_equal(parse("{\"request\":\"change\",\"change\":\"wslconfig\","
			       "\"key\":\"experimental.autoMemoryReclaim\",\"value\":\"gradual\"}",
			       &r, err), 0);
	assert_int_equal(r.change, CONTROL_CHANGE_WSLCONFIG);
	assert_string_equal(r.key, "experimental.autoMemoryReclaim");
	assert_string_equal(r.value, "gradual");
	/* An empty value is the bridge's to judge (its allowlist). */
	assert_int_equal(parse("{\"request\":\"change\",\"change\":\"wslconfig\","
			       "\"key\":\"wsl2.memory\",\"value\":\"\"}", &r, err), 0);
	assert_string_equal(r.value, "");
}

/* Key and value at the protocol's bounds (128 and 256 bytes) and one past. */
static void test_change_bounds(void **state)
{
	char line[1024], key[CONTROL_CHANGE_KEY_MAX + 2], value[CONTROL_CHANGE_VALUE_MAX + 2];
	struct control_request r;
	char err[320];

	memset(key, 'k', sizeof(key));
	key[0] = 's';
	key[1] = '.';
	memset(value, 'v', sizeof(value));
	for (int over = 0; over < 2; over++) {
		key[CONTROL_CHANGE_KEY_MAX + over] = '\0';
		value[CONTROL_CHANGE_VALUE_MAX] = '\0';
		snprintf(line, sizeof(line), "{\"request\":\"change\",\"change\":\"wslconfig\","
			 "\"key\":\"%s\",\"value\":\"%s\"}", key, value);
		assert_int_equal(parse(line, &r, err), over ? -EINVAL : 0);
		if (over)
			assert_non_null(strstr(err, "key: SECTION.KEY of at most 128 bytes"));
		else
			assert_int_equal(strlen(r.key), CONTROL_CHANGE_KEY_MAX);
		key[CONTROL_CHANGE_KEY_MAX] = 'k';
		key[CONTROL_CHANGE_KEY_MAX + 1] = 'k';
	}
	key[CONTROL_CHANGE_KEY_MAX] = '\0';
	for (int over = 0; over < 2; over++) {
		value[CONTROL_CHANGE_VALUE_MAX] = over ? 'v' : '\0';
		value[CONTROL_CHANGE_VALUE_MAX + 1] = '\0';
		snprintf(line, sizeof(line), "{\"request\":\"change\",\"change\":\"wslconfig\","
			 "\"key\":\"a.b\",\"value\":\"%s\"}", value);
		assert_int_equal(parse(line, &r, err), over ? -EINVAL : 0);
		if (over)
			assert_non_null(strstr(err, "value: a string of at most 256 bytes"));
		else
			assert_int_equal(strlen(r.value), CONTROL_CHANGE_VALUE_MAX);
	}
}

static void test_bad_requests(void **state)
{
	static const struct {
		const char *line, *says;
	} bad[] = {
		{ "", "not JSON" },
		{ "status", "not JSON" },
		{ "{\"request\":\"status\"", "not JSON" },
		{ "[\"status\"]", "a request is a JSON object" },
		{ "\"status\"", "not JSON" },
		{ "{}", "no \"request\" string" },
		{ "{\"request\":7}", "no \"request\" string" },
		{ "{\"request\":\"stop\"}", "unknown request 'stop'" },
		{ "{\"request\":\"status\",\"request\":\"reload\"}", "not JSON" },
		{ "{\"request\":\"status\",\"limit\":3}", "unknown field 'limit'" },
		{ "{\"request\":\"reload\",\"dry_run\":true}", "unknown field 'dry_run'" },
		{ "{\"request\":\"history\",\"limit\":0}", "limit: an integer from 1 to 64" },
		{ "{\"request\":\"history\",\"limit\":65}", "limit: an integer from 1 to 64" },
		{ "{\"request\":\"history\",\"limit\":\"5\"}", "limit: an integer" },
		{ "{\"request\":\"reclaim-now\",\"dry_run\":1}", "dry_run: true or false" },
		{ "{\"request\":\"reclaim-now\",\"lever\":\"\"}", "lever: a lever's name" },
		{ "{\"request\":\"reclaim-now\",\"lever\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "lever:" },
		{ "{\"request\":\"reclaim-now\",\"lever\":\"a\\u0000b\"}", "not JSON" },
		{ "{\"request\":\"\xff\"}", "not JSON" },
		{ "{\"request\":\"stop\"}", "(status, history, reclaim-now, reload, change)" },
		{ "{\"request\":\"change\"}", "change: \"integration\" or \"wslconfig\"" },
		{ "{\"request\":\"change\",\"change\":7}", "change: \"integration\" or" },
		{ "{\"request\":\"change\",\"change\":\"docker\"}",
		  "unknown change 'docker' (integration, wslconfig)" },
		{ "{\"request\":\"change\",\"change\":\"integration\"}",
		  "action: \"enable\" or \"disable\"" },
		{ "{\"request\":\"change\",\"change\":\"integration\",\"action\":\"on\"}",
		  "action: \"enable\" or \"disable\"" },
		{ "{\"request\":\"change\",\"change\":\"integration\",\"action\":true}",
		  "action: \"enable\" or \"disable\"" },
		{ "{\"request\":\"change\",\"change\":\"integration\",\"action\":\"enable\","
		  "\"key\":\"a.b\"}", "takes \"action\", not key or value" },
		{ "{\"request\":\"change\",\"change\":\"wslconfig\",\"value\":\"1\"}",
		  "key: SECTION.KEY" },
		{ "{\"request\":\"change\",\"change\":\"wslconfig\",\"key\":\"memory\","
		  "\"value\":\"1\"}", "key: SECTION.KEY" },
		{ "{\"request\":\"change\",\"change\":\"wslconfig\",\"key\":\".memory\","
		  "\"value\":\"1\"}", "key: SECTION.KEY" },
		{ "{\"request\":\"change\",\"change\":\"wslconfig\",\"key\":\"wsl2.\","
		  "\"value\":\"1\"}", "key: SECTION.KEY" },
		{ "{\"request\":\"change\",\"change\":\"wslconfig\",\"key\":\"a.b.\","
		  "\"value\":\"1\"}", "key: SECTION.KEY" },
		{ "{\"request\":\"change\",\"change\":\"wslconfig\",\"key\":\"wsl2.memory\"}",
		  "value: a string" },
		{ "{\"request\":\"change\",\"change\":\"wslconfig\",\"key\":\"wsl2.memory\","
		  "\"value\":4}", "value: a string" },
		{ "{\"request\":\"change\",\"change\":\"wslconfig\",\"key\":\"wsl2.memory\","
		  "\"value\":\"4G\",\"action\":\"enable\"}", "takes \"key\" and \"value\", not action" },
		{ "{\"request\":\"change\",\"change\":\"integration\",\"action\":\"enable\","
		  "\"id\":3}", "unknown field 'id'" },
		{ "{\"request\":\"status\",\"change\":\"integration\"}", "unknown field 'change'" },
	};
	struct control_request r;
	char err[320];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i].line, &r, err) != -EINVAL || !strstr(err, bad[i].says))
			fail_msg("'%s': got '%s', want '%s'", bad[i].line, err, bad[i].says);
	}
}

static void test_limits(void **state)
{
	char line[CONTROL_REQUEST_MAX + 8];
	struct control_request r;
	char err[320];

	/* NUL inside the line, and a line at the limit. */
	assert_int_equal(control_parse_request("{\"request\":\"st\0atus\"}", 21, &r, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "NUL byte"));
	memset(line, ' ', sizeof(line));
	memcpy(line, "{\"request\":\"status\"}", 20);
	assert_int_equal(control_parse_request(line, CONTROL_REQUEST_MAX - 1, &r, err, sizeof(err)), 0);
	assert_int_equal(control_parse_request(line, CONTROL_REQUEST_MAX, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than 4095"));
}

static void test_allowed(void **state)
{
	const struct control_peer root = { .uid = 0 }, member = { .uid = 1000, .in_group = true },
				  other = { .uid = 1000 };
	char err[256];

	for (int v = 0; v < _CONTROL_VERB_MAX; v++) {
		bool action = v == CONTROL_RECLAIM_NOW || v == CONTROL_RELOAD || v == CONTROL_CHANGE;

		assert_true(control_allowed(v, &root, err, sizeof(err)));
		err[0] = '\0';
		assert_int_equal(control_allowed(v, &member, err, sizeof(err)), !action);
		if (action)
			assert_non_null(strstr(err, "for root only"));
		err[0] = '\0';
		assert_false(control_allowed(v, &other, err, sizeof(err)));
		assert_non_null(strstr(err, control_verb_name(v)));
	}
}

static void test_error_reply(void **state)
{
	json_t *e = control_error("reload", "EPERM", "reload is for root only");

	assert_false(json_is_true(json_object_get(e, "ok")));
	assert_string_equal(json_string_value(json_object_get(e, "request")), "reload");
	assert_string_equal(json_string_value(json_object_get(e, "code")), "EPERM");
	json_decref(e);
	e = control_error(NULL, "EINVAL", "not JSON");
	assert_null(json_object_get(e, "request"));
	json_decref(e);
}

static void test_sets_on_top(void **state)
{
	const char *root = tree_from_fixture(NULL);
	const char *sets[] = { "quiet_period=5s", "floor=1G" }, *bad[] = { "floor=banana" };
	struct diag_list d = { 0 };
	struct agent_conf c;
	char path[4096], origin[4200];
	size_t fi = 0, qi = 0, ei = 0;

	for (size_t i = 0; i < policy_keys_n; i++) {
		if (!strcmp(policy_keys[i].name, "floor"))
			fi = i;
		if (!strcmp(policy_keys[i].name, "quiet_period"))
			qi = i;
		if (!strcmp(policy_keys[i].name, "episode_min"))
			ei = i;
	}
	tree_write_str(root, "agent.conf", "[reclaim]\nfloor = 300M\nepisode_min = 32M\n");
	snprintf(path, sizeof(path), "%s/agent.conf", root);
	assert_int_equal(service_config_load(NULL, path, sets, 2, &c, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(c.reclaim.floor, 1024 * MIB);
	assert_int_equal(c.reclaim.quiet_period_ns, 5 * NSEC_PER_SEC);
	assert_string_equal(conf_origin_string(&c.reclaim_origin[fi], origin, sizeof(origin)), "--set");
	assert_string_equal(conf_origin_string(&c.reclaim_origin[qi], origin, sizeof(origin)), "--set");
	snprintf(path + strlen(path), sizeof(path) - strlen(path), ":3");
	assert_string_equal(conf_origin_string(&c.reclaim_origin[ei], origin, sizeof(origin)),
			    path);
	/* A bad --set: one diagnostic, nothing changed. */
	path[strlen(path) - 2] = '\0';
	assert_int_equal(service_config_load(NULL, path, bad, 1, &c, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.items[0], "--set floor"));
	assert_int_equal(c.reclaim.floor, 1024 * MIB);
	diag_free(&d);
	tree_destroy(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_requests), cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_change_bounds),
		cmocka_unit_test(test_limits),        cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_error_reply),   cmocka_unit_test(test_sets_on_top),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
