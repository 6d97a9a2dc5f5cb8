/* SPDX-License-Identifier: MIT */
#pragma once

/* What the Windows layer offers beyond platform.h: the verbs only Windows
 * has, and the pieces of platform_windows.c the Windows test program calls
 * directly.  Included by platform_windows.c, status_windows.c and
 * tests/windows/, never by the portable core. */

#include <errno.h>
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

/* The key directory's rule for one that exists (plat_private_dir, in
 * enroll_windows.c): owned by user, SYSTEM or Administrators, and no ACE
 * of sd's DACL allowing anyone else in.  0, or negative errno with why
 * naming dir and the SID. */
int win_private_sd_check(const char *dir, PSECURITY_DESCRIPTOR sd, PSID user, char *why, size_t why_len);

/* SOCKADDR_HV for a vsock port bound to vm_id (never a wildcard: WSL's VM
 * only accepts binds to its own id).  Fills an opaque buffer of at least
 * sizeof(SOCKADDR_HV) bytes; 0 when it is too small or vm_id is NULL. */
#define WIN_AF_HYPERV 34
#define WIN_HV_PROTOCOL_RAW 1
size_t win_hv_sockaddr(void *sa, size_t size, const struct host_guid *vm_id, uint32_t port);
/* host_guid <-> Windows GUID (the same fields, in memory order). */
void win_guid_from_host(GUID *out, const struct host_guid *in);

/* ---- seams ------------------------------------------------------------
 * Every platform call the Hyper-V listener's lifecycle and the file
 * replacement make goes through this table, so tests/windows/test-win.c
 * can script what wine cannot have (a WSL VM, Hyper-V sockets, a failing
 * ReplaceFileW, the passing of time).  win_seams_real() puts the real
 * calls back. */
struct win_proc {
	uint32_t pid;
	char exe[64];          /* image name, UTF-8 */
	char cmdline[1024];    /* UTF-8; empty when it could not be read */
	bool mine;             /* runs as this user (its token's SID is ours) */
};
struct win_compute_system {
	char id[64];           /* the VolatileStore subkey name */
	char owner[64];        /* its Owner value ("WSL" for WSL's VM), may be empty */
};
struct win_seams {
	uint64_t (*now_ns)(void);
	/* At most max running processes; the count or negative errno. */
	int (*processes)(struct win_proc *out, size_t max);
	/* At most max compute systems in HCS's volatile store. */
	int (*compute_systems)(struct win_compute_system *out, size_t max);
	/* socket(AF_HYPERV, SOCK_STREAM, HV_PROTOCOL_RAW) */
	SOCKET (*hv_socket)(void);
	int (*setsockopt)(SOCKET s, int level, int name, const char *val, int len);
	int (*bind)(SOCKET s, const struct sockaddr *sa, int len);
	int (*listen)(SOCKET s, int backlog);
	int (*poll)(WSAPOLLFD *fds, ULONG n, INT timeout_ms);
	/* Waits for the stop event when there is no socket to poll. */
	DWORD (*wait)(HANDLE h, DWORD timeout_ms);
	BOOL (*replace)(const wchar_t *target, const wchar_t *replacement, const wchar_t *backup,
			DWORD flags);
	BOOL (*move)(const wchar_t *from, const wchar_t *to, DWORD flags);
	void (*sleep_ms)(DWORD ms);
	/* (No wsl.exe: the lifecycle never runs it, since it would boot the
	 * VM and a distro.) */
};
extern struct win_seams win_seams;
void win_seams_real(void);

/* ---- the Hyper-V listener's lifecycle (lifecycle.c) --------------------- */
enum win_lc_state {
	WIN_LC_UNSUPPORTED,  /* no AF_HYPERV (wine, Windows before 10 1709): probe each minute */
	WIN_LC_NO_VM,        /* no VM of ours runs: look every 2 s, nothing bound */
	WIN_LC_CANDIDATE,    /* listening on each VM that may be WSL's, none confirmed */
	WIN_LC_BOUND,        /* an enrolled agent answered on one: only that one listens */
};
const char *win_lc_state_name(enum win_lc_state s);
#define WIN_LC_MAX 4           /* candidate VMs listened on at once */
#define WIN_LC_SCAN_NS (2ull * 1000000000ull)         /* NO_VM / CANDIDATE */
#define WIN_LC_SCAN_BOUND_NS (5ull * 1000000000ull)   /* BOUND */
#define WIN_LC_PROBE_NS (60ull * 1000000000ull)       /* UNSUPPORTED */
#define WIN_LC_BACKOFF_MAX_NS (60ull * 1000000000ull) /* a failing bind */
struct win_lc_vm {
	struct host_guid id;
	const char *source;   /* "wslhost.exe", "wslrelay.exe", "HCS store" */
	SOCKET s;             /* INVALID_SOCKET: not listening now */
	bool denied;          /* WSAEACCES: another user's VM, never retried */
	bool seen;
	uint64_t retry_ns;    /* no bind before this */
	uint64_t bound_ns;    /* when it was last bound */
	uint64_t backoff_ns;
};
struct win_lc {
	enum win_lc_state state;
	uint32_t port;
	SOCKET handle;        /* what the core holds (never polled) */
	struct win_lc_vm vm[WIN_LC_MAX];
	size_t nvm;
	int confirmed;        /* index into vm, -1 none */
	uint64_t next_scan_ns;
	unsigned scans, binds;  /* counters the tests read */
	char why[256];        /* the last thing worth saying, one line */
};
/* The one hvsock lifecycle of this process (NULL when none listens). */
struct win_lc *win_lc_get(void);
void win_lc_init(struct win_lc *lc, uint32_t port, SOCKET handle);
/* Looks for VMs and binds when its time has come; returns the ns until it
 * wants to run again. */
uint64_t win_lc_tick(struct win_lc *lc, uint64_t now);
/* WSAPoll said POLLERR/POLLHUP/POLLNVAL on vm[i]'s listener: closed, and
 * bound again after a back-off if the VM is still there. */
void win_lc_listener_failed(struct win_lc *lc, size_t i, uint64_t now);
/* An authenticated agent spoke on vm[i]'s listener: it is WSL's VM of this
 * user; the other candidates' listeners close. */
void win_lc_confirm(struct win_lc *lc, size_t i);
void win_lc_close(struct win_lc *lc);
/* The VM ids this lifecycle would listen on now, for `test-win vmid`. */
int win_lc_candidates(struct host_guid *out, const char **source, size_t max);

/* File replacement's Windows errors, each its own errno (win_errno maps
 * them): the target stays, under its name, whatever failed. */
#define WIN_E_IN_USE (-EBUSY)              /* sharing/lock violation after retries */
#define WIN_E_REMOVE_REPLACED (-ETXTBSY)   /* 1175: the old file could not be moved aside */
#define WIN_E_MOVE_REPLACEMENT (-ECANCELED) /* 1176: the new file could not take its name */
#define WIN_E_MOVE_REPLACEMENT_2 (-EXDEV)  /* 1177: ... after the old one moved to the backup */
/* A UTF-8 path as the UTF-16 path Windows calls take: absolute paths
 * longer than MAX_PATH - 12 get the \\?\ (or \\?\UNC\) prefix. */
wchar_t *win_wide_path(const char *utf8);

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
