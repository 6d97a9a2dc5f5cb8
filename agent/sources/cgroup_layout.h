/* SPDX-License-Identifier: MIT */
#pragma once

#include <limits.h>
#include <stdbool.h>

#include "sources/source.h"

enum cgroup_mode {
	CGROUP_NONE,    /* no cgroup file system mounted */
	CGROUP_V1,      /* only legacy hierarchies */
	CGROUP_HYBRID,  /* legacy hierarchies plus cgroup2 (often at .../unified) */
	CGROUP_V2,      /* the unified hierarchy only */
};

enum memcg_mode {
	MEMCG_NONE,
	MEMCG_V1,  /* memory controller on a legacy hierarchy */
	MEMCG_V2,  /* memory controller enabled in cgroup2 (memory.reclaim exists) */
};

struct cgroup_layout {
	enum cgroup_mode mode;
	enum memcg_mode memcg;
	char unified_path[PATH_MAX];  /* cgroup2 mount point, "" when none */
	char memcg_path[PATH_MAX];    /* where the memory controller is mounted */
};

const char *cgroup_mode_name(enum cgroup_mode m);
const char *memcg_mode_name(enum memcg_mode m);

/* Parses a mounts table (/proc/self/mounts format).  Pure but for reading
 * ROOT/<cgroup2 mount>/cgroup.controllers to see whether memory is there. */
int cgroup_layout_parse(char *text, const char *path, const char *root,
			struct cgroup_layout *c, struct diag_list *d);
int cgroup_layout_read(const char *root, struct cgroup_layout *c, struct source_status *st,
		       struct diag_list *d);
