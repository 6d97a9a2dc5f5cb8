/* SPDX-License-Identifier: MIT */
#pragma once

#include "sources/kv.h"
#include "sources/source.h"

/* The /proc/meminfo fields the model uses, in bytes. */
enum meminfo_key {
	MI_MEM_TOTAL,
	MI_MEM_FREE,
	MI_MEM_AVAILABLE,
	MI_BUFFERS,
	MI_CACHED,
	MI_SWAP_CACHED,
	MI_ACTIVE_FILE,
	MI_INACTIVE_FILE,
	MI_UNEVICTABLE,
	MI_SHMEM,
	MI_DIRTY,
	MI_WRITEBACK,
	MI_MAPPED,
	MI_SRECLAIMABLE,
	MI_SWAP_TOTAL,
	_MI_MAX,
};

/* The /proc/vmstat counters the model uses, in pages or events. */
enum vmstat_key {
	VM_NR_FREE_PAGES,
	VM_NR_FILE_PAGES,
	VM_NR_DIRTY,
	VM_NR_WRITEBACK,
	VM_PGSCAN_KSWAPD,
	VM_PGSCAN_DIRECT,
	VM_PGSTEAL_KSWAPD,
	VM_PGSTEAL_DIRECT,
	VM_WORKINGSET_REFAULT_FILE,
	VM_COMPACT_STALL,
	VM_COMPACT_SUCCESS,
	VM_COMPACT_FAIL,
	VM_DROP_PAGECACHE,
	_VM_MAX,
};

extern const char *const meminfo_keys[_MI_MAX];
extern const char *const vmstat_keys[_VM_MAX];

void meminfo_init(struct kv_table *t);
void vmstat_init(struct kv_table *t);

/* Read and parse; on a malformed line the state becomes SOURCE_MALFORMED
 * but every well-formed field is kept. */
int meminfo_read(const char *root, struct kv_table *t, struct source_status *st,
		 struct diag_list *d);
int vmstat_read(const char *root, enum source_need need, struct kv_table *t,
		struct source_status *st, struct diag_list *d);
