/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "bridge/bridge_client.h"

/* What `run` hooks into its loop for the bridge: the client
 * (bridge_client.c), the status it sends (the report --json document plus
 * a "daemon" object), and what the daemon's control socket
 * (daemon/control.c) asks of it: the connection state for `status` and
 * the change requests of the `integration` and `wslconfig` verbs. */

struct agent_bridge;
struct dlog;
struct policy_history;
struct policy_decision;
struct action_result;

struct agent_bridge_opts {
	const char *endpoint;  /* --bridge, NULL = vsock on WSL 2 only, "none" = off */
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
/* The reclaim event agent_bridge_reclaim() sends: {"type":"event",
 * "event":"reclaim"} and the action record's fields.  NULL on ENOMEM. */
json_t *agent_bridge_reclaim_event(const struct policy_decision *d, const struct action_result *r);

/* The connection state (the control socket's status, daemon.bridge):
 * endpoint, state, since, ... as bridge_client_state_json() says, or
 * {"state":"off","detail":WHY} when there is no bridge client. */
json_t *agent_bridge_state_json(const struct agent_bridge *b);
/* Relays one change request (msg borrowed: a wsldock-protocol(7) "change";
 * its id is set here).  fn gets the bridge's change-result, or NULL when
 * the connection closed before the bridge answered.  -ENOTCONN (no bridge
 * configured, or not connected), -EBUSY (too many in flight), -ENOMEM;
 * why says which in one phrase. */
int agent_bridge_change(struct agent_bridge *b, json_t *msg, bridge_result_fn fn, void *userdata,
			char *why, size_t why_len);
/* Forgets the pending results for userdata (its client went away). */
void agent_bridge_forget(struct agent_bridge *b, void *userdata);
