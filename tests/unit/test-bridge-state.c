/* SPDX-License-Identifier: MIT */
/* Per-distro state, its JSON and metrics; host memory parsing, the low
 * threshold and the "changed materially" rule. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "unit.h"

#include <jansson.h>

#include "../../windows-bridge/hostmem.h"
#include "../../windows-bridge/server.h"
#include "../../windows-bridge/state.h"

static json_t *report(uint64_t cache, const char *severity)
{
	return json_pack("{s:{s:I}, s:{s:[{s:s, s:s, s:s, s:s}]}, s:{s:I}}",
			 "memory", "page_cache_bytes", (json_int_t)cache,
			 "conflicts", "findings", "id", "package-dpkg-docker.io", "severity", severity,
			 "message", "docker.io is installed", "remedy", "apt-get remove docker.io",
			 "daemon", "episode_attributed_bytes", (json_int_t)(cache / 2));
}

/* A status as the bridge reads it: the line scanned, then applied. */
static void status(struct distro *d, json_t *rep, uint64_t wall_ms)
{
	json_t *msg = json_pack("{s:s, s:O}", "type", "status", "report", rep);
	struct proto_status st;
	char *line = json_dumps(msg, JSON_COMPACT), why[256];

	assert_int_equal(proto_scan_status(line, strlen(line), &st, why, sizeof(why)), 1);
	assert_int_equal(state_status(d, &st, wall_ms), 0);
	free(line);
	json_decref(msg);
}

/* GET /api/v1/distros, parsed back. */
static json_t *api(const struct bridge_state *st, uint64_t wall_ms)
{
	size_t len;
	char *text = state_api_text(st, wall_ms, &len);
	json_t *doc;

	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(doc);
	free(text);
	return doc;
}

static void test_status_event_json_metrics(void **state)
{
	struct bridge_state st;
	struct distro *d;
	struct proto_event ev = { .kind = PROTO_EV_RECLAIM, .lever = "memory.reclaim", .returned_bytes = 1000 };
	json_t *rep, *doc, *dj;
	char *m;
	size_t len;

	assert_int_equal(state_init(&st), 0);
	d = state_distro(&st, "Ubuntu", true);
	assert_non_null(d);
	assert_ptr_equal(state_distro(&st, "ubuntu", false), d);
	assert_null(state_distro(&st, "bad name", true));
	d->connections = 1;
	rep = report(5000, "conflict");
	status(d, rep, 1000);
	json_decref(rep);
	state_event(d, &ev, 1500);
	ev.lever = "made-up";
	state_event(d, &ev, 1600);
	/* Compaction's gain is counted as an action, never as returned. */
	ev.lever = "compact";
	state_event(d, &ev, 1700);
	ev = (struct proto_event){ .kind = PROTO_EV_EPISODE_STARTED, .episode = 3 };
	state_event(d, &ev, 1800);
	rep = report(3000, "info");
	status(d, rep, 2000);
	json_decref(rep);

	doc = api(&st, 2500);
	dj = json_array_get(json_object_get(doc, "distros"), 0);
	assert_string_equal(json_string_value(json_object_get(dj, "connection")), "connected");
	assert_int_equal(json_integer_value(json_object_get(dj, "page_cache_bytes")), 3000);
	assert_int_equal(json_array_size(json_object_get(dj, "history")), 2);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(json_object_get(dj, "history"), 1), 2)), 2000);
	/* An info finding is no conflict. */
	assert_int_equal(json_array_size(json_object_get(dj, "conflicts")), 0);
	/* The report is kept as sent and served whole. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(dj, "status"), "memory"),
							    "page_cache_bytes")), 3000);
	json_decref(doc);

	m = state_metrics(&st, &len);
	assert_non_null(m);
	assert_non_null(strstr(m, "wsldock_page_cache_bytes{distro=\"Ubuntu\"} 3000\n"));
	assert_non_null(strstr(m, "wsldock_returned_bytes_total{distro=\"Ubuntu\"} 2000\n"));
	assert_non_null(strstr(m, "wsldock_reclaim_actions_total{distro=\"Ubuntu\",lever=\"memory.reclaim\"} 1\n"));
	assert_non_null(strstr(m, "wsldock_reclaim_actions_total{distro=\"Ubuntu\",lever=\"other\"} 1\n"));
	assert_non_null(strstr(m, "wsldock_reclaim_actions_total{distro=\"Ubuntu\",lever=\"compact\"} 1\n"));
	assert_non_null(strstr(m, "wsldock_episode_attributed_bytes{distro=\"Ubuntu\"} 1500\n"));
	assert_non_null(strstr(m, "wsldock_episodes_total{distro=\"Ubuntu\"} 1\n"));
	assert_non_null(strstr(m, "wsldock_agent_up{distro=\"Ubuntu\"} 1\n"));
	assert_non_null(strstr(m, "wsldock_conflicts{distro=\"Ubuntu\"} 0\n"));
	free(m);
	state_fini(&st);
}

/* A report over STATE_REPORT_MAX bytes or STATE_REPORT_DEPTH levels is
 * refused and the previous one kept; a copy serialises like the state and
 * owns its reports; remedies say who reported them. */
