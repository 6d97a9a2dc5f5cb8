/* SPDX-License-Identifier: MIT */
#include "model/mem_state.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shared/util.h"
#include "sources/meminfo.h"

static void figure_set(struct figure *f, uint64_t v)
{
	f->known = true;
	f->value = v;
	f->reason[0] = '\0';
}

__attribute__((format(printf, 2, 3)))
static void figure_unknown(struct figure *f, const char *fmt, ...)
{
	va_list ap;

	f->known = false;
	f->value = 0;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
}

/* A meminfo field, or the reason it is unknown. */
static bool meminfo_get(const struct mem_state *s, enum meminfo_key k, uint64_t *v,
			struct figure *f)
{
	if (s->meminfo_src.state != SOURCE_OK && s->meminfo_src.state != SOURCE_MALFORMED) {
		figure_unknown(f, "%s", s->meminfo_src.reason);
		return false;
	}
	if (!kv_has(&s->meminfo, k)) {
		figure_unknown(f, "%s has no valid %s field", s->meminfo_src.path, meminfo_keys[k]);
		return false;
	}
	*v = s->meminfo.values[k];
	return true;
}

/* Values larger than the machine are a corrupt source, not a figure: the
 * figure becomes unknown and the source that gave it is marked malformed. */
static bool within_total(struct mem_state *s, struct figure *f, const char *what, uint64_t v,
			 struct source_status *src, struct diag_list *d)
{
	if (!s->total.known || v <= s->total.value)
		return true;
	figure_unknown(f, "%s (%llu bytes) exceeds MemTotal (%llu bytes)", what,
		       (unsigned long long)v, (unsigned long long)s->total.value);
	diag_add_at(d, src->path, 0, "%s", f->reason);
	source_fail(src, SOURCE_MALFORMED, "%s", f->reason);
	return false;
}

static void derive_field(struct mem_state *s, struct figure *f, enum meminfo_key k,
			 struct diag_list *d)
{
	uint64_t v;

	if (meminfo_get(s, k, &v, f) && within_total(s, f, meminfo_keys[k], v, &s->meminfo_src, d))
		figure_set(f, v);
}

static void derive_meminfo(struct mem_state *s, struct diag_list *d)
{
	uint64_t dirty, wb, act, inact;

	derive_field(s, &s->total, MI_MEM_TOTAL, d);
	if (s->total.known && s->total.value == 0) {
		figure_unknown(&s->total, "MemTotal is 0");
		diag_add_at(d, s->meminfo_src.path, 0, "%s", s->total.reason);
		source_fail(&s->meminfo_src, SOURCE_MALFORMED, "%s", s->total.reason);
	}
	derive_field(s, &s->free, MI_MEM_FREE, d);
	derive_field(s, &s->available, MI_MEM_AVAILABLE, d);
	derive_field(s, &s->page_cache, MI_CACHED, d);
	derive_field(s, &s->buffers, MI_BUFFERS, d);
	derive_field(s, &s->shmem, MI_SHMEM, d);

	if (meminfo_get(s, MI_DIRTY, &dirty, &s->dirty_writeback) &&
	    meminfo_get(s, MI_WRITEBACK, &wb, &s->dirty_writeback) &&
	    within_total(s, &s->dirty_writeback, "Dirty + Writeback", sat_add(dirty, wb),
			     &s->meminfo_src, d))
		figure_set(&s->dirty_writeback, dirty + wb);

	if (!meminfo_get(s, MI_ACTIVE_FILE, &act, &s->reclaimable_file) ||
	    !meminfo_get(s, MI_INACTIVE_FILE, &inact, &s->reclaimable_file))
		return;
	if (!s->dirty_writeback.known) {
		figure_unknown(&s->reclaimable_file, "%s", s->dirty_writeback.reason);
		return;
	}
	if (within_total(s, &s->reclaimable_file, "Active(file) + Inactive(file)",
			 sat_add(act, inact), &s->meminfo_src, d))
		figure_set(&s->reclaimable_file, act + inact > s->dirty_writeback.value
				? act + inact - s->dirty_writeback.value : 0);
}

