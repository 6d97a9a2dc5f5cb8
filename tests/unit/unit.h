/* SPDX-License-Identifier: MIT */
#pragma once

/* Included by every cmocka unit test after <cmocka.h>.  cmocka counts a
 * skip() as a pass and exits 0, so automake would report PASS for a test
 * that never ran.  A test skips with unit_skip("why"), and main() returns
 * unit_status(cmocka_run_group_tests(...)): 1 on a failure, 77 (automake's
 * SKIP) when a test skipped, else 0. */
#include <stdio.h>

static int unit_skips __attribute__((unused));

#define unit_skip(why)                                         \
	do {                                                   \
		unit_skips++;                                  \
		fprintf(stderr, "SKIP: %s\n", (why));          \
		skip();                                        \
	} while (0)

static inline int unit_status(int failed)
{
	if (failed)
		return 1;
	return unit_skips ? 77 : 0;
}
