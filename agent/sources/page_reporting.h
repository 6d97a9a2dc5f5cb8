/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sources/source.h"

/* /sys/module/page_reporting/parameters/: free page reporting, the way
 * Hyper-V (hv_balloon) and virtio-balloon learn which guest pages they can
 * take back.  Only free blocks of order >= page_reporting_order are
 * reported.  Other parameter files differ between kernels; numeric ones are
 * kept as counters (reported_kib is a local extension, absent on WSL). */
#define PR_MAX_COUNTERS 16

struct pr_counter {
	char name[64];
	uint64_t value;
};

struct page_reporting {
	bool present;               /* the module parameters directory exists */
	unsigned order;             /* valid when present and order_known */
	bool order_known;
	bool reported_kib_known;
	uint64_t reported_kib;
	unsigned ncounters;
	unsigned dropped_counters;
	struct pr_counter counters[PR_MAX_COUNTERS];
};

int page_reporting_read(const char *root, struct page_reporting *pr, struct source_status *st,
			struct diag_list *d);
