/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the /proc and sysfs text parsers.  The first byte
 * picks the parser; the rest is the file's content. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#include "sources/buddyinfo.h"
#include "sources/cgroup_layout.h"
#include "sources/kv.h"
#include "sources/meminfo.h"
#include "sources/psi.h"

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
