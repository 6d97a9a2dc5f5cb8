/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "unit.h"

#include "tracker/ledger.h"

#define S 1000000000ull
#define PAGE 4096

/* One cgroup item per call, the other tables empty. */
static int feed(struct ledger *l, uint64_t cgid, uint64_t added, uint64_t removed,
		uint64_t dirtied, uint64_t now)
{
	struct ledger_item it = { .key = { cgid, 0 }, .pages = { added, removed, dirtied } };
	struct ledger_snapshot s = { .items = { &it }, .n = { 1 } };

	return ledger_update(l, &s, now);
}

static const struct ledger_entry *cg(const struct ledger *l, uint64_t id)
{
	return ledger_find(l, LEDGER_CGROUPS, (struct ledger_key){ id, 0 });
}

static void test_bytes(void **state)
{
	struct ledger l;

	ledger_init(&l, PAGE, 0);
	assert_int_equal(feed(&l, 7, 10, 0, 3, 1 * S), 0);
	assert_int_equal(feed(&l, 7, 25, 5, 3, 2 * S), 0);
	assert_int_equal(cg(&l, 7)->bytes.added, 25 * PAGE);
	assert_int_equal(cg(&l, 7)->bytes.removed, 5 * PAGE);
	assert_int_equal(cg(&l, 7)->bytes.dirtied, 3 * PAGE);
	assert_int_equal(ledger_net(cg(&l, 7)), 20 * PAGE);
	assert_null(cg(&l, 8));
	ledger_free(&l);
}

/* The last interval: what the engine hands the policy as growth. */
static void test_last_interval(void **state)
{
	struct ledger l;
	struct ledger_counts last;

	ledger_init(&l, PAGE, 0);
	assert_int_equal(ledger_interval_ns(&l), 0);
	feed(&l, 7, 10, 0, 0, 1 * S);
	/* The first interval counts from ledger_init(). */
	assert_int_equal(ledger_interval_ns(&l), 1 * S);
	assert_int_equal(ledger_last(&l, cg(&l, 7)).added, 10 * PAGE);
	feed(&l, 7, 25, 5, 0, 3 * S);
	assert_int_equal(ledger_interval_ns(&l), 2 * S);
	last = ledger_last(&l, cg(&l, 7));
	assert_int_equal(last.added, 15 * PAGE);
	assert_int_equal(last.removed, 5 * PAGE);
	/* Nothing moved: no growth, for as long as it stays so. */
	for (int t = 4; t < 4 + 2 * LEDGER_HIST; t++) {
		feed(&l, 7, 25, 5, 0, (uint64_t)t * S);
		last = ledger_last(&l, cg(&l, 7));
		assert_int_equal(last.added, 0);
		assert_int_equal(last.removed, 0);
	}
	/* It moves again after a long flat spell. */
	feed(&l, 7, 30, 25, 0, 100 * S);
	last = ledger_last(&l, cg(&l, 7));
	assert_int_equal(last.added, 5 * PAGE);
	assert_int_equal(last.removed, 20 * PAGE);
	ledger_free(&l);
}

static void test_reset(void **state)
{
	struct ledger l;

	/* The map evicted the key and it came back from zero: 100 + 4, not 100. */
	ledger_init(&l, PAGE, 0);
	feed(&l, 1, 100, 0, 0, 1 * S);
	feed(&l, 1, 4, 0, 0, 2 * S);
	assert_int_equal(cg(&l, 1)->bytes.added, 104 * PAGE);
	assert_int_equal(feed(&l, 1, 4, 0, 0, 1 * S), -EINVAL);
	ledger_free(&l);
}

static void test_rates(void **state)
{
	struct ledger l;

	ledger_init(&l, PAGE, 0);
	/* 10 pages per second for 12 s, then 0 for 1 s. */
	for (uint64_t t = 1; t <= 12; t++)
		feed(&l, 3, 10 * t, 0, 0, t * S);
	assert_true(ledger_rate(&l, cg(&l, 3), 1 * S, false) == 10.0 * PAGE);
	assert_true(ledger_rate(&l, cg(&l, 3), 10 * S, false) == 10.0 * PAGE);
	feed(&l, 3, 120, 0, 0, 13 * S);
	assert_true(ledger_rate(&l, cg(&l, 3), 1 * S, false) == 0.0);
	assert_true(ledger_rate(&l, cg(&l, 3), 10 * S, false) == 9.0 * PAGE);
	/* Net rate goes negative when cache leaves faster than it comes. */
	feed(&l, 3, 120, 30, 0, 14 * S);
	assert_true(ledger_rate(&l, cg(&l, 3), 1 * S, true) == -30.0 * PAGE);
	ledger_free(&l);
}

