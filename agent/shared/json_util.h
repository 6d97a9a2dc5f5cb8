/* SPDX-License-Identifier: MIT */
#pragma once

#include <jansson.h>

/* A JSON string for text read from files: invalid UTF-8 is replaced byte by
 * byte with '?' instead of making the whole document fail.  NULL or "" gives
 * null.  Never returns NULL unless out of memory. */
json_t *json_string_lossy(const char *s);

/* Prints doc to stdout, indented, followed by a newline.  -EIO on failure. */
int json_print(const json_t *doc);
