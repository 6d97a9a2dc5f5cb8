/* SPDX-License-Identifier: MIT */
#pragma once

#include <limits.h>
#include <stdbool.h>

#include "shared/diag.h"

/* Where every figure came from, so that an unavailable figure is reported
 * as unavailable with a reason and never as zero. */
enum source_state {
	SOURCE_UNREAD = 0,
	SOURCE_OK,
	SOURCE_ABSENT,      /* the kernel or system does not provide it */
	SOURCE_UNREADABLE,  /* present but could not be read (permissions, I/O) */
	SOURCE_MALFORMED,   /* read, but not in the expected format */
};

struct source_status {
	enum source_state state;
	char path[PATH_MAX];  /* path as opened, root prefix included */
	char reason[320];     /* set unless state is SOURCE_OK */
};

const char *source_state_name(enum source_state s);

__attribute__((format(printf, 3, 4)))
void source_fail(struct source_status *st, enum source_state state, const char *fmt, ...);

enum source_need { SOURCE_REQUIRED, SOURCE_OPTIONAL };

/* Reads ABS under ROOT (read_text_at: resolved inside the root, never
 * blocking, regular files only; at most max bytes) into *text; st->path
 * becomes "ROOT/ABS".  On failure records the state and reason in st, adds
 * a diagnostic naming the file (unless an optional file is simply absent)
 * and returns negative errno; -ENOENT stands for every kind of absence
 * (ENOTDIR included). */
int source_load_max(const char *root, const char *abs, enum source_need need, size_t max,
		    struct source_status *st, char **text, struct diag_list *d);
/* The same with the limit for kernel text files. */
int source_load(const char *root, const char *abs, enum source_need need,
		struct source_status *st, char **text, struct diag_list *d);
