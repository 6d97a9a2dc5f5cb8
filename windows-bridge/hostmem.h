/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "platform.h"
#include "proto.h"

/* The host's memory as agents are told it: read through the platform layer
 * (or a meminfo-format file given with --meminfo), judged low by the core
 * when the OS does not say so itself, and sent only when it changed
 * materially, so 64 agents are not woken every second for nothing. */

/* Parses /proc/meminfo text: MemTotal, MemAvailable, Committed_AS,
 * CommitLimit.  -EINVAL when MemTotal or MemAvailable is missing. */
int hostmem_parse_meminfo(const char *text, struct plat_host_memory *m);

struct hostmem_threshold {
	uint64_t bytes;      /* low below this many bytes available, or */
	unsigned percent;    /* below this percent of total (bytes == 0) */
};
/* "10%" or a byte count with an optional K/M/G/T (binary) suffix. */
int hostmem_threshold_parse(const char *s, struct hostmem_threshold *t);

/* Fills out from m; low from the OS when it knows, else the threshold. */
void hostmem_judge(const struct plat_host_memory *m, const struct hostmem_threshold *t,
		   struct proto_host_memory *out);

/* Whether agents must hear about next (compared with what they last got):
 * the low flag flipped, or available moved by 1/32 of total or more. */
bool hostmem_changed(const struct proto_host_memory *last, const struct proto_host_memory *next);
