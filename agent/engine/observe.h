/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "sources/cgroup_layout.h"
#include "tracker/ledger.h"
#include "tracker/resolve.h"

/* Strings the observations point to, owned by the observer. */
struct string_pool {
	char **v;
	size_t n, cap;
};

/* Turns the sources (the tracker's ledger and resolver, /proc) into the
 * policy's observations.  All the file system reads the policy needs happen
 * here; the policy itself reads nothing. */
struct observer {
	const char *root;                 /* NULL = live system */
	const char *docker_root;          /* "/var/lib/docker" */
	struct cgroup_layout cg;
	struct resolver *res;             /* NULL without the tracker */
	uint64_t page_size;

	/* Scratch, reused every sample and owned here.  The rows stand while
	 * the ledger does not move (rows_valid, rows_seq = its changed_seq). */
	struct policy_cgroup *rows;
	size_t nrows, rows_cap;
	bool rows_valid;
	uint64_t rows_seq;
	struct policy_file *files;
	size_t nfiles, files_cap;
	struct string_pool *strings;      /* target paths handed out this sample */
	struct string_pool *row_strings;  /* the rows' paths */
	struct string_pool pools[2];
};

int observer_init(struct observer *ob, const char *root, const char *docker_root,
		  struct resolver *res);
void observer_free(struct observer *ob);

/* /proc/meminfo and (cpu) /proc/stat into o: what every sample needs.
 * Never fails: what could not be read is marked unknown. */
void observe_memory(struct observer *ob, bool cpu, struct policy_obs *o);

/* What only a decision that may act reads (policy_wants_targets()): memory
 * PSI for the stall guardrail, /proc/vmstat's file refaults for host
 * pressure, whether Docker's data root is here for lever c.  Read only
 * then, so the idle daemon opens one file a second.  Never fails. */
void observe_act_inputs(struct observer *ob, struct policy_obs *o);

/* The ledger's (cgroup, class) rows and files into o.  all_files: every
 * file; else only those that gained pages in the last sample, which is all
 * the policy's hot set needs.  -ENOMEM. */
int observe_tracker(struct observer *ob, const struct ledger *l, bool all_files,
		    struct policy_obs *o);

/* Where each attributed row's pages can be reached now: its cgroup, or the
 * nearest live ancestor, in the cgroup2 and v1 memory hierarchies. */
void observe_targets(struct observer *ob, struct policy_obs *o);

/* Without the tracker (`reclaim`): one row per Docker cgroup with the file
 * cache its memory.stat charges to it (a parent such as /docker stands for
 * its children and their removed, offline cgroups).  -ENOMEM. */
int observe_docker_cgroups(struct observer *ob, struct policy_obs *o);

/* Releases the scratch of the last sample (the obs pointers die with it,
 * but for the tracker's rows while they stand). */
void observe_reset(struct observer *ob);
