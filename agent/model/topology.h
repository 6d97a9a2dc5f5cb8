/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sources/cgroup_layout.h"
#include "sources/docker_desktop.h"

/* Where this distro sits and what it can reach from there (issue 17): the
 * WSL cgroup layout with its namespaces, and the Docker engine with
 * whether its files can be opened here.  `report` and `top` print it in
 * two lines; the daemon logs them and plans with reach.files_reachable
 * (per-file eviction cannot reach Docker Desktop's files from a user
 * distro: the daemon must know that before it plans). */
/* How long `report`, `reclaim` and the daemon wait for the engine's
 * `GET /info` (a local socket: milliseconds when it is there). */
#define TOPOLOGY_ENGINE_TIMEOUT_MS 1000

struct topology {
	struct cgroup_placement placement;
	int placement_err;           /* negative errno when it could not be read */
	struct engine_reach reach;
	bool reach_asked;            /* false: no engine socket to ask ("none") */
};

/* Reads both under root (NULL = live system).  socket: the engine's
 * socket (NULL = /var/run/docker.sock, else Docker Desktop's proxy;
 * "none" = do not ask an engine).  timeout_ms bounds the engine's answer.
 * Never fails: what is unknown is said in the lines. */
void topology_read(const char *root, const char *socket, int timeout_ms, struct topology *t);

/* The two lines, e.g. "distro-ns: own cgroup namespace ..." and "Docker
 * Desktop (...) via /var/run/docker.sock; its files: out of reach ...". */
void topology_placement_line(const struct topology *t, char *buf, size_t size);
void topology_engine_line(const struct topology *t, char *buf, size_t size);

/* Why per-file eviction cannot reach the engine's files from here, in
 * words, or NULL when it can or nobody knows (then the lever may try). */
const char *topology_files_out_of_reach(const struct topology *t, char *buf, size_t size);
/* This distro's cgroup2 mount is not rooted at the kernel's root cgroup (a
 * cgroup namespace of its own, WSL 2.9.13): a lever on the root cgroup
 * reaches it by id. */
bool topology_root_by_id(const struct topology *t);
