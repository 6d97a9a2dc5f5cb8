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

/* Where this distro sits in WSL's cgroup layouts (issue 17), and what it
 * can reach from there.  WSL's 2026 layouts:
 *   flat        no per-distro cgroup (WSL before 2.9.8, or
 *               isolateDistroCgroup=false): the whole hierarchy by path;
 *   distro      wsl-user/distro-<pid> per distro, one cgroup namespace
 *               (2.9.8): other distros' cgroups by path;
 *   distro-ns   a cgroup namespace per distro rooted at its distro-<pid>
 *               (2.9.13): only this distro's subtree by path, the rest by
 *               id (open_by_handle_at, CAP_DAC_READ_SEARCH) if at all. */
enum wsl_cgroup_layout {
	WSL_CGROUP_UNKNOWN,   /* no cgroup2, or nothing to tell by */
	WSL_CGROUP_FLAT,
	WSL_CGROUP_DISTRO,
	WSL_CGROUP_DISTRO_NS,
	_WSL_CGROUP_MAX,
};

/* "unknown", "flat", "distro", "distro-ns": the one name in report, top
 * and the journal. */
const char *wsl_cgroup_layout_name(enum wsl_cgroup_layout l);

/* The kernel's initial cgroup namespace: /proc/self/ns/cgroup reads
 * "cgroup:[4026531835]" there (PROC_CGROUP_INIT_INO). */
#define CGROUP_NS_INIT_INO 0xEFFFFFFBu

struct cgroup_placement {
	enum wsl_cgroup_layout layout;
	char self[PATH_MAX];        /* "0::" line of /proc/self/cgroup, as the ns shows it */
	char mount_root[PATH_MAX];  /* the cgroup2 mount's root (mountinfo field 4) */
	char mount_point[PATH_MAX]; /* where it is mounted */
	int own_ns;                 /* 1: not the initial cgroup namespace, 0: it is, -1: unknown */
	unsigned long long distro_pid; /* N of wsl-user/distro-N when the path shows it */
	bool root_is_kernel_root;   /* the mount's root has no cgroup.events: the
				       kernel's root cgroup is reachable by path */
	/* Reach, as this distro's root could use it. */
	bool others_by_path;        /* other distros' cgroups are visible under the mount */
	int by_id;                  /* 1: open_by_handle_at works here, 0: refused, -1: not tried */
	int by_id_err;              /* negative errno when refused */
};

/* Pure: the layout from /proc/self/cgroup's text, /proc/self/mountinfo's
 * text, the cgroup namespace inode (0 = unknown) and whether the mount's
 * root is a child cgroup: it has cgroup.events, which the kernel's root
 * cgroup lacks (-1 = unknown).  Fills everything but by_id. */
void cgroup_placement_parse(const char *self_cgroup, const char *mountinfo,
			    unsigned long long ns_ino, int root_is_child,
			    struct cgroup_placement *p);
/* Reads them under root; by_id probed (open_by_handle_at of the mount's
 * own root cgroup) only on the live system. */
int cgroup_placement_read(const char *root, struct cgroup_placement *p);

/* One line for report and top: the layout, where this distro sits and
 * what it reaches, e.g. "distro-ns: own cgroup namespace (at /init.scope);
 * other distros' cgroups: by id only".  Pure. */
void cgroup_placement_describe(const struct cgroup_placement *p, char *buf, size_t size);
