/* SPDX-License-Identifier: MIT */
/* The Windows test program, run under wine64 by tests/windows/wine.sh (a
 * plain runner: it ends with "N passed, N failed").  It drives the real
 * platform layer (libwinplat.a): Hyper-V socket addressing, the readers of
 * wsl.exe output, wslhost.exe command lines and the Lxss registry (which
 * wine.sh fills with `wine reg add` in a private WINEPREFIX), files replaced
 * with ReplaceFileW, UTF-16 paths, the Run key, the log rotation and the
 * enrolment key directory's DACL.  Hyper-V itself cannot exist under wine:
 * what needs it is checked up to the SOCKADDR_HV bytes and the one-line
 * refusal; what wine keeps of ACLs is said at test_private_dir. */
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <hvsocket.h>
#include <objbase.h>
#include <shellapi.h>
#include <psapi.h>
#include <sddl.h>
#include <aclapi.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "enroll.h"
#include "hostmem.h"
#include "platform.h"
#include "win/host.h"
#include "win/status.h"
#include "win/winplat.h"

static int passed, failed;
static const char *current;

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (cond)                                                                 \
			passed++;                                                         \
		else {                                                                    \
			failed++;                                                         \
			printf("FAIL %s: %s (line %d)\n", current, #cond, __LINE__);      \
		}                                                                         \
	} while (0)

static char tmpdir[MAX_PATH * 3];
static const char *test_argv1 = "";

/* UTF-16LE bytes of an ASCII/UTF-8 text, encoded by Windows itself (not by
 * the code under test). */
static uint8_t *to_utf16le(const char *s, size_t *len)
{
	wchar_t *w = win_wide(s);
	size_t n = wcslen(w);
	uint8_t *b = malloc(n * 2 + 1);
	for (size_t i = 0; i < n; i++) {
		b[2 * i] = (uint8_t)(w[i] & 0xff);
		b[2 * i + 1] = (uint8_t)(w[i] >> 8);
	}
	*len = n * 2;
	free(w);
	return b;
}

static void test_guid(void)
{
	struct host_guid g, h;
	char s[HOST_GUID_STR];

	current = "guid";
	CHECK(host_guid_parse("{0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9}", &g) == 0);
	host_guid_format(&g, s);
	CHECK(!strcmp(s, "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"));
	CHECK(host_guid_parse(s, &h) == 0 && !memcmp(&g, &h, sizeof(g)));
	CHECK(host_guid_parse("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f", &g) == -EINVAL);
	CHECK(host_guid_parse("{0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", &g) == -EINVAL);
	CHECK(host_guid_parse("0a1b2c3d-4e5f-6071-8293_a4b5c6d7e8f9", &g) == -EINVAL);
	CHECK(host_guid_parse("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8fg", &g) == -EINVAL);
	CHECK(host_guid_parse("", &g) == -EINVAL);
	/* Against Windows' own parser. */
	GUID w, mine;
	CHECK(CLSIDFromString(L"{0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9}", &w) == S_OK);
	host_guid_parse("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", &g);
	win_guid_from_host(&mine, &g);
	CHECK(IsEqualGUID(&w, &mine));
}

static void test_service_id(void)
{
	struct host_guid g;
	char s[HOST_GUID_STR];
	GUID w;

	current = "service-id";
	host_hv_service_id(9478, &g);
	host_guid_format(&g, s);
	CHECK(!strcmp(s, "00002506-facb-11e6-bd58-64006a7986d3"));
	host_hv_service_id(0xffffffffu, &g);
	host_guid_format(&g, s);
	CHECK(!strcmp(s, "ffffffff-facb-11e6-bd58-64006a7986d3"));
	/* mingw-w64's template with Data1 = port is the same GUID. */
	host_hv_service_id(1234, &g);
	win_guid_from_host(&w, &g);
	GUID t = HV_GUID_VSOCK_TEMPLATE;
	t.Data1 = 1234;
	CHECK(IsEqualGUID(&w, &t));
}

static void test_sockaddr_hv(void)
{
	unsigned char buf[64];
	struct host_guid vm;
	SOCKADDR_HV hv;

	current = "sockaddr-hv";
	CHECK(sizeof(SOCKADDR_HV) == 36);
	host_guid_parse("{5a3c2b1d-0000-4e4e-8f8f-0123456789ab}", &vm);
	memset(buf, 0xee, sizeof(buf));
	CHECK(win_hv_sockaddr(buf, sizeof(buf), &vm, 9478) == sizeof(SOCKADDR_HV));
	memcpy(&hv, buf, sizeof(hv));
	CHECK(hv.Family == 34 && hv.Family == WIN_AF_HYPERV);
	CHECK(hv.Reserved == 0);
	GUID want_vm;
	CHECK(CLSIDFromString(L"{5A3C2B1D-0000-4E4E-8F8F-0123456789AB}", &want_vm) == S_OK);
	CHECK(IsEqualGUID(&hv.VmId, &want_vm));
	GUID want_svc;
	CHECK(CLSIDFromString(L"{00002506-FACB-11E6-BD58-64006A7986D3}", &want_svc) == S_OK);
	CHECK(IsEqualGUID(&hv.ServiceId, &want_svc));
	/* The wire layout: family, reserved, then the VM id's Data1 LE. */
	CHECK(buf[0] == 34 && buf[1] == 0 && buf[2] == 0 && buf[3] == 0);
	CHECK(buf[4] == 0x1d && buf[5] == 0x2b && buf[6] == 0x3c && buf[7] == 0x5a);
	/* Issue 20.1: never a wildcard (WSL's VM delivers nothing to one). */
	CHECK(win_hv_sockaddr(buf, sizeof(buf), NULL, 1) == 0);
	CHECK(win_hv_sockaddr(buf, 35, &vm, 1) == 0);
}

static const char WSL_LIST[] =
	"  NAME                   STATE           VERSION\r\r\n"
	"* Ubuntu-22.04           Running         2\r\r\n"
	"  docker-desktop         Stopped         2\r\r\n"
	"  Legacy                 Stopped         1\r\r\n";