static void test_report_bounds_copy(void **state)
{
	struct bridge_state st, copy;
	struct proto_status ps;
	struct distro *d;
	json_t *rep = report(7, "conflict"), *doc, *deep = json_array(), *big = json_array(), *msg;
	char *line, why[256];

	assert_int_equal(state_init(&st), 0);
	d = state_distro(&st, "Ubuntu", true);
	status(d, rep, 1);
	for (int i = 0; i < STATE_REPORT_DEPTH + 1; i++)
		deep = json_pack("[o]", deep);
	json_object_set_new(rep, "deep", deep);
	msg = json_pack("{s:s, s:O}", "type", "status", "report", rep);
	line = json_dumps(msg, JSON_COMPACT);
	assert_int_equal(proto_scan_status(line, strlen(line), &ps, why, sizeof(why)), 1);
	assert_int_equal(state_status(d, &ps, 2), -EMSGSIZE);
	free(line);
	json_decref(msg);
	json_object_del(rep, "deep");
	for (int i = 0; i < STATE_REPORT_MAX / 2; i++)
		json_array_append_new(big, json_integer(0));
	json_object_set_new(rep, "big", big);
	msg = json_pack("{s:s, s:O}", "type", "status", "report", rep);
	line = json_dumps(msg, JSON_COMPACT);
	assert_int_equal(proto_scan_status(line, strlen(line), &ps, why, sizeof(why)), 1);
	assert_int_equal(state_status(d, &ps, 3), -EMSGSIZE);
	free(line);
	json_decref(msg);
	json_decref(rep);

	assert_int_equal(state_copy(&st, &copy), 0);
	state_fini(&st);  /* the copy owns what it holds */
	doc = api(&copy, 4);
	d = NULL;
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(
		json_array_get(json_object_get(doc, "distros"), 0), "status"), "memory"), "page_cache_bytes")), 7);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
		json_array_get(json_object_get(doc, "distros"), 0), "conflicts"), 0), "remedy_source")),
		"reported by the distro");
	json_decref(doc);
	state_copy_free(&copy);
}

/* --allow-changes: per distro (any case), integration, every .wslconfig
 * key or one; and the rate: 6 a minute, then the wait is said. */
