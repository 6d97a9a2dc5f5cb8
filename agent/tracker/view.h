/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracker/classify.h"
#include "tracker/ledger.h"
#include "tracker/resolve.h"

/* What `top` shows and the daemon will decide on: the ledgers joined with
 * names and classes.  A cgroup whose processes fall in several classes
 * (dockerd writing layers from a shared cgroup) gets one row per class. */

#define TOP_PROCS 3

struct top_proc {
	char comm[LEDGER_COMM_LEN];
	uint32_t tgid;  /* in the agent's pid namespace; 0: not in it */
	uint64_t added;
};

struct top_row {
	uint64_t cgid;     /* with RESOLVER_CGID_V1 for a v1 memory cgroup */
	bool memcg_v1;     /* path and id are in the v1 memory hierarchy */
	const char *path;  /* owned by the resolver; NULL when unknown */
	enum tclass class;
	struct ledger_counts bytes;
	double rate1, rate10;  /* added bytes per second */
	struct top_proc procs[TOP_PROCS];
	size_t nprocs;
};

struct top_file {
	uint64_t dev, ino;
	const char *path;  /* owned by the resolver; NULL when unknown */
	enum tclass class;
	struct ledger_counts bytes;
	double rate1, rate10;
	char comm[LEDGER_COMM_LEN];
	uint32_t tgid;  /* in the agent's pid namespace; 0: not in it */
	const char *owner_path;
};

struct top_view {
	struct top_row *rows;   /* sorted by added bytes, largest first */
	size_t nrows;
	struct top_file *files; /* the max_files files that gained the most */
	size_t nfiles;
	struct ledger_overflow overflow;
	/* Bytes of entries the ledger dropped (gone from the maps and idle):
	 * counted in no row above, so totals need them. */
	struct ledger_counts pruned[_LEDGER_KINDS];
	uint64_t page_size;
};

/* The one way the agent names a ledger cgroup (`top`, the engine): the
 * resolver's path, else the path the tracker rebuilt from kernfs names when
 * the cgroup was seen; NULL when neither is known. */
const char *view_cgroup_path(const struct ledger *l, struct resolver *r, uint64_t cgid);

/* The one way the agent classifies a file entry: by the process that added
 * its first page (its name, its parent's) and that process's cgroup. */
enum tclass view_file_class(const struct ledger *l, struct resolver *r,
			    const struct ledger_entry *f);

/* One cgroup's counters split by class: each process's to the class of the
 * process, what no process entry accounts for (evicted ones) to the class
 * of the cgroup's path. */
struct view_share {
	struct ledger_counts bytes;    /* since the ledger started */
	struct ledger_counts last;     /* in the ledger's last interval */
	double rate1, rate10;          /* added bytes per second */
	struct top_proc procs[TOP_PROCS];  /* the processes that added the most */
	size_t nprocs;
};

/* Splits cgroup entry c into share[] (zeroed first).  *task_i is a cursor
 * into the tasks table, which is sorted by cgroup: start it at 0 and pass
 * the cgroups in key order.  Returns the cgroup's path (view_cgroup_path). */
const char *view_cgroup_split(const struct ledger *l, struct resolver *r,
			      const struct ledger_entry *c, size_t *task_i,
			      struct view_share share[_TCLASS_MAX]);

/* Looks up the names of every cgroup in the ledger now, while they exist
 * (cached by the resolver; a scan happens only for new ids). */
void top_view_resolve(const struct ledger *l, struct resolver *r);
int top_view_build(const struct ledger *l, struct resolver *r, size_t max_files,
		   struct top_view *v);
void top_view_free(struct top_view *v);
