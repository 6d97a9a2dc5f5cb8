/* SPDX-License-Identifier: MIT */
/* Shared between pagecache.bpf.c and agent/tracker/: map keys and values.
 * Counters are cumulative page counts since the programs were loaded; user
 * space turns them into bytes and deltas. */
#pragma once

#define PC_COMM_LEN 16

/* Map sizes: LRU, so a burst of new keys evicts the coldest ones; evictions
 * are counted as inserts minus live entries and reported, never hidden. */
#define PC_MAX_CGROUPS 4096
#define PC_MAX_TASKS 8192
#define PC_MAX_FILES 16384

struct pc_counts {
	__u64 added;
	__u64 removed;
	__u64 dirtied;
};

/* The names of a cgroup and its two ancestors, read when the cgroup is
 * first seen, so a container whose cgroup is gone by the time user space
 * looks (a build step lasts a second) can still be named and classified. */
#define PC_CG_NAME_LEN 80
#define PC_CG_NAMES 3

/* What the kernel says about who added pages, which no unprivileged user
 * can forge (process names and cgroup names they can): attribution to
 * Docker by process name needs PC_TRUST_ROOT_TASK, by cgroup path
 * PC_TRUST_ROOT_CGROUP (agent/tracker/classify.c). */
#define PC_TRUST_ROOT_TASK 1u    /* real and effective uid 0 (initial user namespace):
				    no set-user-ID program run by a user */
#define PC_TRUST_ROOT_CGROUP 2u  /* the cgroup's directory belongs to root: not one a
				    user made in a delegated subtree */

struct pc_cgroup {
	struct pc_counts c;
	__u32 level;  /* depth below the root cgroup; 0 = root or unknown */
	__u32 trust;  /* PC_TRUST_ROOT_CGROUP when the names were read and root owns it */
	char names[PC_CG_NAMES][PC_CG_NAME_LEN];  /* [0] = the cgroup's own */
};

/* Hybrid hosts (the memory controller on cgroup v1; this machine, older
 * WSL) keep every process in the cgroup v2 root, where the v2 id says
 * nothing: such processes are keyed by their v1 memory cgroup's id with
 * this bit set. */
#define PC_CGID_V1 (1ull << 63)

struct pc_task_key {
	__u64 cgid;
	__u32 tgid;
	__u32 pad;
};

struct pc_task {
	struct pc_counts c;
	char comm[PC_COMM_LEN];
	/* dockerd re-executes itself for layer work: those show as "exe". */
	char parent_comm[PC_COMM_LEN];
	/* The tgid in the agent's pid namespace; 0 when the process has none
	 * there (another distro's, Docker Desktop's): the key's tgid is the
	 * initial namespace's and must never be looked up in the agent's /proc. */
	__u32 ns_tgid;
	__u32 trust;  /* PC_TRUST_*, as of the process's last run of events */
};

struct pc_file_key {
	__u64 ino;
	__u32 dev;  /* kernel encoding: major << 20 | minor */
	/* i_generation: a freed inode number handed to a new file is another
	 * file, not a continuation of the deleted one's owner and counts.  0 in
	 * classic tracepoint mode, whose events carry no inode. */
	__u32 gen;
};

struct pc_file {
	struct pc_counts c;
	/* Who added the file's first tracked page: removals (which run in
	 * reclaim or truncate context) are charged back to this owner. */
	__u64 owner_cgid;
	__u32 owner_tgid;
	__u32 owner_ns_tgid;  /* as pc_task.ns_tgid */
	__u32 owner_trust;    /* as pc_task.trust, when the owner added the first page */
	__u32 pad;
	char owner_comm[PC_COMM_LEN];
	char owner_parent_comm[PC_COMM_LEN];
};

/* Per-CPU pending counts (see the slots map): between samples what user
 * space sees lags the kernel by less than PC_FLUSH_PAGES pages per CPU and
 * slot; tracker_sample runs the flush program on every CPU first. */
#define PC_FLUSH_PAGES 64

/* Events seen per CPU (CPU number modulo PC_EVENT_CPUS), in the programs'
 * .bss, which user space reads through the skeleton's mapping: a sample
 * whose counters are where they were has nothing pending and no map
 * changed, and costs the agent no system call; otherwise only the CPUs
 * whose counter moved are flushed.  A cache line each, written by its CPU
 * alone (plain increments: one lost to a nested program still leaves the
 * others, and only a change matters). */
#define PC_EVENT_CPUS 256

struct pc_cpu_events {
	__u64 n;
	__u64 pad[7];
};

enum pc_slot_kind {
	PC_SLOT_ADD,
	PC_SLOT_DIRTY,
	PC_SLOT_REMOVE,
	PC_SLOT_MAX,
};

struct pc_slot {
	__u64 cgid;  /* add, dirty: the running task's; remove: 0 */
	__u64 task;  /* add, dirty: its task_struct address, the fast-path key */
	__u64 ino;
	__u64 pages;
	__u32 tgid;
	__u32 dev;
	__u32 have_file;
	__u32 used;
	__u32 gen;
	__u32 ns_tgid;  /* add, dirty: as pc_task.ns_tgid */
	__u32 pad;
	/* Set while a program updates the slot: the flush program, which can
	 * interrupt it on the same CPU (an IPI), leaves a busy slot alone. */
	__u32 busy;
};

enum pc_stat {
	PC_STAT_CGROUP_INSERTS,
	PC_STAT_TASK_INSERTS,
	PC_STAT_FILE_INSERTS,
	PC_STAT_UPDATE_FAILED,       /* map update refused: event lost */
	PC_STAT_REMOVED_UNOWNED,     /* pages removed from files added before we looked */
	PC_STAT_MAP_UPDATES,         /* pending counts folded into map entries: with the
					inserts and failures, whether the maps moved at all */
	PC_STAT_MAX,
};
