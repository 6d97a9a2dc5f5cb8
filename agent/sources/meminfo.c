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
	[MI_SWAP_TOTAL] = "SwapTotal",
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

static int kv_read(const char *root, const char *abs, enum source_need need,
		   enum kv_flavor flavor, struct kv_table *t, struct source_status *st,
		   struct diag_list *d)
{
	_cleanup_free_ char *text = NULL;
	int r, bad;

	r = source_load(root, abs, need, st, &text, d);
	if (r < 0)
		return r;
	bad = kv_parse(text, st->path, flavor, t, d);
	if (bad > 0)
		source_fail(st, SOURCE_MALFORMED, "%d malformed line%s", bad, bad == 1 ? "" : "s");
	return 0;
}

/* Fields every kernel since 2.6.28 prints, WSL1's emulation included; a
 * file without them was cut short. */
static const enum meminfo_key meminfo_required[] = {
	MI_MEM_TOTAL, MI_MEM_FREE, MI_CACHED, MI_ACTIVE_FILE, MI_INACTIVE_FILE, MI_DIRTY, MI_WRITEBACK,
};

int meminfo_read(const char *root, struct kv_table *t, struct source_status *st,
		 struct diag_list *d)
{
	unsigned missing = 0;
	int r;

	meminfo_init(t);
	r = kv_read(root, "/proc/meminfo", SOURCE_REQUIRED, KV_MEMINFO, t, st, d);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(meminfo_required); i++) {
		if (kv_has(t, meminfo_required[i]))
			continue;
		diag_add_at(d, st->path, 0, "field %s is missing (truncated file?)",
			    meminfo_keys[meminfo_required[i]]);
		missing++;
	}
	if (missing && st->state == SOURCE_OK)
		source_fail(st, SOURCE_MALFORMED, "%u required field%s missing", missing,
			    missing == 1 ? " is" : "s are");
	return 0;
}

int vmstat_read(const char *root, enum source_need need, struct kv_table *t,
		struct source_status *st, struct diag_list *d)
{
	vmstat_init(t);
	return kv_read(root, "/proc/vmstat", need, KV_VMSTAT, t, st, d);
}
