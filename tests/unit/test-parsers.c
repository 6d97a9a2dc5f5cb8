/* SPDX-License-Identifier: MIT */
/* The /proc and sysfs parsers on good, truncated, absurd and junk input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "shared/util.h"
#include "sources/buddyinfo.h"
#include "sources/cgroup_layout.h"
#include "sources/docker_events.h"
#include "sources/kv.h"
#include "sources/meminfo.h"
#include "sources/psi.h"
#include "sources/wsl_env.h"

static int meminfo_of(const char *text, struct kv_table *t, struct diag_list *d)
{
	char *copy = strdup(text);
	int bad;

	meminfo_init(t);
	bad = kv_parse(copy, "/proc/meminfo", KV_MEMINFO, t, d);
	free(copy);
	return bad;
}

static void test_meminfo_good(void **state)
{
	struct diag_list d = { 0 };
	struct kv_table t;

	assert_int_equal(meminfo_of("MemTotal:       24684092 kB\n"
				    "Cached:           538512 kB\n"
				    "HugePages_Total:       0\n"
				    "Active(file):     170928 kB\n", &t, &d), 0);
	assert_int_equal(d.n, 0);
	assert_true(kv_has(&t, MI_MEM_TOTAL));
	assert_int_equal(t.values[MI_MEM_TOTAL], UINT64_C(24684092) * 1024);
	assert_int_equal(t.values[MI_CACHED], UINT64_C(538512) * 1024);
	assert_int_equal(t.values[MI_ACTIVE_FILE], UINT64_C(170928) * 1024);
	assert_false(kv_has(&t, MI_DIRTY));
}

static void test_meminfo_malformed(void **state)
{
	static const struct {
		const char *text;
		const char *message;  /* expected in the diagnostic */
	} cases[] = {
		{ "MemTotal: 100 kB\nCach", "/proc/meminfo:2: no ':'" },
		{ "MemTotal: 100 kB\nCached:\n", "/proc/meminfo:2: value is not" },
		{ "Cached: -5 kB\n", "/proc/meminfo:1: value is not" },
		{ "Cached: 99999999999999999999999 kB\n", "does not fit in 64 bits" },
		{ "Cached: 18446744073709551615 kB\n", "kB does not fit" },
		{ "Cached: 12 kB junk\n", "unexpected text" },
		{ "Cached: 12 MB\n", "unexpected text" },
		{ "Cached: 1 kB\nCached: 2 kB\n", "appears twice" },
		{ "\xff\xfe\x01:\x80\n", "value is not" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct diag_list d = { 0 };
		struct kv_table t;

		assert_int_equal(meminfo_of(cases[i].text, &t, &d), 1);
		assert_int_equal(d.n, 1);
		if (!strstr(d.items[0], cases[i].message))
			fail_msg("case %zu: '%s' lacks '%s'", i, d.items[0], cases[i].message);
		diag_free(&d);
	}
}

static void test_meminfo_keeps_good_fields(void **state)
{
	struct diag_list d = { 0 };
	struct kv_table t;

	assert_int_equal(meminfo_of("MemTotal: 1000 kB\ngarbage\nCached: 10 kB\n", &t, &d), 1);
	assert_true(kv_has(&t, MI_MEM_TOTAL));
	assert_true(kv_has(&t, MI_CACHED));
	diag_free(&d);
}

static void test_vmstat(void **state)
{
	struct diag_list d = { 0 };
	struct kv_table t;
	char text[] = "nr_free_pages 42\nnr_dirty 7\npgscan_kswapd\nnr_writeback x\n";

	vmstat_init(&t);
	assert_int_equal(kv_parse(text, "/proc/vmstat", KV_VMSTAT, &t, &d), 2);
	assert_int_equal(t.values[VM_NR_FREE_PAGES], 42);
	assert_int_equal(t.values[VM_NR_DIRTY], 7);
	assert_false(kv_has(&t, VM_PGSCAN_KSWAPD));
	assert_non_null(strstr(d.items[0], "/proc/vmstat:3:"));
	assert_non_null(strstr(d.items[1], "/proc/vmstat:4:"));
	diag_free(&d);
}

