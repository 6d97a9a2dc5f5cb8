/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Diagnostics collected while building a report: one line each, naming the
 * file (and line) at fault.  Bounded so junk input cannot exhaust memory;
 * what did not fit is counted in "dropped", never silently lost. */
#define DIAG_MAX 64

struct diag_list {
	char *items[DIAG_MAX];
	size_t n;
	size_t dropped;
};

__attribute__((format(printf, 2, 3)))
void diag_add(struct diag_list *d, const char *fmt, ...);
/* "path:line: message"; line 0 leaves the line number out. */
__attribute__((format(printf, 4, 5)))
void diag_add_at(struct diag_list *d, const char *path, unsigned line, const char *fmt, ...);
void diag_print(const struct diag_list *d, FILE *f, const char *prog);
/* Array of strings, plus a last string counting dropped ones. */
json_t *diag_to_json(const struct diag_list *d);
void diag_free(struct diag_list *d);
