/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "tracker/view.h"

/* What `top` knows beyond the view: how the tracker runs, or why not. */
struct top_meta {
	const char *mode;         /* attach mode; NULL when BPF is unavailable */
	const char *probe_log;    /* why the better modes were not used */
	const char *unavailable;  /* one line: why there is no BPF data */
	const char *cgroup2;      /* cgroup2 mount the paths are relative to */
	double duration_s;        /* sampled so far */
	uint64_t page_cache_bytes;  /* Cached of /proc/meminfo; 0 unknown */
	size_t limit;             /* rows shown, in the table and the JSON */
	const char *note;         /* about the host's cgroups, or NULL */
	/* model/topology.h's two lines: where this distro sits in WSL's
	 * cgroup layouts, and which engine answers and what it reaches. */
	const char *placement, *engine;
};

/* One document; v may be NULL when BPF is unavailable ("cgroups" and
 * "files" are then null, never empty arrays of made-up zeros). */
json_t *top_json(const struct top_view *v, const struct top_meta *m);
void top_text(FILE *f, const struct top_view *v, const struct top_meta *m);
