/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>

#include "actions/actions.h"
#include "policy/policy.h"
#include "runlog/runlog.h"
#include "tracker/tracker.h"

/* `wsldock-agent run`: the tracker, the engine (the policy's inputs, the
 * policy and the levers) on one sd-event loop.  One sample a second (a timer), the resolver's
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

/* Returns 0 after SIGTERM/SIGINT, negative errno when it could not start
 * or its event loop failed (agent/cli maps it to an exit status). */
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