static void test_wsl_output(void)
{
	struct host_wsl_distro rows[8];
	char why[256], *t;
	size_t len;
	uint8_t *u16 = to_utf16le(WSL_LIST, &len);

	current = "wsl-output";
	CHECK(host_wsl_output_decode(u16, len, false, &t) == 0);
	CHECK(!strchr(t, '\r'));
	CHECK(host_wsl_list_parse(t, rows, 8, why, sizeof(why)) == 3);
	CHECK(!strcmp(rows[0].name, "Ubuntu-22.04") && rows[0].is_default && rows[0].version == 2 &&
	      !strcmp(rows[0].state, "Running"));
	CHECK(!strcmp(rows[1].name, "docker-desktop") && !rows[1].is_default && rows[1].version == 2);
	CHECK(!strcmp(rows[2].name, "Legacy") && rows[2].version == 1);
	free(t);
	/* WSL_UTF8=1: the same table in UTF-8, \r\n line ends. */
	CHECK(host_wsl_output_decode((const uint8_t *)WSL_LIST, strlen(WSL_LIST), true, &t) == 0);
	CHECK(host_wsl_list_parse(t, rows, 8, why, sizeof(why)) == 3 && rows[0].is_default);
	free(t);
	/* UTF-8 although we did not ask for it (WSL_UTF8 in the user's env). */
	CHECK(host_wsl_output_decode((const uint8_t *)WSL_LIST, strlen(WSL_LIST), false, &t) == 0);
	CHECK(host_wsl_list_parse(t, rows, 8, why, sizeof(why)) == 3);
	free(t);
	/* A cut UTF-16 stream is refused, not misread. */
	CHECK(host_wsl_output_decode(u16, len - 1, false, &t) == -EILSEQ);
	/* An unpaired surrogate. */
	uint8_t bad[] = { 'A', 0, 0x00, 0xd8, 'B', 0 };
	CHECK(host_wsl_output_decode(bad, sizeof(bad), false, &t) == -EILSEQ);
	free(u16);
	/* wsl.exe's message when no distro is installed is no table. */
	u16 = to_utf16le("Windows Subsystem for Linux has no installed distributions.\r\r\n", &len);
	CHECK(host_wsl_output_decode(u16, len, false, &t) == 0);
	CHECK(host_wsl_list_parse(t, rows, 8, why, sizeof(why)) == -EBADMSG);
	CHECK(strstr(why, "line 1") != NULL);
	free(t);
	free(u16);
	CHECK(host_wsl_list_parse("  NAME STATE VERSION\n* Ubuntu Running 3\n", rows, 8, why,
				  sizeof(why)) == -EBADMSG);
	CHECK(strstr(why, "line 2") != NULL);
	/* More rows than room: the first max are kept. */
	CHECK(host_wsl_list_parse("NAME STATE VERSION\na S 2\nb S 2\nc S 1\n", rows, 2, why,
				  sizeof(why)) == 2);
}

static void test_utf16_roundtrip(void)
{
	/* "Zoë 设置 😀": 2-, 3- and 4-byte UTF-8, a surrogate pair in UTF-16. */
	const char *s = "Zo\xc3\xab \xe8\xae\xbe\xe7\xbd\xae \xf0\x9f\x98\x80";
	char *back, *mine;
	size_t len;

	current = "utf16";
	wchar_t *w = win_wide(s);
	CHECK(w && wcslen(w) == 9 && w[2] == 0xeb && w[7] == 0xd83d && w[8] == 0xde00);
	back = win_utf8(w);
	CHECK(back && !strcmp(back, s));
	uint8_t *u16 = to_utf16le(s, &len);
	CHECK(host_utf16le_to_utf8(u16, len, &mine) == 0 && !strcmp(mine, s));
	free(mine);
	free(u16);
	free(back);
	free(w);
	CHECK(win_wide("\xc3") == NULL);  /* cut UTF-8 never becomes a path */
	/* The manifest's code page: argv arrives in UTF-8 (wine.sh passes "Zoë"). */
	CHECK(GetACP() == CP_UTF8);
	CHECK(!strcmp(test_argv1, "Zo\xc3\xab"));
}

static void test_vmid(void)
{
	struct host_guid g;
	char s[HOST_GUID_STR];

	current = "vm-id";
	CHECK(host_vmid_from_cmdline("\"C:\\Program Files\\WSL\\wslhost.exe\" --vm-id "
				     "{B5D4E3F2-1A2B-4C3D-9E8F-00112233AABB} --handle 1234", &g) == 0);
	host_guid_format(&g, s);
	CHECK(!strcmp(s, "b5d4e3f2-1a2b-4c3d-9e8f-00112233aabb"));
	CHECK(host_vmid_from_cmdline("wslrelay.exe --mode 1 --vm-id=b5d4e3f2-1a2b-4c3d-9e8f-00112233aabb",
				     &g) == 0);
	CHECK(host_vmid_from_cmdline("wslhost.exe --handle 12", &g) == -ENOENT);
	CHECK(host_vmid_from_cmdline("wslhost.exe --vm-idx {b5d4e3f2-1a2b-4c3d-9e8f-00112233aabb}", &g) ==
	      -ENOENT);
	CHECK(host_vmid_from_cmdline("wslhost.exe --vm-id {not-a-guid}", &g) == -EINVAL);
	CHECK(host_guid_find("{b5d4e3f2-1a2b-4c3d-9e8f-00112233aabb}\n", &g) == 0);
	CHECK(host_guid_find("no id here\n", &g) == -ENOENT);
	CHECK(host_is_wsl_vm_process("WSLHOST.EXE") && host_is_wsl_vm_process("wslrelay.exe"));
	CHECK(!host_is_wsl_vm_process("wsl.exe"));
	CHECK(host_is_docker_desktop_process("Docker Desktop.exe"));
	CHECK(!host_is_docker_desktop_process("dockerd.exe"));
}

