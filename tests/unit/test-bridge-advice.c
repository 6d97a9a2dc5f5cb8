/* SPDX-License-Identifier: MIT */
/* The bridge's advice (windows-bridge/advice.c): experimental.autoMemoryReclaim
 * read from .wslconfig text as WSL reads it (unset or no file: WSL's default
 * dropCache), advised when it differs from the measured recommendation, the
 * command that applies it, and the JSON the API shows. */
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

#include "../../windows-bridge/advice.h"
#include "../../windows-bridge/wslconfig.h"

#define KEY "experimental.autoMemoryReclaim"
#define SET "wsldock-bridge wslconfig set " KEY "=" ADVICE_RECLAIM_RECOMMENDED

static int advise(const char *text, const char *arg, struct advice *a)
{
	memset(a, 0xa5, sizeof(*a));
	return advice_wslconfig(text, text ? strlen(text) : 0, arg, a, ADVICE_MAX);
}

static void test_default_is_dropcache(void **state)
{
	struct advice a;

	(void)state;
	/* No file, an empty one, one without the key: WSL's default. */
	static const char *const texts[] = { NULL, "", "[wsl2]\nmemory=8GB\n",
					     "[experimental]\nsparseVhd=true\n",
					     "[wsl2]\nautoMemoryReclaim=gradual\n" };
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(advise(texts[i], NULL, &a), 1);
		assert_string_equal(a.key, KEY);
		assert_string_equal(a.current, "dropCache");
		assert_true(a.current_default);
		assert_string_equal(a.recommended, ADVICE_RECLAIM_RECOMMENDED);
		assert_string_equal(a.command, SET);
		assert_non_null(a.why);
		assert_true(strlen(a.why) > 20);
	}
}

static void test_set_values(void **state)
{
	struct advice a;

	(void)state;
	assert_int_equal(advise("[experimental]\nautoMemoryReclaim=dropCache\n", NULL, &a), 1);
	assert_string_equal(a.current, "dropCache");
	assert_false(a.current_default);
	assert_int_equal(advise("[experimental]\nautoMemoryReclaim = disabled # off\n", NULL, &a), 1);
	assert_string_equal(a.current, "disabled");
	/* The recommended value, in any casing, quoted, with CRLF and a BOM:
	 * nothing to advise. */
	assert_int_equal(advise("[experimental]\nautoMemoryReclaim=" ADVICE_RECLAIM_RECOMMENDED "\n", NULL, &a), 0);
	assert_int_equal(advise("\xef\xbb\xbf[Experimental]\r\nAUTOMEMORYRECLAIM = \"GRADUAL\"\r\n", NULL, &a),
			 strcmp(ADVICE_RECLAIM_RECOMMENDED, "gradual") ? 1 : 0);
	/* The last assignment wins, across repeated sections. */
	assert_int_equal(advise("[experimental]\nautoMemoryReclaim=" ADVICE_RECLAIM_RECOMMENDED "\n[wsl2]\n"
				"[experimental]\nautoMemoryReclaim=dropcache\n", NULL, &a), 1);
	assert_string_equal(a.current, "dropcache");
	assert_int_equal(advise("[experimental]\nautoMemoryReclaim=dropCache\n[experimental]\nsparseVhd=true\n"
				"[experimental]\nautoMemoryReclaim=" ADVICE_RECLAIM_RECOMMENDED "\n", NULL, &a), 0);
	/* A commented-out line is not a setting. */
	assert_int_equal(advise("[experimental]\n# autoMemoryReclaim=" ADVICE_RECLAIM_RECOMMENDED "\n", NULL, &a), 1);
	assert_true(a.current_default);
	/* A value WSL does not know is shown (printable) and advised away. */
	assert_int_equal(advise("[experimental]\nautoMemoryReclaim=fa\xc3\xa9st\n", NULL, &a), 1);
	assert_string_equal(a.current, "fa??st");
}

static void test_unreadable(void **state)
{
	struct advice a;
	static const char nul[] = "[experimental]\nautoMemoryReclaim=\0gradual\n";

	(void)state;
	assert_int_equal(advice_wslconfig(nul, sizeof(nul) - 1, NULL, &a, ADVICE_MAX), -EINVAL);
	assert_int_equal(advise("[experimental]\nautoMemoryReclaim=drop\\\nCache\n", NULL, &a), -EINVAL);
	/* No room: nothing written, nothing advised. */
	assert_int_equal(advice_wslconfig(NULL, 0, NULL, &a, 0), 0);
}

static void test_command_names_the_file(void **state)
{
	struct advice a;

	(void)state;
	assert_int_equal(advise(NULL, "/home/me/.wslconfig", &a), 1);
	assert_string_equal(a.command, SET " --wslconfig /home/me/.wslconfig");
	assert_int_equal(advise(NULL, "C:\\Users\\Zoë D\\.wslconfig", &a), 1);
	assert_string_equal(a.command, SET " --wslconfig \"C:\\Users\\Zoë D\\.wslconfig\"");
	/* What a shell would expand is never put in the command. */
	assert_int_equal(advise(NULL, "/tmp/$(reboot)/.wslconfig", &a), 1);
	assert_string_equal(a.command, SET " --wslconfig FILE");
}

static void test_json(void **state)
{
	struct advice a;
	json_t *j;

	(void)state;
	j = advice_json(NULL, 0);
	assert_non_null(j);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	assert_int_equal(advise("[experimental]\nautoMemoryReclaim=dropCache\n", NULL, &a), 1);
	j = advice_json(&a, 1);
	assert_int_equal(json_array_size(j), 1);
	json_t *o = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(o, "key")), KEY);
	assert_string_equal(json_string_value(json_object_get(o, "current")), "dropCache");
	assert_true(json_is_false(json_object_get(o, "default")));
	assert_string_equal(json_string_value(json_object_get(o, "recommended")), ADVICE_RECLAIM_RECOMMENDED);
	assert_string_equal(json_string_value(json_object_get(o, "command")), SET);
	assert_true(json_is_string(json_object_get(o, "why")));
	json_decref(j);
}

static void test_wslconfig_get(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(wslconfig_get("[wsl2]\nmemory = 8GB ; half\n", 26, "WSL2", "Memory", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "8GB");
	assert_int_equal(wslconfig_get("[wsl2]\nmemory=8GB", 17, "wsl2", "swap", buf, sizeof(buf)), 0);
	/* Cut to the buffer, never past it. */
	assert_int_equal(wslconfig_get("[a]\nk=0123456789abcdefghij\n", 27, "a", "k", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "0123456789abcde");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_is_dropcache),
		cmocka_unit_test(test_set_values),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_command_names_the_file),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_wslconfig_get),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
