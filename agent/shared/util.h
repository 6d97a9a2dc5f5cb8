/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Files under /proc and /sys are small; anything larger than this is not
 * what we expect to read and is refused rather than slurped. */
#define READ_FILE_MAX_DEFAULT (4u << 20)

static inline void freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ __attribute__((cleanup(freep)))

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* a + b, stuck at UINT64_MAX instead of wrapping: a sum of figures read
 * from a file must never come out small because the file lied. */
static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* root_path("/tmp/t", "/proc/meminfo") -> "/tmp/t/proc/meminfo".
 * A NULL, empty or "/" root means the live system.  Returns -ENAMETOOLONG
 * when buf is too small. */
int root_path(const char *root, const char *abs, char *buf, size_t size);

/* Reads a whole file into a NUL-terminated heap buffer.  -EFBIG when the file
 * holds more than max bytes, -EILSEQ when it contains a NUL byte (binary junk
 * in a text file), other negative errno from open/read. */
int read_text_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* Splits a buffer into lines in place.  Returns the next line (without its
 * newline) and advances *cursor, or NULL at the end.  *lineno counts from 1. */
char *next_line(char **cursor, unsigned *lineno);

/* Strict unsigned decimal: no sign, no junk, no overflow.  -EINVAL / -ERANGE. */
int parse_u64(const char *s, uint64_t *ret);
/* Same, but stops at the first whitespace and stores the rest in *end. */
int parse_u64_prefix(const char *s, uint64_t *ret, const char **end);
/* Strict finite decimal fraction (e.g. "12.34"). */
int parse_double(const char *s, double *ret);

/* "1.5 GiB", "512.0 MiB", "4.0 KiB", "17 B": binary units, one decimal. */
const char *format_bytes(uint64_t bytes, char *buf, size_t size);

char *skip_space(const char *s);
void strip_trailing_space(char *s);
bool string_has_prefix(const char *s, const char *prefix);

/* Writes data to path atomically: a temp file in the same directory is
 * written, fsync'ed and renamed over path, so readers never see half. */
int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);