/* wine.sh wrote these with `wine reg add` under
 * HKCU\Software\Microsoft\Windows\CurrentVersion\Lxss. */
static void test_lxss_registry(void)
{
	struct host_lxss_distro d[8];
	unsigned skipped;

	current = "lxss-registry";
	int n = win_lxss_read(HKEY_CURRENT_USER, "Software\\Microsoft\\Windows\\CurrentVersion\\Lxss", d,
			      8, &skipped);
	CHECK(n == 2);
	CHECK(skipped == 2);  /* "NotAGuid" and the one without DistributionName */
	if (n != 2)
		return;
	CHECK(!strcmp(d[0].name, "Debian") && d[0].version == 1 && !d[0].is_default);
	CHECK(!strcmp(d[1].name, "Ubuntu") && d[1].version == 2 && d[1].is_default);
	CHECK(!strcmp(d[1].guid, "11111111-2222-3333-4444-555555555555"));
	CHECK(!strcmp(d[1].base_path, "C:\\Users\\me\\AppData\\Local\\Packages\\Ubuntu\\LocalState"));
	CHECK(win_lxss_read(HKEY_CURRENT_USER, "Software\\wsldock-no-such-key", d, 8, &skipped) == -ENOENT);

	/* The pure part on its own: no Flags means unknown, not WSL 1. */
	struct host_lxss_entry e[] = {
		{ "{aaaaaaaa-0000-0000-0000-000000000000}", "Zeta", NULL, 0, false },
		{ "{bbbbbbbb-0000-0000-0000-000000000000}", "alpha", "D:\\wsl", 0xf, true },
	};
	CHECK(host_lxss_parse("{BBBBBBBB-0000-0000-0000-000000000000}", e, 2, d, 8, &skipped) == 2);
	CHECK(!strcmp(d[0].name, "alpha") && d[0].is_default && d[0].version == 2);
	CHECK(!strcmp(d[1].name, "Zeta") && d[1].version == 0 && !d[1].is_default);
}

static int path_in_tmp(char *buf, size_t size, const char *name)
{
	return snprintf(buf, size, "%s\\%s", tmpdir, name) < (int)size ? 0 : -1;
}

static int count_tmp_files(const char *dir)
{
	char pat[2048];
	/* The \\?\ form: dir may be longer than MAX_PATH. */
	snprintf(pat, sizeof(pat), "\\\\?\\%s\\*.tmp", dir);
	wchar_t *w = win_wide(pat);
	WIN32_FIND_DATAW fd;
	HANDLE h = FindFirstFileW(w, &fd);
	int n = 0;
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return 0;
	do
		n++;
	while (FindNextFileW(h, &fd));
	FindClose(h);
	return n;
}

