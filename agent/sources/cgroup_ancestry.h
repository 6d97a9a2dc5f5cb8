/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The ancestors of cgroups, by id, recorded while the cgroups live.  A
 * build's RUN step runs in a cgroup Docker removes when the step ends; its
 * page cache stays charged to it (a dying memcg) and counts in its parent,
 * whose memory.reclaim reaches it.  Once removed, its id opens with ESTALE
 * and the kernel no longer says whose child it was, and under WSL 2.9.13's
 * cgroup namespace per distro no path names it either: so the ids of its
 * ancestors are noted while it lives (by file handle: open it by id, walk
 * "..", name_to_handle_at each), and memory.reclaim on a removed cgroup
 * goes to its nearest live ancestor (agent/actions/memcg_reclaim.c).
 *
 * A bounded table: the oldest entries are forgotten first. */

#define CGROUP_ANCESTRY_MAX 2048   /* cgroups remembered */
#define CGROUP_ANCESTRY_DEPTH 8    /* ancestors per cgroup, nearest first */

struct cgroup_ancestry_entry {
	uint64_t id;
	uint64_t up[CGROUP_ANCESTRY_DEPTH];  /* up[0] the parent; the kernel's
						root cgroup is never listed */
	uint8_t depth;
};

struct cgroup_ancestry {
	struct cgroup_ancestry_entry e[CGROUP_ANCESTRY_MAX];
	size_t n, next;  /* next: the slot overwritten when full */
};

/* The daemon's table (one per process): the engine notes the tracker's
 * cgroup ids in it, the memory.reclaim lever reads it. */
struct cgroup_ancestry *cgroup_ancestry_global(void);

/* Records (or replaces) id's ancestors, nearest first; at most
 * CGROUP_ANCESTRY_DEPTH are kept.  Pure. */
void cgroup_ancestry_record(struct cgroup_ancestry *a, uint64_t id, const uint64_t *up,
			    size_t n);
/* Copies id's ancestors (nearest first) into up; returns how many (0 when
 * id is unknown).  Pure. */
size_t cgroup_ancestry_get(const struct cgroup_ancestry *a, uint64_t id, uint64_t *up,
			   size_t max);
/* Opens cgroup id on the cgroup2 mount mountfd by file handle, walks up
 * with "..", records the ancestors' ids.  Returns how many were recorded,
 * or negative errno (ESTALE: id is gone already; EPERM: no
 * CAP_DAC_READ_SEARCH).  Known ids are not walked again. */
int cgroup_ancestry_note(struct cgroup_ancestry *a, int mountfd, uint64_t id);
/* The cgroup id (kernfs node id) of an open cgroup directory. */
int cgroup_id_of_fd(int fd, uint64_t *ret);
