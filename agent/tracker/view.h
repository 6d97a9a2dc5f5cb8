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

/* Looks up the names of every cgroup in the ledger now, while they exist
 * (cached by the resolver; a scan happens only for new ids). */
void top_view_resolve(const struct ledger *l, struct resolver *r);
int top_view_build(const struct ledger *l, struct resolver *r, size_t max_files,
		   struct top_view *v);
void top_view_free(struct top_view *v);