static void test_files(void)
{
	char dir[1024], path[1100], backup[1200], *got;
	size_t len;

	current = "files";
	/* A directory whose name needs UTF-16: "Zoë 设置". */
	path_in_tmp(dir, sizeof(dir), "Zo\xc3\xab \xe8\xae\xbe\xe7\xbd\xae");
	wchar_t *wd = win_wide(dir);
	CHECK(CreateDirectoryW(wd, NULL) || GetLastError() == ERROR_ALREADY_EXISTS);
	free(wd);
	snprintf(path, sizeof(path), "%s\\.wslconfig", dir);

	/* First write: no target yet (MoveFileExW). */
	const char *v1 = "# mine\n[wsl2]\nmemory=8GB # half\n\n[experimental]\nautoMemoryReclaim=gradual\n";
	CHECK(plat_replace_file(path, v1, strlen(v1)) == 0);
	CHECK(plat_read_file(path, 1 << 20, &got, &len) == 0 && len == strlen(v1) && !strcmp(got, v1));
	struct host_wslconfig_memory m;
	host_wslconfig_memory(got, &m);
	CHECK(!strcmp(m.memory, "8GB") && !m.swap[0] && !strcmp(m.auto_memory_reclaim, "gradual"));
	free(got);

	/* The file under its UTF-16 name, as Explorer sees it. */
	wchar_t want[1100];
	wchar_t *wtmp = win_wide(tmpdir);
	swprintf(want, 1100, L"%ls\\Zo\u00eb \u8bbe\u7f6e\\.wslconfig", wtmp);
	free(wtmp);
	CHECK(GetFileAttributesW(want) != INVALID_FILE_ATTRIBUTES);

	/* Replace (ReplaceFileW) keeps the file's attributes. */
	wchar_t *wp = win_wide(path);
	CHECK(SetFileAttributesW(wp, FILE_ATTRIBUTE_ARCHIVE | FILE_ATTRIBUTE_HIDDEN));
	const char *v2 = "[wsl2]\r\nMemory = 6GB\r\nswap=0\r\n[Experimental]\r\nautomemoryreclaim=dropCache\r\n";
	CHECK(plat_replace_file(path, v2, strlen(v2)) == 0);
	CHECK(plat_read_file(path, 1 << 20, &got, &len) == 0 && !strcmp(got, v2));
	host_wslconfig_memory(got, &m);
	CHECK(!strcmp(m.memory, "6GB") && !strcmp(m.swap, "0") &&
	      !strcmp(m.auto_memory_reclaim, "dropCache"));
	free(got);
	DWORD attr = GetFileAttributesW(wp);
	CHECK(attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_HIDDEN));
	free(wp);
	CHECK(count_tmp_files(dir) == 0);

	/* A read-only target is refused, left as it was, and no temp stays. */
	wp = win_wide(path);
	CHECK(SetFileAttributesW(wp, FILE_ATTRIBUTE_READONLY));
	CHECK(plat_replace_file(path, "x", 1) == -EACCES);
	CHECK(plat_read_file(path, 1 << 20, &got, &len) == 0 && !strcmp(got, v2));
	free(got);
	CHECK(count_tmp_files(dir) == 0);
	CHECK(SetFileAttributesW(wp, FILE_ATTRIBUTE_NORMAL));
	free(wp);

	/* An empty replacement is a real (empty) file, not an error. */
	snprintf(backup, sizeof(backup), "%s\\.wslconfig.bak", dir);
	CHECK(plat_copy_file(path, backup) == 0);
	CHECK(plat_copy_file(path, backup) == -EEXIST);
	CHECK(plat_read_file(backup, 1 << 20, &got, &len) == 0 && !strcmp(got, v2));
	free(got);
	CHECK(plat_read_file(path, 4, &got, &len) == -EFBIG);
	snprintf(backup, sizeof(backup), "%s\\no-such-dir\\x", dir);
	CHECK(plat_replace_file(backup, "x", 1) == -ENOENT);
	CHECK(plat_read_file(backup, 10, &got, &len) == -ENOENT);
	CHECK(plat_replace_file("bad \xc3", "x", 1) == -EILSEQ);

	/* Docker Desktop settings under %APPDATA%: settings-store.json wins. */
	char appdata[1024], docker[1100], p[1200];
	path_in_tmp(appdata, sizeof(appdata), "AppData");
	snprintf(docker, sizeof(docker), "%s\\Docker", appdata);
	wchar_t *wa = win_wide(appdata), *wdk = win_wide(docker);
	CreateDirectoryW(wa, NULL);
	CreateDirectoryW(wdk, NULL);
	SetEnvironmentVariableW(L"APPDATA", wa);
	free(wa);
	free(wdk);
	CHECK(plat_docker_settings_path(p, sizeof(p)) == -ENOENT);
	snprintf(path, sizeof(path), "%s\\settings.json", docker);
	const char *old = "{\"wslEngineEnabled\":true,\"integratedWslDistros\":[\"Debian\"],"
			  "\"enableIntegrationWithDefaultWslDistro\":false}";
	CHECK(plat_replace_file(path, old, strlen(old)) == 0);
	CHECK(plat_docker_settings_path(p, sizeof(p)) == 0 && !strcmp(p, path));
	snprintf(path, sizeof(path), "%s\\settings-store.json", docker);
	const char *neu = "{\"WslEngineEnabled\":true,\"IntegratedWslDistros\":[\"Ubuntu\"],"
			  "\"EnableIntegrationWithDefaultWslDistro\":true,\"Unknown\":1}";
	CHECK(plat_replace_file(path, neu, strlen(neu)) == 0);
	CHECK(plat_docker_settings_path(p, sizeof(p)) == 0 && !strcmp(p, path));
	json_t *o = json_loads(old, 0, NULL), *n = json_loads(neu, 0, NULL);
	CHECK(status_integration(o, "debian", false) == 1);
	CHECK(status_integration(o, "Ubuntu", true) == 0);
	CHECK(status_integration(n, "Ubuntu", false) == 1);
	CHECK(status_integration(n, "Other", true) == 1);   /* the default, integrated by default */
	CHECK(status_integration(n, "Other", false) == 0);
	json_t *api = json_loads("{\"distros\":[{\"name\":\"Ubuntu\",\"connection\":\"connected\"},"
				 "{\"name\":\"Old\",\"connection\":\"disconnected\"}]}", 0, NULL);
	CHECK(status_reports(api, "ubuntu") == 1);
	CHECK(status_reports(api, "Old") == 2);
	CHECK(status_reports(api, "Debian") == 0);
	json_decref(api);
	json_decref(o);
	json_decref(n);

	char wc[1024];
	SetEnvironmentVariableW(L"USERPROFILE", L"C:\\Users\\me");
	CHECK(plat_wslconfig_path(wc, sizeof(wc)) == 0 && !strcmp(wc, "C:\\Users\\me\\.wslconfig"));
	CHECK(host_docker_settings_candidate("C:\\AppData\\", 1, wc, sizeof(wc)) == 0 &&
	      !strcmp(wc, "C:\\AppData\\Docker\\settings.json"));
	CHECK(host_docker_settings_candidate("", 0, wc, sizeof(wc)) == -ENOENT);
}

static void test_host_memory(void)
{
	struct plat_host_memory m;
	struct proto_host_memory out;

	current = "host-memory";
	CHECK(plat_host_memory(&m) == 0);
	CHECK(m.total_bytes > (64ull << 20));
	CHECK(m.available_bytes > 0 && m.available_bytes <= m.total_bytes);
	CHECK(m.commit_limit_bytes >= m.commit_bytes && m.commit_bytes > 0);
	/* Issue 20.10: commit is the system's (GetPerformanceInfo), not this
	 * process's page-file bounds from MEMORYSTATUSEX. */
	PERFORMANCE_INFORMATION pi = { .cb = sizeof(pi) };
	CHECK(GetPerformanceInfo(&pi, sizeof(pi)));
	uint64_t limit = (uint64_t)pi.CommitLimit * pi.PageSize;
	CHECK(m.commit_limit_bytes == limit);
	/* Issue 20.4: the configured threshold decides; Windows' own
	 * notification only adds "low" when it fires. */
	HANDLE h = CreateMemoryResourceNotification(LowMemoryResourceNotification);
	BOOL os_low = FALSE;
	if (h)
		QueryMemoryResourceNotification(h, &os_low);
	CHECK(!m.low_known || m.low);
	struct hostmem_threshold all = { .bytes = m.total_bytes + 1 }, none = { .bytes = 1 };
	hostmem_judge(&m, &all, &out);
	CHECK(out.low);  /* less available than the threshold: low */
	hostmem_judge(&m, &none, &out);
	CHECK(out.low == (os_low != FALSE));
	if (h)
		CloseHandle(h);
}

/* Issue 20.5: each of ReplaceFileW's failures is its own error, and a
 * sharing violation (Defender, the indexer) is waited out. */
static DWORD WINAPI release_later(void *h)
{
	Sleep(300);
	CloseHandle(h);
	return 0;
}