static void test_first_interval(void **state)
{
	struct ledger l;

	/* The implicit zero sample at start gives the first interval a rate. */
	ledger_init(&l, PAGE, 5 * S);
	assert_true(ledger_rate(&l, &(struct ledger_entry){ 0 }, S, false) == 0.0);
	feed(&l, 9, 50, 0, 0, 7 * S);
	assert_true(ledger_rate(&l, cg(&l, 9), 1 * S, false) == 25.0 * PAGE);
	ledger_free(&l);
}

static void test_many_keys_and_overflow(void **state)
{
	struct ledger_item it[300];
	struct ledger_snapshot s = { .items = { it }, .n = { 300 } };
	struct ledger l;

	memset(it, 0, sizeof(it));
	for (int i = 0; i < 300; i++)
		it[i] = (struct ledger_item){ .key = { (uint64_t)(300 - i), 0 }, .pages = { 1, 0, 0 } };
	s.stats.cgroup_inserts = 310;
	s.stats.update_failures = 2;
	s.stats.removed_unowned_pages = 3;
	ledger_init(&l, PAGE, 0);
	assert_int_equal(ledger_update(&l, &s, S), 0);
	for (uint64_t id = 1; id <= 300; id++)
		assert_int_equal(cg(&l, id)->bytes.added, PAGE);
	assert_int_equal(l.overflow.cgroups_evicted, 10);
	assert_int_equal(l.overflow.update_failures, 2);
	assert_int_equal(l.overflow.removed_unowned_bytes, 3 * PAGE);
	ledger_free(&l);
}

static void test_prune(void **state)
{
	struct ledger_item it[2] = { { .key = { 1, 0 }, .pages = { 5, 0, 0 } },
				     { .key = { 2, 0 }, .pages = { 7, 0, 0 } } };
	struct ledger_snapshot s = { .items = { it }, .n = { 2 } };
	struct ledger l;
	uint64_t t = 1;

	ledger_init(&l, PAGE, 0);
	assert_int_equal(ledger_update(&l, &s, t++ * S), 0);
	/* Key 1 leaves the source; key 2 stays, idle.  Neither goes while the
	 * rate window still shows key 1's bytes arriving. */
	it[0] = it[1];
	s.n[0] = 1;
	for (int i = 0; i < LEDGER_HIST - 2; i++)
		assert_int_equal(ledger_update(&l, &s, t++ * S), 0);
	assert_non_null(cg(&l, 1));
	assert_int_equal(ledger_update(&l, &s, t++ * S), 0);
	assert_int_equal(ledger_update(&l, &s, t++ * S), 0);
	assert_null(cg(&l, 1));
	assert_int_equal(l.pruned[LEDGER_CGROUPS].added, 5 * PAGE);
	assert_non_null(cg(&l, 2));
	assert_int_equal(cg(&l, 2)->bytes.added, 7 * PAGE);
	ledger_free(&l);
}

/* A source that says "unchanged" (the daemon's idle sample) must leave the
 * ledger exactly as the same full snapshot would: rates, pruning, the
 * added-last-sample flag and the overflow counters. */
