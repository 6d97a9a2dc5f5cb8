/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "actions/lever_names.h"

/* The reclaim levers: the only code in the agent that writes to the kernel's
 * memory knobs.  The pure policy (agent/policy/) picks a lever and its
 * targets; the daemon hands them to action_run(), which performs the lever
 * (or, in dry-run, only measures what it would target), measures its effect
 * and returns an action_result the daemon logs and feeds back to the
 * policy's history.  One file per lever in this directory. */

/* The levers, from the most targeted to the least (lever_names.h): the
 * policy tries them in this order and falls to the next when one cannot
 * reach enough. */
#define LEVER_ENUM(e, name) e,
enum lever {
	FOREACH_LEVER(LEVER_ENUM)
	_LEVER_MAX,
};
#undef LEVER_ENUM

/* "memory.reclaim", "force_empty", "fadvise", "drop_caches", "compact":
 * the one name used in logs, journal fields (WSLDOCK_LEVER), JSON and docs. */
const char *lever_name(enum lever l);
/* "memory.reclaim, force_empty, fadvise, drop_caches, compact" (help and
 * error messages). */
const char *lever_names_list(void);
/* -EINVAL for an unknown name. */
int lever_from_string(const char *s, enum lever *ret);

/* A cgroup that holds an episode's pages.  v2 is reached by path under the
 * cgroup2 mount or, when it is not visible there, by its id (cgroup2 file
 * handle); v1 by path under the memory hierarchy. */
struct action_cgroup {
	uint64_t cgid;         /* cgroup v2 id (the tracker's); 0 = none */
	const char *v2_path;   /* relative to the cgroup2 mount; NULL = unknown */
	const char *v1_path;   /* relative to the v1 memory mount; NULL = none */
	uint64_t bytes;        /* the episode's net page cache charged there */
};

/* A file the episode filled, as the tracker names it. */
struct action_file {
	uint64_t dev, ino;     /* user-space dev_t, inode */
	uint32_t gen;          /* inode generation; 0 = unknown */
	const char *path;      /* NULL = unknown: reach it by handle */
	uint64_t bytes;        /* net bytes the episode added */
};

struct action_request {
	enum lever lever;
	bool dry_run;              /* decide and measure; write nothing */
	const char *root;          /* NULL = live system (tests point it at a tree) */
	uint64_t bytes_wanted;     /* stop once this much came back; 0 = all */
	uint64_t step_bytes;       /* memory.reclaim step size */
	const struct action_cgroup *cgroups;
	size_t ncgroups;
	const struct action_file *files;
	size_t nfiles;
	/* Directories whose regular files changed since since_ns (CLOCK_REALTIME)
	 * are evicted too: the ledger's file map is bounded, a build writes far
	 * more files than it holds (overlay2/<layer>/diff, the build context). */
	const char *const *dirs;
	size_t ndirs;
	uint64_t since_ns;
	/* Files never to evict: a process outside the episode read them within
	 * the hot-set window.  Sorted by (dev, ino) for bsearch. */
	const struct action_file *hot;
	size_t nhot;
	uint64_t max_duration_ns;  /* give up after this long; 0 = no bound */
	/* fadvise: at most this many files visited under dirs; 0 = the default
	 * ACTION_MAX_WALK_FILES. */
	unsigned max_walk_files;
	/* drop_caches: read back the hot files' pages that were resident before
	 * the drop, at idle I/O priority, at most restore_budget_bytes (0 = no
	 * read-back even when restore_hot_set is set). */
	bool restore_hot_set;
	uint64_t restore_budget_bytes;
	/* memory.reclaim: sync() first, for dirty pages cannot be reclaimed
	 * (the root's finish: the files are out of reach, so no syncfs). */
	bool sync_first;
	/* compact: these NUMA nodes (sysfs nodeN/compact); none = every node
	 * through /proc/sys/vm/compact_memory. */
	const unsigned *nodes;
	size_t nnodes;
};

#define ACTION_MAX_WALK_FILES 262144u

/* How memory.reclaim / force_empty were kept off anonymous memory. */
enum anon_guard {
	ANON_GUARD_NONE,            /* lever does not reclaim by cgroup */
	ANON_GUARD_SWAPPINESS_ARG,  /* "N swappiness=0" (kernel 6.7+) */
	ANON_GUARD_SWAP_MAX,        /* memory.swap.max=0 for the call, restored */
	ANON_GUARD_V1_SWAPPINESS,   /* v1 memory.swappiness=0 for the call, restored */
	ANON_GUARD_NO_SWAP,         /* no swap configured: anon cannot be reclaimed */
	ANON_GUARD_VM_SWAPPINESS,   /* root cgroup before 6.7: vm.swappiness=0 for
				       the call, restored */
	_ANON_GUARD_MAX,
};

/* "none", "swappiness=0", "swap.max=0", "memory.swappiness=0", "no-swap",
 * "vm.swappiness=0". */
const char *anon_guard_name(enum anon_guard g);

/* Figures measured before and after, so every action says what it did. */
struct action_measure {
	uint64_t mem_free, page_cache, reportable_free;  /* bytes */
	uint64_t stranded_free;     /* free in blocks below page_reporting_order */
	bool reported_known;
	uint64_t reported;          /* page_reporting counter, where present */
	uint64_t targets_cache;     /* targeted cgroups' file (memory.stat) or
				       files' resident bytes (cachestat/mincore) */
	bool hot_known;
	uint64_t hot_cache;         /* the hot files' resident bytes, when nhot > 0 */
};

struct action_result {
	enum lever lever;
	bool dry_run;
	int error;                  /* 0 or negative errno of the first failing write */
	char error_where[256];      /* the file or cgroup that failed */
	uint64_t bytes_targeted;    /* what the lever aimed at */
	uint64_t bytes_returned;    /* before.mem_free..after.mem_free gain, or the
				       targets' cache drop, whichever the lever
				       measures best (documented per lever) */
	struct action_measure before, after;
	uint64_t duration_ns;
	uint64_t realtime_ns;       /* CLOCK_REALTIME when the lever finished */
	unsigned steps;             /* memory.reclaim steps / files touched */
	unsigned skipped_frozen;    /* cgroups left alone: frozen */
	unsigned skipped_hot;       /* files left alone: hot */
	unsigned unreachable;       /* targets that could not be opened */
	unsigned files_walked;      /* regular files visited under dirs */
	unsigned exhausted;         /* cgroups whose memory.reclaim ended in
				       EAGAIN: nothing more to take there */
	enum anon_guard anon_guard; /* memory.reclaim / force_empty only */
	uint64_t restored_bytes;    /* drop_caches: hot pages read back */
};

/* Runs one lever.  Returns 0 or negative errno (also in r->error); never
 * aborts.  In dry-run nothing under /proc/sys or any memory.* file is
 * written and no file is advised or synced; targets are opened and
 * measured only.  -ETIME: max_duration_ns ran out (what was done so far
 * is measured).  A blocking kernel write (memory.reclaim, force_empty) is
 * bounded by a per-thread timer signal (SIGRTMIN+ACTION_TIMER_SIGNAL, a
 * no-op handler installed for the call and restored after it).
 *
 * bytes_returned, per lever: memory.reclaim and force_empty: the targeted
 * cgroups' file cache drop (memory.stat); fadvise: the targeted files'
 * resident drop; drop_caches: the global page cache (Cached) drop;
 * compact: the reportable free gain. */
#define ACTION_TIMER_SIGNAL 5
int action_run(const struct action_request *q, struct action_result *r);
