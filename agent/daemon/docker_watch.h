/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-event.h>

#include "daemon/daemon.h"

/* Docker Engine's event stream as a hint that a build finished
 * (sources/docker_events.h says which events count and why).  Never a
 * requirement: without a Docker socket, or when it stops answering, the
 * quiet period alone ends episodes; the watcher says so once and tries again
 * every DOCKER_WATCH_RETRY_USEC.  An open stream costs no wakeup. */

#define DOCKER_WATCH_DEFAULT "/var/run/docker.sock"
#define DOCKER_WATCH_RETRY_USEC (30ull * 1000000)

struct docker_watch;

/* path "none" (or NULL) turns it off.  on_build_end runs for every hint.
 * -ENOMEM only. */
int docker_watch_start(sd_event *ev, const struct dlog *log, const char *path,
		       void (*on_build_end)(void *u), void *u, struct docker_watch **ret);
void docker_watch_free(struct docker_watch *w);