static void test_replace_errors(void)
{
	char path[1100];

	current = "replace-errors";
	CHECK(win_errno(ERROR_UNABLE_TO_REMOVE_REPLACED) != -EIO);
	CHECK(win_errno(ERROR_UNABLE_TO_MOVE_REPLACEMENT) != -EIO);
	CHECK(win_errno(ERROR_UNABLE_TO_MOVE_REPLACEMENT_2) != -EIO);
	CHECK(win_errno(ERROR_UNABLE_TO_REMOVE_REPLACED) != win_errno(ERROR_UNABLE_TO_MOVE_REPLACEMENT));
	CHECK(win_errno(ERROR_UNABLE_TO_MOVE_REPLACEMENT) != win_errno(ERROR_UNABLE_TO_MOVE_REPLACEMENT_2));
	CHECK(win_errno(ERROR_SHARING_VIOLATION) != win_errno(ERROR_ACCESS_DENIED));

	current = "replace-sharing";
	snprintf(path, sizeof(path), "%s\\held.json", tmpdir);
	CHECK(plat_replace_file(path, "old", 3) == 0);
	wchar_t *wp = win_wide(path);
	/* Another program holds it open without FILE_SHARE_DELETE for 300 ms. */
	HANDLE h = CreateFileW(wp, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
	CHECK(h != INVALID_HANDLE_VALUE);
	HANDLE t = CreateThread(NULL, 0, release_later, h, 0, NULL);
	int r = plat_replace_file(path, "new", 3);
	printf("replace while held for 300 ms: %d\n", r);
	CHECK(r == 0);
	WaitForSingleObject(t, INFINITE);
	CloseHandle(t);
	char *got;
	size_t len;
	CHECK(plat_read_file(path, 100, &got, &len) == 0 && !strcmp(got, "new"));
	free(got);
	CHECK(count_tmp_files(tmpdir) == 0);
	free(wp);
}

/* Issue 20.5: a path over MAX_PATH (260), and a profile whose name is not
 * ASCII. */
static void test_long_and_profile_paths(void)
{
	char dir[2048], path[2100], *got;
	size_t len;

	current = "long-path";
	snprintf(dir, sizeof(dir), "%s", tmpdir);
	while (strlen(dir) < 280) {
		strcat(dir, "\\a-directory-name-of-forty-characters-xx");
		/* (made with the \\?\ form by the test itself) */
		wchar_t *w = win_wide(dir), lw[2100];
		swprintf(lw, 2100, L"\\\\?\\%ls", w);
		CHECK(CreateDirectoryW(lw, NULL) || GetLastError() == ERROR_ALREADY_EXISTS);
		free(w);
	}
	snprintf(path, sizeof(path), "%s\\settings-store.json", dir);
	CHECK(strlen(path) > 300);
	int r = plat_replace_file(path, "one", 3);
	printf("replace at a %zu-character path: %d\n", strlen(path), r);
	CHECK(r == 0);
	CHECK(plat_replace_file(path, "two", 3) == 0);
	CHECK(plat_read_file(path, 100, &got, &len) == 0 && !strcmp(got, "two"));
	free(got);
	char bak[2200];
	snprintf(bak, sizeof(bak), "%s.bak", path);
	CHECK(plat_copy_file(path, bak) == 0);
	CHECK(count_tmp_files(dir) == 0);

	current = "profile-path";
	char prof[1024], wc[1024], want[1100];
	snprintf(prof, sizeof(prof), "%s\\Zo\xc3\xab \xe8\xae\xbe\xe7\xbd\xae", tmpdir);
	wchar_t *wprof = win_wide(prof);
	CreateDirectoryW(wprof, NULL);
	SetEnvironmentVariableW(L"USERPROFILE", wprof);
	free(wprof);
	CHECK(plat_wslconfig_path(wc, sizeof(wc)) == 0);
	snprintf(want, sizeof(want), "%s\\.wslconfig", prof);
	CHECK(!strcmp(wc, want));
	CHECK(plat_replace_file(wc, "[wsl2]\n", 7) == 0);
	CHECK(plat_replace_file(wc, "[wsl2]\nmemory=4GB\n", 18) == 0);
	CHECK(plat_read_file(wc, 100, &got, &len) == 0 && !strcmp(got, "[wsl2]\nmemory=4GB\n"));
	free(got);
}

/* ---- the key directory (plat_private_dir) ----
 * What wine (8.0, found by experiment) keeps of a file's security
 * descriptor: the DACL is rebuilt from the unix mode bits (SYSTEM full
 * control, the user from the owner bits, Everyone from the other bits), so
 * an ACE for Everyone survives a round trip but one for another user or
 * group (Users, Authenticated Users) does not; SE_DACL_PROTECTED is never
 * reported; nothing is inherited (a new file's DACL comes from the umask,
 * Everyone may read it); every file is owned by the current user, and
 * setting another owner succeeds and changes nothing.  So under wine the
 * files on disk show the DACL's entries and the refusal of Everyone; the
 * protection and what key files inherit are checked only where a probe
 * shows the platform keeps them (Windows); another owner and the SIDs wine
 * cannot store are checked on descriptors built in memory, through the
 * same rule plat_private_dir applies (win_private_sd_check). */
static union {
	TOKEN_USER tu;
	char buf[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
} me;
static wchar_t user_str[200];

static PSID user_sid(void)
{
	TOKEN_USER *tu = &me.tu;
	HANDLE tok;
	DWORD n;
	LPWSTR s;

	if (!user_str[0] && OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
		if (GetTokenInformation(tok, TokenUser, tu, sizeof(me), &n) &&
		    ConvertSidToStringSidW(tu->User.Sid, &s)) {
			wcsncpy(user_str, s, 199);
			LocalFree(s);
		}
		CloseHandle(tok);
	}
	return tu->User.Sid;
}

/* A security descriptor from SDDL in which every %ls is the user's SID. */
static PSECURITY_DESCRIPTOR sd_from(const wchar_t *fmt)
{
	wchar_t sddl[1024];
	PSECURITY_DESCRIPTOR sd = NULL;

	user_sid();
	swprintf(sddl, 1024, fmt, user_str, user_str, user_str);
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, NULL))
		printf("bad SDDL %ls (%lu)\n", sddl, (unsigned long)GetLastError());
	return sd;
}

