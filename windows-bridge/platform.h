/* SPDX-License-Identifier: MIT */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What wsldock-bridge's portable core (protocol, per-distro state, change
 * appliers, dashboard) needs from the operating system.  Two layers
 * implement it: platform_linux.c (the build tests drive: unix, tcp and
 * vsock listeners, /proc/meminfo) and win/platform_windows.c (Hyper-V sockets
 * bound to the WSL VM, GlobalMemoryStatusEx, ReplaceFileW).  The core never
 * includes an OS header beyond C11 and this file. */

#ifdef _WIN32
#include <winsock2.h>
typedef SOCKET plat_sock;
#define PLAT_SOCK_INVALID INVALID_SOCKET
#else
typedef int plat_sock;
#define PLAT_SOCK_INVALID (-1)
#endif

/* Once at start: WSAStartup on Windows, SIGPIPE ignored on Linux; SIGINT /
 * SIGTERM (Linux) or console control events (Windows) set the stop flag. */
int plat_init(void);
/* True once the user asked the bridge to stop; the main loop polls it
 * (plat_poll returns early, -EINTR, when a signal arrives). */
bool plat_stop_requested(void);

/* The listener used when no --listen is given: NULL on Linux (the user
 * names one), "hvsock:PORT" on Windows. */
const char *plat_default_listen(void);

/* Verbs only one platform has (Windows: register, status, install-startup,
 * ...), offered by the core's command line after its own.  The table ends
 * with a NULL name. */
struct plat_verb {
	const char *name;
	int (*run)(int argc, char **argv);  /* argv[0] is the verb */
	const char *summary;
};
extern const struct plat_verb plat_verbs[];

/* A mutex: the dashboard answers HTTP on libmicrohttpd's thread while the
 * main loop updates the per-distro state. */
struct plat_mutex;
struct plat_mutex *plat_mutex_new(void);
void plat_mutex_lock(struct plat_mutex *m);
void plat_mutex_unlock(struct plat_mutex *m);
void plat_mutex_free(struct plat_mutex *m);

/* An endpoint string: "unix:PATH", "tcp:HOST:PORT", "vsock:CID:PORT" (Linux)
 * or "hvsock:PORT" (Windows: service id of the vsock port, bound to the WSL
 * VM id).  Opens a non-blocking listening socket.  Returns 0 or negative
 * errno with one line in why.  An hvsock listener succeeds with no WSL VM
 * (or no AF_HYPERV) at all: the layer binds when the VM appears, closes
 * when it goes and binds again after a restart, behind the one handle the
 * core holds (win/lifecycle.c). */
int plat_listen(const char *endpoint, plat_sock *ret, char *why, size_t why_len);
/* Removes what plat_listen created beside the socket (a unix socket's
 * file); a no-op elsewhere.  Call before plat_close of a listener. */
void plat_unlisten(const char *endpoint);
/* What the transport waits for, for the dashboard: on Windows the hvsock
 * lifecycle's state ("unsupported", "no-vm", "candidate", "bound") and its
 * last one-line news; -ENOENT when there is nothing to say (Linux, or no
 * hvsock listener).  Safe from any thread. */
#ifdef _WIN32
int plat_transport_status(char *state, size_t state_len, char *detail, size_t detail_len);
#else
static inline int plat_transport_status(char *state, size_t state_len, char *detail, size_t detail_len)
{
	(void)state, (void)state_len, (void)detail, (void)detail_len;
	return -ENOENT;
}
#endif
/* Accepts one non-blocking connection; -EAGAIN when none is pending. */
int plat_accept(plat_sock l, plat_sock *ret);
/* The core calls this when an authenticated agent has spoken on conn: on
 * Windows the VM it came from is then WSL's VM of this user (the
 * lifecycle's CANDIDATE -> BOUND; the other candidates' listeners close).
 * Nothing to confirm elsewhere. */
#ifdef _WIN32
void plat_confirm_peer(plat_sock conn);
#else
static inline void plat_confirm_peer(plat_sock conn)
{
	(void)conn;
}
#endif
/* recv/send that never block and never raise SIGPIPE: bytes moved,
 * 0 on orderly close (recv), -EAGAIN, or another negative errno. */
long plat_recv(plat_sock s, void *buf, size_t len);
long plat_send(plat_sock s, const void *buf, size_t len);
void plat_close(plat_sock s);

/* poll() on Linux, WSAPoll() on Windows, same struct layout by name. */
struct plat_pollfd {
	plat_sock fd;
	short events, revents;
};
#define PLAT_POLLIN 0x001
#define PLAT_POLLOUT 0x004
#define PLAT_POLLERR 0x008
#define PLAT_POLLHUP 0x010
int plat_poll(struct plat_pollfd *fds, size_t n, int timeout_ms);

/* Monotonic and wall clocks, nanoseconds. */
uint64_t plat_now_ns(void);
uint64_t plat_wall_ns(void);

/* The host's memory, for the host-memory message. */
struct plat_host_memory {
	uint64_t total_bytes, available_bytes;
	uint64_t commit_bytes, commit_limit_bytes;  /* 0 when unknown */
	/* The OS itself says memory is low (Windows: the
	 * LowMemoryResourceNotification has fired): an extra input, set only
	 * when true; otherwise the core judges available_bytes against the
	 * configured threshold. */
	bool low;
	bool low_known;
};
int plat_host_memory(struct plat_host_memory *m);
/* (The Linux layer parses /proc/meminfo with the core's
 * hostmem_parse_meminfo(), which `--meminfo FILE` also uses.) */

/* Replaces path with data atomically: a temp file beside it, flushed, then
 * rename (Linux) or ReplaceFileW with a named backup / MoveFileExW(
 * MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) (Windows: sharing
 * violations retried with back-off; whatever fails, the target stays under
 * its name and no temp file is left; paths beyond MAX_PATH via \\?\).  Paths are UTF-8 everywhere; the
 * Windows layer converts at this boundary only. */
int plat_replace_file(const char *path, const void *data, size_t len);
/* Copies path to backup_path (which must not exist yet). */
int plat_copy_file(const char *path, const char *backup_path);
/* Reads a whole file (at most max bytes) into a NUL-terminated heap buffer. */
int plat_read_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* Default locations: Docker Desktop's settings file (settings-store.json,
 * else settings.json), the user's .wslconfig, the log directory.  Each
 * writes a UTF-8 path into buf; -ENOENT when it cannot be known. */
int plat_docker_settings_path(char *buf, size_t size);
int plat_wslconfig_path(char *buf, size_t size);
int plat_log_dir(char *buf, size_t size);
/* Whether Docker Desktop runs now (it rewrites its settings from memory, so
 * an edit made while it runs is lost).  1 runs, 0 not, negative unknown. */
int plat_docker_desktop_running(void);
