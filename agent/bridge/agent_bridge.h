/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <systemd/sd-event.h>

/* What `run` hooks into its loop for the bridge: the client
 * (bridge_client.c), the local control socket the `integration`,
 * `wslconfig` and `report` verbs talk to (control.c), and the status it
 * sends (the report --json document plus a "daemon" object). */

/* /run/wsldock/control.sock; WSLDOCK_CONTROL overrides it. */
const char *control_default_path(void);

struct agent_bridge;
struct dlog;
struct policy_history;
struct policy_decision;
struct action_result;

struct agent_bridge_opts {
	const char *endpoint;  /* --bridge, NULL = vsock on WSL 2 only, "none" = off */
	const char *control;   /* --control, NULL = control_default_path() */
	const char *root;      /* --root */
	bool wsl2;
	const char *distro;    /* WSL_DISTRO_NAME, NULL or "" = the host name */
};

/* Never fails the daemon: what cannot start is logged and left off. */
struct agent_bridge *agent_bridge_start(sd_event *ev, const struct dlog *log,
					const struct agent_bridge_opts *o);
void agent_bridge_free(struct agent_bridge *b);

/* Each sample: the role, and a status when one is due. */
void agent_bridge_tick(struct agent_bridge *b, const struct policy_history *h, bool leader,
		       uint64_t now_ns);
/* The policy's host-pressure input. */
bool agent_bridge_host_low(const struct agent_bridge *b);
/* Events. */
void agent_bridge_reclaim(struct agent_bridge *b, const struct policy_decision *d,
			  const struct action_result *r);
void agent_bridge_episode(struct agent_bridge *b, bool started, uint64_t episode);

/* For the verbs: one request to the daemon's control socket, one answer.
 * -ENOENT/-ECONNREFUSED when no daemon listens; why says it in one line. */
int control_request(const char *path, json_t *req, int timeout_ms, json_t **reply,
		    char *why, size_t why_len);

/* For `report`: the running daemon's bridge connection state (its control
 * socket asked), or {"state":"no-daemon"}; never NULL unless out of memory.
 * A --root report (a captured tree) has no daemon: null. */
json_t *report_bridge_state(const char *root);
void report_bridge_text(FILE *f, const json_t *bridge);