static void derive_reporting(struct mem_state *s, struct diag_list *d)
{
	uint64_t above, below;

	if (!s->pr.present || !s->pr.order_known) {
		const char *why = s->pr_src.reason[0] ? s->pr_src.reason : "no page_reporting_order";

		figure_unknown(&s->reportable_free, "%s", why);
		figure_unknown(&s->stranded_free, "%s", why);
	} else if (s->buddy_src.state != SOURCE_OK && s->buddy_src.state != SOURCE_MALFORMED) {
		figure_unknown(&s->reportable_free, "%s", s->buddy_src.reason);
		figure_unknown(&s->stranded_free, "%s", s->buddy_src.reason);
	} else if (s->buddy.nzones == 0) {
		figure_unknown(&s->reportable_free, "%s lists no zones", s->buddy_src.path);
		figure_unknown(&s->stranded_free, "%s lists no zones", s->buddy_src.path);
	} else {
		above = buddyinfo_free_pages(&s->buddy, s->pr.order, BUDDY_MAX_ORDERS);
		below = s->pr.order ? buddyinfo_free_pages(&s->buddy, 0, s->pr.order - 1) : 0;
		above = above > UINT64_MAX / s->page_size ? UINT64_MAX : above * s->page_size;
		below = below > UINT64_MAX / s->page_size ? UINT64_MAX : below * s->page_size;
		if (within_total(s, &s->reportable_free, "free memory in /proc/buddyinfo",
				 sat_add(above, below),
				 &s->buddy_src, d)) {
			figure_set(&s->reportable_free, above);
			figure_set(&s->stranded_free, below);
		} else {
			figure_unknown(&s->stranded_free, "%s", s->reportable_free.reason);
		}
	}
	if (s->pr.reported_kib_known && s->pr.reported_kib <= UINT64_MAX / 1024)
		figure_set(&s->reported, s->pr.reported_kib * 1024);
	else
		figure_unknown(&s->reported, s->pr.present
			? "this kernel does not count reported memory (reported_kib is a local extension)"
			: "this kernel has no free page reporting");
}

/* MemFree also counts pages on per-CPU lists and, on kernels that defer
 * struct page initialisation, memory never handed to the buddy allocator;
 * neither is in /proc/buddyinfo, so neither can be reported to the host. */
static void derive_outside_buddy(struct mem_state *s)
{
	uint64_t in_buddy;

	if (!s->free.known) {
		figure_unknown(&s->free_outside_buddy, "%s", s->free.reason);
		return;
	}
	if (!s->reportable_free.known && s->buddy.nzones == 0) {
		figure_unknown(&s->free_outside_buddy, "%s", s->buddy_src.reason[0]
			       ? s->buddy_src.reason : "no zones in /proc/buddyinfo");
		return;
	}
	in_buddy = buddyinfo_free_pages(&s->buddy, 0, BUDDY_MAX_ORDERS);
	in_buddy = in_buddy > UINT64_MAX / s->page_size ? UINT64_MAX : in_buddy * s->page_size;
	figure_set(&s->free_outside_buddy, s->free.value > in_buddy ? s->free.value - in_buddy : 0);
}

void mem_state_derive(struct mem_state *s, struct diag_list *d)
{
	derive_meminfo(s, d);
	derive_reporting(s, d);
	derive_outside_buddy(s);
}

void mem_state_collect(struct mem_state *s, const char *root, unsigned page_size,
		       struct diag_list *d)
{
	enum source_need kernel_mm;

	memset(s, 0, sizeof(*s));
	s->root = root;
	s->page_size = page_size ? page_size : 4096;
	wsl_env_read(root, &s->env, &s->env_src, d);
	/* WSL1 emulates /proc without a Linux memory manager: no buddy
	 * allocator and no vmstat.  Their absence is the platform, not a fault. */
	kernel_mm = s->env.kind == WSL_1 ? SOURCE_OPTIONAL : SOURCE_REQUIRED;
	cgroup_layout_read(root, &s->cgroup, &s->cgroup_src, d);
	meminfo_read(root, &s->meminfo, &s->meminfo_src, d);
	vmstat_read(root, kernel_mm, &s->vmstat, &s->vmstat_src, d);
	buddyinfo_read(root, kernel_mm, &s->buddy, &s->buddy_src, d);
	psi_read(root, &s->psi, &s->psi_src, d);
	page_reporting_read(root, &s->pr, &s->pr_src, d);
	if (s->env.kind == WSL_1 && !s->pr.present)
		source_fail(&s->pr_src, SOURCE_ABSENT,
			    "WSL1 has no Linux kernel: memory is Windows' own, nothing to report back");
	mem_state_derive(s, d);
}

bool mem_state_degraded(const struct mem_state *s)
{
	const struct source_status *required[] = {
		&s->env_src, &s->cgroup_src, &s->meminfo_src, &s->vmstat_src, &s->buddy_src,
	};
	const struct source_status *optional[] = { &s->psi_src, &s->pr_src };

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (s->env.kind == WSL_1 && required[i]->state == SOURCE_ABSENT &&
		    (required[i] == &s->buddy_src || required[i] == &s->vmstat_src))
			continue;
		if (required[i]->state != SOURCE_OK)
			return true;
	}
	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
		if (optional[i]->state != SOURCE_OK && optional[i]->state != SOURCE_ABSENT)
			return true;
	return false;
}
