/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Readers of what Windows tells us about WSL and Docker Desktop, as pure
 * functions over bytes and strings: no Windows header, no I/O, so they are
 * tested (and fuzzed) on Linux and under wine alike.  platform_windows.c
 * and status_windows.c feed them from processes, the registry and files. */

/* A GUID as text: 36 characters, lower case, no braces, plus NUL. */
#define HOST_GUID_STR 37

struct host_guid {
	uint32_t data1;
	uint16_t data2, data3;
	uint8_t data4[8];
};

/* Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", with or without braces,
 * any case, nothing else around it.  -EINVAL otherwise. */
int host_guid_parse(const char *s, struct host_guid *g);
void host_guid_format(const struct host_guid *g, char buf[HOST_GUID_STR]);
/* The Hyper-V service id a guest's AF_VSOCK connect to port P arrives at:
 * {P as 8 hex digits}-facb-11e6-bd58-64006a7986d3. */
void host_hv_service_id(uint32_t port, struct host_guid *g);

/* UTF-16LE bytes (len even; an odd last byte is -EILSEQ) to a malloc'ed
 * UTF-8 string.  Unpaired surrogates are -EILSEQ.  A leading BOM is dropped. */
int host_utf16le_to_utf8(const uint8_t *in, size_t len, char **ret);

/* wsl.exe's output to a malloc'ed UTF-8 text with "\n" line ends.  wsl.exe
 * writes UTF-16LE without a BOM unless WSL_UTF8=1 is set in its environment
 * (utf8 true: the bytes are UTF-8 already); lines end in "\r\n" or "\r\r\n".
 * When utf8 is false but the bytes are plainly not UTF-16 (no NUL in the odd
 * positions of an ASCII text), they are taken as UTF-8: WSL_UTF8 may be set
 * in the user's environment without our knowing. */
int host_wsl_output_decode(const uint8_t *in, size_t len, bool utf8, char **ret);

/* One line of `wsl.exe -l -v`:
 *   "  NAME                   STATE           VERSION"
 *   "* Ubuntu                 Running         2"
 * Names may contain no spaces (WSL refuses them), STATE is one word. */
struct host_wsl_distro {
	char name[65];
	char state[32];
	int version;      /* 1 or 2 */
	bool is_default;  /* the "*" marker */
};
/* Parses decoded `wsl -l -v` text into at most max rows (the header is
 * skipped; its column names are checked).  Returns the number of rows, or
 * -EBADMSG with a reason in why (naming the line) when the text is not
 * that table. */
int host_wsl_list_parse(const char *text, struct host_wsl_distro *rows, size_t max,
			char *why, size_t why_len);

/* The VM id in a wslhost.exe / wslrelay.exe command line:
 *   wslhost.exe --vm-id {GUID} --handle 1234 ...   (also --vm-id=GUID)
 * -ENOENT when the argument is absent, -EINVAL when its value is no GUID. */
int host_vmid_from_cmdline(const char *cmdline, struct host_guid *g);
/* The first GUID anywhere in text (wslinfo --vm-id prints "{...}\n"). */
int host_guid_find(const char *text, struct host_guid *g);
/* Whether a process image name is one whose command line carries the VM id. */
bool host_is_wsl_vm_process(const char *exe_name);
/* Whether a process image name is Docker Desktop (its UI or its backend). */
bool host_is_docker_desktop_process(const char *exe_name);

/* The Lxss registry key, read into these by platform_windows.c:
 * HKCU\Software\Microsoft\Windows\CurrentVersion\Lxss
 *   DefaultDistribution = "{GUID}"
 *   {GUID}\DistributionName, BasePath, Flags (DWORD; WSL 2 when & 0x8). */
#define HOST_LXSS_WSL2 0x8u
struct host_lxss_entry {
	const char *subkey;        /* "{GUID}" */
	const char *name;          /* DistributionName, NULL when absent */
	const char *base_path;     /* BasePath, NULL when absent */
	uint32_t flags;
	bool has_flags;
};
struct host_lxss_distro {
	char name[65];
	char base_path[520];
	char guid[HOST_GUID_STR];
	int version;     /* 2 when Flags & 0x8, 1 when Flags is set without it, 0 unknown */
	bool is_default;
};
/* Turns the subkeys into distros, sorted by name: a subkey that is no GUID
 * or has no DistributionName is skipped and counted in *skipped.  Returns
 * the number of distros (at most max). */
int host_lxss_parse(const char *default_distribution, const struct host_lxss_entry *e, size_t n,
		    struct host_lxss_distro *out, size_t max, unsigned *skipped);

/* Docker Desktop's settings file candidates under %APPDATA%: settings-store.json
 * (Desktop 4.35+) first, then settings.json (up to 4.34).  Writes the i-th
 * (0 or 1) path joined with '\\' into buf; -ENOENT for i > 1, -ENAMETOOLONG. */
int host_docker_settings_candidate(const char *appdata, unsigned i, char *buf, size_t size);
/* %USERPROFILE%\.wslconfig */
int host_wslconfig_path(const char *userprofile, char *buf, size_t size);

/* The .wslconfig memory settings `status` shows: [wsl2] memory and swap,
 * [experimental] autoMemoryReclaim; empty when unset.  Keys and sections
 * match case-insensitively (WSL's own parser does); the last value wins. */
struct host_wslconfig_memory {
	char memory[32], swap[32], auto_memory_reclaim[32];
};
void host_wslconfig_memory(const char *text, struct host_wslconfig_memory *m);
