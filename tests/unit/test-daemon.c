/* SPDX-License-Identifier: MIT */
/* The daemon's pieces that need no BPF: the leader lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include <cmocka.h>
#include "unit.h"

#include "daemon/daemon.h"

static void test_leader_one_at_a_time(void **state)
{
	char dir[] = "/tmp/wsldock-leader-XXXXXX", sub[64];
	struct leader a, b;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/made", dir);
	/* Two agents on one lock (flock is per open file, so one process
	 * stands for two): exactly one holds it. */
	leader_init(&a, sub);
	leader_init(&b, sub);
	assert_int_equal(leader_try(&a), 1);  /* creates the directory too */
	assert_int_equal(leader_try(&b), 0);
	assert_int_equal(leader_try(&a), 1);  /* still held */
	assert_int_equal(leader_try(&b), 0);  /* retried: still not */
	/* The leader goes (as when it is killed: its file is closed). */
	leader_release(&a);
	assert_int_equal(leader_try(&b), 1);
	leader_release(&b);
	unlink(a.path);
	rmdir(sub);
	rmdir(dir);
}

static void test_leader_errors(void **state)
{
	struct leader l;

	leader_init(&l, "/proc/self/no/such/dir");
	assert_true(leader_try(&l) < 0);
	assert_false(l.held);
	leader_release(&l);
}

static void test_leader_default_dir(void **state)
{
	unsetenv("WSLDOCK_LOCK_DIR");
	assert_string_equal(leader_default_dir(true), "/mnt/wsl/wsldock");
	assert_string_equal(leader_default_dir(false), "/run/wsldock");
	setenv("WSLDOCK_LOCK_DIR", "/tmp/x", 1);
	assert_string_equal(leader_default_dir(true), "/tmp/x");
	unsetenv("WSLDOCK_LOCK_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leader_one_at_a_time),
		cmocka_unit_test(test_leader_errors),
		cmocka_unit_test(test_leader_default_dir),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
