/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the /proc and sysfs text parsers.  The first byte
 * picks the parser; the rest is the file's content. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "model/mem_state.h"
#include "sources/buddyinfo.h"
#include "sources/cgroup_layout.h"
#include "sources/kv.h"
#include "sources/meminfo.h"
#include "sources/psi.h"

/* The derived figures from a parsed meminfo: a known figure is never
 * above MemTotal, and a sum never below its parts (a wrapped sum). */
static void derive(const struct kv_table *t, struct diag_list *d)
{
	struct mem_state *s = calloc(1, sizeof(*s));

	if (!s)
		return;
	s->page_size = 4096;
	s->meminfo = *t;
	s->meminfo_src.state = SOURCE_OK;
	mem_state_derive(s, d);
	if (s->total.known &&
	    ((s->dirty_writeback.known && s->dirty_writeback.value > s->total.value) ||
	     (s->reclaimable_file.known && s->reclaimable_file.value > s->total.value)))
		abort();
	if (s->dirty_writeback.known && (s->dirty_writeback.value < t->values[MI_DIRTY] ||
					 s->dirty_writeback.value < t->values[MI_WRITEBACK]))
		abort();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list d = { 0 };
	struct buddyinfo b;
	struct cgroup_layout c;
	struct kv_table t;
	struct psi p;
	char *text;

	text = fuzz_text(data, size);
	if (!text)
		return 0;
	switch (data[0] % 5) {
	case 0:
		meminfo_init(&t);
		kv_parse(text, "meminfo", KV_MEMINFO, &t, &d);
		derive(&t, &d);
		break;
	case 1:
		vmstat_init(&t);
		kv_parse(text, "vmstat", KV_VMSTAT, &t, &d);
		break;
	case 2:
		buddyinfo_parse(text, "buddyinfo", &b, &d);
		buddyinfo_free_pages(&b, data[0] % 16, BUDDY_MAX_ORDERS);
		break;
	case 3:
		psi_parse(text, "psi", &p, &d);
		break;
	default:
		cgroup_layout_parse(text, "mounts", "/nonexistent", &c, &d);
		break;
	}
	diag_free(&d);
	free(text);
	return 0;
}
