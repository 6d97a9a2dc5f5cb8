/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sources/source.h"

/* Whether a docker build is still running, from what the agent's distro
 * can see on Docker Desktop as well as beside a native engine (issue 18):
 *  - the docker CLI's build processes in this distro's PID namespace
 *    (`docker build`, `docker image build`, `docker builder build`,
 *    `docker buildx build|b|bake`, `docker compose build`, the plugins'
 *    own argv, docker-compose): on Docker Desktop the CLI runs here
 *    (/usr/bin/docker ->
 *    /mnt/wsl/docker-desktop/cli-tools/usr/bin/docker) while the engine runs
 *    in the docker-desktop distro;
 *  - populated build-step cgroups: BuildKit's buildkit/<id> (RUN steps,
 *    docker/buildkit/<id> under cgroupfs) and docker/<64 hex> (the legacy
 *    builder's RUN containers, but any running container too), found within
 *    a few levels of the cgroup root.  On WSL 2.9.13+ each distro has its
 *    own cgroup namespace: the engine's cgroups are out of sight there and
 *    only the CLI is left.
 * Any user can start a process named docker or keep a container running:
 * this signal may only hold an episode open, never start one, and the
 * engine bounds the hold (build_hold_max). */

/* /proc/PID/cmdline is read up to this many bytes: the subcommand comes
 * after the global options, far before. */
#define BUILD_CMDLINE_MAX 4096
/* The cgroup walk: at most this deep below the root and this many
 * directories, so a tree of thousands of cgroups costs a bounded time. */
#define BUILD_CGROUP_DEPTH 4
#define BUILD_CGROUP_DIRS_MAX 4096

struct build_signal {
	unsigned cli_builds;                  /* docker CLI processes running a build */
	unsigned populated_step_cgroups;      /* populated buildkit/<id> */
	unsigned populated_container_cgroups; /* populated docker/<64 hex> */
	bool cgroups_seen;                    /* a cgroup hierarchy was walked */
	bool cgroup_walk_truncated;           /* BUILD_CGROUP_DIRS_MAX reached */
	struct source_status proc_st;
	struct source_status cgroup_st;
};

/* Pure: whether argv (len bytes of NUL-separated arguments, as in
 * /proc/PID/cmdline; the last one may lack its NUL, e.g. when truncated)
 * runs a docker build.  Never reads past len. */
bool build_cmdline_is_build(const char *buf, size_t len);

/* Reads ROOT/proc/<pid>/cmdline of every process and the cgroup hierarchy
 * (the cgroup2 mount, else the v1 memory one, from ROOT/proc/self/mounts)
 * into *out.  root = NULL for the live system.  A source that cannot be
 * read is recorded in out->proc_st / out->cgroup_st and counts nothing;
 * returns 0, or negative errno when neither could be read. */
int build_signal_read(const char *root, struct build_signal *out);

/* Pure: whether s says a build is running, given at_start, the signal when
 * the episode began.  Container cgroups count only above their number at
 * the episode's start, so that a service container running all along does
 * not hold every episode open. */
bool build_signal_running(const struct build_signal *s, const struct build_signal *at_start);
