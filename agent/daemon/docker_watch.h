/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-event.h>

#include "daemon/daemon.h"

/* Docker Engine's event stream as a hint that a build finished
 * (sources/docker_events.h says which events count and why).  Never a
 * requirement: without a Docker socket, or when it stops answering, the
 * quiet period alone ends episodes; the watcher says so once and tries again
 * every DOCKER_WATCH_RETRY_NSEC, from the daemon's sample (docker_watch_tick),
 * so neither an open stream nor a closed one costs a wakeup of its own. */

#define DOCKER_WATCH_DEFAULT "/var/run/docker.sock"
#define DOCKER_WATCH_RETRY_NSEC (30ull * 1000000000)

struct docker_watch;

/* path "none" (or NULL) turns it off.  on_build_end runs for every hint.
 * -ENOMEM only. */
int docker_watch_start(sd_event *ev, const struct dlog *log, const char *path,
		       void (*on_build_end)(void *u), void *u, struct docker_watch **ret);
/* Once per sample: connects again when the retry interval passed. */
void docker_watch_tick(struct docker_watch *w, uint64_t now_ns);
void docker_watch_free(struct docker_watch *w);