static void test_allow_and_rate(void **state)
{
	struct server_config cfg = { .allow = { "Ubuntu=integration,wslconfig.WSL2.memory", "Debian=wslconfig" },
				     .nallow = 2 };
	struct distro d = { 0 };
	char why[256];
	unsigned retry = 0;

	assert_true(server_change_allowed(&cfg, "ubuntu", "integration"));
	assert_true(server_change_allowed(&cfg, "Ubuntu", "wslconfig.wsl2.memory"));
	assert_false(server_change_allowed(&cfg, "Ubuntu", "wslconfig.wsl2.swap"));
	assert_true(server_change_allowed(&cfg, "Debian", "wslconfig.experimental.sparseVhd"));
	assert_false(server_change_allowed(&cfg, "Debian", "integration"));
	assert_false(server_change_allowed(&cfg, "Ubuntu-22.04", "integration"));
	assert_false(server_change_allowed(&cfg, "Ubunt", "integration"));
	assert_int_equal(server_allow_check("Ubuntu=integration,wslconfig.wsl2.memory", why, sizeof(why)), 0);
	assert_int_equal(server_allow_check("Ubuntu=everything", why, sizeof(why)), -EINVAL);
	assert_int_equal(server_allow_check("../x=integration", why, sizeof(why)), -EINVAL);
	assert_int_equal(server_allow_check("Ubuntu=", why, sizeof(why)), -EINVAL);

	for (int i = 0; i < STATE_CHANGE_BURST; i++)
		assert_true(state_change_allowed(&d, 100000 + i * 1000, &retry));
	assert_false(state_change_allowed(&d, 110000, &retry));
	assert_int_equal(retry, 50);
	assert_true(state_change_allowed(&d, 160000, &retry));
}

static void test_history_bounded(void **state)
{
	struct bridge_state st;
	struct distro *d;
	json_t *rep = report(1, "conflict"), *doc;

	assert_int_equal(state_init(&st), 0);
	d = state_distro(&st, "Debian", true);
	for (unsigned i = 0; i < STATE_HISTORY * 3; i++)
		status(d, rep, i);
	json_decref(rep);
	doc = api(&st, 0);
	assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(doc, "distros"), 0),
							 "history")), STATE_HISTORY);
	json_decref(doc);
	state_fini(&st);
}

static void test_hostmem(void **state)
{
	struct plat_host_memory m;
	struct hostmem_threshold t;
	struct proto_host_memory a, b;

	assert_int_equal(hostmem_parse_meminfo("MemTotal:  1000 kB\nMemFree: 1 kB\nMemAvailable:   50 kB\n"
					       "CommitLimit: 2000 kB\nCommitted_AS: 10 kB\n", &m), 0);
	assert_int_equal(m.total_bytes, 1024000);
	assert_int_equal(m.available_bytes, 51200);
	assert_int_equal(m.commit_limit_bytes, 2048000);
	assert_int_equal(hostmem_parse_meminfo("MemTotal: 1 kB\n", &m), -EINVAL);

	assert_int_equal(hostmem_threshold_parse("10%", &t), 0);
	assert_int_equal(t.percent, 10);
	assert_int_equal(hostmem_threshold_parse("512M", &t), 0);
	assert_int_equal(t.bytes, 512ull << 20);
	assert_int_equal(hostmem_threshold_parse("0", &t), -ERANGE);
	assert_int_equal(hostmem_threshold_parse("100%", &t), -ERANGE);
	assert_int_equal(hostmem_threshold_parse("5X", &t), -EINVAL);

	m = (struct plat_host_memory){ .total_bytes = 1000, .available_bytes = 99 };
	t = (struct hostmem_threshold){ .percent = 10 };
	hostmem_judge(&m, &t, &a);
	assert_true(a.low);
	m.available_bytes = 500;
	hostmem_judge(&m, &t, &b);
	assert_false(b.low);
	assert_true(hostmem_changed(&a, &b));
	a = b;
	b.available_bytes += 1000 / 32 - 1;
	assert_false(hostmem_changed(&a, &b));
	b.available_bytes += 1;
	assert_true(hostmem_changed(&a, &b));
	/* The OS's own verdict wins over the threshold (Windows). */
	m = (struct plat_host_memory){ .total_bytes = 1000, .available_bytes = 900, .low = true, .low_known = true };
	hostmem_judge(&m, &t, &a);
	assert_true(a.low);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_event_json_metrics),
		cmocka_unit_test(test_history_bounded),
		cmocka_unit_test(test_report_bounds_copy),
		cmocka_unit_test(test_allow_and_rate),
		cmocka_unit_test(test_hostmem),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
