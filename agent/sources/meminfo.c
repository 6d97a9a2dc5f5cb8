/* SPDX-License-Identifier: MIT */
#include "sources/meminfo.h"

#include <string.h>

#include "shared/util.h"

const char *const meminfo_keys[_MI_MAX] = {
	[MI_MEM_TOTAL] = "MemTotal",
	[MI_MEM_FREE] = "MemFree",
	[MI_MEM_AVAILABLE] = "MemAvailable",
	[MI_BUFFERS] = "Buffers",
	[MI_CACHED] = "Cached",
	[MI_SWAP_CACHED] = "SwapCached",
	[MI_ACTIVE_FILE] = "Active(file)",
	[MI_INACTIVE_FILE] = "Inactive(file)",
	[MI_UNEVICTABLE] = "Unevictable",
	[MI_SHMEM] = "Shmem",
	[MI_DIRTY] = "Dirty",
	[MI_WRITEBACK] = "Writeback",
	[MI_MAPPED] = "Mapped",
	[MI_SRECLAIMABLE] = "SReclaimable",
};

const char *const vmstat_keys[_VM_MAX] = {
	[VM_NR_FREE_PAGES] = "nr_free_pages",
	[VM_NR_FILE_PAGES] = "nr_file_pages",
	[VM_NR_DIRTY] = "nr_dirty",
	[VM_NR_WRITEBACK] = "nr_writeback",
	[VM_PGSCAN_KSWAPD] = "pgscan_kswapd",
	[VM_PGSCAN_DIRECT] = "pgscan_direct",
	[VM_PGSTEAL_KSWAPD] = "pgsteal_kswapd",
	[VM_PGSTEAL_DIRECT] = "pgsteal_direct",
	[VM_WORKINGSET_REFAULT_FILE] = "workingset_refault_file",
	[VM_COMPACT_STALL] = "compact_stall",
	[VM_COMPACT_SUCCESS] = "compact_success",
	[VM_COMPACT_FAIL] = "compact_fail",
	[VM_DROP_PAGECACHE] = "drop_pagecache",
};

void meminfo_init(struct kv_table *t)
{
	memset(t, 0, sizeof(*t));
	t->keys = meminfo_keys;
	t->nkeys = _MI_MAX;
}

void vmstat_init(struct kv_table *t)
{
	memset(t, 0, sizeof(*t));
	t->keys = vmstat_keys;
	t->nkeys = _VM_MAX;
}

static int kv_read(const char *root, const char *abs, enum kv_flavor flavor,
		   struct kv_table *t, struct source_status *st, struct diag_list *d)
{
	_cleanup_free_ char *text = NULL;
	int r, bad;

	r = source_load(root, abs, SOURCE_REQUIRED, st, &text, d);
	if (r < 0)
		return r;
	bad = kv_parse(text, st->path, flavor, t, d);
	if (bad > 0)
		source_fail(st, SOURCE_MALFORMED, "%d malformed line%s", bad, bad == 1 ? "" : "s");
	return 0;
}

int meminfo_read(const char *root, struct kv_table *t, struct source_status *st,
		 struct diag_list *d)
{
	meminfo_init(t);
	return kv_read(root, "/proc/meminfo", KV_MEMINFO, t, st, d);
}

int vmstat_read(const char *root, struct kv_table *t, struct source_status *st,
		struct diag_list *d)
{
	vmstat_init(t);
	return kv_read(root, "/proc/vmstat", KV_VMSTAT, t, st, d);
}
