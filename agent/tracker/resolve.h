/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Turns what the BPF programs record into names: cgroup v2 ids into paths
 * relative to the cgroup2 mount, (device, inode) pairs into file paths, and
 * docker container ids into "is this a legacy builder step".  Every file
 * system read goes under the root prefix.  Scans are bounded and done at
 * most once per generation (one sample), so a storm of unknown ids cannot
 * turn sampling into a file system crawl. */
struct resolver;

struct resolver_opts {
	const char *root;          /* NULL or "/" = live system */
	const char *cgroup2_mount; /* absolute, as in /proc/self/mounts; "" = none */
	const char *docker_root;   /* Docker's data root; NULL = /var/lib/docker */
	/* Where the memory controller's cgroup v1 hierarchy is mounted, for
	 * ids with RESOLVER_CGID_V1; NULL or "" = none (not hybrid). */
	const char *memcg_v1_mount;
	size_t walk_limit;         /* directory entries per scan; 0 = default */
};

int resolver_new(const struct resolver_opts *o, struct resolver **ret);
void resolver_free(struct resolver *r);
/* Starts a new generation: scans that missed may run again. */
void resolver_tick(struct resolver *r);

/* Set in an id that names a cgroup of the v1 memory hierarchy (a hybrid
 * host's process in the v2 root; the BPF side's PC_CGID_V1). */
#define RESOLVER_CGID_V1 (1ull << 63)

/* "/", "/system.slice/docker-<id>.scope", ...; NULL when not found.  For a
 * RESOLVER_CGID_V1 id, the path in the v1 memory hierarchy. */
const char *resolver_cgroup_path(struct resolver *r, uint64_t cgid);

struct file_id {
	uint64_t dev;  /* user-space dev_t (makedev(major, minor)) */
	uint64_t ino;
};
/* Looks up paths for the ids not known yet: open files of every process
 * (ROOT/proc/PID/fd), then Docker's data root.  Call once per sample with
 * the files that will be shown. */
void resolver_lookup_files(struct resolver *r, const struct file_id *ids, size_t n);
/* The path found for (dev, ino) (root prefix removed), or NULL. */
const char *resolver_file_path(struct resolver *r, uint64_t dev, uint64_t ino);

/* True when cgroup_path is a docker container that the legacy builder
 * created for a RUN step: its config.v2.json under the data root names
 * its image by id and has the health check the builder turns off. */
bool resolver_build_container(struct resolver *r, const char *cgroup_path);

/* The legacy builder removes each step's container a second after it
 * starts, often before a sample: an inotify watch on the data root's
 * containers/ lets the caller read each new container's config as it is
 * written.  Poll this fd (-1 when there is nothing to watch) and call
 * resolver_process_events() when it is readable. */
int resolver_watch_fd(struct resolver *r);
void resolver_process_events(struct resolver *r);

/* Kernel dev_t (major << 20 | minor, as tracepoints and s_dev carry it)
 * to user-space dev_t (as stat(2) reports it). */
uint64_t kernel_dev_to_user(uint32_t kdev);
