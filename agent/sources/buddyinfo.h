/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>

#include "sources/source.h"

/* /proc/buddyinfo: per zone, the number of free blocks of each order. */
#define BUDDY_MAX_ORDERS 16
#define BUDDY_MAX_ZONES 32

struct buddy_zone {
	unsigned node;
	char name[16];
	unsigned norders;
	uint64_t free_blocks[BUDDY_MAX_ORDERS];
};

struct buddyinfo {
	unsigned nzones;
	unsigned dropped_zones;  /* zones beyond BUDDY_MAX_ZONES, counted */
	struct buddy_zone zones[BUDDY_MAX_ZONES];
};

int buddyinfo_parse(char *text, const char *path, struct buddyinfo *b, struct diag_list *d);
int buddyinfo_read(const char *root, enum source_need need, struct buddyinfo *b,
		   struct source_status *st, struct diag_list *d);

/* Free pages in blocks of order >= min_order (all zones); saturates at
 * UINT64_MAX rather than wrapping on absurd input. */
uint64_t buddyinfo_free_pages(const struct buddyinfo *b, unsigned min_order, unsigned max_order);
