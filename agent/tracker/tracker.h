/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracker/ledger.h"

/* The BPF page-cache tracker as a source: load and attach once, then fold
 * the counters into a ledger at every sample.  No global state, so the
 * daemon can keep one loaded next to everything else. */

enum tracker_mode {
	TRACKER_MODE_AUTO,
	TRACKER_MODE_FENTRY,      /* fentry/fexit on the folio-era filemap functions */
	TRACKER_MODE_TP_BTF,      /* BTF-typed tracepoints (folio arguments) */
	TRACKER_MODE_TRACEPOINT,  /* classic tracepoints (format fields only) */
	_TRACKER_MODE_MAX,
};

const char *tracker_mode_name(enum tracker_mode m);
/* -EINVAL for an unknown name. */
int tracker_mode_from_string(const char *s, enum tracker_mode *ret);

struct tracker_opts {
	/* The root tree the caller reads /proc and /sys under (NULL = live).
	 * The programs always load into the running kernel and are checked
	 * against its BTF, so the loader never looks under it. */
	const char *root;
	enum tracker_mode mode;   /* AUTO probes fentry, tp_btf, tracepoint in order */
	/* Optional: when the verifier rejects a program, its log goes here
	 * (NUL-terminated, cut to the size); untouched otherwise. */
	char *verifier_log;
	size_t verifier_log_size;
};

struct tracker;

/* Checks BTF and privileges, then loads and attaches: with AUTO, each mode
 * in order until one attaches for real.  On failure returns negative errno
 * and one line in why saying what is missing.  tracker_probe_log() tells
 * which mode won and why the better ones did not. */
int tracker_open(const struct tracker_opts *o, struct tracker **ret, char *why, size_t why_len);
enum tracker_mode tracker_mode(const struct tracker *t);
const char *tracker_probe_log(const struct tracker *t);
/* Reads every map and folds the counters into l at now_ns. */
int tracker_sample(struct tracker *t, struct ledger *l, uint64_t now_ns);
void tracker_close(struct tracker *t);

/* The part of a map buffer (size bytes at base, the first used in use)
 * that a shrunk map gives back with madvise(MADV_DONTNEED): whole pages
 * that lie inside the buffer, never the page it ends in, which it may
 * share with another heap block.  False when there is none. */
bool tracker_trim_range(uintptr_t base, size_t used, size_t size, size_t page, uintptr_t *from,
			uintptr_t *to);
