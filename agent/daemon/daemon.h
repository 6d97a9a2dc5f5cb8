/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>

#include "actions/actions.h"
#include "policy/policy.h"
#include "tracker/tracker.h"

/* `wsldock-agent run`: the tracker, the memory model, the policy and the
 * levers on one sd-event loop.  One sample a second (a timer), the resolver's
 * inotify fd, a PSI trigger on /proc/pressure/memory where it exists, and
 * SIGTERM/SIGINT; nothing else wakes it. */

struct agent_conf;

struct daemon_opts {
	const char *root;            /* NULL = live system */
	bool foreground;             /* also log each line to stderr */
	bool dry_run;                /* decide and log, write nothing anywhere */
	const char *lock_dir;        /* NULL = WSLDOCK_LOCK_DIR, else the default */
	const char *docker_root;     /* NULL = /var/lib/docker */
	const char *docker_socket;   /* NULL = /var/run/docker.sock; "none" = no events */
	enum tracker_mode bpf_mode;
	struct policy_config cfg;    /* conf->reclaim; replaced on reload */
	/* The service side (service.c): where the configuration comes from,
	 * so a reload (SIGHUP, the control socket) reads it again. */
	struct agent_conf *conf;     /* the loaded configuration (origins) */
	const char *config_path;     /* run --config; NULL = the default */
	const char *const *sets;     /* run --set KEY=VALUE, applied on top */
	size_t nsets;
	const char *control_path;    /* NULL = $WSLDOCK_CONTROL_SOCKET or the default */
	const char *bridge;          /* --bridge ENDPOINT; NULL = vsock on WSL 2 only */
};

/* Returns an exit status (cli.h): 0 after SIGTERM/SIGINT, 2 when it could
 * not start. */
int daemon_run(struct daemon_opts *o);

/* ---- leader election (leader.c) ---- */

/* The default directory of leader.lock: /mnt/wsl/wsldock on WSL 2 (a tmpfs
 * every distro of the VM shares), else /run/wsldock; WSLDOCK_LOCK_DIR
 * overrides both. */
const char *leader_default_dir(bool wsl2_with_mnt_wsl);

struct leader {
	char path[4096];
	int fd;                      /* open lock file, -1 until opened */
	bool held;
	char why[512];               /* why leader_try failed, "" when it did not say */
};

void leader_init(struct leader *l, const char *dir);
/* Tries once, never blocks: 1 = held (now or already), 0 = another agent
 * holds it, negative errno when the lock file cannot be opened or is not
 * safe to use (-EPERM: it or its directory belongs to another user; the
 * directory is made 0700 and the file 0600), with why saying which. */
int leader_try(struct leader *l);
void leader_release(struct leader *l);

/* ---- the log (log.c): one plain line per event on stderr (foreground)
 * and the same as a structured journal entry ---- */

struct dlog {
	bool foreground;
	bool journal;
	FILE *err;                   /* stderr */
	const char *verb;            /* "run" or "reclaim" */
};

#define DLOG_LINE_MAX 2048
#define DLOG_FIELDS_MAX 48

/* One journal entry: MESSAGE, WSLDOCK_EVENT, SYSLOG_IDENTIFIER, PRIORITY
 * and a WSLDOCK_<KEY> field per key=value of the line. */
struct dlog_fields {
	char msg[DLOG_LINE_MAX + 160];
	char event[96];
	char field[DLOG_FIELDS_MAX][DLOG_LINE_MAX / 4];
	struct iovec iov[DLOG_FIELDS_MAX + 4];
	size_t n;
};

void dlog_fields_build(struct dlog_fields *jf, const char *event, const char *kv,
		       const char *line);
__attribute__((format(printf, 3, 4)))
void dlog_event(const struct dlog *g, const char *event, const char *fmt, ...);
void dlog_decision(const struct dlog *g, const struct policy_decision *d, enum policy_state s,
		   bool dry_run);
void dlog_action(const struct dlog *g, const struct policy_decision *d,
		 const struct action_result *r);