/* A directory made with that descriptor. */
static int mkdir_sd(const char *path, const wchar_t *fmt)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), sd_from(fmt), FALSE };
	wchar_t *w = win_wide(path);
	int ok = sa.lpSecurityDescriptor && CreateDirectoryW(w, &sa);
	LocalFree(sa.lpSecurityDescriptor);
	free(w);
	return ok ? 0 : -1;
}

/* path's owner and DACL as Windows reports them (LocalFree it). */
static PSECURITY_DESCRIPTOR read_sd(const char *path, PACL *dacl, SECURITY_DESCRIPTOR_CONTROL *ctl)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	wchar_t *w = win_wide(path);
	DWORD rev;

	*dacl = NULL;
	*ctl = 0;
	if (GetNamedSecurityInfoW(w, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
				  NULL, NULL, dacl, NULL, &sd) != ERROR_SUCCESS)
		sd = NULL;
	else
		GetSecurityDescriptorControl(sd, ctl, &rev);
	free(w);
	return sd;
}

/* Whether dacl holds exactly: full control for the user and for SYSTEM,
 * each with flags (and nothing else). */
static bool only_user_and_system(PACL dacl, BYTE flags)
{
	int mine = 0, system = 0;

	if (!dacl)
		return false;
	for (DWORD i = 0; i < dacl->AceCount; i++) {
		ACCESS_ALLOWED_ACE *a;
		if (!GetAce(dacl, i, (void **)&a) || a->Header.AceType != ACCESS_ALLOWED_ACE_TYPE ||
		    a->Mask != FILE_ALL_ACCESS || (a->Header.AceFlags & ~INHERITED_ACE) != flags)
			return false;
		if (EqualSid(&a->SidStart, user_sid()))
			mine++;
		else if (IsWellKnownSid(&a->SidStart, WinLocalSystemSid))
			system++;
		else
			return false;
	}
	return mine == 1 && system == 1;
}

/* The DACL a check found wrong. */
static void print_dacl(const char *path, PSECURITY_DESCRIPTOR sd)
{
	LPWSTR s = NULL;

	if (sd)
		ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION,
								     &s, NULL);
	printf("  %s: %ls\n", path, s ? s : L"(unreadable)");
	LocalFree(s);
}

static void test_private_dir(void)
{
	char probe[1100], dir[1100], file[1200], why[1024];
	PSECURITY_DESCRIPTOR sd;
	SECURITY_DESCRIPTOR_CONTROL ctl;
	PACL dacl;

	current = "private-dir";
	/* Does this platform keep a protected DACL as given? */
	path_in_tmp(probe, sizeof(probe), "sd-probe");
	CHECK(mkdir_sd(probe, L"D:P(A;OICI;FA;;;%ls)(A;OICI;FA;;;SY)") == 0);
	sd = read_sd(probe, &dacl, &ctl);
	CHECK(sd != NULL);
	LocalFree(sd);
	bool keeps_sd = ctl & SE_DACL_PROTECTED;
	if (!keeps_sd)
		printf("private-dir: this platform (wine) keeps no SE_DACL_PROTECTED and no inheritance: "
		       "not checked\n");

	/* A new key directory, its parents made on the way. */
	path_in_tmp(dir, sizeof(dir), "state\\sub\\bridge-keys");
	CHECK(plat_private_dir(dir, why, sizeof(why)) == 0);
	sd = read_sd(dir, &dacl, &ctl);
	bool ok = only_user_and_system(dacl, OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE);
	CHECK(ok);
	if (keeps_sd)
		CHECK(ctl & SE_DACL_PROTECTED);
	if (!ok || (keeps_sd && !(ctl & SE_DACL_PROTECTED)))
		print_dacl(dir, sd);
	LocalFree(sd);
	/* What a key file written there gets. */
	snprintf(file, sizeof(file), "%s\\ubuntu.key", dir);
	CHECK(plat_replace_file(file, "k\n", 2) == 0);
	if (keeps_sd) {
		sd = read_sd(file, &dacl, &ctl);
		ok = only_user_and_system(dacl, 0);
		CHECK(ok);
		if (!ok)
			print_dacl(file, sd);
		LocalFree(sd);
	}
	/* Again: its own directory is taken as it is. */
	CHECK(plat_private_dir(dir, why, sizeof(why)) == 0);

	/* One made beforehand that lets Everyone read. */
	path_in_tmp(dir, sizeof(dir), "state\\everyone");
	CHECK(mkdir_sd(dir, L"D:P(A;OICI;FA;;;%ls)(A;OICI;FA;;;SY)(A;OICI;FR;;;WD)") == 0);
	sd = read_sd(dir, &dacl, &ctl);
	CHECK(!only_user_and_system(dacl, OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE));  /* (the platform kept it) */
	LocalFree(sd);
	why[0] = 0;
	int r = plat_private_dir(dir, why, sizeof(why));
	printf("private-dir: %s\n", why);
	CHECK(r == -EPERM);
	CHECK(strstr(why, dir) && strstr(why, "S-1-1-0"));

	/* A file where the directory should be. */
	path_in_tmp(dir, sizeof(dir), "state\\a-file");
	CHECK(plat_replace_file(dir, "x", 1) == 0);
	CHECK(plat_private_dir(dir, why, sizeof(why)) == -EPERM && strstr(why, "not a plain directory"));
}

/* The rule on descriptors wine cannot keep on disk: other owners, Users,
 * Authenticated Users, a deny entry, no DACL at all. */
