/* SPDX-License-Identifier: MIT */
#pragma once

struct topology;

#include <stdbool.h>
#include <stdint.h>

#include "sources/buddyinfo.h"
#include "sources/cgroup_layout.h"
#include "sources/kv.h"
#include "sources/page_reporting.h"
#include "sources/psi.h"
#include "sources/wsl_env.h"

/* A derived figure: known with a value, or unknown with a reason.  Never a
 * silent zero. */
struct figure {
	bool known;
	uint64_t value;
	char reason[320];
};

/* One snapshot of what the kernel holds and what the host could take back.
 * Built from the sources, then derived by a pure function. */
struct mem_state {
	const char *root;
	unsigned page_size;

	struct wsl_env env;
	struct source_status env_src;
	struct cgroup_layout cgroup;
	struct source_status cgroup_src;
	/* Where this distro sits and what it reaches (model/topology.h): read
	 * by `report` only, which asks the engine; NULL = not read. */
	const struct topology *topology;
	struct kv_table meminfo;
	struct source_status meminfo_src;
	struct kv_table vmstat;
	struct source_status vmstat_src;
	struct buddyinfo buddy;
	struct source_status buddy_src;
	struct psi psi;
	struct source_status psi_src;
	struct page_reporting pr;
	struct source_status pr_src;

	/* Derived, all in bytes (see wsldock-agent(8), REPORT FIGURES). */
	struct figure total;             /* MemTotal */
	struct figure free;              /* MemFree */
	struct figure available;         /* MemAvailable */
	struct figure page_cache;        /* Cached */
	struct figure buffers;           /* Buffers */
	struct figure shmem;             /* Shmem (tmpfs, in Cached but not droppable) */
	struct figure dirty_writeback;   /* Dirty + Writeback */
	struct figure reclaimable_file;  /* Active(file) + Inactive(file) - dirty - writeback */
	struct figure reportable_free;   /* free in blocks of order >= page_reporting_order */
	struct figure stranded_free;     /* free in smaller blocks */
	struct figure reported;          /* reported_kib, where the kernel counts it */
	struct figure free_outside_buddy; /* MemFree - free pages in /proc/buddyinfo */
};

/* Reads every source under root (NULL = live system) into s and derives the
 * figures.  Problems go to d; the snapshot is always usable. */
void mem_state_collect(struct mem_state *s, const char *root, unsigned page_size,
		       struct diag_list *d);

/* Pure: recomputes the derived figures from the parsed sources. */
void mem_state_derive(struct mem_state *s, struct diag_list *d);

/* True when a required source was missing, unreadable or malformed. */
bool mem_state_degraded(const struct mem_state *s);
