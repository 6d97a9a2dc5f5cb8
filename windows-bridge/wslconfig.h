/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The .wslconfig editor: text in, text out, no I/O.  WSL reads the file
 * with a git-config style parser: [section] headers, key = value lines,
 * '#' or ';' comments (also after a value), sections and keys compared
 * without regard to case.  Setting a key rewrites only the value's bytes of
 * its line (the key's casing, the spacing, an inline comment and the line
 * ending stay); a missing key goes after the section's last key, a missing
 * section at the end.  Every other line is kept byte for byte. */

struct wslconfig_edit {
	char *out;          /* the new text (heap), NULL when unchanged */
	size_t out_len;
	bool changed;
	bool had_key;       /* the key was there (before holds its value) */
	bool added_section;
	unsigned line;      /* the line set or added, from 1 */
	char section_as_written[64], key_as_written[64];  /* the file's casing */
	char before[256];   /* the old value (cut at 255 bytes) */
	size_t before_len;  /* its whole length */
	char why[256];      /* on failure */
};

/* value must already be validated (apply.c's allowlist): no newline, no
 * '#', ';' or quote.  key_casing is used for a key the file lacks.
 * Returns 0 or -EINVAL (r->why: e.g. a value continued on the next line,
 * a NUL byte). */
int wslconfig_set(const char *text, size_t len, const char *section, const char *key,
		  const char *value, struct wslconfig_edit *r);
void wslconfig_edit_free(struct wslconfig_edit *r);

/* Reads SECTION.KEY as WSL would (the last occurrence wins; quotes around
 * the value dropped) into buf.  Returns 1 when set, 0 when the file does
 * not set it, -EINVAL for a NUL byte or a value continued on the next line. */
int wslconfig_get(const char *text, size_t len, const char *section, const char *key, char *buf,
		  size_t size);
