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

/* Turns the sources (the tracker's ledger and resolver, /proc, the cgroup
 * hierarchy) into the policy's observations, in one pass per sample.  All
 * the file system reads the policy needs happen here; the policy itself
 * reads nothing.  Used through the engine (engine.h). */
struct observer {
	const char *root;                 /* NULL = live system */
	const char *docker_root;          /* "/var/lib/docker" */
	struct cgroup_layout cg;
	struct resolver *res;             /* NULL without the tracker */
	uint64_t page_size;

	/* Scratch, reused every sample and owned here.  Rows read without
	 * targets stand while the ledger does not move (rows_valid; rows_seq =
	 * its changed_seq, rows_sample = its seq when they were read). */
	struct policy_cgroup *rows;
	size_t nrows, rows_cap;
	bool rows_valid;
	uint64_t rows_seq, rows_sample;
	struct policy_file *files;
	size_t nfiles, files_cap;
	struct string_pool strings;       /* paths handed out this sample */
};

int observer_init(struct observer *ob, const char *root, const char *docker_root,
		  struct resolver *res);
void observer_free(struct observer *ob);

/* /proc/meminfo and (cpu) /proc/stat into o: what every sample needs.
 * Never fails: what could not be read is marked unknown. */
void observe_memory(struct observer *ob, bool cpu, struct policy_obs *o);

/* What only a sample that may act reads (policy_may_act()): memory PSI
 * for the stall guardrail, /proc/vmstat's file refaults for host pressure,
 * whether Docker's data root is here for lever c.  Read only then, so the
 * idle daemon opens one file a second.  Never fails. */
void observe_act_inputs(struct observer *ob, struct policy_obs *o);

/* The ledger's (cgroup, class) rows, with their growth in the ledger's
 * last interval, and its files into o, read from the ledger directly.
 * targets (policy_may_act()): each attributed row's path and where its
 * pages can be reached now (its cgroup, or the nearest live ancestor, in
 * the cgroup2 and v1 memory hierarchies), and every file; else no targets
 * and only the files that gained pages in the last sample, which is all
 * the policy's hot set needs.  -ENOMEM. */
int observe_ledger(struct observer *ob, const struct ledger *l, bool targets,
		   struct policy_obs *o);

/* Without the tracker (`reclaim`): one row per Docker cgroup with the file
 * cache its memory.stat charges to it (a parent such as /docker stands for
 * its children and their removed, offline cgroups).  -ENOMEM. */
int observe_docker_cgroups(struct observer *ob, struct policy_obs *o);

/* Releases the scratch of the last sample (the obs pointers die with it,
 * but for the tracker's rows while they stand). */
void observe_reset(struct observer *ob);
