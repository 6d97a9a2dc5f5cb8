/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A growing text buffer, always NUL-terminated once anything was put: the
 * metrics page, the API's text and the settings edits build their output
 * in it.  An allocation failure sets failed and makes every later put a
 * no-op, so a caller checks once at the end. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

void sbuf_put(struct sbuf *b, const char *p, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);
__attribute__((format(printf, 2, 3)))
void sbuf_printf(struct sbuf *b, const char *fmt, ...);
