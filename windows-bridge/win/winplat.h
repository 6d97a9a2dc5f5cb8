/* SPDX-License-Identifier: MIT */
#pragma once

/* What the Windows layer offers beyond platform.h: the verbs only Windows
 * has, and the pieces of platform_windows.c the Windows test program calls
 * directly.  Included by platform_windows.c, status_windows.c and
 * tests/windows/, never by the portable core. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host.h"

#ifdef _WIN32
#include <winsock2.h>
#include <windows.h>

/* UTF-8 <-> UTF-16 at the boundary: malloc'ed results, NULL on bad input
 * (errno EILSEQ) or no memory. */
wchar_t *win_wide(const char *utf8);
char *win_utf8(const wchar_t *wide);
/* GetLastError() / WSAGetLastError() codes to negative errno. */
int win_errno(DWORD err);

/* SOCKADDR_HV for a vsock port bound to vm_id (NULL: HV_GUID_WILDCARD).
 * Fills an opaque buffer of at least sizeof(SOCKADDR_HV) bytes. */
#define WIN_AF_HYPERV 34
#define WIN_HV_PROTOCOL_RAW 1
size_t win_hv_sockaddr(void *sa, size_t size, const struct host_guid *vm_id, uint32_t port);
/* host_guid <-> Windows GUID (the same fields, in memory order). */
void win_guid_from_host(GUID *out, const struct host_guid *in);

/* The WSL VM id, learned the ways issue 12 lists, in that order:
 * `wsl.exe -e wslinfo --vm-id` (only when the VM already runs: we never
 * boot it to learn its id), the --vm-id of wslhost.exe / wslrelay.exe,
 * the compute systems under HostComputeService\VolatileStore.  Writes
 * which way worked into how.  -ENOENT when WSL runs no VM. */
int win_wsl_vm_id(struct host_guid *g, const char **how);

/* Runs argv[0] (searched in PATH) with no window, collects its stdout (at
 * most max bytes) and waits up to timeout_ms.  Returns the exit code
 * (>= 0) or a negative errno; *out is malloc'ed. */
int win_run_capture(const char *cmdline_utf8, unsigned timeout_ms, size_t max, uint8_t **out,
		    size_t *out_len);

/* The Lxss registry key under root (HKEY_CURRENT_USER in real use; tests
 * point it at a key of their own) parsed by host_lxss_parse. */
int win_lxss_read(HKEY root, const char *subkey, struct host_lxss_distro *out, size_t max,
		  unsigned *skipped);

/* Docker Desktop's version (the uninstall entry's DisplayVersion). */
int win_docker_desktop_version(char *buf, size_t size);
#endif

/* The Windows-only verbs are platform.h's plat_verbs[]: register,
 * unregister, install-startup, uninstall-startup and status. */
int win_status(int argc, char **argv);  /* status_windows.c */
/* Where the log goes when the bridge runs from the Run key (no console of
 * its own): %LOCALAPPDATA%\wsldock\wsldock-bridge.log, rotated at
 * WIN_LOG_MAX bytes into .1 .. .WIN_LOG_KEEP.  Called by the first
 * plat_listen (only the serving bridge listens); WSLDOCK_LOG=file or
 * WSLDOCK_LOG=stderr overrides the choice. */
#define WIN_LOG_MAX (1u << 20)
#define WIN_LOG_KEEP 3
int win_log_start(void);
/* Renames path.(keep-1) .. path.1, path to path.1 .. path.keep. */
int win_log_rotate(const char *path, unsigned keep);
