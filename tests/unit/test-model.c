/* SPDX-License-Identifier: MIT */
/* The memory-state model and its JSON on whole trees: the committed fixtures
 * (this machine captured, WSL2 6.x, WSL2 5.15, WSL1, plain Linux) and broken
 * copies of them. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "model/mem_state.h"
#include "outputs/report.h"
#include "shared/util.h"
#include "testutil.h"

static struct mem_state *collect(const char *root, struct diag_list *d)
{
	struct mem_state *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	mem_state_collect(s, root, 4096, d);
	return s;
}

static bool diag_contains(const struct diag_list *d, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->items[i], needle))
			return true;
	return false;
}

static void test_wsl2_6x(void **state)
{
	struct diag_list d = { 0 };
	char root[PATH_MAX];
	struct mem_state *s;

	snprintf(root, sizeof(root), "%s", tree_from_fixture("wsl2-6.6"));
	s = collect(root, &d);

	assert_int_equal(d.n, 0);
	assert_int_equal(s->env.kind, WSL_2);
	assert_int_equal(s->cgroup.mode, CGROUP_V2);
	assert_int_equal(s->cgroup.memcg, MEMCG_V2);
	assert_true(s->env.desktop_integration);
	assert_true(s->env.desktop_running);
	assert_int_equal(s->psi_src.state, SOURCE_ABSENT);
	assert_non_null(strstr(s->psi_src.reason, "psi=1"));
	assert_true(s->pr.order_known);
	assert_int_equal(s->pr.order, 5);
	assert_true(s->page_cache.known);
	assert_int_equal(s->page_cache.value, UINT64_C(6291456) * 1024);
	/* Orders >= 5 of the fixture's buddyinfo, in pages, times 4 KiB. */
	assert_int_equal(s->reportable_free.value,
			 (UINT64_C(1) * 256 + 1 * 512 + 3 * 1024 +
			  40 * 32 + 30 * 64 + 20 * 128 + 10 * 256 + 8 * 512 + 300 * 1024 +
			  128 * 32 + 64 * 64 + 32 * 128 + 16 * 256 + 12 * 512 + 1500 * 1024) * 4096);
	assert_int_equal(s->stranded_free.value,
			 (UINT64_C(512) + 300 * 2 + 200 * 4 + 120 * 8 + 80 * 16 +
			  4096 + 2048 * 2 + 1024 * 4 + 512 * 8 + 256 * 16) * 4096);
	assert_false(s->reported.known);
	assert_false(mem_state_degraded(s));
	free(s);
	tree_destroy(root);
}

static void test_wsl2_515(void **state)
{
	struct diag_list d = { 0 };
	struct mem_state *s = collect(fixture_path("wsl2-5.15"), &d);

	assert_int_equal(s->env.kind, WSL_2);
	assert_int_equal(s->cgroup.mode, CGROUP_HYBRID);
	assert_int_equal(s->cgroup.memcg, MEMCG_V1);
	assert_string_equal(s->cgroup.unified_path, "/sys/fs/cgroup/unified");
	assert_int_equal(s->pr.order, 9);
	assert_false(s->env.desktop_running);
	assert_true(s->env.mnt_wsl);
	assert_int_equal(s->dirty_writeback.value, UINT64_C(86016) * 1024);
	assert_false(mem_state_degraded(s));
	free(s);
}

static void test_wsl1(void **state)
{
	struct diag_list d = { 0 };
	struct mem_state *s = collect(fixture_path("wsl1"), &d);

	assert_int_equal(s->env.kind, WSL_1);
	assert_int_equal(s->cgroup.mode, CGROUP_NONE);
	assert_false(s->available.known);
	assert_non_null(strstr(s->available.reason, "MemAvailable"));
	assert_false(s->reportable_free.known);
	assert_non_null(strstr(s->pr_src.reason, "WSL1"));
	/* Missing buddyinfo and vmstat are WSL1's nature, not faults. */
	assert_int_equal(d.n, 0);
	assert_false(mem_state_degraded(s));
	free(s);
}

static void test_plain_linux(void **state)
{
	struct diag_list d = { 0 };
	struct mem_state *s = collect(fixture_path("plain-linux"), &d);

	assert_int_equal(s->env.kind, WSL_NONE);
	assert_false(s->pr.present);
	assert_false(s->reportable_free.known);
	assert_non_null(strstr(s->reportable_free.reason, "no free page reporting"));
	assert_true(s->psi.some.present);
	assert_float_equal(s->psi.some.avg10, 1.25, 1e-9);
	assert_int_equal(s->cgroup.memcg, MEMCG_V2);
	assert_false(mem_state_degraded(s));
	free(s);
}

