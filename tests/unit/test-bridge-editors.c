/* SPDX-License-Identifier: MIT */
/* The two editors as pure functions: Docker Desktop settings (PascalCase,
 * camelCase, casing kept, order kept, refusals) and .wslconfig (comments,
 * casing, CRLF, new keys and sections, refusals). */
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

#include "../../windows-bridge/docker_settings.h"
#include "../../windows-bridge/wslconfig.h"

static const char pascal[] =
	"{\n  \"AutoStart\": false,\n  \"IntegratedWslDistros\": [\n    \"Debian\"\n  ],\n"
	"  \"WslEngineEnabled\": true,\n  \"Zzz\": {\"b\": 1, \"a\": [1.5, null]}\n}\n";

static void test_ds_enable_keeps_everything(void **state)
{
	struct ds_edit r;
	json_t *before, *after;
	const char *k;
	json_t *v;
	size_t i = 0;
	static const char *const order[] = { "AutoStart", "IntegratedWslDistros", "WslEngineEnabled", "Zzz" };

	assert_int_equal(ds_edit_integration(pascal, strlen(pascal), "settings-store.json", "Ubuntu", true, &r), 0);
	assert_true(r.changed);
	assert_string_equal(r.key, "IntegratedWslDistros");
	assert_string_equal(r.before, "[\"Debian\"]");
	assert_string_equal(r.after, "[\"Debian\",\"Ubuntu\"]");
	assert_int_not_equal((unsigned char)r.out[0], 0xEF);
	assert_int_equal(r.out[r.out_len - 1], '\n');
	before = json_loads(pascal, 0, NULL);
	after = json_loads(r.out, 0, NULL);
	assert_non_null(after);
	json_object_foreach(after, k, v)
		assert_string_equal(k, order[i++]);
	assert_true(json_equal(json_object_get(before, "Zzz"), json_object_get(after, "Zzz")));
	json_decref(before);
	json_decref(after);

	/* Run again on the output: nothing to do (idempotent). */
	{
		struct ds_edit again;
		char *copy = strdup(r.out);

		assert_int_equal(ds_edit_integration(copy, strlen(copy), "settings-store.json", "UBUNTU", true, &again), 0);
		assert_false(again.changed);
		assert_null(again.out);
		free(copy);
	}
	ds_edit_free(&r);
}

static void test_ds_camel_missing_key_and_disable(void **state)
{
	const char *camel = "{\n    \"autoStart\": true,\n    \"wslEngineEnabled\": true\n}";
	struct ds_edit r;

	assert_int_equal(ds_edit_integration(camel, strlen(camel), "settings.json", "Ubuntu", true, &r), 0);
	assert_true(r.changed);
	assert_string_equal(r.key, "integratedWslDistros");
	/* A new member after the last, indented as the file is. */
	assert_string_equal(r.out, "{\n    \"autoStart\": true,\n    \"wslEngineEnabled\": true,\n"
				   "    \"integratedWslDistros\": [\"Ubuntu\"]\n}");
	{
		struct ds_edit d;
		char *copy = strdup(r.out);

		assert_int_equal(ds_edit_integration(copy, strlen(copy), "settings.json", "ubuntu", false, &d), 0);
		assert_true(d.changed);
		assert_string_equal(d.after, "[]");
		ds_edit_free(&d);
		free(copy);
	}
	ds_edit_free(&r);
}

/* Issue 19: a rewrite turned 1.10 into 1.1000000000000001 and 1e2 into
 * 100.0 in keys nobody asked to change.  Only the list's bytes change now:
 * the output is the input with the list's value replaced. */
static void test_ds_keeps_other_bytes(void **state)
{
	const char *in = "{\"Version\": 1.10,\"Ratio\":1e2 , \"IntegratedWslDistros\" :[ \"Debian\",\n\t\"UBUNTU\" ],"
			 "\"Esc\":\"a\\\"]}\",\"Big\": 12345678901234567890123, \"Neg\": -0.0}\r\n";
	struct ds_edit r, d;

	/* 12345678901234567890123 is beyond jansson's integers: refused
	 * unless the file is read with JSON_DECODE_INT_AS_REAL, so leave it out. */
	char *text = strdup(in), *big = strstr(text, "\"Big\"");

	memmove(big, big + strlen("\"Big\": 12345678901234567890123, "), strlen(big + strlen("\"Big\": 12345678901234567890123, ")) + 1);
	assert_int_equal(ds_edit_integration(text, strlen(text), "settings-store.json", "ubuntu", false, &d), 0);
	assert_true(d.changed);
	assert_string_equal(d.out, "{\"Version\": 1.10,\"Ratio\":1e2 , \"IntegratedWslDistros\" :[ \"Debian\" ],"
				   "\"Esc\":\"a\\\"]}\",\"Neg\": -0.0}\r\n");
	assert_int_equal(ds_edit_integration(d.out, d.out_len, "settings-store.json", "Arch", true, &r), 0);
	assert_string_equal(r.out, "{\"Version\": 1.10,\"Ratio\":1e2 , \"IntegratedWslDistros\" :[ \"Debian\", \"Arch\" ],"
				   "\"Esc\":\"a\\\"]}\",\"Neg\": -0.0}\r\n");
	ds_edit_free(&r);
	ds_edit_free(&d);
	/* null becomes a list in place. */
	assert_int_equal(ds_edit_integration("{\"a\":1.50,\"integratedWslDistros\":null}",
					     strlen("{\"a\":1.50,\"integratedWslDistros\":null}"), "settings.json",
					     "Ubuntu", true, &r), 0);
	assert_string_equal(r.out, "{\"a\":1.50,\"integratedWslDistros\":[\"Ubuntu\"]}");
	ds_edit_free(&r);
	free(text);
}

