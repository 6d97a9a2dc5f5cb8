/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The Docker Desktop settings editor: text in, text out, no I/O (the
 * applier in apply.c reads, backs up and replaces the file).  Desktop 4.35+
 * writes settings-store.json with PascalCase keys, up to 4.34 settings.json
 * with camelCase keys; Docker documents neither.  Keys are matched
 * case-insensitively and keep the file's casing; key order, unknown keys and
 * their values are kept (jansson with JSON_PRESERVE_ORDER); the output is
 * UTF-8 without a byte-order mark, which Desktop needs to start. */

struct ds_edit {
	char *out;             /* the new text (heap), NULL when unchanged */
	size_t out_len;
	bool changed;
	bool bom_removed;      /* the input began with a UTF-8 BOM */
	char key[64];          /* the integrated-distros key as written */
	char before[512];      /* its value before and after, as JSON */
	char after[512];
	char note[256];        /* a caveat for the user, or "" */
	char why[256];         /* on failure: what is wrong with the input */
};

/* Adds (enable) or removes (disable) distro in the integrated-distros list.
 * name_hint is the file's base name ("settings-store.json" picks PascalCase
 * for a key the file lacks).  Returns 0 (r->changed says whether anything
 * changes) or -EINVAL (the file could not be parsed or has an unexpected
 * shape: r->why says why and nothing is to be written). */
int ds_edit_integration(const char *text, size_t len, const char *name_hint,
			const char *distro, bool enable, struct ds_edit *r);
void ds_edit_free(struct ds_edit *r);
