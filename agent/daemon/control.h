/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "daemon/control_proto.h"

/* The daemon's control socket, a unix stream socket (default
 * CONTROL_DEFAULT_PATH; $WSLDOCK_CONTROL_SOCKET or run --control-socket
 * override it).  Taken from systemd socket activation when it passes one,
 * else created with mode 0660 and group wsldock (when that group exists;
 * $WSLDOCK_CONTROL_GROUP names another, for tests).
 *
 * Nothing a client does can block the loop: every socket is non-blocking,
 * each client has its own bounded input buffer (CONTROL_REQUEST_MAX) and
 * output queue, one request is answered at a time per client (a client that
 * does not read its replies stops being read), a client is dropped when it
 * has not sent a whole request within CONTROL_IDLE_USEC of connecting or of
 * its last reply (bytes trickled in do not extend it), and at most
 * CONTROL_CLIENTS_MAX are served at once (the next one gets a "busy" error
 * and is closed).  Of those, one is always kept for root, and a user other
 * than root holds at most CONTROL_CLIENTS_PER_UID: no group member can
 * lock root out. */

#define CONTROL_DEFAULT_PATH "/run/wsldock/agent.sock"
#define CONTROL_DEFAULT_GROUP "wsldock"
#define CONTROL_CLIENTS_MAX 16
#define CONTROL_CLIENTS_PER_UID 4
#define CONTROL_IDLE_USEC (10ull * 1000000)

struct control_client;

/* Returns the reply to one allowed request (NULL: out of memory, or the
 * handler deferred the reply with control_defer()). */
typedef json_t *(*control_handler)(void *u, const struct control_request *req,
				   const struct control_peer *peer, struct control_client *k);

struct control_stats {
	uint64_t clients, requests, bad_requests, refused, busy, dropped_idle;
	uint64_t busy_uid;  /* of busy: refused for the peer's uid's cap or root's slot */
};

struct control {
	sd_event *ev;
	int fd;                     /* listening socket; -1 = none */
	bool activated;             /* passed by systemd: its path is not ours to remove */
	char path[108];
	dev_t dev;                  /* the socket file created, to remove only ours */
	ino_t ino;
	bool have_gid;
	gid_t gid;
	char group[64];
	sd_event_source *accept_src;
	control_handler handle;
	void *u;
	struct control_client *clients;
	unsigned nclients;
	struct control_stats stats;
};

/* path: CONTROL_DEFAULT_PATH when NULL.  may_create false: only a socket
 * systemd passed is taken (-ENOENT without one).  On failure returns a
 * negative errno and why (the daemon then runs without a control socket). */
int control_open(struct control *c, sd_event *ev, const char *path, bool may_create,
		 control_handler h, void *u, char *why, size_t whylen);
void control_close(struct control *c);
json_t *control_stats_json(const struct control *c);

/* A reply that comes later (change waits for the bridge).  Called by a
 * handler instead of answering: the client k waits, read no further (its
 * next requests stay in the socket) and without the idle timeout, until
 * control_answer(k, reply), or until timeout_usec has passed and it is
 * answered {"ok":false,"code":"ETIMEDOUT","error":timeout_msg}.  cancel(u, k)
 * is called when k is no longer waiting without an answer (it timed out,
 * hung up, or the socket closes): whoever was to answer must forget k. */
typedef void (*control_cancel_fn)(void *u, struct control_client *k);
int control_defer(struct control_client *k, const char *request, uint64_t timeout_usec,
		  const char *timeout_msg, control_cancel_fn cancel, void *u);
/* The deferred reply (stolen); ignored when k does not wait. */
void control_answer(struct control_client *k, json_t *reply);
/* The handler's u of the socket k came on. */
void *control_client_handler_data(const struct control_client *k);

/* ---- the client side (report, reclaim): client.c ---- */

/* The socket to ask: path, else $WSLDOCK_CONTROL_SOCKET, else the default. */
const char *control_client_path(const char *path);

struct control_conn {
	int fd;
	char buf[65536];
	size_t n;
};

/* Connects (non-blocking connect, a unix socket answers at once).  -errno:
 * -ENOENT / -ECONNREFUSED mean no daemon listens there. */
int control_connect(struct control_conn *cc, const char *path);
/* Sends one request line and reads one reply line within timeout_ms,
 * parsed.  -ETIMEDOUT, -EPROTO (not JSON), -errno. */
int control_call(struct control_conn *cc, const char *request, int timeout_ms, json_t **reply);
void control_disconnect(struct control_conn *cc);