static void test_ds_refusals(void **state)
{
	static const char *const bad[] = {
		"", "   \n", "{\"a\":", "[1,2]", "{\"IntegratedWslDistros\": \"Ubuntu\"}",
		"{\"IntegratedWslDistros\": [1]}", "{\"a\":1,\"a\":2}",
	};
	struct ds_edit r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ds_edit_integration(bad[i], strlen(bad[i]), "settings-store.json", "Ubuntu", true, &r),
				 -EINVAL);
		assert_true(r.why[0] != '\0');
		assert_null(r.out);
	}
	assert_int_equal(ds_edit_integration("", 0, "x", "U", true, &r), -EINVAL);
	assert_non_null(strstr(r.why, "empty"));
}

static void test_ds_bom_removed(void **state)
{
	const char *bom = "\xEF\xBB\xBF{\"IntegratedWslDistros\":[\"Ubuntu\"]}";
	struct ds_edit r;

	assert_int_equal(ds_edit_integration(bom, strlen(bom), "settings-store.json", "Ubuntu", true, &r), 0);
	assert_true(r.bom_removed);
	assert_true(r.changed);  /* already listed, but the BOM must go */
	assert_int_equal(r.out[0], '{');
	ds_edit_free(&r);
}

static const char wsl[] =
	"# top comment\n"
	"[wsl2]\n"
	"Memory = 12GB  # inline\n"
	"; another comment\n"
	"swap = 0\n"
	"\n"
	"[Experimental]\n"
	"AutoMemoryReclaim = dropCache   # by hand\n"
	"\n"
	"[other]\n"
	"keep=me\n";

static void test_wsl_set_existing(void **state)
{
	struct wslconfig_edit r;
	char *expect;

	assert_int_equal(wslconfig_set(wsl, strlen(wsl), "experimental", "autoMemoryReclaim", "gradual", &r), 0);
	assert_true(r.changed);
	assert_true(r.had_key);
	assert_string_equal(r.before, "dropCache");
	assert_int_equal(r.line, 8);
	expect = strdup(wsl);
	memcpy(strstr(expect, "dropCache   #"), "gradual", 7);
	memmove(strstr(expect, "gradual") + 7, strstr(expect, "gradual") + 9, strlen(strstr(expect, "gradual") + 9) + 1);
	assert_string_equal(r.out, expect);
	free(expect);
	{
		struct wslconfig_edit again;

		assert_int_equal(wslconfig_set(r.out, r.out_len, "experimental", "autoMemoryReclaim", "gradual", &again), 0);
		assert_false(again.changed);
	}
	wslconfig_edit_free(&r);
}

static void test_wsl_add_key_and_section(void **state)
{
	struct wslconfig_edit r;

	assert_int_equal(wslconfig_set(wsl, strlen(wsl), "wsl2", "processors", "4", &r), 0);
	assert_false(r.had_key);
	assert_int_equal(r.line, 6);
	/* After the section's last key, before its blank line; spaced like the
	 * file's first key. */
	assert_non_null(strstr(r.out, "swap = 0\nprocessors = 4\n\n[Experimental]"));
	wslconfig_edit_free(&r);

	assert_int_equal(wslconfig_set("[wsl2]\r\nswap=0", 14, "experimental", "sparseVhd", "true", &r), 0);
	assert_true(r.added_section);
	assert_string_equal(r.out, "[wsl2]\r\nswap=0\r\n\r\n[experimental]\r\nsparseVhd=true\r\n");
	assert_int_equal(r.line, 5);
	wslconfig_edit_free(&r);

	assert_int_equal(wslconfig_set("", 0, "wsl2", "memory", "8GB", &r), 0);
	assert_string_equal(r.out, "[wsl2]\nmemory=8GB\n");
	wslconfig_edit_free(&r);
}

static void test_wsl_refusals(void **state)
{
	struct wslconfig_edit r;
	const char *cont = "[wsl2]\nmemory = 8\\\nGB\n";

	assert_int_equal(wslconfig_set(cont, strlen(cont), "wsl2", "memory", "4GB", &r), -EINVAL);
	assert_non_null(strstr(r.why, "continues"));
	assert_int_equal(wslconfig_set("a\0b", 3, "wsl2", "memory", "4GB", &r), -EINVAL);
	assert_non_null(strstr(r.why, "NUL"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ds_enable_keeps_everything),
		cmocka_unit_test(test_ds_camel_missing_key_and_disable),
		cmocka_unit_test(test_ds_keeps_other_bytes),
		cmocka_unit_test(test_ds_refusals),
		cmocka_unit_test(test_ds_bom_removed),
		cmocka_unit_test(test_wsl_set_existing),
		cmocka_unit_test(test_wsl_add_key_and_section),
		cmocka_unit_test(test_wsl_refusals),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
