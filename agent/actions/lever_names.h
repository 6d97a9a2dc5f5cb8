/* SPDX-License-Identifier: MIT */
#pragma once

/* The one table of the levers: the enum (actions.h), lever_name(), the
 * verbs' help and the bridge's per-lever counters (windows-bridge/state.c,
 * which cannot link the agent) all expand it.  Ordered from the most
 * targeted lever to the least: the policy tries them in this order. */
#define FOREACH_LEVER(X)                                                               \
	X(LEVER_MEMCG_RECLAIM, "memory.reclaim")   /* cgroup v2, bounded steps */     \
	X(LEVER_MEMCG_FORCE_EMPTY, "force_empty")  /* cgroup v1 memory.force_empty */ \
	X(LEVER_FILE_EVICT, "fadvise")             /* POSIX_FADV_DONTNEED per file */ \
	X(LEVER_DROP_CACHES, "drop_caches")        /* syncfs + drop_caches = 1 */     \
	X(LEVER_COMPACT, "compact")                /* compact_memory after a reclaim */
