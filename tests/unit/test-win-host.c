/* SPDX-License-Identifier: MIT */
/* The Windows bridge's host readers (windows-bridge/win/host.c) natively,
 * so they also run under ASan/UBSan in the sanitized distcheck; the same
 * readers run under wine in tests/windows/test-win.c against Windows' own
 * encoders and registry. */
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

#include "../../windows-bridge/win/host.h"

/* ASCII to UTF-16LE, as wsl.exe writes it. */
static uint8_t *u16(const char *s, size_t *len)
{
	size_t n = strlen(s);
	uint8_t *b = malloc(2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		b[2 * i] = (uint8_t)s[i];
		b[2 * i + 1] = 0;
	}
	*len = 2 * n;
	return b;
}

static void test_guid_and_service_id(void **state)
{
	struct host_guid g;
	char s[HOST_GUID_STR];

	assert_int_equal(host_guid_parse("{B5D4E3F2-1A2B-4C3D-9E8F-00112233AABB}", &g), 0);
	assert_int_equal(g.data1, 0xb5d4e3f2u);
	assert_int_equal(g.data2, 0x1a2b);
	assert_int_equal(g.data4[0], 0x9e);
	assert_int_equal(g.data4[7], 0xbb);
	host_guid_format(&g, s);
	assert_string_equal(s, "b5d4e3f2-1a2b-4c3d-9e8f-00112233aabb");
	assert_int_equal(host_guid_parse("b5d4e3f2-1a2b-4c3d-9e8f-00112233aab", &g), -EINVAL);
	assert_int_equal(host_guid_parse("{b5d4e3f2-1a2b-4c3d-9e8f-00112233aabb", &g), -EINVAL);
	assert_int_equal(host_guid_parse("b5d4e3f2+1a2b-4c3d-9e8f-00112233aabb", &g), -EINVAL);
	host_hv_service_id(9478, &g);
	host_guid_format(&g, s);
	assert_string_equal(s, "00002506-facb-11e6-bd58-64006a7986d3");
	host_hv_service_id(0x12345678, &g);
	host_guid_format(&g, s);
	assert_string_equal(s, "12345678-facb-11e6-bd58-64006a7986d3");
}

static void test_wsl_output(void **state)
{
	struct host_wsl_distro rows[4];
	char why[256], *t;
	size_t len;
	uint8_t *b = u16("  NAME            STATE           VERSION\r\r\n"
			 "* Ubuntu          Running         2\r\r\n"
			 "  Legacy          Stopped         1\r\r\n", &len);

	assert_int_equal(host_wsl_output_decode(b, len, false, &t), 0);
	assert_null(strchr(t, '\r'));
	assert_int_equal(host_wsl_list_parse(t, rows, 4, why, sizeof(why)), 2);
	assert_string_equal(rows[0].name, "Ubuntu");
	assert_true(rows[0].is_default);
	assert_string_equal(rows[0].state, "Running");
	assert_int_equal(rows[0].version, 2);
	assert_string_equal(rows[1].name, "Legacy");
	assert_false(rows[1].is_default);
	assert_int_equal(rows[1].version, 1);
	free(t);
	assert_int_equal(host_wsl_output_decode(b, len - 1, false, &t), -EILSEQ);
	free(b);

	/* A BOM is dropped; a surrogate pair becomes 4 bytes of UTF-8. */
	const uint8_t smile[] = { 0xff, 0xfe, 'a', 0, 0x3d, 0xd8, 0x00, 0xde, '\r', 0, '\n', 0 };
	assert_int_equal(host_wsl_output_decode(smile, sizeof(smile), false, &t), 0);
	assert_string_equal(t, "a\xf0\x9f\x98\x80\n");
	free(t);
	const uint8_t lone[] = { 0x00, 0xdc, 'a', 0 };
	assert_int_equal(host_utf16le_to_utf8(lone, sizeof(lone), &t), -EILSEQ);

	/* WSL_UTF8=1 output, and a lone \r. */
	const char *u8 = "NAME STATE VERSION\r\n* Debian Stopped 2\r\r\n";
	assert_int_equal(host_wsl_output_decode((const uint8_t *)u8, strlen(u8), true, &t), 0);
	assert_string_equal(t, "NAME STATE VERSION\n* Debian Stopped 2\n");
	free(t);

	assert_int_equal(host_wsl_list_parse("no table\n", rows, 4, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "line 1"));
	assert_int_equal(host_wsl_list_parse("NAME STATE VERSION\n* x Running\n", rows, 4, why, sizeof(why)),
			 -EBADMSG);
	assert_non_null(strstr(why, "line 2"));
	assert_int_equal(host_wsl_list_parse("", rows, 4, why, sizeof(why)), -EBADMSG);
}

