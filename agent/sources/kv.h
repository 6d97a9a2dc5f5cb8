/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "shared/diag.h"

/* Flat "key value" files of the kernel: /proc/meminfo ("Cached:  123 kB")
 * and /proc/vmstat ("nr_dirty 42").  A table names the keys we keep; the
 * parser fills values in bytes (meminfo) or counts (vmstat) and marks which
 * were present, reporting every malformed line by number and moving on. */
enum kv_flavor {
	KV_MEMINFO,  /* "Name:" then a number, optionally " kB" */
	KV_VMSTAT,   /* "name number" */
};

#define KV_MAX_KEYS 64

struct kv_table {
	const char *const *keys;
	unsigned nkeys;
	uint64_t values[KV_MAX_KEYS];
	uint64_t present;  /* bit i set when keys[i] was read */
};

static inline bool kv_has(const struct kv_table *t, unsigned i)
{
	return (t->present >> i) & 1;
}

/* text is modified.  Returns the number of malformed lines (>= 0). */
int kv_parse(char *text, const char *path, enum kv_flavor flavor,
	     struct kv_table *t, struct diag_list *d);
