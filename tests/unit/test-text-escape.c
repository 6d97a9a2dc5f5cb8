/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "unit.h"

#include "shared/text_escape.h"

static const char *esc(const char *s)
{
	static char buf[256];

	return text_escape(s, buf, sizeof(buf));
}

static void test_controls(void **state)
{
	assert_string_equal(esc("plain/path-1.txt"), "plain/path-1.txt");
	assert_string_equal(esc("\033]0;title\007"), "\\x1b]0;title\\x07");
	assert_string_equal(esc("a\nb\tc\\d"), "a\\nb\\tc\\\\d");
	assert_string_equal(esc("\177\001"), "\\x7f\\x01");
	assert_string_equal(esc(NULL), "(null)");
}

static void test_utf8(void **state)
{
	/* Valid UTF-8 passes; C1 controls (CSI = U+009B), stray and overlong
	 * bytes, surrogates are escaped byte by byte. */
	assert_string_equal(esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3"),
			    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3");
	assert_string_equal(esc("\xc2\x9b" "2J"), "\\xc2\\x9b2J");
	assert_string_equal(esc("\x9b" "2J"), "\\x9b2J");
	assert_string_equal(esc("\xc0\xaf"), "\\xc0\\xaf");
	assert_string_equal(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80");
	assert_string_equal(esc("\xe2\x82"), "\\xe2\\x82");
}

static void test_cut(void **state)
{
	char small[6];

	/* Never half an escape or half a character. */
	assert_string_equal(text_escape("ab\033cd", small, sizeof(small)), "ab");
	assert_string_equal(text_escape("abc\xe2\x82\xac", small, sizeof(small)), "abc");
	assert_string_equal(text_escape("abcdefgh", small, sizeof(small)), "abcde");
	assert_string_equal(text_escape("x", small, 1), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_cut),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