static void test_vmid(void **state)
{
	struct host_guid g;
	char s[HOST_GUID_STR];

	assert_int_equal(host_vmid_from_cmdline("wslhost.exe --vm-id {B5D4E3F2-1A2B-4C3D-9E8F-00112233AABB} "
						"--handle 9", &g), 0);
	host_guid_format(&g, s);
	assert_string_equal(s, "b5d4e3f2-1a2b-4c3d-9e8f-00112233aabb");
	assert_int_equal(host_vmid_from_cmdline("x --vm-id=\"b5d4e3f2-1a2b-4c3d-9e8f-00112233aabb\"", &g), 0);
	assert_int_equal(host_vmid_from_cmdline("x --vm-id", &g), -EINVAL);
	assert_int_equal(host_vmid_from_cmdline("x --vm-idz {b5d4e3f2-1a2b-4c3d-9e8f-00112233aabb}", &g),
			 -ENOENT);
	assert_int_equal(host_vmid_from_cmdline("x--vm-id {b5d4e3f2-1a2b-4c3d-9e8f-00112233aabb}", &g),
			 -ENOENT);
	assert_int_equal(host_guid_find("vm: {b5d4e3f2-1a2b-4c3d-9e8f-00112233aabb}\n", &g), 0);
	assert_int_equal(host_guid_find("b5d4e3f2-1a2b-4c3d-9e8f-00112233aabbc", &g), -ENOENT);
	assert_true(host_is_wsl_vm_process("C:\\Program Files\\WSL\\wslhost.exe"));
	assert_true(host_is_docker_desktop_process("com.docker.backend.exe"));
	assert_false(host_is_docker_desktop_process("docker.exe"));
}

static void test_lxss(void **state)
{
	struct host_lxss_entry e[] = {
		{ "{22222222-0000-0000-0000-000000000000}", "Ubuntu", "C:\\wsl\\u", 0xf, true },
		{ "{11111111-0000-0000-0000-000000000000}", "debian", NULL, 0x7, true },
		{ "NotAGuid", "Bogus", NULL, 0xf, true },
		{ "{33333333-0000-0000-0000-000000000000}", NULL, NULL, 0xf, true },
		{ "{44444444-0000-0000-0000-000000000000}", "NoFlags", NULL, 0, false },
	};
	struct host_lxss_distro d[8];
	unsigned skipped;

	assert_int_equal(host_lxss_parse("{22222222-0000-0000-0000-000000000000}", e, 5, d, 8, &skipped), 3);
	assert_int_equal(skipped, 2);
	assert_string_equal(d[0].name, "debian");
	assert_int_equal(d[0].version, 1);
	assert_string_equal(d[1].name, "NoFlags");
	assert_int_equal(d[1].version, 0);
	assert_string_equal(d[2].name, "Ubuntu");
	assert_int_equal(d[2].version, 2);
	assert_true(d[2].is_default);
	assert_false(d[0].is_default);
	assert_string_equal(d[2].base_path, "C:\\wsl\\u");
	assert_string_equal(d[2].guid, "22222222-0000-0000-0000-000000000000");
	/* Room for one: the first valid entry, none overrun. */
	assert_int_equal(host_lxss_parse(NULL, e, 5, d, 1, &skipped), 1);
	assert_false(d[0].is_default);
}

static void test_paths_and_wslconfig(void **state)
{
	struct host_wslconfig_memory m;
	char buf[64];

	assert_int_equal(host_docker_settings_candidate("C:\\Users\\me\\AppData\\Roaming", 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "C:\\Users\\me\\AppData\\Roaming\\Docker\\settings-store.json");
	assert_int_equal(host_docker_settings_candidate("C:\\A\\", 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "C:\\A\\Docker\\settings.json");
	assert_int_equal(host_docker_settings_candidate("C:\\A", 2, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(host_docker_settings_candidate("C:\\A", 0, buf, 10), -ENAMETOOLONG);
	assert_int_equal(host_wslconfig_path("C:\\Users\\me", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "C:\\Users\\me\\.wslconfig");
	assert_int_equal(host_wslconfig_path(NULL, buf, sizeof(buf)), -ENOENT);

	host_wslconfig_memory("\xef\xbb\xbf# mine\r\n[WSL2]\r\nMemory = 8GB  # half\r\nswap=2GB\r\n"
			      "[other]\r\nmemory=1GB\r\n[experimental]\r\nautoMemoryReclaim=gradual\r\n"
			      "[wsl2]\r\nmemory=6GB\r\n", &m);
	assert_string_equal(m.memory, "6GB");  /* the last one wins */
	assert_string_equal(m.swap, "2GB");
	assert_string_equal(m.auto_memory_reclaim, "gradual");
	host_wslconfig_memory("", &m);
	assert_string_equal(m.memory, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guid_and_service_id),
		cmocka_unit_test(test_wsl_output),
		cmocka_unit_test(test_vmid),
		cmocka_unit_test(test_lxss),
		cmocka_unit_test(test_paths_and_wslconfig),
	};
	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
