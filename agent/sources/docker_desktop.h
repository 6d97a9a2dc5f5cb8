/* SPDX-License-Identifier: MIT */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* Docker Desktop's engine as a user distro sees it (issue 17).  On Docker
 * Desktop's WSL 2 backend dockerd runs in the `docker-desktop` distro: the
 * user distro reaches it through a socket (Desktop's proxy serves
 * /var/run/docker.sock, backed by DOCKER_DESKTOP_PROXY_SOCK on the shared
 * /mnt/wsl tmpfs) but cannot see its processes nor its data root (a disk
 * mounted in docker-desktop only).  This source says which engine answers,
 * and whether per-file eviction can open the engine's files from here, so
 * that the daemon knows it before it plans (not as a failed lever).
 *
 * docker_info_parse() is pure and bounded (fuzzed: fuzz-docker-info); the
 * rest reads the live system under a root. */

#define DOCKER_DESKTOP_DIR "/mnt/wsl/docker-desktop"
#define DOCKER_DESKTOP_PROXY_SOCK \
	DOCKER_DESKTOP_DIR "/shared-sockets/guest-services/docker.proxy.sock"
#define DOCKER_INFO_REQUEST \
	"GET /info HTTP/1.0\r\nHost: docker\r\nUser-Agent: wsldock-agent\r\n\r\n"
/* A longer answer is refused (real ones are 2-6 KiB). */
#define DOCKER_INFO_MAX (256u << 10)

/* `GET /info`, the fields the agent uses ("" when the engine left one out). */
struct docker_engine_info {
	char name[128];          /* Name: "docker-desktop" on Docker Desktop */
	char os[128];            /* OperatingSystem: "Docker Desktop" there */
	char data_root[PATH_MAX];/* DockerRootDir, in the engine's mount namespace */
	char driver[64];         /* Driver: overlay2, ... */
	char cgroup_driver[32];  /* CgroupDriver: cgroupfs, systemd */
	char cgroup_version[8];  /* CgroupVersion: "1", "2" */
	char version[64];        /* ServerVersion */
	char kernel[128];        /* KernelVersion */
};

/* A whole HTTP/1.x response to DOCKER_INFO_REQUEST (status 200, headers,
 * one JSON object as the body).  -EPROTO with one line in err when it is
 * not one (bad status, no body, not JSON, a field of the wrong type or
 * too long). */
int docker_info_parse(const char *resp, size_t len, struct docker_engine_info *ret, char *err,
		      size_t errlen);

/* Whether the engine is Docker Desktop's: its OperatingSystem says so, or
 * (an engine we cannot name) Desktop's proxy socket exists here. */
bool docker_info_is_desktop(const struct docker_engine_info *info, bool proxy_socket);

/* What can be reached of the engine from this distro: the answer the
 * daemon consults before it plans (engine: before picking fadvise). */
struct engine_reach {
	bool engine_known;       /* /info answered on socket */
	char socket[108];        /* the socket that answered ("" none) */
	int engine_err;          /* negative errno when it did not; 0 */
	char engine_why[192];    /* and why, in words */
	bool desktop_dir;        /* /mnt/wsl/docker-desktop exists */
	bool proxy_socket;       /* DOCKER_DESKTOP_PROXY_SOCK is a socket */
	bool desktop;            /* docker_info_is_desktop() */
	struct docker_engine_info info;
	/* Per-file eviction (fadvise) opens the engine's layer files by path
	 * under <data_root>/<driver> or by handle on a mount of their file
	 * system: both need the engine's data disk mounted in this mount
	 * namespace. */
	bool files_reachable;
	int files_err;           /* negative errno when not (ENOENT: not mounted here) */
	char files_where[PATH_MAX + 32]; /* what was tried */
};

/* Fills r: Desktop's marks under root, then `GET /info` on socket (NULL:
 * /var/run/docker.sock, else Desktop's proxy socket), bounded by
 * timeout_ms, then the data root probe.  Never fails: every unknown is
 * said in r.  The socket is connected only when root is NULL or "/" (a
 * captured tree has no live engine). */
void engine_reach_probe(const char *root, const char *socket, int timeout_ms,
			struct engine_reach *r);

/* The probe's second half, apart for tests: can <data_root>/<driver>
 * be opened under root, and does it hold anything. */
void engine_reach_files(const char *root, struct engine_reach *r);

/* One line for report and top, e.g. "Docker Desktop (docker-desktop
 * 27.4.0, cgroupfs v2) via /var/run/docker.sock; its files: out of reach
 * (/var/lib/docker/overlay2: ENOENT): cgroup levers only".  Pure. */
void engine_reach_describe(const struct engine_reach *r, char *buf, size_t size);
