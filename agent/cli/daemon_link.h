/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Sends each request line on one connection to the daemon's control socket
 * ($WSLDOCK_CONTROL_SOCKET or /run/wsldock/agent.sock) and returns the
 * replies (free each).  -ENOENT when no daemon listens there; other
 * negative errnos when it cannot be asked; why says which, as the phrase of
 * "daemon: WHY (figures from this process alone)". */
int daemon_link_call(const char *const *requests, size_t n, json_t **replies, char *why,
		     size_t whylen);
/* "daemon: running (pid N, leader)" from a reply's "daemon" object, or
 * "daemon: WHY (figures from this process alone)" when daemon is NULL. */
void daemon_link_line(FILE *f, const json_t *daemon, const char *standalone_why);
/* {"running": false, "detail": why} */
json_t *daemon_link_absent(const char *standalone_why);

/* For `report`: the daemon's state (the status reply's "daemon") with its
 * last actions under "history"; NULL with why when there is none to ask or
 * it refused. */
json_t *daemon_link_report(char *why, size_t whylen);
/* The text section: the "daemon:" line, then state, episode, totals, the
 * last actions and the "Bridge:" line (daemon.bridge). */
void daemon_link_report_text(FILE *f, const json_t *daemon, const char *why);
