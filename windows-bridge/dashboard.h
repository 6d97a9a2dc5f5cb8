/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "state.h"

/* The dashboard: GET /api/v1/distros, GET /metrics, GET / on
 * libmicrohttpd's own thread, reading the state under its lock. */
struct dashboard;

/* addr is "IPv4:PORT" ("localhost:PORT" is 127.0.0.1).  Anything but a
 * loopback address is refused unless any is true: the dashboard has no
 * authentication.  Returns NULL with a one-line reason in why. */
struct dashboard *dashboard_start(struct bridge_state *st, const char *addr, bool any,
				  char *why, size_t why_len);
void dashboard_stop(struct dashboard *db);

/* The page served at / (page.html, embedded at build time). */
extern const char dashboard_page[];