static void test_buddyinfo(void **state)
{
	struct diag_list d = { 0 };
	struct buddyinfo b;
	char text[] = "Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      3 \n"
		      "Node 0, zone   Normal      3      3      2      7     20     14      6      2      3      5     34 \n";

	assert_int_equal(buddyinfo_parse(text, "/proc/buddyinfo", &b, &d), 0);
	assert_int_equal(b.nzones, 2);
	assert_string_equal(b.zones[1].name, "Normal");
	assert_int_equal(b.zones[1].norders, 11);
	/* order >= 9: DMA 1*512 + 3*1024, Normal 5*512 + 34*1024 */
	assert_int_equal(buddyinfo_free_pages(&b, 9, BUDDY_MAX_ORDERS),
			 512 + 3 * 1024 + 5 * 512 + 34 * 1024);
	/* order < 9 of Normal: 3 + 6 + 8 + 56 + 320 + 448 + 384 + 256 + 768 */
	assert_int_equal(buddyinfo_free_pages(&b, 0, 8), 3 + 6 + 8 + 56 + 320 + 448 + 384 + 256 + 768 + 256);
}

static void test_buddyinfo_malformed(void **state)
{
	static const struct {
		const char *text;
		const char *message;
	} cases[] = {
		{ "Node 0, zone   Normal\n", "no free block counts" },
		{ "Node 0, zo", "no 'zone'" },
		{ "Node 0", "no ','" },
		{ "Nod", "does not start with" },
		{ "Node x, zone DMA 1\n", "node is not a number" },
		{ "Node 0, zone DMA 1 2 x\n", "not an unsigned" },
		{ "Node 0, zone DMA 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n", "more orders" },
		{ "Node 0, zone DMA 99999999999999999999999\n", "not an unsigned" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct diag_list d = { 0 };
		struct buddyinfo b;
		char *copy = strdup(cases[i].text);

		assert_int_equal(buddyinfo_parse(copy, "/proc/buddyinfo", &b, &d), 1);
		assert_int_equal(b.nzones, 0);
		if (!strstr(d.items[0], cases[i].message))
			fail_msg("case %zu: '%s' lacks '%s'", i, d.items[0], cases[i].message);
		free(copy);
		diag_free(&d);
	}
}

static void test_buddyinfo_saturates(void **state)
{
	struct diag_list d = { 0 };
	struct buddyinfo b;
	char text[] = "Node 0, zone DMA 18446744073709551615 18446744073709551615\n";

	assert_int_equal(buddyinfo_parse(text, "/proc/buddyinfo", &b, &d), 0);
	assert_true(buddyinfo_free_pages(&b, 0, BUDDY_MAX_ORDERS) == UINT64_MAX);
}

static void test_psi(void **state)
{
	struct diag_list d = { 0 };
	struct psi p;
	char good[] = "some avg10=1.50 avg60=0.25 avg300=0.00 total=123\n"
		      "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
	char bad[] = "some avg10=1.50 avg60=0.25 avg300=0.00\n"
		     "full avg10=101.00 avg60=0.00 avg300=0.00 total=0\n"
		     "most avg10=1\n";

	assert_int_equal(psi_parse(good, "/proc/pressure/memory", &p, &d), 0);
	assert_true(p.some.present && p.full.present);
	assert_float_equal(p.some.avg10, 1.5, 1e-9);
	assert_int_equal(p.some.total_us, 123);
	assert_int_equal(psi_parse(bad, "/proc/pressure/memory", &p, &d), 3);
	assert_false(p.some.present);
	assert_false(p.full.present);
	assert_non_null(strstr(d.items[0], ":1: missing one of"));
	assert_non_null(strstr(d.items[1], ":2: average above 100"));
	assert_non_null(strstr(d.items[2], ":3: line starts with neither"));
	diag_free(&d);
}

static void test_cgroup_layout(void **state)
{
	static const struct {
		const char *mounts;
		enum cgroup_mode mode;
		enum memcg_mode memcg;
		const char *unified;
	} cases[] = {
		{ "cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0\n", CGROUP_V2, MEMCG_NONE,
		  "/sys/fs/cgroup" },
		{ "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\n"
		  "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n",
		  CGROUP_HYBRID, MEMCG_V1, "/sys/fs/cgroup/unified" },
		{ "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n", CGROUP_V1, MEMCG_NONE, "" },
		{ "cgroup /sys/fs/cgroup/x cgroup rw,memory_recursiveprot 0 0\n", CGROUP_V1, MEMCG_NONE, "" },
		{ "proc /proc proc rw 0 0\n", CGROUP_NONE, MEMCG_NONE, "" },
		{ "cgroup2 /sys/fs/my\\040cg cgroup2 rw 0 0\n", CGROUP_V2, MEMCG_NONE, "/sys/fs/my cg" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct diag_list d = { 0 };
		struct cgroup_layout c;
		char *copy = strdup(cases[i].mounts);

		assert_int_equal(cgroup_layout_parse(copy, "mounts", "/nonexistent", &c, &d), 0);
		assert_int_equal(c.mode, cases[i].mode);
		assert_int_equal(c.memcg, cases[i].memcg);
		assert_string_equal(c.unified_path, cases[i].unified);
		free(copy);
	}
}

static void test_cgroup_layout_truncated(void **state)
{
	struct diag_list d = { 0 };
	struct cgroup_layout c;
	char text[] = "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\ncgroup /sys/fs/cg";

	assert_int_equal(cgroup_layout_parse(text, "mounts", "/nonexistent", &c, &d), 1);
	assert_int_equal(c.mode, CGROUP_V2);
	assert_non_null(strstr(d.items[0], "mounts:2: fewer than 4 fields"));
	diag_free(&d);
}

static void test_wsl_kind(void **state)
{
	static const struct {
		const char *release;
		enum wsl_kind kind;
	} cases[] = {
		{ "6.6.87.2-microsoft-standard-WSL2", WSL_2 },
		{ "5.15.167.4-microsoft-standard-WSL2", WSL_2 },
		{ "4.19.104-microsoft-standard", WSL_2 },
		{ "5.10.16.3-microsoft-standard-WSL2+", WSL_2 },
		{ "4.4.0-19041-Microsoft", WSL_1 },
		{ "4.4.0-22621-Microsoft", WSL_1 },
		{ "6.1.0-27-amd64", WSL_NONE },
		{ "6.18.44-fc-v657", WSL_NONE },
		{ "", WSL_NONE },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		assert_int_equal(wsl_kind_from_release(cases[i].release), cases[i].kind);
}

static void test_parse_u64(void **state)
{
	uint64_t v;

	assert_int_equal(parse_u64("0", &v), 0);
	assert_int_equal(parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(parse_u64("-1", &v), -EINVAL);
	assert_int_equal(parse_u64("+1", &v), -EINVAL);
	assert_int_equal(parse_u64("12x", &v), -EINVAL);
	assert_int_equal(parse_u64("", &v), -EINVAL);
	assert_int_equal(parse_u64("12 \n", &v), 0);
	assert_int_equal(v, 12);
}

static void test_format_bytes(void **state)
{
	char buf[32];

	assert_string_equal(format_bytes(0, buf, sizeof(buf)), "0 B");
	assert_string_equal(format_bytes(1023, buf, sizeof(buf)), "1023 B");
	assert_string_equal(format_bytes(1536, buf, sizeof(buf)), "1.5 KiB");
	assert_string_equal(format_bytes(UINT64_C(3) << 30, buf, sizeof(buf)), "3.0 GiB");
	assert_string_equal(format_bytes(UINT64_MAX, buf, sizeof(buf)), "16.0 EiB");
}

static void test_diag_bounded(void **state)
{
	struct diag_list d = { 0 };

	for (int i = 0; i < DIAG_MAX + 5; i++)
		diag_add_at(&d, "/f", (unsigned)i + 1, "bad \x01 byte");
	assert_int_equal(d.n, DIAG_MAX);
	assert_int_equal(d.dropped, 5);
	assert_string_equal(d.items[0], "/f:1: bad ? byte");
	diag_free(&d);
}

static void count_hint(void *u, enum docker_event e)
{
	assert_int_equal(e, DOCKER_EVENT_BUILD_END);
	(*(unsigned *)u)++;
}

static void test_docker_event_parse(void **state)
{
	enum docker_event e;
	char err[160] = "";

	assert_int_equal(docker_event_parse("{\"Type\":\"image\",\"Action\":\"tag\"}", strlen("{\"Type\":\"image\",\"Action\":\"tag\"}"), &e, err,
					    sizeof(err)), 0);
	assert_int_equal(e, DOCKER_EVENT_BUILD_END);
	/* API < 1.22 called the action "status". */
	assert_int_equal(docker_event_parse("{\"Type\":\"image\",\"status\":\"tag\"}", strlen("{\"Type\":\"image\",\"status\":\"tag\"}"), &e, err,
					    sizeof(err)), 0);
	assert_int_equal(e, DOCKER_EVENT_BUILD_END);
	/* A step's container of the legacy builder dying is no hint. */
	assert_int_equal(docker_event_parse("{\"Type\":\"container\",\"Action\":\"die\"}", strlen("{\"Type\":\"container\",\"Action\":\"die\"}"), &e,
					    err, sizeof(err)), 0);
	assert_int_equal(e, DOCKER_EVENT_OTHER);
	assert_int_equal(docker_event_parse("[1]", strlen("[1]"), &e, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a JSON object"));
	assert_int_equal(docker_event_parse("{\"Type\"", strlen("{\"Type\""), &e, err, sizeof(err)), -EINVAL);
}

static void test_docker_stream(void **state)
{
	static const char resp[] = "HTTP/1.0 200 OK\r\nApi-Version: 1.41\r\n"
				   "Content-Type: application/json\r\n\r\n"
				   "{\"Type\":\"image\",\"Action\":\"tag\",\"Actor\":{\"ID\":\"sha256:1\"}}\n"
				   "\n{\"Type\":\"image\",\"Action\":\"untag\"}\n"
				   "{\"Type\":\"image\",\"Action\":\"tag\"}\n{\"Type\":";
	static struct docker_stream s;
	char err[160] = "", big[DOCKER_EVENTS_LINE_MAX + 2];
	unsigned n = 0;

	/* A byte at a time: reads split lines anywhere. */
	for (size_t i = 0; i < sizeof(resp) - 1; i++)
		assert_int_equal(docker_stream_feed(&s, resp + i, 1, count_hint, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_true(s.in_body);
	/* The rest of the last event is malformed: the stream ends. */
	assert_int_equal(docker_stream_feed(&s, "}\n", 2, count_hint, &n, err, sizeof(err)), -EPROTO);

	memset(&s, 0, sizeof(s));
	assert_int_equal(docker_stream_feed(&s, "HTTP/1.1 404 Not Found\r\n", 24, count_hint, &n, err,
					    sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "404"));

	memset(&s, 0, sizeof(s));
	memset(big, 'x', sizeof(big));
	assert_int_equal(docker_stream_feed(&s, big, sizeof(big), count_hint, &n, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "longer than"));
	assert_int_equal(n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meminfo_good),
		cmocka_unit_test(test_meminfo_malformed),
		cmocka_unit_test(test_meminfo_keeps_good_fields),
		cmocka_unit_test(test_vmstat),
		cmocka_unit_test(test_buddyinfo),
		cmocka_unit_test(test_buddyinfo_malformed),
		cmocka_unit_test(test_buddyinfo_saturates),
		cmocka_unit_test(test_psi),
		cmocka_unit_test(test_cgroup_layout),
		cmocka_unit_test(test_cgroup_layout_truncated),
		cmocka_unit_test(test_wsl_kind),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_format_bytes),
		cmocka_unit_test(test_diag_bounded),
		cmocka_unit_test(test_docker_event_parse),
		cmocka_unit_test(test_docker_stream),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
