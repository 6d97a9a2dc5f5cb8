/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "hostmem.h"
#include "state.h"

#define SERVER_MAX_LISTEN 8
#define SERVER_MAX_CONNS 256       /* more are answered with an error and closed */
#define SERVER_OUT_MAX (1u << 20)  /* a peer that reads nothing is dropped here */

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
};

/* Listens on every endpoint (one that fails is reported and skipped; none
 * left is an error), then serves agents until plat_stop_requested().
 * Returns 0 or negative errno. */
int server_run(struct bridge_state *st, const struct server_config *cfg);