static void test_captured_machine(void **state)
{
	struct diag_list d = { 0 };
	struct mem_state *s = collect(fixture_path("debian12-hybrid"), &d);

	assert_int_equal(d.n, 0);
	assert_int_equal(s->cgroup.mode, CGROUP_HYBRID);
	assert_int_equal(s->pr.order, 9);
	assert_true(s->reportable_free.known);
	assert_true(s->reported.known);
	assert_true(s->psi.some.present);
	free(s);
}

/* Each case breaks one file of a good tree; the report must name the file,
 * mark what depends on it unknown and keep the rest. */
static void test_broken_trees(void **state)
{
	static const struct {
		const char *file;
		const char *content;
		const char *message;
		size_t unknown_offset;  /* a figure that must become unknown */
	} cases[] = {
		{ "proc/meminfo", "MemTotal:       16323404 kB\nMemFree:        8123400 kB\nCach",
		  "proc/meminfo:3: no ':'", offsetof(struct mem_state, page_cache) },
		{ "proc/meminfo", "MemTotal: 1000 kB\nCached: 99999999 kB\nDirty: 0 kB\nWriteback: 0 kB\n",
		  "Cached (102399998976 bytes) exceeds MemTotal", offsetof(struct mem_state, page_cache) },
		/* Sums that would wrap to a small number saturate instead. */
		{ "proc/meminfo", "MemTotal: 1000 kB\nDirty: 18014398509481983 kB\nWriteback: 1 kB\n",
		  "Dirty + Writeback", offsetof(struct mem_state, dirty_writeback) },
		{ "proc/meminfo", "MemTotal: 1000 kB\nDirty: 0 kB\nWriteback: 0 kB\n"
		  "Active(file): 18014398509481983 kB\nInactive(file): 1 kB\n",
		  "Active(file) + Inactive(file)", offsetof(struct mem_state, reclaimable_file) },
		{ "proc/meminfo", "", "", offsetof(struct mem_state, total) },
		{ "proc/meminfo", "MemTotal: 0 kB\n", "MemTotal is 0", offsetof(struct mem_state, total) },
		{ "proc/buddyinfo", "Node 0, zone Normal", "proc/buddyinfo:1: no free block counts",
		  offsetof(struct mem_state, reportable_free) },
		{ "proc/buddyinfo", "Node 0, zone Normal 999999999999 0 0 0 0 0 0 0 0 0 0\n",
		  "free memory in /proc/buddyinfo", offsetof(struct mem_state, reportable_free) },
		{ "sys/module/page_reporting/parameters/page_reporting_order", "banana\n",
		  "page_reporting_order:1: not an order", offsetof(struct mem_state, reportable_free) },
		{ "sys/module/page_reporting/parameters/page_reporting_order", "99\n",
		  "not an order between 0 and 15", offsetof(struct mem_state, stranded_free) },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct diag_list d = { 0 };
		const char *root = tree_from_fixture("wsl2-6.6");
		char keep[PATH_MAX];
		struct mem_state *s;
		const struct figure *f;

		snprintf(keep, sizeof(keep), "%s", root);
		tree_write_str(keep, cases[i].file, cases[i].content);
		s = collect(keep, &d);
		f = (const struct figure *)((const char *)s + cases[i].unknown_offset);
		if (f->known)
			fail_msg("case %zu: figure still known (%llu)", i, (unsigned long long)f->value);
		if (!mem_state_degraded(s))
			fail_msg("case %zu: not flagged as degraded", i);
		assert_true(f->reason[0] != '\0');
		if (cases[i].message[0] && !diag_contains(&d, cases[i].message))
			fail_msg("case %zu: no diagnostic with '%s' (first: %s)", i, cases[i].message,
				 d.n ? d.items[0] : "none");
		/* The JSON still builds, with the figure null and a reason. */
		json_t *doc = report_json(s, NULL, &d);
		assert_non_null(doc);
		assert_true(json_object_size(json_object_get(doc, "unavailable")) > 0);
		json_decref(doc);
		free(s);
		diag_free(&d);
		tree_destroy(keep);
	}
}

