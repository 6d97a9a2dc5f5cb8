/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <systemd/sd-event.h>

/* The agent's side of wsldock-protocol(7), inside `run`'s sd-event loop:
 * one non-blocking connection to wsldock-bridge, reconnected with
 * exponential back-off and jitter; a bounded queue that always keeps the
 * latest status and keeps events up to BRIDGE_EVENTS_MAX (counting what it
 * drops); host-memory messages turned into the policy's host-pressure
 * input; change requests relayed for the daemon's control socket
 * (daemon/control.c, through agent_bridge.c). */

#define BRIDGE_EVENTS_MAX 64
#define BRIDGE_BACKOFF_MIN_MS 500
#define BRIDGE_BACKOFF_MAX_MS 30000
/* A status is sent when its figures moved, at most once a second, and at
 * least this often. */
#define BRIDGE_STATUS_REFRESH_NS (30ull * 1000000000ull)

enum bridge_state { BRIDGE_OFF, BRIDGE_WAITING, BRIDGE_CONNECTING, BRIDGE_CONNECTED };
const char *bridge_state_name(enum bridge_state s);

struct bridge_client;

/* The endpoint to use: explicit (--bridge) wins; else vsock:2:9478 only on
 * WSL 2; else none (NULL).  An explicit "none" turns the client off. */
const char *bridge_default_endpoint(const char *explicit_endpoint, bool wsl2);

/* Checks "vsock:CID:PORT", "unix:PATH", "tcp:HOST:PORT"; -EINVAL with why. */
int bridge_endpoint_check(const char *endpoint, char *why, size_t why_len);

/* A change-result arrived for a request made with bridge_client_change
 * (result borrowed), or NULL: the connection closed (or the client is
 * freed) before the bridge answered. */
typedef void (*bridge_result_fn)(void *userdata, json_t *result);

/* The enrolment key the hello proves (wsldock-protocol(7), AUTHENTICATION):
 * 64 hex digits in a root-only 0600 file that `wsldock-agent enroll` writes;
 * WSLDOCK_BRIDGE_KEY names another file (tests). */
#define BRIDGE_KEY_PATH "/etc/wsldock/bridge.key"
const char *bridge_key_path(void);
/* Reads it; refuses a file another user owns or others may read.  -ENOENT
 * (not enrolled), -EPERM, -EINVAL with why. */
int bridge_key_read(unsigned char key[32], char *why, size_t why_len);

struct dlog;
/* Starts connecting at once.  log is the daemon's run log (runlog/runlog.h). */
int bridge_client_new(sd_event *ev, const struct dlog *log, const char *endpoint,
		      const char *distro, const char *vm_id, struct bridge_client **ret);
void bridge_client_free(struct bridge_client *c);

/* The role sent in the hello and, when it changes, as a leader-changed event. */
void bridge_client_set_role(struct bridge_client *c, bool leader);

/* Queues the status when it is worth sending (see BRIDGE_STATUS_REFRESH_NS);
 * report is borrowed.  figure is what decides "changed" (page cache). */
void bridge_client_status(struct bridge_client *c, json_t *report, uint64_t figure, uint64_t now_ns);
/* Whether a status would be queued now (so the caller can skip building one). */
bool bridge_client_wants_status(const struct bridge_client *c, uint64_t now_ns);
/* Queues an event (msg is stolen). */
void bridge_client_event(struct bridge_client *c, json_t *msg);
/* Sends a change request (msg borrowed; its id is replaced).  Returns 0, or
 * -ENOTCONN when not connected, -EBUSY with 16 in flight, -ENOMEM (nothing
 * queued then).  fn is never called before this returns. */
int bridge_client_change(struct bridge_client *c, json_t *msg, bridge_result_fn fn, void *userdata);
/* Forgets pending results for userdata (its control client went away). */
void bridge_client_forget(struct bridge_client *c, void *userdata);

/* The bridge says the host is low on memory (false when not connected). */
bool bridge_client_host_low(const struct bridge_client *c);
/* The connection state for `report`: endpoint, state, since, queued,
 * events_dropped, reconnects, host_memory. */
json_t *bridge_client_state_json(const struct bridge_client *c);
