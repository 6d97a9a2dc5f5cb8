/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "config/conf.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "runlog/record.h"

struct agent_bridge;

/* What makes `run` a system service, beside the reclaim loop in daemon.c:
 * the configuration file and its reload (SIGHUP or the control socket),
 * sd_notify (READY, STATUS, WATCHDOG, RELOADING, STOPPING), the control
 * socket's answers and the history of actions.  daemon.c calls the hooks
 * below; nothing here decides about reclaim. */

/* conf_load() of path (NULL = /etc/wsldock/agent.conf under root), then
 * each "KEY=VALUE" of sets on top (origin "--set").  -EINVAL with every
 * problem in d; *c untouched then. */
int service_config_load(const char *root, const char *path, const char *const *sets, size_t nsets,
			struct agent_conf *c, struct diag_list *d);

/* The daemon's state as daemon.c last saw it (after each sample and action). */
struct service_state {
	const char *role;             /* leader, follower, dry-run */
	const char *tracker;          /* the BPF attach mode, or "none" */
	const char *lock;             /* the leader lock's path */
	enum policy_state state;
	uint64_t episode;             /* id of the current or last episode, 0 = none yet */
	uint64_t episode_bytes, episode_returned;
	uint64_t episode_start_realtime_ns;
};

struct service_action {          /* one entry of the history */
	struct action_record rec;
	bool requested;               /* by reclaim-now, not by the policy */
};

struct service {
	struct daemon_opts *o;
	const struct dlog *log;
	void (*reloaded)(void *u);    /* logs the configuration now running */
	void *u;
	sd_event *ev;
	struct control ctl;
	struct agent_bridge *bridge;  /* set by daemon.c once started: status, change */
	bool watchdog;
	bool notify_failed_logged;
	uint64_t start_mono_ns, start_realtime_ns;
	struct service_state st;
	struct service_action ring[CONTROL_HISTORY_MAX];
	size_t ring_n, ring_next;
	uint64_t returned_total, actions_total;   /* returned: action_record_returned() */
	char status[256];             /* the last STATUS= sent */
};

/* SIGHUP, the watchdog and the control socket on ev.  A control socket that
 * cannot be opened is logged and left out (the daemon still runs). */
int service_setup(struct service *s, sd_event *ev, struct daemon_opts *o, const struct dlog *log,
		  void (*reloaded)(void *u), void *u);
/* READY=1 and the first STATUS=. */
void service_ready(struct service *s, const struct service_state *st);
/* A new state: STATUS= when its line changed. */
void service_update(struct service *s, const struct service_state *st);
/* One action taken by the policy (requested = false) or reclaim-now. */
void service_record(struct service *s, const struct policy_decision *d,
		    const struct action_result *r, bool requested);
/* The newest `limit` actions, oldest first: each the action record's
 * fields and "trigger" (policy or reclaim-now).  The control socket's
 * history; the status's daemon.last_action is the newest of them. */
json_t *service_history_json(const struct service *s, unsigned limit);
/* STOPPING=1, the control socket closed. */
void service_stop(struct service *s);
