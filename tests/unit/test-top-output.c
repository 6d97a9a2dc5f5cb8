/* SPDX-License-Identifier: MIT */
/* top's text and JSON renderers on a view made by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <cmocka.h>

#include "unit.h"

#include "outputs/top.h"

static struct top_row rows[3] = {
	{ .cgid = 1, .path = "/a", .bytes = { 3 << 20, 0, 0 } },
	{ .cgid = 2, .path = "/b", .bytes = { 2 << 20, 0, 0 } },
	{ .cgid = 3, .path = "/c", .bytes = { 1 << 20, 0, 0 } },
};
static struct top_file files[1] = {
	{ .ino = 4242, .path = NULL, .bytes = { 1 << 20, 0, 0 } },
};

static struct top_view view(void)
{
	struct top_view v = { .rows = rows, .nrows = 3, .files = files, .nfiles = 1,
			      .page_size = 4096 };

	files[0].dev = makedev(254, 1);
	v.pruned[LEDGER_CGROUPS] = (struct ledger_counts){ 5 << 20, 7 << 20, 0 };
	v.overflow.removed_unowned_bytes = 9 << 20;
	return v;
}

static char *text_of(const struct top_view *v, const struct top_meta *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	top_text(f, v, m);
	fclose(f);
	return buf;
}

/* --limit cuts the JSON rows as it cuts the table's, and says so. */
static void test_json_limit(void **state)
{
	struct top_view v = view();
	struct top_meta m = { .mode = "tp_btf", .limit = 2 };
	json_t *doc = top_json(&v, &m);

	assert_non_null(doc);
	assert_int_equal(json_array_size(json_object_get(doc, "cgroups")), 2);
	assert_int_equal(json_integer_value(json_object_get(doc, "limit")), 2);
	json_decref(doc);
}

/* Device as major:minor, not the raw dev_t. */
static void test_text_dev(void **state)
{
	struct top_view v = view();
	struct top_meta m = { .mode = "tp_btf", .limit = 20 };
	char *t = text_of(&v, &m);

	assert_non_null(strstr(t, "254:1:4242"));
	assert_null(strstr(t, "65025:4242"));
	free(t);
}

/* Bytes of pruned entries and of removals with no known owner are shown. */
static void test_pruned_shown(void **state)
{
	struct top_view v = view();
	struct top_meta m = { .mode = "tp_btf", .limit = 20 };
	char *t = text_of(&v, &m);
	json_t *doc = top_json(&v, &m), *p;

	assert_non_null(strstr(t, "5.0 MiB added and 7.0 MiB removed by cgroups no longer tracked"));
	assert_non_null(strstr(t, "9.0 MiB removed from files with no known owner"));
	p = json_object_get(json_object_get(json_object_get(doc, "overflow"), "pruned"), "cgroups");
	assert_int_equal(json_integer_value(json_object_get(p, "removed_bytes")), 7 << 20);
	free(t);
	json_decref(doc);
}

/* Tracepoint mode's dirtied figure is a lower bound, and says so. */
static void test_tracepoint_dirtied_note(void **state)
{
	struct top_view v = view();
	struct top_meta m = { .mode = "tracepoint", .limit = 20 };
	char *t = text_of(&v, &m);
	json_t *doc = top_json(&v, &m);

	assert_non_null(strstr(t, "lower bound"));
	assert_true(json_is_true(json_object_get(json_object_get(doc, "bpf"), "dirtied_lower_bound")));
	free(t);
	json_decref(doc);
	m.mode = "tp_btf";
	t = text_of(&v, &m);
	assert_null(strstr(t, "lower bound"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_limit),
		cmocka_unit_test(test_text_dev),
		cmocka_unit_test(test_pruned_shown),
		cmocka_unit_test(test_tracepoint_dirtied_note),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