static void test_binary_and_huge_files(void **state)
{
	const char *root = tree_from_fixture("wsl2-6.6");
	char keep[PATH_MAX], junk[256];
	struct diag_list d = { 0 };
	struct mem_state *s;
	char *huge;
	size_t huge_len = 5u << 20;

	snprintf(keep, sizeof(keep), "%s", root);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)i;
	tree_write(keep, "proc/meminfo", junk, sizeof(junk));
	huge = malloc(huge_len);
	assert_non_null(huge);
	memset(huge, 'x', huge_len);
	tree_write(keep, "proc/buddyinfo", huge, huge_len);
	free(huge);
	tree_write_str(keep, "proc/sys/kernel/osrelease", "");
	s = collect(keep, &d);
	assert_int_equal(s->meminfo_src.state, SOURCE_MALFORMED);
	assert_true(diag_contains(&d, "proc/meminfo: contains binary data"));
	assert_int_equal(s->buddy_src.state, SOURCE_MALFORMED);
	assert_true(diag_contains(&d, "proc/buddyinfo: larger than 4 MiB"));
	assert_int_equal(s->env_src.state, SOURCE_MALFORMED);
	assert_false(s->page_cache.known);
	assert_false(s->reportable_free.known);
	free(s);
	diag_free(&d);
	tree_destroy(keep);
}

static void test_missing_root(void **state)
{
	struct diag_list d = { 0 };
	struct mem_state *s = collect("/nonexistent/wsldock", &d);

	assert_true(diag_contains(&d, "/nonexistent/wsldock/proc/meminfo: missing"));
	assert_false(s->page_cache.known);
	assert_true(mem_state_degraded(s));
	free(s);
	diag_free(&d);
}

/* Without a mounts table the layout is read off /sys/fs/cgroup. */
static void test_cgroup_layout_inferred(void **state)
{
	static const struct {
		const char *fixture;
		enum cgroup_mode mode;
		enum memcg_mode memcg;
	} cases[] = {
		{ "wsl2-6.6", CGROUP_V2, MEMCG_V2 },
		{ "wsl2-5.15", CGROUP_HYBRID, MEMCG_V1 },
		{ "wsl1", CGROUP_NONE, MEMCG_NONE },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct diag_list d = { 0 };
		char root[PATH_MAX];
		struct mem_state *s;

		snprintf(root, sizeof(root), "%s", tree_from_fixture(cases[i].fixture));
		tree_remove(root, "proc/self/mounts");
		s = collect(root, &d);
		assert_int_equal(s->cgroup.mode, cases[i].mode);
		assert_int_equal(s->cgroup.memcg, cases[i].memcg);
		assert_int_equal(s->cgroup_src.state, cases[i].mode == CGROUP_NONE ? SOURCE_ABSENT : SOURCE_OK);
		free(s);
		diag_free(&d);
		tree_destroy(root);
	}
}

static void test_json_keys(void **state)
{
	struct diag_list d = { 0 };
	struct mem_state *s = collect(fixture_path("wsl2-6.6"), &d);
	json_t *doc = report_json(s, NULL, &d), *pr, *unavailable;

	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "schema_version")), REPORT_SCHEMA_VERSION);
	assert_string_equal(json_string_value(json_object_get(doc, "wsl")), "wsl2");
	assert_true(json_is_integer(json_object_get(json_object_get(doc, "memory"), "page_cache_bytes")));
	pr = json_object_get(doc, "page_reporting");
	assert_int_equal(json_integer_value(json_object_get(pr, "page_reporting_order")), 5);
	assert_true(json_is_integer(json_object_get(pr, "reportable_free_bytes")));
	assert_true(json_is_null(json_object_get(doc, "psi")));
	unavailable = json_object_get(doc, "unavailable");
	assert_non_null(strstr(json_string_value(json_object_get(unavailable, "psi")), "pressure/memory"));
	/* reported_bytes is null (WSL kernels have no reported_kib) with a reason. */
	assert_true(json_is_null(json_object_get(pr, "reported_bytes")));
	assert_non_null(json_object_get(unavailable, "page_reporting.reported_bytes"));
	json_decref(doc);
	free(s);
}

static void test_derive_is_pure(void **state)
{
	struct diag_list d = { 0 };
	struct mem_state *s = collect(fixture_path("wsl2-5.15"), &d);
	uint64_t before = s->reportable_free.value;

	/* Changing the order in the model changes the split, without I/O. */
	s->pr.order = 10;
	mem_state_derive(s, &d);
	assert_true(s->reportable_free.value < before);
	assert_int_equal(s->reportable_free.value, (UINT64_C(3) + 40 + 90) * 1024 * 4096);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wsl2_6x),
		cmocka_unit_test(test_wsl2_515),
		cmocka_unit_test(test_wsl1),
		cmocka_unit_test(test_plain_linux),
		cmocka_unit_test(test_captured_machine),
		cmocka_unit_test(test_broken_trees),
		cmocka_unit_test(test_binary_and_huge_files),
		cmocka_unit_test(test_missing_root),
		cmocka_unit_test(test_cgroup_layout_inferred),
		cmocka_unit_test(test_json_keys),
		cmocka_unit_test(test_derive_is_pure),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
