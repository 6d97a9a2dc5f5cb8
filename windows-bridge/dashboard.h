/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "state.h"

/* The dashboard: GET /api/v1/distros, GET /metrics, GET / on
 * libmicrohttpd's own thread, copying the state under its lock.  Requests
 * whose Host is not 127.0.0.1, localhost or [::1] with the port (DNS
 * rebinding) get 421. */
struct dashboard;

/* addr is "IPv4:PORT" ("localhost:PORT" is 127.0.0.1).  Anything but a
 * loopback address is refused unless any is true; then every request needs
 * a random token made at start and logged in the dashboard's URL (?token=,
 * then a SameSite cookie; or "Authorization: Bearer").  Returns NULL with a
 * one-line reason in why. */
struct dashboard *dashboard_start(struct bridge_state *st, const char *addr, bool any,
				  char *why, size_t why_len);
void dashboard_stop(struct dashboard *db);

/* The page served at / (page.html, embedded at build time). */
extern const char dashboard_page[];