static void test_private_sd(void)
{
	static const struct {
		const wchar_t *sddl;
		int ok;
		const char *named;  /* in why when refused */
	} cases[] = {
		{ L"O:%lsD:P(A;OICI;FA;;;%ls)(A;OICI;FA;;;SY)", 1, NULL },
		/* a directory from an elevated process, or from an older bridge
		 * under %LOCALAPPDATA% (inherited: the user, SYSTEM, Administrators) */
		{ L"O:BAD:(A;OICIID;FA;;;%ls)(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)", 1, NULL },
		{ L"O:SYD:P(A;OICI;FA;;;%ls)", 1, NULL },
		/* denying takes nothing from the user */
		{ L"O:%lsD:P(D;OICI;FA;;;WD)(A;OICI;FA;;;%ls)", 1, NULL },
		{ L"O:S-1-5-21-1-2-3-1001D:P(A;OICI;FA;;;%ls)(A;OICI;FA;;;SY)", 0, "owned by S-1-5-21-1-2-3-1001" },
		{ L"O:BUD:P(A;OICI;FA;;;%ls)", 0, "owned by" },
		{ L"O:%lsD:(A;OICI;FA;;;%ls)(A;OICIID;0x1200a9;;;BU)", 0, "S-1-5-32-545" },
		{ L"O:%lsD:P(A;OICI;FA;;;%ls)(A;;0x1301bf;;;AU)", 0, "S-1-5-11" },
		/* inherit-only: what the key files would get */
		{ L"O:%lsD:P(A;OICI;FA;;;%ls)(A;OICIIO;FR;;;S-1-5-21-1-2-3-1001)", 0, "S-1-5-21-1-2-3-1001" },
	};
	char why[1024];

	current = "private-sd";
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		PSECURITY_DESCRIPTOR sd = sd_from(cases[i].sddl);
		CHECK(sd != NULL);
		if (!sd)
			continue;
		why[0] = 0;
		int r = win_private_sd_check("C:\\k", sd, user_sid(), why, sizeof(why));
		bool right = cases[i].ok ? r == 0 :
			     r == -EPERM && !strncmp(why, "C:\\k: refusing", 14) && strstr(why, cases[i].named);
		CHECK(right);
		if (!right)
			printf("  case %zu (%ls): %d %s\n", i, cases[i].sddl, r, why);
		LocalFree(sd);
	}
	/* A NULL DACL lets everyone in.  (Built by hand: wine's SDDL parser
	 * makes "D:NO_ACCESS_CONTROL" an empty DACL, which lets nobody in.) */
	SECURITY_DESCRIPTOR null_dacl;
	CHECK(InitializeSecurityDescriptor(&null_dacl, SECURITY_DESCRIPTOR_REVISION) &&
	      SetSecurityDescriptorOwner(&null_dacl, user_sid(), FALSE) &&
	      SetSecurityDescriptorDacl(&null_dacl, TRUE, NULL, FALSE));
	CHECK(win_private_sd_check("C:\\k", &null_dacl, user_sid(), why, sizeof(why)) == -EPERM &&
	      strstr(why, "no DACL"));
}

static void test_listen(void)
{
	plat_sock l, c;
	char why[256] = "";

	current = "listen";
	/* Issue 20.2: with no Hyper-V sockets (wine) or no WSL VM yet, an
	 * hvsock listener still opens; it binds when it can. */
	CHECK(plat_listen("hvsock:9478", &l, why, sizeof(why)) == 0);
	struct plat_pollfd hp = { .fd = l, .events = PLAT_POLLIN };
	CHECK(plat_poll(&hp, 1, 50) == 0 && hp.revents == 0);
	CHECK(plat_accept(l, &c) == -EAGAIN);
	plat_close(l);
	CHECK(plat_listen("hvsock:port", &l, why, sizeof(why)) == -EINVAL);
	CHECK(plat_listen("unix:C:\\x.sock", &l, why, sizeof(why)) == -EAFNOSUPPORT);
	CHECK(plat_listen("bogus", &l, why, sizeof(why)) == -EINVAL);
	CHECK(plat_listen("tcp:127.0.0.1", &l, why, sizeof(why)) == -EINVAL);

	CHECK(plat_listen("tcp:127.0.0.1:0", &l, why, sizeof(why)) == 0);
	struct sockaddr_in a;
	int alen = sizeof(a);
	CHECK(getsockname(l, (struct sockaddr *)&a, &alen) == 0);
	CHECK(plat_accept(l, &c) == -EAGAIN);
	SOCKET cl = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connect(cl, (struct sockaddr *)&a, alen) == 0);
	struct plat_pollfd pf = { .fd = l, .events = PLAT_POLLIN };
	CHECK(plat_poll(&pf, 1, 2000) == 1 && (pf.revents & PLAT_POLLIN));
	CHECK(plat_accept(l, &c) == 0);
	char buf[16];
	CHECK(plat_recv(c, buf, sizeof(buf)) == -EAGAIN);
	CHECK(send(cl, "hello\n", 6, 0) == 6);
	pf = (struct plat_pollfd){ .fd = c, .events = PLAT_POLLIN };
	CHECK(plat_poll(&pf, 1, 2000) == 1);
	CHECK(plat_recv(c, buf, sizeof(buf)) == 6 && !memcmp(buf, "hello\n", 6));
	CHECK(plat_send(c, "ok\n", 3) == 3);
	CHECK(recv(cl, buf, sizeof(buf), 0) == 3);
	closesocket(cl);
	CHECK(plat_poll(&pf, 1, 2000) == 1);
	CHECK(plat_recv(c, buf, sizeof(buf)) == 0);  /* orderly close */
	plat_close(c);
	/* A second listener on the same port is refused (SO_EXCLUSIVEADDRUSE). */
	char ep[64];
	plat_sock l2;
	snprintf(ep, sizeof(ep), "tcp:127.0.0.1:%u", ntohs(a.sin_port));
	CHECK(plat_listen(ep, &l2, why, sizeof(why)) == -EADDRINUSE);
	plat_unlisten(ep);
	plat_close(l);
	CHECK(!plat_stop_requested());
	CHECK(!strcmp(plat_default_listen(), "hvsock:9478"));
	uint64_t t0 = plat_now_ns();
	CHECK(plat_poll(NULL, 0, 30) == 0 && plat_now_ns() - t0 >= 20000000ull);
	CHECK(plat_wall_ns() > 1700000000ull * 1000000000ull);
	struct plat_mutex *mx = plat_mutex_new();
	CHECK(mx != NULL);
	plat_mutex_lock(mx);
	plat_mutex_unlock(mx);
	plat_mutex_free(mx);
}

