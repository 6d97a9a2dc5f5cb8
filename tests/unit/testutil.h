/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

/* Test helpers: scratch root trees made from the committed fixtures. */

/* Path of a committed fixture tree, e.g. fixture_path("wsl2-6.6"). */
const char *fixture_path(const char *name);

/* Copies fixture NAME (or an empty tree when NULL) into a new temp dir and
 * returns its path (static buffer, valid until the next call). */
const char *tree_from_fixture(const char *name);

/* Writes len bytes to ROOT/rel, creating parent directories. */
void tree_write(const char *root, const char *rel, const void *data, size_t len);
void tree_write_str(const char *root, const char *rel, const char *text);
void tree_remove(const char *root, const char *rel);
void tree_destroy(const char *root);
