/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "hostmem.h"
#include "state.h"

#define SERVER_MAX_LISTEN 8
#define SERVER_MAX_CONNS 256       /* authenticated; more are answered with an error and closed */
/* Connections that have not proved a key yet have a pool of their own, so
 * they never take an agent's place: when it is full the oldest of them is
 * closed for the newcomer.  They may send a hello and little else. */
#define SERVER_MAX_PENDING 64
#define SERVER_PENDING_ERRORS 4    /* protocol errors before a pending connection is closed */
#define SERVER_CONNS_PER_DISTRO 4
#define SERVER_MAX_ALLOW 64        /* --allow-changes given at most this often */  /* a distro's fifth connection closes its oldest */
/* A peer that reads nothing is dropped here (what the bridge sends is a
 * few hundred bytes a message: errors, change results, host memory). */
#define SERVER_OUT_MAX (128u << 10)

struct server_config {
	const char *listen[SERVER_MAX_LISTEN];
	size_t nlisten;
	const char *docker_settings;   /* NULL: the platform's default */
	const char *wslconfig;         /* NULL: the platform's default */
	bool dry_run;
	struct hostmem_threshold threshold;
	const char *meminfo;           /* a meminfo-format file instead of the OS */
	unsigned host_interval_ms;     /* how often host memory is sampled */
	unsigned hello_timeout_ms, idle_timeout_ms;
	const char *state_dir;         /* NULL: the platform's (enroll.h) */
	/* What the Windows user allows each distro to change: "DISTRO=WHAT,..."
	 * with WHAT integration, wslconfig (every key the applier takes) or
	 * wslconfig.SECTION.KEY.  A change not allowed is refused. */
	const char *allow[SERVER_MAX_ALLOW];
	size_t nallow;
};

/* Listens on every endpoint (one that fails is reported and skipped; none
 * left is an error), then serves agents until plat_stop_requested().
 * Returns 0 or negative errno. */
int server_run(struct bridge_state *st, const struct server_config *cfg);
/* Whether cfg allows distro the change what ("integration" or
 * "wslconfig.SECTION.KEY"), without regard to case. */
bool server_change_allowed(const struct server_config *cfg, const char *distro, const char *what);
/* Checks one --allow-changes argument; -EINVAL with why. */
int server_allow_check(const char *arg, char *why, size_t why_len);