static const struct plat_verb *verb(const char *name)
{
	for (const struct plat_verb *v = plat_verbs; v->name; v++)
		if (!strcmp(v->name, name))
			return v;
	return NULL;
}

static void test_startup_and_register(void)
{
	wchar_t val[4096];
	DWORD size = sizeof(val), type;

	current = "startup";
	const struct plat_verb *in = verb("install-startup"), *out = verb("uninstall-startup");
	CHECK(in && out && verb("status") && verb("unregister"));
	if (!in || !out)
		return;
	char *argv[] = { "install-startup", "--http", "127.0.0.1:9477", "--listen", "tcp:127.0.0.1:9 \"x\"",
			 NULL };
	CHECK(in->run(5, argv) == 0);
	CHECK(RegGetValueW(HKEY_CURRENT_USER, L"Software\\Microsoft\\Windows\\CurrentVersion\\Run",
			   L"wsldock-bridge", RRF_RT_REG_SZ, &type, val, &size) == ERROR_SUCCESS);
	/* Split back the way Windows will, the arguments come out intact. */
	int n;
	wchar_t **av = CommandLineToArgvW(val, &n);
	CHECK(av && n == 5);
	if (av && n == 5) {
		CHECK(wcsstr(av[0], L"test-win") != NULL);
		CHECK(!wcscmp(av[2], L"127.0.0.1:9477"));
		CHECK(!wcscmp(av[4], L"tcp:127.0.0.1:9 \"x\""));
	}
	LocalFree(av);
	char *argv2[] = { "uninstall-startup", NULL };
	CHECK(out->run(1, argv2) == 0);
	size = sizeof(val);
	CHECK(RegGetValueW(HKEY_CURRENT_USER, L"Software\\Microsoft\\Windows\\CurrentVersion\\Run",
			   L"wsldock-bridge", RRF_RT_REG_SZ, &type, val, &size) == ERROR_FILE_NOT_FOUND);
	CHECK(out->run(1, argv2) == 0);  /* twice is fine */

	/* Issue 20.1: no `register` (the wildcard bind it allowed never
	 * receives WSL connections); `unregister` cleans up after old ones. */
	current = "register";
	CHECK(verb("register") == NULL);
	CHECK(verb("unregister") != NULL);
}

static void test_log(void)
{
	char dir[1024], path[1100], p[1200];

	current = "log";
	wchar_t wl[1024];
	wchar_t *wt = win_wide(tmpdir);
	swprintf(wl, 1024, L"%ls\\Local", wt);
	free(wt);
	CreateDirectoryW(wl, NULL);
	SetEnvironmentVariableW(L"LOCALAPPDATA", wl);
	CHECK(plat_log_dir(dir, sizeof(dir)) == 0 && strstr(dir, "\\Local\\wsldock"));
	snprintf(path, sizeof(path), "%s\\wsldock-bridge.log", dir);
	for (int gen = 0; gen < 5; gen++) {
		char body[16];
		snprintf(body, sizeof(body), "gen %d\n", gen);
		CHECK(plat_replace_file(path, body, strlen(body)) == 0);
		if (gen < 4)
			CHECK(win_log_rotate(path, WIN_LOG_KEEP) == 0);
	}
	char *got;
	size_t len;
	CHECK(plat_read_file(path, 100, &got, &len) == 0 && !strcmp(got, "gen 4\n"));
	free(got);
	for (int i = 1; i <= WIN_LOG_KEEP; i++) {
		snprintf(p, sizeof(p), "%s.%d", path, i);
		char want[16];
		snprintf(want, sizeof(want), "gen %d\n", 4 - i);
		CHECK(plat_read_file(p, 100, &got, &len) == 0 && !strcmp(got, want));
		free(got);
	}
	snprintf(p, sizeof(p), "%s.%d", path, WIN_LOG_KEEP + 1);
	CHECK(plat_read_file(p, 100, &got, &len) == -ENOENT);  /* the oldest is dropped */
}

static void test_run_capture(void)
{
	uint8_t *out;
	size_t len;

	current = "run-capture";
	CHECK(win_run_capture("cmd.exe /c echo hi", 10000, 100, &out, &len) == 0);
	CHECK(len >= 2 && !memcmp(out, "hi", 2));
	free(out);
	CHECK(win_run_capture("cmd.exe /c exit 3", 10000, 100, &out, &len) == 3);
	free(out);
	/* More output than max: kept up to max, the rest drained, no hang. */
	CHECK(win_run_capture("cmd.exe /c for /L %i in (1,1,3000) do @echo 0123456789012345678901234567890123456789",
			      20000, 64, &out, &len) == 0);
	CHECK(len == 64 && !memcmp(out, "0123456789", 10));
	free(out);
	CHECK(win_run_capture("no-such-program-wsldock.exe", 10000, 100, &out, &len) == -ENOENT);
	CHECK(plat_docker_desktop_running() == 0);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test-win TMPDIR Zo\xc3\xab (TMPDIR: a Windows path wine.sh made)\n");
		return 2;
	}
	test_argv1 = argv[2];
	snprintf(tmpdir, sizeof(tmpdir), "%s", argv[1]);
	if (plat_init() < 0) {
		printf("plat_init failed\n");
		return 1;
	}
	test_guid();
	test_service_id();
	test_sockaddr_hv();
	test_wsl_output();
	test_utf16_roundtrip();
	test_vmid();
	test_lxss_registry();
	test_files();
	test_host_memory();
	test_replace_errors();
	test_long_and_profile_paths();
	test_private_dir();
	test_private_sd();
	test_listen();
	test_startup_and_register();
	test_log();
	test_run_capture();
	printf("%d passed, %d failed\n", passed, failed);
	fflush(stdout);
	return failed ? 1 : 0;
}