static void test_unchanged_is_a_repeat(void **state)
{
	struct ledger_item it[2] = { { .key = { 1, 0 }, .pages = { 5, 0, 0 } },
				     { .key = { 2, 0 }, .pages = { 7, 0, 0 } } };
	struct ledger_snapshot full = { .items = { it }, .n = { 2 } };
	struct ledger_snapshot same = { .unchanged = true };
	struct ledger a, b;
	uint64_t t = 1;

	full.stats.cgroup_inserts = 4;
	full.stats.removed_unowned_pages = 1;
	ledger_init(&a, PAGE, 0);
	ledger_init(&b, PAGE, 0);
	for (int i = 0; i < 3; i++, t++) {
		it[1].pages.added += 10;
		assert_int_equal(ledger_update(&a, &full, t * S), 0);
		assert_int_equal(ledger_update(&b, &full, t * S), 0);
	}
	assert_true(ledger_added_last_sample(&b, cg(&b, 2)));
	/* Key 1 leaves the source; then nothing moves for a long while, and
	 * the unowned removals go on (they touch no entry). */
	it[0] = it[1];
	full.n[0] = 1;
	assert_int_equal(ledger_update(&a, &full, t * S), 0);
	assert_int_equal(ledger_update(&b, &full, t * S), 0);
	t++;
	for (int i = 0; i < 3 * LEDGER_HIST; i++, t++) {
		full.stats.removed_unowned_pages++;
		same.stats = full.stats;
		assert_int_equal(ledger_update(&a, &full, t * S), 0);
		assert_int_equal(ledger_update(&b, &same, t * S), 0);
		assert_int_equal(a.t[LEDGER_CGROUPS].n, b.t[LEDGER_CGROUPS].n);
		assert_true(ledger_rate(&a, cg(&a, 2), S, false) == ledger_rate(&b, cg(&b, 2), S, false));
		assert_true(ledger_rate(&a, cg(&a, 2), 10 * S, false) ==
			    ledger_rate(&b, cg(&b, 2), 10 * S, false));
		assert_false(ledger_added_last_sample(&b, cg(&b, 2)));
		assert_int_equal(a.overflow.cgroups_evicted, b.overflow.cgroups_evicted);
		assert_int_equal(a.overflow.removed_unowned_bytes, b.overflow.removed_unowned_bytes);
	}
	assert_null(cg(&b, 1));
	assert_int_equal(b.pruned[LEDGER_CGROUPS].added, 5 * PAGE);
	assert_int_equal(cg(&b, 2)->bytes.added, 37 * PAGE);
	assert_true(ledger_rate(&b, cg(&b, 2), 10 * S, false) == 0.0);
	/* It moves again: a full snapshot, as before. */
	it[0].pages.added += 3;
	assert_int_equal(ledger_update(&b, &full, t * S), 0);
	assert_true(ledger_added_last_sample(&b, cg(&b, 2)));
	assert_true(ledger_rate(&b, cg(&b, 2), S, false) == 3.0 * PAGE);
	ledger_free(&a);
	ledger_free(&b);
}

/* What the source may forget: present, flat for a whole history, and none
 * of its cache left.  Forgotten, it is pruned at once, and the tables give
 * their room back once they empty. */
static void test_forgettable_and_shrink(void **state)
{
	static struct ledger_item it[1024];
	struct ledger_snapshot s = { .items = { NULL, NULL, it }, .n = { 0, 0, 1024 } };
	struct ledger l;
	uint64_t t = 1;
	size_t cap;

	for (size_t i = 0; i < 1024; i++)
		it[i] = (struct ledger_item){ .key = { 1, i + 1 }, .pages = { 4, 0, 0 } };
	ledger_init(&l, PAGE, 0);
	assert_int_equal(ledger_update(&l, &s, t++ * S), 0);
	/* All but the first lose their cache; the first keeps 4 pages. */
	for (size_t i = 1; i < 1024; i++)
		it[i].pages.removed = 4;
	assert_int_equal(ledger_update(&l, &s, t++ * S), 0);
	assert_false(ledger_forgettable(&l, ledger_find(&l, LEDGER_FILES, it[5].key)));
	for (int i = 0; i < LEDGER_HIST; i++)
		assert_int_equal(ledger_update(&l, &s, t++ * S), 0);
	assert_true(ledger_forgettable(&l, ledger_find(&l, LEDGER_FILES, it[5].key)));
	assert_false(ledger_forgettable(&l, ledger_find(&l, LEDGER_FILES, it[0].key)));
	cap = l.t[LEDGER_FILES].cap;
	/* The source forgets them: gone at the next sample, bytes kept in pruned. */
	s.n[LEDGER_FILES] = 1;
	s.stats.file_inserts = 1024;
	s.stats.file_deletes = 1023;
	assert_int_equal(ledger_update(&l, &s, t++ * S), 0);
	assert_int_equal(l.t[LEDGER_FILES].n, 1);
	assert_int_equal(l.pruned[LEDGER_FILES].added, 1023 * 4 * PAGE);
	assert_int_equal(l.overflow.files_evicted, 0);  /* forgotten is not evicted */
	assert_true(l.t[LEDGER_FILES].cap < cap);
	assert_non_null(ledger_find(&l, LEDGER_FILES, it[0].key));
	ledger_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_last_interval),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_first_interval),
		cmocka_unit_test(test_many_keys_and_overflow),
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_unchanged_is_a_repeat),
		cmocka_unit_test(test_forgettable_and_shrink),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
