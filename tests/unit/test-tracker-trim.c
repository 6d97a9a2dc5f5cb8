/* SPDX-License-Identifier: MIT */
/* Issue 19: the tracker gave back the unused tail of its map buffers with
 * madvise(MADV_DONTNEED) up to the page the buffer ended in, zeroing the
 * next heap block's header and data that shared that page ("free():
 * invalid pointer" at SIGTERM).  The range is whole pages inside the
 * buffer; and the real thing, on a real heap neighbour. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"

#include "tracker/tracker.h"

static void test_range(void **state)
{
	uintptr_t from, to;

	/* A 32 KiB buffer 16 bytes into a page: its last page is shared. */
	assert_true(tracker_trim_range(0x10010, 0, 32768, 4096, &from, &to));
	assert_int_equal(from, 0x11000);
	assert_int_equal(to, 0x18000);  /* not 0x19000: 0x18010.. is not ours */
	assert_true(to <= 0x10010 + 32768);
	/* Used up to within the last page: nothing to give back. */
	assert_false(tracker_trim_range(0x10010, 32000, 32768, 4096, &from, &to));
	/* Page-aligned buffers give back every unused page. */
	assert_true(tracker_trim_range(0x20000, 4096, 16384, 4096, &from, &to));
	assert_int_equal(from, 0x21000);
	assert_int_equal(to, 0x24000);
}

static void test_neighbour(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = 8 * page + 64;
	/* One block from which the buffer and its neighbour are carved, so
	 * the neighbour surely shares the buffer's last page. */
	char *block = aligned_alloc(page, 16 * page), *buf = block + 16, *next = buf + size;
	uintptr_t from, to;

	assert_non_null(block);
	memset(block, 0xab, 16 * page);
	if (tracker_trim_range((uintptr_t)buf, 0, size, page, &from, &to))
		assert_int_equal(madvise((void *)from, to - from, MADV_DONTNEED), 0);
	for (size_t i = 0; i < 64; i++)
		assert_int_equal((unsigned char)next[i], 0xab);
	free(block);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_neighbour),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
